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
bin="$out/event_json_fuzz"
srcs=("$here/event_json_fuzz.cpp" "$root/src/api/http_types.cpp" "$root/src/core/event.cpp"
      "$root/src/core/time.cpp" "$root/src/core/status.cpp")
if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" "$root/include" -newer "$bin" 2>/dev/null | head -1)" ]; then
  clang++ "${flags[@]}" "${srcs[@]}" -o "$bin"
fi
work="$out/corpus-event_json"
mkdir -p "$work"
"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
  -print_final_stats=1 "$work" "$here/corpus/event_json"
