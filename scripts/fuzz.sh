#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) and fails if any of them finds a crash.
#   scripts/fuzz.sh [SECONDS]          BUILD_DIR=build by default; the targets are (re)built first
# Targets are whatever tests/fuzz/fuzz_*.cpp (and tests/fuzz_env/) built into $BUILD_DIR/fuzz/bin/.
# Seeds come from tests/fuzz*/corpus/NAME/ (never written), a dictionary from tests/fuzz*/NAME.dict;
# new inputs accumulate in $BUILD_DIR/fuzz/corpus/NAME/,
# crash reproducers in $BUILD_DIR/fuzz/artifacts/ (replay: $BUILD_DIR/fuzz/bin/fuzz_NAME FILE).
# Then the XDP harness (tests/fuzz_xdp, not libFuzzer: needs root) runs for SECONDS too.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case $seconds in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
build=${BUILD_DIR:-build}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target xvrrp_fuzz_targets -j"$(nproc)"

shopt -s nullglob
targets=("$build"/fuzz/bin/fuzz_*)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets in $build/fuzz/bin (is clang++ installed? see scripts/install-deps.sh)" >&2
  exit 1
fi

status=0
mkdir -p "$build/fuzz/artifacts"
for bin in "${targets[@]}"; do
  name=$(basename "$bin")
  corpus=${name#fuzz_}
  work="$build/fuzz/corpus/$corpus"
  mkdir -p "$work"
  seeds=(tests/fuzz*/corpus/"$corpus")
  dict=(tests/fuzz*/"$corpus".dict)
  [ "${#dict[@]}" -gt 0 ] && dict=(-dict="${dict[0]}")
  echo "=== $name for ${seconds}s ==="
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$build/fuzz/artifacts/$name-" "$work" "${seeds[@]}"; then
    echo "fuzz.sh: $name FAILED; reproducer(s): $(ls "$build/fuzz/artifacts/$name-"* 2>/dev/null | tr '\n' ' ')" >&2
    status=1
  fi
done

echo "=== xdp_fuzz for ${seconds}s ==="
cmake --build "$build" --target xdp_fuzz -j"$(nproc)" >/dev/null
"$build"/bin/xdp_fuzz --seconds "$seconds" || { echo "fuzz.sh: xdp_fuzz FAILED (replay lines above)" >&2; status=1; }
exit "$status"
