#!/usr/bin/env bash
# A notify script that hangs and spawns children is killed with its whole process group at the
# daemon's notify timeout (30 s, userspace/daemon/daemon.cpp), not only the script's own pid: every
# child and grandchild it started must be gone shortly after the timeout.
set -euo pipefail
source "$(dirname "$0")/soak_lib.sh"
TIMEOUT_S=30
lab_init soaknotify
lab_up 1
dir=$(lab_node_dir 1)
cat >"$dir/notify.sh" <<'EOS'
#!/bin/sh
# A child that itself starts a grandchild; all record "epoch pid".
d=$(dirname "$0")
sh -c 'sleep 1000 & echo "$(date +%s) $!" >>"$0/pids"; echo "$(date +%s) $$" >>"$0/pids"; wait' "$d" &
echo "$(date +%s) $$" >>"$d/pids"
exec sleep 1000
EOS
chmod +x "$dir/notify.sh"
SOAK_EXTRA_ENV=("OPENSHIFT_HA_NOTIFY_SCRIPT=$dir/notify.sh")
soak_start
soak_wait_master 20 || soak_fail "n1 did not become master"
sleep 2
[ -s "$dir/pids" ] || soak_fail "the notify script never ran"
# The first batch (every group's start-up notify) is recorded within a second or two of the first
# line; records carry whole seconds, so the batch spans up to two distinct values. Wait until the
# newest of them is past the timeout plus 5 s, then every pid of that batch must be dead.
first=$(awk 'NR == 1 {print $1}' "$dir/pids")
batch_end=$((first + 2))
last=$(awk -v e="$batch_end" '$1 <= e {t = $1} END {print t}' "$dir/pids")
sleep $((last + TIMEOUT_S + 5 - $(date +%s)))
checked=0 alive=()
while read -r t pid; do
  [ "$t" -le "$batch_end" ] || continue
  checked=$((checked + 1))
  if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ]; then
    alive+=("$pid($(cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' '))")
  fi
done <"$dir/pids"
echo "notify processes recorded: $(wc -l <"$dir/pids"), in the first batch, checked after its timeout: $checked"
[ "$checked" -ge 3 ] || soak_fail "only $checked notify processes in the first batch (want a script, a child and a grandchild)"
for p in "${alive[@]}"; do kill -KILL "${p%%(*}" 2>/dev/null || true; done
[ "${#alive[@]}" = 0 ] || soak_fail "${#alive[@]} notify processes outlived the ${TIMEOUT_S}s timeout: ${alive[*]}"
echo "PASS notify timeout killed the script's whole process group"
