#include "dataplane/vtep/static_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "vtep_abi.h"

namespace vtep::dataplane {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw ConfigError(where + ": " + what);
}

const json& member(const json& object, const char* name, const std::string& where) {
    if (!object.contains(name)) bad(where, std::string("missing \"") + name + "\"");
    return object.at(name);
}

std::string text(const json& value, const std::string& where) {
    if (!value.is_string()) bad(where, "expected a string");
    return value.get<std::string>();
}

uint64_t number(const json& value, const std::string& where, uint64_t max) {
    if (!value.is_number_unsigned()) bad(where, "expected a non-negative integer");
    uint64_t n = value.get<uint64_t>();
    if (n > max) bad(where, std::to_string(n) + " is larger than " + std::to_string(max));
    return n;
}

template <typename T, typename Parse>
T parsed(const json& value, const std::string& where, Parse parse) {
    try {
        return parse(text(value, where));
    } catch (const std::invalid_argument& e) {
        bad(where, e.what());
    }
}

Ipv4Address ip(const json& v, const std::string& where) {
    return parsed<Ipv4Address>(v, where,
                               [](const std::string& s) { return Ipv4Address::parse(s); });
}

MacAddress mac(const json& v, const std::string& where) {
    return parsed<MacAddress>(v, where, [](const std::string& s) { return MacAddress::parse(s); });
}

const json& array(const json& object, const char* name, const std::string& where) {
    static const json empty = json::array();
    if (!object.contains(name)) return empty;
    const json& value = object.at(name);
    if (!value.is_array()) bad(where + "." + name, "expected an array");
    return value;
}

std::vector<Ipv4Address> ip_list(const json& object, const char* name, const std::string& where) {
    std::vector<Ipv4Address> out;
    const json& list = array(object, name, where);
    for (size_t i = 0; i < list.size(); ++i)
        out.push_back(ip(list[i], where + "." + name + "[" + std::to_string(i) + "]"));
    return out;
}

uint16_t vlan_of(const json& object, const std::string& where) {
    if (!object.contains("vlan")) return 0;
    return uint16_t(number(object.at("vlan"), where + ".vlan", VTEP_VLAN_MAX));
}

}  // namespace

std::vector<std::string> StaticConfig::port_names() const {
    std::vector<std::string> names{uplink};
    auto add = [&](const std::string& name) {
        if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(name);
    };
    for (const auto& p : ports) add(p.name);
    for (const auto& ls : logical_switches) {
        for (const auto& b : ls.bindings) add(b.port);
        for (const auto& m : ls.local_macs) add(m.port);
    }
    for (const auto& nh : next_hops) add(nh.port);
    return names;
}

StaticConfig parse_static_config(const std::string& json_text) {
    json root;
    try {
        root = json::parse(json_text);
    } catch (const json::parse_error& e) {
        throw ConfigError(std::string("not valid JSON: ") + e.what());
    }
    if (!root.is_object()) bad("$", "expected an object");
    StaticConfig config;
    const json& uplink = member(root, "uplink", "$");
    config.uplink = text(member(uplink, "port", "$.uplink"), "$.uplink.port");
    if (uplink.contains("mac")) config.uplink_mac = mac(uplink.at("mac"), "$.uplink.mac");
    if (uplink.contains("mtu"))
        config.uplink_mtu = uint32_t(number(uplink.at("mtu"), "$.uplink.mtu", 65535));
    config.source_ip = ip(member(uplink, "source_ip", "$.uplink"), "$.uplink.source_ip");
    config.tunnel_ips = ip_list(uplink, "tunnel_ips", "$.uplink");
    if (config.tunnel_ips.empty()) config.tunnel_ips.push_back(config.source_ip);
    if (root.contains("default_mac_limit"))
        config.default_mac_limit =
            uint32_t(number(root.at("default_mac_limit"), "$.default_mac_limit", UINT32_MAX));
    if (root.contains("mac_aging_seconds"))
        config.mac_aging_seconds =
            uint32_t(number(root.at("mac_aging_seconds"), "$.mac_aging_seconds", 86400 * 365));

    const json& ports = array(root, "ports", "$");
    for (size_t i = 0; i < ports.size(); ++i) {
        std::string where = "$.ports[" + std::to_string(i) + "]";
        StaticConfig::Port port;
        port.name = text(member(ports[i], "name", where), where + ".name");
        if (ports[i].contains("mac_limit"))
            port.mac_limit =
                uint32_t(number(ports[i].at("mac_limit"), where + ".mac_limit", UINT32_MAX));
        config.ports.push_back(port);
    }

    std::set<uint32_t> vnis;
    const json& switches = array(root, "logical_switches", "$");
    for (size_t i = 0; i < switches.size(); ++i) {
        std::string where = "$.logical_switches[" + std::to_string(i) + "]";
        const json& object = switches[i];
        StaticConfig::LogicalSwitch ls;
        if (object.contains("name")) ls.name = text(object.at("name"), where + ".name");
        ls.vni = uint32_t(number(member(object, "vni", where), where + ".vni", VTEP_VNI_MAX));
        if (ls.vni == 0) bad(where + ".vni", "VNI 0 means 'not mapped' and is never programmed");
        if (!vnis.insert(ls.vni).second) bad(where + ".vni", "VNI used twice");
        if (object.contains("replication")) {
            std::string mode = text(object.at("replication"), where + ".replication");
            if (mode == "source_node")
                ls.replication = ReplicationMode::source_node;
            else if (mode == "service_node")
                ls.replication = ReplicationMode::service_node;
            else
                bad(where + ".replication", "expected \"source_node\" or \"service_node\"");
        }
        const json& bindings = array(object, "bindings", where);
        for (size_t j = 0; j < bindings.size(); ++j) {
            std::string w = where + ".bindings[" + std::to_string(j) + "]";
            ls.bindings.push_back(
                {text(member(bindings[j], "port", w), w + ".port"), vlan_of(bindings[j], w)});
        }
        const json& remotes = array(object, "remote_macs", where);
        for (size_t j = 0; j < remotes.size(); ++j) {
            std::string w = where + ".remote_macs[" + std::to_string(j) + "]";
            ls.remote_macs.push_back(
                {mac(member(remotes[j], "mac", w), w + ".mac"),
                 ip(member(remotes[j], "remote_vtep", w), w + ".remote_vtep")});
        }
        const json& locals = array(object, "local_macs", where);
        for (size_t j = 0; j < locals.size(); ++j) {
            std::string w = where + ".local_macs[" + std::to_string(j) + "]";
            ls.local_macs.push_back({mac(member(locals[j], "mac", w), w + ".mac"),
                                     text(member(locals[j], "port", w), w + ".port"),
                                     vlan_of(locals[j], w)});
        }
        ls.flood_list = ip_list(object, "flood_list", where);
        ls.service_nodes = ip_list(object, "service_nodes", where);
        config.logical_switches.push_back(std::move(ls));
    }

    const json& next_hops = array(root, "next_hops", "$");
    for (size_t i = 0; i < next_hops.size(); ++i) {
        std::string where = "$.next_hops[" + std::to_string(i) + "]";
        StaticConfig::NextHop nh;
        nh.remote = ip(member(next_hops[i], "remote", where), where + ".remote");
        nh.mac = mac(member(next_hops[i], "mac", where), where + ".mac");
        nh.source_mac = mac(member(next_hops[i], "source_mac", where), where + ".source_mac");
        if (next_hops[i].contains("port")) nh.port = text(next_hops[i].at("port"), where + ".port");
        config.next_hops.push_back(nh);
    }
    return config;
}

StaticConfig load_static_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot open");
    std::stringstream buffer;
    buffer << in.rdbuf();
    try {
        return parse_static_config(buffer.str());
    } catch (const ConfigError& e) {
        throw ConfigError(path + ": " + e.what());
    }
}

void apply_static_config(VtepDataplane& dp, const StaticConfig& config,
                         const PortResolver& resolve) {
    uint32_t uplink = resolve(config.uplink);
    dp.set_uplink(uplink, config.uplink_mtu);
    dp.set_source_ip(config.source_ip);
    for (const auto& ip : config.tunnel_ips) dp.add_tunnel_ip(ip);
    for (const auto& port : config.ports)
        dp.set_port(resolve(port.name), port.mac_limit.value_or(config.default_mac_limit));
    for (const auto& nh : config.next_hops)
        dp.set_static_next_hop(nh.remote, nh.port.empty() ? uplink : resolve(nh.port), nh.mac,
                               nh.source_mac);

    std::set<uint32_t> wanted_vnis;
    std::set<std::pair<uint32_t, uint16_t>> wanted_bindings;
    for (const auto& ls : config.logical_switches) {
        wanted_vnis.insert(ls.vni);
        dp.set_logical_switch(ls.vni, ls.replication);
        dp.set_flood_list(ls.vni, ls.flood_list);
        dp.set_service_nodes(ls.vni, ls.service_nodes);
        for (const auto& b : ls.bindings) {
            uint32_t ifindex = resolve(b.port);
            bool known_port = std::any_of(config.ports.begin(), config.ports.end(),
                                          [&](const auto& p) { return p.name == b.port; });
            if (!known_port) dp.set_port(ifindex, config.default_mac_limit);
            dp.bind_port_vlan(ifindex, b.vlan, ls.vni);
            wanted_bindings.insert({ifindex, b.vlan});
        }
        for (const auto& m : ls.remote_macs) dp.set_remote_mac(ls.vni, m.mac, m.remote_vtep);
        for (const auto& m : ls.local_macs)
            dp.set_static_local_mac(ls.vni, m.mac, resolve(m.port), m.vlan);
    }
    // Remove what the configuration no longer has.
    std::vector<std::pair<uint32_t, uint16_t>> stale_bindings;
    for (const auto& [key, binding] : dp.bindings())
        if (!wanted_bindings.count(key)) stale_bindings.push_back(key);
    for (const auto& key : stale_bindings) dp.unbind_port_vlan(key.first, key.second);
    std::vector<uint32_t> stale_vnis;
    for (const auto& [vni, ls] : dp.logical_switches())
        if (!wanted_vnis.count(vni)) stale_vnis.push_back(vni);
    for (uint32_t vni : stale_vnis) dp.remove_logical_switch(vni);
    std::set<std::pair<uint32_t, MacAddress>> wanted_remote;
    for (const auto& ls : config.logical_switches)
        for (const auto& m : ls.remote_macs) wanted_remote.insert({ls.vni, m.mac});
    for (const auto& [vni, mac, ip] : dp.remote_macs())
        if (!wanted_remote.count({vni, mac})) dp.remove_remote_mac(vni, mac);
}

}  // namespace vtep::dataplane
