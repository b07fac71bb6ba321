"""A server process on a database file the test owns, so the same file can go through many
starts and SIGKILLs (the ovsdb tests' Server makes a fresh file per run; this reuses its
process handling on a file of our choosing)."""

import os
import shutil
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OVSDB_TESTS = os.path.join(HERE, "..", "ovsdb")
sys.path.insert(0, OVSDB_TESTS)

from servers import Server  # noqa: E402

STOCK_OVSDB_SERVER = "/usr/sbin/ovsdb-server"


class DatabaseServer(Server):
    """`binary` serving `db_file` (created by the server when missing) from `directory`.

    The directory and the file outlive the process; the caller removes them.
    """

    def __init__(self, binary, directory, db_file, tcp=False, extra_args=()):
        super().__init__(binary, tcp=tcp, extra_args=extra_args, keep=True)
        self.dir = directory
        self.db_files = [db_file]

    def start(self):
        self.launch()
        return self

    def kill(self):
        """SIGKILL, as a crash would; returns once the process is gone."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        status = self.halt()
        assert status == -signal.SIGKILL, "server exited with %s before the kill" % status

    def stop(self):
        return self.halt()

    def log_lines(self):
        lines = []
        for name in ("server.log", "log-file.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    lines += f.read().splitlines()
            except OSError:
                pass
        return lines

    def rss_kib(self):
        """Resident set size of the server process (VmRSS from /proc), in KiB."""
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc/%d/status" % self.process.pid)


def remove_directory(directory, keep):
    if keep:
        print("kept %s" % directory)
    else:
        shutil.rmtree(directory, ignore_errors=True)
