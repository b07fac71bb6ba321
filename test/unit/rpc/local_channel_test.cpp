// The in-process channel and the server's local clients: messages cross on the event
// loop (never inside send()), in order, and closing either end reaches the other.
#include <catch2/catch.hpp>

#include "ovsdb/builtin_schemas.h"
#include "ovsdb/database.h"
#include "rpc/local_channel.h"
#include "rpc/ovsdb_server.h"

using vtep::rpc::Json;
using vtep::rpc::LocalChannel;
namespace asio = boost::asio;

namespace {
// Runs what is ready; an io_context that ran out of work must be restarted to run again.
void run_ready(asio::io_context& io) {
    io.restart();
    io.poll();
}
}  // namespace

TEST_CASE("local channel hands messages over on the event loop, in order") {
    asio::io_context io;
    auto [a, b] = LocalChannel::make_pair(io, "local:a", "local:b");
    std::vector<Json> received;
    std::string closed_reason;
    b->start([&](Json&& m) { received.push_back(std::move(m)); },
             [&](const std::string& r) { closed_reason = r; });
    a->start([](Json&&) {}, [](const std::string&) {});
    a->send(Json{{"n", 1}});
    a->send(Json{{"n", 2}});
    CHECK(received.empty());  // not from inside send()
    CHECK(a->backlog_bytes() == 2);
    run_ready(io);
    REQUIRE(received.size() == 2);
    CHECK(received[0]["n"] == 1);
    CHECK(received[1]["n"] == 2);
    a->send(Json{{"n", 3}});
    a->close("done");
    run_ready(io);
    // What was sent before the close still arrives, then the close.
    REQUIRE(received.size() == 3);
    CHECK(closed_reason == "connection closed by peer");
    CHECK(b->closed());
    b->send(Json{{"n", 4}});  // harmless after close
    run_ready(io);
}

TEST_CASE("the server serves an in-process client like a connection") {
    asio::io_context io;
    vtep::rpc::OvsdbServer server(io);
    auto schema = vtep::ovsdb::DatabaseSchema::from_json(Json::parse(vtep::ovsdb::kVtepSchemaJson));
    REQUIRE(schema);
    server.add_memory_database(std::make_unique<vtep::ovsdb::Database>(*schema));

    auto client = server.connect_local("agent");
    std::vector<Json> received;
    bool closed = false;
    client->start([&](Json&& m) { received.push_back(std::move(m)); },
                  [&](const std::string&) { closed = true; });
    client->send(
        Json{{"method", "monitor_cond"},
             {"params", Json::array({"hardware_vtep", "m1", {{"Global", Json::object()}}})},
             {"id", 1}});
    client->send(Json{
        {"method", "transact"},
        {"params", Json::array({"hardware_vtep",
                                {{"op", "insert"}, {"table", "Global"}, {"row", Json::object()}}})},
        {"id", 2}});
    run_ready(io);
    REQUIRE(received.size() == 3);
    CHECK(received[0]["id"] == 1);
    CHECK(received[0]["result"] == Json::object());
    // The update reaches the client before the reply to the transaction that caused it.
    CHECK(received[1]["method"] == "update2");
    CHECK(received[1]["params"][1].contains("Global"));
    CHECK(received[2]["id"] == 2);
    CHECK(received[2]["result"][0].contains("uuid"));
    CHECK(server.session_count() == 2 - 1);

    client->close("agent stopping");
    run_ready(io);
    CHECK(closed);
    CHECK(server.session_count() == 0);
}
