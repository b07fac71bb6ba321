// The control socket that Open vSwitch's ovs-appctl talks to: JSON-RPC over a unix
// socket where each request's method is a command name and its params are string
// arguments; the reply's result (or error) is the text ovs-appctl prints.
//   ovs-appctl -t /run/ovsdb-vtep/ovsdb-vtepd.ctl ovsdb-server/list-remotes
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ovsdb/error.h"
#include "rpc/jsonrpc_session.h"

namespace vtep::rpc {

class UnixctlServer {
  public:
    // Returns the text to print, or an error whose details are printed to stderr.
    using Handler = std::function<ovsdb::Result<std::string>(const std::vector<std::string>&)>;

    // Listens on 'path' (a stale socket there is replaced); throws on failure.
    UnixctlServer(asio::io_context& io, std::string path);
    ~UnixctlServer();

    // 'usage' is shown by list-commands ("REMOTE", "[DB]"); args counts are inclusive.
    void add_command(const std::string& name, const std::string& usage, size_t min_args,
                     size_t max_args, Handler handler);
    const std::string& path() const { return path_; }

  private:
    struct Command {
        std::string usage;
        size_t min_args, max_args;
        Handler handler;
    };
    void accept();
    Json execute(const Json& request);

    asio::io_context& io_;
    std::string path_;
    asio::local::stream_protocol::acceptor acceptor_;
    std::map<std::string, Command> commands_;
    std::vector<std::shared_ptr<JsonRpcSession>> sessions_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vtep::rpc
