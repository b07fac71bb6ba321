#include "dataplane/lwaftr/table_file.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>

namespace vtep::lwaftr {
namespace {

constexpr std::string_view kMagic = "lwaftr-binding-table";
constexpr size_t kProgressEvery = 1u << 18;

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
        size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') i++;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

bool parse_number(std::string_view text, unsigned max, unsigned& value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && value <= max;
}

}  // namespace

std::vector<Binding> parse_table_text(const std::string& text, const std::string& name,
                                      const TableProgress& progress) {
    std::vector<Binding> bindings;
    bindings.reserve(text.size() / 40);
    PortSet defaults{};
    std::optional<Ipv6Address> default_br;
    bool seen_magic = false;
    size_t line_no = 0, pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        line_no++;
        if (progress && line_no % kProgressEvery == 0)
            progress(line_no, std::min(pos, text.size()), text.size());
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        auto words = split_words(line);
        if (words.empty()) continue;
        auto fail = [&](const std::string& what) -> TableFileError {
            return TableFileError(name, line_no, what);
        };
        if (!seen_magic) {
            if (words.size() != 2 || words[0] != kMagic || words[1] != "1")
                throw fail(
                    "the first line must be 'lwaftr-binding-table 1' (is this a binding "
                    "table file?)");
            seen_magic = true;
            continue;
        }
        if (words[0] == "default") {
            if (words.size() != 3) throw fail("'default' takes a name and a value");
            unsigned v = 0;
            if (words[1] == "br") {
                default_br = parse_ipv6(words[2]);
                if (!default_br)
                    throw fail("'" + std::string(words[2]) + "' is not an IPv6 address");
            } else if (words[1] == "psid-len") {
                if (!parse_number(words[2], 16, v)) throw fail("psid-len must be 0..16");
                defaults.psid_len = static_cast<uint8_t>(v);
            } else if (words[1] == "psid-offset") {
                if (!parse_number(words[2], 15, v)) throw fail("psid-offset must be 0..15");
                defaults.psid_offset = static_cast<uint8_t>(v);
            } else {
                throw fail("unknown default '" + std::string(words[1]) +
                           "' (br, psid-len or psid-offset)");
            }
            continue;
        }
        if (words.size() < 3)
            throw fail("a binding is 'B4-IPV6 IPV4 PSID [psid-len=N] [psid-offset=N] [br=IPV6]'");
        Binding b;
        auto b4 = parse_ipv6(words[0]);
        if (!b4) throw fail("'" + std::string(words[0]) + "' is not an IPv6 address");
        b.b4_ipv6 = *b4;
        auto ipv4 = parse_ipv4(words[1]);
        if (!ipv4) throw fail("'" + std::string(words[1]) + "' is not an IPv4 address");
        b.ipv4 = *ipv4;
        unsigned psid = 0;
        if (!parse_number(words[2], 0xffff, psid)) throw fail("the PSID must be 0..65535");
        b.port_set = defaults;
        b.port_set.psid = static_cast<uint16_t>(psid);
        std::optional<Ipv6Address> br = default_br;
        for (size_t i = 3; i < words.size(); i++) {
            auto eq = words[i].find('=');
            std::string_view key = words[i].substr(0, eq);
            std::string_view value =
                eq == std::string_view::npos ? std::string_view() : words[i].substr(eq + 1);
            unsigned v = 0;
            if (key == "psid-len" && parse_number(value, 16, v)) {
                b.port_set.psid_len = static_cast<uint8_t>(v);
            } else if (key == "psid-offset" && parse_number(value, 15, v)) {
                b.port_set.psid_offset = static_cast<uint8_t>(v);
            } else if (key == "br" && (br = parse_ipv6(value))) {
            } else {
                throw fail("cannot read '" + std::string(words[i]) +
                           "' (psid-len=0..16, psid-offset=0..15 or br=IPV6)");
            }
        }
        if (!br) throw fail("no BR address: add 'br=IPV6' or a 'default br IPV6' line above");
        b.br_ipv6 = *br;
        if (const char* problem = port_set_problem(b.port_set); *problem) throw fail(problem);
        bindings.push_back(b);
    }
    if (!seen_magic) throw TableFileError(name, line_no, "empty file: no 'lwaftr-binding-table 1'");
    if (progress) progress(line_no, text.size(), text.size());
    return bindings;
}

std::vector<Binding> read_table_file(const std::string& path, const TableProgress& progress) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TableFileError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    in.seekg(0, std::ios::end);
    std::string text(static_cast<size_t>(in.tellg()), '\0');
    in.seekg(0);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    return parse_table_text(text, path, progress);
}

void write_table_file(const std::string& path, const std::vector<Binding>& bindings) {
    std::string temporary = path + ".new";
    {
        FILE* out = std::fopen(temporary.c_str(), "w");
        if (!out)
            throw TableFileError(temporary, 0,
                                 std::string("cannot create: ") + std::strerror(errno));
        std::fprintf(out, "%s 1\n", kMagic.data());
        PortSet defaults{};
        Ipv6Address default_br{};
        if (!bindings.empty()) {
            defaults = bindings[0].port_set;
            default_br = bindings[0].br_ipv6;
            std::fprintf(out, "default br %s\ndefault psid-len %u\ndefault psid-offset %u\n",
                         format_ipv6(default_br).c_str(), defaults.psid_len, defaults.psid_offset);
        }
        for (const auto& b : bindings) {
            std::fprintf(out, "%s %s %u", format_ipv6(b.b4_ipv6).c_str(),
                         format_ipv4(b.ipv4).c_str(), b.port_set.psid);
            if (b.port_set.psid_len != defaults.psid_len)
                std::fprintf(out, " psid-len=%u", b.port_set.psid_len);
            if (b.port_set.psid_offset != defaults.psid_offset)
                std::fprintf(out, " psid-offset=%u", b.port_set.psid_offset);
            if (b.br_ipv6 != default_br)
                std::fprintf(out, " br=%s", format_ipv6(b.br_ipv6).c_str());
            std::fputc('\n', out);
        }
        bool ok = std::fflush(out) == 0 && std::ferror(out) == 0;
        ok = std::fclose(out) == 0 && ok;
        if (!ok) throw TableFileError(temporary, 0, "write failed (disk full?)");
    }
    if (std::rename(temporary.c_str(), path.c_str()))
        throw TableFileError(path, 0,
                             std::string("cannot rename into place: ") + std::strerror(errno));
}

}  // namespace vtep::lwaftr
