#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dataplane/pcap.h"

using vtep::dataplane::PcapError;
using vtep::dataplane::PcapWriter;
using vtep::dataplane::read_pcap;

namespace {
std::string temp_path(const char* name) {
    return std::string("/tmp/vtep-pcap-test-") + std::to_string(getpid()) + "-" + name;
}
}  // namespace

TEST_CASE("pcap: packets written are read back with stamps and bytes") {
    auto path = temp_path("roundtrip.pcap");
    {
        PcapWriter writer(path);
        const uint8_t a[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00};
        writer.write(1500000000123456000ull, a, sizeof a);
        writer.write(1500000001000000000ull, a, 6);
        CHECK(writer.packets_written() == 2);
    }
    auto packets = read_pcap(path);
    REQUIRE(packets.size() == 2);
    CHECK(packets[0].timestamp_ns == 1500000000123456000ull);
    CHECK(packets[0].data.size() == 14);
    CHECK(packets[0].data[12] == 0x08);
    CHECK(packets[1].data.size() == 6);
    std::remove(path.c_str());
}

TEST_CASE("pcap: an output with no packets is a valid empty capture") {
    auto path = temp_path("empty.pcap");
    { PcapWriter writer(path); }
    CHECK(read_pcap(path).empty());
    std::remove(path.c_str());
}

TEST_CASE("pcap: garbage and truncation are reported, not misread") {
    auto path = temp_path("bad.pcap");
    {
        std::ofstream out(path, std::ios::binary);
        out << "this is not a capture file at all";
    }
    CHECK_THROWS_AS(read_pcap(path), PcapError);
    {
        PcapWriter writer(path);
        const uint8_t a[64] = {};
        writer.write(0, a, sizeof a);
    }
    std::filesystem::resize_file(path, 24 + 16 + 10);  // cut the record's payload short
    CHECK_THROWS_WITH(read_pcap(path), Catch::Contains("truncated"));
    std::remove(path.c_str());
}
