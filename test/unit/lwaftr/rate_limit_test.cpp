// The generated-error rate limits (icmp-policy icmpv4-rate / icmpv6-rate), run in the
// kernel: a burst of offending packets gets one error per allowed token, the rest are
// dropped silently and counted.
#include <catch2/catch.hpp>

#include "dataplane/lwaftr/binding_table.h"
#include "dataplane/lwaftr/config.h"
#include "dataplane/lwaftr/program.h"
#include "dataplane/pcap.h"

using namespace vtep::lwaftr;

TEST_CASE("lwaftr rate limit: one ICMPv4 and one ICMPv6 error per second at rate 1") {
    const std::string data = std::string(VTEP_SOURCE_DIR) + "/test/data/lwaftr/";
    Config config = load_config(data + "config.json");
    config.icmpv4_rate = 1;
    config.icmpv6_rate = 1;
    BindingTable table = BindingTable::build(config.bindings, config.br_addresses);
    Program program;
    program.set_config(to_abi(config, table.br_addresses()));
    program.install_table(table);

    auto unbound = vtep::dataplane::read_pcap(data + "vectors/encap-unbound-port.in.pcap");
    auto outside = vtep::dataplane::read_pcap(data + "vectors/decap-port-outside-set.in.pcap");
    REQUIRE(unbound.size() == 1);
    REQUIRE(outside.size() == 1);
    for (int i = 0; i < 3; i++) {
        auto v4 = program.run(Side::internet, unbound[0].data.data(), unbound[0].data.size());
        auto v6 = program.run(Side::b4, outside[0].data.data(), outside[0].data.size());
        CHECK(v4.verdict == (i == 0 ? Verdict::tx : Verdict::drop));
        CHECK(v6.verdict == (i == 0 ? Verdict::tx : Verdict::drop));
    }
    auto counters = program.counters();
    CHECK(counters[LWAFTR_C_ICMPV4_SENT].packets == 1);
    CHECK(counters[LWAFTR_C_ICMPV6_SENT].packets == 1);
    CHECK(counters[LWAFTR_C_ICMP_RATE_LIMITED].packets == 4);
    CHECK(counters[LWAFTR_C_DROP_ENCAP_NO_BINDING].packets == 3);
    CHECK(counters[LWAFTR_C_DROP_DECAP_NO_BINDING].packets == 3);
}
