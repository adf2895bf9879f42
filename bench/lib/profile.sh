#!/usr/bin/env bash
# Where does a daemon's CPU go in a benchmark scenario? Starts the scenario's cluster in the lab
# (as scripts/bench.sh does), waits for steady state, then records each node's daemon with
# `perf record -g` for a while and prints the top of `perf report` per node (and the daemon's own
# state changes in that window, which cost more than any steady-state path).
#
#   bench/lib/profile.sh [--kind xvrrpd|keepalived] [--seconds N] [--out DIR] [SCENARIO]
#
# SCENARIO defaults to S2. Needs perf (linux-perf) and root. LAB_BIN_DIR as for bench.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
kind=xvrrpd
secs=15
out=""
scenario=S2
while [ $# -gt 0 ]; do
  case $1 in
    --kind) kind=${2:?}; shift 2 ;;
    --seconds) secs=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "profile.sh: unknown option '$1'" >&2; exit 2 ;;
    *) scenario=$1; shift ;;
  esac
done
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
export LAB_BIN_DIR=${LAB_BIN_DIR:-$repo/build/bin}
out=${out:-$(mktemp -d /tmp/xvrrp-profile.XXXXXX)}
mkdir -p "$out"
BENCH_LIB_DIR=$repo/bench/lib
source tests/lab/lab.sh
source bench/lib/bench_lib.sh
source "bench/scenarios/$scenario.sh"
LAB_QUIET=1
lab_init "prof${scenario}"
LAB_NODE_OCTETS=${SCENARIO_OCTETS:-} lab_up "$SCENARIO_NODES"
bench_lab_tune
scenario_env
BENCH_REP_DIR=$out
: >"$out/facts.tsv"
bench_cluster_start "$kind"
mapfile -t vips < <(lab_expand_vips "$(bench_get OPENSHIFT_HA_VIRTUAL_IPS)")
lab_wait_all_held 60 "${vips[@]}" || echo "profile.sh: not every VIP has exactly one holder; profiling anyway" >&2
sleep 5
bench_masters_by_node | tee "$out/masters.txt"
t0=$(bench_transitions_all)
pids=()
for ((i = 1; i <= LAB_NODES; i++)); do
  # Every process of the node's daemon (keepalived's VRRP child included).
  perf record -q -g -o "$out/n$i.perf.data" -p "$(pgrep -g "$(lab_node_pid "$i")" | paste -sd,)" -- sleep "$secs" \
    >"$out/n$i.perf.log" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
echo "state changes during the profile: $(($(bench_transitions_all) - t0))" | tee "$out/transitions.txt"
for ((i = 1; i <= LAB_NODES; i++)); do
  echo "===== n$i ($(grep "^n$i " "$out/masters.txt" | awk '{print $2}' || echo 0) groups mastered)"
  perf report -i "$out/n$i.perf.data" --stdio --no-children --percent-limit 1.5 --sort dso,symbol 2>/dev/null |
    grep -v '^#' | grep -v '^$' | grep -E '^ +[0-9]' | head -n 25
done | tee "$out/report.txt"
echo "profile.sh: perf data and report in $out" >&2
