/* Test helper: an XDP program that passes everything. Attached to the far end of a veth
 * that receives XDP_REDIRECT traffic, it gives that end the NAPI instance without which
 * redirected frames are lost. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md* ctx) {
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
