#include "ovsdb/database.h"

namespace vtep::ovsdb {

Database::Database(std::shared_ptr<const DatabaseSchema> schema) : schema_(std::move(schema)) {
    tables_.reserve(schema_->tables.size());
    for (const auto& t : schema_->tables) tables_.emplace_back(t);
}

Table* Database::find_table(const std::string& name) {
    const TableSchema* t = schema_->find_table(name);
    return t ? &tables_[t->table_index] : nullptr;
}

}  // namespace vtep::ovsdb
