#!/usr/bin/python3
"""The database file of the server under test is Open vSwitch's standalone format.

What the server commits must be readable by ovsdb-tool (query, show-log, db-name,
db-version, db-cksum), must survive a restart (ephemeral columns excepted), and the server
must open files that ovsdb-tool wrote itself: made by `create`, filled by `transact`,
rewritten by `compact`.
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Suite  # noqa: E402
from jsonrpc import Client  # noqa: E402
from servers import OVSDB_TOOL, VTEP_SCHEMA, Server, add_server_arguments  # noqa: E402

DB = "hardware_vtep"

with open(VTEP_SCHEMA) as f:
    SCHEMA = json.load(f)


def tool(*args):
    result = subprocess.run([OVSDB_TOOL] + list(args), capture_output=True, text=True,
                            timeout=30)
    if result.returncode != 0:
        raise AssertionError("ovsdb-tool %s failed: %s" % (" ".join(args), result.stderr))
    return result.stdout


def transact(server, *operations):
    with Client(server.unix_remote) as client:
        reply = client.call("transact", [DB] + list(operations))
    assert reply.get("error") is None, reply
    for result in reply["result"]:
        assert "error" not in result, reply
    return reply["result"]


def select(server, table, columns):
    (result,) = transact(server, {"op": "select", "table": table, "where": [],
                                  "columns": columns})
    return sorted(result["rows"], key=lambda row: json.dumps(row, sort_keys=True))


def file_select(path, table, columns):
    (result,) = json.loads(tool("query", path, json.dumps([
        DB, {"op": "select", "table": table, "where": [], "columns": columns}])))
    return sorted(result["rows"], key=lambda row: json.dumps(row, sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    suite = Suite("storage")

    def server():
        return Server(args.server, schemas=("vtep",), tcp=False, keep=args.keep,
                      extra_args=args.server_arg)

    @suite.test
    def commits_are_in_the_file():
        with server() as s:
            transact(s, {"op": "insert", "table": "Logical_Switch",
                         "row": {"name": "ls0", "tunnel_key": 5000,
                                 "other_config": ["map", [["k", "v"]]]}},
                     {"op": "comment", "comment": "first switch"})
            transact(s, {"op": "insert", "table": "Logical_Switch", "row": {"name": "ls1"}})
            transact(s, {"op": "delete", "table": "Logical_Switch",
                         "where": [["name", "==", "ls1"]]})
            transact(s, {"op": "update", "table": "Logical_Switch", "where": [],
                         "row": {"description": "changed"}},
                     {"op": "commit", "durable": True})
            path = s.db_files[0]
            # A durable commit is on disk when its reply arrives, server still running.
            assert file_select(path, "Logical_Switch", ["name", "description"]) == \
                [{"name": "ls0", "description": "changed"}]
            assert tool("db-name", path).strip() == DB
            assert tool("db-version", path).strip() == SCHEMA["version"]
            assert tool("db-cksum", path).strip() == SCHEMA["cksum"]
            log = tool("show-log", path)
            assert re.search(r'^record 0: "hardware_vtep" schema, version="1\.7\.0"', log,
                             re.M), log
            assert '"first switch"' in log, log
            records = re.findall(r"^record (\d+):", log, re.M)
            assert len(records) == 5, "schema plus four transactions expected:\n" + log
            rows = file_select(path, "Logical_Switch",
                               ["name", "tunnel_key", "other_config", "description"])
            assert rows == [{"name": "ls0", "tunnel_key": 5000, "description": "changed",
                             "other_config": ["map", [["k", "v"]]]}], rows

    @suite.test
    def restart_keeps_data_and_drops_ephemeral_values():
        with server() as s:
            transact(s, {"op": "insert", "table": "Global",
                         "row": {"managers": ["named-uuid", "m"]}},
                     {"op": "insert", "table": "Manager", "uuid-name": "m",
                      "row": {"target": "ptcp:6640", "is_connected": True,
                              "status": ["map", [["state", "ACTIVE"]]]}})
            before = select(s, "Manager", ["_uuid", "target", "is_connected", "status"])
            assert before[0]["is_connected"] is True, before
            s.restart()
            after = select(s, "Manager", ["_uuid", "target", "is_connected", "status"])
            assert after == [{"_uuid": before[0]["_uuid"], "target": "ptcp:6640",
                              "is_connected": False, "status": ["map", []]}], after

    @suite.test
    def garbage_collected_rows_stay_gone():
        with server() as s:
            transact(s, {"op": "insert", "table": "Physical_Locator",
                         "row": {"encapsulation_type": "vxlan_over_ipv4",
                                 "dst_ip": "192.0.2.1"}})
            assert select(s, "Physical_Locator", ["dst_ip"]) == []
            s.restart()
            assert select(s, "Physical_Locator", ["dst_ip"]) == []
            assert file_select(s.db_files[0], "Physical_Locator", ["dst_ip"]) == []

    @suite.test
    def opens_files_written_by_ovsdb_tool():
        with server() as s:
            s.halt()
            path = s.db_files[0]
            tool("transact", path, json.dumps([
                DB, {"op": "insert", "table": "Logical_Switch", "row": {"name": "offline"}}]))
            tool("transact", path, json.dumps([
                DB, {"op": "insert", "table": "Logical_Switch", "row": {"name": "gone"}}]))
            tool("transact", path, json.dumps([
                DB, {"op": "delete", "table": "Logical_Switch",
                     "where": [["name", "==", "gone"]]}]))
            tool("compact", path)
            assert len(re.findall(r"^record", tool("show-log", path), re.M)) == 2
            s.launch()
            assert select(s, "Logical_Switch", ["name"]) == [{"name": "offline"}]
            transact(s, {"op": "insert", "table": "Logical_Switch", "row": {"name": "online"}})
            s.restart()
            assert select(s, "Logical_Switch", ["name"]) == [{"name": "offline"},
                                                              {"name": "online"}]

    @suite.test
    def many_transactions_replay_in_order():
        with server() as s:
            transact(s, {"op": "insert", "table": "Logical_Switch",
                         "row": {"name": "counter", "tunnel_key": 0}})
            with Client(s.unix_remote) as client:
                for n in range(1, 301):
                    reply = client.call("transact", [DB, {
                        "op": "mutate", "table": "Logical_Switch", "where": [],
                        "mutations": [["tunnel_key", "+=", 1]]}])
                    assert reply["result"] == [{"count": 1}], reply
            s.restart()
            assert select(s, "Logical_Switch", ["tunnel_key"]) == [{"tunnel_key": 300}]

    return suite.run(only=args.test)


if __name__ == "__main__":
    sys.exit(main())
