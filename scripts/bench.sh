#!/usr/bin/env bash
# Benchmarks: xvrrpd against keepalived 2.2.7 in the same lab, one after the other, configured
# from the same OPENSHIFT_HA_* / XVRRP_* environment (issue 7). As root:
#
#   scripts/bench.sh [--smoke] [--reps N] [--kinds "xvrrpd keepalived"] [--out DIR] [SCENARIO...]
#
# SCENARIO is S1..S7 (bench/scenarios/S*.sh; default: all, in the order S1 S2 S6 S7 S3 S5 S4).
# Writes DIR/<scenario>.json (every repetition's facts, medians, ratios, target verdicts),
# DIR/<scenario>.md (the table: target | xvrrp | keepalived), a PNG timeline per failover
# scenario and kind (bench/plot/timeline.sh), and DIR/summary.md with every table. DIR defaults
# to bench/results (bench/README.md shows the latest tables).
#
# --smoke: tiny runs (S1 unless scenarios are named, a few seconds, 2 repetitions per kind unless
# --reps, results to a temporary directory unless --out is given) so the benchmark code keeps
# working; scripts/test.sh runs them through ctest label bench-smoke (S1, and S7 with --reps 1).
# Exit 0 when every repetition produced a sane result.
#
# Binaries: LAB_BIN_DIR (xvrrpd, xvrrp-probe), default <repo>/build/bin. BENCH_WORK keeps the raw
# per-repetition files (probe JSON, timelines, daemon logs) in that directory instead of a
# temporary one that is removed at the end.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

smoke=0
reps=""
kinds="xvrrpd keepalived"
out=""
scenarios=()
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1; shift ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --kinds) kinds=${2:?--kinds needs a list}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "bench.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[[ -z $reps || $reps =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --reps '$reps': expected a positive number" >&2; exit 2; }
for k in $kinds; do
  case $k in xvrrpd | keepalived) ;; *) echo "bench.sh: --kinds: unknown kind '$k' (xvrrpd, keepalived)" >&2; exit 2 ;; esac
done
if [ "${#scenarios[@]}" = 0 ]; then
  if [ "$smoke" = 1 ]; then scenarios=(S1); else scenarios=(S1 S2 S6 S7 S3 S5 S4); fi
fi
for s in "${scenarios[@]}"; do
  [ -f "bench/scenarios/$s.sh" ] || { echo "bench.sh: unknown scenario '$s' (bench/scenarios/ has: $(cd bench/scenarios && ls S*.sh | sed 's/\.sh//' | tr '\n' ' '))" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root (network namespaces, XDP)" >&2; exit 1; }

export LAB_BIN_DIR=${LAB_BIN_DIR:-$repo/build/bin}
needed=(xvrrp-probe)
[[ " $kinds " == *" xvrrpd "* ]] && needed+=(xvrrpd)
for bin in "${needed[@]}"; do
  [ -x "$LAB_BIN_DIR/$bin" ] || { echo "bench.sh: $LAB_BIN_DIR/$bin is not built (set LAB_BIN_DIR)" >&2; exit 1; }
done
command -v keepalived >/dev/null || { echo "bench.sh: keepalived is not installed (scripts/install-deps.sh)" >&2; exit 1; }

tmp_out=0
if [ -z "$out" ]; then
  if [ "$smoke" = 1 ]; then out=$(mktemp -d /tmp/xvrrp-bench-smoke.XXXXXX); tmp_out=1; else out=$repo/bench/results; fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "${BENCH_WORK:-}" ]; then
  work=$BENCH_WORK
  mkdir -p "$work"
  keep_work=1
else
  work=$(mktemp -d /tmp/xvrrp-bench-work.XXXXXX)
  keep_work=0
fi
# A smoke run's own result directory goes too (every ctest run left one behind), unless the raw
# files are kept.
trap '[ "$keep_work" = 1 ] || rm -rf "$work"; [ "$tmp_out" = 0 ] || [ "$keep_work" = 1 ] || rm -rf "$out"' EXIT

BENCH_LIB_DIR=$repo/bench/lib
BENCH_OUT=$out  # S5 compares with the latest S2 there
export BENCH_LIB_DIR BENCH_OUT
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# What the figures ran on: the table is meaningless without it on a shared 2-core machine.
machine_json() {
  "$PY" - "$LAB_BIN_DIR/xvrrpd" <<'EOF'
import json, os, platform, subprocess, sys
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip() or \
               subprocess.run(cmd, capture_output=True, text=True, timeout=10).stderr.strip()
    except Exception as e:
        return f"unknown ({e})"
model = "unknown"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip(); break
mem = 0
with open("/proc/meminfo") as f:
    for line in f:
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) // 1024 // 1024
kav = (run("keepalived", "--version").splitlines() or ["unknown"])[0]
rev = run("git", "rev-parse", "--short", "HEAD")
d = {"cpu": model, "cores": os.cpu_count(), "mem_gib": mem, "kernel": platform.release(),
     "keepalived": kav, "xvrrpd": run(sys.argv[1], "--version") if os.access(sys.argv[1], os.X_OK) else "not built", "git": rev,
     "loadavg_at_start": open("/proc/loadavg").read().split()[:3]}
d["summary"] = (f"{d['cores']} x {model}, {mem} GiB, Linux {d['kernel']}, {kav}, {d['xvrrpd']} ({rev}), "
                f"load average at start {' '.join(d['loadavg_at_start'])}")
print(json.dumps(d))
EOF
}

# run_kind SCENARIO KIND REPS: one lab, REPS repetitions of the scenario for KIND. Runs in its own
# subshell (its lab's traps remove namespaces and processes on every exit path); each repetition
# runs in a further subshell so one failing repetition is recorded and the next one still runs.
run_kind() {
  local s=$1 kind=$2 n=$3
  (
    # A failing command inside a repetition fails that repetition, not the run (see below).
    set +e
    source tests/lab/lab.sh
    source bench/lib/bench_lib.sh
    source "bench/scenarios/$s.sh"
    LAB_QUIET=${LAB_QUIET:-1}
    lab_init "b${s}${kind:0:1}"
    # shellcheck disable=SC2153  # SCENARIO_* come from the scenario file
    LAB_NODE_OCTETS=${SCENARIO_OCTETS:-} lab_up "$SCENARIO_NODES"
    bench_lab_tune
    scenario_env
    local r i
    for ((r = 1; r <= n; r++)); do
      BENCH_REP_DIR="$work/$s/$kind/rep$(printf '%02d' "$r")"
      mkdir -p "$BENCH_REP_DIR"
      : >"$BENCH_REP_DIR/facts.tsv"
      echo "bench: $s $kind repetition $r/$n (load $(bench_loadavg))" >&2
      local status=0
      # The repetition's own messages go to rep.log too: its last line says why it failed.
      ( scenario_rep "$kind" "$r" ) 2> >(tee "$BENCH_REP_DIR/rep.log" >&2) || status=$?
      if [ "$status" != 0 ]; then
        sleep 0.2  # let tee finish writing
        bench_fact_str error "$(grep -v '^lab: [^E]' "$BENCH_REP_DIR/rep.log" | tail -n 2 | tr '\n"\\\t' '    ' | cut -c1-400)"
        echo "bench: $s $kind repetition $r FAILED (exit $status)" >&2
      fi
      # Whatever the repetition left behind: probes, daemons, pulled cables.
      for f in "$LAB_DIR"/probe-*.pid; do
        [ -f "$f" ] && { kill -KILL "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }
      done
      bench_cluster_stop
      bench_flush_vips
      for ((i = 1; i <= LAB_NODES; i++)); do ip -n "$(lab_bridge_ns)" link set "n$i" up; done
      lab_heal >/dev/null 2>&1 || true
      bench_save_logs
      cp "$LAB_DIR"/probe-*.log "$BENCH_REP_DIR/" 2>/dev/null || true
    done
  )
}

ran=()
for s in "${scenarios[@]}"; do
  (
    source tests/lab/lab.sh
    source bench/lib/bench_lib.sh
    source "bench/scenarios/$s.sh"
    n=${reps:-$SCENARIO_REPS}
    [ "$smoke" = 1 ] && n=${reps:-2}
    export BENCH_SMOKE=$smoke
    mkdir -p "$work/$s"
    scenario_env
    # spec.json: what aggregate needs besides the facts (targets, the environment, the machine).
    "$PY" - "$work/$s/spec.json" "$s" "$SCENARIO_TITLE" "$smoke" "$(machine_json)" \
      "$(printf '%s\n' "${BENCH_ENV[@]}")" "$(printf '%s\n' "${SCENARIO_TARGETS[@]}")" \
      "$(printf '%s\n' "${SCENARIO_INFO[@]}")" <<'EOF'
import json, sys, time
path, s, title, smoke, machine, env, targets, info = sys.argv[1:9]
def parse(lines, with_target):
    out = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        f = line.split("|")
        if with_target:
            metric, agg, op, bound, label = f
            out.append({"metric": metric, "agg": agg, "op": op, "bound": float(bound), "label": label})
        else:
            metric, agg, label = f
            out.append({"metric": metric, "agg": agg, "label": label})
    return out
json.dump({"scenario": s, "title": title, "smoke": smoke == "1", "machine": json.loads(machine),
           "environment": [l for l in env.splitlines() if l],
           "targets": parse(targets, True), "info": parse(info, False),
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, open(path, "w"), indent=1)
EOF
    if declare -F scenario_run_all >/dev/null; then
      # A scenario that is not a daemon comparison in the lab (S4 calls helper D's XDP tool).
      BENCH_REP_DIR="$work/$s" scenario_run_all "$n"
    else
      for kind in $kinds; do run_kind "$s" "$kind" "$n" || echo "bench: $s $kind: lab failed" >&2; done
    fi
    "$PY" - "$work/$s/spec.json" <<'EOF'
import json, sys, time
p = sys.argv[1]; d = json.load(open(p))
d["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
d["machine"]["loadavg_at_end"] = open("/proc/loadavg").read().split()[:3]
json.dump(d, open(p, "w"), indent=1)
EOF
    "$PY" bench/lib/analyze.py aggregate "$work" "$s" "$out" >/dev/null
    if [ "${SCENARIO_PLOT:-0}" = 1 ]; then
      for kind in $kinds; do
        # The plot shows the last repetition that has a failover timeline, zoomed on the
        # failover when the scenario gives a range (SCENARIO_PLOT_RANGE="MIN_MS MAX_MS").
        csv=""
        for c in "$work/$s/$kind"/rep*/failover-timeline.csv; do
          [ -f "$c" ] && [ -f "${c%-timeline.csv}.json" ] && [ -f "$(dirname "$c")/marks" ] && csv=$c
        done
        [ -n "$csv" ] || continue
        # shellcheck disable=SC2086  # two numbers or nothing
        bash bench/plot/timeline.sh "$csv" "$(dirname "$csv")/marks" "$out/$s-$kind.png" \
          "$s $kind ($(basename "$(dirname "$csv")")): $SCENARIO_TITLE" ${SCENARIO_PLOT_RANGE:-} ||
          echo "bench: plot for $s $kind failed" >&2
        # The client's TCP view beside it, when the probe ran with --tcp.
        if [ "${SCENARIO_PLOT_TCP:-0}" = 1 ] && grep -q ',tcp,' "$csv"; then
          # shellcheck disable=SC2086
          TIMELINE_KIND=tcp bash bench/plot/timeline.sh "$csv" "$(dirname "$csv")/marks" "$out/$s-$kind-tcp.png" \
            "$s $kind ($(basename "$(dirname "$csv")")), TCP: $SCENARIO_TITLE" ${SCENARIO_PLOT_RANGE:-} ||
            echo "bench: TCP plot for $s $kind failed" >&2
        fi
      done
    fi
    cat "$out/$s.md"
  ) || { echo "bench: scenario $s failed" >&2; continue; }
  ran+=("$s")
done

# summary.md: every table of this run (and of earlier runs for scenarios not re-run now).
{
  echo "# xvrrp benchmark tables"
  echo
  for f in "$out"/S*.md; do [ -f "$f" ] && { cat "$f"; echo; }; done
} >"$out/summary.md"

if [ "$smoke" = 1 ]; then
  # Sane: every repetition of both kinds produced its scenario's key figures within wide bounds
  # (S1: the failover gap; S7: the ARP and TCP gaps around the restart, its state changes).
  for s in "${scenarios[@]}"; do
    "$PY" - "$out/$s.json" "$kinds" "${reps:-2}" "$s" <<'EOF' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
sane = {"S1": {"gap_ms": (1, 2000)},
        # A figure at all: keepalived's 254-group cluster at 100 ms may not settle here, and its
        # restart gaps then run to tens of seconds.
        "S7": {"restart_worst_gap_ms": (0, 600000), "restart_tcp_worst_gap_ms": (0, 600000),
               "peer_changes": (0, 1000000)}}.get(sys.argv[4], {})
bad, seen = [], []
for kind in sys.argv[2].split():
    reps = d["raw"][kind]
    if len(reps) < int(sys.argv[3]):
        bad.append(f"{kind}: {len(reps)} of {sys.argv[3]} repetitions ran")
    for r in reps:
        if "error" in r:
            bad.append(f"{kind} {r['_rep']}: {r['error']}")
            continue
        for key, (lo, hi) in sane.items():
            g = r.get(key)
            if not isinstance(g, (int, float)) or not (lo <= g <= hi):
                bad.append(f"{kind} {r['_rep']}: {key} {g!r} is not a sane figure")
        seen.append(f"{kind} " + " ".join(f"{k}={r.get(k)}" for k in sane))
for b in bad:
    print(f"bench.sh --smoke: {sys.argv[4]}: FAIL: {b}")
if not bad:
    print(f"bench.sh --smoke: {sys.argv[4]} ok: " + "; ".join(seen))
sys.exit(1 if bad else 0)
EOF
  done
fi
[ "${#ran[@]}" -gt 0 ] || exit 1
if [ "$keep_work" = 1 ]; then echo "bench: results in $out (summary.md), raw files in $work" >&2; else echo "bench: results in $out (summary.md)" >&2; fi
