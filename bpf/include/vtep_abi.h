/* The ABI between the VTEP BPF programs and their C++ control plane: map keys and values,
 * counter ids, learn events and limits. Included by BPF C and by C++; every struct has
 * explicit padding so both sides agree on its layout. Addresses (IPv4) are in network
 * byte order; VNIs, VLAN ids and ifindexes are in host byte order. */
#pragma once

#include <linux/types.h>

#define VTEP_VXLAN_PORT 4789
#define VTEP_VXLAN_HEADER_LEN 8
/* Outer Ethernet + IPv4 (no options) + UDP + VXLAN that encapsulation adds. */
#define VTEP_ENCAP_OVERHEAD 50
#define VTEP_VNI_MAX 0xffffff
/* VLAN 0 in a binding means the untagged (native) VLAN of the port. */
#define VTEP_VLAN_UNTAGGED 0
#define VTEP_VLAN_MAX 4094

/* Sizes of the tables. The per-logical-switch arrays bound the replication loops. */
#define VTEP_MAX_PORTS 256
#define VTEP_MAX_BINDINGS 4096
#define VTEP_MAX_LOGICAL_SWITCHES 4096
#define VTEP_MAX_LOCAL_MACS 65536
#define VTEP_MAX_REMOTE_MACS 262144
#define VTEP_MAX_TUNNEL_IPS 16
#define VTEP_MAX_NEXT_HOPS 1024
/* Powers of two: the BPF side masks indexes with them. */
#define VTEP_MAX_LS_BINDINGS 32
#define VTEP_MAX_FLOOD_IPS 32
#define VTEP_MAX_SERVICE_NODES 8
#define VTEP_LEARN_RING_BYTES (8u << 20)

/* Ingress replication modes of a logical switch (hardware_vtep's replication_mode). */
enum vtep_replication_mode {
    VTEP_REPLICATION_SOURCE_NODE = 0,  /* one copy to each remote VTEP of the flood list */
    VTEP_REPLICATION_SERVICE_NODE = 1, /* one copy to a service node chosen by flow hash */
};

/* Counters: drops by reason, frames handed to the kernel, learning outcomes. */
enum vtep_counter_id {
    VTEP_CTR_DROP_MALFORMED = 0,     /* truncated or inconsistent headers */
    VTEP_CTR_DROP_VLAN_STACK,        /* QinQ / S-tag frames on an access port */
    VTEP_CTR_DROP_NO_BINDING,        /* (port, VLAN) bound to no logical switch */
    VTEP_CTR_DROP_UNKNOWN_VNI,       /* VXLAN for a VNI with no logical switch */
    VTEP_CTR_DROP_VXLAN_FLAGS,       /* VXLAN header without the I flag */
    VTEP_CTR_DROP_MTU_EXCEEDED,      /* too big for the uplink after encapsulation */
    VTEP_CTR_DROP_NO_ROUTE,          /* no next hop toward a remote VTEP */
    VTEP_CTR_DROP_NO_NEIGH,          /* flood copy skipped: next hop MAC unresolved */
    VTEP_CTR_DROP_HAIRPIN,           /* destination is the binding the frame came from */
    VTEP_CTR_DROP_SPLIT_HORIZON,     /* frame from a tunnel destined to a tunnel */
    VTEP_CTR_DROP_NO_TX_PORT,        /* egress port not in the transmit map */
    VTEP_CTR_DROP_NO_CONFIG,         /* uplink or tunnel IP not configured */
    VTEP_CTR_DROP_FLOOD_EMPTY,       /* BUM with nowhere to go */
    VTEP_CTR_DROP_ADJUST_FAILED,     /* the kernel refused to grow or shrink the frame */
    VTEP_CTR_PASS_NOT_OURS,          /* handed to the kernel stack untouched */
    VTEP_CTR_PASS_UNDERLAY_FRAGMENT, /* fragmented VXLAN: left to the kernel */
    VTEP_CTR_PASS_TO_REPLICATOR,     /* BUM handed from XDP to the tc replicator */
    VTEP_CTR_PASS_NO_NEIGH,          /* encapsulated, handed to the kernel to resolve */
    VTEP_CTR_LEARN_NEW,              /* new MAC learned */
    VTEP_CTR_LEARN_MOVE,             /* learned MAC moved to another port/VLAN */
    VTEP_CTR_LEARN_LIMIT,            /* not learned: the port is at its MAC limit */
    VTEP_CTR_LEARN_TABLE_FULL,       /* not learned: the MAC table is full */
    VTEP_CTR_LEARN_EVENTS_LOST,      /* ring buffer full: event not delivered */
    VTEP_CTR_REPLICATED_LOCAL,       /* flood copies sent to access ports */
    VTEP_CTR_REPLICATED_REMOTE,      /* flood copies sent to remote VTEPs */
    VTEP_CTR_CLONE_FAILED,           /* bpf_clone_redirect refused a copy */
    VTEP_CTR_MAX,
};

/* Key of the (port, VLAN) → logical switch bindings. */
struct vtep_binding_key {
    __u32 ifindex;
    __u16 vlan; /* VTEP_VLAN_UNTAGGED for the native VLAN */
    __u16 pad;
};

struct vtep_binding {
    __u32 vni;
    __u32 stats_index; /* index into binding_stats, chosen by the control plane */
};

/* Per-binding traffic, hardware_vtep's Logical_Binding_Stats: "from local" is what the
 * access port received on the binding, "to local" what was sent out on it. */
struct vtep_binding_stats {
    __u64 packets_from_local;
    __u64 bytes_from_local;
    __u64 packets_to_local;
    __u64 bytes_to_local;
};

struct vtep_ls_binding {
    __u32 ifindex;
    __u16 vlan;
    __u16 pad;
    __u32 stats_index;
};

/* One logical switch, keyed by VNI. The control plane writes the whole value at once;
 * the arrays are dense (n_* entries valid). */
struct vtep_logical_switch {
    __u8 replication_mode; /* enum vtep_replication_mode */
    __u8 n_bindings;
    __u8 n_flood_ips;
    __u8 n_service_nodes;
    __u32 pad;
    struct vtep_ls_binding bindings[VTEP_MAX_LS_BINDINGS];
    __be32 flood_ips[VTEP_MAX_FLOOD_IPS];
    __be32 service_nodes[VTEP_MAX_SERVICE_NODES];
};

struct vtep_mac_key {
    __u32 vni;
    __u8 mac[6];
    __u16 pad;
};

/* A MAC behind an access port: learned by the data plane or written as static. */
struct vtep_local_mac {
    __u32 ifindex;
    __u16 vlan;
    __u16 flags;        /* VTEP_LOCAL_MAC_STATIC: never moved by learning, never aged */
    __u64 last_seen_ns; /* CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns) */
    /* The binding's stats_index, carried here so forwarding to the MAC needs no binding
     * lookup; VTEP_NO_STATS when the port/VLAN is not bound. The control plane deletes
     * the MACs of a binding it removes. */
    __u32 stats_index;
    __u32 pad;
};
#define VTEP_LOCAL_MAC_STATIC 1
#define VTEP_NO_STATS 0xffffffffu

struct vtep_remote_mac {
    __be32 remote_ip;
};

/* An access port (or the uplink): per-port learning limit and the learned count. */
struct vtep_port {
    __u32 mac_limit;
    __u32 learned_macs; /* incremented by the data plane, recounted when aging */
};

/* The tunnel IPs as a dense list, the single entry of vtep_tunnel_ip_list: the uplink
 * program compares a frame's destination with the (usually one) entries instead of
 * hashing it. The control plane rebuilds it from vtep_tunnel_ips on every change and
 * when it adopts pinned maps. */
struct vtep_tunnel_ip_list {
    __u32 count;
    __be32 ips[VTEP_MAX_TUNNEL_IPS];
};

/* Static next hop toward a remote VTEP (key: its IP, or 0.0.0.0 as the default). When
 * none matches, the kernel's FIB and neighbour tables are asked. */
struct vtep_next_hop {
    __u32 ifindex;
    __u8 dst_mac[6];
    __u8 src_mac[6];
};

/* What encapsulation needs to know about vtep_next_hops without hashing: how many
 * entries are for one remote VTEP, and the default (0.0.0.0) entry itself. The single
 * entry of vtep_next_hop_summary, rewritten by the control plane with every change and
 * when it adopts pinned maps. */
struct vtep_next_hop_summary {
    __u32 exact_entries; /* entries other than the default */
    __u32 has_default;
    struct vtep_next_hop default_hop;
};

/* Global configuration, the single entry of the config array. */
struct vtep_config {
    __be32 source_ip;        /* outer source of encapsulated frames */
    __u32 uplink_ifindex;    /* where VXLAN arrives and (by default) leaves */
    __u32 uplink_mtu;        /* IP MTU of the underlay */
    __u32 default_mac_limit; /* for ports without an entry in the ports map */
    __u32 static_next_hops;  /* entries in vtep_next_hops; 0 skips looking there */
};

enum vtep_learn_event_type {
    VTEP_LEARN_EVENT_NEW = 1,
    VTEP_LEARN_EVENT_MOVE = 2,
};

struct vtep_learn_event {
    __u32 type; /* enum vtep_learn_event_type */
    __u32 vni;
    __u8 mac[6];
    __u16 vlan;
    __u32 ifindex;
    __u32 old_ifindex; /* MOVE only */
    __u16 old_vlan;    /* MOVE only */
    __u16 pad;
    __u64 timestamp_ns;
};

/* Replay (BPF_PROG_TEST_RUN) results, published by programs loaded in replay mode. */
enum vtep_replay_result {
    VTEP_REPLAY_NONE = 0,
    VTEP_REPLAY_TO_PORT = 1,  /* frame (or copy) leaves through replay_egress_ifindex */
    VTEP_REPLAY_TO_STACK = 2, /* handed to the kernel stack */
    VTEP_REPLAY_DROPPED = 3,
};
