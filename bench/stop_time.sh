#!/usr/bin/env bash
# How long a clean stop takes with a full queue (issue 8: under 5 s).
#
#   bench/stop_time.sh [HOSTS] [CAPACITY]     defaults 10000 hosts, queue.capacity 10000
#
# Starts ticketd (Release build) with the syslog dedup rules of bench/run,
# floods its TCP syslog listener from HOSTS hosts until the queue is full
# (ticketd_queue_depth at capacity, TCP backpressure), sends SIGTERM and
# prints the time until the process exits, and how many events it stored
# (every event read is processed before exit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hosts=${1:-10000}
capacity=${2:-10000}
build=${BENCH_BUILD_DIR:-$root/build-release}
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKETD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target ticketd >/dev/null
work=$(mktemp -d)
pid= sender=
trap '[ -n "$sender" ] && kill $sender 2>/dev/null; [ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); sport=$(free_port)
mkdir "$work/rules"
cat > "$work/rules/bench.yaml" <<'YAML'
rules:
  - name: sshd-failure
    match: { message: '~Failed password for (?:invalid user )?\S+ from (?P<ip>\S+)' }
    fingerprint: "{{ host }}/ssh"
YAML
cat > "$work/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$port", syslog_udp: off, syslog_tcp: "127.0.0.1:$sport", snmp: off }
rules_dir: rules
store: { path: ticketd.db }
queue: { capacity: $capacity }
log: { level: warn }
YAML
"$build/ticketd" --config "$work/ticketd.yaml" &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
python3 - "$hosts" > "$work/lines.txt" <<'PY'
import sys
hosts = int(sys.argv[1])
for i in range(2_000_000):
    print("<38>Nov 28 14:03:00 host%d sshd[42]: Failed password for root from 203.0.113.%d port 22 ssh2" % (i % hosts, i % 250))
PY
cat "$work/lines.txt" > "/dev/tcp/127.0.0.1/$sport" &
sender=$!
for _ in $(seq 1 600); do
  depth=$(metric ticketd_queue_depth)
  [ "${depth:-0}" -ge $((capacity * 9 / 10)) ] && break
  sleep 0.05
done
echo "queue depth before SIGTERM: $depth of $capacity (open tickets $(metric ticketd_open_tickets))"
t0=$(date +%s.%N)
kill -TERM $pid
wait $pid || true
t1=$(date +%s.%N)
pid=
kill $sender 2>/dev/null || true; wait $sender 2>/dev/null || true; sender=
stored=$(sqlite3 "$work/ticketd.db" 'SELECT COUNT(*) FROM events' 2>/dev/null || echo "?")
printf 'SIGTERM to exit: %.2f s; events stored: %s\n' "$(python3 -c "print($t1 - $t0)")" "$stored"
