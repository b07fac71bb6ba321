// Address value types of the lwAFTR control plane and their text forms.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vtep::lwaftr {

using Ipv6Address = std::array<uint8_t, 16>;
using MacAddress = std::array<uint8_t, 6>;

// IPv4 addresses are kept in host order (1.2.3.4 == 0x01020304).
std::optional<uint32_t> parse_ipv4(std::string_view text);
std::optional<Ipv6Address> parse_ipv6(std::string_view text);
std::optional<MacAddress> parse_mac(std::string_view text);

std::string format_ipv4(uint32_t address);
std::string format_ipv6(const Ipv6Address& address);
std::string format_mac(const MacAddress& address);

}  // namespace vtep::lwaftr
