#include "ovsdb/mutation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ovsdb/type_text.h"

namespace vtep::ovsdb {
namespace {

const char* mutator_name(Mutator m) {
    switch (m) {
        case Mutator::Add: return "+=";
        case Mutator::Sub: return "-=";
        case Mutator::Mul: return "*=";
        case Mutator::Div: return "/=";
        case Mutator::Mod: return "%=";
        case Mutator::Insert: return "insert";
        case Mutator::Delete: return "delete";
    }
    return "";
}

bool parse_mutator(const std::string& s, Mutator& m) {
    for (Mutator c : {Mutator::Add, Mutator::Sub, Mutator::Mul, Mutator::Div, Mutator::Mod,
                      Mutator::Insert, Mutator::Delete})
        if (s == mutator_name(c)) {
            m = c;
            return true;
        }
    return false;
}

Error range_error(Mutator m) {
    return make_error("range error",
                      std::string("Result of \"") + mutator_name(m) + "\" operation is out of range.");
}

Status mutate_integer(int64_t& x, int64_t y, Mutator m) {
    int64_t r;
    switch (m) {
        case Mutator::Add:
            if (__builtin_add_overflow(x, y, &r)) return range_error(m);
            break;
        case Mutator::Sub:
            if (__builtin_sub_overflow(x, y, &r)) return range_error(m);
            break;
        case Mutator::Mul:
            if (__builtin_mul_overflow(x, y, &r)) return range_error(m);
            break;
        case Mutator::Div:
            if (!y) return make_error("domain error", "Division by zero.");
            if (x == std::numeric_limits<int64_t>::min() && y == -1) return range_error(m);
            r = x / y;
            break;
        case Mutator::Mod:
            if (!y) return make_error("domain error", "Division by zero.");
            if (y == -1) {
                r = 0;
            } else {
                r = x % y;
            }
            break;
        default: return {};
    }
    x = r;
    return {};
}

Status mutate_real(double& x, double y, Mutator m) {
    double r = x;
    switch (m) {
        case Mutator::Add: r = x + y; break;
        case Mutator::Sub: r = x - y; break;
        case Mutator::Mul: r = x * y; break;
        case Mutator::Div:
            if (y == 0) return make_error("domain error", "Division by zero.");
            r = x / y;
            break;
        default: break;
    }
    if (!(r >= -std::numeric_limits<double>::max() && r <= std::numeric_limits<double>::max()))
        return range_error(m);
    x = r;
    return {};
}

}  // namespace

Result<MutationSet> MutationSet::from_json(const TableSchema& ts, const Json& json,
                                           SymbolTable* symbols) {
    MutationSet set;
    for (const Json& mj : json) {
        if (!mj.is_array() || mj.size() != 3 || !mj[0].is_string() || !mj[1].is_string())
            return syntax_error(&mj, "", "Parse error in mutation.");
        const std::string& column = mj[0].get_ref<const std::string&>();
        Mutation m;
        m.column = ts.find_column(column);
        if (!m.column)
            return syntax_error(&mj, "unknown column",
                                "No column " + column + " in table " + ts.name + ".");
        if (!m.column->mutable_ || m.column->is_pseudo())
            return syntax_error(&mj, "constraint violation",
                                "Cannot mutate immutable column " + column + " in table " +
                                    ts.name + ".");
        const std::string& mname = mj[1].get_ref<const std::string&>();
        if (!parse_mutator(mname, m.mutator))
            return syntax_error(nullptr, "unknown mutator", "No mutator named " + mname + ".");
        m.arg_type = m.column->type;
        Type& t = m.arg_type;
        auto mismatch = [&]() {
            return syntax_error(&mj, "", "Type mismatch: \"" + mname +
                                             "\" operator may not be applied to column " +
                                             column + " of type " +
                                             type_to_english(m.column->type) + ".");
        };
        switch (m.mutator) {
            case Mutator::Add:
            case Mutator::Sub:
            case Mutator::Mul:
            case Mutator::Div:
            case Mutator::Mod: {
                if ((!t.is_scalar() && !t.is_set()) ||
                    (t.key.type != AtomicType::Integer && t.key.type != AtomicType::Real) ||
                    (m.mutator == Mutator::Mod && t.key.type == AtomicType::Real))
                    return mismatch();
                BaseType plain;
                plain.type = t.key.type;
                t.key = plain;
                t.n_min = t.n_max = 1;
                auto arg = Datum::from_json(t, mj[2], symbols);
                if (!arg) return arg.error();
                m.arg = std::move(*arg);
                break;
            }
            case Mutator::Insert:
            case Mutator::Delete: {
                if (!t.is_set() && !t.is_map()) return mismatch();
                t.n_min = 0;
                if (m.mutator == Mutator::Delete) t.n_max = UINT_MAX;
                auto arg = Datum::from_json(t, mj[2], symbols);
                if (!arg && t.is_map() && m.mutator == Mutator::Delete) {
                    // "delete" on a map also takes a set of keys.
                    t.value = BaseType();
                    arg = Datum::from_json(t, mj[2], symbols);
                }
                if (!arg) return arg.error();
                m.arg = std::move(*arg);
                break;
            }
        }
        set.mutations_.push_back(std::move(m));
    }
    return set;
}

Status MutationSet::apply(Row& row) const {
    for (const Mutation& m : mutations_) {
        Datum& dst = row.fields[m.column->index];
        const Type& type = m.column->type;
        switch (m.mutator) {
            case Mutator::Insert:
            case Mutator::Delete: {
                if (m.mutator == Mutator::Insert)
                    dst.insert_all(m.arg);
                else
                    dst.erase_all(m.arg, m.arg_type.is_map());
                if (dst.size() < type.n_min || dst.size() > type.n_max)
                    return make_error("constraint violation",
                                      "Attempted to store " + std::to_string(dst.size()) +
                                          " elements in " + type_to_english(type) + ".");
                break;
            }
            default: {
                const Atom& y = m.arg.key(0);
                std::span<Atom> keys = dst.mutable_keys();
                for (Atom& a : keys) {
                    if (type.key.type == AtomicType::Integer) {
                        int64_t x = a.integer();
                        if (auto s = mutate_integer(x, y.integer(), m.mutator); !s) return s;
                        a = Atom(x);
                    } else {
                        double x = a.real();
                        if (auto s = mutate_real(x, y.real(), m.mutator); !s) return s;
                        a = Atom(x);
                    }
                }
                for (const Atom& a : keys)
                    if (auto s = type.key.check(a); !s) return s;
                std::sort(keys.begin(), keys.end());
                if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
                    return make_error("constraint violation",
                                      std::string("Result of \"") + mutator_name(m.mutator) +
                                          "\" operation contains duplicates.");
            }
        }
    }
    return {};
}

}  // namespace vtep::ovsdb
