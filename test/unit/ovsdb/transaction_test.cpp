#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "ovsdb/database.h"

using namespace vtep::ovsdb;
using test_util::Json;
using test_util::transact;

namespace {

size_t rows_in(Database& db, const char* table) { return db.find_table(table)->size(); }

// A Logical_Switch, a Physical_Locator and a Ucast_Macs_Remote pointing at both.
Json insert_remote_mac(const char* mac) {
    return Json::array({
        {{"op", "insert"}, {"table", "Logical_Switch"}, {"uuid-name", "ls"},
         {"row", {{"name", std::string("ls-") + mac}}}},
        {{"op", "insert"}, {"table", "Physical_Locator"}, {"uuid-name", "loc"},
         {"row", {{"dst_ip", std::string("10.0.0.") + mac}, {"encapsulation_type", "vxlan_over_ipv4"}}}},
        {{"op", "insert"}, {"table", "Ucast_Macs_Remote"},
         {"row", {{"MAC", std::string("00:00:00:00:00:") + mac},
                  {"logical_switch", {"named-uuid", "ls"}},
                  {"locator", {"named-uuid", "loc"}}}}}});
}

}  // namespace

TEST_CASE("transaction: forward references to uuid-names resolve within a transaction") {
    Database db(test_util::vtep_schema());
    // The Ucast_Macs_Remote row names "ls" and "loc" before their inserts.
    Json ops = insert_remote_mac("01");
    std::swap(ops[0], ops[2]);
    Json result = transact(db, ops);
    REQUIRE(result.size() == 3);
    for (const auto& r : result) CHECK(r.contains("uuid"));
    CHECK(rows_in(db, "Ucast_Macs_Remote") == 1);
    CHECK(rows_in(db, "Physical_Locator") == 1);
}

TEST_CASE("transaction: unreferenced non-root rows are garbage-collected") {
    Database db(test_util::vtep_schema());
    Json r = transact(db, {{{"op", "insert"}, {"table", "Physical_Locator"},
                            {"row", {{"dst_ip", "10.0.0.9"}, {"encapsulation_type", "vxlan_over_ipv4"}}}}});
    CHECK(r[0].contains("uuid"));            // the insert itself succeeds...
    CHECK(rows_in(db, "Physical_Locator") == 0);  // ...and the orphan is collected at commit

    transact(db, insert_remote_mac("02"));
    REQUIRE(rows_in(db, "Physical_Locator") == 1);
    // Deleting the only referrer collects the locator too.
    transact(db, {{{"op", "delete"}, {"table", "Ucast_Macs_Remote"}, {"where", Json::array()}}});
    CHECK(rows_in(db, "Physical_Locator") == 0);
    CHECK(rows_in(db, "Logical_Switch") == 1);  // a root table: kept
}

TEST_CASE("transaction: a strongly referenced row cannot be deleted; nothing is applied") {
    Database db(test_util::vtep_schema());
    transact(db, insert_remote_mac("03"));
    Json r = transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "other"}}}},
                           {{"op", "delete"}, {"table", "Logical_Switch"},
                            {"where", Json::array({Json::array({"name", "==", "ls-03"})})}}});
    REQUIRE(r.size() == 3);
    CHECK(r[1]["count"] == 1);
    CHECK(r[2]["error"] == "referential integrity violation");
    CHECK_THAT(r[2]["details"].get<std::string>(),
               Catch::Contains("because of 1 remaining reference(s)"));
    CHECK(rows_in(db, "Logical_Switch") == 1);  // atomic: the insert was rolled back too
}

TEST_CASE("transaction: references to rows that do not exist are refused") {
    Database db(test_util::vtep_schema());
    Json r = transact(db, {{{"op", "insert"}, {"table", "Ucast_Macs_Remote"},
                            {"row", {{"MAC", "00:00:00:00:00:04"},
                                     {"logical_switch", {"uuid", "5c6f5a4e-1f3b-4f4e-9d7a-1b2c3d4e5f60"}}}}}});
    REQUIRE(r.size() == 2);
    CHECK(r[1]["error"] == "referential integrity violation");
    CHECK_THAT(r[1]["details"].get<std::string>(), Catch::Contains("references nonexistent row"));
}

TEST_CASE("transaction: unique indexes and maxRows hold at commit") {
    Database db(test_util::vtep_schema());
    Json r = transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "dup"}}}},
                           {{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "dup"}}}}});
    REQUIRE(r.size() == 3);
    CHECK(r[2]["error"] == "constraint violation");
    CHECK_THAT(r[2]["details"].get<std::string>(),
               Catch::Contains("Transaction causes multiple rows in \"Logical_Switch\" table to have "
                               "identical values (dup) for index on column \"name\""));
    CHECK(rows_in(db, "Logical_Switch") == 0);

    transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "dup"}}}}});
    Json again = transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "dup"}}}}});
    CHECK(again[1]["error"] == "constraint violation");
    CHECK(rows_in(db, "Logical_Switch") == 1);

    Json global = transact(db, {{{"op", "insert"}, {"table", "Global"}, {"row", Json::object()}},
                                {{"op", "insert"}, {"table", "Global"}, {"row", Json::object()}}});
    CHECK(global[2]["error"] == "constraint violation");
    CHECK_THAT(global[2]["details"].get<std::string>(),
               Catch::Contains("greater than the schema-defined limit of 1 row(s)"));
}

TEST_CASE("transaction: mutate, update and select with conditions") {
    Database db(test_util::vtep_schema());
    transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"},
                   {"row", {{"name", "ls"}, {"tunnel_key", 10}}}}});
    Json r = transact(db, {{{"op", "mutate"}, {"table", "Logical_Switch"}, {"where", Json::array()},
                            {"mutations", Json::parse(R"([["tunnel_key","+=",5],
                                                        ["other_config","insert",["map",[["k","v"]]]]])")}},
                           {{"op", "select"}, {"table", "Logical_Switch"},
                            {"where", Json::array({Json::array({"tunnel_key", "==", 15})})},
                            {"columns", {"name", "tunnel_key", "other_config"}}}});
    REQUIRE(r.size() == 2);
    CHECK(r[0]["count"] == 1);
    REQUIRE(r[1]["rows"].size() == 1);
    CHECK(r[1]["rows"][0]["other_config"] == Json::parse(R"(["map",[["k","v"]]])"));

    Json div0 = transact(db, {{{"op", "mutate"}, {"table", "Logical_Switch"}, {"where", Json::array()},
                               {"mutations", Json::array({Json::array({"tunnel_key", "/=", 0})})}}});
    CHECK(div0[0]["error"] == "domain error");

    Json immutable = transact(db, {{{"op", "update"}, {"table", "Logical_Switch"},
                                    {"where", Json::array()}, {"row", {{"_uuid", {"uuid", "5c6f5a4e-1f3b-4f4e-9d7a-1b2c3d4e5f60"}}}}}});
    CHECK(immutable[0]["error"] == "constraint violation");
}

TEST_CASE("transaction: errors stop the transaction and later results are null") {
    Database db(test_util::vtep_schema());
    Json r = transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "a"}}}},
                           {{"op", "frob"}},
                           {{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "b"}}}}});
    REQUIRE(r.size() == 3);
    CHECK(r[1]["error"] == "syntax error");
    CHECK(r[1]["details"] == "Parsing ovsdb operation 2 of 3 failed: No operation \"frob\"");
    CHECK(r[2].is_null());
    CHECK(rows_in(db, "Logical_Switch") == 0);

    Json unknown_column = transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"},
                                         {"row", {{"nope", 1}}}}});
    CHECK(unknown_column[0]["error"] == "unknown column");
    CHECK(unknown_column[0]["details"] == "No column nope in table Logical_Switch.");

    Json abort = transact(db, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "c"}}}},
                               {{"op", "abort"}}});
    CHECK(abort[1]["error"] == "aborted");
    CHECK(rows_in(db, "Logical_Switch") == 0);
}
