#include "vtep/vtep_dataplane_ops.h"

#include <net/if.h>

namespace vtep::agent {

namespace {
std::vector<dataplane::Ipv4Address> parse_ips(const std::vector<std::string>& texts) {
    std::vector<dataplane::Ipv4Address> out;
    out.reserve(texts.size());
    for (const auto& text : texts) out.push_back(dataplane::Ipv4Address::parse(text));
    return out;
}
}  // namespace

uint32_t VtepDataplaneOps::ifindex_of(const std::string& port) {
    unsigned index = if_nametoindex(port.c_str());
    if (!index)
        throw dataplane::DataplaneError("port " + port +
                                        " does not exist (check the access_ports configuration)");
    return index;
}

void VtepDataplaneOps::set_logical_switch(uint32_t vni, Replication mode) {
    dataplane_.set_logical_switch(vni, mode == Replication::service_node
                                           ? dataplane::ReplicationMode::service_node
                                           : dataplane::ReplicationMode::source_node);
}

void VtepDataplaneOps::remove_logical_switch(uint32_t vni) {
    dataplane_.remove_logical_switch(vni);
}

void VtepDataplaneOps::set_flood_list(uint32_t vni, const std::vector<std::string>& remote_ips) {
    dataplane_.set_flood_list(vni, parse_ips(remote_ips));
}

void VtepDataplaneOps::set_service_nodes(uint32_t vni, const std::vector<std::string>& node_ips) {
    dataplane_.set_service_nodes(vni, parse_ips(node_ips));
}

void VtepDataplaneOps::bind_port_vlan(const std::string& port, uint16_t vlan, uint32_t vni) {
    dataplane_.bind_port_vlan(ifindex_of(port), vlan, vni);
}

void VtepDataplaneOps::unbind_port_vlan(const std::string& port, uint16_t vlan) {
    // A port that vanished took its bindings with it.
    unsigned index = if_nametoindex(port.c_str());
    if (index) dataplane_.unbind_port_vlan(index, vlan);
}

void VtepDataplaneOps::set_remote_mac(uint32_t vni, const std::string& mac, const std::string& ip) {
    dataplane_.set_remote_mac(vni, dataplane::MacAddress::parse(mac),
                              dataplane::Ipv4Address::parse(ip));
}

void VtepDataplaneOps::remove_remote_mac(uint32_t vni, const std::string& mac) {
    dataplane_.remove_remote_mac(vni, dataplane::MacAddress::parse(mac));
}

void VtepDataplaneOps::remote_vteps_changed() { dataplane_.resolve_remote_vteps(); }

}  // namespace vtep::agent
