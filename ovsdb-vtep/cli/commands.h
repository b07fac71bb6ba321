// Entry points of the operator tool's subcommands. argv[0] is the subcommand's own name
// (e.g. "vtep" for "ovsdb-vtep replay vtep"); each returns the process exit status.
#pragma once

namespace vtep::cli {

int run_replay_vtep(int argc, char** argv);    // ovsdb-vtep replay vtep ...
int run_replay_lwaftr(int argc, char** argv);  // ovsdb-vtep replay lwaftr ...
int run_lwaftr(int argc, char** argv);         // ovsdb-vtep lwaftr SUBCOMMAND ...

}  // namespace vtep::cli
