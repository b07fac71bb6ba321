#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "event_loop.h"

namespace vtep::bench {

// Which monitor request to use: RFC 7047 "monitor" or Open vSwitch's conditional ones
// (what the Python and C IDLs send).
enum class MonitorMethod { kMonitor, kMonitorCond, kMonitorCondSince };
MonitorMethod parse_monitor_method(const std::string& name);
std::string to_string(MonitorMethod method);

// A client monitoring every column of Ucast_Macs_Remote that counts the rows its update
// notifications carry.
class MonitorClient : public LoopClient {
  public:
    MonitorClient(RpcConnection connection, MonitorMethod method);

    // Sends the monitor request and waits for its reply; returns the initial row count.
    // Done before timing starts.
    std::uint64_t subscribe();

    RpcConnection& connection() override { return connection_; }
    void on_message(std::string_view text) override;

    std::uint64_t rows_seen() const { return rows_seen_; }
    std::uint64_t notifications() const { return notifications_; }
    // When rows_seen() first reached `target` (set by watch_for).
    void watch_for(std::uint64_t target) { target_ = target; }
    std::uint64_t target() const { return target_; }
    bool reached_target() const { return rows_seen_ >= target_; }
    std::chrono::steady_clock::time_point reached_at() const { return reached_at_; }

  private:
    RpcConnection connection_;
    MonitorMethod method_;
    std::uint64_t rows_seen_ = 0;
    std::uint64_t notifications_ = 0;
    std::uint64_t target_ = UINT64_MAX;
    std::chrono::steady_clock::time_point reached_at_;
};

}  // namespace vtep::bench
