# shellcheck shell=bash
# S1: one group, VRRPv3 at 10 ms, the master's cable pulled; 20 repetitions.
# Target: median gap <= Master_Down_Interval + 3 ms (of the node that takes over).
#
# Topology (shared by S1, S2, S5, S6): 3 nodes, octets 1 2 3, OPENSHIFT_HA_REPLICA_COUNT=1. With
# one replica the generator makes every group a "master group" on every node (255 - slot on odd
# groups, slot + 1 on even ones), so the election is deterministic: group 1 is n1's (254), n2 (253)
# takes over, n3 (252) stays backup. No random backup priorities, so every repetition of both kinds
# elects the same nodes.
SCENARIO_TITLE="1 group, VRRPv3 10 ms, master cable pull"
SCENARIO_NODES=3
SCENARIO_OCTETS="1 2 3"
SCENARIO_REPS=20
SCENARIO_PLOT=1
SCENARIO_PLOT_RANGE="-100 200"  # ms around the pulled node's last answer
# metric|aggregation|op|bound|label (bench/lib/analyze.py aggregate)
SCENARIO_TARGETS=(
  "gap_over_mdi_ms|median|<=|3|failover gap minus Master_Down_Interval, ms"
)
SCENARIO_INFO=(
  "gap_ms|median|failover gap (client's ARP unanswered), ms"
  "gap_ms|max|worst failover gap, ms"
  "tcp_gap_ms|median|failover gap over TCP (no connection to the VIP worked), ms"
  "tcp_gap_ms|max|worst failover gap over TCP, ms"
  "mdi_ms|median|Master_Down_Interval of the new master, ms"
  "pull_witness_gap_ms|max|the lab witness's gap after the pull (client path stalled), ms"
  "split_episodes|sum|split-brain episodes after the pull (all repetitions)"
  "transitions_after_pull|median|state changes after the pull (all nodes)"
  "no_stable_master|sum|repetitions without a stable master before the pull (flapping)"
  "deaths|sum|daemon processes killed or crashed (keepalived: VRRP child)"
)

S1_VIP=198.51.100.10
# The client's TCP view beside ARP: a new connection to the VIP every millisecond, answered by
# the lab's name listeners (the one VIP: 1,000 connections a second).
: "${S1_TCP_PORT:=8080}"
# The smoke run (scripts/bench.sh --smoke) checks that the benchmark code works, not either
# daemon's timing on a loaded machine: it uses 100 ms adverts, where both kinds are stable.
S1_ADVERT=0.01
[ "${BENCH_SMOKE:-0}" = 1 ] && S1_ADVERT=0.1

scenario_env() {
  BENCH_ENV=(
    OPENSHIFT_HA_CONFIG_NAME=bench
    "OPENSHIFT_HA_VIRTUAL_IPS=$S1_VIP"
    OPENSHIFT_HA_VIP_GROUPS=1
    OPENSHIFT_HA_REPLICA_COUNT=1
    OPENSHIFT_HA_MONITOR_PORT=0
    XVRRP_VRRP_VERSION=3
    "XVRRP_ADVERT_INTERVAL=$S1_ADVERT"
  )
}

# scenario_rep KIND REP: start the cluster, find the master, probe its VIP every 1 ms, pull its
# cable, record the gap and the Master_Down_Interval of the node that answered next.
scenario_rep() {
  local kind=$1 master taker prio mdi before
  bench_tcp_listeners "$S1_TCP_PORT"
  bench_cluster_start "$kind"
  lab_wait_all_held 20 "$S1_VIP"
  sleep 1  # past start-up preemption: the steady master
  # Exactly one holder right now (a flapping cluster fails the repetition, and says so).
  if ! master=$(bench_single_holder "$S1_VIP" 10); then
    bench_fact no_stable_master 1
    echo "S1: no stable master: $S1_VIP not held by exactly one node at any moment in 10 s ($(bench_transitions_all) state changes since start)" >&2
    return 1
  fi
  bench_fact no_stable_master 0
  bench_fact_str master "n$master"
  bench_probe_start failover --vips "$S1_VIP" --interval-ms 1 \
    --tcp "$S1_TCP_PORT" --tcp-vips "$S1_VIP" --tcp-interval-ms 1 --tcp-timeout-ms 50
  sleep 0.5
  before=$(bench_transitions_all)
  bench_pull "$master"
  sleep "${S1_AFTER_S:-1}"
  bench_probe_stop failover
  bench_fact transitions_after_pull "$(($(bench_transitions_all) - before))"
  bench_fact deaths "$(bench_deaths)"
  bench_gap_facts failover pull_cmd pull
  bench_gap_facts failover pull_cmd pull_tcp --kind tcp
  bench_fact tcp_gap_ms "$(bench_fact_get pull_tcp_worst_gap_ms)"
  # The failover gap: the silence the client saw for the VIP around the pull.
  local gap
  gap=$(awk -F'\t' '$1 == "pull_worst_gap_ms" { print $2 }' "$BENCH_REP_DIR/facts.tsv")
  bench_fact gap_ms "$gap"
  bench_fact split_episodes "$(awk -F'\t' '$1 == "pull_split_episodes" { print $2 }' "$BENCH_REP_DIR/facts.tsv")"
  # The node the client saw answering at the end (a flapping cluster may still have two holders).
  taker=$(bench_fact_get pull_takers | tr -d '[]" ' | cut -d, -f1)
  [ -n "$taker" ] || taker=$(lab_vip_holders "$S1_VIP")
  bench_fact_str holders_after "$(lab_vip_holders "$S1_VIP")"
  [[ $taker =~ ^n[0-9]+$ ]] || { echo "S1: no single node answered $S1_VIP after the pull (held by '$taker')" >&2; return 1; }
  bench_fact_str taker "$taker"
  prio=$(bench_node_priority "${taker#n}" 1)
  [ -n "$prio" ] || { echo "S1: no priority known for $taker" >&2; return 1; }
  mdi=$(bench_mdi_ms "$prio")
  bench_fact taker_priority "$prio"
  bench_fact mdi_ms "$mdi"
  bench_fact gap_over_mdi_ms "$(lab_calc "$gap - $mdi")"
}
