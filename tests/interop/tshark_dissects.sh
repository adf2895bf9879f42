#!/usr/bin/env bash
# Adverts WE encode, read by an independent VRRP implementation: tshark's dissector must show the
# exact fields, a Good checksum, and no Malformed / warning expert info.
#   tshark_dissects.sh INTEROP_CHECK_BINARY
set -euo pipefail
check=${1:?usage: tshark_dissects.sh INTEROP_CHECK_BINARY}
command -v tshark >/dev/null || { echo "FAIL: tshark not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/xv$$-interop-tshark.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp  # tshark wants a writable profile dir; never touch the user's
fail=0

fields() {  # pcap, extra tshark options...: one line per frame, fields joined by |
  local pcap=$1; shift
  tshark -n "$@" -o ip.check_checksum:TRUE -r "$pcap" -T fields -E separator='|' -E occurrence=a -E aggregator=, \
    -e ip.checksum.status -e vrrp.version -e vrrp.type -e vrrp.virt_rtr_id -e vrrp.prio -e vrrp.addr_count \
    -e vrrp.auth_type -e vrrp.adver_int -e vrrp.short_adver_int -e vrrp.auth_string \
    -e vrrp.ip_addr -e vrrp.ipv6_addr -e vrrp.checksum.status 2>/dev/null
}
expect() {  # name, got, want
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; echo "  got:  $2"; echo "  want: $3"; fail=1; fi
}
no_warnings() {  # name, pcap, extra options...
  local name=$1 pcap=$2; shift 2
  local v
  v=$(tshark -n "$@" -o ip.check_checksum:TRUE -r "$pcap" -V 2>/dev/null)
  if grep -nE 'Malformed|Expert Info \((Warning|Error)|incorrect, should be' <<<"$v"; then
    echo "FAIL $name: tshark reports the problems above"; fail=1
  else
    echo "ok   $name: no Malformed, no warning or error expert info"
  fi
}

# ip.checksum.status|version|type|vrid|prio|count|v2 auth|v2 int|v3 int (centis)|PASS key|IPv4|IPv6|vrrp checksum
# (status 1 = Good; IPv6 has no header checksum, hence the empty first field)
want=$'1|2|1|51|253|1|1|1||OpenShif|198.51.100.10||1\n1|3|1|52|200|2|||1||198.51.100.20,198.51.100.21||1\n|3|1|53|100|1|||4095|||2001:db8::20|1'

"$check" encode "$tmp/pseudo.pcap" --checksum pseudo
expect "RFC 5798 pseudo-header checksums: fields and checksums" "$(fields "$tmp/pseudo.pcap")" "$want"
no_warnings "RFC 5798 pseudo-header checksums" "$tmp/pseudo.pcap"

# The v2-style v3 checksum: Wireshark's vrrp.v3_checksum_as_in_v2 covers IPv4 only, so frame 3 (IPv6)
# is judged apart below.
"$check" encode "$tmp/plain.pcap" --checksum plain
expect "v2-style v3 checksum, IPv4 frames (vrrp.v3_checksum_as_in_v2)" \
  "$(fields "$tmp/plain.pcap" -o vrrp.v3_checksum_as_in_v2:TRUE -Y ip)" "$(head -2 <<<"$want")"
no_warnings "v2-style v3 checksum, IPv4 frames" "$tmp/plain.pcap" -o vrrp.v3_checksum_as_in_v2:TRUE -Y ip
# Negative control: the dissector really validates. With its default (pseudo-header) reading, the
# v2-style v3 frames must be flagged bad (status 0) while the v2 frame stays good.
expect "negative control: tshark flags v2-style v3 checksums under its RFC 5798 default" \
  "$(fields "$tmp/plain.pcap" | cut -d'|' -f4,13 | tr '\n' ' ')" "51|1 52|0 53|0 "

[ "$fail" = 0 ] && echo "tshark_dissects: PASS" || echo "tshark_dissects: FAILED" >&2
exit "$fail"
