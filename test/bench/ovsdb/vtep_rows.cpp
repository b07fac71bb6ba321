#include "vtep_rows.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>

namespace vtep::bench {
namespace {

using nlohmann::json;

std::string locator_ip(std::size_t index) {
    return "172.16." + std::to_string(index / 256) + "." + std::to_string(index % 256);
}

json select_all(const std::string& table, const json& columns) {
    return {{"op", "select"}, {"table", table}, {"where", json::array()}, {"columns", columns}};
}

void create_referenced_rows(RpcConnection& connection) {
    json params = json::array({kDatabase});
    for (std::size_t i = 0; i < kLogicalSwitchCount; ++i) {
        params.push_back({{"op", "insert"},
                          {"table", "Logical_Switch"},
                          {"row", {{"name", "ls" + std::to_string(i)}, {"tunnel_key", 5000 + i}}},
                          {"uuid-name", "ls" + std::to_string(i)}});
    }
    json locator_refs = json::array();
    for (std::size_t i = 0; i < kLocatorCount; ++i) {
        std::string name = "loc" + std::to_string(i);
        params.push_back(
            {{"op", "insert"},
             {"table", "Physical_Locator"},
             {"row", {{"encapsulation_type", "vxlan_over_ipv4"}, {"dst_ip", locator_ip(i)}}},
             {"uuid-name", name}});
        locator_refs.push_back({"named-uuid", name});
    }
    params.push_back({{"op", "insert"},
                      {"table", "Physical_Locator_Set"},
                      {"row", {{"locators", {"set", locator_refs}}}},
                      {"uuid-name", "flood"}});
    params.push_back({{"op", "insert"},
                      {"table", "Mcast_Macs_Remote"},
                      {"row",
                       {{"MAC", "unknown-dst"},
                        {"logical_switch", {"named-uuid", "ls0"}},
                        {"locator_set", {"named-uuid", "flood"}}}}});
    json result = connection.call("transact", params);
    for (const auto& outcome : result) {
        if (outcome.is_object() && outcome.contains("error")) {
            throw std::runtime_error("creating the logical switches and locators failed: " +
                                     outcome.dump());
        }
    }
}

// The uuids of a select result, ordered by the index each row was created with.
std::vector<std::string> uuids_by_index(const json& rows,
                                        const std::function<long(const json&)>& index_of) {
    std::vector<std::pair<long, std::string>> indexed;
    for (const auto& row : rows) {
        indexed.emplace_back(index_of(row), row.at("_uuid").at(1).get<std::string>());
    }
    std::sort(indexed.begin(), indexed.end());
    std::vector<std::string> uuids;
    for (auto& entry : indexed) uuids.push_back(std::move(entry.second));
    return uuids;
}

long logical_switch_index(const json& row) {
    const std::string name = row.at("name").get<std::string>();  // "ls<index>"
    return name.size() > 2 ? std::strtol(name.c_str() + 2, nullptr, 10) : -1;
}

long locator_index(const json& row) {
    unsigned a = 0, b = 0, c = 0, d = 0;  // "172.16.<index / 256>.<index % 256>"
    std::sscanf(row.at("dst_ip").get<std::string>().c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
    return static_cast<long>(c) * 256 + d;
}

}  // namespace

ReferencedRows ensure_referenced_rows(RpcConnection& connection) {
    auto read = [&] {
        json result = connection.call(
            "transact",
            json::array({kDatabase, select_all("Logical_Switch", json::array({"_uuid", "name"})),
                         select_all("Physical_Locator", json::array({"_uuid", "dst_ip"}))}));
        ReferencedRows rows;
        rows.logical_switches = uuids_by_index(result.at(0).at("rows"), logical_switch_index);
        rows.locators = uuids_by_index(result.at(1).at("rows"), locator_index);
        return rows;
    };
    ReferencedRows rows = read();
    if (rows.logical_switches.empty() && rows.locators.empty()) {
        create_referenced_rows(connection);
        rows = read();
    }
    if (rows.logical_switches.size() != kLogicalSwitchCount ||
        rows.locators.size() != kLocatorCount) {
        throw std::runtime_error(
            "the database has " + std::to_string(rows.logical_switches.size()) +
            " Logical_Switch and " + std::to_string(rows.locators.size()) +
            " Physical_Locator rows; the benchmark needs exactly " +
            std::to_string(kLogicalSwitchCount) + " and " + std::to_string(kLocatorCount) +
            " (start from an empty database made by ovsdb-tool create)");
    }
    return rows;
}

std::string mac_for_row(std::uint64_t row) {
    char mac[18];
    // 02: locally administered unicast; 40 bits of row number make every MAC distinct.
    std::snprintf(
        mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>((row >> 32) & 0xff),
        static_cast<unsigned>((row >> 24) & 0xff), static_cast<unsigned>((row >> 16) & 0xff),
        static_cast<unsigned>((row >> 8) & 0xff), static_cast<unsigned>(row & 0xff));
    return mac;
}

std::vector<PreparedRequest> build_insert_requests(const ReferencedRows& referenced,
                                                   std::uint64_t first_row, std::uint64_t rows,
                                                   std::uint64_t rows_per_transaction) {
    if (rows_per_transaction == 0) throw std::invalid_argument("rows per transaction must be > 0");
    std::vector<PreparedRequest> requests;
    requests.reserve((rows + rows_per_transaction - 1) / rows_per_transaction);
    std::uint64_t row = first_row;
    const std::uint64_t end = first_row + rows;
    while (row < end) {
        const std::uint64_t batch_end = std::min(end, row + rows_per_transaction);
        PreparedRequest request{{}, static_cast<std::size_t>(batch_end - row)};
        request.text.reserve(64 + request.operations * 220);
        request.text += "{\"id\":" + std::to_string(requests.size()) +
                        ",\"method\":\"transact\",\"params\":[\"" + kDatabase + "\"";
        for (; row < batch_end; ++row) {
            request.text +=
                ",{\"op\":\"insert\",\"table\":\"Ucast_Macs_Remote\",\"row\":{\"MAC\":\"";
            request.text += mac_for_row(row);
            request.text += "\",\"logical_switch\":[\"uuid\",\"";
            request.text += referenced.logical_switches[row % referenced.logical_switches.size()];
            request.text += "\"],\"locator\":[\"uuid\",\"";
            request.text += referenced.locators[row % referenced.locators.size()];
            request.text += "\"],\"ipaddr\":\"10.";
            request.text += std::to_string((row >> 16) & 0xff) + "." +
                            std::to_string((row >> 8) & 0xff) + "." + std::to_string(row & 0xff);
            request.text += "\"}}";
        }
        request.text += "]}";
        requests.push_back(std::move(request));
    }
    return requests;
}

std::size_t count_rows(RpcConnection& connection, const std::string& table) {
    json result = connection.call(
        "transact", json::array({kDatabase, select_all(table, json::array({"_uuid"}))}));
    const json& outcome = result.at(0);
    if (outcome.contains("error")) {
        throw std::runtime_error("counting " + table + " rows failed: " + outcome.dump());
    }
    return outcome.at("rows").size();
}

}  // namespace vtep::bench
