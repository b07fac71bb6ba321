#include "process_status.h"

#include <sys/resource.h>
#include <unistd.h>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vtep::bench {

long read_process_kib(pid_t pid, const std::string& field) {
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    std::ifstream status(path);
    if (!status) throw std::runtime_error("cannot read " + path + " (has the server exited?)");
    std::string line;
    const std::string prefix = field + ":";
    while (std::getline(status, line)) {
        if (line.compare(0, prefix.size(), prefix) == 0) {
            return std::stol(line.substr(prefix.size()));  // "   123456 kB"
        }
    }
    throw std::runtime_error(path + " has no " + field + " line");
}

double read_process_cpu_seconds(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream stat(path);
    std::string text;
    if (!stat || !std::getline(stat, text)) {
        throw std::runtime_error("cannot read " + path + " (has the server exited?)");
    }
    // The command name may hold spaces; the fields after its closing ')' are fixed:
    // state(3) ... utime(14) stime(15).
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string skipped;
    for (int field = 3; field < 14; ++field) fields >> skipped;
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    if (!fields) throw std::runtime_error("cannot parse " + path);
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace vtep::bench
