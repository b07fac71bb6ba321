// The lwAFTR XDP object loaded into the kernel: configuration and binding-table
// installation, counters, and runs of single packets through BPF_PROG_TEST_RUN.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/lwaftr/binding_table.h"
#include "lwaftr_abi.h"

struct lwaftr;  // the generated skeleton

namespace vtep::lwaftr {

struct ProgramError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Side { internet, b4 };

enum class Verdict { aborted, drop, pass, tx, redirect };
const char* verdict_name(Verdict verdict);

struct RunResult {
    Verdict verdict = Verdict::aborted;
    std::vector<uint8_t> packet;  // the frame as the program left it
};

class Program {
  public:
    // Opens and loads the object (verifier included). Throws ProgramError.
    Program();
    ~Program();
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

    void set_config(const lwaftr_config& config);
    // Builds a new kernel table from the image and puts it in service with one map
    // update; packets in flight finish on the table they started with.
    void install_table(const BindingTable& table);

    // Runs one frame through the program of that side.
    RunResult run(Side side, const uint8_t* frame, size_t length);

    // Counters summed over CPUs, indexed by lwaftr_counter_id.
    std::vector<lwaftr_counter> counters() const;
    void reset_counters();

    int program_fd(Side side) const;
    int stick_program_fd() const;

  private:
    ::lwaftr* skeleton_ = nullptr;
};

}  // namespace vtep::lwaftr
