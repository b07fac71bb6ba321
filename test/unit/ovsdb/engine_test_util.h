// Helpers shared by the engine's unit tests.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ovsdb/builtin_schemas.h"
#include "ovsdb/database.h"
#include "ovsdb/execution.h"

namespace test_util {

using Json = nlohmann::json;

inline std::shared_ptr<vtep::ovsdb::DatabaseSchema> vtep_schema() {
    return *vtep::ovsdb::DatabaseSchema::from_json(Json::parse(vtep::ovsdb::kVtepSchemaJson));
}

inline Json read_json_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return Json::parse(ss.str());
}

// Runs one transact request (params without the database name) and commits.
inline Json transact(vtep::ovsdb::Database& db, Json ops) {
    Json params = Json::array({db.name()});
    for (auto& op : ops) params.push_back(op);
    return vtep::ovsdb::execute_and_commit(db, params, {}, nullptr);
}

}  // namespace test_util
