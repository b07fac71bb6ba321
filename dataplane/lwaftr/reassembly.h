// The fragment slow path: IPv6 fragments of softwire packets (a B4 fragments when IPv4
// plus the IPv6 header exceeds its link MTU) are collected and, once complete, rebuilt
// into one frame for the XDP program to decapsulate (RFC 7596 section 5.3).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace vtep::lwaftr {

class Ipv6Reassembler {
  public:
    // Limits per packet and in total, so fragment floods cannot exhaust memory.
    static constexpr size_t kMaxFragments = 64;
    static constexpr size_t kMaxPending = 1024;

    // frame: Ethernet (optionally 802.1Q) + IPv6 whose next header is a fragment header.
    // Returns the whole frame (same link header, next header from the fragment header)
    // when this fragment completes a packet; nothing otherwise. Malformed, overlapping
    // or oversized fragments are dropped (counted in dropped()).
    std::optional<std::vector<uint8_t>> add(const std::vector<uint8_t>& frame, uint32_t max_packet);

    // Whether frame is an IPv6 fragment this class handles.
    static bool is_fragment(const std::vector<uint8_t>& frame);

    size_t pending() const { return pending_.size(); }
    size_t dropped() const { return dropped_; }

  private:
    struct Key {
        std::array<uint8_t, 36> bytes;  // source, destination, identification
        bool operator<(const Key& o) const { return bytes < o.bytes; }
    };
    struct Pending {
        std::vector<uint8_t> head;  // link header + IPv6 header of the first fragment
        std::map<uint32_t, std::vector<uint8_t>> pieces;  // offset -> payload
        std::optional<uint32_t> total;                    // known once the last arrives
        uint8_t next_header = 0;
        uint64_t order = 0;
    };

    std::map<Key, Pending> pending_;
    size_t dropped_ = 0;
    uint64_t counter_ = 0;
};

}  // namespace vtep::lwaftr
