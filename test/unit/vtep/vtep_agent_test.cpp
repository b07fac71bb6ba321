// The agent against a real in-process server, with a recording data plane: it publishes
// this switch, programs what the controller writes in a safe order, ignores unmapped
// switches, absorbs binding flaps, reports faults and recovers, and reconciles after a
// reconnection without flushing.
#include <catch2/catch.hpp>

#include "ovsdb/builtin_schemas.h"
#include "ovsdb/database.h"
#include "recording_ops.h"
#include "rpc/ovsdb_server.h"
#include "vtep/vtep_agent.h"

using vtep::agent::AgentConfig;
using vtep::agent::VtepAgent;
using Json = nlohmann::json;
namespace asio = boost::asio;

namespace {

struct Fixture {
    asio::io_context io;
    vtep::rpc::OvsdbServer server{io};
    RecordingOps ops;

    Fixture() {
        auto schema =
            vtep::ovsdb::DatabaseSchema::from_json(Json::parse(vtep::ovsdb::kVtepSchemaJson));
        REQUIRE(schema);
        server.add_memory_database(std::make_unique<vtep::ovsdb::Database>(*schema));
    }

    static AgentConfig config(std::vector<std::string> ports = {"eth1", "eth2"}) {
        Json j = {{"switch_name", "gw1"},
                  {"description", "test gateway"},
                  {"management_ips", {"198.51.100.7"}},
                  {"tunnel_ips", {"192.0.2.1"}},
                  {"access_ports", ports},
                  {"retry_ms", 10}};
        return AgentConfig::from_json(j);
    }

    // Runs the event loop until 'done' holds (or fails after two seconds).
    template <typename Pred>
    void run_until(Pred done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io.restart();
            io.run_for(std::chrono::milliseconds(2));
        }
        REQUIRE(done());
    }

    Json transact(Json ops_array) {
        Json params = Json::array({"hardware_vtep"});
        for (auto& op : ops_array) params.push_back(op);
        Json result = server.transact(params);
        INFO(result.dump());
        for (const auto& r : result) REQUIRE_FALSE(r.contains("error"));
        return result;
    }
    Json select(const std::string& table) {
        return transact(Json::array(
            {{{"op", "select"}, {"table", table}, {"where", Json::array()}}}))[0]["rows"];
    }
    // One port row of this switch by name.
    Json port(const std::string& name) {
        for (auto& row : select("Physical_Port"))
            if (row["name"] == name) return row;
        return nullptr;
    }
};

std::string uuid_of(const Json& insert_result) {
    return insert_result["uuid"][1].get<std::string>();
}

// A controller's writes: a logical switch with a VNI, a remote MAC behind one VTEP and an
// unknown-dst flood list of two VTEPs.
Json controller_switch_ops(int64_t vni) {
    return Json::array(
        {{{"op", "insert"},
          {"table", "Logical_Switch"},
          {"row", {{"name", "ls1"}, {"tunnel_key", vni}}},
          {"uuid-name", "ls"}},
         {{"op", "insert"},
          {"table", "Physical_Locator"},
          {"row", {{"encapsulation_type", "vxlan_over_ipv4"}, {"dst_ip", "198.51.100.2"}}},
          {"uuid-name", "l1"}},
         {{"op", "insert"},
          {"table", "Physical_Locator"},
          {"row", {{"encapsulation_type", "vxlan_over_ipv4"}, {"dst_ip", "198.51.100.3"}}},
          {"uuid-name", "l2"}},
         {{"op", "insert"},
          {"table", "Physical_Locator_Set"},
          {"row",
           {{"locators", Json::array({"set", Json::array({Json::array({"named-uuid", "l1"}),
                                                          Json::array({"named-uuid", "l2"})})})}}},
          {"uuid-name", "set"}},
         {{"op", "insert"},
          {"table", "Ucast_Macs_Remote"},
          {"row",
           {{"MAC", "02:00:00:00:0B:01"},
            {"logical_switch", Json::array({"named-uuid", "ls"})},
            {"locator", Json::array({"named-uuid", "l1"})}}}},
         {{"op", "insert"},
          {"table", "Mcast_Macs_Remote"},
          {"row",
           {{"MAC", "unknown-dst"},
            {"logical_switch", Json::array({"named-uuid", "ls"})},
            {"locator_set", Json::array({"named-uuid", "set"})}}}}});
}

Json bind_op(const std::string& port, int vlan, const std::string& ls_uuid) {
    return {{"op", "mutate"},
            {"table", "Physical_Port"},
            {"where", Json::array({Json::array({"name", "==", port})})},
            {"mutations",
             Json::array({Json::array(
                 {"vlan_bindings", "insert",
                  Json::array({"map", Json::array({Json::array(
                                          {vlan, Json::array({"uuid", ls_uuid})})})})})})}};
}

Json unbind_op(const std::string& port, int vlan) {
    return {{"op", "mutate"},
            {"table", "Physical_Port"},
            {"where", Json::array({Json::array({"name", "==", port})})},
            {"mutations", Json::array({Json::array({"vlan_bindings", "delete",
                                                    Json::array({"set", Json::array({vlan})})})})}};
}

size_t index_of(const std::vector<std::string>& calls, const std::string& prefix) {
    for (size_t i = 0; i < calls.size(); ++i)
        if (calls[i].rfind(prefix, 0) == 0) return i;
    return calls.size();
}

}  // namespace

TEST_CASE("agent publishes its switch and ports and keeps them true on reconfiguration") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    agent.start(f.server.connect_local("agent"));
    f.run_until([&] { return agent.settled(); });

    Json globals = f.select("Global");
    REQUIRE(globals.size() == 1);
    Json switches = f.select("Physical_Switch");
    REQUIRE(switches.size() == 1);
    CHECK(switches[0]["name"] == "gw1");
    CHECK(switches[0]["description"] == "test gateway");
    CHECK(switches[0]["management_ips"] == "198.51.100.7");
    CHECK(switches[0]["tunnel_ips"] == "192.0.2.1");
    CHECK(globals[0]["switches"] == switches[0]["_uuid"]);
    CHECK(f.port("eth1") != nullptr);
    CHECK(f.port("eth2") != nullptr);

    agent.reconfigure(Fixture::config({"eth2", "eth3"}));
    f.run_until([&] { return agent.settled(); });
    CHECK(f.port("eth1") == nullptr);  // withdrawn and collected
    CHECK(f.port("eth2") != nullptr);
    CHECK(f.port("eth3") != nullptr);
    CHECK(f.select("Physical_Switch").size() == 1);
    CHECK(f.select("Global").size() == 1);
}

TEST_CASE("agent programs a controller's switch, MACs, flood list and binding in order") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    agent.start(f.server.connect_local("agent"));
    f.run_until([&] { return agent.settled(); });

    Json result = f.transact(controller_switch_ops(5000));
    const std::string ls = uuid_of(result[0]);
    f.transact(Json::array({bind_op("eth1", 100, ls)}));
    f.run_until([&] { return agent.settled() && f.ops.bindings.size() == 1; });

    CHECK(f.ops.switches.count(5000));
    CHECK(f.ops.macs.at({5000, "02:00:00:00:0b:01"}) == "198.51.100.2");
    CHECK(f.ops.floods.at(5000) == std::vector<std::string>{"198.51.100.2", "198.51.100.3"});
    CHECK(f.ops.bindings.at({"eth1", 100}) == 5000);
    // Switch first, binding last: no frame is ever bridged into a half-built switch.
    CHECK(index_of(f.ops.calls, "switch 5000") < index_of(f.ops.calls, "mac 5000"));
    CHECK(index_of(f.ops.calls, "mac 5000") < index_of(f.ops.calls, "bind eth1"));

    // A locator change arrives as a new row plus a delete: the MAC moves.
    f.transact(Json::array(
        {{{"op", "insert"},
          {"table", "Physical_Locator"},
          {"row", {{"dst_ip", "198.51.100.9"}, {"encapsulation_type", "vxlan_over_ipv4"}}},
          {"uuid-name", "l9"}},
         {{"op", "update"},
          {"table", "Ucast_Macs_Remote"},
          {"where", Json::array()},
          {"row", {{"locator", Json::array({"named-uuid", "l9"})}}}}}));
    f.run_until([&] {
        return agent.settled() && f.ops.macs.at({5000, "02:00:00:00:0b:01"}) == "198.51.100.9";
    });

    // Unbinding stops traffic; deleting the MAC removes it.
    f.transact(Json::array({unbind_op("eth1", 100)}));
    f.run_until([&] { return agent.settled() && f.ops.bindings.empty(); });
    f.transact(Json::array(
        {{{"op", "delete"}, {"table", "Ucast_Macs_Remote"}, {"where", Json::array()}}}));
    f.run_until([&] { return agent.settled() && f.ops.macs.empty(); });
    CHECK(f.ops.switches.count(5000));
}

TEST_CASE("agent never programs switches whose tunnel_key is 0 or empty") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    agent.start(f.server.connect_local("agent"));
    f.run_until([&] { return agent.settled(); });  // its ports exist before the controller binds
    Json result = f.transact(controller_switch_ops(0));
    const std::string ls = uuid_of(result[0]);
    f.transact(Json::array(
        {{{"op", "insert"},
          {"table", "Logical_Switch"},
          {"row", {{"name", "other"}, {"tunnel_key", 0}}}},
         {{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "empty"}}}}}));
    f.transact(Json::array({bind_op("eth1", 100, ls)}));
    f.run_until([&] { return agent.settled(); });
    CHECK(f.ops.switches.empty());
    CHECK(f.ops.bindings.empty());
    CHECK(f.ops.macs.empty());
    CHECK(f.select("Physical_Switch")[0]["switch_fault_status"] ==
          Json::array({"set", Json::array()}));

    // Mapping it later programs everything that waited.
    f.transact(Json::array({{{"op", "update"},
                             {"table", "Logical_Switch"},
                             {"where", Json::array({Json::array({"name", "==", "ls1"})})},
                             {"row", {{"tunnel_key", 7}}}}}));
    f.run_until([&] { return agent.settled() && f.ops.bindings.size() == 1; });
    CHECK(f.ops.bindings.at({"eth1", 100}) == 7);
    CHECK(f.ops.macs.size() == 1);
    CHECK(f.ops.switches.size() == 1);
}

TEST_CASE("agent applies a settled batch: a withdraw and re-add in one turn never unbinds") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    agent.start(f.server.connect_local("agent"));
    f.run_until([&] { return agent.settled(); });
    const std::string ls = uuid_of(f.transact(controller_switch_ops(5000))[0]);
    f.transact(Json::array({bind_op("eth1", 100, ls)}));
    f.run_until([&] { return agent.settled() && f.ops.bindings.size() == 1; });
    f.ops.calls.clear();

    // What ovn-controller-vtep sends on bind-ls: withdraw, re-add, within milliseconds.
    f.transact(Json::array({unbind_op("eth1", 100)}));
    f.transact(Json::array({bind_op("eth1", 100, ls)}));
    f.run_until([&] { return agent.settled(); });
    CHECK(f.ops.count_calls("unbind") == 0);
    CHECK(f.ops.count_calls("bind") == 0);
    CHECK(f.ops.bindings.at({"eth1", 100}) == 5000);
}

TEST_CASE("agent reports a binding it cannot program as a port fault and recovers") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    std::vector<std::string> logs;
    agent.set_log([&](const std::string& m) { logs.push_back(m); });
    agent.start(f.server.connect_local("agent"));
    f.run_until([&] { return agent.settled(); });
    const std::string ls = uuid_of(f.transact(controller_switch_ops(5000))[0]);
    f.ops.fail_binds = true;
    f.transact(Json::array({bind_op("eth1", 100, ls)}));
    f.run_until([&] { return f.port("eth1")["port_fault_status"] == "invalid_vlan_map"; });
    bool logged = false;
    for (const auto& m : logs) logged |= m.find("binding map full") != std::string::npos;
    CHECK(logged);

    f.ops.fail_binds = false;  // the cause goes away: the retry programs it, the fault clears
    f.run_until([&] { return agent.settled() && f.ops.bindings.size() == 1; });
    CHECK(f.port("eth1")["port_fault_status"] == Json::array({"set", Json::array()}));
}

TEST_CASE("agent reports a VNI claimed by two switches and maps it once the first lets go") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    agent.start(f.server.connect_local("agent"));
    f.transact(Json::array({{{"op", "insert"},
                             {"table", "Logical_Switch"},
                             {"row", {{"name", "a"}, {"tunnel_key", 9}}}}}));
    f.run_until([&] { return agent.settled() && f.ops.switches.size() == 1; });
    f.transact(Json::array({{{"op", "insert"},
                             {"table", "Logical_Switch"},
                             {"row", {{"name", "b"}, {"tunnel_key", 9}}}}}));
    f.run_until([&] {
        return f.select("Physical_Switch")[0]["switch_fault_status"] == "unspecified_fault";
    });
    f.transact(Json::array({{{"op", "delete"},
                             {"table", "Logical_Switch"},
                             {"where", Json::array({Json::array({"name", "==", "a"})})}}}));
    f.run_until([&] {
        return agent.settled() && f.select("Physical_Switch")[0]["switch_fault_status"] ==
                                      Json::array({"set", Json::array()});
    });
    CHECK(f.ops.switches.count(9));
}

TEST_CASE("agent reconnection reconciles without flushing the data plane") {
    Fixture f;
    VtepAgent agent(f.io, Fixture::config(), f.ops);
    auto channel = f.server.connect_local("agent");
    agent.start(channel);
    f.run_until([&] { return agent.settled(); });
    const std::string ls = uuid_of(f.transact(controller_switch_ops(5000))[0]);
    f.transact(Json::array({bind_op("eth1", 100, ls)}));
    f.run_until([&] { return agent.settled() && f.ops.bindings.size() == 1; });

    bool lost = false;
    agent.on_disconnected([&](const std::string&) { lost = true; });
    channel->close("controller switchover");
    f.run_until([&] { return lost; });
    // Disconnected, the data plane keeps everything.
    CHECK(f.ops.bindings.size() == 1);
    CHECK(f.ops.macs.size() == 1);

    // A change made meanwhile arrives as a difference on reconnection.
    Json locator = f.select("Ucast_Macs_Remote")[0]["locator"];
    f.transact(Json::array({{{"op", "insert"},
                             {"table", "Ucast_Macs_Remote"},
                             {"row",
                              {{"MAC", "02:00:00:00:0b:02"},
                               {"logical_switch", Json::array({"uuid", ls})},
                               {"locator", locator}}}}}));
    f.ops.calls.clear();
    agent.start(f.server.connect_local("agent-2"));
    f.run_until([&] { return agent.settled() && f.ops.macs.size() == 2; });
    CHECK(f.ops.calls == std::vector<std::string>{"mac 5000 02:00:00:00:0b:02 198.51.100.2"});
}
