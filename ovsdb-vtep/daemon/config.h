// ovsdb-vtepd's configuration: the embedded default (conf/ovsdb-vtepd.json), an optional
// --config file in the same JSON form, then command-line options in ovsdb-server's
// syntax, each layer overriding the one before.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace vtep::daemon {

struct Config {
    std::vector<std::string> databases;  // database files
    std::vector<std::string> remotes;
    std::string pidfile;   // empty: none
    std::string log_file;  // empty: stderr
    // ovs-appctl control socket; empty: /run/ovsdb-vtep/ovsdb-vtepd.<pid>.ctl; "none": off.
    std::string unixctl;
    bool detach = false;
    bool dataplane = false;
    // Pins under /sys/fs/bpf/ovsdb-vtep/<instance>/: a restarted daemon adopts them.
    std::string dataplane_instance = "ovsdb-vtepd";
    // The VTEP agent's section (vtep/agent_config.h), as written; null: no agent. Where it
    // came from, to point at the line of a bad setting.
    nlohmann::json agent;
    std::string agent_origin, agent_text;
    bool agent_from_default = false;
    std::string config_file;  // --config, re-read on SIGHUP
    // TLS files (see rpc/tls_context.h). bootstrap_ca_cert names the CA file to fetch
    // from the first controller when it does not exist yet (ovsdb-server's option).
    std::string private_key, certificate, ca_cert, bootstrap_ca_cert, peer_ca_cert;
    std::string ssl_protocols = "TLSv1.2,TLSv1.3";
    std::string ssl_ciphers = "HIGH:!aNULL:!MD5";
    std::chrono::milliseconds max_backoff{8000};  // active remotes' reconnection backoff cap
    size_t max_message_bytes = 64ull << 20;
    size_t max_backlog_bytes = 256ull << 20;
    std::chrono::milliseconds inactivity_probe{5000};
};

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Applies a JSON configuration text; 'origin' names it in errors, which give the line.
void apply_config_text(Config& config, const std::string& text, const std::string& origin);
// The embedded default configuration.
Config default_config();
// "FILE:LINE" for a setting of the agent section named by a JSON path such as
// "$.access_ports[1].name" (the line of that key's first mention inside the section).
std::string locate_agent_setting(const Config& config, const std::string& json_path);
// Parses argv (ovsdb-server-compatible options). Prints help/version and exits for
// --help/--version. Throws ConfigError with a message for the operator.
Config parse_command_line(int argc, char** argv);

}  // namespace vtep::daemon
