// Splits a byte stream into JSON texts. OVSDB's JSON-RPC has no framing: messages are
// JSON values written back to back, so the reader finds each value's end by tracking
// string and nesting state as bytes arrive.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vtep::rpc {

// Nesting deeper than this is refused, as Open vSwitch's parser does.
constexpr size_t kMaxJsonDepth = 1000;

class JsonSplitter {
  public:
    explicit JsonSplitter(size_t max_message_bytes) : max_(max_message_bytes) {}

    // Consumes bytes from 'input' until one complete value is buffered (returns it, and
    // advances 'input' past what was used) or the input is exhausted (returns nullopt).
    std::optional<std::string> feed(std::string_view& input);

    // Set when a message exceeded the cap or the text cannot be JSON; the stream is then
    // unusable (there is no way to resynchronise inside an unframed stream).
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    size_t buffered() const { return buffer_.size(); }

  private:
    size_t max_;
    std::string buffer_;
    std::string open_;  // the brackets currently open, innermost last
    int depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    bool in_scalar_ = false;  // a bare top-level scalar (not valid JSON-RPC, but delimit it)
    std::string error_;
};

}  // namespace vtep::rpc
