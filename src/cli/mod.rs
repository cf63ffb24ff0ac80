//! Command line: `serve`, `scan`, `patterns check|test`, `sign`, `dlq list|replay|drop`,
//! `audit tail`, `config check`, `sweep`.
//!
//! Owns: argument definitions (clap) and turning each subcommand into calls of the same library
//! functions the server uses. Must not: hold business rules. Exit codes: 0 success (for `scan`:
//! nothing found), 1 `scan` found something / a check failed, 2 usage or runtime error.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;

pub mod patterns;
pub mod scan;
pub mod sweep;

#[derive(Debug, Parser)]
#[command(
    name = "phi-guard",
    version,
    about = "Keeps PHI out of Zendesk and Sunshine Conversations."
)]
pub struct Cli {
    /// Configuration file layered over the embedded defaults (env PHI_GUARD_CONFIG).
    #[arg(long, global = true, env = "PHI_GUARD_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the webhook service (and workers) until SIGTERM.
    Serve,
    /// Scan files (or stdin) for PHI. Exit 0: none found, 1: found, 2: error.
    Scan {
        /// Files to scan; standard input when none.
        files: Vec<PathBuf>,
        /// Output format. `jsonl` reads JSON Lines `{"id","text"[,"html"]}` and writes findings.
        #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
        format: ScanFormat,
        /// Print the text with findings masked.
        #[arg(long)]
        redact: bool,
        /// Ignore findings below this score (default: `patterns.min_score`).
        #[arg(long)]
        min_score: Option<f32>,
        /// Colour the human output (auto: when stdout is a terminal).
        #[arg(long, value_enum, default_value_t = Color::Auto)]
        color: Color,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Validate and test rule files.
    Patterns {
        #[command(subcommand)]
        action: PatternsAction,
    },
    /// Sign a body the way Zendesk does and print the headers (or a curl command).
    Sign {
        /// File holding the body; standard input when absent.
        file: Option<PathBuf>,
        /// Signing secret (prefer --secret-file or env PHI_GUARD_SIGN_SECRET).
        #[arg(long, env = "PHI_GUARD_SIGN_SECRET", hide_env_values = true)]
        secret: Option<String>,
        #[arg(long)]
        secret_file: Option<PathBuf>,
        /// Timestamp to sign (default: now, ISO-8601 UTC).
        #[arg(long)]
        timestamp: Option<String>,
        /// Print a ready-to-run curl command for this URL instead of bare headers.
        #[arg(long)]
        curl: Option<String>,
    },
    /// Inspect and operate the dead-letter queue.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Show the latest audit records (JSON Lines).
    Audit {
        #[arg(short = 'n', long, default_value_t = 50)]
        limit: usize,
    },
    /// Validate the configuration and print a summary without secrets.
    ConfigCheck,
    /// Reconciliation sweep: re-read what changed since a time through the APIs and enqueue the
    /// actions missed webhooks would have caused. Progress on stderr, one JSON summary per run
    /// on stdout. Exit 0: completed, 2: error or interrupted (re-run resumes).
    Sweep(sweep::SweepArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScanFormat {
    Human,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// Rule directory (default: `patterns.dir`, or the embedded rules).
    #[arg(long)]
    pub patterns: Option<PathBuf>,
    /// Jurisdictions to load, comma separated (default: `patterns.jurisdictions`).
    #[arg(long, value_delimiter = ',')]
    pub jurisdictions: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PatternsAction {
    /// Load and compile every rule file; report `file:line: reason` for each problem.
    Check {
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run every rule's examples and negative examples.
    Test {
        #[command(flatten)]
        rules: RuleArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum DlqAction {
    /// List dead-lettered items (ids, kinds, reasons, attempts).
    List {
        #[arg(short = 'n', long, default_value_t = 100)]
        limit: usize,
    },
    /// Put an item back on the queue with its attempts reset.
    Replay { ids: Vec<String> },
    /// Delete items from the dead-letter queue.
    Drop { ids: Vec<String> },
}

/// Runs the CLI; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("phi-guard: {e:#}");
            2
        }
    }
}

fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

fn rule_source(config: &Config, rules: &RuleArgs) -> (Option<PathBuf>, Vec<String>) {
    let dir = rules
        .patterns
        .clone()
        .or_else(|| config.patterns.dir().map(|p| p.to_path_buf()));
    let juris = if rules.jurisdictions.is_empty() {
        config.patterns.jurisdictions.clone()
    } else {
        rules.jurisdictions.clone()
    };
    (dir, juris)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let config_path = cli.config.clone();
    match cli.command {
        Command::Serve => {
            let config = load_config(config_path.as_deref())?;
            crate::telemetry::init(
                config.log.format,
                &config.log.level,
                crate::telemetry::stderr(),
            );
            let workers = if config.server.http_workers > 0 {
                config.server.http_workers
            } else {
                std::thread::available_parallelism().map_or(2, |n| n.get())
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers.max(2))
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            rt.block_on(async move {
                let app = crate::app::Application::build(config).await?;
                app.run_with_signals().await
            })?;
            Ok(0)
        }
        Command::Scan {
            files,
            format,
            redact,
            min_score,
            color,
            rules,
        } => {
            let config = load_config(config_path.as_deref())?;
            let (dir, juris) = rule_source(&config, &rules);
            let detector = crate::patterns::load_detector(dir.as_deref(), &juris)
                .map_err(|e| anyhow::anyhow!("rule files are invalid:\n{e}"))?;
            let opts = scan::ScanOptions {
                format: match format {
                    ScanFormat::Human => scan::Format::Human,
                    ScanFormat::Jsonl => scan::Format::Jsonl,
                },
                redact,
                min_score: Some(min_score.unwrap_or(config.patterns.min_score)),
                color: match color {
                    Color::Always => true,
                    Color::Never => false,
                    Color::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
                },
            };
            let mut inputs: Vec<(String, Box<dyn std::io::BufRead>)> = Vec::new();
            if files.is_empty() {
                inputs.push(("<stdin>".into(), Box::new(std::io::stdin().lock())));
            } else {
                for f in &files {
                    let file = std::fs::File::open(f)
                        .with_context(|| format!("{}: cannot open", f.display()))?;
                    inputs.push((
                        f.display().to_string(),
                        Box::new(std::io::BufReader::new(file)),
                    ));
                }
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let code = scan::run(&detector, &opts, inputs, &mut out)?;
            out.flush()?;
            Ok(code)
        }
        Command::Patterns { action } => {
            let config = load_config(config_path.as_deref())?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match action {
                PatternsAction::Check { rules } => {
                    let (dir, juris) = rule_source(&config, &rules);
                    patterns::check(dir.as_deref(), &juris, &mut out)
                }
                PatternsAction::Test { rules } => {
                    let (dir, juris) = rule_source(&config, &rules);
                    patterns::test(dir.as_deref(), &juris, &mut out)
                }
            }
        }
        Command::Sign {
            file,
            secret,
            secret_file,
            timestamp,
            curl,
        } => {
            let secret = match (secret, secret_file) {
                (_, Some(path)) => std::fs::read_to_string(&path)
                    .with_context(|| format!("{}: cannot read the secret file", path.display()))?
                    .trim()
                    .to_string(),
                (Some(s), None) => s,
                (None, None) => anyhow::bail!(
                    "a secret is required: --secret-file FILE or PHI_GUARD_SIGN_SECRET"
                ),
            };
            let body = match &file {
                Some(p) => {
                    std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?
                }
                None => {
                    let mut b = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)?;
                    b
                }
            };
            let ts = timestamp
                .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
            let sig = crate::ingest::verify::sign_zendesk(&secret, &ts, &body);
            match curl {
                Some(url) => {
                    let data = match &file {
                        Some(p) => format!("@{}", p.display()),
                        None => "@-".into(),
                    };
                    println!(
                        "curl -sS -X POST '{url}' -H 'Content-Type: application/json' -H 'X-Zendesk-Webhook-Signature-Timestamp: {ts}' -H 'X-Zendesk-Webhook-Signature: {sig}' -H 'X-Zendesk-Webhook-Invocation-Id: {}' --data-binary '{data}'",
                        crate::store::now_ms()
                    );
                }
                None => {
                    println!("X-Zendesk-Webhook-Signature-Timestamp: {ts}");
                    println!("X-Zendesk-Webhook-Signature: {sig}");
                }
            }
            Ok(0)
        }
        Command::Dlq { action } => {
            let config = load_config(config_path.as_deref())?;
            runtime()?.block_on(async move {
                let store = crate::app::open_store(&config).await?;
                match action {
                    DlqAction::List { limit } => {
                        for d in store.dlq_list(limit).await? {
                            println!(
                                "{}",
                                serde_json::json!({
                                    "id": d.id, "tenant": d.tenant, "kind": d.kind,
                                    "attempts": d.attempts, "reason": d.reason, "dead_at_ms": d.dead_at_ms,
                                })
                            );
                        }
                        Ok(0)
                    }
                    DlqAction::Replay { ids } => {
                        let mut missing = 0;
                        for id in &ids {
                            if store.dlq_replay(id).await? {
                                println!("replayed {id}");
                            } else {
                                eprintln!("no dead-lettered item {id}");
                                missing += 1;
                            }
                        }
                        Ok(if missing > 0 { 1 } else { 0 })
                    }
                    DlqAction::Drop { ids } => {
                        let mut missing = 0;
                        for id in &ids {
                            if store.dlq_drop(id).await? {
                                println!("dropped {id}");
                            } else {
                                eprintln!("no dead-lettered item {id}");
                                missing += 1;
                            }
                        }
                        Ok(if missing > 0 { 1 } else { 0 })
                    }
                }
            })
        }
        Command::Audit { limit } => {
            let config = load_config(config_path.as_deref())?;
            runtime()?.block_on(async move {
                let store = crate::app::open_store(&config).await?;
                for rec in store.audit_tail(limit).await? {
                    println!("{}", String::from_utf8_lossy(&rec));
                }
                Ok(0)
            })
        }
        Command::Sweep(args) => {
            let config = load_config(config_path.as_deref())?;
            sweep::run(config, args)
        }
        Command::ConfigCheck => {
            let config = load_config(config_path.as_deref())?;
            println!("configuration is valid: {}", config.redacted_summary());
            Ok(0)
        }
    }
}
