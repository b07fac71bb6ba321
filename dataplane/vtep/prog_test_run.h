// BPF_PROG_TEST_RUN: runs a loaded program on one frame in the kernel and returns its
// verdict and the frame as the program left it. With repeat > 1 the kernel runs the
// program that many times on the same buffer (each run sees the previous output), and
// reports the mean duration.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vtep::dataplane {

struct TestRunResult {
    uint32_t verdict = 0;        // XDP_* or TC_ACT_*
    std::vector<uint8_t> frame;  // the output frame
    uint32_t duration_ns = 0;    // mean per repetition
};

// Throws DataplaneError when the kernel refuses the run.
TestRunResult prog_test_run(int prog_fd, std::span<const uint8_t> frame, uint32_t repeat = 1);

}  // namespace vtep::dataplane
