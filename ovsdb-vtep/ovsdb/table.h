// The committed rows of one table, with its unique indexes.
#pragma once

#include <unordered_map>

#include "ovsdb/row.h"

namespace vtep::ovsdb {

class Table {
public:
    explicit Table(const TableSchema& schema);

    const TableSchema& schema() const { return *schema_; }
    size_t size() const { return rows_.size(); }
    const Row* find(const Uuid& uuid) const {
        auto it = rows_.find(uuid);
        return it == rows_.end() ? nullptr : it->second.get();
    }
    RowPtr find_ptr(const Uuid& uuid) const {
        auto it = rows_.find(uuid);
        return it == rows_.end() ? nullptr : it->second;
    }
    const std::unordered_map<Uuid, RowPtr, UuidHash>& rows() const { return rows_; }

    // Committed rows whose index 'i' columns hash like 'row' (candidates to compare).
    template <typename F>
    void for_each_index_candidate(size_t i, size_t hash, F&& f) const {
        auto [begin, end] = indexes_[i].equal_range(hash);
        for (auto it = begin; it != end; ++it) f(it->second);
    }
    size_t index_hash(size_t i, const Row& row) const;

    // Used by Transaction::commit and by storage replay only.
    void put(RowPtr row);  // insert or replace
    void erase(const Uuid& uuid);
    void reserve(size_t n) { rows_.reserve(n); }

private:
    const TableSchema* schema_;
    std::unordered_map<Uuid, RowPtr, UuidHash> rows_;
    std::vector<std::unordered_multimap<size_t, Uuid>> indexes_;
    void index_add(const Row& row);
    void index_remove(const Row& row);
};

}  // namespace vtep::ovsdb
