#!/bin/bash
# End to end through the lwAFTR XDP programs in three network namespaces:
#
#   [b4]  tun0 (IPv4-in-IPv6 softwire) + port-restricted SNAT to 198.51.100.1:1040-1055 (PSID 1)
#    |  veth  2001:db8:b4::2 <-> 2001:db8:b4::1
#   [aftr] XDP lwAFTR (next hops from the kernel FIB), attached with 'ovsdb-vtep lwaftr'
#    |  veth  192.0.2.1 <-> 192.0.2.2
#   [inet] internet host 192.0.2.2
#
# Checks: ping, TCP and UDP work through the softwire; a B4 flow NATed to a port outside
# its set is dropped (and counted); replacing the binding table repeatedly while a UDP
# stream of an unchanged subscriber flows loses none of its packets; softwire packets that
# arrive in IPv6 fragments are reassembled by the kernel and forwarded by the slow path.
# usage: netns_e2e.sh OVSDB_VTEP_BINARY
set -euo pipefail

TOOL=$(readlink -f "$1")
HERE=$(dirname "$(readlink -f "$0")")
PY=/usr/bin/python3
ID=$$
B4=lwb4-$ID AFTR=lwaftr-$ID INET=lwinet-$ID
WORK=$(mktemp -d /tmp/lwaftr-e2e-$ID-XXXX)
# 'ip netns exec' remounts /sys, hiding /sys/fs/bpf: pin on a bpffs of our own.
BPFFS=$WORK/bpffs
PIN=$BPFFS/lwaftr
PIDS=()

cleanup() {
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    "$TOOL" lwaftr detach --pin-dir "$PIN" >/dev/null 2>&1
    for ns in $B4 $AFTR $INET; do ip netns del "$ns" 2>/dev/null; done
    umount "$BPFFS" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    [ -s "$WORK/last-attempt" ] && sed 's/^/    /' "$WORK/last-attempt" >&2
    ip netns exec $AFTR "$TOOL" lwaftr counters --pin-dir "$PIN" >&2 2>/dev/null || true
    exit 1
}

for tool in nft ping; do
    command -v $tool >/dev/null || fail "$tool is missing (apt-get install nftables iputils-ping)"
done
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS"

# Waits (up to 10 s) until a command succeeds; the last attempt's output is kept in
# $WORK/last-attempt for the failure message.
wait_for() {
    local deadline=$((SECONDS + 10))
    while [ $SECONDS -lt $deadline ]; do
        "$@" >"$WORK/last-attempt" 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

ip netns add $B4
ip netns add $AFTR
ip netns add $INET
ip link add b4 netns $B4 type veth peer name tob4 netns $AFTR
ip link add inet netns $INET type veth peer name toinet netns $AFTR

# B4: its softwire endpoint address, the tunnel, NAT into its port set.
ip -n $B4 link set lo up
ip -n $B4 link set b4 up
ip -n $B4 addr add 2001:db8:b4::2/64 dev b4 nodad
ip -n $B4 addr add 2001:db8:1::1/128 dev lo
ip -n $B4 -6 route add default via 2001:db8:b4::1
# The softwire: a small userspace B4 behind a TUN device (no ip6tnl needed in the kernel).
ip -n $B4 tuntap add dev tun0 mode tun
ip netns exec $B4 $PY "$HERE/b4_softwire.py" tun0 2001:db8:1::1 2001:db8:ffff::100 \
    "$WORK/b4-ready" &
PIDS+=($!)
wait_for test -e "$WORK/b4-ready" || fail "the B4 softwire did not start"
ip -n $B4 link set tun0 mtu 1460 up
ip -n $B4 addr add 192.168.1.1/32 dev tun0
ip -n $B4 route add default dev tun0
ip netns exec $B4 nft -f - <<NFT
table ip b4nat {
    chain post {
        type nat hook postrouting priority srcnat;
        oifname "tun0" udp dport 9999 snat to 198.51.100.1:2000
        oifname "tun0" meta l4proto { tcp, udp } snat to 198.51.100.1:1040-1055
        oifname "tun0" snat to 198.51.100.1
    }
}
NFT

# AFTR: plain routing for what the kernel must resolve; the lwAFTR does the rest.
ip -n $AFTR link set lo up
ip -n $AFTR link set tob4 up
ip -n $AFTR link set toinet up
ip -n $AFTR addr add 2001:db8:b4::1/64 dev tob4 nodad
ip -n $AFTR addr add 192.0.2.1/24 dev toinet
ip -n $AFTR -6 route add 2001:db8:1::/64 via 2001:db8:b4::2
ip netns exec $AFTR sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# Internet host: the shared addresses are behind the AFTR.
ip -n $INET link set lo up
ip -n $INET link set inet up
ip -n $INET addr add 192.0.2.2/24 dev inet
ip -n $INET route add 198.51.100.0/24 via 192.0.2.1

# XDP_REDIRECT into a veth needs the receiving end to run in NAPI mode (GRO on).
ip netns exec $B4 ethtool -K b4 gro on >/dev/null 2>&1 || true
ip netns exec $INET ethtool -K inet gro on >/dev/null 2>&1 || true
ip netns exec $AFTR ethtool -K tob4 gro on >/dev/null 2>&1 || true
ip netns exec $AFTR ethtool -K toinet gro on >/dev/null 2>&1 || true
# A veth hands XDP frames with checksums left to offload; a NIC never does. Have the hosts
# compute them, as on a wire.
ip netns exec $INET ethtool -K inet tx off >/dev/null
ip netns exec $B4 ethtool -K b4 tx off >/dev/null

udp_bound() { ip netns exec $INET ss -Hlun "sport = :$1" | grep -q .; }

mac() { ip -n "$1" -j link show "$2" | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }

# Binding tables: our B4 holds PSID 1 of 198.51.100.1 (ports 1040-1055, ...), plus EXTRA
# other subscribers.  make_table PATH EXTRA
make_table() {
    $PY - "$1" "$2" <<'PY'
import sys
path, extra = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("lwaftr-binding-table 1\ndefault br 2001:db8:ffff::100\n")
    f.write("default psid-len 6\ndefault psid-offset 6\n")
    f.write("2001:db8:1::1 198.51.100.1 1\n")
    for i in range(extra):
        f.write(f"2001:db8:2::{i // 60:x}:{i % 60 + 1:x} "
                f"198.51.{101 + i // 3780}.{(i // 60) % 63 + 1} {i % 60 + 2}\n")
PY
}
make_table "$WORK/table.txt" 0
cat > "$WORK/aftr.json" <<JSON
{"ietf-softwire-br:br-instances": {"binding": {"bind-instance": [{
  "name": "e2e",
  "softwire-payload-mtu": 1460,
  "softwire-path-mru": 1540,
  "ovsdb-vtep-lwaftr:aftr": {
    "ipv4-address": "192.0.2.1",
    "br-ipv6-addresses": ["2001:db8:ffff::100"],
    "binding-table-file": "table.txt",
    "internet-interface": {"device": "toinet", "mac": "$(mac $AFTR toinet)",
                           "next-hop": {"fib": true}},
    "b4-interface": {"device": "tob4", "mac": "$(mac $AFTR tob4)", "next-hop": {"fib": true}}
  }}]}}}
JSON

ip netns exec $AFTR "$TOOL" lwaftr attach --config "$WORK/aftr.json" --pin-dir "$PIN"
counter() {  # counter NAME -> packets
    ip netns exec $AFTR "$TOOL" lwaftr counters --pin-dir "$PIN" --json |
        $PY -c "import json,sys; print(json.load(sys.stdin)['$1']['packets'])"
}

# The running table answers lookups.
out=$(ip netns exec $AFTR "$TOOL" lwaftr lookup --pin-dir "$PIN" 198.51.100.1 1041)
[[ $out == "b4 2001:db8:1::1 ipv4 198.51.100.1 psid 1 "* ]] || fail "live lookup: $out"
out=$(ip netns exec $AFTR "$TOOL" lwaftr lookup --pin-dir "$PIN" 2001:db8:1::1)
[[ $out == *"psid 1 psid-len 6 psid-offset 6 br 2001:db8:ffff::100"* ]] || fail "live lookup: $out"
echo "ok: lookup in the running table"

# --- ping (the echo identifier is the port: 1041 is in PSID 1) ---------------------
# The first pings may be forwarded by the kernel while it resolves neighbours.
wait_for ip netns exec $B4 ping -c1 -W1 -e 1041 192.0.2.2 || fail "ping through the softwire"
decap_before=$(counter decap)
encap_before=$(counter encap)
ip netns exec $B4 ping -c3 -i0.2 -W1 -e 1041 192.0.2.2 >/dev/null || fail "ping lost packets"
[ $(($(counter decap) - decap_before)) -ge 3 ] || fail "echo requests were not decapsulated in XDP"
[ $(($(counter encap) - encap_before)) -ge 3 ] || fail "echo replies were not encapsulated in XDP"
echo "ok: ping"

# --- TCP ---------------------------------------------------------------------------
ip netns exec $INET $PY - <<'PY' &
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 8080)); s.listen(4)
while True:
    c, addr = s.accept()
    data = b""
    while chunk := c.recv(65536):  # until the client shuts its side
        data += chunk
    c.sendall(f"{addr[0]}:{addr[1]} {len(data)}".encode() + b"x" * 3000); c.close()
PY
PIDS+=($!)
tcp_client() {
    ip netns exec $B4 $PY - <<'PY'
import socket
s = socket.create_connection(("192.0.2.2", 8080), timeout=3)
s.sendall(b"y" * 5000); s.shutdown(socket.SHUT_WR)
reply = b""
while chunk := s.recv(65536):
    reply += chunk
peer, size = reply[:reply.index(b"x")].decode().split()
host, port = peer.split(":")
assert host == "198.51.100.1", peer
assert 1040 <= int(port) <= 1055, peer
assert size == "5000" and len(reply) - reply.index(b"x") == 3000, reply[:40]
print(peer)
PY
}
wait_for tcp_client || fail "TCP through the softwire"
echo "ok: tcp (the server saw $(cat "$WORK/last-attempt"))"

# --- UDP ---------------------------------------------------------------------------
ip netns exec $INET $PY - <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.2", 5353))
while True:
    data, addr = s.recvfrom(65536)
    s.sendto(f"{addr[0]}:{addr[1]} ".encode() + data, addr)
PY
PIDS+=($!)
udp_client() {
    ip netns exec $B4 $PY - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(b"hello", ("192.0.2.2", 5353))
reply = s.recv(65536).decode()
assert reply.startswith("198.51.100.1:10") and reply.endswith(" hello"), reply
PY
}
wait_for udp_client || fail "UDP through the softwire"
echo "ok: udp"

# --- a port outside the B4's set -----------------------------------------------------
before=$(counter drop-decap-no-binding)
ip netns exec $INET $PY - "$WORK/outside" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.2", 9999)); s.settimeout(3)
try:
    s.recv(100); open(sys.argv[1], "w").write("received")
except socket.timeout:
    pass
PY
listener=$!
wait_for udp_bound 9999 || fail "the listener on port 9999 did not start"
ip netns exec $B4 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5): s.sendto(b"outside", ("192.0.2.2", 9999))'
wait_for test "$(counter drop-decap-no-binding)" -ge $((before + 5)) ||
    fail "packets from port 2000 (outside PSID 1) were not dropped as unbound"
wait "$listener" || true
[ ! -e "$WORK/outside" ] || fail "a packet from outside the port set reached the internet"
echo "ok: port outside the set dropped"

# --- replacing the table under load ----------------------------------------------------
make_table "$WORK/table-big.txt" 100000
COUNT=4000
ip netns exec $INET $PY - $COUNT "$WORK/received" <<'PY' &
import socket, sys
count, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.2", 7777)); s.settimeout(5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
seen = set()
try:
    while len(seen) < count:
        seen.add(int(s.recv(100)))
except socket.timeout:
    pass
open(out, "w").write(str(len(seen)))
PY
receiver=$!
wait_for udp_bound 7777 || fail "the receiver on port 7777 did not start"
ip netns exec $B4 $PY - $COUNT <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(str(i).encode(), ("192.0.2.2", 7777))
    time.sleep(0.0005)
PY
sender=$!
reloads=0
while kill -0 $sender 2>/dev/null; do
    table=$WORK/table.txt; [ $((reloads % 2)) -eq 0 ] && table=$WORK/table-big.txt
    ip netns exec $AFTR "$TOOL" lwaftr load --config "$WORK/aftr.json" --pin-dir "$PIN" \
        "$table" 2>/dev/null
    reloads=$((reloads + 1))
done
wait $sender
wait $receiver
received=$(cat "$WORK/received")
[ "$reloads" -ge 2 ] || fail "only $reloads table replacements happened during the stream"
[ "$received" -eq $COUNT ] || fail "$received of $COUNT packets arrived across $reloads table replacements"
echo "ok: $COUNT packets, none lost, across $reloads table replacements"

# --- a malformed table is refused and the running one stays in service --------------
cp "$WORK/table.txt" "$WORK/table-bad.txt"
echo "2001:db8:1::99 198.51.100.300 7" >> "$WORK/table-bad.txt"
if ip netns exec $AFTR "$TOOL" lwaftr load --config "$WORK/aftr.json" --pin-dir "$PIN" \
    "$WORK/table-bad.txt" 2>"$WORK/bad-load.txt"; then
    fail "a table with a malformed line was accepted"
fi
grep -q "table-bad.txt:6: '198.51.100.300' is not an IPv4 address" "$WORK/bad-load.txt" ||
    fail "the error does not name the line: $(cat "$WORK/bad-load.txt")"
wait_for udp_client || fail "UDP stopped after a refused table"
echo "ok: malformed table refused with its line number, running table kept"

# --- fragmented softwire traffic through the slow path ---------------------------------
# The B4's link gets a 1280-byte MTU, so its 1400-byte datagrams leave in two IPv6
# fragments each. The XDP program hands fragments to the kernel, which reassembles them
# (the BR address is local), and 'lwaftr slow-path' runs the whole packet through the
# attached program.
ip -n $AFTR addr add 2001:db8:ffff::100/128 dev lo
ip netns exec $AFTR "$TOOL" lwaftr slow-path --pin-dir "$PIN" 2>"$WORK/slow-path.log" &
PIDS+=($!)
wait_for grep -q "slow path running" "$WORK/slow-path.log" ||
    fail "the slow path did not start: $(cat "$WORK/slow-path.log")"
ip -n $B4 link set b4 mtu 1280
FRAGMENTED=20
fragments_before=$(counter pass-fragment)
decap_before=$(counter decap)
ip netns exec $INET $PY - $FRAGMENTED "$WORK/fragmented" <<'PY' &
import socket, sys
count, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.2", 6666)); s.settimeout(5)
seen = set()
try:
    while len(seen) < count:
        data, (host, port) = s.recvfrom(2000)
        number = int(data[:8])
        assert data == b"%08d" % number + b"f" * 1392, "payload changed"
        assert host == "198.51.100.1" and 1040 <= port <= 1055, (host, port)
        seen.add(number)
except socket.timeout:
    pass
open(out, "w").write(str(len(seen)))
PY
receiver=$!
wait_for udp_bound 6666 || fail "the receiver on port 6666 did not start"
ip netns exec $B4 $PY - $FRAGMENTED <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"%08d" % i + b"f" * 1392, ("192.0.2.2", 6666))
    time.sleep(0.01)
PY
wait $receiver
received=$(cat "$WORK/fragmented")
[ "$received" -eq $FRAGMENTED ] ||
    fail "$received of $FRAGMENTED fragmented softwire datagrams arrived"
[ $(($(counter pass-fragment) - fragments_before)) -ge $((2 * FRAGMENTED)) ] ||
    fail "the datagrams did not arrive in fragments"
[ $(($(counter decap) - decap_before)) -ge $FRAGMENTED ] ||
    fail "the reassembled datagrams were not decapsulated by the program"
echo "ok: $FRAGMENTED datagrams sent in IPv6 fragments reassembled and forwarded"
echo "PASS"
