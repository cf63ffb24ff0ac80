//! The service on a real `redis-server` (started on a free loopback port): the same flow as the
//! embedded store, and 503 + Retry-After (never a plain 500) when Redis is down.

use phi_guard::config::Config;

use crate::support::redis_server::RedisServer;
use crate::support::*;
use crate::webhook_zendesk::comment_added;

async fn spawn_with_redis(redis: &RedisServer, prefix: &str) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let store = format!(
        "[store]\nbackend = \"redis\"\nredis_url = \"{}\"\nredis_prefix = \"{prefix}\"\n",
        redis.url()
    );
    let toml = base_toml(&store);
    let config = Config::from_toml_str(&toml).unwrap_or_else(|e| panic!("{e}"));
    TestApp::start(config, dir).await
}

#[tokio::test]
async fn webhook_to_audit_on_redis_and_503_when_down() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let app = spawn_with_redis(&redis, "it-flow").await;
    let body = comment_added("ev-redis-1", "my SSN is 536-22-8107", true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
            .await
            .status(),
        200
    );
    app.drain().await;
    let audit = app.audit().await;
    assert!(
        audit.iter().any(|r| r["action"] == "redact_comment"),
        "{audit:?}"
    );
    // Duplicate across the Redis dedupe.
    let r = app
        .post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
        .await;
    let rep: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rep["duplicates"], 1);

    redis.stop();
    let body2 = comment_added("ev-redis-2", "my SSN is 536-22-8107", true);
    let r = app
        .post_zendesk("/webhooks/zendesk", &body2, ZD_SECRET)
        .await;
    assert_eq!(r.status(), 503);
    let ra: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ra > 0 && ra < 60);
    assert_eq!(app.get("/readyz").await.status(), 503);

    // Zendesk retries: once Redis is back the same delivery is accepted, not lost.
    redis.restart();
    let mut status = 0;
    for _ in 0..50 {
        status = app
            .post_zendesk("/webhooks/zendesk", &body2, ZD_SECRET)
            .await
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    app.drain().await;
    let audit = app.audit().await;
    assert!(audit.iter().any(|r| r["event_id"] == "ev-redis-2"));
    app.stop().await;
}
