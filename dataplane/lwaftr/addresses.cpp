#include "dataplane/lwaftr/addresses.h"

#include <arpa/inet.h>

#include <cstdio>

namespace vtep::lwaftr {

std::optional<uint32_t> parse_ipv4(std::string_view text) {
    std::string copy(text);
    in_addr address{};
    if (inet_pton(AF_INET, copy.c_str(), &address) != 1) return std::nullopt;
    return ntohl(address.s_addr);
}

std::optional<Ipv6Address> parse_ipv6(std::string_view text) {
    std::string copy(text);
    Ipv6Address address{};
    if (inet_pton(AF_INET6, copy.c_str(), address.data()) != 1) return std::nullopt;
    return address;
}

std::optional<MacAddress> parse_mac(std::string_view text) {
    MacAddress mac{};
    if (text.size() != 17) return std::nullopt;
    for (size_t i = 0; i < 6; i++) {
        if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
        unsigned value = 0;
        for (size_t j = 0; j < 2; j++) {
            char c = text[i * 3 + j];
            unsigned digit;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            else
                return std::nullopt;
            value = value * 16 + digit;
        }
        mac[i] = static_cast<uint8_t>(value);
    }
    return mac;
}

std::string format_ipv4(uint32_t address) {
    in_addr raw{htonl(address)};
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &raw, text, sizeof text);
    return text;
}

std::string format_ipv6(const Ipv6Address& address) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, address.data(), text, sizeof text);
    return text;
}

std::string format_mac(const MacAddress& address) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", address[0], address[1],
                  address[2], address[3], address[4], address[5]);
    return text;
}

}  // namespace vtep::lwaftr
