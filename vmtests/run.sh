#!/usr/bin/env bash
# Boots other kernels under qemu (TCG) with the host root shared read-only over 9p, virtme-style,
# and runs the kernel-sensitive suites inside each guest.
#   vmtests/run.sh [KERNEL_IMAGE...]
# Default kernels: the ones vmtests/fetch-kernels.sh unpacks into BUILD/vm-kernels (Debian's
# bookworm kernel and bookworm-backports' 6.12; nothing is installed on the host). A KERNEL_IMAGE
# given here finds its modules in ROOT/lib/modules/VERSION, ROOT being the directory above the
# image's boot/ (/ for /boot/vmlinuz-VERSION). The checkout may be anywhere, /tmp included.
# Environment:
#   XVRRP_BUILD_DIR   build tree whose tests run in the guest (default: <source>/build)
#   XVRRP_VM_SUITES   suites to run (default "bpf netns@xdp_netns_test xdp-arp coexist two-configs"): a ctest
#                     label, LABEL@BINARY (only that binary's tests of the label), or a guest
#                     script vmtests/guest/<name>.sh
#   XVRRP_VM_TIMEOUT  seconds one guest may run before it counts as hung (default 900)
#   XVRRP_VM_JOBS     guests booted at once (default 2: TCG runs the tests on one core each)
#   XVRRP_VM_SMP      CPUs per guest (default 2)    XVRRP_VM_KEEP=1  keep every work dir
# Prints one line per kernel ("6.1.0-56-amd64 bpf: 57 passed, 0 failed; netns: ...") and exits
# non-zero on any failed check, missing suite or boot problem, showing the guest console tail.
# A failed kernel's work dir (console log, per-suite logs) is kept and named.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${XVRRP_BUILD_DIR:-$src/build}" 2>/dev/null && pwd) ||
  { echo "vmtests: build dir ${XVRRP_BUILD_DIR:-$src/build} does not exist" >&2; exit 2; }
suites=${XVRRP_VM_SUITES:-bpf netns@xdp_netns_test xdp-arp coexist two-configs}
vm_timeout=${XVRRP_VM_TIMEOUT:-900}
jobs=${XVRRP_VM_JOBS:-2}
smp=${XVRRP_VM_SMP:-2}

die() { echo "vmtests: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root (the guest tests load XDP programs)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (install qemu-system-x86)"
[ -f "$build/CTestTestfile.cmake" ] || die "$build is not a configured build tree"
# The guest sees the host root over 9p but mounts fresh tmpfs on /tmp and /run (vmtests/init.sh):
# a tree under either is exported to it on its own (virtfs tags srctree, buildtree).
extra_exports=()
tree_mounts=""
add_tree() { # tag dir
  case $2/ in
    /tmp/* | /run/*)
      case $2/ in "$src"/*) [ "$1" = buildtree ] && return 0 ;; esac  # inside the source tree
      extra_exports+=(-virtfs "local,path=$2,mount_tag=$1,security_model=none,readonly=on,multidevs=remap")
      tree_mounts+="$1 $2"$'\n' ;;
  esac
}
add_tree srctree "$src"
add_tree buildtree "$build"
for s in $suites; do
  [[ $s =~ ^[A-Za-z0-9_-]+(@[A-Za-z0-9_.-]+)?$ ]] || die "suite name '$s' is not a ctest label or a guest script name"
done

kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
  mapfile -t kernels < <(bash "$src/vmtests/fetch-kernels.sh" "$build/vm-kernels") ||
    die "could not fetch the guest kernels (vmtests/fetch-kernels.sh)"
  [ ${#kernels[@]} -gt 0 ] || die "vmtests/fetch-kernels.sh gave no kernel"
fi

modules_root() { # image -> the directory above its boot/ (its lib/modules lives there)
  local d
  d=$(cd "$(dirname "$1")/.." && pwd)
  echo "$d"
}

kernel_version() { # image -> version whose ROOT/lib/modules exists
  local img=$1 v root
  root=$(modules_root "$img")
  v=${img##*/vmlinuz-}
  if [ "$v" = "$img" ] || [ ! -d "$root/lib/modules/$v" ]; then
    # Not named vmlinuz-VERSION: the bzImage header carries "VERSION (builder) #..."
    v=$(file -bL "$img" | sed -nE 's/.*version ([^ ]+) .*/\1/p')
  fi
  [ -n "$v" ] && [ -d "$root/lib/modules/$v" ] || return 1
  echo "$v"
}

# One kernel, start to verdict; runs in its own subshell. Prints its report on stdout and exits 0
# only when every suite passed.
boot_one() { # image
  local img=$1 kver work modroot rc=0 line p f note s summary bad=0 qemu_pid= start secs
  if ! kver=$(kernel_version "$img"); then
    echo "$img: cannot tell its version, or $(modules_root "$img")/lib/modules/VERSION is missing"; return 1
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/xvrrp-vm-$kver.XXXXXX")
  trap '[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; exit 130' TERM INT
  mkdir "$work/out"
  modroot=$(modules_root "$img")
  if ! "$src/vmtests/mkinitramfs.sh" "$kver" "$work/initramfs.cpio.gz" "$modroot" 2>"$work/mkinitramfs.err"; then
    echo "$kver boot problem: initramfs: $(cat "$work/mkinitramfs.err")"; return 1
  fi
  # no_timer_check (below): a starved TCG vCPU fails the kernel's IO-APIC timer check and 6.12
  # panics at boot ("IO-APIC + timer doesn't work!"), seen at a host load average of 50.
  # The guest's command is a script file on the results export: every word on the kernel command
  # line would become an argument of init, and too many of them panic the kernel at boot.
  {
    echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    printf 'export XVRRP_SOURCE_DIR=%q XVRRP_BUILD_DIR=%q XVRRP_VM_SUITES=%q XVRRP_VM_MODROOT=%q\n' \
      "$src" "$build" "$suites" "$modroot"
    printf 'exec /bin/bash %q\n' "$src/vmtests/guest-run.sh"
  } >"$work/out/cmd.sh"
  printf '%s' "$tree_mounts" >"$work/out/mounts"

  start=$(date +%s)
  timeout -k 5 "$vm_timeout" qemu-system-x86_64 \
    -machine accel=tcg -cpu max -smp "$smp" -m 2048 \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$img" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 rdinit=/init panic=-1 no_timer_check quiet xvrrp.modroot=$modroot" \
    -chardev "file,id=con,path=$work/console.log" -serial chardev:con \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$work/out,mount_tag=vmout,security_model=none,multidevs=remap" \
    ${extra_exports[@]+"${extra_exports[@]}"} \
    </dev/null >"$work/qemu.log" 2>&1 &
  qemu_pid=$!
  wait "$qemu_pid" || rc=$?
  qemu_pid=
  secs=$(( $(date +%s) - start ))

  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "$kver boot problem: guest did not finish within ${vm_timeout}s (XVRRP_VM_TIMEOUT)"; bad=1
  elif [ "$rc" -ne 0 ]; then
    echo "$kver boot problem: qemu exited $rc: $(tail -n 3 "$work/qemu.log")"; bad=1
  elif [ ! -s "$work/out/results" ]; then
    echo "$kver boot problem: the guest wrote no results"; bad=1
  fi
  if [ -f "$work/out/results" ]; then
    summary=
    for s in $suites; do
      line=$(grep -E "^$s " "$work/out/results" | tail -n1 || true)
      if [ -z "$line" ]; then summary+="; $s: did not run"; bad=1; continue; fi
      read -r _ p f note <<<"$line"
      summary+="; $s: $p passed, $f failed${note:+ ($note)}"
      # A suite passes with at least one passed check and none failed: "0 passed" is a failure.
      [ "$f" -eq 0 ] && [ "$p" -gt 0 ] || bad=1
    done
    echo "$kver ${summary#; } [${secs}s]"
  fi
  if [ "$bad" -eq 0 ]; then
    [ "${XVRRP_VM_KEEP:-0}" = 1 ] || rm -rf "$work"
    return 0
  fi
  for s in $suites; do
    if [ -f "$work/out/$s.log" ] && ! grep -qE "^$s [1-9][0-9]* 0 *$" "$work/out/results"; then
      echo "---- $kver $s.log (last 40 lines; full: $work/out/$s.log) ----"
      tail -n 40 "$work/out/$s.log"
    fi
  done
  echo "---- $kver guest console (last 40 lines; full: $work/console.log) ----"
  tail -n 40 "$work/console.log" 2>/dev/null | sed 's/\r$//'
  echo "---- end of $kver ----"
  return 1
}

# Guests run $jobs at a time; reports are printed in kernel order once each guest is done.
reports=$(mktemp -d "${TMPDIR:-/tmp}/xvrrp-vm-reports.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$reports"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
i=0
for k in "${kernels[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  (
    set +e
    boot_one "$k" >"$reports/$i.txt" 2>&1
    rc=$?
    # A guest kernel that panicked at boot, before it ran anything of ours (TCG flakes seen on
    # 6.12: an int3 oops in sched_clock_cpu at 2 s), is booted once more; the first console stays
    # in the report. Any failure after the guest command started is final.
    console=$(sed -n 's/.*guest console (last [0-9]* lines; full: \([^)]*\)).*/\1/p' "$reports/$i.txt" | head -n 1)
    if [ "$rc" != 0 ] && [ -f "$console" ] && grep -q 'Kernel panic' "$console" &&
      ! grep -q 'running the guest command' "$console"; then
      mv "$reports/$i.txt" "$reports/$i.first"
      { echo "vmtests: $k: the kernel panicked at boot before the guest command; booting it once more"
        cat "$reports/$i.first"; } >"$reports/$i.retry"
      boot_one "$k" >"$reports/$i.txt" 2>&1
      rc=$?
      cat "$reports/$i.retry" "$reports/$i.txt" >"$reports/$i.both" && mv "$reports/$i.both" "$reports/$i.txt"
    fi
    echo "$rc" >"$reports/$i.rc"
  ) &
  pids+=($!)
  i=$((i + 1))
done
wait
pids=()
for ((j = 0; j < i; j++)); do
  cat "$reports/$j.txt"
  [ "$(cat "$reports/$j.rc" 2>/dev/null)" = 0 ] || status=1
done
exit "$status"
