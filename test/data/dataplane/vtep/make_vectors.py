#!/usr/bin/python3
"""Writes the VTEP packet vectors: for each case the input frame(s), the frames expected
on each egress (an access port, "uplink", or "stack" for what is handed to the kernel),
the counters it must move and a one-line description, all under vectors/ plus index.json.
The expected frames are built here independently of the BPF code (scapy, and the flow
hash of bpf/vtep/vtep_flow_hash.h re-implemented below). Run it from anywhere; the
outputs are committed, so the tests need no scapy:

    /usr/bin/python3 test/data/dataplane/vtep/make_vectors.py
"""
import json
import os
import struct

from scapy.all import ARP, IP, TCP, UDP, Dot1Q, Ether, Raw
from scapy.layers.l2 import Dot1AD

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")

SOURCE_IP = "192.0.2.1"
NEXT_HOP_MAC = "02:00:00:00:ff:fe"
UPLINK_MAC = "02:00:00:00:ff:01"
VTEP2 = "198.51.100.2"
VTEP3 = "198.51.100.3"
SERVICE_NODES = ["203.0.113.10", "203.0.113.11"]
H1 = "02:00:00:00:0a:01"  # host behind p1 (learned)
H2 = "02:00:00:00:0a:02"  # static on p2 VLAN 200
H3 = "02:00:00:00:0a:03"  # static on p3, untagged
R1 = "02:00:00:00:0b:01"  # remote, behind VTEP2 (VNI 5000)
RB = "02:00:00:00:0c:01"  # remote, behind VTEP3 (VNI 6000)
UNKNOWN = "02:00:00:00:99:99"
BROADCAST = "ff:ff:ff:ff:ff:ff"
M32 = 0xFFFFFFFF


# --- the flow hash (keep in step with bpf/vtep/vtep_flow_hash.h)
def _mix(h, word):
    h ^= word
    h = (h * 0x9E3779B1) & M32
    return ((h << 13) | (h >> 19)) & M32


def _finish(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    return h


def flow_hash(inner):
    """inner: an untagged Ethernet frame (bytes)."""
    h = 0x5674E9A1
    for w in struct.unpack("<3I", inner[:12]):
        h = _mix(h, w)
    if inner[12:14] != b"\x08\x00" or len(inner) < 34:
        return _finish(h)
    ip = inner[14:]
    ihl = ip[0] & 0x0F
    if ihl < 5:
        return _finish(h)
    h = _mix(h, struct.unpack("<I", ip[12:16])[0])
    h = _mix(h, struct.unpack("<I", ip[16:20])[0])
    frag = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
    if frag or ip[9] not in (6, 17) or len(ip) < ihl * 4 + 4:
        return _finish(h)
    return _finish(_mix(h, struct.unpack("<I", ip[ihl * 4 : ihl * 4 + 4])[0]))


def source_port(inner):
    return 0xC000 | (flow_hash(inner) & 0x3FFF)


# --- frame builders
def untag(frame):
    """The frame without its 802.1Q tag (what goes into a tunnel)."""
    if frame[12:14] == b"\x81\x00":
        return frame[:12] + frame[16:]
    return frame


def tagged(vlan, frame, prio=0):
    """An untagged frame given a tag."""
    tag = struct.pack("!HH", 0x8100, (prio << 13) | vlan)
    return frame[:12] + tag + frame[12:]


def vxlan(inner, vni, remote, src_ip=None, dst_ip=SOURCE_IP, outer_src_mac=NEXT_HOP_MAC,
          outer_dst_mac=UPLINK_MAC, sport=None, udp_checksum=0, **ip_fields):
    """VXLAN as a remote VTEP sends it to us (default) or as we send it."""
    header = bytes([0x08, 0, 0, 0]) + struct.pack("!I", vni << 8)
    udp = UDP(sport=sport if sport is not None else source_port(inner), dport=4789)
    if udp_checksum is not None:
        udp.chksum = udp_checksum
    pkt = (Ether(src=outer_src_mac, dst=outer_dst_mac)
           / IP(src=src_ip or remote, dst=dst_ip, **ip_fields) / udp / Raw(header + inner))
    return bytes(pkt)


def encapsulated(inner, vni, remote):
    """What the gateway sends toward a remote VTEP."""
    return vxlan(inner, vni, remote, src_ip=SOURCE_IP, dst_ip=remote,
                 outer_src_mac=UPLINK_MAC, outer_dst_mac=NEXT_HOP_MAC,
                 sport=source_port(inner), udp_checksum=0, ttl=64, flags="DF", id=0)


def ipv4_udp(src_mac, dst_mac, size=0, sport=1111, dport=2222):
    return bytes(Ether(src=src_mac, dst=dst_mac) / IP(src="10.0.0.1", dst="10.0.0.2")
                 / UDP(sport=sport, dport=dport) / Raw(b"\x00" * size))


def ipv4_tcp(src_mac, dst_mac):
    return bytes(Ether(src=src_mac, dst=dst_mac) / IP(src="10.0.0.3", dst="10.0.0.4")
                 / TCP(sport=40000, dport=22, flags="S"))


def arp_request(src_mac):
    return bytes(Ether(src=src_mac, dst=BROADCAST)
                 / ARP(op=1, hwsrc=src_mac, psrc="10.0.0.1", pdst="10.0.0.2"))


def pad60(frame):
    return frame + b"\x00" * max(0, 60 - len(frame))


def write_pcap(path, frames):
    """Classic pcap, Ethernet, one record per frame (runts included, byte for byte)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(frame), len(frame)))
            f.write(frame)


# --- the vectors
vectors = []


def case(name, description, inputs, outputs=None, counters=None):
    """inputs: [(port, [frames])]; outputs: {port: [frames]}; counters: {name: value}."""
    os.makedirs(OUT, exist_ok=True)
    entry = {"name": name, "description": description, "inputs": [], "outputs": {},
             "counters": counters or {}}
    for i, (port, frames) in enumerate(inputs):
        path = f"vectors/{name}.in{i}.{port}.pcap"
        write_pcap(os.path.join(HERE, path), frames)
        entry["inputs"].append({"port": port, "pcap": path})
    for port, frames in (outputs or {}).items():
        path = f"vectors/{name}.out.{port}.pcap"
        write_pcap(os.path.join(HERE, path), frames)
        entry["outputs"][port] = path
    vectors.append(entry)


def build():
    # Access port → access port
    f = ipv4_udp(H1, H2)
    case("access_vlan_translation", "p1/VLAN100 to a MAC on p2/VLAN200: tag rewritten",
         [("p1", [tagged(100, f)])], {"p2": [tagged(200, f)]}, {"learn_new": 1})
    f = ipv4_udp(H1, H3)
    case("access_tagged_to_untagged", "p1/VLAN100 to a MAC on untagged p3: tag removed",
         [("p1", [tagged(100, f)])], {"p3": [f]}, {"learn_new": 1})
    f = ipv4_udp(H3, H2)
    case("access_untagged_to_tagged", "untagged p3 to p2/VLAN200: tag inserted; static source "
         "MAC not relearned", [("p3", [f])], {"p2": [tagged(200, f)]}, {"learn_new": 0})
    f = ipv4_udp("02:00:00:00:0a:33", H2)
    case("access_priority_tagged", "priority-tagged (VID 0, PCP 5) frame on p3 is the untagged "
         "binding; PCP kept on the new tag", [("p3", [tagged(0, f, prio=5)])],
         {"p2": [tagged(200, f, prio=5)]}, {"learn_new": 1})

    # Access port → remote VTEP
    f = ipv4_udp(H1, R1, size=20)
    case("access_to_remote", "p1/VLAN100 to a remote MAC: VXLAN VNI 5000 to 198.51.100.2, "
         "inner untagged, hashed source port, zero UDP checksum",
         [("p1", [tagged(100, f)])], {"uplink": [encapsulated(f, 5000, VTEP2)]})
    f = ipv4_tcp(H3, R1)
    case("access_untagged_to_remote", "untagged p3 to a remote MAC: VXLAN to 198.51.100.2",
         [("p3", [f])], {"uplink": [encapsulated(f, 5000, VTEP2)]})
    f = ipv4_udp(H1, RB)
    case("access_to_remote_other_vni", "p1/VLAN300 (VNI 6000) to its remote MAC: VNI 6000 "
         "to 198.51.100.3", [("p1", [tagged(300, f)])],
         {"uplink": [encapsulated(f, 6000, VTEP3)]})
    big = ipv4_udp(H1, R1, size=1465 - 42)
    assert len(big) == 1465
    case("access_mtu_exceeded", "1465-byte inner frame needs 1501 bytes of underlay IP: "
         "dropped and counted", [("p1", [tagged(100, big)])], {},
         {"drop_mtu_exceeded": 1})
    ok = ipv4_udp(H1, R1, size=1464 - 42)
    case("access_mtu_fits", "1464-byte inner frame fills the 1500-byte underlay MTU exactly",
         [("p1", [tagged(100, ok)])], {"uplink": [encapsulated(ok, 5000, VTEP2)]})

    # BUM from access ports
    f = arp_request(H1)
    copies_a = {"p2": [tagged(200, f)], "p3": [f],
                "uplink": [encapsulated(f, 5000, VTEP2), encapsulated(f, 5000, VTEP3)]}
    case("access_broadcast_source_node", "ARP broadcast on p1/VLAN100: one copy per other "
         "binding (own VLAN each) and one per flood-list VTEP",
         [("p1", [tagged(100, f)])], copies_a,
         {"replicated_local": 2, "replicated_remote": 2, "pass_to_replicator": 1})
    f = ipv4_udp(H1, UNKNOWN)
    case("access_unknown_unicast_flood", "unknown unicast from p1/VLAN100 is flooded like "
         "broadcast", [("p1", [tagged(100, f)])],
         {"p2": [tagged(200, f)], "p3": [f],
          "uplink": [encapsulated(f, 5000, VTEP2), encapsulated(f, 5000, VTEP3)]},
         {"replicated_local": 2, "replicated_remote": 2})
    f = ipv4_udp(H2, "01:00:5e:00:00:fb")
    case("access_multicast_from_tagged_peer", "multicast from p2/VLAN200: to p1/VLAN100, "
         "untagged p3 and both VTEPs", [("p2", [tagged(200, f)])],
         {"p1": [tagged(100, f)], "p3": [f],
          "uplink": [encapsulated(f, 5000, VTEP2), encapsulated(f, 5000, VTEP3)]})
    f = ipv4_udp(H1, "01:00:5e:01:02:03")
    chosen = SERVICE_NODES[flow_hash(f) % len(SERVICE_NODES)]
    case("access_multicast_service_node", "multicast on p1/VLAN300 (service_node "
         "replication): exactly one copy, to the service node picked by flow hash",
         [("p1", [tagged(300, f)])], {"uplink": [encapsulated(f, 6000, chosen)]},
         {"replicated_remote": 1})
    f1 = ipv4_udp(H1, "02:00:00:00:0a:22")
    f2 = ipv4_udp("02:00:00:00:0a:22", H1)
    case("access_learn_stops_flooding", "unknown unicast is flooded; once its MAC is learned "
         "on p2/VLAN200 (event raised) the same frame goes to p2 only",
         [("p1", [tagged(100, f1)]), ("p2", [tagged(200, f2)]), ("p1", [tagged(100, f1)])],
         {"p2": [tagged(200, f1), tagged(200, f1)], "p3": [f1],
          "p1": [tagged(100, f2)],
          "uplink": [encapsulated(f1, 5000, VTEP2), encapsulated(f1, 5000, VTEP3)]},
         {"learn_new": 2})
    frames = [tagged(100, ipv4_udp(f"02:00:00:00:1a:0{i}", H2)) for i in range(1, 4)]
    case("access_learn_limit", "p1 has a limit of 2 learned MACs: the third source is "
         "forwarded but not learned, and counted", [("p1", frames)],
         {"p2": [tagged(200, untag(x)) for x in frames]},
         {"learn_new": 2, "learn_limit": 1})
    f = ipv4_udp(H2, H1)
    f_moved = ipv4_udp(H1, H2)
    case("access_mac_move", "a MAC learned on p1/VLAN100 then seen on untagged p3 moves "
         "there; traffic to it follows",
         [("p1", [tagged(100, f_moved)]), ("p3", [f_moved]), ("p2", [tagged(200, f)])],
         {"p2": [tagged(200, f_moved), tagged(200, f_moved)], "p3": [f]},
         {"learn_new": 1, "learn_move": 1})

    # Access port drops
    case("access_no_binding", "p2/VLAN999 is bound to nothing: dropped",
         [("p2", [tagged(999, ipv4_udp(H2, H1))])], {}, {"drop_no_binding": 1})
    qinq = bytes(Ether(src=H1, dst=H2) / Dot1AD(vlan=10) / Dot1Q(vlan=100)
                 / IP(src="10.0.0.1", dst="10.0.0.2") / UDP())
    case("access_qinq", "802.1ad S-tag (QinQ) on an access port: dropped",
         [("p1", [qinq])], {}, {"drop_vlan_stack": 1})
    double = tagged(100, tagged(100, ipv4_udp(H1, H2)))
    case("access_double_8021q", "two stacked 802.1Q tags: dropped",
         [("p1", [double])], {}, {"drop_vlan_stack": 1})
    case("access_runt", "10-byte frame: shorter than an Ethernet header, the kernel never "
         "hands it to XDP (replay drops it the same way)",
         [("p1", [bytes.fromhex("02000000000a02000000")])], {}, {})
    macs = bytes.fromhex("0200000000020200000000" + "01")
    case("access_truncated_tag", "802.1Q ethertype with only 2 bytes of tag: malformed, "
         "nothing read past the end", [("p1", [macs + b"\x81\x00\x00\x64"])], {},
         {"drop_malformed": 1})
    case("access_multicast_source", "multicast source MAC: malformed, not learned",
         [("p1", [tagged(100, ipv4_udp("03:00:00:00:00:01", H2))])], {},
         {"drop_malformed": 1, "learn_new": 0})
    case("access_hairpin", "frame to a MAC on the binding it came from: dropped",
         [("p2", [tagged(200, ipv4_udp("02:00:00:00:0a:44", H2))])], {},
         {"drop_hairpin": 1})

    # Uplink → access ports
    inner = ipv4_udp(R1, H2, size=10)
    case("uplink_to_tagged_local", "VXLAN VNI 5000 to a MAC on p2/VLAN200: decapsulated and "
         "tagged", [("uplink", [vxlan(inner, 5000, VTEP2)])], {"p2": [tagged(200, inner)]})
    inner = ipv4_udp(R1, H3)
    case("uplink_to_untagged_local", "VXLAN to the MAC on untagged p3: decapsulated",
         [("uplink", [vxlan(inner, 5000, VTEP2)])], {"p3": [inner]})
    inner = ipv4_udp(R1, H2)
    case("uplink_udp_checksum_nonzero", "VXLAN with a computed UDP checksum is accepted",
         [("uplink", [vxlan(inner, 5000, VTEP2, udp_checksum=None)])],
         {"p2": [tagged(200, inner)]})
    inner = ipv4_udp(R1, H3)
    case("uplink_ip_options", "outer IPv4 with options (IHL 7): decapsulated at the right "
         "offset", [("uplink", [vxlan(inner, 5000, VTEP2, options=b"\x01" * 8)])],
         {"p3": [inner]})
    inner = pad60(ipv4_udp(R1, H3))
    framed = vxlan(inner, 5000, VTEP2) + b"\x00" * 6
    case("uplink_trailing_padding", "bytes after the outer IP packet are not part of the "
         "inner frame", [("uplink", [framed])], {"p3": [inner]}, {})
    inner = arp_request(R1)
    case("uplink_broadcast", "broadcast from a tunnel reaches every binding of the VNI, "
         "never a tunnel (split horizon)", [("uplink", [vxlan(inner, 5000, VTEP2)])],
         {"p1": [tagged(100, inner)], "p2": [tagged(200, inner)], "p3": [inner]},
         {"replicated_local": 3, "replicated_remote": 0})
    inner = ipv4_udp(R1, UNKNOWN)
    case("uplink_unknown_unicast", "unknown unicast from a tunnel is flooded to local "
         "bindings only", [("uplink", [vxlan(inner, 5000, VTEP2)])],
         {"p1": [tagged(100, inner)], "p2": [tagged(200, inner)], "p3": [inner]})
    inner = ipv4_udp(RB, "01:00:5e:00:00:01")
    case("uplink_broadcast_other_vni", "BUM in VNI 6000 reaches only p1/VLAN300",
         [("uplink", [vxlan(inner, 6000, VTEP3)])], {"p1": [tagged(300, inner)]})

    # Uplink drops and passes
    inner = ipv4_udp(R1, H2)
    case("uplink_unknown_vni", "VXLAN for VNI 7777 (no logical switch): dropped",
         [("uplink", [vxlan(inner, 7777, VTEP2)])], {}, {"drop_unknown_vni": 1})
    case("uplink_vni_zero", "VNI 0 is never programmed: dropped",
         [("uplink", [vxlan(inner, 0, VTEP2)])], {}, {"drop_unknown_vni": 1})
    case("uplink_split_horizon", "from a tunnel to a MAC behind a tunnel: dropped",
         [("uplink", [vxlan(ipv4_udp(H1, R1), 5000, VTEP3)])], {},
         {"drop_split_horizon": 1})
    no_i = bytearray(vxlan(inner, 5000, VTEP2))
    no_i[42] = 0x00
    case("uplink_vxlan_without_i_flag", "VXLAN header without the I flag: dropped",
         [("uplink", [bytes(no_i)])], {}, {"drop_vxlan_flags": 1})
    inner_tagged = tagged(100, inner)
    case("uplink_inner_vlan", "inner frame carrying a VLAN tag: dropped",
         [("uplink", [vxlan(inner_tagged, 5000, VTEP2, sport=50000)])], {},
         {"drop_vlan_stack": 1})
    short = vxlan(inner, 5000, VTEP2)[:14 + 20 + 8 + 4]
    case("uplink_truncated_vxlan", "VXLAN cut inside its header (IP length says more): "
         "dropped, nothing read past the end", [("uplink", [short])], {},
         {"drop_malformed": 1})
    liar = bytearray(vxlan(inner, 5000, VTEP2))
    struct.pack_into("!H", liar, 16, len(liar))  # IP total length beyond the frame
    liar[24:26] = b"\x00\x00"
    case("uplink_bad_ip_length", "IP total length larger than the frame: dropped",
         [("uplink", [bytes(liar)])], {}, {"drop_malformed": 1})
    frag = vxlan(inner, 5000, VTEP2, flags="MF")
    case("uplink_fragment", "fragmented VXLAN (MF set) is left to the kernel",
         [("uplink", [frag])], {"stack": [frag]}, {"pass_underlay_fragment": 1})
    arp = pad60(bytes(Ether(src=NEXT_HOP_MAC, dst=BROADCAST)
                      / ARP(op=1, hwsrc=NEXT_HOP_MAC, psrc="192.0.2.254", pdst=SOURCE_IP)))
    case("uplink_arp_passes", "ARP on the uplink goes to the kernel untouched",
         [("uplink", [arp])], {"stack": [arp]}, {"pass_not_ours": 1})
    bfd = bytes(Ether(src=NEXT_HOP_MAC, dst=UPLINK_MAC) / IP(src="192.0.2.254", dst=SOURCE_IP)
                / UDP(sport=49152, dport=3784) / Raw(b"\x20\x40\x03\x18" + b"\x00" * 20))
    case("uplink_other_udp_passes", "UDP to another port (BFD) goes to the kernel untouched",
         [("uplink", [bfd])], {"stack": [bfd]}, {"pass_not_ours": 1})
    other = vxlan(inner, 5000, VTEP2, dst_ip="192.0.2.99")
    case("uplink_other_tunnel_ip_passes", "VXLAN to an address that is not our tunnel IP "
         "goes to the kernel", [("uplink", [other])], {"stack": [other]},
         {"pass_not_ours": 1})
    bare = bytes(Ether(src=NEXT_HOP_MAC, dst=UPLINK_MAC, type=0x0800)) + b"\x45" + b"\x00" * 19
    case("uplink_bare_ip_header_passes", "a lone IPv4 header (no payload, protocol 0) is not "
         "ours: to the kernel, nothing read past it", [("uplink", [bare])],
         {"stack": [bare]}, {"pass_not_ours": 1})
    bad_ihl = bytearray(bfd)
    bad_ihl[14] = 0x43  # IHL 3
    case("uplink_bad_ihl_passes", "IPv4 header length below 20 bytes: not ours, to the "
         "kernel (which drops it)", [("uplink", [bytes(bad_ihl)])],
         {"stack": [bytes(bad_ihl)]}, {"pass_not_ours": 1})


def main():
    if os.path.isdir(OUT):
        for name in os.listdir(OUT):
            os.remove(os.path.join(OUT, name))
    build()
    index = {"config": "vtep_config.json", "vectors": vectors}
    with open(os.path.join(HERE, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"{len(vectors)} vectors written to {OUT}")


if __name__ == "__main__":
    main()
