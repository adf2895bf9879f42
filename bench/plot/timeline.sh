#!/usr/bin/env bash
# Timeline PNG of one failover: which node answered each VIP's ARP requests over time, as the
# client saw it (xvrrp-probe --timeline CSV: vip,kind,mac,name,start_ms,end_ms,replies). One
# horizontal bar per answering run, coloured by node; white is silence; a vertical line marks each
# lab fault (cable pull, restore). Time is relative to the first cable pull (or restart command).
#
#   bench/plot/timeline.sh TIMELINE_CSV MARKS OUT_PNG [TITLE [XMIN_MS XMAX_MS]]
#
# XMIN_MS/XMAX_MS (relative to the pull) zoom in on the failover; default: the whole probe run.
# TIMELINE_KIND=tcp draws the TCP answers instead (xvrrp-probe --tcp: which node's listener
# answered each sampled VIP's connections).
#
# The probe's JSON summary next to the CSV (NAME.json for NAME-timeline.csv) gives the probe's
# start on the marks' clock. Needs gnuplot (gnuplot-nox from Debian).
set -euo pipefail
csv=${1:?timeline CSV}
marks=${2:?marks file}
png=${3:?output PNG}
title=${4:-failover timeline}
xmin=${5:-}
xmax=${6:-}
json=${csv%-timeline.csv}.json
for f in "$csv" "$marks" "$json"; do [ -f "$f" ] || { echo "timeline.sh: $f not found" >&2; exit 1; }; done
command -v gnuplot >/dev/null || { echo "timeline.sh: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# Data per node (x0 y dx) and the mark times, relative to the first cable pull (else probe start).
"$py" - "$csv" "$marks" "$json" "$tmp" "$xmin" "$xmax" "${TIMELINE_KIND:-arp}" <<'EOF'
import csv, json, os, sys
csv_path, marks_path, json_path, out, xmin, xmax, kind = sys.argv[1:8]
start_ns = json.load(open(json_path))["start_realtime_ns"]
marks = []
for line in open(marks_path):
    p = line.split()
    if len(p) == 2:
        marks.append((p[0], (int(p[1]) - start_ns) / 1e6))
# The lab's witness (the bridge's own address, 192.0.2.254) is not a VIP: left out.
rows = [r for r in csv.DictReader(open(csv_path)) if r["kind"] == kind and r["vip"] != "192.0.2.254"]
# The marks file holds every repetition of the lab: take the pull inside this probe's run.
end_ms = max((float(r["end_ms"]) for r in rows), default=0.0)
# bench_pull marks "pull_cmd" just before the command; the lab's "cable_pull" lands after it returns.
pulls = [(t, name) for name, t in marks if name.startswith("pull_cmd") and 0 <= t <= end_ms] or \
        [(t, name) for name, t in marks if name.startswith("cable_pull") and 0 <= t <= end_ms]
zero, xlabel = 0.0, "ms since the probe started"
restarts = [t for name, t in marks if name.startswith("restart_cmd") and 0 <= t <= end_ms]
if restarts and not pulls:
    zero, xlabel = restarts[0], "ms relative to the restart command (S7)"
if pulls:
    zero, xlabel = pulls[0][0], "ms relative to the cable pull command"
    # `ip link set down` can take effect a second after the command on the loaded machine: the
    # pulled node's last answer is the moment its cable really went.
    pulled = pulls[0][1].rsplit("_", 1)[-1]
    last = [float(r["end_ms"]) for r in rows if r["name"] == pulled and float(r["end_ms"]) >= zero]
    if last:
        zero, xlabel = max(last), f"ms relative to {pulled}'s last answer (its cable pulled)"
vips = sorted({r["vip"] for r in rows}, key=lambda v: tuple(int(x) for x in v.split(".")))
index = {v: i + 1 for i, v in enumerate(vips)}
names = sorted({r["name"] for r in rows})
t_min = min((float(r["start_ms"]) for r in rows), default=0.0) - zero
t_max = max((float(r["end_ms"]) for r in rows), default=1.0) - zero
if xmin:
    t_min = max(t_min, float(xmin))
if xmax:
    t_max = min(t_max, float(xmax))

with open(os.path.join(out, "nodes"), "w") as f:
    f.write(" ".join(names) + "\n")
# One pixel row per VIP when there are many (540 plot rows): thick lines would paint over
# their neighbours and hide who answered.
with open(os.path.join(out, "lw"), "w") as f:
    f.write(f"{max(0.5, min(3.0, 400.0 / max(1, len(vips)))):.2f}\n")
for n in names:
    with open(os.path.join(out, f"node-{n}.dat"), "w") as f:
        for r in rows:
            if r["name"] == n:
                x0, x1 = float(r["start_ms"]) - zero, float(r["end_ms"]) - zero
                # A run of one reply has no length: draw it 1 ms wide so it shows.
                f.write(f"{x0:.3f} {index[r['vip']]} {max(x1 - x0, 1.0):.3f}\n")
with open(os.path.join(out, "marks.gp"), "w") as f:
    for i, (name, t) in enumerate(marks):
        if t_min <= t - zero <= t_max:
            f.write(f'set arrow {i + 1} from {t - zero:.3f}, graph 0 to {t - zero:.3f}, graph 1 nohead dt 2 lc rgb "black"\n')
            f.write(f'set label {i + 1} "{name}" at {t - zero:.3f}, graph 1.02 center font ",8" noenhanced\n')
with open(os.path.join(out, "range.gp"), "w") as f:
    f.write(f'set xlabel "{xlabel}"\n')
    f.write(f"set xrange [{t_min:.3f}:{t_max:.3f}]\nset yrange [0:{len(vips) + 1}]\n")
    f.write(f'set ylabel "VIP ({vips[0] if vips else "-"} .. {vips[-1] if vips else "-"}, {len(vips)})"\n')
EOF

read -r -a nodes <"$tmp/nodes"
read -r lw <"$tmp/lw"
[ "${#nodes[@]}" -gt 0 ] || { echo "timeline.sh: $csv has no ${TIMELINE_KIND:-arp} answers" >&2; exit 1; }
colours=("#1f77b4" "#d62728" "#2ca02c" "#ff7f0e" "#9467bd" "#8c564b")
plot=""
for i in "${!nodes[@]}"; do
  plot+="${plot:+, }'$tmp/node-${nodes[$i]}.dat' using 1:2:3:(0) with vectors nohead lw $lw lc rgb '${colours[$((i % 6))]}' title '${nodes[$i]}'"
done
gnuplot <<EOF
set terminal pngcairo size 1400,800 font ",10"
set output '$png'
set title "${title//\"/\'}" offset 0,1 noenhanced
set key outside right top noenhanced
set grid xtics
load '$tmp/range.gp'
load '$tmp/marks.gp'
plot $plot
EOF
echo "timeline.sh: wrote $png" >&2
