#!/usr/bin/python3
"""Acceptance 2 of controller connectivity: mutual TLS.

The switch (ovsdb-vtepd) has a certificate from the switch CA and trusts the controller
CA; controllers are Python ssl clients (incoming, on pssl:) or listeners the test owns
(outgoing ssl: remotes). Checked:

- untrusted_client_refused: certificates from another CA, or none, are refused on a pssl
  Manager target; each refusal is logged with OpenSSL's reason and counted in the
  Manager row's status (tls_handshake_failures); an established session carries on.
- plaintext_client_refused: a plaintext JSON-RPC client on a TLS port gets nothing and is
  disconnected, with a log line that says what happened; other sessions are unaffected.
- expired_certificates_refused: an expired or not-yet-valid client certificate is refused
  (incoming), and so is a controller presenting an expired certificate (outgoing).
- bootstrap_ca_cert: with --bootstrap-ca-cert=FILE and FILE missing, the first outgoing
  connection takes the controller's CA from the chain it presents, writes FILE, and the
  switch reconnects verified; a controller that sends no CA gives a clear error instead.
- protocols_and_ciphers: --ssl-protocols and --ssl-ciphers limit what is negotiated;
  anything older than TLS 1.2 is refused at start.
- stalled_handshake_does_not_block_others: a peer that never sends its ClientHello does
  not hold up other clients and is dropped at the handshake deadline (logged, counted).
- outgoing_connection_uses_rotated_certificate: after the switch's key and certificate
  are replaced, its next outgoing connection presents the new certificate.
- tls_hangup_reported_as_closed_by_peer: a TLS peer that drops its connection is
  reported like a plaintext one ("connection closed by peer"), incoming and outgoing.
- stalled_tls_peer_cut_off_safely: TLS peers (incoming and outgoing) that stop reading
  are cut off for their backlog, ten times over, and the daemon and another TLS session
  carry on.
- rotated_files_picked_up: key/certificate/CA files replaced on disk are used by the
  next connection (new serial seen by a client, new CA trusted) without a restart, while
  existing sessions stay up; a broken rotation keeps the previous files.
"""

import argparse
import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess

from common import (MONITOR_ALL, Closed, PeerListener, Pki, Suite, Switch, Timeout,
                    add_server_arguments, client_context, commit_until, fill_logical_switches,
                    free_tcp_port, is_reference, run_suite, server_context,
                    switch_tls_args, tls_client, wait_for, wait_for_log, wait_for_manager,
                    workdir)

MANAGERS = "--remote=db:hardware_vtep,Global,managers"


class Setup:
    def __init__(self, keep):
        self.dir = workdir("tls", keep)
        self.pki = pki = Pki(self.dir)
        self.switch_ca = pki.ca("switch")
        self.controller_ca = pki.ca("controller")
        self.rogue_ca = pki.ca("rogue")
        self.switch = pki.issue(self.switch_ca, "switch", "switch-ps0")
        self.controller = pki.issue(self.controller_ca, "controller", "controller-1")
        self.rogue = pki.issue(self.rogue_ca, "rogue", "rogue-controller")
        self.expired = pki.issue(self.controller_ca, "expired", "expired-controller",
                                 start="20200101000000Z", end="20200201000000Z")
        self.future = pki.issue(self.controller_ca, "future", "future-controller",
                                start="20990101000000Z", end="20990201000000Z")

    def good_client(self):
        return client_context(self.controller, self.switch_ca.cert)


def refused(port, context):
    """Connects with `context` and sends an echo; returns how the switch refused (the
    handshake failed, or the connection was closed with no answer). A reply means the
    client was let in: AssertionError."""
    try:
        client = tls_client(port, context)
    except (ssl.SSLError, OSError) as error:
        return "handshake: %s" % error
    # With TLS 1.3 the server checks the client's certificate after the client has
    # finished its side of the handshake: the refusal arrives on the first read.
    try:
        with client:
            reply = client.call("echo", ["let me in"], timeout=10)
    except (ssl.SSLError, OSError, Closed) as error:
        return "after handshake: %s" % (error or type(error).__name__)
    except Timeout:
        raise AssertionError("no answer and no disconnection within 10 s") from None
    raise AssertionError("the switch answered a client it should refuse: %r" % reply)


def plain_context():
    """A client that presents no certificate (and does not check the switch's)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def pssl_manager(switch):
    """Adds a pssl Manager on a kernel-chosen loopback port; returns (target, port)."""
    target = "pssl:0:127.0.0.1"
    switch.vtep_ctl("set-manager", target)
    _, status = wait_for_manager(switch, target, lambda up, st: "bound_port" in st,
                                 "the listener's bound_port", timeout=5)
    return target, int(status["bound_port"])


def echo_ok(client, text):
    reply = client.call("echo", [text], timeout=10)
    assert reply.get("result") == [text], reply


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_server_arguments(parser)
    parser.add_argument("--test", action="append", help="only tests whose name contains this")
    args = parser.parse_args()
    suite = Suite("tls")
    setup = Setup(args.keep)
    reference = is_reference(args.server)

    def switch(*extra, tls=None):
        tls = tls if tls is not None else switch_tls_args(setup.switch,
                                                          ca_cert=setup.controller_ca.cert)
        return Switch(args.server, extra_args=tls + list(extra), keep=args.keep)

    def failures(switch, target):
        return int(switch.managers()[target][1].get("tls_handshake_failures", "0"))

    @suite.test
    def untrusted_client_refused():
        with switch(MANAGERS) as s:
            target, port = pssl_manager(s)
            with tls_client(port, setup.good_client()) as good:
                echo_ok(good, "before")
                peer = good.sock.getpeercert()
                assert dict(p[0] for p in peer["subject"])["commonName"] == "switch-ps0", peer
                for context in (client_context(setup.rogue, setup.switch_ca.cert),
                                plain_context()):
                    how = refused(port, context)
                    print("    refused (%s)" % how)
                echo_ok(good, "after")
            if reference:
                return  # ovsdb-server only logs refusals
            wait_for_log(s, "TLS handshake failed: ")
            log = s.log()
            assert "certificate verify failed (self-signed certificate in certificate chain)" \
                in log, log  # the rogue client sends its CA along
            assert "peer did not return a certificate" in log, log
            assert "pssl:0:127.0.0.1: ssl:127.0.0.1:" in log, log
            wait_for_manager(s, target, lambda up, st: st.get("tls_handshake_failures") == "2",
                             "tls_handshake_failures=2")

    @suite.test
    def plaintext_client_refused():
        with switch(MANAGERS) as s:
            target, port = pssl_manager(s)
            with tls_client(port, setup.good_client()) as good:
                echo_ok(good, "before")
                with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
                    plain.sendall(b'{"method":"echo","params":["hello"],"id":1}')
                    received = b""
                    while True:  # read until the switch closes the connection
                        try:
                            data = plain.recv(4096)
                        except ConnectionResetError:
                            break
                        if not data:
                            break
                        received += data
                    assert b"hello" not in received, received
                echo_ok(good, "after")
                # A new TLS session works too: the listener is still accepting.
                with tls_client(port, setup.good_client()) as other:
                    echo_ok(other, "another")
            if reference:
                return
            log = wait_for_log(s, "the peer is not speaking TLS: a plaintext client on a "
                                  "TLS port?")
            assert "wrong version number" in log, log
            wait_for_manager(s, target, lambda up, st: st.get("tls_handshake_failures") == "1",
                             "tls_handshake_failures=1")

    @suite.test
    def expired_certificates_refused():
        with switch(MANAGERS) as s:
            target, port = pssl_manager(s)
            for creds in (setup.expired, setup.future):
                print("    %s refused (%s)" % (creds.subject, refused(
                    port, client_context(creds, setup.switch_ca.cert))))
            with tls_client(port, setup.good_client()) as good:
                echo_ok(good, "valid certificates still work")
            if not reference:
                log = wait_for_log(s, "certificate has expired")
                assert "certificate is not yet valid" in log, log
                wait_for_manager(s, target,
                                 lambda up, st: st.get("tls_handshake_failures") == "2",
                                 "tls_handshake_failures=2")

            # Outgoing: a controller that presents an expired certificate is refused.
            listener = PeerListener(server_context(setup.expired, setup.switch_ca.cert))
            with listener:
                s.vtep_ctl("set-manager", listener.target)
                wait_for(lambda: listener.handshake_errors, 15,
                         "the switch to try the controller with the expired certificate")
                assert not listener.peers, "the switch accepted an expired certificate"
                if not reference:
                    wait_for_log(s, listener.target + ": TLS handshake failed: ")
                    assert "certificate has expired" in s.log().split(listener.target)[-1]
                    wait_for_manager(s, listener.target, lambda up, st: not up and int(
                        st.get("tls_handshake_failures", 0)) >= 1, "the failure counted")

    @suite.test
    def bootstrap_ca_cert():
        directory = workdir("bootstrap", args.keep)
        bootstrapped = os.path.join(directory, "controller-ca.pem")
        tls = switch_tls_args(setup.switch, bootstrap_ca_cert=bootstrapped)

        # A controller that presents only its own certificate: nothing to take the CA from.
        leaf_only = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf_only.verify_mode = ssl.CERT_REQUIRED
        leaf_only.load_verify_locations(setup.switch_ca.cert)
        leaf_only.load_cert_chain(setup.controller.cert, setup.controller.key)
        with PeerListener(leaf_only) as listener:
            with switch("--remote=" + listener.target, tls=tls) as s:
                if not reference:
                    wait_for_log(s, "the peer sent only its own certificate", timeout=15)
                # The switch drops the unverifiable connection (our side may see the
                # handshake complete or cut short) and saves nothing.
                wait_for(lambda: (listener.peers or listener.handshake_errors) and
                         not listener.live_peers(), 15, "the switch to try and hang up")
                assert not os.path.exists(bootstrapped), "bootstrapped from a leaf certificate"

        # A controller that sends its chain: the switch saves the CA and comes back verified.
        with PeerListener(server_context(setup.controller, setup.switch_ca.cert)) as listener:
            with switch("--remote=" + listener.target, tls=tls) as s:
                wait_for(lambda: os.path.exists(bootstrapped) and os.path.getsize(bootstrapped),
                         15, "the switch to write " + bootstrapped)
                with open(bootstrapped) as f, open(setup.controller_ca.cert) as g:
                    assert ssl.PEM_cert_to_DER_cert(f.read()) == \
                        ssl.PEM_cert_to_DER_cert(g.read()), "saved CA is not the controller's"
                # The bootstrap connection is dropped; the next one is verified and serves.
                def served():
                    for peer in listener.live_peers():
                        try:
                            return peer.call("list_dbs", [], timeout=5)
                        except (Closed, OSError):  # the bootstrap connection, closing
                            continue  # (ssl errors are OSErrors)
                    return None
                reply = wait_for(served, 15, "a verified connection that serves")
                assert "hardware_vtep" in reply["result"], reply
                if not reference:
                    assert "bootstrapped CA certificate " + bootstrapped in s.log(), s.log()
                s.halt()
                # Restarted, the switch now verifies with the saved CA: a controller from
                # another CA is refused.
            with PeerListener(server_context(setup.rogue, setup.switch_ca.cert)) as rogue:
                with switch("--remote=" + rogue.target, tls=tls) as s:
                    wait_for(lambda: rogue.handshake_errors, 15, "the switch to try the "
                             "rogue controller")
                    assert not rogue.peers, "the switch accepted a controller of another CA"

    @suite.test
    def rotated_files_picked_up():
        directory = workdir("rotation", args.keep)
        live = {name: os.path.join(directory, name) for name in ("key.pem", "cert.pem",
                                                                 "ca.pem")}

        def install(creds, ca):
            # Each file is replaced whole (rename), as a provisioning tool would.
            for source, name in ((creds.key, "key.pem"), (creds.chain, "cert.pem"),
                                 (ca.cert, "ca.pem")):
                shutil.copyfile(source, live[name] + ".new")
                os.replace(live[name] + ".new", live[name])

        def serial_seen(client):
            return client.sock.getpeercert()["serialNumber"]

        install(setup.switch, setup.controller_ca)
        port = free_tcp_port()
        tls = ["--private-key=" + live["key.pem"], "--certificate=" + live["cert.pem"],
               "--ca-cert=" + live["ca.pem"]]
        with switch("--remote=pssl:%d:127.0.0.1" % port, tls=tls) as s:
            old = tls_client(port, setup.good_client())
            with old:
                echo_ok(old, "old")
                assert serial_seen(old) == setup.switch.serial

                # New switch certificate (same CA) and a new controller CA to trust.
                renewed = setup.pki.issue(setup.switch_ca, "switch-renewed", "switch-ps0-2025")
                new_controller_ca = setup.pki.ca("controller-2")
                new_controller = setup.pki.issue(new_controller_ca, "controller-new",
                                                 "controller-2")
                install(renewed, new_controller_ca)
                with tls_client(port, client_context(new_controller, setup.switch_ca.cert)) \
                        as new:
                    echo_ok(new, "new")
                    assert serial_seen(new) == renewed.serial, (serial_seen(new),
                                                                renewed.serial)
                    subject = dict(p[0] for p in new.sock.getpeercert()["subject"])
                    assert subject["commonName"] == "switch-ps0-2025", subject
                # The old controller CA is no longer trusted for new connections...
                refused(port, setup.good_client())
                # ...but the session opened before the rotation is still served.
                echo_ok(old, "still here")

                if reference:
                    return
                # A broken rotation (a certificate that is not PEM) keeps what works.
                with open(live["cert.pem"] + ".new", "w") as f:
                    f.write("not a certificate\n")
                os.replace(live["cert.pem"] + ".new", live["cert.pem"])
                with tls_client(port, client_context(new_controller, setup.switch_ca.cert)) \
                        as after:
                    echo_ok(after, "after a broken rotation")
                    assert serial_seen(after) == renewed.serial
                log = wait_for_log(s, "keeping the previously loaded TLS files")
                assert "cannot load certificate" in log, log
                echo_ok(old, "old session unaffected")

    def tls12_client(ciphers=None, **versions):
        context = setup.good_client()
        context.minimum_version = versions.get("minimum", ssl.TLSVersion.TLSv1_2)
        context.maximum_version = versions.get("maximum", ssl.TLSVersion.TLSv1_2)
        if ciphers:
            context.set_ciphers(ciphers)
        return context

    @suite.test
    def protocols_and_ciphers():
        port = free_tcp_port()
        tls12 = ["--ssl-protocols=TLSv1.2", "--ssl-ciphers=ECDHE-ECDSA-AES128-GCM-SHA256"]
        with switch("--remote=pssl:%d:127.0.0.1" % port, *tls12) as s:
            with tls_client(port, setup.good_client()) as client:
                echo_ok(client, "negotiated")
                assert client.sock.version() == "TLSv1.2", client.sock.version()
                assert client.sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256", \
                    client.sock.cipher()
            only13 = setup.good_client()
            only13.minimum_version = ssl.TLSVersion.TLSv1_3
            print("    TLS 1.3 client refused (%s)" % refused(port, only13))
            print("    other cipher refused (%s)" % refused(
                port, tls12_client("ECDHE-ECDSA-AES256-GCM-SHA384")))
            if not reference:
                wait_for_log(s, "TLS handshake failed: ", count=2)
        if reference:
            return  # ovsdb-server 3.1 does not know "TLSv1.3" in --ssl-protocols
        with switch("--remote=pssl:%d:127.0.0.1" % port, "--ssl-protocols=TLSv1.3") as s:
            with tls_client(port, setup.good_client()) as client:
                echo_ok(client, "negotiated")
                assert client.sock.version() == "TLSv1.3", client.sock.version()
            print("    TLS 1.2 client refused (%s)" % refused(port, tls12_client()))
        # Versions older than TLS 1.2 are never enabled, and asking for them is an error
        # the daemon reports at start.
        tls = switch_tls_args(setup.switch, ca_cert=setup.controller_ca.cert)
        for protocols in ("TLSv1.1", "TLSv1.2,TLSv1", "SSLv3"):
            result = subprocess.run(
                [args.server, "--no-dataplane", "--remote=pssl:%d:127.0.0.1" % port,
                 "--ssl-protocols=" + protocols, os.path.join(setup.dir, "refused.db")]
                + tls, capture_output=True, text=True, timeout=20)
            assert result.returncode != 0, "started with --ssl-protocols=" + protocols
            assert "is not supported" in result.stderr, result.stderr

    @suite.test
    def stalled_handshake_does_not_block_others():
        if reference:
            return  # ovsdb-server has no handshake deadline
        with switch(MANAGERS) as s:
            target, port = pssl_manager(s)
            with socket.create_connection(("127.0.0.1", port)) as silent:
                # Says nothing: the switch waits for its ClientHello meanwhile...
                with tls_client(port, setup.good_client()) as good:
                    echo_ok(good, "not held up")
                # ...but not for ever.
                silent.settimeout(20)
                assert silent.recv(100) == b"", "the switch sent something to a silent peer"
            log = wait_for_log(s, "TLS handshake timed out")
            assert "pssl:0:127.0.0.1: ssl:127.0.0.1:" in log, log
            wait_for_manager(s, target, lambda up, st: st.get("tls_handshake_failures") == "1",
                             "the timeout counted")

    @suite.test
    def outgoing_connection_uses_rotated_certificate():
        directory = workdir("outgoing-rotation", args.keep)
        key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
        shutil.copyfile(setup.switch.key, key)
        shutil.copyfile(setup.switch.chain, cert)
        tls = ["--private-key=" + key, "--certificate=" + cert,
               "--ca-cert=" + setup.controller_ca.cert]
        with PeerListener(server_context(setup.controller, setup.switch_ca.cert)) as listener:
            with switch("--remote=" + listener.target, tls=tls):
                first = listener.wait_peers(1, timeout=15)
                assert first.peer_certificate()["serialNumber"] == setup.switch.serial
                renewed = setup.pki.issue(setup.switch_ca, "switch-outgoing", "switch-ps0-b")
                for source, path in ((renewed.key, key), (renewed.chain, cert)):
                    shutil.copyfile(source, path + ".new")
                    os.replace(path + ".new", path)
                assert first.call("echo", ["up"])["result"] == ["up"]  # not dropped
                first.close()  # the controller hangs up: the switch reconnects...
                second = listener.wait_peers(2, timeout=15)
                # ...presenting its new certificate.
                assert second.peer_certificate()["serialNumber"] == renewed.serial, \
                    second.peer_certificate()

    @suite.test
    def tls_hangup_reported_as_closed_by_peer():
        if reference:
            return  # ovsdb-server words it its own way
        listener = PeerListener(server_context(setup.controller, setup.switch_ca.cert))
        with switch(MANAGERS) as s, listener:
            target, port = pssl_manager(s)
            # Incoming: a controller that just closes its socket (no close_notify), as a
            # process that dies does.
            client = tls_client(port, setup.good_client())
            echo_ok(client, "bye")
            client_port = client.sock.getsockname()[1]
            client.sock.close()
            wait_for_log(s, "ssl:127.0.0.1:%d: " % client_port)
            line = [l for l in s.log().splitlines() if "ssl:127.0.0.1:%d: " % client_port in l]
            assert line[-1].endswith("connection closed by peer"), line[-1]
            # Outgoing: the controller the switch connected to goes away the same way.
            s.vtep_ctl("set-manager", listener.target)
            peer = listener.wait_peers(1, timeout=15)
            peer.call("echo", ["hello"])
            listener.close()
            _, st = wait_for_manager(s, listener.target, lambda up, st: not up and
                                     st.get("last_error"), "the hang-up in last_error",
                                     timeout=5)
            assert st["last_error"] in ("connection closed by peer", "Connection refused"), st

    @suite.test
    def stalled_tls_peer_cut_off_safely():
        """TLS peers that monitor a large table and stop reading are disconnected for
        their backlog, incoming (pssl) and outgoing (an ssl: Manager target), ten times
        each, and the daemon and other sessions carry on."""
        if reference:
            return  # ovsdb-server has no --max-backlog
        port = free_tcp_port()
        # Large buffers get their own mappings, returned at once when freed, so that a
        # use after free faults instead of reading stale heap memory (glibc would
        # otherwise raise the threshold after the first large free).
        with contextlib.ExitStack() as stack:
            os.environ["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=65536"
            try:
                s = stack.enter_context(switch(MANAGERS, "--remote=pssl:%d:127.0.0.1" % port,
                                               "--max-backlog=65536"))
            finally:
                del os.environ["GLIBC_TUNABLES"]
            fill_logical_switches(s)

            def died(what):
                return AssertionError("ovsdb-vtepd died (status %s) after cutting off a "
                                      "stalled %s; its log ends:\n%s" %
                                      (s.process.poll(), what, s.log()[-1500:]))

            def cut_off(dropped, what):
                lost = None
                try:
                    commit_until(s, lambda: dropped in s.log() or not s.alive(),
                                 "the stalled %s to be dropped" % what)
                    # Still there? A round trip on another TLS session says so.
                    echo_ok(other, "after the %s" % what)
                except (Closed, Timeout, OSError) as error:
                    lost = error
                if lost is not None:
                    try:  # a session lost because the daemon is going down?
                        s.process.wait(2)
                    except subprocess.TimeoutExpired:
                        raise lost from None
                if not s.alive():
                    raise died(what)

            with tls_client(port, setup.good_client()) as other:
                for attempt in range(10):
                    # Outgoing: the controller the switch connected to stops reading.
                    with PeerListener(server_context(setup.controller, setup.switch_ca.cert),
                                      rcvbuf=4096) as listener:
                        s.vtep_ctl("set-manager", listener.target)
                        listener.wait_peers(1, timeout=15).stall(MONITOR_ALL)
                        cut_off("%s: send backlog of " % listener.target,
                                "controller (attempt %d)" % (attempt + 1))
                    # Incoming: a client of the pssl listener stops reading.
                    raw = socket.socket()
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    raw.connect(("127.0.0.1", port))
                    stalled = setup.good_client().wrap_socket(raw)
                    try:
                        stalled.sendall(json.dumps(MONITOR_ALL).encode())
                        cut_off("ssl:127.0.0.1:%d: send backlog of " % stalled.getsockname()[1],
                                "client (attempt %d)" % (attempt + 1))
                    finally:
                        stalled.close()

    run_suite(suite, args)


if __name__ == "__main__":
    main()
