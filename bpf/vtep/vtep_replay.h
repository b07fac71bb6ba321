/* Replay mode: the same programs run under BPF_PROG_TEST_RUN for offline replay and the
 * packet-vector tests. replay_mode is fixed at load time, so in a production load the
 * verifier prunes every replay branch and they cost nothing. In replay mode the ingress
 * port comes from replay_ingress_ifindex (test runs have no real ports), egress decisions
 * are published instead of performed, and only static next hops are used. */
#pragma once

#include "vtep_abi.h"

const volatile __u8 replay_mode = 0;

/* Written by the replay driver before each run. */
__u32 replay_ingress_ifindex = 0;
__u32 replay_copy_index = 0; /* tc replicator: which copy to produce */

/* Written by the programs. */
__u32 replay_result = VTEP_REPLAY_NONE;
__u32 replay_egress_ifindex = 0;
__u32 replay_egress_vlan = 0; /* tc: VLAN the device would insert (0: none) */
__u32 replay_copy_count = 0;  /* tc: copies this frame makes */

static __always_inline void replay_publish(__u32 result, __u32 ifindex, __u32 vlan) {
    replay_result = result;
    replay_egress_ifindex = ifindex;
    replay_egress_vlan = vlan;
}

/* The port a frame arrived on. The barrier keeps the compiler from merging the two loads
 * into one through a selected pointer, which the verifier refuses for the context. */
static __always_inline __u32 ingress_port(__u32 from_context) {
    asm volatile("" : "+r"(from_context));
    return replay_mode ? replay_ingress_ifindex : from_context;
}
