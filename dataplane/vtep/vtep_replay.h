// Offline replay: runs frames through the real VTEP programs (a replay-mode load of
// VtepDataplane) the way the wire would, XDP first and then, for what XDP hands to the
// kernel, the tc replicator once per copy. State (learned MACs, counters) carries over
// from frame to frame.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/vtep/vtep_dataplane.h"

namespace vtep::dataplane {

struct ReplayOutput {
    enum class Kind { to_port, to_stack };
    Kind kind = Kind::to_port;
    uint32_t ifindex = 0;  // to_port: the egress port (the uplink for VXLAN)
    std::vector<uint8_t> frame;
};

class VtepReplay {
  public:
    // dataplane must be a replay load; uplink_ifindex tells which frames are underlay.
    VtepReplay(VtepDataplane& dataplane, uint32_t uplink_ifindex);

    // Everything that leaves the gateway for one frame received on ingress_ifindex, in
    // the order it is produced. Empty when the frame is dropped.
    std::vector<ReplayOutput> process(uint32_t ingress_ifindex, std::span<const uint8_t> frame);
    // Why the last process() could not replay every stage (empty when it could).
    const std::vector<std::string>& refusals() const { return refusals_; }

  private:
    VtepDataplane& dataplane_;
    uint32_t uplink_ifindex_;
    ReplayRegisters registers_;
    std::vector<std::string> refusals_;
};

// The frame as it goes on the wire when the device inserts an accelerated VLAN tag.
std::vector<uint8_t> insert_vlan_tag(std::span<const uint8_t> frame, uint16_t vlan);

}  // namespace vtep::dataplane
