#include "dataplane/lwaftr/reassembly.h"

#include <algorithm>
#include <cstring>

namespace vtep::lwaftr {
namespace {

constexpr uint8_t kFragmentHeader = 44;
constexpr size_t kIpv6Header = 40;

// Offset of the IPv6 header, or 0 if the frame is not IPv6.
size_t ipv6_offset(const std::vector<uint8_t>& f) {
    if (f.size() < 14) return 0;
    uint16_t type = uint16_t(f[12] << 8 | f[13]);
    size_t l2 = 14;
    if (type == 0x8100 && f.size() >= 18) {
        type = uint16_t(f[16] << 8 | f[17]);
        l2 = 18;
    }
    return type == 0x86dd && f.size() >= l2 + kIpv6Header ? l2 : 0;
}

}  // namespace

bool Ipv6Reassembler::is_fragment(const std::vector<uint8_t>& frame) {
    size_t l3 = ipv6_offset(frame);
    return l3 && frame[l3 + 6] == kFragmentHeader && frame.size() >= l3 + kIpv6Header + 8;
}

std::optional<std::vector<uint8_t>> Ipv6Reassembler::add(const std::vector<uint8_t>& frame,
                                                         uint32_t max_packet) {
    if (!is_fragment(frame)) {
        dropped_++;
        return std::nullopt;
    }
    size_t l3 = ipv6_offset(frame);
    size_t payload_length = size_t(frame[l3 + 4] << 8 | frame[l3 + 5]);
    if (l3 + kIpv6Header + payload_length > frame.size() || payload_length < 8) {
        dropped_++;
        return std::nullopt;
    }
    const uint8_t* fh = &frame[l3 + kIpv6Header];
    uint16_t offset_flags = uint16_t(fh[2] << 8 | fh[3]);
    uint32_t offset = (offset_flags & 0xfff8u);
    bool more = offset_flags & 1;
    std::vector<uint8_t> data(fh + 8, &frame[l3 + kIpv6Header + payload_length]);
    // Every fragment but the last carries a multiple of 8 bytes (RFC 8200 section 4.5).
    if ((more && data.size() % 8) || offset + data.size() + kIpv6Header > max_packet) {
        dropped_++;
        return std::nullopt;
    }
    Key key{};
    std::memcpy(key.bytes.data(), &frame[l3 + 8], 32);
    std::memcpy(key.bytes.data() + 32, fh + 4, 4);
    auto [it, inserted] = pending_.try_emplace(key);
    Pending& p = it->second;
    if (inserted) {
        p.order = counter_++;
        if (pending_.size() > kMaxPending) {  // forget the oldest packet
            auto oldest = std::min_element(pending_.begin(), pending_.end(), [](auto& a, auto& b) {
                return a.second.order < b.second.order;
            });
            dropped_ += oldest->second.pieces.size();
            pending_.erase(oldest);
        }
    }
    if (offset == 0) {
        p.head.assign(frame.begin(), frame.begin() + long(l3 + kIpv6Header));
        p.next_header = fh[0];
    }
    if (!more) p.total = offset + uint32_t(data.size());
    // Overlaps are an attack or a bug (RFC 5722): drop the whole packet.
    for (const auto& [o, d] : p.pieces) {
        if (offset < o + d.size() && o < offset + data.size()) {
            dropped_ += p.pieces.size() + 1;
            pending_.erase(it);
            return std::nullopt;
        }
    }
    p.pieces.emplace(offset, std::move(data));
    if (p.pieces.size() > kMaxFragments) {
        dropped_ += p.pieces.size();
        pending_.erase(it);
        return std::nullopt;
    }
    if (!p.total || p.head.empty()) return std::nullopt;
    uint32_t covered = 0;
    for (const auto& [o, d] : p.pieces) {
        if (o != covered) return std::nullopt;
        covered += uint32_t(d.size());
    }
    if (covered != *p.total) return std::nullopt;
    std::vector<uint8_t> whole = p.head;
    size_t h = whole.size() - kIpv6Header;
    whole[h + 4] = uint8_t(covered >> 8);
    whole[h + 5] = uint8_t(covered);
    whole[h + 6] = p.next_header;
    for (const auto& [o, d] : p.pieces) whole.insert(whole.end(), d.begin(), d.end());
    pending_.erase(it);
    return whole;
}

}  // namespace vtep::lwaftr
