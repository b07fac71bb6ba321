/* Protocol constants and the typed headers the VTEP programs parse and build. */
#pragma once

/* The kernel types first: libbpf's helper headers use them. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "vtep_abi.h"

#define ETH_P_8021Q_TPID 0x8100
#define ETH_P_8021AD_TPID 0x88a8
#define VLAN_VID_MASK 0x0fff
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV4_DF 0x4000
#define VXLAN_FLAG_VNI 0x08 /* the I flag: the VNI field is valid */
#define VTEP_OUTER_TTL 64
#define AF_INET_FAMILY 2

struct vlan_hdr {
    __be16 tci;
    __be16 encapsulated_proto;
};

struct vxlan_hdr {
    __u8 flags;
    __u8 reserved1[3];
    __be32 vni_reserved; /* VNI in the upper 24 bits */
};

/* What encapsulation puts in front of the inner frame. */
struct vxlan_outer {
    struct ethhdr eth;
    struct iphdr ip;
    struct udphdr udp;
    struct vxlan_hdr vxlan;
} __attribute__((packed));

_Static_assert(sizeof(struct vxlan_outer) == VTEP_ENCAP_OVERHEAD, "outer header size");

static __always_inline int is_vlan_tpid(__be16 proto) {
    return proto == bpf_htons(ETH_P_8021Q_TPID) || proto == bpf_htons(ETH_P_8021AD_TPID);
}

static __always_inline int mac_is_multicast(const __u8* mac) {
    return mac[0] & 1;
}

static __always_inline __u16 ipv4_checksum(const struct iphdr* ip) {
    const __u16* words = (const __u16*)ip;
    __u32 sum = 0;
#pragma unroll
    for (int i = 0; i < (int)(sizeof(*ip) / 2); i++) sum += words[i];
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

static __always_inline __u32 vxlan_vni(const struct vxlan_hdr* vxlan) {
    return bpf_ntohl(vxlan->vni_reserved) >> 8;
}
