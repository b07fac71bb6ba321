// DataplaneOps over the real VtepDataplane: port names become ifindexes, text addresses
// become the data plane's address types.
#pragma once

#include "dataplane/vtep/vtep_dataplane.h"
#include "vtep/dataplane_ops.h"

namespace vtep::agent {

class VtepDataplaneOps : public DataplaneOps {
  public:
    explicit VtepDataplaneOps(dataplane::VtepDataplane& dataplane) : dataplane_(dataplane) {}

    void set_logical_switch(uint32_t vni, Replication mode) override;
    void remove_logical_switch(uint32_t vni) override;
    void set_flood_list(uint32_t vni, const std::vector<std::string>& remote_ips) override;
    void set_service_nodes(uint32_t vni, const std::vector<std::string>& node_ips) override;
    void bind_port_vlan(const std::string& port, uint16_t vlan, uint32_t vni) override;
    void unbind_port_vlan(const std::string& port, uint16_t vlan) override;
    void set_remote_mac(uint32_t vni, const std::string& mac, const std::string& ip) override;
    void remove_remote_mac(uint32_t vni, const std::string& mac) override;
    void remote_vteps_changed() override;

    // The interface's index; throws DataplaneError naming the port when it does not exist.
    static uint32_t ifindex_of(const std::string& port);

  private:
    dataplane::VtepDataplane& dataplane_;
};

}  // namespace vtep::agent
