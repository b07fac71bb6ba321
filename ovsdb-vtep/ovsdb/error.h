// OVSDB errors as RFC 7047 and ovsdb-server report them: a short tag ("syntax error",
// "constraint violation", ...), human details, and for syntax errors the offending JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vtep::ovsdb {

using Json = nlohmann::json;

struct Error {
    std::string tag;
    std::string details;
    std::optional<std::string> syntax;  // the offending JSON, serialized as ovsdb-server does

    Json to_json() const;
    std::string to_string() const;
};

Error make_error(std::string tag, std::string details);
// A syntax error about 'offending' (may be null: then no "syntax" member).
Error syntax_error(const Json* offending, std::string tag, std::string details);

// The value of a fallible operation: either a T or an Error.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    Error& error() { return std::get<1>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)) {}
    bool ok() const { return !error_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *error_; }
    Error& error() { return *error_; }

private:
    std::optional<Error> error_;
};

}  // namespace vtep::ovsdb
