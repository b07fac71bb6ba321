#include <catch2/catch.hpp>

#include "transact_reply.h"

using nlohmann::json;
using vtep::bench::count_inserted_rows;
using vtep::bench::TransactError;

TEST_CASE("transact reply: every insert outcome with a uuid counts") {
    auto reply = json::parse(
        R"({"id":0,"error":null,"result":[{"uuid":["uuid","a"]},{"uuid":["uuid","b"]}]})");
    CHECK(count_inserted_rows(reply, 2) == 2);
}

TEST_CASE("transact reply: an operation error fails the whole reply") {
    auto reply = json::parse(R"({"id":0,"error":null,"result":[{"uuid":["uuid","a"]},)"
                             R"({"error":"referential integrity violation","details":"..."}]})");
    CHECK_THROWS_WITH(count_inserted_rows(reply, 1),
                      Catch::Contains("referential integrity violation"));
}

TEST_CASE("transact reply: a JSON-RPC error fails") {
    auto reply = json::parse(R"({"id":0,"error":"unknown database","result":null})");
    CHECK_THROWS_AS(count_inserted_rows(reply, 1), TransactError);
}

TEST_CASE("transact reply: a result of the wrong length fails") {
    auto reply = json::parse(R"({"id":0,"error":null,"result":[{"uuid":["uuid","a"]}]})");
    CHECK_THROWS_WITH(count_inserted_rows(reply, 2), Catch::Contains("1 entries for 2"));
    CHECK_THROWS_AS(count_inserted_rows(json::parse(R"({"id":0,"error":null})"), 1), TransactError);
}
