// ovsdb-vtep agent --db unix:PATH --config FILE [--instance NAME]
// The VTEP agent as its own process: an OVSDB client of ovsdb-vtepd over a unix socket
// that drives the data plane. The connection is retried with backoff (1 s doubling to
// 8 s); while it is down the data plane keeps forwarding on the last state. SIGHUP
// reloads the configuration (a bad one is refused and the running one kept); SIGINT and
// SIGTERM stop the agent and leave the pinned data plane forwarding.
#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "dataplane/vtep/vtep_dataplane.h"
#include "rpc/jsonrpc_session.h"
#include "rpc/transport.h"
#include "vtep/vtep_agent.h"

namespace vtep::cli {

namespace {

namespace asio = boost::asio;

void print_agent_usage(FILE* out) {
    std::fputs(
        "usage: ovsdb-vtep agent --db unix:PATH --config FILE [--instance NAME]\n"
        "  --db unix:PATH    the hardware_vtep database (ovsdb-vtepd's unix socket)\n"
        "  --config FILE     agent configuration (see conf/agent-example.json)\n"
        "  --instance NAME   pin the data plane under /sys/fs/bpf/ovsdb-vtep/NAME and adopt\n"
        "                    what an earlier run left there (default: vtep)\n",
        out);
}

agent::AgentConfig load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw agent::AgentConfigError(path + ": cannot be read");
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw agent::AgentConfigError(path + ": not JSON: " + e.what());
    }
    try {
        return agent::AgentConfig::from_json(json);
    } catch (const agent::AgentConfigError& e) {
        throw agent::AgentConfigError(path + ": " + e.what());
    }
}

void log_line(const std::string& message) {
    std::cerr << "ovsdb-vtep agent: " << message << std::endl;
}

// Keeps one session to the database open, reconnecting with backoff.
class DatabaseConnector {
  public:
    DatabaseConnector(asio::io_context& io, std::string path, agent::VtepAgent& agent)
        : io_(io), path_(std::move(path)), agent_(agent), timer_(io) {
        agent_.on_disconnected([this](const std::string&) { schedule(); });
    }

    void connect() {
        auto socket = std::make_shared<asio::local::stream_protocol::socket>(io_);
        socket->async_connect(
            asio::local::stream_protocol::endpoint(path_),
            [this, socket](const boost::system::error_code& ec) {
                if (ec) {
                    log_line("cannot connect to unix:" + path_ + ": " + ec.message() +
                             "; retrying");
                    return schedule();
                }
                backoff_ = std::chrono::seconds(1);
                int fd = socket->release();
                auto transport = std::make_unique<rpc::SocketTransport>(
                    asio::generic::stream_protocol::socket(
                        io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd),
                    "unix:" + path_, false);
                agent_.start(std::make_shared<rpc::JsonRpcSession>(io_, std::move(transport),
                                                                   rpc::SessionOptions{}));
            });
    }

  private:
    void schedule() {
        timer_.expires_after(backoff_);
        backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(8000));
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) connect();
        });
    }

    asio::io_context& io_;
    std::string path_;
    agent::VtepAgent& agent_;
    asio::steady_timer timer_;
    std::chrono::milliseconds backoff_{1000};
};

}  // namespace

int run_agent(int argc, char** argv) {
    std::string db, config_path, instance = "vtep";
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](const char* name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "ovsdb-vtep agent: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--db") {
            db = value("--db");
        } else if (arg == "--config") {
            config_path = value("--config");
        } else if (arg == "--instance") {
            instance = value("--instance");
        } else if (arg == "--help" || arg == "-h") {
            print_agent_usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "ovsdb-vtep agent: unknown option '%s'\n", arg.c_str());
            print_agent_usage(stderr);
            return 2;
        }
    }
    if (db.rfind("unix:", 0) != 0 || config_path.empty()) {
        std::fprintf(stderr, "ovsdb-vtep agent: --db unix:PATH and --config FILE are required\n");
        print_agent_usage(stderr);
        return 2;
    }
    try {
        agent::AgentConfig config = load_config(config_path);
        dataplane::OpenOptions options;
        options.instance = instance;
        dataplane::VtepDataplane dataplane(options);
        if (dataplane.adopted()) log_line("adopted the pinned data plane of instance " + instance);
        asio::io_context io;
        agent::VtepAgent agent(io, std::move(config), dataplane);
        agent.set_log(log_line);
        DatabaseConnector connector(io, db.substr(5), agent);
        connector.connect();

        asio::signal_set stop(io, SIGINT, SIGTERM);
        stop.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
        asio::signal_set reload(io, SIGHUP);
        std::function<void()> wait_reload = [&] {
            reload.async_wait([&](const boost::system::error_code& ec, int) {
                if (ec) return;
                try {
                    agent.reconfigure(load_config(config_path));
                    log_line("configuration reloaded");
                } catch (const std::exception& e) {
                    log_line(std::string("configuration refused, keeping the running one: ") +
                             e.what());
                }
                wait_reload();
            });
        };
        wait_reload();
        io.run();
        log_line("stopping; the data plane keeps forwarding");
        return 0;
    } catch (const std::exception& e) {
        log_line(e.what());
        return 1;
    }
}

}  // namespace vtep::cli
