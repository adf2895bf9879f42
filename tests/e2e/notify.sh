#!/usr/bin/env bash
# OPENSHIFT_HA_NOTIFY_SCRIPT on a live 3-node cluster, 2 groups: every node's script records its
# arguments (keepalived's contract: INSTANCE|GROUP, name, MASTER|BACKUP|FAULT, priority) with a
# timestamp. Checked on every node: each call has that shape and names one of our groups; per group
# the states never repeat back to back (one call per transition); the node holding a group last
# reported MASTER for it, every other running node BACKUP; the node whose cable was pulled reported
# FAULT and the node that took over reported MASTER after the pull.
# Usage: notify.sh KINDS [VERSION ADVERT_S]
set -euo pipefail
kind=${1:?usage: notify.sh KINDS [VERSION ADVERT_S]}
version=${2:-3}
advert=${3:-0.1}
here=$(dirname "$0")
source "$here/../lab/lab.sh"
source "$here/e2e_lib.sh"
IFS=, read -r -a kinds <<<"$kind"

lab_init notify
lab_up 3
script="$LAB_DIR/notify.sh"
cat >"$script" <<'SH'
#!/bin/sh
# The lab's notify script: one line per call, "<ns since epoch> <node address> <args...>".
node=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep '^192\.0\.2\.' | head -n 1)
echo "$(date +%s%N) $node $*" >>"$(dirname "$0")/notify.log"
SH
chmod +x "$script"
E2E_ENV=(
  OPENSHIFT_HA_CONFIG_NAME=e2e-notify
  OPENSHIFT_HA_VIRTUAL_IPS=198.51.100.40-43
  OPENSHIFT_HA_VIP_GROUPS=2
  OPENSHIFT_HA_VRRP_ID_OFFSET=40
  OPENSHIFT_HA_REPLICA_COUNT=3
  OPENSHIFT_HA_MONITOR_PORT=0
  OPENSHIFT_HA_NOTIFY_SCRIPT=$script
  XVRRP_VRRP_VERSION=$version
  XVRRP_ADVERT_INTERVAL=$advert
)
e2e_start "${kinds[@]}"
e2e_wait_elected 40
master=$(e2e_group_holder 1)
lab_cable_pull "${master#n}"
sleep "$(lab_calc "$(e2e_bound_ms) / 1000 + 1.5")"
e2e_settle
declare -A holder
for g in 1 2; do holder[$g]=$(e2e_group_holder "$g"); done
expect=$(for i in 1 2 3; do
  for g in 1 2; do
    if [ "n$i" = "$master" ]; then st=FAULT; elif [ "${holder[$g]}" = "n$i" ]; then st=MASTER; else st=BACKUP; fi
    echo "$(lab_node_ip "$i") e2e_notify_VIP_$g $st"
  done
done)
pull_ns=$(grep '^cable_pull' "$LAB_DIR/marks" | awk '{print $2}')

"$LAB_PY" - "$LAB_DIR/notify.log" "$pull_ns" "$(lab_node_ip "${master#n}")" "$(lab_node_ip "${holder[1]#n}")" <<PY
import sys, collections
log, pull_ns, pulled, taker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
expect = {}
for line in """$expect""".splitlines():
    node, inst, st = line.split()
    expect[(node, inst)] = st
calls = collections.defaultdict(list)
problems = []
for line in open(log):
    f = line.split()
    if len(f) != 6 or f[2] != "INSTANCE" or f[4] not in ("MASTER", "BACKUP", "FAULT") or not f[5].isdigit():
        problems.append(f"malformed notify call: {line.strip()}")
        continue
    if (f[1], f[3]) not in expect:
        problems.append(f"notify for unknown instance: {line.strip()}")
        continue
    calls[(f[1], f[3])].append((int(f[0]), f[4]))
# Scripts are started per transition and may run concurrently (keepalived forks each without
# waiting), so two calls whose timestamps lie within RACE_NS of each other have no reliable order:
# a repeat or a final state is judged only across calls further apart than that.
RACE_NS = 50_000_000
for key, want in sorted(expect.items()):
    timed = sorted(calls[key])
    seq = [s for _, s in timed]
    print(f"{key[0]:<12} {key[1]:<18} {' -> '.join(seq) or '(none)'}")
    if not seq:
        problems.append(f"{key}: never notified")
        continue
    for (t1, s1), (t2, s2) in zip(timed, timed[1:]):
        if s1 == s2 and t2 - t1 > RACE_NS:
            problems.append(f"{key}: {s1} notified twice, {(t2 - t1) / 1e6:.0f} ms apart, in {seq}")
    last_t = timed[-1][0]
    settled = {s for t, s in timed if last_t - t <= RACE_NS}
    if want not in settled:
        problems.append(f"{key}: last state {seq[-1]}, expected {want}")
for key in expect:
    if key[0] == pulled and not any(t >= pull_ns and s == "FAULT" for t, s in calls[key]):
        problems.append(f"{key}: no FAULT after the cable pull")
    if key[0] == taker and key[1].endswith("_1") and not any(t >= pull_ns and s == "MASTER" for t, s in calls[key]):
        problems.append(f"{key}: no MASTER after taking over")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
e2e_pass "notify $kind v$version ${advert}s"
