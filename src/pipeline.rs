//! The ingest pipeline: verify → parse → dedupe → scan → policy → durable submit.
//!
//! Owns: the order of those steps and the translation between their types (findings → scored
//! spans with keyed fingerprints → actions → work items). It is transport-agnostic: the HTTP
//! handlers, the benches and the tests call [`Pipeline::handle`] with a source, a tenant, headers
//! and raw bytes. Must not: speak HTTP (status codes live in `http`), decide actions (that is
//! `policy`), or let text out of the request: work items carry actions only.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;

use crate::detect::Detector;
use crate::detect::fingerprint::Fingerprinter;
use crate::ingest::verify::{HeaderSource, SunshineVerifier, VerifyError, ZendeskVerifier};
use crate::ingest::{
    self, AuthorRules, Disposition, FieldKind, ParseContext, ParseError, ScanTarget, Source,
};
use crate::metrics::Metrics;
use crate::policy::{self, Action, PolicyConfig, ScoredSpan};
use crate::store::{NewWork, Store, StoreError, Submission, SubmitOutcome};

/// Why a request was not accepted. `http` maps these to status codes.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("verification failed: {0}")]
    Verify(#[from] VerifyError),
    #[error("malformed payload: {0}")]
    Parse(#[from] ParseError),
    #[error("store unavailable")]
    Store(#[source] StoreError),
}

impl PipelineError {
    /// Bounded reason code for metrics and the JSON error body.
    pub fn reason(&self) -> &'static str {
        match self {
            PipelineError::Verify(e) => e.reason(),
            PipelineError::Parse(e) => e.reason(),
            PipelineError::Store(_) => "store_unavailable",
        }
    }
}

/// What happened to an accepted request (counts only; safe to return to the sender).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub events: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub ignored: usize,
    pub confirmations: usize,
    pub actions: usize,
}

/// Everything the pipeline needs, built once at start-up.
pub struct Pipeline {
    pub detector: Arc<ArcSwap<Detector>>,
    pub policy: Arc<ArcSwap<PolicyConfig>>,
    pub fingerprinter: Fingerprinter,
    pub zendesk: ZendeskVerifier,
    pub sunshine: SunshineVerifier,
    pub author_rules: AuthorRules,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub min_score: f32,
    pub dedupe_ttl: Duration,
    /// Signalled after new work is durably submitted, so that this process's worker leases it
    /// at once instead of at its next poll (other replicas still poll).
    pub work_ready: Arc<tokio::sync::Notify>,
}

impl Pipeline {
    /// Handles one webhook request end to end. `Ok` means every action it requires is durably
    /// enqueued (or it needed none); only then may the caller answer 2xx.
    pub async fn handle(
        &self,
        source: Source,
        tenant: &str,
        headers: &(impl HeaderSource + ?Sized),
        body: &[u8],
    ) -> Result<Report, PipelineError> {
        let src = source.as_str();
        // 1. Verify on the raw bytes. Nothing from the body is looked at before this holds.
        // 2. Parse the verified bytes.
        let events = match source {
            Source::Zendesk => {
                let verified = self
                    .zendesk
                    .verify(tenant, headers, body, SystemTime::now())
                    .inspect_err(|e| self.count_rejection(src, e.reason()))?;
                let ctx = ParseContext::zendesk(tenant, &verified, &self.author_rules);
                ingest::zendesk::parse(body, &ctx)
            }
            Source::Sunshine => {
                self.sunshine
                    .verify(tenant, headers)
                    .inspect_err(|e| self.count_rejection(src, e.reason()))?;
                let ctx = ParseContext::sunshine(tenant, &self.author_rules);
                ingest::sunshine::parse(body, &ctx)
            }
        }
        .inspect_err(|e| {
            self.metrics
                .webhook_requests
                .with_label_values(&[src, "rejected", e.reason()])
                .inc()
        })?;

        let mut report = Report {
            events: events.len(),
            ..Default::default()
        };
        let policy = self.policy.load();
        let detector = self.detector.load();
        let mut submissions = Vec::with_capacity(events.len());
        // (submission index, action kind, mode, retention schedule): counted once the submission
        // is accepted.
        let mut decided: Vec<(usize, &'static str, &'static str, bool)> = Vec::new();

        for ev in &events {
            self.metrics
                .events
                .with_label_values(&[src, ev.event_type_label(), ev.disposition.as_str()])
                .inc();
            match ev.disposition {
                Disposition::Ignored => {
                    report.ignored += 1;
                    continue;
                }
                Disposition::Confirmation => {
                    // Our own redactions/deletions come back as events: they are confirmations,
                    // never work (loop guard). Counted; the audit trail has the executed action.
                    report.confirmations += 1;
                    continue;
                }
                Disposition::Act => {}
            }
            // No "seen?" read before scanning: duplicates are rare and `submit` is the authority,
            // so the common case (a new event) pays for one store round trip, not two.
            let started = Instant::now();
            let now = crate::store::now_ms();
            let mut items = Vec::new();
            for target in &ev.targets {
                let spans = self.scan_target(&detector, target);
                for a in policy::decide_at(target, &spans, &policy, now) {
                    decided.push((
                        submissions.len(),
                        a.kind.as_str(),
                        a.mode.as_str(),
                        a.reason == "retention",
                    ));
                    items.push(work_item(&a));
                }
            }
            self.metrics
                .scan_duration
                .observe(started.elapsed().as_secs_f64());
            if items.is_empty() {
                // Nothing to do: nothing to make durable. Recording the id would cost an fsync (or
                // a Redis round trip) on the hot path for the vast majority of events, which carry
                // no PHI; a re-delivery is re-scanned in microseconds and again decides nothing.
                report.accepted += 1;
                continue;
            }
            // Zendesk sends one event per request: the body is the event. A Sunshine batch holds
            // many: hash what the event says (ids and content), keyed, never stored as text.
            let body_hash = match source {
                Source::Zendesk => self.fingerprinter.digest(&[body]),
                Source::Sunshine => self.event_digest(ev),
            };
            submissions.push(Submission {
                dedupe_key: format!("{src}:{tenant}:{}", ev.event_id),
                body_hash,
                items,
            });
        }

        // 3. Durable submit: dedupe keys and their work items, atomically — plus one marker key
        // per work item, so the reconciliation sweep does not enqueue it again once it is done.
        let event_submissions = submissions.len();
        let mut markers = std::collections::HashSet::new();
        let marker_subs: Vec<Submission> = submissions
            .iter()
            .flat_map(|s| s.items.iter())
            .filter(|w| markers.insert(w.id.as_str()))
            .map(|w| action_marker(&w.tenant, &w.id))
            .collect();
        submissions.extend(marker_subs);
        if !submissions.is_empty() {
            let started = Instant::now();
            let outcomes = self
                .store
                .submit(&submissions, self.dedupe_ttl)
                .await
                .map_err(|e| {
                    self.metrics.store_errors.with_label_values(&["submit"]).inc();
                    self.metrics
                        .webhook_requests
                        .with_label_values(&[src, "error", "store_unavailable"])
                        .inc();
                    tracing::error!(source = src, tenant, error = %e, "Durable submit failed; answering 503.");
                    PipelineError::Store(e)
                })?;
            self.metrics
                .enqueue_duration
                .observe(started.elapsed().as_secs_f64());
            if outcomes.contains(&SubmitOutcome::Accepted) {
                self.work_ready.notify_one();
            }
            for (i, outcome) in outcomes.iter().enumerate().take(event_submissions) {
                match outcome {
                    SubmitOutcome::Accepted => {
                        report.accepted += 1;
                        report.actions += submissions[i].items.len();
                        for (_, kind, mode, retention) in decided.iter().filter(|d| d.0 == i) {
                            self.metrics
                                .actions_decided
                                .with_label_values(&[kind, mode])
                                .inc();
                            if *retention {
                                self.metrics
                                    .retention_scheduled
                                    .with_label_values(&[kind, mode])
                                    .inc();
                            }
                        }
                    }
                    SubmitOutcome::Duplicate => {
                        report.duplicates += 1;
                        self.metrics
                            .dedupe_hits
                            .with_label_values(&[src, "same_body"])
                            .inc();
                    }
                    SubmitOutcome::DuplicateDifferentBody => {
                        report.duplicates += 1;
                        self.metrics
                            .dedupe_hits
                            .with_label_values(&[src, "different_body"])
                            .inc();
                        tracing::warn!(
                            source = src,
                            tenant,
                            dedupe_key = %submissions[i].dedupe_key,
                            "Event id seen before with a different body; not processed again."
                        );
                    }
                }
            }
        }
        let outcome = if report.accepted > 0 {
            "accepted"
        } else if report.duplicates > 0 {
            "duplicate"
        } else {
            "ignored"
        };
        self.metrics
            .webhook_requests
            .with_label_values(&[src, outcome, "ok"])
            .inc();
        tracing::info!(
            source = src,
            tenant,
            events = report.events,
            accepted = report.accepted,
            duplicates = report.duplicates,
            ignored = report.ignored,
            actions = report.actions,
            "Webhook processed."
        );
        Ok(report)
    }

    /// Scans every text field of a target; returns spans at or above the minimum score with keyed
    /// fingerprints. The text never leaves this function.
    pub fn scan_target(&self, detector: &Detector, target: &ScanTarget) -> Vec<ScoredSpan> {
        let mut out = Vec::new();
        for field in &target.fields {
            let text = match field.kind {
                FieldKind::FileName | FieldKind::AltText => {
                    crate::detect::file_name_view(&field.text)
                }
                _ => std::borrow::Cow::Borrowed(field.text.as_str()),
            };
            let findings = if field.html {
                detector.scan_html(&text)
            } else {
                detector.scan(&text)
            };
            for f in findings {
                if f.score < self.min_score {
                    continue;
                }
                self.metrics
                    .findings
                    .with_label_values(&[f.label.as_str(), &f.rule])
                    .inc();
                let matched = text.get(f.byte_start..f.byte_end).unwrap_or("");
                out.push(ScoredSpan {
                    field: field.kind,
                    index: field.index,
                    label: f.label,
                    rule: f.rule.to_string(),
                    byte_start: f.byte_start,
                    byte_end: f.byte_end,
                    score: f.score,
                    fingerprint: self.fingerprinter.fingerprint(f.label, matched),
                });
            }
        }
        out
    }

    fn event_digest(&self, ev: &ingest::ParsedEvent) -> [u8; 32] {
        let mut parts: Vec<&[u8]> = vec![ev.event_id.as_bytes(), ev.event_type.as_bytes()];
        for t in &ev.targets {
            for f in &t.fields {
                parts.push(f.kind.as_str().as_bytes());
                parts.push(f.text.as_bytes());
            }
            for a in &t.attachments {
                parts.push(a.url.as_deref().unwrap_or("").as_bytes());
                parts.push(a.media_type.as_deref().unwrap_or("").as_bytes());
            }
        }
        self.fingerprinter.digest(&parts)
    }

    fn count_rejection(&self, src: &'static str, reason: &'static str) {
        self.metrics
            .verification_failures
            .with_label_values(&[src, reason])
            .inc();
        self.metrics
            .webhook_requests
            .with_label_values(&[src, "rejected", reason])
            .inc();
    }
}

/// Body hash of action markers (they have no body; a fixed value makes a repeat `Duplicate`).
pub const ACTION_MARKER_HASH: [u8; 32] = [0; 32];

/// Dedupe key recording that work item `work_id` (an action's idempotency key) was submitted.
/// Written next to the event's own key by the webhook path and used as the submission key by
/// the reconciliation sweep (`crate::sweep`), so an action is enqueued once within the dedupe
/// TTL even after its item was executed and acknowledged.
pub fn action_dedupe_key(tenant: &str, work_id: &str) -> String {
    format!("action:{tenant}:{work_id}")
}

fn action_marker(tenant: &str, work_id: &str) -> Submission {
    Submission {
        dedupe_key: action_dedupe_key(tenant, work_id),
        body_hash: ACTION_MARKER_HASH,
        items: Vec::new(),
    }
}

/// The work item for an action: id = its idempotency key, payload = the serialized action.
pub fn work_item(a: &Action) -> NewWork {
    NewWork {
        id: a.idempotency_key(),
        tenant: a.tenant.clone(),
        kind: a.kind.as_str().to_string(),
        payload: serde_json::to_vec(a).unwrap_or_default(),
        not_before_ms: a.not_before_ms,
    }
}
