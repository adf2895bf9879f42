# shellcheck shell=bash
# S4: ARP answering under the highest request rate the lab can offer. Helper D's XDP benchmark
# (scripts/bench-xdp.sh, bench/xdp/xdp_bench.cpp) does the measuring: one sender thread blasts ARP
# requests for a VIP through a veth pair (sendmmsg x64), first at our XDP program attached with
# the daemon's own data plane code, then at the kernel's ARP answering (the VIP as an address on
# the interface, which is what a keepalived node relies on). This file only wraps it: it runs it
# several times, and while it runs it reads the XDP program's in-situ cost from the kernel's BPF
# statistics (kernel.bpf_stats_enabled=1: run_time_ns / run_cnt of the attached program), which
# the tool itself does not report.
#
# Columns: "xvrrp" is XDP answering, "keepalived" is the kernel's answering (keepalived itself
# never sees an ARP request).
SCENARIO_TITLE="ARP answering at the lab's highest request rate: XDP (xvrrp) vs the kernel (keepalived nodes)"
SCENARIO_NODES=0
SCENARIO_REPS=3
SCENARIO_PLOT=0
SCENARIO_TARGETS=(
  "answered_pct|median|>=|100|requests answered at the ceiling, %"
  "ns_per_packet_in_situ|median|<=|100|in-situ ns per packet of the attached XDP program (bpf_stats)"
)
SCENARIO_INFO=(
  "sent_per_s|median|requests sent per second (the ceiling)"
  "reached_per_s|median|requests that reached the responder per second"
  "replies_per_s|median|replies per second"
  "in_situ_run_cnt|median|packets the attached program ran on (bpf_stats run_cnt)"
)

scenario_env() { BENCH_ENV=(XDP_BENCH="scripts/bench-xdp.sh (helper D)"); }

# s4_prog_stats: "ID RUN_TIME_NS RUN_CNT" of every loaded program named xvrrp_xdp.
s4_prog_stats() {
  bpftool -j prog show 2>/dev/null | "$LAB_PY" -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name") == "xvrrp_xdp":
        print(p["id"], p.get("run_time_ns", 0), p.get("run_cnt", 0))'
}

scenario_run_all() {
  local n=$1 r dir old_stats before pid kind
  command -v bpftool >/dev/null || { echo "S4: bpftool is not installed" >&2; return 1; }
  old_stats=$(sysctl -n kernel.bpf_stats_enabled)
  for ((r = 1; r <= n; r++)); do
    for kind in xvrrpd keepalived; do mkdir -p "$BENCH_REP_DIR/$kind/rep0$r"; done
    dir=$BENCH_REP_DIR/xvrrpd/rep0$r
    : >"$dir/facts.tsv"
    : >"$BENCH_REP_DIR/keepalived/rep0$r/facts.tsv"
    echo "bench: S4 repetition $r/$n (load $(bench_loadavg))" >&2
    before=$(s4_prog_stats | awk '{print $1}' | tr '\n' ' ')
    sysctl -qw kernel.bpf_stats_enabled=1
    local quick=()
    [ "${BENCH_SMOKE:-0}" = 1 ] && quick=(--quick)
    XVRRP_BUILD_DIR=${BENCH_BUILD_DIR:-$(dirname "$LAB_BIN_DIR")} bash scripts/bench-xdp.sh "${quick[@]}" \
      >"$dir/xdp_bench.txt" 2>&1 &
    pid=$!
    # The attached program's counters, sampled until it is unloaded: keep the last sample per id.
    : >"$dir/prog_stats.txt"
    while kill -0 "$pid" 2>/dev/null; do
      s4_prog_stats >>"$dir/prog_stats.txt"
      sleep 0.2
    done
    wait "$pid" || { BENCH_REP_DIR=$dir bench_fact_str error "bench-xdp.sh failed: $(tail -n 3 "$dir/xdp_bench.txt" | tr '\n"' '  ')"; continue; }
    sysctl -qw "kernel.bpf_stats_enabled=$old_stats"
    (
      BENCH_REP_DIR=$dir
      # Programs loaded during the run (not before); the wire phase's is the one with most packets.
      read -r id rt cnt < <(awk -v skip=" $before " 'index(skip, " " $1 " ") == 0 { last[$1] = $2 " " $3 }
        END { for (i in last) { split(last[i], f, " "); print i, f[1], f[2] } }' "$dir/prog_stats.txt" | sort -k3 -n | tail -n 1)
      if [ -n "${cnt:-}" ] && [ "$cnt" -gt 0 ]; then
        bench_fact ns_per_packet_in_situ "$(lab_calc "$rt / $cnt")"
        bench_fact in_situ_run_cnt "$cnt"
      fi
      s4_wire_facts "XDP" "$dir/xdp_bench.txt"
      BENCH_REP_DIR=$(dirname "$(dirname "$dir")")/keepalived/rep0$r
      s4_wire_facts "kernel ARP" "$dir/xdp_bench.txt"
      bench_fact_str load "$(bench_loadavg)"
    )
  done
  sysctl -qw "kernel.bpf_stats_enabled=$old_stats"
}

# s4_wire_facts PREFIX FILE: sent/reached/replies per second from the tool's line starting PREFIX.
s4_wire_facts() {
  local line sent reached replies
  line=$(grep -E "^  $1" "$2" | grep ' sent ' | head -n 1)
  [ -n "$line" ] || { bench_fact_str error "no '$1' line in the XDP benchmark's output"; return 0; }
  sent=$(sed -E 's/.* sent +([0-9.]+)\/s.*/\1/' <<<"$line")
  reached=$(sed -E 's/.* reached vA +([0-9.]+)\/s.*/\1/' <<<"$line")
  replies=$(sed -E 's/.* replies at vB +([0-9.]+)\/s.*/\1/' <<<"$line")
  bench_fact sent_per_s "$sent"
  bench_fact reached_per_s "$reached"
  bench_fact replies_per_s "$replies"
  bench_fact answered_pct "$(lab_calc "100 * $replies / $sent")"
  bench_fact_str limit "$(grep -o 'What limits the rate:.*' "$2" | head -n 1)"
}
