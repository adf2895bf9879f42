#!/usr/bin/env bash
# xvrrpd with FRRouting's vrrpd (Debian's frr 8.4) on one VRID, both directions (issue 19):
#   n1 xvrrpd (192.0.2.2: OPENSHIFT_HA_REPLICA_COUNT=1 makes its one group a start-as-MASTER group
#   at priority 255 - 2 = 253, which pre-empts at once) and n2 FRR (192.0.2.1, priority per
#   scenario), one client.
# Scenarios:
#   v3-frr-master     VRRPv3 100 ms, FRR at 254: FRR masters, xvrrpd follows; FRR's cable pulled:
#                     xvrrpd takes over within its Master_Down_Interval + 200 ms; restored: FRR
#                     pre-empts and xvrrpd goes back to BACKUP.
#   v3-xvrrpd-master  VRRPv3 100 ms, FRR at 100: xvrrpd masters; its cable pulled: FRR takes over;
#                     restored: xvrrpd pre-empts.
#   v2-none-frr-master  VRRPv2 1 s without authentication (XVRRP_V2_AUTH=none, the only VRRPv2
#                     FRR speaks), FRR at 254, the v3-frr-master phases.
# In every phase the client ARPs for the VIP and must get exactly one answer: FRR's virtual
# router MAC while FRR masters, n1's MAC while xvrrpd does; neither daemon drops the other's
# adverts (xvrrpd's adverts_dropped stays 0), and xvrrpd never enters MASTER while FRR masters.
# Usage: frr_interop.sh SCENARIO
set -euo pipefail
scenario=${1:?scenario}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/../e2e/e2e_lib.sh"

vrid=40 vip=198.51.100.40
case $scenario in
  v3-frr-master) version=3 interval_ms=100 frr_prio=254 ;;
  v3-xvrrpd-master) version=3 interval_ms=100 frr_prio=100 ;;
  v2-none-frr-master) version=2 interval_ms=1000 frr_prio=254 ;;
  *) lab_die "unknown scenario $scenario" ;;
esac
vmac=$(printf '00:00:5e:00:01:%02x' "$vrid")

lab_init "frr-$scenario"
LAB_NODE_OCTETS="2 1" lab_up 2
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=frr-interop
  "OPENSHIFT_HA_VIRTUAL_IPS=$vip"
  OPENSHIFT_HA_VRRP_ID_OFFSET=$((vrid - 1))
  OPENSHIFT_HA_REPLICA_COUNT=1
  OPENSHIFT_HA_MONITOR_PORT=0
  "XVRRP_VRRP_VERSION=$version"
  "XVRRP_ADVERT_INTERVAL=$(lab_calc "$interval_ms / 1000")"
)
[ "$version" = 2 ] && E2E_ENV+=(XVRRP_V2_AUTH=none)
lab_start_node 1 xvrrpd "${E2E_ENV[@]}"
lab_start_node 2 frr "FRR_VERSION=$version" "FRR_VRID=$vrid" "FRR_PRIORITY=$frr_prio" \
  "FRR_INTERVAL_MS=$interval_ms" "FRR_VIP=$vip"

xv_state() { e2e_ctl 1 status --json | "$LAB_PY" -c 'import json, sys; print(json.load(sys.stdin)["groups"][0]["state"])'; }
xv_masters() { grep -c 'BACKUP->MASTER\|INIT->MASTER' "$(lab_node_log 1)" || true; }
xv_dropped() {
  e2e_ctl 1 counters | "$LAB_PY" -c 'import json, sys; print(sum(json.load(sys.stdin)["adverts_dropped"].values()))'
}
# answers: the distinct MACs that answer the client's ARP for the VIP (3 requests, 1 s).
answers() {
  { lab_client_exec arping -I eth0 -S "$(lab_client_ip)" -c 3 -w 1 "$vip" 2>/dev/null || true; } |
    sed -n 's/^[0-9]* bytes from \([0-9a-fA-F:]*\) .*/\1/p' | tr 'A-F' 'a-f' | sort -u | paste -sd' ' -
}
# wait_for XV FRR TIMEOUT_S: until xvrrpd's state is XV and FRR's is FRR; prints the seconds taken.
wait_for() {
  local want_xv=$1 want_frr=$2 timeout=$3 t0 deadline xv frr
  t0=$(date +%s%N)
  deadline=$((t0 + $(lab_calc "$timeout * 1000000000" | cut -d. -f1)))
  while :; do
    xv=$(xv_state 2>/dev/null || echo none)
    frr=$(lab_frr_state 2 "$vrid")
    [ "$xv" = "$want_xv" ] && [ "$frr" = "$want_frr" ] && { lab_calc "($(date +%s%N) - $t0) / 1e9"; return 0; }
    [ "$(date +%s%N)" -lt "$deadline" ] ||
      { echo "FAIL: after ${timeout}s xvrrpd is $xv (want $want_xv), FRR is $frr (want $want_frr)" >&2; return 1; }
    sleep 0.01
  done
}
expect_answer() {
  local want=$1 got
  got=$(answers)
  [ "$got" = "$want" ] || { echo "FAIL: $2: the client's ARP for $vip answered by '$got', want '$want'" >&2; exit 1; }
}

mdi_s=$(lab_calc "(3 * $interval_ms + $interval_ms * (256 - 253) / 256) / 1000")
n1mac=$(lab_node_mac 1)
if [ "$frr_prio" -gt 253 ]; then
  wait_for BACKUP Master 30 >/dev/null
  sleep "$(lab_calc "3 * $interval_ms / 1000")"
  masters=$(xv_masters)
  sleep 2
  [ "$(xv_masters)" = "$masters" ] || { echo "FAIL: xvrrpd entered MASTER while FRR masters" >&2; exit 1; }
  expect_answer "$vmac" "FRR master"
  e2e_pass "$scenario steady: FRR Master, xvrrpd BACKUP, ARP answered by FRR's virtual MAC only"
  lab_cable_pull 2
  took=$(wait_for MASTER Master "$(lab_calc "$mdi_s + 1")")
  expect_answer "$n1mac" "FRR's cable pulled"
  awk -v t="$took" -v m="$mdi_s" 'BEGIN { exit !(t <= m + 0.2) }' ||
    { echo "FAIL: xvrrpd took over ${took}s after the pull (Master_Down_Interval ${mdi_s}s + 0.2)" >&2; exit 1; }
  e2e_pass "$scenario pull: xvrrpd MASTER ${took}s after FRR's cable went (MDI ${mdi_s}s)"
  lab_cable_restore 2
  wait_for BACKUP Master "$(lab_calc "3 * $interval_ms / 1000 + 2")" >/dev/null
  expect_answer "$vmac" "FRR's cable restored"
  e2e_pass "$scenario restore: FRR pre-empted, xvrrpd BACKUP"
else
  wait_for MASTER Backup 30 >/dev/null
  sleep 2
  [ "$(lab_frr_state 2 "$vrid")" = Backup ] || { echo "FAIL: FRR left Backup while xvrrpd masters" >&2; exit 1; }
  expect_answer "$n1mac" "xvrrpd master"
  e2e_pass "$scenario steady: xvrrpd MASTER, FRR Backup, ARP answered by n1 only"
  lab_cable_pull 1
  # xvrrpd, cut off, stays MASTER on its side: FRR's view is what counts.
  t0=$(date +%s%N)
  until [ "$(lab_frr_state 2 "$vrid")" = Master ]; do
    [ $(($(date +%s%N) - t0)) -lt 3000000000 ] || { echo "FAIL: FRR not Master 3 s after n1's cable went" >&2; exit 1; }
    sleep 0.01
  done
  expect_answer "$vmac" "xvrrpd's cable pulled"
  e2e_pass "$scenario pull: FRR Master $(lab_calc "($(date +%s%N) - $t0) / 1e9")s after n1's cable went"
  lab_cable_restore 1
  wait_for MASTER Backup 3 >/dev/null
  expect_answer "$n1mac" "xvrrpd's cable restored"
  e2e_pass "$scenario restore: xvrrpd pre-empted, FRR Backup"
fi
dropped=$(xv_dropped)
[ "$dropped" = 0 ] || { echo "FAIL: xvrrpd dropped $dropped of FRR's adverts: $(e2e_ctl 1 counters)" >&2; exit 1; }
e2e_pass "$scenario: xvrrpd dropped none of FRR's adverts"
