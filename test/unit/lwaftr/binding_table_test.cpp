#include <catch2/catch.hpp>
#include <random>

#include "dataplane/lwaftr/binding_table.h"

using namespace vtep::lwaftr;

namespace {

Binding make(const char* b4, uint32_t ipv4, uint16_t psid, uint8_t len = 6, uint8_t offset = 6,
             const char* br = "2001:db8:ffff::100") {
    return Binding{*parse_ipv6(b4), ipv4, PortSet{offset, len, psid}, *parse_ipv6(br)};
}

}  // namespace

TEST_CASE("binding table: finds the binding of (IPv4, port) and all port sets of a B4") {
    auto table =
        BindingTable::build({make("2001:db8::1", 0xc6336401, 1), make("2001:db8::2", 0xc6336401, 2),
                             make("2001:db8::1", 0xc6336402, 5)});
    // psid-offset 6, psid-len 6: port 1040 = 0b000001 000001 0000 -> PSID 1.
    auto found = table.find(0xc6336401, 1040);
    REQUIRE(found);
    CHECK(format_ipv6(found->b4_ipv6) == "2001:db8::1");
    CHECK(found->port_set.psid == 1);
    CHECK(table.find(0xc6336401, 1056)->b4_ipv6 == *parse_ipv6("2001:db8::2"));
    CHECK_FALSE(table.find(0xc6336401, 80));    // reserved range
    CHECK_FALSE(table.find(0xc6336401, 1072));  // PSID 3 unbound
    CHECK_FALSE(table.find(0xc6336403, 1040));  // address not shared
    CHECK(table.find_b4(*parse_ipv6("2001:db8::1")).size() == 2);
    CHECK(table.header().softwires == 3);
    CHECK(table.br_addresses().size() == 1);
}

TEST_CASE("binding table: rejects duplicates, mixed geometries and bad port sets") {
    CHECK_THROWS_WITH(BindingTable::build({make("2001:db8::1", 1, 1), make("2001:db8::2", 1, 1)}),
                      Catch::Contains("two bindings for 0.0.0.1 psid 1"));
    CHECK_THROWS_WITH(
        BindingTable::build({make("2001:db8::1", 1, 1), make("2001:db8::2", 1, 2, 4)}),
        Catch::Contains("same geometry"));
    CHECK_THROWS_WITH(BindingTable::build({make("2001:db8::1", 1, 64)}),
                      Catch::Contains("psid does not fit"));
    CHECK_THROWS_WITH(BindingTable::build({make("2001:db8::1", 1, 1, 12, 6)}),
                      Catch::Contains("exceed 16 bits"));
}

TEST_CASE("binding table: 200k random bindings are all found, probes stay bounded") {
    std::mt19937 random(7);
    std::vector<Binding> bindings;
    for (uint32_t i = 0; i < 200000; i++) {
        Ipv6Address b4{0x20, 0x01, 0x0d, 0xb8};
        for (int j = 4; j < 16; j++) b4[j] = static_cast<uint8_t>(random());
        bindings.push_back(Binding{b4, 0x0a000000 + i / 64, PortSet{6, 6, uint16_t(i % 64)},
                                   *parse_ipv6("2001:db8:ffff::100")});
    }
    auto table = BindingTable::build(bindings);
    CHECK(table.header().max_probe <= LWAFTR_MAX_PROBE);
    // At most ~48 bytes of slots per binding (24-byte slots at load <= 0.6, plus PSID maps).
    CHECK(table.image().size() * sizeof(lwaftr_slot) < bindings.size() * 48);
    for (const auto& b : bindings) {
        uint16_t port = static_cast<uint16_t>((1u << 10) | (b.port_set.psid << 4) | 3);
        auto found = table.find(b.ipv4, port);
        REQUIRE(found);
        REQUIRE(found->b4_ipv6 == b.b4_ipv6);
    }
}

TEST_CASE("binding table: the header names the geometry when every address shares it") {
    auto uniform = BindingTable::build({make("2001:db8::1", 1, 1), make("2001:db8::2", 2, 3)});
    CHECK(uniform.header().uniform_psid_len == 6);
    CHECK(uniform.header().uniform_psid_offset == 6);
    auto mixed = BindingTable::build({make("2001:db8::1", 1, 1), make("2001:db8::2", 2, 0, 0, 0)});
    CHECK(mixed.header().uniform_psid_offset == LWAFTR_GEOMETRY_VARIES);
    // Lookups give the same answers either way.
    CHECK(uniform.find(2, 1024 | 3 << 4)->b4_ipv6 == *parse_ipv6("2001:db8::2"));
    CHECK(mixed.find(2, 80)->b4_ipv6 == *parse_ipv6("2001:db8::2"));
}
