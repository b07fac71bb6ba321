// ovsdb-vtep: the operator tool. Dispatches to one subcommand.
#include <cstdio>
#include <cstring>

#include "cli/commands.h"

namespace {

void print_usage(FILE* out) {
    std::fputs(
        "usage: ovsdb-vtep COMMAND [ARGS...]\n"
        "\n"
        "commands:\n"
        "  replay vtep --config CONF [--in PORT=IN.pcap]... [--out PORT=OUT.pcap]...\n"
        "      run captures through the real VTEP BPF programs\n"
        "  replay lwaftr --config CONF.json [--internet-in A.pcap] [--b4-in B.pcap]\n"
        "                --internet-out C.pcap --b4-out D.pcap [--pass-out E.pcap]\n"
        "      run captures through the real lwAFTR BPF program\n"
        "  lwaftr SUBCOMMAND ...\n"
        "      lwAFTR binding tables and configuration (run 'ovsdb-vtep lwaftr --help')\n"
        "  agent --db unix:PATH --config FILE [--instance NAME]\n"
        "      the VTEP agent as its own process (database client driving the data plane)\n",
        out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char* command = argv[1];
    if (!std::strcmp(command, "replay") && argc >= 3) {
        if (!std::strcmp(argv[2], "vtep")) return vtep::cli::run_replay_vtep(argc - 2, argv + 2);
        if (!std::strcmp(argv[2], "lwaftr"))
            return vtep::cli::run_replay_lwaftr(argc - 2, argv + 2);
    }
    if (!std::strcmp(command, "lwaftr")) return vtep::cli::run_lwaftr(argc - 1, argv + 1);
    if (!std::strcmp(command, "agent")) return vtep::cli::run_agent(argc - 1, argv + 1);
    std::fprintf(stderr, "ovsdb-vtep: unknown command '%s'\n", command);
    print_usage(stderr);
    return 2;
}
