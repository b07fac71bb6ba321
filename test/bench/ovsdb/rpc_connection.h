#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "json_text_splitter.h"

namespace vtep::bench {

// The server closed the connection (e.g. while it was still starting).
class ConnectionClosed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One JSON-RPC client connection over a unix stream socket. Non-blocking: the event loop
// calls flush() when writable and receive() when readable; call() is a blocking helper
// for setup and checks, never used inside a timed phase.
class RpcConnection {
  public:
    // Connects once; throws with the socket path and errno text on failure.
    explicit RpcConnection(const std::string& socket_path);
    // Connects if a server listens now; empty if not (for polling a starting server).
    static std::optional<RpcConnection> try_connect(const std::string& socket_path);

    RpcConnection(RpcConnection&& other) noexcept;
    RpcConnection& operator=(RpcConnection&&) = delete;
    RpcConnection(const RpcConnection&) = delete;
    ~RpcConnection();

    int fd() const { return fd_; }

    // Adds bytes to the outgoing queue; nothing is written until flush().
    void queue(std::string_view bytes) { outgoing_.append(bytes); }
    // Writes what the socket takes now; true when the queue is empty.
    bool flush();
    bool has_output() const { return sent_ < outgoing_.size(); }

    // Reads what has arrived and hands each complete message to on_message.
    // Returns false when the server closed the connection.
    bool receive(const std::function<void(std::string_view)>& on_message);

    // Sends one request and waits (up to timeout) for the reply with the same id,
    // answering echo requests meanwhile. Throws ConnectionClosed on close, and
    // std::runtime_error on timeout or a JSON-RPC error.
    nlohmann::json call(const std::string& method, const nlohmann::json& params,
                        std::chrono::milliseconds timeout = std::chrono::minutes(10));

  private:
    explicit RpcConnection(int fd) : fd_(fd) {}

    int fd_ = -1;
    std::string outgoing_;
    std::size_t sent_ = 0;
    JsonTextSplitter splitter_;
    long next_call_id_ = 1'000'000'000;  // apart from the ids workloads use
};

// The reply to an echo request, or empty when the message is not one. Servers may probe
// idle clients; a client that does not answer gets disconnected.
std::optional<std::string> echo_reply_for(const nlohmann::json& message);

}  // namespace vtep::bench
