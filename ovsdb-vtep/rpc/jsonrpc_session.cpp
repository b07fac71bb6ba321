#include "rpc/jsonrpc_session.h"

#include <boost/asio/ssl/error.hpp>
#include <iostream>

#include "ovsdb/json_reader.h"
#include "ovsdb/json_text.h"

namespace vtep::rpc {

JsonRpcSession::JsonRpcSession(asio::io_context& io, std::unique_ptr<Transport> transport,
                               SessionOptions options)
    : io_(io),
      transport_(std::move(transport)),
      options_(options),
      splitter_(options.max_message_bytes),
      probe_timer_(io) {}

JsonRpcSession::~JsonRpcSession() {
    transport_->close();
}

void JsonRpcSession::start(MessageHandler on_message, CloseHandler on_close) {
    on_message_ = std::move(on_message);
    on_close_ = std::move(on_close);
    last_received_ = std::chrono::steady_clock::now();
    read();
    if (transport_->is_network() && options_.inactivity_probe.count() > 0) arm_probe();
}

void JsonRpcSession::close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    probe_timer_.cancel();
    transport_->close();
    // A write in progress still reads from the first in_flight_ strings (a TLS stream
    // resumes its write operation after the socket is closed): they stay until its
    // handler runs; the rest goes now.
    queue_.resize(writing_ ? in_flight_ : 0);
    backlog_ = 0;
    auto handler = std::move(on_close_);
    on_message_ = nullptr;
    // Reported from the event loop, never from inside close(): close() runs within send()
    // when the backlog cap is hit, and the server may be iterating its own structures
    // for this session at that moment.
    if (handler) asio::post(io_, [handler = std::move(handler), reason] { handler(reason); });
}

void JsonRpcSession::read() {
    auto self = shared_from_this();
    transport_->async_read_some(
        asio::buffer(read_buffer_), [this, self](const ErrorCode& ec, size_t n) {
            if (closed_) return;
            if (ec) {
                // A TLS peer that closes without close_notify ends the same way.
                close(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated
                          ? "connection closed by peer"
                          : ec.message());
                return;
            }
            on_data(n);
            if (!closed_) read();
        });
}

void JsonRpcSession::on_data(size_t n) {
    last_received_ = std::chrono::steady_clock::now();
    probe_sent_ = false;
    std::string_view input(read_buffer_.data(), n);
    while (!input.empty() && !closed_) {
        auto text = splitter_.feed(input);
        if (splitter_.failed()) {
            close("protocol error: " + splitter_.error());
            return;
        }
        if (!text) break;
        Json message;
        try {
            message = ovsdb::read_json(*text);
        } catch (const std::exception& e) {
            // The stream cannot be resynchronised after bad JSON (ovsdb-server, too,
            // drops the connection).
            close(std::string("protocol error: invalid JSON: ") + e.what());
            return;
        }
        if (on_message_) on_message_(std::move(message));
    }
}

void JsonRpcSession::send(const Json& message) {
    if (closed_) return;
    // Open vSwitch's number formatting (reals as %.15g): clients compare the text.
    send_text(ovsdb::json_text(message));
}

void JsonRpcSession::send_text(std::string text) {
    if (closed_) return;
    backlog_ += text.size();
    queue_.push_back(std::move(text));
    if (backlog_ > options_.max_backlog_bytes && queue_.size() > 1) {
        close("send backlog of " + std::to_string(backlog_) + " bytes exceeds the limit of " +
              std::to_string(options_.max_backlog_bytes) + " (peer is not reading)");
        return;
    }
    if (!writing_) write();
}

void JsonRpcSession::write() {
    if (queue_.empty() || closed_) {
        writing_ = false;
        return;
    }
    writing_ = true;
    // Gather what is queued into one write; messages queued meanwhile wait for the next.
    std::vector<asio::const_buffer> buffers;
    size_t n = std::min<size_t>(queue_.size(), 64);
    for (size_t i = 0; i < n; ++i) buffers.push_back(asio::buffer(queue_[i]));
    auto self = shared_from_this();
    in_flight_ = n;
    transport_->async_write(buffers, [this, self, n](const ErrorCode& ec, size_t) {
        in_flight_ = 0;
        if (closed_) {
            writing_ = false;
            queue_.clear();
            return;
        }
        if (ec) {
            close("send failed: " + ec.message());
            return;
        }
        for (size_t i = 0; i < n; ++i) {
            backlog_ -= queue_.front().size();
            queue_.pop_front();
        }
        write();
    });
}

void JsonRpcSession::arm_probe() {
    // Fires when the peer has been silent for a whole interval since its last message (or
    // since our probe): the deadline moves with every message received.
    auto interval = options_.inactivity_probe;
    probe_timer_.expires_at(last_received_ + interval);
    auto self = shared_from_this();
    probe_timer_.async_wait([this, self, interval](const ErrorCode& ec) {
        if (ec || closed_) return;
        if (std::chrono::steady_clock::now() - last_received_ >= interval) {
            if (probe_sent_) {
                close("no response to inactivity probe after " +
                      std::to_string(interval.count() * 2 / 1000) + " seconds, disconnecting");
                return;
            }
            send(Json{{"method", "echo"}, {"params", Json::array()}, {"id", "echo"}});
            probe_sent_ = true;
            last_received_ = std::chrono::steady_clock::now();
        }
        arm_probe();
    });
}

}  // namespace vtep::rpc
