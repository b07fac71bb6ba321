#include "dataplane/lwaftr/binding.h"

#include "lwaftr_abi.h"

namespace vtep::lwaftr {

const char* port_set_problem(const PortSet& set) {
    if (set.psid_len > 16) return "psid-len is larger than 16";
    if (set.psid_offset > 15) return "psid-offset is larger than 15";
    if (set.psid_offset + set.psid_len > 16) return "psid-offset + psid-len exceed 16 bits";
    if (set.psid_len < 16 && set.psid >= (1u << set.psid_len))
        return "psid does not fit in psid-len bits";
    return "";
}

bool port_in_set(uint16_t port, const PortSet& set) {
    uint16_t psid = 0;
    if (lwaftr_port_to_psid(port, set.psid_len, set.psid_offset, &psid) < 0) return false;
    return psid == set.psid;
}

}  // namespace vtep::lwaftr
