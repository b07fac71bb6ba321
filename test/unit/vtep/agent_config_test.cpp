// The agent's configuration: a complete file parses into its fields; each mistake is
// refused with the key that is wrong and what it should be.
#include <catch2/catch.hpp>

#include "vtep/agent_config.h"

using vtep::agent::AgentConfig;
using vtep::agent::AgentConfigError;
using Json = nlohmann::json;

namespace {
Json minimal() {
    return Json{{"switch_name", "br0"}, {"tunnel_ips", {"192.0.2.1"}}};
}

std::string error_of(const Json& json) {
    try {
        AgentConfig::from_json(json);
    } catch (const AgentConfigError& e) {
        return e.what();
    }
    return "accepted";
}
}  // namespace

TEST_CASE("agent configuration parses every key") {
    auto config = AgentConfig::from_json(Json::parse(R"({
        "switch_name": "gw1", "description": "rack 4",
        "management_ips": ["198.51.100.7"], "tunnel_ips": ["192.0.2.1", "192.0.2.2"],
        "uplink": "eth0", "uplink_mtu": 9000,
        "access_ports": ["eth1", {"name": "eth2", "description": "servers", "mac_limit": 16}],
        "settle_ms": 20, "retry_ms": 500, "stats_interval_ms": 2000})"));
    CHECK(config.switch_name == "gw1");
    CHECK(config.description == "rack 4");
    CHECK(config.management_ips == std::vector<std::string>{"198.51.100.7"});
    CHECK(config.tunnel_ips.size() == 2);
    CHECK(config.uplink == "eth0");
    CHECK(config.uplink_mtu == 9000);
    REQUIRE(config.access_ports.size() == 2);
    CHECK(config.access_ports[0].name == "eth1");
    CHECK(config.access_ports[0].mac_limit == 4096);
    CHECK(config.access_ports[1].mac_limit == 16);
    CHECK(config.find_access_port("eth2")->description == "servers");
    CHECK(config.find_access_port("eth3") == nullptr);
    CHECK(config.settle_interval == std::chrono::milliseconds(20));
    CHECK(config.retry_interval == std::chrono::milliseconds(500));
    CHECK(config.stats_interval == std::chrono::milliseconds(2000));
}

TEST_CASE("agent configuration errors name the key and the reason") {
    CHECK(error_of(Json::array()) == "$: expected a JSON object");
    Json j = minimal();
    j.erase("switch_name");
    CHECK(error_of(j).rfind("$.switch_name: missing", 0) == 0);
    j = minimal();
    j["tunnel_ips"] = {"192.0.2.300"};
    CHECK(error_of(j) == "$.tunnel_ips[0]: '192.0.2.300' is not an IPv4 address (dotted quad)");
    j = minimal();
    j["tunnel_ips"] = Json::array();
    CHECK(error_of(j).rfind("$.tunnel_ips: needs at least one", 0) == 0);
    j = minimal();
    j["access_ports"] = {"eth1", "eth1"};
    CHECK(error_of(j) == "$.access_ports[1]: port 'eth1' is listed twice");
    j = minimal();
    j["access_ports"] = {{{"name", "eth1"}, {"mac_limt", 5}}};
    CHECK(error_of(j) == "$.access_ports[0].mac_limt: unknown key (misspelt?)");
    j = minimal();
    j["uplink"] = "eth0";
    j["access_ports"] = {"eth0"};
    CHECK(error_of(j).find("is the uplink") != std::string::npos);
    j = minimal();
    j["settle_ms"] = -1;
    CHECK(error_of(j) == "$.settle_ms: expected an integer from 0 to 10000");
    CHECK(error_of(minimal()) == "accepted");
}
