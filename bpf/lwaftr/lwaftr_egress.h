/* Leaving the program: next hop (static or FIB), link-layer header, verdict. */
#pragma once

#include "lwaftr_headers.h"
#include "lwaftr_maps.h"

#define LWAFTR_AF_INET 2
#define LWAFTR_AF_INET6 10

enum next_hop_result {
    NEXT_HOP_OK,
    NEXT_HOP_UNRESOLVED, /* the kernel must resolve the neighbour: pass the packet up */
    NEXT_HOP_NO_ROUTE,
};

struct next_hop {
    __u8 dmac[6];
    __u8 smac[6];
    __u32 ifindex;
    __u16 vlan_id;
};

static __always_inline void next_hop_static(const struct lwaftr_side* side, struct next_hop* hop) {
    __builtin_memcpy(hop->dmac, side->next_hop_mac, 6);
    __builtin_memcpy(hop->smac, side->mac, 6);
    hop->ifindex = side->ifindex;
    hop->vlan_id = side->vlan_id;
}

static __always_inline int next_hop_ipv4(struct xdp_md* ctx, const struct lwaftr_side* side,
                                         __be32 source, __be32 destination, __u16 length,
                                         struct next_hop* hop) {
    next_hop_static(side, hop);
    if (!(side->flags & LWAFTR_SIDE_USE_FIB)) return NEXT_HOP_OK;
    struct bpf_fib_lookup fib = {};
    fib.family = LWAFTR_AF_INET;
    fib.ifindex = ctx->ingress_ifindex;
    fib.tot_len = length;
    fib.ipv4_src = source;
    fib.ipv4_dst = destination;
    int rc = bpf_fib_lookup(ctx, &fib, sizeof fib, 0);
    if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) return NEXT_HOP_UNRESOLVED;
    if (rc != BPF_FIB_LKUP_RET_SUCCESS) return NEXT_HOP_NO_ROUTE;
    __builtin_memcpy(hop->dmac, fib.dmac, 6);
    __builtin_memcpy(hop->smac, fib.smac, 6);
    hop->ifindex = fib.ifindex;
    return NEXT_HOP_OK;
}

static __always_inline int next_hop_ipv6(struct xdp_md* ctx, const struct lwaftr_side* side,
                                         const __u8* source, const __u8* destination, __u16 length,
                                         struct next_hop* hop) {
    next_hop_static(side, hop);
    if (!(side->flags & LWAFTR_SIDE_USE_FIB)) return NEXT_HOP_OK;
    struct bpf_fib_lookup fib = {};
    fib.family = LWAFTR_AF_INET6;
    fib.ifindex = ctx->ingress_ifindex;
    fib.tot_len = length;
    __builtin_memcpy(fib.ipv6_src, source, 16);
    __builtin_memcpy(fib.ipv6_dst, destination, 16);
    int rc = bpf_fib_lookup(ctx, &fib, sizeof fib, 0);
    if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) return NEXT_HOP_UNRESOLVED;
    if (rc != BPF_FIB_LKUP_RET_SUCCESS) return NEXT_HOP_NO_ROUTE;
    __builtin_memcpy(hop->dmac, fib.dmac, 6);
    __builtin_memcpy(hop->smac, fib.smac, 6);
    hop->ifindex = fib.ifindex;
    return NEXT_HOP_OK;
}

static __always_inline __u32 l2_length(__u16 vlan_id) {
    return vlan_id ? sizeof(struct ethhdr) + sizeof(struct vlan_tag) : sizeof(struct ethhdr);
}

/* Writes the link-layer header at the start of the frame; the frame must already have
 * room for l2_length(hop->vlan_id) bytes before the network header. */
static __always_inline int write_l2(struct xdp_md* ctx, const struct next_hop* hop,
                                    __u16 ether_type) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return -1;
    __builtin_memcpy(eth->h_dest, hop->dmac, 6);
    __builtin_memcpy(eth->h_source, hop->smac, 6);
    if (!hop->vlan_id) {
        eth->h_proto = bpf_htons(ether_type);
        return 0;
    }
    struct vlan_tag* tag = (void*)(eth + 1);
    if ((void*)(tag + 1) > data_end) return -1;
    eth->h_proto = bpf_htons(ETH_P_8021Q_TAG);
    tag->tci = bpf_htons(hop->vlan_id & 0x0fff);
    tag->inner_proto = bpf_htons(ether_type);
    return 0;
}

/* Same side: back out of the port it came in on. Other side: redirect to that side's
 * device (ifindex 0 means "not attached", as in offline replay, where the verdict itself
 * names the side). */
static __always_inline int transmit(struct xdp_md* ctx, const struct next_hop* hop, int same_side) {
    if (same_side) return XDP_TX;
    if (hop->ifindex && hop->ifindex == ctx->ingress_ifindex) return XDP_TX;
    return bpf_redirect(hop->ifindex, 0);
}
