/* XDP frame handling shared by the access and uplink programs: the 802.1Q parse of an
 * access frame, rewriting its VLAN for the egress binding, and the egress decision. */
#pragma once

#include "vtep_counters.h"
#include "vtep_headers.h"
#include "vtep_maps.h"
#include "vtep_replay.h"

/* The frame's length. The programs are loaded without BPF_F_XDP_HAS_FRAGS, so the kernel
 * only runs them on linear frames: the length is the span of the data, no helper call. */
static __always_inline __u32 xdp_frame_len(const struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    __u32 len = data_end - data;
    /* Keeps the compiler from folding other terms into the pointer difference, which
     * the verifier only accepts as end minus start. */
    asm volatile("" : "+r"(len));
    return len;
}

struct access_l2 {
    __u16 vlan;    /* VTEP_VLAN_UNTAGGED when untagged or priority-tagged */
    __u16 tagged;  /* one 802.1Q tag present */
    __u16 tci_pcp; /* priority bits of the tag, kept on rewrite */
    __u16 l3_offset;
    __be16 l3_proto;
};

/* Returns 1 when the frame is usable; otherwise 0 with *drop_reason set. */
static __always_inline int parse_access_l2(void* data, void* data_end, struct access_l2* l2,
                                           enum vtep_counter_id* drop_reason) {
    struct ethhdr* eth = data;
    *drop_reason = VTEP_CTR_DROP_MALFORMED;
    if ((void*)(eth + 1) > data_end) return 0;
    l2->vlan = VTEP_VLAN_UNTAGGED;
    l2->tagged = 0;
    l2->tci_pcp = 0;
    l2->l3_offset = sizeof(*eth);
    l2->l3_proto = eth->h_proto;
    if (eth->h_proto == bpf_htons(ETH_P_8021AD_TPID)) {
        *drop_reason = VTEP_CTR_DROP_VLAN_STACK;
        return 0;
    }
    if (eth->h_proto != bpf_htons(ETH_P_8021Q_TPID)) return 1;
    struct vlan_hdr* tag = (void*)(eth + 1);
    if ((void*)(tag + 1) > data_end) return 0;
    if (is_vlan_tpid(tag->encapsulated_proto)) {
        *drop_reason = VTEP_CTR_DROP_VLAN_STACK;
        return 0;
    }
    l2->tagged = 1;
    l2->vlan = bpf_ntohs(tag->tci) & VLAN_VID_MASK;
    l2->tci_pcp = bpf_ntohs(tag->tci) & ~VLAN_VID_MASK;
    l2->l3_offset = sizeof(*eth) + sizeof(*tag);
    l2->l3_proto = tag->encapsulated_proto;
    return 1;
}

/* Gives the frame at ctx the VLAN of the egress binding: rewrites, inserts or removes
 * the tag. Returns 0, or -1 when the kernel refused to move the head. */
static __always_inline int xdp_set_vlan(struct xdp_md* ctx, const struct access_l2* l2,
                                        __u16 vlan) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    if (l2->tagged && vlan != VTEP_VLAN_UNTAGGED) {
        struct vlan_hdr* tag = data + sizeof(struct ethhdr);
        if ((void*)(tag + 1) > data_end) return -1;
        tag->tci = bpf_htons(l2->tci_pcp | vlan);
        return 0;
    }
    if (!l2->tagged && vlan == VTEP_VLAN_UNTAGGED) return 0;

    __u8 macs[2 * ETH_ALEN];
    if (data + sizeof(macs) > data_end) return -1;
    __builtin_memcpy(macs, data, sizeof(macs));
    int delta = l2->tagged ? (int)sizeof(struct vlan_hdr) : -(int)sizeof(struct vlan_hdr);
    if (bpf_xdp_adjust_head(ctx, delta)) return -1;
    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return -1;
    __builtin_memcpy(eth, macs, sizeof(macs));
    if (vlan == VTEP_VLAN_UNTAGGED) return 0; /* the inner ethertype is already in place */
    struct vlan_hdr* tag = (void*)(eth + 1);
    if ((void*)(tag + 1) > data_end) return -1;
    eth->h_proto = bpf_htons(ETH_P_8021Q_TPID);
    tag->tci = bpf_htons(vlan);
    return 0;
}

static __always_inline int xdp_drop(enum vtep_counter_id reason) {
    count(reason);
    if (replay_mode) replay_publish(VTEP_REPLAY_DROPPED, 0, 0);
    return XDP_DROP;
}

static __always_inline int xdp_pass(enum vtep_counter_id reason) {
    count(reason);
    if (replay_mode) replay_publish(VTEP_REPLAY_TO_STACK, 0, 0);
    return XDP_PASS;
}

static __always_inline int xdp_send_to_port(__u32 ifindex) {
    if (replay_mode) {
        replay_publish(VTEP_REPLAY_TO_PORT, ifindex, 0);
        return XDP_REDIRECT;
    }
    long action = bpf_redirect_map(&vtep_tx_ports, ifindex, 0);
    if (action != XDP_REDIRECT) return xdp_drop(VTEP_CTR_DROP_NO_TX_PORT);
    return XDP_REDIRECT;
}

/* BUM (and what XDP cannot copy) goes up to the tc replicator on the same port. */
static __always_inline int xdp_to_replicator(void) {
    return xdp_pass(VTEP_CTR_PASS_TO_REPLICATOR);
}
