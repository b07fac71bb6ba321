#include "ovsdb/log.h"

#include "ovsdb/json_text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <fstream>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>
#include <variant>

namespace vtep::ovsdb {

namespace {

constexpr std::string_view kHeaderLead = "OVSDB ";
// Open vSwitch reads header lines with a 128-byte fgets(), so a longer line is invalid.
constexpr std::size_t kMaxHeaderLine = 127;
constexpr std::size_t kSha1HexLength = 40;
constexpr std::size_t kScanChunk = 64 * 1024;

std::string errno_text(int error) {
    return std::system_category().message(error);
}

std::string sha1_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &digest_length, EVP_sha1(), nullptr) !=
        1) {
        throw std::runtime_error("OpenSSL could not compute a SHA-1 digest");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(digest_length * 2);
    for (unsigned int i = 0; i < digest_length; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
}

std::string dirname_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Follows symlinks the way Open vSwitch does, so the lock file and the compaction target
// are those of the real file: a symlinked database shares one lock with its target.
std::string resolve_symlinks(const std::string& path) {
    std::string current = path;
    for (int depth = 0; depth < 40; ++depth) {
        struct stat st {};
        if (lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
        std::string target(PATH_MAX, '\0');
        ssize_t n = readlink(current.c_str(), target.data(), target.size());
        if (n < 0) return current;
        target.resize(static_cast<std::size_t>(n));
        if (!target.empty() && target[0] != '/' && current.find('/') != std::string::npos) {
            target = dirname_of(current) + "/" + target;
        }
        current = std::move(target);
    }
    return current;
}

void write_fully(int fd, std::string_view data, std::uint64_t offset) {
    while (!data.empty()) {
        ssize_t n = pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::system_category());
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

// Reads up to 'length' bytes at 'offset'; fewer only at end of file.
std::string read_at(int fd, std::uint64_t offset, std::size_t length) {
    std::string buffer(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        ssize_t n =
            pread(fd, buffer.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::system_category());
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    buffer.resize(done);
    return buffer;
}

std::uint64_t file_size_of(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) throw std::system_error(errno, std::system_category());
    return static_cast<std::uint64_t>(st.st_size);
}

void fsync_directory(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::system_category());
    int rc = fsync(fd);
    int error = errno;
    close(fd);
    if (rc != 0) throw std::system_error(error, std::system_category());
}

std::string process_name(pid_t pid) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    return name;
}

struct ParsedHeader {
    std::string_view magic;
    std::uint64_t payload_length = 0;
    std::string_view sha1;
};

// Parses "OVSDB <magic> <length> <sha1>" (the line without its LF); nullopt if malformed.
std::optional<ParsedHeader> parse_header(std::string_view line) {
    if (line.substr(0, kHeaderLead.size()) != kHeaderLead) return std::nullopt;
    line.remove_prefix(kHeaderLead.size());
    ParsedHeader header;
    auto space = line.find(' ');
    if (space == std::string_view::npos || space == 0) return std::nullopt;
    header.magic = line.substr(0, space);
    line.remove_prefix(space + 1);
    space = line.find(' ');
    if (space == std::string_view::npos || space == 0) return std::nullopt;
    std::string_view digits = line.substr(0, space);
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), header.payload_length);
    if (ec != std::errc() || end != digits.data() + digits.size() || header.payload_length == 0) {
        return std::nullopt;
    }
    line.remove_prefix(space + 1);
    if (line.size() != kSha1HexLength) return std::nullopt;
    for (char c : line) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    header.sha1 = line;
    return header;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

struct GoodRecord {
    nlohmann::json json;  // when parsed
    std::string payload;  // when not parsed
    std::uint64_t end = 0;
};
struct BadRecord {
    std::string reason;
};
struct EndOfFile {};
using RecordAt = std::variant<GoodRecord, BadRecord, EndOfFile>;

// Decodes the record that starts at 'offset' of a file of 'file_size' bytes. With
// 'parse_json' false the payload is checked against its SHA-1 only and handed back as text.
RecordAt record_at(int fd, std::uint64_t offset, std::uint64_t file_size, bool parse_json = true) {
    if (offset >= file_size) return EndOfFile{};
    std::string head = read_at(fd, offset, kMaxHeaderLine);
    auto newline = head.find('\n');
    if (newline == std::string::npos) {
        if (head.size() < kMaxHeaderLine) {
            return BadRecord{"incomplete header line (" + std::to_string(head.size()) +
                             " bytes, no newline before the end of the file)"};
        }
        return BadRecord{"header line longer than " + std::to_string(kMaxHeaderLine) + " bytes"};
    }
    std::string_view line(head.data(), newline);
    auto header = parse_header(line);
    if (!header) {
        return BadRecord{"malformed header line \"" + std::string(line.substr(0, 80)) +
                         "\" (expected \"OVSDB JSON <length> <sha1>\")"};
    }
    if (header->magic != DatabaseLog::kStandaloneMagic) {
        return BadRecord{"header has magic \"" + std::string(header->magic) +
                         "\" instead of \"JSON\""};
    }
    std::uint64_t payload_offset = offset + newline + 1;
    std::uint64_t available = file_size - payload_offset;
    if (header->payload_length > available) {
        return BadRecord{"short payload: the header announces " +
                         std::to_string(header->payload_length) + " bytes but only " +
                         std::to_string(available) + " remain"};
    }
    std::string payload =
        read_at(fd, payload_offset, static_cast<std::size_t>(header->payload_length));
    if (payload.size() != header->payload_length) {
        return BadRecord{"short payload: the file shrank while being read"};
    }
    std::string actual = sha1_hex(payload);
    if (!equal_ignoring_case(actual, header->sha1)) {
        return BadRecord{"SHA-1 mismatch: the " + std::to_string(payload.size()) +
                         "-byte payload hashes to " + actual + " but the header says " +
                         std::string(header->sha1)};
    }
    GoodRecord good;
    if (!parse_json) {
        good.payload = std::move(payload);
        good.end = payload_offset + header->payload_length;
        return good;
    }
    try {
        good.json = nlohmann::json::parse(payload);
    } catch (const nlohmann::json::parse_error& e) {
        return BadRecord{std::string("payload is not valid JSON: ") + e.what()};
    }
    if (!good.json.is_object()) return BadRecord{"payload is not a JSON object"};
    good.end = payload_offset + header->payload_length;
    return good;
}

// Offset of the first complete, valid record that starts on a line after 'bad_offset'.
std::optional<std::uint64_t> find_valid_record_after(int fd, std::uint64_t bad_offset,
                                                     std::uint64_t file_size) {
    std::uint64_t position = bad_offset;
    while (position < file_size) {
        std::string chunk = read_at(
            fd, position,
            static_cast<std::size_t>(std::min<std::uint64_t>(kScanChunk, file_size - position)));
        if (chunk.empty()) break;
        for (std::size_t i = chunk.find('\n'); i != std::string::npos;
             i = chunk.find('\n', i + 1)) {
            std::uint64_t candidate = position + i + 1;
            if (std::holds_alternative<GoodRecord>(record_at(fd, candidate, file_size))) {
                return candidate;
            }
        }
        position += chunk.size();
    }
    return std::nullopt;
}

std::string encode_checked(const std::string& path, std::uint64_t offset,
                           const nlohmann::json& record) {
    try {
        return DatabaseLog::encode_record(record);
    } catch (const std::invalid_argument& e) {
        throw LogError(path, offset, e.what());
    } catch (const nlohmann::json::exception& e) {
        throw LogError(path, offset, std::string("record cannot be serialised: ") + e.what());
    }
}

// Writers of one file in this process, by lock-file identity. fcntl() locks belong to the
// process, so a second open here would "succeed" and closing it would drop the first
// one's lock; this table refuses it instead. Entries remember their process because a
// forked child inherits the table but not the locks.
std::mutex held_locks_mutex;
std::map<std::pair<dev_t, ino_t>, pid_t> held_locks;

bool held_by_this_process(const std::pair<dev_t, ino_t>& id) {
    auto it = held_locks.find(id);
    return it != held_locks.end() && it->second == getpid();
}

class FileLock {
  public:
    FileLock(const std::string& database_path, const std::string& lock_path) {
        std::lock_guard<std::mutex> guard(held_locks_mutex);
        struct stat st {};
        if (stat(lock_path.c_str(), &st) == 0 && held_by_this_process({st.st_dev, st.st_ino})) {
            throw LogError(database_path, std::nullopt,
                           "already open for writing in this process (lock file " + lock_path +
                               "); close the other DatabaseLog first");
        }
        fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            throw LogError(database_path, std::nullopt,
                           "cannot open lock file " + lock_path + ": " + errno_text(errno));
        }
        if (fstat(fd_, &st) != 0) {
            int error = errno;
            close(fd_);
            throw LogError(database_path, std::nullopt,
                           "cannot stat lock file " + lock_path + ": " + errno_text(error));
        }
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        if (fcntl(fd_, F_SETLK, &lock) != 0) {
            int error = errno;
            std::string holder;
            struct flock probe {};
            probe.l_type = F_WRLCK;
            probe.l_whence = SEEK_SET;
            if (fcntl(fd_, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK) {
                std::string name = process_name(probe.l_pid);
                holder = " by process " + std::to_string(probe.l_pid) +
                         (name.empty() ? "" : " (" + name + ")");
            }
            close(fd_);
            if (error == EAGAIN || error == EACCES) {
                throw LogError(database_path, std::nullopt,
                               "database is locked" + holder + " through " + lock_path +
                                   "; stop that writer (ovsdb-server, ovsdb-tool, "
                                   "ovsdb-vtepd) or open the file read-only");
            }
            throw LogError(database_path, std::nullopt,
                           "cannot lock " + lock_path + ": " + errno_text(error));
        }
        id_ = {st.st_dev, st.st_ino};
        held_locks[id_] = getpid();
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock() {
        std::lock_guard<std::mutex> guard(held_locks_mutex);
        if (held_by_this_process(id_)) held_locks.erase(id_);
        close(fd_);  // releases the fcntl() lock; the lock file stays, as in Open vSwitch
    }

  private:
    int fd_ = -1;
    std::pair<dev_t, ino_t> id_{};
};

}  // namespace

LogError::LogError(const std::string& path, std::optional<std::uint64_t> offset,
                   const std::string& reason)
    : std::runtime_error(path + ": " +
                         (offset ? "at offset " + std::to_string(*offset) + ": " : "") + reason),
      path_(path),
      offset_(offset),
      reason_(reason) {}

std::string DroppedTail::describe(const std::string& path) const {
    return path + ": dropping " + std::to_string(bytes) + " bytes at offset " +
           std::to_string(offset) + " that are not a valid record (" + reason + ")";
}

struct DatabaseLog::State {
    std::string path;       // as given, for messages
    std::string real_path;  // symlinks followed: what compaction renames over
    OpenMode mode = OpenMode::kReadOnly;
    int fd = -1;
    std::unique_ptr<FileLock> lock;

    std::uint64_t end = 0;  // end of the last good record
    std::uint64_t records = 0;
    std::uint64_t snapshot_size = 0;
    std::optional<std::uint64_t> last_record_start;  // for reject_last_record()
    bool reading_done = false;
    bool tail_needs_truncation = false;
    std::optional<LogError> corruption;  // damage in the middle: reported, never truncated

    ~State() {
        if (fd >= 0) close(fd);
    }

    void count_record(std::uint64_t record_end) {
        end = record_end;
        ++records;
        if (records <= 2) snapshot_size = record_end;
    }
};

DatabaseLog::DatabaseLog(std::unique_ptr<State> state) : state_(std::move(state)) {}
DatabaseLog::DatabaseLog(DatabaseLog&&) noexcept = default;
DatabaseLog& DatabaseLog::operator=(DatabaseLog&&) noexcept = default;
DatabaseLog::~DatabaseLog() = default;

std::string DatabaseLog::lock_file_name(const std::string& path) {
    std::string real = resolve_symlinks(path);
    auto slash = real.rfind('/');
    if (slash == std::string::npos) return "." + real + ".~lock~";
    return real.substr(0, slash + 1) + "." + real.substr(slash + 1) + ".~lock~";
}

std::string DatabaseLog::encode_record(const nlohmann::json& record) {
    if (!record.is_object()) {
        throw std::invalid_argument("a database file record must be a JSON object, not " +
                                    std::string(record.type_name()));
    }
    // Compact, one line, as Open vSwitch writes it (strings byte for byte, reals %.15g).
    return encode_payload(json_text(record));
}

std::string DatabaseLog::encode_payload(std::string payload) {
    payload.push_back('\n');
    std::string encoded = std::string(kHeaderLead) + kStandaloneMagic + " " +
                          std::to_string(payload.size()) + " " + sha1_hex(payload) + "\n";
    encoded += payload;
    return encoded;
}

DatabaseLog DatabaseLog::open(const std::string& path, OpenMode mode) {
    auto state = std::make_unique<State>();
    state->path = path;
    state->real_path = resolve_symlinks(path);
    state->mode = mode;
    if (mode != OpenMode::kReadOnly) {
        state->lock = std::make_unique<FileLock>(path, lock_file_name(path));
    }

    int flags = O_CLOEXEC;
    switch (mode) {
        case OpenMode::kReadOnly:
            flags |= O_RDONLY;
            break;
        case OpenMode::kReadWrite:
            flags |= O_RDWR;
            break;
        case OpenMode::kCreate:
            flags |= O_RDWR | O_CREAT | O_EXCL;
            break;
        case OpenMode::kCreateOrOpen:
            flags |= O_RDWR | O_CREAT;
            break;
    }
    // The resolved name makes O_EXCL create the target of a dangling symlink.
    state->fd = ::open(state->real_path.c_str(), flags, 0660);
    if (state->fd < 0) {
        int error = errno;
        std::string hint;
        if (error == ENOENT) hint = " (create it with ovsdb-tool create, or open in a create mode)";
        if (error == EEXIST) hint = " (refusing to overwrite an existing database)";
        throw LogError(path, std::nullopt, "cannot open: " + errno_text(error) + hint);
    }

    struct stat st {};
    if (fstat(state->fd, &st) != 0) {
        throw LogError(path, std::nullopt, "cannot stat: " + errno_text(errno));
    }
    if (!S_ISREG(st.st_mode)) throw LogError(path, std::nullopt, "not a regular file");
    auto size = static_cast<std::uint64_t>(st.st_size);

    if (size == 0) {
        state->reading_done = true;
        if (mode == OpenMode::kCreate || mode == OpenMode::kCreateOrOpen) {
            // A new file: make its directory entry durable too.
            try {
                fsync_directory(dirname_of(state->real_path));
            } catch (const std::system_error& e) {
                throw LogError(path, std::nullopt,
                               std::string("cannot fsync directory: ") + e.code().message());
            }
        }
        return DatabaseLog(std::move(state));
    }

    // Identify the file from its first bytes before trusting anything else in it.
    std::string head;
    try {
        head = read_at(state->fd, 0, kMaxHeaderLine);
    } catch (const std::system_error& e) {
        throw LogError(path, 0, "read failed: " + e.code().message());
    }
    std::string_view lead(head.data(), std::min(head.size(), kHeaderLead.size()));
    if (lead != kHeaderLead.substr(0, lead.size())) {
        throw LogError(path, 0,
                       "not an OVSDB database file (it does not start with \"OVSDB JSON \")");
    }
    if (head.size() > kHeaderLead.size()) {
        std::string_view rest = std::string_view(head).substr(kHeaderLead.size());
        auto space = rest.find_first_of(" \n");
        if (space != std::string_view::npos) {
            std::string_view magic = rest.substr(0, space);
            if (magic == kClusteredMagic) {
                throw LogError(path, 0,
                               "this is a clustered (Raft) database file; only standalone "
                               "files are served: convert it with `ovsdb-tool "
                               "cluster-to-standalone NEW.db " +
                                   path + "`");
            }
            if (magic != kStandaloneMagic) {
                throw LogError(path, 0,
                               "unknown OVSDB file type \"" + std::string(magic) +
                                   "\" (expected \"OVSDB JSON\" records)");
            }
        }
    }
    return DatabaseLog(std::move(state));
}

namespace {

LogError damaged_inside(const std::string& path, std::uint64_t offset, const std::string& reason,
                        std::uint64_t next, std::uint64_t good_records) {
    return LogError(path, offset,
                    reason + "; a valid record follows at offset " + std::to_string(next) +
                        ", so the file is damaged inside, not torn at its end. Restore it from "
                        "a backup, or keep the " +
                        std::to_string(good_records) +
                        " records before the damage with "
                        "`truncate -s " +
                        std::to_string(offset) + " " + path + "`");
}

}  // namespace

bool DatabaseLog::read_record(bool parse_json, nlohmann::json* json, std::string* payload) {
    State& s = *state_;
    s.last_record_start.reset();
    if (s.corruption) throw *s.corruption;
    if (s.reading_done) return false;

    std::uint64_t offset = s.end;
    try {
        // Re-read the size: a read-only reader may be following a file that is growing.
        std::uint64_t size = file_size_of(s.fd);
        RecordAt record = record_at(s.fd, offset, size, parse_json);
        if (auto* good = std::get_if<GoodRecord>(&record)) {
            s.last_record_start = offset;
            s.count_record(good->end);
            if (json) *json = std::move(good->json);
            if (payload) *payload = std::move(good->payload);
            return true;
        }
        s.reading_done = true;
        if (std::holds_alternative<EndOfFile>(record)) return false;
        handle_damage(offset, size, std::get<BadRecord>(record).reason);
        return false;
    } catch (const std::system_error& e) {
        throw LogError(s.path, offset, "read failed: " + e.code().message());
    }
}

// A bad record at 'offset': a torn tail to drop, unless valid records follow it.
void DatabaseLog::handle_damage(std::uint64_t offset, std::uint64_t size,
                                const std::string& reason) {
    State& s = *state_;
    if (auto next = find_valid_record_after(s.fd, offset, size)) {
        s.reading_done = false;
        s.corruption = damaged_inside(s.path, offset, reason, *next, s.records);
        throw *s.corruption;
    }
    dropped_tail_ = DroppedTail{offset, size - offset, reason};
    s.tail_needs_truncation = true;
}

std::optional<nlohmann::json> DatabaseLog::read_next() {
    nlohmann::json json;
    if (!read_record(true, &json, nullptr)) return std::nullopt;
    return json;
}

std::optional<std::string> DatabaseLog::read_next_payload() {
    std::string payload;
    if (!read_record(false, nullptr, &payload)) return std::nullopt;
    return payload;
}

void DatabaseLog::reject_damaged_last_record(const std::string& reason) {
    State& s = *state_;
    if (!s.last_record_start) {
        throw LogError(s.path, s.end,
                       "reject_damaged_last_record() must directly follow a read that "
                       "returned a record");
    }
    std::uint64_t start = *s.last_record_start;
    s.end = start;
    --s.records;
    if (s.records <= 1) s.snapshot_size = start;
    s.last_record_start.reset();
    s.reading_done = true;
    try {
        handle_damage(start, file_size_of(s.fd), reason);
    } catch (const std::system_error& e) {
        throw LogError(s.path, start, "read failed: " + e.code().message());
    }
}

std::vector<nlohmann::json> DatabaseLog::read_all() {
    std::vector<nlohmann::json> records;
    while (auto record = read_next()) records.push_back(std::move(*record));
    return records;
}

void DatabaseLog::reject_last_record(const std::string& reason) {
    State& s = *state_;
    if (!s.last_record_start) {
        throw LogError(s.path, s.end,
                       "reject_last_record() must directly follow a read_next() that "
                       "returned a record");
    }
    std::uint64_t start = *s.last_record_start;
    std::uint64_t size = 0;
    try {
        size = file_size_of(s.fd);
    } catch (const std::system_error& e) {
        throw LogError(s.path, start, "cannot stat: " + e.code().message());
    }
    dropped_tail_ = DroppedTail{start, size - start, "rejected record: " + reason};
    s.end = start;
    --s.records;
    if (s.records <= 1) s.snapshot_size = start;
    s.last_record_start.reset();
    s.reading_done = true;
    s.tail_needs_truncation = true;
}

void DatabaseLog::prepare_for_write(const char* operation) {
    State& s = *state_;
    s.last_record_start.reset();
    if (s.mode == OpenMode::kReadOnly) {
        throw LogError(s.path, std::nullopt,
                       std::string("cannot ") + operation + ": the file was opened read-only");
    }
    if (s.corruption) throw *s.corruption;
    if (!s.reading_done) {
        throw LogError(s.path, s.end,
                       std::string("cannot ") + operation +
                           " before every record has been read: call read_next() until it "
                           "returns nothing, so no unread record is overwritten");
    }
    if (s.tail_needs_truncation) {
        if (ftruncate(s.fd, static_cast<off_t>(s.end)) != 0) {
            throw LogError(s.path, s.end, "cannot truncate the damaged tail: " + errno_text(errno));
        }
        s.tail_needs_truncation = false;
    }
}

void DatabaseLog::append(const nlohmann::json& record) {
    append_encoded(encode_checked(state_->path, state_->end, record));
}

void DatabaseLog::append_encoded(const std::string& encoded) {
    prepare_for_write("append");
    State& s = *state_;
    try {
        write_fully(s.fd, encoded, s.end);
    } catch (const std::system_error& e) {
        // Never leave a partial record behind for the next append to land after.
        if (ftruncate(s.fd, static_cast<off_t>(s.end)) != 0) {
            s.tail_needs_truncation = true;
        }
        throw LogError(s.path, s.end, "write failed: " + e.code().message());
    }
    s.count_record(s.end + encoded.size());
}

void DatabaseLog::sync() {
    State& s = *state_;
    if (s.mode == OpenMode::kReadOnly) return;
    if (fsync(s.fd) != 0) throw LogError(s.path, s.end, "fsync failed: " + errno_text(errno));
}

void DatabaseLog::replace(const std::vector<nlohmann::json>& records) {
    LogReplacement replacement = begin_replace();
    for (const auto& record : records) replacement.append(record);
    commit_replace(std::move(replacement));
}

LogReplacement DatabaseLog::begin_replace() {
    prepare_for_write("replace the file");
    State& s = *state_;
    std::string temp_path = s.real_path + ".tmp";
    if (unlink(temp_path.c_str()) != 0 && errno != ENOENT) {
        throw LogError(s.path, std::nullopt,
                       "cannot remove stale " + temp_path + ": " + errno_text(errno));
    }
    int fd = ::open(temp_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
    if (fd < 0) {
        throw LogError(s.path, std::nullopt,
                       "cannot create " + temp_path + ": " + errno_text(errno));
    }
    // The new file keeps the old one's permissions.
    struct stat st {};
    if (fstat(s.fd, &st) == 0) (void)fchmod(fd, st.st_mode & 07777);
    return LogReplacement(std::move(temp_path), fd);
}

void DatabaseLog::commit_replace(LogReplacement&& replacement) {
    State& s = *state_;
    LogReplacement r = std::move(replacement);
    if (r.fd_ < 0 || r.temp_path_ != s.real_path + ".tmp") {
        throw LogError(s.path, std::nullopt,
                       "commit_replace() needs a replacement from this log's begin_replace()");
    }
    prepare_for_write("replace the file");
    struct stat written {
    }, named{};
    if (fstat(r.fd_, &written) != 0 || stat(r.temp_path_.c_str(), &named) != 0 ||
        written.st_dev != named.st_dev || written.st_ino != named.st_ino) {
        throw LogError(s.path, std::nullopt,
                       r.temp_path_ +
                           " is no longer this replacement's file (was another "
                           "begin_replace() started?); start the compaction again");
    }
    if (fsync(r.fd_) != 0) {
        throw LogError(r.temp_path_, std::nullopt, "fsync failed: " + errno_text(errno));
    }
    if (rename(r.temp_path_.c_str(), s.real_path.c_str()) != 0) {
        throw LogError(s.path, std::nullopt,
                       "cannot rename " + r.temp_path_ + " over it: " + errno_text(errno));
    }
    // The new file is in place: switch to it before anything else can fail.
    close(s.fd);
    s.fd = std::exchange(r.fd_, -1);
    r.temp_path_.clear();
    s.end = r.size_;
    s.records = r.records_;
    s.snapshot_size = r.size_after_second_record_;
    try {
        fsync_directory(dirname_of(s.real_path));
    } catch (const std::system_error& e) {
        throw LogError(s.path, std::nullopt,
                       "the file was replaced, but fsync of its directory failed (the rename "
                       "may not survive a crash): " +
                           e.code().message());
    }
}

const std::string& DatabaseLog::path() const {
    return state_->path;
}
std::uint64_t DatabaseLog::size() const {
    return state_->end;
}
std::uint64_t DatabaseLog::record_count() const {
    return state_->records;
}
std::uint64_t DatabaseLog::snapshot_size() const {
    return state_->snapshot_size;
}
bool DatabaseLog::writable() const {
    return state_->mode != OpenMode::kReadOnly;
}

LogReplacement::LogReplacement(std::string temp_path, int fd)
    : temp_path_(std::move(temp_path)), fd_(fd) {}

LogReplacement::LogReplacement(LogReplacement&& other) noexcept
    : temp_path_(std::exchange(other.temp_path_, {})),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      records_(other.records_),
      size_after_second_record_(other.size_after_second_record_) {}

LogReplacement& LogReplacement::operator=(LogReplacement&& other) noexcept {
    if (this != &other) {
        close_and_remove();
        temp_path_ = std::exchange(other.temp_path_, {});
        fd_ = std::exchange(other.fd_, -1);
        size_ = other.size_;
        records_ = other.records_;
        size_after_second_record_ = other.size_after_second_record_;
    }
    return *this;
}

LogReplacement::~LogReplacement() {
    close_and_remove();
}

void LogReplacement::close_and_remove() noexcept {
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
        if (!temp_path_.empty()) unlink(temp_path_.c_str());
    }
}

void LogReplacement::append(const nlohmann::json& record) {
    append_encoded(encode_checked(temp_path_, size_, record));
}

void LogReplacement::append_encoded(const std::string& encoded_record) {
    if (fd_ < 0) throw LogError(temp_path_, std::nullopt, "replacement already committed");
    if (encoded_record.compare(0, kHeaderLead.size(), kHeaderLead) != 0 || encoded_record.empty() ||
        encoded_record.back() != '\n') {
        throw LogError(temp_path_, size_, "not an encoded record (use encode_record())");
    }
    try {
        write_fully(fd_, encoded_record, size_);
    } catch (const std::system_error& e) {
        (void)ftruncate(fd_, static_cast<off_t>(size_));
        throw LogError(temp_path_, size_, "write failed: " + e.code().message());
    }
    size_ += encoded_record.size();
    ++records_;
    if (records_ <= 2) size_after_second_record_ = size_;
}

void LogReplacement::sync() {
    if (fd_ < 0) return;
    if (fsync(fd_) != 0) throw LogError(temp_path_, size_, "fsync failed: " + errno_text(errno));
}

}  // namespace vtep::ovsdb
