// What the agent asks of the data plane, in hardware_vtep's words: the small surface the
// remote-state programmer needs. VtepDataplaneOps drives the real VtepDataplane; unit
// tests of the mapping logic record the calls instead. Any call may throw (a map is
// full, a port does not exist): the caller reports a fault and tries again later.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vtep::agent {

enum class Replication { source_node, service_node };

class DataplaneOps {
  public:
    virtual ~DataplaneOps() = default;
    virtual void set_logical_switch(uint32_t vni, Replication mode) = 0;
    // Also drops the switch's bindings and MACs.
    virtual void remove_logical_switch(uint32_t vni) = 0;
    virtual void set_flood_list(uint32_t vni, const std::vector<std::string>& remote_ips) = 0;
    virtual void set_service_nodes(uint32_t vni, const std::vector<std::string>& node_ips) = 0;
    virtual void bind_port_vlan(const std::string& port, uint16_t vlan, uint32_t vni) = 0;
    virtual void unbind_port_vlan(const std::string& port, uint16_t vlan) = 0;
    virtual void set_remote_mac(uint32_t vni, const std::string& mac, const std::string& ip) = 0;
    virtual void remove_remote_mac(uint32_t vni, const std::string& mac) = 0;
    // After an apply() that wrote flood lists, service nodes or MACs: new remote VTEPs
    // may need their underlay neighbours resolved before the first frame to them.
    virtual void remote_vteps_changed() {}
};

}  // namespace vtep::agent
