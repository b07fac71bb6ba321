#include <algorithm>
#include <memory>
#include <stdexcept>

#include "pipelined_writer.h"
#include "process_status.h"
#include "workloads.h"

namespace vtep::bench {

MonitorResult run_monitor_fanout(const std::string& socket_path, std::size_t clients,
                                 std::uint64_t rows, std::uint64_t rows_per_transaction,
                                 std::size_t window, MonitorMethod method) {
    RpcConnection writer_connection(socket_path);
    const ReferencedRows referenced = ensure_referenced_rows(writer_connection);
    PipelinedWriter writer(writer_connection,
                           build_insert_requests(referenced, 0, rows, rows_per_transaction),
                           window);

    std::vector<std::unique_ptr<MonitorClient>> monitors;
    std::vector<LoopClient*> loop{&writer};
    for (std::size_t i = 0; i < clients; ++i) {
        monitors.push_back(std::make_unique<MonitorClient>(RpcConnection(socket_path), method));
        const std::uint64_t initial = monitors.back()->subscribe();
        monitors.back()->watch_for(initial + rows);
        loop.push_back(monitors.back().get());
    }

    const double cpu_at_start = own_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto all_seen = [&] {
        return std::all_of(monitors.begin(), monitors.end(),
                           [](const auto& m) { return m->reached_target(); });
    };
    auto progress = [&] {
        std::uint64_t total = writer.replies();
        for (const auto& m : monitors) total += m->rows_seen();
        return total;
    };
    run_until(
        loop, [&] { return writer.finished() && all_seen(); }, progress);

    MonitorResult result;
    result.client_cpu_seconds = own_cpu_seconds() - cpu_at_start;
    result.rows = rows;
    result.clients = clients;
    result.writer_seconds = std::chrono::duration<double>(writer.finished_at() - start).count();
    auto last_seen = start;
    for (std::size_t i = 0; i < monitors.size(); ++i) {
        const auto& monitor = *monitors[i];
        last_seen = std::max(last_seen, monitor.reached_at());
        result.notifications += monitor.notifications();
        // More rows than written means some were delivered twice, which could hide others
        // that never arrived.
        if (monitor.rows_seen() != monitor.target()) {
            throw std::runtime_error("monitoring client " + std::to_string(i) + " saw " +
                                     std::to_string(monitor.rows_seen()) + " rows, expected " +
                                     std::to_string(monitor.target()));
        }
    }
    result.seconds_all_seen = std::chrono::duration<double>(last_seen - start).count();
    return result;
}

}  // namespace vtep::bench
