#!/usr/bin/env bash
# Does a client reading tickets slow down intake? Fills a fresh ticketd with
# N tickets (default 100,000: one new fingerprint per event, POSTed in
# batches of 500), then for 10 s each:
#   1. TCP syslog intake alone (bench/syslog_bench, as fast as accepted);
#   2. the same while a client pages through all N tickets in a loop
#      (GET /api/v1/tickets?limit=1000, following next_cursor), and a probe
#      times GET /healthz every 20 ms.
# Prints intake msg/s for both, pages listed, and the probe's p50/p99/max.
# With OTHER=/path/to/ticketd, runs the same against that binary too, side by
# side (e.g. a build from before reads moved off the I/O thread).
#   bench/reads_vs_intake.sh [N]          BUILD_DIR=build-release by default
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-release}
n=${1:-100000}
seconds=${SECONDS_EACH:-10}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKETD_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target ticketd syslog_bench >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_one() {  # run_one LABEL BINARY
  local label=$1 bin=$2 work pid http syslog
  work=$(mktemp -d)
  mkdir "$work/rules"
  cp "$root"/rules/*.yaml "$work/rules/"
  sed -i '/^storm:/d' "$work/rules/95-policy.yaml"
  http=$(free_port)
  syslog=$(free_port)
  # Builds from before SNMP support know no listen.snmp key.
  local snmp_off=", snmp: off"
  printf 'listen: { snmp: off }\n' > "$work/probe.yaml"
  local probe
  probe=$("$bin" --config "$work/probe.yaml" --check-config 2>&1 || true)
  [[ "$probe" == *'unknown config key "listen.snmp"'* ]] && snmp_off=""
  cat > "$work/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$http", syslog_udp: off, syslog_tcp: "127.0.0.1:$syslog"$snmp_off }
rules_dir: rules
store: { path: ticketd.db, sync: normal }
log: { level: warn }
YAML
  "$bin" --config "$work/ticketd.yaml" &
  pid=$!
  until curl -sf "http://127.0.0.1:$http/healthz" >/dev/null; do sleep 0.05; done
  echo "== $label: filling $n tickets"
  python3 - "$http" "$n" <<'PY'
import json, sys, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
for b in range(n // 500):
    evs = [{"host": "fill%d" % (b * 500 + i), "severity": "error",
            "message": "write failed: No space left on device"} for i in range(500)]
    req = urllib.request.Request("http://127.0.0.1:%s/api/v1/events" % port, data=json.dumps(evs).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
  sleep 1
  echo "-- intake alone"
  "$build/bench/syslog_bench" --port "$syslog" --http "http://127.0.0.1:$http" --tcp --seconds "$seconds" | grep '^sent'
  echo "-- intake while a client lists all $n tickets in a loop"
  python3 - "$http" "$seconds" > "$work/readers.txt" <<'PY' &
import json, sys, threading, time, urllib.request
port, seconds = sys.argv[1], float(sys.argv[2])
base = "http://127.0.0.1:%s" % port
stop = time.time() + seconds
pages = [0]
def lister():
    while time.time() < stop:
        cursor = ""
        while time.time() < stop:
            url = base + "/api/v1/tickets?limit=1000" + ("&cursor=" + cursor if cursor else "")
            page = json.load(urllib.request.urlopen(url, timeout=60))
            pages[0] += 1
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
t = threading.Thread(target=lister)
t.start()
lat = []
while time.time() < stop:
    t0 = time.time()
    urllib.request.urlopen(base + "/healthz", timeout=60).read()
    lat.append((time.time() - t0) * 1000)
    time.sleep(0.02)
t.join()
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print("pages of 1000 tickets listed: %d (%.1f/s); /healthz during the reads: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d probes)"
      % (pages[0], pages[0] / seconds, q(0.5), q(0.99), lat[-1], len(lat)))
PY
  local readers=$!
  sleep 0.5
  "$build/bench/syslog_bench" --port "$syslog" --http "http://127.0.0.1:$http" --tcp --seconds "$seconds" | grep '^sent'
  wait $readers
  cat "$work/readers.txt"
  kill -TERM $pid
  wait $pid || true
  rm -rf "$work"
}

run_one "this build ($build/ticketd)" "$build/ticketd"
if [ -n "${OTHER:-}" ]; then run_one "other ($OTHER)" "$OTHER"; fi
