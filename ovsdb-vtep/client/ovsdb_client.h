// An OVSDB client over any rpc::MessageChannel: monitors tables with monitor_cond/update2
// into a local Replica, reports every row change to per-table handlers (with the old and
// the new row, so users apply changes incrementally), and runs transactions.
//
// Reconnection: the owner hands a new channel to connect(). The client asks for the
// monitor again and reconciles the fresh contents with its replica, reporting only the
// differences (rows gone as deletes, new rows as inserts, changed rows as modifies);
// nothing is flushed while disconnected, so users keep acting on the last-known state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/replica.h"
#include "rpc/message_channel.h"

namespace vtep::client {

using Json = nlohmann::json;

enum class ChangeKind { insert, modify, remove };

struct RowChange {
    ChangeKind kind;
    const Uuid& uuid;
    const ReplicaRow* old_row;  // null for inserts
    const ReplicaRow* new_row;  // null for removals
};

// The outcome of one transaction: 'ok' when the server committed it. Otherwise 'error'
// says why (the channel closed, a JSON-RPC error, or the first failed operation with its
// details) and 'result' holds the server's result array when there was one.
struct TransactReply {
    bool ok = false;
    Json result;
    std::string error;
};

class OvsdbClient {
  public:
    using ChangeHandler = std::function<void(const RowChange&)>;
    using TransactHandler = std::function<void(const TransactReply&)>;

    // 'schema' null: it is fetched with get_schema on every connection.
    explicit OvsdbClient(std::string database,
                         std::shared_ptr<const ovsdb::DatabaseSchema> schema = nullptr);
    ~OvsdbClient();
    OvsdbClient(const OvsdbClient&) = delete;
    OvsdbClient& operator=(const OvsdbClient&) = delete;

    // What to monitor (before the first connect): a table and its columns (all if empty).
    void monitor(const std::string& table, std::vector<std::string> columns = {});
    void on_change(const std::string& table, ChangeHandler handler);
    // After each batch of changes (one update, or one reconciliation) has been reported.
    void on_batch_done(std::function<void()> handler) { on_batch_done_ = std::move(handler); }
    // When the replica matches the server after a (re)connection.
    void on_synced(std::function<void()> handler) { on_synced_ = std::move(handler); }
    void on_disconnected(std::function<void(const std::string&)> handler) {
        on_disconnected_ = std::move(handler);
    }
    // Protocol problems that do not end the connection (e.g. an update that does not fit
    // the schema); the default writes nothing.
    void on_log(std::function<void(const std::string&)> handler) { log_ = std::move(handler); }

    // Starts talking over 'channel', replacing (closing) any previous one.
    void connect(std::shared_ptr<rpc::MessageChannel> channel);
    void disconnect(const std::string& reason);
    bool connected() const { return channel_ && !channel_->closed(); }
    // True once the replica holds the server's contents on the current connection.
    bool synced() const { return synced_; }

    // Sends [database, operations...]; the handler runs once with the reply, or with an
    // error when the connection ends first. Returns false (and calls nothing) when there
    // is no connection.
    bool transact(const Json& operations, TransactHandler handler);

    // Empty until the schema is known; a table that is not monitored is empty.
    const ReplicaTable* table(const std::string& name) const;
    const ovsdb::DatabaseSchema* schema() const { return schema_.get(); }
    const std::string& database() const { return database_; }

  private:
    struct Pending {
        enum class Kind { get_schema, monitor, transact } kind;
        TransactHandler on_transact;
    };
    struct PendingChange {
        size_t table;  // index into schema tables
        ChangeKind kind;
        Uuid uuid;
        std::optional<ReplicaRow> old_row;
    };

    void handle_message(uint64_t generation, Json&& message);
    void handle_closed(uint64_t generation, const std::string& reason);
    void handle_reply(Pending&& pending, const Json& message);
    void send_request(const std::string& method, Json params, Pending pending);
    void set_schema(std::shared_ptr<const ovsdb::DatabaseSchema> schema);
    void send_monitor();
    void apply_initial(const Json& table_updates);
    void apply_update2(const Json& table_updates);
    // Fills 'row' from a row object; 'diff' applies update2 "modify" differences.
    bool read_columns(ReplicaRow& row, const Json& columns, bool diff);
    void report(std::vector<PendingChange>& changes);
    void fail_pending(const std::string& reason);
    void log(const std::string& message) const;

    std::string database_;
    std::shared_ptr<const ovsdb::DatabaseSchema> fixed_schema_;
    std::shared_ptr<const ovsdb::DatabaseSchema> schema_;
    std::vector<std::pair<std::string, std::vector<std::string>>> monitored_;
    std::map<std::string, std::vector<ChangeHandler>> handlers_;
    std::vector<std::optional<ReplicaTable>> tables_;  // by schema table index
    std::function<void()> on_batch_done_;
    std::function<void()> on_synced_;
    std::function<void(const std::string&)> on_disconnected_;
    std::function<void(const std::string&)> log_;

    std::shared_ptr<rpc::MessageChannel> channel_;
    uint64_t generation_ = 0;  // which channel the callbacks belong to
    uint64_t next_id_ = 1;
    std::map<uint64_t, Pending> pending_;
    bool synced_ = false;
    // Shared with the channel callbacks so a late callback after destruction is harmless.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vtep::client
