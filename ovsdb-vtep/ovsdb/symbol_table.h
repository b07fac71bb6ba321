// The uuid-names of one transaction ("named-uuid"): each name gets a fresh UUID the first
// time it is seen, whether it is declared by an insert before or after its use.
#pragma once

#include <string>
#include <unordered_map>

#include "ovsdb/uuid.h"

namespace vtep::ovsdb {

struct Symbol {
    Uuid uuid;
    bool created = false;     // an insert declared it
    bool strong_ref = false;  // referenced from a strong reference column
    bool weak_ref = false;    // referenced from a weak reference column
};

class SymbolTable {
public:
    Symbol* find(const std::string& name) {
        auto it = symbols_.find(name);
        return it == symbols_.end() ? nullptr : &it->second;
    }
    Symbol& insert(const std::string& name) {
        auto [it, inserted] = symbols_.try_emplace(name);
        if (inserted) it->second.uuid = Uuid::random();
        return it->second;
    }
    const std::unordered_map<std::string, Symbol>& all() const { return symbols_; }

private:
    std::unordered_map<std::string, Symbol> symbols_;
};

}  // namespace vtep::ovsdb
