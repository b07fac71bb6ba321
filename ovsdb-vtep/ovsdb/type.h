// OVSDB column types (RFC 7047 §3.2 <type>, <base-type>) with their constraints.
#pragma once

#include <climits>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ovsdb/atom.h"
#include "ovsdb/error.h"

namespace vtep::ovsdb {

class Datum;
struct TableSchema;

enum class RefType : uint8_t { Strong, Weak };

struct BaseType {
    AtomicType type = AtomicType::Void;
    std::shared_ptr<const std::vector<Atom>> enumeration;  // sorted; null when no enum
    int64_t min_integer = std::numeric_limits<int64_t>::min();
    int64_t max_integer = std::numeric_limits<int64_t>::max();
    double min_real = -std::numeric_limits<double>::max();
    double max_real = std::numeric_limits<double>::max();
    unsigned min_length = 0;
    unsigned max_length = UINT_MAX;
    std::string ref_table_name;  // empty: not a reference
    const TableSchema* ref_table = nullptr;  // resolved when the database schema is built
    RefType ref_type = RefType::Strong;

    static Result<BaseType> from_json(const Json& json);
    Json to_json() const;
    bool has_constraints() const;
    bool is_ref() const { return !ref_table_name.empty(); }
    bool is_strong_ref() const { return is_ref() && ref_type == RefType::Strong; }
    bool is_weak_ref() const { return is_ref() && ref_type == RefType::Weak; }

    // Checks enum/range/length constraints (references are checked at commit).
    Status check(const Atom& atom) const;
};

struct Type {
    BaseType key;
    BaseType value;  // type Void when this is not a map
    unsigned n_min = 1;
    unsigned n_max = 1;  // UINT_MAX means "unlimited"

    static Result<Type> from_json(const Json& json);
    Json to_json() const;
    bool is_map() const { return value.type != AtomicType::Void; }
    bool is_set() const { return !is_map() && !(n_min == 1 && n_max == 1); }
    bool is_scalar() const { return !is_map() && n_min == 1 && n_max == 1; }
    bool is_optional_scalar() const { return !is_map() && n_min == 0 && n_max == 1; }
    bool has_refs() const { return key.is_ref() || value.is_ref(); }
};

// The type of a base type's "enum" member: a set of one to unlimited atoms.
Type enum_type(AtomicType atomic);

}  // namespace vtep::ovsdb
