#!/bin/bash
# The offline 'ovsdb-vtep lwaftr' tools on real files: check, lookup, import-snabb.
# usage: cli_tools.sh OVSDB_VTEP_BINARY SOURCE_DIR
set -euo pipefail
TOOL=$1
DATA=$2/test/data/lwaftr
WORK=$(mktemp -d /tmp/lwaftr-cli-$$-XXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# check: a good configuration passes; a malformed table line is named, exit status 1.
"$TOOL" lwaftr check --config "$DATA/config.json" >/dev/null 2>&1 || fail "check of config.json"
printf 'lwaftr-binding-table 1\ndefault br 2001:db8::1\ndefault psid-len 6\n2001:db8::2 10.0.0.1 1\n2001:db8::3 10.0.0.1 99\n' \
    >"$WORK/bad.txt"
if "$TOOL" lwaftr check "$WORK/bad.txt" 2>"$WORK/err"; then fail "check accepted a bad table"; fi
grep -q "bad.txt:5: psid does not fit in psid-len bits" "$WORK/err" || fail "check: $(cat "$WORK/err")"
echo "ok: check"

# lookup by IPv4 + port and by B4 address (one B4 with two port sets).
out=$("$TOOL" lwaftr lookup --config "$DATA/config.json" 198.51.100.1 1056)
[[ $out == "b4 2001:db8:1::2 ipv4 198.51.100.1 psid 2 "* ]] || fail "lookup by port: $out"
[ "$("$TOOL" lwaftr lookup --config "$DATA/config.json" 2001:db8:1::1 | wc -l)" -eq 2 ] ||
    fail "lookup by B4 should list both port sets"
if "$TOOL" lwaftr lookup --config "$DATA/config.json" 198.51.100.1 80 >/dev/null; then
    fail "lookup found an owner for a reserved port"
fi
echo "ok: lookup"

# import-snabb: the output is a configuration check accepts, with the same softwires;
# what cannot be carried over is reported on stderr.
"$TOOL" lwaftr import-snabb "$DATA/snabb-v3.conf" --table-out "$WORK/table.txt" \
    >"$WORK/imported.json" 2>"$WORK/notes"
grep -q "reassembly" "$WORK/notes" || fail "import-snabb did not report the reassembly settings"
"$TOOL" lwaftr check --config "$WORK/imported.json" >/dev/null 2>&1 ||
    fail "the imported configuration does not load"
out=$("$TOOL" lwaftr lookup --config "$WORK/imported.json" 198.51.100.3 4242)
[[ $out == "b4 2001:db8:1::3 "* ]] || fail "imported table lookup: $out"
echo "ok: import-snabb"
echo PASS
