#include "rpc/ovsdb_server.h"

#include <set>

#include "ovsdb/builtin_schemas.h"
#include "ovsdb/json_text.h"
#include "rpc/local_channel.h"

namespace vtep::rpc {

using ovsdb::CommitRecord;
using ovsdb::Error;
using ovsdb::Status;
using ovsdb::syntax_error;
using ovsdb::UpdateVersion;

struct OvsdbServer::Session {
    SessionId id = 0;
    std::shared_ptr<MessageChannel> rpc;
    std::list<ClientMonitor> monitors;
    std::list<Trigger> triggers;
    std::vector<std::string> locks;  // locks this session holds or waits for
    std::set<std::string> stealing;  // those of 'locks' it asked for with "steal"
    bool db_change_aware = false;
    bool closing = false;

    ClientMonitor* find_monitor(const Json& id) {
        for (auto& m : monitors)
            if (m.id == id) return &m;
        return nullptr;
    }
    void notify(const char* method, Json params) {
        rpc->send(Json{{"method", method}, {"params", std::move(params)}, {"id", nullptr}});
    }
};

namespace {

Json reply(const Json& id, Json result) {
    return Json{{"id", id}, {"result", std::move(result)}, {"error", nullptr}};
}
// ovsdb-server's error replies carry no "result" member.
Json error_reply(const Json& id, Json error) {
    return Json{{"id", id}, {"error", std::move(error)}};
}
Json error_reply(const Json& id, const Error& error) {
    return error_reply(id, error.to_json());
}

const char* update_method(UpdateVersion v) {
    return v == UpdateVersion::V1 ? "update" : v == UpdateVersion::V2 ? "update2" : "update3";
}

}  // namespace

OvsdbServer::OvsdbServer(asio::io_context& io, SessionOptions session_options)
    : io_(io),
      session_options_(session_options),
      trigger_timer_(io),
      compaction_timer_(io),
      server_id_(ovsdb::Uuid::random()) {
    auto schema = ovsdb::DatabaseSchema::from_json(Json::parse(ovsdb::kServerSchemaJson));
    add_memory_database(std::make_unique<Database>(*schema));
}

OvsdbServer::~OvsdbServer() {
    for (auto& s : sessions_) {
        s->closing = true;
        s->rpc->close("server shutting down");
    }
}

// Online compaction runs on a worker thread; this starts it when due and finishes it when
// the worker is done, checking back every 100 ms while one runs.
void OvsdbServer::poll_compaction(ovsdb::Storage& storage) {
    auto s = storage.poll_compaction();
    if (!s && log_) log_(storage.path() + ": " + s.error().to_string());
    if (!storage.compaction_running() || compaction_timer_armed_) return;
    compaction_timer_armed_ = true;
    compaction_timer_.expires_after(std::chrono::milliseconds(100));
    compaction_timer_.async_wait([this, &storage](const ErrorCode& ec) {
        compaction_timer_armed_ = false;
        if (!ec) poll_compaction(storage);
    });
}

void OvsdbServer::add_database(std::unique_ptr<ovsdb::Storage> storage) {
    std::string name = storage->database().name();
    DbEntry& e = dbs_[name];
    e.db = &storage->database();
    e.storage = std::move(storage);
    update_server_database();
}

void OvsdbServer::add_memory_database(std::unique_ptr<Database> db) {
    std::string name = db->name();
    DbEntry& e = dbs_[name];
    e.db = db.get();
    e.memory = std::move(db);
    if (name != "_Server") update_server_database();
}

Database* OvsdbServer::find_database(const std::string& name) {
    auto it = dbs_.find(name);
    return it == dbs_.end() ? nullptr : it->second.db;
}

// _Server.Database holds one row per database, as ovsdb-server 3.1 keeps it for
// standalone databases.
void OvsdbServer::update_server_database() {
    DbEntry& server = dbs_.at("_Server");
    ovsdb::Transaction txn(*server.db);
    const auto& ts = *server.db->schema().find_table("Database");
    std::vector<ovsdb::Uuid> existing;
    for (const auto& [uuid, row] : server.db->table(ts.table_index).rows())
        existing.push_back(uuid);
    for (const auto& u : existing) txn.erase(ts.table_index, u);
    for (const auto& [name, entry] : dbs_) {
        ovsdb::Row row = ovsdb::Row::with_defaults(ts, ovsdb::Uuid::random());
        auto set = [&](const char* column, ovsdb::Datum d) {
            row.fields[ts.find_column(column)->index] = std::move(d);
        };
        set("name", ovsdb::Datum::scalar(ovsdb::Atom(name)));
        set("model", ovsdb::Datum::scalar(ovsdb::Atom("standalone")));
        set("connected", ovsdb::Datum::scalar(ovsdb::Atom(true)));
        set("leader", ovsdb::Datum::scalar(ovsdb::Atom(true)));
        set("schema",
            ovsdb::Datum::scalar(ovsdb::Atom(ovsdb::json_text(entry.db->schema().to_json()))));
        txn.insert(ts.table_index, std::move(row));
    }
    auto record = txn.commit();
    if (record) (void)committed(server, *record, false);
}

OvsdbServer::SessionId OvsdbServer::accept(std::unique_ptr<Transport> transport,
                                           CloseHandler on_close, const SessionOptions* options) {
    return accept(std::make_shared<JsonRpcSession>(io_, std::move(transport),
                                                   options ? *options : session_options_),
                  std::move(on_close));
}

std::shared_ptr<MessageChannel> OvsdbServer::connect_local(const std::string& client_name) {
    auto [server_end, client_end] =
        LocalChannel::make_pair(io_, "local:" + client_name, "local:ovsdb-server");
    accept(server_end);
    return client_end;
}

OvsdbServer::SessionId OvsdbServer::accept(std::shared_ptr<MessageChannel> channel,
                                           CloseHandler on_close) {
    auto session = std::make_unique<Session>();
    session->id = next_session_id_++;
    session->rpc = std::move(channel);
    Session* s = session.get();
    sessions_.push_back(std::move(session));
    s->rpc->start([this, s](Json&& message) { handle(*s, std::move(message)); },
                  [this, s, on_close](const std::string& reason) {
                      if (log_ && !s->closing) log_(s->rpc->name() + ": " + reason);
                      close_session(s);
                      if (on_close) on_close(reason);
                  });
    return s->id;
}

void OvsdbServer::disconnect(SessionId id, const std::string& reason) {
    for (auto& s : sessions_)
        if (s->id == id && !s->closing) s->rpc->close(reason);
}

void OvsdbServer::disconnect_all(const std::string& reason) {
    for (auto& s : sessions_)
        if (!s->closing) s->rpc->close(reason);
}

std::vector<std::string> OvsdbServer::database_names() const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : dbs_) names.push_back(name);
    return names;  // std::map: sorted
}

Status OvsdbServer::compact(const std::string& db) {
    bool found = false;
    for (auto& [name, entry] : dbs_) {
        if (!db.empty() && name != db) continue;
        found = true;
        if (!entry.storage) {
            if (!db.empty())
                return ovsdb::make_error("not durable", name + " is an in-memory database");
            continue;
        }
        entry.storage->begin_compaction();
        poll_compaction(*entry.storage);
    }
    if (!found) return ovsdb::make_error("unknown database", "no database named " + db);
    return {};
}

size_t OvsdbServer::monitor_count() const {
    size_t n = 0;
    for (const auto& s : sessions_) n += s->monitors.size();
    return n;
}

OvsdbServer::SessionLocks OvsdbServer::session_locks(SessionId id) const {
    SessionLocks result;
    for (const auto& s : sessions_) {
        if (s->id != id || s->closing) continue;
        for (const std::string& name : s->locks) {
            if (locks_.owns(name, s.get()))
                result.held.push_back(name);
            else if (s->stealing.count(name))
                result.lost.push_back(name);
            else
                result.waiting.push_back(name);
        }
    }
    return result;
}

void OvsdbServer::close_session(Session* s) {
    s->closing = true;
    for (const std::string& name : s->locks) {
        if (Session* next = locks_.release(name, s)) next->notify("locked", Json::array({name}));
    }
    s->locks.clear();
    s->stealing.clear();
    s->monitors.clear();
    s->triggers.clear();
    // Destroy later: we may be inside this session's own callback.
    asio::post(io_, [this, s] {
        sessions_.remove_if([s](const std::unique_ptr<Session>& p) { return p.get() == s; });
    });
}

void OvsdbServer::handle(Session& s, Json&& message) {
    if (s.closing) return;
    if (!message.is_object()) {
        s.rpc->close("received non-object JSON-RPC message");
        return;
    }
    for (const auto& [key, value] : message.items()) {
        if (key != "method" && key != "params" && key != "id" && key != "result" &&
            key != "error") {
            s.rpc->close("received JSON-RPC message with unexpected member \"" + key + "\"");
            return;
        }
    }
    auto method = message.find("method");
    auto id_it = message.find("id");
    Json id = id_it == message.end() ? Json(nullptr) : *id_it;
    if (method != message.end()) {
        auto params = message.find("params");
        if (!method->is_string() || params == message.end() || !params->is_array()) {
            s.rpc->close("received bad JSON-RPC request");
            return;
        }
        if (id.is_null()) {  // a notification
            if (*method == "cancel") handle_cancel(s, *params);
            return;
        }
        handle_request(s, method->get<std::string>(), *params, id);
        return;
    }
    if (message.contains("result") || message.contains("error")) {
        // The only requests we send are inactivity probes.
        if (id == "echo") return;
        s.rpc->close("received reply to a request that was never sent");
        return;
    }
    s.rpc->close("received bad JSON-RPC message");
}

void OvsdbServer::handle_request(Session& s, const std::string& method, const Json& params,
                                 const Json& id) {
    Json response;
    if (method == "transact") {
        response = handle_transact(s, params, id);
    } else if (method == "monitor" || method == "monitor_cond" || method == "monitor_cond_since") {
        response = handle_monitor(s, method, params, id);
    } else if (method == "monitor_cond_change") {
        response = handle_monitor_cond_change(s, params, id);
    } else if (method == "monitor_cancel") {
        if (params.size() != 1) {
            response = error_reply(id, "invalid parameters");
        } else {
            auto it = std::find_if(s.monitors.begin(), s.monitors.end(),
                                   [&](const ClientMonitor& m) { return m.id == params[0]; });
            if (it == s.monitors.end()) {
                response = error_reply(id, "unknown monitor");
            } else {
                s.monitors.erase(it);
                response = reply(id, Json::object());
            }
        }
    } else if (method == "get_schema") {
        Json err;
        if (DbEntry* e = lookup_db(method, params, err, id))
            response = reply(id, e->db->schema().to_json());
        else
            response = std::move(err);
    } else if (method == "list_dbs") {
        Json names = Json::array();
        for (const auto& [name, e] : dbs_)
            if (name != "_Server") names.push_back(name);
        names.push_back("_Server");
        response = reply(id, std::move(names));
    } else if (method == "get_server_id") {
        response = reply(id, server_id_.to_string());
    } else if (method == "lock" || method == "steal" || method == "unlock") {
        response = handle_lock(s, method, params, id);
    } else if (method == "set_db_change_aware") {
        if (params.size() != 1 || !params[0].is_boolean()) {
            response = error_reply(
                id,
                syntax_error(&params, "", "set_db_change_aware: true or false parameter expected"));
        } else {
            s.db_change_aware = params[0].get<bool>();
            response = reply(id, Json::object());
        }
    } else if (method == "echo") {
        response = reply(id, params);
    } else {
        response = error_reply(id, "unknown method");
    }
    if (!response.is_null()) {
        flush_session(s);
        s.rpc->send(std::move(response));
    }
}

OvsdbServer::DbEntry* OvsdbServer::lookup_db(const std::string& method, const Json& params,
                                             Json& error, const Json& id) {
    if (params.empty() || !params[0].is_string()) {
        error = error_reply(id, syntax_error(&params, "",
                                             method + " request params must begin with "
                                                      "<db-name>"));
        return nullptr;
    }
    auto it = dbs_.find(params[0].get<std::string>());
    if (it == dbs_.end()) {
        error = error_reply(id, syntax_error(&params, "unknown database",
                                             method + " request specifies unknown database " +
                                                 params[0].get<std::string>()));
        return nullptr;
    }
    return &it->second;
}

Status OvsdbServer::committed(DbEntry& entry, const CommitRecord& record, bool durable) {
    Status status;
    if (entry.storage) status = entry.storage->write(record, durable);
    if (record.empty()) return status;
    const std::string& name = entry.db->name();
    batches_.push_back({++last_seq_, name, record.changes});
    // Waiting transactions are retried once the reply to this one has been queued.
    asio::post(io_, [this, name] { retry_triggers(name, false); });
    schedule_flush();
    if (entry.storage) poll_compaction(*entry.storage);
    for (auto& listener : commit_listeners_) listener(name);
    return status;
}

void OvsdbServer::schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    asio::post(io_, [this] {
        flush_scheduled_ = false;
        flush_all();
    });
}

void OvsdbServer::flush_session(Session& s) {
    if (s.closing) return;
    for (auto& m : s.monitors) {
        if (m.flushed_seq == last_seq_) continue;
        // Merge every change since the last report: first old row, last new row.
        CommitRecord merged;
        std::map<std::pair<const void*, ovsdb::Uuid>, size_t> position;
        for (const ChangeBatch& batch : batches_) {
            if (batch.seq <= m.flushed_seq || batch.db != m.db) continue;
            for (const ovsdb::RowChange& change : batch.changes) {
                const ovsdb::Uuid& uuid =
                    change.old_row ? change.old_row->uuid : change.new_row->uuid;
                auto [it, inserted] =
                    position.try_emplace({change.table, uuid}, merged.changes.size());
                if (inserted)
                    merged.changes.push_back(change);
                else
                    merged.changes[it->second].new_row = change.new_row;
            }
        }
        m.flushed_seq = last_seq_;
        std::erase_if(merged.changes,
                      [](const ovsdb::RowChange& c) { return !c.old_row && !c.new_row; });
        if (merged.changes.empty()) continue;
        Json updates = m.monitor.updates_for(merged);
        if (updates.empty()) continue;
        if (m.monitor.version() == UpdateVersion::V3)
            s.notify("update3", Json::array({m.id, ovsdb::Uuid{}.to_string(), std::move(updates)}));
        else
            s.notify(update_method(m.monitor.version()), Json::array({m.id, std::move(updates)}));
    }
}

void OvsdbServer::flush_all() {
    for (auto& s : sessions_) flush_session(*s);
    // Every monitor has now reported every batch.
    batches_.clear();
}

Json OvsdbServer::run_transaction(Session* s, DbEntry& entry, const Json& params,
                                  int64_t elapsed_ms, int64_t* timeout_ms) {
    ovsdb::ExecutionContext ctx;
    ctx.elapsed_msec = elapsed_ms;
    ctx.holds_lock = [this, s](const std::string& name) { return s && locks_.owns(name, s); };
    return ovsdb::execute_and_commit(
        *entry.db, params, ctx,
        [this, &entry](const CommitRecord& record, bool durable) {
            return committed(entry, record, durable);
        },
        timeout_ms);
}

Json OvsdbServer::handle_transact(Session& s, const Json& params, const Json& id) {
    Json err;
    DbEntry* entry = lookup_db("transact", params, err, id);
    if (!entry) return err;
    int64_t timeout_ms = INT64_MAX;
    Json result = run_transaction(&s, *entry, params, 0, &timeout_ms);
    if (!result.is_null()) return reply(id, std::move(result));
    auto now = std::chrono::steady_clock::now();
    Trigger t{id, entry->db->name(), params, now,
              timeout_ms == INT64_MAX ? std::chrono::steady_clock::time_point::max()
                                      : now + std::chrono::milliseconds(timeout_ms)};
    s.triggers.push_back(std::move(t));
    schedule_trigger_timer();
    return nullptr;
}

Json OvsdbServer::transact(const Json& params) {
    Json err;
    DbEntry* entry = lookup_db("transact", params, err, nullptr);
    if (!entry) return err["error"];
    Json result = run_transaction(nullptr, *entry, params, 0, nullptr);
    if (result.is_null())
        return Json::array(
            {Error{"not supported", "local transactions cannot wait", {}}.to_json()});
    return result;
}

void OvsdbServer::retry_triggers(const std::string& db, bool timeouts_only) {
    auto now = std::chrono::steady_clock::now();
    for (auto& s : sessions_) {
        if (s->closing) continue;
        for (auto it = s->triggers.begin(); it != s->triggers.end();) {
            Trigger& t = *it;
            bool expired = now >= t.deadline;
            if (t.db != db && !expired) {
                ++it;
                continue;
            }
            if (timeouts_only && !expired) {
                ++it;
                continue;
            }
            auto e = dbs_.find(t.db);
            int64_t elapsed =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - t.created).count();
            Json result =
                run_transaction(s.get(), e->second, t.params,
                                expired ? std::max<int64_t>(elapsed, 1) : elapsed, nullptr);
            if (result.is_null()) {
                ++it;
                continue;
            }
            flush_session(*s);
            s->rpc->send(reply(t.request_id, std::move(result)));
            it = s->triggers.erase(it);
        }
    }
    schedule_trigger_timer();
}

void OvsdbServer::schedule_trigger_timer() {
    auto earliest = std::chrono::steady_clock::time_point::max();
    for (auto& s : sessions_)
        for (auto& t : s->triggers) earliest = std::min(earliest, t.deadline);
    if (earliest == std::chrono::steady_clock::time_point::max()) {
        trigger_timer_.cancel();
        return;
    }
    trigger_timer_.expires_at(earliest);
    trigger_timer_.async_wait([this](const ErrorCode& ec) {
        if (ec) return;
        retry_triggers("", true);
    });
}

void OvsdbServer::handle_cancel(Session& s, const Json& params) {
    if (params.size() != 1) return;
    for (auto it = s.triggers.begin(); it != s.triggers.end(); ++it) {
        if (it->request_id == params[0]) {
            s.rpc->send(error_reply(it->request_id, "canceled"));
            s.triggers.erase(it);
            return;
        }
    }
}

Json OvsdbServer::handle_monitor(Session& s, const std::string& method, const Json& params,
                                 const Json& id) {
    Json err;
    DbEntry* entry = lookup_db(method, params, err, id);
    if (!entry) return err;
    UpdateVersion version = method == "monitor"        ? UpdateVersion::V1
                            : method == "monitor_cond" ? UpdateVersion::V2
                                                       : UpdateVersion::V3;
    if ((version == UpdateVersion::V2 && params.size() != 3) ||
        (version == UpdateVersion::V3 && params.size() != 4) ||
        (version == UpdateVersion::V1 && params.size() != 3))
        return error_reply(id, syntax_error(&params, "", "invalid parameters"));
    const Json& monitor_id = params[1];
    Json requests = params.size() > 2 ? params[2] : Json::object();
    if (!requests.is_object())
        return error_reply(id, syntax_error(&requests, "", "monitor-requests must be object"));
    if (s.find_monitor(monitor_id))
        return error_reply(id, syntax_error(&monitor_id, "", "duplicate monitor ID"));
    auto monitor = ovsdb::Monitor::from_json(*entry->db, requests, version);
    if (!monitor) return error_reply(id, monitor.error());
    bool found = false;
    if (version == UpdateVersion::V3) {
        const Json& last = params[3];
        if (!last.is_string())
            return error_reply(id, syntax_error(&last, "", "last-txn-id must be string"));
        auto last_id = ovsdb::Uuid::parse(last.get<std::string>());
        if (!last_id)
            return error_reply(id, syntax_error(&last, "", "last-txn-id must be UUID format."));
        // Standalone databases keep no transaction history (as in ovsdb-server): the
        // client always gets the full initial contents and the all-zero last-txn-id.
        found = false;
    }
    Json initial = found ? Json::object() : monitor->initial_updates();
    s.monitors.push_back({monitor_id, entry->db->name(), std::move(*monitor), last_seq_});
    if (version == UpdateVersion::V3)
        return reply(id, Json::array({found, ovsdb::Uuid{}.to_string(), std::move(initial)}));
    return reply(id, std::move(initial));
}

Json OvsdbServer::handle_monitor_cond_change(Session& s, const Json& params, const Json& id) {
    if (params.size() != 3) return error_reply(id, syntax_error(&params, "", "invalid parameters"));
    ClientMonitor* m = s.find_monitor(params[0]);
    if (!m) return error_reply(id, syntax_error(&params[0], "", "unknown monitor session"));
    const Json& new_id = params[1];
    bool changing_id = !(m->id == new_id);
    if (changing_id && s.find_monitor(new_id))
        return error_reply(id, syntax_error(&new_id, "", "duplicate monitor ID"));
    const Json& requests = params[2];
    if (!requests.is_object())
        return error_reply(
            id, syntax_error(nullptr, "", "monitor-cond-change-requests must be object"));
    for (const auto& [table, request] : requests.items()) {
        const ovsdb::TableSchema* ts = m->monitor.database().schema().find_table(table);
        if (!ts) return error_reply(id, syntax_error(nullptr, "", "no table named " + table));
        if (!request.is_array())
            return error_reply(
                id,
                syntax_error(nullptr, "", "table " + table + " no monitor-cond-change JSON array"));
        for (const Json& r : request)
            if (r.is_object() && r.contains("columns"))
                return error_reply(id, syntax_error(&r, "", "changing columns is unsupported"));
    }
    flush_session(s);  // report pending changes under the old condition first
    auto updates = m->monitor.change_conditions(requests);
    if (!updates) return error_reply(id, updates.error());
    if (changing_id) m->id = new_id;
    if (!updates->empty()) {
        if (m->monitor.version() == UpdateVersion::V3)
            s.notify("update3",
                     Json::array({m->id, ovsdb::Uuid{}.to_string(), std::move(*updates)}));
        else
            s.notify("update2", Json::array({m->id, std::move(*updates)}));
    }
    return reply(id, Json::object());
}

Json OvsdbServer::handle_lock(Session& s, const std::string& method, const Json& params,
                              const Json& id) {
    if (params.size() != 1 || !params[0].is_string() || !ovsdb::is_id(params[0].get<std::string>()))
        return error_reply(id, syntax_error(&params, "", method + " request params must be <id>"));
    std::string name = params[0].get<std::string>();
    bool waiting = locks_.waits(name, &s);
    if (method == "unlock") {
        if (!waiting)
            return error_reply(
                id, syntax_error(&params, "", "unlock: \"unlock\" without \"lock\" or \"steal\""));
        if (Session* next = locks_.release(name, &s)) next->notify("locked", Json::array({name}));
        s.locks.erase(std::remove(s.locks.begin(), s.locks.end(), name), s.locks.end());
        s.stealing.erase(name);
        return reply(id, Json::object());
    }
    if (waiting)
        return error_reply(
            id, syntax_error(&params, "", "must issue \"unlock\" before new \"" + method + "\""));
    Session* victim = locks_.acquire(name, &s, method == "steal");
    s.locks.push_back(name);
    if (method == "steal") s.stealing.insert(name);
    if (victim) victim->notify("stolen", Json::array({name}));
    return reply(id, Json{{"locked", locks_.owns(name, &s)}});
}

}  // namespace vtep::rpc
