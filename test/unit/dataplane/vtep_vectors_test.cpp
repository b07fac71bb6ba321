// Runs every packet vector of test/data/dataplane/vtep (made by make_vectors.py) through
// the real VTEP programs with BPF_PROG_TEST_RUN: each case starts from the configuration
// in vtep_config.json, feeds its input frames, and checks every egress (each port, the
// uplink, and the kernel stack) byte for byte, plus the counters it names. Drop
// counters a case does not name must stay zero.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dataplane/pcap.h"
#include "dataplane/vtep/replay_ports.h"
#include "dataplane/vtep/static_config.h"
#include "dataplane/vtep/vtep_dataplane.h"
#include "dataplane/vtep/vtep_replay.h"
#include "packet_hex.h"

using namespace vtep::dataplane;

namespace {

const std::string kDataDir = std::string(VTEP_SOURCE_DIR) + "/test/data/dataplane/vtep/";

nlohmann::json load_index() {
    std::ifstream in(kDataDir + "index.json");
    REQUIRE(in);
    return nlohmann::json::parse(in);
}

std::vector<std::vector<uint8_t>> frames_of(const std::string& relative_path) {
    std::vector<std::vector<uint8_t>> frames;
    for (auto& packet : read_pcap(kDataDir + relative_path)) frames.push_back(packet.data);
    return frames;
}

}  // namespace

TEST_CASE("vtep vectors: every path gives the expected frames, egress and counters") {
    auto index = load_index();
    auto config = load_static_config(kDataDir + index.at("config").get<std::string>());
    ReplayPorts ports(config);
    REQUIRE(index.at("vectors").size() >= 40);

    for (const auto& vector : index.at("vectors")) {
        const auto name = vector.at("name").get<std::string>();
        DYNAMIC_SECTION(name << ": " << vector.at("description").get<std::string>()) {
            VtepDataplane dataplane(OpenOptions{.instance = "", .replay = true});
            apply_static_config(dataplane, config, ports.resolver());
            VtepReplay replay(dataplane, ports.uplink());

            std::map<std::string, std::vector<std::vector<uint8_t>>> got;
            for (const auto& input : vector.at("inputs")) {
                uint32_t ingress = ports.ifindex(input.at("port").get<std::string>());
                for (const auto& frame : frames_of(input.at("pcap").get<std::string>())) {
                    for (auto& out : replay.process(ingress, frame)) {
                        std::string egress = out.kind == ReplayOutput::Kind::to_stack
                                                 ? "stack"
                                                 : ports.name(out.ifindex);
                        got[egress].push_back(std::move(out.frame));
                    }
                }
            }

            std::vector<std::string> egresses = ports.names();
            egresses.push_back("stack");
            for (const auto& egress : egresses) {
                std::vector<std::vector<uint8_t>> expected;
                if (vector.at("outputs").contains(egress))
                    expected = frames_of(vector.at("outputs").at(egress).get<std::string>());
                INFO("egress " << egress);
                REQUIRE(got[egress].size() == expected.size());
                for (size_t i = 0; i < expected.size(); ++i) {
                    INFO("frame " << i);
                    CHECK(hex(got[egress][i]) == hex(expected[i]));
                }
            }

            auto counters = dataplane.counters();
            for (const auto& [counter, value] : vector.at("counters").items()) {
                INFO("counter " << counter);
                CHECK(counters.at(counter) == value.get<uint64_t>());
            }
            for (const auto& [counter, value] : counters) {
                if (counter.rfind("drop_", 0) != 0 || vector.at("counters").contains(counter))
                    continue;
                INFO("counter " << counter << " moved but the vector does not expect it");
                CHECK(value == 0);
            }
        }
    }
}
