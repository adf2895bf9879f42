#!/usr/bin/env bash
# Installs every build, run and test dependency of xvrrp from Debian bookworm.
# Idempotent and non-interactive. Usage: scripts/install-deps.sh [--build-only]
#   --build-only  just what compiling needs (the Dockerfile's build stage)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config git
  clang llvm lld libclang-rt-14-dev
  libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
  libnl-3-dev libnl-route-3-dev
  libboost-dev libboost-system-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  libcap-dev
)
test_pkgs=(
  iproute2 iptables nftables keepalived frr tcpdump tshark arping iputils-ping
  qemu-system-x86 linux-image-amd64 busybox-static xdp-tools
  python3 python3-yaml gnuplot-nox procps util-linux
)

pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--build-only" ] || pkgs+=("${test_pkgs[@]}")

if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: must run as root (apt-get)" >&2
  exit 1
fi

# vmtests (issue 8) also boot Debian's 6.12 kernel from bookworm-backports. The suite is added by
# rewriting the suite name of the existing Debian entry (same mirror, same signing key), never by
# writing a host name. Installing a kernel package only adds files under /boot and /lib/modules;
# the versioned package is installed by name so the host's linux-image-amd64 (6.1) stays as it is.
add_backports_kernel() {
  compgen -G '/boot/vmlinuz-6.12*' >/dev/null && return 0
  local src822=/etc/apt/sources.list.d/xvrrp-bookworm-backports.sources
  local srclist=/etc/apt/sources.list.d/xvrrp-bookworm-backports.list
  if [ ! -f "$src822" ] && [ ! -f "$srclist" ]; then
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # deb822: the first stanza whose Suites has the bare word "bookworm".
      awk 'BEGIN { RS = ""; ORS = "\n" }
           /(^|\n)Suites:([^\n]* )?bookworm( |\n|$)/ && !done {
             sub(/(^|\n)Suites:[^\n]*/, "\nSuites: bookworm-backports"); sub(/^\n/, ""); print; done = 1 }' \
        "$f" >"$src822.tmp"
      if [ -s "$src822.tmp" ]; then mv "$src822.tmp" "$src822"; break; fi
      rm -f "$src822.tmp"
    done
    if [ ! -f "$src822" ] && [ -f /etc/apt/sources.list ]; then
      # one-line format: "deb [opts] URI bookworm components"
      sed -nE '/^deb(\s+\[[^]]*\])?\s+\S+\s+bookworm\s/{s/(\s)bookworm(\s)/\1bookworm-backports\2/p;q}' \
        /etc/apt/sources.list >"$srclist"
      [ -s "$srclist" ] || rm -f "$srclist"
    fi
    if [ ! -f "$src822" ] && [ ! -f "$srclist" ]; then
      echo "install-deps.sh: no Debian bookworm apt entry to derive bookworm-backports from;" \
           "vmtests will boot the 6.1 kernel only" >&2
      return 0
    fi
  fi
  apt-get update -q
  local kpkg
  kpkg=$(apt-cache show linux-image-amd64/bookworm-backports 2>/dev/null |
         sed -nE 's/^Depends:.*(linux-image-6\.12[^ ,]*-amd64).*/\1/p' | head -n1)
  if [ -z "$kpkg" ]; then
    echo "install-deps.sh: bookworm-backports has no 6.12 kernel; vmtests will boot the 6.1 kernel only" >&2
    return 0
  fi
  # "pkg/suite" picks the suite for this one package only; "-t bookworm-backports" would also move
  # the linux-image-amd64 metapackage (the host's kernel choice) to 6.12.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "$kpkg/bookworm-backports"
}
[ "${1:-}" = "--build-only" ] || add_backports_kernel

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps.sh: all ${#pkgs[@]} packages present"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
# No package may start its service (keepalived's, or frr's zebra in the host's namespace) while
# it is installed: policy-rc.d's 101 tells invoke-rc.d and deb-systemd-invoke not to, for the
# duration of this install only; one that was there already is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
# And none is enabled for the next boot: the lab runs its own instances in namespaces only.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now keepalived >/dev/null 2>&1 || true
  systemctl disable --now frr >/dev/null 2>&1 || true
fi
echo "install-deps.sh: installed ${#missing[@]} packages"
