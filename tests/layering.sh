#!/usr/bin/env bash
# Dependencies point one way: sources -> engine -> effects, with core/ the
# shared vocabulary. Fails, naming file and line, when a layer includes one
# it must not know.
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
check include/ticketd/store src/store -- 'engine|rules|api|daemon|ingest'
check include/ticketd/core src/core -- 'engine|rules|api|daemon|ingest|store'
check include/ticketd/engine src/engine -- 'store|api|daemon|ingest'
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
