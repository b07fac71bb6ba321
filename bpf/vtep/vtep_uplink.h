/* XDP on the uplink: VXLAN to one of our tunnel IPs is decapsulated and its VNI selects
 * the logical switch; known local destinations are bridged out of their access port,
 * BUM goes to the tc replicator (local ports only: split horizon). Everything else
 * (ARP, routing protocols, BFD, management, other UDP, fragments) passes untouched. */
#pragma once

#include "vtep_counters.h"
#include "vtep_headers.h"
#include "vtep_maps.h"
#include "vtep_xdp_frame.h"

struct vxlan_frame {
    __u32 vni;
    __u32 outer_len;   /* bytes in front of the inner frame */
    __u32 trailer_len; /* padding after the outer IP packet */
};

enum vxlan_parse {
    VXLAN_OURS = 0,
    VXLAN_NOT_OURS = 1,
    VXLAN_FRAGMENT = 2,
    VXLAN_MALFORMED = 3,
    VXLAN_BAD_FLAGS = 4,
};

/* Every uplink frame asks this: a scan of the (usually one-entry) list is a few compares
 * where a hash lookup would be a hash and a call. */
static __always_inline int is_our_tunnel_ip(__be32 ip) {
    __u32 key = 0;
    struct vtep_tunnel_ip_list* list = bpf_map_lookup_elem(&vtep_tunnel_ip_list, &key);
    if (!list) return 0;
    __u32 count = list->count;
    for (__u32 i = 0; i < VTEP_MAX_TUNNEL_IPS; i++) {
        if (i >= count) return 0;
        if (list->ips[i] == ip) return 1;
    }
    return 0;
}

/* frame_len: the whole frame (the caller knows it without pointer arithmetic). */
static __always_inline int parse_vxlan(void* data, void* data_end, __u32 frame_len,
                                       struct vxlan_frame* out) {
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return VXLAN_NOT_OURS;
    struct iphdr* ip = (void*)(eth + 1);
    if ((void*)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5) return VXLAN_NOT_OURS;
    if (ip->protocol != IPPROTO_UDP || !is_our_tunnel_ip(ip->daddr)) return VXLAN_NOT_OURS;
    if (ip->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET_MASK)) return VXLAN_FRAGMENT;
    __u32 ip_len = ip->ihl * 4;
    struct udphdr* udp = (void*)ip + ip_len;
    if ((void*)(udp + 1) > data_end) return VXLAN_NOT_OURS;
    if (udp->dest != bpf_htons(VTEP_VXLAN_PORT)) return VXLAN_NOT_OURS;

    /* From here on the frame is ours: inconsistencies are drops, not passes. */
    __u32 ip_total = bpf_ntohs(ip->tot_len);
    __u32 udp_len = bpf_ntohs(udp->len);
    __u32 headers = sizeof(*eth) + ip_len + sizeof(*udp) + sizeof(struct vxlan_hdr);
    if (ip_total + sizeof(*eth) > frame_len || ip_total < ip_len + udp_len ||
        udp_len < sizeof(*udp) + sizeof(struct vxlan_hdr) + sizeof(struct ethhdr))
        return VXLAN_MALFORMED;
    struct vxlan_hdr* vxlan = (void*)(udp + 1);
    struct ethhdr* inner = (void*)(vxlan + 1);
    if ((void*)(inner + 1) > data_end) return VXLAN_MALFORMED;
    if (!(vxlan->flags & VXLAN_FLAG_VNI)) return VXLAN_BAD_FLAGS;
    out->vni = vxlan_vni(vxlan);
    out->outer_len = headers;
    out->trailer_len = frame_len - sizeof(*eth) - ip_total;
    return VXLAN_OURS;
}

static __always_inline int decap_to_local(struct xdp_md* ctx, const struct vxlan_frame* vx,
                                          const struct vtep_local_mac* dst) {
    __u32 egress = dst->ifindex;
    __u16 egress_vlan = dst->vlan;
    __u32 stats_index = dst->stats_index;
    if (vx->trailer_len && bpf_xdp_adjust_tail(ctx, -(int)vx->trailer_len))
        return xdp_drop(VTEP_CTR_DROP_ADJUST_FAILED);
    if (egress_vlan == VTEP_VLAN_UNTAGGED) {
        if (bpf_xdp_adjust_head(ctx, vx->outer_len)) return xdp_drop(VTEP_CTR_DROP_ADJUST_FAILED);
    } else {
        /* One head move for decapsulation and tagging: keep 4 bytes of the outer headers
         * for the tag, move the inner MACs in front of it. */
        void* data = (void*)(long)ctx->data;
        void* data_end = (void*)(long)ctx->data_end;
        __u8 macs[2 * ETH_ALEN];
        __u8* inner = data + vx->outer_len;
        if ((void*)(inner + sizeof(macs)) > data_end) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
        __builtin_memcpy(macs, inner, sizeof(macs));
        if (bpf_xdp_adjust_head(ctx, vx->outer_len - sizeof(struct vlan_hdr)))
            return xdp_drop(VTEP_CTR_DROP_ADJUST_FAILED);
        data = (void*)(long)ctx->data;
        data_end = (void*)(long)ctx->data_end;
        struct ethhdr* eth = data;
        struct vlan_hdr* tag = (void*)(eth + 1);
        if ((void*)(tag + 1) > data_end) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
        __builtin_memcpy(eth, macs, sizeof(macs));
        eth->h_proto = bpf_htons(ETH_P_8021Q_TPID);
        tag->tci = bpf_htons(egress_vlan); /* the inner ethertype is already behind it */
    }
    count_to_local(stats_index, xdp_frame_len(ctx));
    return xdp_send_to_port(egress);
}

static __always_inline int vtep_uplink(struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct vxlan_frame vx;
    switch (parse_vxlan(data, data_end, xdp_frame_len(ctx), &vx)) {
        case VXLAN_OURS:
            break;
        case VXLAN_FRAGMENT:
            return xdp_pass(VTEP_CTR_PASS_UNDERLAY_FRAGMENT);
        case VXLAN_MALFORMED:
            return xdp_drop(VTEP_CTR_DROP_MALFORMED);
        case VXLAN_BAD_FLAGS:
            return xdp_drop(VTEP_CTR_DROP_VXLAN_FLAGS);
        default:
            return xdp_pass(VTEP_CTR_PASS_NOT_OURS);
    }
    __u32 vni = vx.vni;
    if (!bpf_map_lookup_elem(&vtep_logical_switches, &vni))
        return xdp_drop(VTEP_CTR_DROP_UNKNOWN_VNI);
    struct ethhdr* inner = data + vx.outer_len;
    if ((void*)(inner + 1) > data_end) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
    if (is_vlan_tpid(inner->h_proto)) return xdp_drop(VTEP_CTR_DROP_VLAN_STACK);
    if (mac_is_multicast(inner->h_dest)) return xdp_to_replicator();

    struct vtep_mac_key dst = {.vni = vni};
    __builtin_memcpy(dst.mac, inner->h_dest, ETH_ALEN);
    struct vtep_local_mac* local = bpf_map_lookup_elem(&vtep_local_macs, &dst);
    if (local) return decap_to_local(ctx, &vx, local);
    if (bpf_map_lookup_elem(&vtep_remote_macs, &dst)) return xdp_drop(VTEP_CTR_DROP_SPLIT_HORIZON);
    return xdp_to_replicator(); /* unknown unicast: flooded to local ports only */
}
