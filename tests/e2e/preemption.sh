#!/usr/bin/env bash
# OPENSHIFT_HA_PREEMPTION on a live 3-node cluster, one group:
#   nopreempt          the generator writes no `state MASTER`; the master loses its cable, a backup
#                      takes over, the cable returns: the higher-priority node stays BACKUP (checked
#                      for several Master_Down_Intervals)
#   preempt_delay N    node octets 1, 2, 4 with 3 replicas make group 1 nobody's "master group", so
#                      no `state MASTER` clears the delay: the returning highest-priority node takes
#                      the group back no sooner than N s after its cable returns, and no later than
#                      N s + Master_Down_Interval + 1 s
# Usage: preemption.sh KINDS [VERSION ADVERT_S]
set -euo pipefail
kind=${1:?usage: preemption.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"
delay=3

lab_init preempt
LAB_NODE_OCTETS="1 2 4" lab_up 3
base=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-preempt
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.30-31
  OPENSHIFT_HA_VIP_GROUPS=1
  OPENSHIFT_HA_VRRP_ID_OFFSET=30
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)

# run_case PREEMPTION: starts the cluster, pulls the master's cable, restores it; leaves the probe
# "back" running over the restore and sets $master $backup.
run_case() {
  E2E_ENV=("${base[@]}" "OPENSHIFT_HA_PREEMPTION=$1")
  e2e_start "${kinds[@]}"
  e2e_wait_elected 40
  # Priorities carry the generator's random part and every node starts BACKUP, so the first node
  # up may hold the group with a lower priority than another (nopreempt, or a preempt delay still
  # running). The case needs the highest-priority node as master: bounce the holder's cable until
  # it is (the highest-priority remaining node takes over by its shorter skew).
  local top tries=0
  top=n$(lab_expected_master 1)
  master=$(e2e_group_holder 1)
  if [ "$master" != "$top" ] && [[ $1 == preempt_delay* ]]; then
    # The highest-priority node takes over by itself once its delay has run: let it, rather
    # than pull a cable in the middle of that takeover.
    sleep "$(lab_calc "$delay + $(e2e_bound_ms) / 1000 + 0.5")"
    master=$(e2e_group_holder 1)
  fi
  while [ "$master" != "$top" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 2 ] || { echo "FAIL: $top (highest priority) never took group 1 from $master"; exit 1; }
    echo "== $master holds group 1 below $top's priority: bouncing $master's cable"
    lab_cable_pull "${master#n}"
    sleep "$(lab_calc "$(e2e_bound_ms) / 1000 + 1")"
    lab_cable_restore "${master#n}"
    e2e_settle
    master=$(e2e_group_holder 1)
  done
  lab_cable_pull "${master#n}"
  sleep "$(lab_calc "$(e2e_bound_ms) / 1000 + 1")"
  backup=$(e2e_group_holder 1)
  [ "$backup" != "$master" ] || { echo "FAIL: $master kept group 1 without a cable"; exit 1; }
  lab_probe_start back --vips "$(e2e_all_vips)"
  lab_cable_restore "${master#n}"
}

stop_all() { local i; for i in 1 2 3; do lab_stop_node "$i"; done; }

# 1. nopreempt: the returning master stays backup.
run_case nopreempt
sleep "$(lab_max 3 "$(lab_calc "4 * $(e2e_bound_ms) / 1000")")"
lab_probe_stop back
echo "== nopreempt: $master returned, $backup must keep the group"
lab_probe_check "$(lab_probe_json back)" --table --all-answered --no-split \
  $(for v in $(lab_expand_vips "$(e2e_all_vips)"); do echo "--answered-by $v=$backup"; done)
stop_all

# 2. preempt_delay N: the returning master waits N seconds, then takes over.
run_case "preempt_delay $delay"
hi=$(lab_calc "$delay * 1000 + $(e2e_bound_ms) + 1000")
sleep "$(lab_calc "$hi / 1000 + 1")"
lab_probe_stop back
echo "== preempt_delay $delay: $master must take group 1 back from $backup after ${delay} s"
lab_probe_check "$(lab_probe_json back)" --table --all-answered --no-split \
  --split-tolerance-ms "$(e2e_advert_ms)" \
  --takeover "$master:cable_restore:$((delay * 1000 - 300)):$hi"
e2e_pass "preemption $kind v$version ${advert}s"
