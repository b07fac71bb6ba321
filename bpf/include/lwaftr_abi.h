/* lwAFTR (RFC 7596) ABI shared by the XDP program and the C++ control plane.
 *
 * Maps:
 *   lwaftr_config    ARRAY[1] of struct lwaftr_config: addresses, MTUs, policies, next hops.
 *   lwaftr_tables    ARRAY_OF_MAPS[1]: the binding table in service. Replacing the table is
 *                    one update of slot 0 with a fully built inner map, so a packet sees
 *                    either the old table or the new one, never a mix.
 *   lwaftr_counters  PERCPU_ARRAY[LWAFTR_COUNTER_COUNT] of struct lwaftr_counter.
 *
 * Binding table (inner map): an ARRAY of 24-byte struct lwaftr_slot, BPF_F_MMAPABLE so the
 * loader fills millions of slots with one memcpy. Slot 0 is a struct lwaftr_table_header;
 * the rest are two open-addressing regions (linear probing, entries placed in order of
 * their home slot), one per kind of entry:
 *   - PSID_MAP  key (IPv4, psid 0):  the port-set geometry (psid_len, psid_offset) of an
 *               IPv4 address, so the PSID of a packet can be computed from its port;
 *   - SOFTWIRE  key (IPv4, PSID):    the bound B4 IPv6 address and the BR address index.
 * When all addresses share one geometry the header says so, and the program probes the
 * softwire region first (one miss per packet instead of two).
 * All multi-byte fields are host order except addresses, which stay in network order. */
#ifndef LWAFTR_ABI_H
#define LWAFTR_ABI_H

#include <linux/types.h>

#define LWAFTR_CONFIG_MAGIC 0x6c774346u /* "lwCF" */
#define LWAFTR_TABLE_MAGIC 0x6c775432u  /* "lwT2" */

#define LWAFTR_MAX_BR_ADDRESSES 16
/* Upper bound of the probe loop in the XDP program; the loader grows the table until the
 * longest probe sequence fits. */
#define LWAFTR_MAX_PROBE 64

enum lwaftr_slot_kind {
    LWAFTR_SLOT_EMPTY = 0,
    LWAFTR_SLOT_SOFTWIRE = 1,
    LWAFTR_SLOT_PSID_MAP = 2,
};

struct lwaftr_port_set {
    __u8 psid_len;    /* bits of PSID in the port (0: the whole address) */
    __u8 psid_offset; /* "a" bits of RFC 7597: ports with the top a bits zero are excluded */
    __u8 reserved[14];
};

struct lwaftr_slot {
    __be32 ipv4;
    __u16 psid;
    __u8 kind;     /* enum lwaftr_slot_kind */
    __u8 br_index; /* SOFTWIRE: index into lwaftr_config.br_ipv6 */
    union {
        __u8 b4_ipv6[16];                /* SOFTWIRE */
        struct lwaftr_port_set port_set; /* PSID_MAP */
    };
};

/* Two regions, each its own open-addressing table: the PSID maps first (small, so they
 * stay in cache: a lookup then costs one miss, in the softwire region), then the
 * softwires. Slot index = region base + home + probe. */
struct lwaftr_table_header {
    __u32 magic;              /* LWAFTR_TABLE_MAGIC */
    __u32 capacity;           /* home slots of the softwire region */
    __u8 max_probe;           /* longest probe in the softwire region, <= LWAFTR_MAX_PROBE */
    __u8 psid_max_probe;      /* longest probe in the PSID-map region */
    __u8 uniform_psid_len;    /* the geometry every shared address has, unless */
    __u8 uniform_psid_offset; /* ... this is LWAFTR_GEOMETRY_VARIES */
    __u32 softwires;          /* SOFTWIRE entries */
    __u32 psid_capacity;      /* home slots of the PSID-map region, which starts at slot 1 */
    __u32 softwire_base;      /* first slot of the softwire region */
};

#define LWAFTR_GEOMETRY_VARIES 0xff

#ifdef __cplusplus
#define LWAFTR_STATIC_ASSERT static_assert
#else
#define LWAFTR_STATIC_ASSERT _Static_assert
#endif
LWAFTR_STATIC_ASSERT(sizeof(struct lwaftr_slot) == 24, "slot must stay 24 bytes");
LWAFTR_STATIC_ASSERT(sizeof(struct lwaftr_table_header) == sizeof(struct lwaftr_slot),
                     "the header occupies exactly slot 0");

/* The hash both sides use to find a key's home slot (splitmix64 finalizer over the key,
 * then a multiply-shift range reduction, so the capacity need not be a power of two). */
static inline __u64 lwaftr_mix64(__u64 z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline __u32 lwaftr_home_slot(__u32 ipv4_host_order, __u16 psid, __u8 kind, __u32 capacity) {
    __u64 key = ((__u64)ipv4_host_order << 32) | ((__u64)psid << 8) | kind;
    __u64 hash32 = lwaftr_mix64(key) >> 32;
    return (__u32)((hash32 * capacity) >> 32);
}

/* RFC 7597 section 5.1: the PSID is the psid_len bits that follow the first psid_offset
 * bits of the port. Ports whose first psid_offset bits are all zero (0-1023 with the
 * default a=6) belong to no port set. */
static inline int lwaftr_port_to_psid(__u16 port, __u8 psid_len, __u8 psid_offset, __u16* psid) {
    if (psid_len == 0) {
        *psid = 0;
        return 0;
    }
    if (psid_offset + psid_len > 16) return -1;
    if (psid_offset > 0 && (port >> (16 - psid_offset)) == 0) return -1;
    *psid = (__u16)((__u16)(port << psid_offset) >> (16 - psid_len));
    return 0;
}

/* Per-side interface settings. */
struct lwaftr_side {
    __u8 mac[6];          /* our MAC on this side (source of what we send there) */
    __u8 next_hop_mac[6]; /* static next hop (used unless LWAFTR_SIDE_USE_FIB) */
    __u16 vlan_id;        /* 802.1Q VID on this side, 0 = untagged */
    __u16 flags;          /* LWAFTR_SIDE_* */
    __u32 ifindex;        /* egress device for this side (redirect target), 0 = unknown */
};

#define LWAFTR_SIDE_USE_FIB 0x1 /* next hop from the kernel's FIB and neighbour table */

/* lwaftr_config.flags */
#define LWAFTR_F_HAIRPINNING 0x01
#define LWAFTR_F_ALLOW_INCOMING_ICMPV4 0x02 /* ICMPv4 from the internet toward B4s */
#define LWAFTR_F_ALLOW_OUTGOING_ICMPV4 0x04 /* ICMPv4 from B4s toward the internet */
#define LWAFTR_F_GENERATE_ICMPV4_ERRORS 0x08
#define LWAFTR_F_ALLOW_INCOMING_ICMPV6 0x10 /* ICMPv6 errors from the B4-side path */
#define LWAFTR_F_GENERATE_ICMPV6_ERRORS 0x20

struct lwaftr_config {
    __u32 magic; /* LWAFTR_CONFIG_MAGIC once the control plane has written it */
    __u32 flags;
    __be32 aftr_ipv4;   /* source of the ICMPv4 errors we generate */
    __u16 payload_mtu;  /* largest IPv4 packet carried in a softwire */
    __u16 path_mru;     /* largest IPv6 packet accepted from a B4 */
    __u8 aftr_ipv6[16]; /* source of the ICMPv6 errors we generate */
    __u32 br_count;
    __u32 icmpv4_rate; /* generated ICMPv4 errors per second, 0 = unlimited */
    __u32 icmpv6_rate; /* generated ICMPv6 errors per second, 0 = unlimited */
    __u32 reserved;
    struct lwaftr_side internet;
    struct lwaftr_side b4;
    __u8 br_ipv6[LWAFTR_MAX_BR_ADDRESSES][16];
};

/* One counter per path and per drop reason. The C++ side names them in the same order. */
enum lwaftr_counter_id {
    LWAFTR_C_IN_IPV4 = 0,           /* IPv4 received on the internet side */
    LWAFTR_C_IN_IPV6,               /* softwire packets received on the B4 side */
    LWAFTR_C_DECAP,                 /* decapsulated toward the internet */
    LWAFTR_C_ENCAP,                 /* encapsulated toward a B4 */
    LWAFTR_C_HAIRPIN,               /* B4 to B4 through a shared address */
    LWAFTR_C_PASS_NOT_OURS,         /* handed to the kernel: not lwAFTR traffic */
    LWAFTR_C_PASS_FRAGMENT,         /* handed to the slow path: fragments */
    LWAFTR_C_PASS_NO_NEIGH,         /* handed to the kernel to resolve the next hop */
    LWAFTR_C_PASS_NO_CONFIG,        /* no configuration loaded yet */
    LWAFTR_C_DROP_MALFORMED,        /* truncated or invalid headers */
    LWAFTR_C_DROP_DECAP_NO_BINDING, /* inner source address/port in no port set */
    LWAFTR_C_DROP_DECAP_WRONG_B4,   /* bound, but to another B4 address */
    LWAFTR_C_DROP_DECAP_WRONG_BR,   /* bound, but through another BR address */
    LWAFTR_C_DROP_ENCAP_NO_BINDING, /* destination address/port in no port set */
    LWAFTR_C_DROP_NO_PORT,          /* no port to derive a PSID from */
    LWAFTR_C_DROP_TTL_EXPIRED,
    LWAFTR_C_DROP_TOO_BIG,     /* over the payload MTU with DF set */
    LWAFTR_C_DROP_TOO_BIG_MRU, /* softwire packet over the path MRU */
    LWAFTR_C_DROP_ICMPV4_POLICY,
    LWAFTR_C_DROP_ICMPV6_POLICY,
    LWAFTR_C_DROP_NO_ROUTE,          /* the FIB has no route (or it is blackholed) */
    LWAFTR_C_DROP_INTERNAL,          /* head/tail adjustment failed */
    LWAFTR_C_ICMPV4_SENT,            /* ICMPv4 errors generated */
    LWAFTR_C_ICMPV6_SENT,            /* ICMPv6 errors generated */
    LWAFTR_C_ICMP_RATE_LIMITED,      /* errors not generated because of the rate limit */
    LWAFTR_C_ICMPV6_TRANSLATED,      /* ICMPv6 errors from the B4 path relayed as ICMPv4 */
    LWAFTR_C_DROP_NO_TABLE,          /* softwire traffic before any table is loaded */
    LWAFTR_C_DROP_ICMPV6_NO_BINDING, /* ICMPv6 error quoting no packet of ours */
    LWAFTR_COUNTER_COUNT
};

struct lwaftr_counter {
    __u64 packets;
    __u64 bytes;
};

/* lwaftr_rate_state: token buckets of the ICMP rate limits (ARRAY[2]: v4, v6). */
struct lwaftr_rate_bucket {
    __u64 last_ns;
    __u64 tokens;
};

#endif /* LWAFTR_ABI_H */
