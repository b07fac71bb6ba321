// Remotes driven by the Manager table: rows open, reconfigure and close listeners, and
// the rows' is_connected/status follow reality.
#include <catch2/catch.hpp>

#include "ovsdb/builtin_schemas.h"
#include "ovsdb/database.h"
#include "rpc/ovsdb_server.h"
#include "rpc/remote_manager.h"

using vtep::rpc::Json;
namespace asio = boost::asio;

namespace {

struct Fixture {
    asio::io_context io;
    vtep::rpc::OvsdbServer server{io};
    vtep::rpc::RemoteManager remotes{io, server, nullptr, {}};

    Fixture() {
        auto schema =
            vtep::ovsdb::DatabaseSchema::from_json(Json::parse(vtep::ovsdb::kVtepSchemaJson));
        server.add_memory_database(std::make_unique<vtep::ovsdb::Database>(*schema));
    }
    Json transact(Json ops) {
        ops.insert(ops.begin(), "hardware_vtep");
        Json result = server.transact(ops);
        for (const Json& r : result) REQUIRE_FALSE(r.contains("error"));
        return result;
    }
    // Runs the event loop until 'done' holds or 5 s pass.
    bool run_until(const std::function<bool()>& done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            io.restart();
            io.run_for(std::chrono::milliseconds(20));
        }
        return true;
    }
    Json manager_rows() {
        return transact(Json::array(
            {{{"op", "select"}, {"table", "Manager"}, {"where", Json::array()}}}))[0]["rows"];
    }
    std::map<std::string, std::string> status_of(const Json& row) {
        std::map<std::string, std::string> m;
        for (const Json& pair : row["status"][1]) m[pair[0]] = pair[1];
        return m;
    }
};

}  // namespace

TEST_CASE("db: remotes are checked against the schema") {
    Fixture f;
    CHECK_FALSE(f.remotes.add("db:nope,Global,managers"));
    CHECK_FALSE(f.remotes.add("db:hardware_vtep,Nope,managers"));
    CHECK_FALSE(f.remotes.add("db:hardware_vtep,Global,nope"));
    auto bad_type = f.remotes.add("db:hardware_vtep,Global,switches");
    REQUIRE_FALSE(bad_type);
    CHECK_THAT(bad_type.error().details, Catch::Contains("target"));
    CHECK(f.remotes.add("db:hardware_vtep,Global,managers"));
    CHECK_FALSE(f.remotes.add("bogus:1"));
}

TEST_CASE("Manager rows open, reconfigure and close remotes, with status") {
    Fixture f;
    REQUIRE(f.remotes.add("db:hardware_vtep,Global,managers"));
    CHECK(f.remotes.describe().empty());

    f.transact(Json::array({{{"op", "insert"},
                             {"table", "Manager"},
                             {"row", {{"target", "ptcp:0:127.0.0.1"}}},
                             {"uuid-name", "m"}},
                            {{"op", "insert"},
                             {"table", "Global"},
                             {"row", {{"managers", Json::array({"named-uuid", "m"})}}}}}));
    REQUIRE(f.run_until([&] { return f.remotes.describe().size() == 1; }));
    CHECK(f.remotes.describe()[0].first == "ptcp:0:127.0.0.1");

    // The listener's port appears in the row's status; nobody is connected yet.
    uint16_t port = 0;
    REQUIRE(f.run_until([&] {
        auto st = f.status_of(f.manager_rows()[0]);
        if (!st.count("bound_port")) return false;
        port = uint16_t(std::stoi(st["bound_port"]));
        return true;
    }));
    CHECK(f.manager_rows()[0]["is_connected"] == false);

    // A client connects: is_connected follows.
    asio::ip::tcp::socket client(f.io);
    client.connect({asio::ip::make_address("127.0.0.1"), port});
    CHECK(f.run_until([&] { return f.manager_rows()[0]["is_connected"] == true; }));

    // Retargeting the row reopens the remote (and drops its sessions).
    f.transact(Json::array({{{"op", "update"},
                             {"table", "Manager"},
                             {"where", Json::array()},
                             {"row", {{"target", "ptcp:0:127.0.0.2"}}}}}));
    REQUIRE(f.run_until([&] {
        auto d = f.remotes.describe();
        return d.size() == 1 && d[0].first == "ptcp:0:127.0.0.2";
    }));
    CHECK(f.run_until([&] { return f.server.session_count() == 0; }));
    CHECK(f.run_until([&] { return f.manager_rows()[0]["is_connected"] == false; }));

    // An unusable target is reported in the row, not fatal.
    f.transact(Json::array({{{"op", "update"},
                             {"table", "Manager"},
                             {"where", Json::array()},
                             {"row", {{"target", "ptcp:1:203.0.113.1"}}}}}));
    CHECK(f.run_until([&] { return f.status_of(f.manager_rows()[0]).count("last_error") == 1; }));

    // Removing the reference (the row is garbage-collected) closes the remote.
    f.transact(Json::array({{{"op", "update"},
                             {"table", "Global"},
                             {"where", Json::array()},
                             {"row", {{"managers", Json::array({"set", Json::array()})}}}}}));
    CHECK(f.run_until([&] { return f.remotes.describe().empty(); }));
}

TEST_CASE("an active remote reports backoff and its last error") {
    Fixture f;
    REQUIRE(f.remotes.add("db:hardware_vtep,Global,managers"));
    // A port nobody listens on: bind one and close it.
    uint16_t port;
    {
        asio::ip::tcp::acceptor a(f.io, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    std::string target = "tcp:127.0.0.1:" + std::to_string(port);
    f.transact(Json::array({{{"op", "insert"},
                             {"table", "Manager"},
                             {"row", {{"target", target}, {"max_backoff", 1000}}},
                             {"uuid-name", "m"}},
                            {{"op", "insert"},
                             {"table", "Global"},
                             {"row", {{"managers", Json::array({"named-uuid", "m"})}}}}}));
    REQUIRE(f.run_until([&] {
        auto st = f.status_of(f.manager_rows()[0]);
        return st["state"] == "BACKOFF" && st.count("last_error");
    }));
    CHECK(f.manager_rows()[0]["is_connected"] == false);

    // Once something listens there, the remote connects within its backoff.
    asio::ip::tcp::acceptor listener(f.io, {asio::ip::make_address("127.0.0.1"), port});
    asio::ip::tcp::socket peer(f.io);
    listener.async_accept(peer, [](const boost::system::error_code&) {});
    REQUIRE(f.run_until([&] {
        auto st = f.status_of(f.manager_rows()[0]);
        return st["state"] == "ACTIVE" && f.manager_rows()[0]["is_connected"] == true;
    }));
    CHECK(f.status_of(f.manager_rows()[0]).count("sec_since_connect") == 1);
}
