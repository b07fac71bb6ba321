"""Shared pieces of the controller-connectivity tests: a switch (ovsdb-vtepd) with TLS
files, vtep-ctl on its unix socket, TLS and plaintext JSON-RPC clients, and listeners the
test owns that receive the switch's outgoing connections and answer its probes.

The OVSDB integration helpers in ../ovsdb (servers.py, harness.py, jsonrpc.py) are reused.
"""

import atexit
import codecs
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))
sys.path.insert(0, HERE)

from harness import Background, Suite, wait_for  # noqa: E402,F401
from jsonrpc import Client, Closed, Timeout, is_reply  # noqa: E402,F401
from pki import Pki  # noqa: E402,F401
from servers import Server, add_server_arguments, free_tcp_port  # noqa: E402,F401

VTEP_CTL = shutil.which("vtep-ctl") or "/usr/bin/vtep-ctl"
OVSDB_CLIENT = shutil.which("ovsdb-client") or "/usr/bin/ovsdb-client"
DB = "hardware_vtep"


# ---------------------------------------------------------------------------------------
# Temporary directories: the pid in the name, removed on exit even after a failure or a
# SIGTERM from ctest's timeout.

_workdirs = []


def _remove_workdirs():
    for directory in _workdirs:
        shutil.rmtree(directory, ignore_errors=True)


atexit.register(_remove_workdirs)
signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(128 + signo))


def workdir(label, keep=False):
    directory = tempfile.mkdtemp(prefix="ovsdb-vtep-ctl-%s-%d-" % (label, os.getpid()),
                                 dir="/tmp")
    if not keep:
        _workdirs.append(directory)
    return directory


# ---------------------------------------------------------------------------------------
# The switch.

def switch_tls_args(creds, ca_cert=None, bootstrap_ca_cert=None, peer_ca_cert=None):
    args = ["--private-key=" + creds.key, "--certificate=" + creds.cert]
    if bootstrap_ca_cert:
        args.append("--bootstrap-ca-cert=" + bootstrap_ca_cert)
    else:
        args.append("--ca-cert=" + ca_cert)
    if peer_ca_cert:
        args.append("--peer-ca-cert=" + peer_ca_cert)
    return args


def is_reference(binary):
    """Open vSwitch's ovsdb-server: the tests of what both servers share run against it
    too (--server=/usr/sbin/ovsdb-server), which is how the tests are known to be right."""
    return os.path.basename(binary) == "ovsdb-server"


class Switch(Server):
    """ovsdb-vtepd serving hardware_vtep with a unix socket for local tools (vtep-ctl),
    plus whatever remotes and TLS options `extra_args` gives."""

    def __init__(self, binary, extra_args=(), keep=False):
        own = [] if is_reference(binary) else ["--no-dataplane"]
        super().__init__(binary, schemas=("vtep",), tcp=False,
                         extra_args=own + list(extra_args), keep=keep)

    def log(self):
        try:
            with open(self._path("log-file.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def vtep_ctl(self, *args):
        result = subprocess.run([VTEP_CTL, "--db=" + self.unix_remote, "--timeout=10"] +
                                list(args), capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError("vtep-ctl %s failed: %s" % (" ".join(args),
                                                            result.stderr.strip()))
        return result.stdout

    def transact(self, *operations):
        with Client(self.unix_remote) as client:
            reply = client.call("transact", [DB] + list(operations), timeout=10)
        assert reply.get("error") is None, reply
        for result in reply["result"]:
            assert "error" not in result, reply
        return reply["result"]

    def managers(self):
        """Manager rows by target: (is_connected, status dict). Polled often, so over one
        connection kept for the purpose."""
        if getattr(self, "_poller", None) is None:
            self._poller = Client(self.unix_remote)
        try:
            reply = self._poller.call("transact", [DB, {
                "op": "select", "table": "Manager", "where": [],
                "columns": ["target", "is_connected", "status"]}], timeout=10)
        except (Closed, Timeout, OSError):
            self._poller.close()
            self._poller = None
            raise
        assert reply.get("error") is None, reply
        return {row["target"]: (row["is_connected"], dict(row["status"][1]))
                for row in reply["result"][0]["rows"]}

    def halt(self):
        if getattr(self, "_poller", None) is not None:
            self._poller.close()
            self._poller = None
        return super().halt()


def fill_logical_switches(switch, rows=100, size=8192):
    """Logical_Switch rows ls-0... with `size`-byte descriptions: what a client that
    monitors the whole table is owed, in large messages."""
    switch.transact(*({"op": "insert", "table": "Logical_Switch",
                       "row": {"name": "ls-%d" % i, "description": ("%08d" % i) * (size // 8)}}
                      for i in range(rows)))
    return rows


def commit_until(switch, done, what, rows=100, limit=5000):
    """Commits small changes to the rows of fill_logical_switches (each a whole-row update
    for a monitor of the table) until done() holds."""
    with Client(switch.unix_remote) as writer:
        for n in range(limit):
            if done():
                return
            reply = writer.call("transact", [DB, {
                "op": "update", "table": "Logical_Switch",
                "where": [["name", "==", "ls-%d" % (n % rows)]], "row": {"tunnel_key": n}}])
            assert reply.get("error") is None, reply
    wait_for(done, 10, what)


# A monitor of the whole Logical_Switch table, for clients that will not read the updates.
MONITOR_ALL = {"method": "monitor", "id": "stalled",
               "params": [DB, "stalled", {"Logical_Switch": {}}]}


def wait_for_log(switch, text, timeout=10.0, count=1):
    """Waits until `text` appears `count` times in the switch's log; returns the log."""
    return wait_for(lambda: switch.log().count(text) >= count and switch.log(),
                    timeout, "%r in the switch's log%s:\n%s" %
                    (text, "" if count == 1 else " %d times" % count, switch.log()[-3000:]))


def wait_for_manager(switch, target, check, what, timeout=1.5):
    """Polls the Manager row of `target` until check(is_connected, status) holds."""
    last = [None]

    def ok():
        row = switch.managers().get(target)
        last[0] = row
        return row is not None and check(*row)
    try:
        wait_for(ok, timeout, what)
    except AssertionError:
        raise AssertionError("Manager %s: timed out after %.1f s waiting for %s; last seen "
                             "is_connected/status: %r" % (target, timeout, what, last[0])) from None
    return last[0]


# ---------------------------------------------------------------------------------------
# TLS contexts and clients.

def client_context(creds, ca_cert):
    """A TLS client context that presents `creds` and trusts `ca_cert`. Host names are not
    checked (OVSDB peers authenticate by CA, as Open vSwitch does)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(ca_cert)
    context.load_cert_chain(creds.chain, creds.key)
    return context


def server_context(creds, ca_cert):
    """A TLS server context that requires a client certificate from `ca_cert`'s CA and
    sends its own chain (so that a peer can bootstrap its CA from it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(ca_cert)
    context.load_cert_chain(creds.chain, creds.key)
    return context


class SocketClient(Client):
    """jsonrpc.Client over an already connected socket (a TLS one, say)."""

    def __init__(self, sock):  # pylint: disable=super-init-not-called
        self.sock = sock
        self.buffer = ""
        self.utf8 = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self.closed = False
        self.next_id = 0
        self.decoder = json.JSONDecoder()


def tls_connect(port, context, host="127.0.0.1", timeout=10.0):
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        return context.wrap_socket(raw)
    except BaseException:
        raw.close()
        raise


def tls_client(port, context):
    return SocketClient(tls_connect(port, context))


# ---------------------------------------------------------------------------------------
# Listeners the test owns: they receive the switch's outgoing connections (tcp:/ssl:
# remotes, Manager targets) and act as a minimal controller on each.

def tcp_established(sock):
    """Whether a socket is still ESTABLISHED: without reading, this is how a client sees
    that the switch hung up (its FIN or RST moves the socket to another state; a FIN
    waits behind the data the client has not read, though)."""
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 1
    except OSError:
        return False


class Peer:
    """One connection from the switch. A thread reads it, answers the switch's echo
    (inactivity) probes unless `answer_echo` is false, and keeps replies for `call`;
    `closed` turns true when the switch drops the connection. `echo_requests` counts the
    probes received."""

    def __init__(self, sock, name, answer_echo=True):
        self.sock = sock
        self.name = name
        self.answer_echo = answer_echo
        self.echo_requests = 0
        self.stalled = False  # stall(): stop reading, as a hung controller would
        self.accepted_at = time.monotonic()
        self.closed_at = None
        self.lock = threading.Lock()        # one TLS operation at a time
        self.changed = threading.Condition()
        self.replies = {}
        self.notifications = []
        self.next_id = 0
        self.sock.settimeout(5.0)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    @property
    def closed(self):
        return self.closed_at is not None

    def peer_certificate(self):
        return self.sock.getpeercert() if isinstance(self.sock, ssl.SSLSocket) else None

    def _send(self, message):
        data = json.dumps(message, separators=(",", ":")).encode()
        with self.lock:
            self.sock.sendall(data)

    def _read(self):
        decoder = json.JSONDecoder()
        utf8 = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        buffer = ""
        while True:
            if self.stalled:
                if self._peer_closed_while_stalled():
                    break
                time.sleep(0.05)  # stalled on purpose: only watch for the switch hanging up
                continue
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending:
                try:
                    readable, _, _ = select.select([self.sock], [], [], 0.2)
                except (OSError, ValueError):
                    break
                if not readable:
                    continue
            try:
                with self.lock:
                    data = self.sock.recv(65536)
            except (ssl.SSLWantReadError, socket.timeout):
                continue
            except OSError:
                data = b""
            if not data:
                break
            buffer += utf8.decode(data)
            while True:
                text = buffer.lstrip()
                try:
                    message, end = decoder.raw_decode(text)
                except json.JSONDecodeError:
                    buffer = text
                    break
                buffer = text[end:]
                self._handle(message)
        with self.changed:
            self.closed_at = time.monotonic()
            self.changed.notify_all()

    def stall(self, request=None):
        """Sends `request` (a monitor, say) and then never reads again."""
        if request is not None:
            self._send(request)
        self.stalled = True

    def _peer_closed_while_stalled(self):
        return not tcp_established(self.sock)

    def _handle(self, message):
        if isinstance(message, dict) and message.get("method") == "echo" and "id" in message:
            with self.changed:
                self.echo_requests += 1
                self.changed.notify_all()
            if not self.answer_echo:
                return
            try:
                self._send({"id": message["id"], "result": message.get("params", []),
                            "error": None})
            except OSError:
                pass
            return
        with self.changed:
            if is_reply(message):
                self.replies[message["id"]] = message
            else:
                self.notifications.append(message)
            self.changed.notify_all()

    def call(self, method, params, timeout=10.0):
        """Sends a request to the switch and returns its reply."""
        with self.changed:
            self.next_id += 1
            request_id = "peer-%d" % self.next_id
        self._send({"method": method, "params": params, "id": request_id})
        deadline = time.monotonic() + timeout
        with self.changed:
            while request_id not in self.replies:
                if self.closed:
                    raise Closed("%s closed before replying to %s" % (self.name, method))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Timeout("%s: no reply to %s within %.0f s" % (self.name, method,
                                                                         timeout))
                self.changed.wait(remaining)
            return self.replies.pop(request_id)

    def wait_closed(self, timeout=10.0):
        with self.changed:
            if not self.changed.wait_for(lambda: self.closed, timeout):
                raise AssertionError("%s still open after %.0f s" % (self.name, timeout))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class PeerListener:
    """Listens on 127.0.0.1 (port 0: the kernel picks a free one) for the switch's
    connections, plain or with TLS (`context`: a server context). Handshake failures are
    kept in `handshake_errors`. With `hang_up`, every connection is closed as soon as it is
    accepted and only its time is kept (in `attempts`): a controller that is there but
    never completes a session. `answer_echo` is passed to each Peer; `rcvbuf` sets the
    accepted sockets' receive buffer."""

    def __init__(self, context=None, port=0, hang_up=False, answer_echo=True, rcvbuf=None):
        self.context = context
        self.hang_up = hang_up
        self.answer_echo = answer_echo
        self.attempts = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:  # inherited by accepted sockets: a stalled peer fills up quickly
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.peers = []
        self.handshake_errors = []
        self.changed = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def kind(self):
        return "ssl" if self.context else "tcp"

    @property
    def target(self):
        """The switch's active remote that connects here."""
        return "%s:127.0.0.1:%d" % (self.kind, self.port)

    def _accept(self):
        while not self.stopping:
            try:
                sock, address = self.sock.accept()
            except OSError:
                return
            name = "%s:%s:%d" % (self.kind, address[0], address[1])
            if self.hang_up:
                sock.close()
                with self.changed:
                    self.attempts.append(time.monotonic())
                    self.changed.notify_all()
                continue
            if self.context:
                sock.settimeout(10.0)
                try:
                    sock = self.context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as error:
                    sock.close()
                    with self.changed:
                        self.handshake_errors.append(str(error))
                        self.changed.notify_all()
                    continue
            peer = Peer(sock, name, self.answer_echo)
            with self.changed:
                self.peers.append(peer)
                self.changed.notify_all()

    def live_peers(self):
        return [p for p in self.peers if not p.closed]

    def wait_peers(self, count, timeout=10.0):
        """Waits until `count` connections have been accepted in all; returns the last."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.peers) >= count, timeout):
                raise AssertionError("%s: %d connection(s) from the switch within %.0f s, "
                                     "expected %d (handshake errors: %s)" %
                                     (self.target, len(self.peers), timeout, count,
                                      self.handshake_errors))
            return self.peers[count - 1]

    def close(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for peer in self.peers:
            peer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# Known bugs of ovsdb-vtepd that a test has found and that are not fixed yet: the test
# still runs, and its failure is printed as XFAIL with the bug's description instead of
# failing the run. When it starts passing, XPASS says so: then remove the mark.
_expected = []


_reference_run = [False]


def known_bug(description):
    def mark(function):
        def run():
            if _reference_run[0]:  # the bug is ovsdb-vtepd's: nothing to expect
                return function()
            try:
                function()
            except Exception as error:  # the failure is the known bug; report it
                _expected.append((function.__name__, "XFAIL", description, error))
                traceback.print_exc(file=sys.stdout)
                print("XFAIL %s: %s: %s\n      (known bug: %s)" % (
                    function.__name__, type(error).__name__, error, description))
                return
            _expected.append((function.__name__, "XPASS", description, None))
            print("XPASS %s: passes now; remove its known_bug mark (%s)" %
                  (function.__name__, description))
        run.__name__ = function.__name__
        return run
    return mark


def run_suite(suite, args):
    """Runs the suite (optionally a subset) and exits with its status."""
    _reference_run[0] = is_reference(args.server)
    status = suite.run(only=getattr(args, "test", None))
    for name, kind, description, _ in _expected:
        print("%s %s (known bug, not counted as a failure: %s)" % (kind, name, description))
    sys.exit(status)
