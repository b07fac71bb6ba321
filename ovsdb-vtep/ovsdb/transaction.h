// An OVSDB transaction: a private, copy-on-write view of a Database that operations
// modify, and a commit that enforces the schema's integrity rules (RFC 7047 §4.1.3 and
// ovsdb(7): strong and weak references, garbage collection of unreferenced non-root
// rows, maxRows, unique indexes) before applying every change at once.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "ovsdb/database.h"

namespace vtep::ovsdb {

// One committed row change; old_row null for an insert, new_row null for a delete.
struct RowChange {
    const TableSchema* table;
    ConstRowPtr old_row;
    ConstRowPtr new_row;
};

struct CommitRecord {
    std::vector<RowChange> changes;  // in the order the transaction touched the rows
    std::string comment;             // "comment" operations, joined by newlines
    bool empty() const { return changes.empty(); }
};

class Transaction {
public:
    explicit Transaction(Database& db);

    Database& database() { return *db_; }
    const Database& database() const { return *db_; }

    // The row as this transaction sees it, or null.
    const Row* find(size_t table, const Uuid& uuid) const;
    // True if this transaction inserted, modified or deleted the row.
    bool touched(size_t table, const Uuid& uuid) const { return rows_[table].count(uuid) != 0; }
    // True if 'uuid' is neither in the table nor deleted within this transaction.
    bool may_create(size_t table, const Uuid& uuid) const;
    void insert(size_t table, Row row);
    Row* modify(size_t table, const Uuid& uuid);  // copy-on-write; null if absent
    void erase(size_t table, const Uuid& uuid);

    // Calls f(const Row&) for every row of the table as seen by this transaction, until f
    // returns false.
    template <typename F>
    void for_each_row(size_t table, F&& f) const;

    void add_comment(const std::string& comment);

    // Validates and applies the transaction. On error the database is unchanged.
    Result<CommitRecord> commit();

private:
    struct TxnRow {
        ConstRowPtr old_row;  // committed version, null if inserted by this transaction
        RowPtr new_row;       // null if deleted
    };
    struct RowKey {
        size_t table;
        Uuid uuid;
        bool operator==(const RowKey&) const = default;
    };
    struct RowKeyHash {
        size_t operator()(const RowKey& k) const { return UuidHash{}(k.uuid) ^ k.table; }
    };

    TxnRow& touch(size_t table, const Uuid& uuid, ConstRowPtr old_row);
    bool exists_after(size_t table, const Uuid& uuid) const;
    Status check_references(std::unordered_map<RowKey, int64_t, RowKeyHash>& delta);
    void collect_garbage(std::unordered_map<RowKey, int64_t, RowKeyHash>& delta);
    Status check_max_rows() const;
    Status remove_dangling_weak_refs();
    Status check_indexes() const;
    Error duplicate_index_error(const TableSchema& ts, size_t index, const Row& a,
                                const Row& b) const;

    Database* db_;
    std::vector<std::unordered_map<Uuid, TxnRow, UuidHash>> rows_;  // per table
    std::vector<RowKey> order_;                                      // first-touch order
    std::string comment_;
};

template <typename F>
void Transaction::for_each_row(size_t table, F&& f) const {
    const auto& changed = rows_[table];
    for (const auto& [uuid, row] : db_->table(table).rows()) {
        auto it = changed.find(uuid);
        if (it == changed.end()) {
            if (!f(static_cast<const Row&>(*row))) return;
        } else if (it->second.new_row) {
            if (!f(static_cast<const Row&>(*it->second.new_row))) return;
        }
    }
    for (const RowKey& key : order_) {
        if (key.table != table) continue;
        const TxnRow& r = changed.at(key.uuid);
        if (!r.old_row && r.new_row)
            if (!f(static_cast<const Row&>(*r.new_row))) return;
    }
}

}  // namespace vtep::ovsdb
