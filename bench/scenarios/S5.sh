# shellcheck shell=bash
# S5: 100,000 packets/s of VRRP traffic a router must discard, sent by the client at the S2
# cluster (3 nodes, 254 groups at VRRPv3 10 ms) during its steady state: one third adverts for a
# VRID nobody configured (255), one third TTL 64 adverts, one third malformed (bad checksum,
# truncated, version 4, type 2, address count not matching the length); all but the foreign ones
# claim priority 255 for a configured VRID (bench/flood/vrrp_flood.cpp).
# Targets: zero transitions; master controller CPU within 1 point of S2's (same kind, latest
# S2 result in the output directory); drops counted by reason (xvrrpd's /metrics, read from the
# master after the flood).
source "$(dirname "${BASH_SOURCE[0]}")/S2.sh"

SCENARIO_TITLE="100,000 invalid VRRP packets/s at the S2 cluster (254 groups, VRRPv3 10 ms)"
SCENARIO_REPS=2
SCENARIO_PLOT=0
SCENARIO_TARGETS=(
  "steady_transitions|max|<=|0|state changes during the flood (all nodes, worst repetition)"
  "cpu_master_over_s2|median|<=|1|master controller CPU minus S2's median, points of one core"
)
SCENARIO_INFO=(
  "cpu_pct_master|median|master controller CPU during the flood, % of one core"
  "cpu_pct_backup|median|backup CPU during the flood (busiest pure backup), % of one core"
  "softirq_pct|median|softirq CPU, whole machine (shared), % of one core"
  "flood_rate|median|invalid packets sent per second (achieved)"
  "steady_split_episodes|sum|split-brain episodes seen by the client"
  "steady_link_drops|max|frames the lab's veth links dropped in the steady window (peer ring full)"
  "deaths|max|daemon processes killed or crashed (keepalived: VRRP child)"
  "drops_total|median|packets the master counted as dropped (XDP and controller, all reasons)"
)
: "${S5_FLOOD_S:=20}"
# keepalived at 254 x 10 ms may never converge on the busy machine: start-up is not what S5 measures.
S2_WAIT_S=20
: "${S5_RATE:=100000}"

S5_FLOOD_PID=""
s5_flood() {
  case $1 in
    start)
      local flood=$LAB_BIN_DIR/xvrrp-flood
      [ -x "$flood" ] || lab_die "$flood not built (cmake --build ... --target xvrrp-flood)"
      setsid ip netns exec "$(lab_client_ns)" "$flood" --iface eth0 --rate "$S5_RATE" --duration 0 \
        --vrids 254 --version 3 --interval 1 --json "$BENCH_REP_DIR/flood.json" \
        >"$BENCH_REP_DIR/flood.log" 2>&1 &
      S5_FLOOD_PID=$!
      # lab_cleanup kills what is listed as a probe pid file: the flood goes with it on any exit.
      echo "$S5_FLOOD_PID" >"$LAB_DIR/probe-flood.pid"
      sleep 1  # the CPU window starts with the flood running
      ;;
    stop)
      kill -INT "$S5_FLOOD_PID" 2>/dev/null || true
      wait "$S5_FLOOD_PID" || true
      rm -f "$LAB_DIR/probe-flood.pid"
      ;;
  esac
}

# s5_metrics I: node I's /metrics (xvrrpd's HTTP endpoint, on the node's address port 63000).
s5_metrics() {
  ip netns exec "$(lab_node_ns "${1:?node}")" "$LAB_PY" -c '
import sys, urllib.request
print(urllib.request.urlopen(f"http://{sys.argv[1]}:63000/metrics", timeout=5).read().decode())' "$(lab_node_ip "$1")"
}

scenario_rep() {
  local kind=$1 steady=$S5_FLOOD_S
  [ "${BENCH_SMOKE:-0}" = 1 ] && steady=3
  bench_cluster_start "$kind"
  S2_DURING_STEADY=s5_flood
  s2_steady "$steady" || return 1
  bench_fact deaths "$(bench_deaths)"
  bench_fact flood_rate "$("$LAB_PY" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["rate_sent"]))' "$BENCH_REP_DIR/flood.json" 2>/dev/null || echo null)"
  local s2=${BENCH_OUT:-bench/results}/S2.json ref
  # An --out directory without its own S2 run compares with the committed one.
  [ -f "$s2" ] || s2=$BENCH_LIB_DIR/../results/S2.json
  ref=$("$LAB_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["rows"]:
    if r["metric"] == "cpu_pct_master" and r[sys.argv[2]]["value"] is not None:
        print(r[sys.argv[2]]["value"]); break' "$s2" "$kind" 2>/dev/null || true)
  if [ -n "$ref" ]; then
    bench_fact cpu_master_over_s2 "$(lab_calc "$(bench_fact_get cpu_pct_master) - $ref")"
    bench_fact s2_cpu_pct_master "$ref"
  else
    bench_fact_str note "no S2 result in $s2 to compare the controller CPU with"
  fi
  if [ "$kind" = xvrrpd ]; then
    s5_metrics "$S2_MASTER" >"$BENCH_REP_DIR/master-metrics.txt" 2>&1 || true
    # Drops by reason: controller (xvrrp_adverts_dropped_total) and XDP (xvrrp_xdp_packets_total).
    bench_fact drops_by_reason "$(awk '
      /^xvrrp_(adverts_dropped_total|xdp_packets_total)\{/ && $2 > 0 && ($1 ~ /dropped|drop_/) {
        name = $1; gsub(/"/, "", name)
        printf "%s\"%s\": %d", (n++ ? ", " : "{"), name, $2 }
      END { printf "%s", (n ? "}" : "{}") }' "$BENCH_REP_DIR/master-metrics.txt")"
    bench_fact drops_total "$(awk '/^xvrrp_adverts_dropped_total\{/ { s += $2 } /^xvrrp_xdp_packets_total\{outcome="vrrp_drop_/ { s += $2 } END { print s + 0 }' "$BENCH_REP_DIR/master-metrics.txt")"
  fi
}
