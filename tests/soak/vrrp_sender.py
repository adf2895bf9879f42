#!/usr/bin/env python3
"""Sends valid VRRPv3 adverts (RFC 5798 section 5, checksum over the IPv4 pseudo-header, TTL 255)
for one VRID at a fixed priority, each from a different source address (cycling through
198.18.0.0/16), at a fixed rate: traffic a master must answer by staying master, and that a
receiver must not remember per source without bound.

usage: vrrp_sender.py VRID PRIORITY VIP RATE SECONDS
Prints the number of packets sent."""
import socket
import struct
import sys
import time


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def advert(src: bytes, dst: bytes, vrid: int, prio: int, vip: bytes) -> bytes:
    body = struct.pack("!BBBBHH", 0x31, vrid, prio, 1, 10, 0) + vip  # v3, 100 ms = 10 cs
    pseudo = src + dst + struct.pack("!BBH", 0, 112, len(body))
    body = body[:6] + struct.pack("!H", csum(pseudo + body)) + body[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 255, 112, 0, src, dst)
    return ip + body


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    vrid, prio, vip, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    dst = socket.inet_aton("224.0.0.18")
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # IP_HDRINCL implied
    # The lab's client has no route to 224.0.0.0/4: name the interface for multicast.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("0.0.0.0") + socket.inet_aton("0.0.0.0")
                 + struct.pack("@i", socket.if_nametoindex("eth0")))
    sent = 0
    start = time.monotonic()
    while (now := time.monotonic()) - start < seconds:
        due = int((now - start) * rate)
        while sent < due:
            src = socket.inet_aton(f"198.18.{(sent >> 8) & 0xFF}.{sent & 0xFF}")
            s.sendto(advert(src, dst, vrid, prio, socket.inet_aton(vip)), ("224.0.0.18", 0))
            sent += 1
        time.sleep(0.002)
    print(sent)


if __name__ == "__main__":
    main()
