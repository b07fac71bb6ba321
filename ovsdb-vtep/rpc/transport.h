// A byte stream to one peer (unix or TCP socket; TLS wraps the same interface).
#pragma once

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vtep::rpc {

namespace asio = boost::asio;
using ErrorCode = boost::system::error_code;

class Transport {
  public:
    using Handler = std::function<void(const ErrorCode&, size_t)>;
    virtual ~Transport() = default;
    virtual void async_read_some(asio::mutable_buffer buffer, Handler handler) = 0;
    virtual void async_write(const std::vector<asio::const_buffer>& buffers, Handler handler) = 0;
    virtual void close() = 0;
    // "unix:PATH", "tcp:IP:PORT" — the peer as ovsdb-server names it in logs.
    virtual const std::string& name() const = 0;
    // Network peers get inactivity probes by default; local (unix) ones do not.
    virtual bool is_network() const = 0;
};

// A connected stream socket of any family (AF_UNIX, AF_INET, AF_INET6).
class SocketTransport : public Transport {
  public:
    SocketTransport(asio::generic::stream_protocol::socket socket, std::string name, bool network)
        : socket_(std::move(socket)), name_(std::move(name)), network_(network) {}
    void async_read_some(asio::mutable_buffer buffer, Handler handler) override {
        socket_.async_read_some(buffer, std::move(handler));
    }
    void async_write(const std::vector<asio::const_buffer>& buffers, Handler handler) override {
        asio::async_write(socket_, buffers, std::move(handler));
    }
    void close() override {
        ErrorCode ignored;
        socket_.shutdown(asio::socket_base::shutdown_both, ignored);
        socket_.close(ignored);
    }
    const std::string& name() const override { return name_; }
    bool is_network() const override { return network_; }

  private:
    asio::generic::stream_protocol::socket socket_;
    std::string name_;
    bool network_;
};

}  // namespace vtep::rpc
