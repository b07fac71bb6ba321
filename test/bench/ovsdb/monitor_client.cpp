#include "monitor_client.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "notification_rows.h"
#include "vtep_rows.h"

namespace vtep::bench {
namespace {

using nlohmann::json;

// Rows in a table-updates (or table-updates2) object.
std::uint64_t rows_in(const json& table_updates) {
    std::uint64_t rows = 0;
    if (!table_updates.is_object()) return 0;
    for (const auto& [table, updates] : table_updates.items()) rows += updates.size();
    return rows;
}

}  // namespace

MonitorMethod parse_monitor_method(const std::string& name) {
    if (name == "monitor") return MonitorMethod::kMonitor;
    if (name == "monitor_cond") return MonitorMethod::kMonitorCond;
    if (name == "monitor_cond_since") return MonitorMethod::kMonitorCondSince;
    throw std::invalid_argument("unknown monitor method '" + name +
                                "' (use monitor, monitor_cond or monitor_cond_since)");
}

std::string to_string(MonitorMethod method) {
    switch (method) {
        case MonitorMethod::kMonitor:
            return "monitor";
        case MonitorMethod::kMonitorCond:
            return "monitor_cond";
        case MonitorMethod::kMonitorCondSince:
            return "monitor_cond_since";
    }
    return "?";
}

MonitorClient::MonitorClient(RpcConnection connection, MonitorMethod method)
    : connection_(std::move(connection)), method_(method) {}

std::uint64_t MonitorClient::subscribe() {
    json request = {{"columns", {"MAC", "logical_switch", "locator", "ipaddr"}}};
    json params = {kDatabase, "bench", {{"Ucast_Macs_Remote", request}}};
    if (method_ == MonitorMethod::kMonitorCondSince) {
        params.push_back("00000000-0000-0000-0000-000000000000");  // no history: full state
    }
    json result = connection_.call(to_string(method_), params);
    // monitor_cond_since answers [found, last-txn-id, updates2]; the others the updates.
    std::uint64_t initial =
        method_ == MonitorMethod::kMonitorCondSince ? rows_in(result.at(2)) : rows_in(result);
    rows_seen_ = initial;
    return initial;
}

void MonitorClient::on_message(std::string_view text) {
    MessageSummary summary = summarize_message(text);
    if (summary.method == "update" || summary.method == "update2" || summary.method == "update3") {
        ++notifications_;
        rows_seen_ += summary.rows;
        if (rows_seen_ >= target_ && reached_at_ == std::chrono::steady_clock::time_point()) {
            reached_at_ = std::chrono::steady_clock::now();
        }
    } else if (summary.method == "echo") {
        if (auto reply = echo_reply_for(json::parse(text))) connection_.queue(*reply);
    } else if (summary.method.empty()) {
        throw std::runtime_error("unexpected reply on a monitoring connection: " +
                                 std::string(text.substr(0, 300)));
    }
    // Other notifications (e.g. "locked") do not concern this workload.
}

}  // namespace vtep::bench
