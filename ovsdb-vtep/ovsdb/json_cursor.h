// A forward-only reader over JSON text, token by token, for the hot paths that read
// known shapes (database file records) straight into rows instead of building a tree.
// Every method returns false on anything unexpected; the caller then falls back to the
// general reader, which reports the error.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace vtep::ovsdb {

class JsonCursor {
  public:
    explicit JsonCursor(std::string_view text) : s_(text) {}

    size_t position() const { return pos_; }
    bool at_end() {
        skip_space();
        return pos_ == s_.size();
    }
    std::string_view text_between(size_t begin, size_t end) const {
        return s_.substr(begin, end - begin);
    }

    // Consumes 'c' (after whitespace) if it is next.
    bool consume(char c) {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    char peek() {
        skip_space();
        return pos_ < s_.size() ? s_[pos_] : '\0';
    }

    // A string without escapes is returned as a view of the text; one with escapes is
    // not handled here (returns false).
    bool string(std::string_view& out) {
        if (!consume('"')) return false;
        size_t start = pos_;
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (c == '"') {
                out = s_.substr(start, pos_ - start);
                ++pos_;
                return true;
            }
            if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
            ++pos_;
        }
        return false;
    }
    bool literal(std::string_view word) {
        skip_space();
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }
    // An integer that fits int64 (no fraction, no exponent).
    bool integer(int64_t& out) {
        size_t start, end;
        bool is_real;
        if (!number_span(start, end, is_real) || is_real) return false;
        std::string text(s_.substr(start, end - start));
        errno = 0;
        long long v = std::strtoll(text.c_str(), nullptr, 10);
        if (errno == ERANGE) return false;
        out = v;
        return true;
    }
    // Any number, as a double.
    bool real(double& out) {
        size_t start, end;
        bool is_real;
        if (!number_span(start, end, is_real)) return false;
        std::string text(s_.substr(start, end - start));
        out = std::strtod(text.c_str(), nullptr);
        return std::isfinite(out);
    }
    // Skips one value of any kind (strings with escapes included).
    bool skip_value(int depth = 0) {
        if (depth > 1000) return false;
        char c = peek();
        if (c == '"') {
            ++pos_;
            while (pos_ < s_.size() && s_[pos_] != '"') pos_ += s_[pos_] == '\\' ? 2 : 1;
            if (pos_ >= s_.size()) return false;
            ++pos_;
            return true;
        }
        if (c == '[' || c == '{') {
            char close = c == '[' ? ']' : '}';
            ++pos_;
            if (consume(close)) return true;
            do {
                if (c == '{' && (peek() != '"' || !skip_value(depth + 1) || !consume(':')))
                    return false;
                if (!skip_value(depth + 1)) return false;
            } while (consume(','));
            return consume(close);
        }
        if (c == 't') return literal("true");
        if (c == 'f') return literal("false");
        if (c == 'n') return literal("null");
        size_t start, end;
        bool is_real;
        return number_span(start, end, is_real);
    }

  private:
    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    static bool digit(char c) { return c >= '0' && c <= '9'; }
    bool number_span(size_t& start, size_t& end, bool& is_real) {
        skip_space();
        start = pos_;
        is_real = false;
        if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size() || !digit(s_[pos_])) return false;
        if (s_[pos_] == '0' && pos_ + 1 < s_.size() && digit(s_[pos_ + 1])) return false;
        while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            is_real = true;
            ++pos_;
            if (pos_ >= s_.size() || !digit(s_[pos_])) return false;
            while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            is_real = true;
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (pos_ >= s_.size() || !digit(s_[pos_])) return false;
            while (pos_ < s_.size() && digit(s_[pos_])) ++pos_;
        }
        end = pos_;
        return true;
    }

    std::string_view s_;
    size_t pos_ = 0;
};

}  // namespace vtep::ovsdb
