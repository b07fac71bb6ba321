// Durability of one database: replays Open vSwitch's standalone database file into a
// Database at start, appends each commit as a record, and compacts the file when it
// has grown (see log.h for the file format).
#pragma once

#include <atomic>
#include <optional>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

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

    // True when the file is worth compacting (over 10 MiB, twice its last snapshot, and
    // 100 commits since the last compaction).
    bool should_compact() const;
    // Online compaction: starts one on a worker thread when should_compact(), or finishes
    // the running one once its worker is done. Call after commits and now and then; never
    // blocks on the worker. Returns an error if a finished compaction failed.
    Status poll_compaction();
    bool compaction_running() const { return compaction_ != nullptr; }
    // Starts a compaction now, if none is running (an operator's request, tests).
    void begin_compaction() {
        if (!compaction_) start_compaction();
    }
    // Compacts now (starting one if none runs) and waits for it.
    Status compact();
    ~Storage();

    // The record ovsdb-server would write for this commit (exposed for tests).
    static Json commit_to_record(const CommitRecord& commit);
    // The line write() appends: commit_to_record() with "_date", "_comment" and
    // "_is_diff", as compact text, made without a JSON tree. Empty if nothing durable.
    static std::string commit_to_text(const CommitRecord& commit, int64_t date_ms);

  private:
    // A compaction in progress: the worker writes the snapshot into 'replacement' while
    // commits keep going to the old file and are remembered in 'pending'.
    struct Compaction {
        std::optional<LogReplacement> replacement;
        std::vector<std::string> pending;  // encoded records committed since the snapshot
        std::thread worker;
        std::atomic<bool> done{false};
        std::string error;
    };

    Storage(DatabaseLog log, std::unique_ptr<Database> db);
    void start_compaction();
    Status finish_compaction();

    DatabaseLog log_;
    std::unique_ptr<Database> db_;
    uint64_t commits_since_compaction_ = 0;
    std::unique_ptr<Compaction> compaction_;
};

// Reads just the schema (first record) of a database file.
std::shared_ptr<DatabaseSchema> read_schema_file(const std::string& path);

}  // namespace vtep::ovsdb
