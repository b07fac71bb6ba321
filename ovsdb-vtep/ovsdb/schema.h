// Database, table and column schemas (RFC 7047 §3.2, with Open vSwitch's extensions:
// indexes, isRoot, ephemeral, mutable, maxRows).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb/error.h"
#include "ovsdb/type.h"

namespace vtep::ovsdb {

struct ColumnSchema {
    std::string name;
    Type type;
    bool mutable_ = true;
    bool persistent = true;  // false for "ephemeral" columns
    // Position of the column in Row::fields; the pseudo-columns _uuid and _version have
    // kUuidIndex / kVersionIndex.
    size_t index = 0;

    static constexpr size_t kUuidIndex = size_t(-1);
    static constexpr size_t kVersionIndex = size_t(-2);
    bool is_pseudo() const { return index >= kVersionIndex; }

    static Result<ColumnSchema> from_json(const Json& json, const std::string& name);
    Json to_json() const;
};

struct TableSchema {
    std::string name;
    std::vector<ColumnSchema> columns;  // user columns, in Row::fields order
    ColumnSchema uuid_column;           // "_uuid"
    ColumnSchema version_column;        // "_version"
    bool mutable_ = true;
    bool is_root = false;
    unsigned max_rows = UINT_MAX;
    std::vector<std::vector<size_t>> indexes;  // each: column indexes into 'columns'
    size_t table_index = 0;                    // position in DatabaseSchema::tables

    static Result<TableSchema> from_json(const Json& json, const std::string& name);
    Json to_json(bool default_is_root) const;
    // Finds a user column or _uuid/_version; null if there is no such column.
    const ColumnSchema* find_column(std::string_view name) const;
    bool has_refs() const;

private:
  std::map<std::string, size_t, std::less<>> by_name_;
  friend struct DatabaseSchema;
};

struct DatabaseSchema {
    std::string name;
    std::string version;  // "x.y.z", or empty for very old schemas
    std::string cksum;
    std::vector<TableSchema> tables;

    static Result<std::shared_ptr<DatabaseSchema>> from_json(const Json& json);
    Json to_json() const;
    const TableSchema* find_table(std::string_view name) const;

  private:
    std::map<std::string, size_t, std::less<>> by_name_;
    void resolve_references();
};

}  // namespace vtep::ovsdb
