/* Benchmark harness: the real XDP paths (the same inline code as bpf/vtep/vtep.bpf.c, in
 * replay mode) behind a step that puts the original frame back before every run. With
 * it BPF_PROG_TEST_RUN's repeat measures a rewriting path (encapsulation, decapsulation,
 * VLAN rewrite) on warm caches, as a port under load runs it; without it, repetitions
 * after the first would run on the previous output. The restore step alone is measured
 * by harness_restore_only and subtracted. The maps are the data plane's own (reused by
 * fd), so the state is what VtepDataplane programmed. */
#include "vtep/vtep_access.h"
#include "vtep/vtep_uplink.h"

/* Every measured path rewrites only the first 64 bytes of its frame (outer headers, the
 * inner MACs, a VLAN tag); frames are at least that long. */
#define HARNESS_FRAME_BYTES 64

/* Written by the benchmark: the frame's first bytes and its length. */
__u8 harness_frame[HARNESS_FRAME_BYTES];
__u32 harness_frame_len = 0;
/* How far the last run moved the head (negative: it grew in front). */
__s32 harness_head_moved = 0;

/* Returns 0 when the frame at ctx is the original again. Only the head moves on the
 * measured paths; the tail is never adjusted. */
static __always_inline int restore_frame(struct xdp_md* ctx) {
    if (harness_head_moved && bpf_xdp_adjust_head(ctx, -harness_head_moved)) return -1;
    harness_head_moved = 0;
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    if (data + HARNESS_FRAME_BYTES > data_end) return -1;
    __builtin_memcpy(data, harness_frame, HARNESS_FRAME_BYTES);
    return 0;
}

static __always_inline void note_head_move(struct xdp_md* ctx) {
    __u32 len = ctx->data_end - ctx->data;
    harness_head_moved = (__s32)harness_frame_len - (__s32)len;
}

SEC("xdp")
int harness_restore_only(struct xdp_md* ctx) {
    if (restore_frame(ctx)) return XDP_ABORTED;
    note_head_move(ctx);
    return XDP_PASS;
}

SEC("xdp")
int harness_access(struct xdp_md* ctx) {
    if (restore_frame(ctx)) return XDP_ABORTED;
    int verdict = vtep_access(ctx);
    note_head_move(ctx);
    return verdict;
}

SEC("xdp")
int harness_uplink(struct xdp_md* ctx) {
    if (restore_frame(ctx)) return XDP_ABORTED;
    int verdict = vtep_uplink(ctx);
    note_head_move(ctx);
    return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
