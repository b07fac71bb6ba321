#!/bin/bash
# Smoke check of the benchmark machinery, not a benchmark: run.sh with every size divided
# by 1000 and Open vSwitch's ovsdb-server on both sides must finish, verify its row counts
# and print every figure. Usage: smoke_test.sh OVSDB_BENCH
set -euo pipefail
bench=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server=/usr/sbin/ovsdb-server
if [[ ! -x $server ]] || ! command -v ovsdb-tool >/dev/null; then
    echo "SKIP: needs $server and ovsdb-tool (apt-get install openvswitch-common)"
    exit 77
fi
output=$("$here/run.sh" --bench "$bench" --vtepd "$server" --reference "$server" \
    --scale 1000 --startup-runs 1 2>&1) || {
    echo "$output"
    echo "FAIL: run.sh exited with an error"
    exit 1
}
echo "$output"
fail=0
for figure in "1 row/txn" "100 rows/txn" "10,000 rows/txn" "20 monitors" "rows inserted" \
    "file opened" "start to first answer"; do
    # Each figure appears with two numbers and a ratio in both tables.
    grep -E -q "$figure.* [0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ " <<<"$output" || {
        echo "FAIL: no figure for '$figure'"
        fail=1
    }
done
grep -q "every database held the expected rows" <<<"$output" || {
    echo "FAIL: row counts not verified"
    fail=1
}
exit $fail
