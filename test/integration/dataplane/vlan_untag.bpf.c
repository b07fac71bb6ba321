/* Test helper: the bare-metal host's NIC accepts VLAN 100 only and removes its tag.
 * Attached at tc ingress of the host's interface. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define HOST_VLAN 100

SEC("tc")
int vlan_untag(struct __sk_buff* skb) {
    if (!skb->vlan_present) return TC_ACT_SHOT; /* the kernel moved any tag out of the data */
    if ((skb->vlan_tci & 0x0fff) != HOST_VLAN) return TC_ACT_SHOT;
    bpf_skb_vlan_pop(skb);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
