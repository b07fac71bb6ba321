#include "rpc/remote_manager.h"

#include <algorithm>
#include <sstream>

namespace vtep::rpc {

namespace {

constexpr auto kStatusInterval = std::chrono::milliseconds(500);
// Status changes that only move the sec_since_* clocks are written at most this often.
constexpr auto kClockRefresh = std::chrono::milliseconds(2500);

// A column's value as OVSDB JSON (a scalar, or ["set", [...]] / ["map", [...]]).
Json column_json(const ovsdb::Row& row, const ovsdb::TableSchema& table, const char* name) {
    const ovsdb::ColumnSchema* column = table.find_column(name);
    if (!column) return nullptr;
    return row.value(*column).to_json(column->type);
}

std::optional<int64_t> optional_integer(const Json& j) {
    if (j.is_number_integer()) return j.get<int64_t>();
    return std::nullopt;  // ["set", []]: not set
}

std::map<std::string, std::string> string_map(const Json& j) {
    std::map<std::string, std::string> m;
    if (j.is_array() && j.size() == 2 && j[0] == "map")
        for (const Json& pair : j[1])
            if (pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
                m[pair[0].get<std::string>()] = pair[1].get<std::string>();
    return m;
}

// The elements of a set column's JSON: ["set", [a, b]] or a lone a.
std::vector<Json> set_elements(const Json& j) {
    if (j.is_array() && j.size() == 2 && j[0] == "set") return j[1].get<std::vector<Json>>();
    return {j};
}

Json ovsdb_map(const std::map<std::string, std::string>& m) {
    Json pairs = Json::array();
    for (const auto& [k, v] : m) pairs.push_back(Json::array({k, v}));
    return Json::array({"map", pairs});
}

// Status keys that change by themselves every second.
bool only_clocks_differ(std::map<std::string, std::string> a,
                        std::map<std::string, std::string> b) {
    for (auto* m : {&a, &b}) {
        m->erase("sec_since_connect");
        m->erase("sec_since_disconnect");
    }
    return a == b;
}

}  // namespace

RemoteManager::RemoteManager(asio::io_context& io, OvsdbServer& server, TlsContextSource* tls,
                             RemoteOptions defaults)
    : io_(io), server_(server), tls_(tls), defaults_(defaults), status_timer_(io) {
    server_.add_commit_listener([this, alive = alive_](const std::string& db) {
        if (!*alive) return;
        for (const auto& source : sources_)
            if (source.db == db) return schedule_reconcile();
    });
}

RemoteManager::~RemoteManager() {
    *alive_ = false;
}

ovsdb::Status RemoteManager::add(const std::string& text) {
    if (text.rfind("db:", 0) == 0) {
        std::vector<std::string> parts;
        std::stringstream ss(text.substr(3));
        for (std::string part; std::getline(ss, part, ',');) parts.push_back(part);
        auto bad = [&](const std::string& why) {
            return ovsdb::make_error("syntax error", "remote \"" + text + "\": " + why);
        };
        if (parts.size() != 3) return bad("expected db:DATABASE,TABLE,COLUMN");
        ovsdb::Database* db = server_.find_database(parts[0]);
        if (!db) return bad("no database named " + parts[0]);
        ovsdb::Table* table = db->find_table(parts[1]);
        if (!table) return bad("no table named " + parts[1]);
        const ovsdb::ColumnSchema* column = table->schema().find_column(parts[2]);
        if (!column) return bad("table " + parts[1] + " has no column named " + parts[2]);
        const ovsdb::Type& type = column->type;
        bool strings = type.key.type == ovsdb::AtomicType::String && !type.is_map();
        bool refs = type.key.is_ref() && !type.is_map();
        if (!strings && !refs)
            return bad("column " + parts[2] +
                       " must be a set of strings or of references to rows with a \"target\"");
        if (refs) {
            ovsdb::Table* ref = db->find_table(type.key.ref_table_name);
            if (!ref || !ref->schema().find_column("target"))
                return bad("column " + parts[2] + " refers to table " + type.key.ref_table_name +
                           ", which has no \"target\" column");
        }
        sources_.push_back({text, parts[0], parts[1], parts[2]});
        reconcile();
        update_status();
        return {};
    }
    auto spec = RemoteSpec::parse(text);
    if (!spec) return spec.error();
    Open entry;
    entry.options = defaults_;
    try {
        entry.remote = open_remote(io_, server_, *spec, defaults_, tls_);
    } catch (const boost::system::system_error& e) {
        return ovsdb::make_error("remote error", text + ": " + e.code().message());
    } catch (const std::exception& e) {
        return ovsdb::make_error("remote error", e.what());
    }
    server_.log(entry.remote->status());
    open_[text] = std::move(entry);
    return {};
}

ovsdb::Status RemoteManager::remove(const std::string& text) {
    auto source = std::find_if(sources_.begin(), sources_.end(),
                               [&](const DbSource& s) { return s.text == text; });
    if (source != sources_.end()) {
        sources_.erase(source);
        reconcile();
        return {};
    }
    auto it = open_.find(text);
    if (it == open_.end() || it->second.from_db)
        return ovsdb::make_error("remote error", "can't find remote " + text);
    open_.erase(it);
    return {};
}

std::vector<std::string> RemoteManager::configured() const {
    std::vector<std::string> out;
    for (const auto& source : sources_) out.push_back(source.text);
    for (const auto& [target, open] : open_)
        if (!open.from_db) out.push_back(target);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::pair<std::string, std::string>> RemoteManager::describe() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [target, open] : open_)
        out.emplace_back(target, open.remote ? open.remote->status() : "failed: " + open.error);
    return out;
}

void RemoteManager::schedule_reconcile() {
    if (reconcile_posted_) return;
    reconcile_posted_ = true;
    asio::post(io_, [this, alive = alive_] {
        if (!*alive) return;
        reconcile_posted_ = false;
        reconcile();
    });
}

std::map<std::string, RemoteManager::Desired> RemoteManager::desired_db_remotes() const {
    std::map<std::string, Desired> out;
    for (const DbSource& source : sources_) {
        ovsdb::Database* db = server_.find_database(source.db);
        if (!db) continue;
        ovsdb::Table* table = db->find_table(source.table);
        const ovsdb::ColumnSchema* column = table->schema().find_column(source.column);
        const ovsdb::Table* ref_table = nullptr;
        if (column->type.key.is_ref()) ref_table = db->find_table(column->type.key.ref_table_name);
        for (const auto& [uuid, row] : table->rows()) {
            for (const Json& element :
                 set_elements(column_json(*row, table->schema(), source.column.c_str()))) {
                if (!ref_table) {
                    if (element.is_string())
                        out[element.get<std::string>()] = Desired{defaults_, true};
                    continue;
                }
                auto ref_uuid = element.is_array() && element.size() == 2 && element[1].is_string()
                                    ? ovsdb::Uuid::parse(element[1].get<std::string>())
                                    : std::nullopt;
                if (!ref_uuid) continue;
                const ovsdb::Row* ref = ref_table->find(*ref_uuid);
                if (!ref) continue;
                const auto& schema = ref_table->schema();
                Json target = column_json(*ref, schema, "target");
                if (!target.is_string()) continue;
                Desired d{defaults_, true};
                if (auto v = optional_integer(column_json(*ref, schema, "max_backoff")))
                    d.options.max_backoff = std::chrono::milliseconds(*v);
                if (auto v = optional_integer(column_json(*ref, schema, "inactivity_probe")))
                    d.options.inactivity_probe = std::chrono::milliseconds(*v);
                auto other = string_map(column_json(*ref, schema, "other_config"));
                if (auto it = other.find("dscp"); it != other.end()) {
                    int dscp = std::atoi(it->second.c_str());
                    if (dscp >= 0 && dscp <= 63) d.options.dscp = dscp;
                }
                out[target.get<std::string>()] = d;
            }
        }
    }
    return out;
}

void RemoteManager::reconcile() {
    auto desired = desired_db_remotes();
    for (auto it = open_.begin(); it != open_.end();) {
        auto want = desired.find(it->first);
        bool keep = !it->second.from_db ||
                    (want != desired.end() && want->second.options == it->second.options &&
                     it->second.remote);
        if (keep) {
            ++it;
            continue;
        }
        server_.log(it->first + ": " +
                    (want == desired.end() ? "removed from the database, closing"
                                           : "reconfigured, reopening"));
        it = open_.erase(it);
    }
    for (const auto& [target, want] : desired) {
        if (open_.count(target)) continue;  // fixed remotes win over database ones
        Open entry;
        entry.options = want.options;
        entry.from_db = true;
        auto spec = RemoteSpec::parse(target);
        if (!spec) {
            entry.error = spec.error().details;
        } else {
            try {
                entry.remote = open_remote(io_, server_, *spec, want.options, tls_);
            } catch (const boost::system::system_error& e) {
                entry.error = e.code().message();
            } catch (const std::exception& e) {
                entry.error = e.what();
            }
        }
        server_.log(entry.remote ? entry.remote->status()
                                 : target + ": cannot open: " + entry.error);
        open_[target] = std::move(entry);
    }
}

// Writes is_connected/status into every Manager row that names a remote, when it
// differs from what the row holds (clock-only differences at most every 2.5 s).
void RemoteManager::update_status() {
    status_timer_.expires_after(kStatusInterval);
    status_timer_.async_wait([this, alive = alive_](const ErrorCode& ec) {
        if (!ec && *alive) update_status();
    });
    auto now = std::chrono::steady_clock::now();
    bool refresh_clocks = now - last_status_write_ >= kClockRefresh;
    for (const DbSource& source : sources_) {
        ovsdb::Database* db = server_.find_database(source.db);
        if (!db) continue;
        ovsdb::Table* table = db->find_table(source.table);
        const ovsdb::ColumnSchema* column = table->schema().find_column(source.column);
        if (!column->type.key.is_ref()) continue;
        const ovsdb::Table* ref_table = db->find_table(column->type.key.ref_table_name);
        const auto& schema = ref_table->schema();
        if (!schema.find_column("is_connected") || !schema.find_column("status")) continue;
        Json ops = Json::array({source.db});
        for (const auto& [uuid, row] : ref_table->rows()) {
            Json target = column_json(*row, schema, "target");
            if (!target.is_string()) continue;
            auto it = open_.find(target.get<std::string>());
            if (it == open_.end()) continue;
            RemoteStatus status;
            if (it->second.remote)
                status = it->second.remote->report();
            else
                status.last_error = it->second.error;
            auto map = status.to_status_map();
            Json connected = column_json(*row, schema, "is_connected");
            auto current = string_map(column_json(*row, schema, "status"));
            bool same = connected == Json(status.is_connected) && current == map;
            if (same || (!refresh_clocks && connected == Json(status.is_connected) &&
                         only_clocks_differ(current, map)))
                continue;
            ops.push_back(
                {{"op", "update"},
                 {"table", schema.name},
                 {"where", Json::array({Json::array(
                               {"_uuid", "==", Json::array({"uuid", uuid.to_string()})})})},
                 {"row", {{"is_connected", status.is_connected}, {"status", ovsdb_map(map)}}}});
        }
        if (ops.size() > 1) {
            Json result = server_.transact(ops);
            last_status_write_ = now;
            for (const Json& r : result)
                if (r.is_object() && r.contains("error"))
                    server_.log("cannot update remote status: " + r.dump());
        }
    }
}

}  // namespace vtep::rpc
