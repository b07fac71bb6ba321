#include "client/replica.h"

#include <stdexcept>

namespace vtep::client {

ReplicaRow::ReplicaRow(const ovsdb::TableSchema& table, Uuid uuid) : table_(&table), uuid_(uuid) {
    fields_.reserve(table.columns.size());
    for (const auto& column : table.columns) fields_.push_back(Datum::default_of(column.type));
}

const Datum& ReplicaRow::get(const std::string& column) const {
    const ovsdb::ColumnSchema* c = table_->find_column(column);
    if (!c || c->is_pseudo())
        throw std::out_of_range("table " + table_->name + " has no column " + column);
    return fields_[c->index];
}

std::optional<std::string> ReplicaRow::get_string(const std::string& column) const {
    const Datum& d = get(column);
    if (d.empty()) return std::nullopt;
    return std::string(d.key(0).string());
}

std::optional<int64_t> ReplicaRow::get_integer(const std::string& column) const {
    const Datum& d = get(column);
    if (d.empty()) return std::nullopt;
    return d.key(0).integer();
}

std::optional<Uuid> ReplicaRow::get_uuid(const std::string& column) const {
    const Datum& d = get(column);
    if (d.empty()) return std::nullopt;
    return d.key(0).uuid();
}

const ReplicaRow* ReplicaTable::find(const Uuid& uuid) const {
    auto it = rows_.find(uuid);
    return it == rows_.end() ? nullptr : &it->second;
}

}  // namespace vtep::client
