#pragma once

#include <sys/types.h>
#include <string>

namespace vtep::bench {

// A "Vm..." line of /proc/<pid>/status in KiB, e.g. "VmHWM" (peak resident set) or
// "VmRSS". Throws when the process or the field does not exist.
long read_process_kib(pid_t pid, const std::string& field);

}  // namespace vtep::bench
