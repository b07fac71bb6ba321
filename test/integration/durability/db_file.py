"""Reading a standalone OVSDB database file the way a crash test needs: record by record with
each header's length and SHA-1 checked, and through Open vSwitch's `ovsdb-tool`."""

import hashlib
import json
import os
import re
import shutil
import subprocess

OVSDB_TOOL = shutil.which("ovsdb-tool") or "/usr/bin/ovsdb-tool"
DB = "hardware_vtep"
HEADER = re.compile(rb"OVSDB JSON (\d+) ([0-9a-f]{40})\n")


class Scan:
    """What a file holds: `records` (parsed payloads, schema first) and, when the file ends
    inside a record, `torn_tail` (bytes after the last complete record)."""

    def __init__(self, records, torn_tail, size):
        self.records = records
        self.torn_tail = torn_tail
        self.size = size

    def comments(self):
        return [record.get("_comment") for record in self.records[1:]]


def scan(path):
    """Parses every record; AssertionError for anything but a torn last record (a header or
    payload cut short by the end of the file)."""
    with open(path, "rb") as f:
        data = f.read()
    records = []
    offset = 0
    while offset < len(data):
        newline = data.find(b"\n", offset)
        if newline < 0:
            return Scan(records, len(data) - offset, len(data))  # header cut short
        match = HEADER.fullmatch(data, offset, newline + 1)
        assert match, "%s: bad record header at offset %d: %r" % (
            path, offset, data[offset:newline + 1][:120])
        length, digest = int(match.group(1)), match.group(2).decode()
        start = newline + 1
        if start + length > len(data):
            return Scan(records, len(data) - offset, len(data))  # payload cut short
        payload = data[start:start + length]
        assert hashlib.sha1(payload).hexdigest() == digest, (
            "%s: SHA-1 mismatch in the record at offset %d (a complete record was corrupted)"
            % (path, offset))
        assert payload.endswith(b"\n"), "%s: record at %d does not end in LF" % (path, offset)
        records.append(json.loads(payload))
        offset = start + length
    assert records, "%s is empty: not even the schema record" % path
    return Scan(records, 0, len(data))


def tool(*args, timeout=120):
    result = subprocess.run([OVSDB_TOOL] + list(args), capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError("ovsdb-tool %s failed (status %d): %s" %
                             (" ".join(args), result.returncode, result.stderr.strip()))
    return result.stdout


def check_with_ovsdb_tool(path, schema_path, tables):
    """Runs show-log, db-cksum, db-version and a query of `tables` on the file and returns
    the query's rows per table (all columns). Each must succeed."""
    show_log = tool("show-log", path)
    assert show_log.startswith('record 0: "%s" schema' % DB), show_log[:200]
    with open(schema_path) as f:
        schema = json.load(f)
    assert tool("db-cksum", path).strip() == schema["cksum"]
    assert tool("db-version", path).strip() == schema["version"]
    operations = [{"op": "select", "table": table, "where": []} for table in tables]
    results = json.loads(tool("query", path, json.dumps([DB] + operations)))
    rows = {}
    for table, result in zip(tables, results):
        assert "rows" in result, "ovsdb-tool query %s: %s" % (table, result)
        rows[table] = result["rows"]
    return rows


def size(path):
    return os.path.getsize(path)
