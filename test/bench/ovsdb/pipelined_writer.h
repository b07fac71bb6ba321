#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "event_loop.h"
#include "vtep_rows.h"

namespace vtep::bench {

// Sends pre-serialised transact requests with at most `window` unanswered at a time, so
// round trips overlap, and checks every reply for errors.
class PipelinedWriter : public LoopClient {
  public:
    PipelinedWriter(RpcConnection& connection, std::vector<PreparedRequest> requests,
                    std::size_t window);

    RpcConnection& connection() override { return connection_; }
    void before_poll() override;
    void on_message(std::string_view text) override;

    bool finished() const { return replies_ == requests_.size(); }
    std::uint64_t replies() const { return replies_; }
    std::uint64_t rows_inserted() const { return rows_inserted_; }
    // When the last reply arrived.
    std::chrono::steady_clock::time_point finished_at() const { return finished_at_; }

  private:
    RpcConnection& connection_;
    std::vector<PreparedRequest> requests_;
    std::vector<bool> answered_;
    std::size_t window_;
    std::size_t next_to_send_ = 0;
    std::uint64_t replies_ = 0;
    std::uint64_t rows_inserted_ = 0;
    std::chrono::steady_clock::time_point finished_at_;
};

}  // namespace vtep::bench
