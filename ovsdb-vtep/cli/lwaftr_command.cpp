// 'ovsdb-vtep lwaftr': run, reload and inspect lwAFTR instances and their binding tables.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "dataplane/lwaftr/binding_table.h"
#include "dataplane/lwaftr/config.h"
#include "dataplane/lwaftr/counters.h"
#include "dataplane/lwaftr/fragment_slow_path.h"
#include "dataplane/lwaftr/program.h"
#include "dataplane/lwaftr/snabb_import.h"
#include "dataplane/lwaftr/table_file.h"

namespace vtep::cli {
namespace {

using namespace vtep::lwaftr;
using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: ovsdb-vtep lwaftr COMMAND ...\n"
    "\n"
    "  attach --config CONF [--instance NAME] [--pin-dir DIR]\n"
    "      load the XDP program with the configuration and binding table, attach it to\n"
    "      the configured devices and pin it (it keeps running after this command)\n"
    "  detach (--config CONF [--instance NAME] | --pin-dir DIR)\n"
    "  load --config CONF [--instance NAME] [--pin-dir DIR] [TABLE]\n"
    "      reload a running instance: configuration, and the binding table (TABLE instead\n"
    "      of the configured binding-table-file); the new table replaces the old one\n"
    "      atomically, and on any error the running table stays in service\n"
    "  check (--config CONF [--instance NAME] | TABLE)\n"
    "      validate a configuration or binding-table file without touching the dataplane\n"
    "  lookup (--pin-dir DIR | --config CONF [--instance NAME] | --table TABLE)\n"
    "         (B4-IPV6 | IPV4 PORT)\n"
    "      the subscriber(s) of a B4 address, or the owner of an IPv4 address and port, in\n"
    "      the running table (--pin-dir) or in files\n"
    "  counters (--config CONF [--instance NAME] | --pin-dir DIR) [--json] [--all]\n"
    "  slow-path (--config CONF [--instance NAME] | --pin-dir DIR)\n"
    "      forward softwire packets that arrived in IPv6 fragments: the kernel reassembles\n"
    "      them (the BR addresses must be local addresses of this host) and this runs each\n"
    "      through the attached program; runs in the foreground until SIGINT or SIGTERM\n"
    "  import-snabb FILE [--table-out TABLE]\n"
    "      print our configuration converted from a Snabb lwAFTR one (snabb-softwire-v3);\n"
    "      with --table-out the softwires go to a binding-table file instead\n"
    "\n"
    "Instances are pinned under /sys/fs/bpf/ovsdb-vtep/lwaftr/NAME unless --pin-dir says\n"
    "otherwise. Formats: dataplane/lwaftr/README.md.\n";

constexpr const char* kPinRoot = "/sys/fs/bpf/ovsdb-vtep/lwaftr/";

struct Args {
    std::map<std::string, std::string> options;
    std::vector<std::string> positional;
    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::string get(const std::string& name) const {
        auto it = options.find(name);
        return it == options.end() ? "" : it->second;
    }
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Args parse_args(int argc, char** argv, std::initializer_list<const char*> flags,
                std::initializer_list<const char*> valued) {
    Args args;
    for (int i = 2; i < argc; i++) {
        std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) {
            args.positional.push_back(arg);
            continue;
        }
        std::string value;
        bool inline_value = false;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            inline_value = true;
        }
        bool is_flag = false, is_valued = false;
        for (const char* f : flags) is_flag = is_flag || arg == f;
        for (const char* v : valued) is_valued = is_valued || arg == v;
        if (is_flag) {
            args.options[arg] = "1";
        } else if (is_valued) {
            if (!inline_value) {
                if (i + 1 >= argc) throw UsageError(arg + " needs a value");
                value = argv[++i];
            }
            args.options[arg] = value;
        } else {
            throw UsageError("unknown option '" + arg + "'");
        }
    }
    return args;
}

std::string pin_dir(const Args& args, const Config* config) {
    if (args.has("--pin-dir")) return args.get("--pin-dir");
    if (config) return kPinRoot + config->name;
    throw UsageError("give --config CONF or --pin-dir DIR");
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reading a table of millions of lines takes seconds: say how far it is.
TableProgress progress_printer(const std::string& path) {
    return [path](size_t lines, size_t bytes, size_t total) {
        std::fprintf(
            stderr, "\rreading %s: %zu lines (%.0f%%)", path.c_str(), lines,
            total ? 100.0 * static_cast<double>(bytes) / static_cast<double>(total) : 100.0);
        if (bytes >= total) std::fputc('\n', stderr);
    };
}

// The instance's bindings: binding-entry items of the configuration plus the table file
// (table_override replaces the configured binding-table-file).
std::vector<Binding> gather_bindings(const Config& config, const std::string& table_override,
                                     bool show_progress) {
    std::vector<Binding> bindings = config.bindings;
    std::string file = table_override.empty() ? config.binding_table_file : table_override;
    if (!file.empty()) {
        auto from_file =
            read_table_file(file, show_progress ? progress_printer(file) : TableProgress{});
        bindings.insert(bindings.end(), from_file.begin(), from_file.end());
    }
    if (config.softwire_num_max && bindings.size() > config.softwire_num_max)
        throw BindingTableError(std::to_string(bindings.size()) +
                                " bindings exceed softwire-num-max " +
                                std::to_string(config.softwire_num_max));
    return bindings;
}

void describe_table(const BindingTable& table, double build_ms) {
    const auto& h = table.header();
    double bytes = static_cast<double>(table.image().size() * sizeof(lwaftr_slot));
    std::fprintf(stderr,
                 "table: %u bindings, %zu BR addresses, %u slots (longest probe %u), %.1f MiB "
                 "(%.1f bytes per binding), built in %.0f ms\n",
                 h.softwires, table.br_addresses().size(), h.capacity, h.max_probe,
                 bytes / (1024 * 1024), h.softwires ? bytes / h.softwires : 0.0, build_ms);
}

Config config_from(const Args& args) {
    if (!args.has("--config")) throw UsageError("--config CONF is required");
    return load_config(args.get("--config"), args.get("--instance"));
}

int cmd_attach(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--config", "--instance", "--pin-dir"});
    Config config = config_from(args);
    if (config.internet.device.empty() || config.b4.device.empty())
        throw UsageError(
            "the configuration names no device for internet-interface or "
            "b4-interface; attach needs both (the same one for 'on a stick')");
    std::string dir = pin_dir(args, &config);
    auto start = Clock::now();
    BindingTable table =
        BindingTable::build(gather_bindings(config, "", true), config.br_addresses);
    describe_table(table, ms_since(start));
    Program program;
    program.set_config(to_abi(config, table.br_addresses(),
                              if_index_or_throw(config.internet.device),
                              if_index_or_throw(config.b4.device)));
    program.install_table(table);
    program.attach(config.internet.device, config.b4.device);
    try {
        program.pin(dir);
    } catch (...) {
        unpin_instance(dir);
        throw;
    }
    std::fprintf(stderr, "lwAFTR '%s' attached to %s and %s, pinned at %s\n", config.name.c_str(),
                 config.internet.device.c_str(), config.b4.device.c_str(), dir.c_str());
    return 0;
}

int cmd_detach(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--config", "--instance", "--pin-dir"});
    std::optional<Config> config;
    if (args.has("--config")) config = config_from(args);
    std::string dir = pin_dir(args, config ? &*config : nullptr);
    if (!unpin_instance(dir)) {
        std::fprintf(stderr, "ovsdb-vtep lwaftr detach: nothing is pinned at %s\n", dir.c_str());
        return 1;
    }
    std::fprintf(stderr, "detached %s\n", dir.c_str());
    return 0;
}

int cmd_load(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--config", "--instance", "--pin-dir"});
    if (args.positional.size() > 1) throw UsageError("load takes at most one TABLE");
    Config config = config_from(args);
    std::string dir = pin_dir(args, &config);
    PinnedInstance instance(dir);
    lwaftr_config running = instance.read_config();
    // Keep the BR indexes of the running table valid while both tables may be in use:
    // running BR addresses first, new ones after.
    std::vector<Ipv6Address> brs;
    for (uint32_t i = 0; i < running.br_count && i < LWAFTR_MAX_BR_ADDRESSES; i++) {
        Ipv6Address a;
        std::memcpy(a.data(), running.br_ipv6[i], 16);
        brs.push_back(a);
    }
    for (const auto& br : config.br_addresses)
        if (std::find(brs.begin(), brs.end(), br) == brs.end()) brs.push_back(br);
    auto start = Clock::now();
    std::string table_file = args.positional.empty() ? "" : args.positional[0];
    BindingTable table = BindingTable::build(gather_bindings(config, table_file, true), brs);
    describe_table(table, ms_since(start));
    instance.write_config(
        to_abi(config, table.br_addresses(), running.internet.ifindex, running.b4.ifindex));
    auto swap = Clock::now();
    instance.install_table(table);
    std::fprintf(stderr, "new table in service at %s (%.1f ms to install)\n", dir.c_str(),
                 ms_since(swap));
    return 0;
}

int cmd_check(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--config", "--instance"});
    auto start = Clock::now();
    std::vector<Binding> bindings;
    std::vector<Ipv6Address> brs;
    if (args.has("--config")) {
        Config config = config_from(args);
        bindings = gather_bindings(config, "", true);
        brs = config.br_addresses;
    } else if (args.positional.size() == 1) {
        bindings = read_table_file(args.positional[0], progress_printer(args.positional[0]));
    } else {
        throw UsageError("check takes --config CONF or one TABLE file");
    }
    BindingTable table = BindingTable::build(std::move(bindings), brs);
    describe_table(table, ms_since(start));
    std::puts("ok");
    return 0;
}

void print_binding(const Binding& b) {
    const auto& s = b.port_set;
    unsigned m = 16 - s.psid_offset - s.psid_len;
    unsigned ranges = s.psid_len == 0 ? 1 : (1u << s.psid_offset) - (s.psid_offset ? 1 : 0);
    unsigned first = s.psid_len == 0 ? 0
                                     : ((s.psid_offset ? 1u : 0u) << (16 - s.psid_offset)) |
                                           (unsigned(s.psid) << m);
    unsigned last = s.psid_len == 0 ? 65535 : first + (1u << m) - 1;
    std::printf("b4 %s ipv4 %s psid %u psid-len %u psid-offset %u br %s ports %u-%u",
                format_ipv6(b.b4_ipv6).c_str(), format_ipv4(b.ipv4).c_str(), s.psid, s.psid_len,
                s.psid_offset, format_ipv6(b.br_ipv6).c_str(), first, last);
    if (ranges > 1) std::printf(" (+%u more ranges of %u)", ranges - 1, 1u << m);
    std::putchar('\n');
}

int cmd_lookup(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--config", "--instance", "--table", "--pin-dir"});
    std::vector<Binding> bindings;
    std::vector<Ipv6Address> brs;
    std::optional<BindingTable> live;
    if (args.has("--pin-dir")) {
        live = PinnedInstance(args.get("--pin-dir")).read_table();
    } else if (args.has("--config")) {
        Config config = config_from(args);
        bindings = gather_bindings(config, args.get("--table"), false);
        brs = config.br_addresses;
    } else if (args.has("--table")) {
        bindings = read_table_file(args.get("--table"));
    } else {
        throw UsageError(
            "lookup needs --pin-dir DIR (the running table), --config CONF or "
            "--table TABLE");
    }
    BindingTable table = live ? std::move(*live) : BindingTable::build(std::move(bindings), brs);
    if (args.positional.size() == 1) {
        auto b4 = parse_ipv6(args.positional[0]);
        if (!b4) throw UsageError("'" + args.positional[0] + "' is not an IPv6 address");
        auto found = table.find_b4(*b4);
        for (const auto& b : found) print_binding(b);
        if (found.empty()) std::printf("no binding for %s\n", args.positional[0].c_str());
        return found.empty() ? 1 : 0;
    }
    if (args.positional.size() == 2) {
        auto ipv4 = parse_ipv4(args.positional[0]);
        if (!ipv4) throw UsageError("'" + args.positional[0] + "' is not an IPv4 address");
        unsigned long port = std::strtoul(args.positional[1].c_str(), nullptr, 10);
        if (port > 65535) throw UsageError("the port must be 0..65535");
        auto found = table.find(*ipv4, static_cast<uint16_t>(port));
        if (found)
            print_binding(*found);
        else
            std::printf("no binding for %s port %lu\n", args.positional[0].c_str(), port);
        return found ? 0 : 1;
    }
    throw UsageError("lookup takes a B4 IPv6 address, or an IPv4 address and a port");
}

int cmd_counters(int argc, char** argv) {
    Args args =
        parse_args(argc, argv, {"--json", "--all"}, {"--config", "--instance", "--pin-dir"});
    std::optional<Config> config;
    if (args.has("--config")) config = config_from(args);
    PinnedInstance instance(pin_dir(args, config ? &*config : nullptr));
    auto counters = instance.counters();
    bool json = args.has("--json");
    if (json) std::fputs("{", stdout);
    bool first = true;
    for (uint32_t id = 0; id < LWAFTR_COUNTER_COUNT; id++) {
        std::string name(counter_name(static_cast<lwaftr_counter_id>(id)));
        const auto& c = counters[id];
        if (json) {
            std::printf("%s\n  \"%s\": {\"packets\": %llu, \"bytes\": %llu}", first ? "" : ",",
                        name.c_str(), static_cast<unsigned long long>(c.packets),
                        static_cast<unsigned long long>(c.bytes));
        } else if (c.packets || args.has("--all")) {
            std::printf("%-24s %14llu packets %16llu bytes\n", name.c_str(),
                        static_cast<unsigned long long>(c.packets),
                        static_cast<unsigned long long>(c.bytes));
        }
        first = false;
    }
    if (json) std::fputs("\n}\n", stdout);
    return 0;
}

std::atomic<bool> slow_path_stop{false};

void stop_slow_path(int) {
    slow_path_stop = true;
}

int cmd_slow_path(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--config", "--instance", "--pin-dir"});
    std::optional<Config> config;
    if (args.has("--config")) config = config_from(args);
    FragmentSlowPath slow_path(pin_dir(args, config ? &*config : nullptr));
    for (const auto& br : slow_path.non_local_br_addresses())
        std::fprintf(stderr,
                     "warning: BR address %s is not a local address: the kernel will not "
                     "reassemble fragments sent to it (ip addr add %s/128 dev lo)\n",
                     format_ipv6(br).c_str(), format_ipv6(br).c_str());
    std::signal(SIGINT, stop_slow_path);
    std::signal(SIGTERM, stop_slow_path);
    std::fprintf(stderr, "lwAFTR fragment slow path running\n");
    slow_path.run(slow_path_stop);
    const auto& s = slow_path.stats();
    std::fprintf(
        stderr,
        "lwAFTR fragment slow path stopped: %llu reassembled packets, %llu sent, %llu "
        "to the kernel, %llu dropped, %llu not ours\n",
        static_cast<unsigned long long>(s.received), static_cast<unsigned long long>(s.transmitted),
        static_cast<unsigned long long>(s.to_kernel), static_cast<unsigned long long>(s.dropped),
        static_cast<unsigned long long>(s.ignored));
    return 0;
}

int cmd_import_snabb(int argc, char** argv) {
    Args args = parse_args(argc, argv, {}, {"--table-out"});
    if (args.positional.size() != 1) throw UsageError("import-snabb takes one FILE");
    std::ifstream in(args.positional[0]);
    if (!in) throw UsageError("cannot open " + args.positional[0]);
    std::stringstream text;
    text << in.rdbuf();
    SnabbImport imported;
    try {
        imported = import_snabb(text.str());
    } catch (const SnabbImportError& e) {
        throw SnabbImportError(args.positional[0] + ": " + e.what());
    }
    if (args.has("--table-out")) {
        write_table_file(args.get("--table-out"), imported.bindings);
        auto& instance =
            imported.config["ietf-softwire-br:br-instances"]["binding"]["bind-instance"][0];
        instance["binding-table"]["binding-entry"] = nlohmann::ordered_json::array();
        instance["ovsdb-vtep-lwaftr:aftr"]["binding-table-file"] = args.get("--table-out");
    }
    // Check what we print loads, so the operator gets a working file or a clear error.
    BindingTable::build(imported.bindings);
    std::printf("%s\n", imported.config.dump(2).c_str());
    for (const auto& note : imported.notes)
        std::fprintf(stderr, "import-snabb: %s\n", note.c_str());
    std::fprintf(stderr, "import-snabb: %zu softwires converted\n", imported.bindings.size());
    return 0;
}

}  // namespace

int run_lwaftr(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    std::string command = argv[1];
    try {
        if (command == "attach") return cmd_attach(argc, argv);
        if (command == "detach") return cmd_detach(argc, argv);
        if (command == "load") return cmd_load(argc, argv);
        if (command == "check") return cmd_check(argc, argv);
        if (command == "lookup") return cmd_lookup(argc, argv);
        if (command == "counters") return cmd_counters(argc, argv);
        if (command == "slow-path") return cmd_slow_path(argc, argv);
        if (command == "import-snabb") return cmd_import_snabb(argc, argv);
        std::fprintf(stderr, "ovsdb-vtep lwaftr: unknown command '%s'\n%s", command.c_str(),
                     kUsage);
        return 2;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "ovsdb-vtep lwaftr %s: %s\n%s", command.c_str(), e.what(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ovsdb-vtep lwaftr %s: %s\n", command.c_str(), e.what());
        return 1;
    }
}

}  // namespace vtep::cli
