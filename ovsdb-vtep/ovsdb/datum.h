// An OVSDB value of a column: a sorted set of atoms, or a map of key/value atoms
// (a scalar is a set of exactly one). Keys are kept sorted and unique.
#pragma once

#include <vector>

#include "ovsdb/atom.h"
#include "ovsdb/error.h"
#include "ovsdb/symbol_table.h"
#include "ovsdb/type.h"

namespace vtep::ovsdb {

class Datum {
public:
    Datum() = default;
    static Datum default_of(const Type& type);  // empty, or one default atom if n_min == 1
    static Datum scalar(Atom atom);
    static Datum from_sorted_keys(std::vector<Atom> keys);
    static Datum map_from_sorted(std::vector<Atom> keys, std::vector<Atom> values);

    // Parses RFC 7047 <value> JSON ("set"/"map" wrappers, "uuid"/"named-uuid") and checks
    // atom constraints and the size limits of 'type'. 'symbols' (may be null) resolves
    // named-uuids. With 'check_size' false the n_min/n_max limits are not enforced (used
    // for mutation arguments, whose result is checked instead).
    static Result<Datum> from_json(const Type& type, const Json& json, SymbolTable* symbols,
                                   bool check_size = true);
    Json to_json(const Type& type) const;

    size_t size() const { return keys_.size(); }
    bool empty() const { return keys_.empty(); }
    bool is_map() const { return !values_.empty() || map_; }
    const Atom& key(size_t i) const { return keys_[i]; }
    const Atom& value(size_t i) const { return values_[i]; }
    const std::vector<Atom>& keys_vector() const { return keys_; }
    const std::vector<Atom>& values_vector() const { return values_; }

    // Index of 'k' among the keys, or -1.
    long find_key(const Atom& k) const;
    bool contains_key(const Atom& k) const { return find_key(k) >= 0; }
    // Every element (key, or key and value for maps) of 'other' is in this datum.
    bool includes_all(const Datum& other) const;
    // No element of 'other' is in this datum.
    bool excludes_all(const Datum& other) const;

    // Set/map union that keeps existing keys' values (the "insert" mutator).
    void insert_all(const Datum& other);
    // Removes keys of 'other' (a set), or pairs of 'other' (a map) that match both key and
    // value (the "delete" mutator).
    void erase_all(const Datum& other, bool other_is_map);
    void erase_key(const Atom& k);
    void add(Atom key);                  // into a set, keeping order; no-op if present
    void add(Atom key, Atom value);      // into a map, keeping order; no-op if key present

    // update2 difference between two values of a composite column, and its application.
    static Datum diff(const Datum& old_value, const Datum& new_value, const Type& type);
    void apply_diff(const Datum& diff, const Type& type);

    Status check_constraints(const Type& type) const;

    bool operator==(const Datum& other) const {
        return keys_ == other.keys_ && values_ == other.values_;
    }
    size_t hash() const;
    std::string to_display_string(const Type& type) const;

    std::vector<Atom>& mutable_keys() { return keys_; }
    std::vector<Atom>& mutable_values() { return values_; }
    void set_map(bool m) { map_ = m; }

private:
    std::vector<Atom> keys_;
    std::vector<Atom> values_;  // parallel to keys_ for maps
    bool map_ = false;
};

}  // namespace vtep::ovsdb
