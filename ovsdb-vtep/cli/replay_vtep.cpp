// 'ovsdb-vtep replay vtep': not built yet; refuses clearly instead of pretending.
#include <cstdio>

#include "cli/commands.h"

namespace vtep::cli {

int run_replay_vtep(int, char**) {
    std::fputs("ovsdb-vtep replay vtep: not available in this build\n", stderr);
    return 2;
}

}  // namespace vtep::cli
