#include "ovsdb/schema.h"

#include <regex>

#include "ovsdb/json_text.h"
#include "ovsdb/parser.h"

namespace vtep::ovsdb {
namespace {

ColumnSchema pseudo_column(const char* name, size_t index) {
    ColumnSchema c;
    c.name = name;
    c.type.key.type = AtomicType::Uuid;
    c.mutable_ = false;
    c.index = index;
    return c;
}

bool is_valid_version(const std::string& v) {
    static const std::regex pattern("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$");
    return std::regex_match(v, pattern);
}

}  // namespace

Result<ColumnSchema> ColumnSchema::from_json(const Json& json, const std::string& name) {
    Parser parser(json, "schema for column " + name);
    const Json* mut = parser.member("mutable", Parser::Boolean | Parser::Optional);
    const Json* ephemeral = parser.member("ephemeral", Parser::Boolean | Parser::Optional);
    const Json* type_json = parser.member("type", Parser::String | Parser::Object);
    if (auto s = parser.finish(); !s) return s.error();
    auto type = Type::from_json(*type_json);
    if (!type) return type.error();
    ColumnSchema c;
    c.name = name;
    c.type = std::move(*type);
    c.mutable_ = !mut || mut->get<bool>();
    // A weak reference must be able to change when its target goes away.
    if (c.type.key.is_weak_ref() || c.type.value.is_weak_ref()) c.mutable_ = true;
    c.persistent = !(ephemeral && ephemeral->get<bool>());
    return c;
}

Json ColumnSchema::to_json() const {
    Json j = Json::object();
    if (!mutable_) j["mutable"] = false;
    if (!persistent) j["ephemeral"] = true;
    j["type"] = type.to_json();
    return j;
}

const ColumnSchema* TableSchema::find_column(std::string_view column) const {
    if (column == "_uuid") return &uuid_column;
    if (column == "_version") return &version_column;
    auto it = by_name_.find(column);
    return it == by_name_.end() ? nullptr : &columns[it->second];
}

bool TableSchema::has_refs() const {
    for (const auto& c : columns)
        if (c.type.has_refs()) return true;
    return false;
}

Result<TableSchema> TableSchema::from_json(const Json& json, const std::string& name) {
    Parser parser(json, "table schema for table " + name);
    const Json* columns = parser.member("columns", Parser::Object);
    const Json* mut = parser.member("mutable", Parser::Boolean | Parser::Optional);
    const Json* max_rows = parser.member("maxRows", Parser::Integer | Parser::Optional);
    const Json* is_root = parser.member("isRoot", Parser::Boolean | Parser::Optional);
    const Json* indexes = parser.member("indexes", Parser::Array | Parser::Optional);
    if (auto s = parser.finish(); !s) return s.error();

    TableSchema t;
    t.name = name;
    t.uuid_column = pseudo_column("_uuid", ColumnSchema::kUuidIndex);
    t.version_column = pseudo_column("_version", ColumnSchema::kVersionIndex);
    if (max_rows) {
        if (max_rows->get<int64_t>() <= 0)
            return syntax_error(&json, "", "maxRows must be at least 1");
        t.max_rows = unsigned(std::min<int64_t>(max_rows->get<int64_t>(), UINT_MAX));
    }
    if (columns->empty()) return syntax_error(&json, "", "table must have at least one column");
    t.mutable_ = !mut || mut->get<bool>();
    t.is_root = is_root && is_root->get<bool>();
    for (const auto& [cname, cjson] : columns->items()) {
        if (cname[0] == '_')
            return syntax_error(&json, "", "names beginning with \"_\" are reserved");
        if (!is_id(cname)) return syntax_error(&json, "", "name must be a valid id");
        auto c = ColumnSchema::from_json(cjson, cname);
        if (!c) return c.error();
        c->index = t.columns.size();
        t.by_name_[cname] = c->index;
        t.columns.push_back(std::move(*c));
    }
    if (indexes) {
        for (const Json& index_json : *indexes) {
            std::vector<size_t> index;
            if (!index_json.is_array())
                return syntax_error(&index_json, "", "array of distinct column names expected");
            for (const Json& cj : index_json) {
                const ColumnSchema* c =
                    cj.is_string() ? t.find_column(cj.get<std::string>()) : nullptr;
                if (!c)
                    return syntax_error(&index_json, "",
                                        (cj.is_string() ? cj.get<std::string>() : json_text(cj)) +
                                            " is not a valid column name");
                if (c->is_pseudo())
                    return syntax_error(&index_json, "", "array of distinct column names expected");
                for (size_t existing : index)
                    if (existing == c->index)
                        return syntax_error(&index_json, "",
                                            "array of distinct column names expected");
                index.push_back(c->index);
            }
            if (index.empty())
                return syntax_error(&json, "", "index must have at least one column");
            for (size_t ci : index)
                if (!t.columns[ci].persistent)
                    return syntax_error(&json, "", "ephemeral columns (such as " +
                                                       t.columns[ci].name +
                                                       ") may not be indexed");
            t.indexes.push_back(std::move(index));
        }
    }
    return t;
}

Json TableSchema::to_json(bool default_is_root) const {
    Json j = Json::object();
    if (!mutable_) j["mutable"] = false;
    if (default_is_root != is_root) j["isRoot"] = is_root;
    Json cols = Json::object();
    for (const auto& c : columns) cols[c.name] = c.to_json();
    j["columns"] = std::move(cols);
    if (max_rows != UINT_MAX) j["maxRows"] = max_rows;
    if (!indexes.empty()) {
        Json idx = Json::array();
        for (const auto& index : indexes) {
            Json names = Json::array();
            for (size_t ci : index) names.push_back(columns[ci].name);
            idx.push_back(std::move(names));
        }
        j["indexes"] = std::move(idx);
    }
    return j;
}

Result<std::shared_ptr<DatabaseSchema>> DatabaseSchema::from_json(const Json& json) {
    Parser parser(json, "database schema");
    const Json* name = parser.member("name", Parser::Id);
    const Json* version = parser.member("version", Parser::String | Parser::Optional);
    const Json* cksum = parser.member("cksum", Parser::String | Parser::Optional);
    const Json* tables = parser.member("tables", Parser::Object);
    if (auto s = parser.finish(); !s) return s.error();

    auto schema = std::make_shared<DatabaseSchema>();
    schema->name = name->get<std::string>();
    if (version) {
        schema->version = version->get<std::string>();
        if (!is_valid_version(schema->version))
            return syntax_error(&json, "", "schema version \"" + schema->version +
                                               "\" not in format x.y.z");
    }
    if (cksum) schema->cksum = cksum->get<std::string>();
    for (const auto& [tname, tjson] : tables->items()) {
        if (tname[0] == '_')
            return syntax_error(&json, "", "names beginning with \"_\" are reserved");
        if (!is_id(tname)) return syntax_error(&json, "", "name must be a valid id");
        auto t = TableSchema::from_json(tjson, tname);
        if (!t) return t.error();
        t->table_index = schema->tables.size();
        schema->by_name_[tname] = t->table_index;
        schema->tables.push_back(std::move(*t));
    }
    // Schemas older than "isRoot" have no root set: then every table is a root.
    bool any_root = false;
    for (const auto& t : schema->tables) any_root |= t.is_root;
    if (!any_root)
        for (auto& t : schema->tables) t.is_root = true;

    for (auto& t : schema->tables) {
        for (auto& c : t.columns) {
            for (const auto* base : {&c.type.key, &c.type.value}) {
                if (base->type != AtomicType::Uuid || !base->is_ref()) continue;
                const TableSchema* target = schema->find_table(base->ref_table_name);
                if (!target)
                    return syntax_error(nullptr, "", "column " + c.name + " " +
                                                         (base == &c.type.key ? "key" : "value") +
                                                         " refers to undefined table " +
                                                         base->ref_table_name);
                // Replaying the log must not garbage-collect a row that only an
                // ephemeral strong reference kept alive.
                if (base->is_strong_ref() && !target->is_root) c.persistent = true;
            }
        }
    }
    schema->resolve_references();
    return schema;
}

void DatabaseSchema::resolve_references() {
    for (auto& t : tables)
        for (auto& c : t.columns)
            for (auto* base : {&c.type.key, &c.type.value})
                if (base->is_ref()) base->ref_table = find_table(base->ref_table_name);
}

const TableSchema* DatabaseSchema::find_table(std::string_view table) const {
    auto it = by_name_.find(table);
    return it == by_name_.end() ? nullptr : &tables[it->second];
}

Json DatabaseSchema::to_json() const {
    Json j = Json::object();
    j["name"] = name;
    if (!version.empty()) j["version"] = version;
    if (!cksum.empty()) j["cksum"] = cksum;
    size_t roots = 0;
    for (const auto& t : tables) roots += t.is_root;
    bool default_is_root = roots == tables.size();
    Json ts = Json::object();
    for (const auto& t : tables) ts[t.name] = t.to_json(default_is_root);
    j["tables"] = std::move(ts);
    return j;
}

}  // namespace vtep::ovsdb
