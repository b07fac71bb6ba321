/* Protocol constants and header helpers: typed headers, checksums. */
#pragma once

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

/* libbpf's headers need the kernel types above. */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_8021Q_TAG 0x8100
#define IPV4_MF 0x2000
#define IPV4_DF 0x4000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV6_HEADER_LEN 40
#define NEXTHDR_FRAGMENT_ID 44
#define ICMPV4_ECHO_REPLY 0
#define ICMPV4_DEST_UNREACH 3
#define ICMPV4_TIME_EXCEEDED 11
#define ICMPV4_PARAMETER_PROBLEM 12
#define ICMPV4_ECHO_REQUEST 8
#define ICMPV4_CODE_HOST_UNREACH 1
#define ICMPV4_CODE_FRAG_NEEDED 4
#define ICMPV6_DEST_UNREACH_TYPE 1
#define ICMPV6_PACKET_TOO_BIG_TYPE 2
#define ICMPV6_TIME_EXCEEDED_TYPE 3
#define ICMPV6_PARAM_PROBLEM_TYPE 4
#define ICMPV6_CODE_SOURCE_POLICY 5
#define LWAFTR_HOP_LIMIT 64
#define LWAFTR_ERROR_TTL 64

/* ICMPv4 and ICMPv6 share this 8-byte header shape; linux/icmp.h drags in libc headers
 * that do not build for the BPF target. */
struct icmp_header {
    __u8 type;
    __u8 code;
    __sum16 checksum;
    union {
        struct {
            __be16 id;
            __be16 sequence;
        } echo;
        struct {
            __be16 unused;
            __be16 mtu;
        } frag;
        __be32 mtu32; /* ICMPv6 packet too big */
        __be32 unused32;
    };
};

struct vlan_tag {
    __be16 tci;
    __be16 inner_proto;
};

static __always_inline __u16 csum_fold32(__u32 sum) {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

static __always_inline __u16 ipv4_header_checksum(struct iphdr* ip) {
    __u16* words = (__u16*)ip;
    __u32 sum = 0;
#pragma unroll
    for (int i = 0; i < (int)sizeof(struct iphdr) / 2; i++) sum += words[i];
    return csum_fold32(sum);
}

/* Decrementing TTL adds 0x0100 to the one's complement sum (RFC 1624). */
static __always_inline void ipv4_decrement_ttl(struct iphdr* ip) {
    __u32 check = ip->check;
    check += bpf_htons(0x0100);
    ip->check = (__u16)(check + (check >= 0xffff));
    ip->ttl--;
}

static __always_inline int ipv6_equal(const __u8* a, const __u8* b) {
    const __u64* x = (const __u64*)a;
    const __u64* y = (const __u64*)b;
    return x[0] == y[0] && x[1] == y[1];
}

static __always_inline void ipv6_copy(__u8* dst, const __u8* src) {
    __builtin_memcpy(dst, src, 16);
}
