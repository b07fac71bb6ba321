#!/usr/bin/python3
"""A minimal lw4o6 B4 for tests (for kernels without ip6tnl): IPv4 the kernel routes into
the TUN device is sent to the AFTR's BR address in IPv6 (next header 4) from the B4
address; IPv4-in-IPv6 arriving from the BR address is written back to the TUN device.
usage: b4_softwire.py TUN-NAME B4-IPV6 BR-IPV6 READY-FILE"""
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def main():
    name, b4, br, ready = sys.argv[1:5]
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    softwire = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_IPIP)
    softwire.bind((b4, 0))
    open(ready, "w").close()
    while True:
        readable, _, _ = select.select([tun, softwire], [], [])
        if tun in readable:
            packet = os.read(tun, 65535)
            if packet and packet[0] >> 4 == 4:
                softwire.sendto(packet, (br, 0))
        if softwire in readable:
            packet, source = softwire.recvfrom(65535)
            if source[0] == br and packet and packet[0] >> 4 == 4:
                os.write(tun, packet)


if __name__ == "__main__":
    main()
