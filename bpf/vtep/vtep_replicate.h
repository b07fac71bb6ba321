/* The tc replicator (clsact ingress of access ports and the uplink): makes the copies
 * XDP cannot, with bpf_clone_redirect. BUM from an access port goes to the logical
 * switch's other bindings (each with its VLAN) and to its remote VTEPs (every flood-list
 * IP, or one service node); BUM decapsulated from the uplink goes to local bindings only
 * (split horizon). It also sends frames that XDP encapsulated toward a next hop whose MAC
 * is unresolved through the kernel's neighbour resolution (bpf_redirect_neigh).
 * The last copy of a frame is the frame itself (bpf_redirect): a clone would only be
 * freed with the original.
 * In replay mode it produces only copy number replay_copy_index and publishes where it
 * goes; the driver calls it again for the next copy until none is left. */
#pragma once

#include <linux/pkt_cls.h>

#include "vtep_access.h"
#include "vtep_counters.h"
#include "vtep_flow_hash.h"
#include "vtep_next_hop.h"
#include "vtep_uplink.h"
#include "vtep_vxlan_encap.h"

struct replicate_state {
    __u32 copies;      /* copies made (or, in replay, passed over) so far */
    __u16 tagged_vlan; /* VLAN of the accelerated tag now on the skb, 0 for none */
    __u16 encapsulated;
    __u32 inner_len;
    __u32 hash;
    __u32 redirect_ifindex; /* the frame itself leaves here (its last copy); 0: none */
};

/* In replay mode each copy is a separate run: count per-frame outcomes in the first. */
static __always_inline void count_once(enum vtep_counter_id id) {
    if (!replay_mode || replay_copy_index == 0) count(id);
}

static __always_inline int tc_drop(enum vtep_counter_id reason) {
    count_once(reason);
    if (replay_mode) replay_publish(VTEP_REPLAY_DROPPED, 0, 0);
    return TC_ACT_SHOT;
}

/* The verdict once the copies are made: the frame itself as the last copy, or (when the
 * last intended copy could not be made) dropped, its copies being clones. */
static __always_inline int tc_finish(const struct replicate_state* st) {
    if (st->copies == 0) count_once(VTEP_CTR_DROP_FLOOD_EMPTY);
    if (replay_mode) {
        replay_publish(VTEP_REPLAY_NONE, 0, 0);
        return TC_ACT_SHOT;
    }
    if (st->redirect_ifindex) return bpf_redirect(st->redirect_ifindex, 0);
    return TC_ACT_SHOT;
}

/* Where a replay run ends: it published the copy it was asked for. */
static __always_inline int tc_replay_copy_done(void) {
    return TC_ACT_OK;
}

/* Sends a copy of the frame as it is now; `last` when no copy follows, so the frame
 * itself can go. Returns 1 when the run ends here: the last copy, or the copy a replay
 * run asked for. */
static __always_inline int emit_copy(struct __sk_buff* skb, struct replicate_state* st,
                                     __u32 ifindex, enum vtep_counter_id what, int last) {
    __u32 index = st->copies++;
    if (replay_mode) {
        if (index != replay_copy_index) return 0;
        count(what);
        replay_publish(VTEP_REPLAY_TO_PORT, ifindex, st->tagged_vlan);
        return 1;
    }
    if (last) {
        count(what);
        st->redirect_ifindex = ifindex;
        return 1;
    }
    if (bpf_clone_redirect(skb, ifindex, 0)) {
        count(VTEP_CTR_CLONE_FAILED);
        return 0;
    }
    count(what);
    return 0;
}

static __always_inline int set_skb_vlan(struct __sk_buff* skb, struct replicate_state* st,
                                        __u16 vlan) {
    if (st->tagged_vlan == vlan) return 0;
    if (st->tagged_vlan != VTEP_VLAN_UNTAGGED && bpf_skb_vlan_pop(skb)) return -1;
    st->tagged_vlan = VTEP_VLAN_UNTAGGED;
    if (vlan != VTEP_VLAN_UNTAGGED && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q_TPID), vlan))
        return -1;
    st->tagged_vlan = vlan;
    return 0;
}

static __always_inline int copy_to_binding(struct __sk_buff* skb, struct replicate_state* st,
                                           __u32 ifindex, __u16 vlan, __u32 stats_index, int last) {
    if (st->encapsulated) return 0;
    if (set_skb_vlan(skb, st, vlan)) {
        count_once(VTEP_CTR_DROP_ADJUST_FAILED);
        return 0;
    }
    __u32 wire_len = skb->len + (vlan ? sizeof(struct vlan_hdr) : 0);
    __u32 before = st->copies;
    int done = emit_copy(skb, st, ifindex, VTEP_CTR_REPLICATED_LOCAL, last);
    if (!replay_mode || (done && before == replay_copy_index))
        count_to_local(stats_index, wire_len);
    return done;
}

/* Untags and encapsulates once; every remote copy then only rewrites the outer headers.
 * Returns 0 when the frame is ready for remote copies. */
static __always_inline int prepare_encap(struct __sk_buff* skb, struct replicate_state* st,
                                         const struct vtep_config* cfg) {
    if (st->encapsulated) return 0;
    if (set_skb_vlan(skb, st, VTEP_VLAN_UNTAGGED)) {
        count_once(VTEP_CTR_DROP_ADJUST_FAILED);
        return -1;
    }
    st->inner_len = skb->len;
    if (exceeds_underlay_mtu(st->inner_len, cfg->uplink_mtu)) {
        count_once(VTEP_CTR_DROP_MTU_EXCEEDED);
        return -1;
    }
    if (bpf_skb_change_head(skb, VTEP_ENCAP_OVERHEAD, 0)) {
        count_once(VTEP_CTR_DROP_ADJUST_FAILED);
        return -1;
    }
    st->encapsulated = 1;
    return 0;
}

static __always_inline int copy_to_remote(struct __sk_buff* skb, struct replicate_state* st,
                                          const struct vtep_config* cfg, __u32 vni,
                                          __be32 remote_ip, int last) {
    if (prepare_encap(skb, st, cfg)) return 0;
    struct vtep_next_hop nh = {};
    int status = resolve_next_hop(skb, cfg, remote_ip, &nh);
    if (status != NEXT_HOP_OK) {
        count_once(status == NEXT_HOP_NO_NEIGH ? VTEP_CTR_DROP_NO_NEIGH : VTEP_CTR_DROP_NO_ROUTE);
        return 0;
    }
    struct vxlan_outer outer;
    build_vxlan_outer(&outer, &nh, cfg->source_ip, remote_ip, vni, vxlan_source_port(st->hash),
                      st->inner_len);
    if (bpf_skb_store_bytes(skb, 0, &outer, sizeof(outer), 0)) {
        count_once(VTEP_CTR_DROP_ADJUST_FAILED);
        return 0;
    }
    return emit_copy(skb, st, nh.ifindex, VTEP_CTR_REPLICATED_REMOTE, last);
}

/* The flood loops run through bpf_loop: the verifier then checks one iteration instead
 * of every unrolled combination of copy state. */
struct flood_loop {
    struct __sk_buff* skb;
    struct replicate_state* st;
    const struct vtep_logical_switch* ls;
    const struct vtep_config* cfg;
    __u32 vni;
    __u32 skip_ifindex;
    __u32 skip_vlan;
    __u32 last_index; /* the step whose copy is the frame itself; beyond the loop: none */
    int done;
};

static long flood_binding_step(__u32 i, void* data) {
    struct flood_loop* loop = data;
    if (i >= loop->ls->n_bindings) return 1;
    /* The mask (the array size is a power of two) is the bound the verifier sees. */
    const struct vtep_ls_binding* b = &loop->ls->bindings[i & (VTEP_MAX_LS_BINDINGS - 1)];
    if (b->ifindex == loop->skip_ifindex && b->vlan == loop->skip_vlan) return 0;
    if (copy_to_binding(loop->skb, loop->st, b->ifindex, b->vlan, b->stats_index,
                        i == loop->last_index)) {
        loop->done = 1;
        return 1;
    }
    return 0;
}

static long flood_remote_step(__u32 i, void* data) {
    struct flood_loop* loop = data;
    if (i >= loop->ls->n_flood_ips) return 1;
    __be32 remote_ip = loop->ls->flood_ips[i & (VTEP_MAX_FLOOD_IPS - 1)];
    if (copy_to_remote(loop->skb, loop->st, loop->cfg, loop->vni, remote_ip,
                       i == loop->last_index)) {
        loop->done = 1;
        return 1;
    }
    return 0;
}

/* Copies to the logical switch's bindings except (skip_ifindex, skip_vlan). With
 * `last_here` no copy follows them: the last binding gets the frame itself. */
static __always_inline int flood_to_bindings(struct __sk_buff* skb, struct replicate_state* st,
                                             const struct vtep_logical_switch* ls,
                                             __u32 skip_ifindex, __u32 skip_vlan, int last_here) {
    struct flood_loop loop = {
        .skb = skb, .st = st, .ls = ls, .skip_ifindex = skip_ifindex, .skip_vlan = skip_vlan};
    loop.last_index = VTEP_MAX_LS_BINDINGS;
    __u32 n = ls->n_bindings;
    if (last_here && n > 0 && n <= VTEP_MAX_LS_BINDINGS) {
        __u32 last = n - 1;
        const struct vtep_ls_binding* b = &ls->bindings[last & (VTEP_MAX_LS_BINDINGS - 1)];
        if (b->ifindex == skip_ifindex && b->vlan == skip_vlan) last--;
        loop.last_index = last; /* wraps beyond the loop when nothing is left */
    }
    bpf_loop(VTEP_MAX_LS_BINDINGS, flood_binding_step, &loop, 0);
    return loop.done;
}

/* Whether flood_to_remotes will try to make any copy. */
static __always_inline int has_remote_copies(const struct vtep_logical_switch* ls) {
    if (ls->replication_mode == VTEP_REPLICATION_SERVICE_NODE) return ls->n_service_nodes > 0;
    return ls->n_flood_ips > 0;
}

static __always_inline int flood_to_remotes(struct __sk_buff* skb, struct replicate_state* st,
                                            const struct vtep_config* cfg,
                                            const struct vtep_logical_switch* ls, __u32 vni) {
    if (ls->replication_mode == VTEP_REPLICATION_SERVICE_NODE) {
        __u32 n = ls->n_service_nodes;
        if (n == 0 || n > VTEP_MAX_SERVICE_NODES) return 0;
        __u32 pick = st->hash % n;
        asm volatile("" : "+r"(pick)); /* keep the mask below: it is the verifier's bound */
        pick &= VTEP_MAX_SERVICE_NODES - 1;
        return copy_to_remote(skb, st, cfg, vni, ls->service_nodes[pick], 1);
    }
    struct flood_loop loop = {.skb = skb, .st = st, .ls = ls, .cfg = cfg, .vni = vni};
    loop.last_index = ls->n_flood_ips - 1;
    bpf_loop(VTEP_MAX_FLOOD_IPS, flood_remote_step, &loop, 0);
    return loop.done;
}

/* Removes the frame's 802.1Q tag (accelerated or in the data) and gives its VLAN.
 * Returns 1, or 0 with *drop_reason set. */
static __always_inline int take_access_vlan(struct __sk_buff* skb, __u16* vlan,
                                            enum vtep_counter_id* drop_reason) {
    struct ethhdr eth;
    *drop_reason = VTEP_CTR_DROP_MALFORMED;
    if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth))) return 0;
    if (skb->vlan_present) {
        *vlan = skb->vlan_tci & VLAN_VID_MASK;
        *drop_reason = VTEP_CTR_DROP_VLAN_STACK;
        if (is_vlan_tpid(eth.h_proto)) return 0;
        *drop_reason = VTEP_CTR_DROP_ADJUST_FAILED;
        return bpf_skb_vlan_pop(skb) == 0;
    }
    *vlan = VTEP_VLAN_UNTAGGED;
    if (eth.h_proto == bpf_htons(ETH_P_8021AD_TPID)) {
        *drop_reason = VTEP_CTR_DROP_VLAN_STACK;
        return 0;
    }
    if (eth.h_proto != bpf_htons(ETH_P_8021Q_TPID)) return 1;
    struct vlan_hdr tag;
    if (bpf_skb_load_bytes(skb, sizeof(eth), &tag, sizeof(tag))) return 0;
    *drop_reason = VTEP_CTR_DROP_VLAN_STACK;
    if (is_vlan_tpid(tag.encapsulated_proto)) return 0;
    *vlan = bpf_ntohs(tag.tci) & VLAN_VID_MASK;
    *drop_reason = VTEP_CTR_DROP_ADJUST_FAILED;
    return bpf_skb_vlan_pop(skb) == 0;
}

static __always_inline int replicate_from_access(struct __sk_buff* skb, __u32 ingress,
                                                 const struct vtep_config* cfg) {
    __u16 vlan;
    enum vtep_counter_id drop_reason;
    if (!take_access_vlan(skb, &vlan, &drop_reason)) return tc_drop(drop_reason);
    struct vtep_binding_key key = {.ifindex = ingress, .vlan = vlan};
    struct vtep_binding* binding = bpf_map_lookup_elem(&vtep_bindings, &key);
    if (!binding) return tc_drop(VTEP_CTR_DROP_NO_BINDING);
    __u32 vni = binding->vni;
    struct vtep_logical_switch* ls = bpf_map_lookup_elem(&vtep_logical_switches, &vni);
    if (!ls) return tc_drop(VTEP_CTR_DROP_FLOOD_EMPTY);
    struct ethhdr eth;
    if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth))) return tc_drop(VTEP_CTR_DROP_MALFORMED);

    struct replicate_state st = {};
    st.hash = flow_hash_skb(skb);
    if (!mac_is_multicast(eth.h_dest)) {
        /* XDP hands over known unicast only when a table changed under it. */
        struct vtep_mac_key dst = {.vni = vni};
        __builtin_memcpy(dst.mac, eth.h_dest, ETH_ALEN);
        struct vtep_remote_mac* remote = bpf_map_lookup_elem(&vtep_remote_macs, &dst);
        if (remote) {
            if (copy_to_remote(skb, &st, cfg, vni, remote->remote_ip, 1) && replay_mode)
                return tc_replay_copy_done();
            return tc_finish(&st);
        }
    }
    if (flood_to_bindings(skb, &st, ls, ingress, vlan, !has_remote_copies(ls)) && replay_mode)
        return tc_replay_copy_done();
    if (flood_to_remotes(skb, &st, cfg, ls, vni) && replay_mode) return tc_replay_copy_done();
    return tc_finish(&st);
}

static __always_inline int replicate_from_uplink(struct __sk_buff* skb) {
    if (bpf_skb_pull_data(skb, 0)) return TC_ACT_OK;
    void* data = (void*)(long)skb->data;
    void* data_end = (void*)(long)skb->data_end;
    struct vxlan_frame vx;
    /* XDP counted these outcomes already; here they only decide. */
    int parsed = parse_vxlan(data, data_end, skb->len, &vx);
    if (parsed == VXLAN_NOT_OURS || parsed == VXLAN_FRAGMENT) {
        if (replay_mode) replay_publish(VTEP_REPLAY_TO_STACK, 0, 0);
        return TC_ACT_OK;
    }
    if (parsed != VXLAN_OURS) return TC_ACT_SHOT;
    __u32 vni = vx.vni;
    struct vtep_logical_switch* ls = bpf_map_lookup_elem(&vtep_logical_switches, &vni);
    if (!ls) return TC_ACT_SHOT;
    struct ethhdr inner;
    if (bpf_skb_load_bytes(skb, vx.outer_len, &inner, sizeof(inner)))
        return tc_drop(VTEP_CTR_DROP_MALFORMED);
    if (vx.trailer_len && bpf_skb_change_tail(skb, skb->len - vx.trailer_len, 0))
        return tc_drop(VTEP_CTR_DROP_ADJUST_FAILED);
    /* Remove outer IP, UDP, VXLAN and the inner Ethernet header behind the outer one,
     * then write the inner Ethernet header over the outer. */
    int shrink = vx.outer_len;
    if (bpf_skb_adjust_room(skb, -shrink, BPF_ADJ_ROOM_MAC, 0))
        return tc_drop(VTEP_CTR_DROP_ADJUST_FAILED);
    if (bpf_skb_store_bytes(skb, 0, &inner, sizeof(inner), 0))
        return tc_drop(VTEP_CTR_DROP_ADJUST_FAILED);

    struct replicate_state st = {};
    if (!mac_is_multicast(inner.h_dest)) {
        struct vtep_mac_key dst = {.vni = vni};
        __builtin_memcpy(dst.mac, inner.h_dest, ETH_ALEN);
        struct vtep_local_mac* local = bpf_map_lookup_elem(&vtep_local_macs, &dst);
        if (local) {
            struct vtep_binding_key key = {.ifindex = local->ifindex, .vlan = local->vlan};
            struct vtep_binding* binding = bpf_map_lookup_elem(&vtep_bindings, &key);
            if (binding) {
                if (copy_to_binding(skb, &st, key.ifindex, key.vlan, binding->stats_index, 1) &&
                    replay_mode)
                    return tc_replay_copy_done();
                return tc_finish(&st);
            }
        }
    }
    if (flood_to_bindings(skb, &st, ls, 0, 0x10000, 1) && replay_mode) return tc_replay_copy_done();
    return tc_finish(&st);
}

static __always_inline int vtep_replicate(struct __sk_buff* skb) {
    __u32 key = 0;
    struct vtep_config* cfg = bpf_map_lookup_elem(&vtep_config, &key);
    if (!cfg) return TC_ACT_OK;
    if (!replay_mode) {
        struct vtep_xdp_meta* meta = (void*)(long)skb->data_meta;
        if ((void*)(meta + 1) <= (void*)(long)skb->data && meta->magic == VTEP_META_NEEDS_NEIGH)
            return bpf_redirect_neigh(cfg->uplink_ifindex, 0, 0, 0);
    }
    __u32 ingress = ingress_port(skb->ingress_ifindex);
    if (ingress == cfg->uplink_ifindex) return replicate_from_uplink(skb);
    return replicate_from_access(skb, ingress, cfg);
}
