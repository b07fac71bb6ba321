"""A JSON-RPC client over a raw socket, so a test sees every message exactly as the server
wrote it (no Open vSwitch library in between)."""

import codecs
import json
import socket
import time

DEFAULT_TIMEOUT = 5.0


class Closed(Exception):
    """The server closed the connection."""


class Timeout(Exception):
    """No complete message arrived in time; the argument is what arrived but does not parse
    (empty when nothing came)."""


def connect_socket(remote):
    kind, _, rest = remote.partition(":")
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(rest)
    elif kind == "tcp":
        host, _, port = rest.rpartition(":")
        s = socket.create_connection((host, int(port)))
    else:
        raise ValueError("remote must be unix:PATH or tcp:IP:PORT, not " + remote)
    return s


class Client:
    def __init__(self, remote):
        self.sock = connect_socket(remote)
        self.buffer = ""
        # Bytes that are not valid UTF-8 are kept (as lone surrogates) so that a test sees
        # exactly what the server wrote; characters split across reads are joined.
        self.utf8 = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self.closed = False
        self.next_id = 0
        self.decoder = json.JSONDecoder()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode(errors="surrogateescape")
        # A server that stops reading must not hang the test: give up after a while.
        self.sock.settimeout(DEFAULT_TIMEOUT)
        self.sock.sendall(data)

    def send(self, message):
        self.send_raw(json.dumps(message, separators=(",", ":")))

    def _take_message(self):
        text = self.buffer.lstrip()
        if not text:
            self.buffer = ""
            return None
        try:
            message, end = self.decoder.raw_decode(text)
        except json.JSONDecodeError:
            return None  # incomplete; the server only writes valid JSON
        self.buffer = text[end:]
        return message

    def recv(self, timeout=DEFAULT_TIMEOUT):
        """The next message; raises Timeout or Closed."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._take_message()
            if message is not None:
                return message
            if self.closed:
                raise Closed()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout(self.buffer.strip()[:300])
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise Timeout(self.buffer.strip()[:300]) from None
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                continue
            self.buffer += self.utf8.decode(data)

    def request(self, method, params, id=None):
        if id is None:
            self.next_id += 1
            id = self.next_id
        self.send({"method": method, "params": params, "id": id})
        return id

    def wait_reply(self, id, timeout=DEFAULT_TIMEOUT, notifications=None):
        """Reads until the reply to `id`; other messages go to `notifications`."""
        while True:
            message = self.recv(timeout)
            if is_reply(message) and message.get("id") == id:
                return message
            if notifications is None:
                raise AssertionError("unexpected message while waiting for reply %r: %s" %
                                     (id, json.dumps(message)))
            notifications.append(message)

    def call(self, method, params, timeout=DEFAULT_TIMEOUT, notifications=None):
        return self.wait_reply(self.request(method, params), timeout, notifications)


def is_reply(message):
    return isinstance(message, dict) and "method" not in message and "id" in message
