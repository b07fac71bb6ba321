#include "json_text_splitter.h"

namespace vtep::bench {

void JsonTextSplitter::feed(std::string_view bytes) {
    // Drop what has been handed out before growing, so the buffer stays bounded by the
    // largest message rather than the whole stream.
    if (consumed_ > 0) {
        buffer_.erase(0, consumed_);
        scanned_ -= consumed_;
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

std::string_view JsonTextSplitter::next() {
    const char* data = buffer_.data();
    const std::size_t size = buffer_.size();
    std::size_t i = scanned_;
    while (i < size) {
        const char c = data[i++];
        if (in_string_) {
            if (escaped_) {
                escaped_ = false;
            } else if (c == '\\') {
                escaped_ = true;
            } else if (c == '"') {
                in_string_ = false;
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
                break;
            case '}':
            case ']':
                if (--depth_ < 0) {
                    throw JsonStreamError("unbalanced '" + std::string(1, c) +
                                          "' in the JSON-RPC stream");
                }
                if (depth_ == 0) {
                    std::size_t start = consumed_;
                    scanned_ = consumed_ = i;
                    return std::string_view(data + start, i - start);
                }
                break;
            case ' ':
            case '\t':
            case '\r':
            case '\n':
                if (depth_ == 0) consumed_ = i;  // whitespace between texts
                break;
            default:
                if (depth_ == 0) {
                    throw JsonStreamError("a JSON-RPC message must be an object, the stream has '" +
                                          std::string(1, c) + "' between messages");
                }
        }
    }
    scanned_ = i;
    return {};
}

}  // namespace vtep::bench
