//! Hostile input: a table of forged, replayed, tampered, malformed, oversized and slow requests
//! sent over a raw socket to the in-process service (real actix server on a loopback port).
//!
//! Every row states the documented status (README "Routes"; `src/http/mod.rs`), is bounded by a
//! generous timeout (an answer, not a hang, is what is asserted — not a latency), and checks
//! that the queue did not grow: nothing hostile is ever accepted. The few rows that are valid on
//! purpose (chunked framing, whitespace around a header value) say so and must enqueue.
//! Error bodies are checked to echo nothing from the request.

use std::time::Duration;

use serde_json::json;

use crate::support::raw_http::{Step, chunked, exchange, head, post};
use crate::support::*;
use crate::webhook_zendesk::comment_added;

/// Planted in every body: if any error body echoes the request, this shows up.
const PHI: &str = "Patient Hostile Quibble, SSN 536-22-8107, DOB 03/14/1962.";
const ROW_LIMIT: Duration = Duration::from_secs(10);
const SIG: &str = "x-zendesk-webhook-signature";
const TS: &str = "x-zendesk-webhook-signature-timestamp";
const CT: (&str, &str) = ("Content-Type", "application/json");

/// What a row must produce.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Refused with this status (and, when given, this `error` reason in the JSON body).
    Refused(u16, Option<&'static str>),
    /// Authentic and new on purpose: 200 and work enqueued.
    Accepted,
    /// Authentic replay: 200, reported as a duplicate, nothing enqueued.
    Duplicate,
}

struct Row {
    name: &'static str,
    steps: Vec<Step>,
    expect: Expect,
}

fn once(bytes: Vec<u8>) -> Vec<Step> {
    vec![(bytes, Duration::ZERO)]
}

/// A Zendesk comment event whose comment id is unique per event id, so that two accepted events
/// are two work items (work item ids are per comment and span).
fn zd(id: &str) -> Vec<u8> {
    let comment_id: u64 = id
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1_000_000_000;
    let mut v: serde_json::Value = serde_json::from_slice(&comment_added(id, PHI, true)).unwrap();
    v["event"]["comment"]["id"] = json!(comment_id);
    serde_json::to_vec(&v).unwrap()
}

fn sc(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "app": {"id": "5ebee0975ac5304b664a12fa"},
        "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
        "events": [{"id": id, "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:message",
            "payload": {"conversation": {"id": "conv-h"}, "message": {"id": format!("m-{id}"),
                "author": {"type": "user", "userId": "u1"},
                "content": {"type": "text", "text": PHI}, "source": {"type": "whatsapp"}}}}]
    }))
    .unwrap()
}

/// Zendesk headers signed with `secret` over `ts ‖ body`.
fn signed(secret: &str, ts: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (SIG, zd_sign(secret, ts, body)),
        (TS, ts.to_string()),
        ("x-zendesk-webhook-invocation-id", "8350205582".to_string()),
    ]
}

fn hdrs<'a>(list: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    list.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn zd_post(
    path: &str,
    extra: &[(&str, &str)],
    h: &[(&'static str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut all: Vec<(&str, &str)> = extra.to_vec();
    all.extend(hdrs(h));
    post(path, &all, body)
}

fn rows() -> Vec<Row> {
    let zp = "/webhooks/zendesk";
    let now = now_ts();
    let mut rows = Vec::new();
    let mut row = |name: &'static str, steps: Vec<Step>, expect: Expect| {
        rows.push(Row {
            name,
            steps,
            expect,
        })
    };
    let refused = |s: u16, r: &'static str| Expect::Refused(s, Some(r));

    // The genuine request the replay rows reuse: sent first, accepted.
    let genuine = zd("ev-host-genuine");
    let genuine_h = signed(ZD_SECRET, &now, &genuine);
    row(
        "genuine request (control)",
        once(zd_post(zp, &[CT], &genuine_h, &genuine)),
        Expect::Accepted,
    );

    // ---- Signatures ----
    let b = zd("ev-host-wrong-secret");
    row(
        "wrong secret",
        once(zd_post(zp, &[CT], &signed("not-the-secret", &now, &b), &b)),
        refused(401, "bad_signature"),
    );
    let b = zd("ev-host-other-tenant");
    row(
        "another tenant's secret",
        once(zd_post(
            zp,
            &[CT],
            &signed("acme-only-secret-abcdef", &now, &b),
            &b,
        )),
        refused(401, "bad_signature"),
    );
    let b = zd("ev-host-test-secret");
    row(
        "Zendesk's public test secret",
        once(zd_post(
            zp,
            &[CT],
            &signed(phi_guard::ingest::verify::ZENDESK_TEST_SECRET, &now, &b),
            &b,
        )),
        refused(401, "test_secret"),
    );
    let b = zd("ev-host-nosig");
    row(
        "no signature header",
        once(post(zp, &[CT, (TS, &now)], &b)),
        refused(401, "missing_header"),
    );
    row(
        "no timestamp header",
        once(post(zp, &[CT, (SIG, &zd_sign(ZD_SECRET, &now, &b))], &b)),
        refused(401, "missing_header"),
    );
    row(
        "empty signature",
        once(post(zp, &[CT, (SIG, ""), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    let good = zd_sign(ZD_SECRET, &now, &b);
    row(
        "truncated signature",
        once(post(zp, &[CT, (SIG, &good[..20]), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    row(
        "signature without padding",
        once(post(
            zp,
            &[CT, (SIG, good.trim_end_matches('=')), (TS, &now)],
            &b,
        )),
        refused(401, "invalid_signature_encoding"),
    );
    row(
        "non-base64 signature",
        once(post(zp, &[CT, (SIG, "!!!!not*base64!!!!"), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    let long = format!("{good}{good}");
    row(
        "64-byte tag (two signatures glued)",
        once(post(zp, &[CT, (SIG, &long), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    let hex = "ab".repeat(32);
    row(
        "hex-encoded tag",
        once(post(zp, &[CT, (SIG, &hex), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    let spaced = format!("{} {}", &good[..22], &good[22..]);
    row(
        "whitespace inside the signature",
        once(post(zp, &[CT, (SIG, &spaced), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    let mut flipped = genuine.clone();
    let i = flipped.len() / 2;
    flipped[i] ^= 0x01;
    row(
        "tampered body, original signature",
        once(zd_post(zp, &[CT], &genuine_h, &flipped)),
        refused(401, "bad_signature"),
    );
    let mut extended = genuine.clone();
    extended.push(b' ');
    row(
        "body with a trailing byte, original signature",
        once(zd_post(zp, &[CT], &genuine_h, &extended)),
        refused(401, "bad_signature"),
    );
    let shifted = ts_offset(1);
    let tampered_ts = vec![(SIG, genuine_h[0].1.clone()), (TS, shifted.clone())];
    row(
        "tampered timestamp, original signature",
        once(zd_post(zp, &[CT], &tampered_ts, &genuine)),
        refused(401, "bad_signature"),
    );

    // ---- Timestamps (correctly signed: the window is checked after the signature) ----
    let b = zd("ev-host-stale");
    row(
        "timestamp 11 minutes old",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &ts_offset(-660), &b),
            &b,
        )),
        refused(401, "stale_timestamp"),
    );
    row(
        "timestamp a day old",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &ts_offset(-86_400), &b),
            &b,
        )),
        refused(401, "stale_timestamp"),
    );
    row(
        "timestamp 5 minutes ahead",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &ts_offset(300), &b),
            &b,
        )),
        refused(401, "future_timestamp"),
    );
    let epoch = chrono::Utc::now().timestamp().to_string();
    row(
        "Unix epoch timestamp",
        once(zd_post(zp, &[CT], &signed(ZD_SECRET, &epoch, &b), &b)),
        refused(400, "epoch_timestamp"),
    );
    let inner_ws = now.replacen('T', " T", 1);
    row(
        "whitespace inside the timestamp",
        once(zd_post(zp, &[CT], &signed(ZD_SECRET, &inner_ws, &b), &b)),
        refused(400, "invalid_header"),
    );

    // ---- Replays ----
    row(
        "replay of the accepted request",
        once(zd_post(zp, &[CT], &genuine_h, &genuine)),
        Expect::Duplicate,
    );
    let other_inv = vec![
        genuine_h[0].clone(),
        genuine_h[1].clone(),
        ("x-zendesk-webhook-invocation-id", "999".to_string()),
    ];
    row(
        "replay with another (unsigned) invocation id",
        once(zd_post(zp, &[CT], &other_inv, &genuine)),
        Expect::Duplicate,
    );
    row(
        "replay with `; charset=utf-8`",
        once(zd_post(
            zp,
            &[("Content-Type", "application/json; charset=utf-8")],
            &genuine_h,
            &genuine,
        )),
        Expect::Duplicate,
    );

    // ---- Header framing ----
    let b = zd("ev-host-dup");
    let h = signed(ZD_SECRET, &now, &b);
    let sig = h[0].1.clone();
    row(
        "signature header twice (valid + garbage)",
        once(post(zp, &[CT, (SIG, &sig), (SIG, "AAAA"), (TS, &now)], &b)),
        refused(400, "duplicate_header"),
    );
    row(
        "signature header twice (garbage + valid)",
        once(post(zp, &[CT, (SIG, "AAAA"), (SIG, &sig), (TS, &now)], &b)),
        refused(400, "duplicate_header"),
    );
    row(
        "signature header twice (same valid value)",
        once(post(zp, &[CT, (SIG, &sig), (SIG, &sig), (TS, &now)], &b)),
        refused(400, "duplicate_header"),
    );
    row(
        "timestamp header twice",
        once(post(zp, &[CT, (SIG, &sig), (TS, &now), (TS, &shifted)], &b)),
        refused(400, "duplicate_header"),
    );
    let folded = format!("{}\r\n {}", &sig[..20], &sig[20..]);
    row(
        "signature split by an obsolete line fold",
        once(post(zp, &[CT, (SIG, &folded), (TS, &now)], &b)),
        Expect::Refused(400, None),
    );
    let huge_sig = "A".repeat(60 * 1024);
    row(
        "60 KiB signature header",
        once(post(zp, &[CT, (SIG, &huge_sig), (TS, &now)], &b)),
        refused(401, "invalid_signature_encoding"),
    );
    let huge = "x".repeat(200 * 1024);
    row(
        "200 KiB header (head over actix's 128 KiB)",
        once(post(
            zp,
            &[CT, ("X-Filler", &huge), (SIG, &sig), (TS, &now)],
            &b,
        )),
        Expect::Refused(431, None),
    );
    let many: Vec<(String, String)> = (0..200).map(|i| (format!("X-H{i}"), "v".into())).collect();
    let mut many_h: Vec<(&str, &str)> =
        many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    many_h.extend([CT, (SIG, sig.as_str()), (TS, now.as_str())]);
    row(
        "200 headers (over actix's 96)",
        once(post(zp, &many_h, &b)),
        Expect::Refused(431, None),
    );
    let mut smuggle = head(
        zp,
        &[
            CT,
            (SIG, &sig),
            (TS, &now),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    smuggle.extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
    smuggle.extend_from_slice(&chunked(&b, 64));
    row(
        "Content-Length and Transfer-Encoding together",
        once(smuggle),
        Expect::Refused(400, None),
    );
    let mut bad_len = head(zp, &[CT, (SIG, &sig), (TS, &now)]);
    bad_len.extend_from_slice(b"Content-Length: 12abc\r\n\r\n");
    bad_len.extend_from_slice(&b);
    row(
        "non-numeric Content-Length",
        once(bad_len),
        Expect::Refused(400, None),
    );
    let b_ows = zd("ev-host-ows");
    let h_ows = signed(ZD_SECRET, &now, &b_ows);
    let padded_sig = format!(" \t{} ", h_ows[0].1);
    let padded_ts = format!("  {}\t", h_ows[1].1);
    // RFC 9110: whitespace around a field value is not part of it; the genuine values verify.
    row(
        "spaces/tabs around valid header values (valid on purpose)",
        once(post(
            zp,
            &[CT, (SIG, &padded_sig), (TS, &padded_ts)],
            &b_ows,
        )),
        Expect::Accepted,
    );

    // ---- Content types and bodies (correctly signed) ----
    for (name, ct) in [
        ("text/plain content type", "text/plain"),
        (
            "form-encoded content type",
            "application/x-www-form-urlencoded",
        ),
        ("multipart content type", "multipart/form-data; boundary=x"),
        ("XML content type", "application/xml"),
        ("JSON-lookalike content type", "application/jsonx"),
    ] {
        let b = zd("ev-host-ct");
        row(
            name,
            once(zd_post(
                zp,
                &[("Content-Type", ct)],
                &signed(ZD_SECRET, &now, &b),
                &b,
            )),
            refused(415, "unsupported_media_type"),
        );
    }
    let deep = format!(
        "{{\"id\":\"ev-host-deep\",\"x\":{}{}}}",
        "[".repeat(30_000),
        "]".repeat(30_000)
    );
    row(
        "30 000-deep JSON, signed",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &now, deep.as_bytes()),
            deep.as_bytes(),
        )),
        refused(400, "malformed_json"),
    );
    row(
        "30 000-deep JSON, forged",
        once(zd_post(
            zp,
            &[CT],
            &signed("forged", &now, deep.as_bytes()),
            deep.as_bytes(),
        )),
        refused(401, "bad_signature"),
    );
    let deep_ok = format!("{}1{}", "{\"a\":".repeat(120), "}".repeat(120));
    row(
        "120-deep JSON object without an event, signed",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &now, deep_ok.as_bytes()),
            deep_ok.as_bytes(),
        )),
        Expect::Refused(400, None),
    );
    let bad_utf8 = [
        b"{\"id\":\"ev-host-utf8\",\"x\":\"".as_slice(),
        &[0xff, 0xfe],
        b"\"}",
    ]
    .concat();
    row(
        "invalid UTF-8, signed",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &now, &bad_utf8),
            &bad_utf8,
        )),
        refused(400, "invalid_utf8"),
    );
    row(
        "empty body, signed",
        once(zd_post(zp, &[CT], &signed(ZD_SECRET, &now, b""), b"")),
        Expect::Refused(400, None),
    );
    let b = zd("ev-host-tenant");
    row(
        "unknown tenant",
        once(zd_post(
            "/webhooks/zendesk/nobody",
            &[CT],
            &signed(ZD_SECRET, &now, &b),
            &b,
        )),
        refused(404, "unknown_tenant"),
    );

    // ---- Sizes (limit 64 KiB in the test config) ----
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    row(
        "10 MB body with Content-Length, signed",
        once(zd_post(
            zp,
            &[CT],
            &signed(ZD_SECRET, &now, &ten_mb),
            &ten_mb,
        )),
        refused(413, "body_too_large"),
    );
    let mut ten_chunked = head(
        zp,
        &[
            CT,
            (SIG, &sig),
            (TS, &now),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    ten_chunked.extend_from_slice(b"\r\n");
    ten_chunked.extend_from_slice(&chunked(&ten_mb, 16 * 1024));
    row(
        "10 MB chunked body",
        once(ten_chunked),
        refused(413, "body_too_large"),
    );
    let big = vec![b' '; 70 * 1024];
    let mut over = head(
        zp,
        &[
            CT,
            (SIG, &sig),
            (TS, &now),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    over.extend_from_slice(b"\r\n");
    over.extend_from_slice(&chunked(&big, 1024));
    row(
        "chunked body just over the limit (70 KiB)",
        once(over),
        refused(413, "body_too_large"),
    );
    let b_ch = zd("ev-host-chunked");
    let h_ch = signed(ZD_SECRET, &now, &b_ch);
    let mut ok_chunked = head(
        zp,
        &[
            CT,
            (SIG, &h_ch[0].1),
            (TS, &h_ch[1].1),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    ok_chunked.extend_from_slice(b"\r\n");
    ok_chunked.extend_from_slice(&chunked(&b_ch, 7));
    row(
        "valid chunked body, 7-byte chunks (valid on purpose)",
        once(ok_chunked),
        Expect::Accepted,
    );

    // ---- Slow clients (header and body timeouts: 1 s in this test's config) ----
    let mut slow_head: Vec<Step> = vec![(
        b"POST /webhooks/zendesk HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec(),
        Duration::from_millis(200),
    )];
    for i in 0..40 {
        slow_head.push((
            format!("X-Slow-{i}: v\r\n").into_bytes(),
            Duration::from_millis(200),
        ));
    }
    row(
        "slowloris headers (a header every 200 ms)",
        slow_head,
        Expect::Refused(408, None),
    );
    let b = zd("ev-host-slow-body");
    let h = signed(ZD_SECRET, &now, &b);
    let mut slow_body: Vec<Step> = vec![(
        [
            head(zp, &[CT, (SIG, &h[0].1), (TS, &h[1].1)]),
            format!("Content-Length: {}\r\n\r\n", b.len()).into_bytes(),
        ]
        .concat(),
        Duration::ZERO,
    )];
    for byte in &b {
        slow_body.push((vec![*byte], Duration::from_millis(100)));
    }
    row(
        "slow body (a byte every 100 ms), signed",
        slow_body,
        refused(408, "body_timeout"),
    );
    let mut stalled = head(zp, &[CT, (SIG, &h[0].1), (TS, &h[1].1)]);
    stalled.extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
    stalled.extend_from_slice(&b[..10]);
    row(
        "body that stops after 10 bytes",
        once(stalled),
        refused(408, "body_timeout"),
    );

    // ---- Sunshine ----
    let sp = "/webhooks/sunshine";
    let s_genuine = sc("ev-host-sc-genuine");
    row(
        "Sunshine genuine batch (control)",
        once(post(sp, &[CT, ("X-API-Key", SC_SECRET)], &s_genuine)),
        Expect::Accepted,
    );
    row(
        "Sunshine replay of the accepted batch",
        once(post(sp, &[CT, ("X-API-Key", SC_SECRET)], &s_genuine)),
        Expect::Duplicate,
    );
    let sb = sc("ev-host-sc-bad");
    row(
        "Sunshine wrong key",
        once(post(
            sp,
            &[CT, ("X-API-Key", "8564b3e6a8b20a4bdb68b05ce9bc5937")],
            &sb,
        )),
        refused(401, "bad_api_key"),
    );
    row(
        "Sunshine key prefix",
        once(post(sp, &[CT, ("X-API-Key", &SC_SECRET[..31])], &sb)),
        refused(401, "bad_api_key"),
    );
    row(
        "Sunshine another tenant's key",
        once(post(
            sp,
            &[CT, ("X-API-Key", "acme-sunshine-key-123456")],
            &sb,
        )),
        refused(401, "bad_api_key"),
    );
    row(
        "Sunshine no key",
        once(post(sp, &[CT], &sb)),
        refused(401, "missing_api_key"),
    );
    row(
        "Sunshine empty key",
        once(post(sp, &[CT, ("X-API-Key", "")], &sb)),
        refused(401, "missing_api_key"),
    );
    row(
        "Sunshine key twice (valid + wrong)",
        once(post(
            sp,
            &[CT, ("X-API-Key", SC_SECRET), ("X-API-Key", "x")],
            &sb,
        )),
        refused(400, "duplicate_header"),
    );
    let huge_key = "k".repeat(60 * 1024);
    row(
        "Sunshine 60 KiB key",
        once(post(sp, &[CT, ("X-API-Key", &huge_key)], &sb)),
        refused(401, "bad_api_key"),
    );
    row(
        "Sunshine text/plain",
        once(post(
            sp,
            &[("Content-Type", "text/plain"), ("X-API-Key", SC_SECRET)],
            &sb,
        )),
        refused(415, "unsupported_media_type"),
    );
    let deep_sc = format!(
        "{{\"events\":{}{}}}",
        "[".repeat(30_000),
        "]".repeat(30_000)
    );
    row(
        "Sunshine 30 000-deep JSON with the right key",
        once(post(
            sp,
            &[CT, ("X-API-Key", SC_SECRET)],
            deep_sc.as_bytes(),
        )),
        refused(400, "malformed_json"),
    );
    row(
        "Sunshine 10 MB body",
        once(post(sp, &[CT, ("X-API-Key", SC_SECRET)], &ten_mb)),
        refused(413, "body_too_large"),
    );
    rows
}

async fn queued(app: &TestApp) -> u64 {
    let s = app.store.stats().await.unwrap();
    s.ready + s.delayed + s.leased + s.dead
}

#[tokio::test]
async fn hostile_requests_get_their_documented_status_quickly_and_enqueue_nothing() {
    // Workers off: the queue only grows, so "nothing enqueued" is an exact count.
    let app = TestApp::spawn(
        "[server]\nworker_enabled = false\nheader_timeout_ms = 1000\nbody_timeout_ms = 1000\n",
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    let all = rows();
    let count = all.len();
    for row in all {
        let before = queued(&app).await;
        let resp = exchange(&addr, row.steps, ROW_LIMIT).await;
        let after = queued(&app).await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", row.name));
                continue;
            }
        };
        slowest = slowest.max(resp.elapsed);
        let body = String::from_utf8_lossy(&resp.body).to_string();
        let json: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
        let ok = match row.expect {
            Expect::Refused(status, reason) => {
                resp.status == status
                    && after == before
                    && reason.is_none_or(|r| json.as_ref().is_some_and(|j| j["error"] == r))
            }
            Expect::Accepted => {
                resp.status == 200
                    && after > before
                    && json.as_ref().is_some_and(|j| j["accepted"] == 1)
            }
            Expect::Duplicate => {
                resp.status == 200
                    && after == before
                    && json.as_ref().is_some_and(|j| j["duplicates"] == 1)
            }
        };
        if !ok {
            failures.push(format!(
                "{}: expected {:?}, got {} {body:?} in {:?}; queue {before} -> {after}",
                row.name, row.expect, resp.status, resp.elapsed
            ));
        }
        for needle in ["Hostile Quibble", "536-22-8107", ZD_SECRET, SC_SECRET] {
            if body.contains(needle) {
                failures.push(format!(
                    "{}: response body echoes request content",
                    row.name
                ));
            }
        }
        if resp.status >= 400
            && resp.status != 408
            && resp.status != 431
            && json.is_none()
            && !body.is_empty()
        {
            failures.push(format!("{}: non-JSON error body {body:?}", row.name));
        }
    }
    // An ordinary client that writes its whole body before reading must see the 413 too, not a
    // connection reset (the server drains a bounded amount before closing).
    for size in [100 * 1024, 10 * 1024 * 1024] {
        let r = tokio::time::timeout(
            ROW_LIMIT,
            app.post_zendesk("/webhooks/zendesk", &vec![b'a'; size], ZD_SECRET),
        )
        .await
        .expect("answered");
        assert_eq!(r.status(), 413, "{size} bytes through reqwest");
    }
    // The service is still healthy after all of it.
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert!(
        failures.is_empty(),
        "{} of {count} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "[reliability] hostile rows={count} failed=0 slowest_ms={}",
        slowest.as_millis()
    );
    app.stop().await;
}
