#!/usr/bin/env bash
# Dependencies point one way: sources -> engine -> effects, with core/ the
# shared vocabulary (docs/architecture.md). The per-layer CMake targets
# already refuse a wrong-way include at compile time; this names file and
# line for a reviewer, and catches one written inside a target's own sources.
#   store/   may include core/ (and its own), never engine/, rules/, api/, daemon/
#   core/    may include only core/
#   engine/  never includes store/, api/, daemon/, ingest/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bad=0
check() {  # check LAYER-DIRS... -- FORBIDDEN-REGEX
  local dirs=() pattern
  while [ "$1" != -- ]; do dirs+=("$1"); shift; done
  pattern=$2
  if out=$(grep -rnE "#include \"(ticketd/)?($pattern)/" "${dirs[@]}" 2>/dev/null); then
    echo "layering: forbidden include:"
    echo "$out"
    bad=1
  fi
}
check src/store -- 'engine|rules|api|daemon|ingest'
check src/core -- 'engine|rules|api|daemon|ingest|store'
check src/engine -- 'store|api|daemon|ingest'
check src/rules -- 'engine|store|api|daemon|ingest'
check src/ingest -- 'engine|rules|store|api|daemon'
check src/api -- 'daemon|connectors'
check src/connectors -- 'engine|api|daemon|ingest'
# Time comes only from the Clock (core/clock.cpp), so every time-driven path
# can be tested with a ManualClock.
if out=$(grep -rnE '(system_clock|steady_clock|high_resolution_clock)::now|gettimeofday|clock_gettime|std::time\(|[ (=!]time\((nullptr|NULL)\)' \
    src --include='*.cpp' --include='*.hpp' | grep -v '^src/core/clock.cpp:'); then
  echo "layering: time read outside core/clock.cpp (take a Clock):"
  echo "$out"
  bad=1
fi
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
