#!/usr/bin/env bash
# vmtests guest suite "two-configs" (issue 21): two real xvrrpd configs (VRID offsets 10 and 20,
# two groups each, their own VIPs, runtime dirs and HTTP ports) on the same interface vA share its
# one XDP program on this kernel; a second node B runs both configs too (kernel data plane: vB
# carries the XDP_PASS program native XDP_TX needs). The generator's priorities give each node
# one group of each config. Every group elects one master; killing (-9) config x's daemon on A
# moves x's group to B, while config y changes state nowhere and its group on A stays answered
# by A's XDP program, whose other user just died.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need "$build/bin/xvrrpd"
pids=()
daemon_down() { local p; for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; lab_down; }
lab_up
trap daemon_down EXIT

# start NODE CONFIG OFFSET VIP PORT [ENV...]: one xvrrpd in NODE's namespace (a or b), the guest's
# one bpffs shared (nsenter --net keeps the mount namespace); its pid appended to pids.
start() {
  local node=$1 cfg=$2 offset=$3 vip=$4 port=$5 ns dev
  shift 5
  ns=$A dev=vA
  [ "$node" = b ] && ns=$B dev=vB
  mkdir -p "/tmp/$prefix-$node-$cfg"
  nsenter --net="/run/netns/$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    OPENSHIFT_HA_CONFIG_NAME="vm-$cfg" OPENSHIFT_HA_VIRTUAL_IPS="$vip" OPENSHIFT_HA_VRRP_ID_OFFSET="$offset" \
    OPENSHIFT_HA_VIP_GROUPS=2 \
    OPENSHIFT_HA_REPLICA_COUNT=2 OPENSHIFT_HA_MONITOR_PORT=0 OPENSHIFT_HA_NETWORK_INTERFACE="$dev" \
    XVRRP_RUNTIME_DIR="/tmp/$prefix-$node-$cfg" XVRRP_HTTP_ADDR="127.0.0.1:$port" "$@" \
    "$build/bin/xvrrpd" >"/tmp/$prefix-$node-$cfg.log" 2>&1 &
  pids+=($!)
  eval "pid_${node}_$cfg=$!"
  disown $!
}
# state NODE CONFIG GROUP: group GROUP's (1, 2) state as that daemon reports it on its network
# /status, which numbers groups and names none (empty when it does not answer)
state() {
  local ns=$A port
  [ "$1" = b ] && ns=$B
  port=$([ "$2" = x ] && echo 63010 || echo 63020)
  nsenter --net="/run/netns/$ns" python3 -c '
import json, sys, urllib.request
try:
    s = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/status", timeout=3))
    print([g["state"] for g in s["groups"] if g["group"] == int(sys.argv[2])][0])
except Exception:
    pass' "$port" "$3"
}
# masters CONFIG GROUP: the nodes whose daemon of CONFIG is MASTER of GROUP, e.g. "a" or "a b"
masters() { local n m=""; for n in a b; do [ "$(state "$n" "$1" "$2")" = MASTER ] && m+="${m:+ }$n"; done; echo "$m"; }
wait_one_master() { # CONFIG SECONDS: exactly one master for each of its groups
  local i
  for i in $(seq 1 $(($2 * 2))); do
    [[ $(masters "$1" 1) == [ab] && $(masters "$1" 2) == [ab] ]] && return 0
    sleep 0.5
  done
  return 1
}
transitions() { grep -c -- '->' "/tmp/$prefix-$1-$2.log"; }
answered_by() { # VIP MAC
  local out
  out=$(ip netns exec "$B" arping -c 2 -w 4 -i vB "$1" 2>&1)
  grep -qi "bytes from $2" <<<"$out"
}

start a x 10 198.51.100.10,198.51.100.11 63010
start a y 20 198.51.100.20,198.51.100.21 63020
start b x 10 198.51.100.10,198.51.100.11 63010 XVRRP_DATAPLANE=kernel
start b y 20 198.51.100.20,198.51.100.21 63020 XVRRP_DATAPLANE=kernel
check "config x elects exactly one master" wait_one_master x 90
check "config y elects exactly one master" wait_one_master y 90
check "vA carries one XDP program for both configs" has_xdp_a
check "config y on vA joined config x's program" grep -q "joined at\|shared with" "/tmp/$prefix-a-y.log" "/tmp/$prefix-a-x.log"
# The group each config's daemon on A masters, and its VIP.
ga_x="" ga_y=""
for g in 1 2; do
  [ "$(masters x $g)" = a ] && ga_x=$g
  [ "$(masters y $g)" = a ] && ga_y=$g
done
echo "A masters x's group ${ga_x:-none} and y's group ${ga_y:-none}"
check "A masters one group of each config" test -n "$ga_x" -a -n "$ga_y"
vip_y=198.51.100.2$((ga_y - 1))
sleep 4  # settle: both configs past their start-up
y_before_a=$(transitions a y) y_before_b=$(transitions b y)
check "config y's $vip_y answered by vA's XDP" answered_by "$vip_y" "$(mac_a)"

# Config x's daemon on A dies: its group moves to B; A's program keeps serving config y.
kill -KILL "$pid_a_x"
moved=no
for i in $(seq 1 40); do [ "$(masters x "$ga_x")" = b ] && moved=yes && break; sleep 0.5; done
check "config x's group $ga_x moved to B after its daemon on A was killed" test "$moved" = yes
check "config y changed state on no node meanwhile" test "$(transitions a y)" = "$y_before_a" -a "$(transitions b y)" = "$y_before_b"
check "config y's group $ga_y still mastered by A" test "$(masters y "$ga_y")" = a
check "vA still carries the program config y uses" has_xdp_a
check "config y's $vip_y still answered by vA's XDP" answered_by "$vip_y" "$(mac_a)"
check_not "the dead config x's VIP 198.51.100.1$((ga_x - 1)) not answered by vA (dropped, not passed)" \
  answered_by "198.51.100.1$((ga_x - 1))" "$(mac_a)"
for f in /tmp/$prefix-*.log; do grep -q "FAIL\|error" "$f" && { echo "--- $f"; grep -v "libbpf\|libxdp" "$f" | tail -5; }; done
exit 0
