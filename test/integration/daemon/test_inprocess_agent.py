#!/usr/bin/python3
"""ovsdb-vtepd runs the VTEP agent in-process: with an "agent" section in --config it
loads the dataplane (pinned under a per-test instance), publishes the switch, re-reads
the configuration on SIGHUP (refusing a bad one with its file and line, keeping the
running one), refuses a bad configuration at start, adopts its pinned dataplane when
restarted, and with --no-dataplane is a plain server."""

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

PIN_ROOT = "/sys/fs/bpf/ovsdb-vtep"


class Daemon:
    def __init__(self, binary, workdir, agent, extra=()):
        self.binary = binary
        self.dir = workdir
        self.config = os.path.join(workdir, "ovsdb-vtepd.json")
        self.instance = "test-agent-%d" % os.getpid()
        self.write_config(agent)
        self.extra = list(extra)
        self.process = None

    def write_config(self, agent, raw=None):
        with open(self.config, "w") as f:
            if raw is not None:
                f.write(raw)
            else:
                json.dump({"dataplane": True, "dataplane_instance": self.instance,
                           "agent": agent}, f, indent=2)

    @property
    def sock(self):
        return os.path.join(self.dir, "db.sock")

    @property
    def log(self):
        return os.path.join(self.dir, "daemon.log")

    def start(self, expect_ok=True):
        log = open(self.log, "ab")
        self.process = subprocess.Popen(
            [self.binary, os.path.join(self.dir, "vtep.db"), "--remote=punix:" + self.sock,
             "--config=" + self.config, "--unixctl=none"] + self.extra,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if expect_ok:
            wait_for(lambda: os.path.exists(self.sock) or self.process.poll() is not None,
                     what="the daemon to listen")
            assert self.process.poll() is None, self.log_text()
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def vtep(self, *args):
        r = subprocess.run(["vtep-ctl", "--db=unix:" + self.sock] + list(args),
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def switch(self, name, column):
        try:
            return self.vtep("get", "Physical_Switch", name, column)
        except AssertionError:
            return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True)
    args = parser.parse_args()
    suite = Suite("test_inprocess_agent")
    workdir = tempfile.mkdtemp(prefix="vtepd-agent-%d-" % os.getpid(), dir="/tmp")
    name = "sw-%d" % os.getpid()
    agent = {"switch_name": name, "description": "first", "tunnel_ips": ["192.0.2.77"],
             "management_ips": ["198.51.100.7"]}

    @suite.test
    def publishes_the_switch_and_reloads_on_sighup():
        d = Daemon(args.server, workdir, agent).start()
        try:
            wait_for(lambda: d.switch(name, "tunnel_ips") == '["192.0.2.77"]',
                     what="the switch to be published")
            assert d.switch(name, "description") in ('"first"', "first"), \
                d.switch(name, "description")
            assert os.path.isdir(os.path.join(PIN_ROOT, d.instance)), "dataplane not pinned"

            d.write_config(dict(agent, description="second"))
            d.process.send_signal(signal.SIGHUP)
            wait_for(lambda: d.switch(name, "description") in ('"second"', "second"),
                     what="the reloaded description")

            # A bad reload is refused with file and line; the running configuration stays.
            d.write_config(None, raw='{\n  "dataplane": true,\n  "dataplane_instance": "%s",\n'
                           '  "agent": {\n    "switch_name": "%s",\n'
                           '    "tunnel_ips": ["not-an-ip"]\n  }\n}\n' % (d.instance, name))
            d.process.send_signal(signal.SIGHUP)
            wait_for(lambda: "reload refused" in d.log_text(), what="the refusal in the log")
            line = [l for l in d.log_text().splitlines() if "reload refused" in l][-1]
            assert d.config + ":6" in line, line
            assert d.process.poll() is None
            assert d.switch(name, "description") in ('"second"', "second")
        finally:
            d.stop()

    @suite.test
    def a_restarted_daemon_adopts_its_pinned_dataplane():
        d = Daemon(args.server, workdir, agent).start()
        try:
            wait_for(lambda: "adopted the pinned dataplane" in d.log_text(),
                     what="adoption of the pins left by the previous test's daemon")
        finally:
            d.stop()

    @suite.test
    def a_bad_configuration_is_refused_at_start():
        d = Daemon(args.server, workdir, dict(agent, access_ports=[{"nme": "eth9"}]))
        d.start(expect_ok=False)
        assert d.process.wait(timeout=10) != 0
        assert d.config + ":" in d.log_text() and "access_ports" in d.log_text(), d.log_text()

    @suite.test
    def no_dataplane_means_a_plain_server():
        shutil.rmtree(os.path.join(PIN_ROOT, "test-agent-%d" % os.getpid()),
                      ignore_errors=True)
        d = Daemon(args.server, workdir, dict(agent, switch_name=name + "-off"),
                   extra=["--no-dataplane"]).start()
        try:
            d.vtep("list-ps")  # answering
            assert d.switch(name + "-off", "name") is None
            assert not os.path.exists(os.path.join(PIN_ROOT, d.instance))
        finally:
            d.stop()

    try:
        return suite.run()
    finally:
        shutil.rmtree(os.path.join(PIN_ROOT, "test-agent-%d" % os.getpid()), ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
