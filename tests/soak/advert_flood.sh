#!/usr/bin/env bash
# A flood of adverts does not grow the daemon's memory without bound: 20 s of foreign-VRID,
# bad-TTL and malformed VRRP (xvrrp-flood, the S5 benchmark's sender) plus valid adverts of lower
# priority for a configured VRID, each from a new source address (vrrp_sender.py), at a master.
# RSS after the flood may exceed RSS before by at most 2 MiB, fds by none, and the master stays master.
set -euo pipefail
source "$(dirname "$0")/soak_lib.sh"
FLOOD=${SOAK_FLOOD_BIN:-$LAB_BIN_DIR/xvrrp-flood}
[ -x "$FLOOD" ] || { echo "FAIL $FLOOD not built (cmake --build ... --target xvrrp-flood)" >&2; exit 1; }
lab_init soakflood
lab_up 1
soak_start
soak_wait_master 20 || soak_fail "n1 did not become master"
sleep 3  # past start-up allocations
rss0=$(soak_rss_kb) fd0=$(soak_fds)
transitions0=$(grep -c -- '->' "$(lab_node_log 1)" || true)
lab_client_exec "$FLOOD" --iface eth0 --rate 20000 --duration 20 --vrids 14 --version 3 --interval 10 \
  >"$LAB_DIR/flood.log" 2>&1 &
flood_pid=$!
lowprio=$(lab_client_exec "$LAB_PY" "$SOAK_DIR/vrrp_sender.py" 11 100 198.51.100.1 3000 20)
wait "$flood_pid" || soak_fail "xvrrp-flood failed: $(tail -n 3 "$LAB_DIR/flood.log")"
sleep 1
rss1=$(soak_rss_kb) fd1=$(soak_fds)
transitions1=$(grep -c -- '->' "$(lab_node_log 1)" || true)
echo "flood: $(tr -s " \n" " " <"$LAB_DIR/flood.log" | head -c 300); lower-priority adverts from new sources: $lowprio"
echo "RSS ${rss0} -> ${rss1} kB, fds ${fd0} -> ${fd1}, state changes during the flood: $((transitions1 - transitions0))"
[ "$lowprio" -gt 10000 ] || soak_fail "only $lowprio lower-priority adverts sent (machine too busy to flood)"
[ "$rss1" -le $((rss0 + 2048)) ] || soak_fail "RSS grew by $((rss1 - rss0)) kB during 20 s of flood"
[ "$fd1" -le "$fd0" ] || soak_fail "open fds grew from $fd0 to $fd1 during the flood"
[ "$transitions1" = "$transitions0" ] || soak_fail "the flood caused state changes: $(grep -- '->' "$(lab_node_log 1)" | tail -n 3)"
lab_node_running 1 || soak_fail "the daemon died under the flood"
echo "PASS advert flood: RSS +$((rss1 - rss0)) kB"
