#include "process_memory.h"

#include <fstream>
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

}  // namespace vtep::bench
