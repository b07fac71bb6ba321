// Remotes in ovsdb-server's syntax: passive "punix:PATH", "ptcp:PORT[:IP]",
// "pssl:PORT[:IP]" and active "unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT". Listeners accept
// clients into the server; active remotes connect out and reconnect with exponential
// backoff. TLS remotes take their context from a TlsContextSource.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ovsdb/error.h"
#include "rpc/ovsdb_server.h"
#include "rpc/tls_context.h"

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

// Per-remote settings (a Manager row's max_backoff, inactivity_probe, other_config:dscp).
struct RemoteOptions {
    std::chrono::milliseconds max_backoff{8000};
    std::optional<std::chrono::milliseconds> inactivity_probe;  // unset: the server's
    std::optional<int> dscp;                                    // IP DSCP of the connection
    std::chrono::milliseconds handshake_timeout{10000};         // TLS handshakes
    bool operator==(const RemoteOptions&) const = default;
};

// What a remote reports about itself, as ovsdb-server writes it into Manager:status
// (plus a counter of failed TLS handshakes, which ovsdb-server only logs).
struct RemoteStatus {
    bool is_connected = false;
    std::string state;  // active remotes: "BACKOFF", "CONNECTING", "ACTIVE"
    std::optional<uint64_t> sec_since_connect, sec_since_disconnect;
    std::string last_error;
    std::vector<std::string> locks_held, locks_waiting, locks_lost;
    size_t n_connections = 0;
    uint16_t bound_port = 0;              // passive TCP/TLS remotes
    uint64_t tls_handshake_failures = 0;  // refused or failed TLS handshakes
    // The Manager "status" column: keys present only when they have a value.
    std::map<std::string, std::string> to_status_map() const;
};

// One listening or connecting remote bound to a server. Stops (closing its sessions)
// when destroyed.
class Remote {
  public:
    virtual ~Remote() = default;
    virtual const RemoteSpec& spec() const = 0;
    // "listening on ..." / "ACTIVE" / "backoff: Connection refused": for logs.
    virtual std::string status() const = 0;
    virtual RemoteStatus report() const = 0;
};

// Opens the remote (binds listeners at once, so errors are reported at start). TLS
// remotes need 'tls' (which must outlive the remote); without it they are refused.
std::unique_ptr<Remote> open_remote(asio::io_context& io, OvsdbServer& server,
                                    const RemoteSpec& spec, const RemoteOptions& options = {},
                                    TlsContextSource* tls = nullptr);

}  // namespace vtep::rpc
