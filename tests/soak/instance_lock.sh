#!/usr/bin/env bash
# Two daemons for the same config on one node: the second must refuse with an error naming the
# instance lock (<runtime dir>/<config>.lock) and exit 1, and must not touch the first one's data
# plane (its XDP program stays attached, its VIPs stay answered).
set -euo pipefail
source "$(dirname "$0")/soak_lib.sh"
lab_init soaklock
lab_up 1
soak_start
soak_wait_master 20 || soak_fail "n1 did not become master"
prog_before=$(ip -n "$(lab_node_ns 1)" -d link show dev eth0 | grep -o 'prog/xdp id [0-9]*' || true)
[ -n "$prog_before" ] || soak_fail "no XDP program on n1's eth0 after start"

mapfile -t env < <(soak_env)
set +e
out=$(lab_node_exec 1 timeout 20 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env[@]}" \
  "XVRRP_RUNTIME_DIR=$(soak_runtime_dir)" "$LAB_BIN_DIR/xvrrpd" 2>&1)
status=$?
set -e
echo "second daemon (exit $status): $out"
[ "$status" = 1 ] || soak_fail "the second daemon exited $status, expected 1"
grep -q -F "$(soak_runtime_dir)/soaktest.lock" <<<"$out" || soak_fail "the error does not name the lock file $(soak_runtime_dir)/soaktest.lock"
grep -q "pid $(lab_node_pid 1)" <<<"$out" || soak_fail "the error does not name the running daemon's pid $(lab_node_pid 1)"
lab_node_running 1 || soak_fail "the first daemon died"
prog_after=$(ip -n "$(lab_node_ns 1)" -d link show dev eth0 | grep -o 'prog/xdp id [0-9]*' || true)
[ "$prog_after" = "$prog_before" ] || soak_fail "XDP program changed under the first daemon: '$prog_before' -> '$prog_after'"
soak_wait_master 5 || soak_fail "n1 lost its VIPs after the second daemon's attempt"
echo "PASS instance lock: second daemon refused, first unaffected ($prog_after)"
