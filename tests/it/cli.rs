//! The binary: `scan` exit codes and formats, `patterns check`, `sign`, `config-check`, and a
//! `serve` process killed with SIGKILL after acknowledging a webhook — the work survives.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

fn bin() -> Command {
    phi_guard_cmd()
}

fn run(mut c: Command, stdin: &[u8]) -> (i32, String, String) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn scan_exit_codes_like_grep() {
    let mut c = bin();
    c.arg("scan");
    let (code, out, _) = run(c, b"Call me at (415) 555-0172 about SSN 536-22-8107\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PHONE") && out.contains("SSN"), "{out}");

    let mut c = bin();
    c.arg("scan");
    let (code, _, _) = run(c, b"Your order 4412 shipped with version 2.3.1 at 10:30.\n");
    assert_eq!(code, 0);

    let mut c = bin();
    c.args(["scan", "--redact"]);
    let (_, out, _) = run(c, b"SSN 536-22-8107 on file\n");
    assert!(!out.contains("536-22-8107"), "{out}");
}

#[test]
fn scan_jsonl_offsets_are_unicode_scalars() {
    let mut c = bin();
    c.args(["scan", "--format", "jsonl"]);
    let input = "{\"id\": \"a\", \"text\": \"héllo 😀 email me: zoe.martin@example.com\"}\n{\"id\": 2, \"text\": \"nothing\"}\n";
    let (code, out, err) = run(c, input.as_bytes());
    assert_eq!(code, 1, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let f = &lines[0]["findings"][0];
    assert_eq!(f["label"], "EMAIL");
    let text = "héllo 😀 email me: zoe.martin@example.com";
    let (s, e) = (
        f["start"].as_u64().unwrap() as usize,
        f["end"].as_u64().unwrap() as usize,
    );
    let got: String = text.chars().skip(s).take(e - s).collect();
    assert_eq!(got, "zoe.martin@example.com");
    assert_eq!(
        &text[f["byte_start"].as_u64().unwrap() as usize..f["byte_end"].as_u64().unwrap() as usize],
        "zoe.martin@example.com"
    );
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn scan_errors_name_the_line_and_exit_2() {
    let mut c = bin();
    c.args(["scan", "--format", "jsonl"]);
    let (code, _, err) = run(c, b"{\"id\":1,\"text\":\"ok\"}\n{not json\n");
    assert_eq!(code, 2);
    assert!(err.contains('2'), "names line 2: {err}");

    let mut c = bin();
    c.arg("scan");
    let (code, _, err) = run(c, b"bad \xff utf8\n");
    assert_eq!(code, 2, "{err}");
    assert!(!err.is_empty());
}

#[test]
fn patterns_check_and_test_pass_on_shipped_rules_and_fail_clearly() {
    let mut c = bin();
    c.args([
        "patterns",
        "check",
        "--patterns",
        concat!(env!("CARGO_MANIFEST_DIR"), "/patterns"),
    ]);
    let (code, out, err) = run(c, b"");
    assert_eq!(code, 0, "{out}{err}");
    let mut c = bin();
    c.args(["patterns", "test"]);
    let (code, out, err) = run(c, b"");
    assert_eq!(code, 0, "{out}{err}");

    let dir = tempfile::tempdir().unwrap();
    let common = dir.path().join("common");
    std::fs::create_dir_all(&common).unwrap();
    std::fs::write(
        common.join("broken.toml"),
        "[[rules]]\nid = \"x.bad\"\ndescription = \"d\"\nlabel = \"PHONE\"\nregex = \"(unclosed\"\n",
    )
    .unwrap();
    let mut c = bin();
    c.args([
        "patterns",
        "check",
        "--jurisdictions",
        "common",
        "--patterns",
    ])
    .arg(dir.path());
    let (code, out, err) = run(c, b"");
    assert_ne!(code, 0);
    let all = format!("{out}{err}");
    assert!(
        all.contains("broken.toml:"),
        "file:line: reason expected: {all}"
    );
}

#[test]
fn sign_matches_an_independent_hmac() {
    let mut c = bin();
    c.args(["sign", "--timestamp", "2025-01-01T00:00:00Z"])
        .env("PHI_GUARD_SIGN_SECRET", "s3cret");
    let (code, out, _) = run(c, b"{\"a\":1}");
    assert_eq!(code, 0);
    let expected = zd_sign("s3cret", "2025-01-01T00:00:00Z", b"{\"a\":1}");
    assert!(out.contains(&expected), "{out}");
}

#[test]
fn bad_config_names_the_key() {
    let mut c = bin();
    c.arg("config-check")
        .env("PHI_GUARD_WORKER__CONCURRENCY", "0");
    let (code, _, err) = run(c, b"");
    assert_eq!(code, 2);
    assert!(err.contains("worker.concurrency"), "{err}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_killed_with_sigkill_keeps_acknowledged_work() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("phi-guard.toml");
    let toml = |worker: bool| {
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nworker_enabled = {worker}\n[store]\npath = {:?}\n[detect]\nfingerprint_key = \"k\"\n[worker]\npoll_interval_ms = 20\n[tenants.default]\nzendesk_signing_secrets = [\"{ZD_SECRET}\"]\n",
            dir.path().join("store").display().to_string()
        )
    };
    std::fs::write(&cfg, toml(false)).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut child = bin()
        .args(["serve", "--config"])
        .arg(&cfg)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&client, &base).await;
    let body = crate::webhook_zendesk::comment_added("ev-kill-1", "SSN 536-22-8107 please", true);
    let r = post_signed(
        &client,
        &format!("{base}/webhooks/zendesk"),
        &body,
        ZD_SECRET,
    )
    .await;
    assert_eq!(r.status(), 200);
    // SIGKILL right after the acknowledgement: no graceful anything.
    child.kill().unwrap();
    child.wait().unwrap();

    std::fs::write(&cfg, toml(true)).unwrap();
    let mut child = bin()
        .args(["serve", "--config"])
        .arg(&cfg)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&client, &base).await;
    let mut found = false;
    for _ in 0..100 {
        // The embedded store is single-process (file lock): observe progress through metrics.
        let m = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metric_value(
            &m,
            "phi_guard_actions_total",
            &[("action", "redact_comment"), ("outcome", "audit_only")],
        ) >= 1.0
        {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    assert!(
        found,
        "the acknowledged redaction was processed after the restart"
    );
}
