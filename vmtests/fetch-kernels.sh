#!/usr/bin/env bash
# Unpacks the vmtests guest kernels into DIR without installing them: nothing goes to /boot or
# /lib/modules, no boot loader entry changes, and the host's own kernel choice stays as it is.
# Debian's current bookworm kernel (the package linux-image-amd64 points at, 6.1) and, when the
# bookworm-backports source is there (scripts/install-deps.sh adds it), its 6.12 one, each as
#   DIR/VERSION/boot/vmlinuz-VERSION and DIR/VERSION/lib/modules/VERSION/
# Prints the kernel images, one per line. Idempotent: an unpacked kernel is not fetched again.
#   vmtests/fetch-kernels.sh DIR
set -euo pipefail

die() { echo "fetch-kernels.sh: $*" >&2; exit 2; }
dir=${1:?usage: fetch-kernels.sh DIR}
[ "$(id -u)" = 0 ] || die "must run as root (apt-get download of the kernel packages)"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The versioned image package a metapackage of SUITE depends on (linux-image-6.1.0-NN-amd64).
image_package() { # suite
  apt-cache show "linux-image-amd64/$1" 2>/dev/null |
    sed -nE 's/^Depends:.*(linux-image-6\.[0-9]+[^ ,]*-amd64).*/\1/p' | head -n1
}

fetch() { # package suite
  local pkg=$1 suite=$2 ver tmp deb
  ver=${pkg#linux-image-}
  if [ -f "$dir/$ver/boot/vmlinuz-$ver" ] && [ -f "$dir/$ver/lib/modules/$ver/modules.dep" ]; then
    echo "$dir/$ver/boot/vmlinuz-$ver"
    return 0
  fi
  tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
  # Sandbox user root: the download lands in a directory the _apt user may not write.
  if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg/$suite" >"$tmp/apt.log" 2>&1); then
    echo "fetch-kernels.sh: apt-get download $pkg/$suite failed: $(tail -n 2 "$tmp/apt.log")" >&2
    rm -rf "$tmp"
    return 1
  fi
  deb=$(ls "$tmp"/*.deb)
  rm -rf "${dir:?}/$ver"
  mkdir -p "$dir/$ver"
  dpkg-deb -x "$deb" "$dir/$ver"
  rm -rf "$tmp"
  # The package ships no modules.dep (its postinst runs depmod): make it, inside DIR only.
  depmod -b "$dir/$ver" "$ver"
  [ -f "$dir/$ver/boot/vmlinuz-$ver" ] || die "$pkg has no boot/vmlinuz-$ver"
  echo "$dir/$ver/boot/vmlinuz-$ver"
}

found=0
pkg=$(image_package bookworm)
if [ -z "$pkg" ]; then
  apt-get update -q >/dev/null
  pkg=$(image_package bookworm)
fi
[ -n "$pkg" ] || die "apt knows no linux-image-amd64 for bookworm (apt-get update?)"
fetch "$pkg" bookworm && found=1
pkg=$(image_package bookworm-backports)
if [ -n "$pkg" ]; then
  fetch "$pkg" bookworm-backports && found=1
else
  echo "fetch-kernels.sh: no bookworm-backports kernel known to apt (scripts/install-deps.sh adds the source);" \
       "the guests boot the bookworm kernel only" >&2
fi
[ "$found" = 1 ] || die "no kernel could be fetched"
