// An OVSDB value of a column: a sorted set of atoms, or a map of key/value atoms
// (a scalar is a set of exactly one). Keys are kept sorted and unique.
#pragma once

#include <span>
#include <vector>

#include "ovsdb/atom.h"
#include "ovsdb/error.h"
#include "ovsdb/symbol_table.h"
#include "ovsdb/type.h"

namespace vtep::ovsdb {

// 32 bytes. Most columns hold zero or one atom (scalars, optional values), so a set of at
// most one atom is kept in place; larger sets and every non-empty map use one heap block
// holding the keys and then the values.
class Datum {
  public:
    Datum() : size_(0), capacity_(0), map_(false) {}
    Datum(const Datum& other);
    Datum(Datum&& other) noexcept;
    Datum& operator=(const Datum& other);
    Datum& operator=(Datum&& other) noexcept;
    ~Datum() { clear(); }

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
    // The same value as JSON text (Open vSwitch's compact form), without building a tree.
    void append_json_text(const Type& type, std::string& out) const;

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    bool is_map() const { return map_; }
    const Atom& key(size_t i) const { return keys_data()[i]; }
    const Atom& value(size_t i) const { return values_data()[i]; }
    std::span<const Atom> keys() const { return {keys_data(), size_}; }
    // Empty unless this is a map.
    std::span<const Atom> values() const { return {values_data(), map_ ? size_ : 0}; }
    // The same under their earlier names.
    std::span<const Atom> keys_vector() const { return keys(); }
    std::span<const Atom> values_vector() const { return values(); }

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
    void erase_at(size_t i);         // the i-th key (and value)
    void add(Atom key);              // into a set, keeping order; no-op if present
    void add(Atom key, Atom value);  // into a map, keeping order; no-op if key present

    // update2 difference between two values of a composite column, and its application.
    static Datum diff(const Datum& old_value, const Datum& new_value, const Type& type);
    void apply_diff(const Datum& diff, const Type& type);

    Status check_constraints(const Type& type) const;

    bool operator==(const Datum& other) const;
    size_t hash() const;
    std::string to_display_string(const Type& type) const;

    // The keys for in-place arithmetic (the caller restores the order).
    std::span<Atom> mutable_keys() { return {keys_data(), size_}; }
    void set_map(bool m) { map_ = m; }

  private:
    bool in_place() const { return capacity_ == 0; }
    Atom* keys_data() { return in_place() ? &one_ : block_; }
    const Atom* keys_data() const { return in_place() ? &one_ : block_; }
    Atom* values_data() { return in_place() ? nullptr : block_ + capacity_; }
    const Atom* values_data() const { return in_place() ? nullptr : block_ + capacity_; }

    void clear();
    void clear_without_freeing();  // after the block was handed to another datum
    void reserve(size_t n);        // room for n keys (and values)
    void push_back(Atom key);
    void push_back(Atom key, Atom value);
    void insert_at(size_t pos, Atom key, const Atom* value);

    union {
        Atom one_;  // live when in_place() and size_ == 1
        Atom* block_;
    };
    uint32_t size_;
    uint32_t capacity_ : 31;  // 0: in place
    uint32_t map_ : 1;
};
static_assert(sizeof(Datum) == 32);

}  // namespace vtep::ovsdb
