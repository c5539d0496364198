#!/usr/bin/env bash
# The shipped unit (systemd/ticketd.service): `systemd-analyze verify` is
# clean, and `systemd-analyze security` rates its exposure at most 2.0
# (docs/reliability.md records the score). The unit's /usr/local/bin paths
# are pointed at the build's binaries, which verify requires to exist.
#   tests/systemd_unit.sh SOURCE_DIR BUILD_DIR
# Exits 77 (ctest: skipped) without systemd-analyze.
set -euo pipefail
src=$1 bin=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/|$bin/|g" "$src/systemd/ticketd.service" > "$work/ticketd.service"
# Only what verify says about our unit counts (other installed units may warn).
if ! out=$(systemd-analyze verify "$work/ticketd.service" 2>&1); then
  echo "FAILED: systemd-analyze verify"; echo "$out"; exit 1
fi
if grep -F "ticketd.service" <<<"$out"; then
  echo "FAILED: systemd-analyze verify reports the unit"; exit 1
fi
score=$(systemd-analyze security --offline=yes "$work/ticketd.service" 2>/dev/null \
  | sed -n 's/.*Overall exposure level for ticketd.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $score (at most 2.0)"
systemd-analyze security --offline=yes --threshold=20 "$work/ticketd.service" >/dev/null 2>&1 \
  || { echo "FAILED: exposure $score is over 2.0"; exit 1; }
