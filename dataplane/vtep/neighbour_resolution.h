// Asks the kernel to resolve (ARP) the MAC of a remote VTEP on the uplink, as a packet
// toward it would, without sending one: an rtnetlink RTM_NEWNEIGH with NTF_USE. The
// data plane's bpf_fib_lookup finds the neighbour afterwards. Flood copies toward an
// unresolved next hop are otherwise dropped (drop_no_neigh), so the control plane asks
// for every remote VTEP it programs, and again from time to time.
#pragma once

#include <cstdint>

#include "dataplane/vtep/addresses.h"

namespace vtep::dataplane {

// Throws DataplaneError when the kernel refuses (e.g. no such interface).
void request_neighbour_resolution(uint32_t ifindex, Ipv4Address ip);

}  // namespace vtep::dataplane
