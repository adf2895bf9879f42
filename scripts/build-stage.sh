#!/usr/bin/env bash
# The build stage of the container image, as one script: the Dockerfile's build stage runs it and
# the packaging test (tests/packaging) runs it too, so what the test checks is what the image gets.
#
#   scripts/build-stage.sh [--prefix DIR] [--build-dir DIR] [--build-type TYPE] [--deps-only]
#   scripts/build-stage.sh --print-layout
#
#   --prefix DIR       install root (default /usr/local): DIR/bin/xvrrpd (and its symlink
#                      DIR/bin/keepalived-xvrrpd), DIR/bin/xvrrpctl, DIR/lib/xvrrp/xvrrp.bpf.o,
#                      DIR/lib/xvrrp/entrypoint (the image's entrypoint script)
#   --build-dir DIR    CMake build directory (default SRC/build-release); an existing one is reused,
#                      so only what changed is rebuilt
#   --build-type TYPE  CMAKE_BUILD_TYPE (default Release, built at -O2)
#   --deps-only        only install the build dependencies (the image caches this as its own layer)
#   --print-layout     print the installed paths relative to the prefix, one a line, and exit
#
# Environment: XVRRP_JOBS parallel compile jobs (default: nproc).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
build_dir=$src/build-release
build_type=Release
deps_only=0
print_layout=0

die() { echo "build-stage.sh: $*" >&2; exit 2; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) need_value "$@"; prefix=$2; shift 2 ;;
    --build-dir) need_value "$@"; build_dir=$2; shift 2 ;;
    --build-type) need_value "$@"; build_type=$2; shift 2 ;;
    --deps-only) deps_only=1; shift ;;
    --print-layout) print_layout=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# What gets installed, relative to the prefix. One list, read by the install step below and by the
# static Dockerfile check (which verifies the runtime stage copies these paths and runs bin/xvrrpd).
layout() {
  echo bin/xvrrpd
  # The image's entrypoint: a symlink, so the process is named "keepalived-xvrr" (the kernel keeps
  # 15 characters of the name it was started by) and the OKD page's liveness probe
  # `pgrep keepalived` passes in a Deployment where only the image was changed.
  echo bin/keepalived-xvrrpd
  echo bin/xvrrpctl
  # The data plane program (xvrrpd embeds it through its skeleton; the file is for bpftool and
  # xdp-loader). Other objects under bpf/ are test helpers and stay out of the image.
  echo lib/xvrrp/xvrrp.bpf.o
  # The image's entrypoint script (scripts/container-entrypoint.sh): bpffs, then keepalived-xvrrpd.
  echo lib/xvrrp/entrypoint
}

if [ "$print_layout" = 1 ]; then
  layout
  exit 0
fi

bash "$src/scripts/install-deps.sh" --build-only
[ "$deps_only" = 1 ] && exit 0

jobs=${XVRRP_JOBS:-$(nproc)}
# -O2, not CMake's Release default -O3: GCC 12 at -O3 reports false -Wrestrict errors inside
# std::string (GCC bug 105329) and the project builds with -Werror. -O2 is also Debian's default.
cmake -S "$src" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
# Only what the image ships: the tests and benchmarks are not built here.
cmake --build "$build_dir" -j"$jobs" --target xvrrpd xvrrpctl xvrrp_bpf_objects

# The copy is done here rather than with CMake install() rules: the image and the test need exactly
# these files, and the layout above is the single list of them.
while read -r rel; do
  case $rel in
    bin/keepalived-xvrrpd) ln -sfn xvrrpd "$prefix/$rel"; continue ;;
    lib/xvrrp/entrypoint) from=$src/scripts/container-entrypoint.sh; mode=0755 ;;
    bin/*) from=$build_dir/bin/$(basename "$rel"); mode=0755 ;;
    lib/xvrrp/*) from=$build_dir/bpf/$(basename "$rel"); mode=0644 ;;
    *) die "layout entry '$rel' has no source rule" ;;
  esac
  [ -f "$from" ] || die "the build did not produce $from (needed for $prefix/$rel)"
  install -D -m "$mode" "$from" "$prefix/$rel"
  # Stripped binaries keep the runtime image small; the BPF object keeps its BTF (libbpf needs it).
  case $rel in bin/*) strip --strip-unneeded "$prefix/$rel" ;; esac
done < <(layout)

echo "build-stage.sh: installed into $prefix:"
layout | sed 's/^/  /'
