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
  iproute2 iptables nftables keepalived tcpdump tshark arping iputils-ping
  qemu-system-x86 linux-image-amd64 busybox-static xdp-tools
  python3 python3-yaml gnuplot-nox procps util-linux
)

pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--build-only" ] || pkgs+=("${test_pkgs[@]}")

if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: must run as root (apt-get)" >&2
  exit 1
fi

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
apt-get install -y -q --no-install-recommends "${missing[@]}"
# keepalived's package starts a service on install; the lab runs its own instances only.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now keepalived >/dev/null 2>&1 || true; fi
echo "install-deps.sh: installed ${#missing[@]} packages"
