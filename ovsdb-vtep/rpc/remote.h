// Remotes in ovsdb-server's syntax: passive "punix:PATH", "ptcp:PORT[:IP]" and active
// "unix:PATH", "tcp:IP:PORT" ("pssl:"/"ssl:" are parsed here and served by the TLS
// layer). Listeners accept clients into the server; active remotes connect out and
// reconnect with exponential backoff.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "ovsdb/error.h"
#include "rpc/ovsdb_server.h"

namespace vtep::rpc {

struct RemoteSpec {
    enum class Kind { PassiveUnix, PassiveTcp, PassiveSsl, ActiveUnix, ActiveTcp, ActiveSsl };
    Kind kind;
    std::string path;  // unix
    std::string host;  // tcp/ssl; empty for "any" on passive remotes
    uint16_t port = 0;
    std::string text;  // as given

    bool passive() const {
        return kind == Kind::PassiveUnix || kind == Kind::PassiveTcp || kind == Kind::PassiveSsl;
    }
    // Parses one remote; the error says what is wrong with it.
    static ovsdb::Result<RemoteSpec> parse(const std::string& text);
};

// One listening or connecting remote bound to a server. Stops when destroyed.
class Remote {
  public:
    virtual ~Remote() = default;
    virtual const RemoteSpec& spec() const = 0;
    // "listening on ..." / "connected" / "connecting (backoff 4 s)": for logs and status.
    virtual std::string status() const = 0;
};

// Opens the remote (binds listeners at once, so errors are reported at start).
std::unique_ptr<Remote> open_remote(
    asio::io_context& io, OvsdbServer& server, const RemoteSpec& spec,
    std::chrono::milliseconds max_backoff = std::chrono::seconds(8));

}  // namespace vtep::rpc
