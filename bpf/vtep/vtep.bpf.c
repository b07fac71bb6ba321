/* The VTEP data plane: XDP on access ports and on the uplink, and the tc replicator on
 * both. One object, so the three programs share one set of maps. */
#include "vtep_access.h"
#include "vtep_replicate.h"
#include "vtep_uplink.h"

SEC("xdp")
int vtep_xdp_access(struct xdp_md* ctx) {
    return vtep_access(ctx);
}

SEC("xdp")
int vtep_xdp_uplink(struct xdp_md* ctx) {
    return vtep_uplink(ctx);
}

SEC("tc")
int vtep_tc_replicate(struct __sk_buff* skb) {
    return vtep_replicate(skb);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
