// The OVSDB client against a real in-process server: the replica follows the database,
// handlers see each change with its old and new row, transactions report their outcome,
// and a reconnection reconciles instead of starting over.
#include <catch2/catch.hpp>

#include "client/ovsdb_client.h"
#include "ovsdb/builtin_schemas.h"
#include "ovsdb/database.h"
#include "rpc/local_channel.h"
#include "rpc/ovsdb_server.h"

using vtep::client::ChangeKind;
using vtep::client::OvsdbClient;
using vtep::client::ReplicaRow;
using vtep::client::RowChange;
using vtep::client::TransactReply;
using vtep::ovsdb::Uuid;
using Json = nlohmann::json;
namespace asio = boost::asio;

namespace {

std::shared_ptr<const vtep::ovsdb::DatabaseSchema> vtep_schema() {
    auto schema = vtep::ovsdb::DatabaseSchema::from_json(Json::parse(vtep::ovsdb::kVtepSchemaJson));
    REQUIRE(schema);
    return *schema;
}

struct Recorded {
    ChangeKind kind;
    Uuid uuid;
    std::optional<std::string> old_name;
    std::optional<std::string> new_name;
};

// A server with a memory hardware_vtep database and an event loop to run it.
struct Fixture {
    asio::io_context io;
    vtep::rpc::OvsdbServer server{io};
    Fixture() {
        server.add_memory_database(std::make_unique<vtep::ovsdb::Database>(vtep_schema()));
    }

    void run_ready() {
        io.restart();
        io.poll();
    }
    // Commits directly in the server, as another client would.
    Json server_transact(Json ops) {
        Json params = Json::array({"hardware_vtep"});
        for (auto& op : ops) params.push_back(op);
        Json result = server.transact(params);
        run_ready();
        return result;
    }
    Uuid insert_switch(const std::string& name, std::optional<int64_t> key = std::nullopt) {
        Json row = {{"name", name}};
        if (key) row["tunnel_key"] = *key;
        Json result = server_transact(
            Json::array({{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", row}}}));
        return *Uuid::parse(result[0]["uuid"][1].get<std::string>());
    }
};

// Records Logical_Switch changes by name.
void record_switches(OvsdbClient& client, std::vector<Recorded>& out) {
    client.on_change("Logical_Switch", [&out](const RowChange& c) {
        out.push_back({c.kind, c.uuid, c.old_row ? c.old_row->get_string("name") : std::nullopt,
                       c.new_row ? c.new_row->get_string("name") : std::nullopt});
    });
}

}  // namespace

TEST_CASE("client replica follows inserts, modifies and deletes with old and new rows") {
    Fixture f;
    Uuid before = f.insert_switch("before", 10);

    OvsdbClient client("hardware_vtep", vtep_schema());
    client.monitor("Logical_Switch");
    std::vector<Recorded> changes;
    record_switches(client, changes);
    int batches = 0, synced = 0;
    client.on_batch_done([&] { ++batches; });
    client.on_synced([&] { ++synced; });
    client.connect(f.server.connect_local("test"));
    f.run_ready();

    REQUIRE(client.synced());
    CHECK(synced == 1);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ChangeKind::insert);
    CHECK(changes[0].uuid == before);
    CHECK(changes[0].new_name == "before");
    const ReplicaRow* row = client.table("Logical_Switch")->find(before);
    REQUIRE(row);
    CHECK(row->get_integer("tunnel_key") == 10);

    changes.clear();
    Uuid added = f.insert_switch("added");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ChangeKind::insert);
    CHECK(changes[0].uuid == added);
    CHECK_FALSE(client.table("Logical_Switch")->find(added)->get_integer("tunnel_key"));

    changes.clear();
    f.server_transact(Json::array({{{"op", "update"},
                                    {"table", "Logical_Switch"},
                                    {"where", Json::array({Json::array({"name", "==", "before"})})},
                                    {"row", {{"name", "renamed"}, {"tunnel_key", 11}}}}}));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ChangeKind::modify);
    CHECK(changes[0].old_name == "before");
    CHECK(changes[0].new_name == "renamed");
    CHECK(client.table("Logical_Switch")->find(before)->get_integer("tunnel_key") == 11);

    changes.clear();
    f.server_transact(
        Json::array({{{"op", "delete"},
                      {"table", "Logical_Switch"},
                      {"where", Json::array({Json::array({"name", "==", "added"})})}}}));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].kind == ChangeKind::remove);
    CHECK(changes[0].old_name == "added");
    CHECK_FALSE(changes[0].new_name);
    CHECK(client.table("Logical_Switch")->find(added) == nullptr);
    CHECK(client.table("Logical_Switch")->size() == 1);
    CHECK(batches == 4);
}

TEST_CASE("client applies update2 differences of map and set columns") {
    Fixture f;
    OvsdbClient client("hardware_vtep", vtep_schema());
    client.monitor("Physical_Port", {"name", "vlan_bindings", "port_fault_status"});
    client.monitor("Logical_Switch", {"name"});
    client.connect(f.server.connect_local("test"));
    f.run_ready();
    Uuid ls = f.insert_switch("ls");
    Json ls_ref = Json::array({"uuid", ls.to_string()});
    Json result = f.server_transact(Json::array(
        {{{"op", "insert"},
          {"table", "Physical_Port"},
          {"row",
           {{"name", "p1"},
            {"vlan_bindings", Json::array({"map", Json::array({Json::array({100, ls_ref})})})},
            {"port_fault_status", Json::array({"set", Json::array({"a", "b"})})}}},
          {"uuid-name", "p1"}},
         // Only Global is a root table: Global → Physical_Switch → Physical_Port.
         {{"op", "insert"},
          {"table", "Physical_Switch"},
          {"row", {{"name", "ps"}, {"ports", Json::array({"named-uuid", "p1"})}}},
          {"uuid-name", "ps"}},
         {{"op", "insert"},
          {"table", "Global"},
          {"row", {{"switches", Json::array({"named-uuid", "ps"})}}}}}));
    INFO(result.dump());
    REQUIRE(result[0].contains("uuid"));
    Uuid port = *Uuid::parse(result[0]["uuid"][1].get<std::string>());

    std::vector<std::pair<std::string, std::string>> seen;  // old, new vlan_bindings
    client.on_change("Physical_Port", [&](const RowChange& c) {
        REQUIRE(c.kind == ChangeKind::modify);
        seen.emplace_back(c.old_row->get("vlan_bindings")
                              .to_json(c.old_row->table().find_column("vlan_bindings")->type)
                              .dump(),
                          c.new_row->get("vlan_bindings")
                              .to_json(c.new_row->table().find_column("vlan_bindings")->type)
                              .dump());
    });
    Json mutated = f.server_transact(Json::array(
        {{{"op", "mutate"},
          {"table", "Physical_Port"},
          {"where",
           Json::array({Json::array({"_uuid", "==", Json::array({"uuid", port.to_string()})})})},
          {"mutations",
           Json::array(
               {Json::array({"vlan_bindings", "insert",
                             Json::array({"map", Json::array({Json::array({200, ls_ref})})})}),
                Json::array({"port_fault_status", "delete", "a"})})}}}));
    INFO(mutated.dump());
    CHECK(mutated[0]["count"] == 1);
    REQUIRE(seen.size() == 1);
    const ReplicaRow* row = client.table("Physical_Port")->find(port);
    REQUIRE(row);
    const auto& bindings = row->get("vlan_bindings");
    REQUIRE(bindings.size() == 2);
    CHECK(bindings.key(0).integer() == 100);
    CHECK(bindings.key(1).integer() == 200);
    CHECK(bindings.value(1).uuid() == ls);
    REQUIRE(row->get("port_fault_status").size() == 1);
    CHECK(row->get("port_fault_status").key(0).string() == "b");
    CHECK(seen[0].first != seen[0].second);
}

TEST_CASE("client transactions report success, operation errors and lost connections") {
    Fixture f;
    OvsdbClient client("hardware_vtep", vtep_schema());
    client.monitor("Logical_Switch");
    client.connect(f.server.connect_local("test"));
    f.run_ready();

    std::optional<TransactReply> ok;
    bool seen_in_replica_first = false;
    REQUIRE(client.transact(
        Json::array({{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "x"}}}}}),
        [&](const TransactReply& r) {
            ok = r;
            seen_in_replica_first = client.table("Logical_Switch")->size() == 1;
        }));
    f.run_ready();
    REQUIRE(ok);
    CHECK(ok->ok);
    CHECK(ok->result[0].contains("uuid"));
    // The server sends the update before the reply, so the replica already has the row.
    CHECK(seen_in_replica_first);

    std::optional<TransactReply> failed;
    client.transact(
        Json::array(
            {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"tunnel_key", "nope"}}}}}),
        [&](const TransactReply& r) { failed = r; });
    f.run_ready();
    REQUIRE(failed);
    CHECK_FALSE(failed->ok);
    CHECK(failed->error.find("syntax error") != std::string::npos);

    std::optional<TransactReply> lost;
    client.transact(Json::array({{{"op", "comment"}, {"comment", "x"}}}),
                    [&](const TransactReply& r) { lost = r; });
    std::string disconnect_reason;
    client.on_disconnected([&](const std::string& reason) { disconnect_reason = reason; });
    client.disconnect("test over");
    f.run_ready();
    REQUIRE(lost);
    CHECK_FALSE(lost->ok);
    CHECK(lost->error.find("connection closed") != std::string::npos);
    CHECK_FALSE(disconnect_reason.empty());
    CHECK_FALSE(client.synced());
    CHECK_FALSE(client.transact(Json::array(), [](const TransactReply&) {}));
}

TEST_CASE("client without a schema fetches it with get_schema") {
    Fixture f;
    f.insert_switch("ls", 5);
    OvsdbClient client("hardware_vtep");
    client.monitor("Logical_Switch", {"name", "tunnel_key"});
    CHECK(client.table("Logical_Switch") == nullptr);
    client.connect(f.server.connect_local("test"));
    f.run_ready();
    REQUIRE(client.synced());
    REQUIRE(client.schema());
    CHECK(client.schema()->name == "hardware_vtep");
    REQUIRE(client.table("Logical_Switch"));
    REQUIRE(client.table("Logical_Switch")->size() == 1);
    CHECK(client.table("Logical_Switch")->rows().begin()->second.get_integer("tunnel_key") == 5);
}

TEST_CASE("client reconnection reconciles: only the differences are reported") {
    Fixture f;
    Uuid kept = f.insert_switch("kept", 1);
    Uuid changed = f.insert_switch("changed", 2);
    Uuid removed = f.insert_switch("removed", 3);

    OvsdbClient client("hardware_vtep", vtep_schema());
    client.monitor("Logical_Switch");
    std::vector<Recorded> changes;
    record_switches(client, changes);
    client.connect(f.server.connect_local("first"));
    f.run_ready();
    REQUIRE(changes.size() == 3);

    client.disconnect("controller switchover");
    f.run_ready();
    CHECK_FALSE(client.synced());
    // The replica is kept while disconnected: users forward on the last-known state.
    CHECK(client.table("Logical_Switch")->size() == 3);

    f.server_transact(
        Json::array({{{"op", "delete"},
                      {"table", "Logical_Switch"},
                      {"where", Json::array({Json::array({"name", "==", "removed"})})}},
                     {{"op", "update"},
                      {"table", "Logical_Switch"},
                      {"where", Json::array({Json::array({"name", "==", "changed"})})},
                      {"row", {{"tunnel_key", 20}}}}}));
    Uuid added = f.insert_switch("added", 4);

    changes.clear();
    client.connect(f.server.connect_local("second"));
    f.run_ready();
    REQUIRE(client.synced());
    REQUIRE(changes.size() == 3);
    std::map<Uuid, Recorded> by_uuid;
    for (auto& c : changes) by_uuid.emplace(c.uuid, c);
    CHECK(by_uuid.count(kept) == 0);
    CHECK(by_uuid.at(changed).kind == ChangeKind::modify);
    CHECK(by_uuid.at(removed).kind == ChangeKind::remove);
    CHECK(by_uuid.at(added).kind == ChangeKind::insert);
    CHECK(client.table("Logical_Switch")->find(changed)->get_integer("tunnel_key") == 20);
    CHECK(client.table("Logical_Switch")->size() == 3);

    // Only the new connection's updates count.
    changes.clear();
    f.insert_switch("after", 5);
    CHECK(changes.size() == 1);
}

TEST_CASE("client answers the server's echo requests") {
    asio::io_context io;
    auto [client_end, server_end] = vtep::rpc::LocalChannel::make_pair(io, "local:c", "local:s");
    std::vector<Json> received;
    server_end->start([&](Json&& m) { received.push_back(std::move(m)); },
                      [](const std::string&) {});
    OvsdbClient client("hardware_vtep", vtep_schema());
    client.connect(client_end);
    server_end->send(Json{{"method", "echo"}, {"params", Json::array({"x"})}, {"id", "echo"}});
    io.restart();
    io.poll();
    REQUIRE(received.size() == 2);  // monitor_cond request, then the echo reply
    CHECK(received[0]["method"] == "monitor_cond");
    CHECK(received[1]["id"] == "echo");
    CHECK(received[1]["result"] == Json::array({"x"}));
}

TEST_CASE("client accepts reply ids parsed as signed integers (JSON text over a stream)") {
    asio::io_context io;
    auto [client_end, server_end] = vtep::rpc::LocalChannel::make_pair(io, "local:c", "local:s");
    std::vector<Json> received;
    server_end->start([&](Json&& m) { received.push_back(std::move(m)); },
                      [](const std::string&) {});
    OvsdbClient client("hardware_vtep", vtep_schema());
    client.monitor("Global");
    client.connect(client_end);
    io.restart();
    io.poll();
    REQUIRE(received.size() == 1);
    server_end->send(Json{{"id", int64_t(received[0]["id"].get<uint64_t>())},
                          {"result", Json::object()},
                          {"error", nullptr}});
    io.restart();
    io.poll();
    CHECK(client.synced());
}
