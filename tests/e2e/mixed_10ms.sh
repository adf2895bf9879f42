#!/usr/bin/env bash
# VRRPv3 at 10 ms in a mixed cluster: xvrrpd masters and backs up, keepalived follows as a backup.
# keepalived 2.2.7 cannot master a 10 ms group on the 2-core test machine (its adverts leave 40-60
# ms apart, tests/lab/README.md), so the layout gives it the lowest priority: OPENSHIFT_HA_REPLICA_COUNT=1
# makes group 1 every node's master group (priority 255 - octet: n1 254, n2 253, n3 155) and
# node octets 1, 2, 100 keep keepalived's Master_Down_Interval 3.8 ms longer than n2's.
#   election    n1 holds the group and keepalived never entered MASTER. n2 may have claimed it
#               once: with state MASTER a node claims after one 10 ms advert interval, and n1's
#               first advert can leave later than that when loading its XDP program takes longer
#               than the lab's gap between the two start-ups (RFC 5798 6.4.1, not a fault).
#               The phases below count MASTER entries from here on.
#   steady      10 s: n1 answers every VIP, no other node ever becomes MASTER, keepalived included
#   cable pull  n1's cable: n2 takes the group within Master_Down_Interval + 50 ms; keepalived,
#               hearing n2's adverts at 10 ms, stays BACKUP
#   restore     n1 returns and takes the group back (state MASTER forces preemption); keepalived
#               never entered MASTER, and the group was never answered by two nodes beyond one
#               advert interval
# Usage: mixed_10ms.sh [KINDS [ADVERT_S]]   (default xvrrpd,xvrrpd,keepalived 0.01)
set -euo pipefail
kind=${1:-xvrrpd,xvrrpd,keepalived}
advert=${2:-0.01}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"

lab_init mixed10
LAB_NODE_OCTETS="1 2 100" lab_up 3
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-fast
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.40-41
  OPENSHIFT_HA_VIP_GROUPS=1
  OPENSHIFT_HA_VRRP_ID_OFFSET=40
  OPENSHIFT_HA_REPLICA_COUNT=1
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=$advert
)
e2e_start "${kinds[@]}"
e2e_wait_elected 40
echo "elected:"
lab_state_table "${E2E_ENV[@]}"
vips=$(e2e_all_vips)
adv_ms=$(e2e_advert_ms)
bound=$(e2e_bound_ms 253)
common=(--table --all-answered --no-split --split-tolerance-ms "$adv_ms")

# masters_entered I: how often node I has entered MASTER since it started (either daemon's log).
masters_entered() {
  local log
  log=$(lab_node_log "$1")
  case $(cat "$(lab_node_dir "$1")/kind") in
    keepalived) grep -c 'Entering MASTER STATE' "$log" || true ;;
    *) grep -c -- '->MASTER' "$log" || true ;;
  esac
}
declare -A base
expect_masters() {  # expect_masters WHEN N1 N2 N3: MASTER entries since the election
  local when=$1 i got want
  shift
  for i in 1 2 3; do
    got=$(($(masters_entered "$i") - base[$i]))
    want=${!i}
    [ "$got" = "$want" ] || { echo "FAIL: $when: n$i ($(cat "$(lab_node_dir "$i")/kind")) entered MASTER $got time(s) since the election, expected $want"; exit 1; }
  done
  echo "== $when: MASTER entries since the election n1=$1 n2=$2 n3=$3 as expected"
}

holder=$(e2e_group_holder 1)
[ "$holder" = n1 ] || { echo "FAIL: n1 (priority 254) should master group 1, $holder does"; exit 1; }
for i in 1 2 3; do base[$i]=$(masters_entered "$i"); done
[ "${base[3]}" = 0 ] || { echo "FAIL: after the election: n3 (keepalived) entered MASTER ${base[3]} time(s)"; exit 1; }
echo "== after the election: MASTER entries n1=${base[1]} n2=${base[2]} n3=0"

lab_probe_start steady --vips "$vips"
sleep 10
lab_probe_stop steady
echo "== steady: 10 s at ${adv_ms} ms, n1 must answer every VIP alone"
mapfile -t extra < <(e2e_unmoved_args 1 n1)
lab_probe_check "$(lab_probe_json steady)" "${common[@]}" --max-gap-ms "$bound" "${extra[@]}"
expect_masters "steady" 0 0 0

# fault NAME ACTION HOLDER N1 N2 N3: the probe NAME runs across ACTION; HOLDER answers every VIP at
# the end, no gap beyond the bound, no split beyond one advert; then the MASTER entries so far.
fault() {
  local name=$1 action=$2 holder=$3
  shift 3
  lab_probe_start "$name" --vips "$vips"
  e2e_settle
  $action
  e2e_settle
  lab_probe_stop "$name"
  mapfile -t extra < <(e2e_holder_args 1 "$holder")
  lab_probe_check "$(lab_probe_json "$name")" "${common[@]}" --max-gap-ms "$bound" "${extra[@]}"
  expect_masters "$name" "$@"
}
echo "== cable pull of n1: n2 must take over within ${bound} ms"
fault pull "lab_cable_pull 1" n2 0 1 0
echo "== n1 back: it takes group 1 back, keepalived stays BACKUP"
fault restore "lab_cable_restore 1" n1 1 1 0
e2e_pass "mixed VRRPv3 $kind ${advert}s"
