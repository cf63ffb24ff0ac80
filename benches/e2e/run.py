#!/usr/bin/env python3
"""End-to-end latency for benches/e2e.sh: webhook accepted -> Zendesk redaction API call.

Runs a tiny fake Zendesk API (stdlib http.server, loopback) that serves each ticket's comment and
records the monotonic arrival time of every `PUT /api/v2/comment_redactions/{id}` (and answers
the ticket `tags` update), then sends
paced, signed `ticket.comment_added` webhooks (each comment carries an SSN and a phone number, so
each needs one redaction) to a running phi-guard, and prints:
  * webhook round trip (send -> 200) p50/p99: the same run's baseline;
  * accepted -> redaction call arrival p50/p99 (from the webhook's 200 to the PUT reaching the fake);
  * send -> redaction call p50/p99; the ratio of the p50s to the webhook round trip;
  * the two parts: accepted -> the worker's comments GET (queue pick-up), GET -> redaction PUT.

usage: run.py FAKE_PORT PHI_GUARD_BASE SECRET COUNT RATE_PER_S READY_FILE
The fake starts first and writes READY_FILE; the caller then starts phi-guard and touches
READY_FILE + ".go" (so phi-guard's config can name the fake's port).
"""
import base64, datetime, hashlib, hmac, http.client, json, os, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

fake_port, target, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
count, rate, ready = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
COMMENT_BASE = 7_000_000
arrivals, listed, lock = {}, {}, threading.Lock()
api_calls = {"list_comments": 0, "comment_redactions": 0, "tags": 0, "other": 0}


def text_for(i):
    return (f"Hi, this is about my claim {i}. My SSN is 536-22-{8000 + i % 1000:04d} and you can "
            f"call me at (415) 555-{1000 + i % 9000:04d}. Thanks for your help with the refill.")


class Fake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle + the client's delayed ACK
        # add ~40 ms to every API call (an artifact of the fake, not of phi-guard).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = urlparse(self.path).path.strip("/").split("/")
        # /api/v2/tickets/{t}/comments
        if len(parts) == 5 and parts[:3] == ["api", "v2", "tickets"] and parts[4] == "comments":
            i = int(parts[3]) - 1_000_000
            with lock:
                api_calls["list_comments"] += 1
                listed.setdefault(i, time.monotonic())
            t = text_for(i)
            c = {"id": COMMENT_BASE + i, "body": t, "html_body": f"<div class=\"zd-comment\"><p>{t}</p></div>",
                 "plain_body": t, "public": True, "attachments": []}
            return self.reply(200, {"comments": [c], "meta": {"has_more": False, "after_cursor": None},
                                    "links": {"next": None}})
        self.reply(404, {"error": "RecordNotFound"})

    def do_PUT(self):
        now = time.monotonic()
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        parts = urlparse(self.path).path.strip("/").split("/")
        if parts[:3] == ["api", "v2", "comment_redactions"]:
            with lock:
                api_calls["comment_redactions"] += 1
                arrivals.setdefault(int(parts[3]) - COMMENT_BASE, now)
            return self.reply(200, {"comment": {"id": int(parts[3])}})
        if len(parts) == 5 and parts[:3] == ["api", "v2", "tickets"] and parts[4] == "tags":
            with lock:
                api_calls["tags"] += 1
            return self.reply(200, {"tags": ["phi-guard"]})
        with lock:
            api_calls["other"] += 1
        with lock:
            api_calls["other"] += 1
        self.reply(404, {"error": "RecordNotFound"})


srv = ThreadingHTTPServer(("127.0.0.1", fake_port), Fake)
threading.Thread(target=srv.serve_forever, daemon=True).start()
open(ready, "w").write("ok")
for _ in range(600):
    if os.path.exists(ready + ".go"):
        break
    time.sleep(0.1)

u = urlparse(target)
ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
sent, accepted, failures = {}, {}, 0
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
start = time.monotonic()
for i in range(count):
    due = start + i / rate
    d = due - time.monotonic()
    if d > 0:
        time.sleep(d)
    body = json.dumps({
        "account_id": 22129848, "id": f"e2e-{os.getpid()}-{i}", "type": "zen:event-type:ticket.comment_added",
        "subject": f"zen:ticket:{1_000_000 + i}", "time": ts, "zendesk_event_version": "2022-11-06",
        "detail": {"id": str(1_000_000 + i), "subject": "Refill", "status": "OPEN", "via": {"channel": "web"}},
        "event": {"comment": {"id": COMMENT_BASE + i, "body": text_for(i), "is_public": True,
                              "author": {"id": 42, "is_staff": False, "name": "Customer"}}},
    }, separators=(",", ":")).encode()
    sig = base64.b64encode(hmac.new(secret.encode(), ts.encode() + body, hashlib.sha256).digest()).decode()
    t0 = time.monotonic()
    conn.request("POST", "/webhooks/zendesk", body, {
        "Content-Type": "application/json", "X-Zendesk-Webhook-Signature": sig,
        "X-Zendesk-Webhook-Signature-Timestamp": ts})
    r = conn.getresponse()
    r.read()
    t1 = time.monotonic()
    if r.status == 200:
        sent[i], accepted[i] = t0, t1
    else:
        failures += 1

deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    with lock:
        if all(i in arrivals for i in accepted):
            break
    time.sleep(0.05)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


rt = [(accepted[i] - sent[i]) * 1e3 for i in accepted]
acc_api = [(arrivals[i] - accepted[i]) * 1e3 for i in accepted if i in arrivals]
send_api = [(arrivals[i] - sent[i]) * 1e3 for i in accepted if i in arrivals]
acc_list = [(listed[i] - accepted[i]) * 1e3 for i in accepted if i in listed]
list_api = [(arrivals[i] - listed[i]) * 1e3 for i in accepted if i in arrivals and i in listed]
missing = len([i for i in accepted if i not in arrivals])
print(f"events sent {count} at {rate:g}/s: accepted {len(accepted)}, refused {failures}, "
      f"redaction calls {len(acc_api)}, missing {missing}; API calls {api_calls}")
print(f"{'':28}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
for name, xs in [("webhook round trip", rt), ("accepted -> redaction call", acc_api),
                 ("sent -> redaction call", send_api),
                 ("  accepted -> comments GET", acc_list), ("  comments GET -> redaction", list_api)]:
    print(f"{name:28}{pct(xs, 50):10.1f}{pct(xs, 99):10.1f}{max(xs) if xs else float('nan'):10.1f}")
if rt and acc_api:
    print(f"RESULT e2e_p50_ms={pct(acc_api, 50):.1f} e2e_p99_ms={pct(acc_api, 99):.1f} "
          f"roundtrip_p50_ms={pct(rt, 50):.2f} roundtrip_p99_ms={pct(rt, 99):.2f} "
          f"ratio_p50={pct(acc_api, 50) / pct(rt, 50):.1f} missing={missing}")
srv.shutdown()
sys.exit(1 if missing or failures or api_calls["other"] else 0)
