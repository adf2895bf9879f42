#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test suite; exits non-zero on any failure.
#   scripts/test.sh              everything (CI runs this, as root)
#   scripts/test.sh LABEL...     only these ctest labels (unit, bpf, netns, sim, fuzz, e2e, interop, vm, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh
cmake -S . -B build -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

labels=("$@")
status=0
timings=()
run_label() {
  local label=$1 par=$2 start=$SECONDS
  echo "=== ctest -L $label ==="
  (cd build && ctest -L "^${label}\$" --output-on-failure --no-tests=error -j"$par") || status=1
  timings+=("$label $((SECONDS - start)) s")
}

if [ "${#labels[@]}" -eq 0 ]; then
  # Labels present in this tree, in dependency order; root-only suites run serially.
  mapfile -t labels < <(cd build && ctest --print-labels | sed -n 's/^  //p')
  order=(unit sim fuzz bpf netns e2e interop vm packaging bench-smoke)
  sorted=()
  for l in "${order[@]}"; do printf '%s\n' "${labels[@]}" | grep -qx "$l" && sorted+=("$l"); done
  # `quarantine` holds known-failing tests of open defects: listed, never run, never counted as passed.
  for l in "${labels[@]}"; do
    [ "$l" = quarantine ] || printf '%s\n' "${order[@]}" | grep -qx "$l" || sorted+=("$l")
  done
  labels=("${sorted[@]}")
  quarantined=$(cd build && ctest -N -L '^quarantine$' | sed -n 's/^ *Test *#[0-9]*: //p' | tr '\n' ' ')
  [ -z "$quarantined" ] || echo "NOT RUN (quarantined known failures, reasons beside each in its CMakeLists.txt): $quarantined"
  sanitize=1
else
  sanitize=0
fi

for l in "${labels[@]}"; do
  case $l in unit|sim|fuzz) run_label "$l" "$jobs" ;; *) run_label "$l" 1 ;; esac
done

if [ "$sanitize" = 1 ]; then
  echo "=== unit tests under ASan/UBSan ==="
  # clang: it builds this tree in about half of gcc's time (123 s against 234 s on 2 cores), and
  # its ASan/UBSan runtime is the one the fuzz targets use. Both compilers come from install-deps.sh.
  CC=clang CXX=clang++ cmake -S . -B build-asan -DXVRRP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  start=$SECONDS
  cmake --build build-asan -j"$jobs" --target unit_tests
  (cd build-asan && ctest -L '^unit$' --output-on-failure --no-tests=error -j"$jobs") || status=1
  timings+=("unit-asan $((SECONDS - start)) s")
fi

echo "=== wall time per label: ${timings[*]/%/;} total $SECONDS s ==="
if [ "$status" -ne 0 ]; then echo "scripts/test.sh: FAILED" >&2; fi
exit "$status"
