// JSON text exactly as Open vSwitch writes it (compact, members sorted, reals as %.15g),
// for the places where the bytes are part of the contract: the "syntax" member of errors
// and the database file's records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace vtep::ovsdb {

void append_json_text(const nlohmann::json& json, std::string& out);
std::string json_text(const nlohmann::json& json);
// 's' as a JSON string literal, escaped as Open vSwitch does.
void append_json_string(std::string_view s, std::string& out);

// True if 's' is an OVSDB <id>: [A-Za-z_][A-Za-z0-9_]*.
bool is_id(const std::string& s);

}  // namespace vtep::ovsdb
