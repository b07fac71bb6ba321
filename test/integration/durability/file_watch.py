"""inotify on one directory (through libc, no extra package), so a test can act the moment
the server creates or renames a file (a compaction's "<db>.tmp", its rename over the db)
instead of polling for it and missing a short window."""

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import time

IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_CLOEXEC = 0o2000000
IN_NONBLOCK = 0o4000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class DirectoryWatch:
    def __init__(self, directory, mask=IN_CREATE | IN_MOVED_TO):
        self.fd = _libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if _libc.inotify_add_watch(self.fd, os.fsencode(directory), mask) < 0:
            error = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(error, "inotify_add_watch %s failed" % directory)
        self.pending = []

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _read_events(self):
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError as error:
            if error.errno != errno.EAGAIN:
                raise
            return
        offset = 0
        while offset < len(data):
            _, mask, _, length = _EVENT.unpack_from(data, offset)
            offset += _EVENT.size
            name = data[offset:offset + length].rstrip(b"\0").decode(errors="replace")
            offset += length
            self.pending.append((mask, name))

    def wait_for(self, mask, name, timeout, stop=None):
        """Waits until an event in `mask` names `name`; True if it came, False after
        `timeout` seconds or once `stop()` returns true."""
        deadline = time.monotonic() + timeout
        while True:
            while self.pending:
                event_mask, event_name = self.pending.pop(0)
                if event_mask & mask and event_name == name:
                    return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (stop is not None and stop()):
                return False
            readable, _, _ = select.select([self.fd], [], [], min(remaining, 0.05))
            if readable:
                self._read_events()
