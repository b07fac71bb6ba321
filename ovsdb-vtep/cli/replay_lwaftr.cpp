// 'ovsdb-vtep replay lwaftr': runs captures through the real lwAFTR XDP program with map
// state built from a configuration, and writes what comes out per side (ARCHITECTURE.md,
// "Contracts").
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "dataplane/lwaftr/binding_table.h"
#include "dataplane/lwaftr/config.h"
#include "dataplane/lwaftr/counters.h"
#include "dataplane/lwaftr/program.h"
#include "dataplane/lwaftr/replay.h"
#include "dataplane/lwaftr/table_file.h"
#include "dataplane/pcap.h"

namespace vtep::cli {
namespace {

using namespace vtep::lwaftr;

const char* kUsage =
    "usage: ovsdb-vtep replay lwaftr --config CONF.json [--instance NAME]\n"
    "           [--internet-in A.pcap] [--b4-in B.pcap]\n"
    "           --internet-out C.pcap --b4-out D.pcap [--pass-out E.pcap]\n"
    "           [--next-hop-mac internet=MAC] [--next-hop-mac b4=MAC] [--counters]\n"
    "\n"
    "Runs the captures through the lwAFTR XDP program (BPF_PROG_TEST_RUN), all packets in\n"
    "timestamp order in one program instance, and writes the frames that leave on each\n"
    "side; what the program hands to the kernel goes to --pass-out. Every output file is\n"
    "written, empty or not. Replay has no kernel routing: next hops come from static\n"
    "next-hop MACs in the configuration or from --next-hop-mac.\n";

struct Options {
    std::string config, instance;
    std::string internet_in, b4_in, internet_out, b4_out, pass_out;
    std::optional<MacAddress> internet_next_hop, b4_next_hop;
    bool counters = false;
};

int usage_error(const std::string& message) {
    std::fprintf(stderr, "ovsdb-vtep replay lwaftr: %s\n%s", message.c_str(), kUsage);
    return 2;
}

}  // namespace

int run_replay_lwaftr(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        std::string value;
        auto eq = arg.find('=');
        bool has_inline = arg.rfind("--", 0) == 0 && eq != std::string::npos;
        if (has_inline) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        }
        auto take = [&]() -> std::optional<std::string> {
            if (has_inline) return value;
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (arg == "--counters") {
            opt.counters = true;
            continue;
        }
        std::string* target = arg == "--config"         ? &opt.config
                              : arg == "--instance"     ? &opt.instance
                              : arg == "--internet-in"  ? &opt.internet_in
                              : arg == "--b4-in"        ? &opt.b4_in
                              : arg == "--internet-out" ? &opt.internet_out
                              : arg == "--b4-out"       ? &opt.b4_out
                              : arg == "--pass-out"     ? &opt.pass_out
                                                        : nullptr;
        auto v = take();
        if (!v) return usage_error(arg + " needs a value");
        if (target) {
            *target = *v;
        } else if (arg == "--next-hop-mac") {
            auto split = v->find('=');
            auto mac = split == std::string::npos ? std::nullopt : parse_mac(v->substr(split + 1));
            std::string side = v->substr(0, split);
            if (!mac || (side != "internet" && side != "b4"))
                return usage_error("--next-hop-mac wants SIDE=MAC with SIDE internet or b4, not '" +
                                   *v + "'");
            (side == "internet" ? opt.internet_next_hop : opt.b4_next_hop) = mac;
        } else {
            return usage_error("unknown option '" + arg + "'");
        }
    }
    if (opt.config.empty()) return usage_error("--config is required");
    if (opt.internet_out.empty() || opt.b4_out.empty())
        return usage_error("--internet-out and --b4-out are required");

    try {
        Config config = load_config(opt.config, opt.instance);
        if (opt.internet_next_hop) config.internet.next_hop_mac = opt.internet_next_hop;
        if (opt.b4_next_hop) config.b4.next_hop_mac = opt.b4_next_hop;
        for (auto [side, name] : {std::pair{&config.internet, "internet"}, {&config.b4, "b4"}})
            if (!side->next_hop_mac)
                return usage_error(std::string("the ") + name +
                                   " side takes its next hop from kernel routing, which replay "
                                   "does not have; give --next-hop-mac " +
                                   name + "=MAC");
        std::vector<Binding> bindings = config.bindings;
        if (!config.binding_table_file.empty()) {
            auto file = read_table_file(config.binding_table_file);
            bindings.insert(bindings.end(), file.begin(), file.end());
        }
        BindingTable table = BindingTable::build(std::move(bindings), config.br_addresses);
        Program program;
        program.set_config(to_abi(config, table.br_addresses()));
        program.install_table(table);

        std::vector<ReplayInput> inputs;
        if (!opt.internet_in.empty())
            inputs.push_back({Side::internet, dataplane::read_pcap(opt.internet_in)});
        if (!opt.b4_in.empty()) inputs.push_back({Side::b4, dataplane::read_pcap(opt.b4_in)});
        ReplayOutput out = replay(program, inputs, config.path_mru);

        auto write = [](const std::string& path, const std::vector<dataplane::PcapPacket>& p) {
            if (path.empty()) return;
            dataplane::PcapWriter writer(path);
            for (const auto& packet : p) writer.write(packet);
        };
        write(opt.internet_out, out.internet);
        write(opt.b4_out, out.b4);
        write(opt.pass_out, out.pass);
        std::fprintf(stderr,
                     "replayed: internet-out %zu, b4-out %zu, passed %zu, dropped %zu, "
                     "reassembled %zu\n",
                     out.internet.size(), out.b4.size(), out.pass.size(), out.dropped,
                     out.reassembled);
        if (opt.counters) {
            auto counters = program.counters();
            for (uint32_t id = 0; id < LWAFTR_COUNTER_COUNT; id++)
                if (counters[id].packets)
                    std::printf(
                        "%-24s %12llu packets %14llu bytes\n",
                        std::string(counter_name(static_cast<lwaftr_counter_id>(id))).c_str(),
                        static_cast<unsigned long long>(counters[id].packets),
                        static_cast<unsigned long long>(counters[id].bytes));
        }
        if (out.aborted) {
            std::fprintf(stderr, "ovsdb-vtep replay lwaftr: the program aborted on %zu packets\n",
                         out.aborted);
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ovsdb-vtep replay lwaftr: %s\n", e.what());
        return 1;
    }
}

}  // namespace vtep::cli
