//! Enforcement end to end: signed webhook in → exact Zendesk / Sunshine API calls out, against
//! the stateful fake in `support::fake_api` (retries, Retry-After, 5xx storms, timeouts, DLQ).

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::support::fake_api::{
    FakeApi, FakeComment, Fault, MEDIA_BASE, Recorded, SC_KEY_ID, SC_KEY_SECRET, ZD_EMAIL,
    ZD_TOKEN, message,
};
use crate::support::*;
use crate::webhook_zendesk::comment_added;

const PHI_HTML: &str = "<div class=\"zd-comment\"><p>Hi, my SSN is 536-22-8107 and my date of birth is 03/14/1962. Call me at (415) 555-0172.</p></div>";
const PHI_BODY: &str =
    "Hi, my SSN is 536-22-8107 and my date of birth is 03/14/1962. Call me at (415) 555-0172.";

fn enforce_toml(fake: &FakeApi) -> String {
    let mut t = String::from(
        r#"
[policy]
mode = "enforce"
[worker]
max_attempts = 4
api_timeout_ms = 700
"#,
    );
    t.push_str(&fake.tenants_toml(6000, None));
    t
}

/// The harness config, then the enforce layer, then `extra` (later layers win).
async fn spawn(fake: &FakeApi, extra: &str) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let base = base_toml(&embedded_store(dir.path()));
    let config = phi_guard::config::Config::from_toml_layers(&[&base, &enforce_toml(fake), extra])
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::start(config, dir).await
}

fn zd_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ZD_EMAIL}/token:{ZD_TOKEN}"))
    )
}

fn sc_basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SC_KEY_ID}:{SC_KEY_SECRET}"))
    )
}

fn ticket_with_phi(fake: &FakeApi) {
    fake.add_comment(
        5158,
        FakeComment {
            id: 1001,
            html_body: "<p>Hello, I have a question about my order.</p>".into(),
            public: true,
            attachments: vec![],
        },
    );
    fake.add_comment(
        5158,
        FakeComment {
            id: 9876543210,
            html_body: PHI_HTML.into(),
            public: true,
            attachments: vec![],
        },
    );
}

fn calls(reqs: &[Recorded], method: &str, path_contains: &str) -> Vec<Recorded> {
    reqs.iter()
        .filter(|r| r.method == method && r.path.contains(path_contains))
        .cloned()
        .collect()
}

fn outcomes(audit: &[Value], kind: &str) -> Vec<String> {
    audit
        .iter()
        .filter(|r| r.to_string().contains(kind))
        .map(|r| r["outcome"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn phi_in_public_comment_is_wrapped_exactly_and_stays_redacted() {
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    let app = spawn(&fake, "").await;
    let r = app
        .post_zendesk(
            "/webhooks/zendesk",
            &comment_added("ev-enf-1", PHI_BODY, true),
            ZD_SECRET,
        )
        .await;
    assert_eq!(r.status(), 200);
    app.drain().await;

    let reqs = fake.requests();
    let puts = calls(&reqs, "PUT", "/api/v2/comment_redactions/");
    assert_eq!(puts.len(), 1, "{reqs:#?}");
    assert_eq!(puts[0].path, "/api/v2/comment_redactions/9876543210");
    let expected = "<div class=\"zd-comment\"><p>Hi, my SSN is <redact>536-22-8107</redact> and my date of birth is <redact>03/14/1962</redact>. Call me at <redact>(415) 555-0172</redact>.</p></div>";
    assert_eq!(
        puts[0].body,
        Some(json!({"ticket_id": 5158, "html_body": expected}))
    );
    assert_eq!(puts[0].auth.as_deref(), Some(zd_auth().as_str()));
    // Reads used cursor pagination.
    assert!(
        calls(&reqs, "GET", "/api/v2/tickets/5158/comments?page[size]=100").len() == 1
            || calls(
                &reqs,
                "GET",
                "/api/v2/tickets/5158/comments?page%5Bsize%5D=100"
            )
            .len()
                == 1,
        "{reqs:#?}"
    );
    let tags = calls(&reqs, "PUT", "/api/v2/tickets/5158/tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].body, Some(json!({"tags": ["phi-guard-redacted"]})));
    let stored = fake.comment(5158, 9876543210).unwrap();
    assert!(!stored.html_body.contains("536-22-8107"));
    assert!(stored.html_body.contains("▇▇▇▇▇▇▇▇▇▇▇"));
    assert_eq!(
        app.metric(
            "phi_guard_api_requests_total",
            &[
                ("api", "zendesk"),
                ("endpoint", "comment_redactions"),
                ("status", "200")
            ]
        ),
        1.0
    );

    // A second event about the same comment: the re-fetch finds nothing left → already_done,
    // and no second redaction is sent.
    let r = app
        .post_zendesk(
            "/webhooks/zendesk",
            &comment_added("ev-enf-1b", PHI_BODY, true),
            ZD_SECRET,
        )
        .await;
    assert_eq!(r.status(), 200);
    app.drain().await;
    assert_eq!(
        calls(&fake.requests(), "PUT", "/api/v2/comment_redactions/").len(),
        1
    );
    let audit = app.audit().await;
    let o = outcomes(&audit, "redact_comment");
    assert_eq!(o, vec!["executed", "already_done"], "{audit:#?}");
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn phi_in_attachment_file_name_redacts_the_attachment() {
    let fake = FakeApi::start().await;
    fake.add_comment(
        5158,
        FakeComment {
            id: 8658726228478,
            html_body: "<p>see attached</p>".into(),
            public: true,
            attachments: vec![(8658726230270, "referral_ssn-536-22-8107.pdf".into())],
        },
    );
    let app = spawn(&fake, "").await;
    let att = serde_json::to_vec(&json!({
        "account_id": 22129848, "id": "ev-enf-att", "type": "zen:event-type:ticket.attachment_linked_to_comment",
        "subject": "zen:ticket:5158", "time": "2025-01-08T14:25:30Z",
        "detail": {"id": "5158", "via": {"channel": "web"}},
        "event": {"comment": {"id": "8658726228478", "attachment": {"id": "8658726230270",
            "filename": "referral_ssn-536-22-8107.pdf", "content_type": "application/pdf", "is_public": true}}}
    }))
    .unwrap();
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &att, ZD_SECRET)
            .await
            .status(),
        200
    );
    app.drain().await;
    let reqs = fake.requests();
    let puts = calls(&reqs, "PUT", "/attachments/");
    assert_eq!(puts.len(), 1, "{reqs:#?}");
    assert_eq!(
        puts[0].path,
        "/api/v2/tickets/5158/comments/8658726228478/attachments/8658726230270/redact"
    );
    assert_eq!(puts[0].body, None);
    assert_eq!(
        fake.comment(5158, 8658726228478).unwrap().attachments[0].1,
        "redacted.txt"
    );
    app.stop().await;
    fake.stop().await;
}

fn sc_envelope(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "app": {"id": "app1"},
        "webhook": {"id": "wh1", "version": "v2"},
        "events": events
    }))
    .unwrap()
}

#[tokio::test]
async fn end_user_attachment_in_messaging_is_removed_then_the_message_deleted() {
    let fake = FakeApi::start().await;
    let url = format!("{MEDIA_BASE}app1/conversations/conv-1/insurance.jpg");
    fake.add_message(
        "conv-1",
        message(
            "m-text",
            "user",
            &[],
            "web",
            json!({"type": "text", "text": "hello"}),
        ),
    );
    fake.add_message(
        "conv-1",
        message(
            "msg-e2",
            "user",
            &[],
            "web",
            json!({"type": "image", "mediaUrl": url, "altText": "insurance.jpg"}),
        ),
    );
    // One item at a time: the queue order (remove files, then delete the message) is kept.
    let app = spawn(&fake, "[worker]\nconcurrency = 1\n").await;
    let body = sc_envelope(vec![json!({
        "id": "e2", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:message",
        "payload": {"conversation": {"id": "conv-1", "type": "personal"},
            "message": {"id": "msg-e2", "received": "2020-09-30T15:14:29.834Z",
                "author": {"type": "user", "userId": "u1"},
                "content": {"type": "image", "mediaUrl": url, "mediaType": "image/jpeg", "altText": "insurance.jpg"},
                "source": {"type": "web"}}}
    })]);
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
            .await
            .status(),
        200
    );
    app.drain().await;
    let writes = fake.writes();
    // remove_message_attachments removes the file; delete_message re-reads the message, tries
    // its file again (already gone: 404, fine) and deletes the message.
    assert_eq!(writes.len(), 3, "{writes:#?}");
    for w in &writes[..2] {
        assert_eq!(w.method, "POST");
        assert_eq!(w.path, "/v2/apps/app1/attachments/remove");
        assert_eq!(w.body, Some(json!({ "mediaUrl": url })));
        assert_eq!(w.auth.as_deref(), Some(sc_basic().as_str()));
    }
    assert_eq!(writes[2].method, "DELETE");
    assert_eq!(
        writes[2].path,
        "/v2/apps/app1/conversations/conv-1/messages/msg-e2"
    );
    assert!(fake.state.lock().unwrap().media.is_empty(), "file removed");
    let left: Vec<Value> = fake.messages("conv-1");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], "m-text");
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn ai_agent_handoff_deletes_only_ai_messages_across_pages_with_jwt() {
    let fake = FakeApi::start().await;
    fake.add_message(
        "conv-1",
        message(
            "ai-1",
            "business",
            &["AI"],
            "zd:answerBot",
            json!({"type": "text", "text": "I can help with your prescription"}),
        ),
    );
    for i in 0..150 {
        fake.add_message(
            "conv-1",
            message(
                &format!("u-{i}"),
                "user",
                &[],
                "web",
                json!({"type": "text", "text": "ok"}),
            ),
        );
    }
    fake.add_message(
        "conv-1",
        message(
            "ai-2",
            "business",
            &[],
            "ultimate",
            json!({"type": "text", "text": "anything else?"}),
        ),
    );
    fake.add_message(
        "conv-1",
        message(
            "agent-1",
            "business",
            &["agent"],
            "zd:agentWorkspace",
            json!({"type": "text", "text": "Hi, this is Sam"}),
        ),
    );
    let app = spawn(&fake, "[tenants.default.sunshine]\nauth = \"jwt\"\n").await;
    let body = sc_envelope(vec![json!({
        "id": "e8", "createdAt": "2020-09-30T15:14:29.834Z", "type": "switchboard:passControl",
        "payload": {"conversation": {"id": "conv-1", "type": "personal",
            "activeSwitchboardIntegration": {"id": "si2", "name": "answerbot", "integrationId": "i3", "integrationType": "zd:answerBot"}},
            "reason": "ticketClosed"}
    })]);
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
            .await
            .status(),
        200
    );
    app.drain().await;
    let reqs = fake.requests();
    let gets = calls(&reqs, "GET", "/v2/apps/app1/conversations/conv-1/messages");
    assert_eq!(gets.len(), 2, "two pages: {gets:#?}");
    assert!(gets[1].path.contains("before"), "{}", gets[1].path);
    let mut deleted: Vec<String> = fake
        .writes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        vec![
            "DELETE /v2/apps/app1/conversations/conv-1/messages/ai-1",
            "DELETE /v2/apps/app1/conversations/conv-1/messages/ai-2",
        ]
    );
    // JWT: HS256 with kid, scope app, signed with the key secret — checked independently.
    let auth = gets[0].auth.clone().unwrap();
    let jwt = auth.strip_prefix("Bearer ").unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["kid"], SC_KEY_ID);
    assert_eq!(header["alg"], "HS256");
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SC_KEY_SECRET.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&b64.decode(parts[2]).unwrap()).unwrap();
    assert_eq!(fake.messages("conv-1").len(), 151);
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn rate_limited_429_honours_retry_after_and_then_succeeds() {
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    fake.script(
        "PUT",
        "/api/v2/comment_redactions/",
        Some(1),
        Fault::Status(429, Some("1".into())),
    );
    // A 429 without Retry-After falls back to (tiny) backoff.
    fake.script("PUT", "/tags", Some(1), Fault::Status(429, None));
    let app = spawn(&fake, "").await;
    app.post_zendesk(
        "/webhooks/zendesk",
        &comment_added("ev-enf-429", PHI_BODY, true),
        ZD_SECRET,
    )
    .await;
    app.drain().await;
    let reqs = fake.requests();
    let puts = calls(&reqs, "PUT", "/api/v2/comment_redactions/");
    assert_eq!(puts.len(), 2);
    let gap = puts[1].at - puts[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After ignored: {gap:?}"
    );
    assert_eq!(puts[0].body, puts[1].body);
    let tags = calls(&reqs, "PUT", "/tags");
    assert_eq!(tags.len(), 2);
    assert!(tags[1].at - tags[0].at < Duration::from_millis(900));
    assert_eq!(
        app.metric(
            "phi_guard_api_requests_total",
            &[("api", "zendesk"), ("status", "429")]
        ),
        2.0
    );
    let audit = app.audit().await;
    assert_eq!(
        outcomes(&audit, "redact_comment"),
        vec!["retry", "executed"]
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn five_xx_storm_and_slow_responses_recover() {
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    fake.script(
        "GET",
        "/api/v2/tickets/5158/comments",
        Some(2),
        Fault::Status(500, None),
    );
    fake.script(
        "GET",
        "/api/v2/tickets/5158/comments",
        Some(1),
        Fault::Status(503, None),
    );
    // Past the 700 ms client timeout.
    fake.script(
        "GET",
        "/api/v2/tickets/5158/comments",
        Some(1),
        Fault::Delay(Duration::from_millis(1500)),
    );
    let app = spawn(&fake, "[worker]\nmax_attempts = 6\n").await;
    app.post_zendesk(
        "/webhooks/zendesk",
        &comment_added("ev-enf-5xx", PHI_BODY, true),
        ZD_SECRET,
    )
    .await;
    app.drain().await;
    let reqs = fake.requests();
    assert_eq!(
        calls(&reqs, "GET", "/api/v2/tickets/5158/comments").len(),
        5
    );
    assert_eq!(calls(&reqs, "PUT", "/api/v2/comment_redactions/").len(), 1);
    let m = |status: &str| {
        app.metric(
            "phi_guard_api_requests_total",
            &[("endpoint", "list_comments"), ("status", status)],
        )
    };
    assert_eq!(
        (m("500"), m("503"), m("timeout"), m("200")),
        (2.0, 1.0, 1.0, 1.0)
    );
    let audit = app.audit().await;
    assert_eq!(
        outcomes(&audit, "redact_comment"),
        vec!["retry", "retry", "retry", "retry", "executed"]
    );
    assert!(
        !fake
            .comment(5158, 9876543210)
            .unwrap()
            .html_body
            .contains("536-22-8107")
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn always_failing_action_is_dead_lettered_and_replayed() {
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    fake.script(
        "PUT",
        "/api/v2/tickets/5158/tags",
        None,
        Fault::Status(502, None),
    );
    let app = spawn(&fake, "[worker]\nmax_attempts = 3\n").await;
    app.post_zendesk(
        "/webhooks/zendesk",
        &comment_added("ev-enf-dlq", PHI_BODY, true),
        ZD_SECRET,
    )
    .await;
    app.drain().await;
    assert_eq!(calls(&fake.requests(), "PUT", "/tags").len(), 3);
    let dead = app.store.dlq_list(10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let audit = app.audit().await;
    assert_eq!(
        outcomes(&audit, "tag_ticket"),
        vec!["retry", "retry", "dead_letter"]
    );
    // The upstream recovers; the operator replays the item.
    fake.clear_scripts();
    let id = dead[0].id.clone();
    assert!(app.store.dlq_replay(&id).await.unwrap());
    app.drain().await;
    let tags = calls(&fake.requests(), "PUT", "/tags");
    assert_eq!(tags.len(), 4);
    assert_eq!(
        fake.state.lock().unwrap().tags[&5158],
        vec!["phi-guard-redacted"]
    );
    assert!(app.store.dlq_list(10).await.unwrap().is_empty());
    // No PHI at rest or in telemetry: DLQ payloads, audit records, logs, metrics.
    let dead_payload = String::from_utf8_lossy(&dead[0].payload).into_owned();
    let audit_text = serde_json::to_string(&app.audit().await).unwrap();
    let metrics_text = app.metrics.encode();
    let log_text = logs();
    assert!(
        log_text.contains("Work item dead-lettered."),
        "log capture works"
    );
    for phi in ["536-22-8107", "03/14/1962", "555-0172"] {
        for (what, text) in [
            ("dlq", &dead_payload),
            ("audit", &audit_text),
            ("metrics", &metrics_text),
            ("logs", &log_text),
        ] {
            assert!(!text.contains(phi), "{phi} found in {what}");
        }
    }
    assert!(!log_text.contains(ZD_TOKEN) && !log_text.contains(&zd_auth()));
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn permanent_errors_dead_letter_at_once_and_audit_mode_calls_nothing() {
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    fake.script(
        "PUT",
        "/api/v2/comment_redactions/",
        None,
        Fault::Status(403, None),
    );
    let app = spawn(&fake, "").await;
    app.post_zendesk(
        "/webhooks/zendesk",
        &comment_added("ev-enf-403", PHI_BODY, true),
        ZD_SECRET,
    )
    .await;
    app.drain().await;
    assert_eq!(
        calls(&fake.requests(), "PUT", "/api/v2/comment_redactions/").len(),
        1
    );
    let dead = app.store.dlq_list(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "forbidden");
    app.stop().await;

    // Audit mode: same webhook, no API call at all.
    let fake2 = FakeApi::start().await;
    ticket_with_phi(&fake2);
    let app = spawn(&fake2, "[policy]\nmode = \"audit\"\n").await;
    app.post_zendesk(
        "/webhooks/zendesk",
        &comment_added("ev-enf-audit", PHI_BODY, true),
        ZD_SECRET,
    )
    .await;
    app.drain().await;
    assert!(fake2.requests().is_empty());
    assert!(outcomes(&app.audit().await, "redact_comment") == vec!["audit_only"]);
    app.stop().await;
    fake.stop().await;
    fake2.stop().await;
}

#[tokio::test]
async fn mixed_batch_on_redis_with_a_rate_limit_in_the_middle() {
    let Some(redis) = crate::support::redis_server::RedisServer::start() else {
        return;
    };
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    let url = format!("{MEDIA_BASE}app1/conversations/conv-7/labs.pdf");
    fake.add_message(
        "conv-7",
        message(
            "msg-7",
            "user",
            &[],
            "web",
            json!({"type": "file", "mediaUrl": url, "altText": "labs.pdf"}),
        ),
    );
    fake.script(
        "POST",
        "/attachments/remove",
        Some(1),
        Fault::Status(429, Some("1".into())),
    );
    let store = format!(
        "[store]\nbackend = \"redis\"\nredis_url = \"{}\"\nredis_prefix = \"it-enforce\"\n",
        redis.url()
    );
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let config = phi_guard::config::Config::from_toml_layers(&[
        &base_toml(&store),
        &enforce_toml(&fake),
        "[worker]\nconcurrency = 1\n",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::start(config, dir).await;
    let started = std::time::Instant::now();
    assert_eq!(
        app.post_zendesk(
            "/webhooks/zendesk",
            &comment_added("ev-redis-enf", PHI_BODY, true),
            ZD_SECRET
        )
        .await
        .status(),
        200
    );
    let body = sc_envelope(vec![json!({
        "id": "e7", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:message",
        "payload": {"conversation": {"id": "conv-7", "type": "personal"},
            "message": {"id": "msg-7", "received": "2020-09-30T15:14:29.834Z",
                "author": {"type": "user", "userId": "u1"},
                "content": {"type": "file", "mediaUrl": url, "mediaType": "application/pdf", "altText": "labs.pdf"},
                "source": {"type": "web"}}}
    })]);
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
            .await
            .status(),
        200
    );
    app.drain().await;
    let elapsed = started.elapsed();
    let mut writes: Vec<String> = fake
        .writes()
        .iter()
        .map(|w| format!("{} {}", w.method, w.path))
        .collect();
    writes.sort();
    assert_eq!(
        writes,
        vec![
            "DELETE /v2/apps/app1/conversations/conv-7/messages/msg-7",
            "POST /v2/apps/app1/attachments/remove",
            "POST /v2/apps/app1/attachments/remove",
            "PUT /api/v2/comment_redactions/9876543210",
            "PUT /api/v2/tickets/5158/tags",
        ]
    );
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(fake.messages("conv-7").is_empty());
    assert!(fake.state.lock().unwrap().media.is_empty(), "file removed");
    app.stop().await;
    fake.stop().await;
}

// ---- The executor on its own, action by action, against the fake ----

mod direct {
    use std::sync::Arc;

    use arc_swap::ArcSwap;
    use phi_guard::config::Config;
    use phi_guard::detect::fingerprint::Fingerprinter;
    use phi_guard::enforce::executor::ApiExecutor;
    use phi_guard::enforce::{ExecOutcome, Executor};
    use phi_guard::ingest::{FieldKind, ObjectRef, Source, TicketField};
    use phi_guard::metrics::Metrics;
    use phi_guard::policy::{Action, ActionKind, Mode, ScoredSpan};

    use super::*;

    struct Rig {
        exec: ApiExecutor,
        fp: Fingerprinter,
        detector: Arc<phi_guard::detect::Detector>,
    }

    fn rig(fake: &FakeApi, extra: &str) -> Rig {
        let config = Config::from_toml_layers(&[&enforce_toml(fake), extra])
            .unwrap_or_else(|e| panic!("{e}"));
        let detector = Arc::new(phi_guard::app::load_detector(&config).unwrap());
        let fp = Fingerprinter::new(b"direct-test-key");
        let exec = ApiExecutor::from_config(
            &config,
            Arc::new(ArcSwap::new(detector.clone())),
            fp.clone(),
            Arc::new(Metrics::new()),
        )
        .unwrap();
        Rig { exec, fp, detector }
    }

    impl Rig {
        /// Spans as the pipeline computes them, keeping findings whose text is in `only`.
        fn spans(&self, text: &str, only: &[&str]) -> Vec<ScoredSpan> {
            self.detector
                .scan(text)
                .into_iter()
                .filter(|f| only.contains(&&text[f.byte_start..f.byte_end]))
                .map(|f| ScoredSpan {
                    field: FieldKind::CommentBody,
                    index: 0,
                    label: f.label,
                    rule: f.rule.to_string(),
                    byte_start: f.byte_start,
                    byte_end: f.byte_end,
                    score: f.score,
                    fingerprint: self
                        .fp
                        .fingerprint(f.label, &text[f.byte_start..f.byte_end]),
                })
                .collect()
        }
    }

    fn action(kind: ActionKind, object: ObjectRef, spans: Vec<ScoredSpan>) -> Action {
        let source = match object {
            ObjectRef::SunshineMessage { .. }
            | ObjectRef::SunshineConversation { .. }
            | ObjectRef::SunshineUser { .. } => Source::Sunshine,
            _ => Source::Zendesk,
        };
        Action {
            kind,
            mode: Mode::Enforce,
            tenant: "default".into(),
            source,
            account: "22129848".into(),
            event_id: "ev".into(),
            object,
            spans,
            tags: vec![],
            reason: "test".into(),
            not_before_ms: None,
        }
    }

    fn comment(ticket_id: u64, comment_id: Option<u64>) -> ObjectRef {
        ObjectRef::ZendeskComment {
            ticket_id,
            comment_id,
        }
    }

    #[tokio::test]
    async fn classic_redaction_sends_only_the_fingerprinted_value() {
        let fake = FakeApi::start().await;
        ticket_with_phi(&fake);
        let r = rig(
            &fake,
            "[tenants.default.zendesk]\ncomment_redaction = \"classic\"\n",
        );
        let spans = r.spans(PHI_BODY, &["536-22-8107"]);
        assert_eq!(spans.len(), 1);
        let a = action(
            ActionKind::RedactComment,
            comment(5158, Some(9876543210)),
            spans,
        );
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("executed"));
        let w = fake.writes();
        assert_eq!(w.len(), 1, "{w:#?}");
        assert_eq!(w[0].path, "/api/v2/tickets/5158/comments/9876543210/redact");
        assert_eq!(w[0].body, Some(json!({"text": "536-22-8107"})));
        let html = fake.comment(5158, 9876543210).unwrap().html_body;
        assert!(!html.contains("536-22-8107") && html.contains("03/14/1962"));
        // Idempotent: the value is gone, so nothing more is sent.
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("already_done"));
        assert_eq!(fake.writes().len(), 1);
        fake.stop().await;
    }

    #[tokio::test]
    async fn description_without_comment_id_targets_the_first_comment() {
        let fake = FakeApi::start().await;
        let desc = "<p>My SSN is 536-22-8107</p>";
        fake.add_comment(
            77,
            FakeComment {
                id: 1,
                html_body: desc.into(),
                public: true,
                attachments: vec![],
            },
        );
        fake.add_comment(
            77,
            FakeComment {
                id: 2,
                html_body: "<p>My SSN is 536-22-8107</p>".into(),
                public: true,
                attachments: vec![],
            },
        );
        let r = rig(&fake, "");
        let spans = r.spans("My SSN is 536-22-8107", &["536-22-8107"]);
        let a = action(ActionKind::RedactComment, comment(77, None), spans);
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("executed"));
        let w = fake.writes();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].path, "/api/v2/comment_redactions/1");
        assert_eq!(
            w[0].body,
            Some(
                json!({"ticket_id": 77, "html_body": "<p>My SSN is <redact>536-22-8107</redact></p>"})
            )
        );
        fake.stop().await;
    }

    #[tokio::test]
    async fn value_split_by_markup_matches_the_plain_fingerprint_and_is_wrapped_piecewise() {
        let fake = FakeApi::start().await;
        fake.add_comment(
            78,
            FakeComment {
                id: 5,
                html_body: "<p>SSN 536-<b>22</b>-8107 &amp; more</p>".into(),
                public: true,
                attachments: vec![],
            },
        );
        let r = rig(&fake, "");
        // The webhook carried the plain body.
        let spans = r.spans("SSN 536-22-8107 & more", &["536-22-8107"]);
        assert_eq!(spans.len(), 1);
        let a = action(ActionKind::RedactComment, comment(78, Some(5)), spans);
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("executed"));
        let w = fake.writes();
        assert_eq!(
            w[0].body,
            Some(
                json!({"ticket_id": 78, "html_body": "<p>SSN <redact>536-</redact><b><redact>22</redact></b><redact>-8107</redact> &amp; more</p>"})
            )
        );
        fake.stop().await;
    }

    #[tokio::test]
    async fn fetch_and_scan_pages_through_comments_and_redacts_fresh_findings() {
        let fake = FakeApi::start().await;
        for id in 1..=250u64 {
            let html = if id == 230 {
                "<p>call me at (415) 555-0172, SSN 536-22-8107</p>".to_string()
            } else {
                format!("<p>update number {id}</p>")
            };
            fake.add_comment(
                9,
                FakeComment {
                    id,
                    html_body: html,
                    public: true,
                    attachments: vec![],
                },
            );
        }
        let r = rig(&fake, "");
        let a = action(
            ActionKind::FetchAndScanTicket,
            ObjectRef::ZendeskTicket { ticket_id: 9 },
            vec![],
        );
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("executed"));
        let reqs = fake.requests();
        let gets: Vec<&str> = reqs
            .iter()
            .filter(|q| q.method == "GET")
            .map(|q| q.path.as_str())
            .collect();
        assert_eq!(gets.len(), 3, "{gets:?}");
        assert!(gets[1].ends_with("page[after]=100"), "{gets:?}");
        assert!(gets[2].ends_with("page[after]=200"), "{gets:?}");
        let w = fake.writes();
        assert_eq!(w.len(), 1, "{w:#?}");
        assert_eq!(w[0].path, "/api/v2/comment_redactions/230");
        let html = w[0].body.as_ref().unwrap()["html_body"].as_str().unwrap();
        assert!(html.contains("<redact>536-22-8107</redact>"), "{html}");
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("already_done"));
        fake.stop().await;

        // Internal notes are left alone when the policy says so.
        let fake = FakeApi::start().await;
        fake.add_comment(
            10,
            FakeComment {
                id: 1,
                html_body: "<p>SSN 536-22-8107</p>".into(),
                public: false,
                attachments: vec![],
            },
        );
        let r = rig(&fake, "[policy]\nredact_internal_notes = false\n");
        let a = action(
            ActionKind::FetchAndScanTicket,
            ObjectRef::ZendeskTicket { ticket_id: 10 },
            vec![],
        );
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("already_done"));
        assert!(fake.writes().is_empty());
        fake.stop().await;
    }

    #[tokio::test]
    async fn sunshine_deletions_fall_back_and_treat_404_as_done() {
        let fake = FakeApi::start().await;
        fake.add_message(
            "c-default",
            message(
                "m1",
                "user",
                &[],
                "web",
                json!({"type": "text", "text": "x"}),
            ),
        );
        fake.add_message(
            "c-other",
            message(
                "m2",
                "user",
                &[],
                "web",
                json!({"type": "text", "text": "x"}),
            ),
        );
        {
            let mut s = fake.state.lock().unwrap();
            s.default_conversations.insert("c-default".into());
            s.users.insert("u1".into());
        }
        let r = rig(&fake, "");
        let conv = |c: &str| ObjectRef::SunshineConversation {
            app_id: "app1".into(),
            conversation_id: c.into(),
        };
        let run = |kind, obj| {
            let a = action(kind, obj, vec![]);
            let exec = &r.exec;
            async move { exec.execute(&a).await }
        };
        // Default conversation: 400 → delete all its messages instead.
        assert_eq!(
            run(ActionKind::DeleteConversation, conv("c-default")).await,
            ExecOutcome::Done("executed")
        );
        assert!(fake.messages("c-default").is_empty());
        assert_eq!(
            run(ActionKind::DeleteConversation, conv("c-other")).await,
            ExecOutcome::Done("executed")
        );
        assert_eq!(
            run(ActionKind::DeleteConversation, conv("c-other")).await,
            ExecOutcome::Done("already_done")
        );
        assert_eq!(
            run(ActionKind::DeleteConversationMessages, conv("nope")).await,
            ExecOutcome::Done("already_done")
        );
        let user = |u: &str| ObjectRef::SunshineUser {
            app_id: "app1".into(),
            user_id: u.into(),
        };
        assert_eq!(
            run(ActionKind::DeleteUserPersonalInfo, user("u1")).await,
            ExecOutcome::Done("executed")
        );
        assert_eq!(
            run(ActionKind::DeleteUserPersonalInfo, user("ghost")).await,
            ExecOutcome::Done("already_done")
        );
        let msg = ObjectRef::SunshineMessage {
            app_id: "app1".into(),
            conversation_id: "c-default".into(),
            message_id: "gone".into(),
        };
        assert_eq!(
            run(ActionKind::DeleteMessage, msg).await,
            ExecOutcome::Done("already_done")
        );
        let paths: Vec<String> = fake
            .writes()
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect();
        assert_eq!(
            paths,
            vec![
                "DELETE /v2/apps/app1/conversations/c-default",
                "DELETE /v2/apps/app1/conversations/c-default/messages",
                "DELETE /v2/apps/app1/conversations/c-other",
                "DELETE /v2/apps/app1/conversations/c-other",
                "DELETE /v2/apps/app1/conversations/nope/messages",
                "DELETE /v2/apps/app1/users/u1/personalinformation",
                "DELETE /v2/apps/app1/users/ghost/personalinformation",
                "DELETE /v2/apps/app1/conversations/c-default/messages/gone",
            ]
        );
        fake.stop().await;
    }

    #[tokio::test]
    async fn unsupported_missing_credentials_foreign_media_and_wrong_app() {
        let fake = FakeApi::start().await;
        fake.add_message(
            "c1",
            message(
                "m1",
                "user",
                &[],
                "web",
                json!({"type": "file", "mediaUrl": "https://elsewhere.example/f.pdf"}),
            ),
        );
        let r = rig(&fake, "[tenants.default.sunshine]\napp_id = \"app1\"\n");
        let field = action(
            ActionKind::RedactTicketField,
            ObjectRef::ZendeskTicketField {
                ticket_id: 1,
                field: TicketField::Subject,
            },
            vec![],
        );
        assert_eq!(
            r.exec.execute(&field).await,
            ExecOutcome::Retry {
                after: None,
                reason: "unsupported_action"
            }
        );
        let mut other = action(
            ActionKind::TagTicket,
            ObjectRef::ZendeskTicket { ticket_id: 1 },
            vec![],
        );
        other.tenant = "unknown-tenant".into();
        other.tags = vec!["x".into()];
        assert_eq!(
            r.exec.execute(&other).await,
            ExecOutcome::Retry {
                after: None,
                reason: "no_api_credentials"
            }
        );
        let files = action(
            ActionKind::RemoveMessageAttachments,
            ObjectRef::SunshineMessage {
                app_id: "app1".into(),
                conversation_id: "c1".into(),
                message_id: "m1".into(),
            },
            vec![],
        );
        assert_eq!(
            r.exec.execute(&files).await,
            ExecOutcome::Permanent("media_not_removable")
        );
        let wrong_app = action(
            ActionKind::DeleteMessage,
            ObjectRef::SunshineMessage {
                app_id: "other-app".into(),
                conversation_id: "c1".into(),
                message_id: "m1".into(),
            },
            vec![],
        );
        assert_eq!(
            r.exec.execute(&wrong_app).await,
            ExecOutcome::Permanent("app_mismatch")
        );
        // Only the message read and the refused removal reached the API.
        let paths: Vec<String> = fake
            .requests()
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect();
        assert_eq!(
            paths,
            vec![
                "GET /v2/apps/app1/conversations/c1/messages",
                "POST /v2/apps/app1/attachments/remove",
            ]
        );
        fake.stop().await;
    }

    #[tokio::test]
    async fn shared_rate_limit_window_is_counted_across_limiters_in_redis() {
        use phi_guard::enforce::api::{RateLimiter, SharedWindow};
        let Some(redis) = crate::support::redis_server::RedisServer::start() else {
            return;
        };
        let client = redis::Client::open(redis.url()).unwrap();
        let conn = client.get_connection_manager().await.unwrap();
        let window = |conn: &redis::aio::ConnectionManager| SharedWindow {
            conn: conn.clone(),
            key: "{t}:ratelimit:acme:zendesk".into(),
            per_minute: 10,
        };
        // Two "replicas", each with a generous local bucket but one shared window of 10/min.
        let a = RateLimiter::new(6000).with_shared(window(&conn));
        let b = RateLimiter::new(6000).with_shared(window(&conn));
        let minute = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                / 60
        };
        let start_minute = minute();
        for i in 0..10 {
            let r = if i % 2 == 0 {
                a.acquire().await
            } else {
                b.acquire().await
            };
            assert!(r.is_ok() || minute() != start_minute);
        }
        let eleventh = b.acquire().await;
        if minute() == start_minute {
            let wait = eleventh.expect_err("the 11th request in a minute is refused");
            assert!(wait <= Duration::from_secs(61), "{wait:?}");
            let mut c = conn.clone();
            let n: u64 = redis::cmd("GET")
                .arg(format!("{{t}}:ratelimit:acme:zendesk:{start_minute}"))
                .query_async(&mut c)
                .await
                .unwrap();
            assert_eq!(n, 11, "10 granted + 1 over the limit counted");
        }
    }

    #[tokio::test]
    async fn make_private_and_oauth_bearer() {
        let fake = FakeApi::start().await;
        ticket_with_phi(&fake);
        let r = rig(
            &fake,
            "[tenants.default.zendesk]\napi_token = \"\"\noauth_token = \"oauth-access-token\"\n",
        );
        let a = action(
            ActionKind::MakeCommentPrivate,
            comment(5158, Some(9876543210)),
            vec![],
        );
        assert_eq!(r.exec.execute(&a).await, ExecOutcome::Done("executed"));
        let w = fake.writes();
        assert_eq!(
            w[0].path,
            "/api/v2/tickets/5158/comments/9876543210/make_private"
        );
        assert_eq!(w[0].auth.as_deref(), Some("Bearer oauth-access-token"));
        assert!(!fake.comment(5158, 9876543210).unwrap().public);
        let missing = action(
            ActionKind::MakeCommentPrivate,
            comment(404404, Some(1)),
            vec![],
        );
        assert_eq!(
            r.exec.execute(&missing).await,
            ExecOutcome::Permanent("not_found")
        );
        fake.stop().await;
    }
}

/// The worker is woken by the webhook that enqueued work, not by its next poll: with a poll
/// interval of a minute the redaction still arrives within seconds.
#[tokio::test]
async fn an_idle_worker_is_woken_by_new_work_not_by_its_poll() {
    let fake = FakeApi::start().await;
    ticket_with_phi(&fake);
    let app = spawn(&fake, "[worker]\npoll_interval_ms = 60000\n").await;
    // Let the worker's first (empty) lease happen, so that it is asleep on its poll.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let r = app
        .post_zendesk(
            "/webhooks/zendesk",
            &comment_added("ev-wake-1", PHI_BODY, true),
            ZD_SECRET,
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut redacted = false;
    while started.elapsed() < Duration::from_secs(20) {
        if !calls(&fake.requests(), "PUT", "/api/v2/comment_redactions/").is_empty() {
            redacted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        redacted,
        "no redaction {:?} after the webhook (poll interval 60 s)",
        started.elapsed()
    );
    app.stop().await;
    fake.stop().await;
}
