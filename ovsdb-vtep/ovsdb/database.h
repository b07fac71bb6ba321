// One database: its schema and the committed contents of its tables.
#pragma once

#include <memory>
#include <vector>

#include "ovsdb/schema.h"
#include "ovsdb/table.h"

namespace vtep::ovsdb {

class Database {
public:
    explicit Database(std::shared_ptr<const DatabaseSchema> schema);

    const DatabaseSchema& schema() const { return *schema_; }
    std::shared_ptr<const DatabaseSchema> schema_ptr() const { return schema_; }
    const std::string& name() const { return schema_->name; }
    Table& table(size_t i) { return tables_[i]; }
    const Table& table(size_t i) const { return tables_[i]; }
    Table* find_table(const std::string& name);
    size_t n_tables() const { return tables_.size(); }

private:
    std::shared_ptr<const DatabaseSchema> schema_;
    std::vector<Table> tables_;
};

}  // namespace vtep::ovsdb
