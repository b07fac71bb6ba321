#include "rpc/json_splitter.h"

namespace vtep::rpc {

std::optional<std::string> JsonSplitter::feed(std::string_view& input) {
    if (failed()) return std::nullopt;
    // Scans the chunk and copies whole ranges: appending byte by byte dominated the cost
    // of small requests.
    size_t i = 0;
    size_t taken = 0;  // bytes of 'input' before 'taken' are already in buffer_
    auto complete = [&](size_t end) {
        buffer_.append(input.data() + taken, end - taken);
        input.remove_prefix(end);
        std::string out;
        out.swap(buffer_);
        return out;
    };
    auto fail = [&](std::string why) {
        error_ = std::move(why);
        input.remove_prefix(input.size());
        buffer_.clear();
    };
    for (; i < input.size(); ++i) {
        char c = input[i];
        bool idle = buffer_.empty() && taken == i && depth_ == 0 && !in_scalar_ && !in_string_;
        if (idle && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            taken = i + 1;  // whitespace between messages
            continue;
        }
        if (buffer_.size() + (i - taken) >= max_) {
            fail("message exceeds the maximum size of " + std::to_string(max_) + " bytes");
            return std::nullopt;
        }
        if (in_scalar_ && depth_ == 0 &&
            (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '[')) {
            in_scalar_ = false;
            return complete(i);
        }
        if (in_string_) {
            if (escape_) {
                escape_ = false;
            } else if (c == '\\') {
                escape_ = true;
            } else if (c == '"') {
                in_string_ = false;
                if (depth_ == 0) return complete(i + 1);  // a complete top-level string
            }
            continue;
        }
        switch (c) {
            case '"':
                in_string_ = true;
                break;
            case '{':
            case '[':
                ++depth_;
                open_.push_back(c);
                if (open_.size() > kMaxJsonDepth) {
                    fail("nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
                    return std::nullopt;
                }
                break;
            case '}':
            case ']':
                if (open_.empty() || open_.back() != (c == '}' ? '{' : '[')) {
                    fail(std::string("unexpected '") + c + "'");
                    return std::nullopt;
                }
                open_.pop_back();
                if (--depth_ == 0) return complete(i + 1);
                break;
            default:
                if (depth_ == 0) in_scalar_ = true;
        }
    }
    buffer_.append(input.data() + taken, input.size() - taken);
    input.remove_prefix(input.size());
    return std::nullopt;
}

}  // namespace vtep::rpc
