#!/usr/bin/env bash
# Starts ticketd with a throw-away store on free ports, runs a load generator
# against it and prints the figures.
#   bench/run.sh [http] [--clients N] [--seconds S] [--batch B] [--hosts H]
#   bench/run.sh syslog [--udp|--tcp] [--seconds S] [--rate R] [--hosts H]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
mode=http
if [ "${1:-}" = http ] || [ "${1:-}" = syslog ]; then mode=$1; shift; fi
cmake --build "$build" --target ticketd http_ingest_bench syslog_bench >/dev/null
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$port", syslog_udp: "127.0.0.1:$sport", syslog_tcp: "127.0.0.1:$sport", snmp: off }
rules_dir: $root/rules
store: { path: $work/ticketd.db }
log: { level: warn }
YAML
"$build/ticketd" --config "$work/ticketd.yaml" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
if [ "$mode" = syslog ]; then
  "$build/bench/syslog_bench" --port "$sport" --http "http://127.0.0.1:$port" --pid "$pid" "$@"
else
  "$build/bench/http_ingest_bench" --url "http://127.0.0.1:$port" --pid "$pid" "$@"
fi
kill -TERM $pid; wait $pid
