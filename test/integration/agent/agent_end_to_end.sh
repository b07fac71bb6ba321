#!/usr/bin/env bash
# End-to-end test of the VTEP agent as its own process: ovsdb-vtepd --no-dataplane holds
# the database, `ovsdb-vtep agent` drives the data plane of a gateway namespace, and
# vtep-ctl stands in for the controller.
#
#   bm (host, VLAN 100) ── acc0 [gw: agent + XDP] upl0 ── ul (underlay bridge) ── v1: vxlan 5000 ── vm1
#
# Checks: the agent publishes its switch and port; the controller's logical switch,
# binding, remote MAC and flood list make traffic flow both ways between the host and
# the VM; unbinding stops it; binding again restores it.
#
# usage: agent_end_to_end.sh DB_SERVER OVSDB_VTEP HELPER_DIR   (as root)
# DB_SERVER is ovsdb-vtepd (run with --no-dataplane) or Open vSwitch's ovsdb-server (the
# database made with ovsdb-tool): the agent is an ordinary client of either.
set -euo pipefail

vtepd=$1
tool=$2
helpers=$3
id=$$
P="vtep-agent-$id"
instance="agent-e2e-$id"
work=$(mktemp -d /tmp/vtep-agent-e2e-XXXXXX)
server_pid=""
agent_pid=""
failures=0
passes=0

ns() { echo "$P-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
ctl() { vtep-ctl --db="unix:$work/db.sock" "$@"; }

cleanup() {
    local status=$?
    set +e
    if [ $status -ne 0 ] || [ $failures -ne 0 ]; then
        echo "--- agent log"; tail -30 "$work/agent.log"
        echo "--- server log"; tail -10 "$work/server.log"
    fi
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    wait 2>/dev/null
    for n in gw ul bm v1 vm1; do ip netns del "$(ns "$n")" 2>/dev/null; done
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

for n in gw ul bm v1 vm1; do ip netns add "$(ns "$n")"; done
for n in gw ul bm v1 vm1; do
    in_ns "$n" ip link set lo up
    in_ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done

# Underlay: a bridge joining the gateway's uplink and the remote VTEP.
in_ns ul ip link add br0 type bridge
in_ns ul ip link set br0 up
ip -n "$(ns gw)" link add upl0 type veth peer name gw netns "$(ns ul)"
ip -n "$(ns v1)" link add ul0 type veth peer name v1 netns "$(ns ul)"
for port in gw v1; do in_ns ul ip link set "$port" master br0 up; done
in_ns gw ip addr add 192.0.2.1/24 dev upl0
in_ns gw ip link set upl0 up
in_ns v1 ip addr add 192.0.2.2/24 dev ul0
in_ns v1 ip link set ul0 up

# The remote VTEP: kernel vxlan (no learning, no UDP checksums, like a hypervisor) and
# a VM behind a bridge; BUM goes to the gateway.
VM_MAC=02:00:00:00:0b:11
BM_MAC=02:00:00:00:0a:10
in_ns v1 ip link add vx0 type vxlan id 5000 local 192.0.2.2 dstport 4789 dev ul0 nolearning noudpcsum
in_ns v1 ip link add br0 type bridge
ip -n "$(ns v1)" link add vm type veth peer name eth0 netns "$(ns vm1)"
in_ns v1 ip link set vx0 master br0 up
in_ns v1 ip link set vm master br0 up
in_ns v1 ip link set br0 up
in_ns v1 bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.1
in_ns vm1 ip link set eth0 address $VM_MAC mtu 1450 up
in_ns vm1 ip addr add 10.10.0.11/24 dev eth0

# The bare-metal host: its "NIC" tags VLAN 100 (tc BPF: this kernel has no 8021q).
ip -n "$(ns bm)" link add eth0 type veth peer name acc0 netns "$(ns gw)"
in_ns bm ip link set eth0 address $BM_MAC mtu 1450 up
in_ns bm ip addr add 10.10.0.10/24 dev eth0
in_ns bm ethtool -K eth0 txvlan off > /dev/null
in_ns bm tc qdisc add dev eth0 clsact
in_ns bm tc filter add dev eth0 egress bpf direct-action obj "$helpers/e2e_vlan_tag.bpf.o" sec tc
in_ns bm tc filter add dev eth0 ingress bpf direct-action obj "$helpers/e2e_vlan_untag.bpf.o" sec tc
# Frames XDP redirects into a veth are lost unless the far end has NAPI (an XDP program).
in_ns bm ip link set dev eth0 xdp obj "$helpers/e2e_xdp_pass.bpf.o" sec xdp
in_ns ul ip link set dev gw xdp obj "$helpers/e2e_xdp_pass.bpf.o" sec xdp
in_ns gw ip link set acc0 up

# The database, then the agent in the gateway's namespace (nsenter keeps /sys/fs/bpf).
if [ "$(basename "$vtepd")" = ovsdb-server ]; then
    ovsdb-tool create "$work/vtep.db" "$(dirname "$0")/../../../schemas/vtep.ovsschema"
    "$vtepd" --remote="punix:$work/db.sock" --no-chdir --unixctl="$work/server.ctl" \
        "$work/vtep.db" > "$work/server.log" 2>&1 &
else
    "$vtepd" --no-dataplane --remote="punix:$work/db.sock" "$work/vtep.db" > "$work/server.log" 2>&1 &
fi
server_pid=$!
wait_for 20 test -S "$work/db.sock"
cat > "$work/agent.json" <<JSON
{"switch_name": "gw1", "description": "agent end-to-end", "tunnel_ips": ["192.0.2.1"],
 "uplink": "upl0", "access_ports": ["acc0"], "settle_ms": 10, "retry_ms": 200}
JSON
nsenter --net="/run/netns/$(ns gw)" "$tool" agent --db "unix:$work/db.sock" \
    --config "$work/agent.json" --instance "$instance" > "$work/agent.log" 2>&1 &
agent_pid=$!

published() { ctl list-ports gw1 2>/dev/null | grep -qx acc0; }
check "the agent publishes its switch and access port" wait_for 20 published
check "tunnel IP published" test "$(ctl get Physical_Switch gw1 tunnel_ips)" = '["192.0.2.1"]'

# The controller: a logical switch on VNI 5000, the VM's MAC behind VTEP 192.0.2.2,
# the VTEP in the unknown-dst flood list, and the host's port/VLAN bound to the switch.
ctl add-ls ls0
ctl set Logical_Switch ls0 tunnel_key=5000
ctl add-ucast-remote ls0 $VM_MAC 192.0.2.2
ctl add-mcast-remote ls0 unknown-dst 192.0.2.2
ctl bind-ls gw1 acc0 100 ls0

check "host pings the VM" wait_for 20 in_ns bm ping -c 1 -W 1 10.10.0.11
check "VM pings the host" in_ns vm1 ping -c 3 -i 0.2 -W 2 10.10.0.10
check "no fault on the port" test "$(ctl get Physical_Port acc0 port_fault_status)" = "[]"

ctl unbind-ls gw1 acc0 100
stopped() { ! in_ns bm ping -c 1 -W 1 10.10.0.11 > /dev/null 2>&1; }
check "unbinding stops the traffic" wait_for 20 stopped
ctl bind-ls gw1 acc0 100 ls0
check "binding again restores it" wait_for 20 in_ns bm ping -c 1 -W 1 10.10.0.11

echo "$passes passed, $failures failed"
[ $failures -eq 0 ]
