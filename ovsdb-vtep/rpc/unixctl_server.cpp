#include "rpc/unixctl_server.h"

#include <sys/stat.h>
#include <unistd.h>

namespace vtep::rpc {

UnixctlServer::UnixctlServer(asio::io_context& io, std::string path)
    : io_(io), path_(std::move(path)), acceptor_(io) {
    ::unlink(path_.c_str());
    asio::local::stream_protocol::endpoint ep(path_);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    ::chmod(path_.c_str(), 0750);
    add_command("list-commands", "", 0, 0, [this](const std::vector<std::string>&) {
        std::string text = "The available commands are:\n";
        for (const auto& [name, command] : commands_)
            text += "  " + name + (command.usage.empty() ? "" : " " + command.usage) + "\n";
        return ovsdb::Result<std::string>(text);
    });
    accept();
}

UnixctlServer::~UnixctlServer() {
    *alive_ = false;
    ErrorCode ignored;
    acceptor_.close(ignored);
    for (auto& s : sessions_) s->close("control socket closing");
    ::unlink(path_.c_str());
}

void UnixctlServer::add_command(const std::string& name, const std::string& usage, size_t min_args,
                                size_t max_args, Handler handler) {
    commands_[name] = Command{usage, min_args, max_args, std::move(handler)};
}

void UnixctlServer::accept() {
    acceptor_.async_accept([this, alive = alive_](const ErrorCode& ec,
                                                  asio::local::stream_protocol::socket s) {
        if (!*alive || ec == asio::error::operation_aborted) return;
        if (!ec) {
            int fd = s.release();
            asio::generic::stream_protocol::socket g(
                io_, asio::generic::stream_protocol(AF_UNIX, SOCK_STREAM), fd);
            SessionOptions options;
            options.inactivity_probe = std::chrono::milliseconds(0);
            options.max_message_bytes = 1 << 20;
            auto session = std::make_shared<JsonRpcSession>(
                io_, std::make_unique<SocketTransport>(std::move(g), "unixctl", false), options);
            sessions_.push_back(session);
            std::weak_ptr<JsonRpcSession> weak = session;
            session->start(
                [this, weak](Json&& request) {
                    if (auto s = weak.lock()) s->send(execute(request));
                },
                [this, alive, weak](const std::string&) {
                    if (!*alive) return;
                    auto s = weak.lock();
                    std::erase_if(sessions_, [&](const auto& p) { return p == s || !p; });
                });
        }
        accept();
    });
}

Json UnixctlServer::execute(const Json& request) {
    Json id = request.contains("id") ? request["id"] : Json(nullptr);
    auto error = [&](const std::string& text) {
        return Json{{"error", text.empty() || text.back() == '\n' ? text : text + "\n"},
                    {"result", nullptr},
                    {"id", id}};
    };
    if (!request.contains("method") || !request["method"].is_string())
        return error("request has no method");
    std::string method = request["method"];
    auto it = commands_.find(method);
    if (it == commands_.end())
        return error("\"" + method +
                     "\" is not a valid command (use \"list-commands\" to see a list of valid "
                     "commands)");
    std::vector<std::string> args;
    if (request.contains("params") && request["params"].is_array())
        for (const Json& p : request["params"]) {
            if (!p.is_string()) return error("\"" + method + "\" command has non-string argument");
            args.push_back(p.get<std::string>());
        }
    const Command& command = it->second;
    if (args.size() < command.min_args)
        return error("\"" + method + "\" command requires at least " +
                     std::to_string(command.min_args) + " arguments");
    if (args.size() > command.max_args)
        return error("\"" + method + "\" command takes at most " +
                     std::to_string(command.max_args) + " arguments");
    auto result = command.handler(args);
    if (!result) return error(result.error().details);
    std::string text = *result;
    if (!text.empty() && text.back() != '\n') text += '\n';
    return Json{{"result", text}, {"error", nullptr}, {"id", id}};
}

}  // namespace vtep::rpc
