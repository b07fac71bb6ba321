#!/usr/bin/python3
"""Acceptance 1 of controller connectivity: NSX-style registration.

The switch (ovsdb-vtepd) is given a controller's address and connects out to it over TLS
with mutual certificate authentication: the switch has a certificate from the switch CA
and trusts the controller CA; the controller has a certificate from the controller CA and
trusts the switch CA. Over that connection the controller acts as the OVSDB client.

- ssl_remote_registration: the controller (nsx_controller.py, Open vSwitch's Python IDL
  behind a TLS terminator) reads Physical_Switch / Physical_Port that the switch side
  created with vtep-ctl before any controller existed, creates a Logical_Switch with a
  tunnel_key, binds a port/VLAN to it, writes Ucast_Macs_Remote and Mcast_Macs_Remote
  with their Physical_Locator(_Set)s and sees a Ucast_Macs_Local row the switch adds. Each
  step is checked on the switch with vtep-ctl. Then the controller is killed (SIGKILL) and
  started again: the switch must reconnect within its --max-backoff, and the new IDL
  sees everything again (including a MAC learned while it was down) and can write.
- manager_row_registration: the same connection driven by a Manager row (vtep-ctl
  set-manager), whose is_connected/status follow the controller going away and back.
- ovsdb_client_receives_outbound_tls: `ovsdb-client monitor pssl:PORT:127.0.0.1`
  (Open vSwitch's C client) receives the switch's outgoing TLS connection and monitors.
"""

import argparse
import json
import queue
import signal
import subprocess
import threading
import time

from common import (DB, HERE, OVSDB_CLIENT, Background, Pki, Suite, Switch,
                    add_server_arguments, free_tcp_port, is_reference, run_suite,
                    switch_tls_args, wait_for, wait_for_manager, workdir)

CONTROLLER = HERE + "/nsx_controller.py"
MAX_BACKOFF_MS = 2000  # ovsdb-server has no option for it: 8000 there
# Time allowed on top of the backoff for a reconnection: TCP connect, TLS handshake and
# the controller's relay, on a loaded 2-core machine.
RECONNECT_SLACK = 3.0


class ControllerProcess:
    """nsx_controller.py as a child process, driven through its stdin/stdout."""

    def __init__(self, creds, switch_ca, port=0):
        self.process = subprocess.Popen(
            ["/usr/bin/python3", CONTROLLER, "--port=%d" % port, "--private-key=" + creds.key,
             "--certificate=" + creds.chain, "--ca-cert=" + switch_ca.cert],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append),
                         daemon=True).start()
        ready = self._read(20)
        assert ready.get("ready"), ready
        self.port, self.ready_at = ready["port"], ready["at"]

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)
        sink(None)

    def _read(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("controller: no answer within %.0f s; its log:\n%s" %
                                 (timeout, "".join(filter(None, self.stderr)))) from None
        if line is None:
            raise AssertionError("controller exited (status %s); its log:\n%s" %
                                 (self.process.wait(), "".join(filter(None, self.stderr))))
        return json.loads(line)

    def __call__(self, cmd, timeout=20, **params):
        params.update(cmd=cmd, timeout=timeout)
        self.process.stdin.write(json.dumps(params) + "\n")
        self.process.stdin.flush()
        reply = self._read(timeout + 10)
        assert reply.get("ok"), "controller %s failed: %s\n%s" % (
            cmd, reply.get("error"), "".join(filter(None, self.stderr))[-3000:])
        return reply

    def wait(self, table, timeout=20, **where):
        return self("wait", table=table, where=where, timeout=timeout)["row"]

    def rows(self, table):
        return self("dump", table=table)["rows"]

    def transact(self, *ops):
        reply = self("transact", ops=list(ops))
        assert reply["status"] == "success", reply
        return reply["uuids"]

    def connections(self):
        return self("connections")["connections"]

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


class Setup:
    """The two CAs and the certificates of both sides."""

    def __init__(self, keep):
        self.dir = workdir("registration", keep)
        pki = Pki(self.dir)
        self.switch_ca = pki.ca("switch")
        self.controller_ca = pki.ca("controller")
        self.switch = pki.issue(self.switch_ca, "switch", "switch-ps0")
        self.controller = pki.issue(self.controller_ca, "controller", "controller-1")

    def switch_args(self, binary):
        args = switch_tls_args(self.switch, ca_cert=self.controller_ca.cert)
        if not is_reference(binary):
            args.append("--max-backoff=%d" % MAX_BACKOFF_MS)
        return args

    def start_controller(self, port=0):
        return ControllerProcess(self.controller, self.switch_ca, port)


def create_physical_switch(switch):
    """What the switch's own side publishes before any agent or controller exists."""
    switch.vtep_ctl("add-ps", "ps0", "--", "set", "Physical_Switch", "ps0",
                    "tunnel_ips=192.0.2.10", "management_ips=198.51.100.10",
                    'description="white box"')
    switch.vtep_ctl("add-port", "ps0", "eth1", "--", "add-port", "ps0", "eth2")


def configure_overlay(controller, switch):
    """The controller's steps after registration, each checked on the switch."""
    ps = controller.wait("Physical_Switch", name="ps0")
    assert ps["tunnel_ips"] == ["192.0.2.10"], ps
    assert ps["management_ips"] == ["198.51.100.10"], ps
    ports = {controller.wait("Physical_Port", name=n)["_uuid"]: n for n in ("eth1", "eth2")}
    assert sorted(ps["ports"]) == sorted(ports), (ps, ports)
    eth1 = next(u for u, n in ports.items() if n == "eth1")

    uuids = controller.transact({"insert": "Logical_Switch", "as": "ls",
                                 "set": {"name": "ls0", "tunnel_key": [5000],
                                         "description": "tenant 1"}})
    ls = uuids["ls"]
    assert switch.vtep_ctl("list-ls").split() == ["ls0"]
    assert switch.vtep_ctl("get", "Logical_Switch", "ls0", "tunnel_key").strip() == "5000"

    controller.transact({"update": "Physical_Port", "row": eth1,
                         "setkey": {"vlan_bindings": [100, ls]}})
    assert switch.vtep_ctl("list-bindings", "ps0", "eth1").split() == ["0100", "ls0"]

    uuids = controller.transact(
        {"insert": "Physical_Locator", "as": "vtep20",
         "set": {"encapsulation_type": "vxlan_over_ipv4", "dst_ip": "192.0.2.20"}},
        {"insert": "Ucast_Macs_Remote", "as": "mac",
         "set": {"MAC": "02:00:00:00:20:01", "logical_switch": ls, "locator": "@vtep20",
                 "ipaddr": "10.0.0.21"}})
    vtep20 = uuids["vtep20"]
    remote_macs = switch.vtep_ctl("list-remote-macs", "ls0")
    assert "02:00:00:00:20:01 -> vxlan_over_ipv4/192.0.2.20" in remote_macs, remote_macs

    controller.transact(
        {"insert": "Physical_Locator", "as": "vtep21",
         "set": {"encapsulation_type": "vxlan_over_ipv4", "dst_ip": "192.0.2.21"}},
        {"insert": "Physical_Locator_Set", "as": "flood",
         "set": {"locators": [vtep20, "@vtep21"]}},
        {"insert": "Mcast_Macs_Remote", "as": "bum",
         "set": {"MAC": "unknown-dst", "logical_switch": ls, "locator_set": "@flood"}})
    remote_macs = switch.vtep_ctl("list-remote-macs", "ls0")
    for expected in ("unknown-dst -> vxlan_over_ipv4/192.0.2.20",
                     "unknown-dst -> vxlan_over_ipv4/192.0.2.21"):
        assert expected in remote_macs, remote_macs

    # The switch learns a MAC; the controller's monitor must show it.
    switch.vtep_ctl("add-ucast-local", "ls0", "02:00:00:00:10:01", "192.0.2.10")
    local = controller.wait("Ucast_Macs_Local", MAC="02:00:00:00:10:01", logical_switch=ls)
    (locator,) = [r for r in controller.rows("Physical_Locator") if r["_uuid"] == local["locator"]]
    assert locator["dst_ip"] == "192.0.2.10", locator
    return ls


def check_resynchronised(controller, switch, ls):
    """A new controller sees what its predecessor wrote and what changed meanwhile, and
    can write again."""
    controller("wait_synced")
    assert controller.wait("Logical_Switch", name="ls0", tunnel_key=[5000])["_uuid"] == ls
    eth1 = controller.wait("Physical_Port", name="eth1")
    assert eth1["vlan_bindings"] == [[100, ls]], eth1
    controller.wait("Ucast_Macs_Remote", MAC="02:00:00:00:20:01", logical_switch=ls)
    bum = controller.wait("Mcast_Macs_Remote", MAC="unknown-dst", logical_switch=ls)
    (flood,) = [r for r in controller.rows("Physical_Locator_Set")
                if r["_uuid"] == bum["locator_set"]]
    ips = sorted(r["dst_ip"] for r in controller.rows("Physical_Locator")
                 if r["_uuid"] in flood["locators"])
    assert ips == ["192.0.2.20", "192.0.2.21"], ips
    controller.wait("Ucast_Macs_Local", MAC="02:00:00:00:10:01", logical_switch=ls)
    controller.wait("Ucast_Macs_Local", MAC="02:00:00:00:10:02", logical_switch=ls)
    controller.transact({"insert": "Logical_Switch", "as": "ls1",
                         "set": {"name": "ls1", "tunnel_key": [5001]}})
    assert sorted(switch.vtep_ctl("list-ls").split()) == ["ls0", "ls1"]


def kill_and_restart(controller, setup, switch, outage_done):
    """Kills the controller, learns a MAC while it is down, waits for `outage_done` (the
    switch has tried and failed to reconnect), restarts it on the same port and checks
    that the switch reconnects within its backoff. Returns the new controller."""
    port = controller.port
    controller.kill()
    switch.vtep_ctl("add-ucast-local", "ls0", "02:00:00:00:10:02", "192.0.2.10")
    outage_done()
    controller = setup.start_controller(port)
    connected = wait_for(lambda: controller.connections(),
                         MAX_BACKOFF_MS / 1000 + RECONNECT_SLACK + 5,
                         "the switch to reconnect to the restarted controller")
    delay = connected[0]["at"] - controller.ready_at
    print("    switch reconnected %.2f s after the controller came back (max backoff %.1f s)"
          % (delay, MAX_BACKOFF_MS / 1000))
    assert delay <= MAX_BACKOFF_MS / 1000 + RECONNECT_SLACK, \
        "reconnected after %.2f s, more than the %d ms backoff allows" % (delay, MAX_BACKOFF_MS)
    assert connected[0]["subject"] == "switch-ps0", connected
    return controller


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    if is_reference(args.server):
        global MAX_BACKOFF_MS
        MAX_BACKOFF_MS = 8000
    suite = Suite("registration")
    setup = Setup(args.keep)

    def switch(*extra):
        return Switch(args.server, extra_args=setup.switch_args(args.server) + list(extra),
                      keep=args.keep)

    @suite.test
    def ssl_remote_registration():
        port = free_tcp_port()
        # The controller is not there yet: the switch keeps trying with backoff.
        with switch("--remote=ssl:127.0.0.1:%d" % port) as s:
            create_physical_switch(s)
            controller = setup.start_controller(port)
            try:
                controller("wait_synced")
                (first,) = controller.connections()
                assert first["subject"] == "switch-ps0", first
                ls = configure_overlay(controller, s)

                def outage_done():
                    # The switch keeps retrying while the controller is away; being away
                    # for longer than the backoff cap is the point of this step.
                    time.sleep(MAX_BACKOFF_MS / 1000 * 1.5)
                controller = kill_and_restart(controller, setup, s, outage_done)
                check_resynchronised(controller, s, ls)
            finally:
                controller.stop()

    def refused(status):
        # ovsdb-server leaves last_error out for a refused connection; ours names it.
        return is_reference(args.server) or "refused" in status.get("last_error", "").lower()

    @suite.test
    def manager_row_registration():
        port = free_tcp_port()
        target = "ssl:127.0.0.1:%d" % port
        with switch("--remote=db:hardware_vtep,Global,managers") as s:
            create_physical_switch(s)
            s.vtep_ctl("set-manager", target)
            wait_for_manager(s, target, lambda up, st: not up and st.get("state") == "BACKOFF"
                             and refused(st), "BACKOFF with connection refused", timeout=5)
            controller = setup.start_controller(port)
            try:
                controller("wait_synced")
                wait_for_manager(s, target, lambda up, st: up and st.get("state") == "ACTIVE",
                                 "is_connected and ACTIVE", timeout=MAX_BACKOFF_MS / 1000 + 5)
                ls = configure_overlay(controller, s)

                def outage_done():
                    # The switch has noticed, and has failed to reconnect at least once.
                    wait_for_manager(s, target, lambda up, st: not up and
                                     st.get("state") == "BACKOFF" and refused(st),
                                     "BACKOFF after a refused reconnection", timeout=5)
                controller = kill_and_restart(controller, setup, s, outage_done)
                wait_for_manager(s, target, lambda up, st: up and st.get("state") == "ACTIVE",
                                 "is_connected again", timeout=5)
                check_resynchronised(controller, s, ls)
            finally:
                controller.stop()

    @suite.test
    def ovsdb_client_receives_outbound_tls():
        port = free_tcp_port()
        monitor = Background([OVSDB_CLIENT, "--private-key=" + setup.controller.key,
                              "--certificate=" + setup.controller.chain,
                              "--ca-cert=" + setup.switch_ca.cert, "--format=json",
                              "monitor", "pssl:%d:127.0.0.1" % port, DB, "Physical_Port",
                              "name"])
        with monitor:
            with switch("--remote=db:hardware_vtep,Global,managers") as s:
                create_physical_switch(s)
                s.vtep_ctl("set-manager", "ssl:127.0.0.1:%d" % port)
                initial = monitor.json(timeout=MAX_BACKOFF_MS / 1000 + 15)
                names = sorted(row[2] for row in initial["data"])
                assert names == ["eth1", "eth2"], initial
                assert all(row[1] == "initial" for row in initial["data"]), initial
                s.vtep_ctl("add-port", "ps0", "eth3")
                update = monitor.json()
                assert [row[1:] for row in update["data"]] == [["insert", "eth3"]], update

    run_suite(suite, args)


if __name__ == "__main__":
    main()
