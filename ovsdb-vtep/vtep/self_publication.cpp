#include "vtep/self_publication.h"

#include <vector>

namespace vtep::agent {

namespace {

using Json = nlohmann::json;
using client::ReplicaRow;

Json string_set(const std::set<std::string>& values) {
    return Json::array({"set", Json(std::vector<std::string>(values.begin(), values.end()))});
}

Json string_set(const std::vector<std::string>& values) {
    return string_set(std::set<std::string>(values.begin(), values.end()));
}

std::set<std::string> strings_of(const ovsdb::Datum& datum) {
    std::set<std::string> out;
    for (const auto& key : datum.keys_vector()) out.insert(std::string(key.string()));
    return out;
}

Json uuid_ref(const ovsdb::Uuid& uuid) {
    return Json::array({"uuid", uuid.to_string()});
}

Json where_uuid(const ovsdb::Uuid& uuid) {
    return Json::array({Json::array({"_uuid", "==", uuid_ref(uuid)})});
}

std::set<std::string> port_faults_of(const PublishedFaults& faults, const std::string& port) {
    auto it = faults.port_faults.find(port);
    return it == faults.port_faults.end() ? std::set<std::string>{} : it->second;
}

Json new_port_row(const AccessPortConfig& port, const PublishedFaults& faults) {
    return Json{{"name", port.name},
                {"description", port.description},
                {"port_fault_status", string_set(port_faults_of(faults, port.name))}};
}

}  // namespace

const ReplicaRow* find_own_switch(const client::OvsdbClient& client, const AgentConfig& config) {
    const auto* switches = client.table("Physical_Switch");
    if (!switches) return nullptr;
    for (const auto& [uuid, row] : switches->rows()) {
        if (row.get_string("name") == config.switch_name) return &row;
    }
    return nullptr;
}

Json self_publication_ops(const client::OvsdbClient& client, const AgentConfig& config,
                          const PublishedFaults& faults) {
    Json ops = Json::array();
    const auto* globals = client.table("Global");
    const auto* ports_table = client.table("Physical_Port");
    if (!globals || !ports_table) return ops;
    const ReplicaRow* global = globals->rows().empty() ? nullptr : &globals->rows().begin()->second;
    const ReplicaRow* own = find_own_switch(client, config);

    const Json switch_columns = {{"description", config.description},
                                 {"management_ips", string_set(config.management_ips)},
                                 {"tunnel_ips", string_set(config.tunnel_ips)},
                                 {"switch_fault_status", string_set(faults.switch_faults)}};
    Json switch_ref;
    if (!own) {
        Json row = switch_columns;
        row["name"] = config.switch_name;
        Json ports = Json::array();
        for (size_t i = 0; i < config.access_ports.size(); ++i) {
            const std::string name = "port" + std::to_string(i);
            ops.push_back({{"op", "insert"},
                           {"table", "Physical_Port"},
                           {"row", new_port_row(config.access_ports[i], faults)},
                           {"uuid-name", name}});
            ports.push_back(Json::array({"named-uuid", name}));
        }
        row["ports"] = Json::array({"set", ports});
        ops.push_back({{"op", "insert"},
                       {"table", "Physical_Switch"},
                       {"row", row},
                       {"uuid-name", "own_switch"}});
        switch_ref = Json::array({"named-uuid", "own_switch"});
    } else {
        switch_ref = uuid_ref(own->uuid());
        Json changed = Json::object();
        if (own->get_string("description").value_or("") != config.description)
            changed["description"] = config.description;
        const std::set<std::string> mgmt(config.management_ips.begin(),
                                         config.management_ips.end());
        if (strings_of(own->get("management_ips")) != mgmt)
            changed["management_ips"] = string_set(mgmt);
        const std::set<std::string> tunnels(config.tunnel_ips.begin(), config.tunnel_ips.end());
        if (strings_of(own->get("tunnel_ips")) != tunnels)
            changed["tunnel_ips"] = string_set(tunnels);
        if (strings_of(own->get("switch_fault_status")) != faults.switch_faults)
            changed["switch_fault_status"] = string_set(faults.switch_faults);
        if (!changed.empty())
            ops.push_back({{"op", "update"},
                           {"table", "Physical_Switch"},
                           {"where", where_uuid(own->uuid())},
                           {"row", changed}});

        // Ports: configured ones present and current, the others withdrawn (garbage
        // collection removes a Physical_Port no switch holds).
        std::set<std::string> present;
        Json stale = Json::array();
        const auto& port_refs = own->get("ports");
        for (const auto& ref : port_refs.keys_vector()) {
            const ReplicaRow* port = ports_table->find(ref.uuid());
            if (!port) continue;
            const std::string name = port->get_string("name").value_or("");
            const AccessPortConfig* configured = config.find_access_port(name);
            if (!configured || !present.insert(name).second) {
                stale.push_back(uuid_ref(ref.uuid()));
                continue;
            }
            Json port_changed = Json::object();
            if (port->get_string("description").value_or("") != configured->description)
                port_changed["description"] = configured->description;
            const auto wanted_faults = port_faults_of(faults, name);
            if (strings_of(port->get("port_fault_status")) != wanted_faults)
                port_changed["port_fault_status"] = string_set(wanted_faults);
            if (!port_changed.empty())
                ops.push_back({{"op", "update"},
                               {"table", "Physical_Port"},
                               {"where", where_uuid(ref.uuid())},
                               {"row", port_changed}});
        }
        Json added = Json::array();
        for (size_t i = 0; i < config.access_ports.size(); ++i) {
            if (present.count(config.access_ports[i].name)) continue;
            const std::string name = "port" + std::to_string(i);
            ops.push_back({{"op", "insert"},
                           {"table", "Physical_Port"},
                           {"row", new_port_row(config.access_ports[i], faults)},
                           {"uuid-name", name}});
            added.push_back(Json::array({"named-uuid", name}));
        }
        Json mutations = Json::array();
        if (!stale.empty())
            mutations.push_back(Json::array({"ports", "delete", Json::array({"set", stale})}));
        if (!added.empty())
            mutations.push_back(Json::array({"ports", "insert", Json::array({"set", added})}));
        if (!mutations.empty())
            ops.push_back({{"op", "mutate"},
                           {"table", "Physical_Switch"},
                           {"where", where_uuid(own->uuid())},
                           {"mutations", mutations}});
    }

    if (!global) {
        ops.push_back({{"op", "insert"},
                       {"table", "Global"},
                       {"row", {{"switches", Json::array({"set", Json::array({switch_ref})})}}}});
    } else if (!own || !global->get("switches").contains_key(ovsdb::Atom(own->uuid()))) {
        ops.push_back(
            {{"op", "mutate"},
             {"table", "Global"},
             {"where", where_uuid(global->uuid())},
             {"mutations",
              Json::array({Json::array(
                  {"switches", "insert", Json::array({"set", Json::array({switch_ref})})})})}});
    }
    return ops;
}

}  // namespace vtep::agent
