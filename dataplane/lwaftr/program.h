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

struct lwaftr;    // the generated skeleton
struct bpf_link;  // libbpf

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

    // Kernel memory charged for the table in service (the map's memlock), 0 if none.
    uint64_t table_memory_bytes() const;
    // Runs one frame `repeat` times in the kernel; returns the mean ns per run.
    uint32_t time_run(Side side, const uint8_t* frame, size_t length, uint32_t repeat);

    int program_fd(Side side) const;
    int stick_program_fd() const;

    // Attaches to the devices: one program per side, or the "on a stick" program when
    // both sides are the same device. The links are kept by pin().
    void attach(const std::string& internet_device, const std::string& b4_device);
    // Pins maps and links under dir (created), so the dataplane keeps running after this
    // process exits and the tools below can find it.
    void pin(const std::string& dir);

  private:
    ::lwaftr* skeleton_ = nullptr;
    std::vector<std::pair<std::string, ::bpf_link*>> links_;
};

// Maps of a pinned instance (see Program::pin), for tools run by the operator.
struct PinnedInstance {
    explicit PinnedInstance(const std::string& dir);  // throws ProgramError
    ~PinnedInstance();
    PinnedInstance(const PinnedInstance&) = delete;
    PinnedInstance& operator=(const PinnedInstance&) = delete;

    lwaftr_config read_config() const;
    void write_config(const lwaftr_config& config);
    void install_table(const BindingTable& table);
    // A copy of the table in service, for lookups by operators.
    BindingTable read_table() const;
    std::vector<lwaftr_counter> counters() const;

    std::string dir;
    int config_fd = -1, tables_fd = -1, counters_fd = -1;
};

// Detaches a pinned instance: removes its pins (links and maps) and the folder.
// Returns false if nothing was pinned there.
bool unpin_instance(const std::string& dir);

// The index of a network device, or ProgramError naming it.
uint32_t if_index_or_throw(const std::string& device);

// Creates the kernel table for image and swaps it into the outer map tables_fd.
void install_table_into(int tables_fd, const BindingTable& table);
// Counters of a PERCPU counters map, summed over CPUs.
std::vector<lwaftr_counter> read_counters(int counters_fd);

}  // namespace vtep::lwaftr
