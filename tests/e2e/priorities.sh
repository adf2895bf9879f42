#!/usr/bin/env bash
# OPENSHIFT_HA_REPLICA_COUNT and the priorities it yields, on a live 3-node cluster (octets 1, 2, 3)
# with 6 groups of one VIP. The masters must be where OpenShift's generator puts them: group n is a
# "master group" of a node when n mod (slot mod replicas + 1) == 0, priority 255 - slot (slot + 1
# right after another master group); every other priority is at most 63 + 31. The expectation is
# computed here from that arithmetic, independently of the daemons.
#   replicas 3 -> masters n3 n1 n2 ? n3 n1       replicas 2 -> n2 n1 n2 n3 n2 n1
# ("?": no node has a deterministic priority above every possible random one, so no fixed master)
# With xvrrpd nodes also XVRRP_PRIORITY_SCHEME=spread: group n prefers rank (n - 1) mod replicas,
# rank = slot mod replicas -> n3 n1 n2 n3 n1 n2.
# Usage: priorities.sh KINDS [VERSION ADVERT_S]
set -euo pipefail
kind=${1:?usage: priorities.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"

lab_init prio
lab_up 3

# expected_masters REPLICAS: the generator's master per group, "?" where random priorities decide.
# A node's priority for group n is deterministic in a master group of that node, else
# slot mod 64 + random 0..31; a group's master is known when the best deterministic priority beats
# every random one that could be drawn (ties go to the higher address).
expected_masters() {
  "$LAB_PY" - "$1" "$(lab_node_ip 1)" "$(lab_node_ip 2)" "$(lab_node_ip 3)" <<'PY'
import sys
replicas, ips = int(sys.argv[1]), sys.argv[2:]
det, rand_max = {}, {}
for node, ip in enumerate(ips, 1):
    slot = int(ip.rsplit(".", 1)[1]) % 128
    idx = slot % replicas + 1
    previous = "none"
    for n in range(1, 7):
        if n % idx == 0:
            if previous == "master":
                prio, previous = slot + 1, "flip-flop"
            else:
                prio, previous = 255 - slot, "master"
            det.setdefault(n, []).append((prio, node))
        else:
            rand_max.setdefault(n, []).append((slot % 64 + 31, node))
out = []
for n in range(1, 7):
    best = max(det.get(n, []), default=None)
    rivals = rand_max.get(n, [])
    if best and all(best[0] > r for r, _ in rivals):
        out.append(f"n{best[1]}")
    else:
        out.append("?")
print(" ".join(out))
PY
}

check_case() {
  local label=$1 want=$2 got="" g h
  E2E_ENV=("${base[@]}" "${@:3}")
  e2e_start "${kinds[@]}"
  e2e_wait_elected 40
  local -a w
  read -r -a w <<<"$want"
  for g in 1 2 3 4 5 6; do
    h=$(e2e_group_holder "$g")
    # "?": random priorities decide that group; any single holder is right.
    [ "${w[$((g - 1))]}" = "?" ] && h="?"
    got="$got $h"
  done
  got=${got# }
  echo "== $label: masters by group: $got (expected $want; ? = decided by random priorities)"
  [ "$got" = "$want" ] || { lab_state_table "${E2E_ENV[@]}"; echo "FAIL: $label"; exit 1; }
  local i
  for i in 1 2 3; do lab_stop_node "$i"; done
}

base=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-prio
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.100-105
  OPENSHIFT_HA_VRRP_ID_OFFSET=100
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)
want3=$(expected_masters 3)
want2=$(expected_masters 2)
[ "$want3" = "n3 n1 n2 ? n3 n1" ] && [ "$want2" = "n2 n1 n2 n3 n2 n1" ] ||
  { echo "FAIL: the generator arithmetic here changed: $want3 / $want2"; exit 1; }
check_case "generator, 3 replicas" "$want3" OPENSHIFT_HA_REPLICA_COUNT=3
check_case "generator, 2 replicas" "$want2" OPENSHIFT_HA_REPLICA_COUNT=2
if [[ " ${kinds[*]} " != *" keepalived "* ]]; then
  # Nobody starts MASTER under spread and the preemption applies as written, so with the default
  # preempt_delay 300 the first node started would keep everything for 5 minutes: delay 0 here.
  check_case "spread, 3 replicas" "n3 n1 n2 n3 n1 n2" OPENSHIFT_HA_REPLICA_COUNT=3 XVRRP_PRIORITY_SCHEME=spread \
    "OPENSHIFT_HA_PREEMPTION=preempt_delay 0"
else
  echo "== spread scheme: an xvrrp extension keepalived does not have; not run for '$kind'"
fi
e2e_pass "priorities $kind v$version ${advert}s"
