#!/bin/bash
# OVSDB server benchmark: runs Open vSwitch's ovsdb-server and ovsdb-vtepd on the same
# workloads, one after the other, and prints a table with the ratio ours/theirs.
# Builds nothing: build the ovsdb_bench target (and ovsdb-vtepd) first. See README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: test/bench/ovsdb/run.sh [--vtepd PATH] [--reference PATH] [--quick] [options]
  --vtepd PATH           ovsdb-vtepd to measure (default: newest build*/.../ovsdb-vtepd)
  --reference PATH       reference server (default: /usr/sbin/ovsdb-server)
  --quick                every size 10x smaller, for a smoke run (same as --scale 10)
  --scale N              every size N times smaller (the ctest smoke check uses 1000)
  --bench PATH           ovsdb_bench load generator (default: newest build*/test/bench/ovsdb/)
  --vtepd-arg ARG        extra argument for ovsdb-vtepd only (repeatable), e.g. --no-dataplane
  --monitor-method M     monitor (RFC 7047, default), monitor_cond or monitor_cond_since
  --monitor-batch N      rows per writer transaction in workload (b) (default 1)
  --runs N               runs of (a) and (b) per server; the median is reported (default 1)
  --startup-runs N       start-ups per server in (d); the median is reported (default 3)
  --window N             requests in flight per writer connection (default 64)
  --keep                 keep the work directory (databases, logs, raw results)
EOF
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
newest() { ls -t "$@" 2>/dev/null | head -n 1 || true; }

vtepd=""
reference=/usr/sbin/ovsdb-server
bench=""
scale=1
vtepd_args=()
monitor_method=monitor
monitor_batch=1
startup_runs=3
runs=1
window=64
keep=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --vtepd) vtepd=$2; shift 2 ;;
        --reference) reference=$2; shift 2 ;;
        --bench) bench=$2; shift 2 ;;
        --quick) scale=10; shift ;;
        --scale) scale=$2; shift 2 ;;
        --vtepd-arg) vtepd_args+=("$2"); shift 2 ;;
        --monitor-method) monitor_method=$2; shift 2 ;;
        --monitor-batch) monitor_batch=$2; shift 2 ;;
        --startup-runs) startup_runs=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

[[ -n $bench ]] || bench=$(newest "$repo"/build*/test/bench/ovsdb/ovsdb_bench)
[[ -n $vtepd ]] || vtepd=$(newest "$repo"/build*/ovsdb-vtep/daemon/ovsdb-vtepd)
schema=$repo/schemas/vtep.ovsschema
die() { echo "run.sh: $*" >&2; exit 1; }
[[ -x $bench ]] || die "no ovsdb_bench; build it: cmake --build BUILD_DIR --target ovsdb_bench (or pass --bench PATH)"
[[ -x $vtepd ]] || die "no ovsdb-vtepd found under $repo/build*; build it or pass --vtepd PATH"
[[ -x $reference ]] || die "reference server $reference not found (apt-get install openvswitch-common)"
command -v ovsdb-tool >/dev/null || die "ovsdb-tool not on PATH (apt-get install openvswitch-common)"

insert_rows=$((100000 / scale))
monitor_rows=$((20000 / scale))
monitor_clients=20
big_rows=$((1000000 / scale))
big_batch=10000

work=$(mktemp -d /tmp/ovsdb-bench.XXXXXX)
results=$work/results.txt
server_pid=""
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $keep == 1 ]]; then
        echo "work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# program path of a side ("reference" or "vtepd")
server_program() { if [[ $1 == reference ]]; then echo "$reference"; else echo "$vtepd"; fi; }

# server_command SIDE DIR: the command line that serves DIR/db.db on DIR/db.sock
server_command() {
    local side=$1 dir=$2
    server_cmd=("$(server_program "$side")" "$dir/db.db" "--remote=punix:$dir/db.sock"
        "--pidfile=$dir/server.pid" "--log-file=$dir/server.log" "--unixctl=$dir/server.ctl")
    if [[ $side == vtepd ]]; then server_cmd+=("${vtepd_args[@]}"); fi
}

# start_server SIDE DIR: runs the server in the background and waits for its socket.
start_server() {
    local side=$1 dir=$2
    server_command "$side" "$dir"
    "${server_cmd[@]}" >>"$dir/server.out" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + 600))
    until [[ -S $dir/db.sock ]]; do
        kill -0 "$server_pid" 2>/dev/null || die "$side server exited at start; see $dir/server.out and server.log (run with --keep)"
        ((SECONDS < deadline)) || die "$side server did not create $dir/db.sock within 600 s"
        sleep 0.01
    done
}

stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

new_database() {
    mkdir -p "$1"
    ovsdb-tool create "$1/db.db" "$schema"
}

# field KEY LINE: the value of KEY=VALUE in an ovsdb_bench output line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# verify SIDE DIR EXPECTED_MACS: the database holds the rows the workload wrote
verify_counts() {
    local side=$1 dir=$2 expected=$3 line
    line=$("$bench" count --socket "$dir/db.sock" --expect-macs "$expected") ||
        die "$side: $dir/db.db does not hold the expected rows: $line"
    echo "$side $(basename "$dir") counts $line" >>"$results"
}

declare -A figure
declare -A samples  # "SIDE.KEY" -> space-separated values of every run

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
add_sample() { samples[$1.$2]="${samples[$1.$2]:-} $3"; }
# settle KEY: the figure of each side is the median of its runs
settle() {
    local side
    for side in reference vtepd; do
        # shellcheck disable=SC2086  # word splitting of the sample list is intended
        figure[$side.$1]=$(median ${samples[$side.$1]})
    done
}

# CPU seconds (user + system) the server has used so far: a second view of the same work
# that is less disturbed than wall time when other processes share the machine.
server_cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$server_pid/stat"
}

# insert_once SIDE BATCH RUN: workload (a) on a fresh database
insert_once() {
    local side=$1 batch=$2 run=$3 dir=$work/$1/insert-$2-$3 line cpu
    log "$side: (a) $insert_rows inserts, $batch per transaction (run $run/$runs)"
    new_database "$dir"
    start_server "$side" "$dir"
    line=$("$bench" insert --socket "$dir/db.sock" --rows "$insert_rows" --batch "$batch" \
        --window "$window")
    cpu=$(server_cpu_seconds)
    echo "$side insert-$batch $line server_cpu_seconds=$cpu" >>"$results"
    add_sample "$side" "insert$batch" "$(field rows_per_second "$line")"
    add_sample "$side" "cpu_insert$batch" "$cpu"
    verify_counts "$side" "$dir" "$insert_rows"
    stop_server
    rm -rf "$dir"
}

# monitor_once SIDE RUN: workload (b) on a fresh database
monitor_once() {
    local side=$1 run=$2 dir=$work/$1/monitor-$2 line cpu
    log "$side: (b) $monitor_clients monitors ($monitor_method) while $monitor_rows rows are inserted (run $run/$runs)"
    new_database "$dir"
    start_server "$side" "$dir"
    line=$("$bench" monitor --socket "$dir/db.sock" --rows "$monitor_rows" \
        --clients "$monitor_clients" --batch "$monitor_batch" --window "$window" \
        --method "$monitor_method")
    cpu=$(server_cpu_seconds)
    echo "$side monitor $line server_cpu_seconds=$cpu" >>"$results"
    add_sample "$side" monitor "$(field seconds "$line")"
    add_sample "$side" cpu_monitor "$cpu"
    verify_counts "$side" "$dir" "$monitor_rows"
    stop_server
    rm -rf "$dir"
}

# fill SIDE: (c) the big database, built through the server; peak RSS after the last reply
fill() {
    local side=$1 dir=$work/$1/big line
    log "$side: (c) filling $big_rows rows, $big_batch per transaction"
    new_database "$dir"
    start_server "$side" "$dir"
    line=$("$bench" insert --socket "$dir/db.sock" --rows "$big_rows" --batch "$big_batch" \
        --window "$window")
    figure[$side.fill]=$(field rows_per_second "$line")
    figure[$side.fill_rss]=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
    figure[$side.cpu_fill]=$(server_cpu_seconds)
    echo "$side fill $line peak_rss_kib=${figure[$side.fill_rss]} server_cpu_seconds=${figure[$side.cpu_fill]}" >>"$results"
    verify_counts "$side" "$dir" "$big_rows"
    stop_server
}

# startup_once SIDE FILE RUN: (d) start-up time and peak RSS on a fresh copy of FILE
startup_once() {
    local side=$1 file=$2 run=$3 dir=$work/$1/startup line
    log "$side: (d) start-up $run/$startup_runs on the $(k "$big_rows")-row file"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$file" "$dir/db.db"
    server_command "$side" "$dir"
    line=$("$bench" startup --socket "$dir/db.sock" --output "$dir/server.out" \
        -- "${server_cmd[@]}") || die "$side start-up failed; see $dir (run with --keep)"
    echo "$side startup $line" >>"$results"
    [[ $(field macs "$line") == "$big_rows" ]] ||
        die "$side: after start-up the server reports $(field macs "$line") Ucast_Macs_Remote rows, expected $big_rows"
    add_sample "$side" startup "$(field seconds "$line")"
    add_sample "$side" open_rss "$(field peak_rss_kib "$line")"
    add_sample "$side" cpu_startup "$(field server_cpu_seconds "$line")"
}

k() { printf "%'d" "$1"; }

log "reference: $reference; vtepd: $vtepd ${vtepd_args[*]}; load generator: $bench"
log "work directory: $work"
# The two servers take turns on each workload, so a change in machine load during the run
# falls on both rather than on one.
for batch in 1 100 10000; do
    for ((run = 1; run <= runs; run++)); do
        insert_once reference "$batch" "$run"
        insert_once vtepd "$batch" "$run"
    done
    settle "insert$batch"
    settle "cpu_insert$batch"
done
for ((run = 1; run <= runs; run++)); do
    monitor_once reference "$run"
    monitor_once vtepd "$run"
done
settle monitor
settle cpu_monitor
fill reference
fill vtepd
# Both servers start on the same bytes: the file the reference server wrote.
for ((run = 1; run <= startup_runs; run++)); do
    startup_once reference "$work/reference/big/db.db" "$run"
    startup_once vtepd "$work/reference/big/db.db" "$run"
done
settle startup
settle open_rss
settle cpu_startup
# The file ovsdb-vtepd wrote must be Open vSwitch's format: the reference server opens it.
log "checking that $(basename "$reference") opens the file ovsdb-vtepd wrote"
line=$("$bench" startup --socket "$work/vtepd/big/db.sock" --output "$work/vtepd/big/check.out" \
    -- "$reference" "$work/vtepd/big/db.db" "--remote=punix:$work/vtepd/big/db.sock" \
    "--pidfile=$work/vtepd/big/check.pid" "--log-file=$work/vtepd/big/check.log" \
    "--unixctl=$work/vtepd/big/check.ctl") ||
    die "the reference server cannot open the database file ovsdb-vtepd wrote ($work/vtepd/big/db.db)"
[[ $(field macs "$line") == "$big_rows" ]] ||
    die "the reference server reads $(field macs "$line") rows from ovsdb-vtepd's file, expected $big_rows"
echo "cross-check reference-opens-vtepd-file $line" >>"$results"

# row LABEL UNIT KEY DIRECTION [DIVISOR]: one table line; ratio is ours / theirs
row() {
    local label=$1 unit=$2 key=$3 direction=$4 divisor=${5:-1}
    local theirs=${figure[reference.$key]} ours=${figure[vtepd.$key]} target
    if [[ $direction == higher ]]; then target=">= 2.00"; else target="<= 0.50"; fi
    awk -v label="$label" -v unit="$unit" -v t="$theirs" -v o="$ours" -v d="$divisor" \
        -v dir="$direction is better" -v target="$target" 'BEGIN {
            printf "%-46s %-7s %14.3f %14.3f %8.2f  %-17s %s\n", label, unit, t / d, o / d,
                (t > 0 ? o / t : 0), dir, target }'
}

echo
echo "OVSDB server benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs$([[ $scale == 1 ]] || echo ", sizes / $scale"))"
echo "theirs: $reference ($("$reference" --version 2>/dev/null | head -n 1 || true))"
echo "ours:   $vtepd ${vtepd_args[*]}"
echo
printf "%-46s %-7s %14s %14s %8s  %-17s %s\n" workload unit ovsdb-server ovsdb-vtepd ratio "(ours/theirs)" target
row "(a) $(k "$insert_rows") inserts, 1 row/txn" "rows/s" insert1 higher
row "(a) $(k "$insert_rows") inserts, 100 rows/txn" "rows/s" insert100 higher
row "(a) $(k "$insert_rows") inserts, 10,000 rows/txn" "rows/s" insert10000 higher
row "(b) $monitor_clients monitors see $(k "$monitor_rows") rows ($monitor_batch/txn)" "s" monitor lower
row "(c) peak RSS, $(k "$big_rows") rows inserted" "MiB" fill_rss lower 1024
row "(c) peak RSS, $(k "$big_rows")-row file opened" "MiB" open_rss lower 1024
row "(d) start to first answer, $(k "$big_rows")-row file" "s" startup lower
row "    (info) fill $(k "$big_rows") rows, 10,000 rows/txn" "rows/s" fill higher
echo
echo "Server CPU seconds (user + system) for the same work: steadier than wall time when other"
echo "processes share the machine; a gap between the two tables means the run was disturbed."
printf "%-46s %-7s %14s %14s %8s  %-17s %s\n" workload unit ovsdb-server ovsdb-vtepd ratio "(ours/theirs)" target
row "(a) $(k "$insert_rows") inserts, 1 row/txn" "cpu s" cpu_insert1 lower
row "(a) $(k "$insert_rows") inserts, 100 rows/txn" "cpu s" cpu_insert100 lower
row "(a) $(k "$insert_rows") inserts, 10,000 rows/txn" "cpu s" cpu_insert10000 lower
row "(b) $monitor_clients monitors see $(k "$monitor_rows") rows ($monitor_batch/txn)" "cpu s" cpu_monitor lower
row "(c) fill $(k "$big_rows") rows, 10,000 rows/txn" "cpu s" cpu_fill lower
row "(d) start to first answer, $(k "$big_rows")-row file" "cpu s" cpu_startup lower
echo
echo "Every reply was checked for errors; every database held the expected rows at the end;"
echo "$(basename "$reference") opened the file ovsdb-vtepd wrote. Raw figures:"
sed 's/^/  /' "$results"
