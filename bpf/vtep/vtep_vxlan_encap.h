/* Builds the outer headers of a VXLAN frame (RFC 7348): Ethernet, IPv4 without options,
 * UDP to 4789 with a zero checksum (allowed for IPv4), VXLAN with the I flag. */
#pragma once

#include "vtep_headers.h"

static __always_inline void build_vxlan_outer(struct vxlan_outer* outer,
                                              const struct vtep_next_hop* nh, __be32 source_ip,
                                              __be32 remote_ip, __u32 vni, __u16 source_port,
                                              __u32 inner_len) {
    __builtin_memcpy(outer->eth.h_dest, nh->dst_mac, ETH_ALEN);
    __builtin_memcpy(outer->eth.h_source, nh->src_mac, ETH_ALEN);
    outer->eth.h_proto = bpf_htons(ETH_P_IP);
    struct iphdr ip = {
        .version = 4,
        .ihl = 5,
        .tot_len = bpf_htons(inner_len + sizeof(struct iphdr) + sizeof(struct udphdr) +
                             sizeof(struct vxlan_hdr)),
        .frag_off = bpf_htons(IPV4_DF), /* oversize frames are dropped, not fragmented */
        .ttl = VTEP_OUTER_TTL,
        .protocol = IPPROTO_UDP,
        .saddr = source_ip,
        .daddr = remote_ip,
    };
    ip.check = ipv4_checksum(&ip);
    __builtin_memcpy(&outer->ip, &ip, sizeof(ip));
    outer->udp.source = bpf_htons(source_port);
    outer->udp.dest = bpf_htons(VTEP_VXLAN_PORT);
    outer->udp.len = bpf_htons(inner_len + sizeof(struct udphdr) + sizeof(struct vxlan_hdr));
    outer->udp.check = 0;
    outer->vxlan.flags = VXLAN_FLAG_VNI;
    outer->vxlan.reserved1[0] = 0;
    outer->vxlan.reserved1[1] = 0;
    outer->vxlan.reserved1[2] = 0;
    outer->vxlan.vni_reserved = bpf_htonl(vni << 8);
}

/* Frames larger than this (inner frame without VLAN tag) do not fit the underlay. */
static __always_inline int exceeds_underlay_mtu(__u32 inner_len, __u32 mtu) {
    return inner_len + sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(struct vxlan_hdr) >
           mtu;
}
