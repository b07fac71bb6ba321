// The VTEP agent's configuration: who this switch is (published in Physical_Switch),
// its ports, and its timers. Parsed from a JSON object (conf/agent-example.json).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtep::agent {

// A configuration that cannot be used; what() names the key and says what is expected,
// e.g. "$.access_ports[1].name: expected a non-empty string".
struct AgentConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct AccessPortConfig {
    std::string name;  // the Linux interface, also the Physical_Port name
    std::string description;
    uint32_t mac_limit = 4096;  // learned MACs on this port; 0 disables learning
};

struct AgentConfig {
    std::string switch_name;  // Physical_Switch name (required)
    std::string description;
    std::vector<std::string> management_ips;
    std::vector<std::string> tunnel_ips;  // IPv4; the first is the outer source address
    std::string uplink;                   // underlay interface (may be empty in tests)
    uint32_t uplink_mtu = 1500;
    std::vector<AccessPortConfig> access_ports;
    // How long remote changes settle before they are programmed (0: at the end of the
    // event-loop turn that brought them). Controllers flap bindings within a few ms.
    std::chrono::milliseconds settle_interval{0};
    // How soon a change that could not be programmed is tried again.
    std::chrono::milliseconds retry_interval{1000};
    std::chrono::milliseconds stats_interval{5000};

    static AgentConfig from_json(const nlohmann::json& json);
    const AccessPortConfig* find_access_port(const std::string& name) const;
};

}  // namespace vtep::agent
