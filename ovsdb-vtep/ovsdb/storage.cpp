#include "ovsdb/storage.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "ovsdb/json_text.h"
#include "ovsdb/replay.h"
#include "ovsdb/symbol_table.h"

namespace vtep::ovsdb {
namespace {

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::runtime_error file_error(const std::string& path, const std::string& what) {
    return std::runtime_error(path + ": " + what);
}

// Applies one transaction record to a fresh transaction. Errors name the table and row.
Status apply_record(Transaction& txn, const Json& record) {
    const Database& db = txn.database();
    bool is_diff = false;
    if (auto it = record.find("_is_diff"); it != record.end()) {
        if (!it->is_boolean()) return make_error("syntax error", "\"_is_diff\" must be boolean");
        is_diff = it->get<bool>();
    }
    for (const auto& [table_name, rows] : record.items()) {
        if (table_name == "_date" || table_name == "_comment" || table_name == "_is_diff")
            continue;
        const TableSchema* ts = db.schema().find_table(table_name);
        if (!ts) return make_error("syntax error", "No table named " + table_name + ".");
        if (!rows.is_object())
            return make_error("syntax error", "table " + table_name + " must be an object");
        for (const auto& [uuid_text, row_json] : rows.items()) {
            auto uuid = Uuid::parse(uuid_text);
            if (!uuid) return make_error("syntax error", "\"" + uuid_text + "\" is not a UUID");
            size_t t = ts->table_index;
            if (row_json.is_null()) {
                if (!txn.find(t, *uuid))
                    return make_error("syntax error", "transaction deletes row " + uuid_text +
                                                          " that does not exist");
                txn.erase(t, *uuid);
                continue;
            }
            if (!row_json.is_object())
                return make_error("syntax error", "row " + uuid_text + " must be an object");
            Row* row = txn.modify(t, *uuid);
            bool inserting = row == nullptr;
            if (inserting) {
                txn.insert(t, Row::with_defaults(*ts, *uuid));
                row = txn.modify(t, *uuid);
            }
            for (const auto& [column_name, value] : row_json.items()) {
                const ColumnSchema* c = ts->find_column(column_name);
                if (!c || c->is_pseudo())
                    return make_error("syntax error", "No column " + column_name +
                                                          " in table " + table_name + ".");
                auto d = Datum::from_json(c->type, value, nullptr, !is_diff || inserting);
                if (!d) return d.error();
                if (is_diff && !inserting)
                    row->fields[c->index].apply_diff(*d, c->type);
                else
                    row->fields[c->index] = std::move(*d);
            }
        }
    }
    return {};
}

bool is_default(const Datum& d, const Type& type) {
    if (type.n_min == 0) return d.empty();
    if (d.size() != 1 || !(d.key(0) == Atom::default_of(type.key.type))) return false;
    return !type.is_map() || d.value(0) == Atom::default_of(type.value.type);
}

void put_persistent_columns(const TableSchema& ts, const Row* old_row, const Row& new_row,
                            Json& out) {
    for (const auto& c : ts.columns) {
        if (!c.persistent) continue;
        const Datum& v = new_row.fields[c.index];
        if (!old_row) {
            if (!is_default(v, c.type)) out[c.name] = v.to_json(c.type);
        } else if (!(old_row->fields[c.index] == v)) {
            out[c.name] = Datum::diff(old_row->fields[c.index], v, c.type).to_json(c.type);
        }
    }
}

// The persistent columns of a table in the order Open vSwitch writes them (by name).
std::vector<const ColumnSchema*> persistent_columns_by_name(const TableSchema& ts) {
    std::vector<const ColumnSchema*> columns;
    for (const auto& c : ts.columns)
        if (c.persistent) columns.push_back(&c);
    std::sort(columns.begin(), columns.end(),
              [](const ColumnSchema* a, const ColumnSchema* b) { return a->name < b->name; });
    return columns;
}

// Appends the <row-txn> object of put_persistent_columns() as text; returns false (and
// appends nothing) for a modify that changes no persistent column.
bool append_row_text(const std::vector<const ColumnSchema*>& columns, const Row* old_row,
                     const Row& new_row, std::string& out) {
    size_t start = out.size();
    out.push_back('{');
    bool first = true;
    for (const ColumnSchema* c : columns) {
        const Datum& v = new_row.fields[c->index];
        if (!old_row ? is_default(v, c->type) : old_row->fields[c->index] == v) continue;
        if (!first) out.push_back(',');
        first = false;
        append_json_string(c->name, out);
        out.push_back(':');
        if (!old_row || c->type.n_max <= 1)
            v.append_json_text(c->type, out);
        else
            Datum::diff(old_row->fields[c->index], v, c->type).append_json_text(c->type, out);
    }
    if (old_row && first) {
        out.resize(start);
        return false;
    }
    out.push_back('}');
    return true;
}

}  // namespace

std::string Storage::commit_to_text(const CommitRecord& commit, int64_t date) {
    struct Entry {
        const RowChange* change;
        const Uuid* uuid;
    };
    std::vector<Entry> entries;
    entries.reserve(commit.changes.size());
    for (const RowChange& change : commit.changes)
        entries.push_back(
            {&change, change.old_row ? &change.old_row->uuid : &change.new_row->uuid});
    // Members sorted by name: tables, then row UUIDs (their text sorts like their value).
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        if (a.change->table != b.change->table) {
            int order = a.change->table->name.compare(b.change->table->name);
            if (order) return order < 0;
        }
        return *a.uuid < *b.uuid;
    });
    std::vector<std::pair<std::string_view, std::string>> members;  // name → member text
    for (size_t i = 0; i < entries.size();) {
        const TableSchema& ts = *entries[i].change->table;
        std::vector<const ColumnSchema*> columns = persistent_columns_by_name(ts);
        std::string rows;
        for (; i < entries.size() && entries[i].change->table == &ts; ++i) {
            const RowChange& change = *entries[i].change;
            size_t start = rows.size();
            if (!rows.empty()) rows.push_back(',');
            rows.push_back('"');
            entries[i].uuid->append_text(rows);
            rows += "\":";
            if (!change.new_row)
                rows += "null";
            else if (!append_row_text(columns, change.old_row.get(), *change.new_row, rows))
                rows.resize(start);  // only ephemeral columns changed
        }
        if (!rows.empty()) members.emplace_back(ts.name, "{" + rows + "}");
    }
    if (members.empty()) return {};
    members.emplace_back("_date", std::to_string(date));
    if (!commit.comment.empty()) {
        std::string comment;
        append_json_string(commit.comment, comment);
        members.emplace_back("_comment", std::move(comment));
    }
    members.emplace_back("_is_diff", "true");
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = "{";
    for (const auto& [name, text] : members) {
        if (out.size() > 1) out.push_back(',');
        append_json_string(name, out);
        out.push_back(':');
        out += text;
    }
    out.push_back('}');
    return out;
}

std::shared_ptr<DatabaseSchema> read_schema_file(const std::string& path) {
    DatabaseLog log = DatabaseLog::open(path, OpenMode::kReadOnly);
    auto first = log.read_next();
    if (!first) throw file_error(path, "database file has no schema record");
    auto schema = DatabaseSchema::from_json(*first);
    if (!schema) throw file_error(path, "bad schema: " + schema.error().to_string());
    return *schema;
}

Storage::Storage(DatabaseLog log, std::unique_ptr<Database> db)
    : log_(std::move(log)), db_(std::move(db)) {}

std::unique_ptr<Storage> Storage::open(const std::string& path,
                                       std::shared_ptr<const DatabaseSchema> create_schema,
                                       const std::function<void(const std::string&)>& warn) {
    bool exists = std::ifstream(path).good();
    if (!exists && !create_schema)
        throw file_error(path, "database file does not exist");
    DatabaseLog log = DatabaseLog::open(path, exists ? OpenMode::kReadWrite : OpenMode::kCreate);
    std::shared_ptr<const DatabaseSchema> schema;
    auto first = log.read_next();
    if (!first) {
        if (!create_schema) throw file_error(path, "database file is empty (no schema record)");
        log.append(create_schema->to_json());
        log.sync();
        schema = create_schema;
    } else {
        auto parsed = DatabaseSchema::from_json(*first);
        if (!parsed) throw file_error(path, "bad schema: " + parsed.error().to_string());
        schema = *parsed;
    }
    auto db = std::make_unique<Database>(schema);
    size_t n = 0;
    while (auto payload = log.read_next_payload()) {
        ++n;
        {
            // The common case, straight from the text.
            Transaction txn(*db);
            if (apply_record_text(txn, *payload) && txn.commit().ok()) continue;
        }
        // Anything else goes through the JSON tree, which gives the exact error.
        Json record;
        try {
            record = nlohmann::json::parse(*payload);
        } catch (const nlohmann::json::parse_error& e) {
            log.reject_damaged_last_record(std::string("payload is not valid JSON: ") + e.what());
            break;
        }
        if (!record.is_object()) {
            log.reject_damaged_last_record("payload is not a JSON object");
            break;
        }
        Transaction txn(*db);
        Status s = apply_record(txn, record);
        if (s) {
            auto committed = txn.commit();
            if (!committed) s = committed.error();
        }
        if (!s) {
            log.reject_last_record("transaction record " + std::to_string(n) +
                                   " cannot be applied: " + s.error().to_string());
            break;
        }
    }
    if (log.dropped_tail() && warn) warn(log.dropped_tail()->describe(path));
    return std::unique_ptr<Storage>(new Storage(std::move(log), std::move(db)));
}

Json Storage::commit_to_record(const CommitRecord& commit) {
    Json record = Json::object();
    for (const RowChange& change : commit.changes) {
        const TableSchema& ts = *change.table;
        const Uuid& uuid = change.old_row ? change.old_row->uuid : change.new_row->uuid;
        Json& slot = record[ts.name][uuid.to_string()];
        if (!change.new_row) {
            slot = nullptr;
            continue;
        }
        Json row = Json::object();
        put_persistent_columns(ts, change.old_row.get(), *change.new_row, row);
        if (change.old_row && row.empty()) {
            // Only ephemeral columns changed: nothing durable to say about this row.
            record[ts.name].erase(uuid.to_string());
            if (record[ts.name].empty()) record.erase(ts.name);
            continue;
        }
        slot = std::move(row);
    }
    return record;
}

Status Storage::write(const CommitRecord& commit, bool durable) {
    if (commit.empty()) return {};
    std::string text = commit_to_text(commit, now_ms());
    if (text.empty()) return {};  // only ephemeral columns changed
    std::string encoded = DatabaseLog::encode_payload(std::move(text));
    try {
        log_.append_encoded(encoded);
        if (durable) log_.sync();
    } catch (const std::exception& e) {
        return make_error("I/O error", e.what());
    }
    if (compaction_) compaction_->pending.push_back(std::move(encoded));
    ++commits_since_compaction_;
    return {};
}

bool Storage::should_compact() const {
    constexpr uint64_t kMinSize = 10ull * 1024 * 1024;
    return commits_since_compaction_ >= 100 && log_.size() > kMinSize &&
           log_.size() > 2 * log_.snapshot_size();
}

Storage::~Storage() {
    if (compaction_ && compaction_->worker.joinable()) compaction_->worker.join();
}

void Storage::start_compaction() {
    auto c = std::make_unique<Compaction>();
    c->replacement.emplace(log_.begin_replace());
    // Committed rows are never modified in place (transactions copy on write), so the
    // worker can read this snapshot of row pointers while new commits replace them.
    struct TableSnapshot {
        const TableSchema* table;
        std::vector<ConstRowPtr> rows;
    };
    auto snapshot = std::make_shared<std::vector<TableSnapshot>>();
    for (size_t t = 0; t < db_->n_tables(); ++t) {
        const Table& table = db_->table(t);
        if (!table.size()) continue;
        TableSnapshot ts{&table.schema(), {}};
        ts.rows.reserve(table.size());
        for (const auto& [uuid, row] : table.rows()) ts.rows.push_back(row);
        snapshot->push_back(std::move(ts));
    }
    std::string schema_text = json_text(db_->schema().to_json());
    Compaction* raw = c.get();
    c->worker = std::thread([raw, snapshot, schema_text = std::move(schema_text)] {
        try {
            raw->replacement->append_encoded(DatabaseLog::encode_payload(schema_text));
            // Serialised row by row straight to text: no JSON tree of the whole database.
            std::string payload = "{";
            bool first_table = true;
            for (const TableSnapshot& ts : *snapshot) {
                if (!first_table) payload += ',';
                first_table = false;
                append_json_text(ts.table->name, payload);
                payload += ":{";
                bool first_row = true;
                std::vector<const ColumnSchema*> columns = persistent_columns_by_name(*ts.table);
                for (const ConstRowPtr& row : ts.rows) {
                    if (!first_row) payload += ',';
                    first_row = false;
                    payload.push_back('"');
                    row->uuid.append_text(payload);
                    payload += "\":";
                    append_row_text(columns, nullptr, *row, payload);
                }
                payload += '}';
            }
            if (!first_table) payload += ',';
            payload += "\"_comment\":\"compacting database online\",\"_date\":" +
                       std::to_string(now_ms()) + "}";
            raw->replacement->append_encoded(DatabaseLog::encode_payload(std::move(payload)));
            raw->replacement->sync();
        } catch (const std::exception& e) {
            raw->error = e.what();
        }
        raw->done = true;
    });
    compaction_ = std::move(c);
}

Status Storage::finish_compaction() {
    std::unique_ptr<Compaction> c = std::move(compaction_);
    c->worker.join();
    if (!c->error.empty()) return make_error("I/O error", "compaction failed: " + c->error);
    try {
        for (const std::string& record : c->pending) c->replacement->append_encoded(record);
        c->replacement->sync();
        log_.commit_replace(std::move(*c->replacement));
    } catch (const std::exception& e) {
        return make_error("I/O error", std::string("compaction failed: ") + e.what());
    }
    commits_since_compaction_ = 0;
    return {};
}

Status Storage::poll_compaction() {
    if (!compaction_) {
        if (should_compact()) start_compaction();
        return {};
    }
    if (!compaction_->done) return {};
    return finish_compaction();
}

Status Storage::compact() {
    if (!compaction_) start_compaction();
    return finish_compaction();
}

}  // namespace vtep::ovsdb
