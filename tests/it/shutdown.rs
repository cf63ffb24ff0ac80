//! Graceful shutdown: readiness fails first, webhooks arriving during the drain delay are still
//! accepted, the listener then closes, and every acknowledged item is in the store afterwards.

use std::time::Duration;

use phi_guard::config::Config;

use crate::support::*;
use crate::webhook_zendesk::comment_added;

#[tokio::test]
async fn not_ready_then_drain_then_stop_without_losing_work() {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let base = base_toml(&embedded_store(dir.path()));
    let config = Config::from_toml_layers(&[
        &base,
        "[server]\nshutdown_drain_seconds = 2\nworker_enabled = false\n",
    ])
    .unwrap();
    let app = TestApp::start(config, dir).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    let handle = app.handle.clone();
    let shutdown = tokio::spawn(async move { handle.shutdown().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Not ready any more, but still serving during the drain delay.
    assert_eq!(app.get("/readyz").await.status(), 503);
    let mut accepted = Vec::new();
    for i in 0..5 {
        let id = format!("ev-drain-{i}");
        // Distinct offsets: the same redaction of the same comment would be one work item.
        let text = format!("{}my SSN is 536-22-8107", " ".repeat(i));
        let body = comment_added(&id, &text, true);
        let r = app
            .post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
            .await;
        assert_eq!(r.status(), 200, "webhook during drain");
        accepted.push(id);
    }
    shutdown.await.unwrap();
    // The listener is closed now.
    let closed = app
        .client
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(closed.is_err(), "listener still open after shutdown");

    // Every acknowledged webhook's work is in the store (durability across restarts and
    // SIGKILL is covered by `cli::serve_killed_with_sigkill_keeps_acknowledged_work`).
    let items = app
        .store
        .lease("check", 100, Duration::from_secs(30))
        .await
        .unwrap();
    for id in &accepted {
        assert!(
            items
                .iter()
                .any(|i| String::from_utf8_lossy(&i.payload).contains(id.as_str())),
            "work of {id} missing after shutdown"
        );
    }
}
