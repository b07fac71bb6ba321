/* ICMP errors the lwAFTR generates, and their rate limit. */
#pragma once

#include "lwaftr_egress.h"
#include "lwaftr_headers.h"
#include "lwaftr_maps.h"

#define NSEC_PER_SEC 1000000000ull
#define RATE_V4 0
#define RATE_V6 1
/* RFC 792: the error quotes the IP header and the first 64 bits of the payload. */
#define ICMPV4_QUOTE_MAX (60 + 8)
/* ICMPv6 errors quote the softwire packet: IPv6 header, inner IPv4 header, 8 bytes. */
#define ICMPV6_QUOTE_MAX (IPV6_HEADER_LEN + 60 + 8)

/* Token bucket in nano-tokens, one second of burst. Updates from several CPUs may race;
 * the limit is then approximate, never unbounded. */
static __always_inline int rate_allows(__u32 which, __u32 per_second) {
    if (!per_second) return 1;
    struct lwaftr_rate_bucket* bucket = bpf_map_lookup_elem(&lwaftr_rate_state, &which);
    if (!bucket) return 1;
    __u64 now = bpf_ktime_get_ns();
    __u64 elapsed = now - bucket->last_ns;
    if (elapsed > NSEC_PER_SEC) elapsed = NSEC_PER_SEC;
    __u64 limit = (__u64)per_second * NSEC_PER_SEC;
    __u64 tokens = bucket->tokens + elapsed * per_second;
    if (tokens > limit) tokens = limit;
    bucket->last_ns = now;
    if (tokens < NSEC_PER_SEC) {
        bucket->tokens = tokens;
        return 0;
    }
    bucket->tokens = tokens - NSEC_PER_SEC;
    return 1;
}

/* One's complement sum of [start, data_end), at most max_bytes. */
static __always_inline __u32 sum_to_end(void* start, void* data_end, __u32 max_bytes) {
    __u32 sum = 0;
    for (__u32 i = 0; i < max_bytes / 2 + 1; i++) {
        __u16* word = start + i * 2;
        if ((void*)(word + 1) > data_end) {
            __u8* last = (__u8*)word;
            if ((void*)(last + 1) <= data_end) sum += *last; /* odd length: pad with zero */
            break;
        }
        sum += *word;
    }
    return sum;
}

/* Turns the IPv4 packet at l2_len into an ICMPv4 error to its source, sent back where it
 * came from. Returns the XDP verdict. */
static __always_inline int reply_icmpv4_error(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                              __u32 l2_len, __u16 vlan_id, __u8 type, __u8 code,
                                              __u16 mtu) {
    if (!(cfg->flags & LWAFTR_F_GENERATE_ICMPV4_ERRORS)) return XDP_DROP;
    if (!rate_allows(RATE_V4, cfg->icmpv4_rate)) {
        count(LWAFTR_C_ICMP_RATE_LIMITED, 0);
        return XDP_DROP;
    }
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return XDP_DROP;
    struct iphdr* ip = data + l2_len;
    if ((void*)(ip + 1) > data_end) return XDP_DROP;
    struct next_hop back = {};
    __builtin_memcpy(back.dmac, eth->h_source, 6);
    __builtin_memcpy(back.smac, eth->h_dest, 6);
    back.vlan_id = vlan_id;
    __be32 sender = ip->saddr;
    __u32 quote = ip->ihl * 4 + 8;
    __u32 available = bpf_xdp_get_buff_len(ctx) - l2_len;
    if (quote > available) quote = available;

    const int added = sizeof(struct iphdr) + sizeof(struct icmp_header);
    if (bpf_xdp_adjust_head(ctx, -added)) goto internal;
    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    /* Frame lengths come from the helper: the verifier rejects arithmetic that mixes
     * packet pointers with unbounded lengths. */
    int excess = (int)bpf_xdp_get_buff_len(ctx) - (int)(l2_len + added + quote);
    if (excess > 0 && bpf_xdp_adjust_tail(ctx, -excess)) goto internal;
    if (write_l2(ctx, &back, ETH_P_IP)) goto internal;

    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    ip = data + l2_len;
    struct icmp_header* icmp = (void*)(ip + 1);
    if ((void*)(icmp + 1) > data_end) goto internal;
    ip->version = 4;
    ip->ihl = 5;
    ip->tos = 0xc0; /* internetwork control, as routers mark their errors */
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
    count(LWAFTR_C_ICMPV4_SENT, data_end - data);
    return XDP_TX;
internal:
    count(LWAFTR_C_DROP_INTERNAL, 0);
    return XDP_DROP;
}

/* A hairpinned packet (B4 to a shared address) that cannot be delivered: the ICMPv4 error
 * is for the sending subscriber's shared address, whose owner is the B4 the packet came
 * from (decapsulation checked that), so it goes straight back to that B4, encapsulated
 * from the BR address the packet was sent to. l2_len locates the softwire's IPv6 header. */
static __always_inline int reply_hairpin_icmpv4_error(struct xdp_md* ctx, struct lwaftr_config* cfg,
                                                      __u32 l2_len, __u16 vlan_id, __u8 type,
                                                      __u8 code) {
    if (!(cfg->flags & LWAFTR_F_GENERATE_ICMPV4_ERRORS)) return XDP_DROP;
    if (!rate_allows(RATE_V4, cfg->icmpv4_rate)) {
        count(LWAFTR_C_ICMP_RATE_LIMITED, 0);
        return XDP_DROP;
    }
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    struct ethhdr* eth = data;
    if ((void*)(eth + 1) > data_end) return XDP_DROP;
    struct ipv6hdr* ip6 = data + l2_len;
    if ((void*)(ip6 + 1) > data_end) return XDP_DROP;
    struct iphdr* ip = (void*)(ip6 + 1);
    if ((void*)(ip + 1) > data_end) return XDP_DROP;
    struct next_hop back = {};
    __builtin_memcpy(back.dmac, eth->h_source, 6);
    __builtin_memcpy(back.smac, eth->h_dest, 6);
    back.vlan_id = vlan_id;
    __u8 b4[16], br[16];
    ipv6_copy(b4, ip6->saddr.in6_u.u6_addr8);
    ipv6_copy(br, ip6->daddr.in6_u.u6_addr8);
    __be32 sender = ip->saddr;
    __u32 quote = ip->ihl * 4 + 8;
    __u32 available = bpf_xdp_get_buff_len(ctx) - l2_len - IPV6_HEADER_LEN;
    if (quote > available) quote = available;

    const int added = sizeof(struct iphdr) + sizeof(struct icmp_header);
    if (bpf_xdp_adjust_head(ctx, -added)) goto internal;
    int excess = (int)bpf_xdp_get_buff_len(ctx) - (int)(l2_len + IPV6_HEADER_LEN + added + quote);
    if (excess > 0 && bpf_xdp_adjust_tail(ctx, -excess)) goto internal;
    if (write_l2(ctx, &back, ETH_P_IPV6)) goto internal;

    data = (void*)(long)ctx->data;
    data_end = (void*)(long)ctx->data_end;
    ip6 = data + l2_len;
    ip = (void*)(ip6 + 1);
    struct icmp_header* icmp = (void*)(ip + 1);
    if ((void*)(icmp + 1) > data_end) goto internal;
    *(__be32*)ip6 = bpf_htonl(6u << 28);
    ip6->payload_len = bpf_htons(added + quote);
    ip6->nexthdr = IPPROTO_IPIP;
    ip6->hop_limit = LWAFTR_HOP_LIMIT;
    ipv6_copy(ip6->saddr.in6_u.u6_addr8, br);
    ipv6_copy(ip6->daddr.in6_u.u6_addr8, b4);
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
    icmp->frag.mtu = 0;
    icmp->checksum = csum_fold32(sum_to_end(icmp, data_end, sizeof(*icmp) + ICMPV4_QUOTE_MAX));
    count(LWAFTR_C_ICMPV4_SENT, data_end - (void*)ip6);
    return XDP_TX;
internal:
    count(LWAFTR_C_DROP_INTERNAL, 0);
    return XDP_DROP;
}
