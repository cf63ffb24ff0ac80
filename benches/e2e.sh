#!/usr/bin/env bash
# End-to-end latency: Zendesk webhook accepted -> redaction API call, against a fake Zendesk.
#
#   benches/e2e.sh [EVENTS] [RATE_PER_SECOND]          (default 200 events at 20/s)
#
# Starts a tiny fake Zendesk API (benches/e2e/run.py, python3 stdlib, loopback) and a release
# phi-guard in enforce mode with workers on (embedded store), sends paced, signed
# `ticket.comment_added` webhooks whose comment carries an SSN and a phone number, and reports
# p50/p99 of webhook-accepted -> `PUT /api/v2/comment_redactions/{id}` arrival, next to the same
# run's webhook round trip (send -> 200) and their ratio. E2E_POLL_MS sets
# `worker.poll_interval_ms` (default: the shipped 500 ms), E2E_CONCURRENCY `worker.concurrency`.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${1:-200}"
RATE="${2:-20}"
POLL_MS="${E2E_POLL_MS:-500}"
CONC="${E2E_CONCURRENCY:-4}"
cargo build --release --locked --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
fake_port=$(free_port)
secret="e2e-secret-$(date +%s)"
cat > "$work/config.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
[store]
path = "$work/store"
[detect]
fingerprint_key = "e2e"
[log]
level = "warn"
[policy]
mode = "enforce"
[worker]
concurrency = $CONC
poll_interval_ms = $POLL_MS
[tenants.default]
zendesk_signing_secrets = ["$secret"]
[tenants.default.zendesk]
base_url = "http://127.0.0.1:$fake_port"
email = "bench@example.org"
api_token = "bench-token"
requests_per_minute = 100000
TOML
python3 benches/e2e/run.py "$fake_port" "http://127.0.0.1:$port" "$secret" "$EVENTS" "$RATE" "$work/ready" &
runner=$!
for _ in $(seq 100); do [ -f "$work/ready" ] && break; sleep 0.1; done
target/release/phi-guard serve --config "$work/config.toml" 2>"$work/server.log" &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
echo "phi-guard: enforce mode, worker.concurrency=$CONC, worker.poll_interval_ms=$POLL_MS"
touch "$work/ready.go"
rc=0
wait "$runner" || rc=$?
errors=$(grep -c '"level":"ERROR"' "$work/server.log" || true)
[ "${errors:-0}" != "0" ] && echo "server errors: $errors (see a rerun's log)"
exit "$rc"
