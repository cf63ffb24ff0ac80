//! The reconciliation sweep against the fake Zendesk / Sunshine APIs: PHI whose webhook never
//! arrived is found and redacted by the worker (periodic mode in `serve`); actions a webhook
//! already caused are not enqueued again (audit mode, where a re-scan would find the same PHI);
//! `phi-guard sweep` killed with SIGKILL mid-page resumes from its stored cursor without losing
//! or duplicating work; 429 `Retry-After` is honoured; a canary never leaves the process.
//!
//! The incremental-export shape the fake serves (`after_cursor`, `end_of_stream`) follows
//! Zendesk's public docs; the project's API reference does not describe it (UNCONFIRMED there).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use phi_guard::config::Config;
use phi_guard::store::Store;
use phi_guard::sweep::{Start, SweepError, Sweeper};

use crate::support::fake_api::{FakeApi, FakeComment, Fault, message};
use crate::support::*;
use crate::webhook_zendesk::comment_added;

const APP_ID: &str = "5ebee0975ac5304b664a12fa";

const PHI_HTML: &str = "<div class=\"zd-comment\"><p>Hi, my SSN is 536-22-8107 and my date of birth is 03/14/1962. Call me at (415) 555-0172.</p></div>";
const PHI_BODY: &str =
    "Hi, my SSN is 536-22-8107 and my date of birth is 03/14/1962. Call me at (415) 555-0172.";

/// API credentials for tenants `default` and `acme` on the fake (enforce mode needs both),
/// fast sweep pacing for tenant `default` only, then `extra` (more `[sweep]` keys).
fn sweep_toml(fake: &FakeApi, mode: &str, extra: &str) -> String {
    let mut t = format!("\n[policy]\nmode = \"{mode}\"\n");
    t.push_str(&fake.tenants_toml(60000, Some(APP_ID)));
    t + &format!(
        r#"
[sweep]
tenants = ["default"]
export_requests_per_minute = 60000
requests_per_minute = 60000
backoff_base_ms = 50
progress_interval_seconds = 1
{extra}
"#
    )
}

fn config(dir: &std::path::Path, fake: &FakeApi, mode: &str, extra: &str) -> Config {
    config_with(&embedded_store(dir), fake, mode, extra)
}

fn config_with(store_section: &str, fake: &FakeApi, mode: &str, extra: &str) -> Config {
    let base = base_toml(store_section);
    Config::from_toml_layers(&[&base, &sweep_toml(fake, mode, extra)])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn now_secs() -> u64 {
    phi_guard::store::now_ms() / 1000
}

/// A ticket in the export with one comment (and optionally an attachment) by an end user.
fn ticket(fake: &FakeApi, id: u64, updated: u64, comment_id: u64, html: &str, file: Option<&str>) {
    fake.export_ticket(
        id,
        updated,
        json!({"subject": "Question", "via": {"channel": "web"}}),
    );
    fake.add_comment(
        id,
        FakeComment {
            id: comment_id,
            html_body: html.into(),
            public: true,
            attachments: file
                .map(|f| vec![(comment_id + 1, f.to_string())])
                .unwrap_or_default(),
        },
    );
    fake.comment_author(comment_id, 8447388090495, "end-user");
}

/// Progress lines collected in memory.
fn sink() -> (phi_guard::sweep::ProgressSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    (
        Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string())),
        lines,
    )
}

async fn sweeper(app: &TestApp, cfg: &Config) -> (Sweeper, Arc<Mutex<Vec<String>>>) {
    let (progress, lines) = sink();
    let s = Sweeper::from_config(cfg, app.store.clone(), app.metrics.clone(), progress)
        .await
        .unwrap();
    (s, lines)
}

fn no_stop() -> watch::Receiver<bool> {
    // The sender is leaked on purpose: the receiver must never see "changed".
    let (tx, rx) = watch::channel(false);
    std::mem::forget(tx);
    rx
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..600 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn periodic_sweep_finds_phi_missed_by_webhooks_and_the_worker_redacts_it() {
    init_logs();
    let fake = FakeApi::start().await;
    let now = now_secs();
    ticket(
        &fake,
        101,
        now - 600,
        1011,
        PHI_HTML,
        Some("Jane_Doe_SSN_536-22-8107.pdf"),
    );
    ticket(
        &fake,
        102,
        now - 500,
        1021,
        "<p>Thanks, all good now.</p>",
        None,
    );
    // Deleted tickets are listed by the export and skipped (their comments would 404).
    fake.export_ticket(103, now - 400, json!({"status": "deleted"}));
    // Updated before the lookback window: not swept.
    ticket(&fake, 104, now - 7200, 1041, PHI_HTML, None);
    // A malformed export entry (string id): skipped and counted, the walk goes on.
    fake.export_ticket(105, now - 450, json!({"id": "not-a-number"}));

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &fake,
        "enforce",
        "enabled = true\ninterval_seconds = 10\nlookback = \"1h\"\npage_size = 2",
    );
    let app = TestApp::start(cfg, dir).await;

    wait_for("the swept comment to be redacted", || {
        fake.comment(101, 1011)
            .is_some_and(|c| !c.html_body.contains("536-22-8107") && c.html_body.contains('▇'))
    })
    .await;
    wait_for("the attachment to be redacted", || {
        fake.comment(101, 1011)
            .is_some_and(|c| c.attachments[0].1 == "redacted.txt")
    })
    .await;
    wait_for("the run to finish", || {
        app.metric(
            "phi_guard_sweep_runs_total",
            &[("source", "zendesk"), ("outcome", "complete")],
        ) >= 1.0
    })
    .await;
    let c = fake.comment(101, 1011).unwrap();
    assert!(!c.html_body.contains("555-0172"), "{}", c.html_body);
    // Nothing written for the clean, the deleted or the out-of-window ticket.
    let writes = fake.writes();
    assert!(
        writes.iter().all(|r| !r.path.contains("/102")
            && !r.path.contains("/103")
            && !r.path.contains("/104")),
        "{writes:?}"
    );
    let reads: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !reads.iter().any(|p| p.contains("tickets/103/comments")),
        "{reads:?}"
    );
    assert!(
        !reads.iter().any(|p| p.contains("tickets/104/comments")),
        "{reads:?}"
    );
    assert_eq!(
        app.metric(
            "phi_guard_sweep_items_scanned_total",
            &[("source", "zendesk"), ("kind", "ticket")]
        ),
        3.0
    );
    assert_eq!(
        app.metric(
            "phi_guard_sweep_errors_total",
            &[("source", "zendesk"), ("reason", "parse")]
        ),
        1.0
    );
    assert!(
        app.metric(
            "phi_guard_sweep_actions_total",
            &[("source", "zendesk"), ("outcome", "enqueued")]
        ) >= 3.0,
        "redact comment, redact attachment, tag"
    );
    // The cursor is stored and complete; the stream continues from it next time.
    let cursor: serde_json::Value = serde_json::from_str(
        &app.store
            .get_cursor("sweep:default:zendesk")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(cursor["complete"], true, "{cursor}");
    assert!(cursor["cursor"].as_str().is_some(), "{cursor}");
    // What the sweep read stays in memory: not in logs, metrics, the audit trail or store files.
    let mut hay = logs().into_bytes();
    hay.extend(app.metrics.encode().into_bytes());
    hay.extend(app.store.audit_tail(1000).await.unwrap().concat());
    walk(app.dir.path(), &mut hay);
    let hay = String::from_utf8_lossy(&hay);
    for v in [
        "536-22-8107",
        "536228107",
        "555-0172",
        "03/14/1962",
        "Jane_Doe",
    ] {
        assert!(!hay.contains(v), "{v:?} leaked");
    }
    app.stop().await;
    fake.stop().await;
}

#[tokio::test]
async fn sweep_after_a_processed_webhook_enqueues_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let store = embedded_store(dir.path());
    webhook_then_sweep(&store, dir).await;
}

#[tokio::test]
async fn sweep_after_a_processed_webhook_enqueues_nothing_more_on_redis() {
    let Some(redis) = crate::support::redis_server::RedisServer::start() else {
        return;
    };
    let store = format!(
        "[store]\nbackend = \"redis\"\nredis_url = \"{}\"\nredis_prefix = \"it-sweep\"\n",
        redis.url()
    );
    webhook_then_sweep(&store, tempfile::tempdir().unwrap()).await;
}

/// Webhooks first (audit mode: the worker acknowledges them), then sweeps: only what no
/// webhook caused is enqueued, once.
async fn webhook_then_sweep(store: &str, dir: tempfile::TempDir) {
    init_logs();
    let fake = FakeApi::start().await;
    let now = now_secs();
    // Ticket 5158: the description (first comment) `comment_added` carries in `detail`, then
    // comment 9876543210, the one it describes (end user, public).
    ticket(
        &fake,
        5158,
        now - 300,
        1001,
        "<p>Hello, I have a question about my order.</p>",
        None,
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
    fake.comment_author(9876543210, 8447388090495, "end-user");
    // A second ticket whose webhook was lost.
    ticket(&fake, 5200, now - 200, 52001, PHI_HTML, None);
    // A third whose PHI is in the description (first comment): webhooks carry it as
    // `detail.description` of a later `comment_added`.
    ticket(&fake, 5300, now - 100, 53001, PHI_HTML, None);
    fake.add_comment(
        5300,
        FakeComment {
            id: 53002,
            html_body: "<p>Any news?</p>".into(),
            public: true,
            attachments: vec![],
        },
    );

    // Audit mode: nothing is redacted, so a re-scan finds the same PHI again.
    let cfg = config_with(store, &fake, "audit", "");
    let app = TestApp::start(cfg.clone(), dir).await;
    let r = app
        .post_zendesk(
            "/webhooks/zendesk",
            &comment_added("ev-sweep-dedupe-1", PHI_BODY, true),
            ZD_SECRET,
        )
        .await;
    assert_eq!(r.status(), 200);
    let desc = serde_json::to_vec(&json!({
        "account_id": 22129848, "id": "ev-sweep-dedupe-2",
        "type": "zen:event-type:ticket.comment_added", "subject": "zen:ticket:5300",
        "time": "2025-01-08T14:25:30.12Z", "zendesk_event_version": "2022-11-06",
        "detail": {"id": "5300", "description": PHI_BODY, "via": {"channel": "web"}},
        "event": {"comment": {"id": 53002, "body": "Any news?", "is_public": true,
                  "author": {"id": 8447388090495u64, "is_staff": false}}}
    }))
    .unwrap();
    let r = app
        .post_zendesk("/webhooks/zendesk", &desc, ZD_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    app.drain().await;
    let before = app.audit().await;
    let webhook_work: std::collections::BTreeSet<String> = before
        .iter()
        .map(|r| r["work_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        webhook_work.len(),
        4,
        "2 × (redact_comment + tag_ticket): {before:?}"
    );

    let (s, _) = sweeper(&app, &cfg).await;
    let stats = s
        .sweep_zendesk("default", Start::Since(now - 3600), no_stop())
        .await
        .unwrap();
    assert_eq!((stats.tickets, stats.comments), (3, 5));
    // Tickets 5158 and 5300: every action is the webhooks' (same work ids) → deduplicated,
    // although the worker already acknowledged them. Ticket 5200 (webhook lost): redaction +
    // tag, new.
    assert_eq!(stats.actions_deduplicated, 4, "{stats:?}");
    assert_eq!(stats.actions_enqueued, 2, "{stats:?}");
    app.drain().await;
    let after = app.audit().await;
    let new: Vec<_> = after[before.len()..].to_vec();
    assert_eq!(new.len(), 2, "{new:?}");
    for r in &new {
        assert!(
            !webhook_work.contains(r["work_id"].as_str().unwrap()),
            "{r}"
        );
        assert_eq!(r["object"]["ticket_id"], 5200, "{r}");
    }

    // A second sweep of the same window enqueues nothing at all.
    let again = s
        .sweep_zendesk("default", Start::Restart(now - 3600), no_stop())
        .await
        .unwrap();
    assert_eq!((again.actions_enqueued, again.actions_deduplicated), (0, 6));
    app.drain().await;
    assert_eq!(app.audit().await.len(), after.len());

    // Sunshine: an end-user file message is found once; a second sweep dedupes it.
    fake.add_message(
        "conv-1",
        message(
            "msg-1",
            "user",
            &[],
            "web",
            json!({"type": "file", "mediaUrl": format!("{}{APP_ID}/a.pdf", phi_guard_media()), "altText": "a.pdf"}),
        ),
    );
    let convs = vec!["conv-1".to_string()];
    let sc = s
        .sweep_sunshine("default", &convs, Start::Since(0), no_stop())
        .await
        .unwrap();
    // Delete the message + remove its attachment + the audit-only `tag_ticket` (no linked ticket).
    assert_eq!((sc.messages, sc.actions_enqueued), (1, 3), "{sc:?}");
    let sc2 = s
        .sweep_sunshine("default", &convs, Start::Restart(0), no_stop())
        .await
        .unwrap();
    assert_eq!(
        (sc2.actions_enqueued, sc2.actions_deduplicated),
        (0, 3),
        "{sc2:?}"
    );
    // Continuing goes back to where the last run started (minus a minute), not to `since`: the
    // old message is not read again.
    let sc3 = s
        .sweep_sunshine("default", &convs, Start::Continue(None), no_stop())
        .await
        .unwrap();
    assert_eq!((sc3.messages, sc3.complete), (0, true), "{sc3:?}");
    app.drain().await;
    let kinds: Vec<String> = app
        .audit()
        .await
        .iter()
        .filter(|r| r["source"] == "sunshine")
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    // The conversations phi-guard acted on can be swept without naming them.
    assert_eq!(
        phi_guard::sweep::known_conversations(app.store.as_ref(), "default", 1000)
            .await
            .unwrap(),
        vec!["conv-1".to_string()]
    );
    assert!(
        phi_guard::sweep::known_conversations(app.store.as_ref(), "acme", 1000)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
    fake.stop().await;
}

fn phi_guard_media() -> &'static str {
    crate::support::fake_api::MEDIA_BASE
}

#[tokio::test]
async fn rate_limited_requests_wait_for_retry_after() {
    init_logs();
    let fake = FakeApi::start().await;
    let now = now_secs();
    ticket(&fake, 301, now - 300, 3011, PHI_HTML, None);
    fake.script(
        "GET",
        "/incremental/tickets/cursor.json",
        Some(1),
        Fault::Status(429, Some("1".into())),
    );
    fake.script(
        "GET",
        "/tickets/301/comments",
        Some(1),
        Fault::Status(429, Some("1".into())),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, "audit", "");
    let app = TestApp::start(cfg.clone(), dir).await;
    let (s, lines) = sweeper(&app, &cfg).await;
    let started = Instant::now();
    let stats = s
        .sweep_zendesk("default", Start::Since(now - 3600), no_stop())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stats.retries, 2);
    assert_eq!(stats.actions_enqueued, 2);
    let reqs = fake.requests();
    let at = |needle: &str| -> Vec<Instant> {
        reqs.iter()
            .filter(|r| r.path.contains(needle))
            .map(|r| r.at)
            .collect()
    };
    for needle in ["/incremental/tickets/cursor.json", "/tickets/301/comments"] {
        let t = at(needle);
        assert_eq!(t.len(), 2, "{needle}: {t:?}");
        assert!(
            t[1].duration_since(t[0]) >= Duration::from_millis(950),
            "{needle}: retried after {:?}",
            t[1].duration_since(t[0])
        );
    }
    assert_eq!(
        app.metric(
            "phi_guard_sweep_errors_total",
            &[("source", "zendesk"), ("reason", "rate_limited")]
        ),
        2.0
    );
    // A permanent error ends the run with an error and keeps the cursor where it was.
    fake.script(
        "GET",
        "/incremental/tickets/cursor.json",
        None,
        Fault::Status(403, None),
    );
    let position = |v: Option<String>| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&v.unwrap()).unwrap()["cursor"].clone()
    };
    let before = position(app.store.get_cursor("sweep:default:zendesk").await.unwrap());
    let err = s
        .sweep_zendesk("default", Start::Continue(None), no_stop())
        .await
        .unwrap_err();
    assert!(matches!(err, SweepError::Api(_)), "{err}");
    assert_eq!(
        position(app.store.get_cursor("sweep:default:zendesk").await.unwrap()),
        before
    );
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("sweep failed"))
    );
    app.stop().await;
    fake.stop().await;
}

/// Unique values that must never leave the process's memory.
const CANARY_SSN: &str = "547-81-2290";
const CANARY_NAME: &str = "Zebulon Quackenbush";

fn canary_html(ticket: u64) -> String {
    format!("<p>Patient {CANARY_NAME}, SSN {CANARY_SSN}, DOB 11/23/1941 (ticket {ticket}).</p>")
}

fn walk(dir: &std::path::Path, out: &mut Vec<u8>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.extend(std::fs::read(&p).unwrap_or_default());
        }
    }
}

#[tokio::test]
async fn cli_sweep_killed_mid_page_resumes_from_its_cursor_without_losing_or_duplicating() {
    let fake = FakeApi::start().await;
    let now = now_secs();
    for t in 401..=406u64 {
        ticket(
            &fake,
            t,
            now - 1000 + t,
            t * 10,
            &canary_html(t),
            Some(&format!(
                "{}_{CANARY_SSN}.pdf",
                CANARY_NAME.replace(' ', "_")
            )),
        );
    }
    // Page 3 = tickets 405, 406. 406's comments hang: the process is killed while reading them,
    // after 405's actions were submitted and before the page's cursor was stored.
    fake.script(
        "GET",
        "/tickets/406/comments",
        Some(1),
        Fault::Delay(Duration::from_secs(30)),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("phi-guard.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "{}{}",
            base_toml(&embedded_store(dir.path())),
            sweep_toml(&fake, "audit", "page_size = 2")
        ),
    )
    .unwrap();
    let run = |since: &str| {
        phi_guard_cmd()
            .args(["sweep", "--since", since, "--config"])
            .arg(&cfg_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = run("1h");
    wait_for("the first run to reach ticket 406", || {
        fake.requests()
            .iter()
            .any(|r| r.path.contains("/tickets/406/comments"))
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    let out1 = first.wait_with_output().unwrap();
    assert!(!out1.status.success());
    let n_before = fake.requests().len();

    // The same command again (a different --since: the interrupted window wins).
    let second_child = run("2h");
    let second = tokio::task::spawn_blocking(move || second_child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr).to_string();
    let stdout = String::from_utf8_lossy(&second.stdout).to_string();
    assert!(second.status.success(), "{stderr}");
    assert!(stderr.contains("resumed=true"), "{stderr}");
    assert!(stderr.contains("sweep complete"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    // Resumed at page 3: 405 again (its 3 actions already submitted → deduplicated), then 406.
    assert_eq!(summary["tickets"], 2, "{summary}");
    assert_eq!(summary["actions_deduplicated"], 3, "{summary}");
    assert_eq!(summary["actions_enqueued"], 3, "{summary}");
    assert_eq!(summary["resumed"], true);
    let second_reqs: Vec<String> = fake.requests()[n_before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        second_reqs[0].contains("cursor.json?cursor=c"),
        "resumed from the stored export cursor: {second_reqs:?}"
    );
    for t in 401..=404 {
        assert!(
            !second_reqs
                .iter()
                .any(|p| p.contains(&format!("/tickets/{t}/"))),
            "ticket {t} re-read: {second_reqs:?}"
        );
    }

    // Every ticket's work is queued exactly once: comment + attachment redaction + tag.
    let store = phi_guard::store::embedded::EmbeddedStore::open(&dir.path().join("store")).unwrap();
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.ready, 6 * 3, "{stats:?}");
    let leased = store
        .lease("t", 100, Duration::from_secs(60))
        .await
        .unwrap();
    let mut per_ticket = std::collections::BTreeMap::<u64, Vec<String>>::new();
    for l in &leased {
        let a: serde_json::Value = serde_json::from_slice(&l.payload).unwrap();
        per_ticket
            .entry(a["object"]["ticket_id"].as_u64().unwrap())
            .or_default()
            .push(l.kind.clone());
    }
    assert_eq!(per_ticket.len(), 6, "{per_ticket:?}");
    for (t, kinds) in &per_ticket {
        let mut k = kinds.clone();
        k.sort();
        assert_eq!(
            k,
            ["redact_attachment", "redact_comment", "tag_ticket"],
            "ticket {t}"
        );
    }
    drop(leased);
    drop(store);

    // The canary: not on stderr / stdout of either run, not in the store files.
    let mut hay = Vec::new();
    hay.extend(out1.stderr);
    hay.extend(out1.stdout);
    hay.extend(second.stderr);
    hay.extend(second.stdout);
    walk(dir.path(), &mut hay);
    // (The config file holds no canary; the store directory is under the same temp dir.)
    let hay = String::from_utf8_lossy(&hay);
    for c in [
        CANARY_SSN,
        "547812290",
        CANARY_NAME,
        "Quackenbush",
        "11/23/1941",
    ] {
        assert!(!hay.contains(c), "canary {c:?} found");
    }
    assert!(stderr.contains("sweep progress") || stderr.contains("sweep complete"));
    fake.stop().await;
}

#[tokio::test]
async fn cli_sweep_exit_codes_and_argument_errors() {
    let fake = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("phi-guard.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "{}{}",
            base_toml(&embedded_store(dir.path())),
            sweep_toml(&fake, "audit", "")
        ),
    )
    .unwrap();
    // Off the test's runtime thread: the fake API is served by it.
    let run = |args: &[&str]| {
        let mut cmd = phi_guard_cmd();
        cmd.arg("sweep").args(args).arg("--config").arg(&cfg_path);
        async move {
            tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap()
        }
    };
    // No stored cursor and no --since.
    let o = run(&[]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--since"));
    for bad in [
        &["--since", "yesterday"][..],
        &["--since", "2999-01-01T00:00:00Z"],
        &["--source", "sunshine", "--since", "1h"],
        &[
            "--source",
            "sunshine",
            "--known-conversations",
            "--since",
            "1h",
        ],
        &["--conversation", "c1", "--since", "1h"],
        &["--tenant", "nope", "--since", "1h"],
        &["--every", "0m", "--since", "1h"],
    ] {
        let o = run(bad).await;
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
    }
    // An empty account: exit 0 with a summary on stdout.
    let o = run(&["--since", "1h"]).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (s["tickets"].as_u64(), s["complete"].as_bool()),
        (Some(0), Some(true))
    );
    // Now a cursor is stored: a bare `sweep` continues it.
    let o = run(&[]).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    fake.stop().await;
}

#[tokio::test]
async fn swept_messages_schedule_retention_from_their_arrival_not_from_the_sweep() {
    init_logs();
    let fake = FakeApi::start().await;
    // Received long ago / one minute ago; the rule deletes web messages of end users after 1 h.
    let old = "2026-01-01T00:00:00.000Z";
    let recent_ms = phi_guard::store::now_ms() - 60_000;
    let recent = chrono::DateTime::from_timestamp_millis(recent_ms as i64)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    for (id, received) in [("m-old", old), ("m-new", recent.as_str())] {
        let mut m = message(
            id,
            "user",
            &[],
            "web",
            json!({"type": "text", "text": "hello"}),
        );
        m["received"] = json!(received);
        fake.add_message("conv-r", m);
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &fake,
        "audit",
        r#"
[[policy.retention]]
name = "web end-user messages: 1 h"
match_channel = "web"
match_author = "end_user"
action = "delete_message"
after_hours = 1
"#,
    );
    let mut cfg = cfg;
    cfg.server.worker_enabled = false;
    let app = TestApp::start(cfg.clone(), dir).await;
    let (s, _) = sweeper(&app, &cfg).await;
    let stats = s
        .sweep_sunshine(
            "default",
            &["conv-r".to_string()],
            Start::Since(0),
            no_stop(),
        )
        .await
        .unwrap();
    assert_eq!(
        (stats.messages, stats.actions_enqueued),
        (2, 2),
        "{stats:?}"
    );
    // The old message's deadline has passed: due now. The recent one waits ~59 minutes.
    let q = app.store.stats().await.unwrap();
    assert_eq!((q.ready + q.delayed, q.delayed), (2, 1), "{q:?}");
    let leased = app
        .store
        .lease("t", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(leased.len(), 1);
    let a: serde_json::Value = serde_json::from_slice(&leased[0].payload).unwrap();
    assert_eq!(a["object"]["message_id"], "m-old");
    let old_ms = chrono::DateTime::parse_from_rfc3339(old)
        .unwrap()
        .timestamp_millis() as u64;
    assert_eq!(a["not_before_ms"], json!(old_ms + 3_600_000));
    app.stop().await;
    fake.stop().await;
}

#[test]
fn sweep_tenants_must_have_zendesk_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let base = base_toml(&embedded_store(dir.path()));
    let err = Config::from_toml_layers(&[
        &base,
        "[sweep]\ntenants = [\"default\", \"nope\"]\nlookback = \"1x\"",
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("sweep.tenants[0]"), "{err}");
    assert!(err.contains("sweep.tenants[1]"), "{err}");
    assert!(err.contains("sweep.lookback"), "{err}");
    let err = Config::from_toml_layers(&[&base, "[sweep]\nenabled = true"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("sweep.enabled"), "{err}");
}

fn sigterm(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[tokio::test]
async fn cli_sweep_stops_promptly_on_sigterm() {
    let fake = FakeApi::start().await;
    let now = now_secs();
    ticket(&fake, 501, now - 300, 5011, PHI_HTML, None);
    fake.script(
        "GET",
        "/tickets/501/comments",
        Some(1),
        Fault::Delay(Duration::from_secs(30)),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("phi-guard.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "{}{}",
            base_toml(&embedded_store(dir.path())),
            sweep_toml(&fake, "audit", "")
        ),
    )
    .unwrap();
    let spawn = |args: &[&str]| {
        phi_guard_cmd()
            .arg("sweep")
            .args(args)
            .arg("--config")
            .arg(&cfg_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // One-shot, stopped while a request hangs: the request is abandoned, exit 2.
    let child = spawn(&["--since", "1h"]);
    wait_for("the hanging request", || {
        fake.requests()
            .iter()
            .any(|r| r.path.contains("/tickets/501/comments"))
    })
    .await;
    let stopped_at = Instant::now();
    sigterm(child.id());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        stopped_at.elapsed() < Duration::from_secs(10),
        "{:?}",
        stopped_at.elapsed()
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sweep interrupted"), "{stderr}");

    // Periodic: the resumed run completes, then SIGTERM while waiting ends with 0.
    let child = spawn(&["--every", "1h"]);
    wait_for("the periodic run to finish", || {
        fake.requests()
            .iter()
            .filter(|r| r.path.contains("/tickets/501/comments"))
            .count()
            >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sigterm(child.id());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("resumed=true"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(summary["actions_enqueued"], 2, "{summary}");
    fake.stop().await;
}

/// Sweep throughput against the in-process fake (no API limits): `cargo test --test it
/// sweep_throughput -- --ignored --nocapture`. Prints tickets/s; asserts only completeness.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn sweep_throughput() {
    init_logs();
    let fake = FakeApi::start().await;
    let now = now_secs();
    const N: u64 = 1000;
    for t in 1..=N {
        let html = if t % 10 == 0 {
            PHI_HTML.to_string()
        } else {
            format!("<p>Order {t} arrived late, please check the tracking page.</p>")
        };
        ticket(&fake, 10_000 + t, now - 3000 + t, t * 100, &html, None);
        fake.add_comment(
            10_000 + t,
            FakeComment {
                id: t * 100 + 1,
                html_body: "<p>Thanks, we are looking into it.</p>".into(),
                public: true,
                attachments: vec![],
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake, "audit", "page_size = 1000");
    let mut cfg = cfg;
    cfg.server.worker_enabled = false;
    let app = TestApp::start(cfg.clone(), dir).await;
    let (s, _) = sweeper(&app, &cfg).await;
    let started = Instant::now();
    let stats = s
        .sweep_zendesk("default", Start::Since(now - 3600), no_stop())
        .await
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(stats.tickets, N);
    assert_eq!(stats.actions_enqueued, N / 10 * 2);
    println!(
        "sweep_throughput: {N} tickets, {} comments, {} actions in {secs:.2} s = {:.0} tickets/s",
        stats.comments,
        stats.actions_enqueued,
        N as f64 / secs
    );
    app.stop().await;
    fake.stop().await;
}
