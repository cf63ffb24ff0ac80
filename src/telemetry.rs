//! Logging set-up: structured `tracing` output (JSON by default) with an env filter.
//!
//! Owns: installing the subscriber. Must not: define metrics, or add any span field that could
//! hold message text — log statements elsewhere carry ids, rule ids, counts and bounded reasons.

use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// Installs the global subscriber writing to `writer`. `RUST_LOG` overrides `level`. Returns
/// false if a subscriber was already installed (tests install one per binary).
pub fn init<W>(format: LogFormat, level: &str, writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(true);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
            .is_ok(),
        LogFormat::Text => builder.with_ansi(false).try_init().is_ok(),
    }
}

/// Standard error as a writer (the service logs to stderr; stdout is left for CLI output).
pub fn stderr() -> impl for<'a> MakeWriter<'a> + Send + Sync + 'static {
    || -> Box<dyn Write> { Box::new(std::io::stderr()) }
}
