#pragma once

#include <sys/types.h>
#include <chrono>
#include <string>
#include <vector>

namespace vtep::bench {

// A database server started by the benchmark itself, so the start-up clock begins right
// before exec. Stopped with SIGTERM (then SIGKILL) when destroyed.
class ServerProcess {
  public:
    // argv[0] is the program path; stdout and stderr go to output_path.
    ServerProcess(const std::vector<std::string>& argv, const std::string& output_path);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    pid_t pid() const { return pid_; }
    std::chrono::steady_clock::time_point started_at() const { return started_at_; }
    // Throws, with the exit status, if the process has ended.
    void check_running();
    // SIGTERM, wait up to 10 s, then SIGKILL. Returns the wait status.
    int stop();

  private:
    pid_t pid_ = -1;
    std::string program_;
    std::chrono::steady_clock::time_point started_at_;
};

}  // namespace vtep::bench
