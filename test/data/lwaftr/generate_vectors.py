#!/usr/bin/python3
"""Generates the lwAFTR conformance vectors: for each case an input capture, the expected
output capture (if anything comes out), the side it leaves on and the counter it moves.
The expected frames are built here independently of the program, from RFC 7596/7597 and
the configurations config*.json; vectors.json lists the cases. Run from anywhere:
    /usr/bin/python3 test/data/lwaftr/generate_vectors.py
and commit what it writes."""
import json
import os
import socket
import struct

from scapy.all import ARP, ICMP, ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6PacketTooBig, IP, TCP, UDP, Dot1Q, Ether, IPv6, IPv6ExtHdrFragment, Raw, fragment6, wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")

INET_MAC, INET_NH = "02:00:00:00:01:01", "02:00:00:00:01:fe"
B4_MAC, B4_NH = "02:00:00:00:02:01", "02:00:00:00:02:fe"
PEER_MAC = "02:00:00:00:03:03"  # the internet router as seen by the AFTR
CPE_MAC = "02:00:00:00:04:04"  # the B4-side router
AFTR4 = "192.0.2.1"
BR0, BR1 = "2001:db8:ffff::100", "2001:db8:ffff::200"
B4_1, B4_2, B4_3 = "2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"
SHARED1, SHARED2, FULL = "198.51.100.1", "198.51.100.2", "198.51.100.3"
HOST = "203.0.113.7"  # an internet host
MTU = 1460


def port(psid, a_bits=1, low=0, offset=6, length=6):
    """A port of port set psid (RFC 7597: a-bits | psid | m-bits)."""
    m = 16 - offset - length
    return (a_bits << (16 - offset)) | (psid << m) | low


P1, P2, P3, P5, P9 = port(1), port(2), port(3), port(5), port(9)

cases = []


def emit(name, description, side, frame, out_side, expected=None, counter=None,
         config="config.json", replay=None):
    """replay: what 'ovsdb-vtep replay' gives when it differs from one program run (the
    slow path behind the program), as {"out": side, "expected": file or None}; a list of
    frames makes a replay-only case (several packets in, the slow path's result out)."""
    os.makedirs(OUT, exist_ok=True)
    frames = frame if isinstance(frame, list) else [frame]
    for i, f in enumerate(frames):
        f.time = 1700000000 + len(cases) + i / 1000
    inp = f"vectors/{name}.in.pcap"
    wrpcap(os.path.join(HERE, inp), frames)
    case = {"name": name, "description": description, "config": config, "side": side,
            "input": inp, "out": out_side, "expected": None, "counter": counter,
            "replay_only": isinstance(frame, list)}
    if replay is not None:
        case["replay"] = replay
    frame = frames[0]
    if expected is not None:
        expected.time = frame.time
        exp = f"vectors/{name}.out.pcap"
        wrpcap(os.path.join(HERE, exp), [expected])
        case["expected"] = exp
    cases.append(case)


def inet_frame(l3, vlan=None):
    eth = Ether(src=PEER_MAC, dst=INET_MAC)
    return eth / Dot1Q(vlan=vlan) / l3 if vlan else eth / l3


def b4_frame(l3, vlan=None):
    eth = Ether(src=CPE_MAC, dst=B4_MAC)
    return eth / Dot1Q(vlan=vlan) / l3 if vlan else eth / l3


def to_b4(ipv4, b4, br=BR0, vlan=None):
    """What the AFTR sends a B4: the IPv4 packet with TTL-1, in IPv6 from the BR."""
    inner = IP(bytes(ipv4))
    inner.ttl -= 1
    del inner.chksum
    eth = Ether(src=B4_MAC, dst=B4_NH)
    l3 = IPv6(src=br, dst=b4, nh=4, hlim=64, tc=inner.tos, fl=0) / Raw(bytes(inner))
    return eth / Dot1Q(vlan=vlan) / l3 if vlan else eth / l3


def to_internet(ipv4, vlan=None):
    if vlan:
        return Ether(src=INET_MAC, dst=INET_NH) / Dot1Q(vlan=vlan, type=0x0800) / Raw(bytes(ipv4))
    return Ether(src=INET_MAC, dst=INET_NH, type=0x0800) / Raw(bytes(ipv4))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmpv4_error(offending, icmp_type, code, mtu=0):
    """RFC 792 error from the AFTR to the sender of offending (an IPv4 packet), quoting
    its header and first 8 payload bytes, back to the router it came from."""
    raw = bytes(offending)
    ihl = (raw[0] & 0x0F) * 4
    quote = raw[: ihl + 8]
    head = struct.pack("!BBHHH", icmp_type, code, 0, 0, mtu)
    icmp = struct.pack("!BBHHH", icmp_type, code, checksum(head + quote), 0, mtu) + quote
    ip = IP(src=AFTR4, dst=IP(raw).src, tos=0xC0, ttl=64, id=0, flags=0, proto=1) / Raw(icmp)
    return Ether(src=INET_MAC, dst=PEER_MAC) / ip


def hairpin_icmpv4_error(offending_frame, icmp_type, code):
    """An ICMPv4 error about a hairpinned packet: from the AFTR to the inner source,
    encapsulated back to the B4 that sent it, from the BR address it was sent to."""
    off = offending_frame[IPv6]
    error = icmpv4_error(IP(bytes(off.payload)), icmp_type, code)[IP]
    eth = offending_frame[Ether]
    ip6 = IPv6(src=off.dst, dst=off.src, nh=4, hlim=64, tc=0, fl=0) / Raw(bytes(error))
    return Ether(src=eth.dst, dst=eth.src) / ip6


def icmpv6_error(offending_frame, icmp_type, code):
    """RFC 4443 error from the BR address the offending softwire packet was sent to, back
    to its B4, quoting the first 128 bytes of it (IPv6 + inner IPv4 headers + ports)."""
    off = offending_frame[IPv6]
    quote = bytes(off)[:128]
    body = struct.pack("!BBHI", icmp_type, code, 0, 0) + quote
    pseudo = (socket.inet_pton(socket.AF_INET6, off.dst) + socket.inet_pton(socket.AF_INET6, off.src)
              + struct.pack("!IxxxB", len(body), 58))
    csum = checksum(pseudo + body)
    body = body[:2] + struct.pack("!H", csum) + body[4:]
    eth = offending_frame[Ether]
    ip6 = IPv6(src=off.dst, dst=off.src, nh=58, hlim=64, tc=0, fl=0) / Raw(body)
    if Dot1Q in offending_frame:
        return Ether(src=eth.dst, dst=eth.src) / Dot1Q(vlan=offending_frame[Dot1Q].vlan) / ip6
    return Ether(src=eth.dst, dst=eth.src) / ip6


# --- encapsulation (internet -> B4) ---------------------------------------------------
pkt = IP(src=HOST, dst=SHARED1, ttl=64) / TCP(sport=443, dport=P1, flags="SA", seq=1000)
emit("encap-tcp", "TCP to a shared address and a port of PSID 1 goes to that B4 in IPv6",
     "internet", inet_frame(pkt), "b4", to_b4(pkt, B4_1), "encap")

pkt = IP(src=HOST, dst=SHARED1, ttl=30, tos=0x28) / UDP(sport=53, dport=P2 + 7) / Raw(b"x" * 21)
emit("encap-udp-second-subscriber",
     "UDP to another port set of the same shared address goes to the other B4; TOS is "
     "copied into the traffic class", "internet", inet_frame(pkt), "b4", to_b4(pkt, B4_2),
     "encap")

pkt = IP(src=HOST, dst=SHARED1) / ICMP(type=0, id=P1 + 3, seq=9) / Raw(b"ping")
emit("encap-icmp-echo-reply", "ICMP echo reply: the identifier selects the port set",
     "internet", inet_frame(pkt), "b4", to_b4(pkt, B4_1), "encap")

pkt = IP(src=HOST, dst=FULL) / UDP(sport=4000, dport=80) / Raw(b"full")
emit("encap-whole-address",
     "psid-len 0 binds the whole address, any port, through the second BR address",
     "internet", inet_frame(pkt), "b4", to_b4(pkt, B4_3, BR1), "encap")

quoted = IP(src=SHARED1, dst=HOST, ttl=3) / UDP(sport=P1 + 1, dport=33434)
pkt = IP(src="192.0.2.254", dst=SHARED1) / ICMP(type=11, code=0) / Raw(bytes(quoted)[:28])
emit("encap-icmp-error-quoting-subscriber",
     "an ICMPv4 error about a subscriber's packet is routed by the quoted source port",
     "internet", inet_frame(pkt), "b4", to_b4(pkt, B4_1), "encap")

pkt = IP(src=HOST, dst=SHARED1) / UDP(sport=53, dport=P9) / Raw(b"nobody")
emit("encap-unbound-port",
     "a port of an unbound PSID is dropped and answered with ICMPv4 host unreachable",
     "internet", inet_frame(pkt), "internet", icmpv4_error(pkt, 3, 1), "drop-encap-no-binding")

pkt = IP(src=HOST, dst=SHARED1) / TCP(sport=1234, dport=80)
emit("encap-reserved-port",
     "ports 0-1023 (psid-offset 6) belong to no subscriber: host unreachable", "internet",
     inet_frame(pkt), "internet", icmpv4_error(pkt, 3, 1), "drop-encap-no-binding")

pkt = IP(src=HOST, dst=SHARED1, ttl=1) / UDP(sport=53, dport=P1)
emit("encap-ttl-expired", "TTL 1 cannot be forwarded: ICMPv4 time exceeded", "internet",
     inet_frame(pkt), "internet", icmpv4_error(pkt, 11, 0), "drop-ttl-expired")

pkt = IP(src=HOST, dst=SHARED1, flags="DF") / UDP(sport=53, dport=P1) / Raw(b"b" * (1500 - 28))
emit("encap-too-big-df",
     "a DF packet over softwire-payload-mtu is answered with fragmentation needed (MTU 1460)",
     "internet", inet_frame(pkt), "internet", icmpv4_error(pkt, 3, 4, MTU), "drop-too-big")

pkt = IP(src=HOST, dst=SHARED1, flags="MF", frag=0) / UDP(sport=53, dport=P1) / Raw(b"f" * 64)
emit("encap-fragment-to-slow-path",
     "IPv4 fragments toward a subscriber go to the slow path unchanged", "internet",
     inet_frame(pkt), "pass", inet_frame(pkt), "pass-fragment")

pkt = IP(src=HOST, dst="203.0.113.99") / UDP(sport=1, dport=2)
emit("internet-not-ours", "IPv4 to an address that is not shared passes to the kernel",
     "internet", inet_frame(pkt), "pass", inet_frame(pkt), "pass-not-ours")

frame = Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=AFTR4, psrc="192.0.2.254")
emit("internet-arp", "ARP passes to the kernel", "internet", frame, "pass", frame,
     "pass-not-ours")

# --- decapsulation (B4 -> internet) ---------------------------------------------------
inner = IP(src=SHARED1, dst=HOST, ttl=63) / TCP(sport=P1 + 5, dport=443, flags="S")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("decap-tcp", "a B4 sending from its own port set is decapsulated to the internet", "b4",
     frame, "internet", to_internet(inner), "decap")

inner = IP(src=SHARED2, dst=HOST) / UDP(sport=P5, dport=53) / Raw(b"q")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("decap-second-port-set",
     "one B4 holds several port sets: its second (IPv4, PSID) binding is accepted", "b4",
     frame, "internet", to_internet(inner), "decap")

inner = IP(src=SHARED1, dst=HOST) / ICMP(type=8, id=P1 + 2, seq=1) / Raw(b"hello")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("decap-icmp-echo", "ICMP echo request: the identifier is checked as the port", "b4",
     frame, "internet", to_internet(inner), "decap")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P1, dport=53)
frame = b4_frame(IPv6(src=B4_2, dst=BR0, nh=4) / inner)
emit("decap-spoofed-b4",
     "another B4 using PSID 1 of the shared address is dropped and told with ICMPv6 "
     "source address failed policy", "b4", frame, "b4", icmpv6_error(frame, 1, 5),
     "drop-decap-wrong-b4")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P3, dport=53)
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("decap-port-outside-set",
     "a source port outside the B4's port set is dropped (ICMPv6 policy error)", "b4", frame,
     "b4", icmpv6_error(frame, 1, 5), "drop-decap-no-binding")

inner = IP(src="198.51.100.77", dst=HOST) / UDP(sport=P1, dport=53)
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("decap-unbound-address",
     "a source address that is not shared is dropped (ICMPv6 policy error)", "b4", frame,
     "b4", icmpv6_error(frame, 1, 5), "drop-decap-no-binding")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P1, dport=53)
frame = b4_frame(IPv6(src=B4_1, dst=BR1, nh=4) / inner)
emit("decap-wrong-br",
     "a softwire must end on the BR address it is bound to (ICMPv6 policy error)", "b4",
     frame, "b4", icmpv6_error(frame, 1, 5), "drop-decap-wrong-br")

# --- ICMPv6 from the B4-side path -------------------------------------------------------
sent = IP(src=HOST, dst=SHARED1, ttl=63) / TCP(sport=443, dport=P1, flags="A") / Raw(b"d" * 1400)
sent6 = IPv6(src=BR0, dst=B4_1, nh=4, hlim=64) / sent
ptb = IPv6(src="2001:db8:2::fe", dst=BR0, hlim=60) / ICMPv6PacketTooBig(mtu=1400) / Raw(bytes(sent6)[:1232])
frame = b4_frame(ptb)
expected = Ether(src=INET_MAC, dst=INET_NH) / IP(src=AFTR4, dst=HOST, tos=0xC0, ttl=64, id=0, flags=0, proto=1) / Raw(
    bytes(icmpv4_error(sent, 3, 4, 1360)[IP].payload))
emit("icmpv6-too-big-relayed",
     "packet too big from the path toward a B4 becomes ICMPv4 fragmentation needed "
     "(MTU 1400 - 40) to the internet sender", "b4", frame, "internet", expected,
     "icmpv6-translated")

forged6 = IPv6(src=BR0, dst=B4_2, nh=4) / sent
frame = b4_frame(IPv6(src="2001:db8:2::fe", dst=BR0) / ICMPv6DestUnreach(code=3) / Raw(bytes(forged6)[:200]))
emit("icmpv6-error-unbound",
     "an ICMPv6 error quoting a packet to the wrong B4 for its port is dropped", "b4", frame,
     "none", None, "drop-icmpv6-no-binding")

frame = b4_frame(IPv6(src=B4_1, dst=BR0) / ICMPv6EchoRequest(id=1, seq=1))
emit("b4-icmpv6-echo-to-br", "ICMPv6 echo to a BR address is the kernel's to answer", "b4",
     frame, "pass", frame, "pass-not-ours")

inner = IP(src=SHARED1, dst=SHARED1) / UDP(sport=P1 + 9, dport=P2 + 1) / Raw(b"pin")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("hairpin", "B4 to B4 through the shared address: re-encapsulated to the other B4",
     "b4", frame, "b4", to_b4(inner, B4_2), "hairpin")

frame = b4_frame(IPv6(src=B4_1, dst="2001:db8:ffff::999", nh=17) / UDP(sport=1, dport=2))
emit("b4-not-ours", "IPv6 not addressed to a BR address passes to the kernel", "b4", frame,
     "pass", frame, "pass-not-ours")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P1, dport=53) / Raw(b"z" * 40)
frame = b4_frame(IPv6(src=B4_1, dst=BR0) / IPv6ExtHdrFragment(nh=4, m=1, id=7) / inner)
emit("b4-ipv6-fragment", "fragmented softwire packets go to the slow path unchanged; "
     "replay's slow path holds this first fragment waiting for the rest", "b4",
     frame, "pass", frame, "pass-fragment", replay={"out": "none", "expected": None})

inner = IP(src=SHARED1, dst=HOST, id=77) / UDP(sport=P1 + 3, dport=53) / Raw(bytes(range(256)) * 5)
whole = IPv6(src=B4_1, dst=BR0, nh=44) / IPv6ExtHdrFragment(nh=4, id=0x1234) / inner
pieces = fragment6(whole, 1000)
emit("b4-fragments-reassembled",
     "a softwire packet fragmented by the B4 is reassembled by the slow path and "
     "decapsulated whole (replay only)", "b4", [b4_frame(p) for p in pieces], "internet",
     to_internet(inner), "decap")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P1, dport=53) / Raw(b"t" * 30)
full = bytes(b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner))
frame = Ether(full[:-20])
emit("b4-truncated", "a softwire packet shorter than its IPv6 payload length is dropped",
     "b4", frame, "none", None, "drop-malformed")

# --- VLANs ----------------------------------------------------------------------------
pkt = IP(src=HOST, dst=SHARED1) / UDP(sport=53, dport=P1) / Raw(b"tagged")
emit("vlan-encap", "tagged 10 on the internet side, leaves tagged 20 on the B4 side",
     "internet", inet_frame(pkt, 10), "b4", to_b4(pkt, B4_1, vlan=20), "encap",
     "config-vlan.json")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P1, dport=53) / Raw(b"tagged")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner, 20)
emit("vlan-decap", "tagged 20 on the B4 side, leaves tagged 10 on the internet side", "b4",
     frame, "internet", to_internet(inner, 10), "decap", "config-vlan.json")

pkt = IP(src=HOST, dst=SHARED1) / UDP(sport=53, dport=P1)
frame = inet_frame(pkt, 11)
emit("vlan-other-tag", "a frame of another VLAN passes to the kernel", "internet", frame,
     "pass", frame, "pass-not-ours", "config-vlan.json")

# --- policies (config-strict.json) --------------------------------------------------
pkt = IP(src=HOST, dst=SHARED1) / ICMP(type=0, id=P1, seq=1)
emit("policy-incoming-icmpv4-dropped", "allow-incoming-icmpv4 false drops ICMPv4 to B4s",
     "internet", inet_frame(pkt), "none", None, "drop-icmpv4-policy", "config-strict.json")

inner = IP(src=SHARED1, dst=HOST) / ICMP(type=8, id=P1, seq=1)
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("policy-outgoing-icmpv4-dropped", "allow-outgoing-icmpv4 false drops ICMPv4 from B4s",
     "b4", frame, "none", None, "drop-icmpv4-policy", "config-strict.json")

pkt = IP(src=HOST, dst=SHARED1) / UDP(sport=53, dport=P9)
emit("policy-no-icmpv4-errors", "generate-icmpv4-errors false: unbound ports drop silently",
     "internet", inet_frame(pkt), "none", None, "drop-encap-no-binding", "config-strict.json")

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P3, dport=53)
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("policy-no-icmpv6-errors", "generate-icmpv6-errors false: rejected softwire packets drop silently",
     "b4", frame, "none", None, "drop-decap-no-binding", "config-strict.json")

frame = b4_frame(IPv6(src="2001:db8:2::fe", dst=BR0) / ICMPv6PacketTooBig(mtu=1400) / Raw(bytes(sent6)[:200]))
emit("policy-incoming-icmpv6-dropped", "allow-incoming-icmpv6 false drops ICMPv6 errors",
     "b4", frame, "none", None, "drop-icmpv6-policy", "config-strict.json")

inner = IP(src=SHARED1, dst=SHARED1) / UDP(sport=P1, dport=P2)
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("policy-hairpinning-off",
     "with hairpinning off, B4 to a shared address is decapsulated to the internet", "b4",
     frame, "internet", to_internet(inner), "decap", "config-strict.json")

# --- one geometry for every address (config-uniform.json) ------------------------------
# The table then lets the program look up the softwire before the address's port set;
# the results must be the same as with mixed geometries.
U = "config-uniform.json"
pkt = IP(src=HOST, dst=SHARED1, ttl=64) / TCP(sport=443, dport=P1, flags="SA", seq=1000)
emit("uniform-encap", "one geometry: TCP to a port of PSID 1 goes to that B4", "internet",
     inet_frame(pkt), "b4", to_b4(pkt, B4_1), "encap", U)

pkt = IP(src=HOST, dst=SHARED1) / UDP(sport=53, dport=P9) / Raw(b"nobody")
emit("uniform-encap-unbound-port",
     "one geometry: a port of an unbound PSID is dropped, host unreachable", "internet",
     inet_frame(pkt), "internet", icmpv4_error(pkt, 3, 1), "drop-encap-no-binding", U)

pkt = IP(src=HOST, dst=SHARED2) / TCP(sport=1234, dport=80)
emit("uniform-encap-reserved-port",
     "one geometry: ports 0-1023 belong to no subscriber, host unreachable", "internet",
     inet_frame(pkt), "internet", icmpv4_error(pkt, 3, 1), "drop-encap-no-binding", U)

pkt = IP(src=HOST, dst=FULL) / UDP(sport=4000, dport=P1)
emit("uniform-internet-not-ours",
     "one geometry: an address with no binding passes to the kernel", "internet",
     inet_frame(pkt), "pass", inet_frame(pkt), "pass-not-ours", U)

inner = IP(src=SHARED2, dst=HOST) / UDP(sport=P5, dport=53) / Raw(b"q")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("uniform-decap", "one geometry: a B4 sending from its port set is decapsulated", "b4",
     frame, "internet", to_internet(inner), "decap", U)

inner = IP(src=SHARED1, dst=HOST) / UDP(sport=P1, dport=53)
frame = b4_frame(IPv6(src=B4_2, dst=BR0, nh=4) / inner)
emit("uniform-decap-wrong-b4",
     "one geometry: a port set bound to another B4 is refused with ICMPv6 policy failure",
     "b4", frame, "b4", icmpv6_error(frame, 1, 5), "drop-decap-wrong-b4", U)

inner = IP(src=SHARED1, dst=HOST) / TCP(sport=80, dport=443)
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("uniform-decap-reserved-port",
     "one geometry: a source port in no port set is refused with ICMPv6 policy failure",
     "b4", frame, "b4", icmpv6_error(frame, 1, 5), "drop-decap-no-binding", U)

inner = IP(src=SHARED1, dst=SHARED1) / UDP(sport=P1 + 9, dport=P2 + 1) / Raw(b"pin")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("uniform-hairpin", "one geometry: B4 to B4 through the shared address", "b4", frame,
     "b4", to_b4(inner, B4_2), "hairpin", U)

# --- errors for hairpinned traffic ----------------------------------------------------
inner = IP(src=SHARED1, dst=SHARED1) / UDP(sport=P1 + 9, dport=P9) / Raw(b"nobody")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("hairpin-unbound-port",
     "B4 to an unbound port of a shared address: ICMPv4 host unreachable, encapsulated "
     "back to the sending B4", "b4", frame, "b4",
     hairpin_icmpv4_error(frame, 3, 1), "drop-encap-no-binding")

inner = IP(src=SHARED1, dst=SHARED1, ttl=1) / UDP(sport=P1 + 9, dport=P2 + 1) / Raw(b"ttl")
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("hairpin-ttl-expired",
     "B4 to B4 with TTL 1: ICMPv4 time exceeded, encapsulated back to the sending B4", "b4",
     frame, "b4", hairpin_icmpv4_error(frame, 11, 0), "drop-ttl-expired")

quoted = IP(src=SHARED1, dst=SHARED1) / UDP(sport=P9, dport=P1 + 9)
inner = IP(src=SHARED1, dst=SHARED1) / ICMP(type=3, code=3) / Raw(bytes(quoted)[:28])
frame = b4_frame(IPv6(src=B4_1, dst=BR0, nh=4) / inner)
emit("hairpin-error-about-error",
     "an undeliverable hairpinned ICMPv4 error is dropped without an error about it", "b4",
     frame, "none", None, "drop-encap-no-binding")

with open(os.path.join(HERE, "vectors.json"), "w") as f:
    json.dump({"vectors": cases}, f, indent=1)
    f.write("\n")
print(f"{len(cases)} vectors written to {OUT}")
