#!/usr/bin/env bash
# Issue 21: a keepalived pair (VRID 200, its own VIP: the platform's keepalived, say) on the same
# interfaces as a 3-node xvrrpd cluster whose XDP programs are attached. xvrrpd's program must pass
# VRRP for a VRID no config on the node serves: when it dropped it, the keepalived backup went deaf
# and both keepalived nodes became master. Asserted in both directions of a failover of each:
#   election        keepalived elects exactly one master (n2: state MASTER, priority 205), its
#                   backup n1 never enters MASTER; xvrrpd's groups do not move
#   ka failover     keepalived's master stops (SIGTERM, priority-0 advert): n1 takes the VIP, exactly
#                   one keepalived master, xvrrpd's VIPs answered by the same nodes throughout
#   ka failback     n2's keepalived starts again and preempts (state MASTER): one master again
#   xvrrpd failover kill -9 of group 1's xvrrpd master: the group moves within
#                   Master_Down_Interval + 50 ms; keepalived enters no state and its VIP stays
#                   answered by n2 alone
#   xvrrpd failback the killed xvrrpd restarts and takes group 1 back; keepalived still untouched
#   counters        every xvrrpd node's XDP counter vrrp_pass_foreign grew by keepalived's adverts
# keepalived runs as OpenShift's image configures it (VRRPv2, 1 s), xvrrpd at VERSION/ADVERT_S.
# Usage: coexist_keepalived.sh [KIND VERSION ADVERT_S]   (KIND must be xvrrpd; default 3 0.1)
set -euo pipefail
kind=${1:-xvrrpd}
version=${2:-3}
advert=${3:-0.1}
[ "$kind" = xvrrpd ] || { echo "FAIL: coexist_keepalived runs xvrrpd beside keepalived (got '$kind')"; exit 1; }
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"

command -v keepalived >/dev/null || { echo "FAIL: keepalived is not installed (scripts/install-deps.sh)"; exit 1; }
lab_init coexka
# Octets 1, 50, 3: keepalived's pair (replicas 2) is n2 (slot 50, even: master, 205) and n1 (slot
# 1: backup, 1..32), far apart so the two never time out together.
LAB_NODE_OCTETS="1 50 3" lab_up 3
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-coexist
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.30-35
  OPENSHIFT_HA_VIP_GROUPS=3
  OPENSHIFT_HA_VRRP_ID_OFFSET=30
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)
ka_vip=203.0.113.200
ka_env=(
  OPENSHIFT_HA_CONFIG_NAME=platform-ka
  OPENSHIFT_HA_VIRTUAL_IPS=$ka_vip
  OPENSHIFT_HA_VIP_GROUPS=1
  OPENSHIFT_HA_VRRP_ID_OFFSET=199
  OPENSHIFT_HA_REPLICA_COUNT=2
  OPENSHIFT_HA_MONITOR_PORT=0
)
ka_vrid=200
# The point of the test: keepalived's VRID is one no xvrrpd config serves.
for vrid in $(e2e_groups | awk '{print $2}'); do
  [ "$vrid" != "$ka_vrid" ] || { echo "FAIL: setup: xvrrpd's VRIDs ($(e2e_groups | awk '{print $2}' | paste -sd' ')) include keepalived's $ka_vrid"; exit 1; }
done

e2e_start xvrrpd
e2e_wait_elected 40
echo "xvrrpd elected (VRIDs $(e2e_groups | awk '{print $2}' | paste -sd' ')):"
lab_state_table "${E2E_ENV[@]}"
declare -A holder foreign0
for g in 1 2 3; do holder[$g]=$(e2e_group_holder "$g"); done
for i in 1 2 3; do foreign0[$i]=$(e2e_xdp_counter "$i" vrrp_pass_foreign); done
xv_vips=$(e2e_all_vips)
adv_ms=$(e2e_advert_ms)
xv_bound=$(e2e_bound_ms)
# keepalived at v2 1 s: Master_Down_Interval of its lowest possible priority, + 50 ms.
ka_bound=$(lab_calc "$(lab_master_down_ms 2 1 1) + 50")

# xvrrpd_unmoved_args: every xvrrpd VIP answered only by its group's holder from `holder`.
xvrrpd_unmoved_args() {
  local g
  for g in 1 2 3; do e2e_unmoved_args "$g" "${holder[$g]}"; done
}
# ka_check NAME WHEN: exactly one keepalived master, and it is the node holding the VIP.
ka_check() {
  local when=$1 id masters="" held
  for id in 1.ka 2.ka; do
    lab_node_running "$id" || continue
    [ "$(e2e_ka_state "$id")" = MASTER ] && masters="$masters n${id%.ka}"
  done
  masters=${masters# }
  held=$(lab_vip_holders "$ka_vip")
  [[ -n $masters && $masters != *" "* ]] ||
    { echo "FAIL: $when: keepalived VRID $ka_vrid masters: '${masters}' (exactly one expected; n1 last entered $(e2e_ka_state 1.ka), n2 $(e2e_ka_state 2.ka))"; exit 1; }
  [ "$held" = "$masters" ] ||
    { echo "FAIL: $when: keepalived's master is $masters but $ka_vip is on '${held}'"; exit 1; }
  echo "== $when: keepalived VRID $ka_vrid: exactly one master ($masters, holds $ka_vip)"
}
# ka_wait NODE TIMEOUT_S: keepalived's VIP held by exactly NODE.
ka_wait() { lab_wait_vip_holder "$ka_vip" "$1" "$2" || { echo "FAIL: $ka_vip not held by $1 alone within $2 s"; exit 1; }; }
# check_xvrrpd JSON WHEN: xvrrpd's groups were not disturbed (same holders, no gap beyond the bound).
check_xvrrpd() {
  local -a extra
  mapfile -t extra < <(xvrrpd_unmoved_args)
  echo "-- $2: xvrrpd's VIPs"
  lab_probe_check "$1" --only-vips "$xv_vips" --table --all-answered --no-split --max-gap-ms "$xv_bound" "${extra[@]}" ||
    { echo "FAIL: $2: xvrrpd's groups were disturbed"; exit 1; }
}

# 1. keepalived joins the interfaces xvrrpd's XDP programs sit on.
lab_probe_start ka_elect --vips "$xv_vips,$ka_vip"
lab_start_node 2.ka keepalived "${ka_env[@]}"
lab_start_node 1.ka keepalived "${ka_env[@]}"
ka_wait n2 10
# Long enough for a deaf backup to time out (3 intervals + skew at 1 s) and claim the VIP.
sleep 5
e2e_probe_stop ka_elect
[ "$(e2e_ka_masters 1.ka)" = 0 ] ||
  { echo "FAIL: election: n1's keepalived (backup, priority $(lab_node_priority 1.ka 1)) entered MASTER $(e2e_ka_masters 1.ka) time(s): it does not hear n2's VRID $ka_vrid adverts"; exit 1; }
ka_check "election"
echo "-- election: keepalived's VIP"
lab_probe_check "$(lab_probe_json ka_elect)" --only-vips "$ka_vip" --table --no-split --answered-by "$ka_vip=n2" --holder "$ka_vip=n2" ||
  { echo "FAIL: election: $ka_vip answered by another node than n2"; exit 1; }
check_xvrrpd "$(lab_probe_json ka_elect)" "election"

# 2. keepalived failover: its master stops.
lab_probe_start ka_fo --vips "$xv_vips,$ka_vip"
sleep 1
lab_stop_node 2.ka
lab_mark stop_ka_n2
ka_wait n1 6
sleep 2
e2e_probe_stop ka_fo
ka_check "keepalived failover"
echo "-- keepalived failover n2 -> n1 (bound ${ka_bound} ms)"
lab_probe_check "$(lab_probe_json ka_fo)" --only-vips "$ka_vip" --table --all-answered --no-split --max-gap-ms "$ka_bound" --holder "$ka_vip=n1" ||
  { echo "FAIL: keepalived failover: $ka_vip did not move cleanly to n1"; exit 1; }
check_xvrrpd "$(lab_probe_json ka_fo)" "keepalived failover"

# 3. keepalived failback: n2 starts again (state MASTER: preempts at once).
lab_probe_start ka_fb --vips "$xv_vips,$ka_vip"
sleep 1
lab_restart_node 2.ka
lab_mark start_ka_n2
ka_wait n2 8
sleep 2
e2e_probe_stop ka_fb
ka_check "keepalived failback"
echo "-- keepalived failback n1 -> n2 (overlaps up to one 1 s interval tolerated)"
lab_probe_check "$(lab_probe_json ka_fb)" --only-vips "$ka_vip" --table --all-answered --no-split --split-tolerance-ms 1000 --max-gap-ms "$ka_bound" --holder "$ka_vip=n2" ||
  { echo "FAIL: keepalived failback: $ka_vip did not move cleanly back to n2"; exit 1; }
check_xvrrpd "$(lab_probe_json ka_fb)" "keepalived failback"

# Every xvrrpd node passed keepalived's adverts (VRID 200) on to the kernel, and counted them.
# XDP sees what the interface receives: n3 every keepalived advert (one a second for 15+ s), n1
# n2's and n2 n1's (n1 mastered for the 3 s of each failover and failback: 5 or more).
declare -A want_foreign=([1]=5 [2]=5 [3]=12)
for i in 1 2 3; do
  now=$(e2e_xdp_counter "$i" vrrp_pass_foreign)
  grew=$((now - foreign0[$i]))
  [ "$grew" -ge "${want_foreign[$i]}" ] ||
    { echo "FAIL: n$i: XDP counter vrrp_pass_foreign grew by $grew (from ${foreign0[$i]} to $now), at least ${want_foreign[$i]} of keepalived's VRID $ka_vrid adverts expected"; exit 1; }
  echo "== n$i: vrrp_pass_foreign ${foreign0[$i]} -> $now (+$grew, at least ${want_foreign[$i]} expected)"
done

# 4. xvrrpd failover: kill -9 of group 1's master; keepalived must not notice.
ka_before="$(e2e_ka_changes 1.ka) $(e2e_ka_changes 2.ka)"
victim=${holder[1]#n}
lab_probe_start xv_fo --vips "$xv_vips,$ka_vip"
e2e_settle
lab_kill_node "$victim"
lab_mark "kill_n$victim"
e2e_settle
e2e_probe_stop xv_fo
new=$(lab_probe_holder "$(lab_probe_json xv_fo)" "$(e2e_group_vips 1 | cut -d, -f1)")
[ -n "$new" ] && [ "$new" != "n$victim" ] || { echo "FAIL: xvrrpd failover: group 1 answered by '$new' after n$victim was killed"; exit 1; }
echo "-- xvrrpd failover: kill -9 of n$victim, group 1 -> $new (bound ${xv_bound} ms)"
mapfile -t extra < <(e2e_holder_args 1 "$new")
lab_probe_check "$(lab_probe_json xv_fo)" --only-vips "$xv_vips" --table --all-answered --no-split --split-tolerance-ms "$adv_ms" --max-gap-ms "$xv_bound" "${extra[@]}" ||
  { echo "FAIL: xvrrpd failover of group 1 out of bounds"; exit 1; }
echo "-- xvrrpd failover: keepalived's VIP"
lab_probe_check "$(lab_probe_json xv_fo)" --only-vips "$ka_vip" --table --all-answered --no-split --max-gap-ms 500 --answered-by "$ka_vip=n2" ||
  { echo "FAIL: xvrrpd failover disturbed keepalived's $ka_vip"; exit 1; }
[ "$(e2e_ka_changes 1.ka) $(e2e_ka_changes 2.ka)" = "$ka_before" ] ||
  { echo "FAIL: xvrrpd failover: keepalived changed state (state entries n1 n2: $ka_before -> $(e2e_ka_changes 1.ka) $(e2e_ka_changes 2.ka))"; exit 1; }
ka_check "xvrrpd failover"

# 5. xvrrpd failback: the killed node restarts and takes group 1 back (state MASTER).
lab_probe_start xv_fb --vips "$xv_vips,$ka_vip"
sleep 1
lab_restart_node "$victim"
lab_mark "restart_n$victim"
e2e_wait_elected 30
e2e_probe_stop xv_fb
back=$(e2e_group_holder 1)
[ "$back" = "n$victim" ] || { echo "FAIL: xvrrpd failback: group 1 on $back, not back on n$victim"; exit 1; }
echo "-- xvrrpd failback: group 1 $new -> n$victim"
mapfile -t extra < <(e2e_holder_args 1 "n$victim")
lab_probe_check "$(lab_probe_json xv_fb)" --only-vips "$xv_vips" --table --all-answered --no-split --split-tolerance-ms "$adv_ms" --max-gap-ms "$xv_bound" "${extra[@]}" ||
  { echo "FAIL: xvrrpd failback of group 1 out of bounds"; exit 1; }
lab_probe_check "$(lab_probe_json xv_fb)" --only-vips "$ka_vip" --table --all-answered --no-split --max-gap-ms 500 --answered-by "$ka_vip=n2" ||
  { echo "FAIL: xvrrpd failback disturbed keepalived's $ka_vip"; exit 1; }
[ "$(e2e_ka_changes 1.ka) $(e2e_ka_changes 2.ka)" = "$ka_before" ] ||
  { echo "FAIL: xvrrpd failback: keepalived changed state (state entries n1 n2: $ka_before -> $(e2e_ka_changes 1.ka) $(e2e_ka_changes 2.ka))"; exit 1; }
ka_check "xvrrpd failback"
base=$(e2e_xdp_counter "$victim" vrrp_pass_foreign)
sleep 2.5
now=$(e2e_xdp_counter "$victim" vrrp_pass_foreign)
[ "$now" -gt "$base" ] || { echo "FAIL: n$victim after its restart: vrrp_pass_foreign stayed at $now over 2.5 s of keepalived adverts"; exit 1; }
echo "== n$victim after its restart: vrrp_pass_foreign $base -> $now"
e2e_pass "coexist_keepalived: keepalived VRID $ka_vrid (v2 1 s) beside xvrrpd v$version ${advert}s"
