#!/usr/bin/python3
"""Acceptance 4 of controller connectivity: many clients and one that stops reading.

ovsdb-vtepd listens on pssl: and ptcp: (loopback) with a small --max-backlog. 200 clients
connect at once, half over TLS (with client certificates) and half in plaintext, raw
JSON-RPC from asyncio, plus a few `ovsdb-client monitor` processes on both ports. Every
client then writes: each request changes the tunnel_key of "its" Logical_Switch row, a
row with a large description, so that each small write makes a large update for a
client that monitors the whole row.

Phase 1 runs that load alone; phase 2 runs it again while one more client monitors the
whole Logical_Switch table and never reads a byte (its receive buffer is made tiny). The
test asserts that every request of both phases is answered (a generous deadline, not a
timing assertion), that the stalled client is disconnected for its backlog, that the
daemon's resident memory grows by far less than the data the stalled client would have
had to be sent, and that the ovsdb-client monitors are still served at the end. It prints
the latency percentiles of both phases for comparison.
"""

import argparse
import asyncio
import json
import random
import socket
import statistics
import string
import threading
import time

from common import (DB, OVSDB_CLIENT, Background, Pki, Suite, Switch, add_server_arguments,
                    client_context, free_tcp_port, run_suite, switch_tls_args, wait_for_log,
                    workdir)

CLIENTS = 200           # half TLS, half plaintext
MONITORS = 4            # ovsdb-client monitor processes (half TLS)
ROWS = CLIENTS          # Logical_Switch rows, one per client (the stalled client's table)
ROW_TEXT = 16384        # bytes of description per row
ROUNDS = 20             # requests per client per phase
MAX_BACKLOG = 1 << 20   # --max-backlog
PHASE_DEADLINE = 300.0  # every request of a phase must be answered by then


def text(size, seed):
    rng = random.Random(str(seed))
    return "".join(rng.choice(string.ascii_letters) for _ in range(64)) * (size // 64)


class RpcClient:
    """Raw JSON-RPC over an asyncio stream; answers the server's echo probes."""

    def __init__(self, name, reader, writer):
        self.name, self.reader, self.writer = name, reader, writer
        self.buffer = ""
        self.decoder = json.JSONDecoder()
        self.next_id = 0

    async def _message(self):
        while True:
            stripped = self.buffer.lstrip()
            try:
                message, end = self.decoder.raw_decode(stripped)
                self.buffer = stripped[end:]
                return message
            except json.JSONDecodeError:
                pass
            data = await self.reader.read(1 << 16)
            if not data:
                raise ConnectionError("%s: connection closed by the server" % self.name)
            self.buffer += data.decode()

    async def call(self, method, params):
        self.next_id += 1
        request_id = self.next_id
        self.writer.write(json.dumps({"method": method, "params": params,
                                      "id": request_id}).encode())
        await self.writer.drain()
        while True:
            message = await self._message()
            if message.get("method") == "echo":
                self.writer.write(json.dumps({"id": message["id"], "result": message["params"],
                                              "error": None}).encode())
                continue
            if message.get("id") == request_id:
                return message

    def close(self):
        self.writer.close()


def percentiles(latencies):
    ordered = sorted(latencies)

    def at(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000
    return "n=%d p50=%.1f p90=%.1f p99=%.1f max=%.1f mean=%.1f ms" % (
        len(ordered), at(50), at(90), at(99), ordered[-1] * 1000,
        statistics.mean(ordered) * 1000)


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


class RssSampler:
    """Samples the daemon's RSS every 20 ms in a thread; `peak` is the largest seen."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, rss_kib(pid), True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)  # a sampling period, not a wait for anything

    def stop(self):
        self.running = False
        self.thread.join()
        return self.peak


async def connect_all(tls_port, tcp_port, context):
    async def one(index):
        if index % 2:
            reader, writer = await asyncio.open_connection("127.0.0.1", tls_port, ssl=context,
                                                           server_hostname=None)
            name = "tls-%d" % index
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", tcp_port)
            name = "tcp-%d" % index
        client = RpcClient(name, reader, writer)
        reply = await client.call("echo", [name])
        assert reply.get("result") == [name], reply
        return client
    return await asyncio.gather(*(one(i) for i in range(CLIENTS)))


async def phase(clients, label):
    """Every client sends ROUNDS writes, one after the other; returns the latencies."""
    latencies, errors = [], []

    async def run(index, client):
        for round_number in range(ROUNDS):
            started = time.monotonic()
            reply = await client.call("transact", [DB, {
                "op": "update", "table": "Logical_Switch",
                "where": [["name", "==", "ls-%d" % (index % ROWS)]],
                "row": {"tunnel_key": (label == "stalled") * 100000 + index * 100 +
                        round_number}}])
            latencies.append(time.monotonic() - started)
            if reply.get("error") is not None or "error" in reply["result"][0]:
                errors.append((client.name, reply))
    await asyncio.wait_for(asyncio.gather(*(run(i, c) for i, c in enumerate(clients))),
                           PHASE_DEADLINE)
    assert not errors, errors[:3]
    assert len(latencies) == CLIENTS * ROUNDS, len(latencies)
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    suite = Suite("many_clients")
    directory = workdir("many", args.keep)
    pki = Pki(directory)
    switch_ca, controller_ca = pki.ca("switch"), pki.ca("controller")
    switch_creds = pki.issue(switch_ca, "switch", "switch-ps0")
    controller = pki.issue(controller_ca, "controller", "controller-1")

    @suite.test
    def two_hundred_clients_and_a_stalled_one():
        tls_port, tcp_port = free_tcp_port(), free_tcp_port()
        extra = switch_tls_args(switch_creds, ca_cert=controller_ca.cert) + [
            "--remote=pssl:%d:127.0.0.1" % tls_port, "--remote=ptcp:%d:127.0.0.1" % tcp_port,
            "--max-backlog=%d" % MAX_BACKLOG]
        with Switch(args.server, extra_args=extra, keep=args.keep) as s:
            for first in range(0, ROWS, 50):
                s.transact(*({"op": "insert", "table": "Logical_Switch",
                              "row": {"name": "ls-%d" % i, "description": text(ROW_TEXT, i)}}
                             for i in range(first, first + 50)))
            (table,) = s.transact({"op": "select", "table": "Logical_Switch", "where": []})
            table_bytes = len(json.dumps(table))

            tls_options = ["--private-key=" + controller.key,
                           "--certificate=" + controller.chain,
                           "--ca-cert=" + switch_ca.cert]
            monitors = []
            for n in range(MONITORS):
                remote = ("ssl:127.0.0.1:%d" % tls_port) if n % 2 else \
                    ("tcp:127.0.0.1:%d" % tcp_port)
                monitors.append(Background([OVSDB_CLIENT] + tls_options + [
                    "--format=json", "monitor", remote, DB, "Logical_Switch", "name"]))
            try:
                for monitor in monitors:
                    initial = monitor.json(timeout=30)
                    assert len(initial["data"]) == ROWS, len(initial["data"])

                loop = asyncio.new_event_loop()
                context = client_context(controller, switch_ca.cert)
                clients = loop.run_until_complete(connect_all(tls_port, tcp_port, context))
                print("    %d clients connected (%d TLS), %d ovsdb-client monitors" %
                      (len(clients), CLIENTS // 2, MONITORS))

                alone = loop.run_until_complete(phase(clients, "alone"))
                print("    without the stalled client: " + percentiles(alone))

                pid = s.process.pid
                rss_before = rss_kib(pid)
                stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                stalled.connect(("127.0.0.1", tcp_port))
                stalled_port = stalled.getsockname()[1]
                stalled.sendall(json.dumps({"method": "monitor", "id": 1, "params": [
                    DB, "stalled", {"Logical_Switch": {}}]}).encode())
                sampler = RssSampler(pid)
                try:
                    beside = loop.run_until_complete(phase(clients, "stalled"))
                finally:
                    rss_peak = sampler.stop()
                print("    with the stalled client:    " + percentiles(beside))

                # The stalled client was cut off for its backlog...
                wait_for_log(s, "tcp:127.0.0.1:%d: send backlog of " % stalled_port,
                             timeout=30)
                stalled.settimeout(30)
                received = 0
                while True:
                    try:
                        data = stalled.recv(1 << 16)
                    except ConnectionResetError:
                        break
                    if not data:
                        break
                    received += len(data)
                stalled.close()
                # Each update the stalled client is owed carries the whole row ("new").
                would_need = table_bytes + CLIENTS * ROUNDS * ROW_TEXT
                growth = (rss_peak - rss_before) * 1024
                print("    stalled client: received %d bytes before being disconnected; it "
                      "would have been sent at least %.1f MiB" % (received, would_need / 2**20))
                print("    daemon RSS %.1f MiB before, peak %.1f MiB during (growth %.1f MiB),"
                      " VmHWM %.1f MiB" % (rss_before / 1024, rss_peak / 1024, growth / 2**20,
                                           rss_kib(pid, "VmHWM") / 1024))
                assert received < would_need, received
                # ...and its unsent data was not kept: memory grew by far less than it.
                assert growth < would_need / 2, \
                    "RSS grew by %d bytes while the stalled client would need %d" % (
                        growth, would_need)

                # Everyone else is still served: the asyncio clients and the monitors.
                async def echo_all():
                    return await asyncio.gather(*(c.call("echo", ["end"]) for c in clients))
                replies = loop.run_until_complete(asyncio.wait_for(echo_all(), 60))
                assert all(r.get("result") == ["end"] for r in replies)
                s.transact({"op": "update", "table": "Logical_Switch",
                            "where": [["name", "==", "ls-0"]], "row": {"name": "renamed"}})
                for monitor in monitors:
                    update = monitor.json(timeout=30)
                    assert [row[1:] for row in update["data"]] == [["old", "ls-0"],
                                                                    ["new", "renamed"]], update
                for client in clients:
                    client.close()
                loop.run_until_complete(asyncio.sleep(0))  # let the transports close
                loop.close()
            finally:
                for monitor in monitors:
                    monitor.stop()

    run_suite(suite, args)


if __name__ == "__main__":
    main()
