/* Lightweight 4over6 AFTR (RFC 7596) as XDP programs:
 *   lwaftr_internet  on the IPv4 (internet) side: encapsulates toward B4s;
 *   lwaftr_b4        on the IPv6 (B4) side: decapsulates toward the internet, hairpins;
 *   lwaftr_stick     one device for both sides ("on a stick"), told apart by ethertype.
 * Everything that is not softwire traffic passes to the kernel stack. */
#include "lwaftr_egress.h"
#include "lwaftr_headers.h"
#include "lwaftr_icmp.h"
#include "lwaftr_icmp6.h"
#include "lwaftr_maps.h"
#include "lwaftr_ports.h"
#include "lwaftr_table.h"

char LICENSE[] SEC("license") = "GPL";

struct frame {
    __u32 l2_len;  /* 14, or 18 with an 802.1Q tag */
    __u16 vlan_id; /* 0 when untagged */
    __u16 ether_type;
};

static __always_inline int parse_l2(struct xdp_md* ctx, struct frame* frame) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return -1;
    frame->l2_len = sizeof(*eth);
    frame->vlan_id = 0;
    frame->ether_type = bpf_ntohs(eth->h_proto);
    if (frame->ether_type == ETH_P_8021Q_TAG) {
        struct vlan_tag* tag = (void*)(eth + 1);
        if ((void*)(tag + 1) > data_end) return -1;
        frame->l2_len += sizeof(*tag);
        frame->vlan_id = bpf_ntohs(tag->tci) & 0x0fff;
        frame->ether_type = bpf_ntohs(tag->inner_proto);
    }
    return 0;
}

static __always_inline struct lwaftr_config* load_config(void) {
    __u32 zero = 0;
    struct lwaftr_config* cfg = bpf_map_lookup_elem(&lwaftr_config, &zero);
    if (!cfg || cfg->magic != LWAFTR_CONFIG_MAGIC) return NULL;
    return cfg;
}

static __always_inline int drop(enum lwaftr_counter_id reason, __u64 bytes) {
    count(reason, bytes);
    return XDP_DROP;
}

static __always_inline int pass(enum lwaftr_counter_id reason, __u64 bytes) {
    count(reason, bytes);
    return XDP_PASS;
}

/* Moves the start of the frame so that l2_out bytes precede what was at old_l3 + shift
 * (shift > 0 removes outer headers, < 0 makes room for new ones). */
static __always_inline int reshape_head(struct xdp_md* ctx, __u32 l2_in, int shift, __u32 l2_out) {
    return bpf_xdp_adjust_head(ctx, (int)l2_in + shift - (int)l2_out);
}

/* Drops Ethernet padding and anything else after the packet's own length. */
static __always_inline int trim_tail(struct xdp_md* ctx, __u32 l3_offset, __u32 l3_length) {
    long excess = (long)bpf_xdp_get_buff_len(ctx) - (long)l3_offset - (long)l3_length;
    if (excess <= 0) return 0;
    return bpf_xdp_adjust_tail(ctx, -(int)excess);
}

static __always_inline int valid_ipv4(struct iphdr* ip, void* data_end, __u32 limit) {
    if (ip->version != 4 || ip->ihl < 5) return 0;
    __u32 total = bpf_ntohs(ip->tot_len);
    if (total < ip->ihl * 4u || total > limit) return 0;
    return (void*)ip + total <= data_end;
}

static __always_inline int is_fragment(struct iphdr* ip) {
    return (ip->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET_MASK)) != 0;
}

/* Index of addr among the BR addresses, or -1. */
static __always_inline int br_index_of(struct lwaftr_config* cfg, const __u8* addr) {
#pragma unroll
    for (int i = 0; i < LWAFTR_MAX_BR_ADDRESSES; i++) {
        if (i >= cfg->br_count) break;
        if (ipv6_equal(cfg->br_ipv6[i], addr)) return i;
    }
    return -1;
}

static __always_inline void write_ipv6_header(struct ipv6hdr* ip6, __u8 traffic_class,
                                              __u16 payload_length, const __u8* source,
                                              const __u8* destination) {
    *(__be32*)ip6 = bpf_htonl((6u << 28) | ((__u32)traffic_class << 20));
    ip6->payload_len = bpf_htons(payload_length);
    ip6->nexthdr = IPPROTO_IPIP;
    ip6->hop_limit = LWAFTR_HOP_LIMIT;
    ipv6_copy(ip6->saddr.in6_u.u6_addr8, source);
    ipv6_copy(ip6->daddr.in6_u.u6_addr8, destination);
}

/* Internet side: IPv4 to a shared address is encapsulated toward the bound B4. */
static __always_inline int from_internet(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                         struct frame* frame) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct iphdr* ip = data + frame->l2_len;
    if ((void*)(ip + 1) > data_end) return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    struct table_ref table;
    if (current_table(&table)) return pass(LWAFTR_C_PASS_NO_CONFIG, 0);
    __u16 port = 0;
    int icmp_kind;
    struct lwaftr_slot* softwire = NULL;
    struct lwaftr_port_set uniform;
    if (!table_uniform_port_set(&table, &uniform) && ip->ihl >= 5 && !is_fragment(ip) &&
        subscriber_port(ip, data_end, 1, &port, &icmp_kind) == PORT_FOUND)
        softwire = table_softwire(&table, ip->daddr, &uniform, port);
    struct lwaftr_port_set* set = softwire ? &uniform : table_port_set(&table, ip->daddr);
    if (!set) return pass(LWAFTR_C_PASS_NOT_OURS, 0);

    __u64 bytes = data_end - (void*)ip;
    count(LWAFTR_C_IN_IPV4, bytes);
    if (!valid_ipv4(ip, data_end, 0xffff)) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    if (is_fragment(ip)) return pass(LWAFTR_C_PASS_FRAGMENT, bytes);

    int found = subscriber_port(ip, data_end, 1, &port, &icmp_kind);
    if (found == PORT_MALFORMED) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    if (icmp_kind != ICMP_KIND_NONE && !(cfg->flags & LWAFTR_F_ALLOW_INCOMING_ICMPV4))
        return drop(LWAFTR_C_DROP_ICMPV4_POLICY, bytes);
    if (found == PORT_NONE && set->psid_len) return drop(LWAFTR_C_DROP_NO_PORT, bytes);

    if (!softwire) softwire = table_softwire(&table, ip->daddr, set, port);
    if (!softwire) {
        count(LWAFTR_C_DROP_ENCAP_NO_BINDING, bytes);
        if (icmp_kind == ICMP_KIND_ERROR) return XDP_DROP; /* never an error about an error */
        return reply_icmpv4_error(ctx, cfg, frame->l2_len, frame->vlan_id, ICMPV4_DEST_UNREACH,
                                  ICMPV4_CODE_HOST_UNREACH, 0);
    }
    if (ip->ttl <= 1) {
        count(LWAFTR_C_DROP_TTL_EXPIRED, bytes);
        if (icmp_kind == ICMP_KIND_ERROR) return XDP_DROP;
        return reply_icmpv4_error(ctx, cfg, frame->l2_len, frame->vlan_id, ICMPV4_TIME_EXCEEDED, 0,
                                  0);
    }
    __u16 total = bpf_ntohs(ip->tot_len);
    if (total > cfg->payload_mtu) {
        if (!(ip->frag_off & bpf_htons(IPV4_DF))) return pass(LWAFTR_C_PASS_FRAGMENT, bytes);
        count(LWAFTR_C_DROP_TOO_BIG, bytes);
        if (icmp_kind == ICMP_KIND_ERROR) return XDP_DROP;
        return reply_icmpv4_error(ctx, cfg, frame->l2_len, frame->vlan_id, ICMPV4_DEST_UNREACH,
                                  ICMPV4_CODE_FRAG_NEEDED, cfg->payload_mtu);
    }
    __u32 br = softwire->br_index;
    if (br >= cfg->br_count || br >= LWAFTR_MAX_BR_ADDRESSES)
        return drop(LWAFTR_C_DROP_INTERNAL, bytes);

    struct next_hop hop;
    int resolved = next_hop_ipv6(ctx, &cfg->b4, cfg->br_ipv6[br], softwire->b4_ipv6,
                                 total + IPV6_HEADER_LEN, &hop);
    if (resolved == NEXT_HOP_NO_ROUTE) return drop(LWAFTR_C_DROP_NO_ROUTE, bytes);
    struct ethhdr* eth = data;
    if (resolved == NEXT_HOP_UNRESOLVED) {
        /* Keep the received link header; the kernel forwards the IPv6 and resolves. */
        __builtin_memcpy(hop.dmac, eth->h_dest, 6);
        __builtin_memcpy(hop.smac, eth->h_source, 6);
        hop.vlan_id = frame->vlan_id;
    }
    __u8 traffic_class = ip->tos;
    ipv4_decrement_ttl(ip);
    if (trim_tail(ctx, frame->l2_len, total)) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    __u32 l2_out = l2_length(hop.vlan_id);
    if (reshape_head(ctx, frame->l2_len, -IPV6_HEADER_LEN, l2_out))
        return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    if (write_l2(ctx, &hop, ETH_P_IPV6)) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    struct ipv6hdr* ip6 = data + l2_out;
    if ((void*)(ip6 + 1) > data_end) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    write_ipv6_header(ip6, traffic_class, total, cfg->br_ipv6[br], softwire->b4_ipv6);
    if (resolved == NEXT_HOP_UNRESOLVED) return pass(LWAFTR_C_PASS_NO_NEIGH, bytes);
    count(LWAFTR_C_ENCAP, data_end - (void*)ip6);
    return transmit(ctx, &hop, 0);
}

/* B4 to B4: the inner destination is another subscriber's shared address. The outer
 * header is rewritten in place toward that subscriber; what cannot be delivered is
 * answered with an ICMPv4 error back through the sender's softwire. */
static __always_inline int hairpin(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                   struct frame* frame, struct table_ref* table,
                                   struct lwaftr_port_set* set, __u64 bytes) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ipv6hdr* ip6 = data + frame->l2_len;
    if ((void*)(ip6 + 1) > data_end) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    struct iphdr* ip = (void*)(ip6 + 1);
    if ((void*)(ip + 1) > data_end || ip->ihl < 5) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    __u16 port = 0;
    int icmp_kind;
    int found = subscriber_port(ip, data_end, 1, &port, &icmp_kind);
    if (found == PORT_MALFORMED) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    if (found == PORT_NONE && set->psid_len) return drop(LWAFTR_C_DROP_NO_PORT, bytes);
    struct lwaftr_slot* softwire = table_softwire(table, ip->daddr, set, port);
    if (!softwire) {
        count(LWAFTR_C_DROP_ENCAP_NO_BINDING, bytes);
        if (icmp_kind == ICMP_KIND_ERROR) return XDP_DROP; /* never an error about an error */
        return reply_hairpin_icmpv4_error(ctx, cfg, frame->l2_len, frame->vlan_id,
                                          ICMPV4_DEST_UNREACH, ICMPV4_CODE_HOST_UNREACH);
    }
    if (ip->ttl <= 1) {
        count(LWAFTR_C_DROP_TTL_EXPIRED, bytes);
        if (icmp_kind == ICMP_KIND_ERROR) return XDP_DROP;
        return reply_hairpin_icmpv4_error(ctx, cfg, frame->l2_len, frame->vlan_id,
                                          ICMPV4_TIME_EXCEEDED, 0);
    }
    __u32 br = softwire->br_index;
    if (br >= cfg->br_count || br >= LWAFTR_MAX_BR_ADDRESSES)
        return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    __u16 total = bpf_ntohs(ip->tot_len);
    struct next_hop hop;
    int resolved = next_hop_ipv6(ctx, &cfg->b4, cfg->br_ipv6[br], softwire->b4_ipv6,
                                 total + IPV6_HEADER_LEN, &hop);
    if (resolved != NEXT_HOP_OK) return drop(LWAFTR_C_DROP_NO_ROUTE, bytes);
    ipv4_decrement_ttl(ip);
    __u8 traffic_class = ip->tos;
    __u32 l2_out = l2_length(hop.vlan_id);
    if (reshape_head(ctx, frame->l2_len, 0, l2_out)) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    if (write_l2(ctx, &hop, ETH_P_IPV6)) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    ip6 = data + l2_out;
    if ((void*)(ip6 + 1) > data_end) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    write_ipv6_header(ip6, traffic_class, total, cfg->br_ipv6[br], softwire->b4_ipv6);
    count(LWAFTR_C_HAIRPIN, data_end - (void*)ip6);
    return transmit(ctx, &hop, 1);
}

/* RFC 7596 section 5.1: a softwire packet whose source is not bound to its B4 is
 * dropped and answered with ICMPv6 "source address failed ingress/egress policy". */
static __always_inline int reject_softwire(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                           struct frame* frame, enum lwaftr_counter_id reason,
                                           __u64 bytes) {
    count(reason, bytes);
    return reply_icmpv6_error(ctx, cfg, frame->l2_len, frame->vlan_id, ICMPV6_DEST_UNREACH_TYPE,
                              ICMPV6_CODE_SOURCE_POLICY);
}

/* B4 side: softwire packets to a BR address are checked against the binding table and
 * decapsulated (or hairpinned). */
static __always_inline int from_b4(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                   struct frame* frame) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ipv6hdr* ip6 = data + frame->l2_len;
    if ((void*)(ip6 + 1) > data_end) return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    int br = br_index_of(cfg, ip6->daddr.in6_u.u6_addr8);
    if (br < 0) return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    __u64 bytes = data_end - (void*)ip6;
    if (ip6->nexthdr == NEXTHDR_FRAGMENT_ID) {
        count(LWAFTR_C_IN_IPV6, bytes);
        return pass(LWAFTR_C_PASS_FRAGMENT, bytes);
    }
    if (ip6->nexthdr == IPPROTO_ICMPV6_ID) {
        struct icmp_header* icmp6 = (void*)(ip6 + 1);
        if ((void*)(icmp6 + 1) > data_end) return pass(LWAFTR_C_PASS_NOT_OURS, 0);
        /* Errors (types 1-4) concern softwire traffic; echo and ND are the kernel's. */
        if (icmp6->type >= ICMPV6_DEST_UNREACH_TYPE && icmp6->type <= ICMPV6_PARAM_PROBLEM_TYPE)
            return relay_icmpv6_error(ctx, cfg, ip6, frame->l2_len, bytes);
        return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    }
    if (ip6->nexthdr != IPPROTO_IPIP) return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    count(LWAFTR_C_IN_IPV6, bytes);
    __u32 payload = bpf_ntohs(ip6->payload_len);
    if ((void*)(ip6 + 1) + payload > data_end) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    if (payload + IPV6_HEADER_LEN > cfg->path_mru) return drop(LWAFTR_C_DROP_TOO_BIG_MRU, bytes);
    struct iphdr* ip = (void*)(ip6 + 1);
    if ((void*)(ip + 1) > data_end) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    if (!valid_ipv4(ip, data_end, payload)) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    struct table_ref table;
    if (current_table(&table)) return drop(LWAFTR_C_DROP_NO_TABLE, bytes);
    if (is_fragment(ip)) return pass(LWAFTR_C_PASS_FRAGMENT, bytes);

    __u16 port = 0;
    int icmp_kind;
    int found = subscriber_port(ip, data_end, 0, &port, &icmp_kind);
    if (found == PORT_MALFORMED) return drop(LWAFTR_C_DROP_MALFORMED, bytes);
    if (icmp_kind != ICMP_KIND_NONE && !(cfg->flags & LWAFTR_F_ALLOW_OUTGOING_ICMPV4))
        return drop(LWAFTR_C_DROP_ICMPV4_POLICY, bytes);
    struct lwaftr_slot* softwire = NULL;
    struct lwaftr_port_set uniform;
    if (!table_uniform_port_set(&table, &uniform) && found == PORT_FOUND)
        softwire = table_softwire(&table, ip->saddr, &uniform, port);
    struct lwaftr_port_set* set = softwire ? &uniform : table_port_set(&table, ip->saddr);
    if (!set) return reject_softwire(ctx, cfg, frame, LWAFTR_C_DROP_DECAP_NO_BINDING, bytes);
    if (found == PORT_NONE && set->psid_len) return drop(LWAFTR_C_DROP_NO_PORT, bytes);
    if (!softwire) softwire = table_softwire(&table, ip->saddr, set, port);
    if (!softwire) return reject_softwire(ctx, cfg, frame, LWAFTR_C_DROP_DECAP_NO_BINDING, bytes);
    if (!ipv6_equal(softwire->b4_ipv6, ip6->saddr.in6_u.u6_addr8))
        return reject_softwire(ctx, cfg, frame, LWAFTR_C_DROP_DECAP_WRONG_B4, bytes);
    if (softwire->br_index != br)
        return reject_softwire(ctx, cfg, frame, LWAFTR_C_DROP_DECAP_WRONG_BR, bytes);

    if (cfg->flags & LWAFTR_F_HAIRPINNING) {
        struct lwaftr_port_set* peer_set = table_port_set(&table, ip->daddr);
        if (peer_set) return hairpin(ctx, cfg, frame, &table, peer_set, bytes);
    }

    __u16 total = bpf_ntohs(ip->tot_len);
    struct next_hop hop;
    int resolved = next_hop_ipv4(ctx, &cfg->internet, ip->saddr, ip->daddr, total, &hop);
    if (resolved == NEXT_HOP_NO_ROUTE) return drop(LWAFTR_C_DROP_NO_ROUTE, bytes);
    struct ethhdr* eth = data;
    if (resolved == NEXT_HOP_UNRESOLVED) {
        __builtin_memcpy(hop.dmac, eth->h_dest, 6);
        __builtin_memcpy(hop.smac, eth->h_source, 6);
        hop.vlan_id = frame->vlan_id;
    }
    if (trim_tail(ctx, frame->l2_len + IPV6_HEADER_LEN, total))
        return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    __u32 l2_out = l2_length(hop.vlan_id);
    if (reshape_head(ctx, frame->l2_len, IPV6_HEADER_LEN, l2_out))
        return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    if (write_l2(ctx, &hop, ETH_P_IP)) return drop(LWAFTR_C_DROP_INTERNAL, bytes);
    if (resolved == NEXT_HOP_UNRESOLVED) return pass(LWAFTR_C_PASS_NO_NEIGH, bytes);
    count(LWAFTR_C_DECAP, total);
    return transmit(ctx, &hop, 0);
}

/* A side with a configured VLAN only handles frames carrying that tag; everything else on
 * the wire (other VLANs, ARP, ND, routing protocols) belongs to the kernel. */
static __always_inline int on_side(struct frame* frame, struct lwaftr_side* side) {
    return frame->vlan_id == side->vlan_id;
}

SEC("xdp")
int lwaftr_internet(struct xdp_md* ctx) {
    struct frame frame;
    if (parse_l2(ctx, &frame)) return drop(LWAFTR_C_DROP_MALFORMED, 0);
    struct lwaftr_config* cfg = load_config();
    if (!cfg) return pass(LWAFTR_C_PASS_NO_CONFIG, 0);
    if (frame.ether_type != ETH_P_IP || !on_side(&frame, &cfg->internet))
        return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    return from_internet(ctx, cfg, &frame);
}

SEC("xdp")
int lwaftr_b4(struct xdp_md* ctx) {
    struct frame frame;
    if (parse_l2(ctx, &frame)) return drop(LWAFTR_C_DROP_MALFORMED, 0);
    struct lwaftr_config* cfg = load_config();
    if (!cfg) return pass(LWAFTR_C_PASS_NO_CONFIG, 0);
    if (frame.ether_type != ETH_P_IPV6 || !on_side(&frame, &cfg->b4))
        return pass(LWAFTR_C_PASS_NOT_OURS, 0);
    return from_b4(ctx, cfg, &frame);
}

SEC("xdp")
int lwaftr_stick(struct xdp_md* ctx) {
    struct frame frame;
    if (parse_l2(ctx, &frame)) return drop(LWAFTR_C_DROP_MALFORMED, 0);
    struct lwaftr_config* cfg = load_config();
    if (!cfg) return pass(LWAFTR_C_PASS_NO_CONFIG, 0);
    if (frame.ether_type == ETH_P_IP && on_side(&frame, &cfg->internet))
        return from_internet(ctx, cfg, &frame);
    if (frame.ether_type == ETH_P_IPV6 && on_side(&frame, &cfg->b4))
        return from_b4(ctx, cfg, &frame);
    return pass(LWAFTR_C_PASS_NOT_OURS, 0);
}
