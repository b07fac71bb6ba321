#include "dataplane/lwaftr/counters.h"

#include <array>

namespace vtep::lwaftr {
namespace {

constexpr std::array<std::string_view, LWAFTR_COUNTER_COUNT> kNames = {
    "in-ipv4",
    "in-ipv6",
    "decap",
    "encap",
    "hairpin",
    "pass-not-ours",
    "pass-fragment",
    "pass-no-neighbour",
    "pass-no-config",
    "drop-malformed",
    "drop-decap-no-binding",
    "drop-decap-wrong-b4",
    "drop-decap-wrong-br",
    "drop-encap-no-binding",
    "drop-no-port",
    "drop-ttl-expired",
    "drop-too-big",
    "drop-too-big-mru",
    "drop-icmpv4-policy",
    "drop-icmpv6-policy",
    "drop-no-route",
    "drop-internal",
    "icmpv4-sent",
    "icmpv6-sent",
    "icmp-rate-limited",
    "icmpv6-translated",
    "drop-no-table",
    "drop-icmpv6-no-binding",
};

}  // namespace

std::string_view counter_name(lwaftr_counter_id id) {
    return id < kNames.size() ? kNames[id] : std::string_view("unknown");
}

std::optional<lwaftr_counter_id> counter_by_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); i++)
        if (kNames[i] == name) return static_cast<lwaftr_counter_id>(i);
    return std::nullopt;
}

}  // namespace vtep::lwaftr
