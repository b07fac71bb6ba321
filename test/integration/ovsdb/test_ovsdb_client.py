#!/usr/bin/python3
"""Open vSwitch's ovsdb-client against the server under test.

Every command ovsdb-client offers for reading and writing a database is run against a fresh
server holding the hardware_vtep database, and its output is checked against the schema
file and against what another client wrote.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Background, Suite  # noqa: E402
from jsonrpc import Client  # noqa: E402
from servers import OVSDB_TOOL, VTEP_SCHEMA, Server, add_server_arguments  # noqa: E402

OVSDB_CLIENT = shutil.which("ovsdb-client") or "/usr/bin/ovsdb-client"
DB = "hardware_vtep"

with open(VTEP_SCHEMA) as f:
    SCHEMA = json.load(f)


def client_run(*args, check=True):
    """Runs ovsdb-client; returns its stdout."""
    command = [OVSDB_CLIENT, "--timeout=20"] + list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(command), result.returncode,
                                                     result.stderr.strip()))
    return result.stdout


def json_values(text):
    """Every JSON value in `text`, which may hold several one after another."""
    decoder = json.JSONDecoder()
    values, text = [], text.strip()
    while text:
        value, end = decoder.raw_decode(text)
        values.append(value)
        text = text[end:].strip()
    return values


def transact(remote, *operations):
    with Client(remote) as client:
        reply = client.call("transact", [DB] + list(operations))
    assert reply.get("error") is None, reply
    for result in reply["result"]:
        assert "error" not in result, reply
    return reply["result"]


def insert_switch(remote, name, tunnel_key=None):
    row = {"name": name}
    if tunnel_key is not None:
        row["tunnel_key"] = tunnel_key
    return transact(remote, {"op": "insert", "table": "Logical_Switch", "row": row})[0]["uuid"][1]


def dump_rows(remote, table):
    """The rows of `table` as ovsdb-client dump --format=json shows them, as dicts."""
    (dump,) = json_values(client_run("dump", "--format=json", remote, DB, table))
    assert dump["caption"] == table + " table", dump
    return [dict(zip(dump["headings"], row)) for row in dump["data"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()

    suite = Suite("ovsdb-client")

    def server():
        return Server(args.server, schemas=("vtep",),
                      keep=args.keep, extra_args=args.server_arg)

    @suite.test
    def list_dbs():
        with server() as s:
            for remote in (s.unix_remote, s.tcp_remote):
                assert sorted(client_run("list-dbs", remote).split()) == ["_Server", DB]

    @suite.test
    def get_schema_matches_schema_file():
        with server() as s:
            schema = json.loads(client_run("get-schema", s.unix_remote, DB))
            assert schema["name"] == SCHEMA["name"] and schema["version"] == SCHEMA["version"]
            assert sorted(schema["tables"]) == sorted(SCHEMA["tables"])
            for name, table in SCHEMA["tables"].items():
                served = schema["tables"][name]
                assert sorted(served["columns"]) == sorted(table["columns"]), name
                assert served.get("isRoot", False) == table.get("isRoot", False), name
                assert served.get("indexes", []) == table.get("indexes", []), name
                assert served.get("maxRows") == table.get("maxRows"), name
            assert client_run("get-schema-version", s.unix_remote, DB).strip() == "1.7.0"
            assert client_run("get-schema-cksum", s.unix_remote, DB).strip() == SCHEMA["cksum"]

    @suite.test
    def wait_for_database():
        with server() as s:
            client_run("wait", s.unix_remote, DB, "connected")
            client_run("wait", s.unix_remote, DB, "added")

    @suite.test
    def list_tables():
        with server() as s:
            lines = client_run("list-tables", s.unix_remote, DB).splitlines()
            assert lines[0].strip() == "Table" and set(lines[1]) == {"-"}, lines[:2]
            assert sorted(line.strip() for line in lines[2:]) == sorted(SCHEMA["tables"])

    @suite.test
    def list_columns():
        with server() as s:
            text = client_run("list-columns", "--format=json", s.unix_remote, DB,
                              "Logical_Switch")
            (table,) = json_values(text)
            assert table["headings"] == ["Column", "Type"], table
            columns = {name: kind for name, kind in table["data"]}
            expected = set(SCHEMA["tables"]["Logical_Switch"]["columns"]) | {"_uuid", "_version"}
            assert set(columns) == expected, columns
            assert columns["_uuid"] == "uuid" and columns["name"] == "string", columns
            assert columns["tunnel_key"] == {"key": "integer", "min": 0}, columns

    @suite.test
    def transact_then_dump():
        with server() as s:
            text = client_run("transact", s.unix_remote, json.dumps([
                DB,
                {"op": "insert", "table": "Logical_Switch",
                 "row": {"name": "ls0", "tunnel_key": 5000, "description": "first"}},
                {"op": "insert", "table": "Logical_Switch", "row": {"name": "ls1"}}]))
            (result,) = json_values(text)
            assert len(result) == 2 and all("uuid" in r for r in result), result
            rows = {r["name"]: r for r in dump_rows(s.unix_remote, "Logical_Switch")}
            assert sorted(rows) == ["ls0", "ls1"], rows
            assert rows["ls0"]["_uuid"] == result[0]["uuid"], rows
            assert rows["ls0"]["tunnel_key"] == 5000 and rows["ls0"]["description"] == "first"
            assert rows["ls1"]["tunnel_key"] == ["set", []], rows

    @suite.test
    def transact_reports_errors():
        with server() as s:
            insert_switch(s.unix_remote, "taken")
            text = client_run("transact", s.unix_remote, json.dumps([
                DB, {"op": "insert", "table": "Logical_Switch", "row": {"name": "taken"}}]))
            (result,) = json_values(text)
            assert result[1]["error"] == "constraint violation", result
            assert [r["name"] for r in dump_rows(s.unix_remote, "Logical_Switch")] == ["taken"]

    @suite.test
    def query_reads_and_never_commits():
        with server() as s:
            insert_switch(s.unix_remote, "kept")
            (result,) = json_values(client_run("query", s.unix_remote, json.dumps([
                DB,
                {"op": "insert", "table": "Logical_Switch", "row": {"name": "discarded"}},
                {"op": "select", "table": "Logical_Switch", "where": [], "columns": ["name"]}])))
            assert sorted(r["name"] for r in result[1]["rows"]) == ["discarded", "kept"], result
            assert [r["name"] for r in dump_rows(s.unix_remote, "Logical_Switch")] == ["kept"]

    @suite.test
    def dump_whole_database():
        with server() as s:
            transact(s.unix_remote,
                     {"op": "insert", "table": "Physical_Switch", "uuid-name": "ps",
                      "row": {"name": "sw", "tunnel_ips": ["set", ["192.0.2.1"]]}},
                     {"op": "insert", "table": "Global", "row": {"switches": ["named-uuid", "ps"]}})
            tables = json_values(client_run("dump", "--format=json", s.unix_remote, DB))
            captions = sorted(t["caption"] for t in tables)
            assert captions == sorted(name + " table" for name in SCHEMA["tables"]), captions
            by_caption = {t["caption"]: t for t in tables}
            switch = by_caption["Physical_Switch table"]
            assert len(switch["data"]) == 1, switch
            row = dict(zip(switch["headings"], switch["data"][0]))
            assert row["name"] == "sw" and row["tunnel_ips"] == "192.0.2.1", row
            assert by_caption["Logical_Switch table"]["data"] == []

    @suite.test
    def backup_is_a_valid_database_file():
        with server() as s, tempfile.TemporaryDirectory() as tmp:
            insert_switch(s.unix_remote, "saved", 7)
            backup = os.path.join(tmp, "backup.db")
            with open(backup, "w") as out:
                result = subprocess.run([OVSDB_CLIENT, "backup", s.unix_remote, DB],
                                        stdout=out, stderr=subprocess.PIPE, text=True,
                                        timeout=30)
            assert result.returncode == 0, result.stderr
            name = subprocess.run([OVSDB_TOOL, "db-name", backup], capture_output=True,
                                  text=True, check=True).stdout.strip()
            assert name == DB, name
            query = subprocess.run([OVSDB_TOOL, "query", backup, json.dumps([
                DB, {"op": "select", "table": "Logical_Switch", "where": [],
                     "columns": ["name", "tunnel_key"]}])],
                capture_output=True, text=True, check=True).stdout
            assert json.loads(query) == [{"rows": [{"name": "saved", "tunnel_key": 7}]}], query

    @suite.test
    def monitor_initial_and_live_updates():
        with server() as s:
            first = insert_switch(s.unix_remote, "ls0", 1)
            with Background([OVSDB_CLIENT, "monitor", "--format=json", s.unix_remote, DB,
                             "Logical_Switch", "name,tunnel_key"]) as monitor:
                initial = monitor.json()
                assert initial["headings"] == ["row", "action", "name", "tunnel_key"], initial
                assert initial["data"] == [[first, "initial", "ls0", 1]], initial
                second = insert_switch(s.unix_remote, "ls1")
                update = monitor.json()
                assert update["data"] == [[second, "insert", "ls1", ["set", []]]], update
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [["name", "==", "ls0"]],
                                         "row": {"tunnel_key": 2}})
                update = monitor.json()
                # "old" shows only the columns that changed; the others are null.
                assert update["data"] == [[first, "old", None, 1], ["", "new", "ls0", 2]], update
                transact(s.unix_remote, {"op": "delete", "table": "Logical_Switch",
                                         "where": [["name", "==", "ls1"]]})
                update = monitor.json()
                assert update["data"] == [[second, "delete", "ls1", ["set", []]]], update

    @suite.test
    def monitor_columns_only_report_their_changes():
        with server() as s:
            insert_switch(s.unix_remote, "ls0")
            with Background([OVSDB_CLIENT, "monitor", "--format=json", s.unix_remote, DB,
                             "Logical_Switch", "name"]) as monitor:
                monitor.json()
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [], "row": {"description": "unwatched"}})
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [], "row": {"name": "renamed"}})
                update = monitor.json()
                assert [row[1:] for row in update["data"]] == [["old", "ls0"],
                                                               ["new", "renamed"]], update

    @suite.test
    def monitor_cond_with_condition():
        with server() as s:
            watched = insert_switch(s.unix_remote, "watched", 10)
            insert_switch(s.unix_remote, "ignored", 2)
            with Background([OVSDB_CLIENT, "monitor-cond", "--format=json", s.unix_remote, DB,
                             json.dumps([["tunnel_key", ">=", 10]]), "Logical_Switch",
                             "name,tunnel_key"]) as monitor:
                initial = monitor.json()
                assert initial["data"] == [[watched, "initial", "watched", 10]], initial
                # A change to a row outside the condition is not reported: the next line
                # is the insert that follows it.
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [["name", "==", "ignored"]],
                                         "row": {"tunnel_key": 3}})
                new = insert_switch(s.unix_remote, "born-matching", 99)
                update = monitor.json()
                assert update["data"] == [[new, "insert", "born-matching", 99]], update
                transact(s.unix_remote, {"op": "update", "table": "Logical_Switch",
                                         "where": [["name", "==", "born-matching"]],
                                         "row": {"tunnel_key": 0}})
                update = monitor.json()
                assert [row[:2] for row in update["data"]] == [[new, "delete"]], update

    @suite.test
    def monitor_server_database():
        with server() as s:
            with Background([OVSDB_CLIENT, "monitor", "--format=json", s.unix_remote,
                             "_Server", "Database", "name,model,connected"]) as monitor:
                initial = monitor.json()
                rows = sorted(row[2:] for row in initial["data"])
                assert rows == [["_Server", "standalone", True],
                                [DB, "standalone", True]], initial

    @suite.test
    def lock_second_client_waits():
        with server() as s:
            with Background([OVSDB_CLIENT, "lock", s.unix_remote, "vtep_lock"]) as owner:
                assert owner.json() == {"locked": True}
                with Background([OVSDB_CLIENT, "lock", s.unix_remote, "vtep_lock"]) as waiter:
                    assert waiter.json() == {"locked": False}
                    owner.stop()
                    assert waiter.line() == "locked"
                    assert waiter.json() == ["vtep_lock"]

    @suite.test
    def steal_takes_lock():
        with server() as s:
            with Background([OVSDB_CLIENT, "lock", s.unix_remote, "vtep_lock"]) as owner:
                assert owner.json() == {"locked": True}
                with Background([OVSDB_CLIENT, "steal", s.unix_remote, "vtep_lock"]) as thief:
                    assert thief.json() == {"locked": True}
                    assert owner.line() == "stolen"
                    assert owner.json() == ["vtep_lock"]
                    # The lock really moved: the thief's connection owns it now.
                    with Client(s.unix_remote) as probe:
                        reply = probe.call("lock", ["vtep_lock"])
                    assert reply["result"] == {"locked": False}, reply

    return suite.run(only=args.test)


if __name__ == "__main__":
    sys.exit(main())
