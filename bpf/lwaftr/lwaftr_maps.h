/* Maps of the lwAFTR XDP program (layouts in lwaftr_abi.h). */
#pragma once

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "lwaftr_abi.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct lwaftr_config);
} lwaftr_config SEC(".maps");

/* Template of the binding tables. BPF_F_INNER_MAP lets each table have its own size.
 * Sizes rather than BTF types: clang keeps only a forward declaration of a struct that is
 * reached only through the inner-map template. */
struct lwaftr_table_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(struct lwaftr_slot));
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct lwaftr_table_map);
} lwaftr_tables SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, LWAFTR_COUNTER_COUNT);
    __type(key, __u32);
    __type(value, struct lwaftr_counter);
} lwaftr_counters SEC(".maps");

/* Token buckets of the generated-error rate limits: [0] ICMPv4, [1] ICMPv6. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct lwaftr_rate_bucket);
} lwaftr_rate_state SEC(".maps");

static __always_inline void count(enum lwaftr_counter_id id, __u64 bytes) {
    __u32 key = id;
    struct lwaftr_counter* counter = bpf_map_lookup_elem(&lwaftr_counters, &key);
    if (counter) {
        counter->packets++;
        counter->bytes += bytes;
    }
}
