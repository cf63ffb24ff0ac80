//! Integration tests: one binary, one module per area (see each module's doc).
//!
//! - `webhook_zendesk`: signed Zendesk webhooks in → status codes, queue contents, metrics.
//! - `webhook_sunshine`: Sunshine batches, every content type, API-key checks.
//! - `enforce`, `enforce_kill`: webhook → exact API calls on fake Zendesk/Sunshine APIs; faults.
//! - `canary`: planted PHI appears nowhere at rest or in telemetry, on every path (accepted,
//!   rejected, retried, failed, dead-lettered).
//! - `redis_backend`: the same flow on a real `redis-server`, and 503 when it is down.
//! - `cli`: the binary's subcommands and exit codes.
//! - `reload`: hot reload of rules (file watch, broken files) and of the policy (SIGHUP).
//! - `retention`: retention schedules and AI-agent `after_delay`: delayed deletions, restarts.
//! - `duties`: AI-agent transcript tickets (redact / soft / permanent delete with job polling),
//!   the tag for removed messaging attachments, delayed-item gauges and a restart mid-schedule.
//! - `shutdown`: graceful shutdown — not ready first, drain, no acknowledged work lost.
//! - `hostile`: forged / replayed / tampered / malformed / oversized / slow requests (a table).
//! - `replicas`: three `serve` processes on one Redis, duplicates, one replica SIGKILLed.
//! - `chaos`: Redis stopped and killed under load, API storms, read-only and full disks.
//!
//! `scripts/reliability` runs the fault and hostile-input scenarios one by one and writes
//! `docs/reliability.md` from the `[reliability]` lines they print.
//! - `sweep`: the reconciliation sweep — missed PHI found, dedupe against webhooks, resume after
//!   SIGKILL, `Retry-After`, canary, CLI exit codes.

mod support;

mod canary;
mod chaos;
mod cli;
mod duties;
mod enforce;
mod enforce_kill;
mod hostile;
mod redis_backend;
mod reload;
mod replicas;
mod retention;
mod shutdown;
mod sweep;
mod webhook_sunshine;
mod webhook_zendesk;
