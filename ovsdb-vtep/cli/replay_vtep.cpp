// 'ovsdb-vtep replay vtep': runs pcap captures through the real VTEP BPF programs
// (BPF_PROG_TEST_RUN) with map state from a static configuration file, and writes what
// comes out per egress port. Frames of all inputs are processed in timestamp order (input
// order on equal stamps) in one instance, so learned MACs carry over from frame to frame.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "dataplane/pcap.h"
#include "dataplane/vtep/replay_ports.h"
#include "dataplane/vtep/static_config.h"
#include "dataplane/vtep/vtep_dataplane.h"
#include "dataplane/vtep/vtep_replay.h"

namespace vtep::cli {
namespace {

using namespace vtep::dataplane;

constexpr const char* kUsage =
    "usage: ovsdb-vtep replay vtep --config CONF.json [--in PORT=IN.pcap]...\n"
    "                              [--out PORT=OUT.pcap]... [--pass-out FILE.pcap]\n"
    "                              [--next-hop-mac uplink=MAC]\n"
    "\n"
    "Runs the captures through the VTEP data plane programs with the maps built from\n"
    "CONF.json (format: dataplane/vtep/README.md) and writes, per PORT (an access port\n"
    "name or 'uplink'), what leaves through it. What is handed to the kernel stack goes\n"
    "to --pass-out. Every output file is written, empty when nothing left that way.\n"
    "--next-hop-mac uplink=MAC sets the default next hop toward remote VTEPs.\n";

struct Arguments {
    std::string config;
    std::vector<std::pair<std::string, std::string>> inputs;   // port, file
    std::vector<std::pair<std::string, std::string>> outputs;  // port, file
    std::string pass_out;
    std::string next_hop_mac;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::pair<std::string, std::string> split_assignment(const std::string& option,
                                                     const std::string& value) {
    auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
        throw UsageError(option + " wants PORT=FILE, got '" + value + "'");
    return {value.substr(0, eq), value.substr(eq + 1)};
}

Arguments parse_arguments(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
        std::string option = argv[i];
        std::string value;
        auto eq = option.find('=');
        if (option.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = option.substr(eq + 1);
            option = option.substr(0, eq);
        } else if (option == "--help" || option == "-h") {
            throw UsageError("");
        } else {
            if (i + 1 >= argc) throw UsageError(option + " needs a value");
            value = argv[++i];
        }
        if (option == "--config") {
            args.config = value;
        } else if (option == "--in") {
            args.inputs.push_back(split_assignment(option, value));
        } else if (option == "--out") {
            args.outputs.push_back(split_assignment(option, value));
        } else if (option == "--pass-out") {
            args.pass_out = value;
        } else if (option == "--next-hop-mac") {
            auto [side, mac] = split_assignment(option, value);
            if (side != "uplink")
                throw UsageError(
                    "--next-hop-mac: the VTEP has one side with next hops, "
                    "'uplink'; got '" +
                    side + "'");
            args.next_hop_mac = mac;
        } else {
            throw UsageError("unknown option '" + option + "'");
        }
    }
    if (args.config.empty()) throw UsageError("--config is required");
    return args;
}

struct TimedFrame {
    uint64_t timestamp_ns;
    size_t order;
    uint32_t ingress;
    std::vector<uint8_t> data;
};

int replay(const Arguments& args) {
    StaticConfig config = load_static_config(args.config);
    if (!args.next_hop_mac.empty()) {
        MacAddress dst = MacAddress::parse(args.next_hop_mac);
        auto existing = std::find_if(config.next_hops.begin(), config.next_hops.end(),
                                     [](const auto& nh) { return nh.remote.network_order == 0; });
        if (existing != config.next_hops.end()) {
            existing->mac = dst;
        } else {
            if (!config.uplink_mac)
                throw ConfigError(args.config +
                                  ": --next-hop-mac needs the uplink's own MAC as the source: "
                                  "add \"mac\" to \"uplink\"");
            config.next_hops.push_back({Ipv4Address{}, dst, *config.uplink_mac, ""});
        }
    }
    ReplayPorts ports(config);
    std::string uplink_name = config.uplink;
    auto port_of = [&](const std::string& name) {
        return ports.ifindex(name == "uplink" ? uplink_name : name);
    };

    // Open every output first: each is written even when nothing goes out that way.
    std::map<uint32_t, std::unique_ptr<PcapWriter>> writers;
    for (const auto& [port, file] : args.outputs) {
        uint32_t ifindex = port_of(port);
        if (writers.count(ifindex)) throw UsageError("--out names port '" + port + "' twice");
        writers[ifindex] = std::make_unique<PcapWriter>(file);
    }
    std::unique_ptr<PcapWriter> pass_writer;
    if (!args.pass_out.empty()) pass_writer = std::make_unique<PcapWriter>(args.pass_out);

    std::vector<TimedFrame> frames;
    for (const auto& [port, file] : args.inputs) {
        uint32_t ingress = port_of(port);
        for (auto& packet : read_pcap(file))
            frames.push_back({packet.timestamp_ns, frames.size(), ingress, std::move(packet.data)});
    }
    std::stable_sort(frames.begin(), frames.end(),
                     [](const auto& a, const auto& b) { return a.timestamp_ns < b.timestamp_ns; });

    VtepDataplane dataplane(OpenOptions{.instance = "", .replay = true});
    apply_static_config(dataplane, config, ports.resolver());
    VtepReplay engine(dataplane, ports.uplink());

    std::map<std::string, size_t> sent;
    size_t dropped = 0, refused = 0;
    for (const auto& frame : frames) {
        auto outputs = engine.process(frame.ingress, frame.data);
        for (const auto& reason : engine.refusals()) {
            ++refused;
            std::fprintf(stderr, "ovsdb-vtep replay vtep: frame at %llu ns not replayed: %s\n",
                         (unsigned long long)frame.timestamp_ns, reason.c_str());
        }
        if (outputs.empty()) ++dropped;
        for (const auto& out : outputs) {
            if (out.kind == ReplayOutput::Kind::to_stack) {
                ++sent["(kernel stack)"];
                if (pass_writer)
                    pass_writer->write(frame.timestamp_ns, out.frame.data(), out.frame.size());
                continue;
            }
            std::string name = ports.name(out.ifindex);
            ++sent[name == uplink_name ? "uplink" : name];
            auto writer = writers.find(out.ifindex);
            if (writer != writers.end())
                writer->second->write(frame.timestamp_ns, out.frame.data(), out.frame.size());
        }
    }

    std::printf("replayed %zu frames: %zu dropped", frames.size(), dropped);
    if (refused) std::printf(", %zu not replayable", refused);
    std::printf("\n");
    for (const auto& [egress, count] : sent)
        std::printf("  out %-16s %zu\n", egress.c_str(), count);
    for (const auto& [name, value] : dataplane.counters())
        if (value) std::printf("  counter %-24s %llu\n", name.c_str(), (unsigned long long)value);
    dataplane.poll_learn_events(std::chrono::milliseconds(0), [&](const LearnEvent& e) {
        std::printf("  %s %s vni %u on %s vlan %u\n",
                    e.type == LearnEventType::moved ? "moved" : "learned",
                    e.mac.to_string().c_str(), e.vni, ports.name(e.ifindex).c_str(), e.vlan);
    });
    return 0;
}

}  // namespace

int run_replay_vtep(int argc, char** argv) {
    try {
        return replay(parse_arguments(argc, argv));
    } catch (const UsageError& e) {
        if (*e.what()) std::fprintf(stderr, "ovsdb-vtep replay vtep: %s\n\n", e.what());
        std::fputs(kUsage, *e.what() ? stderr : stdout);
        return *e.what() ? 2 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ovsdb-vtep replay vtep: %s\n", e.what());
        return 1;
    }
}

}  // namespace vtep::cli
