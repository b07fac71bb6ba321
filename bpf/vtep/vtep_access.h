/* XDP on access ports: (port, VLAN) selects the logical switch; the source MAC is
 * learned; known local destinations are bridged (VLAN rewritten), known remote ones are
 * VXLAN-encapsulated toward their VTEP, and BUM frames go to the tc replicator. */
#pragma once

#include "vtep_counters.h"
#include "vtep_flow_hash.h"
#include "vtep_learn.h"
#include "vtep_next_hop.h"
#include "vtep_vxlan_encap.h"
#include "vtep_xdp_frame.h"

/* XDP metadata telling the tc program that the frame is already encapsulated and only
 * waits for the kernel to resolve the next hop's MAC (bpf_redirect_neigh). */
#define VTEP_META_NEEDS_NEIGH 0x76746e31u

struct vtep_xdp_meta {
    __u32 magic;
};

static __always_inline int bridge_to_local(struct xdp_md* ctx, const struct access_l2* l2,
                                           __u32 ingress, const struct vtep_local_mac* dst) {
    __u32 egress = dst->ifindex;
    __u16 egress_vlan = dst->vlan;
    if (egress == ingress && egress_vlan == l2->vlan) return xdp_drop(VTEP_CTR_DROP_HAIRPIN);
    __u32 stats_index = dst->stats_index;
    if (xdp_set_vlan(ctx, l2, egress_vlan)) return xdp_drop(VTEP_CTR_DROP_ADJUST_FAILED);
    count_to_local(stats_index, xdp_frame_len(ctx));
    return xdp_send_to_port(egress);
}

static __always_inline int mark_needs_neigh(struct xdp_md* ctx) {
    if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct vtep_xdp_meta)))
        return xdp_drop(VTEP_CTR_DROP_NO_NEIGH);
    struct vtep_xdp_meta* meta = (void*)(long)ctx->data_meta;
    if ((void*)(meta + 1) > (void*)(long)ctx->data) return xdp_drop(VTEP_CTR_DROP_NO_NEIGH);
    meta->magic = VTEP_META_NEEDS_NEIGH;
    count(VTEP_CTR_PASS_NO_NEIGH);
    return XDP_PASS;
}

static __always_inline int encap_to_remote(struct xdp_md* ctx, const struct access_l2* l2,
                                           __u32 vni, __be32 remote_ip) {
    __u32 key = 0;
    struct vtep_config* cfg = bpf_map_lookup_elem(&vtep_config, &key);
    if (!cfg || !cfg->source_ip) return xdp_drop(VTEP_CTR_DROP_NO_CONFIG);
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    __u32 inner_len = xdp_frame_len(ctx) - (l2->tagged ? sizeof(struct vlan_hdr) : 0);
    if (exceeds_underlay_mtu(inner_len, cfg->uplink_mtu))
        return xdp_drop(VTEP_CTR_DROP_MTU_EXCEEDED);
    __u32 hash = flow_hash_xdp(data, data_end, l2->l3_offset, l2->l3_proto);
    struct vtep_next_hop nh = {};
    int status = resolve_next_hop(ctx, cfg, remote_ip, &nh);
    if (status == NEXT_HOP_NO_ROUTE) return xdp_drop(VTEP_CTR_DROP_NO_ROUTE);
    if (status == NEXT_HOP_NO_NEIGH) __builtin_memset(&nh, 0, sizeof(nh));

    __u8 macs[2 * ETH_ALEN];
    if (data + sizeof(macs) > data_end) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
    __builtin_memcpy(macs, data, sizeof(macs));
    /* The inner frame loses its tag: the tag's 4 bytes become part of the outer headers. */
    int grow = VTEP_ENCAP_OVERHEAD - (l2->tagged ? sizeof(struct vlan_hdr) : 0);
    if (bpf_xdp_adjust_head(ctx, -grow)) return xdp_drop(VTEP_CTR_DROP_ADJUST_FAILED);
    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    struct vxlan_outer* outer = data;
    struct ethhdr* inner = (void*)(outer + 1);
    if ((void*)(inner + 1) > data_end) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
    __builtin_memcpy(inner, macs, sizeof(macs)); /* inner ethertype is already in place */
    build_vxlan_outer(outer, &nh, cfg->source_ip, remote_ip, vni, vxlan_source_port(hash),
                      inner_len);
    if (status == NEXT_HOP_NO_NEIGH) return mark_needs_neigh(ctx);
    return xdp_send_to_port(nh.ifindex);
}

static __always_inline int vtep_access(struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    __u32 ingress = ingress_port(ctx->ingress_ifindex);
    struct access_l2 l2;
    enum vtep_counter_id drop_reason;
    if (!parse_access_l2(data, data_end, &l2, &drop_reason)) return xdp_drop(drop_reason);

    struct vtep_binding_key binding_key = {.ifindex = ingress, .vlan = l2.vlan};
    struct vtep_binding* binding = bpf_map_lookup_elem(&vtep_bindings, &binding_key);
    if (!binding) return xdp_drop(VTEP_CTR_DROP_NO_BINDING);
    __u32 vni = binding->vni;
    __u32 ingress_stats = binding->stats_index;
    count_from_local(ingress_stats, xdp_frame_len(ctx));

    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
    if (mac_is_multicast(eth->h_source)) return xdp_drop(VTEP_CTR_DROP_MALFORMED);
    learn_source_mac(vni, eth->h_source, ingress, l2.vlan, ingress_stats);
    if (mac_is_multicast(eth->h_dest)) return xdp_to_replicator();

    struct vtep_mac_key dst = {.vni = vni};
    __builtin_memcpy(dst.mac, eth->h_dest, ETH_ALEN);
    struct vtep_local_mac* local = bpf_map_lookup_elem(&vtep_local_macs, &dst);
    if (local) return bridge_to_local(ctx, &l2, ingress, local);
    struct vtep_remote_mac* remote = bpf_map_lookup_elem(&vtep_remote_macs, &dst);
    if (remote) return encap_to_remote(ctx, &l2, vni, remote->remote_ip);
    return xdp_to_replicator(); /* unknown unicast */
}
