#!/usr/bin/python3
"""Start an OVSDB server (ovsdb-server or ovsdb-vtepd) for a test, and clean up after it.

Both kinds get the same ovsdb-server-style command line: the database files as positional
arguments (each made with `ovsdb-tool create` from a schema), `--remote=punix:PATH`,
`--remote=ptcp:PORT:127.0.0.1`, `--pidfile=`, `--log-file=` and `--unixctl=`, all inside a
fresh temporary directory. The server runs in the foreground as our child process.

Run directly it checks itself: `servers.py --server=PATH`.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VTEP_SCHEMA = os.path.join(REPO_ROOT, "schemas", "vtep.ovsschema")
TEST_SCHEMA = os.path.join(HERE, "corpus", "test.ovsschema")
VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
OVSDB_TOOL = shutil.which("ovsdb-tool") or "/usr/bin/ovsdb-tool"

# Short names the corpus and the tests use for the schemas they need.
SCHEMAS = {"vtep": VTEP_SCHEMA, "test": TEST_SCHEMA, "vswitch": VSWITCH_SCHEMA}

START_TIMEOUT = 10.0
ANSWER_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0


class ServerError(RuntimeError):
    pass


def free_tcp_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def schema_path(name_or_path):
    return SCHEMAS.get(name_or_path, name_or_path)


def schema_db_name(path):
    with open(path) as f:
        return json.load(f)["name"]


class Server:
    """One server process with its own directory, databases and sockets.

    Use as a context manager; `unix_remote` / `tcp_remote` are the client-side addresses
    ("unix:PATH", "tcp:127.0.0.1:PORT").
    """

    def __init__(self, binary, schemas=("vtep",), tcp=True, extra_args=(), keep=False):
        self.binary = binary
        self.schemas = [schema_path(s) for s in schemas]
        self.tcp = tcp
        self.extra_args = list(extra_args)
        self.keep = keep
        self.dir = None
        self.process = None
        self.tcp_port = None
        self.db_files = []
        self.db_names = []

    # Paths inside the server's directory.
    def _path(self, name):
        return os.path.join(self.dir, name)

    @property
    def socket_path(self):
        return self._path("db.sock")

    @property
    def unix_remote(self):
        return "unix:" + self.socket_path

    @property
    def tcp_remote(self):
        return "tcp:127.0.0.1:%d" % self.tcp_port

    @property
    def log_path(self):
        return self._path("server.log")

    @property
    def pidfile(self):
        return self._path("server.pid")

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ovsdb-interop-%d-" % os.getpid())
        if len(self.socket_path) > 100:
            # A unix socket path must fit in sun_path (108 bytes): a long TMPDIR won't do.
            os.rmdir(self.dir)
            self.dir = tempfile.mkdtemp(prefix="ovsdb-interop-%d-" % os.getpid(), dir="/tmp")
        for index, schema in enumerate(self.schemas):
            name = schema_db_name(schema)
            db_file = self._path("%d-%s.db" % (index, name))
            result = subprocess.run([OVSDB_TOOL, "create", db_file, schema],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise ServerError("ovsdb-tool create %s %s failed: %s" %
                                  (db_file, schema, result.stderr.strip()))
            self.db_files.append(db_file)
            self.db_names.append(name)
        self.launch()
        return self

    def launch(self):
        """Starts the server process on the existing database files."""
        command = [self.binary] + self.db_files + [
            "--remote=punix:" + self.socket_path,
            "--pidfile=" + self.pidfile,
            "--log-file=" + self._path("log-file.log"),
            "--unixctl=" + self._path("ctl.sock"),
        ]
        if self.tcp:
            self.tcp_port = free_tcp_port()
            command.append("--remote=ptcp:%d:127.0.0.1" % self.tcp_port)
        command += self.extra_args
        self.command = command
        self._stderr = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=self.dir, stdin=subprocess.DEVNULL,
                                        stdout=self._stderr, stderr=self._stderr)
        self._wait_until_listening()
        self._check_answering()

    def restart(self):
        """Stops the server and starts it again on the same database files."""
        status = self.halt()
        self.launch()
        return status

    def _can_connect(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(self.socket_path)
            if self.tcp:
                with socket.create_connection(("127.0.0.1", self.tcp_port), timeout=1):
                    pass
            return True
        except OSError:
            return False

    def _wait_until_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        delay = 0.005
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError("%s exited with status %d while starting:\n%s" %
                                  (" ".join(self.command), self.process.returncode,
                                   self.log_text()))
            if self._can_connect():
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        raise ServerError("%s did not listen on %s%s within %.0f s:\n%s" %
                          (" ".join(self.command), self.socket_path,
                           " and port %d" % self.tcp_port if self.tcp else "",
                           START_TIMEOUT, self.log_text()))

    def _check_answering(self):
        """A server that accepts connections but never answers would make every test wait
        out its timeouts; find out now, with one echo."""
        from jsonrpc import Client, Closed, Timeout

        try:
            with Client(self.unix_remote) as client:
                reply = client.call("echo", ["ready?"], timeout=ANSWER_TIMEOUT)
        except (Closed, Timeout, OSError) as error:
            raise ServerError("%s listens on %s but did not answer an echo request within "
                              "%.0f s (%s):\n%s" % (self.binary, self.socket_path,
                                                     ANSWER_TIMEOUT, type(error).__name__,
                                                     self.log_text())) from None
        if reply.get("result") != ["ready?"]:
            raise ServerError("%s answered echo with %r" % (self.binary, reply))

    def log_text(self):
        text = []
        for name in ("server.log", "log-file.log"):
            try:
                with open(self._path(name), errors="replace") as f:
                    content = f.read().strip()
                if content:
                    text.append("--- %s ---\n%s" % (name, content[-4000:]))
            except OSError:
                pass
        return "\n".join(text)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Stops the server and removes its directory; returns its exit status (None if it
        had to be killed)."""
        status = self.halt()
        if self.dir is not None and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        return status

    def halt(self):
        """Stops the server process only, keeping its files; returns its exit status."""
        status = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    status = self.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            else:
                status = self.process.returncode
            self._stderr.close()
            self.process = None
        return status

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


def executable(path):
    """argparse type: a program we can run, so a wrong path fails at once and clearly."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise argparse.ArgumentTypeError("%s is not an executable file (build ovsdb-vtepd "
                                         "first, or give the path of ovsdb-server)" % path)
    return os.path.abspath(path)


def add_server_arguments(parser, reference=False):
    parser.add_argument("--server", required=True, type=executable,
                        help="server under test: ovsdb-server or ovsdb-vtepd binary")
    if reference:
        parser.add_argument("--reference", default="/usr/sbin/ovsdb-server", type=executable,
                            help="reference server (Open vSwitch's ovsdb-server 3.1)")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra command-line argument for the server under test only "
                             "(repeatable), e.g. --server-arg=--no-dataplane")
    parser.add_argument("--keep", action="store_true",
                        help="keep the servers' directories (databases, logs)")


def _self_test(binary, extra_args=()):
    """Checks the helper itself: start, both sockets answer, pidfile, stop, clean up."""
    from harness import Suite
    from jsonrpc import Client

    suite = Suite("servers")

    @suite.test
    def start_serves_unix_and_tcp():
        with Server(binary, schemas=("vtep", "vswitch"), extra_args=extra_args) as server:
            for remote in (server.unix_remote, server.tcp_remote):
                with Client(remote) as client:
                    reply = client.call("list_dbs", [])
                    assert sorted(reply["result"]) == sorted(
                        ["_Server", "hardware_vtep", "Open_vSwitch"]), reply

    @suite.test
    def pidfile_names_the_child():
        with Server(binary, extra_args=extra_args) as server:
            deadline = time.monotonic() + START_TIMEOUT
            while not os.path.exists(server.pidfile) and time.monotonic() < deadline:
                time.sleep(0.01)
            with open(server.pidfile) as f:
                assert int(f.read().strip()) == server.process.pid

    @suite.test
    def restart_keeps_the_data():
        with Server(binary, extra_args=extra_args) as server:
            with Client(server.unix_remote) as client:
                reply = client.call("transact", ["hardware_vtep", {
                    "op": "insert", "table": "Logical_Switch", "row": {"name": "kept"}}])
                assert reply["error"] is None, reply
            # ovsdb-server re-raises SIGTERM after cleaning up; a plain exit(0) is fine too.
            status = server.restart()
            assert status in (0, -signal.SIGTERM), "exit status %s on SIGTERM" % status
            with Client(server.unix_remote) as client:
                reply = client.call("transact", ["hardware_vtep", {
                    "op": "select", "table": "Logical_Switch", "where": [],
                    "columns": ["name"]}])
            assert reply["result"] == [{"rows": [{"name": "kept"}]}], reply

    @suite.test
    def stop_ends_process_and_removes_directory():
        server = Server(binary, extra_args=extra_args).start()
        directory, process = server.dir, server.process
        server.stop()
        assert process.poll() is not None, "server still running after stop()"
        assert not os.path.exists(directory), directory + " left behind"

    return suite.run()


sys.path.insert(0, HERE)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    args = parser.parse_args()
    sys.exit(_self_test(args.server, args.server_arg))
