// The compact binding-table file: one binding per line, for tables of millions of
// subscribers shared by several instances. Format (dataplane/lwaftr/README.md):
//
//   lwaftr-binding-table 1
//   # comment
//   default br 2001:db8:ffff::1        (BR address of the lines that follow)
//   default psid-len 6                 (psid-len of the lines that follow)
//   default psid-offset 6              (psid-offset of the lines that follow)
//   2001:db8:100::1 198.51.100.1 1     (B4 IPv6, IPv4, PSID)
//   2001:db8:100::9 198.51.100.9 0 psid-len=0 br=2001:db8:ffff::2
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/lwaftr/binding.h"

namespace vtep::lwaftr {

// Carries the file and line of the first malformed line.
struct TableFileError : std::runtime_error {
    TableFileError(const std::string& file, size_t line, const std::string& what)
        : std::runtime_error(file + ":" + std::to_string(line) + ": " + what), line(line) {}
    size_t line;
};

// Called every few hundred thousand lines with the lines and bytes read so far.
using TableProgress = std::function<void(size_t lines, size_t bytes, size_t total_bytes)>;

std::vector<Binding> parse_table_text(const std::string& text, const std::string& name = "table",
                                      const TableProgress& progress = {});
std::vector<Binding> read_table_file(const std::string& path, const TableProgress& progress = {});

// Writes bindings in the compact form (defaults chosen from the first binding). The file
// appears under its name only when complete (written aside, then renamed).
void write_table_file(const std::string& path, const std::vector<Binding>& bindings);

}  // namespace vtep::lwaftr
