#include "ovsdb/execution.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "ovsdb/condition.h"
#include "ovsdb/mutation.h"
#include "ovsdb/parser.h"

namespace vtep::ovsdb {
namespace {

struct Executor {
    Database& db;
    Transaction& txn;
    SymbolTable symbols;
    const ExecutionContext& ctx;
    bool durable = false;
    int64_t timeout_msec = INT64_MAX;
    bool must_wait = false;

    const TableSchema* parse_table(Parser& parser) {
        const Json* j = parser.member("table", Parser::Id);
        if (!j) return nullptr;
        const TableSchema* t = db.schema().find_table(j->get<std::string>());
        if (!t) parser.raise("No table named " + j->get<std::string>() + ".");
        return t;
    }

    // Parses a <row> into 'row'; 'included' receives the columns given.
    Status parse_row(const TableSchema& ts, const Json& json, Row& row,
                     std::vector<const ColumnSchema*>* included) {
        if (!json.is_object()) return syntax_error(&json, "", "row must be JSON object");
        for (const auto& [name, value] : json.items()) {
            const ColumnSchema* c = ts.find_column(name);
            if (!c)
                return syntax_error(&json, "unknown column",
                                    "No column " + name + " in table " + ts.name + ".");
            auto d = Datum::from_json(c->type, value, &symbols);
            if (!d) return d.error();
            if (!c->is_pseudo()) row.fields[c->index] = std::move(*d);
            if (included) included->push_back(c);
        }
        return {};
    }

    Result<std::vector<const ColumnSchema*>> parse_columns(const TableSchema& ts,
                                                           const Json* json) {
        if (!json) return all_columns(ts);
        std::vector<const ColumnSchema*> columns;
        for (const Json& e : *json) {
            if (!e.is_string())
                return syntax_error(json, "", "array of distinct column names expected");
            const ColumnSchema* c = ts.find_column(e.get<std::string>());
            if (!c)
                return syntax_error(json, "",
                                    e.get<std::string>() + " is not a valid column name");
            if (std::find(columns.begin(), columns.end(), c) != columns.end())
                return syntax_error(json, "", "array of distinct column names expected");
            columns.push_back(c);
        }
        return columns;
    }

    // Calls f(const Row&) for each row matching 'cond'; f returns false to stop.
    template <typename F>
    void query(const TableSchema& ts, const Condition& cond, F&& f) {
        if (auto uuid = cond.uuid_equality()) {
            const Row* row = txn.find(ts.table_index, *uuid);
            if (row && cond.evaluate(*row)) f(*row);
            return;
        }
        std::vector<Uuid> matches;
        txn.for_each_row(ts.table_index, [&](const Row& row) {
            if (cond.evaluate(row)) matches.push_back(row.uuid);
            return true;
        });
        for (const Uuid& u : matches) {
            const Row* row = txn.find(ts.table_index, u);
            if (row && !f(*row)) break;
        }
    }

    // The rows matching 'cond', collected before any of them is changed.
    std::vector<Uuid> matching_rows(const TableSchema& ts, const Condition& cond) {
        std::vector<Uuid> matched;
        query(ts, cond, [&](const Row& row) {
            matched.push_back(row.uuid);
            return true;
        });
        return matched;
    }

    Status op_insert(Parser& parser, Json& result) {
        const TableSchema* ts = parse_table(parser);
        const Json* uuid_json = parser.member("uuid", Parser::String | Parser::Optional);
        const Json* uuid_name = parser.member("uuid-name", Parser::Id | Parser::Optional);
        const Json* row_json = parser.member("row", Parser::Object);
        if (parser.has_error()) return {};
        Uuid uuid;
        if (uuid_json) {
            auto u = Uuid::parse(uuid_json->get<std::string>());
            if (!u) return syntax_error(uuid_json, "", "bad uuid");
            if (!txn.may_create(ts->table_index, *u))
                return syntax_error(uuid_json, "duplicate uuid",
                                    "This UUID would duplicate a UUID already present within "
                                    "the table or deleted within the same transaction.");
            uuid = *u;
        }
        if (uuid_name) {
            Symbol& symbol = symbols.insert(uuid_name->get<std::string>());
            if (symbol.created)
                return syntax_error(uuid_name, "duplicate uuid-name",
                                    "This \"uuid-name\" appeared on an earlier \"insert\" "
                                    "operation.");
            if (uuid_json)
                symbol.uuid = uuid;
            else
                uuid = symbol.uuid;
            symbol.created = true;
        } else if (!uuid_json) {
            uuid = Uuid::random();
        }
        Row row = Row::with_defaults(*ts, uuid);
        if (row_json)
            if (auto s = parse_row(*ts, *row_json, row, nullptr); !s) return s;
        // Default values may violate constraints (e.g. an enum without "").
        for (const auto& c : ts->columns)
            if (row.fields[c.index].size() == 1)
                if (auto s = row.fields[c.index].check_constraints(c.type); !s) return s;
        txn.insert(ts->table_index, std::move(row));
        result["uuid"] = Json::array({"uuid", uuid.to_string()});
        return {};
    }

    Status op_select(Parser& parser, Json& result) {
        const TableSchema* ts = parse_table(parser);
        const Json* where = parser.member("where", Parser::Array);
        const Json* columns_json = parser.member("columns", Parser::Array | Parser::Optional);
        const Json* sort_json = parser.member("sort", Parser::Array | Parser::Optional);
        if (parser.has_error()) return {};
        auto cond = Condition::from_json(*ts, *where, &symbols);
        if (!cond) return cond.error();
        auto columns = parse_columns(*ts, columns_json);
        if (!columns) return columns.error();
        std::vector<const ColumnSchema*> sort;
        if (sort_json) {
            auto s = parse_columns(*ts, sort_json);
            if (!s) return s.error();
            sort = std::move(*s);
        }
        // Rows identical in the selected columns appear once (ovsdb-server's "distinct");
        // with _uuid selected every row is distinct already.
        bool has_uuid = std::find(columns->begin(), columns->end(), &ts->uuid_column) != columns->end();
        std::vector<const Row*> rows;
        std::unordered_multimap<size_t, const Row*> seen;
        query(*ts, *cond, [&](const Row& row) {
            if (!has_uuid) {
                size_t h = 0;
                for (const ColumnSchema* c : *columns) h = h * 1000003 + row.value(*c).hash();
                auto [b, e] = seen.equal_range(h);
                for (auto it = b; it != e; ++it)
                    if (it->second->equal_in(row, *columns)) return true;
                seen.emplace(h, &row);
            }
            rows.push_back(&row);
            return true;
        });
        if (!sort.empty())
            std::stable_sort(rows.begin(), rows.end(), [&](const Row* a, const Row* b) {
                for (const ColumnSchema* c : sort) {
                    Datum da = a->value(*c), db_ = b->value(*c);
                    if (da == db_) continue;
                    return std::lexicographical_compare(da.keys().begin(), da.keys().end(),
                                                        db_.keys().begin(), db_.keys().end());
                }
                return false;
            });
        Json out = Json::array();
        for (const Row* r : rows) out.push_back(r->to_json(*columns));
        result["rows"] = std::move(out);
        return {};
    }

    Status op_update(Parser& parser, Json& result) {
        const TableSchema* ts = parse_table(parser);
        const Json* where = parser.member("where", Parser::Array);
        const Json* row_json = parser.member("row", Parser::Object);
        if (parser.has_error()) return {};
        Row values = Row::with_defaults(*ts, Uuid{});
        std::vector<const ColumnSchema*> columns;
        if (auto s = parse_row(*ts, *row_json, values, &columns); !s) return s;
        for (const ColumnSchema* c : columns)
            if (!c->mutable_ || c->is_pseudo())
                return syntax_error(parser.json(), "constraint violation",
                                    "Cannot update immutable column " + c->name + " in table " +
                                        ts->name + ".");
        auto cond = Condition::from_json(*ts, *where, &symbols);
        if (!cond) return cond.error();
        int64_t count = 0;
        std::vector<Uuid> matched;
        query(*ts, *cond, [&](const Row& row) {
            ++count;
            if (!row.equal_in(values, columns)) matched.push_back(row.uuid);
            return true;
        });
        for (const Uuid& u : matched) {
            Row* row = txn.modify(ts->table_index, u);
            for (const ColumnSchema* c : columns) row->fields[c->index] = values.fields[c->index];
        }
        result["count"] = count;
        return {};
    }

    Status op_mutate(Parser& parser, Json& result) {
        const TableSchema* ts = parse_table(parser);
        const Json* where = parser.member("where", Parser::Array);
        const Json* mutations_json = parser.member("mutations", Parser::Array);
        if (parser.has_error()) return {};
        auto mutations = MutationSet::from_json(*ts, *mutations_json, &symbols);
        if (!mutations) return mutations.error();
        auto cond = Condition::from_json(*ts, *where, &symbols);
        if (!cond) return cond.error();
        std::vector<Uuid> matched = matching_rows(*ts, *cond);
        int64_t count = 0;
        Status status;
        for (const Uuid& u : matched) {
            ++count;
            status = mutations->apply(*txn.modify(ts->table_index, u));
            if (!status) break;
        }
        result["count"] = count;
        return status;
    }

    Status op_delete(Parser& parser, Json& result) {
        const Json* where = parser.member("where", Parser::Array);
        const TableSchema* ts = parse_table(parser);
        if (parser.has_error()) return {};
        auto cond = Condition::from_json(*ts, *where, &symbols);
        if (!cond) return cond.error();
        std::vector<Uuid> matched = matching_rows(*ts, *cond);
        for (const Uuid& u : matched) txn.erase(ts->table_index, u);
        result["count"] = int64_t(matched.size());
        return {};
    }

    Status op_wait(Parser& parser, Json&) {
        const Json* timeout = parser.member("timeout", Parser::Integer | Parser::Optional);
        const Json* where = parser.member("where", Parser::Array);
        const Json* columns_json = parser.member("columns", Parser::Array | Parser::Optional);
        const Json* until = parser.member("until", Parser::String);
        const Json* rows_json = parser.member("rows", Parser::Array);
        const TableSchema* ts = parse_table(parser);
        if (parser.has_error()) return {};
        auto cond = Condition::from_json(*ts, *where, &symbols);
        if (!cond) return cond.error();
        auto columns = parse_columns(*ts, columns_json);
        if (!columns) return columns.error();
        int64_t wait_msec = INT64_MAX;
        if (timeout) {
            wait_msec = timeout->get<int64_t>();
            if (wait_msec < 0) return syntax_error(timeout, "", "timeout must be nonnegative");
            timeout_msec = std::min(timeout_msec, wait_msec);
        }
        const std::string& until_s = until->get_ref<const std::string&>();
        if (until_s != "==" && until_s != "!=")
            return syntax_error(until, "", "\"until\" must be \"==\" or \"!=\"");
        std::vector<Row> expected;
        for (const Json& rj : *rows_json) {
            Row r = Row::with_defaults(*ts, Uuid{});
            if (auto s = parse_row(*ts, rj, r, nullptr); !s) return s;
            bool dup = false;
            for (const Row& e : expected) dup |= e.equal_in(r, *columns);
            if (!dup) expected.push_back(std::move(r));
        }
        bool equal = true;
        std::vector<const Row*> actual;
        query(*ts, *cond, [&](const Row& row) {
            bool found = false;
            for (const Row& e : expected) found |= e.equal_in(row, *columns);
            if (!found) {
                equal = false;
                return false;
            }
            for (const Row* a : actual)
                if (a->equal_in(row, *columns)) return true;
            actual.push_back(&row);
            return true;
        });
        if (equal) equal = actual.size() == expected.size();
        if ((until_s == "==") != equal) {
            if (timeout && ctx.elapsed_msec >= wait_msec) {
                if (ctx.elapsed_msec)
                    return make_error("timed out", "\"wait\" timed out after " +
                                                       std::to_string(ctx.elapsed_msec) + " ms");
                return make_error("timed out", "\"where\" clause test failed");
            }
            must_wait = true;
            return make_error("not supported", "triggers not supported");
        }
        return {};
    }

    Status op_commit(Parser& parser, Json&) {
        const Json* d = parser.member("durable", Parser::Boolean);
        if (d && d->get<bool>()) durable = true;
        return {};
    }

    Status op_abort(Parser&, Json&) { return make_error("aborted", "aborted by request"); }

    Status op_comment(Parser& parser, Json&) {
        const Json* c = parser.member("comment", Parser::String);
        if (c) txn.add_comment(c->get<std::string>());
        return {};
    }

    Status op_assert(Parser& parser, Json&) {
        const Json* lock = parser.member("lock", Parser::Id);
        if (!lock) return {};
        if (ctx.holds_lock && ctx.holds_lock(lock->get<std::string>())) return {};
        return make_error("not owner", "Asserted lock " + lock->get<std::string>() + " not held.");
    }
};

using OpFn = Status (Executor::*)(Parser&, Json&);

bool lookup_operation(const std::string& name, OpFn& fn, bool& read_only) {
    static const struct {
        const char* name;
        bool read_only;
        OpFn fn;
    } ops[] = {{"insert", false, &Executor::op_insert},   {"select", true, &Executor::op_select},
               {"update", false, &Executor::op_update},   {"mutate", false, &Executor::op_mutate},
               {"delete", false, &Executor::op_delete},   {"wait", true, &Executor::op_wait},
               {"commit", false, &Executor::op_commit},   {"abort", true, &Executor::op_abort},
               {"comment", true, &Executor::op_comment},  {"assert", true, &Executor::op_assert}};
    for (const auto& op : ops)
        if (name == op.name) {
            fn = op.fn;
            read_only = op.read_only;
            return true;
        }
    return false;
}

}  // namespace

Execution execute_transaction(Database& db, const Json& params, const ExecutionContext& ctx) {
    Execution out;
    if (!params.is_array() || params.empty() || !params[0].is_string() ||
        params[0].get_ref<const std::string&>() != db.name()) {
        Error e = params.is_array()
                      ? syntax_error(&params, "", "database name expected as first parameter")
                      : syntax_error(&params, "", "array expected");
        out.results = e.to_json();
        return out;
    }
    out.txn = std::make_unique<Transaction>(db);
    Executor x{db, *out.txn, {}, ctx};
    size_t n = params.size() - 1;
    Json results = Json::array();
    bool failed = false;
    for (size_t i = 1; i <= n; ++i) {
        const Json& op_json = params[i];
        Parser parser(op_json, "ovsdb operation " + std::to_string(i) + " of " + std::to_string(n));
        const Json* op = parser.member("op", Parser::Id);
        Json result = Json::object();
        Status status;
        bool read_only = false;
        std::string op_name;
        if (op) {
            op_name = op->get<std::string>();
            OpFn fn;
            if (lookup_operation(op_name, fn, read_only))
                status = (x.*fn)(parser, result);
            else
                parser.raise("No operation \"" + op_name + "\"");
        }
        // A parse error overrides any other error; an error overrides the result.
        if (auto p = parser.finish(); !p) status = p;
        if (status && !read_only && db.name()[0] == '_')
            status = make_error("not allowed", op_name + " operation not allowed on table in "
                                                          "reserved database " + db.name());
        if (!status) {
            if (status.error().tag == "not supported" && x.must_wait) {
                out.must_wait = true;
                out.timeout_msec = x.timeout_msec;
                out.txn.reset();
                out.results = nullptr;
                return out;
            }
            results.push_back(status.error().to_json());
            failed = true;
            break;
        }
        results.push_back(std::move(result));
    }
    while (results.size() < n) results.push_back(nullptr);
    if (failed) out.txn.reset();
    out.results = std::move(results);
    out.durable = x.durable;
    return out;
}

Json execute_and_commit(Database& db, const Json& params, const ExecutionContext& ctx,
                        const std::function<Status(const CommitRecord&, bool)>& on_commit,
                        int64_t* timeout_msec) {
    Execution x = execute_transaction(db, params, ctx);
    if (x.must_wait) {
        if (timeout_msec) *timeout_msec = x.timeout_msec;
        return nullptr;
    }
    if (!x.txn) return std::move(x.results);
    auto record = x.txn->commit();
    if (!record) {
        x.results.push_back(record.error().to_json());
    } else if (on_commit) {
        if (auto s = on_commit(*record, x.durable); !s) x.results.push_back(s.error().to_json());
    }
    return std::move(x.results);
}

}  // namespace vtep::ovsdb
