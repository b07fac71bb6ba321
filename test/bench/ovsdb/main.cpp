// ovsdb_bench: the load generator of the OVSDB server benchmark (see README.md).
// Each subcommand runs one workload against a server that is already listening (or, for
// "startup", one it starts) and prints its figures as key=value pairs on one line.

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "vtep_rows.h"
#include "workloads.h"

namespace po = boost::program_options;
using namespace vtep::bench;

namespace {

const char* kUsage =
    "usage: ovsdb_bench COMMAND [options]\n"
    "  insert   --socket PATH --rows N --batch ROWS_PER_TXN [--first-row I] [--window W]\n"
    "  monitor  --socket PATH --rows N [--clients C] [--batch B] [--window W] [--method M]\n"
    "  count    --socket PATH [--expect-macs N]\n"
    "  startup  --socket PATH [--output FILE] -- SERVER_PROGRAM ARGS...\n"
    "Run test/bench/ovsdb/run.sh for the whole comparison.\n";

po::variables_map parse(const std::vector<std::string>& args, po::options_description& options) {
    po::variables_map values;
    po::store(po::command_line_parser(args).options(options).run(), values);
    po::notify(values);
    return values;
}

int insert_command(const std::vector<std::string>& args) {
    std::string socket;
    std::uint64_t rows = 0, batch = 1, first_row = 0;
    std::size_t window = 64;
    po::options_description options("insert");
    options.add_options()("socket", po::value(&socket)->required(), "server unix socket")(
        "rows", po::value(&rows)->required(), "rows to insert")(
        "batch", po::value(&batch)->required(), "rows per transaction")(
        "first-row", po::value(&first_row), "number of the first row (MACs derive from it)")(
        "window", po::value(&window), "requests in flight");
    parse(args, options);
    InsertResult r = run_inserts(socket, first_row, rows, batch, window);
    std::printf(
        "rows=%llu transactions=%llu seconds=%.6f rows_per_second=%.1f client_cpu_seconds=%.2f\n",
        static_cast<unsigned long long>(r.rows), static_cast<unsigned long long>(r.transactions),
        r.seconds, r.rows / r.seconds, r.client_cpu_seconds);
    return 0;
}

int monitor_command(const std::vector<std::string>& args) {
    std::string socket, method = "monitor";
    std::uint64_t rows = 0, batch = 1;
    std::size_t clients = 20, window = 64;
    po::options_description options("monitor");
    options.add_options()("socket", po::value(&socket)->required(), "server unix socket")(
        "rows", po::value(&rows)->required(), "rows the writer inserts")(
        "clients", po::value(&clients), "monitoring connections")(
        "batch", po::value(&batch), "rows per writer transaction")("window", po::value(&window),
                                                                   "writer requests in flight")(
        "method", po::value(&method), "monitor, monitor_cond or monitor_cond_since");
    parse(args, options);
    MonitorResult r =
        run_monitor_fanout(socket, clients, rows, batch, window, parse_monitor_method(method));
    std::printf(
        "rows=%llu clients=%zu seconds=%.6f writer_seconds=%.6f notifications=%llu "
        "rows_per_second=%.1f client_cpu_seconds=%.2f\n",
        static_cast<unsigned long long>(r.rows), r.clients, r.seconds_all_seen, r.writer_seconds,
        static_cast<unsigned long long>(r.notifications), r.rows / r.seconds_all_seen,
        r.client_cpu_seconds);
    return 0;
}

int count_command(const std::vector<std::string>& args) {
    std::string socket;
    long expect_macs = -1;
    po::options_description options("count");
    options.add_options()("socket", po::value(&socket)->required(), "server unix socket")(
        "expect-macs", po::value(&expect_macs), "fail unless Ucast_Macs_Remote has N rows");
    parse(args, options);
    TableCounts c = count_tables(socket);
    std::printf("logical_switches=%zu locators=%zu macs=%zu\n", c.logical_switches, c.locators,
                c.macs);
    if (expect_macs >= 0 &&
        (c.logical_switches != kLogicalSwitchCount || c.locators != kLocatorCount ||
         c.macs != static_cast<std::size_t>(expect_macs))) {
        std::fprintf(stderr,
                     "ovsdb_bench count: expected %zu Logical_Switch, %zu Physical_Locator and "
                     "%ld Ucast_Macs_Remote rows\n",
                     kLogicalSwitchCount, kLocatorCount, expect_macs);
        return 1;
    }
    return 0;
}

int startup_command(const std::vector<std::string>& args) {
    auto separator = std::find(args.begin(), args.end(), "--");
    if (separator == args.end() || separator + 1 == args.end()) {
        throw std::invalid_argument("startup needs '-- SERVER_PROGRAM ARGS...'");
    }
    std::string socket, output = "/dev/null";
    po::options_description options("startup");
    options.add_options()("socket", po::value(&socket)->required(), "server unix socket")(
        "output", po::value(&output), "file for the server's stdout and stderr");
    parse(std::vector<std::string>(args.begin(), separator), options);
    StartupResult r =
        run_startup(std::vector<std::string>(separator + 1, args.end()), socket, output);
    std::printf("seconds=%.6f peak_rss_kib=%ld macs=%zu server_cpu_seconds=%.2f\n", r.seconds,
                r.peak_rss_kib, r.macs, r.cpu_seconds);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "insert") return insert_command(args);
        if (command == "monitor") return monitor_command(args);
        if (command == "count") return count_command(args);
        if (command == "startup") return startup_command(args);
        std::fprintf(stderr, "unknown command '%s'\n%s", command.c_str(), kUsage);
        return 2;
    } catch (const po::error& e) {
        std::fprintf(stderr, "ovsdb_bench %s: %s\n%s", command.c_str(), e.what(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ovsdb_bench %s: %s\n", command.c_str(), e.what());
        return 1;
    }
}
