# shellcheck shell=bash
# S6: 254 groups, VRRPv2 at 1 s (OpenShift's defaults: keepalived's advert_int 1, version 2, PASS
# authentication), steady state then the busiest master's cable pulled.
# Target: every moved VIP's gap <= Master_Down_Interval (of the node that took it over) + 50 ms;
# CPU figures.
#
# Same topology and body as S2 (bench/scenarios/S2.sh): only version and interval differ, so the
# two scenarios show what 100 times the advert rate costs each daemon.
source "$(dirname "${BASH_SOURCE[0]}")/S2.sh"

SCENARIO_TITLE="254 groups x 1 VIP, VRRPv2 1 s (OpenShift defaults), steady, then master cable pull"
SCENARIO_REPS=3
SCENARIO_PLOT_RANGE="-500 4500"  # ms around the pulled node's last answer (MDI about 3 s)
SCENARIO_TARGETS=(
  "failover_moved_gap_over_mdi_max_ms|max|<=|50|moved VIPs' gap minus Master_Down_Interval (worst), ms"
)
SCENARIO_INFO=(
  "failover_moved_gap_median_ms|median|median gap of the moved VIPs, ms"
  "failover_moved_gap_max_ms|max|worst gap of the moved VIPs, ms"
  "failover_moved_vips|median|VIPs that moved to another node"
  "failover_unmoved_gap_max_ms|max|worst gap of VIPs that should not move, ms"
  "cpu_pct_master|median|master controller CPU, % of one core"
  "cpu_pct_backup|median|backup CPU (busiest pure backup), % of one core"
  "softirq_pct|median|softirq CPU, whole machine (shared), % of one core"
  "steady_transitions|max|state changes in steady state (all nodes)"
  "failover_split_episodes|sum|split-brain episodes after the pull"
  "failover_witness_gap_ms|max|the lab witness's gap after the pull (client path stalled), ms"
  "pull_run_wait_ms|max|longest a remaining node's daemon waited for a CPU in the pull's first 0.3 s, ms (sum over its threads)"
  "after_double_held|max|VIPs on two connected nodes after the pull"
  "startup_s|median|start to every VIP held by exactly one node, s"
  "startup_arp_all_s|median|start to every VIP answered over ARP (client's view), s"
  "startup_tcp_all_s|median|start to every sampled VIP served over TCP (client's view), s"
  "failover_tcp_moved_gap_median_ms|median|TCP gap of the moved sampled VIPs, median, ms"
  "failover_tcp_moved_gap_max_ms|max|TCP gap of the moved sampled VIPs, worst, ms"
  "failover_tcp_unmoved_gap_max_ms|max|TCP gap of sampled VIPs that should not move, worst, ms"
  "deaths|max|daemon processes killed or crashed (keepalived: VRRP child)"
)

S2_VERSION=2
S2_ADVERT=1
: "${S6_STEADY_S:=20}"

scenario_rep() {
  local kind=$1 steady=$S6_STEADY_S
  [ "${BENCH_SMOKE:-0}" = 1 ] && steady=3
  s2_tcp_startup_probe_start
  bench_cluster_start "$kind"
  # Probe every VIP every 5 ms (50,800 requests/s); 6 s covers Master_Down_Interval (about 3 s).
  s2_steady_then_pull "$steady" 5 6
}
