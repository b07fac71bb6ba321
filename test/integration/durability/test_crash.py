#!/usr/bin/python3
"""Crash test: SIGKILL the server at random moments during a write load, restart it on the
same file, and prove that every acknowledged transaction survived.

Each round starts the server on one database file (created by the server in the first
round), runs concurrent writer clients (inserts of Logical_Switch + Physical_Locator +
Ucast_Macs_Remote, other_config mutations, deletes that garbage-collect a locator;
pipelined, some with a durable commit), kills the server, and then checks:
  - the crashed file holds only valid records (at most a torn last one);
  - after a restart every acknowledged transaction is there, each transaction is there
    whole or not at all, each writer's surviving transactions are a prefix of what it
    sent, no row appears that nobody wrote, and earlier rounds' rows are unchanged;
  - after one more commit, `ovsdb-tool` show-log, db-cksum, db-version and query accept
    the file and the query returns what the server serves.
Special rounds kill the server during a 10,000-row transaction, while a compaction is
being written, and just after a compaction replaced the file. At the end, stock
ovsdb-server opens the final file and serves the same rows.

The seed is printed; `--seed N` repeats a run's random choices (thread timing still varies).
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "ovsdb"))  # harness, jsonrpc, servers

from database_server import STOCK_OVSDB_SERVER, DatabaseServer, remove_directory  # noqa: E402
from harness import Suite, wait_for  # noqa: E402
from jsonrpc import Client  # noqa: E402
from servers import VTEP_SCHEMA, add_server_arguments  # noqa: E402
import crash_outcome  # noqa: E402
import db_file  # noqa: E402
from file_watch import IN_CREATE, IN_MOVED_TO, DirectoryWatch  # noqa: E402
from write_load import UniqueAddresses, Writer  # noqa: E402

WRITERS = 4
BULK_ROWS = 10000
DESCRIPTION_BYTES = 100 * 1024  # big commits grow the file past the compaction threshold
COMPACTION_TIMEOUT = 30.0
DB = "hardware_vtep"


class CrashRun:
    """The state shared by all rounds: one file, the server, everything ever sent."""

    def __init__(self, args, rng):
        self.args = args
        self.rng = rng
        self.directory = tempfile.mkdtemp(prefix="ovsdb-durability-%d-" % os.getpid())
        self.db_path = os.path.join(self.directory, "vtep.db")
        self.server = DatabaseServer(args.server, self.directory, self.db_path,
                                     extra_args=args.server_arg)
        self.addresses = UniqueAddresses()
        self.all_writers = []
        self.markers = set()
        self.last_state = None
        self.bulk_latency = None
        self.bulk_switches = []

    # Load.
    def start_writers(self, round_number, describe=False, bulk=False):
        prefix = "r%d-" % round_number
        writers = [Writer("w%d" % i, self.server.unix_remote, prefix, self.addresses,
                          random.Random(self.rng.random()))
                   for i in range(WRITERS)]
        if describe:
            writers.append(Writer("described", self.server.unix_remote, prefix,
                                  self.addresses, random.Random(self.rng.random()),
                                  mix="describe", depth=4, padding=DESCRIPTION_BYTES))
        if bulk:
            writers.append(Writer("big", self.server.unix_remote, prefix, self.addresses,
                                  random.Random(self.rng.random()), mix="bulk", depth=1,
                                  bulk_rows=BULK_ROWS))
        for writer in writers:
            writer.start()
        self.all_writers += writers
        return writers

    def kill(self, writers):
        self.server.kill()
        for writer in writers:
            writer.stop.set()  # an idle writer (its bulk transaction answered) has no reply to miss
        for writer in writers:
            writer.join(30)
            assert not writer.is_alive(), "writer %s still running 30 s after the kill" % (
                writer.name)

    # Checks after a kill.
    def check_crashed_file(self):
        scan = db_file.scan(self.db_path)
        torn = scan.torn_tail
        print("    crashed file: %d bytes, %d records%s" % (
            scan.size, len(scan.records), ", torn tail of %d bytes" % torn if torn else ""))
        if not torn:
            # Nothing to repair, so Open vSwitch must read it as it is.
            db_file.tool("show-log", self.db_path)
        return scan

    def restart_and_check(self, round_number, writers, scan):
        log_before = len(self.server.log_lines())
        self.server.launch()
        if scan.torn_tail:
            new_lines = self.server.log_lines()[log_before:]
            assert any("dropping %d bytes" % scan.torn_tail in line for line in new_lines), (
                "the server did not log the %d-byte torn tail it must drop:\n%s" %
                (scan.torn_tail, "\n".join(new_lines)))
        problems = []
        unexpected = [text for writer in writers for text in writer.unexpected]
        problems += ["UNEXPECTED REPLY: " + text for text in unexpected]
        state = crash_outcome.State(crash_outcome.select_all(self.server.unix_remote))
        counts, found = crash_outcome.check_round(writers, state)
        problems += found
        known_switches, known_macs, known_ips = set(self.markers), set(), set()
        for writer in self.all_writers:
            for txn in writer.sent:
                if hasattr(txn, "switch"):
                    known_switches.add(txn.switch)
                if hasattr(txn, "mac"):
                    known_macs.add(txn.mac)
                if hasattr(txn, "macs"):
                    known_macs.update(txn.macs)
                if hasattr(txn, "ip"):
                    known_ips.add(txn.ip)
        problems += crash_outcome.unknown_rows(state, known_switches, known_macs, known_ips)
        if self.last_state is not None:
            problems += crash_outcome.changed_rows(self.last_state, state.tables)
        print("    %d transactions sent, %d acknowledged, %d in the database after restart "
              "(%d of them unacknowledged)" % (counts["sent"], counts["acked"],
                                               counts["applied"], counts["unacked_applied"]))
        if self.bulk_switches and self.bulk_switches[-1].startswith("r%d-" % round_number):
            print("    the %d-row transaction is %s after restart" % (
                BULK_ROWS, "in the database" if self.bulk_switches[-1] in state.switches
                else "absent"))
        if problems:
            raise AssertionError("round %d: %d problems:\n  %s" % (
                round_number, len(problems), "\n  ".join(problems[:40])))
        assert counts["acked"] > 0, "no transaction was acknowledged before the kill"

        # One commit after the restart, so a dropped tail is really gone from the file.
        marker = "r%d-restarted" % round_number
        self.markers.add(marker)
        with Client(self.server.unix_remote) as client:
            reply = client.call("transact", [DB, {"op": "insert", "table": "Logical_Switch",
                                                  "row": {"name": marker}}])
        assert reply.get("error") is None and "error" not in reply["result"][0], reply
        with Client(self.server.unix_remote) as client:
            reply = client.call("transact", [DB, {"op": "select", "table": "Logical_Switch",
                                                  "where": [["name", "==", marker]]}])
        served = {table: dict(rows) for table, rows in state.tables.items()}
        served["Logical_Switch"].update(crash_outcome.normalise(reply["result"][0]["rows"]))
        from_file = db_file.check_with_ovsdb_tool(self.db_path, VTEP_SCHEMA,
                                                  crash_outcome.TABLES)
        for table in crash_outcome.TABLES:
            rows = crash_outcome.normalise(from_file[table])
            assert rows == served[table], (
                "ovsdb-tool query of %s differs from what the server serves: %d rows vs %d" %
                (table, len(rows), len(served[table])))
        print("    ovsdb-tool show-log, db-cksum, db-version, query: ok (%d switches, %d MACs, "
              "%d locators)" % tuple(len(served[t]) for t in crash_outcome.TABLES))
        self.last_state = served

    # Kill triggers.
    def kill_after(self, writers, seconds):
        print("    killing %.3f s after the load started" % seconds)
        time.sleep(seconds)
        self.kill(writers)


def run_round(run, number, kind):
    """One round: load, kill at a moment chosen by `kind`, restart, check."""
    rng = run.rng
    if not run.server.alive():
        run.server.launch()
    if kind == "random":
        writers = run.start_writers(number)
        run.kill_after(writers, rng.uniform(0.05, 1.0))
    elif kind == "after-bulk":
        # Also measures how long a 10,000-row transaction takes, to aim the next kills.
        writers = run.start_writers(number, bulk=True)
        big = writers[-1]
        assert big.bulk_acked.wait(60), "the %d-row transaction got no reply within 60 s (%s)" % (
            BULK_ROWS, big.ended_by)
        run.bulk_latency = big.sent[0].acked_at - big.sent[0].sent_at
        print("    a %d-row transaction took %.3f s" % (BULK_ROWS, run.bulk_latency))
        run.kill_after(writers, rng.uniform(0.02, 0.3))
    elif kind.startswith("during-bulk"):
        writers = run.start_writers(number, bulk=True)
        big = writers[-1]
        wait_for(lambda: big.sent, 10, "the bulk transaction to be sent")
        # One round aims inside the measured latency, the other around its end (the
        # commit and the reply are the last things the server does with it).
        low, high = (0.1, 0.9) if kind == "during-bulk-early" else (0.7, 1.3)
        delay = rng.uniform(low, high) * (run.bulk_latency or 0.5)
        print("    killing %.3f s after sending the %d-row transaction" % (delay, BULK_ROWS))
        time.sleep(max(0.0, big.sent[0].sent_at + delay - time.monotonic()))
        run.kill(writers)
        print("    the %d-row transaction was %s before the kill" % (
            BULK_ROWS, "acknowledged" if big.sent[0].acked else "not acknowledged"))
    elif kind in ("during-compaction", "after-compaction"):
        tmp_name = os.path.basename(run.db_path) + ".tmp"
        with DirectoryWatch(run.directory) as watch:
            writers = run.start_writers(number, describe=True)
            seen = watch.wait_for(IN_CREATE, tmp_name, COMPACTION_TIMEOUT)
            started = time.monotonic()
            if kind == "during-compaction":
                delay = rng.uniform(0.0, 0.005)
            else:
                seen = seen and watch.wait_for(IN_MOVED_TO, os.path.basename(run.db_path),
                                               COMPACTION_TIMEOUT)
                finished = time.monotonic()
                acked_meanwhile = sum(1 for writer in writers for txn in writer.sent
                                      if txn.acked and started <= txn.acked_at <= finished)
                print("    compaction took %.3f s; %d transactions were acknowledged while it "
                      "ran" % (finished - started, acked_meanwhile))
                delay = rng.uniform(0.0, 0.1)
            if not seen:
                run.kill(writers)
                raise AssertionError("no compaction %s within %.0f s (file is %d bytes)" % (
                    "started" if kind == "during-compaction" else "finished",
                    COMPACTION_TIMEOUT, db_file.size(run.db_path)))
            time.sleep(delay)
            run.kill(writers)
        in_progress = os.path.exists(os.path.join(run.directory, tmp_name))
        print("    killed %.4f s after the compaction %s; %s" % (
            delay, "started" if kind == "during-compaction" else "replaced the file",
            "its unfinished %s was left behind" % tmp_name if in_progress
            else "no unfinished compaction"))
    else:
        raise ValueError(kind)
    scan = run.check_crashed_file()
    if "bulk" in kind:
        run.bulk_switches.append(writers[-1].sent[0].switch)
    if kind == "after-compaction":
        comments = scan.comments()
        assert comments and comments[0] == "compacting database online", (
            "the file does not start with a compaction record: first comments %s" %
            comments[:3])
    run.restart_and_check(number, writers, scan)


def check_stock_server(run):
    """Open vSwitch's ovsdb-server opens a copy of the final file and serves the same rows."""
    expected = crash_outcome.select_all(run.server.unix_remote)
    run.server.stop()
    directory = tempfile.mkdtemp(prefix="ovsdb-durability-stock-%d-" % os.getpid())
    try:
        copy = os.path.join(directory, "vtep.db")
        shutil.copyfile(run.db_path, copy)
        stock = DatabaseServer(STOCK_OVSDB_SERVER, directory, copy)
        stock.start()
        try:
            served = crash_outcome.select_all(stock.unix_remote)
        finally:
            stock.stop()
    finally:
        remove_directory(directory, run.args.keep)
    for table in crash_outcome.TABLES:
        assert served[table] == expected[table], (
            "ovsdb-server serves %d %s rows, ovsdb-vtepd served %d (or contents differ)" %
            (len(served[table]), table, len(expected[table])))
    print("    ovsdb-server serves the same %d switches, %d MACs, %d locators" %
          tuple(len(expected[t]) for t in crash_outcome.TABLES))


ROUNDS = ["after-bulk", "random", "random", "random", "random", "random", "during-bulk-early",
          "during-bulk-late", "during-compaction", "after-compaction"]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--seed", type=int, help="random seed (default: from the clock)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1000000
    print("seed %d (repeat with --seed %d)" % (seed, seed))
    run = CrashRun(args, random.Random(seed))
    suite = Suite("crash")

    for number, kind in enumerate(ROUNDS, 1):
        def round_test(number=number, kind=kind):
            run_round(run, number, kind)
        round_test.__name__ = "round%02d_%s" % (number, kind.replace("-", "_"))
        suite.test(round_test)

    @suite.test
    def stock_ovsdb_server_reads_final_file():
        if not run.server.alive():
            run.server.launch()
        check_stock_server(run)

    try:
        status = suite.run()
    finally:
        run.server.stop()
        remove_directory(run.directory, args.keep)
    if status:
        print("seed was %d" % seed)
    return status


if __name__ == "__main__":
    sys.exit(main())
