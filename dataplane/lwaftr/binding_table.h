// The binding table in the form the XDP program reads (see bpf/include/lwaftr_abi.h): an
// open-addressing image of PSID-map and softwire slots, plus lookups over it that follow
// exactly the program's rules, for tools and tests.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/lwaftr/binding.h"
#include "lwaftr_abi.h"

namespace vtep::lwaftr {

struct BindingTableError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class BindingTable {
  public:
    // Validates the bindings (port sets, one geometry per IPv4 address, no two bindings of
    // the same (IPv4, PSID), at most LWAFTR_MAX_BR_ADDRESSES BR addresses) and builds the
    // image. br_addresses fixes the order of BR addresses (the program's br_index); BR
    // addresses of bindings that are not listed are appended. Throws BindingTableError.
    static BindingTable build(std::vector<Binding> bindings,
                              std::vector<Ipv6Address> br_addresses = {});

    // A table read back from the kernel (see PinnedInstance::read_table): lookups work,
    // bindings() is empty.
    static BindingTable from_image(std::vector<lwaftr_slot> image,
                                   std::vector<Ipv6Address> br_addresses);

    const std::vector<Binding>& bindings() const { return bindings_; }
    const std::vector<Ipv6Address>& br_addresses() const { return br_addresses_; }

    // Slot 0 is the header; the rest is what the program probes.
    const std::vector<lwaftr_slot>& image() const { return image_; }
    const lwaftr_table_header& header() const;

    // Encapsulation lookup: the binding owning (IPv4, port), as the program finds it.
    std::optional<Binding> find(uint32_t ipv4, uint16_t port) const;
    // Every binding of a B4 address (one B4 may hold several port sets).
    std::vector<Binding> find_b4(const Ipv6Address& b4) const;

  private:
    const lwaftr_slot* find_slot(uint32_t ipv4, uint16_t psid, uint8_t kind) const;

    std::vector<Binding> bindings_;
    std::vector<Ipv6Address> br_addresses_;
    std::vector<lwaftr_slot> image_;
};

}  // namespace vtep::lwaftr
