# shellcheck shell=bash
# S7: 254 groups x 1 VIP, VRRPv3 at 100 ms: the busiest master's daemon restarted (issue 21).
# xvrrpd runs with --keep-dataplane: its stop (SIGTERM) neither resigns nor removes anything, and
# the next start adopts the XDP data plane and resumes the groups it mastered as MASTER at once,
# which is hitless when it comes back within Master_Down_Interval (about 301 ms for the backup at
# 253). keepalived is restarted the same way (SIGTERM, then started again): it resigns (priority
# 0), its backups take over, and it comes back as a backup.
# Targets (xvrrpd): no state change on any node, no VIP moved, ARP and TCP gaps <= 50 ms: a
# sixth of Master_Down_Interval, and short enough that a gap as long as the restart itself (the
# old process's exit to the new one's first advert, about 90 ms here) fails it, since a hitless
# restart promises clients no gap at all (docs/operations.md).
#
# Topology as S2 (3 nodes, octets 1 2 3, one replica): n1 masters the odd groups (254, n2 253 behind
# it), n3 the even ones. No generator setting gives one node all 254 groups (S2.sh), so the
# restarted node is the one mastering the most groups (127): the other 127 groups are its backups'
# and show what a restart does to groups it does not master (nothing, expected).
#
# The client's view is ARP for every VIP every 5 ms and TCP (a new connection every 5 ms) to 12 of
# the restarted node's VIPs and 2 of the others', answered by the lab's name listeners
# (lab_tcp_listeners_start): a TCP gap is time in which no connection to the VIP worked.
SCENARIO_TITLE="254 groups x 1 VIP, VRRPv3 100 ms, restart of the busiest master's daemon (xvrrpd --keep-dataplane)"
SCENARIO_NODES=3
SCENARIO_OCTETS="1 2 3"
SCENARIO_REPS=3
SCENARIO_PLOT=1
SCENARIO_PLOT_TCP=1  # and the TCP answers of the sampled VIPs (S7-<kind>-tcp.png)
SCENARIO_PLOT_RANGE="-300 1200"  # ms around the restart command
SCENARIO_TARGETS=(
  "peer_changes|max|<=|0|state changes on the nodes not restarted, restart window (worst repetition)"
  "restarted_changes|max|<=|0|state changes of the restarted node (resuming as before is none)"
  "restart_moved_vips|max|<=|0|VIPs answered by another node after the restart"
  "restart_worst_gap_ms|max|<=|50|ARP gap, worst VIP (worst repetition), ms"
  "restart_tcp_worst_gap_ms|max|<=|50|TCP gap, worst sampled VIP (worst repetition), ms"
  "after_double_held|max|<=|0|VIPs on two nodes after the restart"
)
SCENARIO_INFO=(
  "master_arp_median_gap_ms|median|ARP gap, median over the restarted node's VIPs, ms"
  "master_arp_worst_gap_ms|max|ARP gap, worst of the restarted node's VIPs, ms"
  "restart_tcp_median_gap_ms|median|TCP gap, median over the sampled VIPs, ms"
  "master_tcp_worst_gap_ms|max|TCP gap, worst sampled VIP of the restarted node's, ms"
  "other_tcp_worst_gap_ms|max|TCP gap, worst sampled VIP of the other master's, ms"
  "restart_tcp_moved_vips|max|sampled VIPs answered over TCP by another node after the restart"
  "restart_tcp_timeouts|sum|TCP connections that timed out in the restart probe"
  "restart_tcp_refused|sum|TCP connections refused (a node with the VIP but no listener)"
  "master_groups_before|median|groups the restarted node mastered before"
  "master_groups_after|median|groups the restarted node masters after"
  "stop_ms|median|SIGTERM to the old daemon's exit, as the lab saw it, ms"
  "resume_ms|median|restart command to the restarted xvrrpd's first state entry, ms"
  "restart_split_episodes|sum|split-brain episodes after the restart (ARP)"
  "restart_witness_gap_ms|max|the lab witness's gap after the restart (client path stalled), ms"
  "startup_s|median|start to every VIP held by exactly one node, s"
  "deaths|max|daemon processes that died (keepalived: VRRP child)"
)

S7_VIPS="198.51.100.1-254"
: "${S7_PROBE_MS:=5}"
: "${S7_TCP_MS:=5}"
: "${S7_TCP_PORT:=8080}"
: "${S7_STEADY_S:=5}"
: "${S7_AFTER_S:=4}"

scenario_env() {
  BENCH_ENV=(
    OPENSHIFT_HA_CONFIG_NAME=bench
    "OPENSHIFT_HA_VIRTUAL_IPS=$S7_VIPS"
    OPENSHIFT_HA_VIP_GROUPS=254
    OPENSHIFT_HA_REPLICA_COUNT=1
    OPENSHIFT_HA_MONITOR_PORT=0
    XVRRP_VRRP_VERSION=3
    XVRRP_ADVERT_INTERVAL=0.1
  )
}

scenario_rep() {
  local kind=$1 master vips vip h steady=$S7_STEADY_S after=$S7_AFTER_S
  local wait_s=${S7_WAIT_S:-30}
  # Smoke: short windows, and keepalived (whose 254-group cluster may never settle here) is not
  # waited for long.
  [ "${BENCH_SMOKE:-0}" = 1 ] && { steady=1; after=2; wait_s=10; }
  bench_tcp_listeners "$S7_TCP_PORT"
  # --keep-dataplane on both runs: the first run's stop must leave the data plane for the second.
  if [ "$kind" = xvrrpd ]; then export LAB_DAEMON_ARGS=--keep-dataplane; else unset LAB_DAEMON_ARGS; fi
  bench_cluster_start "$kind"
  mapfile -t vips < <(lab_expand_vips "$S7_VIPS")
  local t0
  t0=$(date +%s%N)
  if lab_wait_all_held "$wait_s" "${vips[@]}"; then
    bench_fact startup_s "$(lab_calc "($(date +%s%N) - $t0) / 1e9")"
  else
    bench_fact_str note "not every VIP held by exactly one node within $wait_s s of start"
  fi
  sleep "$steady"
  # One snapshot for all three (a snapshot of 254 groups costs seconds on the loaded machine).
  local masters
  masters=$(bench_masters_by_node)
  master=$(awk '$1 ~ /^n[0-9]+$/ && $2 > best { best = $2; node = substr($1, 2) } END { print node }' <<<"$masters")
  if [ -z "$master" ]; then
    # No group held by one node alone (keepalived's cluster that never settled): restart the
    # node holding the most VIPs, two-held ones included, and say so in the table.
    lab__snapshot
    master=$(for vip in "${vips[@]}"; do printf '%s\n' ${LAB_HELD[$vip]:-}; done |
      sort | uniq -c | sort -k1,1nr | awk 'NR == 1 { print substr($2, 2) }')
    [ -n "$master" ] || { echo "S7: no node holds any VIP" >&2; return 1; }
    bench_fact_str note "no group was held by one node alone before the restart: restarted n$master, the node holding the most VIPs"
  fi
  bench_fact_str master "n$master"
  bench_masters_fact before "$masters"
  bench_fact master_groups_before "$(awk -v n="n$master" '$1 == n { c = $2 } END { print c + 0 }' <<<"$masters")"

  # TCP sample: 12 of the restarted node's VIPs, 2 of the others'.
  local mine=() others=() tcp_vips
  lab__snapshot
  for vip in "${vips[@]}"; do
    h=${LAB_HELD[$vip]:-}
    if [[ " $h " == *" n$master "* ]]; then mine+=("$vip"); else others+=("$vip"); fi
  done
  tcp_vips=$(bench_pick 12 "${mine[@]}")
  [ "${#others[@]}" -gt 0 ] && tcp_vips="$tcp_vips,$(bench_pick 2 "${others[@]}")"
  bench_fact_str tcp_vips "$tcp_vips"

  bench_probe_start failover --vips "$S7_VIPS" --interval-ms "$S7_PROBE_MS" \
    --tcp "$S7_TCP_PORT" --tcp-vips "$tcp_vips" --tcp-interval-ms "$S7_TCP_MS"
  sleep 1
  local offs d0 d1 stop_ns
  offs=$(bench_state_offsets)
  lab_mark restart_cmd
  d0=$(date +%s%N)
  # keepalived removing 254 addresses while its VRRP child is being killed can take seconds.
  lab_stop_node "$master" 30
  d1=$(date +%s%N)
  lab_restart_node "$master"
  stop_ns=$((d1 - d0))
  bench_fact stop_ms "$(lab_calc "$stop_ns / 1e6")"
  sleep "$after"
  bench_probe_stop failover

  # State changes in the window: the peers' and the restarted node's (real changes only).
  local i peers=0 c restarted first mark_ns
  for ((i = 1; i <= LAB_NODES; i++)); do
    if [ "$i" = "$master" ]; then
      restarted=$(bench_state_changes "$i" "$offs" restarted)
    else
      c=$(bench_state_changes "$i" "$offs")
      peers=$((peers + c))
    fi
  done
  bench_fact peer_changes "$peers"
  bench_fact restarted_changes "$restarted"
  first=$(bench_fact_get restarted_first_event_ns)
  mark_ns=$(awk '$1 == "restart_cmd" { v = $2 } END { print v }' "$LAB_DIR/marks")
  if [ "$kind" = xvrrpd ] && [[ $first =~ ^[0-9]+$ ]]; then
    bench_fact resume_ms "$(lab_calc "($first - $mark_ns) / 1e6")"
  fi

  # The client's view after the restart command: ARP for all VIPs and for the restarted node's,
  # TCP for the sampled ones (and split by whose they were).
  bench_gap_facts failover restart_cmd restart
  bench_gap_facts failover restart_cmd master_arp --vips "$(IFS=,; echo "${mine[*]}")"
  bench_gap_facts failover restart_cmd restart_tcp --kind tcp
  bench_gap_facts failover restart_cmd master_tcp --kind tcp --vips "$(bench_pick 12 "${mine[@]}")"
  [ "${#others[@]}" -gt 0 ] &&
    bench_gap_facts failover restart_cmd other_tcp --kind tcp --vips "$(bench_pick 2 "${others[@]}")"
  local counts
  counts=$("$LAB_PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
t = [v["tcp"] for v in s["vips"] if "tcp" in v]
print(sum(x["timeouts"] for x in t), sum(x["refused"] for x in t))' "$BENCH_REP_DIR/failover.json")
  bench_fact restart_tcp_timeouts "${counts% *}"
  bench_fact restart_tcp_refused "${counts#* }"

  local doubles=0
  lab__snapshot
  for vip in "${vips[@]}"; do
    [[ ${LAB_HELD[$vip]:-} == *" "* ]] && doubles=$((doubles + 1))
  done
  bench_fact after_double_held "$doubles"
  masters=$(bench_masters_by_node)
  bench_masters_fact after "$masters"
  bench_fact master_groups_after "$(awk -v n="n$master" '$1 == n { c = $2 } END { print c + 0 }' <<<"$masters")"
  bench_fact deaths "$(bench_deaths)"
}
