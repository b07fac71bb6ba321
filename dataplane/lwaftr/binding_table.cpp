#include "dataplane/lwaftr/binding_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace vtep::lwaftr {
namespace {

// Fraction of home slots in use when building starts (a load factor of 0.6 keeps probe
// sequences short); the table grows by a quarter until the longest probe fits.
constexpr double kInitialSlotsPerEntry = 1.0 / 0.6;

struct PendingSlot {
    uint32_t home;
    uint64_t key;
    lwaftr_slot slot;
};

uint64_t slot_key(const lwaftr_slot& slot) {
    return (uint64_t{ntohl(slot.ipv4)} << 32) | (uint64_t{slot.psid} << 8) | slot.kind;
}

// Places slots in order of home slot, each in the first free slot at or after its home:
// linear probing with no gaps inside a probe sequence. Returns false if some probe would
// exceed LWAFTR_MAX_PROBE.
bool place(std::vector<PendingSlot>& pending, uint32_t capacity, std::vector<lwaftr_slot>& region,
           uint32_t& max_probe) {
    for (auto& p : pending) {
        p.home = lwaftr_home_slot(ntohl(p.slot.ipv4), p.slot.psid, p.slot.kind, capacity);
    }
    std::sort(pending.begin(), pending.end(), [](const PendingSlot& a, const PendingSlot& b) {
        return a.home != b.home ? a.home < b.home : a.key < b.key;
    });
    region.assign(size_t{capacity} + LWAFTR_MAX_PROBE, lwaftr_slot{});
    max_probe = 0;
    uint64_t next_free = 0;
    for (const auto& p : pending) {
        uint64_t position = std::max<uint64_t>(p.home, next_free);
        uint64_t probe = position - p.home;
        if (probe >= LWAFTR_MAX_PROBE) return false;
        max_probe = std::max<uint32_t>(max_probe, static_cast<uint32_t>(probe + 1));
        region[position] = p.slot;
        next_free = position + 1;
    }
    return true;
}

// Builds one region at a load factor of at most 0.6, growing until probes fit.
std::vector<lwaftr_slot> build_region(std::vector<PendingSlot>& pending, uint32_t& capacity,
                                      uint32_t& max_probe) {
    uint64_t slots = std::max<uint64_t>(
        16, static_cast<uint64_t>(static_cast<double>(pending.size()) * kInitialSlotsPerEntry));
    std::vector<lwaftr_slot> region;
    while (!place(pending, static_cast<uint32_t>(slots), region, max_probe)) {
        slots += slots / 4;
        if (slots > 0x7fff0000u) throw BindingTableError("binding table too large");
    }
    capacity = static_cast<uint32_t>(slots);
    return region;
}

}  // namespace

BindingTable BindingTable::build(std::vector<Binding> bindings,
                                 std::vector<Ipv6Address> br_addresses) {
    BindingTable table;
    std::unordered_map<uint32_t, PortSet> geometry;  // per IPv4: psid_len/offset
    std::vector<PendingSlot> pending;
    pending.reserve(bindings.size() + bindings.size() / 8 + 1);

    auto br_index = [&](const Ipv6Address& br) -> uint8_t {
        auto it = std::find(br_addresses.begin(), br_addresses.end(), br);
        if (it != br_addresses.end()) return static_cast<uint8_t>(it - br_addresses.begin());
        if (br_addresses.size() >= LWAFTR_MAX_BR_ADDRESSES)
            throw BindingTableError("more than " + std::to_string(LWAFTR_MAX_BR_ADDRESSES) +
                                    " BR addresses (" + format_ipv6(br) +
                                    " is one too many); use fewer br-ipv6-addr values");
        br_addresses.push_back(br);
        return static_cast<uint8_t>(br_addresses.size() - 1);
    };

    for (size_t i = 0; i < bindings.size(); i++) {
        const Binding& b = bindings[i];
        auto where = [&] {
            return "binding " + std::to_string(i + 1) + " (" + format_ipv6(b.b4_ipv6) + " " +
                   format_ipv4(b.ipv4) + " psid " + std::to_string(b.port_set.psid) + ")";
        };
        if (const char* problem = port_set_problem(b.port_set); *problem)
            throw BindingTableError(where() + ": " + problem);
        auto [it, inserted] = geometry.try_emplace(b.ipv4, b.port_set);
        if (!inserted && (it->second.psid_len != b.port_set.psid_len ||
                          it->second.psid_offset != b.port_set.psid_offset))
            throw BindingTableError(
                where() + ": psid-len/psid-offset differ from an earlier binding of " +
                format_ipv4(b.ipv4) + " (" + std::to_string(it->second.psid_len) + "/" +
                std::to_string(it->second.psid_offset) +
                "); all port sets of one IPv4 address must have the same geometry");
        lwaftr_slot slot{};
        slot.ipv4 = htonl(b.ipv4);
        slot.psid = b.port_set.psid;
        slot.kind = LWAFTR_SLOT_SOFTWIRE;
        slot.br_index = br_index(b.br_ipv6);
        std::memcpy(slot.b4_ipv6, b.b4_ipv6.data(), 16);
        pending.push_back({0, slot_key(slot), slot});
        if (inserted) {
            lwaftr_slot map{};
            map.ipv4 = htonl(b.ipv4);
            map.kind = LWAFTR_SLOT_PSID_MAP;
            map.port_set.psid_len = b.port_set.psid_len;
            map.port_set.psid_offset = b.port_set.psid_offset;
            pending.push_back({0, slot_key(map), map});
        }
    }
    {
        std::vector<uint64_t> keys;
        keys.reserve(pending.size());
        for (const auto& p : pending) keys.push_back(p.key);
        std::sort(keys.begin(), keys.end());
        auto dup = std::adjacent_find(keys.begin(), keys.end());
        if (dup != keys.end())
            throw BindingTableError("two bindings for " + format_ipv4(uint32_t(*dup >> 32)) +
                                    " psid " + std::to_string((*dup >> 8) & 0xffff) +
                                    "; each (IPv4, PSID) must be bound once");
    }

    std::vector<PendingSlot> psid_maps, softwires;
    for (auto& p : pending)
        (p.slot.kind == LWAFTR_SLOT_PSID_MAP ? psid_maps : softwires).push_back(p);
    pending.clear();
    pending.shrink_to_fit();
    uint32_t psid_capacity = 0, psid_max_probe = 0, capacity = 0, max_probe = 0;
    auto psid_region = build_region(psid_maps, psid_capacity, psid_max_probe);
    auto softwire_region = build_region(softwires, capacity, max_probe);
    table.image_.reserve(1 + psid_region.size() + softwire_region.size());
    table.image_.push_back(lwaftr_slot{});
    table.image_.insert(table.image_.end(), psid_region.begin(), psid_region.end());
    table.image_.insert(table.image_.end(), softwire_region.begin(), softwire_region.end());
    auto* header = reinterpret_cast<lwaftr_table_header*>(&table.image_[0]);
    header->magic = LWAFTR_TABLE_MAGIC;
    header->capacity = capacity;
    header->max_probe = static_cast<uint8_t>(max_probe);
    header->psid_capacity = psid_capacity;
    header->psid_max_probe = static_cast<uint8_t>(psid_max_probe);
    header->uniform_psid_len = 0;
    header->uniform_psid_offset = LWAFTR_GEOMETRY_VARIES;
    if (!geometry.empty()) {
        const PortSet& first = geometry.begin()->second;
        bool uniform = std::all_of(geometry.begin(), geometry.end(), [&](const auto& g) {
            return g.second.psid_len == first.psid_len && g.second.psid_offset == first.psid_offset;
        });
        if (uniform) {
            header->uniform_psid_len = first.psid_len;
            header->uniform_psid_offset = first.psid_offset;
        }
    }
    header->softwire_base = static_cast<uint32_t>(1 + psid_region.size());
    header->softwires = static_cast<uint32_t>(bindings.size());
    table.bindings_ = std::move(bindings);
    table.br_addresses_ = std::move(br_addresses);
    return table;
}

const lwaftr_table_header& BindingTable::header() const {
    return *reinterpret_cast<const lwaftr_table_header*>(&image_[0]);
}

const lwaftr_slot* BindingTable::find_slot(uint32_t ipv4, uint16_t psid, uint8_t kind) const {
    const auto& h = header();
    bool psid_map = kind == LWAFTR_SLOT_PSID_MAP;
    uint32_t base = psid_map ? 1 : h.softwire_base;
    uint32_t max_probe = psid_map ? h.psid_max_probe : h.max_probe;
    uint32_t home = lwaftr_home_slot(ipv4, psid, kind, psid_map ? h.psid_capacity : h.capacity);
    for (uint32_t probe = 0; probe < max_probe; probe++) {
        const lwaftr_slot& slot = image_[base + home + probe];
        if (slot.kind == LWAFTR_SLOT_EMPTY) break;
        if (ntohl(slot.ipv4) == ipv4 && slot.psid == psid && slot.kind == kind) return &slot;
    }
    return nullptr;
}

std::optional<Binding> BindingTable::find(uint32_t ipv4, uint16_t port) const {
    const lwaftr_slot* map = find_slot(ipv4, 0, LWAFTR_SLOT_PSID_MAP);
    if (!map) return std::nullopt;
    uint16_t psid = 0;
    if (lwaftr_port_to_psid(port, map->port_set.psid_len, map->port_set.psid_offset, &psid) < 0)
        return std::nullopt;
    const lwaftr_slot* softwire = find_slot(ipv4, psid, LWAFTR_SLOT_SOFTWIRE);
    if (!softwire) return std::nullopt;
    Binding b;
    std::memcpy(b.b4_ipv6.data(), softwire->b4_ipv6, 16);
    b.ipv4 = ipv4;
    b.port_set = {map->port_set.psid_offset, map->port_set.psid_len, psid};
    if (softwire->br_index < br_addresses_.size()) b.br_ipv6 = br_addresses_[softwire->br_index];
    return b;
}

std::vector<Binding> BindingTable::find_b4(const Ipv6Address& b4) const {
    std::vector<Binding> found;
    if (!bindings_.empty()) {
        for (const auto& b : bindings_)
            if (b.b4_ipv6 == b4) found.push_back(b);
        return found;
    }
    // Read back from the kernel: scan the softwire region.
    for (size_t i = header().softwire_base; i < image_.size(); i++) {
        const lwaftr_slot& slot = image_[i];
        if (slot.kind != LWAFTR_SLOT_SOFTWIRE || std::memcmp(slot.b4_ipv6, b4.data(), 16)) continue;
        const lwaftr_slot* map = find_slot(ntohl(slot.ipv4), 0, LWAFTR_SLOT_PSID_MAP);
        Binding b;
        b.b4_ipv6 = b4;
        b.ipv4 = ntohl(slot.ipv4);
        b.port_set = {map ? map->port_set.psid_offset : uint8_t(0),
                      map ? map->port_set.psid_len : uint8_t(0), slot.psid};
        if (slot.br_index < br_addresses_.size()) b.br_ipv6 = br_addresses_[slot.br_index];
        found.push_back(b);
    }
    return found;
}

BindingTable BindingTable::from_image(std::vector<lwaftr_slot> image,
                                      std::vector<Ipv6Address> br_addresses) {
    if (image.empty() ||
        reinterpret_cast<const lwaftr_table_header*>(&image[0])->magic != LWAFTR_TABLE_MAGIC)
        throw BindingTableError("not a binding table image (bad magic)");
    BindingTable table;
    table.image_ = std::move(image);
    table.br_addresses_ = std::move(br_addresses);
    return table;
}

}  // namespace vtep::lwaftr
