#!/usr/bin/env bash
# OPENSHIFT_HA_VRRP_ID_OFFSET and HA_EXCLUDED_VRRP_IDS on the wire: two ipfailover configurations
# side by side on one segment, each on its own 3 nodes (two XDP programs on one interface need
# libxdp's dispatcher, which this kernel refuses: docs/dataplane.md):
#   A: offset 10, excluded "12"  -> 2 groups on VRIDs 11 and 13
#   B: offset 20                 -> 2 groups on VRIDs 21 and 22
# A capture on the bridge shows exactly those VRIDs from exactly those nodes; each configuration
# elects its own masters; A's master losing its cable moves A's group and leaves B's alone.
# Usage: vrids.sh KINDS [VERSION ADVERT_S]   (KINDS: one kind, or 6 comma-separated)
set -euo pipefail
kind=${1:?usage: vrids.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"
kind_of() { echo "${kinds[$(($1 - 1))]:-${kinds[0]}}"; }

lab_init vrids
LAB_NODE_OCTETS="1 2 3 4 5 6" lab_up 6
common=(OPENSHIFT_HA_REPLICA_COUNT=3 OPENSHIFT_HA_MONITOR_PORT=0 OPENSHIFT_HA_VIP_GROUPS=2
  XVRRP_VRRP_VERSION=$version XVRRP_ADVERT_INTERVAL=$advert)
env_a=(OPENSHIFT_HA_CONFIG_NAME=cfg-a OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.60-63
  OPENSHIFT_HA_VRRP_ID_OFFSET=10 HA_EXCLUDED_VRRP_IDS=12 "${common[@]}")
env_b=(OPENSHIFT_HA_CONFIG_NAME=cfg-b OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.70-73
  OPENSHIFT_HA_VRRP_ID_OFFSET=20 "${common[@]}")
for i in 1 2 3; do lab_start_node "$i" "$(kind_of "$i")" "${env_a[@]}"; done
for i in 4 5 6; do lab_start_node "$i" "$(kind_of "$i")" "${env_b[@]}"; done

E2E_ENV=("${env_a[@]}")
mapfile -t vips_a < <(lab_expand_vips 198.51.100.60-63)
mapfile -t vips_b < <(lab_expand_vips 198.51.100.70-73)
lab_wait_all_held 40 "${vips_a[@]}" "${vips_b[@]}"
e2e_settle
echo "config A:"; lab_state_table "${env_a[@]}"
echo "config B:"; lab_state_table "${env_b[@]}"

# The wire: which node sends which VRIDs.
capture=$(lab_capture_vrrp "$(lab_max 2 "$(lab_calc "3 * $advert")")")
"$LAB_PY" - "$capture" <<'PY'
import sys
seen = {}
for line in sys.argv[1].splitlines():
    src, dst, vrid, prio = line.split()
    seen.setdefault(src, set()).add(int(vrid))
print("VRIDs on the wire:", {k: sorted(v) for k, v in sorted(seen.items())})
a = set().union(*(seen.get(f"192.0.2.{i}", set()) for i in (1, 2, 3)))
b = set().union(*(seen.get(f"192.0.2.{i}", set()) for i in (4, 5, 6)))
problems = []
if a != {11, 13}:
    problems.append(f"config A sent VRIDs {sorted(a)}, expected [11, 13] (12 excluded)")
if b != {21, 22}:
    problems.append(f"config B sent VRIDs {sorted(b)}, expected [21, 22]")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY

# A's group 1 master loses its cable: A's group moves, B's VIPs keep their holders.
master=$(e2e_group_holder 1)
declare -A b_holder
lab__snapshot
for v in "${vips_b[@]}"; do b_holder[$v]=${LAB_HELD[$v]}; done
lab_probe_start mix --vips "198.51.100.60-63,198.51.100.70-73"
e2e_settle
lab_cable_pull "${master#n}"
sleep "$(lab_calc "$(e2e_bound_ms) / 1000 + 1")"
e2e_settle
lab_probe_stop mix
args=(--table --all-answered --no-split --split-tolerance-ms "$(e2e_advert_ms)" --max-gap-ms "$(e2e_bound_ms)")
for v in "${vips_b[@]}"; do args+=(--answered-by "$v=${b_holder[$v]}"); done
echo "== A's n${master#n} lost its cable: A's group 1 moves, B untouched"
lab_probe_check "$(lab_probe_json mix)" "${args[@]}"
[ "$(e2e_group_holder 1)" != "$master" ] || { echo "FAIL: A's group 1 did not move"; exit 1; }
e2e_pass "vrids $kind v$version ${advert}s"
