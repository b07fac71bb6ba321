#include "ovsdb/table.h"

namespace vtep::ovsdb {

Table::Table(const TableSchema& schema) : schema_(&schema), indexes_(schema.indexes.size()) {}

size_t Table::index_hash(size_t i, const Row& row) const {
    size_t h = 0;
    for (size_t ci : schema_->indexes[i]) h = h * 1000003 + row.fields[ci].hash();
    return h;
}

void Table::index_add(const Row& row) {
    for (size_t i = 0; i < indexes_.size(); ++i) indexes_[i].emplace(index_hash(i, row), row.uuid);
}

void Table::index_remove(const Row& row) {
    for (size_t i = 0; i < indexes_.size(); ++i) {
        auto [begin, end] = indexes_[i].equal_range(index_hash(i, row));
        for (auto it = begin; it != end; ++it)
            if (it->second == row.uuid) {
                indexes_[i].erase(it);
                break;
            }
    }
}

void Table::put(RowPtr row) {
    auto [it, inserted] = rows_.try_emplace(row->uuid, row);
    if (!inserted) {
        if (!indexes_.empty()) index_remove(*it->second);
        it->second = std::move(row);
    }
    if (!indexes_.empty()) index_add(*it->second);
}

void Table::erase(const Uuid& uuid) {
    auto it = rows_.find(uuid);
    if (it == rows_.end()) return;
    if (!indexes_.empty()) index_remove(*it->second);
    rows_.erase(it);
}

}  // namespace vtep::ovsdb
