// The database file layer against Open vSwitch's own tools: what we write, ovsdb-tool
// reads; what ovsdb-tool writes, we read; damage is found, reported and cut off.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ovsdb/log.h"

using nlohmann::json;
using vtep::ovsdb::DatabaseLog;
using vtep::ovsdb::LogError;
using vtep::ovsdb::LogReplacement;
using vtep::ovsdb::OpenMode;

namespace {

// A scratch directory unique to this process, removed even when a test fails.
class TempDir {
  public:
    TempDir() {
        std::string pattern = "/tmp/vtep-log-test-" + std::to_string(getpid()) + "-XXXXXX";
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

struct CommandResult {
    int status = -1;
    std::string output;  // stdout and stderr
};

std::string shell_quote(const std::string& s) {
    std::string quoted = "'";
    for (char c : s) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

CommandResult run(const std::string& command) {
    CommandResult result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

std::string sha1_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
    std::string hex;
    char byte[3];
    for (unsigned int i = 0; i < length; ++i) {
        std::snprintf(byte, sizeof byte, "%02x", digest[i]);
        hex += byte;
    }
    return hex;
}

// A record framed by hand, with whatever payload the test wants (even invalid ones).
std::string frame(const std::string& payload_line) {
    return "OVSDB JSON " + std::to_string(payload_line.size()) + " " + sha1_hex(payload_line) +
           "\n" + payload_line;
}

const std::string kSchemaPath = std::string(VTEP_SOURCE_DIR) + "/schemas/vtep.ovsschema";

json vtep_schema() {
    std::ifstream in(kSchemaPath);
    return json::parse(in);
}

const std::string kSwitch0 = "6d1b2c2e-1111-4a00-8000-000000000001";
const std::string kSwitch1 = "6d1b2c2e-1111-4a00-8000-000000000002";

// Three committed transactions on Logical_Switch in the file format: an insert, a modify
// written as a column diff plus a second insert, and a delete.
std::vector<json> sample_transactions() {
    return {
        json{{"Logical_Switch",
              {{kSwitch0, {{"name", "ls0"}, {"description", "blue"}, {"tunnel_key", 5000}}}}},
             {"_date", 1763900000000},
             {"_comment", "add ls0"}},
        json{{"Logical_Switch",
              {{kSwitch0,
                {{"description", "green"},
                 {"other_config", json::array({"map", json::array({json::array({"k", "v"})})})}}},
               {kSwitch1, {{"name", "ls1"}}}}},
             {"_date", 1763900001000},
             {"_is_diff", true}},
        json{{"Logical_Switch", {{kSwitch1, nullptr}}}, {"_date", 1763900002000}},
    };
}

std::vector<json> sample_records() {
    std::vector<json> records{vtep_schema()};
    for (auto& txn : sample_transactions()) records.push_back(txn);
    return records;
}

void write_records(const std::string& path, const std::vector<json>& records) {
    auto log = DatabaseLog::open(path, OpenMode::kCreate);
    for (const auto& record : records) log.append(record);
    log.sync();
}

std::vector<json> read_records(const std::string& path) {
    auto log = DatabaseLog::open(path, OpenMode::kReadOnly);
    return log.read_all();
}

json query(const std::string& db, const std::vector<json>& operations) {
    json txn = json::array({"hardware_vtep"});
    for (const auto& op : operations) txn.push_back(op);
    auto result = run("ovsdb-tool query " + shell_quote(db) + " " + shell_quote(txn.dump()));
    INFO(result.output);
    REQUIRE(result.status == 0);
    return json::parse(result.output);
}

json select_all(const std::string& table, const std::vector<std::string>& columns) {
    return json{{"op", "select"}, {"table", table}, {"where", json::array()}, {"columns", columns}};
}

}  // namespace

TEST_CASE("log: records round-trip in Open vSwitch's framing") {
    TempDir dir;
    auto path = dir.file("vtep.db");
    auto records = sample_records();
    write_records(path, records);

    // Every record is "OVSDB JSON <len> <sha1>\n" + a compact one-line payload ending in LF.
    std::string bytes = read_bytes(path);
    std::size_t offset = 0;
    for (const auto& record : records) {
        auto header_end = bytes.find('\n', offset);
        REQUIRE(header_end != std::string::npos);
        std::string header = bytes.substr(offset, header_end - offset);
        std::string payload = record.dump() + "\n";
        CHECK(header == "OVSDB JSON " + std::to_string(payload.size()) + " " + sha1_hex(payload));
        CHECK(bytes.substr(header_end + 1, payload.size()) == payload);
        offset = header_end + 1 + payload.size();
    }
    CHECK(offset == bytes.size());

    auto log = DatabaseLog::open(path, OpenMode::kReadOnly);
    CHECK(log.read_all() == records);
    CHECK(log.record_count() == records.size());
    CHECK(log.size() == bytes.size());
    CHECK(!log.dropped_tail());
    CHECK(log.snapshot_size() == DatabaseLog::encode_record(records[0]).size() +
                                     DatabaseLog::encode_record(records[1]).size());
    CHECK_FALSE(log.writable());
}

TEST_CASE("log: strings with newlines and non-ASCII text stay on one payload line") {
    TempDir dir;
    auto path = dir.file("text.db");
    json record{{"_comment", "line one\nline two \"quoted\" \xc3\xa9t\xc3\xa9 \t tab"}};
    write_records(path, {vtep_schema(), record});
    std::string bytes = read_bytes(path);
    CHECK(std::count(bytes.begin(), bytes.end(), '\n') == 4);
    CHECK(read_records(path).at(1) == record);
}

TEST_CASE("log: a torn last record is cut at every byte offset and earlier records survive") {
    TempDir dir;
    auto whole = dir.file("whole.db");
    auto records = sample_records();
    write_records(whole, records);
    std::string bytes = read_bytes(whole);
    std::size_t last_start = bytes.size() - DatabaseLog::encode_record(records.back()).size();
    json next{{"Logical_Switch", {{kSwitch1, {{"name", "ls1-again"}}}}}, {"_date", 1}};

    auto torn = dir.file("torn.db");
    for (std::size_t cut = last_start + 1; cut < bytes.size(); ++cut) {
        INFO("file cut at byte " << cut << " of " << bytes.size());
        write_bytes(torn, bytes.substr(0, cut));
        {
            auto log = DatabaseLog::open(torn, OpenMode::kReadWrite);
            auto read = log.read_all();
            REQUIRE(read.size() == records.size() - 1);
            CHECK(std::equal(read.begin(), read.end(), records.begin()));
            REQUIRE(log.dropped_tail());
            CHECK(log.dropped_tail()->offset == last_start);
            CHECK(log.dropped_tail()->bytes == cut - last_start);
            CHECK_THAT(log.dropped_tail()->describe(torn),
                       Catch::Contains(std::to_string(cut - last_start) + " bytes at offset " +
                                       std::to_string(last_start)));
            CHECK(log.size() == last_start);
            // Nothing changes on disk until we write.
            CHECK(std::filesystem::file_size(torn) == cut);
            log.append(next);
        }
        auto reread = read_records(torn);
        REQUIRE(reread.size() == records.size());
        CHECK(reread.back() == next);
        CHECK(std::filesystem::file_size(torn) ==
              last_start + DatabaseLog::encode_record(next).size());
    }
}

TEST_CASE("log: a read-only open reports a torn tail and leaves the file alone") {
    TempDir dir;
    auto path = dir.file("torn.db");
    auto records = sample_records();
    write_records(path, records);
    std::string bytes = read_bytes(path);
    write_bytes(path, bytes.substr(0, bytes.size() - 5));
    auto log = DatabaseLog::open(path, OpenMode::kReadOnly);
    CHECK(log.read_all().size() == records.size() - 1);
    REQUIRE(log.dropped_tail());
    CHECK(log.dropped_tail()->reason.find("short payload") != std::string::npos);
    CHECK_THROWS_WITH(log.append(json::object()), Catch::Contains("read-only"));
    CHECK(std::filesystem::file_size(path) == bytes.size() - 5);
}

TEST_CASE("log: each kind of damaged tail is detected and named") {
    TempDir dir;
    auto path = dir.file("damaged.db");
    std::string good = DatabaseLog::encode_record(vtep_schema());
    std::string txn_payload = R"({"_date":1})"
                              "\n";
    struct Case {
        std::string tail;
        std::string reason;
    };
    std::string sha_mismatch = frame(txn_payload);
    char& last_hex_digit = sha_mismatch[sha_mismatch.find('\n') - 1];
    last_hex_digit = last_hex_digit == '0' ? '1' : '0';
    std::vector<Case> cases = {
        {"OVSDB JSON 12", "incomplete header"},
        {"OVSDB JSON 12 abc\n{}\n", "malformed header"},
        {"OVSDB JSON 0 " + sha1_hex("") + "\n", "malformed header"},
        {"OVSDB JSON 5 " + std::string(40, 'a') + "\n{", "short payload"},
        {frame(txn_payload).substr(0, frame(txn_payload).size() - 1), "short payload"},
        {sha_mismatch, "SHA-1 mismatch"},
        {frame("{\"_date\":\n"), "not valid JSON"},
        {frame("[1,2,3]\n"), "not a JSON object"},
        {"OVSDB CLUSTER 3 " + sha1_hex("{}\n") + "\n{}\n", "magic \"CLUSTER\""},
        {std::string(4096, 'x'), "header line longer"},
        {std::string(300, '\0'), "header line longer"},
    };
    for (const auto& c : cases) {
        INFO("tail: " << c.tail.substr(0, 60));
        write_bytes(path, good + c.tail);
        auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
        CHECK(log.read_all() == std::vector<json>{vtep_schema()});
        REQUIRE(log.dropped_tail());
        CHECK(log.dropped_tail()->offset == good.size());
        CHECK(log.dropped_tail()->bytes == c.tail.size());
        CHECK_THAT(log.dropped_tail()->reason, Catch::Contains(c.reason));
        log.append(json{{"_date", 2}});
        CHECK(read_bytes(path) == good + DatabaseLog::encode_record(json{{"_date", 2}}));
    }
}

TEST_CASE("log: damage in the middle of the file is reported, never truncated") {
    TempDir dir;
    auto path = dir.file("middle.db");
    auto records = sample_records();
    write_records(path, records);
    std::string bytes = read_bytes(path);
    std::size_t second_txn = DatabaseLog::encode_record(records[0]).size() +
                             DatabaseLog::encode_record(records[1]).size();
    // Flip one byte inside the payload of record 3 of 4.
    std::size_t flipped = second_txn + DatabaseLog::encode_record(records[2]).find('{') + 3;
    bytes[flipped] ^= 0x20;
    write_bytes(path, bytes);

    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    CHECK(log.read_next() == records[0]);
    CHECK(log.read_next() == records[1]);
    try {
        log.read_next();
        FAIL("damage inside the file was not reported");
    } catch (const LogError& e) {
        CHECK(e.offset() == second_txn);
        CHECK_THAT(e.what(), Catch::Contains("SHA-1 mismatch") &&
                                 Catch::Contains("valid record follows") &&
                                 Catch::Contains("truncate -s " + std::to_string(second_txn)));
    }
    // It stays reported, and nothing may be written after it.
    CHECK_THROWS_AS(log.read_next(), LogError);
    CHECK_THROWS_AS(log.append(json{{"_date", 1}}), LogError);
    CHECK_THROWS_AS(log.replace({vtep_schema()}), LogError);
    CHECK(read_bytes(path) == bytes);
}

TEST_CASE("log: clustered and foreign files are refused with a clear message") {
    TempDir dir;
    auto path = dir.file("other.db");
    write_bytes(path, "OVSDB CLUSTER 3 " + sha1_hex("{}\n") + "\n{}\n");
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kReadOnly),
                      Catch::Contains("clustered") && Catch::Contains("cluster-to-standalone"));
    write_bytes(path, "OVSDB RAFT 3 " + sha1_hex("{}\n") + "\n{}\n");
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kReadWrite),
                      Catch::Contains("unknown OVSDB file type \"RAFT\""));
    write_bytes(path, "{\"this\": \"is JSON, not a database file\"}\n");
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kReadWrite),
                      Catch::Contains("not an OVSDB database file"));
    // A refused file is left as it was.
    CHECK(read_bytes(path) == "{\"this\": \"is JSON, not a database file\"}\n");
}

TEST_CASE("log: open modes create, refuse and require as documented") {
    TempDir dir;
    auto path = dir.file("modes.db");
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kReadOnly),
                      Catch::Contains("No such file"));
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kReadWrite),
                      Catch::Contains("No such file"));
    {
        auto log = DatabaseLog::open(path, OpenMode::kCreate);
        CHECK(log.writable());
        CHECK(!log.read_next());
        log.append(vtep_schema());
    }
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kCreate), Catch::Contains("exists"));
    {
        auto log = DatabaseLog::open(path, OpenMode::kCreateOrOpen);
        // Appending before reading what is there would overwrite it: refused.
        CHECK_THROWS_WITH(log.append(json{{"_date", 1}}),
                          Catch::Contains("before every record has been read"));
        CHECK(log.read_all().size() == 1);
        log.append(json{{"_date", 1}});
        CHECK(log.record_count() == 2);
    }
    auto fresh = dir.file("fresh.db");
    {
        auto log = DatabaseLog::open(fresh, OpenMode::kCreateOrOpen);
        CHECK(log.record_count() == 0);
        CHECK(log.size() == 0);
        CHECK_THROWS_WITH(log.append(json::array({1})), Catch::Contains("JSON object"));
        CHECK(std::filesystem::file_size(fresh) == 0);
    }
    CHECK(std::filesystem::exists(fresh));
}

TEST_CASE("log: a record the engine rejects is dropped like a torn tail") {
    TempDir dir;
    auto path = dir.file("reject.db");
    auto records = sample_records();
    write_records(path, records);
    std::size_t third_start = DatabaseLog::encode_record(records[0]).size() +
                              DatabaseLog::encode_record(records[1]).size();
    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    log.read_next();
    log.read_next();
    log.read_next();
    log.reject_last_record("references a row that does not exist");
    REQUIRE(log.dropped_tail());
    CHECK(log.dropped_tail()->offset == third_start);
    CHECK_THAT(log.dropped_tail()->reason, Catch::Contains("does not exist"));
    CHECK(log.record_count() == 2);
    CHECK(!log.read_next());
    CHECK_THROWS_AS(log.reject_last_record("twice"), LogError);
    log.append(json{{"_date", 7}});
    auto reread = read_records(path);
    REQUIRE(reread.size() == 3);
    CHECK(reread[2] == json{{"_date", 7}});
}

TEST_CASE("log: ovsdb-tool reads the files we write") {
    TempDir dir;
    auto path = dir.file("vtep.db");
    auto schema = vtep_schema();
    write_records(path, sample_records());

    auto version = run("ovsdb-tool db-version " + shell_quote(path));
    INFO(version.output);
    CHECK(version.status == 0);
    CHECK(version.output == schema["version"].get<std::string>() + "\n");

    auto cksum = run("ovsdb-tool db-cksum " + shell_quote(path));
    INFO(cksum.output);
    CHECK(cksum.status == 0);
    CHECK(cksum.output == schema["cksum"].get<std::string>() + "\n");

    auto log = run("ovsdb-tool -mm show-log " + shell_quote(path));
    INFO(log.output);
    CHECK(log.status == 0);
    CHECK_THAT(log.output, Catch::Contains("record 0: \"hardware_vtep\" schema, version=\"" +
                                           schema["version"].get<std::string>() + "\""));
    CHECK_THAT(log.output, Catch::Contains("\"add ls0\""));
    CHECK_THAT(log.output, Catch::Contains("table Logical_Switch insert row \"ls0\""));
    CHECK_THAT(log.output, Catch::Contains("table Logical_Switch row \"ls0\" (6d1b2c2e) diff"));
    CHECK_THAT(log.output, Catch::Contains("delete row"));
    CHECK_THAT(log.output, Catch::Contains("record 3:"));

    // The transactions replay: the modify applied as a diff, the delete removed ls1.
    auto result = query(path, {select_all("Logical_Switch", {"_uuid", "name", "description",
                                                             "tunnel_key", "other_config"})});
    auto rows = result.at(0).at("rows");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["_uuid"] == json::array({"uuid", kSwitch0}));
    CHECK(rows[0]["name"] == "ls0");
    CHECK(rows[0]["description"] == "green");
    CHECK(rows[0]["tunnel_key"] == 5000);
    CHECK(rows[0]["other_config"] == json::array({"map", json::array({json::array({"k", "v"})})}));
}

TEST_CASE("log: files made by ovsdb-tool create and transact read back") {
    TempDir dir;
    auto path = dir.file("tool.db");
    auto created = run("ovsdb-tool create " + shell_quote(path) + " " + shell_quote(kSchemaPath));
    INFO(created.output);
    REQUIRE(created.status == 0);
    json insert = json::array({"hardware_vtep",
                               {{"op", "insert"},
                                {"table", "Logical_Switch"},
                                {"row", {{"name", "from-tool"}, {"tunnel_key", 77}}},
                                {"uuid-name", "ls"}},
                               {{"op", "comment"}, {"comment", "made by ovsdb-tool"}}});
    auto transacted =
        run("ovsdb-tool transact " + shell_quote(path) + " " + shell_quote(insert.dump()));
    INFO(transacted.output);
    REQUIRE(transacted.status == 0);
    std::string row_uuid = json::parse(transacted.output).at(0).at("uuid").at(1);
    json modify = json::array({"hardware_vtep",
                               {{"op", "update"},
                                {"table", "Logical_Switch"},
                                {"where", json::array()},
                                {"row", {{"description", "changed"}}}}});
    REQUIRE(
        run("ovsdb-tool transact " + shell_quote(path) + " " + shell_quote(modify.dump())).status ==
        0);

    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    auto records = log.read_all();
    CHECK(!log.dropped_tail());
    REQUIRE(records.size() == 3);
    // ovsdb-tool writes the schema normalised, so compare what identifies it.
    for (const char* key : {"name", "version", "cksum"})
        CHECK(records[0][key] == vtep_schema()[key]);
    const auto& insert_record = records[1];
    CHECK(insert_record.at("_date").is_number_integer());
    CHECK(insert_record.at("_comment") == "made by ovsdb-tool");
    CHECK(insert_record.at("Logical_Switch").at(row_uuid) ==
          json{{"name", "from-tool"}, {"tunnel_key", 77}});  // defaults left out
    CHECK(records[2].at("_is_diff") == true);
    CHECK(records[2].at("Logical_Switch").at(row_uuid) == json{{"description", "changed"}});

    // And our appends after theirs are read back by them.
    log.append(json{{"Logical_Switch", {{row_uuid, {{"description", "ours"}}}}},
                    {"_date", 1763900003000}});
    log.sync();
    auto result = query(path, {select_all("Logical_Switch", {"description"})});
    CHECK(result.at(0).at("rows") == json::array({{{"description", "ours"}}}));
}

TEST_CASE("log: replace() leaves a valid file and appends continue after it") {
    TempDir dir;
    auto path = dir.file("compact.db");
    auto records = sample_records();
    auto log = DatabaseLog::open(path, OpenMode::kCreate);
    for (const auto& record : records) log.append(record);

    json snapshot{
        {"Logical_Switch",
         {{kSwitch0,
           {{"name", "ls0"},
            {"description", "green"},
            {"tunnel_key", 5000},
            {"other_config", json::array({"map", json::array({json::array({"k", "v"})})})}}}}},
        {"_date", 1763900005000},
        {"_comment", "compacting database online"}};
    log.replace({vtep_schema(), snapshot});
    CHECK(log.record_count() == 2);
    CHECK(log.size() == std::filesystem::file_size(path));
    CHECK(log.snapshot_size() == log.size());
    CHECK(!std::filesystem::exists(path + ".tmp"));

    json after{{"Logical_Switch", {{kSwitch0, {{"description", "after compaction"}}}}},
               {"_date", 1763900006000}};
    log.append(after);
    log.sync();
    CHECK(read_records(path) == std::vector<json>{vtep_schema(), snapshot, after});

    auto result = query(path, {select_all("Logical_Switch", {"name", "description"})});
    CHECK(result.at(0).at("rows") ==
          json::array({{{"name", "ls0"}, {"description", "after compaction"}}}));
    auto show = run("ovsdb-tool show-log " + shell_quote(path));
    CHECK(show.status == 0);
    CHECK_THAT(show.output, Catch::Contains("record 2:") && !Catch::Contains("record 3:"));
}

TEST_CASE("log: a compaction can be written elsewhere while appends continue") {
    TempDir dir;
    auto path = dir.file("online.db");
    auto log = DatabaseLog::open(path, OpenMode::kCreate);
    auto records = sample_records();
    for (const auto& record : records) log.append(record);

    // The snapshot as of now (after the three sample transactions) ...
    json snapshot{{"Logical_Switch", {{kSwitch0, {{"name", "ls0"}, {"description", "green"}}}}},
                  {"_date", 1763900010000}};
    LogReplacement replacement = log.begin_replace();
    CHECK(std::filesystem::exists(path + ".tmp"));
    std::thread writer([&] {
        replacement.append(vtep_schema());
        replacement.append_encoded(DatabaseLog::encode_record(snapshot));
        replacement.sync();
    });
    // ... while a client's transaction commits to the old file.
    json concurrent{{"Logical_Switch", {{kSwitch1, {{"name", "ls1"}}}}}, {"_date", 1763900011000}};
    log.append(concurrent);
    writer.join();
    CHECK(read_records(path).size() == records.size() + 1);

    replacement.append(concurrent);  // carried over since the snapshot was taken
    log.commit_replace(std::move(replacement));
    CHECK(read_records(path) == std::vector<json>{vtep_schema(), snapshot, concurrent});
    CHECK(log.record_count() == 3);
    CHECK(log.snapshot_size() == DatabaseLog::encode_record(vtep_schema()).size() +
                                     DatabaseLog::encode_record(snapshot).size());

    // An abandoned compaction leaves nothing behind and the old file untouched.
    auto before = read_bytes(path);
    {
        LogReplacement abandoned = log.begin_replace();
        abandoned.append(vtep_schema());
    }
    CHECK(!std::filesystem::exists(path + ".tmp"));
    CHECK(read_bytes(path) == before);
}

TEST_CASE("log: the lock keeps every second writer out") {
    TempDir dir;
    auto path = dir.file("locked.db");
    write_records(path, sample_records());
    auto lock_name = dir.file(".locked.db.~lock~");
    CHECK(DatabaseLog::lock_file_name(path) == lock_name);

    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    CHECK(std::filesystem::exists(lock_name));

    // In this process.
    CHECK_THROWS_WITH(DatabaseLog::open(path, OpenMode::kReadWrite),
                      Catch::Contains("already open for writing in this process"));
    CHECK_THROWS_AS(DatabaseLog::open(path, OpenMode::kCreateOrOpen), LogError);

    // In another process: it is told who holds the lock.
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        close(pipe_fds[0]);
        std::string message = "opened";
        try {
            DatabaseLog::open(path, OpenMode::kReadWrite);
        } catch (const LogError& e) {
            message = e.what();
        }
        (void)!write(pipe_fds[1], message.data(), message.size());
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string child_message;
    char buffer[512];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) child_message.append(buffer, n);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK_THAT(child_message, Catch::Contains("locked by process " + std::to_string(getpid())));

    // Open vSwitch's tools honour the same lock ...
    json txn = json::array({"hardware_vtep", {{"op", "comment"}, {"comment", "x"}}});
    auto tool = run("ovsdb-tool transact " + shell_quote(path) + " " + shell_quote(txn.dump()));
    INFO(tool.output);
    CHECK(tool.status != 0);
    CHECK_THAT(tool.output, Catch::Contains("lock"));
    // ... and readers do not need it.
    CHECK(read_records(path).size() == 4);
    CHECK(run("ovsdb-tool db-version " + shell_quote(path)).status == 0);

    // Closing releases it.
    log = DatabaseLog::open(dir.file("other.db"), OpenMode::kCreate);
    CHECK(DatabaseLog::open(path, OpenMode::kReadWrite).read_all().size() == 4);
}

TEST_CASE("log: a symlinked database is locked and compacted through its target") {
    TempDir dir;
    auto target = dir.file("real.db");
    auto link = dir.file("link.db");
    write_records(target, sample_records());
    std::filesystem::create_symlink(target, link);
    CHECK(DatabaseLog::lock_file_name(link) == dir.file(".real.db.~lock~"));

    auto log = DatabaseLog::open(link, OpenMode::kReadWrite);
    CHECK_THROWS_AS(DatabaseLog::open(target, OpenMode::kReadWrite), LogError);
    log.read_all();
    log.replace({vtep_schema()});
    CHECK(std::filesystem::is_symlink(link));
    CHECK(read_records(target) == std::vector<json>{vtep_schema()});
}

namespace {

// A stock ovsdb-server serving one database file from a scratch directory; stopped (and
// reaped) when the test ends, pass or fail.
class OvsdbServer {
  public:
    OvsdbServer(const TempDir& dir, const std::string& db) : socket_(dir.file("db.sock")) {
        std::vector<std::string> args = {"ovsdb-server",
                                         db,
                                         "--remote=punix:" + socket_,
                                         "--unixctl=" + dir.file("ctl"),
                                         "--no-chdir",
                                         "-vconsole:off",
                                         "-vfile:off"};
        pid_ = fork();
        if (pid_ == 0) {
            std::vector<char*> argv;
            for (auto& arg : args) argv.push_back(arg.data());
            argv.push_back(nullptr);
            execvp(argv[0], argv.data());
            _exit(127);
        }
    }
    ~OvsdbServer() { stop(); }
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    // Waits until the server listens (it has opened and locked the database by then).
    // Up to 60 s: under ASan on a loaded CI machine a cold start can take over 10 s.
    bool wait_until_ready() const {
        for (int i = 0; i < 3000; ++i) {
            if (std::filesystem::exists(socket_)) return true;
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) return false;  // it exited
            usleep(20 * 1000);
        }
        return false;
    }
    pid_t pid() const { return pid_; }
    std::string remote() const { return "unix:" + socket_; }

  private:
    std::string socket_;
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("log: stock ovsdb-server serves and extends a file we wrote") {
    TempDir dir;
    auto path = dir.file("vtep.db");
    auto records = sample_records();
    write_records(path, records);

    OvsdbServer server(dir, path);
    REQUIRE(server.pid() > 0);
    REQUIRE(server.wait_until_ready());

    // While it runs, it holds the lock, and we say who it is.
    CHECK_THROWS_WITH(
        DatabaseLog::open(path, OpenMode::kReadWrite),
        Catch::Contains("locked by process " + std::to_string(server.pid()) + " (ovsdb-server)"));

    json select =
        json::array({"hardware_vtep", select_all("Logical_Switch", {"name", "description"})});
    auto served = run("ovsdb-client query " + server.remote() + " " + shell_quote(select.dump()));
    INFO(served.output);
    REQUIRE(served.status == 0);
    CHECK(json::parse(served.output).at(0).at("rows") ==
          json::array({{{"name", "ls0"}, {"description", "green"}}}));

    json insert = json::array(
        {"hardware_vtep",
         {{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "from-server"}}}}});
    auto inserted =
        run("ovsdb-client transact " + server.remote() + " " + shell_quote(insert.dump()));
    INFO(inserted.output);
    REQUIRE(inserted.status == 0);
    std::string new_uuid = json::parse(inserted.output).at(0).at("uuid").at(1);
    server.stop();

    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    auto reread = log.read_all();
    CHECK(!log.dropped_tail());
    REQUIRE(reread.size() == records.size() + 1);
    CHECK(std::equal(records.begin(), records.end(), reread.begin()));
    CHECK(reread.back().at("Logical_Switch").at(new_uuid) == json{{"name", "from-server"}});
}

TEST_CASE("log: ovsdb-tool compact rewrites our file into one we read back") {
    TempDir dir;
    auto path = dir.file("vtep.db");
    write_records(path, sample_records());
    auto compacted = run("ovsdb-tool compact " + shell_quote(path));
    INFO(compacted.output);
    REQUIRE(compacted.status == 0);

    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    auto records = log.read_all();
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("name") == "hardware_vtep");
    CHECK_THAT(records[1].value("_comment", ""), Catch::Contains("compacted by ovsdb-tool"));
    CHECK(records[1].at("Logical_Switch") ==
          json{{kSwitch0,
                {{"name", "ls0"},
                 {"description", "green"},
                 {"tunnel_key", 5000},
                 {"other_config", json::array({"map", json::array({json::array({"k", "v"})})})}}}});
    CHECK(log.snapshot_size() == log.size());
}

TEST_CASE("log: a writer killed with SIGKILL leaves a file we and ovsdb-tool can continue") {
    TempDir dir;
    auto path = dir.file("killed.db");
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        try {
            auto log = DatabaseLog::open(path, OpenMode::kCreate);
            log.append(vtep_schema());
            for (long i = 0;; ++i) {
                log.append(json{{"_date", 1763900000000 + i},
                                {"_comment", std::string(static_cast<size_t>(i % 700), 'c')}});
            }
        } catch (...) {
        }
        _exit(1);
    }
    bool grew = false;
    for (int i = 0; i < 1000 && !grew; ++i) {
        std::error_code ignored;
        grew = std::filesystem::file_size(path, ignored) > 256 * 1024 && !ignored;
        if (!grew) usleep(10 * 1000);
    }
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(grew);
    CHECK(WIFSIGNALED(status));

    auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
    auto records = log.read_all();
    REQUIRE(records.size() > 2);
    for (std::size_t i = 1; i < records.size(); ++i) {
        CHECK(records[i].at("_date") == 1763900000000 + static_cast<long>(i - 1));
    }
    if (log.dropped_tail()) CHECK(log.dropped_tail()->offset == log.size());
    log.append(json{{"_date", 1}, {"_comment", "after the crash"}});
    log.sync();
    auto show = run("ovsdb-tool show-log " + shell_quote(path));
    CHECK(show.status == 0);
    CHECK_THAT(show.output, Catch::Contains("\"after the crash\""));
}

TEST_CASE("log: a failed write leaves no partial record behind") {
    TempDir dir;
    auto path = dir.file("full.db");
    write_records(path, sample_records());
    auto size_before = std::filesystem::file_size(path);
    // In a child, a file size limit just past the end makes the next record's write stop
    // part-way (then fail with EFBIG), as a full disk would.
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit {};
        limit.rlim_cur = limit.rlim_max = size_before + 100;
        setrlimit(RLIMIT_FSIZE, &limit);
        int code = 3;
        try {
            auto log = DatabaseLog::open(path, OpenMode::kReadWrite);
            log.read_all();
            log.append(json{{"_comment", std::string(1000, 'x')}});
            code = 2;  // the write should have failed
        } catch (const LogError& e) {
            code = std::string(e.what()).find("write failed") != std::string::npos ? 0 : 4;
        }
        _exit(code);
    }
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(std::filesystem::file_size(path) == size_before);
    auto log = DatabaseLog::open(path, OpenMode::kReadOnly);
    CHECK(log.read_all().size() == sample_records().size());
    CHECK(!log.dropped_tail());
}

TEST_CASE("log: the documented diff, default and garbage-collection rules hold in ovsdb-tool") {
    TempDir dir;
    auto path = dir.file("rules.db");
    const std::string global = "6d1b2c2e-2222-4a00-8000-000000000001";
    const std::string ps = "6d1b2c2e-2222-4a00-8000-000000000002";
    const std::string orphan = "6d1b2c2e-2222-4a00-8000-000000000003";
    auto set = [](std::vector<json> elements) { return json::array({"set", elements}); };
    auto map = [](std::vector<json> pairs) { return json::array({"map", pairs}); };
    std::vector<json> records = {
        vtep_schema(),
        json{{"Global", {{global, {{"switches", json::array({"uuid", ps})}}}}},
             {"Physical_Switch",
              {{ps, {{"name", "ps"}, {"management_ips", set({"10.0.0.1", "10.0.0.2"})}}},
               // Nothing refers to it and Physical_Switch is not a root table.
               {orphan, {{"name", "orphan"}}}}},
             {"Logical_Switch",
              {{kSwitch0,
                {{"name", "ls0"},
                 {"tunnel_key", 7},
                 {"other_config", map({json::array({"a", "1"}), json::array({"b", "2"})})}}}}},
             {"_date", 1763900000000}},
        json{{"Physical_Switch", {{ps, {{"management_ips", set({"10.0.0.2", "10.0.0.3"})}}}}},
             {"Logical_Switch",
              {{kSwitch0,
                {{"tunnel_key", set({})},
                 {"other_config", map({json::array({"a", "1"}), json::array({"b", "3"}),
                                       json::array({"c", "4"})})}}}}},
             {"_date", 1763900001000},
             {"_is_diff", true}},
    };
    write_records(path, records);

    auto result = query(path, {select_all("Physical_Switch", {"name", "management_ips"}),
                               select_all("Logical_Switch", {"tunnel_key", "other_config"})});
    // Set diff toggles elements; the unreferenced non-root row was collected on replay.
    CHECK(result.at(0).at("rows") ==
          json::array({{{"name", "ps"}, {"management_ips", set({"10.0.0.1", "10.0.0.3"})}}}));
    // Max-1 columns take the new value; map diff pairs remove (same value), replace, add.
    CHECK(
        result.at(1).at("rows") ==
        json::array({{{"tunnel_key", set({})},
                      {"other_config", map({json::array({"b", "3"}), json::array({"c", "4"})})}}}));
}
