// 128-bit UUIDs as OVSDB uses them for row identities and references.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

namespace vtep::ovsdb {

struct Uuid {
    uint64_t hi = 0;
    uint64_t lo = 0;

    static Uuid random();  // version 4, from a fast generator seeded by the kernel
    static std::optional<Uuid> parse(const std::string& text);  // 8-4-4-4-12 hex
    std::string to_string() const;
    void append_text(std::string& out) const;  // the 36 characters of to_string()
    void write_text(char* out) const;          // into 36 bytes at 'out'
    bool is_zero() const { return !hi && !lo; }
    auto operator<=>(const Uuid&) const = default;
};

struct UuidHash {
    size_t operator()(const Uuid& u) const noexcept {
        // Random UUIDs are already uniformly distributed.
        return size_t(u.lo ^ (u.hi * 0x9e3779b97f4a7c15ull));
    }
};

}  // namespace vtep::ovsdb
