/* Benchmark reference: programs that do nothing, so the per-run overhead of
 * BPF_PROG_TEST_RUN (timer reads, context setup) can be measured and subtracted. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_helpers.h>

SEC("xdp")
int baseline_xdp(struct xdp_md* ctx) {
    return XDP_PASS;
}

SEC("tc")
int baseline_tc(struct __sk_buff* skb) {
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
