#!/usr/bin/env bash
# OPENSHIFT_HA_MONITOR_PORT, OPENSHIFT_HA_CHECK_SCRIPT and OPENSHIFT_HA_CHECK_INTERVAL on a live
# 3-node cluster, 2 groups. The check has weight 0 as the generator writes it: a failing check puts
# every group of the node in FAULT.
#   1. default check: TCP connect to the node's own address and port. The listener on group 1's
#      master stops: within one check interval (+ 1.5 s for the script's own run) the master stops
#      answering and a backup answers within Master_Down_Interval + 50 ms; the listener returns and
#      the cluster elects again.
#   2. check script: it fails on the node whose flag file exists; the same bounds.
# Usage: checks.sh KINDS [VERSION ADVERT_S]
set -euo pipefail
kind=${1:?usage: checks.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"
interval=1
port=8080

lab_init checks
lab_up 3
base=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-checks
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.50-53
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=50
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_CHECK_INTERVAL=$interval
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)

# fault_case LABEL BREAK_CMD: breaks group 1's master's check with BREAK_CMD <node index> and
# holds the handover to the bounds.
fault_case() {
  local label=$1 break_cmd=$2 master vips leave_hi
  e2e_wait_elected 40
  master=$(e2e_group_holder 1)
  vips=$(e2e_all_vips)
  lab_probe_start "$label" --vips "$vips"
  e2e_settle
  # Marked first: the daemon may notice before the command returns.
  lab_mark "check_broken_$label"
  $break_cmd "${master#n}"
  sleep "$(lab_calc "$interval + 1.5 + $(e2e_bound_ms) / 1000 + 1")"
  e2e_settle
  lab_probe_stop "$label"
  local new
  new=$(e2e_group_holder 1)
  [ "$new" != "$master" ] || { echo "FAIL: $label: group 1 stayed on $master with a failing check"; exit 1; }
  leave_hi=$((interval * 1000 + 1500))
  echo "== $label: $master's check fails -> group 1 on $new"
  lab_probe_check "$(lab_probe_json "$label")" --table --all-answered --no-split \
    --split-tolerance-ms "$(e2e_advert_ms)" --max-gap-ms "$(e2e_bound_ms)" \
    --only-vips "$(e2e_group_vips 1)" --leave "$master:check_broken_$label:0:$leave_hi"
  broken=${master#n}
}

# 1. The default TCP check.
E2E_ENV=("${base[@]}" "OPENSHIFT_HA_MONITOR_PORT=$port")
for i in 1 2 3; do lab_listen "$i" "$port"; done
e2e_start "${kinds[@]}"
fault_case port lab_unlisten
lab_listen "$broken" "$port"
e2e_wait_elected 40
for i in 1 2 3; do lab_stop_node "$i"; done

# 2. A check script. One per node (same content, its own flag file): the check times out after
# one interval, and on a busy 2-core machine a script that forks a pipeline to find out which node
# it runs on can take longer than that.
for i in 1 2 3; do
  cat >"$(lab_node_dir "$i")/check.sh" <<SH
#!/bin/sh
# Fails while $(lab_node_dir "$i")/check-fail exists.
test ! -e "$(lab_node_dir "$i")/check-fail"
SH
  chmod +x "$(lab_node_dir "$i")/check.sh"
  declare -a "E2E_NODE_ENV_$i=(OPENSHIFT_HA_CHECK_SCRIPT=$(lab_node_dir "$i")/check.sh)"
done
fail_node() { touch "$(lab_node_dir "$1")/check-fail"; }
E2E_ENV=("${base[@]}" "OPENSHIFT_HA_MONITOR_PORT=0")
e2e_start "${kinds[@]}"
fault_case script fail_node
rm -f "$(lab_node_dir "$broken")/check-fail"
e2e_wait_elected 40
e2e_pass "checks $kind v$version ${advert}s"
