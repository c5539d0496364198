#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each briefly over its seed
# corpus. Exits 77 (ctest: skipped) when clang++ is not installed.
#   tests/fuzz/run.sh [SECONDS]      default 20 seconds per target
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-20}
command -v clang++ >/dev/null || { echo "clang++ not found: fuzzing skipped"; exit 77; }
out=${FUZZ_BUILD_DIR:-$root/build/fuzz}
mkdir -p "$out"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/include" -I"$root/src")
core=("$root/src/core/event.cpp" "$root/src/core/time.cpp" "$root/src/core/status.cpp" "$root/src/core/json.cpp"
      "$root/src/core/text.cpp" "$root/src/core/actions.cpp")

# build NAME SOURCES...: rebuilds when a source or a header is newer.
build() {
  local name=$1; shift
  local bin="$out/$name"
  local srcs=()
  for a in "$@"; do [ -f "$a" ] && srcs+=("$a"); done
  if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" "$root/include" -newer "$bin" 2>/dev/null | head -1)" ]; then
    clang++ "${flags[@]}" "$@" -o "$bin"
  fi
}
build event_json_fuzz "$here/event_json_fuzz.cpp" "$root/src/api/http_types.cpp" \
  "$root/src/ingest/webhook/webhook_parsers.cpp" "${core[@]}" -lcrypto
build http_body_fuzz "$here/http_body_fuzz.cpp" "$root/src/ingest/webhook/webhook_parsers.cpp" \
  "$root/src/core/ticket.cpp" "$root/src/core/duration.cpp" "$root/src/core/clock.cpp" \
  "$root/src"/engine/*.cpp "$root/src"/rules/*.cpp "${core[@]}" -lcrypto -lre2 -lyaml-cpp
build syslog_fuzz "$here/syslog_fuzz.cpp" "$root/src/ingest/syslog/syslog_parser.cpp" \
  "$root/src/ingest/syslog/syslog_framer.cpp" "${core[@]}"

status=0
for target in event_json http_body syslog; do
  work="$out/corpus-$target"
  log="$out/$target.log"
  mkdir -p "$work"
  echo "== $target (${seconds}s)"
  # Crash reproducers land in $out (artifact_prefix); a crash fails the run.
  if "$out/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
      -artifact_prefix="$out/$target-" -print_final_stats=1 "$work" "$here/corpus/$target" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$log" || true
  else
    echo "FAILED: $target fuzzer found a problem; reproducer in $out/$target-*"
    tail -40 "$log"
    status=1
  fi
done
exit $status
