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
       -I"$root/src")
for inc in "$root"/src/*/include; do flags+=(-I"$inc"); done
core=("$root/src/core/event.cpp" "$root/src/core/time.cpp" "$root/src/core/status.cpp" "$root/src/core/json.cpp"
      "$root/src/core/text.cpp" "$root/src/core/actions.cpp")

cc=(clang++)
command -v ccache >/dev/null && cc=(ccache clang++)
objdir="$out/obj"
mkdir -p "$objdir"

# The sources of all targets, each compiled once, two at a time per core
# (ccache, when present, makes unchanged ones free); then each target links.
event_json_srcs=("$here/event_json_fuzz.cpp" "$root/src/api/http_types.cpp"
  "$root/src/ingest/webhook/webhook_parsers.cpp" "${core[@]}")
http_body_srcs=("$here/http_body_fuzz.cpp" "$root/src/ingest/webhook/webhook_parsers.cpp" "$root/src/api/commands.cpp"
  "$root/src/core/ticket.cpp" "$root/src/core/duration.cpp" "$root/src/core/clock.cpp"
  "$root/src"/engine/*.cpp "$root/src"/rules/*.cpp "${core[@]}")
syslog_srcs=("$here/syslog_fuzz.cpp" "$root/src/ingest/syslog/syslog_parser.cpp"
  "$root/src/ingest/syslog/syslog_framer.cpp" "${core[@]}")
obj_of() { local rel=${1#"$root"/}; echo "$objdir/${rel//\//_}.o"; }
jobs_max=$(nproc)
mapfile -t all_srcs < <(printf '%s\n' "${event_json_srcs[@]}" "${http_body_srcs[@]}" "${syslog_srcs[@]}" | sort -u)
pids=()
for src in "${all_srcs[@]}"; do
  "${cc[@]}" "${flags[@]}" -c "$src" -o "$(obj_of "$src")" &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 0.2; done
done
for p in "${pids[@]}"; do wait "$p"; done
link() {  # link NAME LIBS -- SOURCES...
  local name=$1; shift
  local libs=()
  while [ "$1" != -- ]; do libs+=("$1"); shift; done
  shift
  local objs=()
  for src in "$@"; do objs+=("$(obj_of "$src")"); done
  clang++ "${flags[@]}" "${objs[@]}" "${libs[@]}" -o "$out/$name"
}
link event_json_fuzz -lcrypto -- "${event_json_srcs[@]}"
link http_body_fuzz -lcrypto -lre2 -lyaml-cpp -- "${http_body_srcs[@]}"
link syslog_fuzz -- "${syslog_srcs[@]}"

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
