//! Zendesk webhooks: verification (every rejection class), parsing, dedupe, work items, metrics.

use serde_json::json;

use crate::support::*;

pub fn comment_added(event_id: &str, body: &str, public: bool) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "account_id": 22129848,
        "id": event_id,
        "type": "zen:event-type:ticket.comment_added",
        "subject": "zen:ticket:5158",
        "time": "2025-01-08T14:25:30.12Z",
        "zendesk_event_version": "2022-11-06",
        "detail": {
            "id": "5158",
            "subject": "Refill question",
            "description": "Hello, I have a question about my order.",
            "status": "OPEN",
            "requester_id": "8447388090400",
            "via": {"channel": "web"}
        },
        "event": {
            "comment": {
                "id": 9876543210u64,
                "body": body,
                "is_public": public,
                "author": {"id": 8447388090495u64, "is_staff": false, "name": "End User"}
            }
        }
    }))
    .unwrap()
}

const PHI_BODY: &str =
    "Hi, my SSN is 536-22-8107 and my date of birth is 03/14/1962. Call me at (415) 555-0172.";

#[tokio::test]
async fn phi_in_public_comment_is_queued_as_redaction_without_text() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    let body = comment_added("ev-phi-1", PHI_BODY, true);
    let r = app
        .post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert!(report["actions"].as_u64().unwrap() >= 2, "{report}");

    let items = app
        .store
        .lease("t", 100, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i.kind.as_str()).collect();
    assert!(kinds.contains(&"redact_comment"), "{kinds:?}");
    assert!(kinds.contains(&"tag_ticket"), "{kinds:?}");
    let redact = items.iter().find(|i| i.kind == "redact_comment").unwrap();
    let action: serde_json::Value = serde_json::from_slice(&redact.payload).unwrap();
    assert_eq!(action["object"]["ticket_id"], 5158);
    assert_eq!(action["object"]["comment_id"], 9876543210u64);
    let labels: Vec<&str> = action["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    for l in ["SSN", "DATE", "PHONE"] {
        assert!(labels.contains(&l), "{l} missing in {labels:?}");
    }
    // Spans point at the PHI in the comment, and nothing of the text is stored.
    for s in action["spans"].as_array().unwrap() {
        let (a, b) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        assert!(b > a && b <= PHI_BODY.len());
        assert_eq!(s["fingerprint"].as_str().unwrap().len(), 32);
    }
    let payloads: String = items
        .iter()
        .map(|i| String::from_utf8_lossy(&i.payload).into_owned())
        .collect();
    for canary in ["536-22-8107", "03/14/1962", "555-0172"] {
        assert!(!payloads.contains(canary), "{canary} stored in the queue");
    }
    assert_eq!(
        app.metric(
            "phi_guard_webhook_requests_total",
            &[("source", "zendesk"), ("outcome", "accepted")]
        ),
        1.0
    );
    assert!(app.metric("phi_guard_findings_total", &[("label", "SSN")]) >= 1.0);
    app.stop().await;
}

#[tokio::test]
async fn rotation_tenants_and_rejections() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    let body = comment_added("ev-rot-1", "nothing sensitive here", true);

    // The older secret of a rotation set is accepted.
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &body, ZD_SECRET_OLD)
            .await
            .status(),
        200
    );
    // Tenant routes use their own secrets only.
    let b2 = comment_added("ev-rot-2", "nothing sensitive here", true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk/acme", &b2, "acme-only-secret-abcdef")
            .await
            .status(),
        200
    );
    let b3 = comment_added("ev-rot-3", "nothing sensitive here", true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk/acme", &b3, ZD_SECRET)
            .await
            .status(),
        401
    );
    // Unknown tenant.
    let r = app
        .post_zendesk("/webhooks/zendesk/nobody", &b3, ZD_SECRET)
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    // Wrong secret.
    let r = app
        .post_zendesk("/webhooks/zendesk", &b3, "not-the-secret")
        .await;
    assert_eq!(r.status(), 401);
    let err: serde_json::Value = r.json().await.unwrap();
    assert_eq!(err["error"], "bad_signature");
    // The public static test secret is refused unless enabled.
    let r = app
        .post_zendesk(
            "/webhooks/zendesk",
            &b3,
            "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==",
        )
        .await;
    assert_eq!(r.status(), 401);

    let send = |ts: String, sig: Option<String>, body: Vec<u8>| {
        let mut req = app
            .client
            .post(format!("{}/webhooks/zendesk", app.base))
            .header("x-zendesk-webhook-signature-timestamp", ts);
        if let Some(s) = sig {
            req = req.header("x-zendesk-webhook-signature", s);
        }
        req.body(body).send()
    };
    // Tampered body: signature over the original.
    let ts = now_ts();
    let sig = zd_sign(ZD_SECRET, &ts, &b3);
    let mut tampered = b3.clone();
    let pos = tampered.len() - 3;
    tampered[pos] ^= 1;
    let r = send(ts.clone(), Some(sig.clone()), tampered).await.unwrap();
    assert_eq!(r.status(), 401);
    // Missing signature header.
    let r = send(ts.clone(), None, b3.clone()).await.unwrap();
    assert!(r.status().is_client_error());
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("missing"), "{err}");
    // Empty and truncated signatures (the length-check bug class).
    for bad in [
        "".to_string(),
        sig[..20].to_string(),
        "%%%not-base64%%%".to_string(),
    ] {
        let r = send(ts.clone(), Some(bad.clone()), b3.clone())
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{bad:?} → {}", r.status());
        assert_ne!(r.status(), 200);
    }
    // Stale and future timestamps, correctly signed.
    for (offset, reason) in [(-3600, "stale"), (3600, "future")] {
        let ts = ts_offset(offset);
        let sig = zd_sign(ZD_SECRET, &ts, &b3);
        let r = send(ts, Some(sig), b3.clone()).await.unwrap();
        assert_eq!(r.status(), 401, "{reason}");
        let err: serde_json::Value = r.json().await.unwrap();
        assert!(err["error"].as_str().unwrap().contains(reason), "{err}");
    }
    assert!(
        app.metric(
            "phi_guard_verification_failures_total",
            &[("source", "zendesk")]
        ) >= 7.0
    );
    // Nothing was enqueued by any rejected request: the accepted ones had no PHI.
    assert_eq!(app.store.stats().await.unwrap().ready, 0);
    app.stop().await;
}

#[tokio::test]
async fn limits_malformed_duplicates_and_irrelevant_events() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    // Oversized body → 413 before anything else.
    let big = vec![b' '; 70_000];
    let r = app.post_zendesk("/webhooks/zendesk", &big, ZD_SECRET).await;
    assert_eq!(r.status(), 413);
    // Malformed JSON, correctly signed → 400 with a reason, no panic.
    let r = app
        .post_zendesk("/webhooks/zendesk", b"{\"type\": \"zen:event", ZD_SECRET)
        .await;
    assert_eq!(r.status(), 400);
    // Invalid UTF-8, correctly signed → 400.
    let r = app
        .post_zendesk("/webhooks/zendesk", b"{\"id\":\"\xff\xfe\"}", ZD_SECRET)
        .await;
    assert_eq!(r.status(), 400);
    // Authentic event of a type we do not act on → 200 (keeps Zendesk's circuit breaker closed).
    let user = serde_json::to_vec(&json!({"account_id": 1, "id": "ev-user-1", "type": "zen:event-type:user.created",
        "subject": "zen:user:1", "time": "2025-01-08T14:25:30Z", "detail": {"id": "1", "email": "x@example.com"}, "event": {}})).unwrap();
    let r = app
        .post_zendesk("/webhooks/zendesk", &user, ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let rep: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rep["ignored"], 1);

    // Duplicate delivery: second time is a no-op; same id with another body is counted.
    let body = comment_added("ev-dup-1", PHI_BODY, true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
            .await
            .status(),
        200
    );
    let depth = app.store.stats().await.unwrap().ready;
    assert!(depth >= 1);
    let r = app
        .post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let rep: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rep["duplicates"], 1);
    let other = comment_added("ev-dup-1", "a different body, SSN 536-22-8107", true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &other, ZD_SECRET)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.store.stats().await.unwrap().ready,
        depth,
        "duplicates enqueue nothing"
    );
    assert_eq!(
        app.metric("phi_guard_dedupe_hits_total", &[("kind", "same_body")]),
        1.0
    );
    assert_eq!(
        app.metric("phi_guard_dedupe_hits_total", &[("kind", "different_body")]),
        1.0
    );
    app.stop().await;
}

#[tokio::test]
async fn audit_worker_records_and_drains() {
    let app = TestApp::spawn("").await;
    let body = comment_added("ev-audit-1", PHI_BODY, true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
            .await
            .status(),
        200
    );
    app.drain().await;
    let audit = app.audit().await;
    assert!(
        audit.iter().any(|r| r["action"] == "redact_comment"
            && r["outcome"] == "audit_only"
            && r["mode"] == "audit"),
        "{audit:?}"
    );
    assert!(
        app.metric(
            "phi_guard_actions_total",
            &[("action", "redact_comment"), ("outcome", "audit_only")]
        ) >= 1.0
    );
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics_endpoints() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["rules"].as_u64().unwrap() > 10);
    let text = app.get("/metrics").await.text().await.unwrap();
    // Families with samples before any webhook arrives (labelled counters appear on first use).
    for name in [
        "phi_guard_queue_depth",
        "phi_guard_rules_loaded",
        "phi_guard_build_info",
        "phi_guard_scan_duration_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} not exported");
    }
    app.stop().await;
}
