"""A commit stream and its watchers, for isolation tests: one writer commits numbered
transactions one at a time (measuring each one's latency), monitoring clients check that
they see each commit exactly once and in order, and a sampler follows the server's RSS.

Transaction i inserts Logical_Switch "ls-<i>" and sets the "stream" switch's tunnel_key to
i and its description to "<i>:" plus padding, so each monitor update says which commit it
reports twice over (the inserted name and the modified key)."""

import json
import socket
import threading
import time

from jsonrpc import Client, Closed, Timeout, is_reply

DB = "hardware_vtep"
STREAM_SWITCH = "stream"


def stream_transaction(index, padding):
    return [DB,
            {"op": "insert", "table": "Logical_Switch", "row": {"name": "ls-%06d" % index}},
            {"op": "update", "table": "Logical_Switch",
             "where": [["name", "==", STREAM_SWITCH]],
             "row": {"tunnel_key": index, "description": "%d:%s" % (index, "p" * padding)}}]


def create_stream_switch(remote):
    with Client(remote) as client:
        reply = client.call("transact", [DB, {"op": "insert", "table": "Logical_Switch",
                                              "row": {"name": STREAM_SWITCH}}])
    assert reply.get("error") is None and "error" not in reply["result"][0], reply


def whole_database_request(schema):
    """monitor params for every table and column of `schema`."""
    return {table: {} for table in schema["tables"]}


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class StreamWriter(threading.Thread):
    """Commits `count` stream transactions, each after the previous one's reply."""

    def __init__(self, remote, count, padding, first=0):
        super().__init__(name="stream-writer", daemon=True)
        self.remote = remote
        self.count = count
        self.padding = padding
        self.first = first
        self.latencies = []
        self.failures = []

    def run(self):
        try:
            with Client(self.remote) as client:
                for index in range(self.first, self.first + self.count):
                    started = time.monotonic()
                    reply = client.call("transact", stream_transaction(index, self.padding),
                                        timeout=30)
                    self.latencies.append(time.monotonic() - started)
                    results = reply.get("result")
                    if (reply.get("error") is not None or not isinstance(results, list)
                            or any("error" in r for r in results)
                            or results[1].get("count") != 1):
                        self.failures.append("transaction %d: %s" % (index,
                                                                     json.dumps(reply)[:300]))
        except Exception as error:  # reported by the test, which expects no failures
            self.failures.append("writer stopped: %r" % error)

    def p99(self):
        return percentile(self.latencies, 0.99)


class MonitorReader(threading.Thread):
    """A client that monitors the whole database over `remote` and reads every update as it
    comes, recording which stream commit each one reports."""

    def __init__(self, name, remote, schema):
        super().__init__(name=name, daemon=True)
        self.remote = remote
        self.request = whole_database_request(schema)
        self.client = Client(remote)
        self.local_port = self.client.sock.getsockname()[1] if remote.startswith("tcp:") \
            else None
        self.seen = []  # commit indexes reported by the updates, in arrival order
        self.updates = 0
        self.problems = []
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self):
        try:
            reply = self.client.call("monitor", [DB, "watch", self.request], timeout=30)
            if reply.get("error") is not None:
                self.problems.append("monitor refused: %s" % json.dumps(reply)[:300])
                return
            self.ready.set()
            while not self.stop.is_set():
                try:
                    message = self.client.recv(0.2)
                except Timeout:
                    continue
                if is_reply(message):
                    self.problems.append("unexpected reply %s" % json.dumps(message)[:200])
                elif message.get("method") == "echo":
                    self.client.send({"id": message["id"], "result": message["params"],
                                      "error": None})
                elif message.get("method") == "update":
                    self._update(message["params"])
                else:
                    self.problems.append("unexpected message %s" % json.dumps(message)[:200])
        except Closed:
            self.problems.append("the server closed the connection")
        except Exception as error:
            self.problems.append("reader failed: %r" % error)
        finally:
            self.ready.set()
            self.client.close()

    def _update(self, params):
        # A server may report several commits in one update (when a client falls behind
        # it can merge them): then every inserted switch is listed and the stream switch
        # shows the last commit's values.
        changes = params[1].get("Logical_Switch", {})
        inserted, modified = [], None
        for change in changes.values():
            new = change.get("new") or {}
            if "old" not in change and new.get("name", "").startswith("ls-"):
                inserted.append(int(new["name"][3:]))
            elif new.get("name") == STREAM_SWITCH and "old" in change:
                modified = new["tunnel_key"]
        inserted.sort()
        if not inserted or modified != inserted[-1] or len(changes) != len(inserted) + 1:
            self.problems.append("update that is not a run of stream commits: %s" %
                                 json.dumps(params)[:300])
            return
        self.updates += 1
        self.seen += inserted

    def check(self, expected):
        """Problems (as text) unless exactly the commits `expected` arrived, in order."""
        problems = list(self.problems)
        if self.seen != list(expected):
            missing = sorted(set(expected) - set(self.seen))
            duplicated = len(self.seen) - len(set(self.seen))
            out_of_order = sum(1 for a, b in zip(self.seen, self.seen[1:]) if b <= a)
            problems.append("%s saw %d commits of %d: %d missing (first %s), %d "
                            "duplicated, %d out of order" % (
                                self.name, len(self.seen), len(expected), len(missing),
                                missing[:5], duplicated, out_of_order))
        return problems


class RssSampler(threading.Thread):
    """Samples VmRSS of a server every `interval` seconds until stopped."""

    def __init__(self, server, interval=0.02):
        super().__init__(name="rss", daemon=True)
        self.server = server
        self.interval = interval
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append(self.server.rss_kib())
            except (OSError, AssertionError):
                return
            self.stop.wait(self.interval)

    def peak_kib(self):
        return max(self.samples) if self.samples else 0


def stalled_monitor(remote, schema, receive_buffer=4096):
    """A TCP socket that asks to monitor the whole database and then never reads. Returns
    the socket (its small receive buffer makes the server's side fill up fast)."""
    kind, _, rest = remote.partition(":")
    assert kind == "tcp", "a stalled monitor needs a TCP remote, not " + remote
    host, _, port = rest.rpartition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect((host, int(port)))
    request = {"method": "monitor", "params": [DB, "stalled", whole_database_request(schema)],
               "id": 1}
    sock.sendall(json.dumps(request).encode())
    return sock


def read_until_closed(sock, timeout):
    """Reads (and discards) until the peer closes; returns "EOF" or "reset", or raises
    AssertionError if the connection is still open after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    received = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("connection still open after %.0f s (%d bytes read)" %
                                 (timeout, received))
        sock.settimeout(remaining)
        try:
            data = sock.recv(1 << 20)
        except ConnectionResetError:
            return "reset"
        except socket.timeout:
            continue
        if not data:
            return "EOF"
        received += len(data)
