// One JSON-RPC 1.0 connection as Open vSwitch speaks it: unframed JSON messages in both
// directions, a bounded send backlog (a peer that stops reading is disconnected instead
// of growing our memory), and inactivity probes (echo requests) on network streams.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "rpc/json_splitter.h"
#include "rpc/message_channel.h"
#include "rpc/transport.h"

namespace vtep::rpc {

struct SessionOptions {
    size_t max_message_bytes = 64ull << 20;   // larger inbound messages close the session
    size_t max_backlog_bytes = 256ull << 20;  // unsent output beyond this closes the session
    // Idle time before we probe the peer with an echo, and again before we give up;
    // zero disables probing. Applies to network streams only.
    std::chrono::milliseconds inactivity_probe{5000};
};

class JsonRpcSession : public MessageChannel, public std::enable_shared_from_this<JsonRpcSession> {
  public:
    JsonRpcSession(asio::io_context& io, std::unique_ptr<Transport> transport,
                   SessionOptions options);
    ~JsonRpcSession();

    void start(MessageHandler on_message, CloseHandler on_close) override;
    void send(const Json& message) override;
    using MessageChannel::send;
    void send_text(std::string text);
    // Closes the stream; the close handler runs later, from the event loop.
    void close(const std::string& reason) override;

    bool closed() const override { return closed_; }
    const std::string& name() const override { return transport_->name(); }
    size_t backlog_bytes() const override { return backlog_; }

  private:
    void read();
    void write();
    void arm_probe();
    void on_data(size_t n);

    asio::io_context& io_;
    std::unique_ptr<Transport> transport_;
    SessionOptions options_;
    JsonSplitter splitter_;
    MessageHandler on_message_;
    CloseHandler on_close_;
    std::array<char, 64 * 1024> read_buffer_;
    std::deque<std::string> queue_;
    size_t backlog_ = 0;
    bool writing_ = false;
    size_t in_flight_ = 0;  // queue_ entries the pending write reads from
    bool closed_ = false;
    asio::steady_timer probe_timer_;
    std::chrono::steady_clock::time_point last_received_;
    bool probe_sent_ = false;
};

}  // namespace vtep::rpc
