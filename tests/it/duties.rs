//! HIPAA duties end to end against the fake Zendesk / Sunshine APIs: the `policy.ai_ticket`
//! modes for tickets an AI-agent transcript became (soft delete; soft + permanent delete with
//! job polling, incl. a failed job, a rate-limited poll and an already soft-deleted ticket;
//! redaction of the AI-agent comments), the tag on the ticket a messaging conversation is
//! linked to when its attachments are removed (and the audited skip without a ticket), a
//! scheduled ticket deletion surviving a restart, and the `phi_guard_delayed_items` gauges.
//!
//! **Reference uncertainty** mirrored by the fake (see `support::fake_api`): what deleting an
//! already soft-deleted ticket answers (404 assumed), job statuses other than `queued`
//! (`working` / `completed` / `failed` assumed), and how AI-agent comments are attributed in a
//! ticket (configured `ingest.author.ai_zendesk_user_ids`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::retention::{enforce_toml, message_event, sc_envelope, spawn_with_store, wait_for};
use crate::support::fake_api::{FakeApi, FakeComment, Fault, message};
use crate::support::*;

/// The Zendesk user the AI agent's comments are attributed to in the fake.
const AI_USER: u64 = 9_000_001;

fn comment(id: u64, html: &str) -> FakeComment {
    FakeComment {
        id,
        html_body: html.into(),
        public: true,
        attachments: Vec::new(),
    }
}

/// A `messaging_ticket.message_added` event (no PHI in the body, so only the ticket policy acts).
fn messaging_event(event_id: &str, ticket: u64, actor_id: &str, actor_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "account_id": 22129848,
        "id": event_id,
        "type": "zen:event-type:messaging_ticket.message_added",
        "subject": format!("zen:ticket:{ticket}"),
        "time": "2025-01-10T16:40:12Z",
        "zendesk_event_version": "2022-11-06",
        "detail": {"id": ticket.to_string(), "status": "OPEN", "via": {"channel": "web_messaging"}},
        "event": {
            "actor": {"id": actor_id, "name": "x", "type": actor_type},
            "conversation_id": "65a1f0c2e4b0a1b2c3d4e5f6",
            "message": {"id": format!("msg-{event_id}"), "body": "Happy to help with that."}
        }
    }))
    .unwrap()
}

fn ai_event(event_id: &str, ticket: u64) -> Vec<u8> {
    messaging_event(event_id, ticket, "zd:answerBot", "system")
}

/// An enforcing app on a fresh embedded store (kept by the returned app).
async fn spawn(fake: &FakeApi, extra: &str) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let base = base_toml(&embedded_store(dir.path()));
    let config = phi_guard::config::Config::from_toml_layers(&[&base, &enforce_toml(fake), extra])
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::start(config, dir).await
}

fn paths_of(fake: &FakeApi, prefix: &str) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|p| p.contains(prefix))
        .collect()
}

/// Waits until no work is ready, leased or delayed.
async fn settled(app: &TestApp) {
    for _ in 0..400 {
        let s = app.store.stats().await.unwrap();
        if s.ready + s.leased + s.delayed == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("queue did not settle: {:?}", app.store.stats().await);
}

fn outcomes(audit: &[Value], action: &str) -> Vec<String> {
    audit
        .iter()
        .filter(|r| r["action"] == action)
        .map(|r| r["outcome"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn ai_ticket_soft_delete_is_idempotent() {
    let fake = FakeApi::start().await;
    fake.add_comment(501, comment(1, "<p>hi</p>"));
    let app = spawn(
        &fake,
        "[policy]\nai_ticket = \"soft_delete\"\nai_ticket_after_seconds = 0\n",
    )
    .await;
    // An end user's message in the same ticket does nothing to the ticket.
    let r = app
        .post_zendesk(
            "/webhooks/zendesk",
            &messaging_event("u1", 501, "end-user-7", "end_user"),
            ZD_SECRET,
        )
        .await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["actions"], 0, "{report}");

    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("a1", 501), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    wait_for(Duration::from_secs(10), || {
        fake.ticket_state(501) == "soft_deleted"
    })
    .await;
    settled(&app).await;
    // Another AI message after the deletion: the ticket is gone (404) — done, not an error.
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("a2", 501), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    assert_eq!(
        paths_of(&fake, "/api/v2/tickets/501"),
        vec!["DELETE /api/v2/tickets/501", "DELETE /api/v2/tickets/501"]
    );
    assert_eq!(fake.ticket_state(501), "soft_deleted", "not purged");
    let audit = app.audit().await;
    assert_eq!(
        outcomes(&audit, "soft_delete_ticket"),
        vec!["executed", "already_done"]
    );
    assert!(
        audit
            .iter()
            .filter(|r| r["action"] == "soft_delete_ticket")
            .all(|r| r["reason"] == "ai_agent_ticket"
                && r["object"] == json!({"type": "zendesk_ticket", "ticket_id": 501}))
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn ai_ticket_permanent_delete_polls_the_job_to_completion() {
    let fake = FakeApi::start().await;
    fake.add_comment(502, comment(1, "<p>hi</p>"));
    let app = spawn(
        &fake,
        "[policy]\nai_ticket = \"soft_delete_then_permanent\"\nai_ticket_after_seconds = 0\n",
    )
    .await;
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("p1", 502), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    wait_for(Duration::from_secs(10), || {
        fake.ticket_state(502) == "purged"
    })
    .await;
    settled(&app).await;
    let jobs = fake.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].history, vec!["queued", "working", "completed"]);
    let job_path = |_: ()| {
        fake.requests()
            .iter()
            .filter(|r| r.path.starts_with("/api/v2/job_statuses/"))
            .count()
    };
    assert_eq!(job_path(()), 2, "polled until completed, then stopped");
    let order: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|p| !p.starts_with("GET /api/v2/job_statuses"))
        .collect();
    assert_eq!(
        order,
        vec![
            "DELETE /api/v2/tickets/502",
            "DELETE /api/v2/deleted_tickets/502"
        ]
    );
    // Polls back off: the second poll waits longer than the first.
    let at: Vec<Instant> = fake
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" || r.path.starts_with("/api/v2/job_statuses/"))
        .map(|r| r.at)
        .collect();
    let (first, second) = (at[2] - at[1], at[3] - at[2]);
    assert!(
        second > first,
        "backoff: first wait {first:?}, second {second:?}"
    );
    assert_eq!(
        outcomes(&app.audit().await, "delete_ticket_permanently"),
        vec!["executed"]
    );
    // A ticket that is gone for good: 404 twice → already done, no job.
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("p2", 502), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    assert_eq!(fake.jobs().len(), 1);
    assert_eq!(
        outcomes(&app.audit().await, "delete_ticket_permanently"),
        vec!["executed", "already_done"]
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn permanent_delete_survives_a_failed_job_a_throttled_poll_and_a_prior_soft_delete() {
    let fake = FakeApi::start().await;
    fake.add_comment(503, comment(1, "<p>hi</p>"));
    fake.add_comment(504, comment(2, "<p>hi</p>"));
    let app = spawn(
        &fake,
        "[policy]\nai_ticket = \"soft_delete_then_permanent\"\nai_ticket_after_seconds = 0\n",
    )
    .await;
    // 503: its first job fails; the retry starts a second job, which completes.
    fake.fail_next_jobs(1);
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("f1", 503), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    wait_for(Duration::from_secs(15), || {
        fake.ticket_state(503) == "purged"
    })
    .await;
    settled(&app).await;
    let mut histories: Vec<Vec<String>> = fake.jobs().into_iter().map(|j| j.history).collect();
    histories.sort();
    assert_eq!(
        histories,
        vec![
            vec!["queued", "working", "completed"],
            vec!["queued", "working", "failed"],
        ]
    );
    assert_eq!(
        outcomes(&app.audit().await, "delete_ticket_permanently"),
        vec!["retry", "executed"]
    );
    // The retry did not soft-delete again (404 → already soft-deleted, went on).
    assert_eq!(
        paths_of(&fake, "deleted_tickets/503").len(),
        2,
        "one permanent delete per job"
    );

    // 504 was soft-deleted by someone else already; its first poll is rate limited: the next
    // attempt polls the same job (no second permanent delete) after Retry-After.
    let state = fake.state.clone();
    {
        let mut s = state.lock().unwrap();
        let c = s.tickets.remove(&504).unwrap();
        s.deleted_tickets.insert(504, c);
    }
    fake.script(
        "GET",
        "/api/v2/job_statuses/",
        Some(1),
        Fault::Status(429, Some("1".into())),
    );
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("f2", 504), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    wait_for(Duration::from_secs(15), || {
        fake.ticket_state(504) == "purged"
    })
    .await;
    settled(&app).await;
    assert_eq!(
        paths_of(&fake, "/504"),
        vec![
            "DELETE /api/v2/tickets/504",
            "DELETE /api/v2/deleted_tickets/504"
        ],
        "the soft delete answered 404 and the job was not started twice"
    );
    let audit = app.audit().await;
    assert_eq!(
        outcomes(&audit, "delete_ticket_permanently"),
        vec!["retry", "executed", "retry", "executed"]
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn redact_ai_comments_redacts_only_the_ai_agent_comments_once() {
    let fake = FakeApi::start().await;
    fake.add_comment(505, comment(1, "<p>I need a refill of my inhaler</p>"));
    fake.add_comment(
        505,
        comment(2, "<p>Sure, I found the <b>prescription</b> for you.</p>"),
    );
    fake.add_comment(505, comment(3, "<p>Hi, this is Sam from the clinic.</p>"));
    fake.add_comment(505, comment(4, "<p>Anything else?</p>"));
    fake.set_comment_author(1, 100);
    fake.set_comment_author(2, AI_USER);
    fake.set_comment_author(3, 200);
    fake.set_comment_author(4, AI_USER);
    let app = spawn(
        &fake,
        &format!(
            "[ingest.author]\nai_zendesk_user_ids = [{AI_USER}]\n[policy]\nai_ticket = \"redact_ai_comments\"\nai_ticket_after_seconds = 0\n"
        ),
    )
    .await;
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("r1", 505), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    let blocks = |id: u64| {
        let c = fake.comment(505, id).unwrap();
        let visible: String = {
            let mut out = String::new();
            let mut tag = false;
            for ch in c.html_body.chars() {
                match ch {
                    '<' => tag = true,
                    '>' => tag = false,
                    c if !tag => out.push(c),
                    _ => {}
                }
            }
            out
        };
        !visible.is_empty() && visible.chars().all(|c| c == '▇' || c.is_whitespace())
    };
    assert!(blocks(2) && blocks(4), "AI comments fully redacted");
    assert_eq!(
        fake.comment(505, 1).unwrap().html_body,
        "<p>I need a refill of my inhaler</p>"
    );
    assert_eq!(
        fake.comment(505, 3).unwrap().html_body,
        "<p>Hi, this is Sam from the clinic.</p>"
    );
    let puts: Vec<_> = fake
        .writes()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v2/comment_redactions/"))
        .collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(
        puts[0].body.as_ref().unwrap()["html_body"],
        "<p><redact>Sure, I found the </redact><b><redact>prescription</redact></b><redact> for you.</redact></p>"
    );
    // A later AI message: the AI comments are already redacted, nothing is sent again.
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("r2", 505), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    assert_eq!(fake.writes().len(), 2);
    assert_eq!(
        outcomes(&app.audit().await, "redact_ai_comments"),
        vec!["executed", "already_done"]
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn redact_ai_comments_with_unknown_ai_ids_dead_letters_instead_of_pretending() {
    let fake = FakeApi::start().await;
    fake.add_comment(506, comment(1, "<p>Hello from the bot</p>"));
    fake.set_comment_author(1, 77);
    let app = spawn(
        &fake,
        "[ingest.author]\nai_zendesk_user_ids = [12345]\n[policy]\nai_ticket = \"redact_ai_comments\"\nai_ticket_after_seconds = 0\n[worker]\nmax_attempts = 2\n",
    )
    .await;
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("x1", 506), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    let dead = app.store.dlq_list(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind, "redact_ai_comments");
    assert_eq!(dead[0].reason, "max_attempts");
    assert!(fake.writes().is_empty());
    app.stop().await;
    fake.stop().await;
}

fn file_message(id: &str, metadata: Value) -> Value {
    let mut m = message(
        id,
        "user",
        &[],
        "web",
        json!({"type": "file", "mediaUrl": format!("https://media.smooch.io/apps/app1/{id}/scan.pdf"),
               "mediaType": "application/pdf", "altText": "scan.pdf"}),
    );
    m["metadata"] = metadata;
    m
}

#[tokio::test]
async fn removed_messaging_attachments_tag_the_linked_ticket_or_audit_the_skip() {
    let fake = FakeApi::start().await;
    fake.add_comment(507, comment(1, "<p>see file</p>"));
    let linked = file_message("f-linked", json!({"zendesk_ticket_id": "507"}));
    let unlinked = file_message("f-unlinked", json!({}));
    let unknown_ticket = file_message("f-unknown", json!({"zendesk_ticket_id": 999}));
    for m in [&linked, &unlinked, &unknown_ticket] {
        fake.add_message("conv-f", m.clone());
    }
    // The first tag call is rate limited: honoured, then retried.
    fake.script(
        "PUT",
        "/api/v2/tickets/507/tags",
        Some(1),
        Fault::Status(429, Some("1".into())),
    );
    let app = spawn(
        &fake,
        "[ingest.author]\nticket_id_metadata_keys = [\"zendesk_ticket_id\"]\n",
    )
    .await;
    let body = sc_envelope(vec![
        message_event("fe1", "conv-f", &linked),
        message_event("fe2", "conv-f", &unlinked),
        message_event("fe3", "conv-f", &unknown_ticket),
    ]);
    let r = app
        .post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    assert_eq!(fake.tags(507), vec!["phi_attachment_removed"]);
    assert!(fake.messages("conv-f").is_empty(), "messages deleted");
    let tag_puts: Vec<_> = fake
        .writes()
        .into_iter()
        .filter(|r| r.path.ends_with("/tags"))
        .collect();
    assert_eq!(tag_puts.len(), 3, "429 + retry on 507, one 404 on 999");
    let on_507: Vec<_> = tag_puts
        .iter()
        .filter(|r| r.path == "/api/v2/tickets/507/tags")
        .collect();
    assert_eq!(on_507.len(), 2);
    assert_eq!(
        on_507[1].body.as_ref().unwrap()["tags"],
        json!(["phi_attachment_removed"])
    );
    assert!(
        on_507[1].at.duration_since(on_507[0].at) >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    let audit = app.audit().await;
    let tags: Vec<(String, String, Value)> = audit
        .iter()
        .filter(|r| r["action"] == "tag_ticket" && r["outcome"] != "retry")
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
                r["object"].clone(),
            )
        })
        .collect();
    assert!(tags.contains(&(
        "attachment_removed".into(),
        "executed".into(),
        json!({"type": "zendesk_ticket", "ticket_id": 507})
    )));
    assert!(tags.contains(&(
        "no_linked_ticket".into(),
        "skipped_no_ticket".into(),
        json!({"type": "sunshine_message", "app_id": "app1", "conversation_id": "conv-f", "message_id": "f-unlinked"})
    )));
    // An unknown ticket id is not silently dropped: dead-lettered, replayable.
    let dead = app.store.dlq_list(10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(
        (dead[0].kind.as_str(), dead[0].reason.as_str()),
        ("tag_ticket", "not_found")
    );
    app.stop().await;
    fake.stop().await;
}

fn gauge(text: &str, state: &str) -> f64 {
    metric_value(text, "phi_guard_delayed_items", &[("state", state)])
}

#[tokio::test]
async fn scheduled_ticket_deletion_survives_a_restart_and_shows_in_the_gauges() {
    let fake = FakeApi::start().await;
    fake.add_comment(508, comment(1, "<p>hi</p>"));
    let data = tempfile::tempdir().unwrap();
    let store = embedded_store(data.path());
    let cfg = "[policy]\nai_ticket = \"soft_delete_then_permanent\"\nai_ticket_after_seconds = 9\n";
    let app = spawn_with_store(&fake, &store, cfg).await;
    let posted = Instant::now();
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("s1", 508), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    // A second AI message of the same ticket does not schedule a second deletion.
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("s2", 508), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        (
            gauge(&text, "scheduled"),
            gauge(&text, "due"),
            gauge(&text, "overdue")
        ),
        (1.0, 0.0, 0.0),
        "{text}"
    );
    app.stop().await;
    assert!(fake.writes().is_empty(), "ran before the restart");
    assert_eq!(fake.ticket_state(508), "active");

    let app = spawn_with_store(&fake, &store, cfg).await;
    // Still queued exactly once (already leased if the restart outlasted the delay).
    let st = app.store.stats().await.unwrap();
    assert_eq!(
        (st.delayed + st.ready + st.leased, st.dead),
        (1, 0),
        "{st:?}"
    );
    wait_for(Duration::from_secs(20), || {
        fake.ticket_state(508) == "purged"
    })
    .await;
    assert!(posted.elapsed() >= Duration::from_secs(9));
    settled(&app).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&text, "scheduled") + gauge(&text, "due"), 0.0);
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn delayed_items_turn_due_then_overdue_when_no_worker_leases() {
    let fake = FakeApi::start().await;
    // An ingest-only process: nothing leases, so the scheduled deletion goes due, then overdue.
    let app = spawn(
        &fake,
        "[server]\nworker_enabled = false\n[worker]\ndelayed_overdue_after_seconds = 3\n[policy]\nai_ticket = \"soft_delete\"\nai_ticket_after_seconds = 2\n",
    )
    .await;
    let posted = Instant::now();
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("o1", 509), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let scrape = || async { app.get("/metrics").await.text().await.unwrap() };
    let t = scrape().await;
    assert_eq!(
        (
            gauge(&t, "scheduled"),
            gauge(&t, "due"),
            gauge(&t, "overdue")
        ),
        (1.0, 0.0, 0.0)
    );
    // Between 2 s (ready) and 5 s (ready + grace): due. Wide margins for a loaded machine.
    tokio::time::sleep(Duration::from_millis(3200).saturating_sub(posted.elapsed())).await;
    let t = scrape().await;
    assert_eq!(
        (
            gauge(&t, "scheduled"),
            gauge(&t, "due"),
            gauge(&t, "overdue")
        ),
        (0.0, 1.0, 0.0)
    );
    tokio::time::sleep(Duration::from_millis(6500).saturating_sub(posted.elapsed())).await;
    let t = scrape().await;
    assert_eq!(
        (
            gauge(&t, "scheduled"),
            gauge(&t, "due"),
            gauge(&t, "overdue")
        ),
        (0.0, 0.0, 1.0)
    );
    assert!(fake.requests().is_empty());
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn audit_mode_records_ticket_actions_without_calling_the_api() {
    let fake = FakeApi::start().await;
    fake.add_comment(510, comment(1, "<p>hi</p>"));
    let app = spawn(
        &fake,
        "[policy]\nmode = \"audit\"\nai_ticket = \"soft_delete_then_permanent\"\nai_ticket_after_seconds = 0\n",
    )
    .await;
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("m1", 510), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(fake.ticket_state(510), "active");
    let audit = app.audit().await;
    assert_eq!(
        outcomes(&audit, "delete_ticket_permanently"),
        vec!["audit_only"]
    );
    assert_eq!(audit[0]["mode"], "audit");
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn redact_ai_comments_with_classic_redaction_sends_the_whole_text() {
    let fake = FakeApi::start().await;
    fake.add_comment(511, comment(1, "<p>Your refill is ready for pickup.</p>"));
    fake.add_comment(511, comment(2, "<p>thanks</p>"));
    fake.set_comment_author(1, AI_USER);
    fake.set_comment_author(2, 100);
    let app = spawn(
        &fake,
        &format!(
            "[tenants.default.zendesk]\ncomment_redaction = \"classic\"\n[ingest.author]\nai_zendesk_user_ids = [{AI_USER}]\n[policy]\nai_ticket = \"redact_ai_comments\"\nai_ticket_after_seconds = 0\n"
        ),
    )
    .await;
    let r = app
        .post_zendesk("/webhooks/zendesk", &ai_event("c1", 511), ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    settled(&app).await;
    let writes = fake.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].path, "/api/v2/tickets/511/comments/1/redact");
    assert_eq!(
        writes[0].body.as_ref().unwrap()["text"],
        "Your refill is ready for pickup."
    );
    assert_eq!(
        fake.comment(511, 1).unwrap().html_body,
        format!("<p>{}</p>", "▇".repeat(32))
    );
    assert_eq!(fake.comment(511, 2).unwrap().html_body, "<p>thanks</p>");
    app.stop().await;
    fake.stop().await;
}
