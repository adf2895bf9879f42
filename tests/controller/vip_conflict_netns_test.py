#!/usr/bin/env python3
"""VIP conflicts (issue 10) with a real xvrrpd in network namespaces (ctest label netns).

One node `a` runs xvrrpd (XDP generic mode) and is MASTER of one VIP group; an intruder namespace
`x` on the same bridge claims the VIP for a foreign MAC with gratuitous ARPs and unsolicited ARP
replies (unsolicited NAs for an IPv6 VIP), and listens for the master's announcements. The checks: the daemon counts every claim
(/status, /metrics, xvrrpctl), logs it naming the VIP and the MAC, re-announces at once, and a
flood of claims gets at most one re-announcement per second.

The lab (namespaces, bridge, cleanup on every exit path) is daemon_netns_test.py's, with its own
namespace prefix xv<pid>-vc-. Addresses from 192.0.2.0/24 and 2001:db8::/32 only.

Usage: vip_conflict_netns_test.py --build-dir BUILD [-k SUBSTRING]
       vip_conflict_netns_test.py claim ...   (runs inside the intruder's namespace, see claim())
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_netns_test as lab  # noqa: E402  (the shared lab: Node, Lab, check, wait_until)

lab.PREFIX = f"{os.environ.get('LAB_NS_PREFIX', 'xv')}{os.getpid()}-vc-"
FOREIGN_MAC = "02:00:5e:c0:ff:ee"  # locally administered: no real NIC has it
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
ETH_P_ALL = 0x0003


# ------------------------------------------------------------------------------------------------
# The intruder: runs as `ip netns exec X python3 THIS claim ...` so it sees the bridge as a host.


def arp_frame(op, sha, vip, tha):
    """An Ethernet broadcast ARP frame (RFC 826) whose sender is `vip` at `sha`."""
    broadcast = b"\xff" * 6
    return (broadcast + sha + struct.pack("!H", ETH_P_ARP) +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + vip + tha + vip)


def checksum16(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def na_frame(sha, vip, override):
    """An unsolicited Neighbour Advertisement (RFC 4861 4.4) to all-nodes claiming `vip` for
    `sha` in its target link-layer address option, as a host that took the address sends."""
    src = socket.inet_pton(socket.AF_INET6, "fe80::5eff:fec0:ffee")
    dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
    flags = 0x20000000 if override else 0
    icmp = struct.pack("!BBHI", 136, 0, 0, flags) + vip + struct.pack("!BB", 2, 1) + sha
    pseudo = src + dst + struct.pack("!I", len(icmp)) + b"\0\0\0" + bytes([58])
    icmp = icmp[:2] + struct.pack("!H", checksum16(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src + dst
    return b"\x33\x33\x00\x00\x00\x01" + sha + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp


def claim(argv):
    """Listen `--pre` s, send `--count` claims of `--vip` (a comma-separated list: claimed in turn)
    for `--mac` spread over `--spread` s
    (IPv4: alternately a gratuitous ARP request and an unsolicited ARP reply, the two forms
    arping -U and arping -A send; IPv6: unsolicited NAs, alternately with and without the
    override flag), listen `--post` s more; print JSON with the times of every announcement of
    a listed VIP from `--master-mac` (broadcast GARP, or NA to all-nodes), relative to the first
    claim, and the VIPs announced."""
    ap = argparse.ArgumentParser(prog="claim")
    for a in ("--iface", "--vip", "--mac", "--master-mac"):
        ap.add_argument(a, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--spread", type=float, default=0.0)
    ap.add_argument("--pre", type=float, default=0.5)
    ap.add_argument("--post", type=float, default=1.0)
    o = ap.parse_args(argv)
    v6 = ":" in o.vip
    family = socket.AF_INET6 if v6 else socket.AF_INET
    vips = [socket.inet_pton(family, v) for v in o.vip.split(",")]
    listed = set(vips)
    mac = bytes.fromhex(o.mac.replace(":", ""))
    master = bytes.fromhex(o.master_mac.replace(":", ""))
    proto = ETH_P_IPV6 if v6 else ETH_P_ARP
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((o.iface, proto))  # CPython applies htons to the bind protocol itself
    s.setblocking(False)
    seen, seen_vips = [], []

    def announces(frame):
        # Broadcast from the master: a unicast answer of its kernel to one of our claims would
        # not be an announcement.
        # The announced VIP, or None.
        if v6:  # NA (ICMPv6 136, no extension header) to all-nodes with the VIP as target
            ok = (len(frame) >= 78 and frame[:6] == b"\x33\x33\x00\x00\x00\x01" and frame[6:12] == master and
                  frame[12:14] == b"\x86\xdd" and frame[20] == 58 and frame[54] == 136 and frame[62:78] in listed)
            return frame[62:78] if ok else None
        # Gratuitous ARP (request, sender = target = VIP) or its reply form.
        ok = (len(frame) >= 42 and frame[:6] == b"\xff" * 6 and frame[12:14] == b"\x08\x06" and frame[22:28] == master and
              frame[28:32] in listed and (frame[21] == 2 or frame[38:42] == frame[28:32]))
        return frame[28:32] if ok else None

    def listen_until(deadline):
        while True:
            left = deadline - time.monotonic()
            if left > 0:
                select.select([s], [], [], left)
            while True:
                try:
                    frame, addr = s.recvfrom(2048)
                except BlockingIOError:
                    break
                announced = announces(frame) if addr[2] != socket.PACKET_OUTGOING else None
                if announced:
                    seen.append(time.monotonic())
                    seen_vips.append(socket.inet_ntop(family, announced))
            if left <= 0:
                return

    listen_until(time.monotonic() + o.pre)
    before = len(seen)
    t0 = time.monotonic()
    wall0 = time.time()
    sent = 0
    step = o.spread / max(1, o.count - 1) if o.count > 1 else 0
    for i in range(o.count):
        listen_until(t0 + i * step)
        vip = vips[i % len(vips)]
        if v6:
            frame = na_frame(mac, vip, override=i % 2 == 0)
        else:
            frame = arp_frame(1, mac, vip, b"\x00" * 6) if i % 2 == 0 else arp_frame(2, mac, vip, b"\xff" * 6)
        sent += s.send(frame) == len(frame)
    last = time.monotonic() - t0
    listen_until(time.monotonic() + o.post)
    print(json.dumps({"before": before, "after": [t - t0 for t in seen[before:]], "vips": seen_vips[before:], "sent": sent,
                      "last_sent": last, "wall0": wall0}))
    return 0


# ------------------------------------------------------------------------------------------------
# The lab side.


def mac_of(node):
    out = json.loads(lab.sh(["ip", "-n", node.ns, "-j", "link", "show", "dev", "eth0"]).stdout)
    return out[0]["address"]


def run_claims(intruder, master_mac, vip, count, spread, pre=0.5, post=1.0):
    r = intruder.exec([sys.executable, os.path.abspath(__file__), "claim", "--iface", "eth0", "--vip", vip, "--mac",
                       FOREIGN_MAC, "--master-mac", master_mac, "--count", str(count), "--spread", str(spread),
                       "--pre", str(pre), "--post", str(post)], timeout=spread + pre + post + 30)
    res = json.loads(r.stdout)
    lab.check(res["sent"] == count, f"the intruder sent {res['sent']} of {count} claims")
    return res


def conflict_metrics(node, group, vrid):
    m = lab.parse_metrics(node.http("/metrics"))
    # /metrics labels a group by its number (its name starts with the config name).
    number = next(str(g["group"]) for g in node.status()["groups"] if g["name"] == group)
    labels = frozenset({("group", number), ("vrid", str(vrid))})
    return (m.get(("xvrrp_vip_conflicts_total", labels)), m.get(("xvrrp_vip_conflict_reannounces_total", labels)))


def master_lab(vip, env=None):
    """Node a MASTER of `vip` (OPENSHIFT_HA_VIRTUAL_IPS; with `env` XVRRP_VIP_ADDRESSES=off
    the group's local routes are waited for instead of its first address) in XDP generic mode,
    intruder x beside it, and the master's own announcement campaign (5 GARPs now, 5 more after
    keepalived's garp_master_delay 5 s) over, so every GARP the intruder hears afterwards was
    caused by its claims."""
    lb = lab.new_lab()
    a, x = lb.node("a", "192.0.2.1"), lb.node("x", "192.0.2.9")
    if ":" in vip:
        # An IPv6 group advertises from the link-local address: no DAD, usable at once.
        for n in (a, x):
            lab.sh(f"ip netns exec {n.ns} sysctl -qw net.ipv6.conf.eth0.accept_dad=0")
            lab.sh(f"ip -n {n.ns} link set eth0 down && ip -n {n.ns} link set eth0 up")
        lab.wait_until(lambda: any(addr.startswith("fe80:") for addr in a.addrs()), 3, "a's link-local address")
    wall = time.time()
    a.start(dict(lab.FAST, OPENSHIFT_HA_VIRTUAL_IPS=vip, XVRRP_DATAPLANE="xdp-generic", **(env or {})))
    if (env or {}).get("XVRRP_VIP_ADDRESSES") == "off":
        lab.wait_until(lambda: set(a.states().values()) == {"MASTER"} and a.status()["groups"][0].get("routes"), 5,
                       "a MASTER with its local routes")
    else:
        held = f"{vip}/128" if ":" in vip else f"{vip}/32"
        lab.wait_until(lambda: set(a.states().values()) == {"MASTER"} and held in a.addrs(), 5, f"a MASTER holding {vip}")
    g = a.status()["groups"][0]
    lab.check(g["vip_conflicts"] == 0 and g["conflict_reannounces"] == 0 and g["last_conflict"] is None,
              f"conflicts before any claim: {g}")
    mastered = lab.became_master_at(a, wall)
    time.sleep(max(0.0, mastered + 5.5 - time.time()))
    return a, x, g["name"], g["vrid"]


def claim_twice_and_see_it_reannounced(vip, frames):
    """A master for `vip`, two claims 50 ms apart from a foreign MAC, and the master's own
    announcements (`frames`: GARP or NA) seen on the wire: none in the 0.5 s before the claims, the
    first one advert interval (0.1 s) after the first claim and within 350 ms. Returns the master
    node, its group name and VRID once both claims are counted in /status."""
    a, x, group, vrid = master_lab(vip)
    res = run_claims(x, mac_of(a), vip, count=2, spread=0.05, pre=0.5, post=1.0)
    lab.check(res["before"] == 0, f"{res['before']} {frames}s from the master before any claim: the premise is broken")
    after = res["after"]
    print(f"  master {frames}s after the claims: {len(after)}, first at {after[0] * 1000:.1f} ms" if after else
          f"  no master {frames} after the claims")
    lab.check(after and after[0] < 0.35, f"no re-announcement within 350 ms of the claim ({frames}s at {after})")
    lab.check(after[0] >= 0.09, f"the {frames} came {after[0] * 1000:.1f} ms after the claim, before one advert interval")
    lab.wait_until(lambda: a.status()["groups"][0]["vip_conflicts"] == 2, 2, "both claims counted in /status")
    return a, group, vrid


def test_claim_is_counted_logged_and_reannounced():
    """One gratuitous ARP and one unsolicited ARP reply for the VIP from a foreign MAC: both
    counted, one warning naming VIP and MAC, and at least one new GARP for the VIP from the master
    one advert interval (0.1 s) after the first claim, within 350 ms (none in the 0.5 s before):
    the GARP waits an interval so a node losing a takeover never re-announces on its way out."""
    vip = "192.0.2.110"
    a, group, vrid = claim_twice_and_see_it_reannounced(vip, "GARP")
    g = a.status()["groups"][0]
    lab.check(g["conflict_reannounces"] == 1, f"two claims 50 ms apart must re-announce once, got {g['conflict_reannounces']}")
    lab.check(g["last_conflict"]["vip"] == vip and g["last_conflict"]["mac"] == FOREIGN_MAC, f"last_conflict {g['last_conflict']}")
    lab.check(g["state"] == "MASTER" and a.holds(vip), "the claim moved the group off MASTER")
    conflicts, reannounces = conflict_metrics(a, group, vrid)
    lab.check(conflicts == 2 and reannounces == 1, f"/metrics: conflicts {conflicts}, re-announces {reannounces}")
    table = a.ctl("status")
    row = next((l.split() for l in table.splitlines() if l.startswith(group + " ")), None)
    lab.check(row is not None and "CONFLICTS" in table and row[5] == "2", f"xvrrpctl status CONFLICTS column:\n{table}")
    warnings = [l for l in a.logtext().splitlines() if "VIP conflict:" in l]
    lab.check(len(warnings) == 1 and f"{vip} claimed by MAC {FOREIGN_MAC}" in warnings[0] and group in warnings[0]
              and "re-announcing" in warnings[0], "log: " + "\n".join(warnings or ["no 'VIP conflict:' line"]))
    xdp = json.loads(a.ctl("counters"))["xdp"]
    lab.check(xdp["arp_conflict"] == 2 and xdp["conflict_ring_full"] == 0, f"XDP counters {xdp}")


def test_claim_flood_is_rate_limited():
    """200 claims in one second: all 200 counted, at most 2 re-announcements (one per second;
    the flood may straddle a second boundary), so at most 2 campaigns of 5 GARPs on the wire, and
    at most 2 warnings in the log."""
    vip = "192.0.2.111"
    a, x, group, vrid = master_lab(vip)
    res = run_claims(x, mac_of(a), vip, count=200, spread=0.995, pre=0.5, post=0.5)
    lab.check(res["before"] == 0, f"{res['before']} GARPs from the master before any claim: the premise is broken")
    lab.check(res["last_sent"] < 1.2, f"the intruder needed {res['last_sent']:.2f} s for 200 claims (machine too loaded)")
    garps = res["after"]
    lab.wait_until(lambda: a.status()["groups"][0]["vip_conflicts"] == 200, 3, "all 200 claims counted in /status")
    g = a.status()["groups"][0]
    conflicts, reannounces = conflict_metrics(a, group, vrid)
    warnings = [l for l in a.logtext().splitlines() if "VIP conflict:" in l]
    print(f"  200 claims in {res['last_sent']:.2f} s: {g['conflict_reannounces']} re-announcement(s), {len(garps)} GARPs, "
          f"{len(warnings)} warning line(s)")
    lab.check(1 <= g["conflict_reannounces"] <= 2, f"re-announcements {g['conflict_reannounces']} (want 1-2)")
    lab.check(5 <= len(garps) <= 10, f"{len(garps)} GARPs from the master for 200 claims (want one or two campaigns of 5)")
    lab.check(conflicts == 200 and reannounces == g["conflict_reannounces"], f"/metrics: {conflicts}, {reannounces}")
    lab.check(1 <= len(warnings) <= 2, "log not rate-limited:\n" + "\n".join(warnings[:5]))
    lab.check(g["state"] == "MASTER" and a.holds(vip), "the flood moved the group off MASTER")


def test_claim_storm_over_many_vips_reannounces_only_claimed_vips_within_the_limit():
    """A storm at a 4,096-VIP group: 2,000 claims in one second, each of another VIP. Only
    claimed VIPs are re-announced, each once, at most 16 of the group per second (so at most 32
    VIPs, 160 GARPs, where re-announcing the group would be 20,480 frames per claim), the rest
    counted as held back; every claim counted; the group stays MASTER."""
    vips = [f"198.18.{i // 256}.{i % 256}" for i in range(4096)]
    a, x, group, vrid = master_lab(",".join(f"198.18.{k}.0-255" for k in range(16)), {"XVRRP_VIP_ADDRESSES": "off", "OPENSHIFT_HA_VIP_GROUPS": "1"})
    claimed = vips[::2][:2000]
    res = run_claims(x, mac_of(a), ",".join(claimed), count=2000, spread=0.995, pre=0.5, post=0.5)
    lab.check(res["before"] == 0, f"{res['before']} GARPs from the master before any claim: the premise is broken")
    lab.check(res["last_sent"] < 1.2, f"the intruder needed {res['last_sent']:.2f} s for 2,000 claims (machine too loaded)")
    lab.wait_until(lambda: a.status()["groups"][0]["vip_conflicts"] == 2000, 5, "all 2,000 claims counted in /status")
    g = a.status()["groups"][0]
    announced = res["vips"]
    print(f"  2,000 claims of 2,000 VIPs in {res['last_sent']:.2f} s: {g['conflict_reannounces']} VIP(s) re-announced, "
          f"{g['conflict_reannounces_held']} held back, {len(announced)} GARPs of {len(set(announced))} VIP(s)")
    lab.check(16 <= g["conflict_reannounces"] <= 32, f"VIPs re-announced {g['conflict_reannounces']} (want 16-32)")
    lab.check(g["conflict_reannounces"] + g["conflict_reannounces_held"] == 2000,
              f"re-announced {g['conflict_reannounces']} + held back {g['conflict_reannounces_held']} != 2,000 claims")
    lab.check(set(announced) <= set(claimed), f"VIPs announced that nobody claimed: {sorted(set(announced) - set(claimed))[:5]}")
    lab.check(len(set(announced)) == g["conflict_reannounces"] and len(announced) == 5 * len(set(announced)),
              f"{len(announced)} GARPs of {len(set(announced))} VIPs for {g['conflict_reannounces']} re-announcements "
              "(want 5 GARPs each)")
    lab.check(g["state"] == "MASTER", "the storm moved the group off MASTER")


def test_na_claim_on_ipv6_group_is_reannounced():
    """The IPv6 path: unsolicited NAs claiming the VIP of an IPv6 group for a foreign MAC are
    counted for that group (found by family and VRID), logged, and answered by the master's
    unsolicited NA one advert interval later, within 350 ms."""
    vip = "2001:db8::110"
    a, group, vrid = claim_twice_and_see_it_reannounced(vip, "NA")
    g = a.status()["groups"][0]
    lab.check(g["conflict_reannounces"] == 1 and g["last_conflict"]["vip"] == vip and g["last_conflict"]["mac"] == FOREIGN_MAC,
              f"status {g}")
    warnings = [l for l in a.logtext().splitlines() if "VIP conflict:" in l]
    lab.check(len(warnings) == 1 and f"{vip} claimed by MAC {FOREIGN_MAC}" in warnings[0], "log: " + "\n".join(warnings))
    xdp = json.loads(a.ctl("counters"))["xdp"]
    lab.check(xdp["na_conflict"] == 2, f"XDP counters {xdp}")


TESTS = [test_claim_is_counted_logged_and_reannounced, test_claim_flood_is_rate_limited,
         test_claim_storm_over_many_vips_reannounces_only_claimed_vips_within_the_limit,
         test_na_claim_on_ipv6_group_is_reannounced]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "claim":
        return claim(sys.argv[2:])
    return lab.run_suite(TESTS, ("ip",), "the VIP conflict tests")


if __name__ == "__main__":
    sys.exit(main())
