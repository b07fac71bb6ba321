// Conversion of a Snabb lwAFTR configuration (snabb-softwire-v3, Snabb's YANG data text
// syntax) into ours (RFC 8676 JSON with the ovsdb-vtep-lwaftr augmentation).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/lwaftr/binding.h"

namespace vtep::lwaftr {

struct SnabbImportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SnabbImport {
    nlohmann::ordered_json config;   // our configuration
    std::vector<Binding> bindings;   // the softwires, also in config unless moved to a file
    std::vector<std::string> notes;  // what could not be carried over, or changed meaning
};

// Throws SnabbImportError with the line of a syntax error.
SnabbImport import_snabb(const std::string& text);

}  // namespace vtep::lwaftr
