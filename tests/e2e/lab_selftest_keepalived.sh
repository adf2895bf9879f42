#!/usr/bin/env bash
# Lab self-test with keepalived 2.2.7 nodes (the reference VRRP implementation), proving the lab
# and the probe before xvrrpd is measured with them: 3 nodes, one group of 3 VIPs configured as
# OpenShift's generator configures it, the master's cable pulled and restored.
# Asserts bounds, not "eventually": the elected master is the one the priorities say; after the
# pull every VIP is unanswered at most Master_Down_Interval + 50 ms and then answered by the
# expected backup; no VIP is answered by two nodes (overlaps up to one advertisement interval are
# reported: RFC 3768 section 6.4.3 convergence); after the restore the original master (state
# MASTER, so preempt_delay is cleared) takes its VIPs back within the bound.
# Usage: lab_selftest_keepalived.sh VERSION ADVERT_INTERVAL_S   (default 2 1: OpenShift's settings)
# (keepalived at 10-100 ms flaps and splits on a loaded 2-core machine: benchmark material.)
set -euo pipefail
version=${1:-2}
advert=${2:-1}
source "$(dirname "$0")/../lab/lab.sh"

lab_init "ka-v$version"
# Octets 1, 50, 3: n3 is group 1's master (slot 3, 3 replicas: 255 - 3); the backups' random
# priorities fall in 1..32 (n1) and 50..81 (n2), so their Skew_Times differ by at least 18/256 of
# an interval and a scheduling hiccup cannot make both time out together (which keepalived does on
# a loaded machine when two backups' priorities are close: a real split, measured by bench.sh).
LAB_NODE_OCTETS="1 50 3" lab_up 3

vips=198.51.100.10-12
env=(
  OPENSHIFT_HA_CONFIG_NAME=lab-selftest
  OPENSHIFT_HA_VIRTUAL_IPS=$vips
  OPENSHIFT_HA_VIP_GROUPS=1
  OPENSHIFT_HA_VRRP_ID_OFFSET=50
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)
for i in 1 2 3; do lab_start_node "$i" keepalived "${env[@]}"; done

mapfile -t vip_list < <(lab_expand_vips "$vips")
master=$(lab_expected_master 1)
settle=$(lab_max 2 "$(lab_calc "5 * $advert")")
lab_wait_all_held 15 "${vip_list[@]}"
for vip in "${vip_list[@]}"; do lab_wait_vip_holder "$vip" "n$master" 10; done
echo "elected: n$master (priorities n1=$(lab_node_priority 1 1) n2=$(lab_node_priority 2 1) n3=$(lab_node_priority 3 1))"

others=()
for i in 1 2 3; do [ "$i" = "$master" ] || others+=("$i"); done
backup=$(lab_expected_master 1 "${others[@]}")
mdi=$(lab_master_down_ms "$version" "$advert" "$(lab_node_priority "$backup" 1)")
bound=$(lab_calc "$mdi + 50")
back_mdi=$(lab_master_down_ms "$version" "$advert" "$(lab_node_priority "$master" 1)")
back_bound=$(lab_calc "$back_mdi + 50")
advert_ms=$(lab_calc "$advert * 1000")
echo "takeover by n$backup expected; Master_Down_Interval ${mdi} ms, bound ${bound} ms"

# 1. Cable pull: the backup takes over within the bound, nobody answers twice.
lab_probe_start pull --vips "$vips" --timeline "$LAB_DIR/pull.csv"
sleep "$settle"
lab_cable_pull "$master"
sleep "$settle"
lab_probe_stop pull
args=(--table --all-answered --no-split --split-tolerance-ms "$advert_ms" --max-gap-ms "$bound"
  --min-gap-ms "$(lab_calc "2 * $advert * 1000")")
for vip in "${vip_list[@]}"; do args+=(--holder "$vip=n$backup"); done
lab_probe_check "$(lab_probe_json pull)" "${args[@]}"

# 2. Restore: the original master returns and preempts at once (keepalived clears preempt_delay
#    for `state MASTER` instances); the handback must be as clean.
lab_probe_start restore --vips "$vips"
sleep "$settle"
lab_cable_restore "$master"
sleep "$settle"
sleep "$settle"
lab_probe_stop restore
args=(--table --all-answered --no-split --split-tolerance-ms "$advert_ms" --max-gap-ms "$back_bound")
for vip in "${vip_list[@]}"; do args+=(--holder "$vip=n$master"); done
lab_probe_check "$(lab_probe_json restore)" "${args[@]}"
for vip in "${vip_list[@]}"; do lab_wait_vip_holder "$vip" "n$master" 1; done
echo "PASS lab_selftest_keepalived v$version advert ${advert}s"
