// Frames as hex text, so a failed comparison shows where two frames differ.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

inline std::string hex(const std::vector<uint8_t>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i && i % 16 == 0)
            out += '\n';
        else if (i)
            out += ' ';
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}
