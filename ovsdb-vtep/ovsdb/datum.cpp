#include "ovsdb/datum.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "ovsdb/json_text.h"

namespace vtep::ovsdb {
namespace {

Error expected_wrapped(const Json& json, const char* name, const char* value_type) {
    return syntax_error(&json, "",
                        std::string("expected [\"") + name + "\", <" + value_type + ">]");
}

// ["name", <value>] with <value> of the given kind; null on mismatch.
const Json* unwrap(const Json& json, const char* name, bool want_array) {
    if (!json.is_array() || json.size() != 2 || !json[0].is_string() ||
        json[0].get_ref<const std::string&>() != name)
        return nullptr;
    const Json& v = json[1];
    if (want_array ? !v.is_array() : !v.is_string()) return nullptr;
    return &v;
}

Result<Atom> atom_from_json(const BaseType& base, const Json& json, SymbolTable* symbols) {
    switch (base.type) {
        case AtomicType::Integer:
            if (json.is_number_integer() &&
                !(json.is_number_unsigned() && json.get<uint64_t>() > uint64_t(INT64_MAX)))
                return Atom(json.get<int64_t>());
            break;
        case AtomicType::Real:
            if (json.is_number()) return Atom(json.get<double>());
            break;
        case AtomicType::Boolean:
            if (json.is_boolean()) return Atom(json.get<bool>());
            break;
        case AtomicType::String:
            if (json.is_string()) return Atom(json.get_ref<const std::string&>());
            break;
        case AtomicType::Uuid: {
            if (const Json* s = unwrap(json, "uuid", false)) {
                auto u = Uuid::parse(s->get<std::string>());
                if (!u)
                    return syntax_error(&json, "",
                                        "\"" + s->get<std::string>() + "\" is not a valid UUID");
                return Atom(*u);
            }
            if (symbols) {
                if (const Json* n = unwrap(json, "named-uuid", false)) {
                    const auto& name = n->get_ref<const std::string&>();
                    if (!is_id(name))
                        return syntax_error(&json, "", "named-uuid string is not a valid <id>");
                    Symbol& symbol = symbols->insert(name);
                    if (base.is_ref()) {
                        if (base.ref_type == RefType::Strong)
                            symbol.strong_ref = true;
                        else
                            symbol.weak_ref = true;
                    }
                    return Atom(symbol.uuid);
                }
            }
            return expected_wrapped(json, "uuid", "string");
        }
        default:
            break;
    }
    return syntax_error(&json, "", std::string("expected ") + atomic_type_name(base.type));
}

Result<Atom> checked_atom_from_json(const BaseType& base, const Json& json, SymbolTable* symbols) {
    auto atom = atom_from_json(base, json, symbols);
    if (!atom) return atom;
    if (auto s = base.check(*atom); !s) return s.error();
    return atom;
}

void append_atom_text(const Atom& atom, AtomicType type, std::string& out) {
    switch (type) {
        case AtomicType::Integer:
            out += std::to_string(atom.integer());
            break;
        case AtomicType::Real: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.15g", atom.real());
            out += buf;
            break;
        }
        case AtomicType::Boolean:
            out += atom.boolean() ? "true" : "false";
            break;
        case AtomicType::String:
            append_json_string(atom.string(), out);
            break;
        case AtomicType::Uuid:
            out += "[\"uuid\",\"";
            atom.uuid().append_text(out);
            out += "\"]";
            break;
        default:
            out += "null";
            break;
    }
}

Json atom_to_json(const Atom& atom, AtomicType type) {
    switch (type) {
        case AtomicType::Integer:
            return atom.integer();
        case AtomicType::Real:
            return atom.real();
        case AtomicType::Boolean:
            return atom.boolean();
        case AtomicType::String:
            return std::string(atom.string());
        case AtomicType::Uuid:
            return Json::array({"uuid", atom.uuid().to_string()});
        default:
            return nullptr;
    }
}

}  // namespace

Datum::Datum(const Datum& other) : size_(0), capacity_(0), map_(other.map_) {
    if (other.in_place()) {
        if (other.size_) new (&one_) Atom(other.one_);
        size_ = other.size_;
        return;
    }
    reserve(other.size_);
    for (size_t i = 0; i < other.size_; ++i) {
        new (keys_data() + i) Atom(other.key(i));
        if (map_) new (values_data() + i) Atom(other.value(i));
        size_ = uint32_t(i + 1);
    }
}

Datum::Datum(Datum&& other) noexcept
    : size_(other.size_), capacity_(other.capacity_), map_(other.map_) {
    if (other.in_place()) {
        if (other.size_) new (&one_) Atom(std::move(other.one_));
    } else {
        block_ = other.block_;
    }
    other.clear_without_freeing();
}

Datum& Datum::operator=(const Datum& other) {
    if (this != &other) {
        Datum copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Datum& Datum::operator=(Datum&& other) noexcept {
    if (this != &other) {
        clear();
        size_ = other.size_;
        capacity_ = other.capacity_;
        map_ = other.map_;
        if (other.in_place()) {
            if (other.size_) new (&one_) Atom(std::move(other.one_));
        } else {
            block_ = other.block_;
        }
        other.clear_without_freeing();
    }
    return *this;
}

void Datum::clear_without_freeing() {
    if (in_place() && size_) one_.~Atom();
    size_ = 0;
    capacity_ = 0;
}

void Datum::clear() {
    if (in_place()) {
        if (size_) one_.~Atom();
    } else {
        for (size_t i = 0; i < size_; ++i) {
            block_[i].~Atom();
            if (map_) block_[capacity_ + i].~Atom();
        }
        ::operator delete(static_cast<void*>(block_));
    }
    size_ = 0;
    capacity_ = 0;
}

void Datum::reserve(size_t n) {
    bool needs_block = map_ ? n >= 1 : n >= 2;
    if (!needs_block || n <= capacity_) return;
    size_t capacity = std::max<size_t>(n, size_t(capacity_) * 2);
    if (capacity >= (size_t(1) << 31)) throw std::length_error("OVSDB value too large");
    size_t per_key = map_ ? 2 : 1;
    auto* block = static_cast<Atom*>(::operator new(capacity* per_key * sizeof(Atom)));
    // Atoms are moved by their bytes: they hold nothing that points at themselves.
    if (in_place()) {
        if (size_) {
            std::memcpy(static_cast<void*>(block), static_cast<const void*>(&one_), sizeof(Atom));
            // one_ now lives in the block; its bytes are abandoned, not destroyed.
        }
    } else {
        std::memcpy(static_cast<void*>(block), static_cast<const void*>(block_),
                    size_ * sizeof(Atom));
        if (map_)
            std::memcpy(static_cast<void*>(block + capacity),
                        static_cast<const void*>(block_ + capacity_), size_ * sizeof(Atom));
        ::operator delete(static_cast<void*>(block_));
    }
    block_ = block;
    capacity_ = uint32_t(capacity);
}

void Datum::push_back(Atom key) {
    reserve(size_ + 1);
    new (keys_data() + size_) Atom(std::move(key));
    ++size_;
}

void Datum::push_back(Atom key, Atom value) {
    reserve(size_ + 1);
    new (keys_data() + size_) Atom(std::move(key));
    new (values_data() + size_) Atom(std::move(value));
    ++size_;
}

// Inserts before position 'pos'; 'value' is required for maps and ignored otherwise.
void Datum::insert_at(size_t pos, Atom key, const Atom* value) {
    reserve(size_ + 1);
    Atom* keys = keys_data();
    std::memmove(static_cast<void*>(keys + pos + 1), static_cast<const void*>(keys + pos),
                 (size_ - pos) * sizeof(Atom));
    new (keys + pos) Atom(std::move(key));
    if (map_) {
        Atom* values = values_data();
        std::memmove(static_cast<void*>(values + pos + 1), static_cast<const void*>(values + pos),
                     (size_ - pos) * sizeof(Atom));
        new (values + pos) Atom(value ? *value : Atom());
    }
    ++size_;
}

void Datum::erase_at(size_t pos) {
    Atom* keys = keys_data();
    keys[pos].~Atom();
    std::memmove(static_cast<void*>(keys + pos), static_cast<const void*>(keys + pos + 1),
                 (size_ - pos - 1) * sizeof(Atom));
    if (map_) {
        Atom* values = values_data();
        values[pos].~Atom();
        std::memmove(static_cast<void*>(values + pos), static_cast<const void*>(values + pos + 1),
                     (size_ - pos - 1) * sizeof(Atom));
    }
    --size_;
}

Datum Datum::default_of(const Type& type) {
    Datum d;
    d.map_ = type.is_map();
    if (type.n_min >= 1) {
        if (type.is_map())
            d.push_back(Atom::default_of(type.key.type), Atom::default_of(type.value.type));
        else
            d.push_back(Atom::default_of(type.key.type));
    }
    return d;
}

Datum Datum::scalar(Atom atom) {
    Datum d;
    d.push_back(std::move(atom));
    return d;
}

Datum Datum::from_sorted_keys(std::vector<Atom> keys) {
    Datum d;
    d.reserve(keys.size());
    for (Atom& k : keys) d.push_back(std::move(k));
    return d;
}

Datum Datum::map_from_sorted(std::vector<Atom> keys, std::vector<Atom> values) {
    Datum d;
    d.map_ = true;
    d.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) d.push_back(std::move(keys[i]), std::move(values[i]));
    return d;
}

bool Datum::operator==(const Datum& other) const {
    if (size_ != other.size_) return false;
    if (size_ && map_ != other.map_) return false;
    const Atom* a = keys_data();
    const Atom* b = other.keys_data();
    for (size_t i = 0; i < size_; ++i)
        if (!(a[i] == b[i])) return false;
    if (map_) {
        a = values_data();
        b = other.values_data();
        for (size_t i = 0; i < size_; ++i)
            if (!(a[i] == b[i])) return false;
    }
    return true;
}

Result<Datum> Datum::from_json(const Type& type, const Json& json, SymbolTable* symbols,
                               bool check_size) {
    Datum d;
    d.map_ = type.is_map();
    bool wrapped = type.is_map() || (json.is_array() && !json.empty() && json[0].is_string() &&
                                     json[0].get_ref<const std::string&>() == "set");
    if (!wrapped) {
        auto atom = checked_atom_from_json(type.key, json, symbols);
        if (!atom) return atom.error();
        d.push_back(std::move(*atom));
        return d;
    }
    const char* cls = type.is_map() ? "map" : "set";
    const Json* inner = unwrap(json, cls, true);
    if (!inner) return expected_wrapped(json, cls, "array");
    size_t n = inner->size();
    if (check_size && (n < type.n_min || n > type.n_max)) {
        if (type.n_min == 1 && type.n_max == 1)
            return syntax_error(&json, "",
                                std::string(cls) + " must have exactly one member but " +
                                    std::to_string(n) + " are present");
        return syntax_error(&json, "",
                            std::string(cls) + " must have " + std::to_string(type.n_min) + " to " +
                                std::to_string(type.n_max) + " members but " + std::to_string(n) +
                                " are present");
    }
    d.reserve(n);
    bool sorted = true;
    for (const Json& element : *inner) {
        const Json* kj = &element;
        const Json* vj = nullptr;
        if (type.is_map()) {
            if (!element.is_array() || element.size() != 2)
                return syntax_error(&element, "", "expected 2-element array");
            kj = &element[0];
            vj = &element[1];
        }
        auto key = checked_atom_from_json(type.key, *kj, symbols);
        if (!key) return key.error();
        if (d.size_ && !(d.key(d.size_ - 1) < *key)) sorted = false;
        if (vj) {
            auto v = checked_atom_from_json(type.value, *vj, symbols);
            if (!v) return v.error();
            d.push_back(std::move(*key), std::move(*v));
        } else {
            d.push_back(std::move(*key));
        }
    }
    if (sorted) return d;
    // Out of order (or duplicated): sort key/value pairs by key.
    std::vector<size_t> order(d.size_);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return d.key(a) < d.key(b); });
    for (size_t i = 1; i < order.size(); ++i)
        if (d.key(order[i - 1]) == d.key(order[i]))
            return make_error("ovsdb error", type.is_map() ? "map contains duplicate key"
                                                           : "set contains duplicate");
    Datum out;
    out.map_ = d.map_;
    out.reserve(d.size_);
    for (size_t i : order) {
        if (d.map_)
            out.push_back(d.key(i), d.value(i));
        else
            out.push_back(d.key(i));
    }
    return out;
}

Json Datum::to_json(const Type& type) const {
    if (type.is_map()) {
        Json pairs = Json::array();
        for (size_t i = 0; i < size_; ++i)
            pairs.push_back(Json::array(
                {atom_to_json(key(i), type.key.type), atom_to_json(value(i), type.value.type)}));
        return Json::array({"map", std::move(pairs)});
    }
    if (size_ == 1) return atom_to_json(key(0), type.key.type);
    Json elems = Json::array();
    for (const Atom& k : keys()) elems.push_back(atom_to_json(k, type.key.type));
    return Json::array({"set", std::move(elems)});
}

void Datum::append_json_text(const Type& type, std::string& out) const {
    if (type.is_map()) {
        out += "[\"map\",[";
        for (size_t i = 0; i < size_; ++i) {
            if (i) out.push_back(',');
            out.push_back('[');
            append_atom_text(key(i), type.key.type, out);
            out.push_back(',');
            append_atom_text(value(i), type.value.type, out);
            out.push_back(']');
        }
        out += "]]";
        return;
    }
    if (size_ == 1) {
        append_atom_text(key(0), type.key.type, out);
        return;
    }
    out += "[\"set\",[";
    for (size_t i = 0; i < size_; ++i) {
        if (i) out.push_back(',');
        append_atom_text(key(i), type.key.type, out);
    }
    out += "]]";
}

long Datum::find_key(const Atom& k) const {
    const Atom* begin = keys_data();
    const Atom* end = begin + size_;
    const Atom* it = std::lower_bound(begin, end, k);
    if (it == end || !(*it == k)) return -1;
    return long(it - begin);
}

bool Datum::includes_all(const Datum& other) const {
    for (size_t i = 0; i < other.size(); ++i) {
        long j = find_key(other.key(i));
        if (j < 0) return false;
        if (other.map_ && !(value(size_t(j)) == other.value(i))) return false;
    }
    return true;
}

bool Datum::excludes_all(const Datum& other) const {
    for (size_t i = 0; i < other.size(); ++i) {
        long j = find_key(other.key(i));
        if (j < 0) continue;
        if (!other.map_ || value(size_t(j)) == other.value(i)) return false;
    }
    return true;
}

void Datum::add(Atom key) {
    const Atom* begin = keys_data();
    const Atom* it = std::lower_bound(begin, begin + size_, key);
    if (it != begin + size_ && *it == key) return;
    insert_at(size_t(it - begin), std::move(key), nullptr);
}

void Datum::add(Atom key, Atom value) {
    if (!size_) map_ = true;
    const Atom* begin = keys_data();
    const Atom* it = std::lower_bound(begin, begin + size_, key);
    if (it != begin + size_ && *it == key) return;
    insert_at(size_t(it - begin), std::move(key), &value);
}

void Datum::insert_all(const Datum& other) {
    for (size_t i = 0; i < other.size(); ++i) {
        if (!other.map_)
            add(other.key(i));
        else
            add(other.key(i), other.value(i));
    }
}

void Datum::erase_key(const Atom& k) {
    long j = find_key(k);
    if (j >= 0) erase_at(size_t(j));
}

void Datum::erase_all(const Datum& other, bool other_is_map) {
    for (size_t i = 0; i < other.size(); ++i) {
        long j = find_key(other.key(i));
        if (j < 0) continue;
        if (other_is_map && !(value(size_t(j)) == other.value(i))) continue;
        erase_at(size_t(j));
    }
}

Datum Datum::diff(const Datum& a, const Datum& b, const Type& type) {
    if (type.n_max <= 1) return b;
    Datum d;
    d.map_ = type.is_map();
    bool map = type.is_map();
    size_t i = 0, j = 0;
    auto take = [&](const Datum& src, size_t k) {
        if (map)
            d.push_back(src.key(k), src.value(k));
        else
            d.push_back(src.key(k));
    };
    while (i < a.size() && j < b.size()) {
        if (a.key(i) < b.key(j)) {
            take(a, i++);
        } else if (b.key(j) < a.key(i)) {
            take(b, j++);
        } else {
            if (map && !(a.value(i) == b.value(j))) take(b, j);
            ++i;
            ++j;
        }
    }
    while (i < a.size()) take(a, i++);
    while (j < b.size()) take(b, j++);
    return d;
}

void Datum::apply_diff(const Datum& diff, const Type& type) {
    if (type.n_max <= 1) {
        *this = diff;
        return;
    }
    for (size_t k = 0; k < diff.size(); ++k) {
        long pos = find_key(diff.key(k));
        if (!type.is_map()) {
            if (pos >= 0)
                erase_at(size_t(pos));
            else
                add(diff.key(k));
        } else if (pos < 0) {
            add(diff.key(k), diff.value(k));
        } else if (value(size_t(pos)) == diff.value(k)) {
            erase_at(size_t(pos));
        } else {
            values_data()[size_t(pos)] = diff.value(k);
        }
    }
}

Status Datum::check_constraints(const Type& type) const {
    for (const Atom& k : keys())
        if (auto s = type.key.check(k); !s) return s;
    for (const Atom& v : values())
        if (auto s = type.value.check(v); !s) return s;
    return {};
}

size_t Datum::hash() const {
    size_t h = size_;
    for (const Atom& k : keys()) h = h * 31 + k.hash();
    for (const Atom& v : values()) h = h * 37 + v.hash();
    return h;
}

std::string Datum::to_display_string(const Type& type) const {
    std::string s;
    bool brackets = type.n_max > 1 || empty();
    if (brackets) s += type.is_map() ? '{' : '[';
    for (size_t i = 0; i < size_; ++i) {
        if (i) s += ", ";
        s += key(i).to_display_string();
        if (type.is_map()) s += "=" + value(i).to_display_string();
    }
    if (brackets) s += type.is_map() ? '}' : ']';
    return s;
}

}  // namespace vtep::ovsdb
