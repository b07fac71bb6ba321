#include "ovsdb/monitor.h"

#include "ovsdb/parser.h"

namespace vtep::ovsdb {
namespace {

Status parse_request(const TableSchema& ts, const Json& request, bool conditional,
                     MonitoredTable& mt) {
    Parser parser(request, "table " + ts.name);
    const Json* where = conditional ? parser.member("where", Parser::Array | Parser::Optional)
                                    : nullptr;
    const Json* columns = parser.member("columns", Parser::Array | Parser::Optional);
    const Json* select_json = parser.member("select", Parser::Object | Parser::Optional);
    if (auto s = parser.finish(); !s) return s;
    unsigned select = kInitial | kInsert | kDelete | kModify;
    if (select_json) {
        select = 0;
        Parser sp(*select_json, "table " + ts.name + " select");
        const std::pair<const char*, unsigned> flags[] = {
            {"initial", kInitial}, {"insert", kInsert}, {"delete", kDelete}, {"modify", kModify}};
        for (auto& [name, bit] : flags) {
            const Json* b = sp.member(name, Parser::Boolean | Parser::Optional);
            if (!b || b->get<bool>()) select |= bit;
        }
        if (auto s = sp.finish(); !s) return s;
    }
    mt.select |= select;
    auto add = [&](const ColumnSchema* c) -> Status {
        for (const auto& existing : mt.columns)
            if (existing.column == c)
                return syntax_error(columns, "", "column " + c->name + " mentioned more than once");
        mt.columns.push_back({c, select});
        return {};
    };
    if (columns) {
        for (const Json& cj : *columns) {
            if (!cj.is_string()) return syntax_error(columns, "", "array of column names expected");
            const ColumnSchema* c = ts.find_column(cj.get<std::string>());
            if (!c)
                return syntax_error(columns, "",
                                    cj.get<std::string>() + " is not a valid column name");
            if (auto s = add(c); !s) return s;
        }
    } else {
        if (auto s = add(&ts.version_column); !s) return s;
        for (const auto& c : ts.columns)
            if (auto s = add(&c); !s) return s;
    }
    if (conditional) {
        auto cond = Condition::from_json(ts, where ? *where : Json::array(), nullptr);
        if (!cond) return cond.error();
        mt.set_condition(std::move(*cond));
    }
    return {};
}

bool is_default(const Datum& d, const Type& type) { return d == Datum::default_of(type); }

}  // namespace

void MonitoredTable::set_condition(Condition c) {
    condition_only_columns.clear();
    for (const ColumnSchema* col : c.columns()) {
        bool monitored = false;
        for (const auto& mc : columns) monitored |= mc.column == col;
        if (!monitored) condition_only_columns.push_back(col);
    }
    condition = std::move(c);
}

Result<Monitor> Monitor::from_json(const Database& db, const Json& requests, UpdateVersion v) {
    Monitor m;
    m.db_ = &db;
    m.version_ = v;
    m.by_table_.assign(db.n_tables(), -1);
    if (!requests.is_object())
        return syntax_error(&requests, "", "monitor-requests must be object");
    for (const auto& [name, request] : requests.items()) {
        const TableSchema* ts = db.schema().find_table(name);
        if (!ts) return syntax_error(nullptr, "", "no table named " + name);
        MonitoredTable mt;
        mt.table = ts;
        bool conditional = v != UpdateVersion::V1;
        if (request.is_array()) {
            for (const Json& r : request)
                if (auto s = parse_request(*ts, r, conditional, mt); !s) return s.error();
        } else {
            if (auto s = parse_request(*ts, request, conditional, mt); !s) return s.error();
        }
        m.by_table_[ts->table_index] = int(m.tables_.size());
        m.tables_.push_back(std::move(mt));
    }
    return m;
}

std::optional<Json> Monitor::row_update(const MonitoredTable& mt, const Row* old_row,
                                        const Row* new_row, bool initial) const {
    unsigned type = initial ? kInitial : !old_row ? kInsert : !new_row ? kDelete : kModify;
    if (mt.condition) {
        bool old_match = old_row && mt.matches(*old_row);
        bool new_match = new_row && mt.matches(*new_row);
        if (!old_match && !new_match) return std::nullopt;
        if ((type == kInitial || type == kInsert) && !new_match) return std::nullopt;
        if (type == kModify) type = !old_match ? kInsert : !new_match ? kDelete : kModify;
        if (type == kDelete && !old_match) return std::nullopt;
    }
    if (!(mt.select & type)) return std::nullopt;
    std::vector<bool> changed;
    if (type == kModify) {
        bool any = false;
        for (const auto& mc : mt.columns) {
            bool c = !old_row->same_value(*new_row, *mc.column);
            changed.push_back(c);
            any |= c;
        }
        for (const ColumnSchema* c : mt.condition_only_columns)
            any |= !old_row->same_value(*new_row, *c);
        if (!any) return std::nullopt;
    }
    Json update = Json::object();
    if (version_ == UpdateVersion::V1) {
        Json old_json = Json::object(), new_json = Json::object();
        for (size_t i = 0; i < mt.columns.size(); ++i) {
            const auto& mc = mt.columns[i];
            if (!(type & mc.select)) continue;
            const Type& t = mc.column->type;
            if ((type == kModify && changed[i]) || type == kDelete)
                old_json[mc.column->name] = old_row->value(*mc.column).to_json(t);
            if (type & (kInitial | kInsert | kModify))
                new_json[mc.column->name] = new_row->value(*mc.column).to_json(t);
        }
        if (type & (kDelete | kModify)) update["old"] = std::move(old_json);
        if (type & (kInitial | kInsert | kModify)) update["new"] = std::move(new_json);
        return update;
    }
    if (type == kDelete) {
        update["delete"] = nullptr;
        return update;
    }
    Json diff = Json::object();
    for (size_t i = 0; i < mt.columns.size(); ++i) {
        const auto& mc = mt.columns[i];
        if (!(type & mc.select)) continue;
        const Type& t = mc.column->type;
        if (type == kModify) {
            if (!changed[i]) continue;
            diff[mc.column->name] =
                Datum::diff(old_row->value(*mc.column), new_row->value(*mc.column), t).to_json(t);
        } else {
            Datum v = new_row->value(*mc.column);
            if (!is_default(v, t)) diff[mc.column->name] = v.to_json(t);
        }
    }
    update[type == kInitial ? "initial" : type == kModify ? "modify" : "insert"] = std::move(diff);
    return update;
}

Json Monitor::initial_updates() const {
    Json out = Json::object();
    for (const auto& mt : tables_) {
        if (!(mt.select & kInitial)) continue;
        Json rows = Json::object();
        for (const auto& [uuid, row] : db_->table(mt.table->table_index).rows())
            if (auto u = row_update(mt, nullptr, row.get(), true))
                rows[uuid.to_string()] = std::move(*u);
        if (!rows.empty()) out[mt.table->name] = std::move(rows);
    }
    return out;
}

Json Monitor::updates_for(const CommitRecord& commit) const {
    Json out = Json::object();
    for (const RowChange& change : commit.changes) {
        int pos = by_table_[change.table->table_index];
        if (pos < 0) continue;
        const MonitoredTable& mt = tables_[size_t(pos)];
        auto u = row_update(mt, change.old_row.get(), change.new_row.get(), false);
        if (!u) continue;
        const Uuid& uuid = change.old_row ? change.old_row->uuid : change.new_row->uuid;
        out[mt.table->name][uuid.to_string()] = std::move(*u);
    }
    return out;
}

Result<Json> Monitor::change_conditions(const Json& requests) {
    if (!requests.is_object())
        return syntax_error(&requests, "", "monitor-cond-change-requests must be object");
    std::vector<std::pair<size_t, Condition>> changes;
    for (const auto& [name, request] : requests.items()) {
        const TableSchema* ts = db_->schema().find_table(name);
        if (!ts || by_table_[ts->table_index] < 0)
            return syntax_error(&requests, "", "no table named " + name);
        // Several requests for one table apply in order: the last condition stands.
        const Json* r = &request;
        if (request.is_array()) {
            if (request.empty()) continue;
            r = &request.back();
        }
        Parser parser(*r, "table " + name);
        const Json* where = parser.member("where", Parser::Array | Parser::Optional);
        parser.member("columns", Parser::Array | Parser::Optional);
        if (auto s = parser.finish(); !s) return s.error();
        auto cond = Condition::from_json(*ts, where ? *where : Json::array(), nullptr);
        if (!cond) return cond.error();
        changes.emplace_back(size_t(by_table_[ts->table_index]), std::move(*cond));
    }
    Json out = Json::object();
    for (auto& [pos, cond] : changes) {
        MonitoredTable& mt = tables_[pos];
        MonitoredTable before = mt;
        mt.set_condition(std::move(cond));
        Json rows = Json::object();
        for (const auto& [uuid, row] : db_->table(mt.table->table_index).rows()) {
            bool was = before.matches(*row), is = mt.matches(*row);
            if (was == is) continue;
            MonitoredTable unconditional = mt;
            unconditional.condition.reset();
            std::optional<Json> u = is ? row_update(unconditional, nullptr, row.get(), false)
                                       : row_update(unconditional, row.get(), nullptr, false);
            if (u) rows[uuid.to_string()] = std::move(*u);
        }
        if (!rows.empty()) out[mt.table->name] = std::move(rows);
    }
    return out;
}

}  // namespace vtep::ovsdb
