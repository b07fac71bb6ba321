#include "dataplane/vtep/neighbour_resolution.h"

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "dataplane/vtep/vtep_dataplane.h"

namespace vtep::dataplane {

void request_neighbour_resolution(uint32_t ifindex, Ipv4Address ip) {
    struct Request {
        nlmsghdr header;
        ndmsg neighbour;
        rtattr dst_attr;
        uint32_t dst;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_NEWNEIGH;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
    request.neighbour.ndm_family = AF_INET;
    request.neighbour.ndm_ifindex = int(ifindex);
    request.neighbour.ndm_state = NUD_NONE;
    request.neighbour.ndm_flags = NTF_USE;  // "as if a packet used it": starts resolution
    request.dst_attr.rta_len = RTA_LENGTH(sizeof(uint32_t));
    request.dst_attr.rta_type = NDA_DST;
    request.dst = ip.network_order;

    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw DataplaneError(std::string("rtnetlink socket: ") + std::strerror(errno));
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    int err = 0;
    if (sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
        err = errno;
    } else {
        char reply[512];
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0) {
            err = errno;
        } else if (size_t(n) >= sizeof(nlmsghdr) + sizeof(nlmsgerr)) {
            auto* header = reinterpret_cast<nlmsghdr*>(reply);
            if (header->nlmsg_type == NLMSG_ERROR)
                err = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(header))->error;
        }
    }
    close(fd);
    if (err)
        throw DataplaneError("asking the kernel to resolve " + ip.to_string() + " on ifindex " +
                             std::to_string(ifindex) + ": " + std::strerror(err));
}

}  // namespace vtep::dataplane
