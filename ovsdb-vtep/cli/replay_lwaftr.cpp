// 'ovsdb-vtep replay lwaftr': not built yet; refuses clearly instead of pretending.
#include <cstdio>

#include "cli/commands.h"

namespace vtep::cli {

int run_replay_lwaftr(int, char**) {
    std::fputs("ovsdb-vtep replay lwaftr: not available in this build\n", stderr);
    return 2;
}

}  // namespace vtep::cli
