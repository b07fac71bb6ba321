#include "dataplane/lwaftr/program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lwaftr.skel.h"

namespace vtep::lwaftr {
namespace {

// Room left after the frame for what the program adds (IPv6 header, ICMP headers).
constexpr size_t kGrowth = 256;

std::string errno_text(int error) {
    return std::strerror(error < 0 ? -error : error);
}

// Owns a map file descriptor until it is handed to the kernel's outer map.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) close(fd);
    }
};

}  // namespace

const char* verdict_name(Verdict verdict) {
    switch (verdict) {
        case Verdict::aborted:
            return "aborted";
        case Verdict::drop:
            return "drop";
        case Verdict::pass:
            return "pass";
        case Verdict::tx:
            return "tx";
        case Verdict::redirect:
            return "redirect";
    }
    return "unknown";
}

Program::Program() {
    skeleton_ = lwaftr__open();
    if (!skeleton_) throw ProgramError("lwAFTR: cannot open the BPF object: " + errno_text(errno));
    int err = lwaftr__load(skeleton_);
    if (err) {
        lwaftr__destroy(skeleton_);
        skeleton_ = nullptr;
        throw ProgramError("lwAFTR: the kernel refused the BPF program (" + errno_text(err) +
                           "); run as root on a kernel with BPF and XDP (5.15 or later)");
    }
}

Program::~Program() {
    if (skeleton_) lwaftr__destroy(skeleton_);
}

void Program::set_config(const lwaftr_config& config) {
    uint32_t zero = 0;
    if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.lwaftr_config), &zero, &config, BPF_ANY))
        throw ProgramError("lwAFTR: cannot write the configuration map: " + errno_text(errno));
}

void Program::install_table(const BindingTable& table) {
    const auto& image = table.image();
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE);
    FdGuard map{bpf_map_create(BPF_MAP_TYPE_ARRAY, "lwaftr_table", sizeof(uint32_t),
                               sizeof(lwaftr_slot), static_cast<uint32_t>(image.size()), &opts)};
    if (map.fd < 0)
        throw ProgramError("lwAFTR: cannot create a binding-table map of " +
                           std::to_string(image.size()) + " slots: " + errno_text(errno));
    size_t bytes = image.size() * sizeof(lwaftr_slot);
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t mapped = (bytes + page - 1) / page * page;
    void* memory = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd, 0);
    if (memory == MAP_FAILED)
        throw ProgramError("lwAFTR: cannot map the binding-table map: " + errno_text(errno));
    std::memcpy(memory, image.data(), bytes);
    munmap(memory, mapped);
    uint32_t zero = 0;
    if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.lwaftr_tables), &zero, &map.fd, BPF_ANY))
        throw ProgramError("lwAFTR: cannot put the new binding table in service: " +
                           errno_text(errno));
}

RunResult Program::run(Side side, const uint8_t* frame, size_t length) {
    std::vector<uint8_t> out(length + kGrowth);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(length),
                .data_size_out = static_cast<uint32_t>(out.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(program_fd(side), &opts))
        throw ProgramError("lwAFTR: BPF_PROG_TEST_RUN failed: " + errno_text(errno));
    RunResult result;
    switch (opts.retval) {
        case XDP_DROP:
            result.verdict = Verdict::drop;
            break;
        case XDP_PASS:
            result.verdict = Verdict::pass;
            break;
        case XDP_TX:
            result.verdict = Verdict::tx;
            break;
        case XDP_REDIRECT:
            result.verdict = Verdict::redirect;
            break;
        default:
            result.verdict = Verdict::aborted;
            break;
    }
    out.resize(opts.data_size_out);
    result.packet = std::move(out);
    return result;
}

std::vector<lwaftr_counter> Program::counters() const {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw ProgramError("lwAFTR: cannot count the possible CPUs");
    std::vector<lwaftr_counter> totals(LWAFTR_COUNTER_COUNT);
    std::vector<lwaftr_counter> per_cpu(static_cast<size_t>(cpus));
    int fd = bpf_map__fd(skeleton_->maps.lwaftr_counters);
    for (uint32_t id = 0; id < LWAFTR_COUNTER_COUNT; id++) {
        if (bpf_map_lookup_elem(fd, &id, per_cpu.data()))
            throw ProgramError("lwAFTR: cannot read counters: " + errno_text(errno));
        for (const auto& c : per_cpu) {
            totals[id].packets += c.packets;
            totals[id].bytes += c.bytes;
        }
    }
    return totals;
}

void Program::reset_counters() {
    int cpus = libbpf_num_possible_cpus();
    std::vector<lwaftr_counter> zeros(static_cast<size_t>(cpus > 0 ? cpus : 1));
    int fd = bpf_map__fd(skeleton_->maps.lwaftr_counters);
    for (uint32_t id = 0; id < LWAFTR_COUNTER_COUNT; id++)
        bpf_map_update_elem(fd, &id, zeros.data(), BPF_ANY);
}

int Program::program_fd(Side side) const {
    return bpf_program__fd(side == Side::internet ? skeleton_->progs.lwaftr_internet
                                                  : skeleton_->progs.lwaftr_b4);
}

int Program::stick_program_fd() const {
    return bpf_program__fd(skeleton_->progs.lwaftr_stick);
}

}  // namespace vtep::lwaftr
