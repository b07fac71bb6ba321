#include "ovsdb/atom.h"

#include <cctype>
#include <cstdio>

#include "ovsdb/json_text.h"

namespace vtep::ovsdb {

const char* atomic_type_name(AtomicType type) {
    switch (type) {
        case AtomicType::Void: return "void";
        case AtomicType::Integer: return "integer";
        case AtomicType::Real: return "real";
        case AtomicType::Boolean: return "boolean";
        case AtomicType::String: return "string";
        case AtomicType::Uuid: return "uuid";
    }
    return "void";
}

bool parse_atomic_type(const std::string& name, AtomicType& type) {
    static const std::pair<const char*, AtomicType> names[] = {
        {"integer", AtomicType::Integer}, {"real", AtomicType::Real},
        {"boolean", AtomicType::Boolean}, {"string", AtomicType::String},
        {"uuid", AtomicType::Uuid}};
    for (auto& [n, t] : names)
        if (name == n) {
            type = t;
            return true;
        }
    return false;
}

Atom Atom::default_of(AtomicType type) {
    switch (type) {
        case AtomicType::Real: return Atom(0.0);
        case AtomicType::Boolean: return Atom(false);
        case AtomicType::String: return Atom(std::string());
        case AtomicType::Uuid: return Atom(Uuid{});
        default: return Atom(int64_t(0));
    }
}

size_t Atom::hash() const {
    return std::visit(
        [](const auto& v) -> size_t {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Uuid>)
                return UuidHash{}(v);
            else
                return std::hash<T>{}(v);
        },
        v_);
}

namespace {

bool string_needs_quotes(const std::string& s) {
    if (s.empty()) return true;
    unsigned char c = s[0];
    if (!std::isalpha(c) && c != '_') return true;
    for (unsigned char ch : s)
        if (!std::isalnum(ch) && ch != '_' && ch != '-' && ch != '.') return true;
    if (s == "true" || s == "false") return true;
    return Uuid::parse(s).has_value();
}

}  // namespace

std::string Atom::to_display_string() const {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, int64_t>) {
                return std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.15g", v);
                return buf;
            } else if constexpr (std::is_same_v<T, bool>) {
                return v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::string>) {
                return string_needs_quotes(v) ? json_text(nlohmann::json(v)) : v;
            } else {
                return v.to_string();
            }
        },
        v_);
}

}  // namespace vtep::ovsdb
