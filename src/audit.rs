//! Append-only audit records: what was decided, what was executed, the outcome, attempts, latency.
//!
//! Owns: the [`AuditRecord`] shape. Records hold ids, rule ids, labels, offsets and keyed
//! fingerprints — never matched text, bodies or upstream error messages (outcomes are bounded
//! codes). They are written through [`crate::store::Store::append_audit`] so they survive restarts
//! and are shared by replicas when Redis is used. Must not: hold free-form strings from input.

use serde::{Deserialize, Serialize};

use crate::ingest::{ObjectRef, Source};
use crate::policy::{Action, ActionKind, Mode};

/// One audit record (one JSON object per record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Unix time in milliseconds.
    pub ts_ms: u64,
    pub tenant: String,
    pub source: Source,
    pub event_id: String,
    pub work_id: String,
    pub action: ActionKind,
    pub mode: Mode,
    pub object: ObjectRef,
    /// Why the action was decided (bounded code).
    pub reason: String,
    /// Evidence: label, rule, offsets, fingerprint per span.
    pub spans: Vec<AuditSpan>,
    /// Bounded outcome code: `audit_only`, `executed`, `already_done`, `retry`, `dead_letter`.
    pub outcome: String,
    pub attempts: u32,
    /// Time from enqueue to this record, in milliseconds.
    pub latency_ms: u64,
}

/// A span as recorded: no text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditSpan {
    pub label: String,
    pub rule: String,
    pub field: String,
    pub byte_start: usize,
    pub byte_end: usize,
    pub fingerprint: String,
}

impl AuditRecord {
    /// Builds the record of `action` (work item `work_id`) with its outcome.
    pub fn of(
        action: &Action,
        work_id: &str,
        outcome: &str,
        attempts: u32,
        now_ms: u64,
        enqueued_at_ms: u64,
    ) -> AuditRecord {
        AuditRecord {
            ts_ms: now_ms,
            tenant: action.tenant.clone(),
            source: action.source,
            event_id: action.event_id.clone(),
            work_id: work_id.to_string(),
            action: action.kind,
            mode: action.mode,
            object: action.object.clone(),
            reason: action.reason.clone(),
            spans: action
                .spans
                .iter()
                .map(|s| AuditSpan {
                    label: s.label.as_str().to_string(),
                    rule: s.rule.clone(),
                    field: s.field.as_str().to_string(),
                    byte_start: s.byte_start,
                    byte_end: s.byte_end,
                    fingerprint: s.fingerprint.clone(),
                })
                .collect(),
            outcome: outcome.to_string(),
            attempts,
            latency_ms: now_ms.saturating_sub(enqueued_at_ms),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
