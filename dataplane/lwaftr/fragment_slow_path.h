// The fragment slow path of an attached lwAFTR instance. The XDP program hands IPv6
// fragments of softwire traffic to the kernel (pass-fragment); when the BR addresses are
// local addresses of the host, the kernel reassembles them and delivers the whole packet
// to raw IPv6 sockets of next header 4. This reads those packets, runs each through the
// instance's own program (BPF_PROG_TEST_RUN, ingress device = the B4 side, so bindings,
// policies, counters and FIB next hops are exactly the fast path's) and sends what the
// program produced out of the device its verdict names.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/lwaftr/addresses.h"
#include "lwaftr_abi.h"

namespace vtep::lwaftr {

struct SlowPathStats {
    uint64_t received = 0;     // reassembled softwire packets to one of our BR addresses
    uint64_t ignored = 0;      // next header 4 to another local address: not ours
    uint64_t transmitted = 0;  // sent out of a device as the program rewrote them
    uint64_t to_kernel = 0;    // decapsulated, next hop unresolved: handed to the kernel
    uint64_t dropped = 0;      // dropped by the program (its counters say why) or unsendable
};

// One packet as the kernel delivered it: the IPv6 header fields a raw socket reports and
// the payload (the inner IPv4 packet).
struct ReassembledSoftwire {
    Ipv6Address source{};
    Ipv6Address destination{};
    uint8_t hop_limit = 64;
    uint8_t traffic_class = 0;
    std::vector<uint8_t> payload;
};

class FragmentSlowPath {
  public:
    // Opens the instance pinned at pin_dir (its B4-side program and configuration) and the
    // sockets. Throws ProgramError with what to do.
    explicit FragmentSlowPath(const std::string& pin_dir);
    ~FragmentSlowPath();
    FragmentSlowPath(const FragmentSlowPath&) = delete;
    FragmentSlowPath& operator=(const FragmentSlowPath&) = delete;

    // BR addresses that are not local addresses of this host: the kernel does not
    // reassemble fragments sent to them, so nothing reaches the slow path.
    std::vector<Ipv6Address> non_local_br_addresses() const;

    // Receives and forwards until `stop` becomes true (checked at least every 200 ms).
    void run(const std::atomic<bool>& stop);
    // Runs one reassembled packet through the program and sends the result.
    void handle(const ReassembledSoftwire& packet);

    const SlowPathStats& stats() const { return stats_; }

  private:
    std::vector<uint8_t> frame_of(const ReassembledSoftwire& packet) const;
    bool send_on(uint32_t ifindex, const std::vector<uint8_t>& frame);
    bool send_to_kernel(const std::vector<uint8_t>& frame);

    lwaftr_config config_{};
    int program_fd_ = -1;
    int receive_fd_ = -1;   // raw IPv6, next header 4
    int packet_fd_ = -1;    // AF_PACKET, for frames out of a device
    int raw_ipv4_fd_ = -1;  // IPv4 with our own header, routed by the kernel
    SlowPathStats stats_;
};

}  // namespace vtep::lwaftr
