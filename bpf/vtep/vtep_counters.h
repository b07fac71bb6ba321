/* Counter updates: one per drop reason and per notable outcome, and per binding. */
#pragma once

#include "vtep_maps.h"

static __always_inline void count(enum vtep_counter_id id) {
    __u32 key = id;
    __u64* value = bpf_map_lookup_elem(&vtep_counters, &key);
    if (value) *value += 1; /* per-CPU: no atomics needed */
}

static __always_inline void count_from_local(__u32 stats_index, __u32 bytes) {
    struct vtep_binding_stats* stats = bpf_map_lookup_elem(&vtep_binding_stats, &stats_index);
    if (!stats) return;
    stats->packets_from_local += 1;
    stats->bytes_from_local += bytes;
}

static __always_inline void count_to_local(__u32 stats_index, __u32 bytes) {
    if (stats_index == VTEP_NO_STATS) return;
    struct vtep_binding_stats* stats = bpf_map_lookup_elem(&vtep_binding_stats, &stats_index);
    if (!stats) return;
    stats->packets_to_local += 1;
    stats->bytes_to_local += bytes;
}
