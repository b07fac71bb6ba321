#include "transact_reply.h"

#include <string>

namespace vtep::bench {
namespace {

std::string shortened(const nlohmann::json& value) {
    std::string text = value.dump();
    constexpr std::size_t kLimit = 400;
    if (text.size() > kLimit) text = text.substr(0, kLimit) + "...";
    return text;
}

}  // namespace

std::size_t count_inserted_rows(const nlohmann::json& reply, std::size_t operations_sent) {
    if (!reply.is_object()) throw TransactError("reply is not a JSON object: " + shortened(reply));
    auto error = reply.find("error");
    if (error != reply.end() && !error->is_null()) {
        throw TransactError("transact failed with a JSON-RPC error: " + shortened(*error));
    }
    auto result = reply.find("result");
    if (result == reply.end() || !result->is_array()) {
        throw TransactError("transact reply has no result array: " + shortened(reply));
    }
    std::size_t inserted = 0;
    for (const auto& outcome : *result) {
        // RFC 7047 4.1.3: a failed operation is an object with "error"; after it the
        // result may hold a further error (e.g. a commit-time constraint) or nulls.
        if (outcome.is_object() && outcome.contains("error")) {
            throw TransactError("transact operation failed: " + shortened(outcome));
        }
        if (outcome.is_object() && outcome.contains("uuid")) ++inserted;
    }
    if (result->size() != operations_sent) {
        throw TransactError("transact result has " + std::to_string(result->size()) +
                            " entries for " + std::to_string(operations_sent) + " operations");
    }
    return inserted;
}

}  // namespace vtep::bench
