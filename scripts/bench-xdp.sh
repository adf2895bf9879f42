#!/usr/bin/env bash
# XDP data plane figures (root): ns per packet of the program through BPF_PROG_TEST_RUN (fresh
# frame per run for rewriting paths) and ARP replies per second through a veth pair, XDP versus
# the kernel's own ARP answering, in one run. Figures only; never part of scripts/test.sh.
#   scripts/bench-xdp.sh            full run (~15 s)
#   scripts/bench-xdp.sh --quick    shorter run
set -euo pipefail
cd "$(dirname "$0")/.."
build=${XVRRP_BUILD_DIR:-build}
if [ "$(id -u)" -ne 0 ]; then
  echo "bench-xdp.sh: needs root (BPF programs, network namespaces)" >&2
  exit 1
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target xdp_bench >/dev/null
echo "kernel $(uname -r), $(nproc) cores, $(date -u +%FT%TZ)"
exec "$build/bin/xdp_bench" "$@"
