#include <catch2/catch.hpp>

#include "dataplane/lwaftr/config.h"

using namespace vtep::lwaftr;

namespace {
const std::string kSource = VTEP_SOURCE_DIR;

std::string minimal(const std::string& instance_extra, const std::string& aftr_extra = "") {
    return R"({"ietf-softwire-br:br-instances": {"binding": {"bind-instance": [{
        "name": "a", )" +
           instance_extra + R"(
        "ovsdb-vtep-lwaftr:aftr": {)" +
           aftr_extra + R"(
          "ipv4-address": "192.0.2.1",
          "internet-interface": {"mac": "02:00:00:00:00:01", "next-hop": {"fib": true}},
          "b4-interface": {"mac": "02:00:00:00:00:02", "vlan-id": 7,
                           "next-hop": {"mac": "02:00:00:00:00:03"}}}}]}}})";
}
}  // namespace

TEST_CASE("lwaftr config: the documented example loads") {
    Config config = load_config(kSource + "/conf/lwaftr-example.json");
    CHECK(config.name == "aftr-1");
    CHECK(config.payload_mtu == 1460);
    CHECK(config.path_mru == 1540);
    CHECK(config.hairpinning);
    CHECK(config.bindings.size() == 3);
    CHECK(config.internet.vlan_id == 0);
    CHECK(config.b4.next_hop_mac.has_value());
    CHECK(config.binding_table_file.empty());
}

TEST_CASE("lwaftr config: defaults, FIB next hops and the program's view") {
    Config config = parse_config(minimal(""));
    CHECK(config.payload_mtu == 1460);
    CHECK(config.generate_icmpv4_errors);
    CHECK_FALSE(config.internet.next_hop_mac);
    auto abi = to_abi(config, {*parse_ipv6("2001:db8::100")});
    CHECK(abi.magic == LWAFTR_CONFIG_MAGIC);
    CHECK((abi.internet.flags & LWAFTR_SIDE_USE_FIB) != 0);
    CHECK((abi.b4.flags & LWAFTR_SIDE_USE_FIB) == 0);
    CHECK(abi.b4.vlan_id == 7);
    CHECK(abi.br_count == 1);
    CHECK((abi.flags & LWAFTR_F_HAIRPINNING) != 0);
}

TEST_CASE("lwaftr config: errors name the JSON path and the fix") {
    CHECK_THROWS_WITH(parse_config("{"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_config("{}"),
                      Catch::Contains("missing 'ietf-softwire-br:br-instances'"));
    CHECK_THROWS_WITH(parse_config(minimal(R"("softwire-payload-mtu": "big",)")),
                      Catch::Contains("softwire-payload-mtu: must be a non-negative integer"));
    CHECK_THROWS_WITH(parse_config(minimal(R"("tunnel-mtu": 1,)")),
                      Catch::Contains("tunnel-mtu: unknown member"));
    CHECK_THROWS_WITH(parse_config(minimal(
                          R"("binding-table": {"binding-entry": [{"binding-ipv6info": "2001:db8::1",
            "binding-ipv4-addr": "198.51.100.1", "br-ipv6-addr": "2001:db8::100",
            "port-set": {"psid-offset": 6, "psid-len": 6, "psid": 64}}]},)")),
                      Catch::Contains("binding-entry[1]/port-set: psid does not fit"));
    CHECK_THROWS_WITH(parse_config(minimal("", R"("ipv6-address": "nope",)")),
                      Catch::Contains("ipv6-address: 'nope' is not an IPv6 address"));
}
