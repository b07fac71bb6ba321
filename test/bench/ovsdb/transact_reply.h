#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace vtep::bench {

class TransactError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Checks a transact reply message ({"id","result","error"}) and returns how many rows it
// says were inserted. A reply with a JSON-RPC error, an operation error, or a result of
// the wrong length throws TransactError quoting what the server said: a benchmark that
// counts failed transactions as work measures nothing.
std::size_t count_inserted_rows(const nlohmann::json& reply, std::size_t operations_sent);

}  // namespace vtep::bench
