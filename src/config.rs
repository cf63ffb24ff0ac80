//! Typed configuration: embedded defaults → optional file → `PHI_GUARD_*` environment.
//!
//! Owns: merging the layers, the typed [`Config`], reading secrets from `*_file` keys, and
//! [`Config::validate`], which reports *every* problem with its key. Must not: open sockets,
//! connect to stores or read rule files (it holds their paths only). Secrets are
//! [`SecretString`]s: they never appear in `Debug` output or errors.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::ingest::AuthorRules;
use crate::policy::PolicyConfig;

/// The embedded defaults (`config/default.toml`).
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Environment variable prefix; levels are separated by `__`.
pub const ENV_PREFIX: &str = "PHI_GUARD_";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub patterns: PatternsConfig,
    pub detect: DetectConfig,
    pub verify: VerifyConfig,
    #[serde(default)]
    pub ingest: IngestConfig,
    pub policy: PolicyConfig,
    pub worker: WorkerConfig,
    pub log: LogConfig,
    /// The reconciliation sweep (`phi-guard sweep`, periodic mode in `serve`).
    #[serde(default)]
    pub sweep: crate::sweep::SweepConfig,
    #[serde(default)]
    pub tenants: BTreeMap<String, TenantConfig>,
    /// The file this configuration was loaded from (SIGHUP re-reads it for policy changes).
    #[serde(skip)]
    pub source_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: String,
    pub max_body_bytes: usize,
    pub http_workers: usize,
    pub shutdown_grace_seconds: u64,
    pub shutdown_drain_seconds: u64,
    pub retry_after_seconds: u64,
    pub ingest_enabled: bool,
    pub worker_enabled: bool,
    /// Registers `POST /_bench/bare` (reads the body, answers 200): the load script's baseline.
    pub bench_bare_route: bool,
    /// Deadline for a client to send the request line and headers (actix
    /// `client_request_timeout`; 408 after it). Bounds slow-header (slowloris) connections.
    pub header_timeout_ms: u64,
    /// Deadline for reading a whole webhook body once the headers are in (408 after it).
    /// Bounds slow-body connections; actix has no body timeout of its own.
    pub body_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    Embedded,
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub backend: StoreBackend,
    pub path: PathBuf,
    pub redis_url: SecretString,
    pub redis_prefix: String,
    pub dedupe_ttl_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternsConfig {
    /// Empty = the embedded rule set.
    pub dir: PathBuf,
    pub jurisdictions: Vec<String>,
    pub min_score: f32,
    pub watch: bool,
}

impl PatternsConfig {
    /// The rule directory, or `None` for the embedded rules.
    pub fn dir(&self) -> Option<&Path> {
        (!self.dir.as_os_str().is_empty()).then_some(self.dir.as_path())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    pub fingerprint_key: SecretString,
    pub fingerprint_key_file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    pub max_age_seconds: u64,
    pub max_future_skew_seconds: u64,
    pub allow_test_secret: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    #[serde(default)]
    pub author: AuthorRules,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    pub concurrency: usize,
    pub lease_seconds: u64,
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
    pub poll_interval_ms: u64,
    /// Zendesk / Sunshine API connect timeout.
    #[serde(default = "default_api_connect_timeout_ms")]
    pub api_connect_timeout_ms: u64,
    /// Zendesk / Sunshine API whole-request timeout.
    #[serde(default = "default_api_timeout_ms")]
    pub api_timeout_ms: u64,
    /// A delayed item whose ready time passed more than this long ago is reported as
    /// `phi_guard_delayed_items{state="overdue"}` (alerted on).
    #[serde(default = "default_delayed_overdue_after_seconds")]
    pub delayed_overdue_after_seconds: u64,
}

fn default_delayed_overdue_after_seconds() -> u64 {
    300
}

fn default_api_connect_timeout_ms() -> u64 {
    5_000
}

fn default_api_timeout_ms() -> u64 {
    30_000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

/// One Zendesk account / Sunshine app.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenantConfig {
    pub zendesk_signing_secrets: Vec<SecretString>,
    pub zendesk_signing_secrets_file: PathBuf,
    pub sunshine_webhook_secrets: Vec<SecretString>,
    pub sunshine_webhook_secrets_file: PathBuf,
    /// Zendesk Support API credentials (needed to enforce on Zendesk webhooks).
    pub zendesk: Option<ZendeskApiConfig>,
    /// Sunshine Conversations API credentials (needed to enforce on Sunshine webhooks).
    pub sunshine: Option<SunshineApiConfig>,
}

/// How comment text is redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentRedaction {
    /// `PUT /api/v2/comment_redactions/{id}` with `<redact>` tags (works on closed tickets).
    #[default]
    AgentWorkspace,
    /// `PUT /api/v2/tickets/{t}/comments/{c}/redact` per string (open tickets only).
    Classic,
}

/// `[tenants.<t>.zendesk]`: the Support API of one account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskApiConfig {
    /// `{subdomain}.zendesk.com`.
    #[serde(default)]
    pub subdomain: String,
    /// Overrides `https://{subdomain}.zendesk.com` (proxies, tests). https, or http to loopback.
    #[serde(default)]
    pub base_url: String,
    /// With `api_token`: basic auth `{email}/token:{api_token}`.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub api_token: Option<SecretString>,
    #[serde(default)]
    pub api_token_file: PathBuf,
    /// OAuth access token (bearer); preferred over API tokens.
    #[serde(default)]
    pub oauth_token: Option<SecretString>,
    #[serde(default)]
    pub oauth_token_file: PathBuf,
    /// Requests per minute (the plan limit: Team 200, Growth and Professional 400, Enterprise
    /// 700, High Volume 2500). A token bucket per process; with the Redis store also a
    /// one-minute window counted in Redis and shared by all replicas.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
    #[serde(default)]
    pub comment_redaction: CommentRedaction,
}

impl ZendeskApiConfig {
    /// The base URL in use.
    pub fn base(&self) -> String {
        if self.base_url.is_empty() {
            format!("https://{}.zendesk.com", self.subdomain)
        } else {
            self.base_url.trim_end_matches('/').to_string()
        }
    }
}

/// Sunshine API authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SunshineAuth {
    #[default]
    Basic,
    Jwt,
}

/// `[tenants.<t>.sunshine]`: the Sunshine Conversations API of one app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SunshineApiConfig {
    /// If set, actions for another app id are refused (`app_mismatch`).
    #[serde(default)]
    pub app_id: String,
    /// `https://{subdomain}.zendesk.com/sc`, or `https://api.smooch.io` for legacy accounts.
    pub base_url: String,
    pub key_id: String,
    #[serde(default)]
    pub key_secret: Option<SecretString>,
    #[serde(default)]
    pub key_secret_file: PathBuf,
    #[serde(default)]
    pub auth: SunshineAuth,
    /// Requests per minute (Sunshine publishes no number); shared like Zendesk's.
    #[serde(default = "default_rpm")]
    pub requests_per_minute: u32,
}

fn default_rpm() -> u32 {
    200
}

/// `https://…`, or `http://` to a loopback host (tests, local proxies).
fn base_url_ok(url: &str) -> bool {
    url.starts_with("https://")
        || ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                url.strip_prefix(p)
                    .is_some_and(|r| r.is_empty() || r.starts_with(':') || r.starts_with('/'))
            })
}

fn secret_set(s: &Option<SecretString>) -> bool {
    s.as_ref()
        .is_some_and(|s| !s.expose_secret().trim().is_empty())
}

/// A configuration problem: the key it concerns and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// Every problem found while loading or validating, reported at once.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub issues: Vec<ConfigIssue>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration ({} problem(s)):",
            self.issues.len()
        )?;
        for i in &self.issues {
            writeln!(f, "  {i}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    fn one(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            issues: vec![ConfigIssue {
                key: key.into(),
                reason: reason.into(),
            }],
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then the process environment, then validates.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(file, &env)
    }

    /// Like [`Config::load`] with an explicit environment (tests never mutate the process env).
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut fig = Figment::new().merge(Toml::string(DEFAULTS));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::one(
                    path.display().to_string(),
                    "config file does not exist or is not a file",
                ));
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(env_provider(env));
        let mut config = Self::from_figment(fig)?;
        config.source_file = file.map(Path::to_path_buf);
        Ok(config)
    }

    /// Loads from a TOML string on top of the defaults (tests).
    pub fn from_toml_str(toml: &str) -> Result<Config, ConfigError> {
        Self::from_toml_layers(&[toml])
    }

    /// Loads several TOML layers on top of the defaults, later layers winning (tests).
    pub fn from_toml_layers(layers: &[&str]) -> Result<Config, ConfigError> {
        let mut fig = Figment::new().merge(Toml::string(DEFAULTS));
        for l in layers {
            fig = fig.merge(Toml::string(l));
        }
        Self::from_figment(fig)
    }

    fn from_figment(fig: Figment) -> Result<Config, ConfigError> {
        let mut config: Config = fig.extract().map_err(|e| ConfigError {
            issues: e
                .into_iter()
                .map(|e| ConfigIssue {
                    key: if e.path.is_empty() {
                        "(root)".to_string()
                    } else {
                        e.path.join(".")
                    },
                    reason: e.kind.to_string(),
                })
                .collect(),
        })?;
        let mut issues = Vec::new();
        config.read_secret_files(&mut issues);
        config.validate_into(&mut issues);
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { issues })
        }
    }

    /// Appends secrets from `*_file` keys (one secret per line, blank lines and `#` ignored).
    fn read_secret_files(&mut self, issues: &mut Vec<ConfigIssue>) {
        if !self.detect.fingerprint_key_file.as_os_str().is_empty() {
            match read_secret_lines(&self.detect.fingerprint_key_file) {
                Ok(mut lines) if lines.len() == 1 => self.detect.fingerprint_key = lines.remove(0),
                Ok(_) => issues.push(issue(
                    "detect.fingerprint_key_file",
                    "must hold exactly one non-empty line",
                )),
                Err(reason) => issues.push(issue("detect.fingerprint_key_file", reason)),
            }
        }
        for (name, t) in &mut self.tenants {
            for (path, target, key) in [
                (
                    &t.zendesk_signing_secrets_file,
                    &mut t.zendesk_signing_secrets,
                    "zendesk_signing_secrets_file",
                ),
                (
                    &t.sunshine_webhook_secrets_file,
                    &mut t.sunshine_webhook_secrets,
                    "sunshine_webhook_secrets_file",
                ),
            ] {
                if path.as_os_str().is_empty() {
                    continue;
                }
                match read_secret_lines(path) {
                    Ok(lines) => target.extend(lines),
                    Err(reason) => issues.push(issue(format!("tenants.{name}.{key}"), reason)),
                }
            }
            let mut one = |path: &PathBuf, target: &mut Option<SecretString>, key: String| {
                if path.as_os_str().is_empty() {
                    return;
                }
                match read_secret_lines(path) {
                    Ok(mut lines) if lines.len() == 1 => *target = Some(lines.remove(0)),
                    Ok(_) => issues.push(issue(key, "must hold exactly one non-empty line")),
                    Err(reason) => issues.push(issue(key, reason)),
                }
            };
            if let Some(z) = &mut t.zendesk {
                one(
                    &z.api_token_file,
                    &mut z.api_token,
                    format!("tenants.{name}.zendesk.api_token_file"),
                );
                one(
                    &z.oauth_token_file,
                    &mut z.oauth_token,
                    format!("tenants.{name}.zendesk.oauth_token_file"),
                );
            }
            if let Some(sc) = &mut t.sunshine {
                one(
                    &sc.key_secret_file,
                    &mut sc.key_secret,
                    format!("tenants.{name}.sunshine.key_secret_file"),
                );
            }
        }
    }

    /// Checks values the types cannot: every problem is returned with its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut issues = Vec::new();
        self.validate_into(&mut issues);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { issues })
        }
    }

    fn validate_into(&self, issues: &mut Vec<ConfigIssue>) {
        if self.server.listen.parse::<SocketAddr>().is_err() {
            issues.push(issue(
                "server.listen",
                "must be an IP:port address such as 127.0.0.1:8080",
            ));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.server.max_body_bytes) {
            issues.push(issue(
                "server.max_body_bytes",
                "must be between 1024 and 67108864",
            ));
        }
        if self.server.shutdown_drain_seconds >= self.server.shutdown_grace_seconds {
            issues.push(issue(
                "server.shutdown_drain_seconds",
                "must be less than server.shutdown_grace_seconds",
            ));
        }
        if self.server.retry_after_seconds == 0 || self.server.retry_after_seconds >= 60 {
            issues.push(issue(
                "server.retry_after_seconds",
                "must be 1..59 (Zendesk retries a 503 only when Retry-After is under 60 s)",
            ));
        }
        for (key, v) in [
            ("server.header_timeout_ms", self.server.header_timeout_ms),
            ("server.body_timeout_ms", self.server.body_timeout_ms),
        ] {
            if !(100..=60_000).contains(&v) {
                issues.push(issue(key, "must be between 100 and 60000"));
            }
        }
        if !self.server.ingest_enabled && !self.server.worker_enabled {
            issues.push(issue(
                "server",
                "at least one of ingest_enabled / worker_enabled must be true",
            ));
        }
        match self.store.backend {
            StoreBackend::Embedded => {
                if self.store.path.as_os_str().is_empty() {
                    issues.push(issue("store.path", "required for the embedded store"));
                }
            }
            StoreBackend::Redis => {
                let url = self.store.redis_url.expose_secret();
                if !(url.starts_with("redis://")
                    || url.starts_with("rediss://")
                    || url.starts_with("redis+unix://")
                    || url.starts_with("unix://"))
                {
                    issues.push(issue(
                        "store.redis_url",
                        "required for backend = \"redis\" (redis://host:port/db or rediss://)",
                    ));
                }
            }
        }
        if self.store.redis_prefix.is_empty()
            || !self
                .store
                .redis_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            issues.push(issue(
                "store.redis_prefix",
                "must be non-empty [A-Za-z0-9_-] (it becomes the Redis Cluster hash tag)",
            ));
        }
        let min_ttl = self.verify.max_age_seconds + self.verify.max_future_skew_seconds;
        if self.store.dedupe_ttl_seconds <= min_ttl.max(900) {
            issues.push(issue(
                "store.dedupe_ttl_seconds",
                format!(
                    "must exceed the signature window and Sunshine's 15-minute retry horizon (> {})",
                    min_ttl.max(900)
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.patterns.min_score) {
            issues.push(issue("patterns.min_score", "must be within 0.0..=1.0"));
        }
        if self.patterns.jurisdictions.is_empty() {
            issues.push(issue(
                "patterns.jurisdictions",
                "must name at least one jurisdiction",
            ));
        }
        if let Some(dir) = self.patterns.dir()
            && !dir.is_dir()
        {
            issues.push(issue("patterns.dir", "is not a directory"));
        }
        if self.verify.max_age_seconds == 0 || self.verify.max_age_seconds > 3600 {
            issues.push(issue("verify.max_age_seconds", "must be 1..=3600"));
        }
        if self.verify.max_future_skew_seconds > 900 {
            issues.push(issue("verify.max_future_skew_seconds", "must be 0..=900"));
        }
        if self.worker.concurrency == 0 || self.worker.concurrency > 256 {
            issues.push(issue("worker.concurrency", "must be 1..=256"));
        }
        if self.worker.lease_seconds < 5 {
            issues.push(issue("worker.lease_seconds", "must be at least 5"));
        }
        if self.worker.max_attempts == 0 {
            issues.push(issue("worker.max_attempts", "must be at least 1"));
        }
        if self.worker.backoff_base_ms == 0
            || self.worker.backoff_base_ms > self.worker.backoff_cap_ms
        {
            issues.push(issue(
                "worker.backoff_base_ms",
                "must be > 0 and not above worker.backoff_cap_ms",
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            issues.push(issue(
                "log.level",
                "is not a valid tracing filter directive",
            ));
        }
        for (name, t) in &self.tenants {
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                issues.push(issue(
                    format!("tenants.{name}"),
                    "tenant names are 1-64 characters [A-Za-z0-9_-] (they appear in URLs)",
                ));
            }
            for (list, key) in [
                (&t.zendesk_signing_secrets, "zendesk_signing_secrets"),
                (&t.sunshine_webhook_secrets, "sunshine_webhook_secrets"),
            ] {
                if list.iter().any(|s| s.expose_secret().trim().is_empty()) {
                    issues.push(issue(
                        format!("tenants.{name}.{key}"),
                        "secrets must not be empty",
                    ));
                }
            }
        }
        if !(1..=86_400).contains(&self.worker.delayed_overdue_after_seconds) {
            issues.push(ConfigIssue {
                key: "worker.delayed_overdue_after_seconds".into(),
                reason: "must be within 1..=86400".into(),
            });
        }
        if self.worker.api_connect_timeout_ms == 0 || self.worker.api_timeout_ms == 0 {
            issues.push(issue(
                "worker.api_timeout_ms",
                "API timeouts must be greater than 0",
            ));
        }
        for (name, t) in &self.tenants {
            self.validate_api_credentials(name, t, issues);
        }
        self.policy.validate_into(issues);
        if let Err(errors) = self.ingest.author.validate() {
            for e in errors {
                let (key, reason) = e.split_once(": ").unwrap_or(("ingest.author", e.as_str()));
                issues.push(issue(key, reason));
            }
        }
        if self.policy.ai_ticket == crate::policy::AiTicket::RedactAiComments
            && self.ingest.author.ai_zendesk_user_ids.is_empty()
        {
            issues.push(issue(
                "ingest.author.ai_zendesk_user_ids",
                "required with policy.ai_ticket = \"redact_ai_comments\": the Zendesk user id(s) \
                 the AI agent's comments are attributed to (not documented, so not guessed)",
            ));
        }
        self.sweep.validate_into(issues);
        if self.sweep.enabled
            && self.sweep.tenants.is_empty()
            && self.tenants.values().all(|t| t.zendesk.is_none())
        {
            issues.push(issue(
                "sweep.enabled",
                "no tenant has [tenants.<name>.zendesk] API credentials to sweep with",
            ));
        }
        for (i, t) in self.sweep.tenants.iter().enumerate() {
            if self.tenants.get(t).is_none_or(|c| c.zendesk.is_none()) {
                issues.push(issue(
                    format!("sweep.tenants[{i}]"),
                    "names no tenant with [tenants.<name>.zendesk] API credentials",
                ));
            }
        }
    }

    /// API sections are checked when present; in enforce mode every tenant that receives a
    /// source's webhooks (has its secrets) must also have that source's API credentials.
    fn validate_api_credentials(
        &self,
        name: &str,
        t: &TenantConfig,
        issues: &mut Vec<ConfigIssue>,
    ) {
        let enforce = self.policy.mode == crate::policy::Mode::Enforce;
        match &t.zendesk {
            Some(z) => {
                let key = |k: &str| format!("tenants.{name}.zendesk.{k}");
                if z.base_url.is_empty() {
                    if z.subdomain.is_empty()
                        || !z
                            .subdomain
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        issues.push(issue(
                            key("subdomain"),
                            "required (letters, digits, '-') unless base_url is set",
                        ));
                    }
                } else if !base_url_ok(&z.base_url) {
                    issues.push(issue(
                        key("base_url"),
                        "must be https:// (http:// only to a loopback host)",
                    ));
                }
                match (secret_set(&z.api_token), secret_set(&z.oauth_token)) {
                    (true, true) => issues.push(issue(
                        key("oauth_token"),
                        "set either api_token (with email) or oauth_token, not both",
                    )),
                    (false, false) => issues.push(issue(
                        key("api_token"),
                        "one of api_token(_file) (with email) or oauth_token(_file) is required",
                    )),
                    (true, false) if z.email.trim().is_empty() || !z.email.contains('@') => {
                        issues.push(issue(key("email"), "required with api_token"))
                    }
                    _ => {}
                }
                if z.requests_per_minute == 0 {
                    issues.push(issue(key("requests_per_minute"), "must be at least 1"));
                }
            }
            None if enforce && !t.zendesk_signing_secrets.is_empty() => issues.push(issue(
                format!("tenants.{name}.zendesk"),
                "policy.mode = \"enforce\" needs Zendesk API credentials for this tenant (it receives Zendesk webhooks)",
            )),
            None => {}
        }
        match &t.sunshine {
            Some(sc) => {
                let key = |k: &str| format!("tenants.{name}.sunshine.{k}");
                if !base_url_ok(&sc.base_url) {
                    issues.push(issue(
                        key("base_url"),
                        "must be https:// (http:// only to a loopback host), e.g. https://{subdomain}.zendesk.com/sc",
                    ));
                }
                if sc.key_id.trim().is_empty() {
                    issues.push(issue(key("key_id"), "required"));
                }
                if !secret_set(&sc.key_secret) {
                    issues.push(issue(key("key_secret"), "key_secret(_file) is required"));
                }
                if sc.requests_per_minute == 0 {
                    issues.push(issue(key("requests_per_minute"), "must be at least 1"));
                }
            }
            None if enforce && !t.sunshine_webhook_secrets.is_empty() => issues.push(issue(
                format!("tenants.{name}.sunshine"),
                "policy.mode = \"enforce\" needs Sunshine API credentials for this tenant (it receives Sunshine webhooks)",
            )),
            None => {}
        }
    }

    /// The fingerprint key bytes, if configured.
    pub fn fingerprint_key(&self) -> Option<&[u8]> {
        let k = self.detect.fingerprint_key.expose_secret();
        (!k.is_empty()).then_some(k.as_bytes())
    }

    /// Config with every secret replaced by `"<redacted>"`, as TOML-ish text for `config show`.
    pub fn redacted_summary(&self) -> String {
        let tenants: Vec<String> = self
            .tenants
            .iter()
            .map(|(n, t)| {
                format!(
                    "{n} (zendesk secrets: {}, sunshine secrets: {})",
                    t.zendesk_signing_secrets.len(),
                    t.sunshine_webhook_secrets.len()
                )
            })
            .collect();
        format!(
            "listen={} store={:?} patterns={} jurisdictions={:?} mode={} tenants=[{}]",
            self.server.listen,
            self.store.backend,
            self.patterns
                .dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "<embedded>".into()),
            self.patterns.jurisdictions,
            self.policy.mode.as_str(),
            tenants.join(", ")
        )
    }
}

fn issue(key: impl Into<String>, reason: impl Into<String>) -> ConfigIssue {
    ConfigIssue {
        key: key.into(),
        reason: reason.into(),
    }
}

fn read_secret_lines(path: &Path) -> Result<Vec<SecretString>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {}", path.display(), e.kind()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| SecretString::from(l.to_string()))
        .collect())
}

/// `PHI_GUARD_A__B=v` → key `a.b`. Values parse as TOML inline lists/tables, booleans and numbers
/// where they can, else as strings. Built from an explicit list (not figment's `Env`, which reads
/// the process environment) so tests stay hermetic.
fn env_provider(env: &[(String, String)]) -> figment::providers::Serialized<serde_json::Value> {
    let mut root = serde_json::Map::new();
    for (k, v) in env {
        let Some(rest) = k.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        // Every key lives in a section, so only `SECTION__KEY` names are configuration;
        // others (`PHI_GUARD_CONFIG`, `PHI_GUARD_SIGN_SECRET`) belong to the CLI.
        if !rest.contains("__") {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(String::is_empty) {
            continue;
        }
        let value = parse_env_value(v);
        insert_path(&mut root, &path, value);
    }
    figment::providers::Serialized::defaults(serde_json::Value::Object(root))
}

fn parse_env_value(v: &str) -> serde_json::Value {
    // Lists and tables as TOML inline values; everything else through figment's scalar rules.
    let t = v.trim();
    if (t.starts_with('[') || t.starts_with('{'))
        && let Ok(val) = toml::from_str::<toml::Table>(&format!("v = {t}"))
        && let Some(inner) = val.get("v")
        && let Ok(json) = serde_json::to_value(inner)
    {
        return json;
    }
    if t.eq_ignore_ascii_case("true") {
        serde_json::Value::Bool(true)
    } else if t.eq_ignore_ascii_case("false") {
        serde_json::Value::Bool(false)
    } else if let Ok(i) = t.parse::<i64>() {
        serde_json::Value::from(i)
    } else if let Ok(f) = t.parse::<f64>()
        && t.contains('.')
    {
        serde_json::Value::from(f)
    } else {
        serde_json::Value::String(v.to_string())
    }
}

fn insert_path(
    map: &mut serde_json::Map<String, serde_json::Value>,
    path: &[String],
    value: serde_json::Value,
) {
    if path.len() == 1 {
        map.insert(path[0].clone(), value);
        return;
    }
    let entry = map
        .entry(path[0].clone())
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if !entry.is_object() {
        *entry = serde_json::Value::Object(Default::default());
    }
    if let serde_json::Value::Object(inner) = entry {
        insert_path(inner, &path[1..], value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn redact_ai_comments_needs_the_ai_user_ids() {
        let mut c = Config::load_from(None, &[]).expect("defaults are valid");
        c.policy.ai_ticket = crate::policy::AiTicket::RedactAiComments;
        let mut issues = Vec::new();
        c.validate_into(&mut issues);
        assert!(
            issues
                .iter()
                .any(|i| i.key == "ingest.author.ai_zendesk_user_ids"),
            "{issues:?}"
        );
        c.ingest.author.ai_zendesk_user_ids = vec![1234];
        let mut issues = Vec::new();
        c.validate_into(&mut issues);
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn defaults_load_and_validate() {
        let c = Config::load_from(None, &[]).expect("defaults are valid");
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.store.backend, StoreBackend::Embedded);
        assert!(c.tenants.is_empty());
        assert!(c.fingerprint_key().is_none());
    }

    #[test]
    fn env_overrides_nested_keys_lists_and_secrets() {
        let c = Config::load_from(
            None,
            &env(&[
                ("PHI_GUARD_SERVER__LISTEN", "0.0.0.0:9000"),
                ("PHI_GUARD_WORKER__CONCURRENCY", "9"),
                ("PHI_GUARD_PATTERNS__JURISDICTIONS", "[\"common\",\"us\"]"),
                (
                    "PHI_GUARD_TENANTS__ACME__ZENDESK_SIGNING_SECRETS",
                    "[\"s1\",\"s2\"]",
                ),
                ("PHI_GUARD_DETECT__FINGERPRINT_KEY", "k"),
                ("OTHER", "x"),
                ("PHI_GUARD_SIGN_SECRET", "not-config"),
                ("PHI_GUARD_CONFIG", "/not/read/here"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert_eq!(c.worker.concurrency, 9);
        assert_eq!(c.patterns.jurisdictions, vec!["common", "us"]);
        assert_eq!(c.tenants["acme"].zendesk_signing_secrets.len(), 2);
        assert_eq!(c.fingerprint_key(), Some(&b"k"[..]));
    }

    #[test]
    fn slow_client_timeouts_default_and_are_bounded() {
        let c = Config::from_toml_str("").unwrap();
        assert_eq!(
            (c.server.header_timeout_ms, c.server.body_timeout_ms),
            (5000, 10000)
        );
        let err =
            Config::from_toml_str("[server]\nheader_timeout_ms = 0\nbody_timeout_ms = 600000\n")
                .unwrap_err();
        let keys: Vec<&str> = err.issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            ["server.header_timeout_ms", "server.body_timeout_ms"],
            "{err}"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml_str("[server]\nlisen = \"x\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("lisen"), "{text}");
    }

    #[test]
    fn bad_values_are_all_reported_with_keys() {
        let err = Config::from_toml_str(
            "[server]\nlisten = \"nope\"\nretry_after_seconds = 90\n[worker]\nconcurrency = 0\n[store]\nbackend = \"redis\"\n",
        )
        .unwrap_err();
        let keys: Vec<&str> = err.issues.iter().map(|i| i.key.as_str()).collect();
        for k in [
            "server.listen",
            "server.retry_after_seconds",
            "worker.concurrency",
            "store.redis_url",
        ] {
            assert!(keys.contains(&k), "missing {k} in {keys:?}");
        }
    }

    #[test]
    fn wrong_type_names_key() {
        let err = Config::from_toml_str("[worker]\nconcurrency = \"many\"\n").unwrap_err();
        assert_eq!(err.issues[0].key, "worker.concurrency");
    }

    #[test]
    fn secrets_from_files_and_never_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("zd");
        std::fs::write(&f, "# rotated 2026-11\nsecret-one\n\nsecret-two\n").unwrap();
        let c = Config::from_toml_str(&format!(
            "[tenants.t1]\nzendesk_signing_secrets_file = {:?}\n",
            f.display().to_string()
        ))
        .unwrap();
        assert_eq!(c.tenants["t1"].zendesk_signing_secrets.len(), 2);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("secret-one"), "{dbg}");
    }

    #[test]
    fn missing_secret_file_is_named() {
        let err = Config::from_toml_str(
            "[tenants.t1]\nsunshine_webhook_secrets_file = \"/nonexistent/x\"\n",
        )
        .unwrap_err();
        assert_eq!(
            err.issues[0].key,
            "tenants.t1.sunshine_webhook_secrets_file"
        );
    }

    #[test]
    fn enforce_needs_api_credentials_per_source() {
        let err = Config::from_toml_str(
            "[policy]\nmode = \"enforce\"\n[tenants.acme]\nzendesk_signing_secrets = [\"s\"]\nsunshine_webhook_secrets = [\"k\"]\n[tenants.acme.zendesk]\nsubdomain = \"acme\"\nemail = \"a@b.c\"\napi_token = \"t\"\n",
        )
        .unwrap_err();
        let keys: Vec<&str> = err.issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, vec!["tenants.acme.sunshine"], "{err}");
        assert!(err.to_string().contains("enforce"));
        let ok = Config::from_toml_str(
            "[policy]\nmode = \"enforce\"\n[tenants.acme]\nsunshine_webhook_secrets = [\"k\"]\n[tenants.acme.sunshine]\nbase_url = \"https://acme.zendesk.com/sc\"\nkey_id = \"app_1\"\nkey_secret = \"s\"\nauth = \"jwt\"\n",
        )
        .unwrap();
        assert_eq!(ok.policy.mode, crate::policy::Mode::Enforce);
        // Audit mode does not need credentials.
        Config::from_toml_str("[tenants.acme]\nzendesk_signing_secrets = [\"s\"]\n").unwrap();
    }

    #[test]
    fn api_sections_are_validated_and_token_files_read() {
        let err = Config::from_toml_str(
            "[tenants.a.zendesk]\nbase_url = \"http://evil.example\"\napi_token = \"t\"\noauth_token = \"o\"\n[tenants.a.sunshine]\nbase_url = \"https://x/sc\"\nkey_id = \"\"\n",
        )
        .unwrap_err();
        let keys: Vec<&str> = err.issues.iter().map(|i| i.key.as_str()).collect();
        for k in [
            "tenants.a.zendesk.base_url",
            "tenants.a.zendesk.oauth_token",
            "tenants.a.sunshine.key_id",
            "tenants.a.sunshine.key_secret",
        ] {
            assert!(keys.contains(&k), "missing {k} in {keys:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tok");
        std::fs::write(&f, "# zendesk\napi-token-value\n").unwrap();
        let c = Config::from_toml_str(&format!(
            "[tenants.a.zendesk]\nsubdomain = \"acme\"\nemail = \"a@b.c\"\napi_token_file = {:?}\n",
            f.display().to_string()
        ))
        .unwrap();
        let z = c.tenants["a"].zendesk.as_ref().unwrap();
        assert_eq!(
            z.api_token.as_ref().unwrap().expose_secret(),
            "api-token-value"
        );
        assert_eq!(z.base(), "https://acme.zendesk.com");
        assert_eq!(z.requests_per_minute, 200);
        assert!(!format!("{c:?}").contains("api-token-value"));
    }

    #[test]
    fn bad_tenant_name() {
        let err = Config::from_toml_str("[tenants.\"a b\"]\n").unwrap_err();
        assert!(err.issues[0].key.starts_with("tenants."));
    }
}
