#include <unistd.h>
#include <catch2/catch.hpp>
#include <fstream>

#include "dataplane/lwaftr/table_file.h"

using namespace vtep::lwaftr;

TEST_CASE("table file: defaults apply to the lines that follow; per-line values override") {
    auto bindings = parse_table_text(
        "# a table\n"
        "lwaftr-binding-table 1\n"
        "default br 2001:db8:ffff::1\n"
        "default psid-len 6\n"
        "default psid-offset 6\n"
        "2001:db8:100::1 198.51.100.1 1\n"
        "\n"
        "2001:db8:100::2   198.51.100.1\t2   # trailing comment\n"
        "2001:db8:100::3 198.51.100.9 0 psid-len=0 br=2001:db8:ffff::2\n");
    REQUIRE(bindings.size() == 3);
    CHECK(bindings[0].port_set == PortSet{6, 6, 1});
    CHECK(format_ipv6(bindings[1].br_ipv6) == "2001:db8:ffff::1");
    CHECK(bindings[2].port_set.psid_len == 0);
    CHECK(format_ipv6(bindings[2].br_ipv6) == "2001:db8:ffff::2");
    CHECK(format_ipv4(bindings[2].ipv4) == "198.51.100.9");
}

TEST_CASE("table file: a malformed line is reported with its line number") {
    const std::string head = "lwaftr-binding-table 1\ndefault br 2001:db8::1\ndefault psid-len 6\n";
    auto line_of = [](const std::string& text) {
        try {
            parse_table_text(text, "t");
        } catch (const TableFileError& e) {
            return e.line;
        }
        return size_t{0};
    };
    CHECK(line_of(head + "2001:db8::5 198.51.100.1 1\n2001:db8::6 198.51.100.300 1\n") == 5);
    CHECK(line_of(head + "2001:db8::5 198.51.100.1\n") == 4);
    CHECK(line_of(head + "2001:db8::5 198.51.100.1 64\n") == 4);  // PSID needs 7 bits
    CHECK(line_of(head + "2001:db8::5 198.51.100.1 1 psid-len=17\n") == 4);
    CHECK(line_of("2001:db8::5 198.51.100.1 1\n") == 1);
    CHECK(line_of("lwaftr-binding-table 1\n2001:db8::5 198.51.100.1 1\n") == 2);  // no BR
    CHECK_THROWS_WITH(parse_table_text(head + "x 1.2.3.4 1\n", "t.txt"),
                      Catch::StartsWith("t.txt:4: 'x' is not an IPv6 address"));
}

TEST_CASE("table file: what is written reads back the same") {
    std::vector<Binding> bindings;
    for (uint16_t i = 0; i < 100; i++)
        bindings.push_back({*parse_ipv6("2001:db8::" + std::to_string(i + 1)), 0xc6336400u + i / 8,
                            PortSet{6, uint8_t(i == 99 ? 4 : 6), uint16_t(i % 8)},
                            *parse_ipv6(i == 50 ? "2001:db8:ffff::2" : "2001:db8:ffff::1")});
    std::string path = "/tmp/lwaftr-table-test-" + std::to_string(getpid());
    write_table_file(path, bindings);
    size_t progress_calls = 0;
    auto back = read_table_file(path, [&](size_t, size_t, size_t) { progress_calls++; });
    unlink(path.c_str());
    CHECK(back == bindings);
    CHECK(progress_calls >= 1);
}
