#include "dataplane/lwaftr/config.h"

#include <arpa/inet.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace vtep::lwaftr {
namespace {

using nlohmann::json;

constexpr const char* kRoot = "ietf-softwire-br:br-instances";
constexpr const char* kAftr = "ovsdb-vtep-lwaftr:aftr";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw ConfigError(path + ": " + what);
}

const json* member(const json& object, const char* name) {
    auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

const json& require_object(const json& value, const std::string& path) {
    if (!value.is_object()) fail(path, "must be a JSON object");
    return value;
}

// RFC 7951 encodes 64-bit numbers as strings but smaller ones as numbers; accept both
// for robustness with hand-written files only where the model says uint32 or smaller.
uint64_t read_unsigned(const json& object, const char* name, const std::string& path, uint64_t max,
                       uint64_t fallback) {
    const json* value = member(object, name);
    if (!value) return fallback;
    std::string where = path + "/" + name;
    if (!value->is_number_unsigned()) fail(where, "must be a non-negative integer");
    uint64_t n = value->get<uint64_t>();
    if (n > max) fail(where, std::to_string(n) + " is larger than " + std::to_string(max));
    return n;
}

bool read_bool(const json& object, const char* name, const std::string& path, bool fallback) {
    const json* value = member(object, name);
    if (!value) return fallback;
    if (!value->is_boolean()) fail(path + "/" + name, "must be true or false");
    return value->get<bool>();
}

std::string read_string(const json& object, const char* name, const std::string& path) {
    const json* value = member(object, name);
    if (!value) return "";
    if (!value->is_string()) fail(path + "/" + name, "must be a string");
    return value->get<std::string>();
}

uint32_t read_ipv4(const json& object, const char* name, const std::string& path, bool required) {
    std::string text = read_string(object, name, path);
    if (text.empty()) {
        if (required) fail(path + "/" + name, "is required (an IPv4 address)");
        return 0;
    }
    auto address = parse_ipv4(text);
    if (!address) fail(path + "/" + name, "'" + text + "' is not an IPv4 address");
    return *address;
}

std::optional<Ipv6Address> read_ipv6(const json& object, const char* name, const std::string& path,
                                     bool required) {
    std::string text = read_string(object, name, path);
    if (text.empty()) {
        if (required) fail(path + "/" + name, "is required (an IPv6 address)");
        return std::nullopt;
    }
    // binding-ipv6info may be a prefix; a /128 is the address itself.
    if (auto slash = text.find('/'); slash != std::string::npos) {
        if (text.substr(slash) != "/128")
            fail(path + "/" + name, "'" + text +
                                        "': only whole addresses (or /128) are supported as "
                                        "B4 bindings");
        text.resize(slash);
    }
    auto address = parse_ipv6(text);
    if (!address) fail(path + "/" + name, "'" + text + "' is not an IPv6 address");
    return address;
}

MacAddress read_mac(const json& object, const char* name, const std::string& path) {
    std::string text = read_string(object, name, path);
    auto mac = parse_mac(text);
    if (!mac) fail(path + "/" + name, "'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
    return *mac;
}

void check_members(const json& object, const std::string& path,
                   std::initializer_list<const char*> known) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        bool ok = false;
        for (const char* k : known) ok = ok || it.key() == k;
        if (!ok) fail(path + "/" + it.key(), "unknown member (misspelt, or from another model?)");
    }
}

SideConfig read_side(const json& aftr, const char* name, const std::string& path) {
    SideConfig side;
    const json* value = member(aftr, name);
    if (!value) fail(path + "/" + name, "is required");
    std::string here = path + "/" + name;
    require_object(*value, here);
    check_members(*value, here, {"device", "mac", "vlan-id", "next-hop"});
    side.device = read_string(*value, "device", here);
    side.mac = read_mac(*value, "mac", here);
    side.vlan_id = static_cast<uint16_t>(read_unsigned(*value, "vlan-id", here, 4094, 0));
    if (const json* next = member(*value, "next-hop")) {
        std::string nh = here + "/next-hop";
        require_object(*next, nh);
        check_members(*next, nh, {"mac", "fib"});
        bool fib = read_bool(*next, "fib", nh, false);
        if (member(*next, "mac")) {
            if (fib) fail(nh, "give either 'mac' (static next hop) or 'fib': true, not both");
            side.next_hop_mac = read_mac(*next, "mac", nh);
        } else if (!fib) {
            fail(nh, "needs 'mac' (static next hop) or 'fib': true (kernel routing)");
        }
    }
    return side;
}

Binding read_binding(const json& entry, const std::string& path) {
    require_object(entry, path);
    check_members(entry, path,
                  {"binding-ipv6info", "binding-ipv4-addr", "port-set", "br-ipv6-addr"});
    Binding b;
    b.b4_ipv6 = *read_ipv6(entry, "binding-ipv6info", path, true);
    b.ipv4 = read_ipv4(entry, "binding-ipv4-addr", path, true);
    b.br_ipv6 = *read_ipv6(entry, "br-ipv6-addr", path, true);
    if (const json* set = member(entry, "port-set")) {
        std::string here = path + "/port-set";
        require_object(*set, here);
        check_members(*set, here, {"psid-offset", "psid-len", "psid"});
        b.port_set.psid_offset =
            static_cast<uint8_t>(read_unsigned(*set, "psid-offset", here, 15, 0));
        b.port_set.psid_len = static_cast<uint8_t>(read_unsigned(*set, "psid-len", here, 16, 0));
        b.port_set.psid = static_cast<uint16_t>(read_unsigned(*set, "psid", here, 0xffff, 0));
        if (const char* problem = port_set_problem(b.port_set); *problem) fail(here, problem);
    }
    return b;
}

}  // namespace

Config parse_config(const std::string& json_text, const std::string& instance) {
    json doc;
    try {
        doc = json::parse(json_text);
    } catch (const json::parse_error& e) {
        throw ConfigError(std::string("configuration is not valid JSON: ") + e.what());
    }
    require_object(doc, "/");
    const json* root = member(doc, kRoot);
    if (!root) fail("/", std::string("missing '") + kRoot + "' (RFC 8676 in RFC 7951 JSON)");
    std::string path = std::string("/") + kRoot;
    require_object(*root, path);
    const json* binding = member(*root, "binding");
    if (!binding) fail(path, "missing 'binding' (only binding mode, RFC 7596, is supported)");
    path += "/binding";
    require_object(*binding, path);
    const json* instances = member(*binding, "bind-instance");
    if (!instances || !instances->is_array() || instances->empty())
        fail(path + "/bind-instance", "must be a non-empty list");
    const json* chosen = nullptr;
    for (const auto& candidate : *instances) {
        if (!candidate.is_object()) fail(path + "/bind-instance", "entries must be objects");
        std::string name = read_string(candidate, "name", path + "/bind-instance");
        if (instance.empty() ? instances->size() == 1 : name == instance) chosen = &candidate;
    }
    if (!chosen) {
        if (instance.empty())
            fail(path + "/bind-instance", "has several instances; choose one by name");
        fail(path + "/bind-instance", "no instance named '" + instance + "'");
    }
    Config config;
    config.name = read_string(*chosen, "name", path + "/bind-instance");
    if (config.name.empty()) fail(path + "/bind-instance", "every instance needs a 'name'");
    path += "/bind-instance[name='" + config.name + "']";
    const json& bi = *chosen;
    check_members(bi, path,
                  {"name", "softwire-num-max", "softwire-path-mru", "softwire-payload-mtu",
                   "enable-hairpinning", "binding-table", "icmp-policy", "traffic-stat", kAftr});
    config.softwire_num_max =
        static_cast<uint32_t>(read_unsigned(bi, "softwire-num-max", path, 0xffffffffu, 0));
    config.payload_mtu =
        static_cast<uint16_t>(read_unsigned(bi, "softwire-payload-mtu", path, 65535, 1460));
    config.path_mru =
        static_cast<uint16_t>(read_unsigned(bi, "softwire-path-mru", path, 65535, 1540));
    if (config.payload_mtu < 68) fail(path + "/softwire-payload-mtu", "must be at least 68");
    if (config.path_mru < 1280) fail(path + "/softwire-path-mru", "must be at least 1280");
    config.hairpinning = read_bool(bi, "enable-hairpinning", path, true);

    if (const json* policy = member(bi, "icmp-policy")) {
        std::string here = path + "/icmp-policy";
        require_object(*policy, here);
        check_members(*policy, here, {"icmpv4-errors", "icmpv6-errors"});
        if (const json* v4 = member(*policy, "icmpv4-errors")) {
            std::string p4 = here + "/icmpv4-errors";
            require_object(*v4, p4);
            check_members(*v4, p4,
                          {"allow-incoming-icmpv4", "generate-icmpv4-errors", "icmpv4-rate"});
            config.allow_incoming_icmpv4 = read_bool(*v4, "allow-incoming-icmpv4", p4, true);
            config.generate_icmpv4_errors = read_bool(*v4, "generate-icmpv4-errors", p4, true);
            config.icmpv4_rate =
                static_cast<uint32_t>(read_unsigned(*v4, "icmpv4-rate", p4, 0xffffffffu, 0));
        }
        if (const json* v6 = member(*policy, "icmpv6-errors")) {
            std::string p6 = here + "/icmpv6-errors";
            require_object(*v6, p6);
            check_members(*v6, p6, {"generate-icmpv6-errors", "icmpv6-rate"});
            config.generate_icmpv6_errors = read_bool(*v6, "generate-icmpv6-errors", p6, true);
            config.icmpv6_rate =
                static_cast<uint32_t>(read_unsigned(*v6, "icmpv6-rate", p6, 0xffffffffu, 0));
        }
    }

    const json* aftr = member(bi, kAftr);
    std::string ap = path + "/" + kAftr;
    if (!aftr) fail(ap, "is required: the AFTR's addresses and interfaces");
    require_object(*aftr, ap);
    check_members(
        *aftr, ap,
        {"ipv4-address", "ipv6-address", "br-ipv6-addresses", "allow-outgoing-icmpv4",
         "allow-incoming-icmpv6", "binding-table-file", "internet-interface", "b4-interface"});
    config.aftr_ipv4 = read_ipv4(*aftr, "ipv4-address", ap, true);
    config.aftr_ipv6 = read_ipv6(*aftr, "ipv6-address", ap, false);
    config.allow_outgoing_icmpv4 = read_bool(*aftr, "allow-outgoing-icmpv4", ap, true);
    config.allow_incoming_icmpv6 = read_bool(*aftr, "allow-incoming-icmpv6", ap, true);
    config.binding_table_file = read_string(*aftr, "binding-table-file", ap);
    if (const json* brs = member(*aftr, "br-ipv6-addresses")) {
        std::string bp = ap + "/br-ipv6-addresses";
        if (!brs->is_array()) fail(bp, "must be a list of IPv6 addresses");
        for (const auto& br : *brs) {
            auto address = br.is_string() ? parse_ipv6(br.get<std::string>()) : std::nullopt;
            if (!address) fail(bp, br.dump() + " is not an IPv6 address");
            config.br_addresses.push_back(*address);
        }
        if (config.br_addresses.size() > LWAFTR_MAX_BR_ADDRESSES)
            fail(bp, "at most " + std::to_string(LWAFTR_MAX_BR_ADDRESSES) + " BR addresses");
    }
    config.internet = read_side(*aftr, "internet-interface", ap);
    config.b4 = read_side(*aftr, "b4-interface", ap);

    if (const json* table = member(bi, "binding-table")) {
        std::string tp = path + "/binding-table";
        require_object(*table, tp);
        check_members(*table, tp, {"binding-entry"});
        if (const json* entries = member(*table, "binding-entry")) {
            if (!entries->is_array()) fail(tp + "/binding-entry", "must be a list");
            config.bindings.reserve(entries->size());
            for (size_t i = 0; i < entries->size(); i++)
                config.bindings.push_back(read_binding(
                    (*entries)[i], tp + "/binding-entry[" + std::to_string(i + 1) + "]"));
        }
    }
    if (config.softwire_num_max && config.bindings.size() > config.softwire_num_max)
        fail(path + "/softwire-num-max", "the binding table has " +
                                             std::to_string(config.bindings.size()) +
                                             " entries, more than softwire-num-max");
    return config;
}

Config load_config(const std::string& path, const std::string& instance) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    Config config;
    try {
        config = parse_config(text.str(), instance);
    } catch (const ConfigError& e) {
        throw ConfigError(path + ": " + e.what());
    }
    if (!config.binding_table_file.empty() &&
        std::filesystem::path(config.binding_table_file).is_relative())
        config.binding_table_file =
            (std::filesystem::path(path).parent_path() / config.binding_table_file).string();
    return config;
}

lwaftr_config to_abi(const Config& config, const std::vector<Ipv6Address>& br_addresses,
                     uint32_t internet_ifindex, uint32_t b4_ifindex) {
    lwaftr_config abi{};
    abi.magic = LWAFTR_CONFIG_MAGIC;
    if (config.hairpinning) abi.flags |= LWAFTR_F_HAIRPINNING;
    if (config.allow_incoming_icmpv4) abi.flags |= LWAFTR_F_ALLOW_INCOMING_ICMPV4;
    if (config.allow_outgoing_icmpv4) abi.flags |= LWAFTR_F_ALLOW_OUTGOING_ICMPV4;
    if (config.generate_icmpv4_errors) abi.flags |= LWAFTR_F_GENERATE_ICMPV4_ERRORS;
    if (config.allow_incoming_icmpv6) abi.flags |= LWAFTR_F_ALLOW_INCOMING_ICMPV6;
    if (config.generate_icmpv6_errors) abi.flags |= LWAFTR_F_GENERATE_ICMPV6_ERRORS;
    abi.aftr_ipv4 = htonl(config.aftr_ipv4);
    abi.payload_mtu = config.payload_mtu;
    abi.path_mru = config.path_mru;
    abi.icmpv4_rate = config.icmpv4_rate;
    abi.icmpv6_rate = config.icmpv6_rate;
    if (br_addresses.size() > LWAFTR_MAX_BR_ADDRESSES)
        throw ConfigError("more than " + std::to_string(LWAFTR_MAX_BR_ADDRESSES) + " BR addresses");
    abi.br_count = static_cast<uint32_t>(br_addresses.size());
    for (size_t i = 0; i < br_addresses.size(); i++)
        std::memcpy(abi.br_ipv6[i], br_addresses[i].data(), 16);
    Ipv6Address source = config.aftr_ipv6       ? *config.aftr_ipv6
                         : br_addresses.empty() ? Ipv6Address{}
                                                : br_addresses[0];
    std::memcpy(abi.aftr_ipv6, source.data(), 16);
    auto side = [](const SideConfig& in, uint32_t ifindex) {
        lwaftr_side out{};
        std::memcpy(out.mac, in.mac.data(), 6);
        if (in.next_hop_mac)
            std::memcpy(out.next_hop_mac, in.next_hop_mac->data(), 6);
        else
            out.flags |= LWAFTR_SIDE_USE_FIB;
        out.vlan_id = in.vlan_id;
        out.ifindex = ifindex;
        return out;
    };
    abi.internet = side(config.internet, internet_ifindex);
    abi.b4 = side(config.b4, b4_ifindex);
    return abi;
}

}  // namespace vtep::lwaftr
