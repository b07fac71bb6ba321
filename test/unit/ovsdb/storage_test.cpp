#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "engine_test_util.h"
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
