//! Fault test: the `serve` process is killed with SIGKILL while workers have redactions in flight
//! against the fake Zendesk API; after a restart every redaction happens, exactly once in effect
//! (the re-fetch finds already-redacted comments and sends nothing more for them).

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::support::fake_api::{FakeApi, FakeComment, Fault};
use crate::support::*;

const TICKETS: u64 = 8;

fn body_for(ticket: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "account_id": 1, "id": format!("ev-kill-enf-{ticket}"),
        "type": "zen:event-type:ticket.comment_added", "subject": format!("zen:ticket:{ticket}"),
        "time": "2025-01-08T14:25:30Z", "zendesk_event_version": "2022-11-06",
        "detail": {"id": ticket.to_string(), "via": {"channel": "web"}},
        "event": {"comment": {"id": ticket * 10, "body": "My SSN is 536-22-8107, thanks.", "is_public": true,
                  "author": {"id": 7, "is_staff": false, "name": "End User"}}}
    }))
    .unwrap()
}

fn serve(cfg: &std::path::Path) -> std::process::Child {
    phi_guard_cmd()
        .args(["serve", "--config"])
        .arg(cfg)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn sigkill_mid_queue_then_restart_completes_every_redaction_once() {
    let fake = FakeApi::start().await;
    for t in 1..=TICKETS {
        fake.add_comment(
            t,
            FakeComment {
                id: t * 10,
                html_body: "<p>My SSN is 536-22-8107, thanks.</p>".into(),
                public: true,
                attachments: vec![],
            },
        );
    }
    // Slow redactions keep work in flight when the process dies.
    fake.script(
        "PUT",
        "/api/v2/comment_redactions/",
        None,
        Fault::Delay(Duration::from_millis(400)),
    );

    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("phi-guard.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
shutdown_drain_seconds = 0
[store]
path = {store:?}
[detect]
fingerprint_key = "kill-test-key"
[policy]
mode = "enforce"
tags = []
[worker]
concurrency = 2
lease_seconds = 5
poll_interval_ms = 20
backoff_base_ms = 10
backoff_cap_ms = 50
[tenants.default]
zendesk_signing_secrets = ["{ZD_SECRET}"]
[tenants.default.zendesk]
base_url = "{base}"
email = "agent@clinic.example"
api_token = "token"
requests_per_minute = 6000
"#,
            store = dir.path().join("store").display().to_string(),
            base = fake.base,
        ),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut child = serve(&cfg);
    wait_ready(&client, &base).await;
    for t in 1..=TICKETS {
        let body = body_for(t);
        let r = post_signed(
            &client,
            &format!("{base}/webhooks/zendesk"),
            &body,
            ZD_SECRET,
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    // Kill once redactions are in flight.
    for _ in 0..200 {
        if fake.requests().iter().any(|r| r.method == "PUT") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before_restart = fake.requests().iter().filter(|r| r.method == "PUT").count();
    assert!(
        before_restart < TICKETS as usize,
        "killed mid-queue, not after it"
    );

    let mut child = serve(&cfg);
    wait_ready(&client, &base).await;
    let mut done = false;
    for _ in 0..300 {
        if (1..=TICKETS).all(|t| {
            !fake
                .comment(t, t * 10)
                .unwrap()
                .html_body
                .contains("536-22-8107")
        }) {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    assert!(done, "every comment redacted after the restart");
    // Exactly once in effect: at most one extra PUT per item that was in flight when killed.
    for t in 1..=TICKETS {
        let puts = fake
            .requests()
            .iter()
            .filter(|r| {
                r.method == "PUT" && r.path == format!("/api/v2/comment_redactions/{}", t * 10)
            })
            .count();
        assert!(
            (1..=2).contains(&puts),
            "ticket {t}: {puts} redaction calls"
        );
    }
    fake.stop().await;
}
