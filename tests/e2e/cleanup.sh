#!/usr/bin/env bash
# xvrrpd --cleanup (issue 21): the rollback to keepalived on a node whose xvrrpd died.
#   1. config A (IPv4 and IPv6 groups, nft rule) and config B (IPv4) share the node's interface and
#      its one XDP program; A is master of its VIPs
#   2. --cleanup of A refuses while A's daemon runs (exit 1), changing nothing: by the instance
#      lock, and with another runtime directory (another pod's) by the data plane's heartbeat
#   3. A is killed (-9): VIPs, its slot, the program and pins, its nft table stay behind; for 5 s
#      its heartbeat still counts as alive and --cleanup refuses; the client's ARP for A's VIPs
#      goes unanswered though they are still on eth0 (the shared program drops it), B's is answered
#   4. --cleanup of A (same environment): exit 0; A's VIPs, local routes and table are gone, B's VIPs, B's slot
#      and the program stay (B still runs); an address of A's VIP with another prefix is not ours
#      and stays
#   5. a second --cleanup: exit 0, nothing removed
#   6. B killed, then cleaned with XVRRP_DATAPLANE=kernel in its environment (a config switched to
#      kernel mode after an XDP run): no XDP program on the interface, no pins
# Usage: cleanup.sh
set -euo pipefail
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"

lab_init cleanup
lab_up 1
ns=$(lab_node_ns 1)
dir=$(lab_node_dir 1)
env_a=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-clean-a
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.70-71,2001:db8::70
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=70
  OPENSHIFT_HA_REPLICA_COUNT=1
  OPENSHIFT_HA_MONITOR_PORT=0
  OPENSHIFT_HA_NFTABLES_RULE=true
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=0.1
  XVRRP_HTTP_ADDR=127.0.0.1:63071
)
env_b=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-clean-b
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.80
  OPENSHIFT_HA_VRRP_ID_OFFSET=80
  OPENSHIFT_HA_REPLICA_COUNT=1
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=0.1
  XVRRP_HTTP_ADDR=127.0.0.1:63081
  "XVRRP_RUNTIME_DIR=$dir/run-b"
)

fail() {
  echo "FAIL: $*"
  exit 1
}
# cleanup_run ENV...: xvrrpd --cleanup in the node with exactly ENV (as the lab starts daemons);
# sets rc and out.
cleanup_run() {
  rc=0
  out=$(lab_node_exec 1 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@" \
    "$LAB_BIN_DIR/xvrrpd" --cleanup 2>&1) || rc=$?
  echo "--- xvrrpd --cleanup (exit $rc):"
  echo "$out"
}
addrs() { ip -n "$ns" -o addr show dev eth0 | awk '{print $4}'; }
has_addr() { addrs | grep -xF "$1" >/dev/null; }
# answered VIP: the client's arping gets a reply from n1 (its output goes to the log). Greps read
# all their input: grep -q in a pipe could stop the writer with SIGPIPE, which pipefail reports.
answered() { local o; o=$(lab_client_exec arping -c 2 -w 2 -i eth0 "$1" 2>&1); echo "$o" >&2; grep -qi "from $(lab_node_mac 1)" <<<"$o"; }
# our_routes: xvrrpd's local routes on the node (protocol 77), IPv4 and IPv6
our_routes() { { ip -n "$ns" route show table local proto 77; ip -n "$ns" -6 route show table local proto 77; } | awk '{print $2}'; }
has_table() { ip netns exec "$ns" nft list tables | grep -xF "table inet $1" >/dev/null; }
has_xdp() { ip -n "$ns" link show dev eth0 | grep 'prog/xdp' >/dev/null; }
pins() { lab_node_exec 1 find /sys/fs/bpf/xvrrp -mindepth 1 2>/dev/null || true; }

# Config B beside the lab's own daemon: started the way lab__start starts one, killed on exit.
mkdir -p "$dir/run-b"
setsid nsenter --target "$(cat "$dir/holder.pid")" --mount --net -- \
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "${env_b[@]}" "$LAB_BIN_DIR/xvrrpd" \
  >"$dir/daemon-b.log" 2>&1 &
pid_b=$!
disown "$pid_b"
lab_on_exit "kill -KILL $pid_b 2>/dev/null"
lab_wait_vip_holder 198.51.100.80 n1 20 || { cat "$dir/daemon-b.log"; fail "config B did not take 198.51.100.80"; }

# 1. config A (run dir $dir/run, the lab's).
lab_start_node 1 xvrrpd "${env_a[@]}"
env_a+=("XVRRP_RUNTIME_DIR=$dir/run")
lab_wait_vip_holder 198.51.100.70 n1 20 || fail "config A did not take 198.51.100.70"
for ((i = 0; i < 100; i++)); do has_addr 2001:db8::70/128 && break; sleep 0.05; done
has_addr 2001:db8::70/128 || fail "config A did not add 2001:db8::70"
has_table xvrrp_e2e_clean_a || fail "config A installed no nft table"
has_xdp || fail "no XDP program on eth0"

# 2. refused while A runs.
cleanup_run "${env_a[@]}"
[ "$rc" = 1 ] || fail "--cleanup while config A runs exited $rc, expected 1"
[[ $out == *"already runs this config"* && $out == *e2e-clean-a* ]] || fail "the refusal does not name the running daemon"
has_addr 198.51.100.70/32 && has_table xvrrp_e2e_clean_a || fail "a refused --cleanup changed something"
cleanup_run "${env_a[@]}" "XVRRP_RUNTIME_DIR=$dir/run-other"
[ "$rc" = 1 ] || fail "--cleanup from another runtime dir while config A runs exited $rc, expected 1"
[[ $out == *"heartbeat less than 5 s ago"* ]] || fail "the refusal does not name the live heartbeat"
has_addr 198.51.100.70/32 && has_table xvrrp_e2e_clean_a || fail "a refused --cleanup changed something"
lab_node_running 1 || fail "config A's daemon died during the refused --cleanup"

# 3. A dies; everything stays behind. The same address with a /24 is somebody else's.
lab_kill_node 1
killed_a=$(date +%s%N)
cleanup_run "${env_a[@]}"
[ "$rc" = 1 ] && [[ $out == *"heartbeat less than 5 s ago"* ]] ||
  fail "--cleanup just after the kill did not wait for the heartbeat to age (exit $rc)"
ip -n "$ns" addr add 198.51.100.71/24 dev eth0
for want in 198.51.100.70/32 198.51.100.71/32 2001:db8::70/128 198.51.100.80/32; do
  has_addr "$want" || fail "$want is not on eth0 after the kill (the test proves nothing)"
done
has_table xvrrp_e2e_clean_a || fail "the nft table went with the killed daemon (the test proves nothing)"
our_routes | grep -q '^198\.51\.100\.7' || fail "no local route of config A after the kill (the test proves nothing): $(our_routes)"
our_routes | grep -q '^198\.51\.100\.80' || fail "no local route of config B (the test proves nothing): $(our_routes)"
# The dead config's VIPs are still on eth0, yet nobody answers for them: the shared program keeps
# dropping ARP for them (its gate is closed); B's VIP, served by the same program, is answered.
answered 198.51.100.80 || fail "no ARP reply for config B's 198.51.100.80 (the probe proves nothing)"
answered 198.51.100.70 && fail "ARP for the dead config's 198.51.100.70 was answered: a leftover address answers"

# 4. clean-up of A, once its heartbeat is 5 s old.
sleep "$(lab_max 0 "$(lab_calc "5.2 - ($(date +%s%N) - $killed_a) / 1000000000")")"
cleanup_run "${env_a[@]}"
[ "$rc" = 0 ] || fail "--cleanup exited $rc"
for gone in 198.51.100.70/32 198.51.100.71/32 2001:db8::70/128; do
  has_addr "$gone" && fail "$gone is still on eth0"
  [[ $out == *"removed VIP $gone"* ]] || fail "--cleanup did not report removing $gone"
done
has_addr 198.51.100.71/24 || fail "--cleanup removed 198.51.100.71/24, which is not a VIP as xvrrpd adds it"
our_routes | grep -q '^198\.51\.100\.7\|^2001:db8::70' && fail "config A's local routes are still there: $(our_routes)"
[[ $out == *"removed local route 198.51.100.7"* ]] || fail "--cleanup did not report removing config A's local route"
our_routes | grep -q '^198\.51\.100\.80' || fail "--cleanup of A removed config B's local route"
has_addr 198.51.100.80/32 || fail "--cleanup of A removed config B's VIP"
has_addr "$(lab_node_ip 1)/24" || fail "--cleanup removed the node address"
has_table xvrrp_e2e_clean_a && fail "nft table inet xvrrp_e2e_clean_a is still there"
[[ $out == *"removed nft table inet xvrrp_e2e_clean_a"* ]] || fail "--cleanup did not report the nft table"
has_xdp || fail "--cleanup of A took the program config B still uses off eth0"
kill -0 "$pid_b" || fail "config B's daemon died"
answered 198.51.100.70 && fail "ARP for 198.51.100.70 answered after the clean-up"
answered 198.51.100.80 || fail "config B's 198.51.100.80 no longer answered after A's clean-up"
lab_wait_vip_holder 198.51.100.80 n1 1 || fail "config B no longer serves 198.51.100.80"
ip -n "$ns" addr del 198.51.100.71/24 dev eth0
# B dies too (its heartbeat ages while step 5 runs).
kill -KILL "$pid_b"
lab__wait_exit "$pid_b" 5 || fail "config B survived SIGKILL"
killed_b=$(date +%s%N)

# 5. idempotent.
cleanup_run "${env_a[@]}"
[ "$rc" = 0 ] || fail "a second --cleanup exited $rc"
[[ $out == *"nothing of config e2e-clean-a"* ]] || fail "a second --cleanup did not say there was nothing left"
[[ $out == *removed* ]] && fail "a second --cleanup removed something"

# 6. B, killed, cleaned: the last config out takes the program and pins.
has_xdp || fail "config B's killed daemon took the program with it (the test proves nothing)"
[ -n "$(pins)" ] || fail "no pins after config B was killed (the test proves nothing)"
sleep "$(lab_max 0 "$(lab_calc "5.2 - ($(date +%s%N) - $killed_b) / 1000000000")")"
cleanup_run "${env_b[@]}" XVRRP_DATAPLANE=kernel
[ "$rc" = 0 ] || fail "--cleanup of config B exited $rc"
has_xdp && fail "an XDP program is still attached to eth0: $(ip -n "$ns" link show dev eth0)"
[ -z "$(pins)" ] || fail "pins left under /sys/fs/bpf/xvrrp: $(pins)"
has_addr 198.51.100.80/32 && fail "config B's VIP is still on eth0"
[ -z "$(our_routes)" ] || fail "local routes left: $(our_routes)"
[[ $out == *"XDP program detached"* ]] || fail "--cleanup of B did not report the data plane"
cleanup_run "${env_b[@]}"
[ "$rc" = 0 ] || fail "a second --cleanup of B exited $rc"
e2e_pass "cleanup"
