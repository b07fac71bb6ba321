#!/usr/bin/python3
"""OVN manages ovsdb-vtepd as a hardware VTEP, control plane only.

Debian's OVN 23.03 (ovsdb-server for the NB and SB databases, ovn-northd,
ovn-controller-vtep) runs against ovsdb-vtepd exactly as it would against Open vSwitch's
vtep ovsdb-server: ovn-controller-vtep registers the physical switch as a chassis,
programs the logical switch's tunnel key, the hypervisor's MACs (Ucast_Macs_Remote) and
the flood list (Mcast_Macs_Remote unknown-dst) when a port/VLAN is bound, and withdraws
them when it is unbound. The hypervisor is simulated in the SB database (a Chassis with
a vxlan Encap and a Port_Binding), as ovn-controller would write it. Traffic through the
dataplane is the VTEP agent's end-to-end test; this one checks what reaches the database.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ovsdb"))

from harness import Suite, wait_for  # noqa: E402

OVSDB_SERVER = "/usr/sbin/ovsdb-server"
OVSDB_TOOL = "/usr/bin/ovsdb-tool"
OVN_SCHEMAS = "/usr/share/ovn"
PSWITCH = "br-vtep"
PSWITCH_TUNNEL_IP = "192.0.2.10"
HV_IP = "192.0.2.20"
VM_MAC = "00:00:5e:00:53:01"


class Topology:
    """ovsdb-vtepd plus an OVN control plane in one temporary directory."""

    def __init__(self, vtepd):
        self.vtepd = vtepd
        self.dir = tempfile.mkdtemp(prefix="ovn-vtep-%d-" % os.getpid(), dir="/tmp")
        self.processes = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, name, command):
        log = open(self.path(name + ".log"), "ab")
        # Control sockets and pidfiles of the OVN daemons stay in our directory.
        env = dict(os.environ, OVN_RUNDIR=self.dir, OVS_RUNDIR=self.dir)
        p = subprocess.Popen(command, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, env=env)
        self.processes.append((name, p))
        return p

    def wait_socket(self, name):
        wait_for(lambda: os.path.exists(self.path(name)), what=name)

    def start(self):
        self.spawn("ovsdb-vtepd", [self.vtepd, self.path("vtep.db"),
                                   "--remote=punix:" + self.path("vtep.sock"),
                                   "--unixctl=none", "--no-dataplane"])
        for db, schema in (("nb", "ovn-nb.ovsschema"), ("sb", "ovn-sb.ovsschema")):
            subprocess.run([OVSDB_TOOL, "create", self.path(db + ".db"),
                            os.path.join(OVN_SCHEMAS, schema)], check=True)
            self.spawn(db, [OVSDB_SERVER, self.path(db + ".db"),
                            "--remote=punix:" + self.path(db + ".sock"),
                            "--unixctl=" + self.path(db + ".ctl")])
        for sock in ("vtep.sock", "nb.sock", "sb.sock"):
            self.wait_socket(sock)
        self.run(["ovn-nbctl", "init"], db="nb")
        self.run(["ovn-sbctl", "init"], db="sb")
        self.spawn("ovn-northd", ["ovn-northd", "--ovnnb-db=unix:" + self.path("nb.sock"),
                                  "--ovnsb-db=unix:" + self.path("sb.sock"),
                                  "--unixctl=" + self.path("northd.ctl")])
        # The switch side: what the VTEP agent publishes from its configuration.
        self.vtep("add-ps", PSWITCH)
        self.vtep("set", "Physical_Switch", PSWITCH, "tunnel_ips=" + PSWITCH_TUNNEL_IP)
        self.vtep("add-port", PSWITCH, "p0")
        self.spawn("ovn-controller-vtep", [
            "ovn-controller-vtep", "--vtep-db=unix:" + self.path("vtep.sock"),
            "--ovnsb-db=unix:" + self.path("sb.sock")])
        return self

    def run(self, command, db=None):
        env = dict(os.environ)
        if db == "nb":
            command = [command[0], "--db=unix:" + self.path("nb.sock")] + command[1:]
        elif db == "sb":
            command = [command[0], "--db=unix:" + self.path("sb.sock")] + command[1:]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)
        if result.returncode != 0:
            raise AssertionError("%s failed: %s" % (" ".join(command), result.stderr))
        return result.stdout

    def vtep(self, *args):
        return self.run(["vtep-ctl", "--db=unix:" + self.path("vtep.sock")] + list(args))

    def nb(self, *args):
        return self.run(["ovn-nbctl"] + list(args), db="nb")

    def sb(self, *args):
        return self.run(["ovn-sbctl"] + list(args), db="sb")

    def rows(self, table, columns):
        """The rows of a vtep table, as dicts of the given columns (ovsdb-client query)."""
        out = self.run(["ovsdb-client", "query", "unix:" + self.path("vtep.sock"),
                        json.dumps(["hardware_vtep", {"op": "select", "table": table,
                                                      "where": [], "columns": columns}])])
        return json.loads(out)[0]["rows"]

    def logs(self):
        text = []
        for name, _ in self.processes:
            try:
                with open(self.path(name + ".log"), errors="replace") as f:
                    text.append("--- %s\n%s" % (name, f.read()[-3000:]))
            except OSError:
                pass
        return "\n".join(text)

    def stop(self):
        for _, p in reversed(self.processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def locator_ip(t, uuid):
    for row in t.rows("Physical_Locator", ["_uuid", "dst_ip"]):
        if row["_uuid"][1] == uuid:
            return row["dst_ip"]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True, help="ovsdb-vtepd binary")
    args = parser.parse_args()
    suite = Suite("test_ovn_controller_vtep")

    @suite.test
    def ovn_programs_and_withdraws_a_binding():
        t = Topology(args.server).start()
        try:
            # ovn-controller-vtep registers the physical switch as an SB chassis.
            wait_for(lambda: PSWITCH in t.sb("--bare", "--columns=name", "list", "Chassis"),
                     timeout=20, what="the VTEP chassis in the SB database")
            # A logical switch with a vtep port bound to the switch's p0/VLAN 100 and a VM
            # on a hypervisor reached over vxlan.
            t.nb("ls-add", "ls0")
            t.nb("lsp-add", "ls0", "ls0-vtep")
            t.nb("lsp-set-type", "ls0-vtep", "vtep")
            t.nb("lsp-set-options", "ls0-vtep", "vtep-physical-switch=" + PSWITCH,
                 "vtep-logical-switch=ls0")
            t.nb("lsp-set-addresses", "ls0-vtep", "unknown")
            t.nb("lsp-add", "ls0", "vm1")
            t.nb("lsp-set-addresses", "vm1", VM_MAC + " 198.51.100.1")
            t.sb("chassis-add", "hv1", "vxlan", HV_IP)
            wait_for(lambda: "vm1" in t.sb("--bare", "--columns=logical_port", "list",
                                           "Port_Binding"), what="vm1's Port_Binding")
            t.sb("lsp-bind", "vm1", "hv1")
            t.vtep("add-ls", "ls0")
            t.vtep("bind-ls", PSWITCH, "p0", "100", "ls0")

            def tunnel_key():
                rows = t.rows("Logical_Switch", ["name", "tunnel_key"])
                keys = [r["tunnel_key"] for r in rows if r["name"] == "ls0"]
                return keys and isinstance(keys[0], int) and keys[0] > 0 and keys[0]
            key = wait_for(tunnel_key, timeout=20, what="ls0's tunnel_key from OVN")

            def vm_mac_remote():
                for r in t.rows("Ucast_Macs_Remote", ["MAC", "locator", "ipaddr"]):
                    if r["MAC"] == VM_MAC:
                        return r
                return None
            ucast = wait_for(vm_mac_remote, timeout=20, what="the VM's Ucast_Macs_Remote")
            assert locator_ip(t, ucast["locator"][1]) == HV_IP, ucast
            # (OVN 23.03 leaves ipaddr empty: the agent must not depend on it for ARP.)

            def flood_list():
                for r in t.rows("Mcast_Macs_Remote", ["MAC", "locator_set"]):
                    if r["MAC"] == "unknown-dst":
                        sets = t.rows("Physical_Locator_Set", ["_uuid", "locators"])
                        for s in sets:
                            if s["_uuid"][1] == r["locator_set"][1]:
                                locs = s["locators"]
                                uuids = [locs[1]] if locs[0] == "uuid" else \
                                    [u[1] for u in locs[1]]
                                return sorted(locator_ip(t, u) for u in uuids)
                return None
            ips = wait_for(flood_list, timeout=20, what="the unknown-dst flood list")
            assert HV_IP in ips, ips
            print("    tunnel_key=%d, %s via %s, flood list %s" % (key, VM_MAC, HV_IP, ips))

            # A restarted ovn-controller-vtep finds the state it wrote and keeps it.
            name, ocv = next((n, p) for n, p in t.processes if n == "ovn-controller-vtep")
            ocv.send_signal(signal.SIGTERM)
            ocv.wait(timeout=10)
            t.processes.remove((name, ocv))
            t.spawn("ovn-controller-vtep", [
                "ovn-controller-vtep", "--vtep-db=unix:" + t.path("vtep.sock"),
                "--ovnsb-db=unix:" + t.path("sb.sock")])
            wait_for(lambda: "connected" in open(t.path("ovn-controller-vtep.log")).read()
                     .split("add Chassis row")[-1], what="the restarted controller")
            t.nb("lsp-add", "ls0", "vm2")
            t.nb("lsp-set-addresses", "vm2", "00:00:5e:00:53:02")
            wait_for(lambda: "vm2" in t.sb("--bare", "--columns=logical_port", "list",
                                           "Port_Binding"), what="vm2's Port_Binding")
            t.sb("lsp-bind", "vm2", "hv1")
            wait_for(lambda: any(r["MAC"] == "00:00:5e:00:53:02" for r in
                                 t.rows("Ucast_Macs_Remote", ["MAC"])),
                     timeout=20, what="a MAC added after the controller restart")
            assert vm_mac_remote()["locator"] == ucast["locator"], "the first MAC was rewritten"

            # Unbinding withdraws what OVN wrote for this switch.
            t.vtep("unbind-ls", PSWITCH, "p0", "100")
            wait_for(lambda: not vm_mac_remote(), timeout=20,
                     what="the VM's MAC to be withdrawn")
        except Exception:
            print(t.logs())
            raise
        finally:
            t.stop()

    return suite.run()


if __name__ == "__main__":
    sys.exit(main())
