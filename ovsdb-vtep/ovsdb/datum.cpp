#include "ovsdb/datum.h"

#include <algorithm>
#include <numeric>

#include "ovsdb/json_text.h"

namespace vtep::ovsdb {
namespace {

Error expected_wrapped(const Json& json, const char* name, const char* value_type) {
    return syntax_error(&json, "", std::string("expected [\"") + name + "\", <" + value_type + ">]");
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
            if (json.is_number_integer() && !(json.is_number_unsigned() &&
                                               json.get<uint64_t>() > uint64_t(INT64_MAX)))
                return Atom(json.get<int64_t>());
            break;
        case AtomicType::Real:
            if (json.is_number()) return Atom(json.get<double>());
            break;
        case AtomicType::Boolean:
            if (json.is_boolean()) return Atom(json.get<bool>());
            break;
        case AtomicType::String:
            if (json.is_string()) return Atom(json.get<std::string>());
            break;
        case AtomicType::Uuid: {
            if (const Json* s = unwrap(json, "uuid", false)) {
                auto u = Uuid::parse(s->get<std::string>());
                if (!u)
                    return syntax_error(&json, "", "\"" + s->get<std::string>() +
                                                       "\" is not a valid UUID");
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
        default: break;
    }
    return syntax_error(&json, "", std::string("expected ") + atomic_type_name(base.type));
}

Result<Atom> checked_atom_from_json(const BaseType& base, const Json& json, SymbolTable* symbols) {
    auto atom = atom_from_json(base, json, symbols);
    if (!atom) return atom;
    if (auto s = base.check(*atom); !s) return s.error();
    return atom;
}

Json atom_to_json(const Atom& atom, AtomicType type) {
    switch (type) {
        case AtomicType::Integer: return atom.integer();
        case AtomicType::Real: return atom.real();
        case AtomicType::Boolean: return atom.boolean();
        case AtomicType::String: return atom.string();
        case AtomicType::Uuid: return Json::array({"uuid", atom.uuid().to_string()});
        default: return nullptr;
    }
}

}  // namespace

Datum Datum::default_of(const Type& type) {
    Datum d;
    d.map_ = type.is_map();
    if (type.n_min >= 1) {
        d.keys_.push_back(Atom::default_of(type.key.type));
        if (type.is_map()) d.values_.push_back(Atom::default_of(type.value.type));
    }
    return d;
}

Datum Datum::scalar(Atom atom) {
    Datum d;
    d.keys_.push_back(std::move(atom));
    return d;
}

Datum Datum::from_sorted_keys(std::vector<Atom> keys) {
    Datum d;
    d.keys_ = std::move(keys);
    return d;
}

Datum Datum::map_from_sorted(std::vector<Atom> keys, std::vector<Atom> values) {
    Datum d;
    d.keys_ = std::move(keys);
    d.values_ = std::move(values);
    d.map_ = true;
    return d;
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
        d.keys_.push_back(std::move(*atom));
        return d;
    }
    const char* cls = type.is_map() ? "map" : "set";
    const Json* inner = unwrap(json, cls, true);
    if (!inner) return expected_wrapped(json, cls, "array");
    size_t n = inner->size();
    if (check_size && (n < type.n_min || n > type.n_max)) {
        if (type.n_min == 1 && type.n_max == 1)
            return syntax_error(&json, "", std::string(cls) + " must have exactly one member but " +
                                               std::to_string(n) + " are present");
        return syntax_error(&json, "", std::string(cls) + " must have " +
                                           std::to_string(type.n_min) + " to " +
                                           std::to_string(type.n_max) + " members but " +
                                           std::to_string(n) + " are present");
    }
    std::vector<std::pair<Atom, Atom>> pairs;
    pairs.reserve(n);
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
        Atom value;
        if (vj) {
            auto v = checked_atom_from_json(type.value, *vj, symbols);
            if (!v) return v.error();
            value = std::move(*v);
        }
        pairs.emplace_back(std::move(*key), std::move(value));
    }
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 1; i < pairs.size(); ++i)
        if (pairs[i - 1].first == pairs[i].first)
            return make_error("ovsdb error", type.is_map() ? "map contains duplicate key"
                                                           : "set contains duplicate");
    d.keys_.reserve(pairs.size());
    if (type.is_map()) d.values_.reserve(pairs.size());
    for (auto& [k, v] : pairs) {
        d.keys_.push_back(std::move(k));
        if (type.is_map()) d.values_.push_back(std::move(v));
    }
    return d;
}

Json Datum::to_json(const Type& type) const {
    if (type.is_map()) {
        Json pairs = Json::array();
        for (size_t i = 0; i < keys_.size(); ++i)
            pairs.push_back(Json::array(
                {atom_to_json(keys_[i], type.key.type), atom_to_json(values_[i], type.value.type)}));
        return Json::array({"map", std::move(pairs)});
    }
    if (keys_.size() == 1) return atom_to_json(keys_[0], type.key.type);
    Json elems = Json::array();
    for (const Atom& k : keys_) elems.push_back(atom_to_json(k, type.key.type));
    return Json::array({"set", std::move(elems)});
}

long Datum::find_key(const Atom& k) const {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), k);
    if (it == keys_.end() || !(*it == k)) return -1;
    return long(it - keys_.begin());
}

bool Datum::includes_all(const Datum& other) const {
    for (size_t i = 0; i < other.size(); ++i) {
        long j = find_key(other.keys_[i]);
        if (j < 0) return false;
        if (!other.values_.empty() && !(values_[size_t(j)] == other.values_[i])) return false;
    }
    return true;
}

bool Datum::excludes_all(const Datum& other) const {
    for (size_t i = 0; i < other.size(); ++i) {
        long j = find_key(other.keys_[i]);
        if (j < 0) continue;
        if (other.values_.empty() || values_[size_t(j)] == other.values_[i]) return false;
    }
    return true;
}

void Datum::add(Atom key) {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it != keys_.end() && *it == key) return;
    keys_.insert(it, std::move(key));
}

void Datum::add(Atom key, Atom value) {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (it != keys_.end() && *it == key) return;
    size_t pos = size_t(it - keys_.begin());
    keys_.insert(it, std::move(key));
    values_.insert(values_.begin() + long(pos), std::move(value));
}

void Datum::insert_all(const Datum& other) {
    for (size_t i = 0; i < other.size(); ++i) {
        if (other.values_.empty())
            add(other.keys_[i]);
        else
            add(other.keys_[i], other.values_[i]);
    }
}

void Datum::erase_key(const Atom& k) {
    long j = find_key(k);
    if (j < 0) return;
    keys_.erase(keys_.begin() + j);
    if (!values_.empty()) values_.erase(values_.begin() + j);
}

void Datum::erase_all(const Datum& other, bool other_is_map) {
    for (size_t i = 0; i < other.size(); ++i) {
        long j = find_key(other.keys_[i]);
        if (j < 0) continue;
        if (other_is_map && !(values_[size_t(j)] == other.values_[i])) continue;
        keys_.erase(keys_.begin() + j);
        if (!values_.empty()) values_.erase(values_.begin() + j);
    }
}

Datum Datum::diff(const Datum& a, const Datum& b, const Type& type) {
    if (type.n_max <= 1) return b;
    Datum d;
    d.map_ = type.is_map();
    bool map = type.is_map();
    size_t i = 0, j = 0;
    auto take = [&](const Datum& src, size_t k) {
        d.keys_.push_back(src.keys_[k]);
        if (map) d.values_.push_back(src.values_[k]);
    };
    while (i < a.size() && j < b.size()) {
        if (a.keys_[i] < b.keys_[j]) {
            take(a, i++);
        } else if (b.keys_[j] < a.keys_[i]) {
            take(b, j++);
        } else {
            if (map && !(a.values_[i] == b.values_[j])) take(b, j);
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
        long pos = find_key(diff.keys_[k]);
        if (!type.is_map()) {
            if (pos >= 0)
                erase_key(diff.keys_[k]);
            else
                add(diff.keys_[k]);
        } else if (pos < 0) {
            add(diff.keys_[k], diff.values_[k]);
        } else if (values_[size_t(pos)] == diff.values_[k]) {
            erase_key(diff.keys_[k]);
        } else {
            values_[size_t(pos)] = diff.values_[k];
        }
    }
}

Status Datum::check_constraints(const Type& type) const {
    for (const Atom& k : keys_)
        if (auto s = type.key.check(k); !s) return s;
    for (const Atom& v : values_)
        if (auto s = type.value.check(v); !s) return s;
    return {};
}

size_t Datum::hash() const {
    size_t h = keys_.size();
    for (const Atom& k : keys_) h = h * 31 + k.hash();
    for (const Atom& v : values_) h = h * 37 + v.hash();
    return h;
}

std::string Datum::to_display_string(const Type& type) const {
    std::string s;
    bool brackets = type.n_max > 1 || keys_.empty();
    if (brackets) s += type.is_map() ? '{' : '[';
    for (size_t i = 0; i < keys_.size(); ++i) {
        if (i) s += ", ";
        s += keys_[i].to_display_string();
        if (type.is_map()) s += "=" + values_[i].to_display_string();
    }
    if (brackets) s += type.is_map() ? '}' : ']';
    return s;
}

}  // namespace vtep::ovsdb
