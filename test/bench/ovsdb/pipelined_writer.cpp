#include "pipelined_writer.h"

#include <stdexcept>

#include "transact_reply.h"

namespace vtep::bench {

PipelinedWriter::PipelinedWriter(RpcConnection& connection, std::vector<PreparedRequest> requests,
                                 std::size_t window)
    : connection_(connection),
      requests_(std::move(requests)),
      answered_(requests_.size(), false),
      window_(window == 0 ? 1 : window) {}

void PipelinedWriter::before_poll() {
    while (next_to_send_ < requests_.size() && next_to_send_ - replies_ < window_) {
        connection_.queue(requests_[next_to_send_].text);
        ++next_to_send_;
    }
}

void PipelinedWriter::on_message(std::string_view text) {
    auto message = nlohmann::json::parse(text);
    if (auto echo = echo_reply_for(message)) {
        connection_.queue(*echo);
        return;
    }
    auto id = message.find("id");
    if (id == message.end() || !id->is_number_unsigned() || *id >= requests_.size() ||
        answered_[id->get<std::size_t>()] || id->get<std::size_t>() >= next_to_send_) {
        throw std::runtime_error("unexpected message on the writer connection: " +
                                 std::string(text.substr(0, 300)));
    }
    const std::size_t index = id->get<std::size_t>();
    answered_[index] = true;
    const std::size_t inserted = count_inserted_rows(message, requests_[index].operations);
    if (inserted != requests_[index].operations) {
        throw TransactError("transact " + std::to_string(index) + " inserted " +
                            std::to_string(inserted) + " of " +
                            std::to_string(requests_[index].operations) + " rows");
    }
    rows_inserted_ += inserted;
    if (++replies_ == requests_.size()) finished_at_ = std::chrono::steady_clock::now();
}

}  // namespace vtep::bench
