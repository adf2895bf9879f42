#!/usr/bin/env bash
# Installs the build, run and test dependencies of xvrrp from Debian bookworm.
# Idempotent and non-interactive. Usage: scripts/install-deps.sh [--build-only | --demo]
#   --build-only  just what compiling needs (the Dockerfile's build stage)
#   --demo        compiling plus what scripts/demo.sh runs: no qemu, no packet tools, no FRR
#   (none)        everything scripts/test.sh needs
# Nothing here installs a kernel or touches /boot: vmtests/fetch-kernels.sh unpacks the guest
# kernels into the build tree (this script only adds the bookworm-backports apt source they come
# from, once).
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
# The lab (namespaces, the client's probe, keepalived for --daemon keepalived, the timeline plot).
demo_pkgs=(iproute2 nftables keepalived python3 gnuplot-nox procps util-linux)
test_pkgs=(
  iptables frr tcpdump tshark arping iputils-ping
  qemu-system-x86 busybox-static xdp-tools xz-utils zstd file
  python3-yaml
)

profile=${1:-all}
case $profile in
  --build-only) pkgs=("${build_pkgs[@]}") ;;
  --demo) pkgs=("${build_pkgs[@]}" "${demo_pkgs[@]}") ;;
  all) pkgs=("${build_pkgs[@]}" "${demo_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "install-deps.sh: unknown argument '$1' (--build-only, --demo, or nothing)" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: must run as root (apt-get)" >&2
  exit 1
fi

# vmtests also boot Debian's 6.12 kernel from bookworm-backports, downloaded (never installed) by
# vmtests/fetch-kernels.sh. The suite is added by rewriting the suite name of the existing Debian
# entry (same mirror, same signing key), never by writing a host name.
add_backports_source() {
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
}
[ "$profile" = all ] && add_backports_source

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
