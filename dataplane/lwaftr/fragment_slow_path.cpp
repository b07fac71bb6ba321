#include "dataplane/lwaftr/fragment_slow_path.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <ifaddrs.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/lwaftr/program.h"

namespace vtep::lwaftr {
namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kVlanTag = 4;
constexpr size_t kIpv6Header = 40;
// Room after the frame for what the program may add (an ICMPv6 error quoting it).
constexpr size_t kGrowth = 256;

std::string errno_text() {
    return std::strerror(errno);
}

void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
    f[at] = static_cast<uint8_t>(v >> 8);
    f[at + 1] = static_cast<uint8_t>(v);
}

uint16_t get16(const std::vector<uint8_t>& f, size_t at) {
    return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

// The program attached to the B4 side: link_b4, or link_stick when one device carries
// both sides.
int open_b4_program(const std::string& pin_dir) {
    for (const char* name : {"link_b4", "link_stick"}) {
        std::string path = pin_dir + "/" + name;
        int link = bpf_obj_get(path.c_str());
        if (link < 0) continue;
        bpf_link_info info{};
        uint32_t length = sizeof info;
        int err = bpf_obj_get_info_by_fd(link, &info, &length);
        close(link);
        if (err) throw ProgramError("lwAFTR slow path: cannot read " + path + ": " + errno_text());
        int program = bpf_prog_get_fd_by_id(info.prog_id);
        if (program < 0)
            throw ProgramError("lwAFTR slow path: cannot open the program of " + path + ": " +
                               errno_text());
        return program;
    }
    throw ProgramError("lwAFTR slow path: no attached instance at " + pin_dir +
                       " (no link_b4 or link_stick); attach one with 'ovsdb-vtep lwaftr attach'");
}

int open_socket(int domain, int type, int protocol, const char* what) {
    int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
    if (fd < 0)
        throw ProgramError(std::string("lwAFTR slow path: cannot open ") + what + ": " +
                           errno_text() + " (run as root)");
    return fd;
}

}  // namespace

FragmentSlowPath::FragmentSlowPath(const std::string& pin_dir) {
    config_ = PinnedInstance(pin_dir).read_config();
    if (config_.magic != LWAFTR_CONFIG_MAGIC)
        throw ProgramError("lwAFTR slow path: the instance at " + pin_dir +
                           " has no configuration");
    program_fd_ = open_b4_program(pin_dir);
    try {
        receive_fd_ = open_socket(AF_INET6, SOCK_RAW, IPPROTO_IPIP, "a raw IPv6 socket");
        int on = 1;
        if (setsockopt(receive_fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) ||
            setsockopt(receive_fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) ||
            setsockopt(receive_fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on))
            throw ProgramError("lwAFTR slow path: cannot ask for packet information: " +
                               errno_text());
        packet_fd_ = open_socket(AF_PACKET, SOCK_RAW, 0, "a packet socket");
        raw_ipv4_fd_ = open_socket(AF_INET, SOCK_RAW, IPPROTO_RAW, "a raw IPv4 socket");
    } catch (...) {
        for (int fd : {program_fd_, receive_fd_, packet_fd_, raw_ipv4_fd_})
            if (fd >= 0) close(fd);
        throw;
    }
}

FragmentSlowPath::~FragmentSlowPath() {
    for (int fd : {program_fd_, receive_fd_, packet_fd_, raw_ipv4_fd_})
        if (fd >= 0) close(fd);
}

std::vector<Ipv6Address> FragmentSlowPath::non_local_br_addresses() const {
    std::vector<Ipv6Address> local;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
        for (ifaddrs* a = list; a; a = a->ifa_next) {
            if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET6) continue;
            Ipv6Address address;
            std::memcpy(address.data(), &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr,
                        16);
            local.push_back(address);
        }
        freeifaddrs(list);
    }
    std::vector<Ipv6Address> missing;
    for (uint32_t i = 0; i < config_.br_count && i < LWAFTR_MAX_BR_ADDRESSES; i++) {
        Ipv6Address br;
        std::memcpy(br.data(), config_.br_ipv6[i], 16);
        bool found = false;
        for (const auto& l : local) found = found || l == br;
        if (!found) missing.push_back(br);
    }
    return missing;
}

void FragmentSlowPath::run(const std::atomic<bool>& stop) {
    std::vector<uint8_t> buffer(65536);
    alignas(cmsghdr) uint8_t control[256];
    while (!stop) {
        pollfd p{receive_fd_, POLLIN, 0};
        int ready = poll(&p, 1, 200);
        if (ready < 0 && errno != EINTR)
            throw ProgramError("lwAFTR slow path: poll failed: " + errno_text());
        if (ready <= 0) continue;
        sockaddr_in6 from{};
        iovec iov{buffer.data(), buffer.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t length = recvmsg(receive_fd_, &msg, MSG_DONTWAIT);
        if (length < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            throw ProgramError("lwAFTR slow path: receive failed: " + errno_text());
        }
        ReassembledSoftwire packet;
        std::memcpy(packet.source.data(), &from.sin6_addr, 16);
        bool have_destination = false;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != IPPROTO_IPV6) continue;
            if (c->cmsg_type == IPV6_PKTINFO) {
                in6_pktinfo info;
                std::memcpy(&info, CMSG_DATA(c), sizeof info);
                std::memcpy(packet.destination.data(), &info.ipi6_addr, 16);
                have_destination = true;
            } else if (c->cmsg_type == IPV6_HOPLIMIT || c->cmsg_type == IPV6_TCLASS) {
                int value;
                std::memcpy(&value, CMSG_DATA(c), sizeof value);
                if (c->cmsg_type == IPV6_HOPLIMIT)
                    packet.hop_limit = static_cast<uint8_t>(value);
                else
                    packet.traffic_class = static_cast<uint8_t>(value);
            }
        }
        if (!have_destination) continue;
        packet.payload.assign(buffer.begin(), buffer.begin() + length);
        handle(packet);
    }
}

// The packet as it would have arrived whole on the B4 side: our MAC, the B4 side's VLAN.
std::vector<uint8_t> FragmentSlowPath::frame_of(const ReassembledSoftwire& packet) const {
    size_t l2 = kEthernetHeader + (config_.b4.vlan_id ? kVlanTag : 0);
    std::vector<uint8_t> frame(l2 + kIpv6Header + packet.payload.size(), 0);
    std::memcpy(&frame[0], config_.b4.mac, 6);
    if (config_.b4.vlan_id) {
        put16(frame, 12, ETH_P_8021Q);
        put16(frame, 14, config_.b4.vlan_id & 0x0fff);
        put16(frame, 16, ETH_P_IPV6);
    } else {
        put16(frame, 12, ETH_P_IPV6);
    }
    uint8_t* ip6 = &frame[l2];
    ip6[0] = static_cast<uint8_t>(0x60 | packet.traffic_class >> 4);
    ip6[1] = static_cast<uint8_t>(packet.traffic_class << 4);
    put16(frame, l2 + 4, static_cast<uint16_t>(packet.payload.size()));
    ip6[6] = IPPROTO_IPIP;
    ip6[7] = packet.hop_limit;
    std::memcpy(ip6 + 8, packet.source.data(), 16);
    std::memcpy(ip6 + 24, packet.destination.data(), 16);
    std::memcpy(ip6 + kIpv6Header, packet.payload.data(), packet.payload.size());
    return frame;
}

void FragmentSlowPath::handle(const ReassembledSoftwire& packet) {
    bool ours = false;
    for (uint32_t i = 0; i < config_.br_count && i < LWAFTR_MAX_BR_ADDRESSES; i++)
        ours = ours || std::memcmp(config_.br_ipv6[i], packet.destination.data(), 16) == 0;
    if (!ours || packet.payload.size() > 0xffff) {
        stats_.ignored++;
        return;
    }
    stats_.received++;
    std::vector<uint8_t> frame = frame_of(packet);
    std::vector<uint8_t> out(frame.size() + kGrowth);
    xdp_md context{};
    context.data_end = static_cast<uint32_t>(frame.size());
    context.ingress_ifindex = config_.b4.ifindex;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()),
                .data_size_out = static_cast<uint32_t>(out.size()), .ctx_in = &context,
                .ctx_size_in = sizeof context, .repeat = 1);
    if (bpf_prog_test_run_opts(program_fd_, &opts)) {
        stats_.dropped++;
        return;
    }
    out.resize(opts.data_size_out);
    if (out.size() < kEthernetHeader) {
        stats_.dropped++;
        return;
    }
    size_t l2 = get16(out, 12) == ETH_P_8021Q ? kEthernetHeader + kVlanTag : kEthernetHeader;
    uint16_t ether_type = out.size() >= l2 ? get16(out, l2 - 2) : 0;
    bool sent = false;
    switch (opts.retval) {
        case XDP_TX:
            sent = send_on(config_.b4.ifindex, out);
            break;
        case XDP_REDIRECT:
            // Decapsulated IPv4 leaves on the internet side; hairpinned softwires and
            // ICMPv6 errors go back toward B4s.
            sent = send_on(ether_type == ETH_P_IP ? config_.internet.ifindex : config_.b4.ifindex,
                           out);
            break;
        case XDP_PASS:
            // The next hop is unresolved: the kernel routes the decapsulated packet and
            // resolves it, as it does for the fast path's passes.
            if (ether_type == ETH_P_IP) {
                out.erase(out.begin(), out.begin() + static_cast<long>(l2));
                if (send_to_kernel(out)) {
                    stats_.to_kernel++;
                    return;
                }
            }
            break;
        default:
            break;
    }
    if (sent)
        stats_.transmitted++;
    else
        stats_.dropped++;
}

bool FragmentSlowPath::send_on(uint32_t ifindex, const std::vector<uint8_t>& frame) {
    if (!ifindex) return false;
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(ifindex);
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, frame.data(), 6);
    return sendto(packet_fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
                  sizeof to) == static_cast<ssize_t>(frame.size());
}

bool FragmentSlowPath::send_to_kernel(const std::vector<uint8_t>& packet) {
    if (packet.size() < 20) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, &packet[16], 4);
    return sendto(raw_ipv4_fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                  sizeof to) == static_cast<ssize_t>(packet.size());
}

}  // namespace vtep::lwaftr
