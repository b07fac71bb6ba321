// Execution of a "transact" request's operations (RFC 7047 §5.2) within one Transaction,
// producing the per-operation results exactly as ovsdb-server shapes them.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "ovsdb/transaction.h"

namespace vtep::ovsdb {

struct ExecutionContext {
    // Whether the requesting session holds the named lock ("assert").
    std::function<bool(const std::string&)> holds_lock;
    // Milliseconds since the request first arrived (for "wait" timeouts).
    int64_t elapsed_msec = 0;
};

struct Execution {
    // Results so far; when the transaction must wait, 'results' is null.
    Json results;
    // The transaction to commit, when every operation succeeded.
    std::unique_ptr<Transaction> txn;
    bool durable = false;
    // Set when a "wait" is not yet satisfied: the request must be retried after the next
    // commit, or failed with "timed out" once 'timeout_msec' has elapsed (INT64_MAX: never).
    bool must_wait = false;
    int64_t timeout_msec = INT64_MAX;
};

// 'params' is the whole transact parameter array (database name first). 'read_only'
// is set for the _Server database, whose tables clients may only read.
Execution execute_transaction(Database& db, const Json& params, const ExecutionContext& ctx);

// Runs execute_transaction and commits; returns the reply's "result" array, or null if
// the request must wait. 'on_commit' receives the commit record of a successful commit.
Json execute_and_commit(Database& db, const Json& params, const ExecutionContext& ctx,
                        const std::function<Status(const CommitRecord&, bool durable)>& on_commit,
                        int64_t* timeout_msec = nullptr);

}  // namespace vtep::ovsdb
