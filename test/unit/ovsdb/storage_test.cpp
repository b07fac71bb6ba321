#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "engine_test_util.h"
#include "ovsdb/json_text.h"
#include "ovsdb/replay.h"
#include "ovsdb/storage.h"

using namespace vtep::ovsdb;
using test_util::Json;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("vtep-storage-" + std::to_string(getpid()) + "-" +
                                            std::to_string(rand()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

Json commit(Storage& storage, Json ops) {
    Json params = Json::array({storage.database().name()});
    for (auto& op : ops) params.push_back(op);
    return execute_and_commit(storage.database(), params, {},
                              [&](const CommitRecord& r, bool durable) { return storage.write(r, durable); });
}

std::string run(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

}  // namespace

TEST_CASE("storage: committed transactions survive a reopen, and ovsdb-tool reads the file") {
    TempDir dir;
    std::string path = (dir.path / "vtep.db").string();
    {
        auto storage = Storage::open(path, test_util::vtep_schema(), nullptr);
        commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"},
                           {"row", {{"name", "ls0"}, {"tunnel_key", 5000}}}}});
        commit(*storage, {{{"op", "mutate"}, {"table", "Logical_Switch"}, {"where", Json::array()},
                           {"mutations", Json::parse(R"([["other_config","insert",["map",[["a","1"],["b","2"]]]]])")}}});
        commit(*storage, {{{"op", "mutate"}, {"table", "Logical_Switch"}, {"where", Json::array()},
                           {"mutations", Json::parse(R"([["other_config","delete",["set",["a"]]]])")}}});
    }
    auto reopened = Storage::open(path, nullptr, nullptr);
    Table* ls = reopened->database().find_table("Logical_Switch");
    REQUIRE(ls->size() == 1);
    const Row& row = *ls->rows().begin()->second;
    const TableSchema& ts = ls->schema();
    CHECK(row.fields[ts.find_column("tunnel_key")->index].key(0).integer() == 5000);
    CHECK(row.fields[ts.find_column("other_config")->index].to_json(ts.find_column("other_config")->type) ==
          Json::parse(R"(["map",[["b","2"]]])"));

    // Open vSwitch's own tool reads the same data (diff records included).
    std::string q = run("ovsdb-tool query " + path +
                        " '[\"hardware_vtep\",{\"op\":\"select\",\"table\":\"Logical_Switch\","
                        "\"where\":[],\"columns\":[\"name\",\"other_config\"]}]'");
    CHECK(Json::parse(q) == Json::parse(R"([{"rows":[{"name":"ls0","other_config":["map",[["b","2"]]]}]}])"));
    CHECK(run("ovsdb-tool db-version " + path) == "1.7.0\n");
}

TEST_CASE("storage: a torn last record is dropped with a warning, earlier ones survive") {
    TempDir dir;
    std::string path = (dir.path / "vtep.db").string();
    {
        auto storage = Storage::open(path, test_util::vtep_schema(), nullptr);
        commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "kept"}}}}});
        commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "torn"}}}}});
    }
    fs::resize_file(path, fs::file_size(path) - 7);
    std::string warning;
    auto storage = Storage::open(path, nullptr, [&](const std::string& w) { warning = w; });
    CHECK_FALSE(warning.empty());
    Table* ls = storage->database().find_table("Logical_Switch");
    REQUIRE(ls->size() == 1);
    // New commits land after the last good record and the file stays valid.
    commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "after"}}}}});
    storage.reset();
    auto again = Storage::open(path, nullptr, nullptr);
    CHECK(again->database().find_table("Logical_Switch")->size() == 2);
}

TEST_CASE("storage: compaction keeps the contents and a valid file") {
    TempDir dir;
    std::string path = (dir.path / "vtep.db").string();
    auto storage = Storage::open(path, test_util::vtep_schema(), nullptr);
    for (int i = 0; i < 50; ++i)
        commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"},
                           {"row", {{"name", "ls" + std::to_string(i)}}}}});
    commit(*storage, {{{"op", "delete"}, {"table", "Logical_Switch"},
                       {"where", Json::array({Json::array({"name", "==", "ls7"})})}}});
    auto before = fs::file_size(path);
    REQUIRE(storage->compact().ok());
    CHECK(fs::file_size(path) < before);
    commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "post"}}}}});
    storage.reset();
    auto reopened = Storage::open(path, nullptr, nullptr);
    CHECK(reopened->database().find_table("Logical_Switch")->size() == 50);
    CHECK(run("ovsdb-tool show-log " + path).find("record 2:") != std::string::npos);
}

TEST_CASE("storage: commits made while a compaction runs are kept in the new file") {
    TempDir dir;
    std::string path = (dir.path / "vtep.db").string();
    auto storage = Storage::open(path, test_util::vtep_schema(), nullptr);
    for (int i = 0; i < 200; ++i)
        commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"},
                           {"row", {{"name", "before" + std::to_string(i)}}}}});
    storage->begin_compaction();
    REQUIRE(storage->compaction_running());
    // These land in the old file and are replayed into the new one when it is swapped in.
    for (int i = 0; i < 20; ++i)
        commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"},
                           {"row", {{"name", "during" + std::to_string(i)}}}}});
    commit(*storage, {{{"op", "delete"}, {"table", "Logical_Switch"},
                       {"where", Json::array({Json::array({"name", "==", "before3"})})}}});
    REQUIRE(storage->compact().ok());
    CHECK_FALSE(storage->compaction_running());
    commit(*storage, {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "after"}}}}});
    storage.reset();
    auto reopened = Storage::open(path, nullptr, nullptr);
    CHECK(reopened->database().find_table("Logical_Switch")->size() == 200 + 20 - 1 + 1);
    // The compacted file holds the schema, the snapshot and the 22 later transactions.
    std::string log = run("ovsdb-tool show-log " + path);
    CHECK(log.find("record 23:") != std::string::npos);
    CHECK(log.find("record 24:") == std::string::npos);
}

TEST_CASE("storage: the record text is the JSON tree's text, for inserts, diffs and deletes") {
    auto db = std::make_unique<Database>(test_util::vtep_schema());
    std::vector<std::string> texts;
    auto run_ops = [&](Json ops) {
        Json params = Json::array({db->name()});
        for (auto& op : ops) params.push_back(op);
        Json result = execute_and_commit(*db, params, {}, [&](const CommitRecord& r, bool) {
            Json expected = Storage::commit_to_record(r);
            std::string text = Storage::commit_to_text(r, 1234567890123);
            if (expected.empty()) {
                CHECK(text.empty());
            } else {
                expected["_date"] = 1234567890123;
                if (!r.comment.empty()) expected["_comment"] = r.comment;
                expected["_is_diff"] = true;
                CHECK(text == json_text(expected));
            }
            texts.push_back(text);
            return Status();
        });
        for (const Json& r : result) REQUIRE_FALSE(r.contains("error"));
    };
    run_ops(Json::parse(R"([
        {"op":"insert","table":"Logical_Switch","row":{"name":"ls0","tunnel_key":5000},
         "uuid-name":"ls"},
        {"op":"insert","table":"Logical_Switch","row":{"name":"ls1","description":"d\"q"}},
        {"op":"insert","table":"Physical_Locator","uuid-name":"loc",
         "row":{"dst_ip":"10.0.0.1","encapsulation_type":"vxlan_over_ipv4"}},
        {"op":"insert","table":"Ucast_Macs_Remote",
         "row":{"MAC":"02:00:00:00:00:01","logical_switch":["named-uuid","ls"],
                "locator":["named-uuid","loc"]}},
        {"op":"comment","comment":"first\nline"}])"));
    run_ops(Json::parse(R"([
        {"op":"mutate","table":"Logical_Switch","where":[["name","==","ls0"]],
         "mutations":[["other_config","insert",["map",[["a","1"],["b","2"]]]]]},
        {"op":"update","table":"Logical_Switch","where":[["name","==","ls1"]],
         "row":{"tunnel_key":7}}])"));
    run_ops(Json::parse(R"([
        {"op":"mutate","table":"Logical_Switch","where":[["name","==","ls0"]],
         "mutations":[["other_config","delete",["set",["a"]]]]},
        {"op":"delete","table":"Ucast_Macs_Remote","where":[]}])"));
    REQUIRE(texts.size() == 3);
    // The last commit deleted the MAC and, by garbage collection, its locator.
    CHECK(texts[2].find("\"Physical_Locator\":{") != std::string::npos);
    CHECK(texts[2].find(":null") != std::string::npos);
}

TEST_CASE("storage: replay takes plain records from their text, and the rest through JSON") {
    TempDir dir;
    std::string path = (dir.path / "vtep.db").string();
    const char* a = "11111111-2222-4333-8444-555555555555";
    const char* b = "21111111-2222-4333-8444-555555555555";
    auto record = [](const std::string& body) { return "{" + body + ",\"_date\":1}"; };
    std::vector<std::string> records = {
        // An escaped string: only the general path reads it.
        record(std::string("\"Logical_Switch\":{\"") + a +
               "\":{\"name\":\"a\\\"b\",\"tunnel_key\":7}}"),
        // A map out of order: the general path sorts it.
        record(std::string("\"Logical_Switch\":{\"") + b +
               "\":{\"name\":\"plain\",\"other_config\":[\"map\",[[\"b\",\"2\"],[\"a\",\"1\"]]]}}"),
        // A diff that removes "a" and a full value, both from the text.
        record(std::string("\"Logical_Switch\":{\"") + b +
               "\":{\"other_config\":[\"map\",[[\"a\",\"1\"]]]}},\"_is_diff\":true"),
        record(std::string("\"Logical_Switch\":{\"") + b +
               "\":{\"description\":\"d\"}},\"_is_diff\":false"),
        record(std::string("\"Logical_Switch\":{\"") + a + "\":null},\"_comment\":\"gone\""),
    };
    {
        DatabaseLog log = DatabaseLog::open(path, OpenMode::kCreate);
        log.append(test_util::vtep_schema()->to_json());
        for (const auto& r : records) log.append_encoded(DatabaseLog::encode_payload(r));
        log.sync();
    }
    {
        Database db(test_util::vtep_schema());
        Transaction escaped(db);
        CHECK_FALSE(apply_record_text(escaped, records[0]));
        Transaction unsorted(db);
        CHECK_FALSE(apply_record_text(unsorted, records[1]));
        Transaction plain(db);
        CHECK(apply_record_text(
            plain, record(std::string("\"Logical_Switch\":{\"") + a + "\":{\"name\":\"x\"}}")));
        CHECK(plain.commit().ok());
    }
    auto storage = Storage::open(path, nullptr, nullptr);
    Table* ls = storage->database().find_table("Logical_Switch");
    REQUIRE(ls->size() == 1);
    const Row& row = *ls->rows().begin()->second;
    const TableSchema& ts = ls->schema();
    auto column = [&](const char* name) {
        const ColumnSchema* c = ts.find_column(name);
        return json_text(row.fields[c->index].to_json(c->type));
    };
    CHECK(column("name") == "\"plain\"");
    CHECK(column("other_config") == R"(["map",[["b","2"]]])");
    CHECK(column("description") == "\"d\"");
}

TEST_CASE("storage: a record that is not JSON ends the replay like a torn write") {
    TempDir dir;
    std::string path = (dir.path / "vtep.db").string();
    {
        DatabaseLog log = DatabaseLog::open(path, OpenMode::kCreate);
        log.append(test_util::vtep_schema()->to_json());
        log.append_encoded(DatabaseLog::encode_payload(
            R"({"Logical_Switch":{"11111111-2222-4333-8444-555555555555":{"name":"kept"}}})"));
        log.append_encoded(DatabaseLog::encode_payload(R"({"Logical_Switch":{)"));
        log.sync();
    }
    std::string warning;
    auto storage = Storage::open(path, nullptr, [&](const std::string& w) { warning = w; });
    CHECK(warning.find("not valid JSON") != std::string::npos);
    CHECK(storage->database().find_table("Logical_Switch")->size() == 1);
}
