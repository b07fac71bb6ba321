#!/usr/bin/python3
"""An NSX-style controller for the registration test, built from Open vSwitch's Python
`ovs` library: an IDL replicates the switch's hardware_vtep database and commits the
controller's configuration through IDL transactions.

The switch connects out to the controller over TLS. The `ovs` library's passive streams are
punix:/ptcp: only, so TLS is terminated here with Python's ssl module on a listener on
127.0.0.1 (mutual authentication: the switch must present a certificate from the switch CA)
and each connection is relayed to the IDL's own ptcp: listener on loopback.

It runs as its own process so that a test can kill it outright (SIGKILL) and start a new
one. The test drives it with one JSON object per line on stdin; each gets one JSON line on
stdout ({"ok": true, ...} or {"ok": false, "error": ...}). The first line printed is
{"ready": true, "port": TLS_PORT, "at": MONOTONIC_TIME}.

Commands:
  {"cmd": "wait_synced", "timeout": S}          the IDL is connected and has its replica
  {"cmd": "wait", "table": T, "where": {COL: VALUE}, "timeout": S}
                                                 a row whose columns have these values
  {"cmd": "dump", "table": T}                    every row of T
  {"cmd": "transact", "ops": [...]}              one IDL transaction (see `transact`)
  {"cmd": "connections"}                         TLS connections accepted so far
Row values are plain JSON: references as UUID strings, optional columns as lists, maps
as lists of [key, value] pairs.
"""

import argparse
import asyncio
import json
import os
import queue
import socket
import ssl
import sys
import threading
import time
import uuid

import ovs.db.idl
import ovs.poller
import ovs.vlog

HERE = os.path.dirname(os.path.abspath(__file__))
VTEP_SCHEMA = os.path.join(HERE, "..", "..", "..", "schemas", "vtep.ovsschema")


def log(text):
    print("controller: " + text, file=sys.stderr, flush=True)


class TlsTerminator:
    """Accepts TLS on 127.0.0.1:`port` and relays each connection to the IDL's plaintext
    listener. Runs an asyncio loop in its own thread."""

    def __init__(self, port, context, idl_port):
        self.context = context
        self.idl_port = idl_port
        self.connections = []  # {"at", "peer", "closed_at"}
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.error = None

        def run():
            asyncio.set_event_loop(self.loop)
            try:
                self.server = self.loop.run_until_complete(asyncio.start_server(
                    self._serve, "127.0.0.1", port, ssl=context, reuse_address=True,
                    ssl_handshake_timeout=10))
            except OSError as error:
                self.error = error
                started.set()
                return
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait()
        if self.error:
            raise self.error
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, tls_reader, tls_writer):
        certificate = tls_writer.get_extra_info("peercert") or {}
        subject = dict(pair[0] for pair in certificate.get("subject", ()))
        record = {"at": time.monotonic(), "peer": tls_writer.get_extra_info("peername")[1],
                  "subject": subject.get("commonName"), "closed_at": None}
        with self.lock:
            self.connections.append(record)
        log("TLS connection from %s (certificate CN=%s)" % (record["peer"], record["subject"]))
        try:
            idl_reader, idl_writer = await asyncio.open_connection("127.0.0.1", self.idl_port)
        except OSError as error:
            log("cannot reach the IDL listener: %s" % error)
            tls_writer.close()
            return

        async def pump(reader, writer):
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pump(tls_reader, idl_writer), pump(idl_reader, tls_writer))
        record["closed_at"] = time.monotonic()
        log("TLS connection from %s closed" % record["peer"])


def plain(value):
    """An IDL value as plain JSON."""
    if isinstance(value, ovs.db.idl.Row):
        return str(value.uuid)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return sorted([plain(k), plain(v)] for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return sorted((plain(v) for v in value), key=json.dumps)
    return value


def row_json(row):
    out = {"_uuid": str(row.uuid)}
    for column in row._table.columns:
        out[column] = plain(getattr(row, column))
    return out


class Controller:
    def __init__(self, tls_port, context):
        # The IDL's own listener: ptcp on a free loopback port.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            idl_port = probe.getsockname()[1]
        helper = ovs.db.idl.SchemaHelper(location=VTEP_SCHEMA)
        helper.register_all()
        # The Python library spells it ptcp:IP:PORT (the C tools: ptcp:PORT:IP).
        self.idl = ovs.db.idl.Idl("ptcp:127.0.0.1:%d" % idl_port, helper)
        self.run()  # opens the listener before any TLS connection is relayed to it
        self.terminator = TlsTerminator(tls_port, context, idl_port)

    def run(self):
        self.idl.run()
        # The library's ptcp: listening socket is left blocking, so once a connection is
        # up, the next run() would wait in accept() for another one: make it non-blocking.
        pstream = self.idl._session.pstream
        if pstream is not None and pstream.socket is not None:
            pstream.socket.setblocking(False)

    def run_until(self, condition, what, timeout):
        deadline = time.monotonic() + timeout
        while True:
            self.run()
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise RuntimeError("timed out after %.0f s waiting for %s" % (timeout, what))
            poller = ovs.poller.Poller()
            self.idl.wait(poller)
            poller.timer_wait(50)
            poller.block()

    def synced(self):
        return self.idl.has_ever_connected() and self.idl._session.is_connected()

    def find(self, table, where):
        for row in self.idl.tables[table].rows.values():
            data = row_json(row)
            if all(data.get(k) == v for k, v in where.items()):
                return data
        return None

    def _value(self, table, column, value, new_rows):
        """Plain JSON to what the IDL expects: "@name" is a row inserted in this
        transaction, other strings in reference columns are UUIDs of existing rows."""
        ctype = self.idl.tables[table].columns[column].type

        def atom(base, v):
            if base.ref_table_name is None:
                return v
            if isinstance(v, str) and v.startswith("@"):
                return new_rows[v[1:]]
            return self.idl.tables[base.ref_table_name].rows[uuid.UUID(v)]

        if ctype.is_map():
            return {atom(ctype.key, k): atom(ctype.value, v) for k, v in value}
        if isinstance(value, list):
            return [atom(ctype.key, v) for v in value]
        return atom(ctype.key, value)

    def transact(self, ops):
        """ops: {"insert": TABLE, "as": NAME, "set": {COL: VALUE}} or
        {"update": TABLE, "row": UUID, "set": {...}, "setkey": {COL: [KEY, VALUE]}}."""
        txn = ovs.db.idl.Transaction(self.idl)
        new_rows = {}
        for op in ops:
            if "insert" in op:
                table = op["insert"]
                row = txn.insert(self.idl.tables[table])
                new_rows[op["as"]] = row
            else:
                table = op["update"]
                row = self.idl.tables[table].rows[uuid.UUID(op["row"])]
            for column, value in op.get("set", {}).items():
                setattr(row, column, self._value(table, column, value, new_rows))
            for column, (key, value) in op.get("setkey", {}).items():
                converted = self._value(table, column, [[key, value]], new_rows)
                ((k, v),) = converted.items()
                row.setkey(column, k, v)
        status = txn.commit_block()
        uuids = {name: str(txn.get_insert_uuid(row.uuid)) for name, row in new_rows.items()}
        return {"status": status, "error": txn.get_error(), "uuids": uuids}

    def handle(self, command):
        cmd = command["cmd"]
        timeout = command.get("timeout", 20)
        if cmd == "wait_synced":
            self.run_until(self.synced, "the IDL to connect and replicate", timeout)
            return {}
        if cmd == "wait":
            row = self.run_until(lambda: self.find(command["table"], command["where"]),
                                 "a %s row with %s" % (command["table"],
                                                       json.dumps(command["where"])), timeout)
            return {"row": row}
        if cmd == "dump":
            self.run()
            return {"rows": [row_json(r) for r in self.idl.tables[command["table"]].rows.values()]}
        if cmd == "transact":
            self.run_until(self.synced, "the IDL to be connected", timeout)
            return self.transact(command["ops"])
        if cmd == "connections":
            with self.terminator.lock:
                return {"connections": list(self.terminator.connections)}
        raise RuntimeError("unknown command %r" % cmd)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="TLS port on 127.0.0.1")
    parser.add_argument("--private-key", required=True)
    parser.add_argument("--certificate", required=True, help="certificate chain (PEM)")
    parser.add_argument("--ca-cert", required=True, help="CA the switch's certificate is from")
    args = parser.parse_args()
    ovs.vlog.Vlog.init(None)
    ovs.vlog.Vlog.set_level("any", "console", "warn")

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(args.ca_cert)
    context.load_cert_chain(args.certificate, args.private_key)
    controller = Controller(args.port, context)

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line)
        commands.put(None)
    threading.Thread(target=read_stdin, daemon=True).start()

    print(json.dumps({"ready": True, "port": controller.terminator.port,
                      "at": time.monotonic()}), flush=True)
    while True:
        try:
            line = commands.get(timeout=0.05)
        except queue.Empty:
            controller.run()  # keep the replica (and the connection) alive meanwhile
            continue
        if line is None:
            return
        try:
            reply = {"ok": True}
            reply.update(controller.handle(json.loads(line)))
        except Exception as error:  # the test reads every failure as a reply
            reply = {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
