// One OVSDB atomic value: integer, real, boolean, string or uuid.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <variant>

#include "ovsdb/uuid.h"

namespace vtep::ovsdb {

enum class AtomicType : uint8_t { Void, Integer, Real, Boolean, String, Uuid };

const char* atomic_type_name(AtomicType type);  // "integer", "real", ...
bool parse_atomic_type(const std::string& name, AtomicType& type);

class Atom {
public:
    Atom() : v_(int64_t(0)) {}
    explicit Atom(int64_t i) : v_(i) {}
    explicit Atom(double r) : v_(r) {}
    explicit Atom(bool b) : v_(b) {}
    explicit Atom(std::string s) : v_(std::move(s)) {}
    explicit Atom(const char* s) : v_(std::string(s)) {}
    explicit Atom(Uuid u) : v_(u) {}

    static Atom default_of(AtomicType type);  // 0, 0.0, false, "", all-zero uuid

    int64_t integer() const { return std::get<int64_t>(v_); }
    double real() const { return std::get<double>(v_); }
    bool boolean() const { return std::get<bool>(v_); }
    const std::string& string() const { return std::get<std::string>(v_); }
    const Uuid& uuid() const { return std::get<Uuid>(v_); }

    // Atoms of one column always have one type; ordering is OVSDB's (numeric, false <
    // true, byte-wise strings, uuid as its text).
    std::partial_ordering operator<=>(const Atom& other) const { return v_ <=> other.v_; }
    bool operator==(const Atom& other) const { return v_ == other.v_; }
    size_t hash() const;

    // The atom as ovsdb-server prints it in error messages (strings quoted when needed).
    std::string to_display_string() const;

private:
    std::variant<int64_t, double, bool, std::string, Uuid> v_;
};

}  // namespace vtep::ovsdb
