#include "ovsdb/atom.h"

#include <cctype>
#include <cstdio>
#include <stdexcept>

#include "ovsdb/json_text.h"

namespace vtep::ovsdb {

const char* atomic_type_name(AtomicType type) {
    switch (type) {
        case AtomicType::Void:
            return "void";
        case AtomicType::Integer:
            return "integer";
        case AtomicType::Real:
            return "real";
        case AtomicType::Boolean:
            return "boolean";
        case AtomicType::String:
            return "string";
        case AtomicType::Uuid:
            return "uuid";
    }
    return "void";
}

bool parse_atomic_type(const std::string& name, AtomicType& type) {
    static const std::pair<const char*, AtomicType> names[] = {{"integer", AtomicType::Integer},
                                                               {"real", AtomicType::Real},
                                                               {"boolean", AtomicType::Boolean},
                                                               {"string", AtomicType::String},
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
        case AtomicType::Real:
            return Atom(0.0);
        case AtomicType::Boolean:
            return Atom(false);
        case AtomicType::String:
            return Atom(std::string_view());
        case AtomicType::Uuid:
            return Atom(Uuid{});
        default:
            return Atom(int64_t(0));
    }
}

void Atom::set_string(std::string_view s) {
    type_ = AtomicType::String;
    if (s.size() <= kInlineCapacity) {
        if (!s.empty()) std::memcpy(bytes_, s.data(), s.size());
        length_ = uint8_t(s.size());
        return;
    }
    if (s.size() > UINT32_MAX) throw std::length_error("string atom longer than 4 GiB");
    void* block = ::operator new(sizeof(SharedString) + s.size());
    auto* shared = new (block) SharedString{{1}, uint32_t(s.size())};
    std::memcpy(shared->text, s.data(), s.size());
    new (bytes_) SharedString*(shared);
    length_ = kSharedLength;
}

void Atom::release() {
    SharedString* s = shared();
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        s->~SharedString();
        ::operator delete(s);
    }
}

std::partial_ordering Atom::operator<=>(const Atom& other) const {
    if (type_ != other.type_) return type_ <=> other.type_;
    switch (type_) {
        case AtomicType::Integer:
            return integer() <=> other.integer();
        case AtomicType::Real:
            return real() <=> other.real();
        case AtomicType::Boolean:
            return boolean() <=> other.boolean();
        case AtomicType::String:
            return string() <=> other.string();
        case AtomicType::Uuid:
            return uuid() <=> other.uuid();
        default:
            return std::partial_ordering::equivalent;
    }
}

bool Atom::operator==(const Atom& other) const {
    if (type_ != other.type_) return false;
    switch (type_) {
        case AtomicType::Integer:
            return integer() == other.integer();
        case AtomicType::Real:
            return real() == other.real();
        case AtomicType::Boolean:
            return boolean() == other.boolean();
        case AtomicType::String:
            return string() == other.string();
        case AtomicType::Uuid:
            return uuid() == other.uuid();
        default:
            return true;
    }
}

size_t Atom::hash() const {
    switch (type_) {
        case AtomicType::Integer:
            return std::hash<int64_t>{}(integer());
        case AtomicType::Real:
            return std::hash<double>{}(real());
        case AtomicType::Boolean:
            return std::hash<bool>{}(boolean());
        case AtomicType::String:
            return std::hash<std::string_view>{}(string());
        case AtomicType::Uuid:
            return UuidHash{}(uuid());
        default:
            return 0;
    }
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
    switch (type_) {
        case AtomicType::Integer:
            return std::to_string(integer());
        case AtomicType::Real: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.15g", real());
            return buf;
        }
        case AtomicType::Boolean:
            return boolean() ? "true" : "false";
        case AtomicType::String: {
            std::string s(string());
            return string_needs_quotes(s) ? json_text(nlohmann::json(s)) : s;
        }
        case AtomicType::Uuid:
            return uuid().to_string();
        default:
            return "";
    }
}

}  // namespace vtep::ovsdb
