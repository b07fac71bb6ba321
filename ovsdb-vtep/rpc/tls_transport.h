// A TLS stream (after its handshake) as a Transport for a JSON-RPC session.
#pragma once

#include <boost/asio/ssl.hpp>

#include "rpc/transport.h"

namespace vtep::rpc {

using TlsStream = asio::ssl::stream<asio::generic::stream_protocol::socket>;

class TlsTransport : public Transport {
  public:
    TlsTransport(std::shared_ptr<asio::ssl::context> context, std::unique_ptr<TlsStream> stream,
                 std::string name)
        : context_(std::move(context)), stream_(std::move(stream)), name_(std::move(name)) {}
    void async_read_some(asio::mutable_buffer buffer, Handler handler) override {
        stream_->async_read_some(buffer, std::move(handler));
    }
    void async_write(const std::vector<asio::const_buffer>& buffers, Handler handler) override {
        asio::async_write(*stream_, buffers, std::move(handler));
    }
    // No TLS close_notify: a peer that stopped reading must not keep us waiting.
    void close() override {
        ErrorCode ignored;
        stream_->lowest_layer().shutdown(asio::socket_base::shutdown_both, ignored);
        stream_->lowest_layer().close(ignored);
    }
    const std::string& name() const override { return name_; }
    bool is_network() const override { return true; }

  private:
    std::shared_ptr<asio::ssl::context> context_;  // outlives the stream made from it
    std::unique_ptr<TlsStream> stream_;
    std::string name_;
};

}  // namespace vtep::rpc
