#!/usr/bin/env bash
# XVRRP_DATAPLANE=kernel with XVRRP_VIP_ADDRESSES=off (issue 15): no BPF, the VIPs local by routes
# only. The kernel must answer ARP and NS for the VIPs of the groups this node masters and for no
# others: IPv4 through the local route (arp_ignore 0), IPv6 through the interface addresses the
# daemon still adds there (the kernel answers NS only for those). Two nodes, one IPv4 and one IPv6
# group; before and after the IPv4 group's master stops:
#   - arping for an IPv4 VIP gets replies from the group's master's MAC only;
#   - a TCP connection to it reaches the master;
#   - the client's kernel resolves an IPv6 VIP to the IPv6 group's master's MAC, and only that
#     node has the address.
set -euo pipefail
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"

lab_init "kd"
lab_up 2
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-kernel
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.40-41,2001:db8::40-41
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=40
  OPENSHIFT_HA_REPLICA_COUNT=2
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=3
  XVRRP_ADVERT_INTERVAL=0.1
  XVRRP_DATAPLANE=kernel
  XVRRP_VIP_ADDRESSES=off
)
cl=$(lab_client_ns)
ip -n "$cl" addr add 2001:db8::200/64 dev eth0 nodad
fail=0
check() { # DESCRIPTION CMD...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
# master_of GROUP: n<i> whose daemon reports the group MASTER (exactly one, else empty)
master_of() {
  local i m=""
  for ((i = 1; i <= 2; i++)); do
    lab_node_running "$i" || continue
    if lab_node_status "$i" | "$LAB_PY" -c '
import json, sys
sys.exit(0 if any(g["name"].endswith("_VIP_" + sys.argv[1]) and g["state"] == "MASTER"
                  for g in json.load(sys.stdin)["groups"]) else 1)' "$1"; then m+="${m:+ }n$i"; fi
  done
  echo "$m"
}
# arp_repliers VIP: the MACs answering three ARP requests for VIP, sorted, unique
arp_repliers() {
  ip netns exec "$cl" arping -c 3 -w 2 -I eth0 "$1" 2>/dev/null | awk '/bytes from/ { print $4 }' | sort -u | paste -sd' ' -
}
serve_name() {
  local i=$1
  setsid ip netns exec "$(lab_node_ns "$i")" "$LAB_PY" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()' "n$i" >/dev/null 2>&1 &
  local pid=$!
  disown
  lab_on_exit "kill -KILL -- -$pid 2>/dev/null || true"
}
tcp_answer() { ip netns exec "$cl" "$LAB_PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 8080), timeout=1); print(s.recv(8).decode())' "$1" 2>/dev/null; }
v6_resolves_to() { # VIP MAC: the client's kernel resolves VIP to MAC
  ip -n "$cl" -6 neigh flush dev eth0 2>/dev/null || true
  ip netns exec "$cl" ping -6 -c 1 -W 1 "$1" >/dev/null 2>&1 || true
  ip -n "$cl" -6 neigh show "$1" dev eth0 | grep -q "lladdr $2"
}
has_addr() { ip -n "$(lab_node_ns "${1#n}")" -o addr show dev eth0 | grep -q " $2/"; }

verify() { # PHASE
  local m4 m6 other4 other6
  m4=$(master_of 1) m6=$(master_of 2)
  [[ $m4 == n? && $m6 == n? ]] || { echo "FAIL: $1: masters '$m4' / '$m6' (one each expected)"; fail=1; return; }
  echo "$1: IPv4 group on $m4, IPv6 group on $m6"
  check "$1: ARP for 198.51.100.40 answered by $m4's MAC only" \
    test "$(arp_repliers 198.51.100.40)" = "$(lab_node_mac "${m4#n}")"
  check "$1: ARP for 198.51.100.41 answered by $m4's MAC only" \
    test "$(arp_repliers 198.51.100.41)" = "$(lab_node_mac "${m4#n}")"
  check "$1: TCP to 198.51.100.40 reaches $m4" test "$(tcp_answer 198.51.100.40)" = "$m4"
  check "$1: the client resolves 2001:db8::40 to $m6's MAC" v6_resolves_to 2001:db8::40 "$(lab_node_mac "${m6#n}")"
  for i in 1 2; do
    if [ "n$i" != "$m6" ]; then
      check "$1: n$i (not the IPv6 master) has no IPv6 VIP address" \
        bash -c "! ip -n $(lab_node_ns "$i") -o addr show dev eth0 | grep -q 2001:db8::4"
    fi
    if [ "n$i" != "$m4" ]; then
      check "$1: n$i (not the IPv4 master) has no local route for the IPv4 VIPs" \
        bash -c "! ip -n $(lab_node_ns "$i") route show table local proto 77 | grep -q 198.51.100"
    fi
  done
}

for i in 1 2; do serve_name "$i"; done
e2e_start xvrrpd
deadline=$((SECONDS + 30))
until [[ $(master_of 1) == n? && $(master_of 2) == n? ]]; do
  ((SECONDS < deadline)) || { lab_dump_logs; echo "FAIL: not elected" >&2; exit 1; }
  sleep 0.2
done
e2e_settle
verify "elected"
m4=$(master_of 1)
lab_stop_node "${m4#n}"
sleep 1
verify "after ${m4}'s stop"
if [ "$fail" != 0 ]; then lab_dump_logs; exit 1; fi
e2e_pass "kernel mode: ARP, NS and TCP for owned VIPs only, delivered by routes"
