#!/usr/bin/python3
"""Differential test: the server under test must answer exactly like ovsdb-server 3.1.

Each case in corpus/*.json is a scripted conversation of one or more JSON-RPC clients over
raw sockets. The runner plays every case against the reference server and against the
server under test (each in a fresh server), records every message each client receives,
replaces row and _version UUIDs with names given in order of first appearance, and requires
the two recordings to be identical (message order per client included).

A corpus file is {"cases": [CASE, ...]}; a CASE is
  {"name": str, "description": str,
   "databases": ["vtep", "test", ...]   (schemas to serve; default ["vtep"]),
   "transport": "unix" | "tcp"          (how clients connect; default "unix"),
   "steps": [STEP, ...]}
and a STEP names its client ("client": "a" by default; a client connects on first use) and
does one thing:
  {"call": REQUEST}        send REQUEST (an "id" is added if missing) and read messages up
                           to its reply; notifications that come first are recorded too
  {"send": REQUEST}        send without reading
  {"send_raw": "text"}     send this text as it is (malformed JSON and the like)
  {"send_hex": "hex"}      send these bytes (invalid UTF-8 and the like)
  {"recv": true}           read one message
  {"closed": true}         the server must close the connection (messages first are kept)
  {"quiet": SECONDS}       record whatever arrives within SECONDS (normally nothing)
  {"disconnect": true}     close this client's connection
The runner answers the server's own echo requests (inactivity probes) unless a "recv" or
"closed" step has "raw": true, which records them instead.
Optional members: "match" (a pattern the last message must fit: objects match by subset,
arrays element by element, "*" matches anything), "before" (patterns for the messages that
came before the reply of a "call", exactly that many), "save": {"NAME": "path/in/message"}
(later requests may use "$NAME" for the saved value), "unordered": ["path", ...] (arrays in
the last message whose order carries no meaning, compared sorted), "timeout" (seconds,
default 5).
Patterns are checked against both servers, so the corpus states what it expects, and a
corpus mistake shows against the reference. A case may carry "pending": "why" while the
server under test is known to differ: its differences are still printed (as PENDING) but do
not fail the run, and once it matches the runner says the mark can go. After the last step every client still
connected sends an echo and its messages up to the echo reply are recorded too.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from jsonrpc import Client, Closed, Timeout, is_reply  # noqa: E402
from servers import Server, add_server_arguments  # noqa: E402

CORPUS_DIR = os.path.join(HERE, "corpus")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
DEFAULT_TIMEOUT = 5.0
SHORT_TIMEOUT = 0.2
IMPATIENT_AFTER = 3
SYNC_ID = "final-sync"


class CorpusError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Loading the corpus


def no_duplicate_members(pairs):
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CorpusError("member(s) %s given twice in %s" % (", ".join(duplicates),
                                                            json.dumps(dict(pairs))[:200]))
    return dict(pairs)


CASE_MEMBERS = {"name", "description", "databases", "transport", "steps", "pending"}
STEP_ACTIONS = {"call", "send", "send_raw", "send_hex", "recv", "closed", "quiet", "disconnect"}
STEP_OPTIONS = {"client", "match", "before", "save", "unordered", "timeout", "description",
                "raw"}


def check_case(path, case):
    """Catches corpus typos, which would otherwise make a step silently do nothing."""
    where = "%s: case %s" % (path, case.get("name"))
    if "name" not in case or "steps" not in case:
        raise CorpusError("%s: every case needs a name and steps" % where)
    unknown = set(case) - CASE_MEMBERS
    if unknown:
        raise CorpusError("%s: unknown member(s) %s" % (where, ", ".join(sorted(unknown))))
    for index, step in enumerate(case["steps"]):
        actions = set(step) & STEP_ACTIONS
        unknown = set(step) - STEP_ACTIONS - STEP_OPTIONS
        if len(actions) != 1 or unknown:
            raise CorpusError("%s step %d: needs exactly one of %s%s" %
                              (where, index, ", ".join(sorted(STEP_ACTIONS)),
                               "; unknown: " + ", ".join(sorted(unknown)) if unknown else ""))


def load_corpus(paths):
    cases = []
    for path in paths:
        with open(path) as f:
            try:
                document = json.load(f, object_pairs_hook=no_duplicate_members)
            except json.JSONDecodeError as error:
                raise CorpusError("%s: %s" % (path, error)) from None
        stem = os.path.splitext(os.path.basename(path))[0]
        for case in document["cases"]:
            check_case(path, case)
            case = dict(case)
            case["id"] = "%s/%s" % (stem, case["name"])
            cases.append(case)
    ids = [c["id"] for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CorpusError("duplicate case names: " + ", ".join(duplicates))
    return cases


# ---------------------------------------------------------------------------------------
# Playing a case against one server


def substitute(value, saved, missing):
    """`value` with "$NAME" strings replaced by saved values; unknown names go to `missing`."""
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] in saved:
            return saved[value[1:]]
        missing.append(value)
        return value
    if isinstance(value, list):
        return [substitute(v, saved, missing) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved, missing) for k, v in value.items()}
    return value


def follow(message, path):
    value = message
    for part in path.split("/"):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(path)
    return value


def fits(pattern, value):
    """True when `value` fits `pattern` (subset for objects, "*" for anything)."""
    if pattern == "*":
        return True
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and fits(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and len(pattern) == len(value) and all(
            fits(p, v) for p, v in zip(pattern, value))
    return type(pattern) is type(value) and pattern == value


class Player:
    """Plays the steps of one case against one running server and records what comes back."""

    def __init__(self, server, case):
        self.server = server
        self.case = case
        self.remote = server.tcp_remote if case.get("transport") == "tcp" else server.unix_remote
        self.clients = {}
        self.saved = {}
        self.transcript = []  # one entry per step: {"step", "client", "sent", "received"}
        self.mismatches = []  # pattern failures: strings
        self.timed_out = False

    def client(self, name):
        if name not in self.clients:
            self.clients[name] = Client(self.remote)
        return self.clients[name]

    def read(self, client, timeout, received, raw=False):
        """One message into `received`; answers the server's echo requests itself unless
        `raw` (then they are recorded like any other message)."""
        if self.timed_out:
            # A server that missed one message will likely miss the rest: keep the case
            # short rather than wait the full time at every later step.
            timeout = min(timeout, SHORT_TIMEOUT)
        while True:
            try:
                message = client.recv(timeout)
            except Closed:
                received.append({"closed": True})
                return None
            except Timeout as error:
                unparsed = error.args[0] if error.args else ""
                # Text that never became a JSON value is shown, as it is likely the bug.
                received.append({"timeout": True, "unparsed": unparsed} if unparsed
                                else {"timeout": True})
                self.timed_out = True
                return None
            if not raw and isinstance(message, dict) and message.get("method") == "echo" and \
                    message.get("id") is not None:
                client.send({"result": message.get("params"), "error": None,
                             "id": message["id"]})
                continue
            received.append(message)
            return message

    def play(self):
        for index, step in enumerate(self.case["steps"]):
            self.play_step(index, step)
        for name in sorted(self.clients):
            client = self.clients[name]
            entry = {"step": "end", "client": name, "sent": None, "received": []}
            self.transcript.append(entry)
            if client.closed:
                continue
            self.send(client, json.dumps({"method": "echo", "params": [], "id": SYNC_ID}))
            while True:
                message = self.read(client, DEFAULT_TIMEOUT, entry["received"])
                if message is None or (is_reply(message) and message.get("id") == SYNC_ID):
                    break
        for client in self.clients.values():
            client.close()

    def play_step(self, index, step):
        name = step.get("client", "a")
        timeout = step.get("timeout", DEFAULT_TIMEOUT)
        entry = {"step": index, "client": name, "sent": None, "received": []}
        self.transcript.append(entry)
        received = entry["received"]
        if "disconnect" in step:
            if name in self.clients:
                self.clients.pop(name).close()
            return
        client = self.client(name)
        if "call" in step or "send" in step:
            missing = []
            request = substitute(step.get("call", step.get("send")), self.saved, missing)
            if missing:
                self.mismatches.append("step %d: nothing saved as %s" %
                                       (index, ", ".join(missing)))
            if "call" in step and "id" not in request:
                request = dict(request, id=index)
            entry["sent"] = request
            self.send(client, json.dumps(request, separators=(",", ":")))
        elif "send_raw" in step:
            entry["sent"] = {"raw": step["send_raw"]}
            self.send(client, step["send_raw"])
        elif "send_hex" in step:
            entry["sent"] = {"hex": step["send_hex"]}
            self.send(client, bytes.fromhex(step["send_hex"]))
        if "call" in step:
            while True:
                message = self.read(client, timeout, received)
                if message is None or (is_reply(message) and
                                       message.get("id") == entry["sent"]["id"]):
                    break
        elif "recv" in step:
            self.read(client, timeout, received, raw=step.get("raw", False))
        elif "closed" in step:
            while self.read(client, timeout, received, raw=step.get("raw", False)) is not None:
                pass
        elif "quiet" in step:
            deadline = time.monotonic() + step["quiet"]
            timed_out = self.timed_out
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self.read(client, remaining, received) is None:
                    if received and received[-1] == {"timeout": True}:
                        received.pop()  # silence is what a quiet step expects
                        self.timed_out = timed_out
                    break
        for path in step.get("unordered", []):
            # Members whose order the protocol leaves open (list_dbs): compare them sorted.
            try:
                members = follow(received[-1], path)
                members.sort(key=canonical)
            except (KeyError, IndexError, ValueError, AttributeError, TypeError):
                pass
        self.check_patterns(index, step, received)
        if "save" in step and received:
            for key, path in step["save"].items():
                try:
                    self.saved[key] = follow(received[-1], path)
                except (KeyError, IndexError, ValueError):
                    self.mismatches.append("step %d: cannot save %s from %s in %s" %
                                           (index, key, path, json.dumps(received[-1])))

        for message in received:
            for collection in unsorted_uuid_collections(message, []):
                self.mismatches.append("step %s: members not in UUID order: %s" %
                                       (index, json.dumps(collection)))

    def send(self, client, text):
        # Whether writing to a connection the server has just closed fails at once is up to
        # the kernel; the read that follows reports the close (after anything the server
        # wrote first) either way.
        try:
            client.send_raw(text)
        except OSError:
            pass

    def check_patterns(self, index, step, received):
        if "match" in step:
            last = received[-1] if received else None
            if not fits(step["match"], last):
                self.mismatches.append("step %d: expected a message fitting %s, got %s" %
                                       (index, json.dumps(step["match"]), json.dumps(last)))
        if "before" in step:
            earlier = received[:-1]
            if not fits(step["before"], earlier):
                self.mismatches.append("step %d: expected messages before the reply fitting "
                                       "%s, got %s" % (index, json.dumps(step["before"]),
                                                       json.dumps(earlier)))


def play_case(binary, case, keep=False, impatient=False, extra_args=()):
    databases = case.get("databases", ["vtep"])
    with Server(binary, schemas=databases, tcp=case.get("transport") == "tcp",
                keep=keep, extra_args=extra_args) as server:
        player = Player(server, case)
        player.timed_out = impatient
        try:
            player.play()
        finally:
            for client in player.clients.values():
                client.close()
        alive = server.alive()
        log = server.log_text()
    if not alive:
        player.mismatches.append("the server exited during the case:\n" + log)
    return player


# ---------------------------------------------------------------------------------------
# Normalising: UUIDs become names by order of first appearance


class Normaliser:
    def __init__(self):
        self.names = {}

    def name(self, uuid):
        if uuid == ZERO_UUID:
            return uuid
        if uuid not in self.names:
            self.names[uuid] = "<uuid-%d>" % (len(self.names) + 1)
        return self.names[uuid]

    def masked(self, value):
        """`value` with known UUIDs named and unknown ones hidden, to order new rows."""
        if isinstance(value, str):
            return UUID_RE.sub(lambda m: self.names.get(m.group(0), "<new>"), value)
        if isinstance(value, list):
            return [self.masked(v) for v in value]
        if isinstance(value, dict):
            return {self.masked(k): self.masked(v) for k, v in value.items()}
        return value

    def normalise(self, value):
        if isinstance(value, str):
            if value.startswith("{") and value.endswith("}"):
                # JSON text inside a string (the _Server database's schema column): its
                # object member order carries no meaning, so compare it parsed.
                try:
                    return {"<json-text>": self.normalise(json.loads(value))}
                except (json.JSONDecodeError, RecursionError):
                    pass
            return steady_text(UUID_RE.sub(lambda m: self.name(m.group(0)), value))
        if isinstance(value, list):
            result = [self.normalise(v) for v in value]
            if uuid_keyed_collection(value):
                # Sets and maps are sorted by UUID on the wire (checked separately); after
                # renaming, only the members can be compared.
                result[1] = sorted(result[1], key=canonical)
            return result
        if isinstance(value, dict):
            return self.normalise_object(value)
        return value

    def normalise_object(self, value):
        plain = sorted(k for k in value if not UUID_RE.fullmatch(k))
        keyed = [k for k in value if UUID_RE.fullmatch(k)]
        known = sorted((k for k in keyed if k in self.names),
                       key=lambda k: int(self.names[k][6:-1]))
        # Rows keyed by UUIDs nobody has seen yet come in hash order, which differs between
        # servers: name them in the order of their contents instead.
        new = sorted((k for k in keyed if k not in self.names),
                     key=lambda k: json.dumps(self.masked(value[k]), sort_keys=True))
        result = {}
        for key in plain:
            if key == "rows" and isinstance(value[key], list):
                # select returns rows in hash order: compare them as a multiset.
                rows = sorted(value[key], key=lambda r: json.dumps(self.masked(r), sort_keys=True))
                result[key] = sorted((self.normalise(r) for r in rows), key=canonical)
                continue
            result[key] = self.normalise(value[key])
        for key in known + new:
            result[self.name(key)] = self.normalise(value[key])
        return result


def is_uuid_atom(value):
    return isinstance(value, list) and len(value) == 2 and value[0] == "uuid" and \
        isinstance(value[1], str)


def uuid_keyed_collection(value):
    """True for ["set", [["uuid", U], ...]] and ["map", [[["uuid", U], V], ...]]."""
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
        return False
    if value[0] == "set":
        return len(value[1]) > 1 and all(is_uuid_atom(v) for v in value[1])
    if value[0] == "map":
        return len(value[1]) > 1 and all(isinstance(p, list) and len(p) == 2 and
                                         is_uuid_atom(p[0]) for p in value[1])
    return False


def unsorted_uuid_collections(value, found):
    """Collects the UUID sets and maps in `value` whose members are out of order."""
    if isinstance(value, list):
        if uuid_keyed_collection(value):
            keys = [v[1] if value[0] == "set" else v[0][1] for v in value[1]]
            if keys != sorted(keys):
                found.append(value)
        for v in value:
            unsorted_uuid_collections(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            unsorted_uuid_collections(v, found)
    return found


# ovsdb-server names the two rows of an index collision in hash order, which differs from
# run to run even against itself; put them in a fixed order.
INDEX_COLLISION_RE = re.compile(
    r"^(.*)  First row, with UUID (.*?)\.  Second row, with UUID (.*?)\.$", re.S)


# Texts that carry a measured time.
ELAPSED_RE = re.compile(r'^"wait" timed out after \d+ ms$')


def steady_text(text):
    """`text` without what changes from run to run of the same server: measured times and
    the order in which an index collision names its two rows."""
    if ELAPSED_RE.match(text):
        return '"wait" timed out after <elapsed> ms'
    match = INDEX_COLLISION_RE.match(text)
    if not match:
        return text
    first, second = sorted([match.group(2), match.group(3)])
    return "%s  One row, with UUID %s.  Other row, with UUID %s." % (match.group(1), first, second)


def normalise_transcript(transcript):
    normaliser = Normaliser()
    result = []
    for entry in transcript:
        result.append({
            "step": entry["step"],
            "client": entry["client"],
            "sent": normaliser.normalise(entry["sent"]),
            "received": [normaliser.normalise(m) for m in entry["received"]],
        })
    return result


def canonical(value):
    # json.dumps keeps 1 and 1.0 apart, as they are apart on the wire.
    return json.dumps(value, sort_keys=True)


# ---------------------------------------------------------------------------------------
# Comparing


def describe_step(case, step):
    if step == "end":
        return "final echo"
    return json.dumps(case["steps"][step])


def compare(case, reference, candidate):
    """Returns a list of difference reports (empty when identical)."""
    ref = normalise_transcript(reference.transcript)
    got = normalise_transcript(candidate.transcript)
    for r, g in zip(ref, got):
        if canonical(r["received"]) != canonical(g["received"]) or \
                canonical(r["sent"]) != canonical(g["sent"]):
            return ["step %s (client %s): %s\n  request:   %s\n  reference: %s\n"
                    "  candidate: %s" % (r["step"], r["client"], describe_step(case, r["step"]),
                                         json.dumps(r["sent"]),
                                         "\n             ".join(
                                             canonical(m) for m in r["received"]) or "(nothing)",
                                         "\n             ".join(
                                             canonical(m) for m in g["received"]) or "(nothing)")]
    if len(ref) != len(got):
        return ["the transcripts have different lengths (%d and %d entries)" %
                (len(ref), len(got))]
    return []


def check_comparator():
    """The comparison must tell real differences from renamed UUIDs and reordered rows;
    a comparator that accepts everything would make every case pass. Returns problems."""

    class Recording:
        def __init__(self, *received):
            self.transcript = [{"step": 0, "client": "a", "sent": None,
                                "received": list(received)}]

    u = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
         "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"]
    row = lambda uuid, name: {"_uuid": ["uuid", uuid], "name": name}  # noqa: E731
    update = lambda *rows: {"method": "update", "id": None,  # noqa: E731
                            "params": [None, {"T": {r[0]: {"new": {"name": r[1]}}
                                                    for r in rows}}]}
    reply = lambda result: {"id": 1, "error": None, "result": result}  # noqa: E731
    same = [
        ("renamed UUIDs", reply([{"uuid": ["uuid", u[0]]}]), reply([{"uuid": ["uuid", u[1]]}])),
        ("rows in another order", reply([{"rows": [row(u[0], "a"), row(u[1], "b")]}]),
         reply([{"rows": [row(u[3], "b"), row(u[2], "a")]}])),
        ("update keys in another order", update((u[0], "a"), (u[1], "b")),
         update((u[3], "b"), (u[2], "a"))),
        ("UUID set in another order", reply(["set", [["uuid", u[0]], ["uuid", u[1]]]]),
         reply(["set", [["uuid", u[3]], ["uuid", u[2]]]])),
    ]
    different = [
        ("another error", reply([{"error": "constraint violation"}]),
         reply([{"error": "syntax error"}])),
        ("real written as 1.0", reply([1]), reply([1.0])),
        ("another value", reply([{"rows": [row(u[0], "a")]}]), reply([{"rows": [row(u[0], "b")]}])),
        ("a UUID reused where a new one was expected",
         reply([["uuid", u[0]], ["uuid", u[1]]]), reply([["uuid", u[2]], ["uuid", u[2]]])),
        ("a missing member", {"id": 1, "error": None, "result": []}, {"id": 1, "result": []}),
        ("rows swapped between known keys",
         [reply([["uuid", u[0]], ["uuid", u[1]]]), update((u[0], "a"), (u[1], "b"))],
         [reply([["uuid", u[0]], ["uuid", u[1]]]), update((u[0], "b"), (u[1], "a"))]),
        ("set order of non-UUID members", reply(["set", [1, 2]]), reply(["set", [2, 1]])),
    ]
    case = {"steps": [{"recv": True}]}
    problems = []
    def recording(messages):
        return Recording(*(messages if isinstance(messages, list) else [messages]))

    for label, a, b in same:
        if compare(case, recording(a), recording(b)):
            problems.append("comparator reports a difference for " + label)
    for label, a, b in different:
        if not compare(case, recording(a), recording(b)):
            problems.append("comparator misses a difference: " + label)
    order = (Recording({"method": "update"}, reply([])), Recording(reply([]), {"method": "update"}))
    if not compare(case, *order):
        problems.append("comparator misses a notification moved after the reply")
    if not compare(case, Recording(reply([])), Recording(reply([]), {"method": "update"})):
        problems.append("comparator misses an extra message")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser, reference=True)
    parser.add_argument("--corpus", nargs="*",
                        default=sorted(glob.glob(os.path.join(CORPUS_DIR, "*.json"))),
                        help="corpus files (default: corpus/*.json)")
    parser.add_argument("--case", action="append",
                        help="only cases whose id contains this text (repeatable)")
    parser.add_argument("--jobs", type=int, default=4,
                        help="cases played at the same time (default 4)")
    parser.add_argument("--show", action="store_true",
                        help="print each case's normalised reference transcript")
    args = parser.parse_args()

    cases = load_corpus(args.corpus)
    if args.case:
        cases = [c for c in cases if any(word in c["id"] for word in args.case)]
    passed = failed = pending = 0
    self_reference = os.path.realpath(args.server) == os.path.realpath(args.reference)
    problems = check_comparator()
    if problems:
        failed += 1
        print("FAIL runner/comparator\n    " + "\n    ".join(problems))
    else:
        passed += 1
        print("ok   runner/comparator")
    started = time.monotonic()
    streak = {"silent": 0}  # consecutive cases in which the candidate let a read time out

    def run_case(case):
        t0 = time.monotonic()
        problems = []
        reference = None
        try:
            reference = play_case(args.reference, case, args.keep)
            # A candidate that keeps timing out gets short waits, so that a hung server
            # fails the run in minutes instead of waiting out every step.
            candidate = play_case(args.server, case, args.keep,
                                  impatient=streak["silent"] >= IMPATIENT_AFTER,
                                  extra_args=args.server_arg)
            streak["silent"] = streak["silent"] + 1 if candidate.timed_out else 0
            problems += ["reference: " + m for m in reference.mismatches]
            problems += ["candidate: " + m for m in candidate.mismatches]
            problems += compare(case, reference, candidate)
        except Exception as error:  # a broken case must not hide the others
            problems.append("%s: %s" % (type(error).__name__, error))
        return case, reference, problems, time.monotonic() - t0

    # Replies nest as deep as requests (the corpus goes to 900 levels); the normaliser
    # recurses once or twice per level.
    sys.setrecursionlimit(20000)
    threading.stack_size(64 * 1024 * 1024)
    # Cases are independent (each has its own servers), so several run at once; results
    # are reported in corpus order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for case, reference, problems, elapsed in pool.map(run_case, cases):
            if args.show and reference is not None:
                for entry in normalise_transcript(reference.transcript):
                    print("    %s %s -> %s" % (entry["client"], canonical(entry["sent"]),
                                               " | ".join(canonical(m)
                                                          for m in entry["received"])))
            known = "pending" in case and reference is not None and \
                not any(p.startswith("reference: ") for p in problems)
            if problems and known:
                pending += 1
                print("PENDING %s (%.2fs): %s" % (case["id"], elapsed, case["pending"]))
                for problem in problems:
                    print("    " + problem.replace("\n", "\n    "))
            elif problems:
                failed += 1
                print("FAIL %s (%.2fs): %s" % (case["id"], elapsed,
                                               case.get("description", "")))
                for problem in problems:
                    print("    " + problem.replace("\n", "\n    "))
            else:
                passed += 1
                note = " (now matches: remove its pending mark)" \
                    if "pending" in case and not self_reference else ""
                print("ok   %s (%.2fs)%s" % (case["id"], elapsed, note))
            sys.stdout.flush()
    if pending:
        print("%d pending case(s) still differ from the reference" % pending)
    print("differential: %d cases in %.1fs" % (len(cases), time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
