#!/usr/bin/env bash
# keepalived 2.2.7 as the reference peer: run it in a network namespace, capture its adverts from
# the other end of a veth pair, and check every field with our decoder (interop_check decode).
#   keepalived_adverts.sh v2-openshift|v3-ipv4-10ms|v3-ipv6-10ms INTEROP_CHECK_BINARY
# v2-openshift mirrors what OpenShift's ipfailover generator writes (VRRPv2, state MASTER, PASS auth
# with the config name that keepalived truncates to 8 characters, keepalived's default 1 s interval,
# priority 255 - slot with slot 2, preempt_delay 300). The v3 cases are keepalived at 10 ms.
set -euo pipefail
scenario=${1:?usage: keepalived_adverts.sh SCENARIO INTEROP_CHECK_BINARY}
check=${2:?usage: keepalived_adverts.sh SCENARIO INTEROP_CHECK_BINARY}

for tool in keepalived tcpdump ip timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root to create network namespaces" >&2; exit 1; }

ns_ka="xv$$-interop-ka"      # keepalived's host
ns_peer="xv$$-interop-peer"  # the capturing peer
tmp=$(mktemp -d "/tmp/xv$$-interop-keepalived.XXXXXX")
ka_pid=""
status=1

cleanup() {
  set +e
  if [ -n "$ka_pid" ] && kill -0 "$ka_pid" 2>/dev/null; then
    kill -TERM "$ka_pid"; for _ in $(seq 50); do kill -0 "$ka_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ka_pid" 2>/dev/null
  fi
  # keepalived's VRRP child has its own pid file; it normally exits with the parent.
  [ -s "$tmp/vrrp.pid" ] && kill -KILL "$(cat "$tmp/vrrp.pid")" 2>/dev/null
  if [ "$status" != 0 ] && [ -s "$tmp/keepalived.log" ]; then
    echo "--- keepalived log (last 40 lines) ---" >&2; tail -40 "$tmp/keepalived.log" >&2
  fi
  ip netns del "$ns_ka" 2>/dev/null
  ip netns del "$ns_peer" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns_ka"
ip netns add "$ns_peer"
for ns in "$ns_ka" "$ns_peer"; do
  ip -n "$ns" link set lo up
  # Per-namespace sysctl: fixed link-local addresses below, so no DAD wait.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip -n "$ns_ka" link add ka0 type veth peer name peer0 netns "$ns_peer"
ip -n "$ns_ka" link set ka0 addrgenmode none
ip -n "$ns_peer" link set peer0 addrgenmode none
ip -n "$ns_ka" addr add 198.51.100.1/24 dev ka0
ip -n "$ns_peer" addr add 198.51.100.2/24 dev peer0
ip -n "$ns_ka" addr add fe80::1/64 dev ka0 nodad
ip -n "$ns_peer" addr add fe80::2/64 dev peer0 nodad
ip -n "$ns_ka" link set ka0 up
ip -n "$ns_peer" link set peer0 up

conf=$tmp/keepalived.conf
case $scenario in
  v2-openshift)
    cat >"$conf" <<'CONF'
global_defs {
   router_id xvrrp-interop
}
vrrp_instance ipfailover_VIP_1 {
   interface ka0
   state MASTER
   virtual_router_id 51
   priority 253
   preempt_delay 300
   authentication {
      auth_type PASS
      auth_pass OpenShift-IPFailover
   }
   virtual_ipaddress {
      198.51.100.10 dev ka0
   }
}
CONF
    frames=5 src=198.51.100.1
    expect=(--version 2 --vrid 51 --priority 253 --interval-ms 1000 --auth-pass OpenShif --vip 198.51.100.10)
    ;;
  v3-ipv4-10ms)
    cat >"$conf" <<'CONF'
global_defs {
   router_id xvrrp-interop
   vrrp_version 3
}
vrrp_instance v3_ipv4 {
   interface ka0
   state MASTER
   virtual_router_id 52
   priority 200
   advert_int 0.01
   virtual_ipaddress {
      198.51.100.20 dev ka0
      198.51.100.21 dev ka0
   }
}
CONF
    frames=200 src=198.51.100.1
    expect=(--version 3 --vrid 52 --priority 200 --interval-ms 10 --vip 198.51.100.20 --vip 198.51.100.21)
    ;;
  v3-ipv6-10ms)
    cat >"$conf" <<'CONF'
global_defs {
   router_id xvrrp-interop
   vrrp_version 3
}
vrrp_instance v3_ipv6 {
   interface ka0
   state MASTER
   virtual_router_id 53
   priority 200
   advert_int 0.01
   virtual_ipaddress {
      2001:db8::20/64 dev ka0
   }
}
CONF
    frames=200 src=fe80::1
    expect=(--version 3 --vrid 53 --priority 200 --interval-ms 10 --vip 2001:db8::20)
    ;;
  *) echo "FAIL: unknown scenario '$scenario' (v2-openshift, v3-ipv4-10ms, v3-ipv6-10ms)" >&2; exit 2 ;;
esac

# Foreground, log to console, VRRP only, private pid files: several keepalived may run at once.
ip netns exec "$ns_ka" keepalived -n -l -D -P -f "$conf" -p "$tmp/keepalived.pid" -r "$tmp/vrrp.pid" \
  >"$tmp/keepalived.log" 2>&1 &
ka_pid=$!

# Capture until enough adverts arrived (keepalived becomes master within a few intervals), and
# stop the capture BEFORE keepalived: its shutdown adverts carry priority 0 by design.
cap=$tmp/adverts.pcap
set +e
ip netns exec "$ns_peer" timeout 30 tcpdump -n -i peer0 -U -c "$frames" -w "$cap" 'proto 112' 2>"$tmp/tcpdump.log"
rc=$?
set -e
if [ "$rc" != 0 ]; then
  echo "FAIL: tcpdump did not see $frames VRRP packets within 30 s (rc $rc)" >&2
  cat "$tmp/tcpdump.log" >&2
  kill -0 "$ka_pid" 2>/dev/null || echo "keepalived is not running" >&2
  exit 1
fi
kill -0 "$ka_pid" 2>/dev/null || { echo "FAIL: keepalived exited during the capture" >&2; exit 1; }
# XVRRP_INTEROP_KEEP=DIR keeps the capture (e.g. to refresh the keepalived vectors in unit tests).
if [ -n "${XVRRP_INTEROP_KEEP:-}" ]; then cp "$cap" "$XVRRP_INTEROP_KEEP/keepalived-$scenario.pcap"; fi

"$check" decode "$cap" --src "$src" --min-adverts "$frames" "${expect[@]}"
status=0
echo "keepalived_adverts $scenario: PASS"
