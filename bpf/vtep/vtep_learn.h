/* Source-MAC learning on access ports: new MACs and moves are written to the local MAC
 * table and reported on the learn-event ring. A port at its MAC limit learns nothing
 * more (counted), and established entries are never evicted. Aging is done by the
 * control plane from last_seen_ns. */
#pragma once

#include "vtep_counters.h"
#include "vtep_headers.h"
#include "vtep_maps.h"

/* last_seen_ns is refreshed at most this often, to keep the hot path free of writes. */
#define VTEP_LAST_SEEN_GRANULARITY_NS 1000000000ull

/* The coarse clock moves once per tick, as jiffies do; bpf_jiffies64 is inlined by the
 * verifier (a memory load) while bpf_ktime_get_coarse_ns is a helper call. The clock is
 * read once per tick and reused within it. Racing CPUs may store a pair from different
 * ticks: the stamp is then one tick old, which aging at second granularity ignores. */
__u64 coarse_clock_jiffies = 0;
__u64 coarse_clock_ns = 0;

static __always_inline __u64 coarse_now_ns(void) {
    __u64 jiffies = bpf_jiffies64();
    if (jiffies == coarse_clock_jiffies) return coarse_clock_ns;
    __u64 now = bpf_ktime_get_coarse_ns();
    coarse_clock_ns = now;
    coarse_clock_jiffies = jiffies;
    return now;
}

static __always_inline void report_learn_event(struct vtep_learn_event* event) {
    if (bpf_ringbuf_output(&vtep_learn_events, event, sizeof(*event), 0))
        count(VTEP_CTR_LEARN_EVENTS_LOST);
}

static __always_inline int port_has_room(struct vtep_port* port) {
    return port && port->learned_macs < port->mac_limit;
}

static __always_inline void learn_source_mac(__u32 vni, const __u8* mac, __u32 ifindex, __u16 vlan,
                                             __u32 stats_index) {
    struct vtep_mac_key key = {.vni = vni};
    __builtin_memcpy(key.mac, mac, ETH_ALEN);
    /* The coarse clock costs a fraction of bpf_ktime_get_ns and is plenty for aging. */
    __u64 now = coarse_now_ns();
    struct vtep_local_mac* known = bpf_map_lookup_elem(&vtep_local_macs, &key);
    if (known && known->ifindex == ifindex && known->vlan == vlan) {
        if (now - known->last_seen_ns > VTEP_LAST_SEEN_GRANULARITY_NS) known->last_seen_ns = now;
        return;
    }
    if (known && (known->flags & VTEP_LOCAL_MAC_STATIC)) return;

    struct vtep_port* port = bpf_map_lookup_elem(&vtep_ports, &ifindex);
    if (!port_has_room(port)) {
        count(VTEP_CTR_LEARN_LIMIT);
        return;
    }
    struct vtep_local_mac entry = {
        .ifindex = ifindex, .vlan = vlan, .last_seen_ns = now, .stats_index = stats_index};
    struct vtep_learn_event event = {
        .vni = vni, .vlan = vlan, .ifindex = ifindex, .timestamp_ns = now};
    __builtin_memcpy(event.mac, mac, ETH_ALEN);

    if (known) {
        __u32 old_ifindex = known->ifindex;
        __u16 old_vlan = known->vlan;
        if (bpf_map_update_elem(&vtep_local_macs, &key, &entry, BPF_EXIST)) return;
        if (old_ifindex != ifindex) {
            struct vtep_port* old_port = bpf_map_lookup_elem(&vtep_ports, &old_ifindex);
            if (old_port && old_port->learned_macs > 0)
                __sync_fetch_and_add(&old_port->learned_macs, -1);
            __sync_fetch_and_add(&port->learned_macs, 1);
        }
        count(VTEP_CTR_LEARN_MOVE);
        event.type = VTEP_LEARN_EVENT_MOVE;
        event.old_ifindex = old_ifindex;
        event.old_vlan = old_vlan;
        report_learn_event(&event);
        return;
    }
    long rc = bpf_map_update_elem(&vtep_local_macs, &key, &entry, BPF_NOEXIST);
    if (rc == -17 /* EEXIST: another CPU learned it first */) return;
    if (rc) {
        count(VTEP_CTR_LEARN_TABLE_FULL);
        return;
    }
    __sync_fetch_and_add(&port->learned_macs, 1);
    count(VTEP_CTR_LEARN_NEW);
    event.type = VTEP_LEARN_EVENT_NEW;
    report_learn_event(&event);
}
