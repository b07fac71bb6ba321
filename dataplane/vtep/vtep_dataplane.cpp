#include "dataplane/vtep/vtep_dataplane.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "dataplane/vtep/neighbour_resolution.h"
#include "vtep_abi.h"
#include "vtep_bpf.skel.h"

namespace vtep::dataplane {
namespace {

constexpr uint32_t kDefaultMacLimit = 4096;
constexpr long kBpfFsMagic = 0xcafe4a11;

std::string errno_text(int err) {
    return std::strerror(err < 0 ? -err : err);
}

[[noreturn]] void fail(const std::string& what, int err) {
    throw DataplaneError(what + ": " + errno_text(err));
}

void check_vni(uint32_t vni) {
    if (vni == 0 || vni > VTEP_VNI_MAX)
        throw DataplaneError("VNI " + std::to_string(vni) +
                             " is not programmable (1..16777215; 0 means 'not mapped')");
}

void check_vlan(uint16_t vlan) {
    if (vlan > VTEP_VLAN_MAX)
        throw DataplaneError("VLAN " + std::to_string(vlan) +
                             " is out of range (0 for untagged, 1..4094)");
}

// The clock the data plane stamps learned MACs with (bpf_ktime_get_coarse_ns).
uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Mounts bpffs on /sys/fs/bpf when nothing is mounted there yet.
void ensure_bpffs() {
    struct statfs fs {};
    if (statfs("/sys/fs/bpf", &fs) == 0 && fs.f_type == kBpfFsMagic) return;
    mkdir("/sys/fs/bpf", 0700);
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") != 0)
        fail("mounting bpffs on /sys/fs/bpf (needed for pinning; run as root)", errno);
}

template <typename Key, typename Fn>
void for_each_key(int fd, Fn&& fn) {
    Key key{}, next{};
    Key* previous = nullptr;
    while (bpf_map_get_next_key(fd, previous, &next) == 0) {
        fn(next);
        key = next;
        previous = &key;
    }
}

LearnEvent to_event(const vtep_learn_event& raw) {
    LearnEvent event;
    event.type =
        raw.type == VTEP_LEARN_EVENT_MOVE ? LearnEventType::moved : LearnEventType::learned;
    event.vni = raw.vni;
    std::copy(raw.mac, raw.mac + 6, event.mac.bytes.begin());
    event.ifindex = raw.ifindex;
    event.vlan = raw.vlan;
    event.old_ifindex = raw.old_ifindex;
    event.old_vlan = raw.old_vlan;
    return event;
}

vtep_mac_key mac_key(uint32_t vni, const MacAddress& mac) {
    vtep_mac_key key{};
    key.vni = vni;
    std::copy(mac.bytes.begin(), mac.bytes.end(), key.mac);
    return key;
}

}  // namespace

VtepDataplane::VtepDataplane(const OpenOptions& options) {
    load(options);
}

VtepDataplane::~VtepDataplane() {
    if (ring_) ring_buffer__free(ring_);
    if (skel_) vtep_bpf__destroy(skel_);
}

std::string VtepDataplane::pin_dir() const {
    return instance_.empty() ? std::string() : std::string(kPinRoot) + "/" + instance_;
}

void VtepDataplane::remove_pins(const std::string& instance) {
    std::error_code ec;
    std::filesystem::remove_all(std::string(kPinRoot) + "/" + instance, ec);
}

void VtepDataplane::load(const OpenOptions& options) {
    instance_ = options.instance;
    replay_ = options.replay;
    if (replay_ && !instance_.empty())
        throw DataplaneError("a replay load is private: give it no instance name");
    if (instance_.find('/') != std::string::npos || instance_ == "." || instance_ == "..")
        throw DataplaneError("instance name '" + instance_ + "' must be a plain name");

    // Errors are reported through our exceptions; OVSDB_VTEP_BPF_LOG=1 shows libbpf's
    // own messages (the verifier log) on stderr.
    if (!std::getenv("OVSDB_VTEP_BPF_LOG")) libbpf_set_print(nullptr);
    skel_ = vtep_bpf__open();
    if (!skel_) fail("opening the VTEP BPF object", errno);
    skel_->rodata->replay_mode = replay_ ? 1 : 0;

    if (!instance_.empty()) {
        ensure_bpffs();
        std::error_code ec;
        std::filesystem::create_directories(pin_dir() + "/programs", ec);
        if (ec) throw DataplaneError("creating " + pin_dir() + ": " + ec.message());
        adopted_ = access((pin_dir() + "/vtep_config").c_str(), F_OK) == 0;
        bpf_map* map;
        bpf_object__for_each_map(map, skel_->obj) {
            if (bpf_map__is_internal(map)) continue;
            std::string path = pin_dir() + "/" + bpf_map__name(map);
            if (map == skel_->maps.vtep_tx_ports) {
                // The kernel adds BPF_F_RDONLY_PROG to devmaps, so libbpf's compatibility
                // check never matches a pinned one: adopt it by hand.
                int fd = bpf_obj_get(path.c_str());
                if (fd >= 0) {
                    int err = bpf_map__reuse_fd(map, fd);
                    close(fd);
                    if (err) fail("adopting " + path, err);
                }
                continue;
            }
            if (int err = bpf_map__set_pin_path(map, path.c_str()))
                fail("setting pin path " + path, err);
        }
    }
    if (int err = vtep_bpf__load(skel_)) {
        std::string hint = adopted_ ? " (the pinned maps of instance '" + instance_ +
                                          "' may be from an incompatible version: remove " +
                                          pin_dir() + " to start afresh)"
                                    : " (needs root, a kernel with BPF/XDP, and bpffs)";
        fail("loading the VTEP BPF programs" + hint, err);
    }
    if (!instance_.empty()) {
        std::string tx_path = pin_dir() + "/vtep_tx_ports";
        if (access(tx_path.c_str(), F_OK) != 0) {
            if (int err = bpf_map__pin(skel_->maps.vtep_tx_ports, tx_path.c_str()))
                fail("pinning " + tx_path, err);
        }
        bpf_program* prog;
        bpf_object__for_each_program(prog, skel_->obj) {
            std::string path = pin_dir() + "/programs/" + bpf_program__name(prog);
            unlink(path.c_str());
            if (int err = bpf_program__pin(prog, path.c_str())) fail("pinning " + path, err);
        }
    }
    ring_ = ring_buffer__new(
        bpf_map__fd(skel_->maps.vtep_learn_events),
        [](void* ctx, void* data, size_t size) -> int {
            if (size < sizeof(vtep_learn_event)) return 0;
            auto* self = static_cast<VtepDataplane*>(ctx);
            vtep_learn_event raw{};
            std::memcpy(&raw, data, sizeof raw);
            self->pending_events_.push_back(to_event(raw));
            return 0;
        },
        this, nullptr);
    if (!ring_) fail("opening the learn-event ring buffer", errno);

    if (adopted_) {
        read_back_state();
        // Pins from before the list and the summary existed have only vtep_tunnel_ips and
        // vtep_next_hops: derive them before any of the new programs is attached.
        write_tunnel_ip_list();
        count_static_next_hops();
    } else {
        vtep_config config{};
        config.uplink_mtu = 1500;
        config.default_mac_limit = kDefaultMacLimit;
        uint32_t key = 0;
        if (bpf_map_update_elem(map_fd("vtep_config"), &key, &config, BPF_ANY))
            fail("initialising vtep_config", errno);
    }
}

int VtepDataplane::map_fd(const char* name) const {
    bpf_map* map = bpf_object__find_map_by_name(skel_->obj, name);
    if (!map) throw DataplaneError(std::string("BPF object has no map ") + name);
    return bpf_map__fd(map);
}

int VtepDataplane::program_fd(VtepProgram program) const {
    switch (program) {
        case VtepProgram::xdp_access:
            return bpf_program__fd(skel_->progs.vtep_xdp_access);
        case VtepProgram::xdp_uplink:
            return bpf_program__fd(skel_->progs.vtep_xdp_uplink);
        case VtepProgram::tc_replicate:
            return bpf_program__fd(skel_->progs.vtep_tc_replicate);
    }
    return -1;
}

ReplayRegisters VtepDataplane::replay_registers() {
    if (!replay_) throw DataplaneError("replay registers exist only in a replay load");
    auto* bss = skel_->bss;
    return ReplayRegisters{&bss->replay_ingress_ifindex, &bss->replay_copy_index,
                           &bss->replay_result, &bss->replay_egress_ifindex,
                           &bss->replay_egress_vlan};
}

void VtepDataplane::read_back_state() {
    int ls_fd = map_fd("vtep_logical_switches");
    for_each_key<uint32_t>(ls_fd, [&](uint32_t vni) {
        vtep_logical_switch value{};
        if (bpf_map_lookup_elem(ls_fd, &vni, &value)) return;
        LogicalSwitchState state;
        state.mode = value.replication_mode == VTEP_REPLICATION_SERVICE_NODE
                         ? ReplicationMode::service_node
                         : ReplicationMode::source_node;
        for (int i = 0; i < value.n_flood_ips && i < VTEP_MAX_FLOOD_IPS; ++i)
            state.flood_list.push_back(Ipv4Address{value.flood_ips[i]});
        for (int i = 0; i < value.n_service_nodes && i < VTEP_MAX_SERVICE_NODES; ++i)
            state.service_nodes.push_back(Ipv4Address{value.service_nodes[i]});
        switches_[vni] = std::move(state);
    });
    int binding_fd = map_fd("vtep_bindings");
    for_each_key<vtep_binding_key>(binding_fd, [&](const vtep_binding_key& key) {
        vtep_binding value{};
        if (bpf_map_lookup_elem(binding_fd, &key, &value)) return;
        bindings_[{key.ifindex, key.vlan}] = BindingState{value.vni, value.stats_index};
        used_stats_indexes_.insert(value.stats_index);
    });
}

// --- underlay

namespace {
template <typename Fn>
void update_config(int fd, Fn&& change) {
    uint32_t key = 0;
    vtep_config config{};
    if (bpf_map_lookup_elem(fd, &key, &config)) fail("reading vtep_config", errno);
    change(config);
    if (bpf_map_update_elem(fd, &key, &config, BPF_ANY)) fail("writing vtep_config", errno);
}
}  // namespace

void VtepDataplane::set_uplink(uint32_t ifindex, uint32_t mtu) {
    if (mtu < 576 || mtu > 65535)
        throw DataplaneError("uplink MTU " + std::to_string(mtu) + " is out of range");
    update_config(map_fd("vtep_config"), [&](vtep_config& c) {
        c.uplink_ifindex = ifindex;
        c.uplink_mtu = mtu;
    });
}

void VtepDataplane::set_source_ip(Ipv4Address ip) {
    update_config(map_fd("vtep_config"), [&](vtep_config& c) { c.source_ip = ip.network_order; });
}

void VtepDataplane::add_tunnel_ip(Ipv4Address ip) {
    uint32_t one = 1;
    if (bpf_map_update_elem(map_fd("vtep_tunnel_ips"), &ip.network_order, &one, BPF_ANY))
        fail("adding tunnel IP " + ip.to_string() + " (at most " +
                 std::to_string(VTEP_MAX_TUNNEL_IPS) + ")",
             errno);
    write_tunnel_ip_list();
}

void VtepDataplane::remove_tunnel_ip(Ipv4Address ip) {
    bpf_map_delete_elem(map_fd("vtep_tunnel_ips"), &ip.network_order);
    write_tunnel_ip_list();
}

// The programs read the tunnel IPs from the list; vtep_tunnel_ips stays the record.
void VtepDataplane::write_tunnel_ip_list() {
    vtep_tunnel_ip_list list{};
    for_each_key<uint32_t>(map_fd("vtep_tunnel_ips"), [&](uint32_t ip) {
        if (list.count < VTEP_MAX_TUNNEL_IPS) list.ips[list.count++] = ip;
    });
    uint32_t key = 0;
    if (bpf_map_update_elem(map_fd("vtep_tunnel_ip_list"), &key, &list, BPF_ANY))
        fail("writing vtep_tunnel_ip_list", errno);
}

void VtepDataplane::set_static_next_hop(Ipv4Address remote, uint32_t ifindex, MacAddress dst_mac,
                                        MacAddress src_mac) {
    vtep_next_hop nh{};
    nh.ifindex = ifindex;
    std::copy(dst_mac.bytes.begin(), dst_mac.bytes.end(), nh.dst_mac);
    std::copy(src_mac.bytes.begin(), src_mac.bytes.end(), nh.src_mac);
    if (bpf_map_update_elem(map_fd("vtep_next_hops"), &remote.network_order, &nh, BPF_ANY))
        fail("setting the next hop of " + remote.to_string(), errno);
    count_static_next_hops();
}

void VtepDataplane::remove_static_next_hop(Ipv4Address remote) {
    bpf_map_delete_elem(map_fd("vtep_next_hops"), &remote.network_order);
    count_static_next_hops();
}

// The count in vtep_config and the summary the programs read instead of hashing.
void VtepDataplane::count_static_next_hops() {
    int fd = map_fd("vtep_next_hops");
    uint32_t count = 0;
    vtep_next_hop_summary summary{};
    for_each_key<uint32_t>(fd, [&](uint32_t remote) {
        ++count;
        if (remote != 0) {
            ++summary.exact_entries;
        } else if (bpf_map_lookup_elem(fd, &remote, &summary.default_hop) == 0) {
            summary.has_default = 1;
        }
    });
    uint32_t key = 0;
    if (bpf_map_update_elem(map_fd("vtep_next_hop_summary"), &key, &summary, BPF_ANY))
        fail("writing vtep_next_hop_summary", errno);
    update_config(map_fd("vtep_config"), [&](vtep_config& c) { c.static_next_hops = count; });
}

// --- logical switches and bindings

void VtepDataplane::write_logical_switch(uint32_t vni) {
    const auto& state = switches_.at(vni);
    vtep_logical_switch value{};
    value.replication_mode = state.mode == ReplicationMode::service_node
                                 ? VTEP_REPLICATION_SERVICE_NODE
                                 : VTEP_REPLICATION_SOURCE_NODE;
    for (const auto& [key, binding] : bindings_) {
        if (binding.vni != vni) continue;
        if (value.n_bindings == VTEP_MAX_LS_BINDINGS)
            throw DataplaneError("logical switch " + std::to_string(vni) + " has more than " +
                                 std::to_string(VTEP_MAX_LS_BINDINGS) + " port/VLAN bindings");
        auto& slot = value.bindings[value.n_bindings++];
        slot.ifindex = key.first;
        slot.vlan = key.second;
        slot.stats_index = binding.stats_index;
    }
    for (const auto& ip : state.flood_list) value.flood_ips[value.n_flood_ips++] = ip.network_order;
    for (const auto& ip : state.service_nodes)
        value.service_nodes[value.n_service_nodes++] = ip.network_order;
    if (bpf_map_update_elem(map_fd("vtep_logical_switches"), &vni, &value, BPF_ANY))
        fail("writing logical switch " + std::to_string(vni), errno);
}

void VtepDataplane::set_logical_switch(uint32_t vni, ReplicationMode mode) {
    check_vni(vni);
    switches_[vni].mode = mode;
    write_logical_switch(vni);
}

void VtepDataplane::remove_logical_switch(uint32_t vni) {
    if (!switches_.count(vni)) return;
    std::vector<std::pair<uint32_t, uint16_t>> doomed;
    for (const auto& [key, binding] : bindings_)
        if (binding.vni == vni) doomed.push_back(key);
    for (const auto& key : doomed) unbind_port_vlan(key.first, key.second);
    int ls_fd = map_fd("vtep_logical_switches");
    bpf_map_delete_elem(ls_fd, &vni);
    switches_.erase(vni);
    for (const char* name : {"vtep_remote_macs", "vtep_local_macs"}) {
        int fd = map_fd(name);
        std::vector<vtep_mac_key> keys;
        for_each_key<vtep_mac_key>(fd, [&](const vtep_mac_key& k) {
            if (k.vni == vni) keys.push_back(k);
        });
        for (const auto& k : keys) bpf_map_delete_elem(fd, &k);
    }
}

void VtepDataplane::set_flood_list(uint32_t vni, const std::vector<Ipv4Address>& remote_vteps) {
    if (!switches_.count(vni))
        throw DataplaneError("flood list for unknown logical switch " + std::to_string(vni) +
                             ": call set_logical_switch first");
    if (remote_vteps.size() > VTEP_MAX_FLOOD_IPS)
        throw DataplaneError("flood list of " + std::to_string(vni) + " has " +
                             std::to_string(remote_vteps.size()) + " VTEPs; at most " +
                             std::to_string(VTEP_MAX_FLOOD_IPS));
    switches_[vni].flood_list = remote_vteps;
    write_logical_switch(vni);
}

void VtepDataplane::set_service_nodes(uint32_t vni, const std::vector<Ipv4Address>& service_nodes) {
    if (!switches_.count(vni))
        throw DataplaneError("service nodes for unknown logical switch " + std::to_string(vni) +
                             ": call set_logical_switch first");
    if (service_nodes.size() > VTEP_MAX_SERVICE_NODES)
        throw DataplaneError("at most " + std::to_string(VTEP_MAX_SERVICE_NODES) +
                             " service nodes per logical switch");
    switches_[vni].service_nodes = service_nodes;
    write_logical_switch(vni);
}

uint32_t VtepDataplane::allocate_stats_index() {
    for (uint32_t i = 0; i < VTEP_MAX_BINDINGS; ++i)
        if (!used_stats_indexes_.count(i)) return i;
    throw DataplaneError("all " + std::to_string(VTEP_MAX_BINDINGS) + " bindings are in use");
}

void VtepDataplane::ensure_port_entry(uint32_t ifindex) {
    int fd = map_fd("vtep_ports");
    vtep_port port{};
    if (bpf_map_lookup_elem(fd, &ifindex, &port) == 0) return;
    uint32_t key = 0;
    vtep_config config{};
    bpf_map_lookup_elem(map_fd("vtep_config"), &key, &config);
    port.mac_limit = config.default_mac_limit;
    if (bpf_map_update_elem(fd, &ifindex, &port, BPF_NOEXIST) && errno != EEXIST)
        fail("adding port " + std::to_string(ifindex), errno);
}

void VtepDataplane::bind_port_vlan(uint32_t ifindex, uint16_t vlan, uint32_t vni) {
    check_vni(vni);
    check_vlan(vlan);
    if (!switches_.count(vni))
        throw DataplaneError("binding to unknown logical switch " + std::to_string(vni) +
                             ": call set_logical_switch first");
    auto key = std::make_pair(ifindex, vlan);
    auto existing = bindings_.find(key);
    uint32_t old_vni = 0;
    BindingState state;
    if (existing != bindings_.end()) {
        if (existing->second.vni == vni) return;
        old_vni = existing->second.vni;
        state.stats_index = existing->second.stats_index;
    } else {
        state.stats_index = allocate_stats_index();
        // A fresh binding starts its statistics at zero.
        int ncpu = libbpf_num_possible_cpus();
        std::vector<vtep_binding_stats> zero(std::max(ncpu, 1));
        bpf_map_update_elem(map_fd("vtep_binding_stats"), &state.stats_index, zero.data(), BPF_ANY);
    }
    state.vni = vni;
    ensure_port_entry(ifindex);
    vtep_binding_key map_key{ifindex, vlan, 0};
    vtep_binding value{vni, state.stats_index};
    if (bpf_map_update_elem(map_fd("vtep_bindings"), &map_key, &value, BPF_ANY))
        fail("binding port " + std::to_string(ifindex) + " VLAN " + std::to_string(vlan), errno);
    bindings_[key] = state;
    used_stats_indexes_.insert(state.stats_index);
    if (existing == bindings_.end()) {
        // Static MACs set before the binding existed now count on its statistics.
        int macs_fd = map_fd("vtep_local_macs");
        for_each_key<vtep_mac_key>(macs_fd, [&](const vtep_mac_key& k) {
            vtep_local_mac mac{};
            if (bpf_map_lookup_elem(macs_fd, &k, &mac) || mac.ifindex != ifindex ||
                mac.vlan != vlan)
                return;
            mac.stats_index = state.stats_index;
            bpf_map_update_elem(macs_fd, &k, &mac, BPF_EXIST);
        });
    }
    write_logical_switch(vni);
    if (old_vni && switches_.count(old_vni)) write_logical_switch(old_vni);
}

void VtepDataplane::unbind_port_vlan(uint32_t ifindex, uint16_t vlan) {
    auto it = bindings_.find({ifindex, vlan});
    if (it == bindings_.end()) return;
    uint32_t vni = it->second.vni;
    vtep_binding_key map_key{ifindex, vlan, 0};
    bpf_map_delete_elem(map_fd("vtep_bindings"), &map_key);
    used_stats_indexes_.erase(it->second.stats_index);
    bindings_.erase(it);
    if (switches_.count(vni)) write_logical_switch(vni);
    // MACs learned behind the binding no longer lead anywhere.
    int fd = map_fd("vtep_local_macs");
    std::vector<vtep_mac_key> keys;
    for_each_key<vtep_mac_key>(fd, [&](const vtep_mac_key& k) {
        vtep_local_mac value{};
        if (bpf_map_lookup_elem(fd, &k, &value) == 0 && value.ifindex == ifindex &&
            value.vlan == vlan)
            keys.push_back(k);
    });
    for (const auto& k : keys) bpf_map_delete_elem(fd, &k);
}

void VtepDataplane::set_port(uint32_t ifindex, uint32_t mac_limit) {
    int fd = map_fd("vtep_ports");
    vtep_port port{};
    bpf_map_lookup_elem(fd, &ifindex, &port);  // keep the learned count
    port.mac_limit = mac_limit;
    if (bpf_map_update_elem(fd, &ifindex, &port, BPF_ANY))
        fail("setting port " + std::to_string(ifindex) + " (at most " +
                 std::to_string(VTEP_MAX_PORTS) + " ports)",
             errno);
}

void VtepDataplane::remove_port(uint32_t ifindex) {
    std::vector<std::pair<uint32_t, uint16_t>> doomed;
    for (const auto& [key, binding] : bindings_)
        if (key.first == ifindex) doomed.push_back(key);
    for (const auto& key : doomed) unbind_port_vlan(key.first, key.second);
    bpf_map_delete_elem(map_fd("vtep_ports"), &ifindex);
}

// --- MACs

void VtepDataplane::set_remote_mac(uint32_t vni, MacAddress mac, Ipv4Address remote_vtep) {
    check_vni(vni);
    auto key = mac_key(vni, mac);
    vtep_remote_mac value{remote_vtep.network_order};
    if (bpf_map_update_elem(map_fd("vtep_remote_macs"), &key, &value, BPF_ANY))
        fail("setting remote MAC " + mac.to_string() + " in " + std::to_string(vni), errno);
}

void VtepDataplane::remove_remote_mac(uint32_t vni, MacAddress mac) {
    auto key = mac_key(vni, mac);
    bpf_map_delete_elem(map_fd("vtep_remote_macs"), &key);
}

std::vector<VtepDataplane::RemoteMac> VtepDataplane::remote_macs() const {
    std::vector<RemoteMac> out;
    int fd = map_fd("vtep_remote_macs");
    for_each_key<vtep_mac_key>(fd, [&](const vtep_mac_key& k) {
        vtep_remote_mac value{};
        if (bpf_map_lookup_elem(fd, &k, &value)) return;
        RemoteMac mac{k.vni, {}, Ipv4Address{value.remote_ip}};
        std::copy(k.mac, k.mac + 6, mac.mac.bytes.begin());
        out.push_back(mac);
    });
    return out;
}

void VtepDataplane::set_static_local_mac(uint32_t vni, MacAddress mac, uint32_t ifindex,
                                         uint16_t vlan) {
    check_vni(vni);
    check_vlan(vlan);
    auto key = mac_key(vni, mac);
    vtep_local_mac value{};
    value.ifindex = ifindex;
    value.vlan = vlan;
    value.flags = VTEP_LOCAL_MAC_STATIC;
    value.last_seen_ns = monotonic_ns();
    auto binding = bindings_.find({ifindex, vlan});
    value.stats_index = binding != bindings_.end() ? binding->second.stats_index : VTEP_NO_STATS;
    if (bpf_map_update_elem(map_fd("vtep_local_macs"), &key, &value, BPF_ANY))
        fail("setting local MAC " + mac.to_string() + " in " + std::to_string(vni), errno);
}

void VtepDataplane::remove_local_mac(uint32_t vni, MacAddress mac) {
    auto key = mac_key(vni, mac);
    bpf_map_delete_elem(map_fd("vtep_local_macs"), &key);
}

std::vector<LocalMac> VtepDataplane::local_macs() const {
    std::vector<LocalMac> out;
    int fd = map_fd("vtep_local_macs");
    uint64_t now = monotonic_ns();
    for_each_key<vtep_mac_key>(fd, [&](const vtep_mac_key& k) {
        vtep_local_mac value{};
        if (bpf_map_lookup_elem(fd, &k, &value)) return;
        LocalMac mac;
        mac.vni = k.vni;
        std::copy(k.mac, k.mac + 6, mac.mac.bytes.begin());
        mac.ifindex = value.ifindex;
        mac.vlan = value.vlan;
        mac.is_static = value.flags & VTEP_LOCAL_MAC_STATIC;
        mac.age = std::chrono::nanoseconds(now > value.last_seen_ns ? now - value.last_seen_ns : 0);
        out.push_back(mac);
    });
    return out;
}

std::vector<LearnEvent> VtepDataplane::age_out(std::chrono::nanoseconds max_age) {
    std::vector<LearnEvent> aged;
    int fd = map_fd("vtep_local_macs");
    std::map<uint32_t, uint32_t> learned_per_port;
    for (const auto& mac : local_macs()) {
        if (mac.is_static) continue;
        if (mac.age < max_age) {
            ++learned_per_port[mac.ifindex];
            continue;
        }
        auto key = mac_key(mac.vni, mac.mac);
        if (bpf_map_delete_elem(fd, &key)) continue;
        LearnEvent event;
        event.type = LearnEventType::aged_out;
        event.vni = mac.vni;
        event.mac = mac.mac;
        event.ifindex = mac.ifindex;
        event.vlan = mac.vlan;
        aged.push_back(event);
    }
    // Recount what each port has learned, so its limit frees up as entries age out.
    int ports_fd = map_fd("vtep_ports");
    for_each_key<uint32_t>(ports_fd, [&](uint32_t ifindex) {
        vtep_port port{};
        if (bpf_map_lookup_elem(ports_fd, &ifindex, &port)) return;
        port.learned_macs = learned_per_port[ifindex];
        bpf_map_update_elem(ports_fd, &ifindex, &port, BPF_EXIST);
    });
    return aged;
}

size_t VtepDataplane::poll_learn_events(std::chrono::milliseconds timeout,
                                        const std::function<void(const LearnEvent&)>& on_event) {
    int rc = ring_buffer__poll(ring_, int(timeout.count()));
    if (rc < 0 && rc != -EINTR) fail("reading learn events", rc);
    std::vector<LearnEvent> events;
    events.swap(pending_events_);
    for (const auto& event : events) on_event(event);
    return events.size();
}

size_t VtepDataplane::resolve_remote_vteps() {
    if (replay_) throw DataplaneError("a replay load has no kernel neighbours to resolve");
    uint32_t key = 0;
    vtep_config config{};
    if (bpf_map_lookup_elem(map_fd("vtep_config"), &key, &config) || !config.uplink_ifindex)
        return 0;
    std::set<Ipv4Address> remotes;
    for (const auto& [vni, ls] : switches_) {
        remotes.insert(ls.flood_list.begin(), ls.flood_list.end());
        remotes.insert(ls.service_nodes.begin(), ls.service_nodes.end());
    }
    for (const auto& mac : remote_macs()) remotes.insert(mac.remote_vtep);
    int next_hops = map_fd("vtep_next_hops");
    size_t asked = 0;
    for (const auto& ip : remotes) {
        vtep_next_hop nh{};
        uint32_t any = 0;
        if (bpf_map_lookup_elem(next_hops, &ip.network_order, &nh) == 0 ||
            bpf_map_lookup_elem(next_hops, &any, &nh) == 0)
            continue;
        request_neighbour_resolution(config.uplink_ifindex, ip);
        ++asked;
    }
    return asked;
}

// --- counters

CounterSnapshot VtepDataplane::counters() const {
    CounterSnapshot snapshot;
    int fd = map_fd("vtep_counters");
    int ncpu = std::max(libbpf_num_possible_cpus(), 1);
    std::vector<uint64_t> values(ncpu);
    for (uint32_t id = 0; id < VTEP_CTR_MAX; ++id) {
        if (bpf_map_lookup_elem(fd, &id, values.data())) fail("reading counters", errno);
        uint64_t total = 0;
        for (auto v : values) total += v;
        snapshot[std::string(counter_name(id))] = total;
    }
    return snapshot;
}

uint64_t VtepDataplane::counter(std::string_view name) const {
    if (!counter_id(name)) throw DataplaneError("no counter named '" + std::string(name) + "'");
    return counters().at(std::string(name));
}

std::optional<BindingStats> VtepDataplane::binding_stats(uint32_t ifindex, uint16_t vlan) const {
    auto it = bindings_.find({ifindex, vlan});
    if (it == bindings_.end()) return std::nullopt;
    int ncpu = std::max(libbpf_num_possible_cpus(), 1);
    std::vector<vtep_binding_stats> values(ncpu);
    uint32_t index = it->second.stats_index;
    if (bpf_map_lookup_elem(map_fd("vtep_binding_stats"), &index, values.data()))
        fail("reading binding statistics", errno);
    BindingStats total;
    for (const auto& v : values) {
        total.packets_from_local += v.packets_from_local;
        total.bytes_from_local += v.bytes_from_local;
        total.packets_to_local += v.packets_to_local;
        total.bytes_to_local += v.bytes_to_local;
    }
    return total;
}

// --- attachment

namespace {

void attach_xdp(uint32_t ifindex, int prog_fd) {
    // Attaching over our own program swaps it atomically (a restart changes no frame's fate).
    if (bpf_xdp_attach(int(ifindex), prog_fd, XDP_FLAGS_DRV_MODE, nullptr) == 0) return;
    int err = bpf_xdp_attach(int(ifindex), prog_fd, XDP_FLAGS_SKB_MODE, nullptr);
    if (err) fail("attaching XDP to ifindex " + std::to_string(ifindex), err);
}

bpf_tc_hook ingress_hook(uint32_t ifindex) {
    bpf_tc_hook hook{};
    hook.sz = sizeof hook;
    hook.ifindex = int(ifindex);
    hook.attach_point = BPF_TC_INGRESS;
    return hook;
}

void attach_tc(uint32_t ifindex, int prog_fd) {
    bpf_tc_hook hook = ingress_hook(ifindex);
    int err = bpf_tc_hook_create(&hook);
    if (err && err != -EEXIST) fail("creating clsact on ifindex " + std::to_string(ifindex), err);
    bpf_tc_opts opts{};
    opts.sz = sizeof opts;
    opts.handle = 1;
    opts.priority = 1;
    opts.prog_fd = prog_fd;
    opts.flags = BPF_TC_F_REPLACE;
    err = bpf_tc_attach(&hook, &opts);
    if (err) fail("attaching the tc replicator to ifindex " + std::to_string(ifindex), err);
}

}  // namespace

void VtepDataplane::attach_access_port(uint32_t ifindex) {
    if (replay_) throw DataplaneError("a replay load cannot be attached");
    ensure_port_entry(ifindex);
    bpf_devmap_val tx{};
    tx.ifindex = ifindex;
    if (bpf_map_update_elem(map_fd("vtep_tx_ports"), &ifindex, &tx, BPF_ANY))
        fail("adding ifindex " + std::to_string(ifindex) + " to the transmit map", errno);
    attach_tc(ifindex, program_fd(VtepProgram::tc_replicate));
    attach_xdp(ifindex, program_fd(VtepProgram::xdp_access));
}

namespace {
// bpf_fib_lookup answers only for devices with IPv4 forwarding on (it reports
// FWD_DISABLED otherwise), so the uplink gets it; other interfaces are left alone.
void enable_ipv4_forwarding(uint32_t ifindex) {
    char name[IF_NAMESIZE] = {};
    if (!if_indextoname(ifindex, name))
        fail("no interface with ifindex " + std::to_string(ifindex), errno);
    std::string path = std::string("/proc/sys/net/ipv4/conf/") + name + "/forwarding";
    FILE* file = std::fopen(path.c_str(), "w");
    if (!file) fail("enabling IPv4 forwarding on the uplink (" + path + ")", errno);
    std::fputs("1\n", file);
    if (std::fclose(file) != 0)
        fail("enabling IPv4 forwarding on the uplink (" + path + ")", errno);
}
}  // namespace

void VtepDataplane::attach_uplink(uint32_t ifindex) {
    if (replay_) throw DataplaneError("a replay load cannot be attached");
    enable_ipv4_forwarding(ifindex);
    bpf_devmap_val tx{};
    tx.ifindex = ifindex;
    if (bpf_map_update_elem(map_fd("vtep_tx_ports"), &ifindex, &tx, BPF_ANY))
        fail("adding ifindex " + std::to_string(ifindex) + " to the transmit map", errno);
    update_config(map_fd("vtep_config"), [&](vtep_config& c) { c.uplink_ifindex = ifindex; });
    attach_tc(ifindex, program_fd(VtepProgram::tc_replicate));
    attach_xdp(ifindex, program_fd(VtepProgram::xdp_uplink));
}

void VtepDataplane::detach(uint32_t ifindex) {
    bpf_xdp_detach(int(ifindex), XDP_FLAGS_DRV_MODE, nullptr);
    bpf_xdp_detach(int(ifindex), XDP_FLAGS_SKB_MODE, nullptr);
    bpf_tc_hook hook = ingress_hook(ifindex);
    bpf_tc_opts opts{};
    opts.sz = sizeof opts;
    opts.handle = 1;
    opts.priority = 1;
    bpf_tc_detach(&hook, &opts);
    bpf_map_delete_elem(map_fd("vtep_tx_ports"), &ifindex);
}

}  // namespace vtep::dataplane
