// The VTEP agent: an OVSDB client of the hardware_vtep database that publishes this
// switch (self_publication.h) and programs the data plane from what the controller
// writes (remote_state.h). The same object runs inside ovsdb-vtepd (over an in-process
// channel) and as `ovsdb-vtep agent` (over a unix socket).
//
//   VtepAgent agent(io, config, dataplane);   // VtepDataplane&, or any DataplaneOps&
//   agent.start(server.connect_local("vtep-agent"));
//   ... on a lost connection, start() again with a new channel: the agent reconciles
//   ... without flushing the data plane, which keeps forwarding meanwhile.
#pragma once

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <functional>
#include <memory>

#include "client/ovsdb_client.h"
#include "vtep/agent_config.h"
#include "vtep/dataplane_ops.h"
#include "vtep/remote_state.h"
#include "vtep/self_publication.h"

namespace vtep::dataplane {
class VtepDataplane;
}

namespace vtep::agent {

class VtepAgent {
  public:
    // Prepares the data plane from the configuration (uplink, tunnel IPs, access ports,
    // attachment); throws dataplane::DataplaneError when that fails.
    VtepAgent(boost::asio::io_context& io, AgentConfig config, dataplane::VtepDataplane& dataplane);
    // Drives 'ops' only (no underlay setup): for tests of the mapping logic.
    VtepAgent(boost::asio::io_context& io, AgentConfig config, DataplaneOps& ops);
    ~VtepAgent();

    // Talks to the database over 'channel' (a first connection or a reconnection).
    void start(std::shared_ptr<rpc::MessageChannel> channel);
    // Applies a new configuration: self-publication follows (ports added or removed).
    void reconfigure(AgentConfig config);
    void set_log(std::function<void(const std::string&)> log);
    // Runs when the database connection ends (the owner reconnects with start()).
    void on_disconnected(std::function<void(const std::string&)> handler) {
        on_disconnected_ = std::move(handler);
    }

    const client::OvsdbClient& client() const { return client_; }
    const RemoteState& remote_state() const { return remote_; }
    const AgentConfig& config() const { return config_; }
    // Nothing waits to be programmed or published (tests wait for this).
    bool settled() const;

  private:
    void subscribe();
    void schedule_apply();
    void apply();
    void publish();
    void update_own_ports();
    PublishedFaults current_faults() const;
    void log(const std::string& message) const;

    boost::asio::io_context& io_;
    AgentConfig config_;
    std::unique_ptr<DataplaneOps> owned_ops_;
    DataplaneOps& ops_;
    client::OvsdbClient client_;
    RemoteState remote_;
    boost::asio::steady_timer settle_timer_;
    boost::asio::steady_timer retry_timer_;
    bool apply_scheduled_ = false;
    bool retry_armed_ = false;
    bool publish_in_flight_ = false;
    std::function<void(const std::string&)> log_;
    std::function<void(const std::string&)> on_disconnected_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vtep::agent
