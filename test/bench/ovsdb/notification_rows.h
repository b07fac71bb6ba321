#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vtep::bench {

// What a monitoring client needs from one incoming message, read with a streaming parser
// so 20 clients can keep up with a fast server without building a document per update.
struct MessageSummary {
    std::string method;      // empty for replies
    bool has_error = false;  // a reply whose "error" is not null
    // Rows carried by an update, update2 or update3 notification: the members of each
    // table object in the table-updates parameter (params[1], or params[2] for update3).
    std::uint64_t rows = 0;
};

// Throws std::invalid_argument when the text is not valid JSON.
MessageSummary summarize_message(std::string_view text);

}  // namespace vtep::bench
