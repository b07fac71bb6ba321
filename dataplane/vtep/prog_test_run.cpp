#include "dataplane/vtep/prog_test_run.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "dataplane/vtep/vtep_dataplane.h"

namespace vtep::dataplane {

TestRunResult prog_test_run(int prog_fd, std::span<const uint8_t> frame, uint32_t repeat) {
    // Room for what a program may add in front (encapsulation) plus slack.
    std::vector<uint8_t> out(frame.size() + 512);
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = uint32_t(frame.size());
    opts.data_out = out.data();
    opts.data_size_out = uint32_t(out.size());
    opts.repeat = repeat;
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
        throw DataplaneError("BPF_PROG_TEST_RUN of a " + std::to_string(frame.size()) +
                             "-byte frame failed: " + std::strerror(errno));
    out.resize(opts.data_size_out);
    return TestRunResult{opts.retval, std::move(out), opts.duration};
}

}  // namespace vtep::dataplane
