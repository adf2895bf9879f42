#!/usr/bin/env bash
# Issue 21: a restarted xvrrpd recovers its data plane. Three parts on one 3-node lab:
#   a. pod-local bpffs, kill -9, restart (VRRPv3 at 1 s): every daemon runs in a mount namespace of
#      its own with a bpffs of its own (LAB_POD_BPFFS), as a pod whose /sys/fs/bpf is pod-local.
#      Group 1's master is killed: its pins die with it, its program stays attached. Once a backup
#      has taken over, the daemon starts again the same way: it must replace the unpinned program
#      in place (a new program id), not exit or crash-loop, and serve within 5 s: its groups
#      elected and its group 1 (a state MASTER group: it takes it back at once) answered by it.
#   b. adoption with a changed plan (VRRPv3 at 100 ms, lab bpffs: the pins survive): one node
#      serves two groups, is killed, and restarts at once with only the first. It adopts its slot:
#      the first group's VIP is answered by it, the dropped group's VIP no longer is (neither by
#      its XDP program nor by its kernel).
#   c. --keep-dataplane restart of a master (VRRPv3 at 500 ms, RR_KEEP_ADVERT, 3 groups): SIGTERM
#      and an immediate start, both with --keep-dataplane, inside Master_Down_Interval (at 100 ms
#      that is 300 ms, and with the 2 cores busy the old daemon alone took 389 ms to exit): no node changes any state (the backups' state
#      changes and transition counters stay as they were; the restarted daemon resumes its groups
#      as MASTER with no transition), its VIPs answered by it throughout and never off its
#      interface (ip monitor address). The probe measures the ARP gap (XDP answers from its maps)
#      and the ICMP echo gap (the kernel answers: the addresses must stay); xvrrp-probe has no TCP
#      mode, ICMP stands in for traffic to the VIPs.
# Each part runs in a lab of its own (the script runs itself once per part), so one part's
# failure does not hide the others'.
# Usage: restart_recovery.sh [KIND]   (KIND must be xvrrpd; RR_PARTS="a c" runs those parts in one lab)
set -euo pipefail
kind=${1:-xvrrpd}
[ "$kind" = xvrrpd ] || { echo "FAIL: restart_recovery runs xvrrpd only (got '$kind')"; exit 1; }
here=$(dirname "$0")
# Without RR_PARTS: every part in a lab of its own, so one part's failure does not hide the others'.
if [ -z "${RR_PARTS:-}" ]; then
  failed=""
  for p in a b c; do
    RR_PARTS=$p bash "$0" "$kind" || failed="$failed $p"
  done
  [ -z "$failed" ] || { echo "FAIL: restart_recovery: part(s)$failed failed (see above)"; exit 1; }
  echo "PASS restart_recovery (parts a b c)"
  exit 0
fi
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
parts=" $RR_PARTS "
part() { [[ $parts == *" $1 "* ]]; }

lab_init restart
lab_up 3

# group_state ID GROUP: daemon ID's state of its group GROUP ("" when it does not answer).
group_state() {
  e2e_ctl "$1" status --json 2>/dev/null | "$LAB_PY" -c '
import json, sys
for g in json.load(sys.stdin)["groups"]:
    if g["name"].endswith("_VIP_" + sys.argv[1]):
        print(g["state"])' "$2" 2>/dev/null || true
}
# xdp_prog I: the id of the XDP program attached to node I's interface ("" for none).
xdp_prog() { ip -n "$(lab_node_ns "$1")" link show dev "$LAB_IF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
# mark_ms MARK: the wall-clock ms of MARK (its last occurrence).
mark_ms() {
  local ns
  ns=$(awk -v m="$1" '$1 == m { t = $2 } END { print t }' "$LAB_DIR/marks")
  echo $((ns / 1000000))
}
# log_ms LINE: the wall-clock ms of an xvrrpd log line ("[YYYY-mm-dd HH:MM:SS.mmm] ...", UTC).
log_ms() { date -u -d "$(sed -n 's/^\[\([0-9-]* [0-9:.]*\)\].*/\1/p' <<<"$1")" +%s%3N; }
stop_all() { local i; for i in 1 2 3; do lab_stop_node "$i"; done; }
# answered_after JSON VIP NAME MS: NAME's answering runs of VIP that end more than MS after the
# probe start, one "start..end" each.
answered_after() {
  "$LAB_PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
for v in s["vips"]:
    if v["vip"] == sys.argv[2]:
        for r in v["arp"]["runs"]:
            if r["name"] == sys.argv[3] and r["end_ms"] > float(sys.argv[4]):
                print("%.1f..%.1f" % (r["start_ms"], r["end_ms"]))' "$@"
}
# probe_start_ms JSON: the probe's start (wall clock, ms).
probe_start_ms() {
  "$LAB_PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(int(s["start_realtime_ns"] // 1000000))' "$1"
}

# ---------------------------------------------------------------------------------------------
if part a; then
echo "===== a. pod-local bpffs: kill -9, then restart (VRRPv3, 1 s adverts)"
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-podfs
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.100-103
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=100
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=1
)
for i in 1 2 3; do LAB_POD_BPFFS=1 lab_start_node "$i" xvrrpd "${E2E_ENV[@]}"; done
e2e_wait_elected 40
lab_state_table "${E2E_ENV[@]}"
victim=$(e2e_group_holder 1)
victim=${victim#n}
old_prog=$(xdp_prog "$victim")
[ -n "$old_prog" ] || { echo "FAIL: a: no XDP program attached on n$victim's $LAB_IF"; exit 1; }
# The pins are in the daemon's own bpffs, not in the node's (the holder's).
if lab_node_exec "$victim" sh -c "ls -A /sys/fs/bpf/xvrrp 2>/dev/null" | grep -q .; then
  echo "FAIL: a: the node's shared bpffs has xvrrp pins: LAB_POD_BPFFS did not give the daemon a bpffs of its own"; exit 1
fi
vips=$(e2e_all_vips)
lab_probe_start podfs --vips "$vips"
sleep 1
lab_kill_node "$victim"
lab_mark "kill_n$victim"
after=$(xdp_prog "$victim")
[ "$after" = "$old_prog" ] ||
  { echo "FAIL: a: after kill -9, n$victim's $LAB_IF has XDP program '${after}', expected $old_prog still attached"; exit 1; }
echo "== a: n$victim killed: its pins are gone with its bpffs, program $old_prog still attached"
# A backup takes group 1 over (Master_Down_Interval at 1 s: 3 s + skew).
deadline=$(($(date +%s) + 8))
taken=""
while [ -z "$taken" ]; do
  for i in 1 2 3; do
    [ "$i" != "$victim" ] && [ "$(group_state "$i" 1)" = MASTER ] && taken=n$i
  done
  [ -n "$taken" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || { echo "FAIL: a: no backup took group 1 over within 8 s of n$victim's kill -9"; exit 1; }
  sleep 0.1
done
echo "== a: group 1 taken over by $taken"
sleep 1
LAB_POD_BPFFS=1 lab_restart_node "$victim"
lab_mark "restart_n$victim"
restart_ms=$(mark_ms "restart_n$victim")
# Serving within 5 s: its /status answers with every group in BACKUP or MASTER and group 1
# MASTER again (a state MASTER group).
deadline=$((restart_ms + 5000))
while :; do
  lab_node_running "$victim" || { echo "FAIL: a: n$victim's restarted daemon exited; its log:"; tail -n 15 "$(lab_node_log "$victim")"; exit 1; }
  s1=$(group_state "$victim" 1)
  s2=$(group_state "$victim" 2)
  [ "$s1" = MASTER ] && [[ $s2 == MASTER || $s2 == BACKUP ]] && break
  [ "$(date +%s%3N)" -lt "$deadline" ] ||
    { echo "FAIL: a: n$victim not serving 5 s after its restart: group 1 '${s1}', group 2 '${s2}'"; exit 1; }
  sleep 0.05
done
served_ms=$(($(date +%s%3N) - restart_ms))
echo "== a: n$victim serving again ${served_ms} ms after its restart (group 1 MASTER, group 2 $s2)"
# Not crash-looping: still the same process 3 s later.
pid=$(lab_node_pid "$victim")
sleep 3
[ "$(lab_node_pid "$victim")" = "$pid" ] && lab_node_running "$victim" ||
  { echo "FAIL: a: n$victim's restarted daemon did not stay up"; exit 1; }
e2e_probe_stop podfs
new_prog=$(xdp_prog "$victim")
[ -n "$new_prog" ] && [ "$new_prog" != "$old_prog" ] ||
  { echo "FAIL: a: n$victim's $LAB_IF runs program '${new_prog}' after the restart: the unpinned $old_prog should have been replaced"; exit 1; }
run_log=$(sed -n "/^=== .* start xvrrpd/h; //!H; \${x;p}" "$(lab_node_log "$victim")")
grep -q "replaced the unpinned xvrrp program $old_prog" <<<"$run_log" ||
  { echo "FAIL: a: the restarted daemon's log does not say it replaced the unpinned program $old_prog:"; grep 'data plane\|program' <<<"$run_log" | head -5; exit 1; }
echo "== a: program $old_prog replaced in place by $new_prog ($(grep -o 'replaced the unpinned.*' <<<"$run_log"))"
mapfile -t extra < <(e2e_holder_args 1 "n$victim")
echo "-- a: n$victim answers group 1 again within 5 s of its restart"
lab_probe_check "$(lab_probe_json podfs)" --table --all-answered --no-split --split-tolerance-ms 1000 \
  --takeover "n$victim:restart_n$victim:0:5000" --only-vips "$(e2e_group_vips 1)" "${extra[@]}" ||
  { echo "FAIL: a: group 1 not answered by the restarted n$victim within 5 s"; exit 1; }
for g in 1 2; do e2e_group_holder "$g" >/dev/null || { echo "FAIL: a: group $g not held by one node after the restart"; exit 1; }; done
stop_all
fi

# ---------------------------------------------------------------------------------------------
if part b; then
echo "===== b. adoption with a changed plan: two groups, kill -9, restart with one"
plan2=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-adopt
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.110-111
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=110
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=0.1
)
kept=198.51.100.110 dropped=198.51.100.111
plan1=("${plan2[@]/#OPENSHIFT_HA_VIRTUAL_IPS=*/OPENSHIFT_HA_VIRTUAL_IPS=$kept}")
plan1=("${plan1[@]/#OPENSHIFT_HA_VIP_GROUPS=*/OPENSHIFT_HA_VIP_GROUPS=1}")
E2E_ENV=("${plan2[@]}")
lab_start_node 1 xvrrpd "${plan2[@]}"
lab_wait_vip_holder "$kept" n1 10 && lab_wait_vip_holder "$dropped" n1 10 ||
  { echo "FAIL: b: n1 alone did not master both groups"; exit 1; }
lab_probe_start adopt --vips "$kept,$dropped"
e2e_settle
lab_kill_node 1
lab_mark kill_n1
lab_start_node 1 xvrrpd "${plan1[@]}"
lab_mark restart_n1
sleep 2
e2e_probe_stop adopt
lab_node_running 1 || { echo "FAIL: b: the restarted n1 exited; its log:"; tail -n 15 "$(lab_node_log 1)"; exit 1; }
grep -q "joined at\|adopt" "$(lab_node_log 1)" || true
json=$(lab_probe_json adopt)
mapfile -t extra < <(printf -- '--holder\n%s=n1\n' "$kept")
echo "-- b: $kept (kept group) answered by n1"
lab_probe_check "$json" --table --only-vips "$kept" --all-answered --no-split --max-gap-ms 1000 "${extra[@]}" ||
  { echo "FAIL: b: the kept group's $kept is not served by the restarted n1"; exit 1; }
# The claim clears the dropped VRID's entries at start-up; half a second covers start-up on a busy
# machine. After that, nothing on n1 may answer the dropped VIP.
grace=500
since=$(($(mark_ms restart_n1) - $(probe_start_ms "$json") + grace))
late=$(answered_after "$json" "$dropped" n1 "$since")
on_if=$(ip -n "$(lab_node_ns 1)" -o addr show dev "$LAB_IF" | awk '{print $4}' | grep -F "$dropped/" || true)
arp_replies=$(lab_client_exec arping -c 3 -w 3 -i eth0 "$dropped" 2>/dev/null | grep -ci "$(lab_node_mac 1)" || true)
if [ -n "$late" ] || [ "$arp_replies" != 0 ]; then
  echo "FAIL: b: n1 still answers ARP for $dropped, whose group the new plan dropped: probe runs after restart+${grace} ms: ${late:-none} (ms since the probe start); arping: $arp_replies of 3 replies from n1; n1's $LAB_IF $([ -n "$on_if" ] && echo "still has $on_if (its kernel answers)" || echo "no longer has it")"
  grep -i 'stale\|removed\|claim\|data plane' "$(lab_node_log 1)" | tail -n 6
  exit 1
fi
echo "== b: $dropped unanswered by n1 after the restart (probe and arping), ${on_if:-not} on its interface"
lab_stop_node 1
fi

# ---------------------------------------------------------------------------------------------
if part c; then
keep_advert=${RR_KEEP_ADVERT:-0.5}
echo "===== c. --keep-dataplane restart of a master (VRRPv3, ${keep_advert} s adverts)"
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-keep
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.120-125
  OPENSHIFT_HA_VIP_GROUPS=3
  OPENSHIFT_HA_VRRP_ID_OFFSET=120
  # One replica: every group is a master group everywhere (255 - slot, flip-flopping to slot + 1),
  # so n1 masters groups 1 and 3 and the restarted master has several groups to resume.
  OPENSHIFT_HA_REPLICA_COUNT=1
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=$keep_advert
)
for i in 1 2 3; do LAB_DAEMON_ARGS=--keep-dataplane lab_start_node "$i" xvrrpd "${E2E_ENV[@]}"; done
e2e_wait_elected 40
lab_state_table "${E2E_ENV[@]}"
declare -A holder changes trans
for g in 1 2 3; do holder[$g]=$(e2e_group_holder "$g"); done
victim=${holder[1]#n}
mastered=""
for g in 1 2 3; do [ "${holder[$g]}" = "n$victim" ] && mastered="$mastered $g"; done
for i in 1 2 3; do
  changes[$i]=$(grep -c -- '->' "$(lab_node_log "$i")" || true)
  trans[$i]=$(e2e_transitions "$i")
done
vips=$(e2e_all_vips)
adv_ms=$(e2e_advert_ms)
mdi=$(lab_master_down_ms 3 "$keep_advert" "$(lab_node_priority "$victim" 1)")
# The restarted master's addresses must stay on its interface: netlink's record of every change.
ip -ts -n "$(lab_node_ns "$victim")" monitor address dev "$LAB_IF" >"$LAB_DIR/addr-monitor.log" 2>&1 &
monitor=$!
lab_on_exit "kill $monitor 2>/dev/null"
lab_probe_start keep --vips "$vips" --icmp
e2e_settle
lab_mark "stop_n$victim"
lab_stop_node "$victim"
lab_restart_node "$victim"
lab_mark "restart_n$victim"
e2e_settle
e2e_probe_stop keep
kill "$monitor" 2>/dev/null || true
lab_node_running "$victim" || { echo "FAIL: c: n$victim's restarted daemon exited"; exit 1; }
log=$(lab_node_log "$victim")
run_log=$(sed -n "/^=== .* start xvrrpd/h; //!H; \${x;p}" "$log")
grep -q 'stopping .*with --keep-dataplane' "$log" ||
  { echo "FAIL: c: n$victim's daemon did not stop the --keep-dataplane way"; tail -n 5 "$log"; exit 1; }
resumed=$(grep -o 'resuming [0-9]* group(s).*' <<<"$run_log" || true)
# How long the restart took: SIGTERM to the old run's exit, and to the new run's adopted data plane.
stop_at=$(mark_ms "stop_n$victim")
exit_line=$(grep '\] xvrrpd stopped' "$log" | tail -n 1)
dp_line=$(grep '\] data plane: ' <<<"$run_log" | tail -n 1)
[ -n "$dp_line" ] && [ -n "$exit_line" ] || { echo "FAIL: c: no 'xvrrpd stopped' or 'data plane:' line in n$victim's log"; exit 1; }
timing="SIGTERM to the old run's exit $(($(log_ms "$exit_line") - stop_at)) ms, to the new run's adopted data plane $(($(log_ms "$dp_line") - stop_at)) ms (Master_Down_Interval ${mdi} ms)"
echo "== c: n$victim restarted: $timing"
for g in $mastered; do
  grep -q "_VIP_$g INIT->MASTER: startup: resumes" <<<"$run_log" ||
    { echo "FAIL: c: the restarted n$victim did not resume group $g (it mastered it) as MASTER ($timing); its state changes:"; grep -- '->' <<<"$run_log"; exit 1; }
done
# The restarted daemon: its start-up line per group and nothing after.
extra_changes=$(grep -- '->' <<<"$run_log" | grep -v 'INIT->MASTER: startup: resumes\|INIT->BACKUP: startup' || true)
[ -z "$extra_changes" ] || { echo "FAIL: c: the restarted n$victim changed state after its start-up:"; echo "$extra_changes"; exit 1; }
for i in 1 2 3; do
  [ "$i" = "$victim" ] && continue
  now=$(grep -c -- '->' "$(lab_node_log "$i")" || true)
  [ "$now" = "${changes[$i]}" ] ||
    { echo "FAIL: c: n$i changed state during n$victim's --keep-dataplane restart:"; grep -- '->' "$(lab_node_log "$i")" | tail -n $((now - changes[$i])); exit 1; }
  t=$(e2e_transitions "$i")
  [ "$t" = "${trans[$i]}" ] || { echo "FAIL: c: n$i's groups (name:state:transitions) went from ${trans[$i]} to $t"; exit 1; }
done
echo "== c: n$victim (master of groups${mastered}) ${resumed}"
echo "== c: no state change on any node (backups' transition counters: $(for i in 1 2 3; do [ "$i" = "$victim" ] || printf 'n%s %s; ' "$i" "${trans[$i]}"; done))"
mine_vips=$(for g in $mastered; do e2e_group_vips "$g"; done | paste -sd, -)
gone=$(grep 'Deleted' "$LAB_DIR/addr-monitor.log" | grep -wF -f <(tr , '\n' <<<"$mine_vips") || true)
mapfile -t extra < <(for g in 1 2 3; do e2e_unmoved_args "$g" "${holder[$g]}"; done)
bound=$(e2e_bound_ms)
echo "-- c: ARP during the restart"
lab_probe_check "$(lab_probe_json keep)" --table --all-answered --no-split --max-gap-ms "$bound" "${extra[@]}" ||
  { echo "FAIL: c: the VIPs were not answered by their masters throughout the restart"; exit 1; }
echo "-- c: ICMP echo during the restart"
lab_probe_check "$(lab_probe_json keep)" --kind icmp --table --all-answered --no-split --max-gap-ms "$bound" ||
  { echo "FAIL: c: ICMP echo to the VIPs gapped during the restart"; exit 1; }
"$LAB_PY" - "$(lab_probe_json keep)" "$mine_vips" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
mine = set(sys.argv[2].split(","))
for kind in ("arp", "icmp"):
    gaps = [(v[kind]["longest_gap_ms"] or 0.0, v["vip"]) for v in s["vips"] if v["vip"] in mine and v.get(kind)]
    worst = max(gaps) if gaps else (0.0, "-")
    print(f"== c: restarted master's VIPs: longest {kind.upper()} gap {worst[0]:.1f} ms ({worst[1]})")
print("== c: TCP gap: not measured (xvrrp-probe has no TCP mode; ICMP echo is answered by the same kernel addresses)")
EOF
# Checked last, so the gaps above are printed either way: an address taken off and put back makes
# an ICMP (and TCP) gap that ARP, answered by XDP from its maps, does not show.
[ -z "$gone" ] || {
  echo "FAIL: c: the restarted master n$victim's VIPs left its interface during the --keep-dataplane restart (ip monitor address, and the daemons' lines around it):"
  { grep -F -f <(tr , '\n' <<<"$mine_vips") "$LAB_DIR/addr-monitor.log" | sed 's/^\[\([0-9-]*\)T\([0-9:.]*\)[0-9]\{3\}\]/[\1 \2]/'
    grep -E 'stopping|xvrrpd stopped|\] data plane: .*adopted|resumes' "$log" | tail -n 5; } | sort
  exit 1
}
echo "== c: n$victim's VIPs never left its interface"
fi
e2e_pass "restart_recovery (parts${parts% })"
