//! Enforcement: workers that execute queued actions, and the executors that carry them out.
//!
//! Owns: the worker loop (lease → execute → ack | retry with backoff and full jitter, honouring
//! `Retry-After` | dead-letter), retry classification ([`ExecOutcome`]), and the [`Executor`]s.
//! Must not: decide *whether* to act (that is `policy`) or keep text it re-fetched.
//!
//! Executors: [`AuditExecutor`] (records, calls nothing) and [`executor::ApiExecutor`] (the
//! Zendesk / Sunshine API clients in `zendesk_api` / `sunshine_api` over the shared HTTP
//! plumbing in `api`, with `<redact>` wrapping in `redact`).

use std::time::Duration;

use async_trait::async_trait;

use crate::policy::{Action, Mode};

pub mod api;
pub mod executor;
pub mod redact;
pub mod sunshine_api;
pub mod worker;
pub mod zendesk_api;

/// The result of executing one action, as a retry classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecOutcome {
    /// Finished; the code is recorded (`executed`, `already_done`, `audit_only`).
    Done(&'static str),
    /// Try again later: after `after` if the upstream said so (`Retry-After`), else backoff.
    Retry {
        after: Option<Duration>,
        reason: &'static str,
    },
    /// Will never succeed as is: dead-letter with this bounded reason.
    Permanent(&'static str),
}

/// Carries out actions.
#[async_trait]
pub trait Executor: Send + Sync + 'static {
    async fn execute(&self, action: &Action) -> ExecOutcome;
}

/// Records audit-mode actions; enforce-mode actions need an API executor, so they are retried
/// (and finally dead-lettered, replayable) rather than silently dropped.
pub struct AuditExecutor;

#[async_trait]
impl Executor for AuditExecutor {
    async fn execute(&self, action: &Action) -> ExecOutcome {
        match action.mode {
            Mode::Audit => ExecOutcome::Done("audit_only"),
            Mode::Enforce => ExecOutcome::Retry {
                after: None,
                reason: "no_api_executor",
            },
        }
    }
}
