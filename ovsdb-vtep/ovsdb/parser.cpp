#include "ovsdb/parser.h"

#include "ovsdb/json_text.h"

namespace vtep::ovsdb {

Parser::Parser(const Json& json, std::string name)
    : json_(json.is_object() ? &json : nullptr), name_(std::move(name)) {
    if (!json_) raise("Object expected.");
}

void Parser::raise(const std::string& message) {
    if (!error_) error_ = syntax_error(json_, "", "Parsing " + name_ + " failed: " + message);
}

void Parser::put_error(Error error) {
    if (!error_) error_ = std::move(error);
}

const Json* Parser::member(const char* name, unsigned types) {
    if (!json_) return nullptr;
    auto it = json_->find(name);
    if (it == json_->end()) {
        if (!(types & Optional)) raise(std::string("Required '") + name + "' member is missing.");
        return nullptr;
    }
    const Json& v = *it;
    unsigned bit = 0;
    if (v.is_null()) bit = Null;
    else if (v.is_boolean()) bit = Boolean;
    else if (v.is_object()) bit = Object;
    else if (v.is_array()) bit = Array;
    else if (v.is_string()) bit = String;
    else if (v.is_number_float()) bit = Real;
    else if (v.is_number()) bit = Integer;
    if ((types & bit) || ((types & Id) && v.is_string() && is_id(v.get<std::string>()))) {
        used_.insert(name);
        return &v;
    }
    raise(std::string("Type mismatch for member '") + name + "'.");
    return nullptr;
}

Status Parser::finish() {
    if (!error_ && json_) {
        size_t n_unused = json_->size() - used_.size();
        if (n_unused) {
            for (const auto& [key, value] : json_->items()) {
                if (used_.count(key)) continue;
                if (n_unused > 1)
                    raise("Member '" + key + "' and " + std::to_string(n_unused - 1) +
                          " other member" + (n_unused > 2 ? "s" : "") +
                          " are present but not allowed here.");
                else
                    raise("Member '" + key + "' is present but not allowed here.");
                break;
            }
        }
    }
    if (error_) return *error_;
    return {};
}

}  // namespace vtep::ovsdb
