#include "daemon/logger.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace vtep::daemon {

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

void Logger::open(const std::string& path) {
    path_ = path;
    reopen();
}

void Logger::reopen() {
    if (path_.empty()) return;
    FILE* f = std::fopen(path_.c_str(), "a");
    if (!f) throw std::runtime_error(path_ + ": cannot open log file: " + std::strerror(errno));
    if (out_ != stderr) std::fclose(out_);
    out_ = f;
}

void Logger::log(Level level, const char* module, const std::string& message) {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    long ms = long(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
    const char* lvl = level == Level::Info ? "INFO" : level == Level::Warn ? "WARN" : "ERR";
    std::fprintf(out_, "%s.%03ldZ|%05lu|%s|%s|%s\n", stamp, ms, ++seq_, module, lvl,
                 message.c_str());
    std::fflush(out_);
}

}  // namespace vtep::daemon
