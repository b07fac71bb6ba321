/* The port that names a subscriber inside a shared IPv4 address (RFC 7596 section 5.1):
 * TCP/UDP ports, ICMP echo identifiers, and for ICMP errors the port of the packet they
 * quote. */
#pragma once

#include "lwaftr_headers.h"

enum port_result {
    PORT_FOUND,
    PORT_NONE,      /* protocol without ports */
    PORT_MALFORMED, /* truncated header */
};

enum icmp_kind {
    ICMP_KIND_NONE,
    ICMP_KIND_ECHO,
    ICMP_KIND_ERROR,
};

struct l4_ports {
    __be16 source;
    __be16 dest;
};

/* Port of a packet quoted by an ICMP error. The quoted packet travelled the other way, so
 * for traffic toward a B4 the subscriber's port is its source port and vice versa. */
static __always_inline int quoted_port(struct iphdr* quoted, void* data_end, int toward_b4,
                                       __u16* port) {
    if ((void*)(quoted + 1) > data_end) return PORT_MALFORMED;
    if (quoted->ihl < 5) return PORT_MALFORMED;
    void* l4 = (void*)quoted + quoted->ihl * 4;
    if (quoted->protocol == IPPROTO_TCP || quoted->protocol == IPPROTO_UDP) {
        struct l4_ports* ports = l4;
        if ((void*)(ports + 1) > data_end) return PORT_MALFORMED;
        *port = bpf_ntohs(toward_b4 ? ports->source : ports->dest);
        return PORT_FOUND;
    }
    if (quoted->protocol == IPPROTO_ICMP) {
        struct icmp_header* icmp = l4;
        if ((void*)(icmp + 1) > data_end) return PORT_MALFORMED;
        if (icmp->type != ICMPV4_ECHO_REQUEST && icmp->type != ICMPV4_ECHO_REPLY) return PORT_NONE;
        *port = bpf_ntohs(icmp->echo.id);
        return PORT_FOUND;
    }
    return PORT_NONE;
}

/* toward_b4: the destination of ip is the subscriber (encapsulation); otherwise the
 * source is (decapsulation). ip->ihl must have been checked to be at least 5. */
static __always_inline int subscriber_port(struct iphdr* ip, void* data_end, int toward_b4,
                                           __u16* port, int* icmp_kind) {
    void* l4 = (void*)ip + ip->ihl * 4;
    *icmp_kind = ICMP_KIND_NONE;
    if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
        struct l4_ports* ports = l4;
        if ((void*)(ports + 1) > data_end) return PORT_MALFORMED;
        *port = bpf_ntohs(toward_b4 ? ports->dest : ports->source);
        return PORT_FOUND;
    }
    if (ip->protocol != IPPROTO_ICMP) return PORT_NONE;
    struct icmp_header* icmp = l4;
    if ((void*)(icmp + 1) > data_end) return PORT_MALFORMED;
    if (icmp->type == ICMPV4_ECHO_REQUEST || icmp->type == ICMPV4_ECHO_REPLY) {
        *icmp_kind = ICMP_KIND_ECHO;
        *port = bpf_ntohs(icmp->echo.id);
        return PORT_FOUND;
    }
    if (icmp->type == ICMPV4_DEST_UNREACH || icmp->type == ICMPV4_TIME_EXCEEDED ||
        icmp->type == ICMPV4_PARAMETER_PROBLEM) {
        *icmp_kind = ICMP_KIND_ERROR;
        return quoted_port((struct iphdr*)(icmp + 1), data_end, toward_b4, port);
    }
    *icmp_kind = ICMP_KIND_ECHO; /* other informational ICMP: policy applies, no port */
    return PORT_NONE;
}
