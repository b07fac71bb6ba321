// VtepDataplane's control API against the real programs (replay loads, so no devices are
// needed): refusals, learning events, aging, the per-port limit, per-binding statistics,
// pinning and adoption, and reconciling a changed static configuration.
#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "dataplane/vtep/replay_ports.h"
#include "dataplane/vtep/static_config.h"
#include "dataplane/vtep/vtep_dataplane.h"
#include "dataplane/vtep/vtep_replay.h"
#include "vtep_abi.h"

using namespace vtep::dataplane;

namespace {

constexpr uint32_t kUplink = 10, kP1 = 11, kP2 = 12;

std::vector<uint8_t> frame(const char* dst, const char* src, uint16_t vlan) {
    std::vector<uint8_t> f;
    for (uint8_t b : MacAddress::parse(dst).bytes) f.push_back(b);
    for (uint8_t b : MacAddress::parse(src).bytes) f.push_back(b);
    if (vlan) {
        for (uint8_t b : {uint8_t(0x81), uint8_t(0x00), uint8_t(vlan >> 8), uint8_t(vlan)})
            f.push_back(b);
    }
    f.push_back(0x88);  // local experimental ethertype 0x88b5
    f.push_back(0xb5);
    f.resize(f.size() + 46, 0x5a);
    return f;
}

// p1/VLAN100 and p2/VLAN200 in VNI 5000; flood list of one VTEP; a default next hop.
void configure(VtepDataplane& dp, uint32_t p1_mac_limit = 100) {
    dp.set_uplink(kUplink, 1500);
    dp.set_source_ip(Ipv4Address::parse("192.0.2.1"));
    dp.add_tunnel_ip(Ipv4Address::parse("192.0.2.1"));
    dp.set_static_next_hop(Ipv4Address::parse("0.0.0.0"), kUplink,
                           MacAddress::parse("02:00:00:00:ff:fe"),
                           MacAddress::parse("02:00:00:00:ff:01"));
    dp.set_logical_switch(5000, ReplicationMode::source_node);
    dp.set_flood_list(5000, {Ipv4Address::parse("198.51.100.2")});
    dp.set_port(kP1, p1_mac_limit);
    dp.set_port(kP2, 100);
    dp.bind_port_vlan(kP1, 100, 5000);
    dp.bind_port_vlan(kP2, 200, 5000);
}

std::vector<LearnEvent> drain(VtepDataplane& dp) {
    std::vector<LearnEvent> events;
    dp.poll_learn_events(std::chrono::milliseconds(0),
                         [&](const LearnEvent& e) { events.push_back(e); });
    return events;
}

std::string instance_name(const char* what) {
    return std::string("unit-") + what + "-" + std::to_string(getpid());
}

}  // namespace

TEST_CASE("vtep api: refuses VNI 0, bad VLANs and bindings to unknown switches") {
    VtepDataplane dp(OpenOptions{.instance = "", .replay = true});
    CHECK_THROWS_WITH(dp.set_logical_switch(0, ReplicationMode::source_node),
                      Catch::Contains("not mapped"));
    CHECK_THROWS_WITH(dp.bind_port_vlan(kP1, 100, 4242), Catch::Contains("set_logical_switch"));
    dp.set_logical_switch(4242, ReplicationMode::source_node);
    CHECK_THROWS_WITH(dp.bind_port_vlan(kP1, 4095, 4242), Catch::Contains("out of range"));
    std::vector<Ipv4Address> too_many(33, Ipv4Address::parse("198.51.100.9"));
    CHECK_THROWS_WITH(dp.set_flood_list(4242, too_many), Catch::Contains("at most 32"));
    CHECK(dp.logical_switches().size() == 1);
}

TEST_CASE("vtep api: learning reports new MACs and moves on the ring buffer") {
    VtepDataplane dp(OpenOptions{.instance = "", .replay = true});
    configure(dp);
    VtepReplay replay(dp, kUplink);
    replay.process(kP1, frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 100));
    auto events = drain(dp);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == LearnEventType::learned);
    CHECK(events[0].vni == 5000);
    CHECK(events[0].mac.to_string() == "02:00:00:00:00:01");
    CHECK(events[0].ifindex == kP1);
    CHECK(events[0].vlan == 100);

    replay.process(kP1, frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 100));
    CHECK(drain(dp).empty());  // seen again on the same binding: no event

    replay.process(kP2, frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 200));
    events = drain(dp);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == LearnEventType::moved);
    CHECK(events[0].ifindex == kP2);
    CHECK(events[0].vlan == 200);
    CHECK(events[0].old_ifindex == kP1);
    CHECK(events[0].old_vlan == 100);
    auto macs = dp.local_macs();
    REQUIRE(macs.size() == 1);
    CHECK(macs[0].ifindex == kP2);
    CHECK_FALSE(macs[0].is_static);
}

TEST_CASE("vtep api: a MAC flood stops at the port limit without evicting anything") {
    VtepDataplane dp(OpenOptions{.instance = "", .replay = true});
    configure(dp, /*p1_mac_limit=*/3);
    dp.set_static_local_mac(5000, MacAddress::parse("02:00:00:00:0a:02"), kP2, 200);
    VtepReplay replay(dp, kUplink);
    for (int i = 0; i < 50; ++i) {
        char src[18];
        std::snprintf(src, sizeof src, "02:00:00:01:00:%02x", i);
        auto outputs = replay.process(kP1, frame("02:00:00:00:0a:02", src, 100));
        REQUIRE(outputs.size() == 1);  // still forwarded
        CHECK(outputs[0].ifindex == kP2);
    }
    CHECK(dp.counter("learn_new") == 3);
    CHECK(dp.counter("learn_limit") == 47);
    CHECK(dp.local_macs().size() == 4);  // 3 learned + the static one
    CHECK(drain(dp).size() == 3);
}

TEST_CASE("vtep api: aging removes idle learned MACs and frees the port's limit") {
    VtepDataplane dp(OpenOptions{.instance = "", .replay = true});
    configure(dp, /*p1_mac_limit=*/1);
    dp.set_static_local_mac(5000, MacAddress::parse("02:00:00:00:0a:02"), kP2, 200);
    VtepReplay replay(dp, kUplink);
    replay.process(kP1, frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 100));
    replay.process(kP1, frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:02", 100));
    CHECK(dp.counter("learn_limit") == 1);

    CHECK(dp.age_out(std::chrono::hours(1)).empty());
    auto aged = dp.age_out(std::chrono::nanoseconds(0));
    REQUIRE(aged.size() == 1);
    CHECK(aged[0].type == LearnEventType::aged_out);
    CHECK(aged[0].mac.to_string() == "02:00:00:00:00:01");
    REQUIRE(dp.local_macs().size() == 1);  // the static MAC never ages
    CHECK(dp.local_macs()[0].is_static);

    replay.process(kP1, frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:02", 100));
    CHECK(dp.counter("learn_new") == 2);  // room again after aging
}

TEST_CASE("vtep api: per-binding statistics count both directions") {
    VtepDataplane dp(OpenOptions{.instance = "", .replay = true});
    configure(dp);
    dp.set_static_local_mac(5000, MacAddress::parse("02:00:00:00:0a:02"), kP2, 200);
    VtepReplay replay(dp, kUplink);
    auto f = frame("02:00:00:00:0a:02", "02:00:00:00:00:01", 100);
    replay.process(kP1, f);
    replay.process(kP1, f);
    auto p1 = dp.binding_stats(kP1, 100);
    auto p2 = dp.binding_stats(kP2, 200);
    REQUIRE(p1);
    REQUIRE(p2);
    CHECK(p1->packets_from_local == 2);
    CHECK(p1->bytes_from_local == 2 * f.size());
    CHECK(p1->packets_to_local == 0);
    CHECK(p2->packets_to_local == 2);
    CHECK(p2->bytes_to_local == 2 * f.size());
    CHECK_FALSE(dp.binding_stats(kP2, 999));
}

TEST_CASE("vtep api: a pinned instance is adopted with its state, not flushed") {
    auto instance = instance_name("adopt");
    VtepDataplane::remove_pins(instance);
    {
        VtepDataplane first(OpenOptions{.instance = instance, .replay = false});
        CHECK_FALSE(first.adopted());
        configure(first);
        first.set_remote_mac(5000, MacAddress::parse("02:00:00:00:0b:01"),
                             Ipv4Address::parse("198.51.100.2"));
        first.set_static_local_mac(5000, MacAddress::parse("02:00:00:00:0a:02"), kP2, 200);
    }
    CHECK(std::filesystem::exists(std::string(VtepDataplane::kPinRoot) + "/" + instance +
                                  "/vtep_local_macs"));
    {
        VtepDataplane second(OpenOptions{.instance = instance, .replay = false});
        CHECK(second.adopted());
        REQUIRE(second.logical_switches().count(5000));
        CHECK(second.logical_switches().at(5000).flood_list.size() == 1);
        CHECK(second.bindings().size() == 2);
        CHECK(second.remote_macs().size() == 1);
        CHECK(second.local_macs().size() == 1);
        // A new binding must not reuse a statistics slot the adopted ones hold.
        second.bind_port_vlan(kP2, 300, 5000);
        std::set<uint32_t> slots;
        for (const auto& [key, binding] : second.bindings()) slots.insert(binding.stats_index);
        CHECK(slots.size() == 3);
    }
    VtepDataplane::remove_pins(instance);
    CHECK_FALSE(std::filesystem::exists(std::string(VtepDataplane::kPinRoot) + "/" + instance));
}

TEST_CASE("vtep api: adopting pins that lack the derived maps rebuilds them from the records") {
    auto instance = instance_name("adopt-list");
    VtepDataplane::remove_pins(instance);
    std::string list_pin =
        std::string(VtepDataplane::kPinRoot) + "/" + instance + "/vtep_tunnel_ip_list";
    {
        VtepDataplane first(OpenOptions{.instance = instance, .replay = false});
        configure(first);
        first.add_tunnel_ip(Ipv4Address::parse("192.0.2.9"));
    }
    std::string summary_pin =
        std::string(VtepDataplane::kPinRoot) + "/" + instance + "/vtep_next_hop_summary";
    // As an instance pinned before the list and the summary existed leaves it.
    REQUIRE(unlink(list_pin.c_str()) == 0);
    REQUIRE(unlink(summary_pin.c_str()) == 0);
    {
        VtepDataplane second(OpenOptions{.instance = instance, .replay = false});
        CHECK(second.adopted());
        int fd = bpf_obj_get(list_pin.c_str());
        REQUIRE(fd >= 0);
        vtep_tunnel_ip_list list{};
        uint32_t key = 0;
        REQUIRE(bpf_map_lookup_elem(fd, &key, &list) == 0);
        close(fd);
        std::set<uint32_t> ips(list.ips, list.ips + std::min<uint32_t>(list.count, 16));
        CHECK(list.count == 2);
        CHECK(ips == std::set<uint32_t>{Ipv4Address::parse("192.0.2.1").network_order,
                                        Ipv4Address::parse("192.0.2.9").network_order});
        // Removing one rewrites the list the programs read.
        second.remove_tunnel_ip(Ipv4Address::parse("192.0.2.9"));
        fd = bpf_obj_get(list_pin.c_str());
        REQUIRE(fd >= 0);
        REQUIRE(bpf_map_lookup_elem(fd, &key, &list) == 0);
        close(fd);
        CHECK(list.count == 1);
        CHECK(list.ips[0] == Ipv4Address::parse("192.0.2.1").network_order);

        // The default next hop configure() set, without a hash lookup for it.
        fd = bpf_obj_get(summary_pin.c_str());
        REQUIRE(fd >= 0);
        vtep_next_hop_summary summary{};
        REQUIRE(bpf_map_lookup_elem(fd, &key, &summary) == 0);
        close(fd);
        CHECK(summary.has_default == 1);
        CHECK(summary.exact_entries == 0);
        CHECK(summary.default_hop.ifindex == kUplink);
        auto next_hop_mac = MacAddress::parse("02:00:00:00:ff:fe").bytes;
        CHECK(std::equal(next_hop_mac.begin(), next_hop_mac.end(), summary.default_hop.dst_mac));
    }
    VtepDataplane::remove_pins(instance);
}

TEST_CASE("vtep config: reconciling removes what is gone and keeps learned MACs") {
    auto config = parse_static_config(R"({
        "uplink": {"port": "up", "source_ip": "192.0.2.1"},
        "logical_switches": [
          {"vni": 5000, "bindings": [{"port": "a", "vlan": 10}, {"port": "b", "vlan": 20}],
           "remote_macs": [{"mac": "02:00:00:00:0b:01", "remote_vtep": "198.51.100.2"}]},
          {"vni": 6000, "bindings": [{"port": "a", "vlan": 30}]}]})");
    ReplayPorts ports(config);
    VtepDataplane dp(OpenOptions{.instance = "", .replay = true});
    apply_static_config(dp, config, ports.resolver());
    CHECK(dp.bindings().size() == 3);
    VtepReplay replay(dp, ports.uplink());
    replay.process(ports.ifindex("a"), frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 10));
    REQUIRE(dp.local_macs().size() == 1);

    config.logical_switches.pop_back();              // VNI 6000 goes away
    config.logical_switches[0].bindings.pop_back();  // and b/20
    config.logical_switches[0].remote_macs.clear();
    apply_static_config(dp, config, ports.resolver());
    CHECK(dp.logical_switches().size() == 1);
    CHECK(dp.bindings().size() == 1);
    CHECK(dp.remote_macs().empty());
    CHECK(dp.local_macs().size() == 1);  // learned on a/10, which stays
}

TEST_CASE("vtep config: errors name the place and what is wrong") {
    CHECK_THROWS_WITH(parse_static_config("{"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_static_config("{}"), Catch::Contains("missing \"uplink\""));
    const char* vni_zero = R"({"uplink": {"port": "u", "source_ip": "192.0.2.1"},
        "logical_switches": [{"vni": 0}]})";
    CHECK_THROWS_WITH(parse_static_config(vni_zero),
                      Catch::Contains("$.logical_switches[0].vni") && Catch::Contains("VNI 0"));
    const char* bad_mac = R"({"uplink": {"port": "u", "source_ip": "192.0.2.1"},
        "logical_switches": [{"vni": 1, "remote_macs": [{"mac": "zz", "remote_vtep": "1.2.3.4"}]}]})";
    CHECK_THROWS_WITH(parse_static_config(bad_mac),
                      Catch::Contains("remote_macs[0].mac") && Catch::Contains("not a MAC"));
    const char* bad_mode = R"({"uplink": {"port": "u", "source_ip": "192.0.2.1"},
        "logical_switches": [{"vni": 1, "replication": "flood"}]})";
    CHECK_THROWS_WITH(parse_static_config(bad_mode), Catch::Contains("service_node"));
}
