// lwAFTR benchmark: ns/packet for encapsulation and decapsulation through the real XDP
// program (BPF_PROG_TEST_RUN, in-kernel time per run) with 1M and 4M bindings, memory per
// binding, and the time to read, build and swap in a 4M-entry table file. The reference
// in the same run is the program's cheapest path (a frame that is not ours, passed after
// parsing), measured the same way: it holds the harness's own cost (timer, context), so
// "net" (path minus reference) is what the lookup and rewrite cost. Not a timed test.
//
// usage: lwaftr_bench [--quick]      (--quick: 100k and 400k bindings)
#include <arpa/inet.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dataplane/lwaftr/binding_table.h"
#include "dataplane/lwaftr/config.h"
#include "dataplane/lwaftr/program.h"
#include "dataplane/lwaftr/table_file.h"

using namespace vtep::lwaftr;
using Clock = std::chrono::steady_clock;

namespace {

const Ipv6Address kBr = *parse_ipv6("2001:db8:ffff::1");
constexpr uint32_t kFirstIpv4 = 0x0a000000;  // 10.0.0.0: 64 subscribers per address

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::vector<Binding> make_bindings(size_t count) {
    std::vector<Binding> bindings(count);
    for (size_t i = 0; i < count; i++) {
        Binding& b = bindings[i];
        b.b4_ipv6 = *parse_ipv6("2001:db8::");
        uint64_t n = i + 1;
        std::memcpy(&b.b4_ipv6[8], &n, 8);
        b.ipv4 = kFirstIpv4 + static_cast<uint32_t>(i / 64);
        b.port_set = {6, 6, static_cast<uint16_t>(i % 64)};
        b.br_ipv6 = kBr;
    }
    return bindings;
}

uint16_t port_of(const Binding& b) {
    return static_cast<uint16_t>((1u << 10) | (b.port_set.psid << 4) | 5);
}

void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
    f[at] = uint8_t(v >> 8);
    f[at + 1] = uint8_t(v);
}

// Ethernet + IPv4 + UDP, 64 bytes of payload.
std::vector<uint8_t> ipv4_udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
    std::vector<uint8_t> f(14 + 20 + 8 + 64, 0);
    put16(f, 12, 0x0800);
    f[14] = 0x45;
    put16(f, 16, 20 + 8 + 64);
    f[22] = 64;
    f[23] = 17;
    uint32_t s = htonl(src), d = htonl(dst);
    std::memcpy(&f[26], &s, 4);
    std::memcpy(&f[30], &d, 4);
    uint32_t sum = 0;
    for (int i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    put16(f, 24, static_cast<uint16_t>(~sum));
    put16(f, 34, sport);
    put16(f, 36, dport);
    put16(f, 38, 8 + 64);
    return f;
}

std::vector<uint8_t> softwire(const Binding& b, uint32_t dst) {
    auto inner = ipv4_udp(b.ipv4, dst, port_of(b), 53);
    std::vector<uint8_t> f(14 + 40, 0);
    put16(f, 12, 0x86dd);
    f[14] = 0x60;
    put16(f, 18, static_cast<uint16_t>(inner.size() - 14));
    f[20] = 4;
    f[21] = 64;
    std::memcpy(&f[22], b.b4_ipv6.data(), 16);
    std::memcpy(&f[38], kBr.data(), 16);
    f.insert(f.end(), inner.begin() + 14, inner.end());
    return f;
}

lwaftr_config bench_config() {
    Config c;
    c.aftr_ipv4 = 0xc0000201;
    c.internet.mac = *parse_mac("02:00:00:00:01:01");
    c.internet.next_hop_mac = *parse_mac("02:00:00:00:01:fe");
    c.b4.mac = *parse_mac("02:00:00:00:02:01");
    c.b4.next_hop_mac = *parse_mac("02:00:00:00:02:fe");
    return to_abi(c, {kBr});
}

struct Timing {
    double hot_ns;     // one subscriber, repeated (its slots stay in cache)
    double spread_ns;  // many random subscribers
};

// One run per call: with repeat > 1 the kernel runs the program again on the frame it
// has just rewritten (an encapsulated frame is no longer IPv4), and swaps the XDP
// dispatcher (an RCU wait) on every call. The in-kernel timer still brackets each run.
Timing time_path(Program& program, Side side, const std::vector<std::vector<uint8_t>>& frames) {
    Timing t{};
    double hot = 0, spread = 0;
    for (size_t i = 0; i < frames.size(); i++) {
        hot += program.time_run(side, frames[0].data(), frames[0].size(), 1);
        spread += program.time_run(side, frames[i].data(), frames[i].size(), 1);
    }
    t.hot_ns = hot / static_cast<double>(frames.size());
    t.spread_ns = spread / static_cast<double>(frames.size());
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    std::vector<size_t> sizes =
        quick ? std::vector<size_t>{100000, 400000} : std::vector<size_t>{1000000, 4000000};
    Program program;
    program.set_config(bench_config());
    std::mt19937_64 random(42);

    std::printf("%-10s %-7s %12s %14s %12s %8s\n", "bindings", "path", "hot ns/pkt",
                "spread ns/pkt", "net ns/pkt", "ratio");
    std::vector<std::string> memory_lines;
    for (size_t n : sizes) {
        auto bindings = make_bindings(n);
        auto start = Clock::now();
        BindingTable table = BindingTable::build(bindings, {kBr});
        double build_ms = ms_since(start);
        start = Clock::now();
        program.install_table(table);
        double install_ms = ms_since(start);
        double image = static_cast<double>(table.image().size() * sizeof(lwaftr_slot));
        double kernel = static_cast<double>(program.table_memory_bytes());
        char line[256];
        std::snprintf(line, sizeof line,
                      "%-10zu table %.1f B/binding (kernel map %.1f B/binding), longest probe "
                      "%u, build %.0f ms, install %.0f ms",
                      n, image / static_cast<double>(n), kernel / static_cast<double>(n),
                      table.header().max_probe, build_ms, install_ms);
        memory_lines.push_back(line);

        std::vector<std::vector<uint8_t>> encap, decap;
        for (int i = 0; i < 4096; i++) {
            const Binding& b = bindings[random() % n];
            encap.push_back(ipv4_udp(0xcb007107, b.ipv4, 443, port_of(b)));
            decap.push_back(softwire(b, 0xcb007107));
        }
        // Reference: a frame the program hands to the kernel right after parsing.
        std::vector<std::vector<uint8_t>> arp(4096, std::vector<uint8_t>(60, 0));
        for (auto& frame : arp) put16(frame, 12, 0x0806);
        Timing pass = time_path(program, Side::internet, arp);
        Timing e = time_path(program, Side::internet, encap);
        Timing d = time_path(program, Side::b4, decap);
        // net: the path's spread time less the reference's (the harness's own cost).
        std::printf("%-10zu %-7s %12.1f %14.1f %12s %8s\n", n, "pass", pass.hot_ns, pass.spread_ns,
                    "reference", "1.0x");
        for (auto [name, t] : {std::pair{"encap", e}, {"decap", d}})
            std::printf("%-10zu %-7s %12.1f %14.1f %12.1f %7.1fx\n", n, name, t.hot_ns, t.spread_ns,
                        t.spread_ns - pass.spread_ns, t.spread_ns / pass.spread_ns);
        std::fflush(stdout);
    }
    std::puts("\nmemory and load:");
    for (const auto& l : memory_lines) std::printf("  %s\n", l.c_str());

    // Replacing a table from its file: read + parse + build + swap, as 'lwaftr load' does.
    size_t n = sizes.back();
    std::string path = "/tmp/lwaftr-bench-table-" + std::to_string(getpid());
    write_table_file(path, make_bindings(n));
    auto start = Clock::now();
    auto from_file = read_table_file(path);
    double read_ms = ms_since(start);
    start = Clock::now();
    BindingTable table = BindingTable::build(std::move(from_file), {kBr});
    double build_ms = ms_since(start);
    start = Clock::now();
    program.install_table(table);
    double swap_ms = ms_since(start);
    unlink(path.c_str());
    std::printf(
        "  replace a %zu-line table file: read %.0f ms, build %.0f ms, install %.0f ms, "
        "total %.1f s\n",
        n, read_ms, build_ms, swap_ms, (read_ms + build_ms + swap_ms) / 1000);

    std::puts(
        "\nreference: Snabb lwAFTR (one core, line rate over two 10G NICs in full duplex with "
        "550-byte packets, its published benchmark setup) is about 2.2 Mpps each way, about "
        "230 ns per packet per core for both directions together.");
    return 0;
}
