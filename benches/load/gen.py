#!/usr/bin/env python3
"""Pre-generates signed, unique Zendesk webhook requests for benches/load.sh.

Each output line is `timestamp<TAB>signature<TAB>body`: a `ticket.comment_added` event with a
unique id and a ~2 KB comment (support-ticket prose with a few identifiers), signed the way
Zendesk signs: base64(HMAC-SHA256(secret, timestamp + body)). Unique ids keep every request on
the full path (verify → parse → scan → dedupe → durable enqueue) instead of the duplicate path.
"""
import base64, datetime, hashlib, hmac, json, random, sys

secret, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
prose = (
    "Thanks for getting back to me. I tried the steps from the help center article again this "
    "morning and the app still shows the same error after the update to version 4.2.1. My order "
    "number is 1188-2231 and the tracking page says it shipped on Tuesday. Could you check whether "
    "the refill was approved by the pharmacy? The portal shows a pending status since last week "
    "and I have about three days of medication left. I also noticed the invoice total was $84.20 "
    "instead of the $42.10 quoted. Please let me know what else you need from me. "
)
ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
with open(out, "w") as f:
    for i in range(count):
        phi = ""
        if i % 4 == 0:
            phi = f" You can reach me at (415) 555-{rng.randint(1000, 9999)}."
        if i % 10 == 0:
            phi += f" My date of birth is 0{rng.randint(1, 9)}/1{rng.randint(0, 9)}/19{rng.randint(40, 99)}."
        body_text = (prose * 3)[: 2000 - len(phi)] + phi
        body = json.dumps({
            "account_id": 22129848, "id": f"load-{i:08d}-{rng.getrandbits(32):08x}",
            "type": "zen:event-type:ticket.comment_added", "subject": f"zen:ticket:{1000 + i}",
            "time": ts, "zendesk_event_version": "2022-11-06",
            "detail": {"id": str(1000 + i), "subject": "App error after update", "status": "OPEN",
                       "via": {"channel": "web"}},
            "event": {"comment": {"id": 5_000_000 + i, "body": body_text, "is_public": True,
                                  "author": {"id": 42, "is_staff": False, "name": "Customer"}}},
        }, separators=(",", ":"))
        sig = base64.b64encode(hmac.new(secret.encode(), (ts + body).encode(), hashlib.sha256).digest()).decode()
        f.write(f"{ts}\t{sig}\t{body}\n")
