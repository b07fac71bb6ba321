// One JSON-RPC conversation with a peer, whatever carries it: a stream (JsonRpcSession,
// JSON text over unix/tcp/ssl) or an in-process pair (LocalChannel: Json values handed
// over on the event loop, no sockets and no text). The OVSDB server and its clients (the
// VTEP agent, tools) are written against this interface only.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace vtep::rpc {

using Json = nlohmann::json;

class MessageChannel {
  public:
    using MessageHandler = std::function<void(Json&&)>;
    using CloseHandler = std::function<void(const std::string& reason)>;

    virtual ~MessageChannel() = default;

    // Starts delivering messages; 'on_close' runs once, from the event loop, when the
    // channel ends for any reason (peer closed, error, close() on either side).
    virtual void start(MessageHandler on_message, CloseHandler on_close) = 0;
    // Queues a message; never blocks and never calls back into the caller.
    virtual void send(const Json& message) = 0;
    // The same, handing the message over: an in-process channel moves it to the peer
    // instead of copying it (a monitor update can hold 100,000 rows).
    virtual void send(Json&& message) { send(static_cast<const Json&>(message)); }
    virtual void close(const std::string& reason) = 0;
    virtual bool closed() const = 0;
    // "unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", "local:NAME": the peer, for logs.
    virtual const std::string& name() const = 0;
    // Bytes (or for local channels, messages) queued but not yet taken by the peer.
    virtual size_t backlog_bytes() const = 0;
};

}  // namespace vtep::rpc
