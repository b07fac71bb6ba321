// The durable database file: Open vSwitch's standalone OVSDB file format, record by record.
//
// File format (ovsdb(5)). A file is an append-only series of records; each record is two
// lines: a header `OVSDB JSON <length> <sha1>\n` (single spaces; <length> is the decimal
// byte count of the second line including its final LF; <sha1> is 40 hex digits of the
// SHA-1 of exactly those bytes) followed by the payload, one JSON object on one line (no
// pretty printing; LFs inside strings are escaped) ending with LF. The magic word is "JSON"
// for standalone files; "CLUSTER" marks a clustered (Raft) file, which we refuse. An empty
// file is an empty log. Open vSwitch never reads a header longer than 127 bytes.
//
// What a standalone database file holds (checked against Open vSwitch 3.1 ovsdb/file.c,
// ovsdb/storage.c, ovsdb/transaction.c and ovsdb-tool.c):
//  - Record 1 is the database schema, exactly the RFC 7047 <database-schema> object
//    (`ovsdb-tool db-version` prints its "version", `db-cksum` its "cksum"). It is mandatory;
//    a file with only the schema is an empty database.
//  - Every later record is one committed transaction:
//      {"<table>": {"<row uuid>": <row-txn>, ...}, ...,
//       "_date": <integer ms since the epoch>, "_comment": "<comments>", "_is_diff": true}
//    * Table names are the schema's; row UUIDs are 36-character strings (RFC 4122 text).
//    * Insert: the row's UUID is not in the table yet (any object for an unknown UUID is
//      an insert, "_is_diff" or not); <row-txn> is an object with the new row's columns
//      in RFC 7047 <value> notation (["set",[...]], ["map",[...]], ["uuid","..."], bare
//      atoms). Columns whose value is the type's default are left out
//      (default: n_min atoms of 0 / 0.0 / false / "" / the all-zero UUID, so an empty set
//      for an optional or set column); an insert with all defaults is `{}`.
//    * Modify: the row exists; <row-txn> holds only the columns that changed (a modify
//      that changes no column is left out of the record, and a transaction that changes
//      nothing durable is not written at all). Without "_is_diff" the value is the
//      column's full new value. With "_is_diff": true (what ovsdb-server 2.15+ and
//      ovsdb-tool write) the value is a diff: for a column whose type has max 1 (scalar or
//      optional) it is still the full new value; for a set it is the symmetric difference
//      (each listed element is toggled: added if absent, removed if present); for a map
//      each listed pair is applied as: key absent -> added, key present with another value
//      -> value replaced, key present with this same value -> removed (so a removed key is
//      written with its old value). "_is_diff" applies to the whole record and only to
//      rows that already exist; inserts always carry full values.
//    * Delete: <row-txn> is `null`.
//    * "_date" (integer, ms; readers treat values below 2^31 as seconds) is always
//      written by Open vSwitch; "_comment" is the "comment" operations of the
//      transaction joined with LF, present only when non-empty. A member that is not a
//      table of the schema is an error for readers ("No table named ..."), except these
//      three, and only when "_date" is an integer and "_is_diff" a boolean.
//    * "_uuid" is never written (it is the key); "_version" and columns marked
//      "ephemeral" in the schema are never written.
//    * Readers replay each record as a transaction and run the full commit checks on it:
//      strong references must point at existing rows, constraints (n_min/n_max, enums,
//      ranges, maxRows) and indexes must hold, and unreferenced rows of non-root tables are
//      garbage-collected. The writer must therefore record everything the commit implied:
//      garbage-collected deletions and weak references that were removed appear explicitly.
//      A record that does not parse against the schema (unknown table or column, bad
//      value, deleting a missing row) makes ovsdb-tool exit with an error; one that parses
//      but fails the commit checks silently ends the database for ovsdb-tool. ovsdb-server
//      logs either, serves the records before it, and drops the rest on its next write.
//  - Compaction rewrites the file as two records: the schema and one transaction that
//    inserts every row (same rules as above, with "_date" and a "_comment" such as
//    "compacting database online").
//
// Locking: writers hold an exclusive fcntl() lock on `.<file name>.~lock~` in the file's
// directory (after following symlinks), like ovsdb-server and ovsdb-tool; readers do not
// lock, so `ovsdb-tool query` works beside a running server.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vtep::ovsdb {

// A failure to open, read, write or lock a database file: says which file, where in it,
// and why.
class LogError : public std::runtime_error {
  public:
    LogError(const std::string& path, std::optional<std::uint64_t> offset,
             const std::string& reason);
    const std::string& path() const { return path_; }
    std::optional<std::uint64_t> offset() const { return offset_; }
    const std::string& reason() const { return reason_; }

  private:
    std::string path_;
    std::optional<std::uint64_t> offset_;
    std::string reason_;
};

enum class OpenMode {
    kReadOnly,      // existing file, no lock taken, no writes
    kReadWrite,     // existing file, locked
    kCreate,        // new file, locked; fails if the file exists
    kCreateOrOpen,  // locked; created empty when missing
};

// Bytes at the end of the file that do not form valid records (a torn last write, or a
// record the engine rejected). They are removed before the first write, never silently:
// the caller should log describe().
struct DroppedTail {
    std::uint64_t offset = 0;  // where the last good record ends
    std::uint64_t bytes = 0;   // how many bytes from there to the end of the file
    std::string reason;        // what was wrong with the first bad record
    std::string describe(const std::string& path) const;
};

class LogReplacement;

// One open database file. Not thread-safe; see LogReplacement for what may run elsewhere.
class DatabaseLog {
  public:
    static constexpr const char* kStandaloneMagic = "JSON";
    static constexpr const char* kClusteredMagic = "CLUSTER";

    static DatabaseLog open(const std::string& path, OpenMode mode);

    DatabaseLog(DatabaseLog&&) noexcept;
    DatabaseLog& operator=(DatabaseLog&&) noexcept;
    ~DatabaseLog();

    // The next record, or nullopt at the end of the good records. A damaged tail ends the
    // records and is reported by dropped_tail(); damage followed by valid records (the
    // file is corrupt in the middle, so truncating would lose committed transactions)
    // throws LogError, as do I/O errors.
    std::optional<nlohmann::json> read_next();
    // The next record's payload (one line of JSON text, SHA-1 checked but not parsed), for
    // readers that parse it themselves. If it turns out not to be valid JSON, call
    // reject_damaged_last_record(): the outcome is then the same as read_next()'s.
    std::optional<std::string> read_next_payload();
    void reject_damaged_last_record(const std::string& reason);
    // Reads every remaining record.
    std::vector<nlohmann::json> read_all();
    // The record last returned by read_next() could not be applied (e.g. it breaks the
    // schema): treat it and everything after it as a dropped tail, as ovsdb-server does.
    void reject_last_record(const std::string& reason);

    // Damage found at the end of the file, if any. Read-write logs truncate it before the
    // first append or replace; read-only logs leave the file untouched.
    const std::optional<DroppedTail>& dropped_tail() const { return dropped_tail_; }

    // Appends one record (a JSON object) with a single write(). Requires that reading has
    // reached the end (read_next() returned nullopt), so nothing unread is overwritten.
    void append(const nlohmann::json& record);
    // Makes every appended record durable (fsync).
    void sync();

    // Replaces the whole file atomically with 'records' (schema first): writes
    // "<file>.tmp", fsyncs it, renames it over the file, fsyncs the directory, and keeps
    // appending to the new file. A crash at any point leaves the old or the new file.
    void replace(const std::vector<nlohmann::json>& records);
    // The same in two steps, so the bulk of a compaction can be written while clients are
    // still served: begin_replace() creates the temporary file; the caller fills it
    // (LogReplacement::append/sync may run on another thread) while this log keeps taking
    // append()s on its own thread; then, on this log's thread, the caller appends to the
    // replacement the transactions committed since its snapshot and calls
    // commit_replace(). Dropping a LogReplacement without committing removes its file.
    LogReplacement begin_replace();
    void commit_replace(LogReplacement&& replacement);

    const std::string& path() const;
    // End of the last good record: where the next append lands, i.e. the file's size
    // once any dropped tail is gone.
    std::uint64_t size() const;
    // Good records in the file (read so far plus appended).
    std::uint64_t record_count() const;
    // Size of the file through its second record (the schema and the first transaction,
    // which after a compaction is the whole database). ovsdb-server compacts when at least
    // 10-20 minutes have passed since the last compaction and either the file holds 100+
    // records and is over 10 MiB and more than twice this size, or a day has passed.
    std::uint64_t snapshot_size() const;
    bool writable() const;

    // "OVSDB JSON <len> <sha1>\n<payload>\n" for 'record'; pure, usable from any thread.
    static std::string encode_record(const nlohmann::json& record);
    // The same for a record already serialised as one line of compact JSON (no newline).
    static std::string encode_payload(std::string payload);
    // Appends a record made by encode_record()/encode_payload().
    void append_encoded(const std::string& encoded_record);
    // Name of the lock file that guards 'path' (".<name>.~lock~" beside the real file).
    static std::string lock_file_name(const std::string& path);

  private:
    struct State;
    explicit DatabaseLog(std::unique_ptr<State> state);
    void prepare_for_write(const char* operation);
    bool read_record(bool parse_json, nlohmann::json* json, std::string* payload);
    void handle_damage(std::uint64_t offset, std::uint64_t size, const std::string& reason);
    std::unique_ptr<State> state_;
    std::optional<DroppedTail> dropped_tail_;
};

// A new database file being written beside the old one ("<file>.tmp").
class LogReplacement {
  public:
    LogReplacement(LogReplacement&&) noexcept;
    LogReplacement& operator=(LogReplacement&&) noexcept;
    ~LogReplacement();

    void append(const nlohmann::json& record);
    void append_encoded(const std::string& encoded_record);
    void sync();
    std::uint64_t size() const { return size_; }
    std::uint64_t record_count() const { return records_; }
    const std::string& path() const { return temp_path_; }

  private:
    friend class DatabaseLog;
    LogReplacement(std::string temp_path, int fd);
    void close_and_remove() noexcept;
    std::string temp_path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t records_ = 0;
    std::uint64_t size_after_second_record_ = 0;
};

}  // namespace vtep::ovsdb
