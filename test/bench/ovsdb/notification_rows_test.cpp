#include <catch2/catch.hpp>
#include <stdexcept>

#include "notification_rows.h"

using vtep::bench::summarize_message;

TEST_CASE("notification rows: RFC 7047 update counts rows of every table") {
    auto s = summarize_message(
        R"({"id":null,"method":"update","params":["mon",{)"
        R"("Ucast_Macs_Remote":{"u1":{"new":{"MAC":"a","locator":["uuid","l"]}},"u2":{"new":{}}},)"
        R"("Logical_Switch":{"u3":{"old":{"name":"x"}}}}]})");
    CHECK(s.method == "update");
    CHECK(s.rows == 3);
    CHECK_FALSE(s.has_error);
}

TEST_CASE("notification rows: member order does not matter") {
    auto s = summarize_message(
        R"({"params":[null,{"Ucast_Macs_Remote":{"u1":{"insert":{}}}}],"method":"update2","id":null})");
    CHECK(s.method == "update2");
    CHECK(s.rows == 1);
}

TEST_CASE("notification rows: update3 carries the updates after the transaction id") {
    auto s =
        summarize_message(R"({"id":null,"method":"update3","params":[["a","b"],"0b1e-txn",)"
                          R"({"Ucast_Macs_Remote":{"u1":{"insert":{}},"u2":{"insert":{}}}}]})");
    CHECK(s.method == "update3");
    CHECK(s.rows == 2);
}

TEST_CASE("notification rows: row contents and the monitor id are not counted as rows") {
    // Objects nested deeper (row columns, maps) and a monitor id that is an object.
    auto s = summarize_message(
        R"({"method":"update","params":[{"k":{"x":{"y":1}}},{"T":{"u1":{"new":)"
        R"({"other_config":["map",[["a","b"]]],"n":{"deep":{"deeper":{}}}}}}}],"id":null})");
    CHECK(s.rows == 1);
}

TEST_CASE("notification rows: replies report errors and carry no method") {
    auto ok = summarize_message(R"({"id":3,"result":{},"error":null})");
    CHECK(ok.method.empty());
    CHECK_FALSE(ok.has_error);
    auto failed = summarize_message(R"({"id":3,"result":null,"error":"unknown method"})");
    CHECK(failed.has_error);
}

TEST_CASE("notification rows: malformed JSON throws") {
    CHECK_THROWS_AS(summarize_message(R"({"method":"update","params":[)"), std::invalid_argument);
}
