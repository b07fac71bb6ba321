// The static VTEP configuration file (JSON): what `ovsdb-vtep replay vtep --config`
// takes, and what drives a data plane before the VTEP agent exists. The format is
// documented in dataplane/vtep/README.md. Ports are named; a PortResolver turns names
// into ifindexes (the kernel's for a live data plane, made-up ones for replay).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/vtep/addresses.h"
#include "dataplane/vtep/vtep_dataplane.h"

namespace vtep::dataplane {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct StaticConfig {
    struct Port {
        std::string name;
        std::optional<uint32_t> mac_limit;
    };
    struct Binding {
        std::string port;
        uint16_t vlan = 0;
    };
    struct RemoteMac {
        MacAddress mac;
        Ipv4Address remote_vtep;
    };
    struct LocalMac {
        MacAddress mac;
        std::string port;
        uint16_t vlan = 0;
    };
    struct LogicalSwitch {
        std::string name;
        uint32_t vni = 0;
        ReplicationMode replication = ReplicationMode::source_node;
        std::vector<Binding> bindings;
        std::vector<RemoteMac> remote_macs;
        std::vector<LocalMac> local_macs;
        std::vector<Ipv4Address> flood_list;
        std::vector<Ipv4Address> service_nodes;
    };
    struct NextHop {
        Ipv4Address remote;  // 0.0.0.0: default
        MacAddress mac;
        MacAddress source_mac;
        std::string port;  // empty: the uplink
    };

    std::string uplink;
    std::optional<MacAddress> uplink_mac;  // source MAC for next hops given without one
    uint32_t uplink_mtu = 1500;
    Ipv4Address source_ip;
    std::vector<Ipv4Address> tunnel_ips;  // defaults to [source_ip]
    uint32_t default_mac_limit = 4096;
    uint32_t mac_aging_seconds = 300;
    std::vector<Port> ports;
    std::vector<LogicalSwitch> logical_switches;
    std::vector<NextHop> next_hops;

    // Every port name the configuration mentions, the uplink first.
    std::vector<std::string> port_names() const;
};

// Parses the JSON text; errors name the JSON path and what is expected.
StaticConfig parse_static_config(const std::string& json_text);
StaticConfig load_static_config(const std::string& path);

using PortResolver = std::function<uint32_t(const std::string& name)>;

// Programs the data plane to match the configuration: adds and changes what differs and
// removes logical switches, bindings and remote MACs that the configuration no longer
// has. Learned MACs are kept (a restart reconciles, it does not flush).
void apply_static_config(VtepDataplane& dataplane, const StaticConfig& config,
                         const PortResolver& resolve);

}  // namespace vtep::dataplane
