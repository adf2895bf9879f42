#!/usr/bin/env bash
# Issue 21: two xvrrpd configs (two ipfailover deployments: own config name, VRID offset, VIP
# range, HTTP port and runtime directory) on the same interface of the same 3 nodes share one XDP
# program per interface, each in a config slot of its own with its own heartbeat:
#   election      both configs elect one master per group; on every node both daemons report the
#                 same program (one per interface), in different config slots
#   A fails over  kill -9 of config A's group 1 master daemon: A's group 1 moves within
#                 Master_Down_Interval + 50 ms; config B's VIPs, the same node's included, stay
#                 answered by the same nodes throughout (B's heartbeat gates B's groups alone)
#   B fails over  the same with the roles swapped (after A's daemon restarted and rejoined)
#   collisions    a third config whose VRID is one of A's, and a fourth whose VIP is one of B's,
#                 started on the nodes mastering them: each exits non-zero at start saying which
#                 config holds it; A and B keep serving (no gap, no holder change, the VIP stays
#                 on its master's interface)
# Usage: two_configs.sh [KIND VERSION ADVERT_S]   (KIND must be xvrrpd; default 3 0.1)
set -euo pipefail
kind=${1:-xvrrpd}
version=${2:-3}
advert=${3:-0.1}
[ "$kind" = xvrrpd ] || { echo "FAIL: two_configs runs xvrrpd only (got '$kind')"; exit 1; }
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"

lab_init twocfg
lab_up 3
common_env=(
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)
A_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-cfg-a
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.60-63
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=60
  XVRRP_HTTP_ADDR=127.0.0.1:63001
  "${common_env[@]}"
)
B_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-cfg-b
  OPENSHIFT_HA_VIRTUAL_IPS=198.18.0.70-73
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=70
  XVRRP_HTTP_ADDR=127.0.0.1:63002
  "${common_env[@]}"
)
# Config A's daemon on node i is lab daemon "i", config B's is "i.b".
suffix_A="" suffix_B=".b"
use() { local -n e="$1_ENV"; E2E_ENV=("${e[@]}"); }

use A
a_vips=$(e2e_all_vips)
use B
b_vips=$(e2e_all_vips)
all_vips="$a_vips,$b_vips"
adv_ms=$(e2e_advert_ms)
bound=$(e2e_bound_ms)

for i in 1 2 3; do
  lab_start_node "$i" xvrrpd "${A_ENV[@]}"
  lab_start_node "$i.b" xvrrpd "${B_ENV[@]}"
done
declare -A holder
# elected C: waits for config C's election and records its group holders in holder[C1], holder[C2].
elected() {
  use "$1"
  local -n sfx="suffix_$1"
  if ! e2e_wait_elected 40; then
    echo "FAIL: config $1 did not elect a master for every group"
    local i
    for i in 1 2 3; do
      lab_node_running "$i$sfx" ||
        echo "  its daemon on n$i exited: $(grep '\[error\]' "$(lab_node_log "$i$sfx")" | tail -n 1)"
    done
    exit 1
  fi
  local g
  for g in 1 2; do holder[$1$g]=$(e2e_group_holder "$g") || { echo "FAIL: config $1 group $g not held by one node"; exit 1; }; done
}
elected A
elected B
for c in A B; do
  use "$c"
  echo "config $c elected:"
  lab_state_table "${E2E_ENV[@]}"
done

# One program per interface, one slot per config (the daemons' start-up lines).
prog_of() { sed -n 's/.*\] data plane: .*(program id \([0-9]*\),.*config slot \([0-9]*\).*/\1 \2/p' "$(lab_node_log "$1")" | tail -n 1; }
for i in 1 2 3; do
  read -r pa sa <<<"$(prog_of "$i")"
  read -r pb sb <<<"$(prog_of "$i.b")"
  [ -n "${pa:-}" ] && [ -n "${pb:-}" ] || { echo "FAIL: n$i: no 'data plane: ... program id N ... config slot S' line in a daemon's log"; exit 1; }
  [ "$pa" = "$pb" ] || { echo "FAIL: n$i: config A runs XDP program $pa, config B $pb: one shared program per interface expected"; exit 1; }
  [ "$sa" != "$sb" ] || { echo "FAIL: n$i: configs A and B share config slot $sa"; exit 1; }
  echo "== n$i: both configs on program $pa (slots $sa, $sb)"
done

# unmoved_args C: every VIP of config C answered only by its group's holder.
unmoved_args() {
  use "$1"
  local g
  for g in 1 2; do e2e_unmoved_args "$g" "${holder[$1$g]}"; done
}

# failover C OTHER: kill -9 of config C's group 1 master daemon, OTHER must not notice; then the
# daemon restarts and C elects again.
failover() {
  local c=$1 other=$2 victim new sfx
  local -n sfx_ref="suffix_$c"
  sfx=$sfx_ref
  victim=${holder[${c}1]#n}
  lab_probe_start "fo_$c" --vips "$all_vips"
  e2e_settle
  lab_kill_node "$victim$sfx"
  lab_mark "kill_${c}_n$victim"
  e2e_settle
  e2e_probe_stop "fo_$c"
  use "$c"
  new=$(lab_probe_holder "$(lab_probe_json "fo_$c")" "$(e2e_group_vips 1 | cut -d, -f1)")
  [ -n "$new" ] && [ "$new" != "n$victim" ] ||
    { echo "FAIL: config $c: group 1 answered by '$new' after its master n$victim's daemon was killed"; exit 1; }
  local -a extra
  mapfile -t extra < <(e2e_holder_args 1 "$new")
  echo "== config $c fails over: kill -9 of its daemon on n$victim, group 1 -> $new (bound $bound ms)"
  lab_probe_check "$(lab_probe_json "fo_$c")" --only-vips "$(e2e_all_vips)" --table --all-answered --no-split \
    --split-tolerance-ms "$adv_ms" --max-gap-ms "$bound" "${extra[@]}" ||
    { echo "FAIL: config $c's failover out of bounds"; exit 1; }
  echo "== config $other meanwhile (its daemon on n$victim kept running): same holders, no gap beyond $bound ms"
  mapfile -t extra < <(unmoved_args "$other")
  use "$other"
  lab_probe_check "$(lab_probe_json "fo_$c")" --only-vips "$(e2e_all_vips)" --table --all-answered --no-split \
    --max-gap-ms "$bound" "${extra[@]}" ||
    { echo "FAIL: killing config $c's daemon on n$victim disturbed config $other"; exit 1; }
  lab_restart_node "$victim$sfx"
  elected "$c"
}
failover A B
failover B A

# Collisions: refused at start, with the reason, while A and B keep serving. refused ID WHAT
# PATTERN ENV...: runs xvrrpd as daemon ID (in the foreground, 15 s at most) and wants a non-zero
# exit with a log line matching PATTERN.
refused() {
  local id=$1 what=$2 pattern=$3 dir rc=0
  shift 3
  dir=$(lab_node_dir "$id")
  mkdir -p "$dir/run"
  printf '%s\n' "$@" >"$dir/env"
  lab_node_exec "$(lab_node_of "$id")" timeout 15 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@" \
    "XVRRP_RUNTIME_DIR=$dir/run" "$LAB_BIN_DIR/xvrrpd" >"$dir/daemon.log" 2>&1 || rc=$?
  if [ "$rc" = 0 ] || [ "$rc" = 124 ]; then
    echo "FAIL: $what: xvrrpd was not refused (exit $rc$([ "$rc" = 124 ] && echo ': still running after 15 s')); its log:"
    tail -n 20 "$dir/daemon.log"
    exit 1
  fi
  grep -E -- "$pattern" "$dir/daemon.log" >/dev/null ||
    { echo "FAIL: $what: exit $rc, but no line matching '$pattern' says why; its log:"; tail -n 20 "$dir/daemon.log"; exit 1; }
  echo "== $what: refused (exit $rc): $(grep -E -- "$pattern" "$dir/daemon.log" | tail -n 1)"
}
use A
a_vrid=$(e2e_groups | awk '$1 == 1 {print $2}')
use B
b_vip=$(e2e_group_vips 1 | cut -d, -f1)
b_vrid=$(e2e_groups | awk '$1 == 1 {print $2}')
a_node=${holder[A1]#n}
b_node=${holder[B1]#n}
lab_probe_start collide --vips "$all_vips"
e2e_settle
refused "$a_node.c" "config C (VRID $a_vrid, config A's, on n$a_node)" "VRID $a_vrid .*e2e.cfg.a" \
  OPENSHIFT_HA_CONFIG_NAME=e2e-cfg-c OPENSHIFT_HA_VIRTUAL_IPS=203.0.113.80-81 OPENSHIFT_HA_VIP_GROUPS=1 \
  OPENSHIFT_HA_VRRP_ID_OFFSET=$((a_vrid - 1)) XVRRP_HTTP_ADDR=127.0.0.1:63003 "${common_env[@]}"
refused "$b_node.d" "config D (VIP $b_vip, config B's, on n$b_node)" "VIP $b_vip .*e2e.cfg.b" \
  OPENSHIFT_HA_CONFIG_NAME=e2e-cfg-d OPENSHIFT_HA_VIRTUAL_IPS="$b_vip,203.0.113.90" OPENSHIFT_HA_VIP_GROUPS=1 \
  OPENSHIFT_HA_VRRP_ID_OFFSET=89 XVRRP_HTTP_ADDR=127.0.0.1:63004 "${common_env[@]}"
e2e_settle
e2e_probe_stop collide
mapfile -t extra < <(unmoved_args A; unmoved_args B)
echo "== after the refused starts: A and B answered by the same nodes, no gap beyond $bound ms"
lab_probe_check "$(lab_probe_json collide)" --only-vips "$all_vips" --table --all-answered --no-split \
  --max-gap-ms "$bound" "${extra[@]}" ||
  { echo "FAIL: a refused start disturbed the running configs"; exit 1; }
[ "$(lab_vip_holders "$b_vip")" = "n$b_node" ] ||
  { echo "FAIL: $b_vip (config B) is on '$(lab_vip_holders "$b_vip")' after config D's refused start, not on its master n$b_node"; exit 1; }
for i in 1 2 3; do
  for id in "$i" "$i.b"; do lab_node_running "$id" || { echo "FAIL: daemon n$id died"; exit 1; }; done
done
e2e_pass "two_configs v$version ${advert}s"
