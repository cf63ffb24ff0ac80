//! Checks the deployment artefacts under `k8s/` against the code they describe.
//!
//! Owns: (1) every Grafana dashboard in `k8s/dashboards/*.json` queries only metrics that
//! [`phi_guard::metrics::Metrics`] exports — histogram series (`_bucket`, `_sum`, `_count`) only
//! for histograms, never a histogram's bare name — and is well-formed (unique panel ids, a title
//! and the `${DS_PROMETHEUS}` data source on every panel, no overlapping panels, the topics the
//! runbooks rely on); (2) the Kubernetes config file `k8s/base/phi-guard.toml` is accepted by the
//! real config loader for both store backends; (3) the rule tree loads the same from the
//! per-folder ConfigMap layout of `k8s/components/rules-configmaps` (kubelet `..data` symlinks,
//! nested folders) as from `patterns/`. Must not: need a cluster, Grafana or the network.
//! Schema validation of the manifests is `scripts/validate-k8s`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use phi_guard::config::{Config, StoreBackend};
use phi_guard::detect::Detector;
use phi_guard::metrics::Metrics;
use prometheus::proto::MetricType;
use serde_json::Value;

const HISTOGRAM_SUFFIXES: [&str; 3] = ["_bucket", "_sum", "_count"];

/// Metrics the dashboard must show (the runbooks in docs/operations.md point at them).
const REQUIRED: [&str; 15] = [
    "phi_guard_webhook_requests_total",
    "phi_guard_verification_failures_total",
    "phi_guard_scan_duration_seconds",
    "phi_guard_findings_total",
    "phi_guard_actions_total",
    "phi_guard_queue_depth",
    "phi_guard_queue_oldest_age_seconds",
    "phi_guard_queue_lag_seconds",
    "phi_guard_api_requests_total",
    "phi_guard_work_retries_total",
    "phi_guard_rules_loaded",
    "phi_guard_rules_reloads_total",
    "phi_guard_rules_last_reload_success_timestamp_seconds",
    "phi_guard_store_errors_total",
    "phi_guard_webhook_requests_in_flight",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Exported family names and, for the families that have samples, their types. Every
/// histogram vector gets one observation so that its type is known too.
fn exported() -> (BTreeSet<String>, HashMap<String, MetricType>) {
    let m = Metrics::new();
    m.api_duration
        .with_label_values(&["zendesk", "test", "200"])
        .observe(0.1);
    let names: BTreeSet<String> = m.names().into_iter().collect();
    let types = m
        .registry()
        .gather()
        .iter()
        .map(|f| (f.name().to_owned(), f.get_field_type()))
        .collect();
    (names, types)
}

/// Every `phi_guard_*` identifier in a PromQL expression (not inside a longer identifier).
fn metric_names(expr: &str) -> Vec<String> {
    let re =
        regex::Regex::new(r"(?:^|[^A-Za-z0-9_:])(phi_guard_[a-z0-9_]+)").expect("static regex");
    re.captures_iter(expr).map(|c| c[1].to_owned()).collect()
}

/// Strings that Grafana sends to Prometheus: panel/target `expr`, variable `query`/`definition`.
fn queries(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match (k.as_str(), val) {
                    ("expr" | "query" | "definition", Value::String(s)) => out.push(s.clone()),
                    _ => queries(val, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| queries(i, out)),
        _ => {}
    }
}

/// All panels, including those nested in collapsed rows.
fn panels(dash: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in dash["panels"].as_array().into_iter().flatten() {
        out.push(p);
        out.extend(p["panels"].as_array().into_iter().flatten());
    }
    out
}

/// The exported family a queried series belongs to, or why it does not exist. Histogram
/// families are queried through `_bucket`, `_sum` and `_count`; their bare name has no samples.
fn classify(
    metric: &str,
    names: &BTreeSet<String>,
    types: &HashMap<String, MetricType>,
) -> Result<String, String> {
    let is_hist = |n: &str| {
        matches!(
            types.get(n),
            Some(MetricType::HISTOGRAM | MetricType::SUMMARY)
        )
    };
    if let Some(base) = HISTOGRAM_SUFFIXES
        .iter()
        .find_map(|s| metric.strip_suffix(s))
        .filter(|base| names.contains(*base) && is_hist(base))
    {
        return Ok(base.to_owned());
    }
    if names.contains(metric) && is_hist(metric) {
        return Err(format!(
            "`{metric}` is a histogram: query `{metric}_bucket`, `_sum` or `_count`"
        ));
    }
    if names.contains(metric) {
        return Ok(metric.to_owned());
    }
    Err(format!(
        "`{metric}` is not exported by phi_guard::metrics::Metrics"
    ))
}

/// Every problem of one dashboard (empty = fine).
fn check_dashboard(
    name: &str,
    text: &str,
    names: &BTreeSet<String>,
    types: &HashMap<String, MetricType>,
) -> (Vec<String>, BTreeSet<String>) {
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    let dash: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return (vec![format!("{name}: not valid JSON: {e}")], used),
    };
    if !dash["schemaVersion"].is_u64() {
        problems.push(format!("{name}: no numeric schemaVersion"));
    }
    if dash["title"].as_str().unwrap_or("").is_empty() {
        problems.push(format!("{name}: no dashboard title"));
    }

    let mut exprs = Vec::new();
    queries(&dash, &mut exprs);
    for expr in &exprs {
        for metric in metric_names(expr) {
            match classify(&metric, names, types) {
                Ok(family) => {
                    used.insert(family);
                }
                Err(why) => problems.push(format!("{name}: {why} (in `{expr}`)")),
            }
        }
    }

    let mut ids = BTreeSet::new();
    let mut boxes: Vec<(String, [i64; 4])> = Vec::new();
    for p in panels(&dash) {
        let title = p["title"].as_str().unwrap_or("");
        if title.is_empty() {
            problems.push(format!("{name}: a panel has no title"));
        }
        match p["id"].as_u64() {
            Some(id) if !ids.insert(id) => {
                problems.push(format!("{name}: duplicate panel id {id}"))
            }
            Some(_) => {}
            None => problems.push(format!("{name}: panel `{title}` has no id")),
        }
        let g = &p["gridPos"];
        let rect = ["x", "y", "w", "h"].map(|k| g[k].as_i64().unwrap_or(-1));
        if rect.iter().any(|v| *v < 0) || rect[0] + rect[2] > 24 {
            problems.push(format!("{name}: panel `{title}` has a bad gridPos"));
        }
        for (other, r) in &boxes {
            let overlap = rect[0] < r[0] + r[2]
                && r[0] < rect[0] + rect[2]
                && rect[1] < r[1] + r[3]
                && r[1] < rect[1] + rect[3];
            if overlap {
                problems.push(format!("{name}: panels `{title}` and `{other}` overlap"));
            }
        }
        boxes.push((title.to_owned(), rect));
        if p["type"] == "row" {
            continue;
        }
        if p["datasource"]["uid"] != "${DS_PROMETHEUS}" {
            problems.push(format!(
                "{name}: panel `{title}` does not use the ${{DS_PROMETHEUS}} data source"
            ));
        }
        let targets = p["targets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if targets.is_empty() {
            problems.push(format!("{name}: panel `{title}` has no query"));
        }
        for t in targets {
            if t["expr"].as_str().is_none_or(|e| !e.contains("phi_guard_")) {
                problems.push(format!(
                    "{name}: panel `{title}` has a query without a phi_guard metric"
                ));
            }
            if t["datasource"]["uid"] != "${DS_PROMETHEUS}" {
                problems.push(format!(
                    "{name}: a query of panel `{title}` does not use ${{DS_PROMETHEUS}}"
                ));
            }
        }
    }
    (problems, used)
}

fn dashboards() -> Vec<(String, String)> {
    let dir = root().join("k8s/dashboards");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn dashboards_query_only_exported_metrics() {
    let (names, types) = exported();
    let all = dashboards();
    assert!(!all.is_empty(), "no dashboards in k8s/dashboards");
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for (name, text) in &all {
        let (p, u) = check_dashboard(name, text, &names, &types);
        problems.extend(p);
        used.extend(u);
    }
    for r in REQUIRED {
        assert!(
            names.contains(r),
            "REQUIRED lists `{r}`, which Metrics does not export"
        );
        if !used.contains(r) {
            problems.push(format!("no dashboard shows `{r}`"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Files under `k8s/` (alert rules, manifests) and `docs/kubernetes.md` name only real metrics.
#[test]
fn k8s_files_and_docs_name_only_exported_metrics() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
        {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ["yaml", "yml", "json", "toml", "conf"].contains(&x))
            {
                out.push(p);
            }
        }
    }
    let (names, types) = exported();
    let mut files = Vec::new();
    walk(&root().join("k8s"), &mut files);
    files.push(root().join("docs/kubernetes.md"));
    let alerts = root().join("k8s/base/prometheusrule.yaml");
    assert!(files.contains(&alerts), "alert rules not found");
    let mut problems = Vec::new();
    let mut seen = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for metric in metric_names(&text) {
            seen += 1;
            if let Err(why) = classify(&metric, &names, &types) {
                problems.push(format!("{}: {why}", f.display()));
            }
        }
    }
    assert!(
        seen > 20,
        "expected metric names in the alert rules and docs, found {seen}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The check itself can fail: unknown metrics, bare histogram names and panels without a data
/// source are reported.
#[test]
fn dashboard_check_reports_unknown_metrics() {
    let (names, types) = exported();
    let bad = r#"{
      "title": "t", "schemaVersion": 39,
      "panels": [
        {"id": 1, "type": "timeseries", "title": "a",
         "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
         "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "datasource": {"uid": "${DS_PROMETHEUS}"},
                      "expr": "sum(rate(phi_guard_no_such_metric_total[5m])) + rate(phi_guard_scan_duration_seconds[5m])"}]},
        {"id": 2, "type": "timeseries", "title": "b",
         "gridPos": {"x": 6, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": "phi_guard_queue_depth_bucket"}]}
      ]
    }"#;
    let (problems, _) = check_dashboard("bad.json", bad, &names, &types);
    let text = problems.join("\n");
    assert!(
        text.contains("`phi_guard_no_such_metric_total` is not exported"),
        "{text}"
    );
    assert!(
        text.contains("`phi_guard_scan_duration_seconds` is a histogram"),
        "{text}"
    );
    assert!(
        text.contains("`phi_guard_queue_depth_bucket` is not exported"),
        "{text}"
    );
    assert!(
        text.contains("panel `b` does not use the ${DS_PROMETHEUS}"),
        "{text}"
    );
    assert!(text.contains("panels `b` and `a` overlap"), "{text}");

    let (problems, _) = check_dashboard("broken.json", "{not json", &names, &types);
    assert!(problems[0].contains("not valid JSON"), "{problems:?}");
}

#[test]
fn metric_name_extraction() {
    assert_eq!(
        metric_names(
            r#"histogram_quantile(0.99, sum by (le) (rate(phi_guard_scan_duration_seconds_bucket{a="b"}[5m]))) / phi_guard_x"#
        ),
        vec!["phi_guard_scan_duration_seconds_bucket", "phi_guard_x"]
    );
    // Part of a longer identifier: not a phi-guard metric.
    assert!(
        metric_names("my_phi_guard_thing + label_values(phi_guard_build_info, ns)")
            .iter()
            .eq(["phi_guard_build_info"].iter())
    );
}

/// Writes a secret file and returns its path.
fn secret_file(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write temp secret");
    p.display().to_string()
}

/// `k8s/base/phi-guard.toml` + the environment each overlay sets is a valid configuration. The
/// secret paths point at temporary files here (in the cluster they are the mounted Secret).
#[test]
fn kubernetes_config_is_accepted_for_both_backends() {
    let file = root().join("k8s/base/phi-guard.toml");
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = [
        (
            "PHI_GUARD_DETECT__FINGERPRINT_KEY_FILE",
            secret_file(
                dir.path(),
                "fingerprint-key",
                "k8s-test-fingerprint-key-0123456789abcdef\n",
            ),
        ),
        (
            "PHI_GUARD_TENANTS__DEFAULT__ZENDESK_SIGNING_SECRETS_FILE",
            secret_file(dir.path(), "zendesk", "k8s-test-zendesk-secret\n"),
        ),
        (
            "PHI_GUARD_TENANTS__DEFAULT__SUNSHINE_WEBHOOK_SECRETS_FILE",
            secret_file(dir.path(), "sunshine", ""),
        ),
    ];
    let overlays: [(&str, &[(&str, &str)]); 2] = [
        ("single-node", &[("PHI_GUARD_STORE__BACKEND", "embedded")]),
        (
            "redis-replicas",
            &[
                ("PHI_GUARD_STORE__BACKEND", "redis"),
                (
                    "PHI_GUARD_STORE__REDIS_URL",
                    "redis://:pw@phi-guard-redis:6379/0",
                ),
            ],
        ),
    ];
    for (overlay, env) in overlays {
        let env: Vec<(String, String)> = secrets
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .chain(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect();
        let cfg = Config::load_from(Some(&file), &env)
            .unwrap_or_else(|e| panic!("{overlay}: k8s/base/phi-guard.toml refused: {e}"));
        assert_eq!(cfg.server.listen, "0.0.0.0:8080", "{overlay}");
        let backend = if overlay == "single-node" {
            StoreBackend::Embedded
        } else {
            StoreBackend::Redis
        };
        assert_eq!(cfg.store.backend, backend, "{overlay}");
        assert!(
            cfg.fingerprint_key().is_some(),
            "{overlay}: fingerprint key not read"
        );
    }

    // The loader does refuse a broken file (the test above can fail).
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[server]\nlisten = \"0.0.0.0:8080\"\nno_such_key = 1\n",
    )
    .expect("write");
    assert!(Config::load_from(Some(&broken), &[]).is_err());
}

/// Writes `files` into `vol` the way the kubelet writes a ConfigMap volume: the data in a
/// timestamped hidden directory, a `..data` symlink to it, and one symlink per key.
#[cfg(unix)]
fn configmap_volume(vol: &Path, files: &[(String, Vec<u8>)]) {
    use std::os::unix::fs::symlink;
    let data = vol.join("..2026_01_01_00_00_00.000000001");
    std::fs::create_dir_all(&data).expect("create volume");
    for (name, bytes) in files {
        std::fs::write(data.join(name), bytes).expect("write key");
        symlink(Path::new("..data").join(name), vol.join(name)).expect("key symlink");
    }
    symlink("..2026_01_01_00_00_00.000000001", vol.join("..data")).expect("..data symlink");
}

/// The files of one rules folder that `k8s/tools/rules-configmaps` puts in its ConfigMap.
#[cfg(unix)]
fn folder_files(dir: &Path, suffix: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(suffix) && !n.starts_with('.'))
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("read rule file");
            (n, bytes)
        })
        .collect();
    out.sort();
    out
}

/// `k8s/components/rules-configmaps` mounts one ConfigMap per folder (global.toml at the root,
/// the jurisdiction and dictionary folders nested inside). The loader must read that layout —
/// hidden `..data` directories, symlinked files — exactly like the plain `patterns/` tree.
#[cfg(unix)]
#[test]
fn rules_load_identically_from_the_configmap_layout() {
    let patterns = root().join("patterns");
    let k8s_cfg: toml::Value = toml::from_str(
        &std::fs::read_to_string(root().join("k8s/base/phi-guard.toml")).expect("read config"),
    )
    .expect("k8s/base/phi-guard.toml is TOML");
    let jurisdictions: Vec<String> = k8s_cfg["patterns"]["jurisdictions"]
        .as_array()
        .expect("patterns.jurisdictions is a list")
        .iter()
        .map(|v| v.as_str().expect("jurisdiction is a string").to_owned())
        .collect();
    assert!(!jurisdictions.is_empty());

    let dir = tempfile::tempdir().expect("tempdir");
    let mounted = dir.path().join("patterns");
    let global = std::fs::read(patterns.join("global.toml")).expect("patterns/global.toml");
    configmap_volume(&mounted, &[("global.toml".to_owned(), global)]);
    for j in &jurisdictions {
        configmap_volume(&mounted.join(j), &folder_files(&patterns.join(j), ".toml"));
    }
    configmap_volume(
        &mounted.join("dictionaries"),
        &folder_files(&patterns.join("dictionaries"), ".txt"),
    );

    let plain = phi_guard::patterns::load_dir(&patterns, &jurisdictions)
        .unwrap_or_else(|e| panic!("patterns/: {e}"));
    let from_configmaps = phi_guard::patterns::load_dir(&mounted, &jurisdictions)
        .unwrap_or_else(|e| panic!("ConfigMap layout: {e}"));
    assert!(!plain.is_empty());
    assert_eq!(from_configmaps.len(), plain.len(), "rule count differs");
    let ids = |d: Detector| {
        let mut v: Vec<String> = d.rule_ids().map(str::to_owned).collect();
        v.sort();
        v
    };
    let a = ids(plain.compile().expect("compile plain"));
    let b = ids(from_configmaps.compile().expect("compile ConfigMap layout"));
    assert_eq!(a, b);
}
