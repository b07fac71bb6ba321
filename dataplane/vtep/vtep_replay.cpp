#include "dataplane/vtep/vtep_replay.h"

#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "dataplane/vtep/prog_test_run.h"
#include "vtep_abi.h"

namespace vtep::dataplane {
namespace {
// More copies than any logical switch can make: a guard against a runaway loop.
constexpr uint32_t kMaxCopies = VTEP_MAX_LS_BINDINGS + VTEP_MAX_FLOOD_IPS + 2;
constexpr size_t kEthernetHeaderLen = 14;
}  // namespace

std::vector<uint8_t> insert_vlan_tag(std::span<const uint8_t> frame, uint16_t vlan) {
    std::vector<uint8_t> out(frame.begin(), frame.end());
    if (vlan == 0 || out.size() < 12) return out;
    const uint8_t tag[4] = {0x81, 0x00, uint8_t(vlan >> 8), uint8_t(vlan & 0xff)};
    out.insert(out.begin() + 12, tag, tag + 4);
    return out;
}

VtepReplay::VtepReplay(VtepDataplane& dataplane, uint32_t uplink_ifindex)
    : dataplane_(dataplane),
      uplink_ifindex_(uplink_ifindex),
      registers_(dataplane.replay_registers()) {}

std::vector<ReplayOutput> VtepReplay::process(uint32_t ingress_ifindex,
                                              std::span<const uint8_t> frame) {
    std::vector<ReplayOutput> outputs;
    refusals_.clear();
    // The kernel hands nothing shorter than an Ethernet header to XDP (and BPF_PROG_TEST_RUN
    // refuses it): such a frame is dropped before our programs, here as on the wire.
    if (frame.size() < kEthernetHeaderLen) return outputs;
    *registers_.ingress_ifindex = ingress_ifindex;
    *registers_.copy_index = 0;
    *registers_.result = VTEP_REPLAY_NONE;
    bool from_uplink = ingress_ifindex == uplink_ifindex_;
    auto xdp = prog_test_run(
        dataplane_.program_fd(from_uplink ? VtepProgram::xdp_uplink : VtepProgram::xdp_access),
        frame);
    if (xdp.verdict == XDP_REDIRECT && *registers_.result == VTEP_REPLAY_TO_PORT) {
        outputs.push_back(
            {ReplayOutput::Kind::to_port, *registers_.egress_ifindex, std::move(xdp.frame)});
        return outputs;
    }
    if (xdp.verdict != XDP_PASS) return outputs;

    // What XDP passes meets the tc replicator on the same port: one run per copy.
    for (uint32_t copy = 0; copy < kMaxCopies; ++copy) {
        *registers_.copy_index = copy;
        *registers_.result = VTEP_REPLAY_NONE;
        TestRunResult tc;
        try {
            tc = prog_test_run(dataplane_.program_fd(VtepProgram::tc_replicate), xdp.frame);
        } catch (const DataplaneError& e) {
            // The kernel refuses skb test runs of some frames it would carry on the wire
            // (an IPv4 ethertype with a truncated header): say so instead of guessing.
            refusals_.push_back(e.what());
            break;
        }
        uint32_t result = *registers_.result;
        if (result == VTEP_REPLAY_TO_PORT) {
            outputs.push_back({ReplayOutput::Kind::to_port, *registers_.egress_ifindex,
                               insert_vlan_tag(tc.frame, uint16_t(*registers_.egress_vlan))});
            continue;
        }
        if (result == VTEP_REPLAY_TO_STACK ||
            (result == VTEP_REPLAY_NONE && tc.verdict == TC_ACT_OK))
            outputs.push_back({ReplayOutput::Kind::to_stack, ingress_ifindex, std::move(tc.frame)});
        break;
    }
    return outputs;
}

}  // namespace vtep::dataplane
