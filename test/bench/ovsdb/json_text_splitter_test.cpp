#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "json_text_splitter.h"

using vtep::bench::JsonStreamError;
using vtep::bench::JsonTextSplitter;

namespace {
std::vector<std::string> drain(JsonTextSplitter& splitter) {
    std::vector<std::string> texts;
    for (auto text = splitter.next(); !text.empty(); text = splitter.next()) {
        texts.emplace_back(text);
    }
    return texts;
}
}  // namespace

TEST_CASE("json splitter: back-to-back messages come out one by one") {
    JsonTextSplitter splitter;
    splitter.feed(R"({"id":1,"result":[]}  {"id":2,"result":[{"uuid":["uuid","x"]}]})"
                  "\n[1,2]");
    auto texts = drain(splitter);
    REQUIRE(texts.size() == 3);
    CHECK(texts[0] == R"({"id":1,"result":[]})");
    CHECK(texts[1] == R"({"id":2,"result":[{"uuid":["uuid","x"]}]})");
    CHECK(texts[2] == "[1,2]");
    CHECK(splitter.pending_bytes() == 0);
}

TEST_CASE("json splitter: a message split at every byte is reassembled") {
    const std::string message =
        R"({"method":"update","params":["m",{"T":{"a}":{"new":{"s":"\"{["}}}}]})";
    JsonTextSplitter splitter;
    std::vector<std::string> texts;
    for (char c : message + message) {
        splitter.feed(std::string(1, c));
        for (auto& text : drain(splitter)) texts.push_back(text);
    }
    REQUIRE(texts.size() == 2);
    CHECK(texts[0] == message);
    CHECK(texts[1] == message);
}

TEST_CASE("json splitter: braces and escaped quotes inside strings do not count") {
    JsonTextSplitter splitter;
    splitter.feed(R"({"a":"}}]]\\"})");
    splitter.feed(R"({"b":"\"}"})");
    auto texts = drain(splitter);
    REQUIRE(texts.size() == 2);
    CHECK(texts[0] == R"({"a":"}}]]\\"})");
    CHECK(texts[1] == R"({"b":"\"}"})");
}

TEST_CASE("json splitter: an incomplete message is held back") {
    JsonTextSplitter splitter;
    splitter.feed(R"({"id":1,"result":[)");
    CHECK(splitter.next().empty());
    CHECK(splitter.pending_bytes() > 0);
    splitter.feed("]}");
    CHECK(splitter.next() == R"({"id":1,"result":[]})");
}

TEST_CASE("json splitter: garbage between messages is an error, not a silent skip") {
    JsonTextSplitter splitter;
    splitter.feed(R"({"id":1} x)");
    CHECK(splitter.next() == R"({"id":1})");
    CHECK_THROWS_AS(splitter.next(), JsonStreamError);

    JsonTextSplitter unbalanced;
    unbalanced.feed("}");
    CHECK_THROWS_AS(unbalanced.next(), JsonStreamError);
}
