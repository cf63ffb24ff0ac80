//! Start-up and shutdown: builds every part from a [`Config`] and runs them.
//!
//! Owns: wiring (store, detector, verifiers, pipeline, HTTP server, workers), signal handling
//! (SIGTERM/SIGINT: stop taking webhooks, finish in-flight ones, stop workers; SIGHUP: reload
//! rules) and rule reloads. Must not: contain business rules — everything here is construction.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use arc_swap::ArcSwap;
use secrecy::SecretString;
use tokio::sync::watch;

use crate::config::{Config, StoreBackend};
use crate::detect::Detector;
use crate::detect::fingerprint::Fingerprinter;
use crate::enforce::Executor;
use crate::enforce::executor::ApiExecutor;
use crate::enforce::worker::{Worker, WorkerSettings};
use crate::http::{AppState, bench_routes, ops_routes, webhook_routes};
use crate::ingest::verify::{SunshineVerifier, TimestampWindow, ZendeskVerifier};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::store::Store;

/// Opens the configured store.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    use secrecy::ExposeSecret;
    Ok(match config.store.backend {
        StoreBackend::Embedded => {
            std::fs::create_dir_all(&config.store.path).with_context(|| {
                format!("store.path: cannot create {}", config.store.path.display())
            })?;
            Arc::new(
                crate::store::embedded::EmbeddedStore::open(&config.store.path).with_context(
                    || {
                        format!(
                            "store.path: cannot open the embedded store in {}",
                            config.store.path.display()
                        )
                    },
                )?,
            )
        }
        StoreBackend::Redis => Arc::new(
            crate::store::redis::RedisStore::connect(
                config.store.redis_url.expose_secret(),
                &config.store.redis_prefix,
            )
            .await
            .context("store.redis_url: cannot connect to Redis")?,
        ),
    })
}

/// The API executor for `config`, with per-tenant limits shared through Redis when the Redis
/// store is configured.
pub async fn build_api_executor(
    config: &Config,
    detector: Arc<ArcSwap<Detector>>,
    fingerprinter: &Fingerprinter,
    metrics: Arc<Metrics>,
) -> anyhow::Result<ApiExecutor> {
    if config.store.backend == StoreBackend::Redis {
        use secrecy::ExposeSecret;
        ApiExecutor::from_config_shared(
            config,
            detector,
            fingerprinter.clone(),
            metrics,
            config.store.redis_url.expose_secret(),
            &config.store.redis_prefix,
        )
        .await
    } else {
        ApiExecutor::from_config(config, detector, fingerprinter.clone(), metrics)
    }
}

/// Loads and compiles the configured rules.
pub fn load_detector(config: &Config) -> anyhow::Result<Detector> {
    crate::patterns::load_detector(config.patterns.dir(), &config.patterns.jurisdictions)
        .map_err(|e| anyhow::anyhow!("patterns: rule files are invalid:\n{e}"))
}

fn record_rules(metrics: &Metrics, d: &Detector) {
    metrics.rules_loaded.reset();
    for (label, n) in d.rules_per_label() {
        metrics
            .rules_loaded
            .with_label_values(&[label.as_str()])
            .set(n as i64);
    }
    metrics
        .reload_last_success
        .set((crate::store::now_ms() / 1000) as i64);
}

/// Rebuilds the detector off the hot path and swaps it in; a broken rule set leaves the running
/// one unchanged. Returns whether the reload succeeded.
pub fn reload_rules(config: &Config, slot: &ArcSwap<Detector>, metrics: &Metrics) -> bool {
    match load_detector(config) {
        Ok(d) => {
            record_rules(metrics, &d);
            let rules = d.rule_count();
            slot.store(Arc::new(d));
            metrics.reloads.with_label_values(&["success"]).inc();
            tracing::info!(rules, "Rules reloaded.");
            true
        }
        Err(e) => {
            metrics.reloads.with_label_values(&["failure"]).inc();
            // Rule-file errors name files, lines and reasons; they never contain scanned text.
            tracing::error!(error = %format!("{e:#}"), "Rule reload failed; keeping the running rules.");
            false
        }
    }
}

/// A cheap signature of a rule directory: paths, sizes and modification times of every file,
/// followed through symlinks (Kubernetes ConfigMap updates arrive as a symlink swap).
fn dir_signature(dir: &std::path::Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut entries = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else {
                entries.push((p, meta.len(), meta.modified().ok()));
            }
        }
    }
    entries.sort();
    entries.hash(&mut h);
    h.finish()
}

/// Polls the rule directory and reloads when it changes, until shutdown.
async fn watch_rules(
    handle: ShutdownHandle,
    dir: std::path::PathBuf,
    mut stop: watch::Receiver<bool>,
) {
    let mut last = dir_signature(&dir);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
        let sig = dir_signature(&dir);
        if sig != last {
            // Let a multi-file update settle before compiling.
            tokio::time::sleep(Duration::from_millis(500)).await;
            last = dir_signature(&dir);
            tracing::info!("Rule files changed; reloading.");
            handle.reload();
        }
    }
}

/// A built, not yet running, application.
pub struct Application {
    port: u16,
    server: Option<actix_web::dev::Server>,
    state: Arc<Shared>,
}

struct Shared {
    config: Config,
    metrics: Arc<Metrics>,
    detector: Arc<ArcSwap<Detector>>,
    policy: Arc<ArcSwap<crate::policy::PolicyConfig>>,
    ready: Arc<AtomicBool>,
    shutdown_tx: watch::Sender<bool>,
    store: Arc<dyn Store>,
}

/// Handle to stop a running application (tests, signal handlers).
#[derive(Clone)]
pub struct ShutdownHandle {
    state: Arc<Shared>,
    server: Option<actix_web::dev::ServerHandle>,
}

impl ShutdownHandle {
    /// Graceful shutdown: readiness fails at once; webhooks are still served for
    /// `server.shutdown_drain_seconds` (while the load balancer stops routing here); then the
    /// server stops accepting connections and finishes in-flight requests; then the workers
    /// finish the batch in hand and stop.
    pub async fn shutdown(&self) {
        self.state.ready.store(false, Ordering::Release);
        let drain = Duration::from_secs(self.state.config.server.shutdown_drain_seconds);
        if !drain.is_zero() {
            tracing::info!(
                seconds = drain.as_secs(),
                "Not ready; draining before stopping the listener."
            );
            tokio::time::sleep(drain).await;
        }
        if let Some(s) = &self.server {
            s.stop(true).await;
        }
        let _ = self.state.shutdown_tx.send(true);
        // Let the worker settle the batch it holds; un-acked leases are reclaimed after expiry.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.state.shutdown_tx.closed()).await;
    }

    /// Reloads rules now (what a rule-file change does).
    pub fn reload(&self) -> bool {
        reload_rules(
            &self.state.config,
            &self.state.detector,
            &self.state.metrics,
        )
    }

    /// What SIGHUP does: reloads the rules and, when the service was started with a config
    /// file, re-reads it and swaps in its `[policy]` section. An invalid file changes nothing
    /// (every problem is logged with its key). Other sections need a restart.
    pub fn reload_all(&self) -> bool {
        let rules_ok = self.reload();
        let Some(path) = &self.state.config.source_file else {
            return rules_ok;
        };
        match Config::load(Some(path)) {
            Ok(c) => {
                self.state.policy.store(Arc::new(c.policy));
                self.state
                    .metrics
                    .reloads
                    .with_label_values(&["success"])
                    .inc();
                tracing::info!("Policy reloaded from the config file.");
                rules_ok
            }
            Err(e) => {
                self.state
                    .metrics
                    .reloads
                    .with_label_values(&["failure"])
                    .inc();
                tracing::error!(error = %e, "Config reload failed; keeping the running policy.");
                false
            }
        }
    }
}

impl Application {
    /// Builds everything from `config`. Binds the listener (port 0 picks a free port).
    /// The executor is the API executor (audit-mode actions are still only recorded).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        Self::build_inner(config, None).await
    }

    /// Like [`Application::build`] with a chosen executor (tests inject fakes here).
    pub async fn build_with_executor(
        config: Config,
        executor: Arc<dyn Executor>,
    ) -> anyhow::Result<Application> {
        Self::build_inner(config, Some(executor)).await
    }

    async fn build_inner(
        config: Config,
        executor: Option<Arc<dyn Executor>>,
    ) -> anyhow::Result<Application> {
        let metrics = Arc::new(Metrics::new());
        let detector = load_detector(&config)?;
        record_rules(&metrics, &detector);
        metrics.reloads.with_label_values(&["success"]).inc();
        let detector = Arc::new(ArcSwap::from_pointee(detector));
        let store = open_store(&config).await?;

        let fingerprinter = match config.fingerprint_key() {
            Some(k) => Fingerprinter::new(k),
            None => {
                tracing::warn!(
                    "detect.fingerprint_key is not set: using a random per-process key; queued work cannot be matched after a restart."
                );
                let key: [u8; 32] = rand::random();
                Fingerprinter::new(&key)
            }
        };
        // A tenant may serve only one source: it is known to a verifier only with secrets.
        let tenants_zd = config
            .tenants
            .iter()
            .filter(|(_, t)| !t.zendesk_signing_secrets.is_empty())
            .map(|(n, t)| (n.clone(), t.zendesk_signing_secrets.clone()))
            .collect::<Vec<(String, Vec<SecretString>)>>();
        let tenants_sc = config
            .tenants
            .iter()
            .filter(|(_, t)| !t.sunshine_webhook_secrets.is_empty())
            .map(|(n, t)| (n.clone(), t.sunshine_webhook_secrets.clone()))
            .collect::<Vec<(String, Vec<SecretString>)>>();
        let zendesk = ZendeskVerifier::new(
            tenants_zd,
            TimestampWindow {
                max_age: Duration::from_secs(config.verify.max_age_seconds),
                max_future_skew: Duration::from_secs(config.verify.max_future_skew_seconds),
            },
            config.verify.allow_test_secret,
        )
        .map_err(|e| anyhow::anyhow!("tenants: {e}"))?;
        let sunshine =
            SunshineVerifier::new(tenants_sc).map_err(|e| anyhow::anyhow!("tenants: {e}"))?;
        // The API executor; also the sweep's source of API clients (one rate limiter per tenant
        // for both). Tests that inject an executor get a separate one for the sweep.
        let api_executor = if executor.is_none() || config.sweep.enabled {
            Some(Arc::new(
                build_api_executor(&config, detector.clone(), &fingerprinter, metrics.clone())
                    .await?,
            ))
        } else {
            None
        };
        let executor: Arc<dyn Executor> = executor
            .or_else(|| api_executor.clone().map(|a| a as Arc<dyn Executor>))
            .context("no executor")?;
        let policy = Arc::new(ArcSwap::from_pointee(config.policy.clone()));
        let policy_slot = policy.clone();
        let pipeline = Arc::new(Pipeline {
            detector: detector.clone(),
            policy,
            fingerprinter,
            zendesk,
            sunshine,
            author_rules: config.ingest.author.clone(),
            store: store.clone(),
            metrics: metrics.clone(),
            min_score: config.patterns.min_score,
            dedupe_ttl: Duration::from_secs(config.store.dedupe_ttl_seconds),
            work_ready: Arc::default(),
        });
        let ready = Arc::new(AtomicBool::new(true));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);

        let listener = TcpListener::bind(&config.server.listen)
            .with_context(|| format!("server.listen: cannot bind {}", config.server.listen))?;
        let port = listener.local_addr()?.port();

        let state = web::Data::new(AppState {
            pipeline: pipeline.clone(),
            metrics: metrics.clone(),
            store: store.clone(),
            ready: ready.clone(),
            max_body_bytes: config.server.max_body_bytes,
            retry_after_seconds: config.server.retry_after_seconds,
            delayed_overdue_after_ms: config
                .worker
                .delayed_overdue_after_seconds
                .saturating_mul(1000),
            body_timeout: Duration::from_millis(config.server.body_timeout_ms),
        });
        // Worker-only replicas serve health, readiness and metrics but no webhooks.
        let ingest = config.server.ingest_enabled;
        let bench = config.server.bench_bare_route;
        let mut http = HttpServer::new(move || {
            App::new().app_data(state.clone()).configure(|c| {
                if ingest {
                    webhook_routes(c);
                }
                if bench {
                    bench_routes(c);
                }
                ops_routes(c);
            })
        })
        .disable_signals()
        .client_request_timeout(Duration::from_millis(config.server.header_timeout_ms))
        .shutdown_timeout(config.server.shutdown_grace_seconds)
        .listen(listener)?;
        if config.server.http_workers > 0 {
            http = http.workers(config.server.http_workers);
        } else if !ingest {
            http = http.workers(1);
        }
        let server = Some(http.run());

        if config.server.worker_enabled {
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
            let worker = Worker {
                store: store.clone(),
                metrics: metrics.clone(),
                executor,
                wake: Some(pipeline.work_ready.clone()),
                settings: WorkerSettings {
                    consumer: format!("{host}-{}", std::process::id()),
                    concurrency: config.worker.concurrency,
                    lease: Duration::from_secs(config.worker.lease_seconds),
                    max_attempts: config.worker.max_attempts,
                    backoff_base: Duration::from_millis(config.worker.backoff_base_ms),
                    backoff_cap: Duration::from_millis(config.worker.backoff_cap_ms),
                    poll_interval: Duration::from_millis(config.worker.poll_interval_ms),
                },
            };
            tokio::spawn(worker.run(shutdown_rx));
        }

        if config.sweep.enabled
            && let Some(clients) = api_executor
        {
            let tenants = crate::sweep::periodic_tenants(&config);
            let lookback = crate::sweep::parse_duration(&config.sweep.lookback)
                .map_err(|e| anyhow::anyhow!("sweep.lookback: {e}"))?;
            let sweeper = Arc::new(crate::sweep::Sweeper::new(
                pipeline.clone(),
                clients,
                crate::sweep::SweepSettings::from_config(&config.sweep),
                Arc::new(|line: &str| tracing::info!(progress = line, "Sweep.")),
            ));
            tracing::info!(
                tenants = tenants.len(),
                "Periodic reconciliation sweep enabled."
            );
            tokio::spawn(sweeper.run_periodic(
                tenants,
                lookback,
                Duration::from_secs(config.sweep.interval_seconds),
                shutdown_tx.subscribe(),
            ));
        }

        let app = Application {
            port,
            server,
            state: Arc::new(Shared {
                config,
                metrics,
                detector,
                policy: policy_slot,
                ready,
                shutdown_tx,
                store,
            }),
        };
        if app.state.config.patterns.watch
            && let Some(dir) = app.state.config.patterns.dir()
        {
            let stop = app.state.shutdown_tx.subscribe();
            tokio::spawn(watch_rules(app.shutdown_handle(), dir.to_path_buf(), stop));
        }
        Ok(app)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.state.metrics.clone()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: self.state.clone(),
            server: self.server.as_ref().map(|s| s.handle()),
        }
    }

    /// Runs until the server stops (via a [`ShutdownHandle`]).
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.await?;
        }
        Ok(())
    }

    /// Runs with signal handling: SIGTERM/SIGINT shut down gracefully, SIGHUP reloads rules.
    pub async fn run_with_signals(self) -> anyhow::Result<()> {
        let handle = self.shutdown_handle();
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_seconds);
        tracing::info!(port = self.port, summary = %self.state.config.redacted_summary(), "phi-guard serving.");
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            let mut hup = signal(SignalKind::hangup())?;
            let h = handle.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = term.recv() => break,
                        _ = int.recv() => break,
                        _ = hup.recv() => { h.reload_all(); continue; }
                    }
                }
                tracing::info!("Shutdown requested: no longer ready, draining in-flight requests.");
                let _ = tokio::time::timeout(grace, h.shutdown()).await;
            });
        }
        #[cfg(not(unix))]
        {
            let h = handle.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                let _ = tokio::time::timeout(grace, h.shutdown()).await;
            });
        }
        self.run_until_stopped().await?;
        tracing::info!("phi-guard stopped.");
        Ok(())
    }
}
