#!/usr/bin/env bash
# SNMP trap intake, side by side with net-snmp's snmptrapd (what users run
# today, here logging every trap to a file). One process sends a pre-encoded
# trap as fast as it can for SECONDS (net-snmp's snmptrap command manages only
# ~160 traps/s) — a v2c linkDown and a v3 authPriv (SHA/AES) linkDown captured
# from snmptrap (tests/fuzz/corpus/snmp/) — to a fresh ticketd with the
# shipped rules and to snmptrapd. Prints traps/s sent, received, decoded and
# ticketed (ticketd: /metrics; snmptrapd: traps in its log) and peak RSS.
#   bench/snmp.sh [SECONDS]        BUILD_DIR=build-release by default
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-release}
seconds=${1:-10}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTICKETD_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target ticketd >/dev/null
corpus=$root/tests/fuzz/corpus/snmp
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# blast FILE PORT SECONDS: sends the datagram in FILE as fast as one process can.
blast() {
  python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
data = open(sys.argv[1], "rb").read()
port, seconds = int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
n, end = 0, time.time() + seconds
while time.time() < end:
    for _ in range(500):
        try:
            s.send(data)
            n += 1
        except OSError:
            pass
print(n)
PY
}

metric() { curl -s "http://127.0.0.1:$http/metrics" | awk -v k="$1" '$1 == k {print $2}'; }

mkdir "$work/rules"
cp "$root"/rules/*.yaml "$work/rules/"
sed -i '/^storm:/d' "$work/rules/95-policy.yaml"
http=$(free_port)
snmp=$(free_port)
cat > "$work/ticketd.yaml" <<YAML
listen: { http: "127.0.0.1:$http", syslog_udp: off, syslog_tcp: off, snmp: "127.0.0.1:$snmp" }
rules_dir: rules
store: { path: ticketd.db, sync: normal }
log: { level: warn }
snmp:
  udp_receive_buffer: 16MiB
  users:
    - { name: alice, auth: SHA, auth_passphrase: alice-auth-pass, priv: AES, priv_passphrase: alice-priv-pass }
YAML
"$build/ticketd" --config "$work/ticketd.yaml" &
pid=$!
until curl -sf "http://127.0.0.1:$http/healthz" >/dev/null; do sleep 0.05; done

trapd_port=$(free_port)
cat > "$work/snmptrapd.conf" <<CONF
disableAuthorization yes
createUser -e 0x80001f888001020304 alice SHA alice-auth-pass AES alice-priv-pass
CONF
snmptrapd -f -C -c "$work/snmptrapd.conf" -Lf "$work/snmptrapd.log" -M /dev/null -m '' \
  -F "TRAP %N %v\n" "udp:127.0.0.1:$trapd_port" 2>/dev/null &
tpid=$!
sleep 1

printf "%-34s %10s %10s %10s %10s %9s\n" "$seconds s, one sender" "sent/s" "recv/s" "decoded/s" "ticketed/s" "peak RSS"
for kind in v2c_linkdown v3_sha_aes; do
  r0=$(metric ticketd_snmp_received_total); d0=$(metric ticketd_snmp_notifications_total)
  p0=$(metric ticketd_events_processed_total)
  sent=$(blast "$corpus/$kind.bin" "$snmp" "$seconds")
  sleep 2  # the queue drains
  r1=$(metric ticketd_snmp_received_total); d1=$(metric ticketd_snmp_notifications_total)
  p1=$(metric ticketd_events_processed_total)
  printf "%-34s %10.0f %10.0f %10.0f %10.0f %9s\n" "ticketd $kind" "$(echo "$sent/$seconds" | bc -l)" \
    "$(echo "($r1-$r0)/$seconds" | bc -l)" "$(echo "($d1-$d0)/$seconds" | bc -l)" \
    "$(echo "($p1-$p0)/$seconds" | bc -l)" "$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"

  l0=$(grep -c '^TRAP' "$work/snmptrapd.log" 2>/dev/null || true)
  sent=$(blast "$corpus/$kind.bin" "$trapd_port" "$seconds")
  sleep 2
  l1=$(grep -c '^TRAP' "$work/snmptrapd.log" 2>/dev/null || true)
  printf "%-34s %10.0f %10s %10.0f %10s %9s\n" "snmptrapd $kind (logged)" "$(echo "$sent/$seconds" | bc -l)" "-" \
    "$(echo "(${l1:-0}-${l0:-0})/$seconds" | bc -l)" "-" "$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$tpid/status)"
done
echo "ticketd: malformed $(metric ticketd_snmp_malformed_total), auth failures $(metric ticketd_snmp_auth_failures_total), dropped (queue full) $(metric ticketd_snmp_dropped_total)"
kill -TERM $pid $tpid
wait $pid || true
