#!/usr/bin/python3
"""Open vSwitch's Python IDL (ovs.db.idl) against the server under test.

The IDL is what controllers and agents are built on: it registers the schema, replicates
the database through monitors, and commits through transactions with verify/wait. These
tests check that it sees initial contents, its own commits and other clients' commits, and
that a burst of commits from another client reaches both the IDL and ovsdb-client monitor
with nothing lost, duplicated or out of order.
"""

import argparse
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ovs.db.idl  # noqa: E402
import ovs.poller  # noqa: E402
import ovs.vlog  # noqa: E402

from harness import Background, Suite  # noqa: E402
from jsonrpc import Client  # noqa: E402
from servers import VTEP_SCHEMA, Server, add_server_arguments  # noqa: E402

OVSDB_CLIENT = shutil.which("ovsdb-client") or "/usr/bin/ovsdb-client"
DB = "hardware_vtep"
TIMEOUT = 20.0
STREAM_COMMITS = 500


class RecordingIdl(ovs.db.idl.Idl):
    """An IDL that keeps every row notification it gets, in order."""

    def __init__(self, remote, tables=None, schema_json=None):
        if schema_json is None:
            helper = ovs.db.idl.SchemaHelper(location=VTEP_SCHEMA)
        else:
            helper = ovs.db.idl.SchemaHelper(schema_json=schema_json)
        if tables is None:
            helper.register_all()
        else:
            for table in tables:
                helper.register_table(table)
        super().__init__(remote, helper)
        self.events = []

    def notify(self, event, row, updates=None):
        name = getattr(row, "name", None) if hasattr(row, "_data") else None
        self.events.append((event, row.uuid, name, row._table.name))

    def run_until(self, condition, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            self.run()
            if condition():
                return
            if time.monotonic() > deadline:
                raise AssertionError("IDL: timed out after %.0f s waiting for %s" %
                                     (timeout, what))
            poller = ovs.poller.Poller()
            self.wait(poller)
            poller.timer_wait(100)
            poller.block()

    def rows(self, table):
        return list(self.tables[table].rows.values())

    def by_name(self, table):
        return {row.name: row for row in self.rows(table)}

    def commit(self, build):
        """Runs `build(txn)` in a new transaction and commits it; returns (status, txn)."""
        txn = ovs.db.idl.Transaction(self)
        build(txn)
        status = txn.commit_block()
        return status, txn


def transact(remote, *operations):
    with Client(remote) as client:
        reply = client.call("transact", [DB] + list(operations))
    assert reply.get("error") is None, reply
    for result in reply["result"]:
        assert "error" not in result, reply
    return reply["result"]


def select_names(remote, table):
    (result,) = transact(remote, {"op": "select", "table": table, "where": [],
                                  "columns": ["name"]})
    return sorted(row["name"] for row in result["rows"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    ovs.vlog.Vlog.init(None)
    # Connection chatter from the library would drown the test report.
    ovs.vlog.Vlog.set_level("any", "console", "warn")
    suite = Suite("idl")

    def server():
        return Server(args.server, schemas=("vtep",),
                      keep=args.keep, extra_args=args.server_arg)

    def connected(server, tables=None, remote=None):
        idl = RecordingIdl(remote or server.unix_remote, tables)
        idl.run_until(lambda: idl.has_ever_connected(), "the initial contents")
        return idl

    @suite.test
    def initial_contents():
        with server() as s:
            transact(s.unix_remote,
                     {"op": "insert", "table": "Logical_Switch",
                      "row": {"name": "ls0", "tunnel_key": 100,
                              "other_config": ["map", [["k", "v"]]]}},
                     {"op": "insert", "table": "Physical_Switch", "uuid-name": "ps",
                      "row": {"name": "ps0", "tunnel_ips": ["set", ["192.0.2.1", "192.0.2.2"]]}},
                     {"op": "insert", "table": "Global", "row": {"switches": ["named-uuid", "ps"]}})
            for remote in (s.unix_remote, s.tcp_remote):
                idl = connected(s, remote=remote)
                try:
                    ls = idl.by_name("Logical_Switch")["ls0"]
                    assert ls.tunnel_key == [100] and ls.other_config == {"k": "v"}, ls
                    ps = idl.by_name("Physical_Switch")["ps0"]
                    assert sorted(ps.tunnel_ips) == ["192.0.2.1", "192.0.2.2"]
                    (global_row,) = idl.rows("Global")
                    assert [row.uuid for row in global_row.switches] == [ps.uuid]
                finally:
                    idl.close()

    @suite.test
    def idl_built_from_served_schema():
        """What get_schema returns must be a schema the IDL accepts and can replicate."""
        with server() as s:
            transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                     "row": {"name": "ls0", "replication_mode": "source_node"}})
            with Client(s.unix_remote) as client:
                reply = client.call("get_schema", [DB])
            idl = RecordingIdl(s.unix_remote, schema_json=reply["result"])
            try:
                idl.run_until(lambda: idl.has_ever_connected(), "the initial contents")
                assert sorted(idl.tables) == sorted(reply["result"]["tables"])
                row = idl.by_name("Logical_Switch")["ls0"]
                assert row.replication_mode == ["source_node"], row.replication_mode
                column = idl.tables["Logical_Switch"].columns["replication_mode"]
                assert column.type.key.enum is not None
            finally:
                idl.close()

    @suite.test
    def own_commit_is_seen():
        with server() as s:
            idl = connected(s)
            try:
                def build(txn):
                    build.row = txn.insert(idl.tables["Logical_Switch"])
                    build.row.name = "mine"
                    build.row.tunnel_key = [5000]
                    build.row.other_config = {"a": "b"}
                status, txn = idl.commit(build)
                assert status == ovs.db.idl.Transaction.SUCCESS, (status, txn.get_error())
                uuid = txn.get_insert_uuid(build.row.uuid)
                assert uuid is not None
                idl.run_until(lambda: uuid in idl.tables["Logical_Switch"].rows,
                              "the IDL's own insert")
                row = idl.tables["Logical_Switch"].rows[uuid]
                assert row.name == "mine" and row.tunnel_key == [5000], row
                assert select_names(s.unix_remote, "Logical_Switch") == ["mine"]

                def rename(txn):
                    row.verify("name")
                    row.name = "renamed"
                    row.setkey("other_config", "c", "d")
                status, _ = idl.commit(rename)
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                idl.run_until(lambda: row.name == "renamed" and row.other_config ==
                              {"a": "b", "c": "d"}, "the rename")
                status, _ = idl.commit(lambda txn: row.delete())
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                idl.run_until(lambda: not idl.rows("Logical_Switch"), "the delete")
                assert select_names(s.unix_remote, "Logical_Switch") == []
            finally:
                idl.close()

    @suite.test
    def other_clients_changes_are_seen():
        with server() as s:
            idl = connected(s)
            try:
                transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                         "row": {"name": "theirs"}})
                idl.run_until(lambda: "theirs" in idl.by_name("Logical_Switch"), "the insert")
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [], "row": {"tunnel_key": 9}})
                row = idl.by_name("Logical_Switch")["theirs"]
                idl.run_until(lambda: row.tunnel_key == [9], "the update")
                transact(s.unix_remote, {"op": "delete", "table": "Logical_Switch",
                                         "where": []})
                idl.run_until(lambda: not idl.rows("Logical_Switch"), "the delete")
                kinds = [e[0] for e in idl.events if e[3] == "Logical_Switch"]
                # The IDL also replicates _Server; only the hardware_vtep rows matter here.
                assert kinds == [ovs.db.idl.ROW_CREATE, ovs.db.idl.ROW_UPDATE,
                                 ovs.db.idl.ROW_DELETE], idl.events
            finally:
                idl.close()

    @suite.test
    def partial_updates_and_increment():
        """addvalue/delkey become mutations and increment a mutate plus select in one
        transaction; the server's answers must be what the IDL expects of them."""
        with server() as s:
            transact(s.unix_remote,
                     {"op": "insert", "table": "Physical_Switch", "uuid-name": "ps",
                      "row": {"name": "ps0", "tunnel_ips": "192.0.2.1",
                              "other_config": ["map", [["a", "1"], ["b", "2"]]]}},
                     {"op": "insert", "table": "Global", "row": {"switches": ["named-uuid", "ps"]}},
                     {"op": "insert", "table": "Logical_Switch",
                      "row": {"name": "ls0", "tunnel_key": 41}})
            idl = connected(s)
            try:
                ps = idl.by_name("Physical_Switch")["ps0"]

                def partial(txn):
                    ps.addvalue("tunnel_ips", "192.0.2.2")
                    ps.delkey("other_config", "a")
                    ps.setkey("other_config", "c", "3")
                status, _ = idl.commit(partial)
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                idl.run_until(lambda: sorted(ps.tunnel_ips) == ["192.0.2.1", "192.0.2.2"] and
                              ps.other_config == {"b": "2", "c": "3"}, "the partial updates")

                ls = idl.by_name("Logical_Switch")["ls0"]

                def bump(txn):
                    # The IDL commits an increment only along with a real change.
                    ls.description = "bumped"
                    ls.increment("tunnel_key")
                status, txn = idl.commit(bump)
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                assert txn.get_increment_new_value() == 42, txn.get_increment_new_value()
                idl.run_until(lambda: ls.tunnel_key == [42], "the increment")
            finally:
                idl.close()

    @suite.test
    def references_through_idl():
        with server() as s:
            idl = connected(s)
            try:
                def build(txn):
                    ls = txn.insert(idl.tables["Logical_Switch"])
                    ls.name = "ls"
                    locator = txn.insert(idl.tables["Physical_Locator"])
                    locator.encapsulation_type = "vxlan_over_ipv4"
                    locator.dst_ip = "192.0.2.7"
                    mac = txn.insert(idl.tables["Ucast_Macs_Remote"])
                    mac.MAC = "00:11:22:33:44:55"
                    mac.logical_switch = ls
                    mac.locator = locator
                status, txn = idl.commit(build)
                assert status == ovs.db.idl.Transaction.SUCCESS, (status, txn.get_error())
                idl.run_until(lambda: idl.rows("Ucast_Macs_Remote"), "the MAC")
                (mac,) = idl.rows("Ucast_Macs_Remote")
                assert mac.logical_switch.name == "ls" and mac.locator.dst_ip == "192.0.2.7"

                status, _ = idl.commit(lambda txn: mac.delete())
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                # The locator is not a root row: once unreferenced it is collected.
                idl.run_until(lambda: not idl.rows("Physical_Locator"),
                              "garbage collection of the locator")
            finally:
                idl.close()

    @suite.test
    def failing_commit_reports_error_and_changes_nothing():
        with server() as s:
            transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                     "row": {"name": "taken"}})
            idl = connected(s)
            try:
                def duplicate(txn):
                    row = txn.insert(idl.tables["Logical_Switch"])
                    row.name = "taken"
                status, txn = idl.commit(duplicate)
                assert status == ovs.db.idl.Transaction.ERROR, status
                assert "constraint violation" in txn.get_error(), txn.get_error()
                assert select_names(s.unix_remote, "Logical_Switch") == ["taken"]
            finally:
                idl.close()

    @suite.test
    def stale_verify_means_try_again():
        with server() as s:
            transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                     "row": {"name": "contended", "tunnel_key": 1}})
            idl = connected(s)
            try:
                row = idl.by_name("Logical_Switch")["contended"]
                # Another client changes the row; the IDL has not read that change yet.
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [], "row": {"tunnel_key": 2}})

                def bump(txn):
                    row.verify("tunnel_key")
                    row.tunnel_key = [row.tunnel_key[0] + 10]
                status, _ = idl.commit(bump)
                assert status == ovs.db.idl.Transaction.TRY_AGAIN, status
                idl.run_until(lambda: row.tunnel_key == [2], "the other client's change")
                status, _ = idl.commit(bump)
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                idl.run_until(lambda: row.tunnel_key == [12], "the retried commit")
            finally:
                idl.close()

    @suite.test
    def reconnects_after_server_restart():
        with server() as s:
            transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                     "row": {"name": "before"}})
            idl = connected(s)
            try:
                s.restart()
                transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                         "row": {"name": "after"}})
                idl.run_until(lambda: sorted(idl.by_name("Logical_Switch")) ==
                              ["after", "before"], "a resync after the restart", timeout=30)
                status, _ = idl.commit(lambda txn: idl.by_name("Logical_Switch")["before"]
                                       .delete())
                assert status == ovs.db.idl.Transaction.SUCCESS, status
                assert select_names(s.unix_remote, "Logical_Switch") == ["after"]
            finally:
                idl.close()

    @suite.test
    def lock_through_idl():
        with server() as s:
            first, second = connected(s), connected(s)
            try:
                first.set_lock("vtep_agent")
                first.run_until(lambda: first.has_lock, "the lock")
                second.set_lock("vtep_agent")
                second.run_until(lambda: second.is_lock_contended, "contention")
                assert not second.has_lock
                first.close()
                second.run_until(lambda: second.has_lock, "the lock to pass on")
            finally:
                second.close()

    @suite.test
    def stream_of_commits_is_seen_once_in_order():
        with server() as s:
            transact(s.unix_remote, {"op": "insert", "table": "Logical_Switch",
                                     "row": {"name": "counter", "tunnel_key": 0}})
            idl = connected(s, tables=["Logical_Switch"])
            with Background([OVSDB_CLIENT, "monitor", "--format=json", s.unix_remote, DB,
                             "Logical_Switch", "name,tunnel_key"]) as monitor:
                try:
                    assert monitor.json()["data"][0][1:] == ["initial", "counter", 0]
                    counter = idl.by_name("Logical_Switch")["counter"]
                    seen_keys = []
                    original_notify = idl.notify

                    def notify(event, row, updates=None):
                        original_notify(event, row, updates)
                        if row.uuid == counter.uuid and event == ovs.db.idl.ROW_UPDATE:
                            seen_keys.append(row.tunnel_key[0])
                    idl.notify = notify

                    with Client(s.unix_remote) as writer:
                        for n in range(1, STREAM_COMMITS + 1):
                            writer.call("transact", [
                                DB,
                                {"op": "insert", "table": "Logical_Switch",
                                 "row": {"name": "ls-%d" % n}},
                                {"op": "update", "table": "Logical_Switch",
                                 "where": [["name", "==", "counter"]],
                                 "row": {"tunnel_key": n}}])
                            if n % 20 == 0:
                                idl.run()  # let the IDL fall behind only a little
                    idl.run_until(lambda: counter.tunnel_key == [STREAM_COMMITS],
                                  "the last commit of the stream")

                    names = sorted(idl.by_name("Logical_Switch"))
                    expected = sorted(["counter"] + ["ls-%d" % n
                                                     for n in range(1, STREAM_COMMITS + 1)])
                    assert names == expected, names
                    creates = [e[2] for e in idl.events
                               if e[0] == ovs.db.idl.ROW_CREATE and e[3] == "Logical_Switch"]
                    assert sorted(creates) == expected, "IDL creates: %s" % creates
                    # Updates may be merged when the IDL lags, but never repeated or reordered.
                    assert seen_keys == sorted(set(seen_keys)), seen_keys
                    assert seen_keys[-1] == STREAM_COMMITS, seen_keys

                    inserted, counter_values = [], []
                    while len(inserted) < STREAM_COMMITS or \
                            counter_values[-1:] != [STREAM_COMMITS]:
                        for uuid, action, name, key in monitor.json()["data"]:
                            if action == "insert":
                                inserted.append(name)
                            elif action == "new" and name == "counter":
                                counter_values.append(key)
                    # Each inserted row is reported exactly once.
                    assert sorted(inserted) == [name for name in expected if name != "counter"], \
                        inserted
                    assert counter_values == sorted(set(counter_values)), counter_values
                finally:
                    idl.close()

    return suite.run(only=args.test)


if __name__ == "__main__":
    sys.exit(main())
