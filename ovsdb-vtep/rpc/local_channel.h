// An in-process MessageChannel pair: what one end sends, the other receives as a Json
// value on the next turn of the event loop (never from inside send(), like a socket).
// The daemon runs its VTEP agent as a client of its own OVSDB server over such a pair.
#pragma once

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <deque>
#include <memory>

#include "rpc/message_channel.h"

namespace vtep::rpc {

class LocalChannel : public MessageChannel, public std::enable_shared_from_this<LocalChannel> {
  public:
    // Two connected ends, named for logs.
    static std::pair<std::shared_ptr<LocalChannel>, std::shared_ptr<LocalChannel>> make_pair(
        boost::asio::io_context& io, std::string first_name, std::string second_name);

    LocalChannel(boost::asio::io_context& io, std::string name);

    void start(MessageHandler on_message, CloseHandler on_close) override;
    void send(const Json& message) override;
    void send(Json&& message) override;
    void close(const std::string& reason) override;
    bool closed() const override { return closed_; }
    const std::string& name() const override { return name_; }
    // Messages sent by this end and not yet delivered to the peer.
    size_t backlog_bytes() const override;

  private:
    void receive(Json&& message);
    void deliver();
    void end(const std::string& reason);

    boost::asio::io_context& io_;
    std::string name_;
    std::weak_ptr<LocalChannel> peer_;
    MessageHandler on_message_;
    CloseHandler on_close_;
    std::deque<Json> inbox_;
    bool started_ = false;
    bool delivery_posted_ = false;
    bool closed_ = false;
    bool close_reported_ = false;
    std::string close_reason_;
};

}  // namespace vtep::rpc
