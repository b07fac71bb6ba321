// One softwire binding (RFC 7596 / RFC 8676 binding-entry): a B4's IPv6 address bound to a
// shared IPv4 address and one port set of it, reached through one BR address.
#pragma once

#include <cstdint>

#include "dataplane/lwaftr/addresses.h"

namespace vtep::lwaftr {

struct PortSet {
    uint8_t psid_offset = 0;  // RFC 7597 "a"
    uint8_t psid_len = 0;     // RFC 7597 "k"
    uint16_t psid = 0;

    bool operator==(const PortSet&) const = default;
};

struct Binding {
    Ipv6Address b4_ipv6{};
    uint32_t ipv4 = 0;  // host order
    PortSet port_set;
    Ipv6Address br_ipv6{};

    bool operator==(const Binding&) const = default;
};

// Why a port set is not usable, or empty when it is.
const char* port_set_problem(const PortSet& set);

// Whether port belongs to the port set (RFC 7597 section 5.1).
bool port_in_set(uint16_t port, const PortSet& set);

}  // namespace vtep::lwaftr
