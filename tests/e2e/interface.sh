#!/usr/bin/env bash
# OPENSHIFT_HA_NETWORK_INTERFACE on a live 3-node cluster whose nodes' only interface is ens3:
#   1. unset: eth0 does not exist, so the generator's fallbacks (enp0s3, enp0s8, eth1, ens3) find
#      ens3; the cluster elects on it and fails over on a cable pull
#   2. OPENSHIFT_HA_NETWORK_INTERFACE=ens3: the same
#   3. (xvrrpd) a named interface that does not exist: exit status 2 naming the variable, and
#      nothing changed on the node (no address, no XDP program), where the generator silently
#      moved on
# Usage: interface.sh KINDS [VERSION ADVERT_S]
set -euo pipefail
kind=${1:?usage: interface.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"

lab_init iface
LAB_IFNAME=ens3 lab_up 3
base=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-iface
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.90-91
  OPENSHIFT_HA_VRRP_ID_OFFSET=90
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)

elect_and_fail_over() {
  e2e_start "${kinds[@]}"
  e2e_wait_elected 40
  local master
  master=$(e2e_group_holder 1)
  lab_probe_start "$1" --vips "$(e2e_all_vips)"
  e2e_settle
  lab_cable_pull "${master#n}"
  sleep "$(lab_calc "$(e2e_bound_ms) / 1000 + 1")"
  e2e_settle
  lab_probe_stop "$1"
  echo "== $1: $master lost its cable"
  lab_probe_check "$(lab_probe_json "$1")" --table --all-answered --no-split \
    --split-tolerance-ms "$(e2e_advert_ms)" --max-gap-ms "$(e2e_bound_ms)" --only-vips "$(e2e_group_vips 1)"
  [ "$(e2e_group_holder 1)" != "$master" ] || { echo "FAIL: $1: group 1 did not move"; exit 1; }
  lab_cable_restore "${master#n}"
  local i
  for i in 1 2 3; do lab_stop_node "$i"; done
}

E2E_ENV=("${base[@]}")
elect_and_fail_over fallback
E2E_ENV=("${base[@]}" OPENSHIFT_HA_NETWORK_INTERFACE=ens3)
elect_and_fail_over named

if [[ " ${kinds[*]} " == *" xvrrpd "* ]]; then
  dir=$(lab_node_dir 1)
  rc=0
  out=$(lab_node_exec 1 env -i "${base[@]}" OPENSHIFT_HA_NETWORK_INTERFACE=nosuch0 \
    "XVRRP_RUNTIME_DIR=$dir/run-bad" "$LAB_BIN_DIR/xvrrpd" 2>&1) || rc=$?
  echo "== missing interface: exit $rc: $out"
  [ "$rc" = 2 ] || { echo "FAIL: xvrrpd with a missing interface exited $rc, expected 2"; exit 1; }
  [[ $out == *OPENSHIFT_HA_NETWORK_INTERFACE* && $out == *nosuch0* ]] ||
    { echo "FAIL: the error does not name the variable and value"; exit 1; }
  ip -n "$(lab_node_ns 1)" -o addr show dev ens3 | grep -q '198\.51\.100\.9' &&
    { echo "FAIL: a VIP was added although start-up failed"; exit 1; }
  ip -n "$(lab_node_ns 1)" link show dev ens3 | grep -q 'prog/xdp' &&
    { echo "FAIL: an XDP program was attached although start-up failed"; exit 1; }
else
  echo "== missing interface: case 3 is xvrrpd's own check (keepalived's generator falls back); not run for '$kind'"
fi
e2e_pass "interface $kind v$version ${advert}s"
