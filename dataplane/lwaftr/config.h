// lwAFTR configuration: one bind-instance of the IETF softwire model (RFC 8676,
// ietf-softwire-br) in its JSON encoding (RFC 7951), plus our augmentation
// "ovsdb-vtep-lwaftr:aftr" for what the model leaves to the implementation (the AFTR's own
// addresses, interfaces, VLANs, next hops, binding-table file). Schema:
// schemas/lwaftr-config.schema.json; documented example: conf/lwaftr-example.json.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/lwaftr/addresses.h"
#include "dataplane/lwaftr/binding.h"
#include "lwaftr_abi.h"

namespace vtep::lwaftr {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SideConfig {
    std::string device;                      // interface name; empty in offline replay
    MacAddress mac{};                        // ours on this side
    std::optional<MacAddress> next_hop_mac;  // static next hop; otherwise the kernel FIB
    uint16_t vlan_id = 0;                    // 0 = untagged
};

struct Config {
    std::string name;
    uint32_t softwire_num_max = 0;  // 0 = no limit
    uint16_t payload_mtu = 1460;    // softwire-payload-mtu
    uint16_t path_mru = 1540;       // softwire-path-mru
    bool hairpinning = true;
    // icmp-policy
    bool allow_incoming_icmpv4 = true;
    bool generate_icmpv4_errors = true;
    uint32_t icmpv4_rate = 0;
    bool generate_icmpv6_errors = true;
    uint32_t icmpv6_rate = 0;
    // ovsdb-vtep-lwaftr:aftr
    uint32_t aftr_ipv4 = 0;
    std::optional<Ipv6Address> aftr_ipv6;
    bool allow_outgoing_icmpv4 = true;
    bool allow_incoming_icmpv6 = true;
    std::vector<Ipv6Address> br_addresses;  // declared BR addresses, in br_index order
    std::string binding_table_file;         // absolute, or relative to the config file
    SideConfig internet;
    SideConfig b4;
    std::vector<Binding> bindings;  // binding-table/binding-entry
};

// Parses JSON text. instance selects a bind-instance by name; empty means "the only one".
// Throws ConfigError naming the JSON path and what to change.
Config parse_config(const std::string& json_text, const std::string& instance = "");
// Reads and parses a file; a relative binding-table-file is resolved against its folder.
Config load_config(const std::string& path, const std::string& instance = "");

// The program's view. br_addresses are the table's BR addresses in br_index order.
lwaftr_config to_abi(const Config& config, const std::vector<Ipv6Address>& br_addresses,
                     uint32_t internet_ifindex = 0, uint32_t b4_ifindex = 0);

}  // namespace vtep::lwaftr
