#!/usr/bin/env bash
# The events file rotates at its size limit (docs/operations.md: renamed to .1 at 4 MiB, one old
# file kept). The file is filled to just under the limit before the start, so the start's own
# transitions cross it: the old content must be in .1 and the new file must hold only new lines.
set -euo pipefail
source "$(dirname "$0")/soak_lib.sh"
LIMIT=$((4 << 20))
lab_init soakevents
lab_up 1
run=$(soak_runtime_dir)
mkdir -p "$run"
events=$run/soaktest.events.jsonl
line='{"time":"2026-01-01T00:00:00.000Z","instance":"old","vrid":1,"from":"BACKUP","to":"MASTER","priority":1,"cause":"prefill"}'
"$LAB_PY" -c '
import sys
line, limit, path = sys.argv[1] + "\n", int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write(line * ((limit - 200) // len(line)))' "$line" "$LIMIT" "$events"
prefill=$(stat -c %s "$events")
soak_start
soak_wait_master 20 || soak_fail "n1 did not become master"
sleep 0.5
[ -f "$events.1" ] || soak_fail "no $events.1 after crossing $LIMIT bytes (file is $(stat -c %s "$events") bytes)"
old=$(stat -c %s "$events.1") new=$(stat -c %s "$events")
echo "prefill $prefill bytes; after the start: .1 $old bytes, current $new bytes"
[ "$old" -ge "$prefill" ] && [ "$old" -le "$LIMIT" ] || soak_fail ".1 has $old bytes, expected the $prefill prefilled (<= $LIMIT)"
[ "$new" -lt $((64 << 10)) ] || soak_fail "the current events file has $new bytes after rotation"
! grep -q prefill "$events" || soak_fail "prefilled lines still in the current file"
grep -q '"to":"MASTER"' "$events" || soak_fail "the start's MASTER transitions are not in the current file"
# Every line on either side is whole JSON (a rotation never splits a line).
"$LAB_PY" -c '
import json, sys
for p in sys.argv[1:]:
    for n, l in enumerate(open(p), 1):
        json.loads(l)' "$events" "$events.1" || soak_fail "a torn JSON line around the rotation"
echo "PASS events file rotated at its limit"
