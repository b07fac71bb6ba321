// Member-by-member parsing of a JSON object with ovsdb-server's error texts
// ("Parsing <what> failed: Required 'x' member is missing.", unused members, ...).
#pragma once

#include <optional>
#include <set>
#include <string>

#include "ovsdb/error.h"

namespace vtep::ovsdb {

class Parser {
public:
    enum Types : unsigned {
        Null = 1u << 0,
        Boolean = 1u << 1,
        Object = 1u << 2,
        Array = 1u << 3,
        String = 1u << 4,
        Integer = 1u << 5,
        Real = 1u << 6,
        Number = Integer | Real,
        Any = Null | Boolean | Object | Array | String | Number,
        Id = 1u << 7,  // a string that is an <id>
        Optional = 1u << 8,
    };

    // 'name' describes the object in errors, e.g. "ovsdb operation 1 of 2".
    Parser(const Json& json, std::string name);

    // Returns the member if present and of an allowed type; otherwise records an error
    // (unless absent and Optional) and returns null.
    const Json* member(const char* name, unsigned types);
    void raise(const std::string& message);  // keeps the first error only
    void put_error(Error error);             // keeps the first error only
    bool has_error() const { return error_.has_value(); }
    const Json* json() const { return json_; }

    // Reports members that were never asked for, then returns the first error if any.
    Status finish();

private:
    const Json* json_;
    std::string name_;
    std::set<std::string> used_;
    std::optional<Error> error_;
};

}  // namespace vtep::ovsdb
