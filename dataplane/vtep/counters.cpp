#include "dataplane/vtep/counters.h"

#include <array>

#include "vtep_abi.h"

namespace vtep::dataplane {
namespace {

constexpr std::array<std::string_view, VTEP_CTR_MAX> kNames = {
    "drop_malformed",     "drop_vlan_stack",    "drop_no_binding",   "drop_unknown_vni",
    "drop_vxlan_flags",   "drop_mtu_exceeded",  "drop_no_route",     "drop_no_neigh",
    "drop_hairpin",       "drop_split_horizon", "drop_no_tx_port",   "drop_no_config",
    "drop_flood_empty",   "drop_adjust_failed", "pass_not_ours",     "pass_underlay_fragment",
    "pass_to_replicator", "pass_no_neigh",      "learn_new",         "learn_move",
    "learn_limit",        "learn_table_full",   "learn_events_lost", "replicated_local",
    "replicated_remote",  "clone_failed",
};
static_assert(kNames.back() == "clone_failed", "keep in the order of vtep_counter_id");

}  // namespace

std::string_view counter_name(uint32_t id) {
    return id < kNames.size() ? kNames[id] : "?";
}

std::optional<uint32_t> counter_id(std::string_view name) {
    for (uint32_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return i;
    return std::nullopt;
}

uint32_t counter_count() {
    return VTEP_CTR_MAX;
}

}  // namespace vtep::dataplane
