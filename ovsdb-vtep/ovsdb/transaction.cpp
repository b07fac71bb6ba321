#include "ovsdb/transaction.h"

#include <algorithm>

namespace vtep::ovsdb {
namespace {

// Calls f(target table index, target uuid) for every reference of 'kind' in 'row'.
template <typename F>
void for_each_ref(const TableSchema& ts, const Row& row, RefType kind, F&& f) {
    for (const auto& c : ts.columns) {
        const Datum& d = row.fields[c.index];
        if (c.type.key.is_ref() && c.type.key.ref_type == kind)
            for (const Atom& a : d.keys()) f(c, c.type.key.ref_table->table_index, a.uuid());
        if (c.type.value.is_ref() && c.type.value.ref_type == kind)
            for (const Atom& a : d.values()) f(c, c.type.value.ref_table->table_index, a.uuid());
    }
}

std::string english_list(const std::vector<std::string>& items) {
    std::string s;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) s += (items.size() == 2 ? " and " : i == items.size() - 1 ? ", and " : ", ");
        s += items[i];
    }
    return s;
}

}  // namespace

Transaction::Transaction(Database& db) : db_(&db), rows_(db.n_tables()) {}

Transaction::TxnRow& Transaction::touch(size_t table, const Uuid& uuid, ConstRowPtr old_row) {
    auto [it, inserted] = rows_[table].try_emplace(uuid);
    if (inserted) {
        it->second.old_row = std::move(old_row);
        order_.push_back({table, uuid});
    }
    return it->second;
}

const Row* Transaction::find(size_t table, const Uuid& uuid) const {
    auto it = rows_[table].find(uuid);
    if (it != rows_[table].end()) return it->second.new_row.get();
    return db_->table(table).find(uuid);
}

bool Transaction::may_create(size_t table, const Uuid& uuid) const {
    return !rows_[table].count(uuid) && !db_->table(table).find(uuid);
}

void Transaction::insert(size_t table, Row row) {
    Uuid uuid = row.uuid;
    TxnRow& r = touch(table, uuid, nullptr);
    r.new_row = std::make_shared<Row>(std::move(row));
}

Row* Transaction::modify(size_t table, const Uuid& uuid) {
    auto it = rows_[table].find(uuid);
    if (it != rows_[table].end()) return it->second.new_row.get();
    RowPtr committed = db_->table(table).find_ptr(uuid);
    if (!committed) return nullptr;
    TxnRow& r = touch(table, uuid, committed);
    r.new_row = std::make_shared<Row>(*committed);
    return r.new_row.get();
}

void Transaction::erase(size_t table, const Uuid& uuid) {
    auto it = rows_[table].find(uuid);
    if (it != rows_[table].end()) {
        it->second.new_row.reset();
        return;
    }
    RowPtr committed = db_->table(table).find_ptr(uuid);
    if (committed) touch(table, uuid, committed);
}

void Transaction::add_comment(const std::string& comment) {
    if (!comment_.empty()) comment_ += "\n";
    comment_ += comment;
}

bool Transaction::exists_after(size_t table, const Uuid& uuid) const {
    auto it = rows_[table].find(uuid);
    if (it != rows_[table].end()) return bool(it->second.new_row);
    return db_->table(table).find(uuid) != nullptr;
}

Status Transaction::check_references(std::unordered_map<RowKey, int64_t, RowKeyHash>& delta) {
    const DatabaseSchema& schema = db_->schema();
    for (const RowKey& key : order_) {
        const TxnRow& r = rows_[key.table].at(key.uuid);
        const TableSchema& ts = schema.tables[key.table];
        if (r.old_row)
            for_each_ref(ts, *r.old_row, RefType::Strong,
                         [&](const ColumnSchema&, size_t t, const Uuid& target) {
                             if (target != key.uuid) delta[{t, target}] -= 1;
                         });
        if (r.new_row) {
            Status error;
            for_each_ref(ts, *r.new_row, RefType::Strong,
                         [&](const ColumnSchema& c, size_t t, const Uuid& target) {
                             if (target == key.uuid || !error.ok()) return;
                             if (!exists_after(t, target)) {
                                 error = make_error(
                                     "referential integrity violation",
                                     "Table " + ts.name + " column " + c.name + " row " +
                                         key.uuid.to_string() + " references nonexistent row " +
                                         target.to_string() + " in table " +
                                         schema.tables[t].name + ".");
                                 return;
                             }
                             delta[{t, target}] += 1;
                         });
            if (!error) return error;
        }
    }
    for (const RowKey& key : order_) {
        const TxnRow& r = rows_[key.table].at(key.uuid);
        if (r.new_row || !r.old_row) continue;
        int64_t remaining = int64_t(r.old_row->n_strong_refs);
        auto d = delta.find(key);
        if (d != delta.end()) remaining += d->second;
        if (remaining > 0)
            return make_error("referential integrity violation",
                              "cannot delete " + schema.tables[key.table].name + " row " +
                                  key.uuid.to_string() + " because of " +
                                  std::to_string(remaining) + " remaining reference(s)");
    }
    return {};
}

void Transaction::collect_garbage(std::unordered_map<RowKey, int64_t, RowKeyHash>& delta) {
    const DatabaseSchema& schema = db_->schema();
    std::vector<RowKey> work;
    for (const RowKey& key : order_)
        if (!schema.tables[key.table].is_root) work.push_back(key);
    for (const auto& [key, d] : delta)
        if (d < 0 && !schema.tables[key.table].is_root) work.push_back(key);
    while (!work.empty()) {
        RowKey key = work.back();
        work.pop_back();
        const Row* row = find(key.table, key.uuid);
        if (!row) continue;
        const Row* committed = db_->table(key.table).find(key.uuid);
        int64_t refs = committed ? int64_t(committed->n_strong_refs) : 0;
        auto d = delta.find(key);
        if (d != delta.end()) refs += d->second;
        if (refs > 0) continue;
        // Unreferenced: delete it, and drop the references it held.
        const TableSchema& ts = schema.tables[key.table];
        for_each_ref(ts, *row, RefType::Strong,
                     [&](const ColumnSchema&, size_t t, const Uuid& target) {
                         if (target == key.uuid) return;
                         delta[{t, target}] -= 1;
                         if (!schema.tables[t].is_root) work.push_back({t, target});
                     });
        erase(key.table, key.uuid);
    }
}

Status Transaction::check_max_rows() const {
    for (size_t t = 0; t < rows_.size(); ++t) {
        if (rows_[t].empty()) continue;
        const TableSchema& ts = db_->schema().tables[t];
        int64_t n = int64_t(db_->table(t).size());
        for (const auto& [uuid, r] : rows_[t]) n += (r.new_row ? 1 : 0) - (r.old_row ? 1 : 0);
        if (n > int64_t(ts.max_rows))
            return make_error("constraint violation",
                              "transaction causes \"" + ts.name + "\" table to contain " +
                                  std::to_string(n) +
                                  " rows, greater than the schema-defined limit of " +
                                  std::to_string(ts.max_rows) + " row(s)");
    }
    return {};
}

Status Transaction::remove_dangling_weak_refs() {
    const DatabaseSchema& schema = db_->schema();
    // Tables that lost rows in this transaction.
    std::vector<bool> lost(rows_.size(), false);
    for (const RowKey& key : order_) {
        const TxnRow& r = rows_[key.table].at(key.uuid);
        if (r.old_row && !r.new_row) lost[key.table] = true;
    }
    auto prune = [&](size_t t, const Uuid& uuid, Row& row, bool inserted) -> Status {
        const TableSchema& ts = schema.tables[t];
        for (const auto& c : ts.columns) {
            if (!c.type.key.is_weak_ref() && !c.type.value.is_weak_ref()) continue;
            Datum& d = row.fields[c.index];
            size_t before = d.size();
            for (size_t i = d.size(); i-- > 0;) {
                bool dangling =
                    (c.type.key.is_weak_ref() &&
                     !exists_after(c.type.key.ref_table->table_index, d.key(i).uuid())) ||
                    (c.type.value.is_weak_ref() &&
                     !exists_after(c.type.value.ref_table->table_index, d.value(i).uuid()));
                if (dangling) d.erase_at(i);
            }
            if (d.size() != before && d.size() < c.type.n_min)
                return make_error(
                    "constraint violation",
                    "Deletion of " + std::to_string(before - d.size()) +
                        " weak reference(s) to deleted (or never-existing) rows from column \"" +
                        c.name + "\" in \"" + ts.name + "\" row " + uuid.to_string() + " " +
                        (inserted ? "(inserted within this transaction) " : "") +
                        "caused this column to become empty, but constraints on this column "
                        "disallow an empty column.");
        }
        return {};
    };
    for (size_t t = 0; t < schema.tables.size(); ++t) {
        const TableSchema& ts = schema.tables[t];
        bool has_weak = false, targets_lost = false;
        for (const auto& c : ts.columns)
            for (const BaseType* b : {&c.type.key, &c.type.value})
                if (b->is_weak_ref()) {
                    has_weak = true;
                    targets_lost |= lost[b->ref_table->table_index];
                }
        if (!has_weak) continue;
        // Rows this transaction wrote: check every weak reference.
        std::vector<Uuid> written;
        for (const auto& [uuid, r] : rows_[t])
            if (r.new_row) written.push_back(uuid);
        for (const Uuid& uuid : written) {
            TxnRow& r = rows_[t].at(uuid);
            if (auto s = prune(t, uuid, *r.new_row, !r.old_row); !s) return s;
        }
        if (!targets_lost) continue;
        // Untouched rows may point at rows deleted here.
        std::vector<Uuid> affected;
        for (const auto& [uuid, row] : db_->table(t).rows()) {
            if (rows_[t].count(uuid)) continue;
            bool hit = false;
            for_each_ref(ts, *row, RefType::Weak,
                         [&](const ColumnSchema&, size_t target_table, const Uuid& target) {
                             hit |= !exists_after(target_table, target);
                         });
            if (hit) affected.push_back(uuid);
        }
        for (const Uuid& uuid : affected)
            if (auto s = prune(t, uuid, *modify(t, uuid), false); !s) return s;
    }
    return {};
}

Error Transaction::duplicate_index_error(const TableSchema& ts, size_t index, const Row& a_in,
                                         const Row& b_in) const {
    const Row* a = &a_in;
    const Row* b = &b_in;
    if (b->uuid < a->uuid) std::swap(a, b);  // a predictable order
    std::vector<std::string> values, names;
    std::vector<const ColumnSchema*> cols;
    for (size_t ci : ts.indexes[index]) {
        const ColumnSchema& c = ts.columns[ci];
        cols.push_back(&c);
        values.push_back(a->fields[ci].to_display_string(c.type));
        names.push_back("\"" + c.name + "\"");
    }
    auto describe = [&](const Row* row, const char* title) {
        std::string s = std::string(title) + " row, with UUID " + row->uuid.to_string() + ", ";
        auto it = rows_[ts.table_index].find(row->uuid);
        if (it == rows_[ts.table_index].end()) {
            s += "existed in the database before this transaction and was not modified by the "
                 "transaction.";
        } else if (!it->second.old_row) {
            s += "was inserted by this transaction.";
        } else if (it->second.old_row->equal_in(*it->second.new_row, cols)) {
            s += "existed in the database before this transaction, which modified some of the "
                 "row's columns but not any columns in this index.";
        } else {
            std::vector<std::string> old_values;
            for (const ColumnSchema* c : cols)
                old_values.push_back(it->second.old_row->fields[c->index].to_display_string(c->type));
            s += "had the following index values before the transaction: " +
                 english_list(old_values) + ".";
        }
        return s;
    };
    return make_error("constraint violation",
                      "Transaction causes multiple rows in \"" + ts.name +
                          "\" table to have identical values (" + english_list(values) +
                          ") for index on column" + (names.size() > 1 ? "s " : " ") +
                          english_list(names) + ".  " + describe(a, "First") + "  " +
                          describe(b, "Second"));
}

Status Transaction::check_indexes() const {
    const DatabaseSchema& schema = db_->schema();
    for (size_t t = 0; t < rows_.size(); ++t) {
        const TableSchema& ts = schema.tables[t];
        if (ts.indexes.empty() || rows_[t].empty()) continue;
        const Table& table = db_->table(t);
        for (size_t i = 0; i < ts.indexes.size(); ++i) {
            std::vector<const ColumnSchema*> cols;
            for (size_t ci : ts.indexes[i]) cols.push_back(&ts.columns[ci]);
            std::unordered_multimap<size_t, const Row*> written;
            for (const RowKey& key : order_) {
                if (key.table != t) continue;
                const TxnRow& r = rows_[t].at(key.uuid);
                if (!r.new_row) continue;
                size_t h = table.index_hash(i, *r.new_row);
                auto [b, e] = written.equal_range(h);
                for (auto it = b; it != e; ++it)
                    if (it->second->equal_in(*r.new_row, cols))
                        return duplicate_index_error(ts, i, *it->second, *r.new_row);
                Status error;
                table.for_each_index_candidate(i, h, [&](const Uuid& other) {
                    if (!error.ok() || other == key.uuid || rows_[t].count(other)) return;
                    const Row* o = table.find(other);
                    if (o && o->equal_in(*r.new_row, cols))
                        error = duplicate_index_error(ts, i, *o, *r.new_row);
                });
                if (!error) return error;
                written.emplace(h, r.new_row.get());
            }
        }
    }
    return {};
}

Result<CommitRecord> Transaction::commit() {
    // Rows whose final value equals the committed one are not changes.
    std::vector<RowKey> changed;
    for (const RowKey& key : order_) {
        TxnRow& r = rows_[key.table].at(key.uuid);
        if (r.old_row && r.new_row && r.old_row->fields == r.new_row->fields) {
            rows_[key.table].erase(key.uuid);
            continue;
        }
        if (!r.old_row && !r.new_row) {  // inserted, then deleted
            rows_[key.table].erase(key.uuid);
            continue;
        }
        changed.push_back(key);
    }
    order_ = std::move(changed);

    CommitRecord record;
    record.comment = comment_;
    if (order_.empty()) return record;

    std::unordered_map<RowKey, int64_t, RowKeyHash> delta;
    if (auto s = check_references(delta); !s) return s.error();
    collect_garbage(delta);
    if (auto s = check_max_rows(); !s) return s.error();
    if (auto s = remove_dangling_weak_refs(); !s) return s.error();
    if (auto s = check_indexes(); !s) return s.error();

    // Apply. Nothing below can fail.
    record.changes.reserve(order_.size());
    for (const RowKey& key : order_) {
        TxnRow& r = rows_[key.table].at(key.uuid);
        if (!r.old_row && !r.new_row) continue;
        if (r.old_row && r.new_row && r.old_row->fields == r.new_row->fields) continue;
        Table& table = db_->table(key.table);
        if (r.new_row) {
            int64_t refs = r.old_row ? int64_t(r.old_row->n_strong_refs) : 0;
            auto d = delta.find(key);
            if (d != delta.end()) {
                refs += d->second;
                delta.erase(d);
            }
            r.new_row->n_strong_refs = uint32_t(std::max<int64_t>(refs, 0));
            r.new_row->version = Uuid::random();
            table.put(r.new_row);
        } else {
            delta.erase(key);
            table.erase(key.uuid);
        }
        record.changes.push_back({&db_->schema().tables[key.table], r.old_row, r.new_row});
    }
    for (const auto& [key, d] : delta) {
        if (!d) continue;
        if (RowPtr row = db_->table(key.table).find_ptr(key.uuid))
            row->n_strong_refs = uint32_t(std::max<int64_t>(int64_t(row->n_strong_refs) + d, 0));
    }
    rows_.assign(rows_.size(), {});
    order_.clear();
    return record;
}

}  // namespace vtep::ovsdb
