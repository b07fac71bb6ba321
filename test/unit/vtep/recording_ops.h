// A DataplaneOps that records calls and keeps the state they build, for tests of the
// agent's mapping logic. 'fail_binds' makes binding calls throw, as a full map would.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "vtep/dataplane_ops.h"

struct RecordingOps : vtep::agent::DataplaneOps {
    std::vector<std::string> calls;
    std::map<uint32_t, vtep::agent::Replication> switches;
    std::map<uint32_t, std::vector<std::string>> floods, service_nodes;
    std::map<std::pair<std::string, uint16_t>, uint32_t> bindings;
    std::map<std::pair<uint32_t, std::string>, std::string> macs;
    bool fail_binds = false;

    void set_logical_switch(uint32_t vni, vtep::agent::Replication mode) override {
        calls.push_back("switch " + std::to_string(vni));
        switches[vni] = mode;
    }
    void remove_logical_switch(uint32_t vni) override {
        calls.push_back("remove-switch " + std::to_string(vni));
        switches.erase(vni);
        floods.erase(vni);
        service_nodes.erase(vni);
        std::erase_if(bindings, [vni](const auto& b) { return b.second == vni; });
        std::erase_if(macs, [vni](const auto& m) { return m.first.first == vni; });
    }
    void set_flood_list(uint32_t vni, const std::vector<std::string>& ips) override {
        require_switch(vni);
        calls.push_back("flood " + std::to_string(vni) + " " + std::to_string(ips.size()));
        floods[vni] = ips;
    }
    void set_service_nodes(uint32_t vni, const std::vector<std::string>& ips) override {
        require_switch(vni);
        calls.push_back("service-nodes " + std::to_string(vni) + " " + std::to_string(ips.size()));
        service_nodes[vni] = ips;
    }
    void bind_port_vlan(const std::string& port, uint16_t vlan, uint32_t vni) override {
        require_switch(vni);
        if (fail_binds) throw std::runtime_error("binding map full");
        calls.push_back("bind " + port + " " + std::to_string(vlan) + " " + std::to_string(vni));
        bindings[{port, vlan}] = vni;
    }
    void unbind_port_vlan(const std::string& port, uint16_t vlan) override {
        calls.push_back("unbind " + port + " " + std::to_string(vlan));
        bindings.erase({port, vlan});
    }
    void set_remote_mac(uint32_t vni, const std::string& mac, const std::string& ip) override {
        require_switch(vni);
        calls.push_back("mac " + std::to_string(vni) + " " + mac + " " + ip);
        macs[{vni, mac}] = ip;
    }
    void remove_remote_mac(uint32_t vni, const std::string& mac) override {
        calls.push_back("remove-mac " + std::to_string(vni) + " " + mac);
        macs.erase({vni, mac});
    }

    // The real data plane refuses state for a switch it does not have.
    void require_switch(uint32_t vni) const {
        if (!switches.count(vni))
            throw std::logic_error("VNI " + std::to_string(vni) + " is not a switch yet");
    }
    size_t count_calls(const std::string& prefix) const {
        size_t n = 0;
        for (const auto& c : calls) n += c.rfind(prefix, 0) == 0;
        return n;
    }
};
