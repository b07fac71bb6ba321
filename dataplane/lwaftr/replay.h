// Offline replay: captures from both sides run through the real XDP program
// (BPF_PROG_TEST_RUN) in timestamp order, in one program instance, and what comes out is
// sorted by the side it leaves on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/lwaftr/program.h"
#include "dataplane/pcap.h"

namespace vtep::lwaftr {

struct ReplayInput {
    Side side;
    std::vector<dataplane::PcapPacket> packets;
};

struct ReplayOutput {
    std::vector<dataplane::PcapPacket> internet;
    std::vector<dataplane::PcapPacket> b4;
    std::vector<dataplane::PcapPacket> pass;  // handed to the kernel stack
    size_t dropped = 0;
    size_t reassembled = 0;  // packets rebuilt by the fragment slow path
    size_t aborted = 0;
};

// Merges the inputs by timestamp (stable: input order on equal stamps, internet side
// first) and runs each frame through the program of its side. Softwire fragments the
// program passes up go through the fragment slow path (reassembly up to path_mru) and
// the rebuilt packet through the program again.
ReplayOutput replay(Program& program, const std::vector<ReplayInput>& inputs, uint32_t path_mru);

}  // namespace vtep::lwaftr
