/* ICMPv6 on the B4 side: errors the AFTR sends to B4s, and errors from the path toward a
 * B4 relayed to the IPv4 sender as ICMPv4 (RFC 7596 section 8, RFC 2473 section 8). */
#pragma once

#include "lwaftr_egress.h"
#include "lwaftr_headers.h"
#include "lwaftr_icmp.h"
#include "lwaftr_maps.h"
#include "lwaftr_ports.h"
#include "lwaftr_table.h"

#define IPPROTO_ICMPV6_ID 58
/* The error quotes the start of the rejected softwire packet: its IPv6 header, the inner
 * IPv4 header and the inner ports (RFC 4443 asks for as much as fits; these bytes are
 * what a B4 needs to match the error to a flow). */
#define ICMPV6_ERROR_QUOTE (IPV6_HEADER_LEN + 60 + 28)

static __always_inline __u32 ipv6_pseudo_header_sum(struct ipv6hdr* ip6, __u32 length) {
    __u32 sum = 0;
    __u16* words = (__u16*)&ip6->saddr;
#pragma unroll
    for (int i = 0; i < 16; i++) sum += words[i]; /* source and destination */
    sum += bpf_htons((__u16)length);
    sum += bpf_htons(IPPROTO_ICMPV6_ID);
    return sum;
}

/* Turns the softwire packet at l2_len into an ICMPv6 error to its source (the B4), sent
 * from the BR address it was sent to, back out of the B4 side. */
static __always_inline int reply_icmpv6_error(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                              __u32 l2_len, __u16 vlan_id, __u8 type, __u8 code) {
    if (!(cfg->flags & LWAFTR_F_GENERATE_ICMPV6_ERRORS)) return XDP_DROP;
    if (!rate_allows(RATE_V6, cfg->icmpv6_rate)) {
        count(LWAFTR_C_ICMP_RATE_LIMITED, 0);
        return XDP_DROP;
    }
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return XDP_DROP;
    struct ipv6hdr* ip6 = data + l2_len;
    if ((void*)(ip6 + 1) > data_end) return XDP_DROP;
    struct next_hop back = {};
    __builtin_memcpy(back.dmac, eth->h_source, 6);
    __builtin_memcpy(back.smac, eth->h_dest, 6);
    back.vlan_id = vlan_id;
    __u8 b4[16], br[16];
    ipv6_copy(b4, ip6->saddr.in6_u.u6_addr8);
    ipv6_copy(br, ip6->daddr.in6_u.u6_addr8);
    __u32 quote = bpf_xdp_get_buff_len(ctx) - l2_len;
    if (quote > ICMPV6_ERROR_QUOTE) quote = ICMPV6_ERROR_QUOTE;

    const int added = IPV6_HEADER_LEN + sizeof(struct icmp_header);
    if (bpf_xdp_adjust_head(ctx, -added)) goto internal;
    int excess = (int)bpf_xdp_get_buff_len(ctx) - (int)(l2_len + added + quote);
    if (excess > 0 && bpf_xdp_adjust_tail(ctx, -excess)) goto internal;
    if (write_l2(ctx, &back, ETH_P_IPV6)) goto internal;

    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    ip6 = data + l2_len;
    struct icmp_header* icmp = (void*)(ip6 + 1);
    if ((void*)(icmp + 1) > data_end) goto internal;
    __u32 length = sizeof(*icmp) + quote;
    *(__be32*)ip6 = bpf_htonl(6u << 28);
    ip6->payload_len = bpf_htons(length);
    ip6->nexthdr = IPPROTO_ICMPV6_ID;
    ip6->hop_limit = LWAFTR_ERROR_TTL;
    ipv6_copy(ip6->saddr.in6_u.u6_addr8, br);
    ipv6_copy(ip6->daddr.in6_u.u6_addr8, b4);
    icmp->type = type;
    icmp->code = code;
    icmp->checksum = 0;
    icmp->unused32 = 0;
    __u32 sum = ipv6_pseudo_header_sum(ip6, length);
    sum += sum_to_end(icmp, data_end, sizeof(*icmp) + ICMPV6_ERROR_QUOTE);
    icmp->checksum = csum_fold32(sum);
    count(LWAFTR_C_ICMPV6_SENT, data_end - data);
    return XDP_TX;
internal:
    count(LWAFTR_C_DROP_INTERNAL, 0);
    return XDP_DROP;
}

/* An ICMPv6 error addressed to a BR address, quoting a softwire packet we sent to a B4:
 * tell the IPv4 sender with the matching ICMPv4 error (packet too big becomes
 * fragmentation needed with the MTU left for IPv4). Returns the verdict. */
static __always_inline int relay_icmpv6_error(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                              struct ipv6hdr* ip6, __u32 l2_len, __u64 bytes) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct icmp_header* icmp6 = (void*)(ip6 + 1);
    if ((void*)(icmp6 + 1) > data_end) {
        count(LWAFTR_C_DROP_MALFORMED, bytes);
        return XDP_DROP;
    }
    __u8 type, code = 0;
    __u16 mtu = 0;
    if (icmp6->type == ICMPV6_PACKET_TOO_BIG_TYPE) {
        __u32 ipv6_mtu = bpf_ntohl(icmp6->mtu32);
        __u32 ipv4_mtu = ipv6_mtu > IPV6_HEADER_LEN + 68 ? ipv6_mtu - IPV6_HEADER_LEN : 68;
        type = ICMPV4_DEST_UNREACH;
        code = ICMPV4_CODE_FRAG_NEEDED;
        mtu = ipv4_mtu > 0xffff ? 0xffff : ipv4_mtu;
    } else if (icmp6->type == ICMPV6_TIME_EXCEEDED_TYPE) {
        type = ICMPV4_TIME_EXCEEDED;
        code = icmp6->code;
    } else {
        type = ICMPV4_DEST_UNREACH;
        code = ICMPV4_CODE_HOST_UNREACH;
    }
    count(LWAFTR_C_IN_IPV6, bytes);
    if (!(cfg->flags & LWAFTR_F_ALLOW_INCOMING_ICMPV6)) {
        count(LWAFTR_C_DROP_ICMPV6_POLICY, bytes);
        return XDP_DROP;
    }
    /* The quoted packet must be one we sent: from a BR address, IPv4 inside, to the B4
     * that the quoted IPv4 destination and port are bound to. */
    struct ipv6hdr* quoted6 = (void*)(icmp6 + 1);
    if ((void*)(quoted6 + 1) > data_end) goto unbound;
    struct iphdr* quoted4 = (void*)(quoted6 + 1);
    if ((void*)(quoted4 + 1) > data_end) goto unbound;
    if (quoted6->nexthdr != IPPROTO_IPIP || quoted4->version != 4 || quoted4->ihl < 5) goto unbound;
    struct table_ref table;
    if (current_table(&table)) goto unbound;
    struct lwaftr_port_set* set = table_port_set(&table, quoted4->daddr);
    if (!set) goto unbound;
    __u16 port = 0;
    int icmp_kind;
    int found = subscriber_port(quoted4, data_end, 1, &port, &icmp_kind);
    if (found == PORT_MALFORMED || (found == PORT_NONE && set->psid_len)) goto unbound;
    struct lwaftr_slot* softwire = table_softwire(&table, quoted4->daddr, set, port);
    if (!softwire || !ipv6_equal(softwire->b4_ipv6, quoted6->daddr.in6_u.u6_addr8)) goto unbound;
    if (!rate_allows(RATE_V4, cfg->icmpv4_rate)) {
        count(LWAFTR_C_ICMP_RATE_LIMITED, bytes);
        return XDP_DROP;
    }

    __be32 sender = quoted4->saddr;
    __u32 quote_offset = l2_len + IPV6_HEADER_LEN + sizeof(*icmp6) + IPV6_HEADER_LEN;
    __u32 quote = quoted4->ihl * 4 + 8;
    __u32 available = bpf_xdp_get_buff_len(ctx) - quote_offset;
    if (quote > available) quote = available;
    const __u32 added = sizeof(struct iphdr) + sizeof(struct icmp_header);
    struct next_hop hop;
    int resolved = next_hop_ipv4(ctx, &cfg->internet, cfg->aftr_ipv4, sender, added + quote, &hop);
    if (resolved != NEXT_HOP_OK) {
        count(LWAFTR_C_DROP_NO_ROUTE, bytes);
        return XDP_DROP;
    }
    __u32 l2_out = l2_length(hop.vlan_id);
    /* Keep the quoted IPv4 packet where it is; put the new headers right before it. */
    if (bpf_xdp_adjust_head(ctx, (int)quote_offset - (int)(l2_out + added))) goto internal;
    int excess = (int)bpf_xdp_get_buff_len(ctx) - (int)(l2_out + added + quote);
    if (excess > 0 && bpf_xdp_adjust_tail(ctx, -excess)) goto internal;
    if (write_l2(ctx, &hop, ETH_P_IP)) goto internal;
    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    struct iphdr* ip = data + l2_out;
    struct icmp_header* icmp = (void*)(ip + 1);
    if ((void*)(icmp + 1) > data_end) goto internal;
    ip->version = 4;
    ip->ihl = 5;
    ip->tos = 0xc0;
    ip->tot_len = bpf_htons(added + quote);
    ip->id = 0;
    ip->frag_off = 0;
    ip->ttl = LWAFTR_ERROR_TTL;
    ip->protocol = IPPROTO_ICMP;
    ip->saddr = cfg->aftr_ipv4;
    ip->daddr = sender;
    ip->check = 0;
    ip->check = ipv4_header_checksum(ip);
    icmp->type = type;
    icmp->code = code;
    icmp->checksum = 0;
    icmp->frag.unused = 0;
    icmp->frag.mtu = bpf_htons(mtu);
    icmp->checksum = csum_fold32(sum_to_end(icmp, data_end, sizeof(*icmp) + ICMPV4_QUOTE_MAX));
    count(LWAFTR_C_ICMPV6_TRANSLATED, data_end - data);
    return transmit(ctx, &hop, 0);
unbound:
    count(LWAFTR_C_DROP_ICMPV6_NO_BINDING, bytes);
    return XDP_DROP;
internal:
    count(LWAFTR_C_DROP_INTERNAL, bytes);
    return XDP_DROP;
}
