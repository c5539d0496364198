#!/usr/bin/env bash
# Builds the libFuzzer targets in a CMake tree of their own (clang,
# -DTICKETD_FUZZ=ON: only the fuzzers and the layer libraries they link, all
# instrumented) and runs each briefly over its seed corpus. A crash, leak or
# timeout fails the run and leaves a reproducer. Exits 77 (ctest: skipped)
# when clang++ is not installed.
#   tests/fuzz/run.sh [SECONDS]      default 20 seconds per target
# The tree is $FUZZ_BUILD_DIR (ctest: <build>/fuzz), else build/fuzz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-20}
command -v clang++ >/dev/null || { echo "clang++ not found: fuzzing skipped"; exit 77; }
out=${FUZZ_BUILD_DIR:-$root/build/fuzz}
mkdir -p "$out"

# Configure once (later builds re-run cmake by themselves when a
# CMakeLists.txt changes); ccache is picked up by CMakeLists.txt.
start=$SECONDS
if [ ! -f "$out/CMakeCache.txt" ]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if ! cmake -S "$root" -B "$out" "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++ -DTICKETD_FUZZ=ON \
      >"$out/configure.log" 2>&1; then
    echo "FAILED: configuring the fuzz tree ($out/configure.log)"
    tail -40 "$out/configure.log"
    exit 1
  fi
fi
if ! cmake --build "$out" -j "$(nproc)" >"$out/build.log" 2>&1; then
  echo "FAILED: building the fuzz targets ($out/build.log)"
  tail -60 "$out/build.log"
  exit 1
fi
echo "fuzz targets built in $((SECONDS - start))s ($out)"

status=0
for target in event_json http_body json_mapping syslog relp snmp backend_webhook rule_file config; do
  bin="$out/tests/fuzz/${target}_fuzz"
  work="$out/corpus-$target"
  log="$out/$target.log"
  mkdir -p "$work"
  echo "== $target (${seconds}s)"
  # New inputs accumulate in $work; crash reproducers land in $out
  # (artifact_prefix). A crash, leak or timeout fails the run.
  if "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
      -artifact_prefix="$out/$target-" -print_final_stats=1 "$work" "$here/corpus/$target" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb|Done)' "$log" || true
  else
    echo "FAILED: $target fuzzer found a problem; reproducer in $out/$target-*"
    echo "  rerun one: $bin $out/$target-<crash|leak|timeout>-<hash>"
    tail -40 "$log"
    status=1
  fi
done
exit $status
