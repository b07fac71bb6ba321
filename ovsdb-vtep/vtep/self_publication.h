// Self-publication: the rows that say who this switch is — a Global row holding this
// switch's Physical_Switch (name, description, management_ips, tunnel_ips,
// switch_fault_status) and a Physical_Port per configured access port (with its
// port_fault_status). Computed as the operations that take the replica to that state,
// so running it after every change keeps it true (and does nothing when it already is).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "client/ovsdb_client.h"
#include "vtep/agent_config.h"

namespace vtep::agent {

struct PublishedFaults {
    std::set<std::string> switch_faults;
    std::map<std::string, std::set<std::string>> port_faults;  // port name → codes
};

// The transact operations still needed; an empty array when the database is up to date.
nlohmann::json self_publication_ops(const client::OvsdbClient& client, const AgentConfig& config,
                                    const PublishedFaults& faults);

// This switch's Physical_Switch row, or null.
const client::ReplicaRow* find_own_switch(const client::OvsdbClient& client,
                                          const AgentConfig& config);

}  // namespace vtep::agent
