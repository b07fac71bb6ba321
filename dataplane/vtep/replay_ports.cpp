#include "dataplane/vtep/replay_ports.h"

#include <algorithm>

namespace vtep::dataplane {

ReplayPorts::ReplayPorts(const StaticConfig& config) : names_(config.port_names()) {}

uint32_t ReplayPorts::ifindex(const std::string& name) const {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end())
        throw ConfigError("port '" + name + "' is not in the configuration (it has the uplink '" +
                          names_.front() + "' and the ports of 'ports' and the bindings)");
    return kFirstIfindex + uint32_t(it - names_.begin());
}

std::string ReplayPorts::name(uint32_t ifindex) const {
    if (ifindex >= kFirstIfindex && ifindex - kFirstIfindex < names_.size())
        return names_[ifindex - kFirstIfindex];
    return "ifindex " + std::to_string(ifindex);
}

}  // namespace vtep::dataplane
