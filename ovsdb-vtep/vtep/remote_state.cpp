#include "vtep/remote_state.h"

#include <algorithm>
#include <cctype>

namespace vtep::agent {

namespace {

constexpr uint32_t kMaxVni = (1u << 24) - 1;
constexpr const char* kUnknownDst = "unknown-dst";

std::string lower(std::string text) {
    for (auto& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string string_or_empty(const client::ReplicaRow& row, const char* column) {
    return row.get_string(column).value_or("");
}

}  // namespace

void RemoteState::log(const std::string& message) const {
    if (log_) log_(message);
}

// --- intake: each change marks what it affects; nothing is programmed here.

void RemoteState::logical_switch_changed(const RowChange& change) {
    dirty_switches_.insert(change.uuid);
    if (!change.new_row) {
        switches_.erase(change.uuid);
        return;
    }
    SwitchRow row;
    row.name = string_or_empty(*change.new_row, "name");
    // tunnel_key empty or 0 means "not mapped" (OVN writes 0 on switches it does not map).
    int64_t key = change.new_row->get_integer("tunnel_key").value_or(0);
    row.vni = key > 0 && key <= int64_t(kMaxVni) ? uint32_t(key) : 0;
    if (key < 0 || key > int64_t(kMaxVni))
        log("logical switch " + row.name + ": tunnel_key " + std::to_string(key) +
            " is not a VNI (1.." + std::to_string(kMaxVni) + "); not mapped");
    row.mode = string_or_empty(*change.new_row, "replication_mode") == "service_node"
                   ? Replication::service_node
                   : Replication::source_node;
    switches_[change.uuid] = std::move(row);
}

void RemoteState::physical_port_changed(const RowChange& change) {
    if (change.old_row) dirty_ports_.insert(string_or_empty(*change.old_row, "name"));
    if (!change.new_row) {
        ports_.erase(change.uuid);
        return;
    }
    PortRow row;
    row.name = string_or_empty(*change.new_row, "name");
    const auto& bindings = change.new_row->get("vlan_bindings");
    for (size_t i = 0; i < bindings.size(); ++i)
        row.vlan_bindings.emplace(uint16_t(bindings.key(i).integer()), bindings.value(i).uuid());
    dirty_ports_.insert(row.name);
    ports_[change.uuid] = std::move(row);
}

void RemoteState::set_own_ports(const std::set<Uuid>& port_rows,
                                const std::set<std::string>& port_names) {
    if (port_rows == own_port_rows_ && port_names == own_port_names_) return;
    own_port_rows_ = port_rows;
    own_port_names_ = port_names;
    mark_all_ports();
}

void RemoteState::locator_changed(const RowChange& change) {
    // Locators are immutable and referenced only once they exist, so a new or removed
    // locator changes nothing by itself; the rows that refer to it are marked instead.
    if (!change.new_row) {
        locators_.erase(change.uuid);
        return;
    }
    locators_[change.uuid] = string_or_empty(*change.new_row, "dst_ip");
}

void RemoteState::locator_set_changed(const RowChange& change) {
    if (!change.new_row) {
        locator_sets_.erase(change.uuid);
        return;
    }
    const auto& locators = change.new_row->get("locators");
    std::vector<Uuid> members;
    for (size_t i = 0; i < locators.size(); ++i) members.push_back(locators.key(i).uuid());
    locator_sets_[change.uuid] = std::move(members);
}

void RemoteState::ucast_remote_changed(const RowChange& change) {
    auto old = ucast_rows_.find(change.uuid);
    if (old != ucast_rows_.end()) {
        MacKey key{old->second.logical_switch, old->second.mac};
        dirty_macs_.insert(key);
        auto rows = ucast_by_key_.find(key);
        if (rows != ucast_by_key_.end()) {
            rows->second.erase(change.uuid);
            if (rows->second.empty()) ucast_by_key_.erase(rows);
        }
        ucast_rows_.erase(old);
    }
    if (!change.new_row) return;
    MacRow row;
    row.logical_switch = change.new_row->get_uuid("logical_switch").value_or(Uuid{});
    row.mac = lower(string_or_empty(*change.new_row, "MAC"));
    row.locator = change.new_row->get_uuid("locator").value_or(Uuid{});
    MacKey key{row.logical_switch, row.mac};
    dirty_macs_.insert(key);
    ucast_by_key_[key].insert(change.uuid);
    ucast_rows_.emplace(change.uuid, std::move(row));
}

void RemoteState::mcast_remote_changed(const RowChange& change) {
    auto old = flood_rows_.find(change.uuid);
    if (old != flood_rows_.end()) {
        dirty_floods_.insert(old->second.logical_switch);
        auto rows = flood_rows_by_switch_.find(old->second.logical_switch);
        if (rows != flood_rows_by_switch_.end()) {
            rows->second.erase(change.uuid);
            if (rows->second.empty()) flood_rows_by_switch_.erase(rows);
        }
        flood_rows_.erase(old);
    }
    if (!change.new_row) return;
    // Only unknown-dst has a flood list in the data plane; multicast MACs are flooded
    // with the rest of BUM to the same list.
    if (lower(string_or_empty(*change.new_row, "MAC")) != kUnknownDst) return;
    MacRow row;
    row.logical_switch = change.new_row->get_uuid("logical_switch").value_or(Uuid{});
    row.mac = kUnknownDst;
    row.locator = change.new_row->get_uuid("locator_set").value_or(Uuid{});
    dirty_floods_.insert(row.logical_switch);
    flood_rows_by_switch_[row.logical_switch].insert(change.uuid);
    flood_rows_.emplace(change.uuid, std::move(row));
}

void RemoteState::mark_switch_contents(const Uuid& logical_switch) {
    dirty_floods_.insert(logical_switch);
    for (auto it = ucast_by_key_.lower_bound({logical_switch, std::string()});
         it != ucast_by_key_.end() && it->first.first == logical_switch; ++it)
        dirty_macs_.insert(it->first);
    mark_all_ports();
}

void RemoteState::mark_all_ports() {
    for (const auto& name : own_port_names_) dirty_ports_.insert(name);
    for (const auto& [name, vlans] : programmed_bindings_) dirty_ports_.insert(name);
}

bool RemoteState::has_pending() const {
    return !dirty_switches_.empty() || !dirty_floods_.empty() || !dirty_macs_.empty() ||
           !dirty_ports_.empty();
}

// --- programming

bool RemoteState::apply() {
    auto switches = std::exchange(dirty_switches_, {});
    withdraw_changed_switches(switches);
    program_switches(switches);
    auto floods = std::exchange(dirty_floods_, {});
    const bool remote_vteps_touched = !floods.empty() || !dirty_macs_.empty();
    program_flood_lists(floods);
    auto macs = std::exchange(dirty_macs_, {});
    program_remote_macs(macs);
    if (remote_vteps_touched) {
        try {
            ops_.remote_vteps_changed();
        } catch (const std::exception& e) {
            log(std::string("resolving remote VTEPs: ") + e.what());
        }
    }
    auto ports = std::exchange(dirty_ports_, {});
    program_bindings(ports);
    return !has_pending();
}

std::optional<uint32_t> RemoteState::programmed_vni(const Uuid& logical_switch) const {
    auto it = programmed_switches_.find(logical_switch);
    if (it == programmed_switches_.end()) return std::nullopt;
    return it->second.vni;
}

std::optional<std::string> RemoteState::locator_ip(const Uuid& locator) const {
    auto it = locators_.find(locator);
    if (it == locators_.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

void RemoteState::withdraw_changed_switches(std::set<Uuid>& switches) {
    for (const Uuid& uuid : switches) {
        auto programmed = programmed_switches_.find(uuid);
        if (programmed == programmed_switches_.end()) continue;
        auto row = switches_.find(uuid);
        const uint32_t vni = programmed->second.vni;
        if (row != switches_.end() && row->second.vni == vni) continue;
        // Unbind first so no frame enters a switch that is going away.
        for (auto& [port, vlans] : programmed_bindings_) {
            for (auto it = vlans.begin(); it != vlans.end();) {
                if (it->second != vni) {
                    ++it;
                    continue;
                }
                try {
                    ops_.unbind_port_vlan(port, it->first);
                } catch (const std::exception& e) {
                    log("unbinding " + port + " VLAN " + std::to_string(it->first) + ": " +
                        e.what());
                }
                it = vlans.erase(it);
            }
        }
        try {
            ops_.remove_logical_switch(vni);
        } catch (const std::exception& e) {
            log("removing VNI " + std::to_string(vni) + ": " + e.what());
        }
        std::erase_if(programmed_macs_,
                      [vni](const auto& entry) { return entry.first.first == vni; });
        programmed_floods_.erase(vni);
        vni_owner_.erase(vni);
        programmed_switches_.erase(programmed);
        clear_fault("switch:" + uuid.to_string());
        if (row != switches_.end()) mark_switch_contents(uuid);
    }
}

void RemoteState::program_switches(std::set<Uuid>& switches) {
    for (const Uuid& uuid : switches) {
        auto row = switches_.find(uuid);
        const std::string key = "switch:" + uuid.to_string();
        if (row == switches_.end() || row->second.vni == 0) {
            clear_fault(key);
            continue;
        }
        const uint32_t vni = row->second.vni;
        auto owner = vni_owner_.find(vni);
        if (owner != vni_owner_.end() && owner->second != uuid) {
            auto other = switches_.find(owner->second);
            fault(key, "unspecified_fault",
                  "logical switch " + row->second.name + ": VNI " + std::to_string(vni) +
                      " is already mapped to logical switch " +
                      (other != switches_.end() ? other->second.name : owner->second.to_string()));
            dirty_switches_.insert(uuid);  // it may be freed later
            continue;
        }
        auto programmed = programmed_switches_.find(uuid);
        if (programmed != programmed_switches_.end() && programmed->second.mode == row->second.mode)
            continue;
        try {
            ops_.set_logical_switch(vni, row->second.mode);
        } catch (const std::exception& e) {
            fault(key, "unspecified_fault",
                  "logical switch " + row->second.name + " (VNI " + std::to_string(vni) +
                      "): " + e.what());
            dirty_switches_.insert(uuid);
            continue;
        }
        clear_fault(key);
        const bool is_new = programmed == programmed_switches_.end();
        programmed_switches_[uuid] = {vni, row->second.mode};
        vni_owner_[vni] = uuid;
        if (is_new) {
            mark_switch_contents(uuid);
        } else {
            dirty_floods_.insert(uuid);  // the mode decides flood list or service nodes
        }
    }
    // Contents marked here are programmed by the steps that follow in this apply().
}

void RemoteState::program_flood_lists(std::set<Uuid>& floods) {
    floods.merge(dirty_floods_);
    for (const Uuid& uuid : floods) {
        auto vni = programmed_vni(uuid);
        if (!vni) continue;  // not mapped: nothing to flood to
        const Replication mode = programmed_switches_.at(uuid).mode;
        std::set<std::string> ips;
        bool unresolved = false;
        if (auto rows = flood_rows_by_switch_.find(uuid); rows != flood_rows_by_switch_.end()) {
            for (const Uuid& row_uuid : rows->second) {
                auto set = locator_sets_.find(flood_rows_.at(row_uuid).locator);
                if (set == locator_sets_.end()) {
                    unresolved = true;
                    continue;
                }
                for (const Uuid& locator : set->second) {
                    if (auto ip = locator_ip(locator))
                        ips.insert(*ip);
                    else
                        unresolved = true;
                }
            }
        }
        std::vector<std::string> list(ips.begin(), ips.end());
        const std::string key = "flood:" + uuid.to_string();
        auto programmed = programmed_floods_.find(*vni);
        if (programmed != programmed_floods_.end() && programmed->second.mode == mode &&
            programmed->second.ips == list && !unresolved) {
            clear_fault(key);
            continue;
        }
        try {
            if (mode == Replication::service_node) {
                ops_.set_flood_list(*vni, {});
                ops_.set_service_nodes(*vni, list);
            } else {
                ops_.set_service_nodes(*vni, {});
                ops_.set_flood_list(*vni, list);
            }
            programmed_floods_[*vni] = {mode, list};
            if (unresolved) {
                fault(key, "unspecified_fault",
                      "VNI " + std::to_string(*vni) +
                          ": a flood list refers to a locator not known yet");
                dirty_floods_.insert(uuid);
            } else {
                clear_fault(key);
            }
        } catch (const std::exception& e) {
            fault(key, "tunnel_exhaustion",
                  "flood list of VNI " + std::to_string(*vni) + " (" + std::to_string(list.size()) +
                      " VTEPs): " + e.what());
            dirty_floods_.insert(uuid);
        }
    }
}

void RemoteState::program_remote_macs(std::set<MacKey>& macs) {
    macs.merge(dirty_macs_);
    size_t failures = 0;
    std::string first_failure;
    for (const MacKey& key : macs) {
        auto vni = programmed_vni(key.first);
        if (!vni) continue;  // removed with its switch, or not mapped
        std::optional<std::string> ip;
        if (auto rows = ucast_by_key_.find(key); rows != ucast_by_key_.end()) {
            // Several rows for one MAC only exist briefly (a move written as insert +
            // delete); any of them is right until the transaction settles.
            for (const Uuid& row : rows->second) {
                ip = locator_ip(ucast_rows_.at(row).locator);
                if (ip) break;
            }
        }
        auto programmed = programmed_macs_.find({*vni, key.second});
        try {
            if (ip) {
                if (programmed != programmed_macs_.end() && programmed->second == *ip) continue;
                ops_.set_remote_mac(*vni, key.second, *ip);
                programmed_macs_[{*vni, key.second}] = *ip;
            } else if (programmed != programmed_macs_.end()) {
                ops_.remove_remote_mac(*vni, key.second);
                programmed_macs_.erase(programmed);
            }
        } catch (const std::exception& e) {
            if (!failures++)
                first_failure = key.second + " in VNI " + std::to_string(*vni) + ": " + e.what();
            dirty_macs_.insert(key);
        }
    }
    if (failures) {
        fault("remote_macs", "mac_table_exhaustion",
              std::to_string(failures) +
                  " remote MACs could not be programmed; first: " + first_failure);
    } else if (!macs.empty()) {
        clear_fault("remote_macs");
    }
}

std::optional<std::map<uint16_t, uint32_t>> RemoteState::desired_bindings(
    const std::string& port) const {
    if (!own_port_names_.count(port)) return std::nullopt;
    for (const Uuid& uuid : own_port_rows_) {
        auto row = ports_.find(uuid);
        if (row == ports_.end() || row->second.name != port) continue;
        std::map<uint16_t, uint32_t> out;
        for (const auto& [vlan, logical_switch] : row->second.vlan_bindings) {
            if (auto vni = programmed_vni(logical_switch)) out.emplace(vlan, *vni);
        }
        return out;
    }
    return std::nullopt;
}

void RemoteState::program_bindings(std::set<std::string>& ports) {
    ports.merge(dirty_ports_);
    for (const std::string& port : ports) {
        std::map<uint16_t, uint32_t> desired =
            desired_bindings(port).value_or(std::map<uint16_t, uint32_t>{});
        auto& programmed = programmed_bindings_[port];
        bool failed = false;
        std::string reason;
        // Withdraw what changed before adding, so a VLAN moves from one switch to another.
        for (auto it = programmed.begin(); it != programmed.end();) {
            auto want = desired.find(it->first);
            if (want != desired.end() && want->second == it->second) {
                ++it;
                continue;
            }
            try {
                ops_.unbind_port_vlan(port, it->first);
                it = programmed.erase(it);
            } catch (const std::exception& e) {
                failed = true;
                reason = "unbinding VLAN " + std::to_string(it->first) + ": " + e.what();
                ++it;
            }
        }
        for (const auto& [vlan, vni] : desired) {
            if (programmed.count(vlan)) continue;
            if (vlan > 4095) {
                failed = true;
                reason = "VLAN " + std::to_string(vlan) + " is out of range (0..4095)";
                continue;
            }
            try {
                ops_.bind_port_vlan(port, vlan, vni);
                programmed[vlan] = vni;
            } catch (const std::exception& e) {
                failed = true;
                reason = "binding VLAN " + std::to_string(vlan) + " to VNI " + std::to_string(vni) +
                         ": " + e.what();
            }
        }
        if (programmed.empty()) programmed_bindings_.erase(port);
        if (failed) {
            fault("bindings", "invalid_vlan_map", "port " + port + ": " + reason, port);
            dirty_ports_.insert(port);
        } else {
            clear_fault("bindings", port);
        }
    }
}

// --- faults

void RemoteState::fault(const std::string& key, const std::string& code, const std::string& reason,
                        const std::string& port) {
    const std::string full_key = port.empty() ? key : port + "/" + key;
    auto& reason_slot = fault_reasons_[full_key];
    if (reason_slot != reason) log(reason);  // each new reason once, not on every retry
    reason_slot = reason;
    if (port.empty())
        switch_faults_[key] = code;
    else
        port_faults_[port][key] = code;
}

void RemoteState::clear_fault(const std::string& key, const std::string& port) {
    const std::string full_key = port.empty() ? key : port + "/" + key;
    if (fault_reasons_.erase(full_key)) log("cleared: " + full_key);
    if (port.empty()) {
        switch_faults_.erase(key);
    } else if (auto it = port_faults_.find(port); it != port_faults_.end()) {
        it->second.erase(key);
        if (it->second.empty()) port_faults_.erase(it);
    }
}

}  // namespace vtep::agent
