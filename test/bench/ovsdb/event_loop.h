#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "rpc_connection.h"

namespace vtep::bench {

// A participant of the poll loop: one connection and what to do when it is ready.
class LoopClient {
  public:
    virtual ~LoopClient() = default;
    virtual RpcConnection& connection() = 0;
    // Called once per loop turn before polling, to queue more requests.
    virtual void before_poll() {}
    // Called after reading; the client handles each message.
    virtual void on_message(std::string_view text) = 0;
};

// Polls every client's socket until done() holds. progress() must grow while work is
// being done; if it stalls for stall_timeout the server is declared stuck (throws).
void run_until(const std::vector<LoopClient*>& clients, const std::function<bool()>& done,
               const std::function<std::uint64_t()>& progress,
               std::chrono::seconds stall_timeout = std::chrono::seconds(120));

}  // namespace vtep::bench
