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
