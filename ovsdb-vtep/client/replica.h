// The client's local copy of the monitored tables: rows keyed by UUID, each column held as
// an ovsdb::Datum of its schema type (columns that are not monitored keep their default).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ovsdb/datum.h"
#include "ovsdb/schema.h"

namespace vtep::client {

using ovsdb::Datum;
using ovsdb::Uuid;

class ReplicaRow {
  public:
    ReplicaRow(const ovsdb::TableSchema& table, Uuid uuid);

    const Uuid& uuid() const { return uuid_; }
    const ovsdb::TableSchema& table() const { return *table_; }
    // The value of a column by name; an unknown name is a programming error (throws
    // std::out_of_range naming the table and column).
    const Datum& get(const std::string& column) const;
    const Datum& at(size_t index) const { return fields_[index]; }
    Datum& mutable_at(size_t index) { return fields_[index]; }

    // Scalar or optional columns: their one value, or nothing when the set is empty.
    std::optional<std::string> get_string(const std::string& column) const;
    std::optional<int64_t> get_integer(const std::string& column) const;
    std::optional<Uuid> get_uuid(const std::string& column) const;

    bool operator==(const ReplicaRow& other) const { return fields_ == other.fields_; }

  private:
    const ovsdb::TableSchema* table_;
    Uuid uuid_;
    std::vector<Datum> fields_;  // by ColumnSchema::index
};

class ReplicaTable {
  public:
    using Rows = std::unordered_map<Uuid, ReplicaRow, ovsdb::UuidHash>;

    explicit ReplicaTable(const ovsdb::TableSchema& schema) : schema_(&schema) {}
    const ovsdb::TableSchema& schema() const { return *schema_; }
    const ReplicaRow* find(const Uuid& uuid) const;
    const Rows& rows() const { return rows_; }
    size_t size() const { return rows_.size(); }

    // Element references stay valid until that row is erased (unordered_map nodes).
    Rows& mutable_rows() { return rows_; }

  private:
    const ovsdb::TableSchema* schema_;
    Rows rows_;
};

}  // namespace vtep::client
