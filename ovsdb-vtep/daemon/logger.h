// The daemon's log: one line per event, "TIMESTAMP|SEQ|MODULE|LEVEL|message" as Open
// vSwitch daemons write it, to stderr or to a file reopened on SIGHUP (for logrotate).
#pragma once

#include <cstdio>
#include <string>

namespace vtep::daemon {

enum class Level { Info, Warn, Error };

class Logger {
  public:
    static Logger& instance();
    // Logs to 'path' (appending); empty means stderr. Throws on failure to open.
    void open(const std::string& path);
    void reopen();
    void log(Level level, const char* module, const std::string& message);

  private:
    std::string path_;
    FILE* out_ = stderr;
    unsigned long seq_ = 0;
};

inline void log_info(const char* module, const std::string& m) {
    Logger::instance().log(Level::Info, module, m);
}
inline void log_warn(const char* module, const std::string& m) {
    Logger::instance().log(Level::Warn, module, m);
}
inline void log_error(const char* module, const std::string& m) {
    Logger::instance().log(Level::Error, module, m);
}

}  // namespace vtep::daemon
