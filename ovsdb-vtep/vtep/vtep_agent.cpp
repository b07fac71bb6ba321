#include "vtep/vtep_agent.h"

#include "dataplane/vtep/vtep_dataplane.h"
#include "ovsdb/builtin_schemas.h"
#include "vtep/self_publication.h"
#include "vtep/vtep_dataplane_ops.h"

namespace vtep::agent {

namespace {

std::shared_ptr<const ovsdb::DatabaseSchema> builtin_vtep_schema() {
    auto schema = ovsdb::DatabaseSchema::from_json(nlohmann::json::parse(ovsdb::kVtepSchemaJson));
    if (!schema)
        throw std::logic_error("built-in hardware_vtep schema: " + schema.error().to_string());
    return *schema;
}

// What the configuration asks of the underlay: done once, before any remote state.
void prepare_dataplane(dataplane::VtepDataplane& dataplane, const AgentConfig& config) {
    if (!config.uplink.empty()) {
        dataplane.set_uplink(VtepDataplaneOps::ifindex_of(config.uplink), config.uplink_mtu);
    }
    dataplane.set_source_ip(dataplane::Ipv4Address::parse(config.tunnel_ips.front()));
    for (const auto& ip : config.tunnel_ips)
        dataplane.add_tunnel_ip(dataplane::Ipv4Address::parse(ip));
    for (const auto& port : config.access_ports) {
        uint32_t ifindex = VtepDataplaneOps::ifindex_of(port.name);
        dataplane.set_port(ifindex, port.mac_limit);
        dataplane.attach_access_port(ifindex);
    }
    if (!config.uplink.empty())
        dataplane.attach_uplink(VtepDataplaneOps::ifindex_of(config.uplink));
}

}  // namespace

VtepAgent::VtepAgent(boost::asio::io_context& io, AgentConfig config,
                     dataplane::VtepDataplane& dataplane)
    : io_(io),
      config_(std::move(config)),
      owned_ops_(std::make_unique<VtepDataplaneOps>(dataplane)),
      ops_(*owned_ops_),
      client_("hardware_vtep", builtin_vtep_schema()),
      remote_(ops_),
      settle_timer_(io),
      retry_timer_(io) {
    prepare_dataplane(dataplane, config_);
    subscribe();
}

VtepAgent::VtepAgent(boost::asio::io_context& io, AgentConfig config, DataplaneOps& ops)
    : io_(io),
      config_(std::move(config)),
      ops_(ops),
      client_("hardware_vtep", builtin_vtep_schema()),
      remote_(ops_),
      settle_timer_(io),
      retry_timer_(io) {
    subscribe();
}

VtepAgent::~VtepAgent() {
    *alive_ = false;
}

void VtepAgent::set_log(std::function<void(const std::string&)> log) {
    log_ = log;
    remote_.set_log(log);
    client_.on_log(std::move(log));
}

void VtepAgent::log(const std::string& message) const {
    if (log_) log_(message);
}

void VtepAgent::subscribe() {
    client_.monitor("Global");
    client_.monitor("Physical_Switch");
    client_.monitor("Physical_Port");
    client_.monitor("Logical_Switch");
    client_.monitor("Physical_Locator");
    client_.monitor("Physical_Locator_Set");
    client_.monitor("Ucast_Macs_Remote");
    client_.monitor("Mcast_Macs_Remote");
    client_.on_change("Logical_Switch",
                      [this](const RowChange& c) { remote_.logical_switch_changed(c); });
    client_.on_change("Physical_Port",
                      [this](const RowChange& c) { remote_.physical_port_changed(c); });
    client_.on_change("Physical_Locator",
                      [this](const RowChange& c) { remote_.locator_changed(c); });
    client_.on_change("Physical_Locator_Set",
                      [this](const RowChange& c) { remote_.locator_set_changed(c); });
    client_.on_change("Ucast_Macs_Remote",
                      [this](const RowChange& c) { remote_.ucast_remote_changed(c); });
    client_.on_change("Mcast_Macs_Remote",
                      [this](const RowChange& c) { remote_.mcast_remote_changed(c); });
    client_.on_batch_done([this] {
        update_own_ports();
        schedule_apply();
    });
    client_.on_synced([this] {
        log("connected to the database; replica in sync");
        update_own_ports();
        schedule_apply();
    });
    client_.on_disconnected([this](const std::string& reason) {
        log("database connection lost (" + reason + "); forwarding continues on the last state");
        publish_in_flight_ = false;
        if (on_disconnected_) on_disconnected_(reason);
    });
}

void VtepAgent::start(std::shared_ptr<rpc::MessageChannel> channel) {
    client_.connect(std::move(channel));
}

void VtepAgent::reconfigure(AgentConfig config) {
    config_ = std::move(config);
    update_own_ports();
    schedule_apply();
}

void VtepAgent::update_own_ports() {
    std::set<Uuid> rows;
    if (const auto* own = find_own_switch(client_, config_)) {
        for (const auto& ref : own->get("ports").keys_vector()) rows.insert(ref.uuid());
    }
    std::set<std::string> names;
    for (const auto& port : config_.access_ports) names.insert(port.name);
    remote_.set_own_ports(rows, names);
}

void VtepAgent::schedule_apply() {
    if (apply_scheduled_) return;
    apply_scheduled_ = true;
    std::weak_ptr<bool> alive = alive_;
    // A batch settles before it is programmed: a controller's withdraw/re-add within a
    // few milliseconds never reaches the data plane as a gap.
    settle_timer_.expires_after(config_.settle_interval);
    settle_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
        if (ec || !alive.lock()) return;
        apply_scheduled_ = false;
        apply();
    });
}

void VtepAgent::apply() {
    const bool complete = remote_.apply();
    if (!complete && !retry_armed_) {
        retry_armed_ = true;
        std::weak_ptr<bool> alive = alive_;
        retry_timer_.expires_after(config_.retry_interval);
        retry_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
            if (ec || !alive.lock()) return;
            retry_armed_ = false;
            apply();
        });
    }
    publish();
}

void VtepAgent::publish() {
    if (!client_.synced()) return;
    if (publish_in_flight_) {
        return;  // the reply publishes again
    }
    nlohmann::json ops = self_publication_ops(client_, config_, current_faults());
    if (ops.empty()) return;
    publish_in_flight_ = true;
    std::weak_ptr<bool> alive = alive_;
    client_.transact(ops, [this, alive](const client::TransactReply& reply) {
        if (!alive.lock()) return;
        publish_in_flight_ = false;
        if (!reply.ok) {
            log("publishing this switch failed: " + reply.error + "; retrying");
            if (!retry_armed_) {
                retry_armed_ = true;
                retry_timer_.expires_after(config_.retry_interval);
                std::weak_ptr<bool> again = alive_;
                retry_timer_.async_wait([this, again](const boost::system::error_code& ec) {
                    if (ec || !again.lock()) return;
                    retry_armed_ = false;
                    apply();
                });
            }
            return;
        }
        // The reply follows the update it caused, so the replica is current: anything
        // still different changed meanwhile.
        publish();
    });
}

PublishedFaults VtepAgent::current_faults() const {
    PublishedFaults faults;
    for (const auto& [key, code] : remote_.switch_faults()) faults.switch_faults.insert(code);
    for (const auto& [port, entries] : remote_.port_faults())
        for (const auto& [key, code] : entries) faults.port_faults[port].insert(code);
    return faults;
}

bool VtepAgent::settled() const {
    return !apply_scheduled_ && !publish_in_flight_ && !remote_.has_pending() && client_.synced() &&
           self_publication_ops(client_, config_, current_faults()).empty();
}

}  // namespace vtep::agent
