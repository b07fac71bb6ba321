#include "rpc/json_splitter.h"

namespace vtep::rpc {

std::optional<std::string> JsonSplitter::feed(std::string_view& input) {
    if (failed()) return std::nullopt;
    size_t i = 0;
    for (; i < input.size(); ++i) {
        char c = input[i];
        if (buffer_.empty() && depth_ == 0 && !in_scalar_ &&
            (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            continue;  // whitespace between messages
        if (in_scalar_ && depth_ == 0 &&
            (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '[')) {
            in_scalar_ = false;
            input.remove_prefix(i);
            std::string out;
            out.swap(buffer_);
            return out;
        }
        buffer_.push_back(c);
        if (buffer_.size() > max_) {
            error_ = "message exceeds the maximum size of " + std::to_string(max_) + " bytes";
            input.remove_prefix(input.size());
            return std::nullopt;
        }
        if (in_string_) {
            if (escape_)
                escape_ = false;
            else if (c == '\\')
                escape_ = true;
            else if (c == '"')
                in_string_ = false;
            if (in_string_ || depth_ > 0) continue;
            // A complete top-level string.
            input.remove_prefix(i + 1);
            std::string out;
            out.swap(buffer_);
            return out;
        }
        switch (c) {
            case '"': in_string_ = true; break;
            case '{':
            case '[':
                ++depth_;
                open_.push_back(c);
                if (open_.size() > kMaxJsonDepth) {
                    error_ = "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
                    input.remove_prefix(input.size());
                    return std::nullopt;
                }
                break;
            case '}':
            case ']':
                if (open_.empty() || open_.back() != (c == '}' ? '{' : '[')) {
                    error_ = "unexpected '" + std::string(1, c) + "'";
                    input.remove_prefix(input.size());
                    return std::nullopt;
                }
                open_.pop_back();
                --depth_;
                if (depth_ == 0) {
                    input.remove_prefix(i + 1);
                    std::string out;
                    out.swap(buffer_);
                    return out;
                }
                break;
            default:
                if (depth_ == 0) in_scalar_ = true;
        }
    }
    input.remove_prefix(i);
    return std::nullopt;
}

}  // namespace vtep::rpc
