"""Write load for crash tests: client threads that send hardware_vtep transactions with
unique names, pipelined, and remember which ones the server acknowledged.

Every transaction leaves a mark a later reader can look for (a switch name, a MAC, an
other_config key, a description counter), so after a crash each one can be classified as
applied or not from the database alone. A writer only mutates or deletes rows whose insert
was acknowledged, and writers never touch each other's rows, so the outcomes of one
writer's transactions must form a prefix of its send order.
"""

import json
import socket
import threading
import time
import traceback

from jsonrpc import Client, Closed, Timeout, is_reply

DB = "hardware_vtep"
REPLY_TIMEOUT = 20.0


class UniqueAddresses:
    """MACs and IPv4 addresses never handed out twice in one test run."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next = 1

    def take(self, count=1):
        with self.lock:
            first = self.next
            self.next += count
        return first

    @staticmethod
    def mac(n):
        return "02:%02x:%02x:%02x:%02x:%02x" % tuple((n >> shift) & 0xff
                                                     for shift in (32, 24, 16, 8, 0))

    @staticmethod
    def ip(n):
        return "10.%d.%d.%d" % ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)


class Txn:
    """One transaction: its kind, what it writes, and whether its success reply arrived.

    kinds: "insert" (Logical_Switch + Physical_Locator + Ucast_Macs_Remote that references
    both), "mutate" (one other_config key added to two switches), "delete" (a
    Ucast_Macs_Remote, whose locator is then garbage-collected), "switch" (a lone
    Logical_Switch), "describe" (a switch's description set to "<index>:<padding>"),
    "bulk" (one switch, one locator and `count` Ucast_Macs_Remote rows).
    """

    def __init__(self, kind, writer, index, operations, **marks):
        self.kind = kind
        self.writer = writer
        self.index = index  # position in the writer's send order
        self.operations = operations
        self.acked = False
        self.sent_at = None
        self.acked_at = None
        self.__dict__.update(marks)

    def describe(self):
        return "%s #%d (%s)" % (self.writer, self.index, self.kind)


def _locator(ip):
    return {"encapsulation_type": "vxlan_over_ipv4", "dst_ip": ip}


def _mac_row(mac, switch, locator):
    return {"MAC": mac, "logical_switch": switch, "locator": locator}


class Writer(threading.Thread):
    """Sends transactions on its own connection, keeping up to `depth` unanswered, until the
    connection dies (the server was killed) or `stop` is set.

    `mix` says which kinds it writes: "normal" (inserts, mutations, deletes), "describe"
    (one switch, then description updates of `padding` bytes) or "bulk" (one transaction
    of `bulk_rows` rows, then nothing)."""

    def __init__(self, name, remote, prefix, addresses, rng, mix="normal", depth=8,
                 padding=0, bulk_rows=0, durable_every=10):
        super().__init__(name=name, daemon=True)
        self.remote = remote
        self.prefix = prefix  # "r<round>-", so a round's rows are recognisable
        self.addresses = addresses
        self.rng = rng
        self.mix = mix
        self.depth = depth
        self.padding = padding
        self.bulk_rows = bulk_rows
        self.durable_every = durable_every
        self.stop = threading.Event()
        self.sent = []
        self.unexpected = []  # error replies and other surprises, as text
        self.acked_inserts = []  # inserts that may now be mutated or deleted
        self.deletable = []
        self.ended_by = None
        self.bulk_acked = threading.Event()

    # Building transactions.
    def _row_name(self, what):
        return "%s%s-%s" % (self.prefix, self.name, what)

    def _next_txn(self):
        index = len(self.sent)
        if self.mix == "bulk":
            return self._build_bulk(index) if index == 0 else None
        if self.mix == "describe":
            return self._build_switch(index) if index == 0 else self._build_describe(index)
        choice = self.rng.random()
        if len(self.acked_inserts) < 2 or choice < 0.5:
            return self._build_insert(index)
        if choice < 0.8 or not self.deletable:
            return self._build_mutate(index)
        return self._build_delete(index)

    def _with_commit(self, index, operations):
        # Now and then ask for an fsync too, so the durable path is under the same load.
        if self.durable_every and index % self.durable_every == self.durable_every - 1:
            operations = operations + [{"op": "commit", "durable": True}]
        return operations

    def _build_insert(self, index):
        n = self.addresses.take()
        name = self._row_name(str(index))
        mac, ip = UniqueAddresses.mac(n), UniqueAddresses.ip(n)
        operations = [
            {"op": "insert", "table": "Logical_Switch", "uuid-name": "ls",
             "row": {"name": name, "tunnel_key": n % 16777216}},
            {"op": "insert", "table": "Physical_Locator", "uuid-name": "pl", "row": _locator(ip)},
            {"op": "insert", "table": "Ucast_Macs_Remote",
             "row": _mac_row(mac, ["named-uuid", "ls"], ["named-uuid", "pl"])},
        ]
        return Txn("insert", self.name, index, self._with_commit(index, operations),
                   switch=name, mac=mac, ip=ip)

    def _build_mutate(self, index):
        first, second = self.rng.sample(self.acked_inserts, 2)
        key, value = "k%d" % index, "v%d" % index
        operations = [
            {"op": "mutate", "table": "Logical_Switch", "where": [["name", "==", switch]],
             "mutations": [["other_config", "insert", ["map", [[key, value]]]]]}
            for switch in (first.switch, second.switch)
        ]
        return Txn("mutate", self.name, index, self._with_commit(index, operations),
                   switches=(first.switch, second.switch), key=key, value=value)

    def _build_delete(self, index):
        victim = self.deletable.pop(self.rng.randrange(len(self.deletable)))
        operations = [{"op": "delete", "table": "Ucast_Macs_Remote",
                       "where": [["MAC", "==", victim.mac]]}]
        return Txn("delete", self.name, index, self._with_commit(index, operations),
                   insert=victim, mac=victim.mac, ip=victim.ip)

    def _build_switch(self, index):
        name = self._row_name("described")
        self.described = name
        operations = [{"op": "insert", "table": "Logical_Switch", "row": {"name": name}}]
        return Txn("switch", self.name, index, operations, switch=name)

    def _build_describe(self, index):
        text = "%d:%s" % (index, "d" * self.padding)
        operations = [{"op": "update", "table": "Logical_Switch",
                       "where": [["name", "==", self.described]], "row": {"description": text}}]
        return Txn("describe", self.name, index, self._with_commit(index, operations),
                   switch=self.described)

    def _build_bulk(self, index):
        first = self.addresses.take(self.bulk_rows + 1)
        name, ip = self._row_name("bulk"), UniqueAddresses.ip(first)
        macs = [UniqueAddresses.mac(first + 1 + i) for i in range(self.bulk_rows)]
        operations = [
            {"op": "insert", "table": "Logical_Switch", "uuid-name": "ls", "row": {"name": name}},
            {"op": "insert", "table": "Physical_Locator", "uuid-name": "pl", "row": _locator(ip)},
        ] + [{"op": "insert", "table": "Ucast_Macs_Remote",
              "row": _mac_row(mac, ["named-uuid", "ls"], ["named-uuid", "pl"])} for mac in macs]
        return Txn("bulk", self.name, index, operations, switch=name, ip=ip, macs=macs)

    # Checking replies.
    def _check_reply(self, txn, reply):
        if reply.get("error") is not None:
            return "error reply %s" % json.dumps(reply)[:300]
        results = reply.get("result")
        if not isinstance(results, list) or len(results) != len(txn.operations):
            return "reply with %s results for %d operations: %s" % (
                len(results) if isinstance(results, list) else "no",
                len(txn.operations), json.dumps(reply)[:300])
        for operation, result in zip(txn.operations, results):
            if not isinstance(result, dict) or "error" in result:
                return "operation %s failed: %s" % (operation["op"], json.dumps(result)[:300])
            if operation["op"] in ("mutate", "delete", "update") and result.get("count") != 1:
                return "%s matched %s rows, expected 1" % (operation["op"], result.get("count"))
        return None

    def _acknowledged(self, txn):
        txn.acked = True
        txn.acked_at = time.monotonic()
        if txn.kind == "insert":
            self.acked_inserts.append(txn)
            self.deletable.append(txn)
        elif txn.kind == "bulk":
            self.bulk_acked.set()

    # The loop.
    def run(self):
        try:
            self._run()
        except Exception:  # a bug in the test itself must fail the round, not vanish
            self.ended_by = "exception"
            self.unexpected.append("writer crashed:\n" + traceback.format_exc())

    def _run(self):
        try:
            client = Client(self.remote)
        except OSError as error:
            self.ended_by = "connect failed: %s" % error
            return
        pending = {}
        with client:
            try:
                while True:
                    while len(pending) < self.depth and not self.stop.is_set():
                        txn = self._next_txn()
                        if txn is None:
                            break
                        self.sent.append(txn)
                        txn.sent_at = time.monotonic()
                        pending[client.request("transact", [DB] + txn.operations)] = txn
                    if not pending:
                        if self.stop.is_set():
                            self.ended_by = "stopped"
                            return
                        self.stop.wait(0.05)
                        continue
                    message = client.recv(REPLY_TIMEOUT)
                    if not is_reply(message) or message.get("id") not in pending:
                        self.unexpected.append("unexpected message %s" %
                                               json.dumps(message)[:300])
                        continue
                    txn = pending.pop(message["id"])
                    problem = self._check_reply(txn, message)
                    if problem:
                        self.unexpected.append("%s: %s" % (txn.describe(), problem))
                    else:
                        self._acknowledged(txn)
            except Closed:
                self.ended_by = "connection closed"
            except (ConnectionError, BrokenPipeError, socket.timeout) as error:
                self.ended_by = "connection failed: %s" % error
            except Timeout:
                self.ended_by = "timeout"
                self.unexpected.append("no reply within %.0f s with %d transactions pending"
                                       % (REPLY_TIMEOUT, len(pending)))
