// The OVSDB server: the databases it serves (with their storage), the sessions of its
// clients, and the RFC 7047 / ovsdb-server methods (transact with "wait" triggers,
// monitor*, lock/steal/unlock, echo, list_dbs, get_schema, ...), plus the _Server
// database that Open vSwitch clients read to learn about the others.
#pragma once

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "ovsdb/execution.h"
#include "ovsdb/monitor.h"
#include "ovsdb/storage.h"
#include "rpc/jsonrpc_session.h"
#include "rpc/lock_table.h"

namespace vtep::rpc {

using ovsdb::Database;

class OvsdbServer {
  public:
    explicit OvsdbServer(asio::io_context& io, SessionOptions session_options = {});
    ~OvsdbServer();

    // Serves a database kept in 'storage' (durable), or an in-memory one.
    void add_database(std::unique_ptr<ovsdb::Storage> storage);
    void add_memory_database(std::unique_ptr<Database> db);
    Database* find_database(const std::string& name);

    using SessionId = uint64_t;
    using CloseHandler = std::function<void(const std::string&)>;

    // Takes a connected stream; the session lives until either side closes it.
    // 'on_close' (optional) learns why the session ended. 'options' overrides the
    // server's session options for this connection (a Manager row's inactivity_probe).
    SessionId accept(std::unique_ptr<Transport> transport, CloseHandler on_close = nullptr,
                     const SessionOptions* options = nullptr);
    // Serves a client over any channel (a stream session or one end of a local pair).
    SessionId accept(std::shared_ptr<MessageChannel> channel, CloseHandler on_close = nullptr);
    // An in-process client (the VTEP agent): returns the client's end of a LocalChannel
    // pair whose other end this server serves like any connection, without JSON text.
    std::shared_ptr<MessageChannel> connect_local(const std::string& client_name);

    // Local transactions (the VTEP agent, tests): as a client's "transact" would commit,
    // notifying monitors. Returns the result array (wait operations are not supported).
    Json transact(const Json& params);

    // The locks a session holds, waits for, and has lost to a "steal" (for Manager status).
    struct SessionLocks {
        std::vector<std::string> held, waiting, lost;
    };
    SessionLocks session_locks(SessionId id) const;
    // Closes a session (its remote was removed or reconfigured).
    void disconnect(SessionId id, const std::string& reason);
    // Closes every session; clients reconnect (ovs-appctl ovsdb-server/reconnect).
    void disconnect_all(const std::string& reason);
    // Names of the databases served, _Server included, sorted.
    std::vector<std::string> database_names() const;
    // Starts compacting one durable database, or all of them for an empty name.
    ovsdb::Status compact(const std::string& db);
    size_t monitor_count() const;

    // Called after every commit to 'db' (the Manager table drives remotes through this).
    void add_commit_listener(std::function<void(const std::string& db)> listener) {
        commit_listeners_.push_back(std::move(listener));
    }
    void log(const std::string& message) const {
        if (log_) log_(message);
    }

    size_t session_count() const { return sessions_.size(); }
    const SessionOptions& session_options() const { return session_options_; }
    void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }

  private:
    struct Session;
    struct ClientMonitor {
        Json id;
        std::string db;
        ovsdb::Monitor monitor;
        uint64_t flushed_seq = 0;  // the last change batch this monitor has reported
    };
    // The row changes of one commit, kept until every monitor has reported them.
    struct ChangeBatch {
        uint64_t seq;
        std::string db;
        std::vector<ovsdb::RowChange> changes;
    };
    struct Trigger {
        Json request_id;
        std::string db;
        Json params;
        std::chrono::steady_clock::time_point created;
        std::chrono::steady_clock::time_point deadline;
    };
    struct DbEntry {
        std::unique_ptr<ovsdb::Storage> storage;  // null for in-memory databases
        std::unique_ptr<Database> memory;
        Database* db = nullptr;
    };

    void handle(Session& s, Json&& message);
    void handle_request(Session& s, const std::string& method, const Json& params, const Json& id);
    Json handle_transact(Session& s, const Json& params, const Json& id);
    Json handle_monitor(Session& s, const std::string& method, const Json& params, const Json& id);
    Json handle_monitor_cond_change(Session& s, const Json& params, const Json& id);
    Json handle_lock(Session& s, const std::string& method, const Json& params, const Json& id);
    void handle_cancel(Session& s, const Json& params);
    DbEntry* lookup_db(const std::string& method, const Json& params, Json& error_reply,
                       const Json& id);

    // Runs a transaction for 's' (null for local); null result means "wait".
    Json run_transaction(Session* s, DbEntry& entry, const Json& params, int64_t elapsed_ms,
                         int64_t* timeout_ms);
    ovsdb::Status committed(DbEntry& entry, const ovsdb::CommitRecord& record, bool durable);
    void retry_triggers(const std::string& db, bool timeouts_only);
    void schedule_trigger_timer();
    void close_session(Session* s);
    void update_server_database();
    // Monitor updates are coalesced like ovsdb-server's: all commits since a monitor's
    // last report go out as one update, at the end of the event-loop turn or before the
    // session's next reply (so a client always sees a change before the reply to it).
    void schedule_flush();
    void flush_all();
    void flush_session(Session& s);
    void poll_compaction(ovsdb::Storage& storage);

    asio::io_context& io_;
    SessionOptions session_options_;
    std::map<std::string, DbEntry> dbs_;
    std::list<std::unique_ptr<Session>> sessions_;
    std::deque<ChangeBatch> batches_;
    uint64_t last_seq_ = 0;
    bool flush_scheduled_ = false;
    LockTable<Session> locks_;
    asio::steady_timer trigger_timer_;
    asio::steady_timer compaction_timer_;
    bool compaction_timer_armed_ = false;
    ovsdb::Uuid server_id_;
    std::function<void(const std::string&)> log_;
    std::vector<std::function<void(const std::string&)>> commit_listeners_;
    SessionId next_session_id_ = 1;
};

}  // namespace vtep::rpc
