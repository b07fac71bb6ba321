#include "dataplane/lwaftr/snabb_import.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace vtep::lwaftr {
namespace {

// A node of Snabb's YANG data syntax: "leaf value;" or "container { ... }".
struct Node {
    std::string name;
    std::optional<std::string> value;
    std::vector<Node> children;
    size_t line = 0;

    const Node* child(const std::string& n) const {
        for (const auto& c : children)
            if (c.name == n) return &c;
        return nullptr;
    }
    std::vector<const Node*> all(const std::string& n) const {
        std::vector<const Node*> found;
        for (const auto& c : children)
            if (c.name == n) found.push_back(&c);
        return found;
    }
    std::optional<std::string> leaf(const std::string& n) const {
        const Node* c = child(n);
        return c ? c->value : std::nullopt;
    }
};

class Parser {
  public:
    explicit Parser(const std::string& text) : text_(text) {}

    std::vector<Node> parse_body(bool top) {
        std::vector<Node> nodes;
        while (true) {
            skip_space();
            if (pos_ >= text_.size()) {
                if (!top) fail("unexpected end of file: a '}' is missing");
                return nodes;
            }
            if (text_[pos_] == '}') {
                if (top) fail("unexpected '}'");
                pos_++;
                return nodes;
            }
            Node node;
            node.line = line_;
            node.name = word();
            skip_space();
            if (peek() == '{') {
                pos_++;
                node.children = parse_body(false);
            } else {
                node.value = word();
                skip_space();
                if (peek() == '{') fail("'" + node.name + "' has both a value and a block");
                if (peek() != ';')
                    fail("expected ';' after '" + node.name + " " + *node.value + "'");
                pos_++;
            }
            nodes.push_back(std::move(node));
        }
    }

  private:
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    [[noreturn]] void fail(const std::string& what) const {
        throw SnabbImportError("line " + std::to_string(line_) + ": " + what);
    }

    void skip_space() {
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '\n') {
                line_++;
                pos_++;
            } else if (std::isspace(static_cast<unsigned char>(c))) {
                pos_++;
            } else if (text_.compare(pos_, 2, "//") == 0) {
                while (pos_ < text_.size() && text_[pos_] != '\n') pos_++;
            } else if (text_.compare(pos_, 2, "/*") == 0) {
                size_t end = text_.find("*/", pos_ + 2);
                if (end == std::string::npos) fail("unterminated comment");
                line_ += std::count(text_.begin() + pos_, text_.begin() + end, '\n');
                pos_ = end + 2;
            } else {
                return;
            }
        }
    }

    std::string word() {
        if (peek() == '"' || peek() == '\'') {
            char quote = text_[pos_++];
            size_t end = text_.find(quote, pos_);
            if (end == std::string::npos) fail("unterminated string");
            std::string s = text_.substr(pos_, end - pos_);
            pos_ = end + 1;
            return s;
        }
        size_t start = pos_;
        while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
               text_[pos_] != ';' && text_[pos_] != '{' && text_[pos_] != '}')
            pos_++;
        if (start == pos_) fail(std::string("expected a name or value, found '") + peek() + "'");
        return text_.substr(start, pos_ - start);
    }

    const std::string& text_;
    size_t pos_ = 0;
    size_t line_ = 1;
};

unsigned number(const Node& at, const std::string& leaf, unsigned fallback, unsigned max) {
    auto v = at.leaf(leaf);
    if (!v) return fallback;
    try {
        size_t used = 0;
        unsigned long n = std::stoul(*v, &used);
        if (used != v->size() || n > max) throw std::out_of_range("");
        return static_cast<unsigned>(n);
    } catch (const std::exception&) {
        throw SnabbImportError("line " + std::to_string(at.line) + ": " + leaf + " '" + *v +
                               "' is not a number up to " + std::to_string(max));
    }
}

bool boolean(const Node& at, const std::string& leaf, bool fallback) {
    auto v = at.leaf(leaf);
    if (!v) return fallback;
    if (*v == "true") return true;
    if (*v == "false") return false;
    throw SnabbImportError("line " + std::to_string(at.line) + ": " + leaf +
                           " must be true or false");
}

void note_unknown(const Node& at, const std::vector<std::string>& known, const std::string& path,
                  std::vector<std::string>& notes) {
    for (const auto& c : at.children)
        if (std::find(known.begin(), known.end(), c.name) == known.end())
            notes.push_back(path + "/" + c.name + " (line " + std::to_string(c.line) +
                            "): not carried over");
}

}  // namespace

SnabbImport import_snabb(const std::string& text) {
    Parser parser(text);
    Node root;
    root.children = parser.parse_body(true);
    const Node* sc = root.child("softwire-config");
    if (!sc) throw SnabbImportError("no 'softwire-config' block: not a snabb-softwire-v3 file");
    SnabbImport out;
    auto& notes = out.notes;
    note_unknown(*sc,
                 {"name", "binding-table", "external-interface", "internal-interface", "instance"},
                 "softwire-config", notes);

    nlohmann::ordered_json instance;
    instance["name"] = sc->leaf("name").value_or("snabb-import");

    // Interfaces (policies, MTUs).
    const Node empty;
    const Node* ext = sc->child("external-interface");
    const Node* in = sc->child("internal-interface");
    if (!ext) ext = &empty;
    if (!in) in = &empty;
    note_unknown(
        *ext,
        {"allow-incoming-icmp", "error-rate-limiting", "generate-icmp-errors", "mtu", "reassembly"},
        "softwire-config/external-interface", notes);
    note_unknown(*in,
                 {"allow-incoming-icmp", "error-rate-limiting", "generate-icmp-errors", "mtu",
                  "reassembly", "hairpinning", "flow-label"},
                 "softwire-config/internal-interface", notes);
    // Snabb's internal MTU limits the IPv6 packet; ours limits the IPv4 payload inside it.
    unsigned internal_mtu = number(*in, "mtu", 1500, 65535);
    unsigned external_mtu = number(*ext, "mtu", 1460, 65535);
    instance["softwire-payload-mtu"] = std::max(68u, internal_mtu - 40);
    instance["softwire-path-mru"] = std::max(1280u, external_mtu + 40);
    notes.push_back("softwire-payload-mtu " + std::to_string(internal_mtu - 40) +
                    " is internal-interface mtu " + std::to_string(internal_mtu) +
                    " less the IPv6 header; softwire-path-mru " +
                    std::to_string(external_mtu + 40) + " is external-interface mtu " +
                    std::to_string(external_mtu) + " plus it");
    instance["enable-hairpinning"] = boolean(*in, "hairpinning", true);
    auto rate = [&](const Node& side, const char* path) -> unsigned {
        const Node* limit = side.child("error-rate-limiting");
        if (!limit) return 0;
        unsigned packets = number(*limit, "packets", 600000, 0xffffffffu);
        unsigned period = number(*limit, "period", 2, 0xffffffffu);
        if (period == 0) return 0;
        if (packets % period)
            notes.push_back(std::string(path) + "/error-rate-limiting: " + std::to_string(packets) +
                            " per " + std::to_string(period) + "s rounded to " +
                            std::to_string(packets / period) + " per second");
        return packets / period;
    };
    instance["icmp-policy"] = {
        {"icmpv4-errors",
         {{"allow-incoming-icmpv4", boolean(*ext, "allow-incoming-icmp", true)},
          {"generate-icmpv4-errors", boolean(*ext, "generate-icmp-errors", true)},
          {"icmpv4-rate", rate(*ext, "external-interface")}}},
        {"icmpv6-errors",
         {{"generate-icmpv6-errors", boolean(*in, "generate-icmp-errors", true)},
          {"icmpv6-rate", rate(*in, "internal-interface")}}}};
    if (ext->child("reassembly") || in->child("reassembly"))
        notes.push_back("reassembly limits are not carried over (fragments go to the slow path)");

    // Binding table.
    std::vector<Ipv6Address> brs;
    if (const Node* bt = sc->child("binding-table")) {
        note_unknown(*bt, {"softwire"}, "softwire-config/binding-table", notes);
        for (const Node* sw : bt->all("softwire")) {
            auto where = "line " + std::to_string(sw->line) + ": softwire ";
            auto ipv4 = parse_ipv4(sw->leaf("ipv4").value_or(""));
            auto b4 = parse_ipv6(sw->leaf("b4-ipv6").value_or(""));
            auto br = parse_ipv6(sw->leaf("br-address").value_or(""));
            if (!ipv4 || !b4 || !br)
                throw SnabbImportError(where + "needs ipv4, b4-ipv6 and br-address addresses");
            Binding b;
            b.ipv4 = *ipv4;
            b.b4_ipv6 = *b4;
            b.br_ipv6 = *br;
            b.port_set.psid = static_cast<uint16_t>(number(*sw, "psid", 0, 0xffff));
            if (const Node* ps = sw->child("port-set")) {
                b.port_set.psid_len = static_cast<uint8_t>(number(*ps, "psid-length", 0, 16));
                b.port_set.psid_offset =
                    static_cast<uint8_t>(number(*ps, "reserved-ports-bit-count", 0, 15));
            }
            if (const char* problem = port_set_problem(b.port_set); *problem)
                throw SnabbImportError(where + problem);
            if (std::find(brs.begin(), brs.end(), b.br_ipv6) == brs.end()) brs.push_back(b.br_ipv6);
            out.bindings.push_back(b);
        }
    }

    // The first queue of the first instance gives addresses, MACs, VLANs and next hops.
    nlohmann::ordered_json aftr;
    auto instances = sc->all("instance");
    const Node* queue = instances.empty() ? nullptr : instances[0]->child("queue");
    if (instances.size() > 1 || (queue && instances[0]->all("queue").size() > 1))
        notes.push_back(
            "only the first instance/queue is carried over; run one lwAFTR "
            "instance per interface pair with the same binding table");
    std::string internet_device = "CHANGE-ME-internet", b4_device = "CHANGE-ME-b4";
    if (!instances.empty()) {
        if (auto dev = instances[0]->leaf("device"))
            notes.push_back("device '" + *dev +
                            "' is a Snabb (PCI) device: set the Linux interface names");
    }
    aftr["ipv4-address"] = "0.0.0.0";
    auto side = [&](const Node* interface, const char* which, const std::string& device) {
        nlohmann::ordered_json s;
        s["device"] = device;
        s["mac"] =
            interface ? interface->leaf("mac").value_or("00:00:00:00:00:00") : "00:00:00:00:00:00";
        if (interface) {
            if (auto vlan = interface->leaf("vlan-tag"))
                s["vlan-id"] = number(*interface, "vlan-tag", 0, 4094);
            const Node* nh = interface->child("next-hop");
            if (nh && nh->leaf("mac")) {
                s["next-hop"] = {{"mac", *nh->leaf("mac")}};
            } else {
                s["next-hop"] = {{"fib", true}};
                if (nh && nh->leaf("ip"))
                    notes.push_back(std::string(which) + " next-hop ip " + *nh->leaf("ip") +
                                    ": resolved through the kernel's routing (fib) instead");
            }
        } else {
            notes.push_back(std::string("no ") + which + " interface settings: fill in mac");
        }
        return s;
    };
    const Node* qext = queue ? queue->child("external-interface") : nullptr;
    const Node* qin = queue ? queue->child("internal-interface") : nullptr;
    if (qext && qext->leaf("ip"))
        aftr["ipv4-address"] = *qext->leaf("ip");
    else
        notes.push_back("no external-interface ip: set ipv4-address (source of ICMPv4 errors)");
    if (qin && qin->leaf("ip")) aftr["ipv6-address"] = *qin->leaf("ip");
    nlohmann::ordered_json br_list = nlohmann::ordered_json::array();
    for (const auto& br : brs) br_list.push_back(format_ipv6(br));
    aftr["br-ipv6-addresses"] = br_list;
    aftr["internet-interface"] = side(qext, "external", internet_device);
    aftr["b4-interface"] = side(qin, "internal", b4_device);

    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    for (const auto& b : out.bindings)
        entries.push_back({{"binding-ipv6info", format_ipv6(b.b4_ipv6)},
                           {"binding-ipv4-addr", format_ipv4(b.ipv4)},
                           {"port-set",
                            {{"psid-offset", b.port_set.psid_offset},
                             {"psid-len", b.port_set.psid_len},
                             {"psid", b.port_set.psid}}},
                           {"br-ipv6-addr", format_ipv6(b.br_ipv6)}});
    instance["binding-table"] = {{"binding-entry", entries}};
    instance["ovsdb-vtep-lwaftr:aftr"] = aftr;
    out.config = {{"ietf-softwire-br:br-instances",
                   {{"binding", {{"bind-instance", nlohmann::ordered_json::array({instance})}}}}}};
    return out;
}

}  // namespace vtep::lwaftr
