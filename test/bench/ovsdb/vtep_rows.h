#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rpc_connection.h"

namespace vtep::bench {

inline constexpr const char* kDatabase = "hardware_vtep";
inline constexpr std::size_t kLogicalSwitchCount = 100;
inline constexpr std::size_t kLocatorCount = 1000;

// The rows every Ucast_Macs_Remote insert refers to, as uuid strings in a stable order.
struct ReferencedRows {
    std::vector<std::string> logical_switches;  // "ls0".."ls99" by name
    std::vector<std::string> locators;          // by dst_ip
};

// Finds the 100 Logical_Switch and 1,000 Physical_Locator rows, creating them in one
// transaction when the database has none. Physical_Locator is not a root table, so the
// locators are kept alive by a flood list (Physical_Locator_Set + Mcast_Macs_Remote
// "unknown-dst"), as a controller would do.
ReferencedRows ensure_referenced_rows(RpcConnection& connection);

// One pre-serialised transact request and how many operations it carries.
struct PreparedRequest {
    std::string text;
    std::size_t operations;
};

// Ucast_Macs_Remote inserts for rows [first_row, first_row + rows), rows_per_transaction
// per request, with JSON-RPC ids counting up from 0. Row i gets a unique MAC and IP and
// refers to logical switch i % 100 and locator i % 1000.
std::vector<PreparedRequest> build_insert_requests(const ReferencedRows& referenced,
                                                   std::uint64_t first_row, std::uint64_t rows,
                                                   std::uint64_t rows_per_transaction);

std::string mac_for_row(std::uint64_t row);

// Number of rows in a table. Selects _uuid: ovsdb-server answers a select with the
// distinct values of the chosen columns, so selecting no columns would return one row.
std::size_t count_rows(RpcConnection& connection, const std::string& table);

}  // namespace vtep::bench
