#include "dataplane/pcap.h"

#include <cstring>

namespace vtep::dataplane {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kLinkTypeEthernet = 1;
constexpr uint32_t kMaxRecord = 256 * 1024;

uint32_t swap32(uint32_t v) { return __builtin_bswap32(v); }

struct FileHeader {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
};

struct RecordHeader {
    uint32_t ts_sec;
    uint32_t ts_frac;
    uint32_t caplen;
    uint32_t len;
};

}  // namespace

std::vector<PcapPacket> read_pcap(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PcapError(path + ": cannot open: " + std::strerror(errno));
    FileHeader header{};
    if (!in.read(reinterpret_cast<char*>(&header), sizeof header))
        throw PcapError(path + ": not a pcap file (shorter than the file header)");
    bool swapped = false;
    bool nano = false;
    switch (header.magic) {
        case kMagicMicro: break;
        case kMagicNano: nano = true; break;
        default:
            if (swap32(header.magic) == kMagicMicro) {
                swapped = true;
            } else if (swap32(header.magic) == kMagicNano) {
                swapped = nano = true;
            } else {
                throw PcapError(path + ": not a classic pcap file (pcapng is not supported)");
            }
    }
    auto host = [swapped](uint32_t v) { return swapped ? swap32(v) : v; };
    if (host(header.linktype) != kLinkTypeEthernet)
        throw PcapError(path + ": link type " + std::to_string(host(header.linktype)) +
                        " is not Ethernet");
    std::vector<PcapPacket> packets;
    RecordHeader record{};
    while (in.read(reinterpret_cast<char*>(&record), sizeof record)) {
        uint32_t caplen = host(record.caplen);
        if (caplen > kMaxRecord)
            throw PcapError(path + ": record " + std::to_string(packets.size() + 1) +
                            " claims " + std::to_string(caplen) + " bytes");
        PcapPacket packet;
        packet.timestamp_ns = uint64_t(host(record.ts_sec)) * 1000000000ull +
                              uint64_t(host(record.ts_frac)) * (nano ? 1 : 1000);
        packet.original_length = host(record.len);
        packet.data.resize(caplen);
        if (!in.read(reinterpret_cast<char*>(packet.data.data()), caplen))
            throw PcapError(path + ": record " + std::to_string(packets.size() + 1) +
                            " is truncated");
        packets.push_back(std::move(packet));
    }
    if (in.gcount() != 0)
        throw PcapError(path + ": truncated record header after record " +
                        std::to_string(packets.size()));
    return packets;
}

PcapWriter::PcapWriter(const std::string& path)
    : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
    if (!out_) throw PcapError(path + ": cannot create: " + std::strerror(errno));
    FileHeader header{kMagicMicro, 2, 4, 0, 0, 65535, kLinkTypeEthernet};
    out_.write(reinterpret_cast<const char*>(&header), sizeof header);
    out_.flush();
    if (!out_) throw PcapError(path + ": write failed");
}

void PcapWriter::write(const PcapPacket& packet) {
    write(packet.timestamp_ns, packet.data.data(), packet.data.size());
}

void PcapWriter::write(uint64_t timestamp_ns, const uint8_t* data, size_t length) {
    RecordHeader record{uint32_t(timestamp_ns / 1000000000ull),
                        uint32_t(timestamp_ns % 1000000000ull / 1000), uint32_t(length),
                        uint32_t(length)};
    out_.write(reinterpret_cast<const char*>(&record), sizeof record);
    out_.write(reinterpret_cast<const char*>(data), std::streamsize(length));
    out_.flush();
    if (!out_) throw PcapError(path_ + ": write failed");
    ++count_;
}

}  // namespace vtep::dataplane
