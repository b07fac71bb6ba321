#!/usr/bin/python3
"""ovs-appctl against ovsdb-vtepd's control socket (--unixctl): the ovsdb-server commands
an operator scripts with (list-remotes, add-remote, remove-remote, list-dbs, compact,
reconnect, exit) behave as they do on ovsdb-server."""

import argparse
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Suite, wait_for  # noqa: E402
from jsonrpc import Client  # noqa: E402
from servers import Server, add_server_arguments, free_tcp_port  # noqa: E402

APPCTL = "/usr/bin/ovs-appctl"


def appctl(server, *args, ok=True):
    result = subprocess.run([APPCTL, "-t", os.path.join(server.dir, "ctl.sock")] + list(args),
                            capture_output=True, text=True, timeout=10)
    if ok and result.returncode != 0:
        raise AssertionError("ovs-appctl %s failed: %s" % (" ".join(args), result.stderr))
    return result


def can_connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    args = parser.parse_args()
    suite = Suite("test_appctl")

    @suite.test
    def list_commands_names_the_ovsdb_server_commands():
        with Server(args.server, tcp=False) as s:
            text = appctl(s, "list-commands").stdout
            for name in ("exit", "version", "ovsdb-server/add-remote",
                         "ovsdb-server/remove-remote", "ovsdb-server/list-remotes",
                         "ovsdb-server/list-dbs", "ovsdb-server/compact",
                         "ovsdb-server/reconnect"):
                assert name in text, (name, text)
            bad = appctl(s, "no/such-command", ok=False)
            assert bad.returncode != 0 and "not a valid command" in bad.stderr, bad

    @suite.test
    def remotes_are_added_and_removed_at_run_time():
        with Server(args.server, tcp=False) as s:
            assert appctl(s, "ovsdb-server/list-remotes").stdout == "punix:%s\n" % s.socket_path
            port = free_tcp_port()
            remote = "ptcp:%d:127.0.0.1" % port
            appctl(s, "ovsdb-server/add-remote", remote)
            listed = appctl(s, "ovsdb-server/list-remotes").stdout.split()
            assert sorted(listed) == sorted([remote, "punix:" + s.socket_path]), listed
            with Client("tcp:127.0.0.1:%d" % port) as c:
                assert "hardware_vtep" in c.call("list_dbs", [])["result"]
            appctl(s, "ovsdb-server/remove-remote", remote)
            wait_for(lambda: not can_connect(port), what="the listener to close")
            missing = appctl(s, "ovsdb-server/remove-remote", remote, ok=False)
            assert missing.returncode != 0 and remote in missing.stderr, missing
            bad = appctl(s, "ovsdb-server/add-remote", "nonsense", ok=False)
            assert bad.returncode != 0, bad

    @suite.test
    def list_dbs_and_compact():
        with Server(args.server, tcp=False) as s:
            assert "hardware_vtep" in appctl(s, "ovsdb-server/list-dbs").stdout.split()
            with Client(s.unix_remote) as c:
                for i in range(300):
                    for op in ({"op": "insert", "table": "Global",
                                "row": {"other_config": ["map", [["k", "v%d" % i]]]}},
                               {"op": "delete", "table": "Global", "where": []}):
                        reply = c.call("transact", ["hardware_vtep", op])
                        assert "error" not in reply["result"][0], reply
            before = os.path.getsize(s.db_files[0])
            appctl(s, "ovsdb-server/compact", "hardware_vtep")
            wait_for(lambda: os.path.getsize(s.db_files[0]) < before / 4,
                     what="the file to be compacted")
            bad = appctl(s, "ovsdb-server/compact", "nope", ok=False)
            assert bad.returncode != 0, bad

    @suite.test
    def reconnect_drops_clients_and_exit_stops_the_server():
        with Server(args.server, tcp=False) as s:
            c = Client(s.unix_remote)
            c.call("echo", [])
            appctl(s, "ovsdb-server/reconnect")
            try:
                c.sock.settimeout(5)
                assert c.sock.recv(1) == b"", "expected the server to close the session"
            finally:
                c.close()
            appctl(s, "exit")
            wait_for(lambda: s.process.poll() is not None, what="the server to exit")
            assert s.process.returncode == 0, s.process.returncode
            assert not os.path.exists(s.pidfile)

    return suite.run()


if __name__ == "__main__":
    sys.exit(main())
