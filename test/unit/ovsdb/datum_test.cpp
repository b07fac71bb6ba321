#include <catch2/catch.hpp>

#include "engine_test_util.h"
#include "ovsdb/datum.h"
#include "ovsdb/json_text.h"

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

TEST_CASE("datum: atoms keep short and long strings, copies share the long ones") {
    std::string long_text(100, 'x');
    long_text[50] = '\0';  // strings are bytes, NULs included
    Atom short_atom("02:00:00:00:00:01");
    Atom boundary(std::string(22, 'b'));
    Atom long_atom(long_text);
    CHECK(short_atom.string() == "02:00:00:00:00:01");
    CHECK(boundary.string() == std::string(22, 'b'));
    CHECK(long_atom.string() == long_text);
    Atom copy = long_atom;
    Atom moved = std::move(copy);
    CHECK(moved == long_atom);
    CHECK(moved.string().data() == long_atom.string().data());  // one shared block
    copy = moved;                                               // assigning over a moved-from atom
    CHECK(copy.string() == long_text);
    CHECK(Atom("a") < Atom("b"));
    CHECK(Atom(std::string(30, 'a')) < Atom(std::string(30, 'a') + "a"));
    CHECK(Atom("\xff") > Atom("a"));  // byte-wise, unsigned
    CHECK(Atom("x").hash() == Atom(std::string("x")).hash());
    CHECK(Atom(int64_t(3)) == Atom(int64_t(3)));
    CHECK_FALSE(Atom(int64_t(3)) == Atom(3.0));
    Uuid u{1, 2};
    CHECK(Atom(u).uuid() == u);
}

TEST_CASE("datum: values grow from in place to a heap block and back down") {
    Type set = parse_type(R"({"key":"string","min":0,"max":"unlimited"})");
    Datum d;
    CHECK(d.empty());
    d.add(Atom("m"));
    d.add(Atom(std::string(40, 'z')));
    d.add(Atom("a"));
    d.add(Atom("m"));  // present: no-op
    REQUIRE(d.size() == 3);
    CHECK(d.key(0).string() == "a");
    CHECK(d.key(2).string() == std::string(40, 'z'));
    Datum copy = d;
    d.erase_key(Atom("m"));
    d.erase_at(0);
    REQUIRE(d.size() == 1);
    CHECK(copy.size() == 3);  // the copy owns its atoms
    CHECK(d.to_json(set) == Json(std::string(40, 'z')));
    Datum moved = std::move(copy);
    CHECK(moved.size() == 3);
    CHECK(moved.keys()[1].string() == "m");
    moved = d;
    CHECK(moved == d);

    Type map = parse_type(R"({"key":"integer","value":"string","min":0,"max":"unlimited"})");
    Datum m = Datum::default_of(map);
    CHECK(m.is_map());
    m.add(Atom(int64_t(2)), Atom("two"));
    m.add(Atom(int64_t(1)), Atom("one"));
    REQUIRE(m.size() == 2);
    CHECK(m.to_json(map) == Json::parse(R"(["map",[[1,"one"],[2,"two"]]])"));
    CHECK(m.values()[1].string() == "two");
    Datum other =
        Datum::from_json(map, Json::parse(R"(["map",[[2,"two"],[3,"three"]]])"), nullptr).value();
    Datum diff = Datum::diff(m, other, map);
    CHECK(diff.to_json(map) == Json::parse(R"(["map",[[1,"one"],[3,"three"]]])"));
    m.apply_diff(diff, map);
    CHECK(m == other);
    std::string text;
    m.append_json_text(map, text);
    CHECK(text == R"(["map",[[2,"two"],[3,"three"]]])");
}

TEST_CASE("datum: JSON text matches the JSON tree for every kind of value") {
    const char* cases[][2] = {
        {R"({"key":"integer"})", "-5"},
        {R"({"key":"real"})", "2.5"},
        {R"({"key":"boolean"})", "true"},
        {R"({"key":"string"})", R"("a\"b\n")"},
        {R"({"key":"uuid"})", R"(["uuid","0b1e2d3c-4f50-4162-8394-a5b6c7d8e9f0"])"},
        {R"({"key":"string","min":0,"max":1})", R"(["set",[]])"},
        {R"({"key":"integer","min":0,"max":"unlimited"})", R"(["set",[1,2,3]])"},
        {R"({"key":"string","value":"integer","min":0,"max":"unlimited"})",
         R"(["map",[["a",1],["b",2]]])"},
    };
    for (auto& [type_text, value_text] : cases) {
        Type type = parse_type(type_text);
        auto d = Datum::from_json(type, Json::parse(value_text), nullptr);
        REQUIRE(d.ok());
        std::string text;
        d->append_json_text(type, text);
        CHECK(text == json_text(d->to_json(type)));
    }
}
