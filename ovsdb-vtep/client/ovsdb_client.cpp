#include "client/ovsdb_client.h"

#include <unordered_set>

namespace vtep::client {

namespace {
constexpr const char* kMonitorId = "replica";

// The first failed operation of a transact result, as "error: details".
std::string first_operation_error(const Json& result) {
    if (!result.is_array()) return "transact result is not an array";
    for (const auto& op : result) {
        if (op.is_object() && op.contains("error")) {
            std::string text = op["error"].is_string() ? op["error"].get<std::string>() : "error";
            if (op.contains("details") && op["details"].is_string())
                text += ": " + op["details"].get<std::string>();
            return text;
        }
    }
    return {};
}
}  // namespace

OvsdbClient::OvsdbClient(std::string database, std::shared_ptr<const ovsdb::DatabaseSchema> schema)
    : database_(std::move(database)), fixed_schema_(std::move(schema)) {
    if (fixed_schema_) set_schema(fixed_schema_);
}

OvsdbClient::~OvsdbClient() {
    *alive_ = false;
    if (channel_ && !channel_->closed()) channel_->close("client destroyed");
}

void OvsdbClient::monitor(const std::string& table, std::vector<std::string> columns) {
    monitored_.emplace_back(table, std::move(columns));
    if (schema_) {
        if (const ovsdb::TableSchema* t = schema_->find_table(table); t && !tables_[t->table_index])
            tables_[t->table_index].emplace(*t);
    }
}

void OvsdbClient::on_change(const std::string& table, ChangeHandler handler) {
    handlers_[table].push_back(std::move(handler));
}

void OvsdbClient::set_schema(std::shared_ptr<const ovsdb::DatabaseSchema> schema) {
    schema_ = std::move(schema);
    tables_.clear();
    tables_.resize(schema_->tables.size());
    for (const auto& [name, columns] : monitored_) {
        if (const ovsdb::TableSchema* t = schema_->find_table(name))
            tables_[t->table_index].emplace(*t);
    }
}

const ReplicaTable* OvsdbClient::table(const std::string& name) const {
    if (!schema_) return nullptr;
    const ovsdb::TableSchema* t = schema_->find_table(name);
    if (!t || !tables_[t->table_index]) return nullptr;
    return &*tables_[t->table_index];
}

void OvsdbClient::log(const std::string& message) const {
    if (log_) log_(message);
}

void OvsdbClient::connect(std::shared_ptr<rpc::MessageChannel> channel) {
    if (channel_ && !channel_->closed()) channel_->close("replaced by a new connection");
    fail_pending("connection replaced");
    synced_ = false;
    channel_ = std::move(channel);
    const uint64_t generation = ++generation_;
    std::weak_ptr<bool> alive = alive_;
    channel_->start(
        [this, alive, generation](Json&& message) {
            if (alive.lock()) handle_message(generation, std::move(message));
        },
        [this, alive, generation](const std::string& reason) {
            if (alive.lock()) handle_closed(generation, reason);
        });
    // The schema is fetched once: the rows of the replica refer to it.
    if (schema_) {
        send_monitor();
    } else {
        send_request("get_schema", Json::array({database_}), {Pending::Kind::get_schema, {}});
    }
}

void OvsdbClient::disconnect(const std::string& reason) {
    if (channel_ && !channel_->closed()) channel_->close(reason);
}

void OvsdbClient::send_request(const std::string& method, Json params, Pending pending) {
    const uint64_t id = next_id_++;
    pending_.emplace(id, std::move(pending));
    channel_->send(Json{{"method", method}, {"params", std::move(params)}, {"id", id}});
}

void OvsdbClient::send_monitor() {
    Json requests = Json::object();
    for (const auto& [name, columns] : monitored_) {
        if (!schema_->find_table(name)) {
            log("database " + database_ + " has no table " + name + "; not monitored");
            continue;
        }
        Json request = Json::object();
        if (!columns.empty()) request["columns"] = columns;
        requests[name] = std::move(request);
    }
    send_request("monitor_cond", Json::array({database_, kMonitorId, std::move(requests)}),
                 {Pending::Kind::monitor, {}});
}

bool OvsdbClient::transact(const Json& operations, TransactHandler handler) {
    if (!connected()) return false;
    Json params = Json::array({database_});
    for (const auto& op : operations) params.push_back(op);
    send_request("transact", std::move(params), {Pending::Kind::transact, std::move(handler)});
    return true;
}

void OvsdbClient::handle_message(uint64_t generation, Json&& message) {
    if (generation != generation_ || !message.is_object()) return;
    auto method = message.find("method");
    if (method != message.end() && method->is_string()) {
        const auto& name = method->get_ref<const std::string&>();
        const Json& params = message.contains("params") ? message["params"] : Json();
        if (name == "echo") {
            channel_->send(Json{{"id", message["id"]}, {"result", params}, {"error", nullptr}});
        } else if (name == "update2" && params.is_array() && params.size() == 2 &&
                   params[0] == kMonitorId) {
            apply_update2(params[1]);
        }
        return;  // other notifications (locked, stolen, update3) are not ours to act on
    }
    // Our ids are integers; a parser may hand them back signed or unsigned.
    auto id = message.find("id");
    if (id == message.end() || !id->is_number_integer() || id->get<int64_t>() < 0) return;
    auto it = pending_.find(id->get<uint64_t>());
    if (it == pending_.end()) return;
    Pending pending = std::move(it->second);
    pending_.erase(it);
    handle_reply(std::move(pending), message);
}

void OvsdbClient::handle_reply(Pending&& pending, const Json& message) {
    const Json& error = message.contains("error") ? message["error"] : Json();
    const Json& result = message.contains("result") ? message["result"] : Json();
    switch (pending.kind) {
        case Pending::Kind::get_schema: {
            if (!error.is_null()) {
                log("get_schema " + database_ + " failed: " + error.dump());
                disconnect("schema unavailable");
                return;
            }
            auto schema = ovsdb::DatabaseSchema::from_json(result);
            if (!schema) {
                log("schema of " + database_ + " is invalid: " + schema.error().to_string());
                disconnect("schema invalid");
                return;
            }
            set_schema(std::move(*schema));
            send_monitor();
            return;
        }
        case Pending::Kind::monitor:
            if (!error.is_null()) {
                log("monitor_cond on " + database_ + " failed: " + error.dump());
                disconnect("monitor refused");
                return;
            }
            apply_initial(result);
            synced_ = true;
            if (on_synced_) on_synced_();
            return;
        case Pending::Kind::transact: {
            TransactReply reply;
            if (!error.is_null()) {
                reply.error = error.is_string() ? error.get<std::string>() : error.dump();
            } else {
                reply.result = result;
                reply.error = first_operation_error(result);
                reply.ok = reply.error.empty();
            }
            if (pending.on_transact) pending.on_transact(reply);
            return;
        }
    }
}

void OvsdbClient::handle_closed(uint64_t generation, const std::string& reason) {
    if (generation != generation_) return;
    synced_ = false;
    fail_pending("connection closed: " + reason);
    if (on_disconnected_) on_disconnected_(reason);
}

void OvsdbClient::fail_pending(const std::string& reason) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
        if (p.kind == Pending::Kind::transact && p.on_transact)
            p.on_transact(TransactReply{false, Json(), reason});
    }
}

bool OvsdbClient::read_columns(ReplicaRow& row, const Json& columns, bool diff) {
    if (!columns.is_object()) return false;
    const ovsdb::TableSchema& table = row.table();
    for (const auto& [name, value] : columns.items()) {
        const ovsdb::ColumnSchema* column = table.find_column(name);
        if (!column || column->is_pseudo()) continue;
        // A diff of a set or map may be larger than the column allows on its own.
        const bool composite = !column->type.is_scalar();
        auto datum = ovsdb::Datum::from_json(column->type, value, nullptr, !(diff && composite));
        if (!datum) {
            log("update of " + table.name + " row " + row.uuid().to_string() + " column " + name +
                " does not fit the schema: " + datum.error().to_string());
            return false;
        }
        if (diff && composite) {
            row.mutable_at(column->index).apply_diff(*datum, column->type);
        } else {
            row.mutable_at(column->index) = std::move(*datum);
        }
    }
    return true;
}

void OvsdbClient::apply_update2(const Json& table_updates) {
    if (!table_updates.is_object()) return;
    std::vector<PendingChange> changes;
    for (const auto& [table_name, rows] : table_updates.items()) {
        const ovsdb::TableSchema* ts = schema_->find_table(table_name);
        if (!ts || !tables_[ts->table_index] || !rows.is_object()) continue;
        auto& replica = tables_[ts->table_index]->mutable_rows();
        for (const auto& [uuid_text, update] : rows.items()) {
            auto uuid = Uuid::parse(uuid_text);
            if (!uuid || !update.is_object() || update.size() != 1) {
                log("malformed update2 row " + table_name + " " + uuid_text);
                continue;
            }
            const std::string& kind = update.begin().key();
            const Json& body = update.begin().value();
            auto existing = replica.find(*uuid);
            if (kind == "insert" || kind == "initial") {
                ReplicaRow row(*ts, *uuid);
                read_columns(row, body, false);
                if (existing != replica.end()) {
                    // A repeated insert is a modify of what we hold.
                    changes.push_back(
                        {ts->table_index, ChangeKind::modify, *uuid, std::move(existing->second)});
                    existing->second = std::move(row);
                } else {
                    replica.emplace(*uuid, std::move(row));
                    changes.push_back({ts->table_index, ChangeKind::insert, *uuid, std::nullopt});
                }
            } else if (kind == "modify") {
                if (existing == replica.end()) {
                    log("update2 modifies unknown " + table_name + " row " + uuid_text);
                    continue;
                }
                ReplicaRow old_row = existing->second;
                read_columns(existing->second, body, true);
                changes.push_back({ts->table_index, ChangeKind::modify, *uuid, std::move(old_row)});
            } else if (kind == "delete") {
                if (existing == replica.end()) continue;
                changes.push_back(
                    {ts->table_index, ChangeKind::remove, *uuid, std::move(existing->second)});
                replica.erase(existing);
            }
        }
    }
    report(changes);
}

void OvsdbClient::apply_initial(const Json& table_updates) {
    // The fresh contents replace the replica; differences are reported so users that kept
    // acting on the old contents converge without starting over.
    std::vector<PendingChange> changes;
    for (const auto& [name, columns] : monitored_) {
        const ovsdb::TableSchema* ts = schema_->find_table(name);
        if (!ts || !tables_[ts->table_index]) continue;
        auto& replica = tables_[ts->table_index]->mutable_rows();
        const Json* rows = nullptr;
        if (table_updates.is_object()) {
            auto it = table_updates.find(name);
            if (it != table_updates.end() && it->is_object()) rows = &*it;
        }
        std::unordered_set<Uuid, ovsdb::UuidHash> present;
        if (rows) {
            for (const auto& [uuid_text, update] : rows->items()) {
                auto uuid = Uuid::parse(uuid_text);
                if (!uuid || !update.is_object() || !update.contains("initial")) continue;
                present.insert(*uuid);
                ReplicaRow row(*ts, *uuid);
                read_columns(row, update["initial"], false);
                auto existing = replica.find(*uuid);
                if (existing == replica.end()) {
                    replica.emplace(*uuid, std::move(row));
                    changes.push_back({ts->table_index, ChangeKind::insert, *uuid, std::nullopt});
                } else if (!(existing->second == row)) {
                    changes.push_back(
                        {ts->table_index, ChangeKind::modify, *uuid, std::move(existing->second)});
                    existing->second = std::move(row);
                }
            }
        }
        for (auto it = replica.begin(); it != replica.end();) {
            if (present.count(it->first)) {
                ++it;
                continue;
            }
            changes.push_back(
                {ts->table_index, ChangeKind::remove, it->first, std::move(it->second)});
            it = replica.erase(it);
        }
    }
    report(changes);
}

void OvsdbClient::report(std::vector<PendingChange>& changes) {
    // Every change of the batch is in the replica before the first handler runs, so a
    // handler can follow references to rows that arrived in the same update.
    for (auto& change : changes) {
        const ovsdb::TableSchema& ts = schema_->tables[change.table];
        auto handlers = handlers_.find(ts.name);
        if (handlers == handlers_.end()) continue;
        const ReplicaRow* new_row =
            change.kind == ChangeKind::remove ? nullptr : tables_[change.table]->find(change.uuid);
        const ReplicaRow* old_row = change.old_row ? &*change.old_row : nullptr;
        RowChange rc{change.kind, change.uuid, old_row, new_row};
        for (const auto& handler : handlers->second) handler(rc);
    }
    if (on_batch_done_ && !changes.empty()) on_batch_done_();
}

}  // namespace vtep::client
