#pragma once

#include <sys/types.h>
#include <string>

namespace vtep::bench {

// A "Vm..." line of /proc/<pid>/status in KiB, e.g. "VmHWM" (peak resident set) or
// "VmRSS". Throws when the process or the field does not exist.
long read_process_kib(pid_t pid, const std::string& field);

// User plus system CPU time the process has used, from /proc/<pid>/stat. Unlike wall
// time it barely moves when other processes compete for the CPUs.
double read_process_cpu_seconds(pid_t pid);

// CPU time this process (the load generator) has used, to show it is not the bottleneck.
double own_cpu_seconds();

}  // namespace vtep::bench
