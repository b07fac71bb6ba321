#include "ovsdb/type.h"

#include <cstdio>

#include "ovsdb/datum.h"
#include "ovsdb/json_text.h"
#include "ovsdb/parser.h"

namespace vtep::ovsdb {
namespace {

std::string real_text(double d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    return buf;
}

Result<AtomicType> atomic_type_from_json(const Json& json) {
    AtomicType type;
    if (json.is_string() && parse_atomic_type(json.get<std::string>(), type)) return type;
    if (json.is_string())
        return syntax_error(&json, "", "\"" + json.get<std::string>() +
                                            "\" is not an atomic-type");
    return syntax_error(&json, "", "atomic-type expected");
}

Status parse_optional_uint(Parser& parser, const char* name, unsigned& out) {
    const Json* j = parser.member(name, Parser::Integer | Parser::Optional);
    if (j) {
        int64_t v = j->get<int64_t>();
        if (v < 0 || v > int64_t(UINT_MAX))
            return syntax_error(j, "", std::string(name) + " out of valid range 0 to " +
                                           std::to_string(UINT_MAX));
        out = unsigned(v);
    }
    return {};
}

}  // namespace

Type enum_type(AtomicType atomic) {
    Type t;
    t.key.type = atomic;
    t.n_min = 1;
    t.n_max = UINT_MAX;
    return t;
}

Result<BaseType> BaseType::from_json(const Json& json) {
    BaseType base;
    if (json.is_string()) {
        auto t = atomic_type_from_json(json);
        if (!t) return t.error();
        base.type = *t;
        return base;
    }
    Parser parser(json, "ovsdb type");
    const Json* type = parser.member("type", Parser::String);
    if (parser.has_error()) return parser.finish().error();
    auto t = atomic_type_from_json(*type);
    if (!t) return t.error();
    base.type = *t;

    Status status;
    if (const Json* e = parser.member("enum", Parser::Any | Parser::Optional)) {
        auto datum = Datum::from_json(enum_type(base.type), *e, nullptr);
        if (!datum) {
            status = datum.error();
        } else {
            base.enumeration = std::make_shared<const std::vector<Atom>>(datum->keys().begin(),
                                                                         datum->keys().end());
        }
    } else if (base.type == AtomicType::Integer) {
        const Json* min = parser.member("minInteger", Parser::Integer | Parser::Optional);
        const Json* max = parser.member("maxInteger", Parser::Integer | Parser::Optional);
        if (min) base.min_integer = min->get<int64_t>();
        if (max) base.max_integer = max->get<int64_t>();
        if (base.min_integer > base.max_integer)
            status = syntax_error(&json, "", "minInteger exceeds maxInteger");
    } else if (base.type == AtomicType::Real) {
        const Json* min = parser.member("minReal", Parser::Number | Parser::Optional);
        const Json* max = parser.member("maxReal", Parser::Number | Parser::Optional);
        if (min) base.min_real = min->get<double>();
        if (max) base.max_real = max->get<double>();
        if (base.min_real > base.max_real)
            status = syntax_error(&json, "", "minReal exceeds maxReal");
    } else if (base.type == AtomicType::String) {
        status = parse_optional_uint(parser, "minLength", base.min_length);
        if (status) status = parse_optional_uint(parser, "maxLength", base.max_length);
        if (status && base.min_length > base.max_length)
            status = syntax_error(&json, "", "minLength exceeds maxLength");
    } else if (base.type == AtomicType::Uuid) {
        if (const Json* ref = parser.member("refTable", Parser::Id | Parser::Optional)) {
            base.ref_table_name = ref->get<std::string>();
            if (const Json* rt = parser.member("refType", Parser::Id | Parser::Optional)) {
                const auto& s = rt->get_ref<const std::string&>();
                if (s == "strong") {
                    base.ref_type = RefType::Strong;
                } else if (s == "weak") {
                    base.ref_type = RefType::Weak;
                } else {
                    status = syntax_error(&json, "",
                                          "refType must be \"strong\" or \"weak\" (not \"" +
                                              s + "\")");
                }
            }
        }
    }
    auto finished = parser.finish();
    if (!status) return status.error();
    if (!finished) return finished.error();
    return base;
}

bool BaseType::has_constraints() const {
    return enumeration || min_integer != std::numeric_limits<int64_t>::min() ||
           max_integer != std::numeric_limits<int64_t>::max() ||
           min_real != -std::numeric_limits<double>::max() ||
           max_real != std::numeric_limits<double>::max() || min_length != 0 ||
           max_length != UINT_MAX || is_ref();
}

Json BaseType::to_json() const {
    if (!has_constraints()) return atomic_type_name(type);
    Json j = Json::object();
    j["type"] = atomic_type_name(type);
    if (enumeration) {
        Datum d = Datum::from_sorted_keys(*enumeration);
        j["enum"] = d.to_json(enum_type(type));
    }
    switch (type) {
        case AtomicType::Integer:
            if (min_integer != std::numeric_limits<int64_t>::min()) j["minInteger"] = min_integer;
            if (max_integer != std::numeric_limits<int64_t>::max()) j["maxInteger"] = max_integer;
            break;
        case AtomicType::Real:
            if (min_real != -std::numeric_limits<double>::max()) j["minReal"] = min_real;
            if (max_real != std::numeric_limits<double>::max()) j["maxReal"] = max_real;
            break;
        case AtomicType::String:
            if (min_length != 0) j["minLength"] = min_length;
            if (max_length != UINT_MAX) j["maxLength"] = max_length;
            break;
        case AtomicType::Uuid:
            if (is_ref()) {
                j["refTable"] = ref_table_name;
                if (ref_type == RefType::Weak) j["refType"] = "weak";
            }
            break;
        default: break;
    }
    return j;
}

namespace {

// Number of UTF-8 characters in 's', or -1 if 's' is not valid UTF-8.
long utf8_length(std::string_view s) {
    long n = 0;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > s.size()) return -1;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return -1;
        i += len;
        ++n;
    }
    return n;
}

}  // namespace

Status BaseType::check(const Atom& atom) const {
    if (enumeration) {
        if (!std::binary_search(enumeration->begin(), enumeration->end(), atom)) {
            std::string valid = "[";
            for (size_t i = 0; i < enumeration->size(); ++i) {
                if (i) valid += ", ";
                valid += (*enumeration)[i].to_display_string();
            }
            valid += "]";
            return make_error("constraint violation", atom.to_display_string() +
                                                          " is not one of the allowed values (" +
                                                          valid + ")");
        }
        return {};
    }
    switch (type) {
        case AtomicType::Integer: {
            int64_t v = atom.integer();
            if (v >= min_integer && v <= max_integer) return {};
            bool has_min = min_integer != std::numeric_limits<int64_t>::min();
            bool has_max = max_integer != std::numeric_limits<int64_t>::max();
            if (has_min && has_max)
                return make_error("constraint violation",
                                  std::to_string(v) + " is not in the valid range " +
                                      std::to_string(min_integer) + " to " +
                                      std::to_string(max_integer) + " (inclusive)");
            if (has_min)
                return make_error("constraint violation",
                                  std::to_string(v) + " is less than minimum allowed value " +
                                      std::to_string(min_integer));
            return make_error("constraint violation",
                              std::to_string(v) + " is greater than maximum allowed value " +
                                  std::to_string(max_integer));
        }
        case AtomicType::Real: {
            double v = atom.real();
            if (v >= min_real && v <= max_real) return {};
            bool has_min = min_real != -std::numeric_limits<double>::max();
            bool has_max = max_real != std::numeric_limits<double>::max();
            if (has_min && has_max)
                return make_error("constraint violation",
                                  real_text(v) + " is not in the valid range " +
                                      real_text(min_real) + " to " + real_text(max_real) +
                                      " (inclusive)");
            if (has_min)
                return make_error("constraint violation", real_text(v) +
                                                              " is less than minimum allowed value " +
                                                              real_text(min_real));
            return make_error("constraint violation", real_text(v) +
                                                          " is greater than maximum allowed value " +
                                                          real_text(max_real));
        }
        case AtomicType::String: {
            std::string_view s = atom.string();
            long n = utf8_length(s);
            if (n < 0) return make_error("constraint violation", "not a valid UTF-8 string");
            if (unsigned(n) < min_length)
                return make_error("constraint violation",
                                  "\"" + std::string(s) + "\" length " + std::to_string(n) +
                                      " is less than minimum allowed length " +
                                      std::to_string(min_length));
            if (unsigned(n) > max_length)
                return make_error("constraint violation",
                                  "\"" + std::string(s) + "\" length " + std::to_string(n) +
                                      " is greater than maximum allowed length " +
                                      std::to_string(max_length));
            return {};
        }
        default: return {};
    }
}

Result<Type> Type::from_json(const Json& json) {
    Type type;
    if (json.is_string()) {
        auto key = BaseType::from_json(json);
        if (!key) return key.error();
        type.key = std::move(*key);
        return type;
    }
    if (!json.is_object()) return syntax_error(&json, "", "ovsdb type expected");
    Parser parser(json, "ovsdb type");
    const Json* key = parser.member("key", Parser::String | Parser::Object);
    const Json* value = parser.member("value", Parser::String | Parser::Object | Parser::Optional);
    const Json* min = parser.member("min", Parser::Integer | Parser::Optional);
    const Json* max = parser.member("max", Parser::Integer | Parser::String | Parser::Optional);
    auto finished = parser.finish();
    if (!finished) return finished.error();
    auto k = BaseType::from_json(*key);
    if (!k) return k.error();
    type.key = std::move(*k);
    if (value) {
        auto v = BaseType::from_json(*value);
        if (!v) return v.error();
        type.value = std::move(*v);
    }
    auto n_from_json = [](const Json* j, unsigned& out) -> Status {
        if (!j) return {};
        if (j->is_number_integer() && j->get<int64_t>() >= 0 &&
            j->get<int64_t>() <= int64_t(UINT_MAX)) {
            out = unsigned(j->get<int64_t>());
            return {};
        }
        return syntax_error(j, "", "bad min or max value");
    };
    if (auto s = n_from_json(min, type.n_min); !s) return s.error();
    if (max && max->is_string() && max->get<std::string>() == "unlimited") {
        type.n_max = UINT_MAX;
    } else if (max && max->is_string()) {
        return syntax_error(max, "", "bad min or max value");
    } else if (auto s = n_from_json(max, type.n_max); !s) {
        return s.error();
    }
    bool valid = type.key.type != AtomicType::Void && type.n_min <= 1 && type.n_max >= 1 &&
                 type.n_min <= type.n_max;
    if (!valid) return syntax_error(&json, "", "ovsdb type fails constraint checks");
    return type;
}

Json Type::to_json() const {
    if (is_scalar() && !key.has_constraints()) return key.to_json();
    Json j = Json::object();
    j["key"] = key.to_json();
    if (is_map()) j["value"] = value.to_json();
    if (n_min != 1) j["min"] = n_min;
    if (n_max == UINT_MAX)
        j["max"] = "unlimited";
    else if (n_max != 1)
        j["max"] = n_max;
    return j;
}

}  // namespace vtep::ovsdb
