#include "event_loop.h"

#include <poll.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace vtep::bench {

void run_until(const std::vector<LoopClient*>& clients, const std::function<bool()>& done,
               const std::function<std::uint64_t()>& progress, std::chrono::seconds stall_timeout) {
    std::vector<pollfd> fds(clients.size());
    std::uint64_t last_progress = progress();
    auto last_change = std::chrono::steady_clock::now();
    while (!done()) {
        for (std::size_t i = 0; i < clients.size(); ++i) {
            clients[i]->before_poll();
            RpcConnection& connection = clients[i]->connection();
            if (connection.has_output()) connection.flush();
            fds[i] = {connection.fd(),
                      static_cast<short>(POLLIN | (connection.has_output() ? POLLOUT : 0)), 0};
        }
        if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("poll: ") + strerror(errno));
        }
        for (std::size_t i = 0; i < clients.size(); ++i) {
            RpcConnection& connection = clients[i]->connection();
            if (fds[i].revents & POLLOUT) connection.flush();
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                LoopClient* client = clients[i];
                if (!connection.receive(
                        [client](std::string_view text) { client->on_message(text); })) {
                    throw std::runtime_error("the server closed a connection (client " +
                                             std::to_string(i) +
                                             ") in the middle of the workload; see its log");
                }
            }
        }
        const std::uint64_t now_progress = progress();
        const auto now = std::chrono::steady_clock::now();
        if (now_progress != last_progress) {
            last_progress = now_progress;
            last_change = now;
        } else if (now - last_change > stall_timeout) {
            throw std::runtime_error("no progress for " + std::to_string(stall_timeout.count()) +
                                     " s: the server stopped answering");
        }
    }
}

}  // namespace vtep::bench
