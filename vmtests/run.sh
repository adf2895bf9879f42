#!/usr/bin/env bash
# Boots other kernels under qemu (TCG) with the host root shared read-only over 9p, virtme-style,
# and runs the kernel-sensitive suites inside each guest.
#   vmtests/run.sh [KERNEL_IMAGE...]
# Default kernels: every /boot/vmlinuz-* except the running one (the normal suites cover that).
# Environment:
#   XVRRP_BUILD_DIR   build tree whose tests run in the guest (default: <source>/build)
#   XVRRP_VM_SUITES   suites to run (default "bpf netns xdp-arp coexist"): a ctest label, or a
#                     guest script vmtests/guest/<name>.sh
#   XVRRP_VM_TIMEOUT  seconds one guest may run before it counts as hung (default 280)
#   XVRRP_VM_SMP      guest CPUs (default 2)    XVRRP_VM_KEEP=1  keep the work dirs
# Prints one line per kernel ("6.1.0-56-amd64 bpf: 57 passed, 0 failed; netns: ...") and exits
# non-zero on any failed check, missing suite or boot problem, showing the guest console tail.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${XVRRP_BUILD_DIR:-$src/build}" 2>/dev/null && pwd) ||
  { echo "vmtests: build dir ${XVRRP_BUILD_DIR:-$src/build} does not exist" >&2; exit 2; }
suites=${XVRRP_VM_SUITES:-bpf netns xdp-arp coexist}
vm_timeout=${XVRRP_VM_TIMEOUT:-280}
smp=${XVRRP_VM_SMP:-2}

die() { echo "vmtests: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root (the guest tests load XDP programs)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (install qemu-system-x86)"
[ -f "$build/CTestTestfile.cmake" ] || die "$build is not a configured build tree"

kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
  running=$(uname -r)
  for k in /boot/vmlinuz-*; do
    [ -f "$k" ] || continue
    [ "${k#/boot/vmlinuz-}" = "$running" ] && continue
    kernels+=("$k")
  done
  [ ${#kernels[@]} -gt 0 ] ||
    die "no kernel other than the running $running in /boot (install linux-image-amd64: scripts/install-deps.sh)"
fi

current_work=
qemu_pid=
cleanup() {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
  # Only an interrupted run leaves a work dir behind here; failed kernels keep theirs for a look.
  if [ -n "$current_work" ] && [ "${XVRRP_VM_KEEP:-0}" != 1 ]; then rm -rf "$current_work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kernel_version() { # image -> version whose /lib/modules exists
  local img=$1 v
  v=${img##*/vmlinuz-}
  if [ "$v" = "$img" ] || [ ! -d "/lib/modules/$v" ]; then
    # Not named vmlinuz-VERSION: the bzImage header carries "VERSION (builder) #..."
    v=$(file -bL "$img" | sed -nE 's/.*version ([^ ]+) .*/\1/p')
  fi
  [ -n "$v" ] && [ -d "/lib/modules/$v" ] || return 1
  echo "$v"
}

console_tail() { # workdir
  echo "---- guest console (last 40 lines) ----"
  tail -n 40 "$1/console.log" 2>/dev/null | sed 's/\r$//'
  echo "---- end of guest console (full log: $1/console.log) ----"
}

status=0
boot_one() { # image
  local img=$1 kver work start rc line parts p f note s summary bad=0
  if ! kver=$(kernel_version "$img"); then
    echo "$img: cannot tell its version or /lib/modules/VERSION is missing"; status=1; return
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/xvrrp-vm-$kver.XXXXXX")
  current_work=$work
  mkdir "$work/out"
  if ! "$src/vmtests/mkinitramfs.sh" "$kver" "$work/initramfs.cpio.gz" 2>"$work/mkinitramfs.err"; then
    echo "$kver boot problem: initramfs: $(cat "$work/mkinitramfs.err")"; status=1; return
  fi
  # The guest's command is a script file on the results export: every word on the kernel command
  # line would become an argument of init, and too many of them panic the kernel at boot.
  {
    echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    printf 'export XVRRP_SOURCE_DIR=%q XVRRP_BUILD_DIR=%q XVRRP_VM_SUITES=%q\n' "$src" "$build" "$suites"
    printf 'exec /bin/bash %q\n' "$src/vmtests/guest-run.sh"
  } >"$work/out/cmd.sh"

  start=$(date +%s)
  rc=0
  timeout -k 5 "$vm_timeout" qemu-system-x86_64 \
    -machine accel=tcg -cpu max -smp "$smp" -m 2048 \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$img" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 rdinit=/init panic=-1 quiet" \
    -chardev "file,id=con,path=$work/console.log" -serial chardev:con \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$work/out,mount_tag=vmout,security_model=none,multidevs=remap" \
    </dev/null >"$work/qemu.log" 2>&1 &
  qemu_pid=$!
  wait "$qemu_pid" || rc=$?
  qemu_pid=

  local secs=$(( $(date +%s) - start ))
  current_work=
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "$kver boot problem: guest did not finish within ${vm_timeout}s"; bad=1
  elif [ "$rc" -ne 0 ]; then
    echo "$kver boot problem: qemu exited $rc: $(tail -n 3 "$work/qemu.log")"; bad=1
  elif [ ! -s "$work/out/results" ]; then
    echo "$kver boot problem: the guest wrote no results"; bad=1
  fi
  if [ -s "$work/out/results" ]; then
    parts=()
    for s in $suites; do
      line=$(grep -E "^$s " "$work/out/results" | tail -n1 || true)
      if [ -z "$line" ]; then parts+=("$s: did not run"); bad=1; continue; fi
      read -r _ p f note <<<"$line"
      summary="$s: $p passed, $f failed${note:+ ($note)}"
      parts+=("$summary")
      [ "$f" -eq 0 ] && [ "$p" -gt 0 ] || bad=1
    done
    local IFS=';'
    summary="${parts[*]}"
    echo "$kver ${summary//;/; } [${secs}s]"
  fi
  if [ "$bad" -ne 0 ]; then
    status=1
    for s in $suites; do
      if [ -f "$work/out/$s.log" ] && ! grep -qE "^$s [0-9]+ 0 *$" "$work/out/results" 2>/dev/null; then
        echo "---- $kver $s.log (last 30 lines) ----"
        tail -n 30 "$work/out/$s.log"
      fi
    done
    console_tail "$work"
  elif [ "${XVRRP_VM_KEEP:-0}" != 1 ]; then
    rm -rf "$work"
  fi
}

for k in "${kernels[@]}"; do boot_one "$k"; done
exit "$status"
