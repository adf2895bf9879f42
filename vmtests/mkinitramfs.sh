#!/usr/bin/env bash
# Builds the tiny initramfs that boots a Debian kernel virtme-style: busybox-static, the modules a
# 9p root needs for THIS kernel version (resolved from its modules.dep, so 6.1's netfs/fscache and
# 6.12's built-in virtio both come out right), and vmtests/init.sh as /init.
#   vmtests/mkinitramfs.sh KERNEL_VERSION OUTPUT.cpio.gz [MODULES_ROOT]
# MODULES_ROOT (default /) holds lib/modules/KERNEL_VERSION (vmtests/fetch-kernels.sh's layout).
set -euo pipefail

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: mkinitramfs.sh KERNEL_VERSION OUTPUT.cpio.gz [MODULES_ROOT]"
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
moddir=${3:-}/lib/modules/$kver
moddir=${moddir#/}; moddir=/$moddir
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep (vmtests/fetch-kernels.sh unpacks the kernels)"
busybox=$(command -v busybox) || die "busybox not found (install busybox-static)"
# The initramfs has no libc: a dynamically linked busybox (package "busybox") cannot run there.
if ldd "$busybox" >/dev/null 2>&1; then  # ldd fails on a static binary
  die "$busybox is not statically linked (install busybox-static)"
fi

# What the guest needs before it can reach the host root: the virtio PCI transport and 9p over it.
# Everything else (veth, overlay, ...) is loaded after the chroot by the host's own modprobe.
wanted=(virtio_pci 9pnet_virtio 9p)

declare -A dep_line=() loaded=()
while IFS= read -r line; do
  path=${line%%:*}
  name=${path##*/}; name=${name%%.ko*}
  dep_line[${name//-/_}]=$line
done <"$moddir/modules.dep"

builtin() { grep -qE "/${1}\.ko\$" "$moddir/modules.builtin" 2>/dev/null; }

order=()
# Depth-first: dependencies before the module that needs them, each module once.
resolve() {
  local m=${1//-/_}
  [ -n "${loaded[$m]:-}" ] && return 0
  loaded[$m]=1
  if [ -z "${dep_line[$m]:-}" ]; then
    builtin "$m" && return 0
    die "module $m is neither in $moddir/modules.dep nor built in"
  fi
  local line=${dep_line[$m]} d dn
  for d in ${line#*:}; do
    dn=${d##*/}; dn=${dn%%.ko*}
    resolve "$dn"
  done
  order+=("${line%%:*}")
}
for m in "${wanted[@]}"; do resolve "$m"; done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$here/init.sh" "$stage/init"
: >"$stage/modules/order"
for rel in "${order[@]}"; do
  base=${rel##*/}; base=${base%%.ko*}
  # busybox insmod takes plain .ko files only: decompress here rather than rely on the kernel's
  # in-kernel decompression (CONFIG_MODULE_DECOMPRESS), which 6.1 and 6.12 configure differently.
  case $rel in
    *.ko.xz)  xz -dc "$moddir/$rel" >"$stage/modules/$base.ko" ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" >"$stage/modules/$base.ko" ;;
    *.ko.gz)  gzip -dc "$moddir/$rel" >"$stage/modules/$base.ko" ;;
    *.ko)     cp "$moddir/$rel" "$stage/modules/$base.ko" ;;
    *) die "unexpected module file $rel" ;;
  esac
  echo "$base" >>"$stage/modules/order"
done
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
