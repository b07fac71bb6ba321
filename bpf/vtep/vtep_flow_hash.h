/* Flow hash of an inner frame: picks the VXLAN UDP source port (RFC 7348 §5: entropy
 * for underlay ECMP) and the service node. Mixes 32-bit words read as little-endian:
 * the two MAC addresses and, for unfragmented IPv4, the addresses and the first four L4
 * bytes (the ports of TCP and UDP). test/data/dataplane/make_vectors.py computes the
 * same function. */
#pragma once

#include "vtep_headers.h"

#define FLOW_HASH_SEED 0x5674e9a1u

struct flow_words {
    __u32 w[6];
    __u32 n;
};

static __always_inline __u32 flow_mix(__u32 h, __u32 word) {
    h ^= word;
    h *= 0x9e3779b1u;
    return (h << 13) | (h >> 19);
}

static __always_inline __u32 flow_hash_finish(__u32 h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

static __always_inline __u16 vxlan_source_port(__u32 hash) {
    return (__u16)(0xc000 | (hash & 0x3fff)); /* 49152-65535 */
}

/* For XDP: frame at data, the L3 header at l3_offset, l3_proto its ethertype. */
static __always_inline __u32 flow_hash_xdp(void* data, void* data_end, __u32 l3_offset,
                                           __be16 l3_proto) {
    __u32 h = FLOW_HASH_SEED;
    __u32* macs = data;
    if ((void*)(macs + 3) > data_end) return flow_hash_finish(h);
    h = flow_mix(h, macs[0]);
    h = flow_mix(h, macs[1]);
    h = flow_mix(h, macs[2]);
    if (l3_proto != bpf_htons(ETH_P_IP) || l3_offset > 18) return flow_hash_finish(h);
    struct iphdr* ip = data + l3_offset;
    if ((void*)(ip + 1) > data_end || ip->ihl < 5) return flow_hash_finish(h);
    h = flow_mix(h, ip->saddr);
    h = flow_mix(h, ip->daddr);
    if ((ip->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET_MASK)) ||
        (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP))
        return flow_hash_finish(h);
    __u32* ports = (void*)ip + ip->ihl * 4;
    if ((void*)(ports + 1) > data_end) return flow_hash_finish(h);
    return flow_hash_finish(flow_mix(h, *ports));
}

/* For tc: the frame is untagged (the replicator pops tags first). */
static __always_inline __u32 flow_hash_skb(struct __sk_buff* skb) {
    __u32 h = FLOW_HASH_SEED;
    struct {
        __u32 macs[3];
        __be16 proto;
    } __attribute__((packed)) eth;
    if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth))) return flow_hash_finish(h);
    h = flow_mix(h, eth.macs[0]);
    h = flow_mix(h, eth.macs[1]);
    h = flow_mix(h, eth.macs[2]);
    if (eth.proto != bpf_htons(ETH_P_IP)) return flow_hash_finish(h);
    struct iphdr ip;
    if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip, sizeof(ip)) || ip.ihl < 5)
        return flow_hash_finish(h);
    h = flow_mix(h, ip.saddr);
    h = flow_mix(h, ip.daddr);
    if ((ip.frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET_MASK)) ||
        (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP))
        return flow_hash_finish(h);
    __u32 ports;
    if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + ip.ihl * 4, &ports, sizeof(ports)))
        return flow_hash_finish(h);
    return flow_hash_finish(flow_mix(h, ports));
}
