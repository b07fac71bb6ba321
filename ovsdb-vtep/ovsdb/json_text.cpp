#include "ovsdb/json_text.h"

#include <cstdio>

namespace vtep::ovsdb {
void append_json_string(std::string_view s, std::string& out) {
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(char(c));
                }
        }
    }
    out.push_back('"');
}

void append_json_text(const nlohmann::json& json, std::string& out) {
    using T = nlohmann::json::value_t;
    switch (json.type()) {
        case T::null: out += "null"; break;
        case T::boolean: out += json.get<bool>() ? "true" : "false"; break;
        case T::number_integer: out += std::to_string(json.get<int64_t>()); break;
        case T::number_unsigned: {
            // Beyond int64 Open vSwitch's parser keeps the number as a real.
            uint64_t v = json.get<uint64_t>();
            if (v <= uint64_t(INT64_MAX)) {
                out += std::to_string(v);
            } else {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.15g", double(v));
                out += buf;
            }
            break;
        }
        case T::number_float: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.15g", json.get<double>());
            out += buf;
            break;
        }
        case T::string:
            append_json_string(json.get_ref<const std::string&>(), out);
            break;
        case T::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : json) {
                if (!first) out.push_back(',');
                first = false;
                append_json_text(e, out);
            }
            out.push_back(']');
            break;
        }
        case T::object: {
            // nlohmann's default object is a std::map: iteration is already sorted.
            out.push_back('{');
            bool first = true;
            for (const auto& [k, v] : json.items()) {
                if (!first) out.push_back(',');
                first = false;
                append_json_string(k, out);
                out.push_back(':');
                append_json_text(v, out);
            }
            out.push_back('}');
            break;
        }
        default: out += "null"; break;
    }
}

std::string json_text(const nlohmann::json& json) {
    std::string out;
    append_json_text(json, out);
    return out;
}

bool is_id(const std::string& s) {
    if (s.empty()) return false;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(s[0]) && s[0] != '_') return false;
    for (char c : s)
        if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_') return false;
    return true;
}

}  // namespace vtep::ovsdb
