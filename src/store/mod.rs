//! The durable store: dedupe keys, the work queue (with leases, retries, delayed items and a
//! dead-letter queue), audit records and small cursors.
//!
//! One [`Store`] trait, two real implementations that pass the same conformance suite
//! (`store::conformance`): [`embedded`] (redb file, single node, the default) and [`redis`]
//! (several replicas). Owns: persistence and its atomicity. Must not: know HTTP, Zendesk payload
//! shapes, or hold matched text — work item payloads are serialized actions made only of ids,
//! rule ids, offsets and keyed fingerprints (ARCHITECTURE invariant 1).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub mod conformance;
pub mod embedded;
pub mod redis;

/// Errors from a store. Messages never contain payloads.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached or failed (I/O, connection refused, timeout).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be decoded (corruption or a version mismatch).
    #[error("store data corrupt: {0}")]
    Corrupt(String),
    /// The item or lease does not exist (already acked, reclaimed by another worker, dropped).
    #[error("not found: {0}")]
    NotFound(String),
}

/// One webhook delivery / event to record exactly once, with the work it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// `source:tenant:id` — the invocation id or event id.
    pub dedupe_key: String,
    /// SHA-256 of the event's bytes, to count "same id, different body".
    pub body_hash: [u8; 32],
    /// Work items to enqueue if (and only if) the key is new. May be empty (nothing to do).
    pub items: Vec<NewWork>,
}

/// What happened to a [`Submission`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// New key: recorded and its items durably enqueued.
    Accepted,
    /// Seen before with the same body hash: nothing enqueued.
    Duplicate,
    /// Seen before with a different body hash: nothing enqueued (counted and logged by id).
    DuplicateDifferentBody,
}

/// A work item to enqueue. `payload` is an opaque serialized action (no PHI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWork {
    /// Unique id of the work item (its idempotency key).
    pub id: String,
    /// Tenant, for per-tenant rate limits and reporting.
    pub tenant: String,
    /// Bounded-cardinality kind for metrics (`redact_comment`, `delete_message`).
    pub kind: String,
    pub payload: Vec<u8>,
    /// Not to be leased before this Unix time in milliseconds (retention / delayed deletions).
    pub not_before_ms: Option<u64>,
}

/// A work item handed to a worker under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    pub id: String,
    pub tenant: String,
    pub kind: String,
    pub payload: Vec<u8>,
    /// Attempts made before this one (0 on first delivery).
    pub attempts: u32,
    /// When it was first enqueued (Unix ms): for queue lag.
    pub enqueued_at_ms: u64,
    /// Opaque token proving ownership of the lease; needed to ack / retry / dead-letter.
    pub token: String,
}

/// A dead-lettered item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadItem {
    pub id: String,
    pub tenant: String,
    pub kind: String,
    pub payload: Vec<u8>,
    pub attempts: u32,
    /// Bounded reason (`max_attempts`, `permanent_4xx`), never an upstream message.
    pub reason: String,
    pub dead_at_ms: u64,
}

/// Point-in-time queue figures for metrics and `/readyz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Ready to lease now.
    pub ready: u64,
    /// Waiting for a retry time or a `not_before`.
    pub delayed: u64,
    /// Leased and not yet acked.
    pub leased: u64,
    pub dead: u64,
    /// Age in ms of the oldest ready item (0 when none).
    pub oldest_ready_age_ms: u64,
}

/// Delayed items (scheduled deletions and retries waiting for their time) by how their ready
/// time compares with "now", for the `phi_guard_delayed_items` gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DelayedStats {
    /// Ready time still in the future.
    pub scheduled: u64,
    /// Ready time reached, by at most the grace: the next `lease` moves them to ready.
    pub due: u64,
    /// Ready time passed by more than the grace: no worker is leasing (or it cannot keep up).
    pub overdue: u64,
}

/// The store contract. Every method is atomic on its own; `submit` is atomic across all of its
/// submissions (all recorded and enqueued, or none).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap liveness check of the backend (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Has this dedupe key been recorded? A read-only hint used to skip scanning duplicates;
    /// `submit` is the authority.
    async fn seen(&self, dedupe_key: &str) -> Result<bool, StoreError>;

    /// Records each submission's dedupe key (with `ttl`) and enqueues its items durably, in one
    /// atomic step: a key is recorded only together with its items. Returns once durable
    /// (fsynced / acknowledged by Redis). Outcomes are in the order of `submissions`.
    async fn submit(
        &self,
        submissions: &[Submission],
        ttl: Duration,
    ) -> Result<Vec<SubmitOutcome>, StoreError>;

    /// Enqueues items without dedupe (retention, sweep, DLQ replay).
    async fn enqueue(&self, items: &[NewWork]) -> Result<(), StoreError>;

    /// Leases up to `max` ready items for `lease` duration. Items whose lease expired (a worker
    /// died) are reclaimed and handed out again with their attempt count kept.
    async fn lease(
        &self,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Leased>, StoreError>;

    /// Done: removes the item.
    async fn ack(&self, item: &Leased) -> Result<(), StoreError>;

    /// Failed, try again not before `at_ms` (Unix ms); increments attempts.
    async fn retry(&self, item: &Leased, at_ms: u64) -> Result<(), StoreError>;

    /// Gives back a lease without counting an attempt (graceful shutdown).
    async fn release(&self, item: &Leased) -> Result<(), StoreError>;

    /// Moves the item to the dead-letter queue with a bounded reason.
    async fn dead_letter(&self, item: &Leased, reason: &str) -> Result<(), StoreError>;

    /// Dead-lettered items, oldest first.
    async fn dlq_list(&self, limit: usize) -> Result<Vec<DeadItem>, StoreError>;

    /// Moves a dead item back to the queue with attempts reset. `Ok(false)` if no such id.
    async fn dlq_replay(&self, id: &str) -> Result<bool, StoreError>;

    /// Deletes a dead item. `Ok(false)` if no such id.
    async fn dlq_drop(&self, id: &str) -> Result<bool, StoreError>;

    async fn stats(&self) -> Result<QueueStats, StoreError>;

    /// Counts the delayed items by ready time `t` against `now_ms` (Unix ms, the caller's clock):
    /// `t > now` scheduled, `now - overdue_after_ms <= t <= now` due, older overdue.
    async fn delayed_stats(
        &self,
        now_ms: u64,
        overdue_after_ms: u64,
    ) -> Result<DelayedStats, StoreError>;

    /// Appends one audit record (JSON bytes without PHI) to the append-only audit log.
    async fn append_audit(&self, record: &[u8]) -> Result<(), StoreError>;

    /// The most recent `limit` audit records, oldest first.
    async fn audit_tail(&self, limit: usize) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Small named cursors (reconciliation sweep progress).
    async fn get_cursor(&self, name: &str) -> Result<Option<String>, StoreError>;
    async fn set_cursor(&self, name: &str, value: &str) -> Result<(), StoreError>;
}

/// Current Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
