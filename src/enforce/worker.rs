//! The worker loop: lease work items, execute them, then ack, retry or dead-letter.
//!
//! Delivery is at-least-once (a worker killed mid-item loses its lease and the item is handed
//! out again after `lease_seconds`); executors make every action idempotent, so the effect is
//! exactly once. Backoff is exponential with full jitter: `random(0, min(cap, base · 2^attempt))`;
//! an upstream `Retry-After` replaces it. After `max_attempts` an item goes to the dead-letter
//! queue (`phi-guard dlq list|replay|drop`). Every outcome is an audit record (no PHI).

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;

use super::{ExecOutcome, Executor};
use crate::audit::AuditRecord;
use crate::metrics::Metrics;
use crate::policy::Action;
use crate::store::{Leased, Store, now_ms};

/// Worker settings (from `[worker]`).
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub consumer: String,
    pub concurrency: usize,
    pub lease: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub poll_interval: Duration,
}

/// Full-jitter exponential backoff for the given number of attempts already made.
pub fn backoff(base: Duration, cap: Duration, attempts: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempts.min(20));
    let ceiling = exp.min(cap);
    let ms = ceiling.as_millis() as u64;
    Duration::from_millis(if ms == 0 {
        0
    } else {
        rand::rng().random_range(0..=ms)
    })
}

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub executor: Arc<dyn Executor>,
    /// Woken when this process submits new work (the webhook handler, the sweep): an idle
    /// worker leases at once instead of sleeping out `poll_interval`. Work submitted by other
    /// replicas, and delayed items coming due, are found by polling.
    pub wake: Option<Arc<tokio::sync::Notify>>,
    pub settings: WorkerSettings,
}

impl Worker {
    /// Runs until `shutdown` turns true; the batch in hand is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(consumer = %self.settings.consumer, "Worker started.");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let batch = match self
                .store
                .lease(
                    &self.settings.consumer,
                    self.settings.concurrency,
                    self.settings.lease,
                )
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    self.metrics
                        .store_errors
                        .with_label_values(&["lease"])
                        .inc();
                    tracing::warn!(error = %e, "Lease failed; backing off.");
                    Vec::new()
                }
            };
            if batch.is_empty() {
                let woken = async {
                    match &self.wake {
                        Some(n) => n.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                    _ = woken => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            futures_util::future::join_all(batch.iter().map(|item| self.process(item))).await;
        }
        tracing::info!(consumer = %self.settings.consumer, "Worker stopped.");
    }

    /// Executes one leased item and settles it in the store.
    pub async fn process(&self, item: &Leased) {
        let action: Action = match serde_json::from_slice(&item.payload) {
            Ok(a) => a,
            Err(_) => {
                self.metrics
                    .actions
                    .with_label_values(&["unknown", "undecodable"])
                    .inc();
                tracing::error!(work_id = %item.id, "Work item payload cannot be decoded; dead-lettering.");
                if let Err(e) = self.store.dead_letter(item, "undecodable").await {
                    self.store_error("dead_letter", &e);
                }
                return;
            }
        };
        let kind = action.kind.as_str();
        let outcome = self.executor.execute(&action).await;
        let attempts = item.attempts + 1;
        let (code, settle) = match outcome {
            ExecOutcome::Done(code) => (code, Settle::Ack),
            ExecOutcome::Permanent(reason) => (reason, Settle::Dead(reason)),
            ExecOutcome::Retry { after, reason } => {
                self.metrics.retries.with_label_values(&[kind]).inc();
                if attempts >= self.settings.max_attempts {
                    (reason, Settle::Dead("max_attempts"))
                } else {
                    let delay = after.unwrap_or_else(|| {
                        backoff(
                            self.settings.backoff_base,
                            self.settings.backoff_cap,
                            item.attempts,
                        )
                    });
                    (reason, Settle::Retry(delay))
                }
            }
        };
        let now = now_ms();
        let audit_outcome = match settle {
            Settle::Ack => code,
            Settle::Retry(_) => "retry",
            Settle::Dead(_) => "dead_letter",
        };
        let record = AuditRecord::of(
            &action,
            &item.id,
            audit_outcome,
            attempts,
            now,
            item.enqueued_at_ms,
        );
        // The audit record is written before the item is settled: a crash in between repeats the
        // (idempotent) action and its record, never loses either.
        if let Err(e) = self.store.append_audit(&record.to_json()).await {
            self.store_error("append_audit", &e);
            let _ = self.store.release(item).await;
            return;
        }
        self.metrics.audit_records.inc();
        let result = match settle {
            Settle::Ack => {
                self.metrics
                    .queue_lag
                    .observe(now.saturating_sub(item.enqueued_at_ms) as f64 / 1000.0);
                self.store.ack(item).await
            }
            Settle::Retry(d) => self.store.retry(item, now + d.as_millis() as u64).await,
            Settle::Dead(reason) => {
                tracing::warn!(work_id = %item.id, action = kind, reason, attempts, "Work item dead-lettered.");
                self.store.dead_letter(item, reason).await
            }
        };
        self.metrics
            .actions
            .with_label_values(&[kind, audit_outcome])
            .inc();
        if let Err(e) = result {
            self.store_error("settle", &e);
        }
    }

    fn store_error(&self, op: &'static str, e: &crate::store::StoreError) {
        self.metrics.store_errors.with_label_values(&[op]).inc();
        tracing::warn!(op, error = %e, "Store operation failed in worker.");
    }
}

enum Settle {
    Ack,
    Retry(Duration),
    Dead(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_cap_and_exponential_ceiling() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(5);
        for attempt in 0..40 {
            let d = backoff(base, cap, attempt);
            let ceiling = base.saturating_mul(1 << attempt.min(20)).min(cap);
            assert!(d <= ceiling, "{attempt}: {d:?} > {ceiling:?}");
        }
        // Full jitter spreads values (not all equal).
        let v: std::collections::HashSet<_> = (0..50).map(|_| backoff(base, cap, 5)).collect();
        assert!(v.len() > 10);
    }
}
