// Types described in English, as ovsdb-server words them in errors ("set of up to 2 integers").
#pragma once

#include <string>

#include "ovsdb/type.h"

namespace vtep::ovsdb {

inline std::string type_to_english(const Type& type) {
    std::string key = atomic_type_name(type.key.type);
    if (type.is_scalar()) return key;
    std::string s = type.is_map() ? "map" : "set";
    if (type.n_max == UINT_MAX)
        s += type.n_min ? " of " + std::to_string(type.n_min) + " or more" : " of";
    else if (type.n_min)
        s += " of " + std::to_string(type.n_min) + " to " + std::to_string(type.n_max);
    else
        s += " of up to " + std::to_string(type.n_max);
    if (type.is_map())
        s += " (" + key + ", " + atomic_type_name(type.value.type) + ") pairs";
    else
        s += " " + key + "s";
    return s;
}

}  // namespace vtep::ovsdb
