#include "daemon/config.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/default_config.h"

namespace vtep::daemon {
namespace po = boost::program_options;
using Json = nlohmann::json;

namespace {

size_t line_of(const std::string& text, size_t byte) {
    size_t line = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) line += text[i] == '\n';
    return line;
}

}  // namespace

void apply_config_text(Config& config, const std::string& text, const std::string& origin) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::parse_error& e) {
        throw ConfigError(origin + ":" + std::to_string(line_of(text, e.byte)) +
                          ": invalid JSON: " + e.what());
    }
    if (!j.is_object()) throw ConfigError(origin + ": the configuration must be a JSON object");
    auto fail = [&](const std::string& key, const std::string& why) {
        // nlohmann does not keep positions; find the key's first mention for the line.
        size_t at = text.find("\"" + key + "\"");
        std::string where = at == std::string::npos ? "" : ":" + std::to_string(line_of(text, at));
        throw ConfigError(origin + where + ": \"" + key + "\": " + why);
    };
    for (const auto& [key, value] : j.items()) {
        if (key == "database") {
            if (!value.is_string()) fail(key, "expected a file name");
            config.databases = {value.get<std::string>()};
        } else if (key == "remotes") {
            if (!value.is_array()) fail(key, "expected an array of remotes");
            config.remotes.clear();
            for (const auto& r : value) {
                if (!r.is_string()) fail(key, "each remote must be a string");
                config.remotes.push_back(r.get<std::string>());
            }
        } else if (key == "unixctl") {
            if (!value.is_string()) fail(key, "expected a socket path or \"none\"");
            config.unixctl = value.get<std::string>();
        } else if (key == "pidfile" || key == "log_file") {
            if (!value.is_string()) fail(key, "expected a file name (or \"\" for none)");
            (key == "pidfile" ? config.pidfile : config.log_file) = value.get<std::string>();
        } else if (key == "agent") {
            if (!value.is_object()) fail(key, "expected an object (see conf/agent-example.json)");
            config.agent = value;
            config.agent_origin = origin;
            config.agent_text = text;
            config.agent_from_default = false;
        } else if (key == "dataplane_instance") {
            if (!value.is_string() || value.get<std::string>().empty() ||
                value.get<std::string>().find('/') != std::string::npos)
                fail(key, "expected a name (no '/'), used under /sys/fs/bpf/ovsdb-vtep/");
            config.dataplane_instance = value.get<std::string>();
        } else if (key == "dataplane") {
            if (!value.is_boolean()) fail(key, "expected true or false");
            config.dataplane = value.get<bool>();
        } else if (key == "limits") {
            if (!value.is_object()) fail(key, "expected an object");
            for (const auto& [lk, lv] : value.items()) {
                if (!lv.is_number_unsigned()) fail(lk, "expected a non-negative integer");
                if (lk == "max_message_bytes")
                    config.max_message_bytes = lv.get<size_t>();
                else if (lk == "max_backlog_bytes")
                    config.max_backlog_bytes = lv.get<size_t>();
                else if (lk == "inactivity_probe_ms")
                    config.inactivity_probe = std::chrono::milliseconds(lv.get<int64_t>());
                else if (lk == "max_backoff_ms")
                    config.max_backoff = std::chrono::milliseconds(lv.get<int64_t>());
                else
                    fail(lk,
                         "unknown limit (expected max_message_bytes, max_backlog_bytes, "
                         "inactivity_probe_ms or max_backoff_ms)");
            }
        } else if (key == "tls") {
            if (!value.is_object()) fail(key, "expected an object");
            for (const auto& [tk, tv] : value.items()) {
                if (!tv.is_string()) fail(tk, "expected a string");
                if (tk == "private_key")
                    config.private_key = tv;
                else if (tk == "certificate")
                    config.certificate = tv;
                else if (tk == "ca_cert")
                    config.ca_cert = tv;
                else if (tk == "bootstrap_ca_cert")
                    config.bootstrap_ca_cert = tv;
                else if (tk == "peer_ca_cert")
                    config.peer_ca_cert = tv;
                else if (tk == "protocols")
                    config.ssl_protocols = tv;
                else if (tk == "ciphers")
                    config.ssl_ciphers = tv;
                else
                    fail(tk,
                         "unknown TLS setting (expected private_key, certificate, ca_cert, "
                         "bootstrap_ca_cert, peer_ca_cert, protocols or ciphers)");
            }
        } else {
            fail(key, "unknown setting");
        }
    }
}

Config default_config() {
    Config config;
    apply_config_text(config, kDefaultConfigJson, "embedded default configuration");
    config.agent_from_default = !config.agent.is_null();
    return config;
}

std::string locate_agent_setting(const Config& config, const std::string& json_path) {
    std::string key = json_path;
    if (size_t dot = key.rfind('.'); dot != std::string::npos) key = key.substr(dot + 1);
    if (size_t bracket = key.find('['); bracket != std::string::npos) key.resize(bracket);
    const std::string& text = config.agent_text;
    size_t section = text.find("\"agent\"");
    size_t at = key.empty() || key == "$" || section == std::string::npos
                    ? section
                    : text.find("\"" + key + "\"", section);
    if (at == std::string::npos) at = section;
    if (at == std::string::npos) return config.agent_origin;
    return config.agent_origin + ":" + std::to_string(line_of(text, at));
}

Config parse_command_line(int argc, char** argv) {
    po::options_description options("Options (ovsdb-server compatible where they overlap)");
    options.add_options()("help,h", "print this help and exit")("version,V",
                                                                "print the version and exit")(
        "config", po::value<std::string>(), "JSON configuration file (see conf/ovsdb-vtepd.json)")(
        "remote", po::value<std::vector<std::string>>()->composing(),
        "punix:PATH, ptcp:PORT[:IP], pssl:PORT[:IP], unix:PATH, tcp:IP:PORT, ssl:IP:PORT or "
        "db:DB,TABLE,COLUMN (repeatable)")(
        "pidfile", po::value<std::string>()->implicit_value("/run/ovsdb-vtep/ovsdb-vtepd.pid"),
        "write the process id to FILE")(
        "log-file", po::value<std::string>()->implicit_value("/var/log/ovsdb-vtep/ovsdb-vtepd.log"),
        "log to FILE instead of stderr")("detach", "run in the background")(
        "no-chdir", "accepted for compatibility")("monitor", "accepted for compatibility")(
        "unixctl", po::value<std::string>(), "control socket for ovs-appctl (\"none\": no socket)")(
        "private-key", po::value<std::string>(), "TLS private key file")(
        "certificate", po::value<std::string>(), "TLS certificate file")(
        "ca-cert", po::value<std::string>(), "TLS CA certificate file")(
        "bootstrap-ca-cert", po::value<std::string>(),
        "CA certificate file, fetched from the first controller if missing")(
        "peer-ca-cert", po::value<std::string>(), "CA certificate to send to peers")(
        "ssl-protocols", po::value<std::string>(), "TLSv1.2,TLSv1.3 (the default) or one")(
        "ssl-ciphers", po::value<std::string>(), "OpenSSL cipher list for TLS 1.2")(
        "max-backoff", po::value<long>(), "longest wait in ms between reconnection attempts")(
        "no-dataplane", "serve the database only (no BPF dataplane)")(
        "max-backlog", po::value<size_t>(), "disconnect clients with more unsent bytes")(
        "max-message-size", po::value<size_t>(), "largest accepted request in bytes")(
        "inactivity-probe", po::value<long>(), "milliseconds of silence before probing (0: off)")(
        "verbose,v", po::value<std::vector<std::string>>()->implicit_value({}, "")->composing(),
        "accepted for compatibility");
    po::options_description hidden;
    hidden.add_options()("database", po::value<std::vector<std::string>>(), "database file");
    po::positional_options_description positional;
    positional.add("database", -1);
    po::options_description all;
    all.add(options).add(hidden);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw ConfigError(std::string(e.what()) + " (try --help)");
    }
    if (vm.count("help")) {
        std::cout << "usage: ovsdb-vtepd [OPTIONS] [DATABASE...]\n"
                     "Serves OVSDB databases (hardware_vtep by default). A missing DATABASE file\n"
                     "is created from the built-in hardware_vtep schema. With no DATABASE and\n"
                     "no --remote, the embedded default configuration applies.\n\n"
                  << options << std::endl;
        std::exit(0);
    }
    if (vm.count("version")) {
        std::cout << "ovsdb-vtepd 0.1.0 (hardware_vtep schema 1.7.0)" << std::endl;
        std::exit(0);
    }
    Config config = default_config();
    if (vm.count("config")) {
        std::string path = vm["config"].as<std::string>();
        std::ifstream in(path);
        if (!in) throw ConfigError(path + ": cannot read configuration file");
        std::stringstream ss;
        ss << in.rdbuf();
        apply_config_text(config, ss.str(), path);
        config.config_file = path;
    }
    if (vm.count("database")) config.databases = vm["database"].as<std::vector<std::string>>();
    if (vm.count("remote")) config.remotes = vm["remote"].as<std::vector<std::string>>();
    // Like ovsdb-server: options given on the command line replace the defaults wholesale.
    if (vm.count("database") || vm.count("remote")) {
        if (!vm.count("pidfile")) config.pidfile.clear();
        if (!vm.count("unixctl")) config.unixctl.clear();
        // The embedded agent section describes this machine's switch, not a test server.
        if (config.agent_from_default) config.agent = nullptr;
        if (!vm.count("remote")) config.remotes.clear();
    }
    if (vm.count("pidfile")) config.pidfile = vm["pidfile"].as<std::string>();
    if (vm.count("unixctl")) config.unixctl = vm["unixctl"].as<std::string>();
    if (vm.count("log-file")) config.log_file = vm["log-file"].as<std::string>();
    config.detach = vm.count("detach") > 0;
    if (vm.count("no-dataplane")) config.dataplane = false;
    // TLS files named on the command line replace the configured set as a whole.
    if (vm.count("private-key") || vm.count("certificate") || vm.count("ca-cert") ||
        vm.count("bootstrap-ca-cert")) {
        config.private_key.clear();
        config.certificate.clear();
        config.ca_cert.clear();
        config.bootstrap_ca_cert.clear();
        config.peer_ca_cert.clear();
    }
    if (vm.count("private-key")) config.private_key = vm["private-key"].as<std::string>();
    if (vm.count("certificate")) config.certificate = vm["certificate"].as<std::string>();
    if (vm.count("ca-cert")) config.ca_cert = vm["ca-cert"].as<std::string>();
    if (vm.count("bootstrap-ca-cert"))
        config.bootstrap_ca_cert = vm["bootstrap-ca-cert"].as<std::string>();
    if (vm.count("peer-ca-cert")) config.peer_ca_cert = vm["peer-ca-cert"].as<std::string>();
    if (vm.count("ssl-protocols")) config.ssl_protocols = vm["ssl-protocols"].as<std::string>();
    if (vm.count("ssl-ciphers")) config.ssl_ciphers = vm["ssl-ciphers"].as<std::string>();
    if (vm.count("max-backoff"))
        config.max_backoff = std::chrono::milliseconds(vm["max-backoff"].as<long>());
    if (vm.count("max-backlog")) config.max_backlog_bytes = vm["max-backlog"].as<size_t>();
    if (vm.count("max-message-size"))
        config.max_message_bytes = vm["max-message-size"].as<size_t>();
    if (vm.count("inactivity-probe"))
        config.inactivity_probe = std::chrono::milliseconds(vm["inactivity-probe"].as<long>());
    return config;
}

}  // namespace vtep::daemon
