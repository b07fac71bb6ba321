// "mutate" operations (RFC 7047 §5.1 <mutation>): arithmetic on integer/real scalars and
// sets, and insert/delete on sets and maps.
#pragma once

#include <vector>

#include "ovsdb/row.h"
#include "ovsdb/symbol_table.h"

namespace vtep::ovsdb {

enum class Mutator { Add, Sub, Mul, Div, Mod, Insert, Delete };

struct Mutation {
    const ColumnSchema* column;
    Mutator mutator;
    Type arg_type;
    Datum arg;
};

class MutationSet {
public:
    static Result<MutationSet> from_json(const TableSchema& table, const Json& json,
                                         SymbolTable* symbols);
    Status apply(Row& row) const;

private:
    std::vector<Mutation> mutations_;
};

}  // namespace vtep::ovsdb
