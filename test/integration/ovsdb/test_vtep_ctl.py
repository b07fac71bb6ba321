#!/usr/bin/python3
"""Open vSwitch's vtep-ctl against the server under test.

Each test drives vtep-ctl (--db=unix:SOCK) and then reads the database back with
ovsdb-client query, so a command that "succeeds" without writing the right rows fails.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Suite  # noqa: E402
from servers import Server, add_server_arguments  # noqa: E402

VTEP_CTL = shutil.which("vtep-ctl") or "/usr/bin/vtep-ctl"
OVSDB_CLIENT = shutil.which("ovsdb-client") or "/usr/bin/ovsdb-client"
DB = "hardware_vtep"


class Vtep:
    """One server plus helpers to run vtep-ctl against it and query what it wrote."""

    def __init__(self, server):
        self.server = server

    def ctl(self, *args, status=0):
        command = [VTEP_CTL, "--timeout=20", "--db=" + self.server.unix_remote] + list(args)
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if result.returncode != status:
            raise AssertionError("%s exited %d (expected %d): %s%s" %
                                 (" ".join(command), result.returncode, status,
                                  result.stdout, result.stderr))
        self.stderr = result.stderr
        return result.stdout

    def select(self, table, columns=None, where=()):
        operation = {"op": "select", "table": table, "where": list(where)}
        if columns is not None:
            operation["columns"] = list(columns)
        result = subprocess.run([OVSDB_CLIENT, "--timeout=20", "query",
                                 self.server.unix_remote, json.dumps([DB, operation])],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        (reply,) = json.loads(result.stdout)
        assert "rows" in reply, reply
        return reply["rows"]

    def one(self, table, **equal):
        rows = self.select(table, where=[[k, "==", v] for k, v in equal.items()])
        assert len(rows) == 1, "expected one %s row with %s, got %s" % (table, equal, rows)
        return rows[0]

    def uuid_of(self, table, **equal):
        return self.one(table, **equal)["_uuid"]

    def names(self, table, column="name"):
        return sorted(row[column] for row in self.select(table, [column]))


def members(value):
    """The members of an OVSDB set value (a bare atom is a set of one)."""
    if isinstance(value, list) and value and value[0] == "set":
        return value[1]
    return [value]


def as_map(value):
    assert isinstance(value, list) and value[0] == "map", value
    return {k if not isinstance(k, list) else k[1]: v for k, v in value[1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    suite = Suite("vtep-ctl")

    def vtep():
        return Server(args.server, schemas=("vtep",), tcp=False, keep=args.keep,
                      extra_args=args.server_arg)

    @suite.test
    def add_ps_creates_switch_under_global():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ps", "ps1")
            v.ctl("add-ps", "ps2")
            assert v.ctl("list-ps").split() == ["ps1", "ps2"]
            assert v.names("Physical_Switch") == ["ps1", "ps2"]
            (global_row,) = v.select("Global")
            switches = sorted(u[1] for u in members(global_row["switches"]))
            assert switches == sorted([v.uuid_of("Physical_Switch", name="ps1")[1],
                                       v.uuid_of("Physical_Switch", name="ps2")[1]])
            v.ctl("ps-exists", "ps1")
            v.ctl("ps-exists", "nope", status=2)

    @suite.test
    def add_ps_twice_and_may_exist():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ps", "ps1")
            v.ctl("add-ps", "ps1", status=1)
            assert "already exists" in v.stderr, v.stderr
            v.ctl("--may-exist", "add-ps", "ps1")
            assert v.names("Physical_Switch") == ["ps1"]

    @suite.test
    def del_ps_and_if_exists():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ps", "ps1")
            v.ctl("add-port", "ps1", "p1")
            v.ctl("del-ps", "ps1")
            assert v.select("Physical_Switch") == []
            # Ports belong to their switch (not a root table) and go with it.
            assert v.select("Physical_Port") == []
            v.ctl("del-ps", "ps1", status=1)
            v.ctl("--if-exists", "del-ps", "ps1")

    @suite.test
    def add_port_and_list_ports():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ps", "ps1")
            v.ctl("add-port", "ps1", "p1")
            v.ctl("add-port", "ps1", "p2")
            assert v.ctl("list-ports", "ps1").split() == ["p1", "p2"]
            switch = v.one("Physical_Switch", name="ps1")
            ports = sorted(u[1] for u in members(switch["ports"]))
            assert ports == sorted(r["_uuid"][1] for r in v.select("Physical_Port")), switch
            v.ctl("add-port", "ps1", "p1", status=1)
            v.ctl("--may-exist", "add-port", "ps1", "p1")
            v.ctl("del-port", "ps1", "p2")
            assert v.names("Physical_Port") == ["p1"]
            v.ctl("--if-exists", "del-port", "ps1", "p2")
            v.ctl("del-port", "ps1", "p2", status=1)

    @suite.test
    def add_ls_and_exists():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            v.ctl("add-ls", "ls2")
            assert v.ctl("list-ls").split() == ["ls1", "ls2"]
            assert v.names("Logical_Switch") == ["ls1", "ls2"]
            v.ctl("ls-exists", "ls2")
            v.ctl("ls-exists", "nope", status=2)
            v.ctl("del-ls", "ls2")
            assert v.names("Logical_Switch") == ["ls1"]
            v.ctl("del-ls", "ls2", status=1)
            v.ctl("--if-exists", "del-ls", "ls2")

    @suite.test
    def bind_and_unbind_ls():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ps", "ps1")
            v.ctl("add-port", "ps1", "p1")
            v.ctl("add-ls", "ls1")
            v.ctl("add-ls", "ls2")
            v.ctl("bind-ls", "ps1", "p1", "100", "ls1")
            v.ctl("bind-ls", "ps1", "p1", "4095", "ls2")
            assert v.ctl("list-bindings", "ps1", "p1").splitlines() == ["0100 ls1", "4095 ls2"]
            bindings = as_map(v.one("Physical_Port", name="p1")["vlan_bindings"])
            assert bindings == {100: v.uuid_of("Logical_Switch", name="ls1"),
                                4095: v.uuid_of("Logical_Switch", name="ls2")}, bindings
            v.ctl("bind-ls", "ps1", "p1", "4096", "ls1", status=1)
            v.ctl("unbind-ls", "ps1", "p1", "100")
            bindings = as_map(v.one("Physical_Port", name="p1")["vlan_bindings"])
            assert list(bindings) == [4095], bindings
            # A bound logical switch is referenced, so deleting it needs the binding gone.
            v.ctl("unbind-ls", "ps1", "p1", "4095")
            assert v.one("Physical_Port", name="p1")["vlan_bindings"] == ["map", []]
            v.ctl("del-ls", "ls2")

    @suite.test
    def ucast_remote_macs():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            v.ctl("add-ucast-remote", "ls1", "00:11:22:33:44:55", "192.0.2.1")
            v.ctl("add-ucast-remote", "ls1", "00:11:22:33:44:66", "vxlan_over_ipv4", "192.0.2.2")
            v.ctl("add-ucast-remote", "ls1", "00:11:22:33:44:77", "192.0.2.1")
            listing = v.ctl("list-remote-macs", "ls1")
            assert "  00:11:22:33:44:55 -> vxlan_over_ipv4/192.0.2.1" in listing, listing
            assert "  00:11:22:33:44:66 -> vxlan_over_ipv4/192.0.2.2" in listing, listing
            macs = v.select("Ucast_Macs_Remote")
            assert sorted(m["MAC"] for m in macs) == ["00:11:22:33:44:55", "00:11:22:33:44:66",
                                                     "00:11:22:33:44:77"], macs
            locators = {r["_uuid"][1]: r for r in v.select("Physical_Locator")}
            # One locator per destination, shared by the MACs behind it.
            assert sorted(r["dst_ip"] for r in locators.values()) == ["192.0.2.1", "192.0.2.2"]
            ls1 = v.uuid_of("Logical_Switch", name="ls1")
            for mac in macs:
                assert mac["logical_switch"] == ls1, mac
                locator = locators[mac["locator"][1]]
                assert locator["encapsulation_type"] == "vxlan_over_ipv4", locator
            v.ctl("del-ucast-remote", "ls1", "00:11:22:33:44:66")
            assert len(v.select("Ucast_Macs_Remote")) == 2
            # The locator nobody references any more is garbage collected.
            assert [r["dst_ip"] for r in v.select("Physical_Locator")] == ["192.0.2.1"]

    @suite.test
    def mcast_remote_macs():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            v.ctl("add-mcast-remote", "ls1", "unknown-dst", "192.0.2.1")
            v.ctl("add-mcast-remote", "ls1", "unknown-dst", "192.0.2.3")
            listing = v.ctl("list-remote-macs", "ls1")
            assert "mcast-mac-remote\n  unknown-dst -> vxlan_over_ipv4/192.0.2.1\n" \
                   "  unknown-dst -> vxlan_over_ipv4/192.0.2.3\n" in listing, listing
            (mcast,) = v.select("Mcast_Macs_Remote")
            assert mcast["MAC"] == "unknown-dst", mcast
            (locator_set,) = v.select("Physical_Locator_Set")
            assert mcast["locator_set"] == locator_set["_uuid"], (mcast, locator_set)
            locators = {r["_uuid"][1]: r["dst_ip"] for r in v.select("Physical_Locator")}
            assert sorted(locators[u[1]] for u in members(locator_set["locators"])) == \
                ["192.0.2.1", "192.0.2.3"], locator_set
            v.ctl("del-mcast-remote", "ls1", "unknown-dst", "192.0.2.1")
            (locator_set,) = v.select("Physical_Locator_Set")
            assert [locators[u[1]] for u in members(locator_set["locators"])] == ["192.0.2.3"]

    @suite.test
    def clear_remote_macs():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            v.ctl("add-ls", "ls2")
            v.ctl("add-ucast-remote", "ls1", "00:11:22:33:44:55", "192.0.2.1")
            v.ctl("add-mcast-remote", "ls1", "unknown-dst", "192.0.2.2")
            v.ctl("add-ucast-remote", "ls2", "00:11:22:33:44:99", "192.0.2.9")
            v.ctl("clear-remote-macs", "ls1")
            assert v.ctl("list-remote-macs", "ls1") == "ucast-mac-remote\n\nmcast-mac-remote\n\n"
            assert [m["MAC"] for m in v.select("Ucast_Macs_Remote")] == ["00:11:22:33:44:99"]
            assert v.select("Mcast_Macs_Remote") == []
            assert v.select("Physical_Locator_Set") == []
            assert [r["dst_ip"] for r in v.select("Physical_Locator")] == ["192.0.2.9"]

    @suite.test
    def local_macs():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            v.ctl("add-ucast-local", "ls1", "00:00:00:00:00:01", "192.0.2.1")
            v.ctl("add-mcast-local", "ls1", "unknown-dst", "192.0.2.1")
            assert [m["MAC"] for m in v.select("Ucast_Macs_Local")] == ["00:00:00:00:00:01"]
            assert "unknown-dst -> vxlan_over_ipv4/192.0.2.1" in v.ctl("list-local-macs", "ls1")
            v.ctl("clear-local-macs", "ls1")
            assert v.select("Ucast_Macs_Local") == [] and v.select("Mcast_Macs_Local") == []

    @suite.test
    def set_get_and_del_manager():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("set-manager", "ptcp:6640", "tcp:192.0.2.9:6640")
            assert sorted(v.ctl("get-manager").split()) == ["ptcp:6640", "tcp:192.0.2.9:6640"]
            managers = {r["_uuid"][1]: r["target"] for r in v.select("Manager")}
            assert sorted(managers.values()) == ["ptcp:6640", "tcp:192.0.2.9:6640"]
            (global_row,) = v.select("Global")
            assert sorted(u[1] for u in members(global_row["managers"])) == sorted(managers)
            v.ctl("set-manager", "ssl:192.0.2.10:6640")
            assert v.names("Manager", "target") == ["ssl:192.0.2.10:6640"]
            v.ctl("--inactivity-probe=30000", "set-manager", "tcp:192.0.2.11:6640")
            assert v.one("Manager", target="tcp:192.0.2.11:6640")["inactivity_probe"] == 30000
            v.ctl("del-manager")
            assert v.select("Manager") == [] and v.ctl("get-manager") == ""

    @suite.test
    def generic_list_get_set_clear():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            listing = v.ctl("list", "Logical_Switch", "ls1")
            fields = dict(line.split(" : ", 1) for line in listing.splitlines())
            fields = {k.strip(): val for k, val in fields.items()}
            assert fields["name"] == "ls1" and fields["tunnel_key"] == "[]", fields
            assert fields["_uuid"] == v.uuid_of("Logical_Switch", name="ls1")[1], fields
            v.ctl("set", "Logical_Switch", "ls1", "tunnel_key=5000", "other_config:k=v",
                  "description=\"a switch\"")
            row = v.one("Logical_Switch", name="ls1")
            assert row["tunnel_key"] == 5000 and row["description"] == "a switch", row
            assert as_map(row["other_config"]) == {"k": "v"}, row
            assert v.ctl("get", "Logical_Switch", "ls1", "tunnel_key", "other_config:k") == \
                "5000\nv\n"
            v.ctl("add", "Logical_Switch", "ls1", "other_config", "k2=v2")
            v.ctl("remove", "Logical_Switch", "ls1", "other_config", "k")
            assert as_map(v.one("Logical_Switch", name="ls1")["other_config"]) == {"k2": "v2"}
            v.ctl("set", "Logical_Switch", "ls1", "replication_mode=source_node")
            assert v.ctl("get-replication-mode", "ls1").strip() == "source_node"
            v.ctl("set", "Logical_Switch", "ls1", "replication_mode=bogus", status=1)
            v.ctl("clear", "Logical_Switch", "ls1", "other_config", "tunnel_key")
            row = v.one("Logical_Switch", name="ls1")
            assert row["other_config"] == ["map", []] and row["tunnel_key"] == ["set", []], row
            found = v.ctl("--columns=name", "find", "Logical_Switch", "name=ls1")
            assert found.split() == ["name", ":", "ls1"], found

    @suite.test
    def create_and_destroy():
        with vtep() as server:
            v = Vtep(server)
            uuid = v.ctl("create", "Logical_Switch", "name=made", "tunnel_key=7").strip()
            assert v.uuid_of("Logical_Switch", name="made") == ["uuid", uuid]
            v.ctl("destroy", "Logical_Switch", "made")
            assert v.select("Logical_Switch") == []
            v.ctl("destroy", "Logical_Switch", "made", status=1)
            assert 'no row "made"' in v.stderr, v.stderr
            v.ctl("--if-exists", "destroy", "Logical_Switch", "made")
            assert v.ctl("--if-exists", "get", "Logical_Switch", "made", "name") == ""

    @suite.test
    def referenced_switch_cannot_vanish():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            v.ctl("add-ucast-remote", "ls1", "00:11:22:33:44:55", "192.0.2.1")
            # Ucast_Macs_Remote holds a strong reference, so the raw destroy must fail.
            v.ctl("destroy", "Logical_Switch", "ls1", status=1)
            assert "referential integrity violation" in v.stderr or "reference" in v.stderr, \
                v.stderr
            assert v.names("Logical_Switch") == ["ls1"]
            v.ctl("del-ls", "ls1", status=1)
            assert "referential integrity violation" in v.stderr, v.stderr
            v.ctl("clear-remote-macs", "ls1")
            v.ctl("del-ls", "ls1")
            assert v.select("Logical_Switch") == [] and v.select("Ucast_Macs_Remote") == []

    @suite.test
    def wait_until_sees_another_clients_change():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ls", "ls1")
            command = [VTEP_CTL, "--timeout=20", "--db=" + server.unix_remote, "wait-until",
                       "Logical_Switch", "ls1", "tunnel_key=5000"]
            waiter = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
            try:
                # Still waiting after a change that does not satisfy it...
                v.ctl("set", "Logical_Switch", "ls1", "tunnel_key=4999")
                try:
                    waiter.wait(0.5)
                except subprocess.TimeoutExpired:
                    pass
                assert waiter.poll() is None, "wait-until returned early: %s" % (
                    waiter.communicate(),)
                # ...and done once the row matches.
                v.ctl("set", "Logical_Switch", "ls1", "tunnel_key=5000")
                assert waiter.wait(20) == 0, waiter.communicate()
            finally:
                if waiter.poll() is None:
                    waiter.kill()
                    waiter.wait()

    @suite.test
    def show_summarises():
        with vtep() as server:
            v = Vtep(server)
            v.ctl("add-ps", "ps1")
            v.ctl("add-port", "ps1", "p1")
            v.ctl("add-ls", "ls1")
            v.ctl("bind-ls", "ps1", "p1", "7", "ls1")
            lines = [line.strip() for line in v.ctl("show").splitlines()]
            for expected in ("Physical_Switch ps1", "Physical_Port p1", "vlan_bindings:",
                             "7=ls1"):
                assert expected in lines, lines

    return suite.run(only=args.test)


if __name__ == "__main__":
    sys.exit(main())
