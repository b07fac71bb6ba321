// vtep_gateway_driver: holds a live VTEP data plane driven by a static configuration
// file, the way the VTEP agent will once it exists. Used by the end-to-end test.
//
//   vtep_gateway_driver --config CONF.json --instance NAME [--ready-file PATH]
//
// Opens (or adopts) the pinned instance, reconciles it with CONF.json, attaches the
// uplink and the access ports, then prints learn events and ages MACs out. SIGHUP
// re-reads CONF.json and reconciles again; SIGTERM/SIGINT exit leaving everything
// attached (forwarding goes on). --ready-file is written ("fresh" or "adopted") once
// the data plane is attached.
#include <net/if.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "dataplane/vtep/static_config.h"
#include "dataplane/vtep/vtep_dataplane.h"

using namespace vtep::dataplane;

namespace {

volatile sig_atomic_t stop_requested = 0;
volatile sig_atomic_t reload_requested = 0;

uint32_t kernel_ifindex(const std::string& name) {
    unsigned index = if_nametoindex(name.c_str());
    if (index == 0) throw ConfigError("no interface named '" + name + "' in this namespace");
    return index;
}

void program(VtepDataplane& dp, const std::string& path) {
    StaticConfig config = load_static_config(path);
    apply_static_config(dp, config, kernel_ifindex);
    std::set<std::string> access;
    for (const auto& port : config.ports) access.insert(port.name);
    for (const auto& ls : config.logical_switches)
        for (const auto& binding : ls.bindings) access.insert(binding.port);
    dp.attach_uplink(kernel_ifindex(config.uplink));
    for (const auto& name : access) dp.attach_access_port(kernel_ifindex(name));
}

const char* event_name(LearnEventType type) {
    switch (type) {
        case LearnEventType::learned:
            return "learned";
        case LearnEventType::moved:
            return "moved";
        case LearnEventType::aged_out:
            return "aged-out";
    }
    return "?";
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path, instance, ready_file;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--config")
            config_path = argv[i + 1];
        else if (option == "--instance")
            instance = argv[i + 1];
        else if (option == "--ready-file")
            ready_file = argv[i + 1];
    }
    if (config_path.empty() || instance.empty()) {
        std::fputs(
            "usage: vtep_gateway_driver --config CONF.json --instance NAME "
            "[--ready-file PATH]\n",
            stderr);
        return 2;
    }
    signal(SIGTERM, [](int) { stop_requested = 1; });
    signal(SIGINT, [](int) { stop_requested = 1; });
    signal(SIGHUP, [](int) { reload_requested = 1; });
    try {
        VtepDataplane dp(OpenOptions{.instance = instance, .replay = false});
        program(dp, config_path);
        dp.resolve_remote_vteps();
        auto aging = std::chrono::seconds(load_static_config(config_path).mac_aging_seconds);
        std::printf("%s instance %s\n", dp.adopted() ? "adopted" : "created", instance.c_str());
        std::fflush(stdout);
        if (!ready_file.empty())
            std::ofstream(ready_file) << (dp.adopted() ? "adopted\n" : "fresh\n");
        auto print = [](const LearnEvent& e) {
            std::printf("%s %s vni %u ifindex %u vlan %u\n", event_name(e.type),
                        e.mac.to_string().c_str(), e.vni, e.ifindex, e.vlan);
        };
        auto last_aging = std::chrono::steady_clock::now();
        while (!stop_requested) {
            if (reload_requested) {
                reload_requested = 0;
                program(dp, config_path);
                std::printf("reloaded %s\n", config_path.c_str());
            }
            dp.poll_learn_events(std::chrono::milliseconds(200), print);
            if (std::chrono::steady_clock::now() - last_aging > std::chrono::seconds(1)) {
                for (const auto& e : dp.age_out(aging)) print(e);
                dp.resolve_remote_vteps();
                last_aging = std::chrono::steady_clock::now();
            }
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vtep_gateway_driver: %s\n", e.what());
        return 1;
    }
    return 0;
}
