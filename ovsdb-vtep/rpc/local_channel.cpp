#include "rpc/local_channel.h"

namespace vtep::rpc {

namespace asio = boost::asio;

std::pair<std::shared_ptr<LocalChannel>, std::shared_ptr<LocalChannel>> LocalChannel::make_pair(
    asio::io_context& io, std::string first_name, std::string second_name) {
    auto first = std::make_shared<LocalChannel>(io, std::move(first_name));
    auto second = std::make_shared<LocalChannel>(io, std::move(second_name));
    first->peer_ = second;
    second->peer_ = first;
    return {first, second};
}

LocalChannel::LocalChannel(asio::io_context& io, std::string name)
    : io_(io), name_(std::move(name)) {}

void LocalChannel::start(MessageHandler on_message, CloseHandler on_close) {
    on_message_ = std::move(on_message);
    on_close_ = std::move(on_close);
    started_ = true;
    if (closed_ || !inbox_.empty()) deliver();
}

void LocalChannel::send(const Json& message) {
    send(Json(message));
}

void LocalChannel::send(Json&& message) {
    if (closed_) return;
    if (auto peer = peer_.lock()) peer->receive(std::move(message));
}

void LocalChannel::receive(Json&& message) {
    if (closed_) return;
    inbox_.push_back(std::move(message));
    deliver();
}

size_t LocalChannel::backlog_bytes() const {
    auto peer = peer_.lock();
    return peer ? peer->inbox_.size() : 0;
}

// Messages and the close notice are handed over from the event loop, in order.
void LocalChannel::deliver() {
    if (!started_ || delivery_posted_) return;
    delivery_posted_ = true;
    asio::post(io_, [self = shared_from_this()] {
        self->delivery_posted_ = false;
        while (!self->inbox_.empty() && !self->close_reported_) {
            Json message = std::move(self->inbox_.front());
            self->inbox_.pop_front();
            if (self->on_message_) self->on_message_(std::move(message));
        }
        if (self->closed_ && !self->close_reported_) {
            self->close_reported_ = true;
            self->inbox_.clear();
            self->on_message_ = nullptr;
            if (auto handler = std::move(self->on_close_)) handler(self->close_reason_);
        }
    });
}

void LocalChannel::end(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    close_reason_ = reason;
    deliver();
}

void LocalChannel::close(const std::string& reason) {
    if (closed_) return;
    inbox_.clear();
    end(reason);
    if (auto peer = peer_.lock()) peer->end("connection closed by peer");
}

}  // namespace vtep::rpc
