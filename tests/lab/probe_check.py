#!/usr/bin/env python3
"""Asserts bounds on an xvrrp-probe JSON summary and prints what was measured.

Part of the lab (tests/lab/lab.sh calls it as lab_probe_check). Marks are the lab's fault
timestamps ("LABEL REALTIME_NS" per line, written by lab_mark); the probe reports its start on the
same clock, so a check can say "splits are allowed from the partition until 30 ms after the heal".

TCP (a probe run with --tcp PORT): `--kind tcp` applies every check to the sampled VIPs' TCP
answers instead (answered_by and holder by node name); `--max-tcp-gap-ms` and `--tcp-all-answered`
check them beside an ARP check in the same call. A TCP answer is a connection to VIP:PORT that
brought a node's name back (the lab's listeners); a gap is time without one.

Exit status: 0 all checks hold, 1 a bound was violated (each violation printed), 2 bad usage.
"""
import argparse
import json
import sys


def load_marks(path):
    marks = []
    if not path:
        return marks
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    marks.append((parts[0], int(parts[1])))
    except FileNotFoundError:
        pass
    return marks


def mark_ms(marks, label, start_ns, which="last"):
    """Probe-relative time of the mark whose label starts with `label`."""
    hits = [ns for name, ns in marks if name.startswith(label)]
    if not hits:
        raise SystemExit(f"probe_check: no mark starting with '{label}' (marks: {[m for m, _ in marks]})")
    ns = hits[-1] if which == "last" else hits[0]
    return (ns - start_ns) / 1e6


def fmt(ms):
    return "-" if ms is None else f"{ms:.1f}"


def holders(entry):
    """Names in answering order, consecutive repeats folded: 'n3 -> n1'; long flaps shortened."""
    seq = []
    for run in sorted(entry["runs"], key=lambda r: r["start_ms"]):
        if not seq or seq[-1] != run["name"]:
            seq.append(run["name"])
    if not seq:
        return "(nobody)"
    if len(seq) > 5:
        return f"{seq[0]} -> ... ({len(seq) - 2} changes) -> {seq[-1]}"
    return " -> ".join(seq)


def print_table(summary, kind, out):
    print(f"{'VIP':<16} {'answered by':<24} {'longest gap ms':>14} {'gap from..to ms':>20} {'splits':>6}",
          file=out)
    for v in summary["vips"]:
        e = v.get(kind)
        if e is None:
            continue  # TCP: only the sampled VIPs have an entry
        g = e["longest_gap"]
        span = f"{fmt(g['start_ms'])}..{fmt(g['end_ms'])}" if g else "-"
        print(f"{v['vip']:<16} {holders(e):<24} {fmt(e['longest_gap_ms']):>14} {span:>20} "
              f"{len(e['splits']):>6}", file=out)


def merge_splits(splits, within_ms):
    """One episode per stretch of overlaps no further apart than within_ms: nodes flapping in turn
    for 250 ms are one 250 ms split, not many short ones each inside the tolerance."""
    merged = []
    for sp in sorted(splits, key=lambda x: x["start_ms"]):
        if merged and sp["start_ms"] - merged[-1]["end_ms"] <= within_ms:
            m = merged[-1]
            m["end_ms"] = max(m["end_ms"], sp["end_ms"])
            m["ms"] = m["end_ms"] - m["start_ms"]
            m["names"] = sorted(set(m["names"]) | set(sp["names"]))
        else:
            merged.append(dict(sp, names=sorted(sp["names"])))
    return merged


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("json", help="xvrrp-probe summary")
    p.add_argument("--marks", help="the lab's marks file")
    p.add_argument("--kind", choices=["arp", "icmp", "tcp"], default="arp")
    p.add_argument("--max-gap-ms", type=float,
                   help="no VIP unanswered longer than this (between answers, trailing silence included)")
    p.add_argument("--gaps-after", metavar="MARK",
                   help="apply --max-gap-ms only to gaps ending after this mark (start-up excluded)")
    p.add_argument("--min-gap-ms", type=float,
                   help="at least one gap this long per answered VIP (proves the fault was seen)")
    p.add_argument("--min-gap-vips", metavar="VIP,VIP",
                   help="apply --min-gap-ms only to these VIPs (the ones the fault should move)")
    p.add_argument("--no-split", action="store_true", help="no two MACs ever answered one VIP at once")
    p.add_argument("--split-allowed", nargs=2, action="append", default=[],
                   metavar=("FROM_MARK", "TO_MARK"),
                   help="splits inside [FROM_MARK, TO_MARK + --split-grace-ms] are expected (partition)")
    p.add_argument("--split-grace-ms", type=float, default=0.0)
    p.add_argument("--split-tolerance-ms", type=float, default=None,
                   help="overlaps no longer than this are counted and printed but pass: when two "
                        "backups' Master_Down timers expire within one message latency both become "
                        "master until the higher priority's advert arrives (RFC 3768 section 6.4.3); "
                        "use one advertisement interval")
    p.add_argument("--all-answered", action="store_true",
                   help="every VIP answered, and still answered at the end")
    p.add_argument("--holder", action="append", default=[], metavar="VIP=NAME",
                   help="VIP is answered by NAME at the end")
    p.add_argument("--answered-by", action="append", default=[], metavar="VIP=NAME[,NAME]",
                   help="exactly these names answered VIP during the run")
    p.add_argument("--takeover", action="append", default=[], metavar="NAME:MARK:LO_MS:HI_MS",
                   help="NAME's first answer after MARK comes between MARK + LO_MS and MARK + HI_MS")
    p.add_argument("--leave", action="append", default=[], metavar="NAME:MARK:LO_MS:HI_MS",
                   help="NAME's last answer comes between MARK + LO_MS and MARK + HI_MS")
    p.add_argument("--only-vips", metavar="VIP,VIP", help="check only these VIPs")
    p.add_argument("--witness", metavar="IP",
                   help="an always-present address probed alongside the VIPs: its silences are "
                        "measurement blackouts (the client's path stalled), subtracted from VIP gaps")
    p.add_argument("--table", action="store_true", help="print the per-VIP table")
    p.add_argument("--max-tcp-gap-ms", type=float,
                   help="no sampled VIP without a TCP answer longer than this (as --max-gap-ms, "
                        "--gaps-after and the witness's blackouts apply)")
    p.add_argument("--tcp-all-answered", action="store_true",
                   help="every sampled VIP answered over TCP, and still at the end")
    a = p.parse_args()

    with open(a.json) as f:
        s = json.load(f)
    marks = load_marks(a.marks)
    start_ns = s["start_realtime_ns"]
    k = a.kind
    problems = []

    gap_floor = mark_ms(marks, a.gaps_after, start_ns) if a.gaps_after else None
    windows = []
    for lo, hi in a.split_allowed:
        windows.append((mark_ms(marks, lo, start_ns, "first"), mark_ms(marks, hi, start_ns) + a.split_grace_ms))

    blackouts = []
    if a.witness:
        w = [v for v in s["vips"] if v["vip"] == a.witness]
        s["vips"] = [v for v in s["vips"] if v["vip"] != a.witness]
        if w:
            blackouts = [(g["start_ms"], g["end_ms"]) for g in w[0]["arp"]["gaps"]]
            if blackouts:
                total = sum(e - b for b, e in blackouts)
                print(f"probe_check: note: the witness {a.witness} went unanswered {len(blackouts)} time(s), "
                      f"{total:.1f} ms in all (longest {max(e - b for b, e in blackouts):.1f} ms): the "
                      f"client's path stalled; that time is not counted in VIP gaps")

    def effective(start, end):
        """A gap's length minus the blackouts inside it."""
        hidden = sum(max(0.0, min(end, e) - max(start, b)) for b, e in blackouts)
        return end - start - hidden

    def blacked_out_at_end(entry):
        """The VIP's trailing silence lies inside a blackout that lasted to the end of the run."""
        tail = [g for g in entry["gaps"] if g["open"]]
        return bool(tail) and any(b <= tail[0]["start_ms"] + 5 and e >= tail[0]["end_ms"] - 5 for b, e in blackouts)

    if a.table:
        print_table(s, k, sys.stdout)

    if a.only_vips:
        keep = set(a.only_vips.split(","))
        unknown = keep - {v["vip"] for v in s["vips"]}
        if unknown:
            raise SystemExit(f"probe_check: --only-vips names VIPs not probed: {sorted(unknown)}")
        s["vips"] = [v for v in s["vips"] if v["vip"] in keep]

    def timing(spec, option):
        try:
            name, mark, lo, hi = spec.split(":")
            return name, mark_ms(marks, mark, start_ns), float(lo), float(hi)
        except ValueError:
            raise SystemExit(f"probe_check: {option} '{spec}': expected NAME:MARK:LO_MS:HI_MS")

    worst = (0.0, None)
    split_total = 0
    by_vip = {v["vip"]: v for v in s["vips"]}
    tcp_run = "tcp" in s
    if (k == "tcp" or a.max_tcp_gap_ms is not None or a.tcp_all_answered) and not tcp_run:
        raise SystemExit("probe_check: TCP checks asked for, but the probe ran without --tcp")

    def max_gap_problems(vip, e, bound, what):
        out = []
        for g in e["gaps"]:
            if gap_floor is not None and g["end_ms"] < gap_floor:
                continue
            if effective(g["start_ms"], g["end_ms"]) > bound:
                out.append(f"{vip}: {what}for {effective(g['start_ms'], g['end_ms']):.1f} ms "
                           f"({g['start_ms']:.1f}..{g['end_ms']:.1f}{' open' if g['open'] else ''}), "
                           f"bound {bound:.1f} ms")
        return out

    def all_answered_problems(vip, e, what):
        if e["replies"] == 0:
            return [f"{vip}: never answered{what}"]
        if not e["answered_at_end"] and not blacked_out_at_end(e):
            return [f"{vip}: unanswered{what} at the end (since {fmt(e['longest_gap']['start_ms'])} ms)"]
        return []

    tcp_worst = (0.0, None)
    for v in s["vips"]:
        t = v.get("tcp")
        if t is not None:
            if t["longest_gap_ms"] is not None and t["longest_gap_ms"] > tcp_worst[0]:
                tcp_worst = (t["longest_gap_ms"], v["vip"])
            if a.max_tcp_gap_ms is not None:
                problems += max_gap_problems(v["vip"], t, a.max_tcp_gap_ms, "no TCP answer ")
            if a.tcp_all_answered:
                problems += all_answered_problems(v["vip"], t, " over TCP")
        e = v.get(k)
        if e is None:
            if k != "tcp":
                problems.append(f"{v['vip']}: no {k} results (probe run without --icmp?)")
            continue
        if e["longest_gap_ms"] is not None and e["longest_gap_ms"] > worst[0]:
            worst = (e["longest_gap_ms"], v["vip"])
        if a.all_answered:
            problems += all_answered_problems(v["vip"], e, "")
        if a.max_gap_ms is not None:
            problems += max_gap_problems(v["vip"], e, a.max_gap_ms, "unanswered ")
        gap_vips = set(a.min_gap_vips.split(",")) if a.min_gap_vips else None
        if a.min_gap_ms is not None and e["replies"] > 0 and (gap_vips is None or v["vip"] in gap_vips) and not any(g["ms"] >= a.min_gap_ms for g in e["gaps"]):
            problems.append(f"{v['vip']}: no gap of {a.min_gap_ms:.1f} ms or more (was the fault applied?)")
        for sp in merge_splits(e["splits"], a.split_tolerance_ms or 0.0):
            if any(lo <= sp["start_ms"] and sp["end_ms"] <= hi for lo, hi in windows):
                continue
            split_total += 1
            if a.split_tolerance_ms is not None and sp["ms"] <= a.split_tolerance_ms:
                print(f"probe_check: note: {v['vip']}: {' and '.join(sp['names'])} both answered for "
                      f"{sp['ms']:.1f} ms ({sp['start_ms']:.1f}..{sp['end_ms']:.1f}), within the "
                      f"{a.split_tolerance_ms:.1f} ms election tolerance")
                continue
            if a.no_split:
                problems.append(f"{v['vip']}: split brain, {' and '.join(sp['names'])} both answered "
                                f"{sp['start_ms']:.1f}..{sp['end_ms']:.1f} ms")
        for spec in a.takeover:
            name, at, lo, hi = timing(spec, "--takeover")
            starts = [r["start_ms"] for r in e["runs"] if r["name"] == name and r["start_ms"] >= at]
            if not starts:
                problems.append(f"{v['vip']}: {name} never answered after the mark")
            elif not (at + lo <= min(starts) <= at + hi):
                problems.append(f"{v['vip']}: {name} took over {min(starts) - at:.1f} ms after the mark, "
                                f"expected {lo:.0f}..{hi:.0f} ms")
        for spec in a.leave:
            name, at, lo, hi = timing(spec, "--leave")
            ends = [r["end_ms"] for r in e["runs"] if r["name"] == name]
            if not ends:
                problems.append(f"{v['vip']}: {name} never answered")
            elif not (at + lo <= max(ends) <= at + hi):
                problems.append(f"{v['vip']}: {name} last answered {max(ends) - at:.1f} ms after the mark, "
                                f"expected {lo:.0f}..{hi:.0f} ms")
    for spec in a.holder:
        vip, _, name = spec.partition("=")
        e = by_vip.get(vip, {}).get(k)
        if e is None:
            problems.append(f"--holder {spec}: VIP not probed")
            continue
        runs = sorted(e["runs"], key=lambda r: r["end_ms"])
        last = runs[-1]["name"] if runs and e["answered_at_end"] else None
        if last != name:
            problems.append(f"{vip}: answered by {last or 'nobody'} at the end, expected {name}")
    for spec in a.answered_by:
        vip, _, names = spec.partition("=")
        e = by_vip.get(vip, {}).get(k)
        got = sorted({m["name"] for m in e.get("macs", e.get("nodes", []))}) if e else []
        if got != sorted(names.split(",")):
            problems.append(f"{vip}: answered by {got}, expected {sorted(names.split(','))}")

    print(f"probe_check: {len(s['vips'])} VIPs over {s['duration_ms'] / 1000:.1f} s ({k}): worst gap "
          f"{worst[0]:.1f} ms ({worst[1] or '-'}), {split_total} split(s) outside allowed windows")
    if tcp_run:
        n = sum(1 for v in s["vips"] if "tcp" in v)
        print(f"probe_check: TCP to port {s['tcp']['port']} of {n} sampled VIPs: worst gap "
              f"{tcp_worst[0]:.1f} ms ({tcp_worst[1] or '-'})")
    for msg in problems:
        print(f"probe_check: FAIL: {msg}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
