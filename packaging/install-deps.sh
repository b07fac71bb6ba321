#!/usr/bin/env bash
# Installs (with apt) everything ovsdb-vtep needs to build, run and test on Debian 12.
# Idempotent: packages already present are not touched and apt is not asked again.
set -euo pipefail

build_deps=(build-essential cmake ninja-build pkg-config clang llvm libboost-dev
    libboost-program-options-dev libssl-dev openssl nlohmann-json3-dev libbpf-dev bpftool
    catch2)
run_deps=(iproute2)
# Interoperability peers and references for the tests and benchmarks.
test_deps=(openvswitch-common openvswitch-switch openvswitch-vtep python3-openvswitch
    ovn-central ovn-host ovn-controller-vtep python3-scapy tcpdump procps psmisc ethtool iputils-ping nftables)

wanted=("${build_deps[@]}" "${run_deps[@]}")
if [ "${1:-}" = "--with-tests" ]; then wanted+=("${test_deps[@]}"); fi

missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Open vSwitch's packages start their services from maintainer scripts where an init
# system exists; the tests start their own instances, so keep the packaged ones off.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.ovsdb-vtep
chmod +x /usr/sbin/policy-rc.d.ovsdb-vtep
if [ ! -e /usr/sbin/policy-rc.d ]; then
    cp /usr/sbin/policy-rc.d.ovsdb-vtep /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.ovsdb-vtep
apt-get install -y -qq --no-install-recommends "${missing[@]}"
