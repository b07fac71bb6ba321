#include <stdexcept>
#include <thread>

#include "process_status.h"
#include "server_process.h"
#include "vtep_rows.h"
#include "workloads.h"

namespace vtep::bench {
namespace {

using nlohmann::json;

// A read that needs the database loaded: a server that listens before it has read its
// file cannot answer it with the row.
json first_request() {
    return json::array({kDatabase,
                        {{"op", "select"},
                         {"table", "Logical_Switch"},
                         {"where", json::array({json::array({"name", "==", "ls0"})})},
                         {"columns", json::array({"name"})}}});
}

}  // namespace

StartupResult run_startup(const std::vector<std::string>& server_argv,
                          const std::string& socket_path, const std::string& output_path) {
    ServerProcess server(server_argv, output_path);
    const auto deadline = server.started_at() + std::chrono::minutes(10);
    std::optional<RpcConnection> connection;
    json answer;
    for (;;) {
        server.check_running();
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("the server did not answer within 10 minutes of start");
        }
        if (!connection) {
            if (auto connected = RpcConnection::try_connect(socket_path)) {
                connection.emplace(std::move(*connected));
            }
        }
        if (!connection) {
            // Poll-connect: 1 ms granularity is well below the start times measured.
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
        }
        try {
            answer = connection->call("transact", first_request());
            break;
        } catch (const ConnectionClosed&) {
            connection.reset();  // closed while starting: connect again
        }
    }
    StartupResult result;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - server.started_at())
            .count();
    result.peak_rss_kib = read_process_kib(server.pid(), "VmHWM");
    result.cpu_seconds = read_process_cpu_seconds(server.pid());
    if (!answer.is_array() || answer.empty() || !answer[0].contains("rows") ||
        answer[0]["rows"].size() != 1) {
        throw std::runtime_error(
            "the first answer has no Logical_Switch ls0 (" + answer.dump() +
            "): start-up must be measured on a database filled by this benchmark");
    }
    result.macs = count_rows(*connection, "Ucast_Macs_Remote");
    server.stop();
    return result;
}

TableCounts count_tables(const std::string& socket_path) {
    RpcConnection connection(socket_path);
    return {count_rows(connection, "Logical_Switch"), count_rows(connection, "Physical_Locator"),
            count_rows(connection, "Ucast_Macs_Remote")};
}

}  // namespace vtep::bench
