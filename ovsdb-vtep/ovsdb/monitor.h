// Monitors (RFC 7047 §4.1.5 "monitor", and Open vSwitch's monitor_cond / update2 and
// monitor_cond_since / update3): which tables, columns and changes a client follows, and
// the <table-updates> a commit produces for it.
#pragma once

#include <optional>
#include <vector>

#include "ovsdb/condition.h"
#include "ovsdb/database.h"
#include "ovsdb/transaction.h"

namespace vtep::ovsdb {

enum class UpdateVersion { V1, V2, V3 };

enum Select : unsigned { kInitial = 1, kInsert = 2, kDelete = 4, kModify = 8 };

struct MonitoredColumn {
    const ColumnSchema* column;
    unsigned select;
};

struct MonitoredTable {
    const TableSchema* table = nullptr;
    std::vector<MonitoredColumn> columns;
    unsigned select = 0;                 // union of the requests' selections
    std::optional<Condition> condition;  // monitor_cond only; rows matching any clause
    // Columns the condition tests but the client does not receive. A change to one is
    // still a change of the row (ovsdb-server then sends an empty "modify").
    std::vector<const ColumnSchema*> condition_only_columns;
    void set_condition(Condition c);
    bool matches(const Row& row) const { return !condition || condition->evaluate_any(row); }
};

class Monitor {
public:
    // Parses <monitor-requests> (an object of table name → request or array of requests).
    static Result<Monitor> from_json(const Database& db, const Json& requests, UpdateVersion v);

    UpdateVersion version() const { return version_; }
    const Database& database() const { return *db_; }
    // The current contents the client asked for ("initial").
    Json initial_updates() const;
    // The changes of one commit, or an empty object when none concerns this monitor.
    Json updates_for(const CommitRecord& commit) const;
    // monitor_cond_change: installs new conditions and returns the resulting updates
    // (rows entering the condition as inserts, rows leaving it as deletes).
    Result<Json> change_conditions(const Json& condition_requests);

private:
    std::optional<Json> row_update(const MonitoredTable& mt, const Row* old_row,
                                   const Row* new_row, bool initial) const;

    const Database* db_ = nullptr;
    UpdateVersion version_ = UpdateVersion::V1;
    std::vector<MonitoredTable> tables_;
    std::vector<int> by_table_;  // table index → position in tables_, or -1
};

}  // namespace vtep::ovsdb
