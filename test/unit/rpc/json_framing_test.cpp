#include <catch2/catch.hpp>

#include "ovsdb/json_reader.h"
#include "ovsdb/json_text.h"
#include "rpc/json_splitter.h"

using vtep::ovsdb::json_text;
using vtep::ovsdb::read_json;
using vtep::rpc::JsonSplitter;

TEST_CASE("splitter: back-to-back messages split at their ends, pieces are reassembled") {
    JsonSplitter splitter(1 << 20);
    std::string stream = R"({"a":"}{"} [1,[2]]{"b":"\"}"})";
    std::string_view in(stream);
    auto first = splitter.feed(in);
    REQUIRE(first);
    CHECK(*first == R"({"a":"}{"})");
    auto second = splitter.feed(in);
    REQUIRE(second);
    CHECK(*second == "[1,[2]]");
    auto third = splitter.feed(in);
    REQUIRE(third);
    CHECK(*third == R"({"b":"\"}"})");

    JsonSplitter pieces(1 << 20);
    std::string_view p1(R"({"method":"ec)"), p2(R"(ho","params":[]})");
    CHECK_FALSE(pieces.feed(p1));
    auto whole = pieces.feed(p2);
    REQUIRE(whole);
    CHECK(*whole == R"({"method":"echo","params":[]})");
}

TEST_CASE("splitter: mismatched brackets, oversize and over-deep input fail the stream") {
    JsonSplitter bad(1 << 20);
    std::string_view in(R"({"params":[})");
    CHECK_FALSE(bad.feed(in));
    CHECK(bad.failed());

    JsonSplitter small(16);
    std::string_view big(R"({"method":"echo","params":["xxxxxxxx"]})");
    CHECK_FALSE(small.feed(big));
    CHECK_THAT(small.error(), Catch::Contains("maximum size"));

    JsonSplitter deep(1 << 20);
    std::string nested(1001, '[');
    std::string_view d(nested);
    CHECK_FALSE(deep.feed(d));
    CHECK(deep.failed());
}

TEST_CASE("reader: Open vSwitch's leniencies and number rules") {
    CHECK(read_json("9223372036854775807").is_number_integer());
    CHECK(read_json("9223372036854775808").is_number_float());  // beyond int64: a real
    CHECK(read_json("1.0").is_number_float());
    CHECK(read_json(R"("\ud83d\ude00")").get<std::string>() == "\xf0\x9f\x98\x80");
    // Invalid UTF-8 passes through byte for byte, as ovsdb-server echoes it.
    std::string raw = "\"\xc3(\"";
    CHECK(read_json(raw).get<std::string>() == "\xc3(");
    CHECK_THROWS_AS(read_json("{\"a\":1,}"), vtep::ovsdb::JsonReadError);
    CHECK_THROWS_AS(read_json("[1 2]"), vtep::ovsdb::JsonReadError);
    CHECK_THROWS_AS(read_json("01"), vtep::ovsdb::JsonReadError);
}

TEST_CASE("writer: reals and members are printed the way Open vSwitch prints them") {
    CHECK(json_text(read_json("[1.0,0.1,1e300,-2]")) == "[1,0.1,1e+300,-2]");
    CHECK(json_text(read_json(R"({"b":1,"a":"x\ny"})")) == R"({"a":"x\ny","b":1})");
}
