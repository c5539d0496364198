#!/usr/bin/env bash
# Does the cost of an event grow with the engine's state? Posts N events
# (default 40,000), each a new fingerprint (so N open alerts and tickets), in
# batches of 500 to POST /api/v1/events of a fresh ticketd with the shipped
# rules (storm cap removed, or the storm incident would collect them), and
# prints the rate per 5,000 open alerts, the peak RSS, and how long a restart
# with that state takes to be ready.
#   bench/state_scale.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
n=${1:-40000}
cmake --build "$build" --target ticketd >/dev/null
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP_STATE:-}" ] && cp -r "$work" "$KEEP_STATE"; rm -rf "$work"' EXIT
mkdir "$work/rules"
cp "$root"/rules/*.yaml "$work/rules/"
sed -i '/^storm:/d' "$work/rules/95-policy.yaml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$port", syslog_udp: off, syslog_tcp: off, snmp: off }
rules_dir: rules
store: { path: ticketd.db }
log: { level: warn }
YAML
start() {
  "$build/ticketd" --config "$work/ticketd.yaml" &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
}
start
python3 - "$port" "$n" <<'PY'
import json, sys, time, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
t0 = last = time.time()
for b in range(n // 500):
    evs = [{"host": "h%d" % (b * 500 + i), "severity": "error",
            "message": "write failed: No space left on device"} for i in range(500)]
    req = urllib.request.Request("http://127.0.0.1:%s/api/v1/events" % port, data=json.dumps(evs).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    if (b + 1) % 10 == 0:
        now = time.time()
        print("%7d open alerts: %7.0f events/s" % ((b + 1) * 500, 5000 / (now - last)), flush=True)
        last = now
print("%d events in %.1f s" % (n, time.time() - t0))
PY
echo "peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
kill -TERM $pid; wait $pid
t0=$(date +%s.%N)
start
echo "restart: ready in $(python3 -c "import sys; print(round($(date +%s.%N) - $t0, 2))") s, $(curl -s "http://127.0.0.1:$port/readyz")"
kill -TERM $pid; wait $pid
