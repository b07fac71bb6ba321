#include "ovsdb/condition.h"

#include <algorithm>

#include "ovsdb/type_text.h"

namespace vtep::ovsdb {
namespace {

bool parse_function(const std::string& s, Function& f) {
    static const std::pair<const char*, Function> names[] = {
        {"<", Function::Lt},   {"<=", Function::Le},       {"==", Function::Eq},
        {"!=", Function::Ne},  {">=", Function::Ge},       {">", Function::Gt},
        {"includes", Function::Includes}, {"excludes", Function::Excludes}};
    for (auto& [n, fn] : names)
        if (s == n) {
            f = fn;
            return true;
        }
    return false;
}

Result<Clause> clause_from_json(const TableSchema& ts, const Json& json, SymbolTable* symbols) {
    Clause c;
    if (json.is_boolean()) {
        c.function = json.get<bool>() ? Function::True : Function::False;
        return c;
    }
    if (!json.is_array() || json.size() != 3 || !json[0].is_string() || !json[1].is_string())
        return syntax_error(&json, "", "Parse error in condition.");
    const std::string& column = json[0].get_ref<const std::string&>();
    c.column = ts.find_column(column);
    if (!c.column)
        return syntax_error(&json, "unknown column",
                            "No column " + column + " in table " + ts.name + ".");
    const std::string& fname = json[1].get_ref<const std::string&>();
    if (!parse_function(fname, c.function))
        return syntax_error(nullptr, "unknown function", "No function named " + fname + ".");
    Type type = c.column->type;
    switch (c.function) {
        case Function::Lt:
        case Function::Le:
        case Function::Gt:
        case Function::Ge:
            if (!(type.is_scalar() || type.is_optional_scalar()) ||
                (type.key.type != AtomicType::Integer && type.key.type != AtomicType::Real))
                return syntax_error(&json, "",
                                    "Type mismatch: \"" + fname +
                                        "\" operator may not be applied to column " +
                                        c.column->name + " of type " + type_to_english(type) + ".");
            type.n_min = 1;
            break;
        case Function::Excludes:
            if (!type.is_scalar()) {
                type.n_min = 0;
                type.n_max = UINT_MAX;
            }
            break;
        case Function::Includes:
            if (!type.is_scalar()) type.n_min = 0;
            break;
        default: break;
    }
    auto arg = Datum::from_json(type, json[2], symbols);
    if (!arg) return arg.error();
    c.arg = std::move(*arg);
    return c;
}

}  // namespace

bool Clause::evaluate(const Row& row) const {
    if (function == Function::True) return true;
    if (function == Function::False) return false;
    const Type& type = column->type;
    Datum pseudo;
    const Datum* field;
    if (column->is_pseudo()) {
        pseudo = row.value(*column);
        field = &pseudo;
    } else {
        field = &row.fields[column->index];
    }
    bool scalarish = type.is_scalar() || type.is_optional_scalar();
    if (type.is_optional_scalar() && field->empty() &&
        (function == Function::Lt || function == Function::Le || function == Function::Gt ||
         function == Function::Ge))
        return false;
    if (scalarish && field->size() == 1 && arg.size() == 1) {
        const Atom& a = field->key(0);
        const Atom& b = arg.key(0);
        switch (function) {
            case Function::Lt: return a < b;
            case Function::Le: return a <= b;
            case Function::Eq:
            case Function::Includes: return a == b;
            case Function::Ne:
            case Function::Excludes: return !(a == b);
            case Function::Ge: return a >= b;
            case Function::Gt: return a > b;
            default: return false;
        }
    }
    switch (function) {
        case Function::Eq: return *field == arg;
        case Function::Ne: return !(*field == arg);
        case Function::Includes: return field->includes_all(arg);
        case Function::Excludes: return field->excludes_all(arg);
        default: return false;
    }
}

Result<Condition> Condition::from_json(const TableSchema& table, const Json& json,
                                       SymbolTable* symbols) {
    Condition cond;
    if (!json.is_array()) return syntax_error(&json, "", "Parse error in condition.");
    for (const Json& clause : json) {
        auto c = clause_from_json(table, clause, symbols);
        if (!c) return c.error();
        cond.clauses_.push_back(std::move(*c));
    }
    return cond;
}

bool Condition::evaluate(const Row& row) const {
    for (const Clause& c : clauses_)
        if (!c.evaluate(row)) return false;
    return true;
}

bool Condition::evaluate_any(const Row& row) const {
    if (clauses_.empty()) return true;
    for (const Clause& c : clauses_)
        if (c.evaluate(row)) return true;
    return false;
}

bool Condition::is_true() const {
    for (const Clause& c : clauses_)
        if (c.function != Function::True) return false;
    return true;
}

std::vector<const ColumnSchema*> Condition::columns() const {
    std::vector<const ColumnSchema*> out;
    for (const Clause& c : clauses_)
        if (c.column && std::find(out.begin(), out.end(), c.column) == out.end())
            out.push_back(c.column);
    return out;
}

std::optional<Uuid> Condition::uuid_equality() const {
    for (const Clause& c : clauses_)
        if (c.function == Function::Eq && c.column &&
            c.column->index == ColumnSchema::kUuidIndex && c.arg.size() == 1)
            return c.arg.key(0).uuid();
    return std::nullopt;
}

}  // namespace vtep::ovsdb
