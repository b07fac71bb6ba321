#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "monitor_client.h"

namespace vtep::bench {

// (a) Ucast_Macs_Remote inserts, `rows_per_transaction` per transact, pipelined.
struct InsertResult {
    std::uint64_t rows = 0;
    std::uint64_t transactions = 0;
    double seconds = 0;             // first request sent to last reply received
    double client_cpu_seconds = 0;  // load generator CPU time in that interval
};
InsertResult run_inserts(const std::string& socket_path, std::uint64_t first_row,
                         std::uint64_t rows, std::uint64_t rows_per_transaction,
                         std::size_t window);

// (b) `clients` connections monitor Ucast_Macs_Remote while one writer inserts `rows`.
struct MonitorResult {
    std::uint64_t rows = 0;
    std::size_t clients = 0;
    double seconds_all_seen = 0;      // first request sent until every client saw every row
    double writer_seconds = 0;        // first request sent until the writer's last reply
    std::uint64_t notifications = 0;  // update messages received, all clients together
    double client_cpu_seconds = 0;    // load generator CPU time while timing
};
MonitorResult run_monitor_fanout(const std::string& socket_path, std::size_t clients,
                                 std::uint64_t rows, std::uint64_t rows_per_transaction,
                                 std::size_t window, MonitorMethod method);

// (d) Start a server (argv) on an existing database and time exec → first answered
// transact that reads a row, then record its peak RSS (c, on a loaded file).
struct StartupResult {
    double seconds = 0;
    long peak_rss_kib = 0;   // VmHWM right after the first answer
    double cpu_seconds = 0;  // server CPU time up to the first answer
    std::size_t macs = 0;    // Ucast_Macs_Remote rows the server then reports
};
StartupResult run_startup(const std::vector<std::string>& server_argv,
                          const std::string& socket_path, const std::string& output_path);

// Row counts of the tables the workloads touch.
struct TableCounts {
    std::size_t logical_switches = 0;
    std::size_t locators = 0;
    std::size_t macs = 0;
};
TableCounts count_tables(const std::string& socket_path);

}  // namespace vtep::bench
