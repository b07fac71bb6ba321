#!/usr/bin/python3
"""Acceptance 3 of controller connectivity: the Manager table drives the remotes.

The switch (ovsdb-vtepd) runs with --remote=db:hardware_vtep,Global,managers. Manager
rows are added, changed and removed with vtep-ctl (set-manager, del-manager, set Manager
TARGET column=value); the test observes the connections with listeners of its own on
loopback (ptcp- and pssl-like) and checks the rows' is_connected and status columns
against what it sees, within a second of each change (polling with a deadline).

- set_and_del_manager: set-manager opens a connection that serves the database;
  del-manager closes it and it is not reopened; a set of several managers (a controller
  cluster, plain and TLS, plus a pssl listener) is reconciled without touching the
  connections that stay.
- target_edit_moves_the_connection: editing a row's target closes the old connection and
  opens the new one.
- inactivity_probe: a row's inactivity_probe makes the switch probe an idle controller,
  keep one that answers and drop one that does not (with last_error saying why); changing
  the column reconfigures the connection; a pssl row's probe applies to its sessions.
- max_backoff: reconnection attempts to a controller whose TLS handshake always fails
  come no further apart than the row's max_backoff, and grow to a larger one after the
  column changes.
- unusable_targets_reported: a target that does not parse and a port already in use are
  reported in last_error, and do not hold up the other managers.
- dscp_from_other_config: other_config:dscp marks the connection (seen with ss --tos),
  and a change applies to the live connection.
- stalled_controller_reported / stalled_client_on_passive_manager_reported: a controller
  (outgoing) or a client (of a ptcp manager) that stops reading is dropped for its
  backlog, logged, and shown in the Manager row; others are not held up.
- status_follows_reality: state ACTIVE/BACKOFF, sec_since_connect/disconnect,
  last_error, locks_held/locks_waiting/locks_lost, n_connections and bound_port of a
  pssl listener.
"""

import argparse
import json
import re
import socket
import ssl
import subprocess
import time

from common import (MONITOR_ALL, Client, Closed, PeerListener, Pki, Suite, Switch,
                    add_server_arguments, client_context, commit_until,
                    fill_logical_switches, is_reference, run_suite, server_context,
                    switch_tls_args, tls_client, wait_for, wait_for_manager, workdir)

MANAGERS = "--remote=db:hardware_vtep,Global,managers"
# How soon is_connected/status must reflect a change (ovsdb-server, the reference, only
# writes them every few seconds).
STATUS_DEADLINE = 1.0
REFERENCE_STATUS_DEADLINE = 6.0
# Extra time allowed on top of a backoff or probe interval on a loaded 2-core machine.
SLACK = 1.0


class Setup:
    def __init__(self, keep):
        self.dir = workdir("manager", keep)
        pki = Pki(self.dir)
        self.switch_ca = pki.ca("switch")
        self.controller_ca = pki.ca("controller")
        self.switch = pki.issue(self.switch_ca, "switch", "switch-ps0")
        self.controller = pki.issue(self.controller_ca, "controller", "controller-1")

    def controller_listener(self, **options):
        return PeerListener(server_context(self.controller, self.switch_ca.cert), **options)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    suite = Suite("manager")
    setup = Setup(args.keep)
    reference = is_reference(args.server)
    deadline = REFERENCE_STATUS_DEADLINE if reference else STATUS_DEADLINE

    def switch(*extra):
        tls = switch_tls_args(setup.switch, ca_cert=setup.controller_ca.cert)
        return Switch(args.server, extra_args=tls + [MANAGERS] + list(extra), keep=args.keep)

    def status_is(s, target, check, what):
        """The row reflects `what` within the deadline of the moment of this call."""
        started = time.monotonic()
        row = wait_for_manager(s, target, check, what, timeout=deadline)
        return row, time.monotonic() - started

    def connected(s, listener, count=1):
        """Waits for the switch's `count`-th connection to `listener` and for the row to
        say so; returns the peer."""
        peer = listener.wait_peers(count, timeout=15)
        status_is(s, listener.target, lambda up, st: up and st.get("state") == "ACTIVE",
                  "is_connected and ACTIVE")
        return peer

    @suite.test
    def set_and_del_manager():
        with switch() as s, PeerListener() as plain, setup.controller_listener() as tls, \
                PeerListener() as later:
            s.vtep_ctl("set-manager", plain.target)
            peer = connected(s, plain)
            reply = peer.call("list_dbs", [])
            assert "hardware_vtep" in reply["result"], reply
            s.vtep_ctl("del-manager")
            peer.wait_closed(timeout=STATUS_DEADLINE + SLACK)
            assert s.managers() == {}, s.managers()

            # A cluster: two controllers connected to, and a pssl listener.
            s.vtep_ctl("set-manager", plain.target, tls.target, "pssl:0:127.0.0.1")
            first_plain = connected(s, plain, 2)
            first_tls = connected(s, tls, 1)
            _, st = wait_for_manager(s, "pssl:0:127.0.0.1", lambda up, st: "bound_port" in st,
                                     "bound_port", timeout=deadline)
            assert int(st["bound_port"]) > 0, st
            subject = dict(rdn[0] for rdn in first_tls.peer_certificate()["subject"])
            assert subject["commonName"] == "switch-ps0", first_tls.peer_certificate()

            # Keep the TLS controller and the listener, drop the plain one and add another.
            s.vtep_ctl("set-manager", tls.target, "pssl:0:127.0.0.1", later.target)
            connected(s, later)
            first_plain.wait_closed(timeout=STATUS_DEADLINE + SLACK)
            assert not first_tls.closed and len(tls.peers) == 1, \
                "an unchanged manager's connection was reopened"
            assert first_tls.call("echo", ["still"])["result"] == ["still"]
            # The deleted manager is not reconnected to (the new one already was).
            assert len(plain.peers) == 2, plain.peers
            assert sorted(s.managers()) == sorted([tls.target, "pssl:0:127.0.0.1",
                                                   later.target])

            # Removing the pssl manager closes its listener and the sessions it accepted.
            port = int(st["bound_port"])
            context = client_context(setup.controller, setup.switch_ca.cert)
            with tls_client(port, context) as client:
                assert client.call("echo", ["in"])["result"] == ["in"]
                s.vtep_ctl("set-manager", tls.target, later.target)
                try:
                    message = client.recv(timeout=STATUS_DEADLINE + SLACK)
                except (Closed, ssl.SSLError, OSError):
                    pass
                else:
                    raise AssertionError("session still served: %r" % message)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            except ConnectionRefusedError:
                pass
            else:
                raise AssertionError("port %d still accepts connections" % port)
            assert not first_tls.closed, "the TLS controller's connection was reopened"

    @suite.test
    def target_edit_moves_the_connection():
        with switch() as s, PeerListener() as old, PeerListener() as new:
            s.vtep_ctl("set-manager", old.target)
            peer = connected(s, old)
            s.vtep_ctl("set", "Manager", old.target, 'target="%s"' % new.target)
            connected(s, new)
            peer.wait_closed(timeout=STATUS_DEADLINE + SLACK)
            assert len(old.peers) == 1
            assert list(s.managers()) == [new.target]

    @suite.test
    def inactivity_probe():
        with switch() as s, PeerListener() as answers, \
                PeerListener(answer_echo=False) as silent:
            s.vtep_ctl("set-manager", answers.target, silent.target, "--",
                       "set", "Manager", answers.target, "inactivity_probe=0", "--",
                       "set", "Manager", silent.target, "inactivity_probe=0")
            answers.wait_peers(1, timeout=15)
            silent.wait_peers(1, timeout=15)

            # Reconfigured: the switch probes the controllers every idle second.
            # (ovsdb-vtepd reopens a connection whose options change; ovsdb-server keeps
            # it: either way the probes must start.)
            s.vtep_ctl("set", "Manager", answers.target, "inactivity_probe=1000", "--",
                       "set", "Manager", silent.target, "inactivity_probe=1000")
            responsive = wait_for(lambda: [p for p in answers.peers
                                           if not p.closed and p.echo_requests >= 3],
                                  3 * (1 + SLACK) + 15, "three probes answered")[0]
            print("    %d probes answered, connection up" % responsive.echo_requests)
            # The silent one is dropped after a probe goes unanswered for another second.
            dropped = wait_for(lambda: [p for p in silent.peers if p.closed and
                                        p.echo_requests >= 1], 2 + 2 * SLACK + 15,
                               "the silent controller to be dropped")[0]
            print("    silent controller dropped %.2f s after it connected" %
                  (dropped.closed_at - dropped.accepted_at))
            if not reference:
                status_is(s, silent.target, lambda up, st: "inactivity probe" in
                          st.get("last_error", ""), "last_error naming the probe")

            # A pssl manager's probe applies to the sessions it accepts.
            s.vtep_ctl("set-manager", "pssl:0:127.0.0.1", "--", "set", "Manager",
                       "pssl:0:127.0.0.1", "inactivity_probe=1000")
            _, st = wait_for_manager(s, "pssl:0:127.0.0.1", lambda up, st: "bound_port" in st,
                                     "bound_port", timeout=deadline)
            context = client_context(setup.controller, setup.switch_ca.cert)
            with tls_client(int(st["bound_port"]), context) as client:
                started = time.monotonic()
                probe = client.recv(timeout=1 + SLACK + 5)
                assert probe.get("method") == "echo", probe
                try:  # not answered: the switch hangs up
                    message = client.recv(timeout=1 + SLACK + 5)
                except (Closed, ssl.SSLError, OSError):
                    pass
                else:
                    raise AssertionError("still served after ignoring a probe: %r" % message)
                print("    pssl session that ignored its probe dropped after %.2f s" %
                      (time.monotonic() - started))

    @suite.test
    def max_backoff():
        # A plain listener on an ssl: target: every TLS handshake fails, so the switch
        # backs off (a session that connects resets the backoff; these never do).
        with switch() as s, PeerListener(hang_up=True) as broken:
            target = "ssl:127.0.0.1:%d" % broken.port
            s.vtep_ctl("set-manager", target, "--", "set", "Manager", target,
                       "max_backoff=1000")

            def gaps(attempts):
                return [round(b - a, 2) for a, b in zip(attempts, attempts[1:])]
            with broken.changed:
                broken.changed.wait_for(lambda: len(broken.attempts) >= 5, 15)
                attempts = list(broken.attempts)
            print("    max_backoff=1000: attempts %s s apart" % gaps(attempts))
            assert len(attempts) >= 5, attempts
            assert max(gaps(attempts)) <= 1.0 + SLACK, gaps(attempts)
            if not reference:
                _, st = wait_for_manager(s, target, lambda up, st: int(
                    st.get("tls_handshake_failures", 0)) >= 4, "the failures counted",
                    timeout=deadline)
                assert st.get("state") in ("BACKOFF", "CONNECTING"), st

            s.vtep_ctl("set", "Manager", target, "max_backoff=3000")
            with broken.changed:
                start = len(broken.attempts)
                broken.changed.wait_for(lambda: len(broken.attempts) >= start + 5, 30)
                attempts = broken.attempts[start:]
            print("    max_backoff=3000: attempts %s s apart" % gaps(attempts))
            assert len(attempts) >= 5, attempts
            assert max(gaps(attempts)) >= 2.5, "the backoff did not grow: %s" % gaps(attempts)
            assert max(gaps(attempts)) <= 3.0 + SLACK, gaps(attempts)

    @suite.test
    def unusable_targets_reported():
        if reference:
            return  # ovsdb-server only logs these
        with switch() as s, PeerListener() as listener, socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            in_use = "ptcp:%d:127.0.0.1" % busy.getsockname()[1]
            s.vtep_ctl("set-manager", "bogus:1", in_use, listener.target)
            connected(s, listener)  # the good one is not held up by the others
            status_is(s, "bogus:1", lambda up, st: not up and "unknown type" in
                      st.get("last_error", ""), "last_error for a bad target")
            status_is(s, in_use, lambda up, st: not up and "in use" in
                      st.get("last_error", ""), "last_error for a port in use")

    def switch_socket_tos(peer):
        """The TOS byte of the switch's side of a connection to one of our listeners, or
        None once that connection is no longer established."""
        switch_port = int(peer.name.rsplit(":", 1)[1])
        out = subprocess.run(["ss", "-tnH", "--tos", "state", "established",
                              "sport = :%d" % switch_port],
                             capture_output=True, text=True, check=True).stdout
        match = re.search(r"tos:(0x[0-9a-f]+)", out)
        return int(match.group(1), 16) if match else None

    @suite.test
    def dscp_from_other_config():
        with switch() as s, PeerListener() as listener:
            s.vtep_ctl("set-manager", listener.target, "--", "set", "Manager",
                       listener.target, "other_config:dscp=46")
            peer = connected(s, listener)
            assert switch_socket_tos(peer) == 46 << 2, switch_socket_tos(peer)
            s.vtep_ctl("set", "Manager", listener.target, "other_config:dscp=10")
            # ovsdb-vtepd reconnects with the new marking (ovsdb-server would re-mark the
            # socket in place); either way the live connection must carry DSCP 10.
            wait_for(lambda: [p for p in listener.live_peers() if switch_socket_tos(p) == 10 << 2],
                     5, "a connection marked with DSCP 10")

    @suite.test
    def status_follows_reality():
        with switch() as s, PeerListener() as one, PeerListener() as two:
            s.vtep_ctl("set-manager", one.target, two.target, "pssl:0:127.0.0.1")
            (up_one, st), took = status_is(s, one.target, lambda up, st: up and
                                           st.get("state") == "ACTIVE" and
                                           "sec_since_connect" in st, "ACTIVE")
            peer_one = one.wait_peers(1)
            peer_two = connected(s, two)

            # Locks are reported per connection.
            assert peer_one.call("lock", ["vtep_lock"])["result"] == {"locked": True}
            assert peer_two.call("lock", ["vtep_lock"])["result"] == {"locked": False}
            status_is(s, one.target, lambda up, st: st.get("locks_held") == "vtep_lock",
                      "locks_held")
            status_is(s, two.target, lambda up, st: st.get("locks_waiting") == "vtep_lock",
                      "locks_waiting")
            # Steals: the thief holds the lock; a previous owner that had asked with
            # "lock" waits for it again, one that had stolen it has lost it.
            # (A waiter may not steal: it gives up waiting first.)
            assert peer_two.call("unlock", ["vtep_lock"])["result"] == {}
            assert peer_two.call("steal", ["vtep_lock"])["result"] == {"locked": True}
            status_is(s, two.target, lambda up, st: st.get("locks_held") == "vtep_lock",
                      "locks_held after the steal")
            status_is(s, one.target, lambda up, st: st.get("locks_waiting") == "vtep_lock" and
                      "locks_held" not in st, "locks_waiting after the steal")
            assert peer_one.call("unlock", ["vtep_lock"])["result"] == {}
            assert peer_one.call("steal", ["vtep_lock"])["result"] == {"locked": True}
            status_is(s, one.target, lambda up, st: st.get("locks_held") == "vtep_lock",
                      "locks_held after stealing back")
            status_is(s, two.target, lambda up, st: st.get("locks_lost") == "vtep_lock" and
                      "locks_held" not in st, "locks_lost after the lock was stolen back")

            # The controller goes away (and stays away): BACKOFF, not connected, and why.
            one.close()
            (_, st), took = status_is(
                s, one.target, lambda up, st: not up and st.get("state") == "BACKOFF" and
                "sec_since_disconnect" in st, "BACKOFF after the controller hung up")
            print("    disconnection reflected after %.2f s: %s" % (took, st))
            if not reference:
                assert st.get("last_error"), st
            # The clock of a connection that stays up moves on (clock-only changes are
            # written every few seconds, not at once).
            wait_for_manager(s, two.target, lambda up, st: up and
                             int(st.get("sec_since_connect", 0)) >= 2,
                             "sec_since_connect to count", timeout=deadline + 5)
            # It comes back on the same port: ACTIVE again.
            with PeerListener(port=one.port) as back:
                connected(s, back)

            # The pssl listener: connected while it has clients, and how many.
            _, st = wait_for_manager(s, "pssl:0:127.0.0.1", lambda up, st: "bound_port" in st,
                                     "bound_port", timeout=deadline)
            port = int(st["bound_port"])
            status_is(s, "pssl:0:127.0.0.1", lambda up, st: not up, "no clients yet")
            context = client_context(setup.controller, setup.switch_ca.cert)
            with tls_client(port, context) as a, tls_client(port, context) as b:
                for client in (a, b):
                    assert client.call("echo", ["x"])["result"] == ["x"]
                status_is(s, "pssl:0:127.0.0.1", lambda up, st: up and
                          st.get("n_connections") == "2", "n_connections=2")
            status_is(s, "pssl:0:127.0.0.1", lambda up, st: not up and
                      "n_connections" not in st, "no clients after they left")

    @suite.test
    def stalled_controller_reported():
        """A controller that stops reading is dropped for its backlog, logged, shown in
        its Manager row; another controller is not held up."""
        if reference:
            return  # ovsdb-server has no --max-backlog
        # Plaintext: a TLS peer cut off this way is test_tls's stalled_tls_peer_cut_off_safely.
        with switch("--max-backlog=65536") as s, setup.controller_listener() as healthy, \
                PeerListener(rcvbuf=4096) as hung:
            fill_logical_switches(s)
            s.vtep_ctl("set-manager", healthy.target, hung.target)
            good = connected(s, healthy)
            stuck = connected(s, hung)
            stuck.stall(MONITOR_ALL)
            # Seen from the switch: our side cannot tell, as its FIN waits behind the data
            # we do not read.
            dropped = "%s: send backlog of " % hung.target
            commit_until(s, lambda: dropped in s.log(), "the stalled controller to be dropped")
            status_is(s, hung.target, lambda up, st: "backlog" in st.get("last_error", ""),
                      "last_error naming the backlog")
            assert good.call("echo", ["unaffected"])["result"] == ["unaffected"]
            assert not good.closed

    @suite.test
    def stalled_client_on_passive_manager_reported():
        if reference:
            return
        with switch("--max-backlog=65536") as s:
            fill_logical_switches(s)
            target = "ptcp:0:127.0.0.1"
            s.vtep_ctl("set-manager", target)
            _, st = wait_for_manager(s, target, lambda up, st: "bound_port" in st,
                                     "bound_port", timeout=deadline)
            port = int(st["bound_port"])
            stalled = socket.socket()
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.connect(("127.0.0.1", port))
            try:
                stalled.sendall(json.dumps(MONITOR_ALL).encode())
                dropped = "tcp:127.0.0.1:%d: send backlog of " % stalled.getsockname()[1]
                with Client("tcp:127.0.0.1:%d" % port) as other:
                    commit_until(s, lambda: dropped in s.log(),
                                 "the stalled client to be dropped")
                    assert other.call("echo", ["unaffected"])["result"] == ["unaffected"]
                status_is(s, target, lambda up, st: any(
                    "backlog" in key or "backlog" in value for key, value in st.items()),
                    "the backlog disconnection in the passive Manager's status")
            finally:
                stalled.close()

    run_suite(suite, args)


if __name__ == "__main__":
    main()
