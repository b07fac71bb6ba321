// Runs every conformance vector of test/data/lwaftr/vectors.json through the real XDP
// program with BPF_PROG_TEST_RUN: verdict, the exact frame that comes out, and the counter
// of the path taken.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "dataplane/lwaftr/binding_table.h"
#include "dataplane/lwaftr/config.h"
#include "dataplane/lwaftr/counters.h"
#include "dataplane/lwaftr/program.h"
#include "dataplane/pcap.h"

using namespace vtep::lwaftr;

namespace {

const std::string kData = std::string(VTEP_SOURCE_DIR) + "/test/data/lwaftr/";

std::string hex(const std::vector<uint8_t>& bytes) {
    std::string out;
    char b[4];
    for (size_t i = 0; i < bytes.size(); i++) {
        std::snprintf(b, sizeof b, "%02x", bytes[i]);
        out += b;
        if (i % 16 == 15) out += '\n';
    }
    return out;
}

Verdict expected_verdict(const std::string& side, const std::string& out) {
    if (out == "none") return Verdict::drop;
    if (out == "pass") return Verdict::pass;
    return out == side ? Verdict::tx : Verdict::redirect;
}

}  // namespace

TEST_CASE("lwaftr vectors: every case gives the expected verdict, frame and counter") {
    std::ifstream in(kData + "vectors.json");
    REQUIRE(in);
    auto manifest = nlohmann::json::parse(in);
    REQUIRE(manifest["vectors"].size() >= 20);
    Program program;
    std::string loaded_config;
    for (const auto& v : manifest["vectors"]) {
        std::string name = v["name"];
        if (v.value("replay_only", false)) continue;  // needs the slow path: see replay test
        INFO("vector " << name << ": " << v["description"].get<std::string>());
        std::string config_file = v["config"];
        if (config_file != loaded_config) {
            Config config = load_config(kData + config_file);
            BindingTable table = BindingTable::build(config.bindings, config.br_addresses);
            program.set_config(to_abi(config, table.br_addresses()));
            program.install_table(table);
            loaded_config = config_file;
        }
        program.reset_counters();
        auto input = vtep::dataplane::read_pcap(kData + v["input"].get<std::string>());
        REQUIRE(input.size() == 1);
        std::string side = v["side"];
        RunResult result = program.run(side == "internet" ? Side::internet : Side::b4,
                                       input[0].data.data(), input[0].data.size());
        CHECK(verdict_name(result.verdict) ==
              std::string(verdict_name(expected_verdict(side, v["out"]))));
        if (!v["expected"].is_null()) {
            auto expected = vtep::dataplane::read_pcap(kData + v["expected"].get<std::string>());
            REQUIRE(expected.size() == 1);
            INFO("got\n" << hex(result.packet) << "\nexpected\n" << hex(expected[0].data));
            CHECK(result.packet == expected[0].data);
        }
        auto counter = counter_by_name(v["counter"].get<std::string>());
        REQUIRE(counter);
        CHECK(program.counters()[*counter].packets == 1);
    }
}
