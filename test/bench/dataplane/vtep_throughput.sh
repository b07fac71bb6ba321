#!/usr/bin/env bash
# Forwarding throughput (Mpps) through the gateway in network namespaces, set against the
# Linux kernel bridge + vxlan configured for the same mapping, in one run:
#   gen (host side, VLAN 100) ── acc0 [gw] upl0 ── sink (underlay side)
# Paths: access→uplink (encapsulation) and uplink→access (decapsulation) at 64 and 512
# bytes, and a broadcast replicated to 2 and 16 remote VTEPs (copies per second). The
# generator is XDP_TX under BPF_PROG_TEST_RUN live frames; the sink an XDP counter.
# Broadcasts are reported twice: copies received by the sink, and copies the gateway
# sent out of its uplink (transmitted plus dropped by the veth because the sink's
# 256-frame ring was full). A burst of copies (16 per frame, a NAPI poll of frames at a
# time) overflows that ring, so what arrives measures the virtual wire as much as the
# gateway; what is sent is the gateway's replication rate, counted the same way for both.
# A benchmark: it prints a table and never fails on a number.
#
# usage: vtep_throughput.sh VTEP_GATEWAY_DRIVER E2E_HELPER_DIR VTEP_THROUGHPUT [SECONDS]
set -euo pipefail
driver=$1
helpers=$2
meter=$3
seconds=${4:-2}
P="vtep-tp-$$"
instance="tp-$$"
work=$(mktemp -d /tmp/vtep-tp-XXXXXX)
driver_pid=""

cleanup() {
    set +e
    [ -n "$driver_pid" ] && kill -9 "$driver_pid" 2>/dev/null
    for n in gen gw sink; do ip netns del "$P-$n" 2>/dev/null; done
    rm -rf "/sys/fs/bpf/ovsdb-vtep/$instance" "$work"
}
trap cleanup EXIT
mount | grep -q "^bpf on /sys/fs/bpf" || mount -t bpf bpf /sys/fs/bpf

HOST_MAC=02:00:00:00:0a:10
REMOTE_MAC=02:00:00:00:0b:01
NEXT_HOP_MAC=02:00:00:00:ff:fe

frame() {  # frame KIND SIZE [FLOOD]: hex of the generator's frame
    /usr/bin/python3 - "$@" <<'PY'
import struct, sys
kind, size = sys.argv[1], int(sys.argv[2])
mac = lambda m: bytes.fromhex(m.replace(":", ""))
def ipv4_udp(src, dst, payload_len):
    total = 20 + 8 + payload_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 17, 0, bytes(src), bytes(dst))
    s = sum(struct.unpack("!10H", ip)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    return ip + struct.pack("!HHHH", 1111, 2222, 8 + payload_len, 0) + b"\0" * payload_len
tag = struct.pack("!HH", 0x8100, 100)
if kind == "access":     # tagged, from the host to a remote MAC
    dst = "ff:ff:ff:ff:ff:ff" if len(sys.argv) > 3 else "02:00:00:00:0b:01"
    f = mac(dst) + mac("02:00:00:00:0a:10") + tag + b"\x08\x00"
    f += ipv4_udp([10, 10, 0, 10], [10, 10, 0, 11], size - len(f) - 28)
else:                    # VXLAN from VTEP 192.0.2.2 to the gateway, inner to the host
    inner = mac("02:00:00:00:0a:10") + mac("02:00:00:00:0b:01") + b"\x08\x00"
    inner += ipv4_udp([10, 10, 0, 11], [10, 10, 0, 10], size - 14 - 28)
    vx = bytes([8, 0, 0, 0]) + struct.pack("!I", 5000 << 8)
    udp_len = 8 + len(vx) + len(inner)
    outer = ipv4_udp([192, 0, 2, 2], [192, 0, 2, 1], 0)[:20]
    total = 20 + udp_len
    outer = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 17, 0,
                        bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1]))
    s = sum(struct.unpack("!10H", outer)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    outer = outer[:10] + struct.pack("!H", ~s & 0xffff) + outer[12:]
    f = mac("02:00:00:00:ff:01") + mac("02:00:00:00:ff:fe") + b"\x08\x00" + outer
    f += struct.pack("!HHHH", 50000, 4789, udp_len, 0) + vx + inner
print(f.hex())
PY
}

flood_ips() {  # flood_ips N: 192.0.2.2 then 192.0.2.10...
    local n=$1 i
    echo 192.0.2.2
    for ((i = 1; i < n; i++)); do echo "192.0.2.$((9 + i))"; done
}

topology() {
    for n in gen gw sink; do ip netns add "$P-$n"; ip netns exec "$P-$n" ip link set lo up; done
    ip -n "$P-gen" link add eth0 type veth peer name acc0 netns "$P-gw"
    ip -n "$P-sink" link add eth0 type veth peer name upl0 netns "$P-gw"
    for n in gen sink; do ip -n "$P-$n" link set eth0 up; done
    ip -n "$P-gw" addr add 192.0.2.1/24 dev upl0
    ip -n "$P-gw" link set upl0 address 02:00:00:00:ff:01 up
    ip -n "$P-gw" link set acc0 up
}

start_ours() {  # start_ours FLOOD_COUNT
    local ips
    ips=$(flood_ips "$1" | sed 's/.*/"&"/' | paste -sd, -)
    cat > "$work/gw.json" <<JSON
{"uplink": {"port": "upl0", "source_ip": "192.0.2.1"},
 "ports": [{"name": "acc0"}],
 "logical_switches": [{"vni": 5000, "bindings": [{"port": "acc0", "vlan": 100}],
   "remote_macs": [{"mac": "$REMOTE_MAC", "remote_vtep": "192.0.2.2"}],
   "local_macs": [{"mac": "$HOST_MAC", "port": "acc0", "vlan": 100}],
   "flood_list": [$ips]}],
 "next_hops": [{"remote": "0.0.0.0", "mac": "$NEXT_HOP_MAC", "source_mac": "02:00:00:00:ff:01"}]}
JSON
    rm -f "$work/ready"
    nsenter --net="/run/netns/$P-gw" "$driver" --config "$work/gw.json" --instance "$instance" \
        --ready-file "$work/ready" > "$work/driver.log" 2>&1 &
    driver_pid=$!
    for _ in $(seq 100); do [ -s "$work/ready" ] && return 0; sleep 0.1; done
    cat "$work/driver.log"; return 1
}

start_kernel() {  # start_kernel FLOOD_COUNT: bridge + vxlan, VLAN 100 by tc BPF on acc0
    local gw="ip -n $P-gw" ip
    $gw link add br0 type bridge
    $gw link add vxlan0 type vxlan id 5000 local 192.0.2.1 dstport 4789 nolearning dev upl0
    $gw link set vxlan0 master br0 up
    $gw link set acc0 master br0
    $gw link set br0 up
    ip netns exec "$P-gw" tc qdisc add dev acc0 clsact
    ip netns exec "$P-gw" tc filter add dev acc0 ingress bpf direct-action obj "$helpers/e2e_vlan_untag.bpf.o" sec tc
    ip netns exec "$P-gw" tc filter add dev acc0 egress bpf direct-action obj "$helpers/e2e_vlan_tag.bpf.o" sec tc
    ip netns exec "$P-gw" bridge fdb add $REMOTE_MAC dev vxlan0 master static
    ip netns exec "$P-gw" bridge fdb append $REMOTE_MAC dev vxlan0 dst 192.0.2.2
    ip netns exec "$P-gw" bridge fdb add $HOST_MAC dev acc0 master static
    for ip in $(flood_ips "$1"); do
        ip netns exec "$P-gw" bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst "$ip"
        $gw neigh replace "$ip" lladdr $NEXT_HOP_MAC dev upl0 nud permanent
    done
    # Frames the generator sends into acc0/upl0 need NAPI there: GRO toggled while up.
    for dev in acc0 upl0; do
        ip netns exec "$P-gw" ethtool -K "$dev" gro off > /dev/null
        ip netns exec "$P-gw" ethtool -K "$dev" gro on > /dev/null
    done
}

measure() {  # measure GEN_NS SINK_NS HEX -> Mpps received
    "$meter" "$P-$1" eth0 "$P-$2" eth0 "$3" "$seconds" | awk '{print $1}'
}

uplink_sent() {  # frames the gateway's uplink transmitted or dropped for a full ring
    local stats=/sys/class/net/upl0/statistics
    ip netns exec "$P-gw" cat $stats/tx_packets $stats/tx_dropped | awk '{ n += $1 } END { print n }'
}

measure_flood() {  # measure_flood HEX -> "Mcopies/s received" "Mcopies/s sent"
    local before after out received elapsed
    before=$(uplink_sent)
    out=$("$meter" "$P-gen" eth0 "$P-sink" eth0 "$1" "$seconds")
    after=$(uplink_sent)
    received=$(echo "$out" | awk '{print $1}')
    elapsed=$(echo "$out" | sed 's/.*offered, \([0-9.]*\) s.*/\1/')
    echo "$received $(awk -v n=$((after - before)) -v t="$elapsed" 'BEGIN { printf "%.3f", n / t / 1e6 }')"
}

declare -A result
run_variant() {  # run_variant ours|kernel
    local variant=$1 flood
    for flood in 2 16; do
        topology
        if [ "$variant" = ours ]; then start_ours $flood; else start_kernel $flood; fi
        if [ $flood = 2 ]; then
            for size in 64 512; do
                result[$variant,encap,$size]=$(measure gen sink "$(frame access $size)")
                result[$variant,decap,$size]=$(measure sink gen "$(frame uplink $size)")
            done
        fi
        read -r "result[$variant,flood,$flood]" "result[$variant,sent,$flood]" \
            <<< "$(measure_flood "$(frame access 64 flood)")"
        [ -n "$driver_pid" ] && { kill -9 "$driver_pid"; wait "$driver_pid" 2>/dev/null || true; driver_pid=""; }
        for n in gen gw sink; do ip netns del "$P-$n"; done
        rm -rf "/sys/fs/bpf/ovsdb-vtep/$instance"
    done
}

run_variant ours
run_variant kernel

printf "\n%-44s %12s %12s %8s\n" "path (Mpps received at the far end)" "gateway" "kernel" "ratio"
row() {
    local label=$1 key=$2
    local a=${result[ours,$key]} b=${result[kernel,$key]}
    printf "%-44s %12s %12s %8s\n" "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
}
row "access -> uplink, VXLAN encap, 64 B" encap,64
row "access -> uplink, VXLAN encap, 512 B" encap,512
row "uplink -> access, VXLAN decap, 64 B" decap,64
row "uplink -> access, VXLAN decap, 512 B" decap,512
row "broadcast to 2 VTEPs (copies/s), 64 B" flood,2
row "broadcast to 16 VTEPs (copies/s), 64 B" flood,16
row "  the same, copies sent by the gateway, 2" sent,2
row "  the same, copies sent by the gateway, 16" sent,16
echo "(target: at least 3x the kernel; one generator core, 2-core machine, shared load)"
