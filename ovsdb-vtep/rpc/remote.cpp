#include "rpc/remote.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <stdexcept>

#include "rpc/tls_transport.h"

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

constexpr const char* kNoTls =
    "TLS remotes need --private-key, --certificate and --ca-cert (or the \"tls\" "
    "configuration section)";

std::string endpoint_name(const char* type, const asio::ip::tcp::endpoint& ep) {
    std::string address = ep.address().to_string();
    if (ep.address().is_v6()) address = "[" + address + "]";
    return std::string(type) + ":" + address + ":" + std::to_string(ep.port());
}

// IP DSCP for a connection (Manager other_config:dscp), as ovsdb-server sets it.
void set_dscp(asio::ip::tcp::socket& socket, std::optional<int> dscp) {
    if (!dscp) return;
    int tos = *dscp << 2;
    ErrorCode ignored;
    bool v6 = socket.local_endpoint(ignored).address().is_v6();
    ::setsockopt(socket.native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS,
                 &tos, sizeof tos);
}

generic_socket to_generic(asio::io_context& io, asio::ip::tcp::socket socket) {
    ErrorCode ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    int family = socket.local_endpoint(ignored).address().is_v6() ? AF_INET6 : AF_INET;
    int fd = socket.release();
    return generic_socket(io, asio::generic::stream_protocol(family, SOCK_STREAM), fd);
}

SessionOptions session_options_for(const OvsdbServer& server, const RemoteOptions& options) {
    SessionOptions s = server.session_options();
    if (options.inactivity_probe) s.inactivity_probe = *options.inactivity_probe;
    return s;
}

// The outcome of a TLS handshake: a transport to serve, or why there is none.
struct Handshake {
    std::unique_ptr<Transport> transport;
    std::string error;
    bool bootstrapped = false;  // the CA was just bootstrapped: reconnect at once
};

// Runs a TLS handshake with a deadline; 'done' runs from the event loop.
void tls_handshake(asio::io_context& io, TlsContextSource& tls, generic_socket socket,
                   std::string name, asio::ssl::stream_base::handshake_type role,
                   std::chrono::milliseconds timeout, std::function<void(Handshake)> done) {
    auto context = tls.context();
    if (!context) {
        asio::post(io, [done, why = context.error().details] { done({nullptr, why, false}); });
        return;
    }
    struct State {
        std::shared_ptr<asio::ssl::context> context;
        std::unique_ptr<TlsStream> stream;
        asio::steady_timer timer;
        bool timed_out = false;
    };
    auto st = std::make_shared<State>(
        State{*context, std::make_unique<TlsStream>(std::move(socket), **context),
              asio::steady_timer(io), false});
    bool bootstrap = role == asio::ssl::stream_base::client && tls.bootstrapping();
    if (bootstrap) st->stream->set_verify_mode(asio::ssl::verify_none);
    st->timer.expires_after(timeout);
    st->timer.async_wait([st](const ErrorCode& ec) {
        if (ec) return;
        st->timed_out = true;
        ErrorCode ignored;
        st->stream->lowest_layer().close(ignored);
    });
    TlsStream& stream = *st->stream;
    stream.async_handshake(role, [st, &tls, bootstrap, name = std::move(name),
                                  done = std::move(done)](const ErrorCode& ec) {
        st->timer.cancel();
        if (ec) {
            done({nullptr,
                  st->timed_out ? "TLS handshake timed out"
                                : "TLS handshake failed: " +
                                      describe_tls_error(ec, st->stream->native_handle()),
                  false});
            return;
        }
        if (bootstrap) {
            auto saved = tls.bootstrap_from(st->stream->native_handle());
            done({nullptr,
                  saved ? "CA certificate bootstrapped; reconnecting to verify the peer"
                        : saved.error().details,
                  bool(saved)});
            return;
        }
        done({std::make_unique<TlsTransport>(st->context, std::move(st->stream), name), "", false});
    });
}

// Accepts clients on a unix, TCP or TLS socket and serves each as its own session.
class Listener : public Remote {
  public:
    Listener(asio::io_context& io, OvsdbServer& server, RemoteSpec spec, RemoteOptions options,
             TlsContextSource* tls)
        : io_(io),
          server_(server),
          spec_(std::move(spec)),
          options_(std::move(options)),
          tls_(tls),
          unix_acceptor_(io),
          tcp_acceptor_(io) {
        if (spec_.kind == RemoteSpec::Kind::PassiveUnix) {
            ::unlink(spec_.path.c_str());  // a stale socket from a previous run
            asio::local::stream_protocol::endpoint ep(spec_.path);
            unix_acceptor_.open(ep.protocol());
            unix_acceptor_.bind(ep);
            unix_acceptor_.listen();
            ::chmod(spec_.path.c_str(), 0770);
            accept_unix();
            return;
        }
        if (spec_.kind == RemoteSpec::Kind::PassiveSsl) {
            if (!tls_) throw std::runtime_error("remote \"" + spec_.text + "\": " + kNoTls);
            if (auto ctx = tls_->context(); !ctx)
                throw std::runtime_error("remote \"" + spec_.text + "\": " + ctx.error().details);
        }
        asio::ip::address address = spec_.host.empty()
                                        ? asio::ip::address(asio::ip::address_v4::any())
                                        : asio::ip::make_address(spec_.host);
        asio::ip::tcp::endpoint ep(address, spec_.port);
        tcp_acceptor_.open(ep.protocol());
        tcp_acceptor_.set_option(asio::socket_base::reuse_address(true));
        tcp_acceptor_.bind(ep);
        tcp_acceptor_.listen();
        accept_tcp();
    }
    ~Listener() override {
        *alive_ = false;
        for (auto id : sessions_) server_.disconnect(id, "remote " + spec_.text + " removed");
        ErrorCode ignored;
        unix_acceptor_.close(ignored);
        tcp_acceptor_.close(ignored);
        if (spec_.kind == RemoteSpec::Kind::PassiveUnix) ::unlink(spec_.path.c_str());
    }
    const RemoteSpec& spec() const override { return spec_; }
    std::string status() const override {
        std::string s = "listening on " + spec_.text;
        if (spec_.kind != RemoteSpec::Kind::PassiveUnix && spec_.port == 0)
            s += " (port " + std::to_string(bound_port()) + ")";
        return s;
    }
    RemoteStatus report() const override {
        RemoteStatus r;
        r.n_connections = sessions_.size();
        r.is_connected = !sessions_.empty();
        r.bound_port = bound_port();
        r.last_error = last_error_;
        r.tls_handshake_failures = tls_failures_;
        return r;
    }

  private:
    uint16_t bound_port() const {
        ErrorCode ignored;
        return tcp_acceptor_.is_open() ? tcp_acceptor_.local_endpoint(ignored).port() : 0;
    }
    void accept_unix() {
        unix_acceptor_.async_accept([this, alive = alive_](const ErrorCode& ec,
                                                           asio::local::stream_protocol::socket s) {
            if (!*alive || ec == asio::error::operation_aborted) return;
            if (!ec) {
                int fd = s.release();
                serve(std::make_unique<SocketTransport>(
                    generic_socket(io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd),
                    "unix:" + spec_.path, false));
            }
            accept_unix();
        });
    }
    void accept_tcp() {
        tcp_acceptor_.async_accept([this, alive = alive_](const ErrorCode& ec,
                                                          asio::ip::tcp::socket s) {
            if (!*alive || ec == asio::error::operation_aborted) return;
            if (!ec) {
                ErrorCode ignored;
                bool ssl = spec_.kind == RemoteSpec::Kind::PassiveSsl;
                std::string name = endpoint_name(ssl ? "ssl" : "tcp", s.remote_endpoint(ignored));
                set_dscp(s, options_.dscp);
                generic_socket g = to_generic(io_, std::move(s));
                if (!ssl) {
                    serve(std::make_unique<SocketTransport>(std::move(g), name, true));
                } else {
                    tls_handshake(io_, *tls_, std::move(g), name, asio::ssl::stream_base::server,
                                  options_.handshake_timeout, [this, alive, name](Handshake h) {
                                      if (!*alive) return;
                                      if (h.transport) return serve(std::move(h.transport));
                                      ++tls_failures_;
                                      last_error_ = h.error;
                                      server_.log(spec_.text + ": " + name + ": " + h.error);
                                  });
                }
            } else {
                last_error_ = ec.message();
            }
            accept_tcp();
        });
    }
    void serve(std::unique_ptr<Transport> transport) {
        SessionOptions options = session_options_for(server_, options_);
        auto id = std::make_shared<OvsdbServer::SessionId>(0);
        *id = server_.accept(
            std::move(transport),
            [this, alive = alive_, id](const std::string& reason) {
                if (!*alive) return;
                sessions_.erase(*id);
                // A client leaving is normal; the server dropping one (backlog over the
                // limit, probe unanswered, bad input) is worth showing in the status.
                if (reason != "connection closed by peer") last_error_ = reason;
            },
            &options);
        sessions_.insert(*id);
    }

    asio::io_context& io_;
    OvsdbServer& server_;
    RemoteSpec spec_;
    RemoteOptions options_;
    TlsContextSource* tls_;
    asio::local::stream_protocol::acceptor unix_acceptor_;
    asio::ip::tcp::acceptor tcp_acceptor_;
    std::set<OvsdbServer::SessionId> sessions_;
    std::string last_error_;
    uint64_t tls_failures_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Connects out, serves the database on the connection, and reconnects after it drops,
// waiting 1 s, then twice as long each time up to max_backoff.
class ActiveRemote : public Remote {
  public:
    ActiveRemote(asio::io_context& io, OvsdbServer& server, RemoteSpec spec, RemoteOptions options,
                 TlsContextSource* tls)
        : io_(io),
          server_(server),
          spec_(std::move(spec)),
          options_(std::move(options)),
          tls_(tls),
          timer_(io) {
        if (spec_.kind == RemoteSpec::Kind::ActiveSsl && !tls_)
            throw std::runtime_error("remote \"" + spec_.text + "\": " + kNoTls);
        connect();
    }
    ~ActiveRemote() override {
        *alive_ = false;
        if (session_) server_.disconnect(session_, "remote " + spec_.text + " removed");
        if (socket_) {
            ErrorCode ignored;
            socket_->close(ignored);
        }
    }
    const RemoteSpec& spec() const override { return spec_; }
    std::string status() const override {
        if (state_ == "ACTIVE") return "connected to " + spec_.text;
        if (state_ == "CONNECTING") return "connecting to " + spec_.text;
        return "waiting to reconnect to " + spec_.text +
               (last_error_.empty() ? "" : " (" + last_error_ + ")");
    }
    RemoteStatus report() const override {
        RemoteStatus r;
        auto now = std::chrono::steady_clock::now();
        auto secs = [&](std::chrono::steady_clock::time_point t) {
            return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(now - t).count());
        };
        r.state = state_;
        r.is_connected = session_ != 0;
        r.n_connections = session_ != 0 ? 1 : 0;
        if (connected_at_) r.sec_since_connect = secs(*connected_at_);
        if (disconnected_at_) r.sec_since_disconnect = secs(*disconnected_at_);
        r.last_error = last_error_;
        r.tls_handshake_failures = tls_failures_;
        if (session_) {
            auto locks = server_.session_locks(session_);
            r.locks_held = locks.held;
            r.locks_waiting = locks.waiting;
            r.locks_lost = locks.lost;
        }
        return r;
    }

  private:
    void connect() {
        state_ = "CONNECTING";
        auto alive = alive_;
        if (spec_.kind == RemoteSpec::Kind::ActiveUnix) {
            auto sock = std::make_shared<asio::local::stream_protocol::socket>(io_);
            sock->async_connect(
                asio::local::stream_protocol::endpoint(spec_.path),
                [this, alive, sock](const ErrorCode& ec) {
                    if (!*alive) return;
                    if (ec) return retry(ec.message());
                    int fd = sock->release();
                    connected(std::make_unique<SocketTransport>(
                        generic_socket(io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM),
                                       fd),
                        "unix:" + spec_.path, false));
                });
            return;
        }
        ErrorCode ec;
        asio::ip::address address = asio::ip::make_address(spec_.host, ec);
        if (ec) return retry("bad address " + spec_.host);
        socket_ = std::make_shared<asio::ip::tcp::socket>(io_);
        asio::ip::tcp::endpoint ep(address, spec_.port);
        socket_->open(ep.protocol(), ec);
        if (ec) return retry(ec.message());
        set_dscp(*socket_, options_.dscp);
        socket_->async_connect(ep, [this, alive, sock = socket_](const ErrorCode& ec2) {
            if (!*alive) return;
            socket_.reset();
            if (ec2) return retry(ec2.message());
            generic_socket g = to_generic(io_, std::move(*sock));
            if (spec_.kind == RemoteSpec::Kind::ActiveTcp)
                return connected(std::make_unique<SocketTransport>(std::move(g), spec_.text, true));
            tls_handshake(io_, *tls_, std::move(g), spec_.text, asio::ssl::stream_base::client,
                          options_.handshake_timeout, [this, alive](Handshake h) {
                              if (!*alive) return;
                              if (h.transport) return connected(std::move(h.transport));
                              if (!h.bootstrapped) ++tls_failures_;
                              server_.log(spec_.text + ": " + h.error);
                              if (h.bootstrapped) {
                                  last_error_ = h.error;
                                  return connect();
                              }
                              retry(h.error);
                          });
        });
    }
    void connected(std::unique_ptr<Transport> transport) {
        state_ = "ACTIVE";
        last_error_.clear();
        connected_at_ = std::chrono::steady_clock::now();
        backoff_ = std::chrono::milliseconds(1000);
        SessionOptions options = session_options_for(server_, options_);
        server_.log(spec_.text + ": connected");
        session_ = server_.accept(
            std::move(transport),
            [this, alive = alive_](const std::string& reason) {
                if (!*alive) return;
                session_ = 0;
                disconnected_at_ = std::chrono::steady_clock::now();
                retry(reason);
            },
            &options);
    }
    void retry(const std::string& reason) {
        state_ = "BACKOFF";
        last_error_ = reason;
        timer_.expires_after(backoff_);
        timer_.async_wait([this, alive = alive_](const ErrorCode& ec) {
            if (!ec && *alive) connect();
        });
        backoff_ =
            std::min(backoff_ * 2, std::max(options_.max_backoff, std::chrono::milliseconds(1000)));
    }

    asio::io_context& io_;
    OvsdbServer& server_;
    RemoteSpec spec_;
    RemoteOptions options_;
    TlsContextSource* tls_;
    asio::steady_timer timer_;
    std::shared_ptr<asio::ip::tcp::socket> socket_;  // while connecting
    std::chrono::milliseconds backoff_{1000};
    std::string state_;
    std::string last_error_;
    uint64_t tls_failures_ = 0;
    OvsdbServer::SessionId session_ = 0;
    std::optional<std::chrono::steady_clock::time_point> connected_at_, disconnected_at_;
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
        if (port.empty()) port = "6640";
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

std::map<std::string, std::string> RemoteStatus::to_status_map() const {
    auto join = [](const std::vector<std::string>& names) {
        std::string out;
        for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
        return out;
    };
    std::map<std::string, std::string> m;
    if (!state.empty()) m["state"] = state;
    if (sec_since_connect) m["sec_since_connect"] = std::to_string(*sec_since_connect);
    if (sec_since_disconnect) m["sec_since_disconnect"] = std::to_string(*sec_since_disconnect);
    if (!last_error.empty()) m["last_error"] = last_error;
    if (!locks_held.empty()) m["locks_held"] = join(locks_held);
    if (!locks_waiting.empty()) m["locks_waiting"] = join(locks_waiting);
    if (!locks_lost.empty()) m["locks_lost"] = join(locks_lost);
    if (n_connections > 1) m["n_connections"] = std::to_string(n_connections);
    if (bound_port) m["bound_port"] = std::to_string(bound_port);
    if (tls_handshake_failures)
        m["tls_handshake_failures"] = std::to_string(tls_handshake_failures);
    return m;
}

std::unique_ptr<Remote> open_remote(asio::io_context& io, OvsdbServer& server,
                                    const RemoteSpec& spec, const RemoteOptions& options,
                                    TlsContextSource* tls) {
    if (spec.passive()) return std::make_unique<Listener>(io, server, spec, options, tls);
    return std::make_unique<ActiveRemote>(io, server, spec, options, tls);
}

}  // namespace vtep::rpc
