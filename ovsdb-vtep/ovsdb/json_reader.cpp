#include "ovsdb/json_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace vtep::ovsdb {
namespace {

constexpr int kMaxDepth = 1000;

class Reader {
public:
    explicit Reader(std::string_view text) : s_(text) {}

    nlohmann::json document() {
        nlohmann::json v = value(0);
        skip_space();
        if (pos_ != s_.size()) fail("trailing characters after JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& why) { throw JsonReadError(why, pos_); }

    void skip_space() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }

    bool consume_literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    nlohmann::json value(int depth) {
        if (depth > kMaxDepth) fail("nesting too deep");
        skip_space();
        if (pos_ >= s_.size()) fail("unexpected end of input");
        char c = s_[pos_];
        switch (c) {
            case '{': return object(depth);
            case '[': return array(depth);
            case '"': return nlohmann::json(string());
            case 't':
                if (consume_literal("true")) return true;
                break;
            case 'f':
                if (consume_literal("false")) return false;
                break;
            case 'n':
                if (consume_literal("null")) return nullptr;
                break;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
        }
        fail(std::string("unexpected character '") + c + "'");
    }

    nlohmann::json object(int depth) {
        ++pos_;  // '{'
        nlohmann::json obj = nlohmann::json::object();
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            return obj;
        }
        for (;;) {
            skip_space();
            if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected member name");
            std::string key = string();
            skip_space();
            if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':'");
            ++pos_;
            obj[std::move(key)] = value(depth + 1);
            skip_space();
            if (pos_ >= s_.size()) fail("unexpected end of input in object");
            if (s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (s_[pos_] == '}') {
                ++pos_;
                return obj;
            }
            fail("expected ',' or '}'");
        }
    }

    nlohmann::json array(int depth) {
        ++pos_;  // '['
        nlohmann::json arr = nlohmann::json::array();
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            return arr;
        }
        for (;;) {
            arr.push_back(value(depth + 1));
            skip_space();
            if (pos_ >= s_.size()) fail("unexpected end of input in array");
            if (s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (s_[pos_] == ']') {
                ++pos_;
                return arr;
            }
            fail("expected ',' or ']'");
        }
    }

    static void put_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out.push_back(char(cp));
        } else if (cp < 0x800) {
            out.push_back(char(0xc0 | (cp >> 6)));
            out.push_back(char(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            out.push_back(char(0xe0 | (cp >> 12)));
            out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(char(0x80 | (cp & 0x3f)));
        } else {
            out.push_back(char(0xf0 | (cp >> 18)));
            out.push_back(char(0x80 | ((cp >> 12) & 0x3f)));
            out.push_back(char(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(char(0x80 | (cp & 0x3f)));
        }
    }

    unsigned hex4() {
        if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }

    std::string string() {
        ++pos_;  // '"'
        std::string out;
        for (;;) {
            size_t start = pos_;
            while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\' &&
                   static_cast<unsigned char>(s_[pos_]) >= 0x20)
                ++pos_;
            out.append(s_.data() + start, pos_ - start);
            if (pos_ >= s_.size()) fail("unterminated string");
            char c = s_[pos_++];
            if (c == '"') return out;
            if (c != '\\') fail("control character in string");
            if (pos_ >= s_.size()) fail("unterminated escape");
            char e = s_[pos_++];
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xdc00 && cp <= 0xdfff) fail("lone low surrogate in \\u escape");
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        if (!(pos_ + 6 <= s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u'))
                            fail("high surrogate without its low half in \\u escape");
                        pos_ += 2;
                        unsigned low = hex4();
                        if (low < 0xdc00 || low > 0xdfff)
                            fail("high surrogate without its low half in \\u escape");
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    }
                    if (cp == 0) fail("\\u0000 is not allowed in strings");
                    put_utf8(out, cp);
                    break;
                }
                default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    nlohmann::json number() {
        size_t start = pos_;
        bool is_real = false;
        if (s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) fail("bad number");
        if (s_[pos_] == '0' && pos_ + 1 < s_.size() && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9')
            fail("leading zero in number");
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            is_real = true;
            ++pos_;
            if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) fail("bad number");
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            is_real = true;
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) fail("bad number");
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
        }
        std::string text(s_.substr(start, pos_ - start));
        if (!is_real) {
            errno = 0;
            long long v = std::strtoll(text.c_str(), nullptr, 10);
            if (errno != ERANGE) return int64_t(v);
        }
        double d = std::strtod(text.c_str(), nullptr);  // beyond int64: a real, as in OVS
        if (!std::isfinite(d)) fail("number out of range");
        return d;
    }

    std::string_view s_;
    size_t pos_ = 0;
};

}  // namespace

nlohmann::json read_json(std::string_view text) { return Reader(text).document(); }

}  // namespace vtep::ovsdb
