"""After a crash and restart: which of the writers' transactions are in the database, and is
that a state the server was allowed to leave behind?

Allowed means: every acknowledged transaction is there; each transaction is there entirely
or not at all; for each writer, what is there is a prefix of what it sent (the server
commits one connection's requests in order and appends commits to the file in commit
order); and nothing is there that no writer sent.
"""

import json

from jsonrpc import connect_socket

DB = "hardware_vtep"
TABLES = ("Logical_Switch", "Ucast_Macs_Remote", "Physical_Locator")


def _plain(value):
    """RFC 7047 <value> notation to plain Python: sets become sorted lists, maps dicts."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        tag, body = value
        if tag == "uuid" or tag == "named-uuid":
            return body
        if tag == "set":
            return sorted((_plain(v) for v in body), key=json.dumps)
        if tag == "map":
            return {json.dumps(_plain(k)): _plain(v) for k, v in body}
    return value


def normalise(rows):
    """Rows keyed by _uuid, without _version (not stored in the file, so it changes on every
    restart), every value plain."""
    result = {}
    for row in rows:
        plain = {column: _plain(value) for column, value in row.items() if column != "_version"}
        result[plain["_uuid"]] = plain
    return result


def call_once(remote, method, params, timeout=60.0):
    """One request on a fresh connection and its reply. Unlike jsonrpc.Client, which
    re-parses its whole buffer after every read, this parses only when a read ends a JSON
    object, which keeps multi-megabyte replies (every row of a big table) fast."""
    sock = connect_socket(remote)
    try:
        sock.settimeout(timeout)
        sock.sendall(json.dumps({"method": method, "params": params, "id": 0}).encode())
        chunks = []
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise AssertionError("%s closed the connection before replying to %s" %
                                     (remote, method))
            chunks.append(chunk)
            if chunk.rstrip().endswith(b"}"):
                try:
                    return json.loads(b"".join(chunks))
                except json.JSONDecodeError:
                    continue  # the read ended inside the message, at a nested object
    finally:
        sock.close()


def select_all(remote):
    operations = [{"op": "select", "table": table, "where": []} for table in TABLES]
    reply = call_once(remote, "transact", [DB] + operations)
    assert reply.get("error") is None, reply
    return {table: normalise(result["rows"]) for table, result in zip(TABLES, reply["result"])}


class State:
    """The three tables, indexed the way the checks look things up."""

    def __init__(self, tables):
        self.tables = tables
        self.switches = {row["name"]: row for row in tables["Logical_Switch"].values()}
        self.macs = {row["MAC"]: row for row in tables["Ucast_Macs_Remote"].values()}
        self.locators = {row["dst_ip"]: row for row in tables["Physical_Locator"].values()}

    def other_config(self, switch):
        row = self.switches.get(switch)
        return {json.loads(k): v for k, v in row["other_config"].items()} if row else {}

    def description_index(self, switch):
        row = self.switches.get(switch)
        if row is None or not row["description"]:
            return -1
        return int(row["description"].split(":", 1)[0])


def _applied(txn, state):
    if txn.kind in ("insert", "switch", "bulk"):
        return txn.switch in state.switches
    if txn.kind == "mutate":
        return txn.key in state.other_config(txn.switches[0])
    if txn.kind == "delete":
        return txn.mac not in state.macs
    if txn.kind == "describe":
        return state.description_index(txn.switch) >= txn.index
    raise AssertionError("unknown transaction kind " + txn.kind)


def _whole_or_nothing(txn, applied, deleted, state):
    """Problems with `txn` being partly applied (as text), or []."""
    problems = []
    if txn.kind == "insert":
        mac_row, locator = state.macs.get(txn.mac), state.locators.get(txn.ip)
        if applied and not deleted:
            switch = state.switches[txn.switch]
            if mac_row is None or locator is None:
                problems.append("switch %s is there but MAC %s: %s, locator %s: %s" % (
                    txn.switch, txn.mac, mac_row is not None, txn.ip, locator is not None))
            elif (mac_row["logical_switch"] != switch["_uuid"]
                  or mac_row["locator"] != locator["_uuid"]):
                problems.append("MAC %s references %s/%s, not its switch %s / locator %s" % (
                    txn.mac, mac_row["logical_switch"], mac_row["locator"], switch["_uuid"],
                    locator["_uuid"]))
        elif mac_row is not None or locator is not None:
            problems.append("%s but MAC %s present: %s, locator %s present: %s" % (
                "deleted" if applied else "switch %s absent" % txn.switch, txn.mac,
                mac_row is not None, txn.ip, locator is not None))
    elif txn.kind == "mutate":
        values = [state.other_config(switch).get(txn.key) for switch in txn.switches]
        expected = txn.value if applied else None
        if values != [expected, expected]:
            problems.append("other_config[%s] of %s is %s, expected %s in both" % (
                txn.key, list(txn.switches), values, expected))
    elif txn.kind == "bulk":
        switch = state.switches.get(txn.switch)
        present = [mac for mac in txn.macs if mac in state.macs]
        locator = state.locators.get(txn.ip)
        if applied:
            wrong = [mac for mac in present
                     if state.macs[mac]["logical_switch"] != switch["_uuid"]
                     or locator is None or state.macs[mac]["locator"] != locator["_uuid"]]
            if len(present) != len(txn.macs) or locator is None or wrong:
                problems.append("switch %s is there with %d of %d MACs, locator %s, %d MACs "
                                "with wrong references" % (txn.switch, len(present),
                                                           len(txn.macs), locator is not None,
                                                           len(wrong)))
        elif present or locator is not None:
            problems.append("switch %s absent but %d of its MACs and locator: %s are there" %
                            (txn.switch, len(present), locator is not None))
    return problems


def check_round(writers, state):
    """Classifies every transaction the writers sent; returns (counts, problems)."""
    problems = []
    counts = {"sent": 0, "acked": 0, "applied": 0, "unacked_applied": 0}
    for writer in writers:
        applied = [_applied(txn, state) for txn in writer.sent]
        deleted = {txn.insert.index for txn, was in zip(writer.sent, applied)
                   if txn.kind == "delete" and was}
        first_missing = None
        for txn, was in zip(writer.sent, applied):
            counts["sent"] += 1
            counts["acked"] += txn.acked
            counts["applied"] += was
            counts["unacked_applied"] += was and not txn.acked
            if txn.acked and not was:
                problems.append("LOST: %s was acknowledged but is not in the database" %
                                txn.describe())
            if was and first_missing is not None:
                problems.append("OUT OF ORDER: %s is in the database but the earlier %s is "
                                "not" % (txn.describe(), first_missing.describe()))
            if not was and first_missing is None:
                first_missing = txn
            for problem in _whole_or_nothing(txn, was, txn.index in deleted, state):
                problems.append("PARTIAL: %s: %s" % (txn.describe(), problem))
    return counts, problems


def unknown_rows(state, known_switches, known_macs, known_ips):
    """Rows no writer ever sent: garbage a crash must not produce."""
    problems = []
    for name in state.switches:
        if name not in known_switches:
            problems.append("Logical_Switch %r was never written" % name)
    for mac in state.macs:
        if mac not in known_macs:
            problems.append("Ucast_Macs_Remote %s was never written" % mac)
    for ip in state.locators:
        if ip not in known_ips:
            problems.append("Physical_Locator %s was never written" % ip)
    return problems


def changed_rows(before, after):
    """Rows of `before` (an earlier round's state) that are missing or different now."""
    problems = []
    for table, rows in before.items():
        for uuid, row in rows.items():
            now = after[table].get(uuid)
            if now != row:
                problems.append("%s %s changed since an earlier round: was %s, now %s" % (
                    table, uuid, json.dumps(row, sort_keys=True)[:200],
                    json.dumps(now, sort_keys=True)[:200]))
    return problems
