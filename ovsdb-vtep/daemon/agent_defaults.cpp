#include "daemon/agent_defaults.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <sstream>

namespace vtep::daemon {

std::string default_route_interface() {
    std::ifstream routes("/proc/net/route");
    std::string line;
    std::getline(routes, line);  // header
    while (std::getline(routes, line)) {
        std::istringstream fields(line);
        std::string ifname, destination, gateway, flags, refcnt, use, metric, mask;
        fields >> ifname >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask;
        if (destination == "00000000" && mask == "00000000") return ifname;
    }
    return "";
}

std::string interface_ipv4(const std::string& ifname) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return "";
    std::string found;
    for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || ifname != a->ifa_name) continue;
        char text[INET_ADDRSTRLEN];
        auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
        if (::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) found = text;
    }
    ::freeifaddrs(list);
    return found;
}

std::string fill_agent_defaults(nlohmann::json& agent, bool& usable) {
    usable = true;
    std::string filled;
    if (!agent.contains("switch_name") || agent["switch_name"] == "") {
        char host[HOST_NAME_MAX + 1] = {};
        ::gethostname(host, sizeof host - 1);
        agent["switch_name"] = std::string(host);
        filled += "switch name " + std::string(host);
    }
    bool no_tunnel_ip = !agent.contains("tunnel_ips") ||
                        (agent["tunnel_ips"].is_array() && agent["tunnel_ips"].empty());
    if (no_tunnel_ip) {
        std::string ifname = default_route_interface();
        std::string ip = ifname.empty() ? "" : interface_ipv4(ifname);
        if (ip.empty()) {
            usable = false;
            return "no tunnel IP configured (agent.tunnel_ips) and none found on the default "
                   "route's interface: the VTEP agent is not started";
        }
        // The uplink is never guessed: attaching XDP to an interface is the operator's call.
        agent["tunnel_ips"] = nlohmann::json::array({ip});
        filled += std::string(filled.empty() ? "" : ", ") + "tunnel IP " + ip + " (of " + ifname +
                  ", the default route's interface; no uplink attached until agent.uplink "
                  "is set)";
    }
    return filled.empty() ? "" : "agent configuration completed from this machine: " + filled;
}

}  // namespace vtep::daemon
