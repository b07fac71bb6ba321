/* Test helper: the bare-metal host's NIC puts its frames on VLAN 100 (the test machines
 * have no 8021q devices). Attached at tc egress of the host's interface. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define HOST_VLAN 100

SEC("tc")
int vlan_tag(struct __sk_buff* skb) {
    bpf_skb_vlan_push(skb, bpf_htons(0x8100), HOST_VLAN);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
