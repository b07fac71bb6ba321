#include "ovsdb/row.h"

namespace vtep::ovsdb {

Row Row::with_defaults(const TableSchema& table, const Uuid& uuid) {
    Row row;
    row.uuid = uuid;
    row.fields.reserve(table.columns.size());
    for (const auto& c : table.columns) row.fields.push_back(Datum::default_of(c.type));
    return row;
}

Datum Row::value(const ColumnSchema& column) const {
    if (column.index == ColumnSchema::kUuidIndex) return Datum::scalar(Atom(uuid));
    if (column.index == ColumnSchema::kVersionIndex) return Datum::scalar(Atom(version));
    return fields[column.index];
}

bool Row::same_value(const Row& other, const ColumnSchema& c) const {
    if (c.index == ColumnSchema::kUuidIndex) return uuid == other.uuid;
    if (c.index == ColumnSchema::kVersionIndex) return version == other.version;
    return fields[c.index] == other.fields[c.index];
}

bool Row::equal_in(const Row& other, const std::vector<const ColumnSchema*>& columns) const {
    for (const ColumnSchema* c : columns)
        if (!same_value(other, *c)) return false;
    return true;
}

Json Row::to_json(const std::vector<const ColumnSchema*>& columns) const {
    Json j = Json::object();
    for (const ColumnSchema* c : columns) {
        if (c->index == ColumnSchema::kUuidIndex)
            j[c->name] = Json::array({"uuid", uuid.to_string()});
        else if (c->index == ColumnSchema::kVersionIndex)
            j[c->name] = Json::array({"uuid", version.to_string()});
        else
            j[c->name] = fields[c->index].to_json(c->type);
    }
    return j;
}

std::vector<const ColumnSchema*> all_columns(const TableSchema& table) {
    std::vector<const ColumnSchema*> columns{&table.uuid_column, &table.version_column};
    for (const auto& c : table.columns) columns.push_back(&c);
    return columns;
}

}  // namespace vtep::ovsdb
