//! Hot reload: a broken rule file leaves the running rules in place (and is counted), a fixed one
//! is picked up by the file watch, and SIGHUP's `reload_all` swaps in a changed `[policy]`.

use std::path::Path;
use std::time::Duration;

use phi_guard::config::Config;

use crate::support::*;
use crate::webhook_zendesk::comment_added;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[tokio::test]
async fn broken_rules_keep_running_set_and_fixed_rules_reload_by_watch() {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("patterns");
    copy_dir(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/patterns")),
        &rules,
    );
    let base = base_toml(&embedded_store(dir.path()));
    let extra = format!(
        "[server]\nworker_enabled = false\n[patterns]\ndir = {:?}\nwatch = true\n",
        rules.display().to_string()
    );
    let config = Config::from_toml_layers(&[&base, &extra]).unwrap();
    let app = TestApp::start(config, dir).await;
    let reloads =
        |outcome: &str| app.metric("phi_guard_rules_reloads_total", &[("outcome", outcome)]);
    let successes = reloads("success");

    // Break a rule file: the reload fails, the running rules keep detecting.
    let email = rules.join("common/email.toml");
    let good = std::fs::read_to_string(&email).unwrap();
    std::fs::write(
        &email,
        format!("{good}\n[[rules]]\nid = \"broken\"\nlabel = \"EMAIL\"\nregex = \"(\"\n"),
    )
    .unwrap();
    assert!(!app.handle.reload(), "a broken rule set must not load");
    assert_eq!(reloads("failure"), 1.0);
    let body = comment_added("ev-reload-1", "SSN 536-22-8107", true);
    let r = app
        .post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
        .await;
    let rep: serde_json::Value = r.json().await.unwrap();
    assert!(
        rep["actions"].as_u64().unwrap() >= 1,
        "old rules still active: {rep}"
    );

    // Fix it: the file watch (2 s poll) reloads without any signal.
    std::fs::write(&email, &good).unwrap();
    let mut reloaded = false;
    for _ in 0..60 {
        if reloads("success") > successes {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the watch picked up the fixed rules");
    let text = app.metrics.encode();
    assert!(text.contains("phi_guard_rules_loaded{label=\"EMAIL\"}"));
    app.stop().await;
}

#[tokio::test]
async fn sighup_reload_swaps_the_policy_from_the_config_file() {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("phi-guard.toml");
    let base = base_toml(&embedded_store(dir.path()));
    let write = |tag: &str| {
        std::fs::write(
            &file,
            format!("{base}\n[policy]\ntags = [\"{tag}\"]\n")
                .replace("[server]\n", "[server]\nworker_enabled = false\n"),
        )
        .unwrap()
    };
    write("first-tag");
    let config = Config::load_from(Some(&file), &[]).unwrap();
    let app = TestApp::start(config, tempfile::tempdir().unwrap()).await;

    let tags_of_new_work = |items: &[phi_guard::store::Leased]| -> Vec<String> {
        items
            .iter()
            .filter(|i| i.kind == "tag_ticket")
            .flat_map(|i| {
                let a: serde_json::Value = serde_json::from_slice(&i.payload).unwrap();
                a["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let body = comment_added("ev-pol-1", "SSN 536-22-8107", true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
            .await
            .status(),
        200
    );
    let items = app
        .store
        .lease("t", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(tags_of_new_work(&items), vec!["first-tag"]);

    // An invalid file changes nothing.
    std::fs::write(&file, "[policy]\ntags = 5\n").unwrap();
    assert!(!app.handle.reload_all());
    // A valid change is swapped in.
    write("second-tag");
    assert!(app.handle.reload_all());
    let body = comment_added("ev-pol-2", "SSN is 536-22-8107", true);
    assert_eq!(
        app.post_zendesk("/webhooks/zendesk", &body, ZD_SECRET)
            .await
            .status(),
        200
    );
    let items = app
        .store
        .lease("t", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(tags_of_new_work(&items), vec!["second-tag"]);
    app.stop().await;
}
