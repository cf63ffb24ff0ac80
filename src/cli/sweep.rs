//! `phi-guard sweep`: the reconciliation sweep from the command line (see `crate::sweep`).
//!
//! Owns: turning the arguments into [`Start`]s and sweep runs, wiring a pipeline and API clients
//! from the configuration like `serve` does (same detector, policy, fingerprint key, store and
//! per-tenant rate limits), SIGINT/SIGTERM handling, progress lines on stderr and one JSON
//! summary per run on stdout (counts only). Must not: hold sweep logic.
//!
//! Exit codes: **0** every run completed (with `--every`: stopped by a signal between or during
//! runs — the cursor is stored), **2** an error (bad arguments or configuration, store or API
//! failure after retries, a one-shot run interrupted by a signal). A failed or interrupted run
//! leaves its cursor at the last completed page; running the same command again resumes there.

use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use tokio::sync::watch;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::now_ms;
use crate::sweep::{self, Start, SweepError, Sweeper};

/// Which API a sweep walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SweepSource {
    /// Incremental ticket export, then the comments of each changed ticket.
    Zendesk,
    /// The messages of the conversations given with `--conversation`.
    Sunshine,
}

/// Arguments of `phi-guard sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// Start of the window: an RFC 3339 time (2026-11-24T08:00:00Z) or a duration ago (24h,
    /// 90m, 7d). An interrupted sweep's stored cursor is resumed instead (see --restart).
    /// Without --since, the stored cursor continues (the export stream after the last run).
    #[arg(long)]
    pub since: Option<String>,
    /// Start at --since even if an interrupted sweep's cursor is stored.
    #[arg(long, requires = "since")]
    pub restart: bool,
    /// Tenant to sweep (repeatable). Default with `--source zendesk`: `sweep.tenants`, else every
    /// tenant with Zendesk API credentials; with `--source sunshine`: `default`.
    #[arg(long = "tenant")]
    pub tenants: Vec<String>,
    #[arg(long, value_enum, default_value_t = SweepSource::Zendesk)]
    pub source: SweepSource,
    /// Sunshine conversation id to sweep (repeatable; required with --source sunshine: listing
    /// every conversation of an app is not an endpoint this project relies on).
    #[arg(long = "conversation")]
    pub conversations: Vec<String>,
    /// With --source sunshine: also sweep every conversation the audit trail names for the
    /// tenant (conversations phi-guard already acted on).
    #[arg(long)]
    pub known_conversations: bool,
    /// Repeat every DURATION (15m, 1h) until SIGINT/SIGTERM; later runs continue the cursor.
    #[arg(long)]
    pub every: Option<String>,
}

/// Runs `phi-guard sweep`; returns the exit code.
pub fn run(config: Config, args: SweepArgs) -> anyhow::Result<i32> {
    crate::telemetry::init(
        config.log.format,
        &config.log.level,
        crate::telemetry::stderr(),
    );
    let now = now_ms() / 1000;
    let first = match &args.since {
        Some(s) => {
            let t = sweep::parse_since(s, now).map_err(|e| anyhow::anyhow!("--since {e}"))?;
            if args.restart {
                Start::Restart(t)
            } else {
                Start::Since(t)
            }
        }
        None => Start::Continue(None),
    };
    let every = args
        .every
        .as_deref()
        .map(sweep::parse_duration)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--every {e}"))?;
    if args.source == SweepSource::Sunshine
        && args.conversations.is_empty()
        && !args.known_conversations
    {
        anyhow::bail!(
            "--source sunshine needs --conversation <id> (repeatable) or --known-conversations"
        );
    }
    if args.source == SweepSource::Zendesk
        && (!args.conversations.is_empty() || args.known_conversations)
    {
        anyhow::bail!("--conversation / --known-conversations are for --source sunshine");
    }
    let tenants = if !args.tenants.is_empty() {
        args.tenants.clone()
    } else if args.source == SweepSource::Zendesk {
        sweep::periodic_tenants(&config)
    } else {
        vec!["default".to_string()]
    };
    if tenants.is_empty() {
        anyhow::bail!("no tenant has [tenants.<name>.zendesk] API credentials to sweep with");
    }
    for t in &tenants {
        if !config.tenants.contains_key(t) {
            anyhow::bail!("--tenant {t}: no such tenant in the configuration");
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let store = crate::app::open_store(&config).await?;
        let mut conversations: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for tenant in &tenants {
            let mut list = args.conversations.clone();
            if args.known_conversations {
                for c in sweep::known_conversations(
                    store.as_ref(),
                    tenant,
                    sweep::KNOWN_CONVERSATIONS_AUDIT_RECORDS,
                )
                .await?
                {
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
            }
            if args.source == SweepSource::Sunshine && list.is_empty() {
                anyhow::bail!(
                    "tenant {tenant}: no conversation to sweep (the audit trail names none)"
                );
            }
            conversations.insert(tenant.clone(), list);
        }
        let sweeper = Sweeper::from_config(
            &config,
            store,
            Arc::new(Metrics::new()),
            Arc::new(|line: &str| eprintln!("{line}")),
        )
        .await?;
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("sweep: stopping (signal); the cursor of the last finished page is stored");
            let _ = stop_tx.send(true);
        });

        let mut start = first;
        loop {
            let mut failed = false;
            for tenant in &tenants {
                let r = match args.source {
                    SweepSource::Zendesk => {
                        sweeper.sweep_zendesk(tenant, start, stop_rx.clone()).await
                    }
                    SweepSource::Sunshine => {
                        let convs = conversations.get(tenant).cloned().unwrap_or_default();
                        sweeper
                            .sweep_sunshine(tenant, &convs, start, stop_rx.clone())
                            .await
                    }
                };
                match r {
                    Ok(stats) => println!("{}", serde_json::to_string(&stats)?),
                    Err(SweepError::Interrupted) => {
                        return Ok(if every.is_some() { 0 } else { 2 });
                    }
                    Err(e) => {
                        eprintln!("phi-guard: sweep of tenant {tenant} failed: {e}");
                        failed = true;
                    }
                }
            }
            let Some(every) = every else {
                return Ok(if failed { 2 } else { 0 });
            };
            start = Start::Continue(None);
            let mut stop = stop_rx.clone();
            if *stop.borrow() {
                return Ok(0);
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return Ok(0),
            }
        }
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
