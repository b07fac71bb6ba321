// Remote → data plane: follows the tables a controller writes (Logical_Switch,
// Physical_Port vlan_bindings, Ucast_Macs_Remote, Mcast_Macs_Remote, Physical_Locator,
// Physical_Locator_Set) row change by row change, marks what each change affects, and
// programs the settled result in an order that never forwards into a half-built state:
// bindings go away first, then switches are (re)created, flood lists and MACs are
// written, and bindings come last. What fails stays marked, is reported as a fault and
// is tried again by the next apply().
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/ovsdb_client.h"
#include "vtep/dataplane_ops.h"

namespace vtep::agent {

using client::RowChange;
using ovsdb::Uuid;

class RemoteState {
  public:
    explicit RemoteState(DataplaneOps& ops) : ops_(ops) {}

    // Row changes, as the OVSDB client reports them.
    void logical_switch_changed(const RowChange& change);
    void physical_port_changed(const RowChange& change);
    void locator_changed(const RowChange& change);
    void locator_set_changed(const RowChange& change);
    void ucast_remote_changed(const RowChange& change);
    void mcast_remote_changed(const RowChange& change);
    // Which Physical_Port rows belong to this switch (its Physical_Switch's ports), and
    // the port names the data plane may bind (configured access ports).
    void set_own_ports(const std::set<Uuid>& port_rows, const std::set<std::string>& port_names);

    bool has_pending() const;
    // Programs everything marked since the last call. Returns true when all of it is
    // now in the data plane (false: faults remain and a retry is due).
    bool apply();

    // Faults as vtep(5) names them, with a readable reason each: per port name
    // (port_fault_status) and for the switch (switch_fault_status).
    const std::map<std::string, std::map<std::string, std::string>>& port_faults() const {
        return port_faults_;
    }
    const std::map<std::string, std::string>& switch_faults() const { return switch_faults_; }
    void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }

    // What is programmed (for tests and status).
    size_t programmed_switches() const { return programmed_switches_.size(); }
    size_t programmed_remote_macs() const { return programmed_macs_.size(); }
    size_t programmed_bindings() const { return programmed_bindings_.size(); }

  private:
    struct SwitchRow {
        std::string name;
        uint32_t vni = 0;  // 0: not mapped
        Replication mode = Replication::source_node;
    };
    struct PortRow {
        std::string name;
        std::map<uint16_t, Uuid> vlan_bindings;
    };
    struct MacRow {
        Uuid logical_switch;
        std::string mac;
        Uuid locator;  // Ucast: a Physical_Locator; Mcast: a Physical_Locator_Set
    };
    struct ProgrammedSwitch {
        uint32_t vni;
        Replication mode;
    };
    struct ProgrammedFlood {
        Replication mode;
        std::vector<std::string> ips;
    };
    using MacKey = std::pair<Uuid, std::string>;  // logical switch row, MAC

    void mark_switch_contents(const Uuid& logical_switch);
    void mark_all_ports();
    // Each step programs one kind of state; failures are re-marked and faulted.
    void withdraw_changed_switches(std::set<Uuid>& switches);
    void program_switches(std::set<Uuid>& switches);
    void program_flood_lists(std::set<Uuid>& floods);
    void program_remote_macs(std::set<MacKey>& macs);
    void program_bindings(std::set<std::string>& ports);

    std::optional<uint32_t> programmed_vni(const Uuid& logical_switch) const;
    std::optional<std::string> locator_ip(const Uuid& locator) const;
    std::optional<std::map<uint16_t, uint32_t>> desired_bindings(const std::string& port) const;
    void fault(const std::string& key, const std::string& code, const std::string& reason,
               const std::string& port = {});
    void clear_fault(const std::string& key, const std::string& port = {});
    void log(const std::string& message) const;

    DataplaneOps& ops_;
    std::function<void(const std::string&)> log_;

    // The database as far as it concerns the data plane.
    std::map<Uuid, SwitchRow> switches_;
    std::map<Uuid, PortRow> ports_;
    std::set<Uuid> own_port_rows_;
    std::set<std::string> own_port_names_;
    std::map<Uuid, std::string> locators_;  // Physical_Locator → dst_ip
    std::map<Uuid, std::vector<Uuid>> locator_sets_;
    std::map<Uuid, MacRow> ucast_rows_;
    std::map<MacKey, std::set<Uuid>> ucast_by_key_;  // rows per (switch, MAC)
    std::map<Uuid, MacRow> flood_rows_;              // Mcast_Macs_Remote "unknown-dst"
    std::map<Uuid, std::set<Uuid>> flood_rows_by_switch_;

    // What the data plane holds.
    std::map<Uuid, ProgrammedSwitch> programmed_switches_;
    std::map<uint32_t, Uuid> vni_owner_;
    std::map<uint32_t, ProgrammedFlood> programmed_floods_;
    std::map<std::pair<uint32_t, std::string>, std::string> programmed_macs_;  // → remote IP
    std::map<std::string, std::map<uint16_t, uint32_t>> programmed_bindings_;  // port → vlan → vni

    // Marked for the next apply().
    std::set<Uuid> dirty_switches_;
    std::set<Uuid> dirty_floods_;
    std::set<MacKey> dirty_macs_;
    std::set<std::string> dirty_ports_;

    std::map<std::string, std::map<std::string, std::string>> port_faults_;  // port → key → code
    std::map<std::string, std::string> switch_faults_;                       // key → code
    std::map<std::string, std::string> fault_reasons_;                       // key → reason
};

}  // namespace vtep::agent
