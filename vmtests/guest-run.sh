#!/usr/bin/env bash
# Runs inside the vmtests guest (chroot of the host root, read-only; /tmp and /run are tmpfs).
# The host passes its settings in the environment of cmd.sh (see vmtests/run.sh):
#   XVRRP_SOURCE_DIR, XVRRP_BUILD_DIR  the project tree and the build tree to test
#   XVRRP_VM_SUITES                    space-separated suites: a ctest label (bpf, netns, unit, ...)
#                                      or a guest script vmtests/guest/<name>.sh (xdp-arp, coexist)
# and reads back /run/vmtest/results: one line "SUITE PASSED FAILED NOTE" per suite, with the full
# log of each suite in /run/vmtest/SUITE.log.
set -uo pipefail

out=/run/vmtest
src=${XVRRP_SOURCE_DIR:?}
build=${XVRRP_BUILD_DIR:?}
: >"$out/results"

record() { # suite passed failed note...
  local s=$1 p=$2 f=$3; shift 3
  echo "$s $p $f ${*:-}" >>"$out/results"
  echo "vmtest-guest: [$(cut -d" " -f1 /proc/uptime)s] $s: $p passed, $f failed${*:+ ($*)}"
}

# Loaded up front so a missing module shows here by name; anything else the tests need the kernel
# autoloads through init.sh's modprobe-host.
for m in veth overlay; do
  modprobe -d "${XVRRP_VM_MODROOT:-/}" "$m" 2>"$out/modprobe-$m.err" ||
    echo "vmtest-guest: modprobe $m failed: $(cat "$out/modprobe-$m.err")"
done
ip link set lo up

# ctest writes Testing/ into the build tree, which is read-only here: put a tmpfs-backed overlay
# on top of it so the tree looks writable to ctest and to tests that drop files beside them.
writable_build() {
  local upper=/run/xvrrp-build-overlay
  mkdir -p "$upper/u" "$upper/w"
  if mount -t overlay overlay -o "lowerdir=$build,upperdir=$upper/u,workdir=$upper/w" "$build" \
       2>"$out/overlay.err"; then
    return 0
  fi
  echo "vmtest-guest: overlay on $build failed: $(cat "$out/overlay.err")"
  return 1
}

# A ctest label, its GoogleTest cases batched one process per binary (see ctest_batch.py: process
# starts are what TCG makes slow). No test with the label is a failure, never "0 passed".
run_ctest_label() { # label
  local label=$1 log=$out/$1.log res p f note
  # -u: a guest killed by the watchdog still leaves what ran so far in the log.
  python3 -u "$src/vmtests/ctest_batch.py" "$build" "$label" >"$log" 2>&1
  res=$(grep '^RESULT ' "$log" | tail -n1)
  if [ -z "$res" ]; then
    record "$label" 0 1 "ctest_batch.py gave no result: $(tail -n1 "$log")"
    return
  fi
  read -r _ p f note <<<"$res"
  record "$label" "$p" "$f" $note
}

# A guest script prints "PASS: what" / "FAIL: what" lines; it passes only if it exits 0 with at
# least one PASS and no FAIL.
run_guest_script() { # name
  local name=$1 log=$out/$1.log rc p f
  bash "$src/vmtests/guest/$name.sh" >"$log" 2>&1
  rc=$?
  p=$(grep -c '^PASS: ' "$log")
  f=$(grep -c '^FAIL: ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    record "$name" "$p" 1 "exited $rc: $(tail -n1 "$log")"
  elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    record "$name" 0 1 "no checks ran"
  else
    record "$name" "$p" "$f"
  fi
}

if ! writable_build; then
  for s in $XVRRP_VM_SUITES; do record "$s" 0 1 "no writable build tree (overlay failed)"; done
  exit 1
fi
export XVRRP_VM_GUEST=1 HOME=/tmp
for s in $XVRRP_VM_SUITES; do
  if [ -f "$src/vmtests/guest/$s.sh" ]; then
    run_guest_script "$s"
  else
    run_ctest_label "$s"
  fi
done
echo "vmtest-guest: done"
