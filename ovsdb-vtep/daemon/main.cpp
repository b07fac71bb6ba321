// ovsdb-vtepd: serves the hardware_vtep OVSDB database (and any other given database) to
// controllers and local clients.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <utility>  // before Boost 1.74 asio, which uses std::exchange unincluded

#include <boost/asio.hpp>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "daemon/agent_defaults.h"
#include "daemon/config.h"
#include "daemon/logger.h"
#include "dataplane/vtep/vtep_dataplane.h"
#include "ovsdb/builtin_schemas.h"
#include "ovsdb/storage.h"
#include "rpc/ovsdb_server.h"
#include "rpc/remote_manager.h"
#include "rpc/tls_context.h"
#include "rpc/unixctl_server.h"
#include "vtep/vtep_agent.h"

namespace {

using namespace vtep;
namespace fs = std::filesystem;

void make_parent_dir(const std::string& path) {
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
}

// Tells systemd (Type=notify) that we are serving, when started by it.
void notify_systemd(const char* state) {
    const char* socket_path = std::getenv("NOTIFY_SOCKET");
    if (!socket_path || !*socket_path) return;
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
    ::sendto(fd, state, std::strlen(state), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
}

class Pidfile {
  public:
    explicit Pidfile(std::string path) : path_(std::move(path)) {
        if (path_.empty()) return;
        make_parent_dir(path_);
        std::ofstream out(path_, std::ios::trunc);
        if (!out) throw std::runtime_error(path_ + ": cannot write pidfile");
        out << ::getpid() << "\n";
    }
    ~Pidfile() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }

  private:
    std::string path_;
};

// Forks; the parent returns only once the child reports readiness (or failure).
int detach_and_wait(int& ready_fd) {
    int fds[2];
    if (::pipe(fds) < 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid > 0) {
        ::close(fds[1]);
        char status = 1;
        ssize_t n = ::read(fds[0], &status, 1);
        std::exit(n == 1 && status == 0 ? 0 : 1);
    }
    ::close(fds[0]);
    ::setsid();
    ready_fd = fds[1];
    return 0;
}

using Args = std::vector<std::string>;
using Reply = ovsdb::Result<std::string>;

// The ovs-appctl commands ovsdb-server offers that make sense here, same names.
void register_control_commands(rpc::UnixctlServer& ctl, boost::asio::io_context& io,
                               rpc::OvsdbServer& server, rpc::RemoteManager& remotes) {
    ctl.add_command("exit", "", 0, 0, [&io](const Args&) -> Reply {
        daemon::log_info("daemon", "exiting on ovs-appctl exit");
        boost::asio::post(io, [&io] { io.stop(); });
        return std::string();
    });
    ctl.add_command("version", "", 0, 0, [](const Args&) -> Reply {
        return std::string("ovsdb-vtepd 0.1.0 (hardware_vtep schema 1.7.0)");
    });
    ctl.add_command("vlog/reopen", "", 0, 0, [](const Args&) -> Reply {
        daemon::Logger::instance().reopen();
        return std::string();
    });
    ctl.add_command("ovsdb-server/list-remotes", "", 0, 0, [&remotes](const Args&) -> Reply {
        std::string text;
        for (const auto& r : remotes.configured()) text += r + "\n";
        return text;
    });
    ctl.add_command("ovsdb-server/add-remote", "REMOTE", 1, 1, [&remotes](const Args& a) -> Reply {
        if (auto ok = remotes.add(a[0]); !ok) return ok.error();
        return std::string();
    });
    ctl.add_command("ovsdb-server/remove-remote", "REMOTE", 1, 1,
                    [&remotes](const Args& a) -> Reply {
                        if (auto ok = remotes.remove(a[0]); !ok) return ok.error();
                        return std::string();
                    });
    ctl.add_command("ovsdb-server/list-dbs", "", 0, 0, [&server](const Args&) -> Reply {
        std::string text;
        for (const auto& name : server.database_names()) text += name + "\n";
        return text;
    });
    ctl.add_command("ovsdb-server/compact", "[DB]", 0, 1, [&server](const Args& a) -> Reply {
        if (auto ok = server.compact(a.empty() ? "" : a[0]); !ok) return ok.error();
        return std::string();
    });
    ctl.add_command("ovsdb-server/reconnect", "", 0, 0, [&server](const Args&) -> Reply {
        server.disconnect_all("reconnect requested with ovs-appctl");
        return std::string();
    });
    ctl.add_command("memory/show", "", 0, 0, [&server](const Args&) -> Reply {
        return "sessions:" + std::to_string(server.session_count()) +
               " monitors:" + std::to_string(server.monitor_count());
    });
}

// The agent's configuration from the daemon's: defaults from this machine filled in,
// errors pointing at the file and line. Null when the agent cannot run (logged).
std::optional<agent::AgentConfig> agent_config_of(const daemon::Config& config) {
    nlohmann::json section = config.agent;
    bool usable = true;
    std::string note = daemon::fill_agent_defaults(section, usable);
    if (!note.empty()) (usable ? daemon::log_info : daemon::log_warn)("agent", note);
    if (!usable) return std::nullopt;
    try {
        return agent::AgentConfig::from_json(section);
    } catch (const agent::AgentConfigError& e) {
        std::string what = e.what();
        std::string path = what.substr(0, what.find(':'));
        throw daemon::ConfigError(daemon::locate_agent_setting(config, path) + ": agent " + what);
    }
}

// The VTEP agent inside the daemon: the dataplane (pinned, so a restart adopts it) and
// an OVSDB client of this server over an in-process channel, reconnected if it drops.
class InProcessAgent {
  public:
    InProcessAgent(boost::asio::io_context& io, rpc::OvsdbServer& server, agent::AgentConfig config,
                   const std::string& instance)
        : io_(io), server_(server) {
        dataplane::OpenOptions options;
        options.instance = instance;
        dataplane_ = std::make_unique<dataplane::VtepDataplane>(options);
        daemon::log_info("dataplane",
                         std::string(dataplane_->adopted() ? "adopted the pinned dataplane in "
                                                           : "loaded the dataplane, pinned in ") +
                             dataplane_->pin_dir());
        agent_ = std::make_unique<agent::VtepAgent>(io, std::move(config), *dataplane_);
        agent_->set_log([](const std::string& m) { daemon::log_info("agent", m); });
        agent_->on_disconnected([this, alive = alive_](const std::string& why) {
            daemon::log_warn("agent", "database session ended (" + why + "); reconnecting");
            boost::asio::post(io_, [this, alive] {
                if (*alive) connect();
            });
        });
        connect();
    }
    ~InProcessAgent() { *alive_ = false; }
    void reconfigure(agent::AgentConfig config) { agent_->reconfigure(std::move(config)); }

  private:
    void connect() { agent_->start(server_.connect_local("vtep-agent")); }

    boost::asio::io_context& io_;
    rpc::OvsdbServer& server_;
    std::unique_ptr<dataplane::VtepDataplane> dataplane_;
    std::unique_ptr<agent::VtepAgent> agent_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// SIGHUP: reopen the log and re-read --config; a bad file is refused with its line and
// the running configuration stays. Only the agent's section applies without restart.
void reload(const daemon::Config& running, InProcessAgent* agent) {
    daemon::Logger::instance().reopen();
    if (running.config_file.empty()) return;
    try {
        daemon::Config next = daemon::default_config();
        std::ifstream in(running.config_file);
        if (!in)
            throw daemon::ConfigError(running.config_file + ": cannot read configuration file");
        std::stringstream text;
        text << in.rdbuf();
        daemon::apply_config_text(next, text.str(), running.config_file);
        if (!agent) {
            daemon::log_info("daemon", running.config_file + ": re-read (no agent running)");
            return;
        }
        if (auto config = agent_config_of(next)) {
            agent->reconfigure(std::move(*config));
            daemon::log_info("daemon", running.config_file + ": agent configuration reloaded");
        }
    } catch (const std::exception& e) {
        daemon::log_error("daemon", std::string("reload refused, keeping the running "
                                                "configuration: ") +
                                        e.what());
    }
}

int run(const daemon::Config& config, int ready_fd) {
    using daemon::log_info;
    using daemon::log_warn;
    boost::asio::io_context io;
    rpc::SessionOptions options;
    options.max_message_bytes = config.max_message_bytes;
    options.max_backlog_bytes = config.max_backlog_bytes;
    options.inactivity_probe = config.inactivity_probe;
    rpc::OvsdbServer server(io, options);
    server.set_log([](const std::string& m) { log_info("remote", m); });

    auto vtep_schema =
        ovsdb::DatabaseSchema::from_json(nlohmann::json::parse(ovsdb::kVtepSchemaJson));
    if (!vtep_schema)
        throw std::runtime_error("built-in schema: " + vtep_schema.error().to_string());
    if (config.databases.empty()) throw std::runtime_error("no database file to serve");
    for (const std::string& path : config.databases) {
        if (!fs::exists(path)) {
            make_parent_dir(path);
            log_info("storage", path + ": creating from the built-in hardware_vtep schema");
        }
        auto storage = ovsdb::Storage::open(path, *vtep_schema,
                                            [](const std::string& w) { log_warn("storage", w); });
        log_info("storage", path + ": serving database " + storage->database().name());
        server.add_database(std::move(storage));
    }

    std::unique_ptr<rpc::TlsContextSource> tls;
    if (!config.private_key.empty() || !config.certificate.empty() || !config.ca_cert.empty() ||
        !config.bootstrap_ca_cert.empty()) {
        rpc::TlsSettings settings;
        settings.private_key = config.private_key;
        settings.certificate = config.certificate;
        settings.ca_cert =
            config.bootstrap_ca_cert.empty() ? config.ca_cert : config.bootstrap_ca_cert;
        settings.bootstrap_ca_cert = !config.bootstrap_ca_cert.empty();
        settings.peer_ca_cert = config.peer_ca_cert;
        settings.protocols = config.ssl_protocols;
        settings.ciphers = config.ssl_ciphers;
        if (auto ok = rpc::check_tls_protocols(settings.protocols); !ok)
            throw std::runtime_error(ok.error().details);
        tls = std::make_unique<rpc::TlsContextSource>(
            settings, [](const std::string& m) { log_warn("tls", m); });
    }
    rpc::RemoteOptions remote_options;
    remote_options.max_backoff = config.max_backoff;
    rpc::RemoteManager remotes(io, server, tls.get(), remote_options);
    for (const std::string& text : config.remotes) {
        if (text.rfind("punix:", 0) == 0) make_parent_dir(text.substr(6));
        if (auto ok = remotes.add(text); !ok) throw std::runtime_error(ok.error().details);
    }
    Pidfile pidfile(config.pidfile);

    std::unique_ptr<rpc::UnixctlServer> unixctl;
    if (config.unixctl != "none") {
        std::string path = config.unixctl.empty() ? "/run/ovsdb-vtep/ovsdb-vtepd." +
                                                        std::to_string(::getpid()) + ".ctl"
                                                  : config.unixctl;
        make_parent_dir(path);
        try {
            unixctl = std::make_unique<rpc::UnixctlServer>(io, path);
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error(path +
                                     ": cannot create control socket: " + e.code().message());
        }
        register_control_commands(*unixctl, io, server, remotes);
        log_info("daemon",
                 "control socket " + path + " (ovs-appctl -t " + path + " list-commands)");
    }

    std::unique_ptr<InProcessAgent> vtep_agent;
    if (config.dataplane && !config.agent.is_null()) {
        if (auto agent_config = agent_config_of(config))
            vtep_agent = std::make_unique<InProcessAgent>(io, server, std::move(*agent_config),
                                                          config.dataplane_instance);
    } else {
        log_info("daemon", config.dataplane ? "no agent section: serving the database only"
                                            : "dataplane off: serving the database only");
    }

    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            if (signo == SIGHUP) {
                reload(config, vtep_agent.get());
                signals.async_wait(on_signal);
                return;
            }
            log_info("daemon", std::string("received ") + strsignal(signo) + ", exiting");
            io.stop();
        };
    signals.async_wait(on_signal);
    ::signal(SIGPIPE, SIG_IGN);

    if (ready_fd >= 0) {  // --detach: the parent exits successfully only now
        char ok = 0;
        (void)::write(ready_fd, &ok, 1);
        ::close(ready_fd);
    }
    notify_systemd("READY=1");
    log_info("daemon", "ovsdb-vtepd ready");
    io.run();
    notify_systemd("STOPPING=1");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    daemon::Config config;
    try {
        config = daemon::parse_command_line(argc, argv);
        daemon::Logger::instance().open(config.log_file);
    } catch (const std::exception& e) {
        std::cerr << "ovsdb-vtepd: " << e.what() << std::endl;
        return 1;
    }
    int ready_fd = -1;
    if (config.detach) detach_and_wait(ready_fd);
    try {
        return run(config, ready_fd);
    } catch (const std::exception& e) {
        daemon::log_error("daemon", e.what());
        std::cerr << "ovsdb-vtepd: " << e.what() << std::endl;
        return 1;
    }
}
