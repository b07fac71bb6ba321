#include "dataplane/lwaftr/replay.h"

#include <algorithm>

#include "dataplane/lwaftr/reassembly.h"

namespace vtep::lwaftr {

ReplayOutput replay(Program& program, const std::vector<ReplayInput>& inputs, uint32_t path_mru) {
    struct Item {
        uint64_t stamp;
        size_t input;
        size_t index;
    };
    std::vector<Item> order;
    for (size_t i = 0; i < inputs.size(); i++)
        for (size_t j = 0; j < inputs[i].packets.size(); j++)
            order.push_back({inputs[i].packets[j].timestamp_ns, i, j});
    std::stable_sort(order.begin(), order.end(),
                     [](const Item& a, const Item& b) { return a.stamp < b.stamp; });

    ReplayOutput out;
    Ipv6Reassembler reassembler;
    for (const Item& item : order) {
        Side side = inputs[item.input].side;
        const auto& packet = inputs[item.input].packets[item.index];
        RunResult result = program.run(side, packet.data.data(), packet.data.size());
        // The fragment slow path: what the program passes up as a softwire fragment is
        // reassembled here and, once whole, runs through the program again.
        if (result.verdict == Verdict::pass && side == Side::b4 &&
            Ipv6Reassembler::is_fragment(packet.data)) {
            auto whole = reassembler.add(packet.data, path_mru);
            if (!whole) continue;
            out.reassembled++;
            result = program.run(side, whole->data(), whole->size());
        }
        dataplane::PcapPacket emitted;
        emitted.timestamp_ns = packet.timestamp_ns;
        emitted.original_length = static_cast<uint32_t>(result.packet.size());
        emitted.data = std::move(result.packet);
        Side other = side == Side::internet ? Side::b4 : Side::internet;
        switch (result.verdict) {
            case Verdict::tx:
            case Verdict::redirect: {
                Side leaves = result.verdict == Verdict::tx ? side : other;
                (leaves == Side::internet ? out.internet : out.b4).push_back(std::move(emitted));
                break;
            }
            case Verdict::pass:
                out.pass.push_back(std::move(emitted));
                break;
            case Verdict::drop:
                out.dropped++;
                break;
            case Verdict::aborted:
                out.aborted++;
                break;
        }
    }
    return out;
}

}  // namespace vtep::lwaftr
