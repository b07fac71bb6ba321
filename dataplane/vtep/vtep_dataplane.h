// VtepDataplane: the C++ face of the VTEP BPF programs. The VTEP agent drives it in the
// words of hardware_vtep (logical switches, port/VLAN bindings, remote MACs, flood
// lists, service nodes) without knowing BPF: policy lives here, mechanism in bpf/vtep.
//
// Hitless restart: with an instance name, every map is pinned under
// /sys/fs/bpf/ovsdb-vtep/<instance>/ and the programs stay attached when the process
// ends. Opening the same instance again adopts the pinned maps (nothing is flushed),
// loads fresh programs on them and swaps them in atomically where they are attached.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/vtep/addresses.h"
#include "dataplane/vtep/counters.h"

struct vtep_bpf;
struct ring_buffer;

namespace vtep::dataplane {

struct DataplaneError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class ReplicationMode { source_node, service_node };

enum class LearnEventType { learned, moved, aged_out };

struct LearnEvent {
    LearnEventType type = LearnEventType::learned;
    uint32_t vni = 0;
    MacAddress mac;
    uint32_t ifindex = 0;
    uint16_t vlan = 0;
    uint32_t old_ifindex = 0;  // moved only
    uint16_t old_vlan = 0;     // moved only
};

struct LocalMac {
    uint32_t vni = 0;
    MacAddress mac;
    uint32_t ifindex = 0;
    uint16_t vlan = 0;
    bool is_static = false;
    std::chrono::nanoseconds age{0};
};

struct OpenOptions {
    // Pin under /sys/fs/bpf/ovsdb-vtep/<instance>/ (adopting what is there); empty: an
    // unpinned instance that lives as long as this object.
    std::string instance;
    // Load for offline replay and tests (BPF_PROG_TEST_RUN): ingress from a register,
    // egress published instead of performed, static next hops only. Never attached.
    bool replay = false;
};

enum class VtepProgram { xdp_access, xdp_uplink, tc_replicate };

// The registers a replay-mode load publishes (see bpf/vtep/vtep_replay.h).
struct ReplayRegisters {
    uint32_t* ingress_ifindex;
    uint32_t* copy_index;
    uint32_t* result;  // enum vtep_replay_result
    uint32_t* egress_ifindex;
    uint32_t* egress_vlan;
};

class VtepDataplane {
  public:
    static constexpr const char* kPinRoot = "/sys/fs/bpf/ovsdb-vtep";

    // Loads the programs (adopting the instance's pinned maps when they exist).
    // Throws DataplaneError saying what failed and what to check.
    explicit VtepDataplane(const OpenOptions& options);
    // Leaves programs attached and pins in place: forwarding goes on without us.
    ~VtepDataplane();
    VtepDataplane(const VtepDataplane&) = delete;
    VtepDataplane& operator=(const VtepDataplane&) = delete;

    // True when the maps came from an earlier process (state was kept, not flushed).
    bool adopted() const { return adopted_; }
    const std::string& instance() const { return instance_; }
    std::string pin_dir() const;
    // Removes the instance's pins (maps and programs live on while attached elsewhere).
    static void remove_pins(const std::string& instance);

    // --- underlay
    void set_uplink(uint32_t ifindex, uint32_t mtu);
    void set_source_ip(Ipv4Address ip);  // outer source of encapsulated frames
    void add_tunnel_ip(Ipv4Address ip);  // VXLAN to these IPs is decapsulated
    void remove_tunnel_ip(Ipv4Address ip);
    // Static next hop toward a remote VTEP; 0.0.0.0 is the default. Without one the
    // kernel's routing and neighbour tables are used (not in replay).
    void set_static_next_hop(Ipv4Address remote, uint32_t ifindex, MacAddress dst_mac,
                             MacAddress src_mac);
    void remove_static_next_hop(Ipv4Address remote);

    // --- logical switches (VNI 0 is refused: controllers use it for "not mapped")
    void set_logical_switch(uint32_t vni, ReplicationMode mode);
    void remove_logical_switch(uint32_t vni);  // also drops its bindings and MACs
    void set_flood_list(uint32_t vni, const std::vector<Ipv4Address>& remote_vteps);
    void set_service_nodes(uint32_t vni, const std::vector<Ipv4Address>& service_nodes);
    void bind_port_vlan(uint32_t ifindex, uint16_t vlan, uint32_t vni);  // vlan 0: untagged
    void unbind_port_vlan(uint32_t ifindex, uint16_t vlan);
    void set_port(uint32_t ifindex, uint32_t mac_limit);  // access port; 0 disables learning
    void remove_port(uint32_t ifindex);

    // --- MACs
    void set_remote_mac(uint32_t vni, MacAddress mac, Ipv4Address remote_vtep);
    void remove_remote_mac(uint32_t vni, MacAddress mac);
    struct RemoteMac {
        uint32_t vni;
        MacAddress mac;
        Ipv4Address remote_vtep;
    };
    std::vector<RemoteMac> remote_macs() const;
    void set_static_local_mac(uint32_t vni, MacAddress mac, uint32_t ifindex, uint16_t vlan);
    void remove_local_mac(uint32_t vni, MacAddress mac);
    std::vector<LocalMac> local_macs() const;
    // Deletes learned entries not seen for max_age and returns them as aged_out events.
    std::vector<LearnEvent> age_out(std::chrono::nanoseconds max_age);
    // Delivers pending learn events; waits up to timeout for the first. Returns how many.
    size_t poll_learn_events(std::chrono::milliseconds timeout,
                             const std::function<void(const LearnEvent&)>& on_event);

    // Asks the kernel to resolve the MAC of every remote VTEP (flood lists, service
    // nodes, remote MACs) on the uplink; those with a static next hop are skipped.
    // Returns how many were asked for. Not for replay loads.
    size_t resolve_remote_vteps();

    // --- counters
    CounterSnapshot counters() const;
    uint64_t counter(std::string_view name) const;
    std::optional<BindingStats> binding_stats(uint32_t ifindex, uint16_t vlan) const;

    // --- attachment (native XDP where the driver has it, else generic; tc clsact ingress)
    void attach_access_port(uint32_t ifindex);
    void attach_uplink(uint32_t ifindex);
    void detach(uint32_t ifindex);

    int program_fd(VtepProgram program) const;
    ReplayRegisters replay_registers();  // replay loads only

    // What the maps hold, as the control plane sees it (read back when adopting).
    struct LogicalSwitchState {
        ReplicationMode mode = ReplicationMode::source_node;
        std::vector<Ipv4Address> flood_list;
        std::vector<Ipv4Address> service_nodes;
    };
    struct BindingState {
        uint32_t vni = 0;
        uint32_t stats_index = 0;
    };
    const std::map<uint32_t, LogicalSwitchState>& logical_switches() const { return switches_; }
    const std::map<std::pair<uint32_t, uint16_t>, BindingState>& bindings() const {
        return bindings_;
    }

  private:
    void load(const OpenOptions& options);
    void read_back_state();
    void write_logical_switch(uint32_t vni);
    void write_tunnel_ip_list();
    void count_static_next_hops();
    uint32_t allocate_stats_index();
    int map_fd(const char* name) const;
    void ensure_port_entry(uint32_t ifindex);

    vtep_bpf* skel_ = nullptr;
    std::string instance_;
    bool replay_ = false;
    bool adopted_ = false;
    std::map<uint32_t, LogicalSwitchState> switches_;
    std::map<std::pair<uint32_t, uint16_t>, BindingState> bindings_;
    std::set<uint32_t> used_stats_indexes_;
    ::ring_buffer* ring_ = nullptr;
    std::vector<LearnEvent> pending_events_;
};

}  // namespace vtep::dataplane
