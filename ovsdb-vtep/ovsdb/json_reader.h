// A JSON reader with Open vSwitch's leniencies: strings are taken byte for byte (invalid
// UTF-8 is carried through, as ovsdb-server does), integers beyond int64 become reals.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

namespace vtep::ovsdb {

struct JsonReadError : std::runtime_error {
    JsonReadError(const std::string& what, size_t offset)
        : std::runtime_error(what + " at byte " + std::to_string(offset)), offset(offset) {}
    size_t offset;
};

// Parses exactly one JSON value (surrounding whitespace allowed). Throws JsonReadError.
nlohmann::json read_json(std::string_view text);

}  // namespace vtep::ovsdb
