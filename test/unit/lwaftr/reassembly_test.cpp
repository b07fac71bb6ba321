#include <catch2/catch.hpp>

#include "dataplane/lwaftr/reassembly.h"

using vtep::lwaftr::Ipv6Reassembler;

namespace {

// Ethernet + IPv6 + fragment header (id 9) carrying `length` bytes at `offset`.
std::vector<uint8_t> fragment(uint32_t offset, uint32_t length, bool more, uint8_t fill) {
    std::vector<uint8_t> f(14 + 40 + 8, 0);
    f[12] = 0x86, f[13] = 0xdd;
    f[14] = 0x60;
    uint16_t payload = uint16_t(8 + length);
    f[18] = uint8_t(payload >> 8), f[19] = uint8_t(payload);
    f[20] = 44;
    f[21] = 64;
    f[22 + 15] = 1;  // source ::1
    f[38 + 15] = 2;  // destination ::2
    f[54] = 4;       // next header: IPv4
    uint16_t off = uint16_t(offset | (more ? 1 : 0));
    f[56] = uint8_t(off >> 8), f[57] = uint8_t(off);
    f[61] = 9;
    f.insert(f.end(), length, fill);
    return f;
}

}  // namespace

TEST_CASE("reassembly: fragments in any order give one packet with the inner next header") {
    Ipv6Reassembler r;
    CHECK_FALSE(r.add(fragment(1000, 200, false, 'b'), 1540));
    CHECK(r.pending() == 1);
    auto whole = r.add(fragment(0, 1000, true, 'a'), 1540);
    REQUIRE(whole);
    CHECK(whole->size() == 14 + 40 + 1200);
    CHECK((*whole)[20] == 4);                             // next header from the fragment header
    CHECK((((*whole)[18] << 8) | (*whole)[19]) == 1200);  // payload length
    CHECK((*whole)[54] == 'a');
    CHECK((*whole)[54 + 1000] == 'b');
    CHECK(r.pending() == 0);
}

TEST_CASE("reassembly: overlaps, oversize and misaligned fragments are dropped") {
    Ipv6Reassembler r;
    CHECK_FALSE(r.add(fragment(0, 1000, true, 'a'), 1540));
    CHECK_FALSE(r.add(fragment(992, 100, false, 'b'), 1540));  // overlaps the first
    CHECK(r.pending() == 0);
    CHECK(r.dropped() == 2);
    CHECK_FALSE(r.add(fragment(1496, 16, false, 'c'), 1540));  // beyond the path MRU
    CHECK_FALSE(r.add(fragment(0, 1001, true, 'd'), 1540));    // not a multiple of 8
    CHECK(r.dropped() == 4);
}
