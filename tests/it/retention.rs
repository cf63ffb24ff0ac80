//! Delayed deletions end to end against the fake Sunshine API: `[[policy.retention]]` schedules
//! and AI-agent `after_delay` wait for their time (nothing is called before it, the deletion
//! happens after it), survive a restart on the same store directory, and the configuration
//! checks the AI-ticket options and schedules. The restart test runs on the
//! embedded store and on a real `redis-server` (the delayed sorted set, restarted with its AOF).
//!
//! Delays are seconds (`after_seconds`) so the tests run fast; `after_hours` is the same code
//! path multiplied by 3600 (checked in `policy`'s unit tests).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::fake_api::{FakeApi, message};
use crate::support::redis_server::RedisServer;
use crate::support::*;

const SC_KEY_ID: &str = "app_5ebee0975ac5304b664a12fa";
const SC_KEY_SECRET: &str = "sc-key-secret-abcdef";

pub(crate) fn enforce_toml(fake: &FakeApi) -> String {
    let base = &fake.base;
    format!(
        r#"
[policy]
mode = "enforce"
[tenants.default.zendesk]
base_url = "{base}"
email = "agent@clinic.example"
api_token = "zd-api-token-0123"
requests_per_minute = 6000
[tenants.default.sunshine]
base_url = "{base}"
key_id = "{SC_KEY_ID}"
key_secret = "{SC_KEY_SECRET}"
requests_per_minute = 6000
[tenants.acme.zendesk]
base_url = "{base}"
email = "agent@clinic.example"
api_token = "zd-api-token-0123"
[tenants.acme.sunshine]
base_url = "{base}"
key_id = "{SC_KEY_ID}"
key_secret = "{SC_KEY_SECRET}"
"#
    )
}

/// Starts an enforcing app on the given `[store]` section.
pub(crate) async fn spawn_with_store(fake: &FakeApi, store: &str, extra: &str) -> TestApp {
    init_logs();
    let base = base_toml(store);
    let config = phi_guard::config::Config::from_toml_layers(&[&base, &enforce_toml(fake), extra])
        .unwrap_or_else(|e| panic!("{e}"));
    TestApp::start(config, tempfile::tempdir().unwrap()).await
}

/// Starts an enforcing app whose embedded store lives in `data` (kept by the caller, so a second
/// app can be started on the same store after the first one stopped).
async fn spawn_on(fake: &FakeApi, data: &std::path::Path, extra: &str) -> TestApp {
    spawn_with_store(fake, &embedded_store(data), extra).await
}

pub(crate) fn sc_envelope(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "app": {"id": "app1"},
        "webhook": {"id": "wh1", "version": "v2"},
        "events": events
    }))
    .unwrap()
}

pub(crate) fn message_event(event_id: &str, conv: &str, msg: &Value) -> Value {
    json!({
        "id": event_id, "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:message",
        "payload": {"conversation": {"id": conv, "type": "personal"}, "message": msg}
    })
}

fn deletes(fake: &FakeApi) -> Vec<String> {
    let mut d: Vec<String> = fake
        .writes()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.clone())
        .collect();
    d.sort();
    d
}

/// Polls until `f` holds (up to `limit`); returns the time it took.
pub(crate) async fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if f() {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not met within {limit:?}");
}

#[tokio::test]
async fn retention_rule_deletes_the_message_after_the_delay_not_before() {
    let fake = FakeApi::start().await;
    let user_msg = message(
        "m-1",
        "user",
        &[],
        "web",
        json!({"type": "text", "text": "hello"}),
    );
    let other_channel = message(
        "m-2",
        "user",
        &[],
        "whatsapp",
        json!({"type": "text", "text": "hi there"}),
    );
    fake.add_message("conv-1", user_msg.clone());
    fake.add_message("conv-2", other_channel.clone());
    let data = tempfile::tempdir().unwrap();
    let app = spawn_on(
        &fake,
        data.path(),
        r#"
[[policy.retention]]
name = "web chats: 2 s"
match_channel = "web"
action = "delete_message"
after_seconds = 2
"#,
    )
    .await;
    let body = sc_envelope(vec![
        message_event("e1", "conv-1", &user_msg),
        message_event("e2", "conv-2", &other_channel),
    ]);
    let posted = Instant::now();
    let r = app
        .post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["actions"], 1, "{report}");
    let stats = app.store.stats().await.unwrap();
    assert_eq!((stats.delayed, stats.ready), (1, 0), "{stats:?}");
    assert_eq!(
        app.metric(
            "phi_guard_retention_scheduled_total",
            &[("action", "delete_message"), ("mode", "enforce")]
        ),
        1.0
    );
    // A redelivery of the same batch schedules nothing more.
    let r = app
        .post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.store.stats().await.unwrap().delayed, 1);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(fake.writes().is_empty(), "deleted too early");
    assert_eq!(fake.messages("conv-1").len(), 1);

    wait_for(Duration::from_secs(10), || {
        fake.messages("conv-1").is_empty()
    })
    .await;
    assert!(
        posted.elapsed() >= Duration::from_secs(2),
        "deleted after {:?}",
        posted.elapsed()
    );
    assert_eq!(
        deletes(&fake),
        vec!["/v2/apps/app1/conversations/conv-1/messages/m-1"]
    );
    assert_eq!(fake.messages("conv-2").len(), 1, "other channel untouched");
    // The deletion is visible at the fake before the worker acks: let it settle.
    let mut stats = app.store.stats().await.unwrap();
    for _ in 0..200 {
        if stats.delayed + stats.ready + stats.leased == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        stats = app.store.stats().await.unwrap();
    }
    assert_eq!(stats.delayed + stats.ready + stats.leased, 0, "{stats:?}");
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn scheduled_deletions_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let store = embedded_store(data.path());
    restart_with_pending_schedule(&store, || {}).await;
}

#[tokio::test]
async fn scheduled_deletions_survive_a_restart_on_redis() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let store = format!(
        "[store]\nbackend = \"redis\"\nredis_url = \"{}\"\nredis_prefix = \"it-retention\"\n",
        redis.url()
    );
    // Redis itself restarts too (graceful, AOF): the delayed sorted set is on disk.
    restart_with_pending_schedule(&store, || redis.restart()).await;
}

/// Schedules a conversation-level deletion, stops the app before it is due, runs `between`, then
/// starts a new app on the same store and checks that it carries the deletion out on time.
async fn restart_with_pending_schedule(store: &str, between: impl FnOnce()) {
    let fake = FakeApi::start().await;
    for i in 0..3 {
        fake.add_message(
            "conv-r",
            message(
                &format!("m-{i}"),
                "user",
                &[],
                "web",
                json!({"type": "text", "text": "hi"}),
            ),
        );
    }
    let rules = r#"
[[policy.retention]]
name = "conversation created: empty it after 7 s"
action = "delete_conversation_messages"
after_seconds = 7
"#;
    let app = spawn_with_store(&fake, store, rules).await;
    let posted = Instant::now();
    let created = json!({
        "id": "ec1", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:create",
        "payload": {"conversation": {"id": "conv-r", "type": "personal"},
            "creationReason": "message", "source": {"type": "web"}}
    });
    let r = app
        .post_sunshine("/webhooks/sunshine", &sc_envelope(vec![created]), SC_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.store.stats().await.unwrap().delayed, 1);
    // Stopping can take up to ~5 s (open keep-alive connections); the workers run meanwhile,
    // so the delay is longer than that: the deletion must come from the second process.
    let stopping = Instant::now();
    app.stop().await;
    assert!(
        fake.writes().is_empty(),
        "ran before the restart (stop took {:?})",
        stopping.elapsed()
    );
    between();

    let app = spawn_with_store(&fake, store, rules).await;
    let stats = app.store.stats().await.unwrap();
    // Still queued. On a loaded machine the stop + restart can outlast the delay, and the new
    // workers lease the item at once: delayed or already leased, but there exactly once.
    assert_eq!(
        (stats.delayed + stats.ready + stats.leased, stats.dead),
        (1, 0),
        "{stats:?}"
    );
    wait_for(Duration::from_secs(15), || {
        fake.messages("conv-r").is_empty()
    })
    .await;
    assert!(posted.elapsed() >= Duration::from_secs(7));
    assert_eq!(
        deletes(&fake),
        vec!["/v2/apps/app1/conversations/conv-r/messages"]
    );
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn ai_after_delay_deletes_only_ai_messages_once_the_delay_passed() {
    let fake = FakeApi::start().await;
    let ai = message(
        "ai-1",
        "business",
        &["AI"],
        "zd:answerBot",
        json!({"type": "text", "text": "I can help with your prescription"}),
    );
    let ai_by_source = message(
        "ai-2",
        "business",
        &[],
        "ultimate",
        json!({"type": "text", "text": "anything else?"}),
    );
    let user = message(
        "u-1",
        "user",
        &[],
        "web",
        json!({"type": "text", "text": "thanks"}),
    );
    let agent = message(
        "agent-1",
        "business",
        &["agent"],
        "zd:agentWorkspace",
        json!({"type": "text", "text": "Hi, this is Sam"}),
    );
    for m in [&ai, &ai_by_source, &user, &agent] {
        fake.add_message("conv-ai", m.clone());
    }
    let data = tempfile::tempdir().unwrap();
    let app = spawn_on(
        &fake,
        data.path(),
        "[policy]\nai_agent_deletion = \"after_delay\"\nai_agent_delete_after_seconds = 2\n",
    )
    .await;
    let body = sc_envelope(vec![
        message_event("a1", "conv-ai", &ai),
        message_event("a2", "conv-ai", &ai_by_source),
        message_event("a3", "conv-ai", &user),
        message_event("a4", "conv-ai", &agent),
    ]);
    let posted = Instant::now();
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
            .await
            .status(),
        200
    );
    assert_eq!(app.store.stats().await.unwrap().delayed, 2);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(fake.writes().is_empty(), "deleted too early");

    wait_for(Duration::from_secs(10), || {
        fake.messages("conv-ai").len() == 2
    })
    .await;
    assert!(posted.elapsed() >= Duration::from_secs(2));
    assert_eq!(
        deletes(&fake),
        vec![
            "/v2/apps/app1/conversations/conv-ai/messages/ai-1",
            "/v2/apps/app1/conversations/conv-ai/messages/ai-2",
        ]
    );
    let left: Vec<String> = fake
        .messages("conv-ai")
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, vec!["u-1", "agent-1"]);
    app.stop().await;
    fake.stop().await;
}

#[test]
fn config_checks_ai_ticket_modes_and_bad_schedules() {
    use phi_guard::config::Config;
    for mode in ["soft_delete", "soft_delete_then_permanent"] {
        let c = Config::from_toml_str(&format!("[policy]\nai_ticket = \"{mode}\"\n"))
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(c.policy.ai_ticket.as_str(), mode);
    }
    // Redacting AI comments needs to know who the AI agent is in Zendesk.
    let err = Config::from_toml_str("[policy]\nai_ticket = \"redact_ai_comments\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("ingest.author.ai_zendesk_user_ids"), "{err}");
    assert!(
        Config::from_toml_str(
            "[ingest.author]\nai_zendesk_user_ids = [42]\n[policy]\nai_ticket = \"redact_ai_comments\"\n"
        )
        .is_ok()
    );
    let err = Config::from_toml_str("[policy]\nai_ticket = \"shred_ticket\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ai_ticket") || err.contains("shred_ticket"),
        "{err}"
    );
    assert!(Config::from_toml_str("[policy]\nai_ticket = \"keep\"\n").is_ok());
    let err = Config::from_toml_str(
        "[[policy.retention]]\naction = \"delete_message\"\nafter_hours = 1\nafter_seconds = 5\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("policy.retention[0].after_hours"), "{err}");
    let err = Config::from_toml_str("[[policy.retention]]\naction = \"shred\"\nafter_hours = 1\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("shred") || err.contains("action"), "{err}");
    let ok = Config::from_toml_str(
        "[[policy.retention]]\nmatch_channel = \"whatsapp\"\nmatch_author = \"end_user\"\naction = \"delete_conversation\"\nafter_hours = 720\n",
    )
    .unwrap();
    assert_eq!(ok.policy.retention.len(), 1);
    assert_eq!(ok.policy.retention[0].delay_ms(), Some(720 * 3_600_000));
}
