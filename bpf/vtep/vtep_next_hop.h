/* Where an encapsulated frame goes next: a static next hop (exact remote IP, else the
 * 0.0.0.0 default), else the kernel's FIB and neighbour tables via bpf_fib_lookup.
 * Replay mode has no kernel routing and uses static next hops only. */
#pragma once

#include "vtep_headers.h"
#include "vtep_maps.h"
#include "vtep_replay.h"

enum next_hop_status {
    NEXT_HOP_OK = 0,
    NEXT_HOP_NO_ROUTE = 1,
    NEXT_HOP_NO_NEIGH = 2, /* route known, MAC not resolved: the kernel must resolve it */
};

/* The summary (an array: no hash) says whether an exact entry can exist and holds the
 * default, so the usual setup (one default) costs no hash lookup at all. */
static __always_inline int static_next_hop(__be32 remote_ip, struct vtep_next_hop* out) {
    __u32 key = 0;
    struct vtep_next_hop_summary* summary = bpf_map_lookup_elem(&vtep_next_hop_summary, &key);
    if (!summary) return NEXT_HOP_NO_ROUTE;
    if (summary->exact_entries) {
        struct vtep_next_hop* nh = bpf_map_lookup_elem(&vtep_next_hops, &remote_ip);
        if (nh) {
            *out = *nh;
            return NEXT_HOP_OK;
        }
    }
    if (!summary->has_default) return NEXT_HOP_NO_ROUTE;
    *out = summary->default_hop;
    return NEXT_HOP_OK;
}

/* ctx is the program's context (xdp_md or __sk_buff): bpf_fib_lookup takes either. */
static __always_inline int resolve_next_hop(void* ctx, const struct vtep_config* cfg,
                                            __be32 remote_ip, struct vtep_next_hop* out) {
    if (replay_mode) return static_next_hop(remote_ip, out);
    /* Most gateways use the kernel's tables only: skip two lookups that would miss. */
    if (cfg->static_next_hops && static_next_hop(remote_ip, out) == NEXT_HOP_OK) return NEXT_HOP_OK;
    struct bpf_fib_lookup params = {};
    params.family = AF_INET_FAMILY;
    params.l4_protocol = IPPROTO_UDP;
    params.dport = bpf_htons(VTEP_VXLAN_PORT);
    params.ipv4_src = cfg->source_ip;
    params.ipv4_dst = remote_ip;
    params.ifindex = cfg->uplink_ifindex;
    long rc = bpf_fib_lookup(ctx, &params, sizeof(params),
                             cfg->uplink_ifindex ? BPF_FIB_LOOKUP_OUTPUT : 0);
    if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
        out->ifindex = params.ifindex;
        return NEXT_HOP_NO_NEIGH;
    }
    if (rc != BPF_FIB_LKUP_RET_SUCCESS) return NEXT_HOP_NO_ROUTE;
    out->ifindex = params.ifindex;
    __builtin_memcpy(out->dst_mac, params.dmac, ETH_ALEN);
    __builtin_memcpy(out->src_mac, params.smac, ETH_ALEN);
    return NEXT_HOP_OK;
}
