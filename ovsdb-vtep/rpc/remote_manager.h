// The set of remotes a server runs: fixed ones (command line, configuration) and, like
// ovsdb-server's --remote=db:DB,TABLE,COLUMN, those named in the database itself (for
// hardware_vtep, Global:managers → Manager rows). Every commit to a database that feeds
// remotes reconciles the set: a new row opens a connection, a changed target or option
// reopens it, a removed row closes it, without restarting anything else. Manager rows'
// is_connected and status columns are kept current (checked twice a second and written
// when something an operator would notice changed).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rpc/remote.h"

namespace vtep::rpc {

class RemoteManager {
  public:
    RemoteManager(asio::io_context& io, OvsdbServer& server, TlsContextSource* tls,
                  RemoteOptions defaults);
    ~RemoteManager();

    // A fixed remote ("ptcp:6640", "ssl:10.0.0.1:6640") or a database column
    // ("db:hardware_vtep,Global,managers"). Fixed remotes open at once and an error (a port
    // in use, no TLS files) is returned; a database column is checked against the schema.
    ovsdb::Status add(const std::string& text);

    // Stops a remote added with add() (a db: source closes all the remotes it opened).
    ovsdb::Status remove(const std::string& text);
    // The remotes as configured (fixed ones and db: sources), sorted.
    std::vector<std::string> configured() const;

    // The remotes open now, by target (for logs and tests).
    std::vector<std::pair<std::string, std::string>> describe() const;

  private:
    struct DbSource {
        std::string text, db, table, column;
    };
    struct Desired {
        RemoteOptions options;
        bool from_db = false;
    };
    struct Open {
        std::unique_ptr<Remote> remote;  // null when opening failed
        RemoteOptions options;
        bool from_db = false;
        std::string error;  // why it could not be opened
    };

    void schedule_reconcile();
    void reconcile();
    std::map<std::string, Desired> desired_db_remotes() const;
    void update_status();

    asio::io_context& io_;
    OvsdbServer& server_;
    TlsContextSource* tls_;
    RemoteOptions defaults_;
    std::vector<DbSource> sources_;
    std::map<std::string, Open> open_;
    bool reconcile_posted_ = false;
    asio::steady_timer status_timer_;
    std::chrono::steady_clock::time_point last_status_write_{};
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vtep::rpc
