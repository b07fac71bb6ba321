#!/usr/bin/env bash
# End-to-end test of the VTEP data plane in network namespaces:
#
#   bm (host, VLAN 100) ── acc0 [gw: XDP/tc gateway] upl0 ── ul (underlay bridge)
#                                                            ├── v1: vxlan 5000 ── vm1
#                                                            └── v2: vxlan 5000 ── vm2
#
# The gateway is held by vtep_gateway_driver with a static configuration. Checks: ARP and
# ping both ways; a broadcast reaches each VM exactly once; unknown unicast is flooded to
# both VTEPs and, once the MAC is configured, goes to its VTEP only; the driver is
# killed with SIGKILL and restarted during a ping flood with zero loss.
#
# usage: vtep_end_to_end.sh VTEP_GATEWAY_DRIVER HELPER_DIR   (as root)
set -euo pipefail

driver=$1
helpers=$2
id=$$
P="vtep-e2e-$id"
instance="e2e-$id"
work=$(mktemp -d /tmp/vtep-e2e-XXXXXX)
driver_pid=""
failures=0
passes=0

ns() { echo "$P-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

cleanup() {
    local status=$?
    set +e
    if [ $status -ne 0 ] || [ $failures -ne 0 ]; then
        echo "--- driver log"; tail -20 "$work/driver.log"
    fi
    [ -n "$driver_pid" ] && kill -9 "$driver_pid" 2>/dev/null
    [ ${#capture_pids[@]} -gt 0 ] && kill "${capture_pids[@]}" 2>/dev/null
    for n in gw ul bm v1 v2 vm1 vm2; do ip netns del "$(ns "$n")" 2>/dev/null; done
    rm -rf "/sys/fs/bpf/ovsdb-vtep/$instance" "$work"
}
trap cleanup EXIT

check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; passes=$((passes + 1));
    else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

wait_for() {  # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

mount | grep -q "^bpf on /sys/fs/bpf" || mount -t bpf bpf /sys/fs/bpf

for n in gw ul bm v1 v2 vm1 vm2; do ip netns add "$(ns "$n")"; done
for n in gw ul bm v1 v2 vm1 vm2; do
    in_ns "$n" ip link set lo up
    # IPv4 only: IPv6 autoconfiguration chatter would mix with the frames counted below.
    in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

# Underlay: a plain bridge joining the gateway's uplink and the two VTEPs.
in_ns ul ip link add br0 type bridge
in_ns ul ip link set br0 up
ip -n "$(ns gw)" link add upl0 type veth peer name gw netns "$(ns ul)"
ip -n "$(ns v1)" link add ul0 type veth peer name v1 netns "$(ns ul)"
ip -n "$(ns v2)" link add ul0 type veth peer name v2 netns "$(ns ul)"
for port in gw v1 v2; do in_ns ul ip link set "$port" master br0 up; done
in_ns gw ip addr add 192.0.2.1/24 dev upl0
in_ns gw ip link set upl0 address 02:00:00:00:ff:01 up
in_ns v1 ip addr add 192.0.2.2/24 dev ul0
in_ns v2 ip addr add 192.0.2.3/24 dev ul0

# Remote VTEPs: kernel vxlan + bridge, a VM behind each; BUM goes to the gateway and the
# other VTEP (head-end replication, like the gateway's flood list).
setup_vtep() {  # setup_vtep NAME LOCAL_IP OTHER_IP VM VM_MAC VM_IP
    local n=$1 local_ip=$2 other=$3 vm=$4 mac=$5 addr=$6
    in_ns "$n" ip link set ul0 up
    in_ns "$n" ip link add vx0 type vxlan id 5000 local "$local_ip" dstport 4789 dev ul0
    in_ns "$n" ip link add br0 type bridge
    ip -n "$(ns "$n")" link add vm type veth peer name eth0 netns "$(ns "$vm")"
    in_ns "$n" ip link set vx0 master br0 up
    in_ns "$n" ip link set vm master br0 up
    in_ns "$n" ip link set br0 up
    in_ns "$n" bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.1
    in_ns "$n" bridge fdb append 00:00:00:00:00:00 dev vx0 dst "$other"
    in_ns "$vm" ip link set eth0 address "$mac" mtu 1450 up
    in_ns "$vm" ip addr add "$addr/24" dev eth0
}
VM1_MAC=02:00:00:00:0b:11
VM2_MAC=02:00:00:00:0b:12
BM_MAC=02:00:00:00:0a:10
setup_vtep v1 192.0.2.2 192.0.2.3 vm1 $VM1_MAC 10.10.0.11
setup_vtep v2 192.0.2.3 192.0.2.2 vm2 $VM2_MAC 10.10.0.12

# The bare-metal host: untagged IP, its "NIC" tags VLAN 100 (tc BPF: no 8021q here).
ip -n "$(ns bm)" link add eth0 type veth peer name acc0 netns "$(ns gw)"
in_ns bm ip link set eth0 address $BM_MAC mtu 1450 up
in_ns bm ip addr add 10.10.0.10/24 dev eth0
# Software tag insertion: XDP on the gateway reads the tag from the frame, not from the
# skb metadata that veth's VLAN offload would carry it in.
in_ns bm ethtool -K eth0 txvlan off > /dev/null
in_ns bm tc qdisc add dev eth0 clsact
in_ns bm tc filter add dev eth0 egress bpf direct-action obj "$helpers/e2e_vlan_tag.bpf.o" sec tc
in_ns bm tc filter add dev eth0 ingress bpf direct-action obj "$helpers/e2e_vlan_untag.bpf.o" sec tc
# Frames XDP redirects into a veth are lost unless the far end has NAPI (an XDP program).
in_ns bm ip link set dev eth0 xdp obj "$helpers/e2e_xdp_pass.bpf.o" sec xdp
in_ns ul ip link set dev gw xdp obj "$helpers/e2e_xdp_pass.bpf.o" sec xdp
in_ns gw ip link set acc0 up

write_config() {  # write_config FILE [vm2-known]
    local vm2_mac=""
    [ "${2:-}" = vm2-known ] && vm2_mac=", {\"mac\": \"$VM2_MAC\", \"remote_vtep\": \"192.0.2.3\"}"
    cat > "$1" <<JSON
{
  "uplink": {"port": "upl0", "source_ip": "192.0.2.1", "mtu": 1500},
  "ports": [{"name": "acc0", "mac_limit": 64}],
  "logical_switches": [
    {"vni": 5000, "replication": "source_node",
     "bindings": [{"port": "acc0", "vlan": 100}],
     "remote_macs": [{"mac": "$VM1_MAC", "remote_vtep": "192.0.2.2"}$vm2_mac],
     "flood_list": ["192.0.2.2", "192.0.2.3"]}
  ]
}
JSON
}
config="$work/gateway.json"
write_config "$config"

start_driver() {
    # The driver must see /sys/fs/bpf: nsenter keeps the mounts, ip netns exec does not.
    rm -f "$work/ready"
    # Not through a shell function: $! must be the driver itself (nsenter execs it).
    nsenter --net="/run/netns/$(ns gw)" "$driver" --config "$config" --instance "$instance" \
        --ready-file "$work/ready" >> "$work/driver.log" 2>&1 &
    driver_pid=$!
    wait_for 20 test -s "$work/ready" || { cat "$work/driver.log"; return 1; }
}
start_driver
check "gateway starts fresh" grep -q fresh "$work/ready"

# --- ARP and ping both ways
check "host pings VM1 across the gateway" in_ns bm ping -c 3 -i 0.2 -W 2 10.10.0.11
check "host pings VM2 (flooded: its MAC is not configured)" in_ns bm ping -c 3 -i 0.2 -W 2 10.10.0.12
check "VM1 pings the host" in_ns vm1 ping -c 3 -i 0.2 -W 2 10.10.0.10
check "VM2 pings the host" in_ns vm2 ping -c 3 -i 0.2 -W 2 10.10.0.10
check "the host's MAC was learned on acc0 VLAN 100" \
    grep -q "learned $BM_MAC vni 5000 ifindex [0-9]* vlan 100" "$work/driver.log"

# --- a broadcast reaches each VM exactly once
capture_pids=()
capture() {  # capture NS IFACE FILTER OUTFILE: background tcpdump, ready when it listens
    local n=$1 dev=$2 filter=$3 out=$4
    # Not through in_ns: $! must be tcpdump itself (ip netns exec execs it).
    ip netns exec "$(ns "$n")" tcpdump -i "$dev" -U -n -w "$out" "$filter" 2> "$out.log" &
    capture_pids+=($!)
    wait_for 10 grep -q "listening" "$out.log"
}
stop_captures() {  # lets the captures see what is in flight, then ends them
    sleep 1
    kill -TERM "${capture_pids[@]}" 2>/dev/null || true
    wait "${capture_pids[@]}" 2>/dev/null || true
    capture_pids=()
}
count() { tcpdump -r "$1" -n 2>/dev/null | grep -c "0x88b5" || true; }  # one line per frame
send_frame() {  # send_frame DST_MAC: one frame of ethertype 0x88b5 from the host
    in_ns bm /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
mac = lambda text: bytes.fromhex(text.replace(':', ''))
s.send(mac('$1') + mac('$BM_MAC') + b'\\x88\\xb5' + b'vtep-e2e-$id'.ljust(46, b'.'))"
}

capture vm1 eth0 "ether proto 0x88b5" "$work/bcast.vm1.pcap"
capture vm2 eth0 "ether proto 0x88b5" "$work/bcast.vm2.pcap"
send_frame ff:ff:ff:ff:ff:ff
stop_captures
echo "broadcast copies seen: VM1 $(count "$work/bcast.vm1.pcap"), VM2 $(count "$work/bcast.vm2.pcap")"
check "broadcast reached VM1 exactly once" test "$(count "$work/bcast.vm1.pcap")" -eq 1
check "broadcast reached VM2 exactly once" test "$(count "$work/bcast.vm2.pcap")" -eq 1

# --- unknown unicast is flooded, and stops once the MAC is known
unknown_unicast_round() {  # unknown_unicast_round TAG: VXLAN frames seen at each VTEP
    capture v1 ul0 "udp port 4789 and ether[0:1] != 0xff" "$work/uu.$1.v1.pcap"
    capture v2 ul0 "udp port 4789" "$work/uu.$1.v2.pcap"
    send_frame $VM2_MAC
    stop_captures
}
vxlan_frames_to() {  # frames carrying our test ethertype inside VXLAN
    tcpdump -r "$1" -n 2>/dev/null | grep -c "0x88b5" || true
}
unknown_unicast_round before
check "unknown unicast flooded to VTEP1" test "$(vxlan_frames_to "$work/uu.before.v1.pcap")" -eq 1
check "unknown unicast flooded to VTEP2" test "$(vxlan_frames_to "$work/uu.before.v2.pcap")" -eq 1
write_config "$config" vm2-known
kill -HUP "$driver_pid"
wait_for 10 grep -q reloaded "$work/driver.log"
unknown_unicast_round after
check "known unicast no longer reaches VTEP1" test "$(vxlan_frames_to "$work/uu.after.v1.pcap")" -eq 0
check "known unicast reaches VTEP2 once" test "$(vxlan_frames_to "$work/uu.after.v2.pcap")" -eq 1

# --- SIGKILL and restart of the process holding the data plane during a ping flood
in_ns bm ping -c 3000 -i 0.002 -W 1 10.10.0.11 > "$work/flood.txt" 2>&1 &
flood_pid=$!
sleep 1
kill -9 "$driver_pid"
wait "$driver_pid" 2>/dev/null || true
sleep 1
start_driver
check "restarted gateway adopted the pinned state" grep -q adopted "$work/ready"
wait "$flood_pid" || true
transmitted=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$work/flood.txt")
received=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$work/flood.txt")
echo "ping flood across the restart: $transmitted sent, $received received"
check "zero loss across SIGKILL and restart" test "${transmitted:-0}" -gt 0 -a "$transmitted" = "$received"
check "forwarding still works after the restart" in_ns vm2 ping -c 2 -i 0.2 -W 2 10.10.0.10

echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
