#include "ovsdb/uuid.h"

#include <random>

namespace vtep::ovsdb {
namespace {

// xoshiro256** seeded once from std::random_device: row UUIDs need uniqueness, not secrecy.
struct Generator {
    uint64_t s[4];
    Generator() {
        std::random_device rd;
        for (auto& w : s) w = (uint64_t(rd()) << 32) ^ rd();
    }
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next() {
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }
};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Uuid Uuid::random() {
    static thread_local Generator generator;
    Uuid u{generator.next(), generator.next()};
    u.hi = (u.hi & ~0xf000ull) | 0x4000ull;                           // version 4
    u.lo = (u.lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // RFC 4122 variant
    return u;
}

std::optional<Uuid> Uuid::parse(const std::string& text) {
    if (text.size() != 36) return std::nullopt;
    Uuid u;
    int nibble = 0;
    for (size_t i = 0; i < 36; ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') return std::nullopt;
            continue;
        }
        int v = hex_value(text[i]);
        if (v < 0) return std::nullopt;
        uint64_t& word = nibble < 16 ? u.hi : u.lo;
        word = (word << 4) | uint64_t(v);
        ++nibble;
    }
    return u;
}

void Uuid::write_text(char* out) const {
    static const char digits[] = "0123456789abcdef";
    int nibble = 0;
    for (size_t i = 0; i < 36; ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            out[i] = '-';
            continue;
        }
        uint64_t word = nibble < 16 ? hi : lo;
        int shift = 60 - 4 * (nibble % 16);
        out[i] = digits[(word >> shift) & 0xf];
        ++nibble;
    }
}

std::string Uuid::to_string() const {
    std::string s(36, '-');
    write_text(s.data());
    return s;
}

void Uuid::append_text(std::string& out) const {
    size_t at = out.size();
    out.resize(at + 36);
    write_text(out.data() + at);
}

}  // namespace vtep::ovsdb
