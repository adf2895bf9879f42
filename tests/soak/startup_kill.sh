#!/usr/bin/env bash
# A daemon killed with SIGKILL at several points of its start-up leaves a state that the next start
# repairs: after that start (it must become master) and a clean stop, nothing of ours is left on
# the node: no VIP, no XDP program, no nft table, no bpffs pins (docs/operations.md, start-up
# steps 3-7 and SIGTERM). Sync points are the daemon's own log lines at debug level.
set -euo pipefail
source "$(dirname "$0")/soak_lib.sh"
lab_init soakkill
lab_up 1
SOAK_EXTRA_ENV=(XVRRP_LOG_LEVEL=debug OPENSHIFT_HA_NFTABLES_RULE=yes)

# name|regex of the line after which to kill (empty: a fixed delay after exec)|delay s
points=(
  "just after exec||0.05"
  "data plane attached|data plane: |0"
  "firewall table applied|firewall: |0"
  "addresses added|address\\(es\\) added|0"
  "master and announcing|->MASTER|0.3"
)
failures=()
for p in "${points[@]}"; do
  IFS='|' read -r name re delay <<<"$p"
  before=0
  [ -z "$re" ] || before=$(grep -c -E -- "$re" "$(lab_node_log 1)" 2>/dev/null || true)
  soak_start
  if [ -n "$re" ]; then soak_wait_log "$re" $((before + 1)) 20 || soak_fail "point '$name': never reached"; fi
  sleep "$delay"
  lab_kill_node 1
  echo "killed at '$name'; left behind: $(soak_leftovers | paste -sd ';' - || true)"
  soak_start
  if ! soak_wait_master 20; then
    failures+=("after a kill at '$name' the next start did not become master: $(tail -n 5 "$(lab_node_log 1)" | tr '\n' ' ')")
    lab_kill_node 1 || true
    continue
  fi
  lab_stop_node 1 10
  left=$(soak_leftovers)
  if [ -n "$left" ]; then
    failures+=("after a kill at '$name', the next start and a clean stop: ${left//$'\n'/; }")
    # Clean by hand so the next point starts from a clean node.
    ip -n "$(lab_node_ns 1)" link set dev eth0 xdp off 2>/dev/null || true
    ip netns exec "$(lab_node_ns 1)" nft delete table inet xvrrp_soaktest 2>/dev/null || true
    lab_node_exec 1 rm -rf /sys/fs/bpf/xvrrp
    ip -n "$(lab_node_ns 1)" addr flush dev eth0 to 198.51.100.0/24 2>/dev/null || true
  fi
done
for f in "${failures[@]}"; do echo "FAIL $f" >&2; done
[ "${#failures[@]}" = 0 ] || exit 1
echo "PASS start-up kill: ${#points[@]} kill points, each repaired by the next start"
