#include "ovsdb/error.h"

#include "ovsdb/json_text.h"

namespace vtep::ovsdb {

Json Error::to_json() const {
    Json j = Json::object();
    j["error"] = tag;
    if (!details.empty()) j["details"] = details;
    if (syntax) j["syntax"] = *syntax;
    return j;
}

std::string Error::to_string() const {
    std::string s;
    if (syntax) s += "syntax \"" + *syntax + "\": ";
    s += tag;
    if (!details.empty()) s += ": " + details;
    return s;
}

Error make_error(std::string tag, std::string details) {
    return Error{std::move(tag), std::move(details), std::nullopt};
}

Error syntax_error(const Json* offending, std::string tag, std::string details) {
    Error e{tag.empty() ? "syntax error" : std::move(tag), std::move(details), std::nullopt};
    if (offending) e.syntax = json_text(*offending);
    return e;
}

}  // namespace vtep::ovsdb
