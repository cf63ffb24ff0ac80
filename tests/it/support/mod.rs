//! Test harness: an in-process phi-guard on a free loopback port, an independent Zendesk signer,
//! a log capture for the canary tests, and the real `redis-server` helper.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use phi_guard::app::{Application, ShutdownHandle};
use phi_guard::config::{Config, LogFormat};
use phi_guard::metrics::Metrics;
use phi_guard::store::Store;
use sha2::Sha256;

#[path = "../../support/redis_server.rs"]
pub mod redis_server;

pub mod fake_api;
pub mod raw_http;

pub const ZD_SECRET: &str = "zd-secret-primary-0123456789";
pub const ZD_SECRET_OLD: &str = "zd-secret-rotating-out-9876543210";
pub const SC_SECRET: &str = "8564b3e6a8b20a4bdb68b05ce9bc5936";

/// Everything any test process logged (one JSON object per line).
pub fn logs() -> String {
    let buf = log_buffer();
    let guard = buf.lock().unwrap();
    String::from_utf8_lossy(&guard).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

struct BufWriter(Arc<Mutex<Vec<u8>>>);
impl Write for BufWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the log capture once per test binary (debug level, so the canary test sees more).
pub fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let buf = log_buffer().clone();
        phi_guard::telemetry::init(LogFormat::Json, "debug", move || BufWriter(buf.clone()));
    });
}

/// Zendesk's signature, computed here with the `hmac` crate directly — independent of the code
/// under test (`ingest::verify`).
pub fn zd_sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn now_ts() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn ts_offset(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub handle: ShutdownHandle,
    pub dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

/// `[store]` section for the embedded store under `data_dir`.
pub fn embedded_store(data_dir: &std::path::Path) -> String {
    format!(
        "[store]\npath = {:?}\n",
        data_dir.join("store").display().to_string()
    )
}

/// Base TOML for tests: the given `[store]` section, tenants `default` and `acme`, fast workers,
/// a fixed fingerprint key.
pub fn base_toml(store_section: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 65536
http_workers = 2
shutdown_drain_seconds = 0
{store_section}
[detect]
fingerprint_key = "test-fingerprint-key"
[worker]
concurrency = 4
lease_seconds = 5
backoff_base_ms = 10
backoff_cap_ms = 50
poll_interval_ms = 20
[tenants.default]
zendesk_signing_secrets = ["{ZD_SECRET}", "{ZD_SECRET_OLD}"]
sunshine_webhook_secrets = ["{SC_SECRET}"]
[tenants.acme]
zendesk_signing_secrets = ["acme-only-secret-abcdef"]
sunshine_webhook_secrets = ["acme-sunshine-key-123456"]
"#
    )
}

impl TestApp {
    /// Starts with the embedded store and the given extra TOML appended to the base config.
    pub async fn spawn(extra: &str) -> TestApp {
        init_logs();
        let dir = tempfile::tempdir().unwrap();
        let base = base_toml(&embedded_store(dir.path()));
        let config = Config::from_toml_layers(&[&base, extra]).unwrap_or_else(|e| panic!("{e}"));
        Self::start(config, dir).await
    }

    pub async fn start(config: Config, dir: tempfile::TempDir) -> TestApp {
        let app = Application::build(config).await.expect("app builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let store = app.store();
        let metrics = app.metrics();
        let handle = app.shutdown_handle();
        let task = tokio::spawn(async move {
            app.run_until_stopped().await.unwrap();
        });
        TestApp {
            base,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                // Below the server's 5 s keep-alive: a pooled connection is never reused just as
                // the server closes it (IncompleteMessage on a loaded machine).
                .pool_idle_timeout(Duration::from_secs(3))
                .build()
                .unwrap(),
            store,
            metrics,
            handle,
            dir,
            task,
        }
    }

    /// POSTs a Zendesk-signed body.
    pub async fn post_zendesk(&self, path: &str, body: &[u8], secret: &str) -> reqwest::Response {
        post_signed(
            &self.client,
            &format!("{}{}", self.base, path),
            body,
            secret,
        )
        .await
    }

    pub async fn post_sunshine(&self, path: &str, body: &[u8], key: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/json")
            .header("x-api-key", key)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap()
    }

    /// Waits until the worker drained the queue (up to ~20 s; audit mode acks everything).
    pub async fn drain(&self) {
        for _ in 0..1000 {
            let s = self.store.stats().await.unwrap();
            if s.ready == 0 && s.leased == 0 && s.delayed == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("queue did not drain: {:?}", self.store.stats().await);
    }

    /// The audit records as JSON values.
    pub async fn audit(&self) -> Vec<serde_json::Value> {
        self.store
            .audit_tail(10_000)
            .await
            .unwrap()
            .iter()
            .map(|r| serde_json::from_slice(r).unwrap())
            .collect()
    }

    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        metric_value(&self.metrics.encode(), name, labels)
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// Reads one sample from Prometheus text: the line for `name` whose labels include `labels`.
pub fn metric_value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut total = 0.0;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        if !(rest.starts_with('{') || rest.starts_with(' ')) {
            continue;
        }
        if labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        {
            total += rest
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
        }
    }
    total
}

/// The `phi-guard` binary with no `PHI_GUARD_*` variables from the caller's environment.
pub fn phi_guard_cmd() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_phi-guard"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PHI_GUARD_") {
            c.env_remove(k);
        }
    }
    c
}

/// Polls `/readyz` of a `serve` process until it answers 200 (10 s at most).
pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("service did not become ready");
}

/// POSTs `body` to `url` signed like Zendesk does, timestamped now.
pub async fn post_signed(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
    secret: &str,
) -> reqwest::Response {
    let ts = now_ts();
    let sig = zd_sign(secret, &ts, body);
    client
        .post(url)
        .header("content-type", "application/json")
        .header("x-zendesk-webhook-signature-timestamp", ts)
        .header("x-zendesk-webhook-signature", sig)
        .header("x-zendesk-webhook-invocation-id", "8350205582")
        .header("x-zendesk-account-id", "22129848")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}
