#include "dataplane/lwaftr/program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
    for (auto& [name, link] : links_) bpf_link__destroy(link);
    if (skeleton_) lwaftr__destroy(skeleton_);
}

void Program::set_config(const lwaftr_config& config) {
    uint32_t zero = 0;
    if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.lwaftr_config), &zero, &config, BPF_ANY))
        throw ProgramError("lwAFTR: cannot write the configuration map: " + errno_text(errno));
}

void Program::install_table(const BindingTable& table) {
    install_table_into(bpf_map__fd(skeleton_->maps.lwaftr_tables), table);
}

void install_table_into(int tables_fd, const BindingTable& table) {
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
    if (bpf_map_update_elem(tables_fd, &zero, &map.fd, BPF_ANY))
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

uint64_t Program::table_memory_bytes() const {
    uint32_t zero = 0, id = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.lwaftr_tables), &zero, &id)) return 0;
    FdGuard map{bpf_map_get_fd_by_id(id)};
    if (map.fd < 0) return 0;
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(map.fd));
    std::string key;
    uint64_t value = 0;
    while (info >> key) {
        if (key == "memlock:" && info >> value) return value;
    }
    return 0;
}

uint32_t Program::time_run(Side side, const uint8_t* frame, size_t length, uint32_t repeat) {
    std::vector<uint8_t> out(length + kGrowth);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(length),
                .data_size_out = static_cast<uint32_t>(out.size()),
                .repeat = static_cast<int>(repeat));
    if (bpf_prog_test_run_opts(program_fd(side), &opts))
        throw ProgramError("lwAFTR: BPF_PROG_TEST_RUN failed: " + errno_text(errno));
    return opts.duration;
}

std::vector<lwaftr_counter> Program::counters() const {
    return read_counters(bpf_map__fd(skeleton_->maps.lwaftr_counters));
}

std::vector<lwaftr_counter> read_counters(int fd) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw ProgramError("lwAFTR: cannot count the possible CPUs");
    std::vector<lwaftr_counter> totals(LWAFTR_COUNTER_COUNT);
    std::vector<lwaftr_counter> per_cpu(static_cast<size_t>(cpus));
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

namespace {

constexpr const char* kPinnedMaps[] = {"config", "tables", "counters", "rate_state"};

}  // namespace

uint32_t if_index_or_throw(const std::string& device) {
    uint32_t index = if_nametoindex(device.c_str());
    if (!index)
        throw ProgramError("lwAFTR: no network device '" + device +
                           "' (check the device names in the configuration)");
    return index;
}

void Program::attach(const std::string& internet_device, const std::string& b4_device) {
    auto attach_one = [&](bpf_program* program, const std::string& device, const char* name) {
        bpf_link* link =
            bpf_program__attach_xdp(program, static_cast<int>(if_index_or_throw(device)));
        if (!link)
            throw ProgramError("lwAFTR: cannot attach XDP to " + device + ": " + errno_text(errno) +
                               " (another XDP program attached? detach it first)");
        links_.emplace_back(name, link);
    };
    if (internet_device == b4_device) {
        attach_one(skeleton_->progs.lwaftr_stick, internet_device, "link_stick");
    } else {
        attach_one(skeleton_->progs.lwaftr_internet, internet_device, "link_internet");
        attach_one(skeleton_->progs.lwaftr_b4, b4_device, "link_b4");
    }
}

void Program::pin(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw ProgramError("lwAFTR: cannot create " + dir + ": " + ec.message() +
                           " (is bpffs mounted? mount -t bpf bpf /sys/fs/bpf)");
    bpf_map* maps[] = {skeleton_->maps.lwaftr_config, skeleton_->maps.lwaftr_tables,
                       skeleton_->maps.lwaftr_counters, skeleton_->maps.lwaftr_rate_state};
    for (size_t i = 0; i < std::size(maps); i++) {
        std::string path = dir + "/" + kPinnedMaps[i];
        if (bpf_map__pin(maps[i], path.c_str()))
            throw ProgramError("lwAFTR: cannot pin " + path + ": " + errno_text(errno) +
                               " (an instance already runs there? 'ovsdb-vtep lwaftr detach')");
    }
    for (auto& [name, link] : links_) {
        std::string path = dir + "/" + name;
        if (bpf_link__pin(link, path.c_str()))
            throw ProgramError("lwAFTR: cannot pin " + path + ": " + errno_text(errno));
    }
}

PinnedInstance::PinnedInstance(const std::string& dir_) : dir(dir_) {
    auto open = [&](const char* name) {
        std::string path = dir + "/" + name;
        int fd = bpf_obj_get(path.c_str());
        if (fd < 0)
            throw ProgramError("lwAFTR: no running instance at " + dir + " (" + path + ": " +
                               errno_text(errno) + "); start one with 'ovsdb-vtep lwaftr attach'");
        return fd;
    };
    config_fd = open("config");
    tables_fd = open("tables");
    counters_fd = open("counters");
}

PinnedInstance::~PinnedInstance() {
    for (int fd : {config_fd, tables_fd, counters_fd})
        if (fd >= 0) close(fd);
}

lwaftr_config PinnedInstance::read_config() const {
    lwaftr_config config{};
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(config_fd, &zero, &config))
        throw ProgramError("lwAFTR: cannot read the configuration map: " + errno_text(errno));
    return config;
}

void PinnedInstance::write_config(const lwaftr_config& config) {
    uint32_t zero = 0;
    if (bpf_map_update_elem(config_fd, &zero, &config, BPF_ANY))
        throw ProgramError("lwAFTR: cannot write the configuration map: " + errno_text(errno));
}

void PinnedInstance::install_table(const BindingTable& table) {
    install_table_into(tables_fd, table);
}

BindingTable PinnedInstance::read_table() const {
    uint32_t zero = 0, id = 0;
    if (bpf_map_lookup_elem(tables_fd, &zero, &id))
        throw ProgramError("lwAFTR: no binding table in service at " + dir);
    FdGuard map{bpf_map_get_fd_by_id(id)};
    bpf_map_info info{};
    uint32_t length = sizeof info;
    if (map.fd < 0 || bpf_obj_get_info_by_fd(map.fd, &info, &length))
        throw ProgramError("lwAFTR: cannot open the table in service: " + errno_text(errno));
    size_t bytes = size_t{info.max_entries} * sizeof(lwaftr_slot);
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t mapped = (bytes + page - 1) / page * page;
    void* memory = mmap(nullptr, mapped, PROT_READ, MAP_SHARED, map.fd, 0);
    if (memory == MAP_FAILED)
        throw ProgramError("lwAFTR: cannot map the table in service: " + errno_text(errno));
    std::vector<lwaftr_slot> image(info.max_entries);
    std::memcpy(image.data(), memory, bytes);
    munmap(memory, mapped);
    lwaftr_config config = read_config();
    std::vector<Ipv6Address> brs;
    for (uint32_t i = 0; i < config.br_count && i < LWAFTR_MAX_BR_ADDRESSES; i++) {
        Ipv6Address a;
        std::memcpy(a.data(), config.br_ipv6[i], 16);
        brs.push_back(a);
    }
    return BindingTable::from_image(std::move(image), std::move(brs));
}

std::vector<lwaftr_counter> PinnedInstance::counters() const {
    return read_counters(counters_fd);
}

bool unpin_instance(const std::string& dir) {
    bool any = false;
    for (const char* name :
         {"link_stick", "link_internet", "link_b4", "config", "tables", "counters", "rate_state"}) {
        std::string path = dir + "/" + name;
        any = (unlink(path.c_str()) == 0) || any;
    }
    rmdir(dir.c_str());
    return any;
}

}  // namespace vtep::lwaftr
