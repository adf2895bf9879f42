#!/usr/bin/env python3
"""A failover timeline in the terminal: one row per VIP, one column per time slice, each cell the
node that answered the client in that slice (1, 2, 3 for n1, n2, n3; '#' two nodes at once; '.'
nobody), from xvrrp-probe's --timeline CSV (vip,kind,mac,name,start_ms,end_ms,replies), the lab's
marks file and the probe's JSON summary (its start on the marks' clock). Time 0 is the first cable
pull inside the probe's run; '|' in the ruler marks it.

Usage: timeline_text.py CSV MARKS JSON [--kind arp|tcp] [--from MS] [--to MS] [--width N]
"""
import argparse
import csv
import ipaddress
import json
import sys


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("marks")
    ap.add_argument("json")
    ap.add_argument("--kind", default="arp", choices=("arp", "tcp"))
    ap.add_argument("--from", dest="t0", type=float, default=-500.0, help="ms relative to the pull")
    ap.add_argument("--to", dest="t1", type=float, default=1500.0, help="ms relative to the pull")
    ap.add_argument("--width", type=int, default=64)
    a = ap.parse_args(argv)
    start_ns = json.load(open(a.json))["start_realtime_ns"]
    pulls = []
    for line in open(a.marks):
        p = line.split()
        if len(p) == 2 and p[0].startswith("cable_pull"):
            pulls.append((int(p[1]) - start_ns) / 1e6)
    rows = [r for r in csv.DictReader(open(a.csv)) if r["kind"] == a.kind and r["vip"] != "192.0.2.254"]
    if not rows:
        print(f"timeline_text.py: no {a.kind} answers in {a.csv}", file=sys.stderr)
        return 1
    end = max(float(r["end_ms"]) for r in rows)
    pulls = [t for t in pulls if 0 <= t <= end]
    zero = pulls[0] if pulls else 0.0
    slice_ms = (a.t1 - a.t0) / a.width
    vips = sorted({r["vip"] for r in rows}, key=ipaddress.ip_address)
    cells = {v: [set() for _ in range(a.width)] for v in vips}
    for r in rows:
        s, e = float(r["start_ms"]) - zero, float(r["end_ms"]) - zero
        first = max(0, int((s - a.t0) // slice_ms))
        last = min(a.width - 1, int((e - a.t0) // slice_ms))
        for c in range(first, last + 1):
            cells[r["vip"]][c].add(r["name"])
    label = max(len(v) for v in vips)
    pull_col = int((0 - a.t0) // slice_ms) if pulls else -1
    ruler = "".join("|" if c == pull_col else ("+" if c % 8 == 0 else "-") for c in range(a.width))
    print(f"{'':{label}}  {ruler}")
    print(f"{'':{label}}  {a.t0:+.0f} ms{'':{max(1, a.width - 20)}}{a.t1:+.0f} ms")
    for v in vips:
        line = "".join("." if not c else ("#" if len(c) > 1 else next(iter(c)).lstrip("n")[:1]) for c in cells[v])
        print(f"{v:{label}}  {line}")
    print(f"{'':{label}}  one column = {slice_ms:.0f} ms; 1/2/3 = n1/n2/n3 answered, # = two nodes, . = nobody;"
          f" | = the cable pull")
    return 0


if __name__ == "__main__":
    sys.exit(main())
