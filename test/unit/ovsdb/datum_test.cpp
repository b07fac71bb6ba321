#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "ovsdb/datum.h"

using namespace vtep::ovsdb;
using test_util::Json;

namespace {
Type parse_type(const char* text) { return *Type::from_json(Json::parse(text)); }
}  // namespace

TEST_CASE("datum: sets and maps round-trip through RFC 7047 JSON, sorted") {
    Type set = parse_type(R"({"key":"integer","min":0,"max":"unlimited"})");
    auto d = Datum::from_json(set, Json::parse(R"(["set",[3,1,2]])"), nullptr);
    REQUIRE(d.ok());
    CHECK(d->to_json(set) == Json::parse(R"(["set",[1,2,3]])"));
    // A one-element set prints as the bare atom, as ovsdb-server does.
    auto one = Datum::from_json(set, Json::parse("7"), nullptr);
    CHECK(one->to_json(set) == Json(7));

    Type map = parse_type(R"({"key":"string","value":"string","min":0,"max":"unlimited"})");
    auto m = Datum::from_json(map, Json::parse(R"(["map",[["b","2"],["a","1"]]])"), nullptr);
    REQUIRE(m.ok());
    CHECK(m->to_json(map) == Json::parse(R"(["map",[["a","1"],["b","2"]]])"));
}

TEST_CASE("datum: wrong types, sizes and duplicates are reported") {
    Type set = parse_type(R"({"key":"integer","min":0,"max":2})");
    auto too_many = Datum::from_json(set, Json::parse(R"(["set",[1,2,3]])"), nullptr);
    REQUIRE_FALSE(too_many.ok());
    CHECK(too_many.error().details == "set must have 0 to 2 members but 3 are present");
    auto dup = Datum::from_json(set, Json::parse(R"(["set",[1,1]])"), nullptr);
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().details == "set contains duplicate");
    auto wrong = Datum::from_json(set, Json::parse(R"("x")"), nullptr);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().tag == "syntax error");
    CHECK(wrong.error().details == "expected integer");
    CHECK(wrong.error().syntax == std::optional<std::string>("\"x\""));

    Type ranged = parse_type(R"({"key":{"type":"integer","minInteger":1,"maxInteger":4095}})");
    auto out = Datum::from_json(ranged, Json::parse("4096"), nullptr);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().tag == "constraint violation");
    CHECK(out.error().details == "4096 is not in the valid range 1 to 4095 (inclusive)");

    Type e = parse_type(R"({"key":{"type":"string","enum":["set",["a","b"]]}})");
    auto bad_enum = Datum::from_json(e, Json::parse(R"("c")"), nullptr);
    REQUIRE_FALSE(bad_enum.ok());
    CHECK(bad_enum.error().details == "c is not one of the allowed values ([a, b])");
}

TEST_CASE("datum: named-uuids resolve through the symbol table") {
    Type ref = parse_type(R"({"key":{"type":"uuid"}})");
    SymbolTable symbols;
    auto d = Datum::from_json(ref, Json::parse(R"(["named-uuid","row1"])"), &symbols);
    REQUIRE(d.ok());
    REQUIRE(symbols.find("row1"));
    CHECK(d->key(0).uuid() == symbols.find("row1")->uuid);
    auto no_symbols = Datum::from_json(ref, Json::parse(R"(["named-uuid","row1"])"), nullptr);
    CHECK_FALSE(no_symbols.ok());
}

TEST_CASE("datum: update2 diffs apply back to the new value") {
    Type set = parse_type(R"({"key":"integer","min":0,"max":"unlimited"})");
    Datum a = *Datum::from_json(set, Json::parse(R"(["set",[1,2,3]])"), nullptr);
    Datum b = *Datum::from_json(set, Json::parse(R"(["set",[2,3,4,5]])"), nullptr);
    Datum diff = Datum::diff(a, b, set);
    CHECK(diff.to_json(set) == Json::parse(R"(["set",[1,4,5]])"));
    Datum applied = a;
    applied.apply_diff(diff, set);
    CHECK(applied == b);

    Type map = parse_type(R"({"key":"string","value":"integer","min":0,"max":"unlimited"})");
    Datum m1 = *Datum::from_json(map, Json::parse(R"(["map",[["a",1],["b",2],["c",3]]])"), nullptr);
    Datum m2 = *Datum::from_json(map, Json::parse(R"(["map",[["b",2],["c",4],["d",5]]])"), nullptr);
    Datum md = Datum::diff(m1, m2, map);
    // Removed "a" (with its old value), changed "c", added "d".
    CHECK(md.to_json(map) == Json::parse(R"(["map",[["a",1],["c",4],["d",5]]])"));
    Datum mapplied = m1;
    mapplied.apply_diff(md, map);
    CHECK(mapplied == m2);
}
