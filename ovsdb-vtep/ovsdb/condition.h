// "where" conditions (RFC 7047 §5.1 <condition>) and monitor_cond's boolean clauses.
#pragma once

#include <optional>
#include <vector>

#include "ovsdb/row.h"
#include "ovsdb/symbol_table.h"

namespace vtep::ovsdb {

enum class Function { Lt, Le, Eq, Ne, Ge, Gt, Includes, Excludes, True, False };

struct Clause {
    Function function;
    const ColumnSchema* column = nullptr;  // null for True/False
    Datum arg;
    bool evaluate(const Row& row) const;
};

class Condition {
public:
    static Result<Condition> from_json(const TableSchema& table, const Json& json,
                                       SymbolTable* symbols);
    static Condition always() { return Condition(); }
    bool evaluate(const Row& row) const;       // all clauses hold ("where")
    bool evaluate_any(const Row& row) const;   // empty, or any clause holds (monitor_cond)
    bool is_true() const;  // no clauses, or only "true"
    // The columns its clauses test.
    std::vector<const ColumnSchema*> columns() const;
    // The uuid this condition pins the row to ("_uuid" "==" <uuid>), if any.
    std::optional<Uuid> uuid_equality() const;

private:
    std::vector<Clause> clauses_;
};

}  // namespace vtep::ovsdb
