// MAC and IPv4 addresses as the VTEP API takes them: value types that parse and print
// the usual text forms and give the bytes the BPF maps store.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace vtep::dataplane {

struct MacAddress {
    std::array<uint8_t, 6> bytes{};

    // "02:00:00:00:00:01" (also '-' separated). Throws std::invalid_argument.
    static MacAddress parse(std::string_view text);
    std::string to_string() const;
    bool is_multicast() const { return bytes[0] & 1; }
    auto operator<=>(const MacAddress&) const = default;
};

struct Ipv4Address {
    uint32_t network_order = 0;  // as in the packet and the maps

    // Dotted quad. Throws std::invalid_argument.
    static Ipv4Address parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const Ipv4Address&) const = default;
};

}  // namespace vtep::dataplane
