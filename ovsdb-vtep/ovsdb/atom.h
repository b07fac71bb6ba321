// One OVSDB atomic value: integer, real, boolean, string or uuid.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "ovsdb/uuid.h"

namespace vtep::ovsdb {

enum class AtomicType : uint8_t { Void, Integer, Real, Boolean, String, Uuid };

const char* atomic_type_name(AtomicType type);  // "integer", "real", ...
bool parse_atomic_type(const std::string& name, AtomicType& type);

// 24 bytes: a database holds millions of atoms. Strings of up to 22 bytes (MAC and IP
// addresses) are kept in place; longer ones live in one immutable, reference-counted
// block, so copying a row (transactions copy on write) copies no text. Counts are atomic
// because a compaction thread reads committed rows while the main thread copies and
// drops them.
class Atom {
  public:
    Atom() { put(int64_t(0), AtomicType::Integer); }
    explicit Atom(int64_t i) { put(i, AtomicType::Integer); }
    explicit Atom(double r) { put(r, AtomicType::Real); }
    explicit Atom(bool b) { put(b, AtomicType::Boolean); }
    explicit Atom(std::string_view s) { set_string(s); }
    explicit Atom(const std::string& s) : Atom(std::string_view(s)) {}
    explicit Atom(const char* s) : Atom(std::string_view(s)) {}
    explicit Atom(Uuid u) { put(u, AtomicType::Uuid); }

    Atom(const Atom& other) {
        copy_bytes(other);
        if (is_shared_string()) shared()->refs.fetch_add(1, std::memory_order_relaxed);
    }
    Atom(Atom&& other) noexcept {
        copy_bytes(other);
        other.put(int64_t(0), AtomicType::Integer);
    }
    Atom& operator=(const Atom& other) {
        if (this != &other) {
            Atom copy(other);
            swap(copy);
        }
        return *this;
    }
    Atom& operator=(Atom&& other) noexcept {
        Atom moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~Atom() {
        if (is_shared_string()) release();
    }
    void swap(Atom& other) noexcept {
        Atom* a = this;
        Atom* b = &other;
        unsigned char tmp[sizeof(Atom)];
        std::memcpy(tmp, static_cast<void*>(a), sizeof(Atom));
        std::memcpy(static_cast<void*>(a), static_cast<const void*>(b), sizeof(Atom));
        std::memcpy(static_cast<void*>(b), tmp, sizeof(Atom));
    }

    static Atom default_of(AtomicType type);  // 0, 0.0, false, "", all-zero uuid

    AtomicType type() const { return type_; }
    int64_t integer() const { return get<int64_t>(); }
    double real() const { return get<double>(); }
    bool boolean() const { return get<bool>(); }
    std::string_view string() const {
        if (is_shared_string()) return {shared()->text, shared()->length};
        return {reinterpret_cast<const char*>(bytes_), length_};
    }
    const Uuid& uuid() const { return *std::launder(reinterpret_cast<const Uuid*>(bytes_)); }

    // Atoms of one column always have one type; ordering is OVSDB's (numeric, false <
    // true, byte-wise strings, uuid as its text).
    std::partial_ordering operator<=>(const Atom& other) const;
    bool operator==(const Atom& other) const;
    size_t hash() const;

    // The atom as ovsdb-server prints it in error messages (strings quoted when needed).
    std::string to_display_string() const;

  private:
    struct SharedString {
        std::atomic<uint32_t> refs;
        uint32_t length;
        char text[];  // 'length' bytes
    };
    static constexpr size_t kInlineCapacity = 22;
    static constexpr uint8_t kSharedLength = 0xff;

    template <typename T>
    void put(T value, AtomicType type) {
        new (bytes_) T(value);
        type_ = type;
        length_ = 0;
    }
    template <typename T>
    T get() const {
        return *std::launder(reinterpret_cast<const T*>(bytes_));
    }
    SharedString* shared() const { return get<SharedString*>(); }
    bool is_shared_string() const {
        return type_ == AtomicType::String && length_ == kSharedLength;
    }
    void copy_bytes(const Atom& other) {
        std::memcpy(static_cast<void*>(this), static_cast<const void*>(&other), sizeof(Atom));
    }
    void set_string(std::string_view s);
    void release();

    alignas(8) unsigned char bytes_[kInlineCapacity];
    AtomicType type_;
    uint8_t length_;  // string length when in place, kSharedLength otherwise
};
static_assert(sizeof(Atom) == 24);

}  // namespace vtep::ovsdb
