/* Benchmark feeder for the lwAFTR programs in XDP live-frames mode (BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES): the kernel runs this program over batches of frames in a
 * NAPI-like loop and resets only the frame pointers between runs, not the bytes the
 * lwAFTR rewrote. So each run first writes a fresh frame (template + the fields of a
 * pseudo-random subscriber), then tail-calls the program under test.
 *
 * Subscribers follow the benchmark's table: subscriber i has IPv4 FIRST + i / 64, PSID
 * i % 64 (psid-len 6, psid-offset 6), port 1024 | PSID << 4 | 5, and B4 address
 * 2001:db8:: with bytes 8-15 holding i + 1 in host order. */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lwaftr_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define FEED_FRAME_WORDS 12 /* 96 bytes: Ethernet + IPv6 + IPv4 + UDP fit */
#define FEED_PER_ADDRESS 64

enum feed_path { FEED_ENCAP = 0, FEED_DECAP = 1 };

/* Set by the benchmark before each run (the skeleton maps .bss). */
__u64 frame_template[FEED_FRAME_WORDS];
__u32 path;        /* enum feed_path */
__u32 subscribers; /* 0: always subscriber 0 (the "hot" case) */
__u32 first_ipv4;  /* host order */
__u64 sequence;

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} feed_target SEC(".maps");

static __always_inline __u16 subscriber_port(__u32 subscriber) {
    return (__u16)(1024 | (subscriber % FEED_PER_ADDRESS) << 4 | 5);
}

SEC("xdp")
int lwaftr_feed(struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    __u64* words = data;
    if ((void*)(words + FEED_FRAME_WORDS) > data_end) return XDP_ABORTED;
#pragma unroll
    for (int i = 0; i < FEED_FRAME_WORDS; i++) words[i] = frame_template[i];

    /* Multiply-shift keeps the pick uniform without a division. */
    __u32 subscriber = 0;
    if (subscribers)
        subscriber = (__u32)(((lwaftr_mix64(sequence++) >> 32) * (__u64)subscribers) >> 32);
    __be32 ipv4 = bpf_htonl(first_ipv4 + subscriber / FEED_PER_ADDRESS);
    __be16 port = bpf_htons(subscriber_port(subscriber));
    __u8* bytes = data;
    if (path == FEED_ENCAP) {
        /* Ethernet 14 + IPv4 destination at 16, UDP destination port at 20 + 2. */
        *(__be32*)(bytes + 14 + 16) = ipv4;
        *(__be16*)(bytes + 14 + 20 + 2) = port;
    } else {
        /* IPv6 source bytes 8-15 at 14 + 8 + 8; inner IPv4 source at 54 + 12, port 54 + 20. */
        *(__u64*)(bytes + 14 + 16) = (__u64)subscriber + 1;
        *(__be32*)(bytes + 54 + 12) = ipv4;
        *(__be16*)(bytes + 54 + 20) = port;
    }
    bpf_tail_call(ctx, &feed_target, 0);
    return XDP_ABORTED;
}

/* The reference: what the harness and the feeder cost without any lwAFTR work, leaving
 * the same way the lwAFTR's translated frames do (a redirect). */
SEC("xdp")
int lwaftr_feed_reference(struct xdp_md* ctx) {
    return bpf_redirect(0, 0);
}
