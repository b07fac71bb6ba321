"""A small test runner for the integration scripts: named tests, a failure report per test
and a closing `N passed, M failed` line. A test fails by raising (assert or anything else)."""

import sys
import time
import traceback


class Suite:
    def __init__(self, name):
        self.name = name
        self.tests = []

    def test(self, function):
        self.tests.append(function)
        return function

    def run(self, only=None):
        passed = failed = 0
        started = time.monotonic()
        for test in self.tests:
            if only and not any(word in test.__name__ for word in only):
                continue
            t0 = time.monotonic()
            try:
                test()
            except Exception as error:  # report every kind of failure, then go on
                failed += 1
                print("FAIL %s.%s (%.2fs)" % (self.name, test.__name__, time.monotonic() - t0))
                detail = "".join(traceback.format_exception(error)).rstrip()
                print("    " + detail.replace("\n", "\n    "))
            else:
                passed += 1
                print("ok   %s.%s (%.2fs)" % (self.name, test.__name__, time.monotonic() - t0))
            sys.stdout.flush()
        print("%s: %.1fs" % (self.name, time.monotonic() - started))
        print("%d passed, %d failed" % (passed, failed))
        return 0 if failed == 0 and passed > 0 else 1


def wait_for(condition, timeout=10.0, what="condition"):
    """Polls `condition` until it returns a true value; returns that value."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


class Background:
    """A long-running command (ovsdb-client monitor, lock) whose stdout lines are read with
    a timeout. Stops the process on exit."""

    def __init__(self, command):
        import queue
        import subprocess
        import threading

        self.command = command
        self.lines = queue.Queue()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout=10.0):
        """The next stdout line; AssertionError if none comes in time or the output ended."""
        import queue

        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("%s printed nothing within %.0f s" %
                                 (" ".join(self.command), timeout)) from None
        if line is None:
            self.lines.put(None)
            raise AssertionError("%s ended its output (status %s): %s" %
                                 (" ".join(self.command), self.process.wait(),
                                  self.process.stderr.read().strip()))
        return line

    def json(self, timeout=10.0):
        import json

        return json.loads(self.line(timeout))

    def no_line(self, within):
        """Asserts that nothing is printed within `within` seconds."""
        import queue

        try:
            line = self.lines.get(timeout=within)
        except queue.Empty:
            return
        raise AssertionError("%s printed %r, expected nothing" % (" ".join(self.command), line))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except Exception:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
