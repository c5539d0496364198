#!/usr/bin/env bash
# Outbox throughput and the time from a ticket change to its remote update,
# against a local fake backend (kind: webhook; an asyncio HTTP/1.1 receiver
# that answers at once and records when each request arrived).
#
#   bench/outbox.sh [TICKETS]      BUILD_DIR=build-release by default; TICKETS default 2000
#
# 1. create:  TICKETS distinct error events posted in requests of 100 (202 once
#             durable); each opens a ticket the backend takes. Measured: how
#             long until the backend has every create (creates/s), and per
#             ticket the time from the 202 to the create's arrival (p50/p99).
# 2. resolve: 200 tickets resolved one by one with PATCH; per ticket the time
#             from the 200 answer to the remote "resolved" (p50/p99).
# 3. backlog: the backend refuses everything (503) while TICKETS more tickets
#             open, then recovers: how long the backlog takes to drain.
# 4. ingest: the same deduplicating HTTP load (100 events per request, 1,000
#             hosts, 8 s) against this ticketd, which queues an occurrences
#             entry per ticket and batch, and against a ticketd without
#             backends, side by side: what the outbox costs ingestion.
# Peak RSS of ticketd at the end. Prints one table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-release}
tickets=${1:-2000}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKETD_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target ticketd http_ingest_bench >/dev/null
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The receiver: GET /_stats returns {"arrivals": {"create:KEY": t, ...}}; POST
# /_fail {"on": true|false} makes it answer 503 (Retry-After absent).
cat > "$work/receiver.py" <<'PY'
import asyncio, json, sys, time
arrivals, state = {}, {"fail": False}
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            length = 0
            for l in lines[1:]:
                if l.lower().startswith("content-length:"):
                    length = int(l.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            status, out = 200, b"{}"
            if path == "/_stats":
                out = json.dumps({"arrivals": arrivals}).encode()
            elif path == "/_fail":
                state["fail"] = json.loads(body)["on"]
            elif state["fail"]:
                status = 503
            else:
                j = json.loads(body)
                key = j["action"] + ":" + j["ticket"]["key"]
                arrivals.setdefault(key, time.time())
                if j["action"] == "create":
                    out = json.dumps({"id": j["ticket"]["key"]}).encode()
            writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (status, len(out)) + out)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
rport=$(free_port)
python3 "$work/receiver.py" "$rport" &
hport=$(free_port)
mkdir -p "$work/rules"
cat > "$work/rules/r.yaml" <<'YAML'
rules:
  - name: app-error
    match: { severity: ">=error" }
    ticket: { team: ops, title: "{{ app }} error on {{ host }}" }
    fingerprint: "{{ host }}/{{ app }}"
YAML
cat > "$work/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$hport", syslog_udp: off, syslog_tcp: off, snmp: off }
rules_dir: rules
store: { path: var/ticketd.db }
backends:
  - name: bench
    kind: webhook
    url: http://127.0.0.1:$rport/in
    timeout: 10s
outbox: { retry_first: 100ms, retry_max: 1s, breaker_open: 1s, breaker_open_max: 2s }
log: { level: warn }
YAML
"$build/ticketd" --config "$work/ticketd.yaml" > "$work/ticketd.log" 2>&1 &
td_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/healthz" >/dev/null && break; sleep 0.1; done

python3 - "$hport" "$rport" "$tickets" "$td_pid" <<'PY'
import http.client, json, sys, time
hport, rport, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
api = http.client.HTTPConnection("127.0.0.1", hport)
recv = http.client.HTTPConnection("127.0.0.1", rport)
def call(conn, method, path, body=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()
def arrivals():
    return json.loads(call(recv, "GET", "/_stats")[1])["arrivals"]
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")
def wait_for(pred, limit=600):
    end = time.time() + limit
    while time.time() < end:
        a = arrivals()
        if pred(a):
            return a
        time.sleep(0.05)
    sys.exit("bench/outbox: timed out waiting for the backend")
rows = []
# 1. creates
t0 = time.time()
accepted = {}
for start in range(0, n, 100):
    batch = [{"host": "h%d" % i, "app": "svc", "severity": "error", "message": "boom"}
             for i in range(start, min(n, start + 100))]
    status, _ = call(api, "POST", "/api/v1/events", batch)
    assert status == 202, status
    t = time.time()
    for i in range(start, min(n, start + 100)):
        accepted["INC-%06d" % (i + 1)] = t
a = wait_for(lambda a: sum(k.startswith("create:") for k in a) >= n)
t1 = max(v for k, v in a.items() if k.startswith("create:"))
lat = [a["create:" + k] - t for k, t in accepted.items() if "create:" + k in a]
rows.append(("create", n, t1 - t0, n / (t1 - t0), pct(lat, 50), pct(lat, 99)))
# 2. resolves, one at a time
m = min(200, n)
lat, t0 = [], time.time()
for i in range(1, m + 1):
    key = "INC-%06d" % i
    status, _ = call(api, "PATCH", "/api/v1/tickets/" + key, {"status": "resolved"})
    assert status == 200, status
    t = time.time()
    a = wait_for(lambda a: "resolved:" + key in a)
    lat.append(a["resolved:" + key] - t)
t1 = time.time()
rows.append(("resolve (serial)", m, t1 - t0, m / (t1 - t0), pct(lat, 50), pct(lat, 99)))
# 3. a backlog built while the backend refuses, then drained
call(recv, "POST", "/_fail", {"on": True})
for start in range(0, n, 100):
    batch = [{"host": "b%d" % i, "app": "svc", "severity": "error", "message": "boom"}
             for i in range(start, min(n, start + 100))]
    assert call(api, "POST", "/api/v1/events", batch)[0] == 202
time.sleep(1)
before = sum(k.startswith("create:") for k in arrivals())
t0 = time.time()
call(recv, "POST", "/_fail", {"on": False})
wait_for(lambda a: sum(k.startswith("create:") for k in a) >= before + n)
t1 = time.time()
rows.append(("backlog drain", n, t1 - t0, n / (t1 - t0), float("nan"), float("nan")))
rss = 0
for line in open("/proc/%d/status" % pid):
    if line.startswith("VmHWM:"):
        rss = int(line.split()[1]) // 1024
print("%-18s %8s %9s %10s %10s %10s" % ("outbox", "entries", "seconds", "entries/s", "p50 ms", "p99 ms"))
for name, items, secs, rate, p50, p99 in rows:
    print("%-18s %8d %9.2f %10.0f %10.1f %10.1f" % (name, items, secs, rate, p50 * 1000, p99 * 1000))
print("ticketd peak RSS: %d MiB (%d tickets open or resolved)" % (rss, 2 * n))
PY

# 4. ingestion with and without a backend.
ingest() {  # PORT -> events/s
  "$build/bench/http_ingest_bench" --url "http://127.0.0.1:$1" --format events --batch 100 \
    --clients 4 --hosts 1000 --seconds 8 | sed -n 's/^RESULT .* rate=\([0-9.]*\).*/\1/p'
}
with=$(ingest "$hport")
plain=$(free_port)
mkdir -p "$work/plain"
cp -r "$work/rules" "$work/plain/"
cat > "$work/plain/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$plain", syslog_udp: off, syslog_tcp: off, snmp: off }
rules_dir: rules
store: { path: var/ticketd.db }
log: { level: warn }
YAML
"$build/ticketd" --config "$work/plain/ticketd.yaml" > "$work/plain.log" 2>&1 &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$plain/healthz" >/dev/null && break; sleep 0.1; done
without=$(ingest "$plain")
python3 -c "import sys; w, p = float(sys.argv[1]), float(sys.argv[2]); print('ingest (HTTP, dedup) with a backend: %.0f events/s; without: %.0f events/s; ratio %.2f' % (w, p, w / p))" "$with" "$without"
