// vtep_throughput: forwarding rate (Mpps) of whatever connects two network namespaces.
// A generator (XDP_TX under BPF_PROG_TEST_RUN live frames) sends one frame as fast as it
// can out of GEN_DEV in GEN_NS; an XDP sink on SINK_DEV in SINK_NS counts what arrives.
// Prints the received rate (and the offered rate). Used by vtep_throughput.sh.
//
// usage: vtep_throughput GEN_NS GEN_DEV SINK_NS SINK_DEV FRAME_HEX SECONDS
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "vtep_traffic.skel.h"

namespace {

void enter_netns(const std::string& name) {
    std::string path = "/run/netns/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
        throw std::runtime_error("cannot enter network namespace " + name);
    close(fd);
}

uint32_t ifindex_of(const std::string& dev) {
    uint32_t index = if_nametoindex(dev.c_str());
    if (!index) throw std::runtime_error("no interface " + dev);
    return index;
}

uint64_t sink_total(vtep_traffic* skel) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<uint64_t> values(ncpu);
    uint32_t key = 0;
    bpf_map_lookup_elem(bpf_map__fd(skel->maps.sink_packets), &key, values.data());
    uint64_t total = 0;
    for (auto v : values) total += v;
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fputs("usage: vtep_throughput GEN_NS GEN_DEV SINK_NS SINK_DEV FRAME_HEX SECONDS\n",
                   stderr);
        return 2;
    }
    std::string gen_ns = argv[1], gen_dev = argv[2], sink_ns = argv[3], sink_dev = argv[4];
    std::string hex = argv[5];
    double seconds = std::atof(argv[6]);
    std::vector<uint8_t> frame;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        frame.push_back(uint8_t(std::stoul(hex.substr(i, 2), nullptr, 16)));
    vtep_traffic* skel = nullptr;
    uint32_t sink_ifindex = 0;
    try {
        libbpf_set_print(nullptr);
        if (frame.size() < 64) throw std::runtime_error("frames of at least 64 bytes, please");
        skel = vtep_traffic__open_and_load();
        if (!skel) throw std::runtime_error("loading the generator and sink programs");
        std::memcpy(skel->bss->frame_head, frame.data(),
                    std::min(frame.size(), sizeof(skel->bss->frame_head)));
        enter_netns(sink_ns);
        sink_ifindex = ifindex_of(sink_dev);
        if (bpf_xdp_attach(int(sink_ifindex), bpf_program__fd(skel->progs.traffic_sink),
                           XDP_FLAGS_DRV_MODE, nullptr))
            throw std::runtime_error("attaching the sink to " + sink_dev);
        enter_netns(gen_ns);
        xdp_md ctx{};
        ctx.ingress_ifindex = ifindex_of(gen_dev);
        ctx.data_end = uint32_t(frame.size());  // the kernel wants the context to span the frame
        uint64_t offered = 0;
        uint64_t before = sink_total(skel);
        auto start = std::chrono::steady_clock::now();
        double elapsed = 0;
        while (elapsed < seconds) {
            bpf_test_run_opts opts{};
            opts.sz = sizeof opts;
            opts.data_in = frame.data();
            opts.data_size_in = uint32_t(frame.size());
            opts.ctx_in = &ctx;
            opts.ctx_size_in = sizeof ctx;
            opts.repeat = 1 << 20;
            opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
            if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.traffic_gen), &opts))
                throw std::runtime_error(std::string("live-frames test run refused: ") +
                                         strerror(errno));
            offered += uint64_t(opts.repeat);
            elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
        usleep(100000);  // let the last frames arrive
        uint64_t received = sink_total(skel) - before;
        std::printf("%.3f Mpps received (%.3f Mpps offered, %.1f s)\n", received / elapsed / 1e6,
                    offered / elapsed / 1e6, elapsed);
        enter_netns(sink_ns);
        bpf_xdp_detach(int(sink_ifindex), XDP_FLAGS_DRV_MODE, nullptr);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vtep_throughput: %s\n", e.what());
        if (skel) vtep_traffic__destroy(skel);
        return 1;
    }
    vtep_traffic__destroy(skel);
    return 0;
}
