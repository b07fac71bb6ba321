// Durability of one database: replays Open vSwitch's standalone database file into a
// Database at start, appends each commit as a record, and compacts the file when it
// has grown (see log.h for the file format).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "ovsdb/database.h"
#include "ovsdb/log.h"
#include "ovsdb/transaction.h"

namespace vtep::ovsdb {

class Storage {
public:
    // Opens 'path' (creating it from 'create_schema' when missing and a schema is given)
    // and replays it. Throws LogError / std::runtime_error with a message naming the file
    // and the problem. 'warn' receives non-fatal findings (a dropped torn tail).
    static std::unique_ptr<Storage> open(const std::string& path,
                                         std::shared_ptr<const DatabaseSchema> create_schema,
                                         const std::function<void(const std::string&)>& warn);

    Database& database() { return *db_; }
    const std::string& path() const { return log_.path(); }

    // Appends the commit (nothing for an empty one); fsyncs when 'durable'. Write errors
    // become an "I/O error" Status so the client learns its commit may not be durable.
    Status write(const CommitRecord& commit, bool durable);

    // True when the file is worth compacting (over 10 MiB and twice its last snapshot).
    bool should_compact() const;
    // Rewrites the file as the schema plus one record holding every row.
    Status compact();

    // The record ovsdb-server would write for this commit (exposed for tests).
    static Json commit_to_record(const CommitRecord& commit);

private:
    Storage(DatabaseLog log, std::unique_ptr<Database> db);
    Json snapshot_record() const;

    DatabaseLog log_;
    std::unique_ptr<Database> db_;
    uint64_t commits_since_compaction_ = 0;
};

// Reads just the schema (first record) of a database file.
std::shared_ptr<DatabaseSchema> read_schema_file(const std::string& path);

}  // namespace vtep::ovsdb
