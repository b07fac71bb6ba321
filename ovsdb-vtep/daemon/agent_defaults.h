// What the embedded configuration leaves to the machine: with no switch name, the host
// name; with no tunnel IP, the IPv4 address of the interface that carries the default
// route (the uplink itself is never guessed). Filled in before the agent's configuration is
// parsed, so an operator's explicit settings always win.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vtep::daemon {

// Completes 'agent' (an agent configuration object) in place. Returns a sentence for
// the log describing what was filled in, or why the agent cannot run (then 'usable' is
// false: no tunnel IP configured and none found).
std::string fill_agent_defaults(nlohmann::json& agent, bool& usable);

// The interface of the IPv4 default route (from /proc/net/route), or "".
std::string default_route_interface();
// The first IPv4 address of an interface, or "".
std::string interface_ipv4(const std::string& ifname);

}  // namespace vtep::daemon
