// Names of the lwAFTR counters (enum lwaftr_counter_id), for tools and reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "lwaftr_abi.h"

namespace vtep::lwaftr {

// "in-ipv4", "drop-decap-no-binding", ...: stable names for scripts and dashboards.
std::string_view counter_name(lwaftr_counter_id id);
std::optional<lwaftr_counter_id> counter_by_name(std::string_view name);

}  // namespace vtep::lwaftr
