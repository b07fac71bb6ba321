#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "ovsdb/schema.h"

using namespace vtep::ovsdb;
using test_util::Json;

TEST_CASE("schema: our hardware_vtep schema is Open vSwitch's, semantically") {
    auto ours = DatabaseSchema::from_json(test_util::read_json_file(VTEP_SOURCE_DIR "/schemas/vtep.ovsschema"));
    auto theirs = DatabaseSchema::from_json(test_util::read_json_file("/usr/share/openvswitch/vtep.ovsschema"));
    REQUIRE(ours.ok());
    REQUIRE(theirs.ok());
    CHECK((*ours)->name == "hardware_vtep");
    CHECK((*ours)->version == "1.7.0");
    CHECK((*ours)->to_json() == (*theirs)->to_json());
    CHECK((*ours)->tables.size() == 18);
}

TEST_CASE("schema: other OVSDB schemas load too (the engine is not VTEP-specific)") {
    auto vswitch = DatabaseSchema::from_json(
        test_util::read_json_file("/usr/share/openvswitch/vswitch.ovsschema"));
    REQUIRE(vswitch.ok());
    CHECK((*vswitch)->name == "Open_vSwitch");
    const TableSchema* bridge = (*vswitch)->find_table("Bridge");
    REQUIRE(bridge);
    REQUIRE(bridge->find_column("ports"));
    CHECK(bridge->find_column("ports")->type.key.ref_table == (*vswitch)->find_table("Port"));
}

TEST_CASE("schema: every type and constraint parses and prints back canonically") {
    Json schema = Json::parse(R"({"name":"T","version":"1.0.0","tables":{
      "A":{"columns":{
        "i":{"type":{"key":{"type":"integer","minInteger":1,"maxInteger":10}}},
        "r":{"type":{"key":{"type":"real","minReal":-1.5,"maxReal":2.5},"min":0,"max":1}},
        "s":{"type":{"key":{"type":"string","minLength":1,"maxLength":3}}},
        "e":{"type":{"key":{"type":"string","enum":["set",["x","y"]]}}},
        "b":{"type":"boolean"},
        "m":{"type":{"key":"string","value":{"type":"uuid","refTable":"B","refType":"weak"},
             "min":0,"max":"unlimited"}},
        "strong":{"type":{"key":{"type":"uuid","refTable":"B"},"min":0,"max":2}},
        "eph":{"type":"integer","ephemeral":true},
        "imm":{"type":"string","mutable":false}},
       "indexes":[["s"]],"isRoot":true,"maxRows":5},
      "B":{"columns":{"n":{"type":"integer"}}}}})");
    auto parsed = DatabaseSchema::from_json(schema);
    REQUIRE(parsed.ok());
    const TableSchema* a = (*parsed)->find_table("A");
    REQUIRE(a);
    CHECK(a->max_rows == 5);
    CHECK(a->is_root);
    CHECK_FALSE((*parsed)->find_table("B")->is_root);
    CHECK(a->find_column("i")->type.key.min_integer == 1);
    CHECK(a->find_column("r")->type.is_optional_scalar());
    CHECK(a->find_column("m")->type.value.is_weak_ref());
    CHECK(a->find_column("m")->type.n_max == UINT_MAX);
    CHECK_FALSE(a->find_column("eph")->persistent);
    CHECK_FALSE(a->find_column("imm")->mutable_);
    CHECK(a->indexes.size() == 1);
    // Printing and parsing again is a fixed point.
    Json printed = (*parsed)->to_json();
    auto again = DatabaseSchema::from_json(printed);
    REQUIRE(again.ok());
    CHECK((*again)->to_json() == printed);
}

TEST_CASE("schema: invalid schemas are refused with ovsdb-server's reasons") {
    auto check = [](const char* text, const char* expected) {
        auto r = DatabaseSchema::from_json(Json::parse(text));
        REQUIRE_FALSE(r.ok());
        CHECK_THAT(r.error().details, Catch::Contains(expected));
    };
    check(R"({"name":"T","tables":{"A":{"columns":{"x":{"type":{"key":{"type":"integer",
          "minInteger":5,"maxInteger":1}}}}}}})",
          "minInteger exceeds maxInteger");
    check(R"({"name":"T","tables":{"A":{"columns":{"x":{"type":{"key":{"type":"uuid",
          "refTable":"Nope"}}}}}}})",
          "refers to undefined table Nope");
    check(R"({"name":"T","tables":{"A":{"columns":{"_x":{"type":"integer"}}}}})",
          "names beginning with \"_\" are reserved");
    check(R"({"name":"T","version":"1.0","tables":{"A":{"columns":{"x":{"type":"integer"}}}}})",
          "not in format x.y.z");
    check(R"({"name":"T","tables":{"A":{"columns":{}}}})", "at least one column");
    check(R"({"name":"T","tables":{"A":{"columns":{"x":{"type":"integer","ephemeral":true}},
          "indexes":[["x"]]}}})",
          "may not be indexed");
    check(R"({"name":"T","tables":{"A":{"columns":{"x":{"type":"int"}}}}})",
          "is not an atomic-type");
}
