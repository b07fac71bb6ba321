// A table row: its identity, version and the value of every user column.
#pragma once

#include <memory>
#include <vector>

#include "ovsdb/datum.h"
#include "ovsdb/schema.h"

namespace vtep::ovsdb {

struct Row {
    Uuid uuid;
    Uuid version;
    std::vector<Datum> fields;  // indexed by ColumnSchema::index
    // Strong references to this row from other rows (self-references do not count);
    // maintained by Transaction::commit on the row version that is in the table.
    uint32_t n_strong_refs = 0;

    static Row with_defaults(const TableSchema& table, const Uuid& uuid);

    // The value of any column, _uuid and _version included.
    Datum value(const ColumnSchema& column) const;
    // Whether 'other' holds the same value in 'column', without copying either value.
    bool same_value(const Row& other, const ColumnSchema& column) const;
    bool equal_in(const Row& other, const std::vector<const ColumnSchema*>& columns) const;
    // The row as a JSON object of the given columns (RFC 7047 <row>).
    Json to_json(const std::vector<const ColumnSchema*>& columns) const;
};

using RowPtr = std::shared_ptr<Row>;
using ConstRowPtr = std::shared_ptr<const Row>;

// Every column of 'table', _uuid and _version first (the default column set).
std::vector<const ColumnSchema*> all_columns(const TableSchema& table);

}  // namespace vtep::ovsdb
