#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vtep::bench {

// Cuts a JSON-RPC byte stream into complete JSON texts without parsing them, so the
// reader only pays for a full parse of the messages it needs to look into.
class JsonTextSplitter {
  public:
    // Appends received bytes; complete texts are returned by next().
    void feed(std::string_view bytes);

    // The next complete top-level object or array, or an empty view when none is complete
    // yet. The view stays valid until the next feed().
    std::string_view next();

    // Bytes held that do not yet form a complete text.
    std::size_t pending_bytes() const { return buffer_.size() - consumed_; }

  private:
    std::string buffer_;
    std::size_t consumed_ = 0;  // start of the first text not handed out yet
    std::size_t scanned_ = 0;   // how far the scan state below describes the buffer
    int depth_ = 0;
    bool in_string_ = false;
    bool escaped_ = false;
};

class JsonStreamError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace vtep::bench
