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
