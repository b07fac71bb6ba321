#include "rpc_connection.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace vtep::bench {
namespace {

int connect_unix(const std::string& socket_path, int& error) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        throw std::runtime_error("socket path too long for a unix socket (max " +
                                 std::to_string(sizeof address.sun_path - 1) +
                                 " bytes): " + socket_path);
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket(AF_UNIX): ") + strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        error = errno;
        ::close(fd);
        return -1;
    }
    // Non-blocking only after connecting, so connect() itself completes or fails at once.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

}  // namespace

RpcConnection::RpcConnection(const std::string& socket_path) {
    int error = 0;
    fd_ = connect_unix(socket_path, error);
    if (fd_ < 0) {
        throw std::runtime_error("cannot connect to " + socket_path + ": " + strerror(error) +
                                 " (is the server running with --remote=punix:" + socket_path +
                                 "?)");
    }
}

std::optional<RpcConnection> RpcConnection::try_connect(const std::string& socket_path) {
    int error = 0;
    int fd = connect_unix(socket_path, error);
    if (fd < 0) return std::nullopt;
    return RpcConnection(fd);
}

RpcConnection::RpcConnection(RpcConnection&& other) noexcept
    : fd_(other.fd_),
      outgoing_(std::move(other.outgoing_)),
      sent_(other.sent_),
      splitter_(std::move(other.splitter_)),
      next_call_id_(other.next_call_id_) {
    other.fd_ = -1;
}

RpcConnection::~RpcConnection() {
    if (fd_ >= 0) ::close(fd_);
}

bool RpcConnection::flush() {
    while (sent_ < outgoing_.size()) {
        ssize_t n = ::send(fd_, outgoing_.data() + sent_, outgoing_.size() - sent_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("sending to the server failed: ") +
                                     strerror(errno));
        }
        sent_ += static_cast<std::size_t>(n);
    }
    outgoing_.clear();
    sent_ = 0;
    return true;
}

bool RpcConnection::receive(const std::function<void(std::string_view)>& on_message) {
    char buffer[256 * 1024];
    for (;;) {
        ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n == 0) return false;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
            if (errno == EINTR) continue;
            if (errno == ECONNRESET) return false;
            throw std::runtime_error(std::string("receiving from the server failed: ") +
                                     strerror(errno));
        }
        splitter_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        for (auto text = splitter_.next(); !text.empty(); text = splitter_.next()) {
            on_message(text);
        }
    }
}

nlohmann::json RpcConnection::call(const std::string& method, const nlohmann::json& params,
                                   std::chrono::milliseconds timeout) {
    const long id = next_call_id_++;
    queue(nlohmann::json{{"method", method}, {"params", params}, {"id", id}}.dump());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<nlohmann::json> reply;
    while (!reply) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            throw std::runtime_error("no reply to " + method + " within " +
                                     std::to_string(timeout.count()) + " ms");
        }
        pollfd p{fd_, static_cast<short>(POLLIN | (has_output() ? POLLOUT : 0)), 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        if (::poll(&p, 1, static_cast<int>(left.count()) + 1) < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("poll: ") + strerror(errno));
        }
        if (p.revents & POLLOUT) flush();
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            bool open = receive([&](std::string_view text) {
                auto message = nlohmann::json::parse(text);
                if (auto echo = echo_reply_for(message)) {
                    queue(*echo);
                } else if (message.contains("id") && message["id"] == id) {
                    reply = std::move(message);
                }
            });
            if (!reply && !open) {
                throw ConnectionClosed("the server closed the connection before answering " +
                                       method);
            }
        }
    }
    if (reply->contains("error") && !(*reply)["error"].is_null()) {
        throw std::runtime_error(method + " failed: " + (*reply)["error"].dump());
    }
    return std::move((*reply)["result"]);
}

std::optional<std::string> echo_reply_for(const nlohmann::json& message) {
    auto method = message.find("method");
    if (method == message.end() || *method != "echo") return std::nullopt;
    return nlohmann::json{{"id", message.value("id", nlohmann::json())},
                          {"result", message.value("params", nlohmann::json::array())},
                          {"error", nullptr}}
        .dump();
}

}  // namespace vtep::bench
