#!/usr/bin/env bash
# OPENSHIFT_HA_UNICAST_PEERS and OPENSHIFT_HA_NFTABLES_RULE on a live 3-node cluster, 2 groups.
#   1. unicast: the same peer list (all three node addresses) on every node; the capture on the
#      bridge shows adverts only to peer addresses, none to 224.0.0.18; a master cable pull fails
#      over within Master_Down_Interval + 50 ms.
#   2. firewall rule: with OPENSHIFT_HA_NFTABLES_RULE set, every node's ruleset accepts VRRP
#      multicast (ip daddr 224.0.0.18 accept) while it runs, and the cluster elects.
# Usage: unicast_firewall.sh KINDS [VERSION ADVERT_S]
set -euo pipefail
kind=${1:?usage: unicast_firewall.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"

lab_init ucast
lab_up 3
base=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-unicast
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.80-83
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=80
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)

# 1. Unicast.
E2E_ENV=("${base[@]}" "OPENSHIFT_HA_UNICAST_PEERS=$(lab_node_ip 1),$(lab_node_ip 2),$(lab_node_ip 3)")
e2e_start "${kinds[@]}"
e2e_wait_elected 40
capture=$(lab_capture_vrrp "$(lab_max 2 "$(lab_calc "3 * $advert")")")
"$LAB_PY" - "$capture" <<'PY'
import sys
lines = [l.split() for l in sys.argv[1].splitlines()]
peers = {"192.0.2.1", "192.0.2.2", "192.0.2.3"}
multicast = [l for l in lines if l[1] == "224.0.0.18"]
stray = [l for l in lines if l[1] not in peers and l[1] != "224.0.0.18"]
to_self = [l for l in lines if l[0] == l[1]]
print(f"unicast capture: {len(lines)} adverts, {len(multicast)} multicast, destinations "
      f"{sorted({l[1] for l in lines})}")
problems = []
if not lines:
    problems.append("no adverts captured")
if multicast:
    problems.append(f"{len(multicast)} adverts went to 224.0.0.18 in unicast mode, e.g. {multicast[0]}")
if stray:
    problems.append(f"adverts to non-peers: {stray[:3]}")
if to_self:
    problems.append(f"a node sent adverts to itself: {to_self[:3]}")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
master=$(e2e_group_holder 1)
lab_probe_start ucast --vips "$(e2e_all_vips)"
e2e_settle
lab_cable_pull "${master#n}"
sleep "$(lab_calc "$(e2e_bound_ms) / 1000 + 1")"
e2e_settle
lab_probe_stop ucast
echo "== unicast: $master lost its cable"
lab_probe_check "$(lab_probe_json ucast)" --table --all-answered --no-split \
  --split-tolerance-ms "$(e2e_advert_ms)" --max-gap-ms "$(e2e_bound_ms)" --only-vips "$(e2e_group_vips 1)"
[ "$(e2e_group_holder 1)" != "$master" ] || { echo "FAIL: group 1 did not move"; exit 1; }
lab_cable_restore "${master#n}"
for i in 1 2 3; do lab_stop_node "$i"; done

# 2. The multicast accept rule.
E2E_ENV=("${base[@]}" OPENSHIFT_HA_NFTABLES_RULE=true)
e2e_start "${kinds[@]}"
e2e_wait_elected 40
for i in 1 2 3; do
  rules=$(ip netns exec "$(lab_node_ns "$i")" nft list ruleset)
  grep -q 'ip daddr 224.0.0.18 accept' <<<"$rules" ||
    { echo "FAIL: n$i has no 'ip daddr 224.0.0.18 accept' rule:"; echo "$rules"; exit 1; }
done
echo "== firewall: every node accepts VRRP multicast"
e2e_pass "unicast_firewall $kind v$version ${advert}s"
