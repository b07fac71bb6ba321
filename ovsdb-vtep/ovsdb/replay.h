// Replay of a database file's transaction records straight from their text into a
// transaction, without a JSON tree: start-up reads every record of the file, so this is
// where a large database spends its start-up time.
#pragma once

#include <string_view>

#include "ovsdb/transaction.h"

namespace vtep::ovsdb {

// Applies the record (see log.h for its shape) to 'txn'. Returns false when the record
// is anything but the well-formed common case (escaped strings, unknown names, values
// that break a constraint, ...): the caller must then discard 'txn' and replay the record
// through the general path, which applies the same rules and reports the exact error.
bool apply_record_text(Transaction& txn, std::string_view payload);

}  // namespace vtep::ovsdb
