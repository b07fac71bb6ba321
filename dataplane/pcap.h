// Classic pcap files (the libpcap format, microsecond or nanosecond stamps): read every
// record, write Ethernet captures. Used by offline replay and by the packet-vector tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace vtep::dataplane {

struct PcapPacket {
    uint64_t timestamp_ns = 0;
    std::vector<uint8_t> data;  // the captured bytes (caplen), starting at the link header
    uint32_t original_length = 0;
};

struct PcapError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads a whole classic pcap file. Throws PcapError naming the file and the problem
// (bad magic, non-Ethernet link type, truncated record).
std::vector<PcapPacket> read_pcap(const std::string& path);

// Writes Ethernet (LINKTYPE_ETHERNET) records with microsecond stamps. The file is
// created (and its header written) at construction, so an output with no packets is
// still a valid, empty capture.
class PcapWriter {
public:
    explicit PcapWriter(const std::string& path);
    void write(const PcapPacket& packet);
    void write(uint64_t timestamp_ns, const uint8_t* data, size_t length);
    size_t packets_written() const { return count_; }

private:
    std::string path_;
    std::ofstream out_;
    size_t count_ = 0;
};

}  // namespace vtep::dataplane
