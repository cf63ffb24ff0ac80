#!/usr/bin/env bash
# Load test of the webhook endpoint against a bare route, in the same run.
#
#   benches/load.sh [DURATION_SECONDS]
#
# Starts a release phi-guard on loopback (embedded store, audit mode, workers off so only the
# ingest path is measured), with the bench route `POST /_bench/bare` that only reads the body.
# Both routes get the same pre-signed, unique 2 KB requests (benches/load/gen.py) through wrk
# (Debian package `wrk`). Reports requests/s, p50 and p99 for both at peak (closed loop), the
# ratio, and p99 of the webhook route at half of its peak rate (paced connections). Also reports
# the server's memory (VmRSS from /proc/<pid>/status): idle after start-up, the maximum sampled
# every 0.2 s under load, the kernel's peak (VmHWM) and after the load, with ratios to idle.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR="${1:-15}"
CONNS="${LOAD_CONNECTIONS:-32}"
THREADS=1
command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 2; }
cargo build --release --locked --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret="load-test-secret-$(date +%s)"
cat > "$work/config.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
worker_enabled = false
bench_bare_route = true
[store]
path = "$work/store"
[detect]
fingerprint_key = "load"
[log]
level = "warn"
[tenants.default]
zendesk_signing_secrets = ["$secret"]
TOML
target/release/phi-guard serve --config "$work/config.toml" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
python3 benches/load/gen.py "$secret" 400000 "$work/requests.tsv"
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server/status"; }
sleep 1
idle_kib=$(kib VmRSS)
# Samples VmRSS every 0.2 s while the load runs; the maximum is read at the end.
( max=0; while kill -0 "$server" 2>/dev/null && [ ! -f "$work/stop-sampler" ]; do
    v=$(kib VmRSS || echo 0); [ "${v:-0}" -gt "$max" ] && { max=$v; echo "$max" > "$work/rss-max"; }
    sleep 0.2; done ) &

run() { # url conns delay_ms skip
  LOAD_FILE="$work/requests.tsv" LOAD_THREADS=$THREADS LOAD_DELAY_MS="${3:-0}" LOAD_SKIP="${4:-0}" \
    wrk -t$THREADS -c"$2" -d"${DUR}s" -s benches/load/wrk.lua "$1" | grep '^RESULT'
}
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

echo "warm-up"; run "http://127.0.0.1:$port/_bench/bare" "$CONNS" >/dev/null
bare=$(run "http://127.0.0.1:$port/_bench/bare" "$CONNS")
echo "bare    $bare"
hook=$(run "http://127.0.0.1:$port/webhooks/zendesk" "$CONNS")
echo "webhook $hook"
bare_rps=$(field "$bare" rps); hook_rps=$(field "$hook" rps)
ratio=$(python3 -c "print(f'{$hook_rps/$bare_rps:.3f}')")
# Half of peak: 8 paced connections, each waiting so that together they send hook_rps/2.
half=$(python3 -c "print(max(0, int(8*1000/($hook_rps/2))))")
# Start past the requests the peak run used, so these are new events too.
halfrun=$(run "http://127.0.0.1:$port/webhooks/zendesk" 8 "$half" 250000)
echo "webhook@half $halfrun (per-connection delay ${half} ms)"
touch "$work/stop-sampler"
load_kib=$(cat "$work/rss-max" 2>/dev/null || echo 0)
after_kib=$(kib VmRSS); hwm_kib=$(kib VmHWM)
mem=$(python3 -c "i,l,h,a=$idle_kib,$load_kib,$hwm_kib,$after_kib; m=lambda k: k/1024; print(f'RSS idle {m(i):.1f} MiB; under load max {m(l):.1f} MiB ({l/i:.2f}x idle); peak VmHWM {m(h):.1f} MiB ({h/i:.2f}x); after load {m(a):.1f} MiB ({a/i:.2f}x)')")
echo "memory  $mem"
echo
echo "SUMMARY webhook/bare throughput ratio = $ratio (target >= 0.70); p99 at half peak = $(field "$halfrun" p99_ms) ms (target < 5)"
grep -c '"level":"ERROR"' "$work/server.log" >/dev/null && echo "server errors: $(grep -c '"level":"ERROR"' "$work/server.log")" || true
