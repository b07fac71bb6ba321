#include "dataplane/vtep/addresses.h"

#include <arpa/inet.h>

#include <cstdio>
#include <stdexcept>

namespace vtep::dataplane {

MacAddress MacAddress::parse(std::string_view text) {
    MacAddress mac;
    auto bad = [&] {
        return std::invalid_argument("'" + std::string(text) +
                                     "' is not a MAC address (want 02:00:00:00:00:01)");
    };
    if (text.size() != 17) throw bad();
    for (size_t i = 0; i < 6; ++i) {
        auto hex = [&](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            throw bad();
        };
        mac.bytes[i] = uint8_t(hex(text[3 * i]) << 4 | hex(text[3 * i + 1]));
        if (i < 5 && text[3 * i + 2] != ':' && text[3 * i + 2] != '-') throw bad();
    }
    return mac;
}

std::string MacAddress::to_string() const {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return text;
}

Ipv4Address Ipv4Address::parse(std::string_view text) {
    in_addr addr{};
    std::string copy(text);
    if (inet_pton(AF_INET, copy.c_str(), &addr) != 1)
        throw std::invalid_argument("'" + copy + "' is not an IPv4 address");
    return Ipv4Address{addr.s_addr};
}

std::string Ipv4Address::to_string() const {
    char text[INET_ADDRSTRLEN];
    in_addr addr{network_order};
    inet_ntop(AF_INET, &addr, text, sizeof text);
    return text;
}

}  // namespace vtep::dataplane
