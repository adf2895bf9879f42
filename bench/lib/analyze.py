#!/usr/bin/env python3
"""Benchmark arithmetic for scripts/bench.sh (no measuring here, only reading what was measured).

  analyze.py gaps PROBE_JSON MARKS MARK [--vips V,V] [--kind arp|tcp]
      Facts about one probe run around one lab mark (a cable pull, a start), printed as
      "KEY<TAB>JSON" lines for bench_fact: per-VIP failover gap (the longest silence ending after
      the mark), which VIPs moved to another node, split-brain episodes after the mark, VIPs not
      answered at the end, and the time from the mark until every VIP had answered once.
      --kind tcp: the same from the sampled VIPs' TCP answers (xvrrp-probe --tcp), by node name.

  analyze.py changes KIND STATE_LOG OFFSET
      State changes a node's daemon logged after byte OFFSET of STATE_LOG (keepalived: its log's
      "(INSTANCE) Entering STATE STATE" lines; xvrrpd: its events file), counting only entries
      whose new state differs from the state the instance had (from everything logged before):
      a restarted daemon that logs INIT -> MASTER for a group it mastered before the restart made
      no change. Prints changes, entries and (xvrrpd) first_event_ns, the first entry's time.

  analyze.py aggregate WORK_DIR SCENARIO OUT_DIR
      Reads WORK_DIR/SCENARIO/<kind>/rep*/facts.tsv and WORK_DIR/SCENARIO/spec.json (targets and
      informational metrics from bench/scenarios/SCENARIO.sh, machine facts) and writes
      OUT_DIR/SCENARIO.json and OUT_DIR/SCENARIO.md: per metric the median over repetitions (with
      min, max, n) for xvrrpd and keepalived, their ratio, and whether xvrrpd meets the target.
"""
import argparse
import json
import os
import statistics
import sys

KINDS = ("xvrrpd", "keepalived")


def load_marks(path):
    marks = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                marks.append((parts[0], int(parts[1])))
    return marks


def mark_ms(marks, label, start_ns):
    hits = [ns for name, ns in marks if name.startswith(label)]
    if not hits:
        raise SystemExit(f"analyze: no mark '{label}' in {[m for m, _ in marks]}")
    return (hits[-1] - start_ns) / 1e6


def merged_splits(splits, within_ms):
    """Overlap episodes no further apart than within_ms are one episode (nodes flapping in turn)."""
    out = []
    for sp in sorted(splits, key=lambda x: x["start_ms"]):
        if out and sp["start_ms"] - out[-1][1] <= within_ms:
            out[-1][1] = max(out[-1][1], sp["end_ms"])
        else:
            out.append([sp["start_ms"], sp["end_ms"]])
    return out


def main_answerer(runs, lo_ms, hi_ms):
    """The name that answered most of [lo_ms, hi_ms] (runs overlap during split brain)."""
    cover = {}
    for r in runs:
        overlap = min(r["end_ms"], hi_ms) - max(r["start_ms"], lo_ms)
        if overlap >= 0:
            cover[r["name"]] = cover.get(r["name"], 0.0) + overlap + 0.001
    return max(cover, key=cover.get) if cover else None


def cmd_gaps(a):
    with open(a.probe) as f:
        s = json.load(f)
    at = mark_ms(load_marks(a.marks), a.mark, s["start_realtime_ns"])
    keep = set(a.vips.split(",")) if a.vips else None
    kind = a.kind
    tol = (s.get("tcp", {}).get("interval_ms", 5.0) if kind == "tcp" else s.get("interval_ms", 1.0)) * 3
    mdi = {}
    if a.mdi_file:
        with open(a.mdi_file) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    mdi[parts[0]] = float(parts[1])
    over_mdi = []
    per_vip, moved, moved_gaps, still_gaps = {}, [], [], []
    first_after, never, unanswered_end, split_eps, split_ms = [], [], [], 0, 0.0
    takers = set()
    witness_gap = None
    for v in s["vips"]:
        if v["vip"] == a.witness:
            # The lab's witness (the bridge's own address): when it goes unanswered too, the
            # client's path stalled (softirq starved on the busy machine), not the daemons.
            wg = [g["ms"] for g in v["arp"]["gaps"] if g["end_ms"] > at]
            witness_gap = round(max(wg), 3) if wg else 0.0
            continue
        if keep is not None and v["vip"] not in keep:
            continue
        e = v.get(kind)
        if e is None:
            continue  # TCP: not a sampled VIP
        gaps = [g["ms"] for g in e["gaps"] if g["end_ms"] > at]
        gap = max(gaps) if gaps else 0.0
        per_vip[v["vip"]] = round(gap, 3)
        after = [r["start_ms"] for r in e["runs"] if r["end_ms"] >= at]
        if e["replies"] == 0 or not after:
            never.append(v["vip"])
        else:
            first_after.append(max(0.0, min(after) - at))
        if not e["answered_at_end"]:
            unanswered_end.append(v["vip"])
        before = main_answerer(e["runs"], at - 300, at)
        end = main_answerer(e["runs"], s["duration_ms"] - 300, s["duration_ms"])
        if before is not None and end is not None and before != end:
            moved.append(v["vip"])
            moved_gaps.append(gap)
            takers.add(end)
            if v["vip"] in mdi:
                over_mdi.append(gap - mdi[v["vip"]])
        else:
            still_gaps.append(gap)
        eps = merged_splits([sp for sp in e["splits"] if sp["end_ms"] >= at], tol)
        split_eps += len(eps)
        split_ms += sum(hi - lo for lo, hi in eps)

    def emit(key, value):
        print(f"{key}\t{json.dumps(value)}")

    vals = list(per_vip.values())
    emit("worst_gap_ms", round(max(vals), 3) if vals else None)
    emit("median_gap_ms", round(statistics.median(vals), 3) if vals else None)
    emit("moved_vips", len(moved))
    emit("moved_gap_max_ms", round(max(moved_gaps), 3) if moved_gaps else None)
    emit("moved_gap_median_ms", round(statistics.median(moved_gaps), 3) if moved_gaps else None)
    if a.mdi_file:
        # Per moved VIP: its gap minus the Master_Down_Interval of the node that took it over.
        emit("moved_gap_over_mdi_max_ms", round(max(over_mdi), 3) if over_mdi else None)
        emit("moved_gap_over_mdi_median_ms", round(statistics.median(over_mdi), 3) if over_mdi else None)
        emit("moved_without_mdi", len(moved) - len(over_mdi))
    emit("unmoved_gap_max_ms", round(max(still_gaps), 3) if still_gaps else None)
    emit("takers", sorted(takers))
    emit("split_episodes", split_eps)
    emit("split_ms", round(split_ms, 3))
    emit("never_answered", len(never))
    emit("unanswered_at_end", len(unanswered_end))
    # Time from the mark until the last VIP answered for the first time (start-up), or None.
    emit("all_answered_ms", round(max(first_after), 3) if first_after and not never else None)
    emit("witness_gap_ms", witness_gap)
    # The probe's own losses: requests the kernel refused to send, replies its receive queue
    # dropped. A measurement that lost either may show gaps no daemon made.
    emit("probe_send_shortfall", s.get("send_shortfall"))
    emit("probe_receive_dropped", s.get("receive_dropped"))
    emit("per_vip_gap_ms", per_vip if len(per_vip) <= 300 else {})


def cmd_changes(a):
    import re
    from datetime import datetime
    state, changes, entries, first_ns = {}, 0, 0, None
    entering = re.compile(r"\((\S+)\) Entering ([A-Z]+) STATE")
    with open(a.log, "rb") as f:
        data = f.read()
    for at, raw in ((0, data[:a.offset]), (1, data[a.offset:])):
        for line in raw.decode(errors="replace").splitlines():
            if a.kind == "keepalived":
                m = entering.search(line)
                if not m:
                    continue
                inst, to, when = m.group(1), m.group(2), None
            else:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(e, dict) or "instance" not in e or "to" not in e:
                    continue
                inst, to, when = e["instance"], e["to"], e.get("time")
            if at == 1:
                entries += 1
                if state.get(inst) != to:
                    changes += 1
                if first_ns is None and when:
                    t = datetime.fromisoformat(when.replace("Z", "+00:00"))
                    first_ns = int(t.timestamp() * 1e9)
            state[inst] = to
    print(f"changes\t{changes}")
    print(f"entries\t{entries}")
    print(f"first_event_ns\t{json.dumps(first_ns)}")


def read_facts(path):
    facts = {}
    with open(path) as f:
        for line in f:
            if "\t" not in line:
                continue
            key, value = line.rstrip("\n").split("\t", 1)
            try:
                facts[key] = json.loads(value)
            except ValueError:
                facts[key] = value
    return facts


def agg(values, how):
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not nums:
        return None
    if how == "median":
        return statistics.median(nums)
    if how == "max":
        return max(nums)
    if how == "min":
        return min(nums)
    if how == "sum":
        return sum(nums)
    raise SystemExit(f"analyze: unknown aggregation '{how}'")


def meets(value, op, bound):
    if value is None:
        return None
    return {"<=": value <= bound, ">=": value >= bound, "==": value == bound,
            "<": value < bound, ">": value > bound}[op]


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.2f}"
    return str(v)


def cmd_aggregate(a):
    base = os.path.join(a.work, a.scenario)
    with open(os.path.join(base, "spec.json")) as f:
        spec = json.load(f)
    reps = {}
    for kind in KINDS:
        kdir = os.path.join(base, kind)
        reps[kind] = []
        if not os.path.isdir(kdir):
            continue
        for rep in sorted(os.listdir(kdir)):
            fp = os.path.join(kdir, rep, "facts.tsv")
            if os.path.isfile(fp):
                facts = read_facts(fp)
                facts["_rep"] = rep
                reps[kind].append(facts)

    rows = []
    for item in spec["targets"] + spec["info"]:
        metric, how = item["metric"], item["agg"]
        row = {"metric": metric, "label": item["label"], "agg": how}
        if "op" in item:
            row.update(op=item["op"], bound=item["bound"])
        for kind in KINDS:
            vals = [r.get(metric) for r in reps[kind] if metric in r]
            nums = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
            row[kind] = {"value": agg(vals, how), "n": len(nums),
                         "min": min(nums) if nums else None, "max": max(nums) if nums else None,
                         "missing": len(reps[kind]) - len(nums)}
        x, k = row["xvrrpd"]["value"], row["keepalived"]["value"]
        row["ratio"] = round(x / k, 3) if x is not None and k not in (None, 0) else None
        if "op" in item:
            row["xvrrpd_meets"] = meets(x, item["op"], item["bound"])
            row["keepalived_meets"] = meets(k, item["op"], item["bound"])
        rows.append(row)

    failures = {kind: [{"rep": r["_rep"], "error": r["error"]} for r in reps[kind] if "error" in r]
                for kind in KINDS}
    notes = {kind: sorted({r["note"] for r in reps[kind] if "note" in r}) for kind in KINDS}
    result = {"scenario": a.scenario, "title": spec["title"], "machine": spec["machine"],
              "started": spec.get("started"), "finished": spec.get("finished"), "smoke": spec.get("smoke", False),
              "environment": spec["environment"], "repetitions": {k: len(reps[k]) for k in KINDS},
              "rows": rows, "failed_repetitions": failures, "notes": notes,
              "raw": {k: reps[k] for k in KINDS}}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"{a.scenario}.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=False)
        f.write("\n")

    lines = [f"### {a.scenario}: {spec['title']}", ""]
    lines.append(f"Repetitions: xvrrpd {len(reps['xvrrpd'])}, keepalived {len(reps['keepalived'])}; "
                 f"{spec['started']} .. {spec.get('finished', '?')}; {spec['machine']['summary']}"
                 + (" **(smoke run: not a result)**" if spec.get("smoke") else ""))
    lines.append("")
    lines.append("| metric | target | xvrrp | keepalived | xvrrp / keepalived | xvrrp meets target |")
    lines.append("|---|---|---|---|---|---|")
    for row in rows:
        target = f"{row['agg']} {row['op']} {fmt(row['bound'])}" if "op" in row else "(info)"

        def cell(kind):
            c = row[kind]
            if c["value"] is None:
                return "not measured" if not reps[kind] else "n/a"
            spread = f" ({fmt(c['min'])}..{fmt(c['max'])}, n={c['n']})" if c["n"] > 1 else ""
            return fmt(c["value"]) + spread

        verdict = "-"
        if "op" in row:
            verdict = {True: "yes", False: "**NO**", None: "not measured"}[row["xvrrpd_meets"]]
        lines.append(f"| {row['label']} | {target} | {cell('xvrrpd')} | {cell('keepalived')} | "
                     f"{fmt(row['ratio'])} | {verdict} |")
    for kind in KINDS:
        for fail in failures[kind]:
            lines.append(f"\n{kind} {fail['rep']} failed: {fail['error']}")
        for note in notes[kind]:
            lines.append(f"\n{kind}: {note}")
    with open(os.path.join(a.out, f"{a.scenario}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gaps")
    g.add_argument("probe")
    g.add_argument("marks")
    g.add_argument("mark")
    g.add_argument("--vips")
    g.add_argument("--witness", default="192.0.2.254",
                   help="the lab's witness address (tests/lab/lab.sh LAB_WITNESS_IP): not a VIP")
    g.add_argument("--mdi-file", help="'VIP MDI_MS' lines: gaps of moved VIPs minus their MDI")
    g.add_argument("--kind", choices=["arp", "tcp"], default="arp")
    g.set_defaults(func=cmd_gaps)
    c = sub.add_parser("changes")
    c.add_argument("kind", choices=KINDS)
    c.add_argument("log")
    c.add_argument("offset", type=int)
    c.set_defaults(func=cmd_changes)
    ag = sub.add_parser("aggregate")
    ag.add_argument("work")
    ag.add_argument("scenario")
    ag.add_argument("out")
    ag.set_defaults(func=cmd_aggregate)
    a = p.parse_args()
    return a.func(a) or 0


if __name__ == "__main__":
    sys.exit(main())
