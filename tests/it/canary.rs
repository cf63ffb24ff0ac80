//! The canary test: unique PHI-looking values planted in webhooks must appear nowhere at rest or
//! in telemetry — not in logs, metrics, queue items, dead letters, audit records, or the bytes of
//! the store's files. They are also proven to have been *detected* (else the test proves nothing).

use serde_json::json;

use crate::support::*;
use crate::webhook_zendesk::comment_added;

const CANARIES: &[&str] = &[
    "Zebulon Quackenbush",
    "zebulon.quackenbush@canary-mail.org",
    "547-81-2290",
    "(628) 555-0139",
    "11/23/1941",
    "4539 1488 0343 6467",
    "MRN 90417733",
    "90417733",
];

fn canary_text() -> String {
    "Patient Zebulon Quackenbush, DOB 11/23/1941, SSN 547-81-2290. Email zebulon.quackenbush@canary-mail.org, \
     phone (628) 555-0139. Card 4539 1488 0343 6467. MRN 90417733."
        .to_string()
}

fn walk_files(dir: &std::path::Path, out: &mut Vec<u8>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            walk_files(&p, out);
        } else {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
}

#[tokio::test]
async fn planted_phi_is_nowhere_at_rest_or_in_telemetry() {
    let app = TestApp::spawn("").await;
    let text = canary_text();
    // Zendesk comment, attachment name, and a Sunshine message on a third-party channel.
    let zd = comment_added("ev-canary-1", &text, true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &zd, ZD_SECRET)
            .await
            .status(),
        200
    );
    let att = serde_json::to_vec(&json!({
        "account_id": 22129848, "id": "ev-canary-2", "type": "zen:event-type:ticket.attachment_linked_to_comment",
        "subject": "zen:ticket:5158", "time": "2025-01-08T14:25:30Z",
        "detail": {"id": "5158", "via": {"channel": "web"}},
        "event": {"comment": {"id": "8658726228478", "attachment": {"id": "8658726230270",
            "filename": "Zebulon_Quackenbush_SSN_547-81-2290.pdf", "content_type": "application/pdf", "is_public": true,
            "content_url": "https://acme.zendesk.com/attachments/token/kPg/?name=Zebulon_Quackenbush_SSN_547-81-2290.pdf"}}}
    })).unwrap();
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &att, ZD_SECRET)
            .await
            .status(),
        200
    );
    let sc = serde_json::to_vec(&json!({
        "app": {"id": "app1"}, "webhook": {"id": "wh1", "version": "v2"},
        "events": [{"id": "ev-canary-3", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:message",
            "payload": {"conversation": {"id": "conv-9"}, "message": {"id": "m9", "author": {"type": "user", "userId": "u9"},
                "content": {"type": "text", "text": text}, "source": {"type": "whatsapp"}}}}]
    })).unwrap();
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &sc, SC_SECRET)
            .await
            .status(),
        200
    );
    // A rejected (forged) request carrying the canaries must not leak them either.
    assert_eq!(
        app.post_zendesk(
            "/webhooks/zendesk",
            &comment_added("ev-canary-4", &text, true),
            "forged"
        )
        .await
        .status(),
        401
    );
    // A malformed but authentic one neither.
    let malformed =
        format!("{{\"type\": \"zen:event-type:ticket.comment_added\", \"x\": \"{text}\"");
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", malformed.as_bytes(), ZD_SECRET)
            .await
            .status(),
        400
    );
    app.drain().await;

    // Detected: the audit trail has the labels of what was planted.
    let audit = app.audit().await;
    let labels: std::collections::BTreeSet<String> = audit
        .iter()
        .flat_map(|r| r["spans"].as_array().cloned().unwrap_or_default())
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect();
    for l in [
        "NAME",
        "SSN",
        "EMAIL",
        "PHONE",
        "DATE",
        "ACCOUNT_NUMBER",
        "MRN",
    ] {
        assert!(labels.contains(l), "{l} not detected: {labels:?}");
    }
    assert!(audit.iter().any(|r| r["action"] == "redact_attachment"));
    assert!(audit.iter().any(|r| r["action"] == "delete_message"));

    // Nowhere: logs, metrics, audit, queue, DLQ, and the raw store files.
    let mut haystacks: Vec<(&str, Vec<u8>)> = vec![
        ("logs", logs().into_bytes()),
        ("metrics", app.metrics.encode().into_bytes()),
        (
            "audit",
            app.store.audit_tail(10_000).await.unwrap().concat(),
        ),
    ];
    let dlq: Vec<u8> = app
        .store
        .dlq_list(1000)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|d| d.payload)
        .collect();
    haystacks.push(("dlq", dlq));
    let mut files = Vec::new();
    walk_files(app.dir.path(), &mut files);
    haystacks.push(("store files", files));
    assert!(!haystacks[0].1.is_empty(), "logs were captured");
    for (name, hay) in &haystacks {
        let hay = String::from_utf8_lossy(hay);
        for c in CANARIES {
            assert!(!hay.contains(c), "canary {c:?} found in {name}");
        }
        // Digits-only forms too (a normalised leak is still a leak).
        for c in ["547812290", "6285550139", "4539148803436467"] {
            assert!(!hay.contains(c), "canary digits {c} found in {name}");
        }
    }
    app.stop().await;
}

// ---- Every path, enforcing against the fake API ----

/// Planted values unique to the every-path test (no other test uses them).
const PATH_CANARIES: &[&str] = &[
    "Octavia Brindlewood",
    "octavia.brindlewood@canary-mail.org",
    "457-55-5462",
    "(312) 555-0148",
    "07/19/1938",
    "77120458",
    "canary-api-key-Qv7Lw2",
    "canary-signature-Zp3",
];
const PATH_DIGITS: &[&str] = &["457555462", "3125550148", "07191938"];

fn path_text() -> String {
    "Patient Octavia Brindlewood, DOB 07/19/1938, SSN 457-55-5462, phone (312) 555-0148, \
     email octavia.brindlewood@canary-mail.org, MRN 77120458."
        .to_string()
}

fn path_event(id: &str, ticket: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "account_id": 1, "id": id,
        "type": "zen:event-type:ticket.comment_added", "subject": format!("zen:ticket:{ticket}"),
        "time": "2025-01-08T14:25:30Z", "zendesk_event_version": "2022-11-06",
        "detail": {"id": ticket.to_string(), "via": {"channel": "web"}},
        "event": {"comment": {"id": ticket * 10, "body": path_text(), "is_public": true,
                  "author": {"id": 7, "is_staff": false, "name": "End User"}}}
    }))
    .unwrap()
}

/// Planted values travel every path — accepted and executed, retried after 5xx and a timeout,
/// failed permanently with an upstream error body that echoes them, dead-lettered after
/// `max_attempts`, and rejected (bad signature, malformed JSON, invalid UTF-8, oversized, wrong
/// content type, stale timestamp, a canary API key) — and appear in no log line, metric, audit
/// record, queue or dead-letter payload, store file or error body.
#[tokio::test]
async fn planted_phi_on_every_path_appears_nowhere() {
    use crate::support::fake_api::{FakeApi, FakeComment, Fault};
    use std::time::Duration;

    let fake = FakeApi::start().await;
    let html = format!("<p>{}</p>", path_text());
    for t in 101..=105u64 {
        fake.add_comment(
            t,
            FakeComment {
                id: t * 10,
                html_body: html.clone(),
                public: true,
                attachments: vec![],
            },
        );
    }
    // 102: two 500s then success (retried). 105: one read slower than the client timeout.
    fake.script(
        "GET",
        "/tickets/102/comments",
        Some(2),
        Fault::Status(500, None),
    );
    fake.script(
        "GET",
        "/tickets/105/comments",
        Some(1),
        Fault::Delay(Duration::from_millis(1500)),
    );
    // 103: the upstream refuses and echoes the text in its error body (permanent failure).
    let echo =
        serde_json::to_string(&json!({"error": "RecordInvalid", "description": path_text()}))
            .unwrap();
    fake.script(
        "PUT",
        "/comment_redactions/1030",
        None,
        Fault::StatusBody(422, echo.clone()),
    );
    // 104: always 500, also echoing: dead-lettered after max_attempts.
    fake.script(
        "PUT",
        "/comment_redactions/1040",
        None,
        Fault::StatusBody(500, echo),
    );

    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let mut enforce = String::from(
        "[policy]\nmode = \"enforce\"\ntags = []\n[worker]\nmax_attempts = 3\napi_timeout_ms = 500\n",
    );
    for tenant in ["default", "acme"] {
        enforce.push_str(&format!(
            "[tenants.{tenant}.zendesk]\nbase_url = \"{b}\"\nemail = \"agent@clinic.example\"\n\
             api_token = \"token\"\nrequests_per_minute = 60000\n[tenants.{tenant}.sunshine]\n\
             base_url = \"{b}\"\nkey_id = \"app_canary\"\nkey_secret = \"canary-key-secret\"\n",
            b = fake.base
        ));
    }
    let config = phi_guard::config::Config::from_toml_layers(&[
        &base_toml(&embedded_store(dir.path())),
        &enforce,
        "[server]\nbody_timeout_ms = 2000\n",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::start(config, dir).await;
    let url = format!("{}/webhooks/zendesk", app.base);
    let mut bodies: Vec<u8> = Vec::new();

    // Accepted: five events, one per ticket.
    for t in 101..=105u64 {
        let r = app
            .post_zendesk(
                "/webhooks/zendesk",
                &path_event(&format!("ev-path-{t}"), t),
                ZD_SECRET,
            )
            .await;
        assert_eq!(r.status(), 200);
        bodies.extend(r.bytes().await.unwrap());
    }
    // Rejected, each carrying the canaries.
    let text = path_text();
    let ts = now_ts();
    let forged = path_event("ev-path-forged", 101);
    let malformed = format!("{{\"id\": \"ev-path-bad\", \"x\": \"{text}\"").into_bytes();
    let bad_utf8 = [
        format!("{{\"id\":\"ev-path-utf8\",\"x\":\"{text}").as_bytes(),
        &[0xff, 0xfe],
        b"\"}",
    ]
    .concat();
    let big = format!("{{\"x\":\"{}\"}}", text.repeat(2000)).into_bytes();
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, Vec<u8>, u16);
    let cases: Vec<Case> = vec![
        (
            "bad signature",
            vec![(
                "x-zendesk-webhook-signature",
                zd_sign("forged", &ts, &forged),
            )],
            forged.clone(),
            401,
        ),
        (
            "garbage signature",
            vec![("x-zendesk-webhook-signature", "canary-signature-Zp3".into())],
            forged.clone(),
            401,
        ),
        (
            "malformed JSON",
            vec![(
                "x-zendesk-webhook-signature",
                zd_sign(ZD_SECRET, &ts, &malformed),
            )],
            malformed.clone(),
            400,
        ),
        (
            "invalid UTF-8",
            vec![(
                "x-zendesk-webhook-signature",
                zd_sign(ZD_SECRET, &ts, &bad_utf8),
            )],
            bad_utf8.clone(),
            400,
        ),
        (
            "too large",
            vec![("x-zendesk-webhook-signature", zd_sign(ZD_SECRET, &ts, &big))],
            big.clone(),
            413,
        ),
        (
            "wrong content type",
            vec![
                (
                    "x-zendesk-webhook-signature",
                    zd_sign(ZD_SECRET, &ts, &forged),
                ),
                ("content-type", "text/plain".into()),
            ],
            forged.clone(),
            415,
        ),
    ];
    for (name, headers, body, status) in cases {
        let mut req = app
            .client
            .post(&url)
            .header("x-zendesk-webhook-signature-timestamp", &ts)
            .body(body);
        if !headers.iter().any(|(k, _)| *k == "content-type") {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), status, "{name}");
        bodies.extend(r.bytes().await.unwrap());
    }
    let stale_ts = ts_offset(-3600);
    let r = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .header("x-zendesk-webhook-signature-timestamp", &stale_ts)
        .header(
            "x-zendesk-webhook-signature",
            zd_sign(ZD_SECRET, &stale_ts, &forged),
        )
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "stale timestamp");
    bodies.extend(r.bytes().await.unwrap());
    let r = app
        .post_sunshine(
            "/webhooks/sunshine",
            text.as_bytes(),
            "canary-api-key-Qv7Lw2",
        )
        .await;
    assert_eq!(r.status(), 401, "canary API key");
    bodies.extend(r.bytes().await.unwrap());

    // Let every item settle: executed, retried then executed, or dead-lettered.
    let mut stats = app.store.stats().await.unwrap();
    for _ in 0..600 {
        stats = app.store.stats().await.unwrap();
        if stats.ready + stats.delayed + stats.leased == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stats.ready + stats.delayed + stats.leased, 0, "{stats:?}");

    // Every path was taken.
    let audit = app.audit().await;
    let outcome = |ticket: u64| -> Vec<String> {
        audit
            .iter()
            .filter(|r| {
                r["event_id"] == format!("ev-path-{ticket}") && r["action"] == "redact_comment"
            })
            .map(|r| r["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(outcome(101), ["executed"]);
    assert_eq!(outcome(102), ["retry", "retry", "executed"]);
    assert_eq!(outcome(103), ["dead_letter"]);
    assert_eq!(outcome(104), ["retry", "retry", "dead_letter"]);
    assert_eq!(outcome(105), ["retry", "executed"]);
    let dlq = app.store.dlq_list(100).await.unwrap();
    let reasons: std::collections::BTreeSet<&str> = dlq.iter().map(|d| d.reason.as_str()).collect();
    assert!(
        reasons.contains("unprocessable") && reasons.contains("max_attempts"),
        "{reasons:?}"
    );
    assert!(
        !fake
            .comment(101, 1010)
            .unwrap()
            .html_body
            .contains("457-55-5462")
    );

    // Nowhere.
    let mut files = Vec::new();
    walk_files(app.dir.path(), &mut files);
    let haystacks: Vec<(&str, Vec<u8>)> = vec![
        ("logs", logs().into_bytes()),
        ("metrics", app.metrics.encode().into_bytes()),
        (
            "audit",
            app.store.audit_tail(10_000).await.unwrap().concat(),
        ),
        ("dlq", dlq.iter().flat_map(|d| d.payload.clone()).collect()),
        ("response bodies", bodies),
        ("store files", files),
    ];
    for (name, hay) in &haystacks {
        assert!(!hay.is_empty(), "{name} captured");
        let hay = String::from_utf8_lossy(hay);
        for c in PATH_CANARIES.iter().chain(PATH_DIGITS) {
            assert!(!hay.contains(c), "canary {c:?} found in {name}");
        }
    }
    println!(
        "[reliability] canary_paths canaries={} paths=accepted,retried,timeout,failed_permanent,dead_lettered,rejected_x8 haystacks={} occurrences=0",
        PATH_CANARIES.len() + PATH_DIGITS.len(),
        haystacks.len()
    );
    app.stop().await;
    fake.stop().await;
}
