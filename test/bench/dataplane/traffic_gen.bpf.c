/* Throughput benchmark helpers. traffic_gen: run with BPF_PROG_TEST_RUN in live-frames
 * mode, it sends its frame out of the given interface (XDP_TX) as fast as the kernel can
 * build frames. traffic_sink: attached to the far end of the measured path, it counts
 * what arrives and drops it. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} sink_packets SEC(".maps");

/* Live frames share their pages with the receiver, which rewrites headers in place
 * (encapsulation, VLAN changes), and a recycled page is not filled again: the generator
 * restores the head of its frame before every send. */
#define TEMPLATE_BYTES 96
__u8 frame_head[TEMPLATE_BYTES];

SEC("xdp")
int traffic_gen(struct xdp_md* ctx) {
    void* data = (void*)(long)ctx->data;
    void* data_end = (void*)(long)ctx->data_end;
    if (data + 64 > data_end) return XDP_DROP;
    __builtin_memcpy(data, frame_head, 64);
    if (data + TEMPLATE_BYTES <= data_end)
        __builtin_memcpy(data + 64, frame_head + 64, TEMPLATE_BYTES - 64);
    return XDP_TX;
}

SEC("xdp")
int traffic_sink(struct xdp_md* ctx) {
    __u32 key = 0;
    __u64* packets = bpf_map_lookup_elem(&sink_packets, &key);
    if (packets) *packets += 1;
    return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
