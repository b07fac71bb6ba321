#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "dataplane/lwaftr/config.h"
#include "dataplane/lwaftr/snabb_import.h"

using namespace vtep::lwaftr;

TEST_CASE("import-snabb: softwires, policies and interfaces carry over; the rest is reported") {
    std::ifstream in(std::string(VTEP_SOURCE_DIR) + "/test/data/lwaftr/snabb-v3.conf");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    SnabbImport imported = import_snabb(text.str());
    REQUIRE(imported.bindings.size() == 3);
    CHECK(imported.bindings[1].port_set == PortSet{6, 6, 2});
    CHECK(format_ipv6(imported.bindings[2].br_ipv6) == "2001:db8:ffff::200");

    // What we print is a configuration we load.
    Config config = parse_config(imported.config.dump());
    CHECK(config.name == "lab-aftr");
    CHECK_FALSE(config.hairpinning);
    CHECK_FALSE(config.allow_incoming_icmpv4);
    CHECK(config.icmpv4_rate == 300000);
    CHECK(config.payload_mtu == 1460);
    CHECK(config.internet.vlan_id == 10);
    CHECK(config.internet.next_hop_mac.has_value());
    CHECK_FALSE(config.b4.next_hop_mac.has_value());  // only an IP in Snabb: kernel routing
    CHECK(format_ipv4(config.aftr_ipv4) == "192.0.2.1");
    CHECK(config.bindings == imported.bindings);

    auto noted = [&](const char* what) {
        for (const auto& n : imported.notes)
            if (n.find(what) != std::string::npos) return true;
        return false;
    };
    CHECK(noted("reassembly"));
    CHECK(noted("00:05.0"));
    CHECK(noted("next-hop ip 2001:db8:ffff::fe"));
}

TEST_CASE("import-snabb: syntax errors name the line") {
    CHECK_THROWS_WITH(import_snabb("softwire-config {\n  name x\n}\n"),
                      Catch::Contains("line 3: expected ';'"));
    CHECK_THROWS_WITH(import_snabb("foo { }"), Catch::Contains("no 'softwire-config'"));
    CHECK_THROWS_WITH(
        import_snabb("softwire-config {\n binding-table {\n softwire { ipv4 1.2.3.4; }\n"
                     " }\n}\n"),
        Catch::Contains("line 3: softwire needs ipv4, b4-ipv6 and br-address"));
}
