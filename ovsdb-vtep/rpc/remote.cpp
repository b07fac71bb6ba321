#include "rpc/remote.h"

#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace vtep::rpc {
namespace {

using generic_socket = asio::generic::stream_protocol::socket;

bool parse_port(const std::string& s, uint16_t& port) {
    if (s.empty() || s.size() > 5) return false;
    unsigned long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + unsigned(c - '0');
    }
    if (v > 65535) return false;
    port = uint16_t(v);
    return true;
}

// "[IPv6]" → "IPv6"
std::string unbracket(const std::string& host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        return host.substr(1, host.size() - 2);
    return host;
}

// Splits "A:B" where A may be a bracketed IPv6 address.
bool split_host_port(const std::string& s, std::string& first, std::string& second) {
    size_t colon = s[0] == '[' ? s.find(':', s.find(']')) : s.rfind(':');
    if (colon == std::string::npos) return false;
    first = s.substr(0, colon);
    second = s.substr(colon + 1);
    return true;
}

class UnixListener : public Remote {
  public:
    UnixListener(asio::io_context& io, OvsdbServer& server, RemoteSpec spec)
        : io_(io), server_(server), spec_(std::move(spec)), acceptor_(io) {
        ::unlink(spec_.path.c_str());  // a stale socket from a previous run
        asio::local::stream_protocol::endpoint ep(spec_.path);
        acceptor_.open(ep.protocol());
        acceptor_.bind(ep);
        acceptor_.listen();
        ::chmod(spec_.path.c_str(), 0770);
        accept();
    }
    ~UnixListener() override {
        ErrorCode ignored;
        acceptor_.close(ignored);
        ::unlink(spec_.path.c_str());
    }
    const RemoteSpec& spec() const override { return spec_; }
    std::string status() const override { return "listening on " + spec_.text; }

  private:
    void accept() {
        acceptor_.async_accept([this](const ErrorCode& ec, asio::local::stream_protocol::socket s) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) {
                int fd = s.release();
                generic_socket g(io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd);
                server_.accept(
                    std::make_unique<SocketTransport>(std::move(g), "unix:" + spec_.path, false));
            }
            accept();
        });
    }
    asio::io_context& io_;
    OvsdbServer& server_;
    RemoteSpec spec_;
    asio::local::stream_protocol::acceptor acceptor_;
};

class TcpListener : public Remote {
  public:
    TcpListener(asio::io_context& io, OvsdbServer& server, RemoteSpec spec)
        : io_(io), server_(server), spec_(std::move(spec)), acceptor_(io) {
        asio::ip::address address = spec_.host.empty()
                                        ? asio::ip::address(asio::ip::address_v4::any())
                                        : asio::ip::make_address(spec_.host);
        asio::ip::tcp::endpoint ep(address, spec_.port);
        acceptor_.open(ep.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen();
        accept();
    }
    ~TcpListener() override {
        ErrorCode ignored;
        acceptor_.close(ignored);
    }
    const RemoteSpec& spec() const override { return spec_; }
    std::string status() const override { return "listening on " + spec_.text; }
    uint16_t bound_port() const { return acceptor_.local_endpoint().port(); }

  private:
    void accept() {
        acceptor_.async_accept([this](const ErrorCode& ec, asio::ip::tcp::socket s) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) {
                ErrorCode ignored;
                s.set_option(asio::ip::tcp::no_delay(true), ignored);
                auto peer = s.remote_endpoint(ignored);
                std::string name =
                    "tcp:" + peer.address().to_string() + ":" + std::to_string(peer.port());
                int family = peer.address().is_v6() ? AF_INET6 : AF_INET;
                int fd = s.release();
                generic_socket g(io_, asio::generic::stream_protocol(family, SOCK_STREAM), fd);
                server_.accept(std::make_unique<SocketTransport>(std::move(g), name, true));
            }
            accept();
        });
    }
    asio::io_context& io_;
    OvsdbServer& server_;
    RemoteSpec spec_;
    asio::ip::tcp::acceptor acceptor_;
};

// Connects out, serves the database on the connection, and reconnects after it drops.
class ActiveRemote : public Remote {
  public:
    ActiveRemote(asio::io_context& io, OvsdbServer& server, RemoteSpec spec,
                 std::chrono::milliseconds max_backoff)
        : io_(io), server_(server), spec_(std::move(spec)), timer_(io), max_backoff_(max_backoff) {
        connect();
    }
    ~ActiveRemote() override { *alive_ = false; }
    const RemoteSpec& spec() const override { return spec_; }
    std::string status() const override { return state_; }

  private:
    void connect() {
        state_ = "connecting";
        auto alive = alive_;
        if (spec_.kind == RemoteSpec::Kind::ActiveUnix) {
            auto sock = std::make_shared<asio::local::stream_protocol::socket>(io_);
            sock->async_connect(
                asio::local::stream_protocol::endpoint(spec_.path),
                [this, alive, sock](const ErrorCode& ec) {
                    if (!*alive) return;
                    if (ec) return retry(ec.message());
                    int fd = sock->release();
                    connected(generic_socket(
                                  io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd),
                              "unix:" + spec_.path, false);
                });
        } else {
            auto sock = std::make_shared<asio::ip::tcp::socket>(io_);
            ErrorCode ec;
            asio::ip::address address = asio::ip::make_address(spec_.host, ec);
            if (ec) return retry("bad address " + spec_.host);
            sock->async_connect(
                asio::ip::tcp::endpoint(address, spec_.port),
                [this, alive, sock, address](const ErrorCode& ec2) {
                    if (!*alive) return;
                    if (ec2) return retry(ec2.message());
                    ErrorCode ignored;
                    sock->set_option(asio::ip::tcp::no_delay(true), ignored);
                    int fd = sock->release();
                    connected(generic_socket(io_,
                                             asio::generic::stream_protocol(
                                                 address.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM),
                                             fd),
                              spec_.text, true);
                });
        }
    }
    void connected(generic_socket socket, const std::string& name, bool network) {
        state_ = "connected";
        backoff_ = std::chrono::milliseconds(1000);
        auto alive = alive_;
        server_.accept(std::make_unique<SocketTransport>(std::move(socket), name, network),
                       [this, alive](const std::string& reason) {
                           if (*alive) retry(reason);
                       });
    }
    void retry(const std::string& reason) {
        state_ = "backoff: " + reason;
        timer_.expires_after(backoff_);
        auto alive = alive_;
        timer_.async_wait([this, alive](const ErrorCode& ec) {
            if (!ec && *alive) connect();
        });
        backoff_ = std::min(backoff_ * 2, max_backoff_);
    }
    asio::io_context& io_;
    OvsdbServer& server_;
    RemoteSpec spec_;
    asio::steady_timer timer_;
    std::chrono::milliseconds backoff_{1000};
    std::chrono::milliseconds max_backoff_;
    std::string state_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

ovsdb::Result<RemoteSpec> RemoteSpec::parse(const std::string& text) {
    RemoteSpec spec;
    spec.text = text;
    auto bad = [&](const std::string& why) {
        return ovsdb::make_error("syntax error", "remote \"" + text + "\": " + why);
    };
    size_t colon = text.find(':');
    if (colon == std::string::npos) return bad("expected TYPE:ARGS (e.g. punix:PATH, ptcp:6640)");
    std::string type = text.substr(0, colon), rest = text.substr(colon + 1);
    if (type == "punix" || type == "unix") {
        if (rest.empty()) return bad("missing socket path");
        spec.kind = type == "punix" ? Kind::PassiveUnix : Kind::ActiveUnix;
        spec.path = rest;
        return spec;
    }
    if (type == "ptcp" || type == "pssl") {
        spec.kind = type == "ptcp" ? Kind::PassiveTcp : Kind::PassiveSsl;
        std::string port = rest, host;
        if (size_t c = rest.find(':'); c != std::string::npos) {
            port = rest.substr(0, c);
            host = unbracket(rest.substr(c + 1));
        }
        if (port.empty()) port = type == "ptcp" ? "6640" : "6640";
        if (!parse_port(port, spec.port)) return bad("bad port \"" + port + "\"");
        spec.host = host;
        return spec;
    }
    if (type == "tcp" || type == "ssl") {
        spec.kind = type == "tcp" ? Kind::ActiveTcp : Kind::ActiveSsl;
        std::string host, port;
        if (!split_host_port(rest, host, port)) {
            host = rest;
            port = "6640";
        }
        if (host.empty()) return bad("missing host");
        if (!parse_port(port, spec.port)) return bad("bad port \"" + port + "\"");
        spec.host = unbracket(host);
        return spec;
    }
    return bad("unknown type \"" + type + "\" (expected punix, ptcp, pssl, unix, tcp or ssl)");
}

std::unique_ptr<Remote> open_remote(asio::io_context& io, OvsdbServer& server,
                                    const RemoteSpec& spec, std::chrono::milliseconds max_backoff) {
    switch (spec.kind) {
        case RemoteSpec::Kind::PassiveUnix:
            return std::make_unique<UnixListener>(io, server, spec);
        case RemoteSpec::Kind::PassiveTcp:
            return std::make_unique<TcpListener>(io, server, spec);
        case RemoteSpec::Kind::ActiveUnix:
        case RemoteSpec::Kind::ActiveTcp:
            return std::make_unique<ActiveRemote>(io, server, spec, max_backoff);
        default:
            throw std::runtime_error("remote \"" + spec.text +
                                     "\": TLS remotes are not supported by this build yet");
    }
}

}  // namespace vtep::rpc
