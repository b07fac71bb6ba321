#include "vtep/agent_config.h"

#include <arpa/inet.h>

#include <set>

namespace vtep::agent {

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& why) {
    throw AgentConfigError(path + ": " + why);
}

std::string read_string(const Json& json, const std::string& path, bool allow_empty) {
    if (!json.is_string() || (!allow_empty && json.get_ref<const std::string&>().empty()))
        fail(path, allow_empty ? "expected a string" : "expected a non-empty string");
    return json.get<std::string>();
}

std::string read_ipv4(const Json& json, const std::string& path) {
    std::string text = read_string(json, path, false);
    in_addr address{};
    if (inet_pton(AF_INET, text.c_str(), &address) != 1)
        fail(path, "'" + text + "' is not an IPv4 address (dotted quad)");
    return text;
}

std::vector<std::string> read_ip_list(const Json& json, const std::string& path) {
    if (!json.is_array()) fail(path, "expected an array of IPv4 addresses");
    std::vector<std::string> out;
    for (size_t i = 0; i < json.size(); ++i)
        out.push_back(read_ipv4(json[i], path + "[" + std::to_string(i) + "]"));
    return out;
}

uint64_t read_unsigned(const Json& json, const std::string& path, uint64_t min, uint64_t max) {
    // Parsed text gives unsigned numbers, JSON built in code signed ones: accept both.
    const bool in_range = json.is_number_integer() && json.get<int64_t>() >= 0 &&
                          json.get<uint64_t>() >= min && json.get<uint64_t>() <= max;
    if (!in_range)
        fail(path,
             "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return json.get<uint64_t>();
}

void check_keys(const Json& object, const std::string& path, const std::set<std::string>& known) {
    for (const auto& [key, value] : object.items()) {
        if (!known.count(key)) fail(path + "." + key, "unknown key (misspelt?)");
    }
}

AccessPortConfig read_access_port(const Json& json, const std::string& path) {
    AccessPortConfig port;
    if (json.is_string()) {
        port.name = read_string(json, path, false);
        return port;
    }
    if (!json.is_object()) fail(path, "expected an interface name or {\"name\": ...}");
    check_keys(json, path, {"name", "description", "mac_limit"});
    if (!json.contains("name")) fail(path + ".name", "missing: every access port needs a name");
    port.name = read_string(json["name"], path + ".name", false);
    if (json.contains("description"))
        port.description = read_string(json["description"], path + ".description", true);
    if (json.contains("mac_limit"))
        port.mac_limit =
            uint32_t(read_unsigned(json["mac_limit"], path + ".mac_limit", 0, 1u << 24));
    return port;
}

}  // namespace

AgentConfig AgentConfig::from_json(const Json& json) {
    if (!json.is_object()) fail("$", "expected a JSON object");
    check_keys(json, "$",
               {"switch_name", "description", "management_ips", "tunnel_ips", "uplink",
                "uplink_mtu", "access_ports", "settle_ms", "retry_ms", "stats_interval_ms"});
    AgentConfig config;
    if (!json.contains("switch_name"))
        fail("$.switch_name", "missing: the Physical_Switch name this agent publishes");
    config.switch_name = read_string(json["switch_name"], "$.switch_name", false);
    if (json.contains("description"))
        config.description = read_string(json["description"], "$.description", true);
    if (json.contains("management_ips"))
        config.management_ips = read_ip_list(json["management_ips"], "$.management_ips");
    if (!json.contains("tunnel_ips"))
        fail("$.tunnel_ips", "missing: at least one IPv4 address VXLAN tunnels end on");
    config.tunnel_ips = read_ip_list(json["tunnel_ips"], "$.tunnel_ips");
    if (config.tunnel_ips.empty())
        fail("$.tunnel_ips", "needs at least one IPv4 address VXLAN tunnels end on");
    if (json.contains("uplink")) config.uplink = read_string(json["uplink"], "$.uplink", false);
    if (json.contains("uplink_mtu"))
        config.uplink_mtu = uint32_t(read_unsigned(json["uplink_mtu"], "$.uplink_mtu", 576, 65535));
    if (json.contains("access_ports")) {
        const Json& ports = json["access_ports"];
        if (!ports.is_array()) fail("$.access_ports", "expected an array of ports");
        std::set<std::string> names;
        for (size_t i = 0; i < ports.size(); ++i) {
            std::string path = "$.access_ports[" + std::to_string(i) + "]";
            AccessPortConfig port = read_access_port(ports[i], path);
            if (!names.insert(port.name).second)
                fail(path, "port '" + port.name + "' is listed twice");
            if (port.name == config.uplink)
                fail(path,
                     "port '" + port.name + "' is the uplink; it cannot also be an access port");
            config.access_ports.push_back(std::move(port));
        }
    }
    if (json.contains("settle_ms"))
        config.settle_interval =
            std::chrono::milliseconds(read_unsigned(json["settle_ms"], "$.settle_ms", 0, 10000));
    if (json.contains("retry_ms"))
        config.retry_interval =
            std::chrono::milliseconds(read_unsigned(json["retry_ms"], "$.retry_ms", 10, 600000));
    if (json.contains("stats_interval_ms"))
        config.stats_interval = std::chrono::milliseconds(
            read_unsigned(json["stats_interval_ms"], "$.stats_interval_ms", 100, 3600000));
    return config;
}

const AccessPortConfig* AgentConfig::find_access_port(const std::string& name) const {
    for (const auto& port : access_ports)
        if (port.name == name) return &port;
    return nullptr;
}

}  // namespace vtep::agent
