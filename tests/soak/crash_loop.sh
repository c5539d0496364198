#!/usr/bin/env bash
# The crash-loop soak: the CrashLoop integration tests (tests/integration/
# crash_loop_test.cpp: events and tickets; the backend outbox) with more
# kill -9s and senders than `make test` runs.
#   tests/soak/crash_loop.sh [LOOPS] [HTTP_SENDERS]     default 200 loops, 6 senders
# Prints the figures docs/reliability.md records; exits non-zero on any loss,
# duplicate, second open ticket, second remote ticket, update out of order or
# entry left in the outbox.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$root/build}/tests/integration_tests
[ -x "$bin" ] || { echo "build first: make build ($bin missing)"; exit 1; }
TICKETD_CRASH_LOOPS=${1:-200} TICKETD_CRASH_SENDERS=${2:-6} \
  "$bin" --gtest_filter='CrashLoop.*'
