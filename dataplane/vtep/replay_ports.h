// Port names ↔ ifindexes for offline replay: test runs have no real devices, so each
// port the configuration names gets a made-up ifindex (10, 11, ... in the order of
// StaticConfig::port_names(), the uplink first).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/vtep/static_config.h"

namespace vtep::dataplane {

class ReplayPorts {
  public:
    static constexpr uint32_t kFirstIfindex = 10;

    explicit ReplayPorts(const StaticConfig& config);
    // Throws ConfigError for a name the configuration does not have.
    uint32_t ifindex(const std::string& name) const;
    // The name of an ifindex, or "ifindex N" for one we did not make.
    std::string name(uint32_t ifindex) const;
    const std::vector<std::string>& names() const { return names_; }
    uint32_t uplink() const { return kFirstIfindex; }
    PortResolver resolver() const {
        return [this](const std::string& port) { return ifindex(port); };
    }

  private:
    std::vector<std::string> names_;
};

}  // namespace vtep::dataplane
