// Names of the data plane's counters (bpf/include/vtep_abi.h's vtep_counter_id), as
// printed by the tools and used in the replay configuration's expectations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vtep::dataplane {

// "drop_malformed", "learn_new", ... ; index is a vtep_counter_id.
std::string_view counter_name(uint32_t id);
std::optional<uint32_t> counter_id(std::string_view name);
uint32_t counter_count();

// Totals over all CPUs, by name; only non-zero counters when nonzero_only.
using CounterSnapshot = std::map<std::string, uint64_t>;

struct BindingStats {
    uint64_t packets_from_local = 0;
    uint64_t bytes_from_local = 0;
    uint64_t packets_to_local = 0;
    uint64_t bytes_to_local = 0;
};

}  // namespace vtep::dataplane
