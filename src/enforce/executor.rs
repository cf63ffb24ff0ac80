//! The API executor: carries out enforce-mode actions through the Zendesk and Sunshine APIs.
//!
//! Owns: re-reading the object an action names, re-scanning it, selecting the spans whose keyed
//! fingerprints the action carries, and issuing the redaction / deletion calls; every action is
//! idempotent (what is already redacted no longer matches, a 404 on a delete is success).
//! Must not: keep, log or return re-fetched text — it lives only in locals of one `execute`.
//!
//! # AI-agent transcript tickets (`policy.ai_ticket`)
//! - `redact_ai_comments`: re-reads the comments and redacts the whole text of each comment whose
//!   `author_id` is in `ingest.author.ai_zendesk_user_ids` (the reference does not document how
//!   AI-agent comments are attributed, so the ids are configured). A comment whose visible text
//!   is only `▇` is already done. No AI comment at all → retry (`ai_comments_not_found`), so a
//!   wrong id list ends in the DLQ instead of silently doing nothing.
//! - `soft_delete`: `DELETE /api/v2/tickets/{id}` (204); 404 = already deleted.
//! - `soft_delete_then_permanent`: soft delete (404 = already soft-deleted, go on), then
//!   `DELETE /api/v2/deleted_tickets/{id}`, which answers with a job; the job is polled
//!   (`GET /api/v2/job_statuses/{id}`) with exponential backoff ([`JobPoll`]: 250 ms doubling up
//!   to 5 s) for at most half the lease, capped at 20 s (inside the shutdown grace).
//!   `completed` → done; `failed` / `killed` → retry (`job_failed`, a fresh job next attempt; DLQ after `max_attempts`); still
//!   running → retry (`job_pending`) and the job id is remembered in this process so the next
//!   attempt polls the same job instead of starting another (another replica, or a restart,
//!   re-issues the delete). A 404 from `deleted_tickets` after a 404 from the soft delete means
//!   the ticket is gone for good (`already_done`); after a successful soft delete it means the
//!   deletion is not visible yet (retry). **Uncertain** (not in the reference): the status codes
//!   for deleting an already soft-deleted ticket, the job status values other than `queued`, and
//!   whether a second permanent delete of a ticket whose job is still running starts another job.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use secrecy::ExposeSecret;

use super::api::{self, ApiError, HttpApi, RateLimiter, SharedWindow, Timeouts, is_not_found};
use super::redact::{text_ranges, visible_text, wrap_ranges};
use super::sunshine_api::SunshineApi;
use super::zendesk_api::{Comment, JobState, ZendeskApi};
use super::{ExecOutcome, Executor};
use crate::config::{CommentRedaction, Config, SunshineAuth};
use crate::detect::Detector;
use crate::detect::Label;
use crate::detect::fingerprint::Fingerprinter;
use crate::ingest::ObjectRef;
use crate::metrics::Metrics;
use crate::policy::{Action, ActionKind, Mode, PolicyConfig};

struct ZendeskTenant {
    api: Arc<ZendeskApi>,
    redaction: CommentRedaction,
}

struct SunshineTenant {
    api: Arc<SunshineApi>,
    app_id: String,
}

#[derive(Default)]
struct TenantApis {
    zendesk: Option<ZendeskTenant>,
    sunshine: Option<SunshineTenant>,
}

/// Executes actions against the real APIs (audit-mode actions are recorded without a call).
pub struct ApiExecutor {
    tenants: HashMap<String, TenantApis>,
    detector: Arc<ArcSwap<Detector>>,
    fingerprinter: Fingerprinter,
    policy: PolicyConfig,
    min_score: f32,
    ai_source_types: Vec<String>,
    ai_zendesk_user_ids: Vec<u64>,
    job_poll: JobPoll,
    /// Permanent-deletion jobs still running, by (tenant, ticket): polled again on the next attempt.
    pending_jobs: std::sync::Mutex<HashMap<(String, u64), String>>,
}

/// Permanent-deletion jobs remembered per process at most.
const MAX_PENDING_JOBS: usize = 10_000;

/// How a permanent-deletion job is polled within one attempt.
#[derive(Debug, Clone, Copy)]
pub struct JobPoll {
    /// First wait before polling; doubled after every poll up to `cap`.
    pub first: Duration,
    pub cap: Duration,
    /// Longest time spent polling in one attempt (then `job_pending`, retried).
    pub budget: Duration,
}

/// Which spans of a re-fetched text to redact.
enum Select<'a> {
    /// Spans whose keyed fingerprint the action carries.
    Fingerprints(HashSet<&'a str>),
    /// A fresh scan: every PHI finding at or above the policy threshold.
    FreshScan,
}

/// What to send for one comment.
enum CommentPlan {
    Nothing,
    Html { html: String, skipped: usize },
    Texts(Vec<String>),
    Unwrappable(usize),
}

impl ApiExecutor {
    /// Builds clients for every tenant with API credentials.
    pub fn from_config(
        config: &Config,
        detector: Arc<ArcSwap<Detector>>,
        fingerprinter: Fingerprinter,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<ApiExecutor> {
        Self::build(config, detector, fingerprinter, metrics, None)
    }

    /// Like [`ApiExecutor::from_config`], with per-tenant rate limits also counted in Redis
    /// (`{prefix}` is the store's key prefix) so that all replicas share the plan limit.
    pub async fn from_config_shared(
        config: &Config,
        detector: Arc<ArcSwap<Detector>>,
        fingerprinter: Fingerprinter,
        metrics: Arc<Metrics>,
        redis_url: &str,
        prefix: &str,
    ) -> anyhow::Result<ApiExecutor> {
        let client = redis::Client::open(redis_url)
            .map_err(|e| anyhow::anyhow!("store.redis_url: invalid ({:?})", e.kind()))?;
        let conn = tokio::time::timeout(Duration::from_secs(10), client.get_connection_manager())
            .await
            .map_err(|_| anyhow::anyhow!("store.redis_url: rate-limiter connect timeout"))?
            .map_err(|e| {
                anyhow::anyhow!(
                    "store.redis_url: rate-limiter connect failed ({:?})",
                    e.kind()
                )
            })?;
        Self::build(
            config,
            detector,
            fingerprinter,
            metrics,
            Some((conn, format!("{{{prefix}}}:ratelimit"))),
        )
    }

    fn build(
        config: &Config,
        detector: Arc<ArcSwap<Detector>>,
        fingerprinter: Fingerprinter,
        metrics: Arc<Metrics>,
        shared: Option<(redis::aio::ConnectionManager, String)>,
    ) -> anyhow::Result<ApiExecutor> {
        let limiter = |tenant: &str, api: &str, per_minute: u32| {
            let l = RateLimiter::new(per_minute);
            match &shared {
                Some((conn, base)) => l.with_shared(SharedWindow {
                    conn: conn.clone(),
                    key: format!("{base}:{tenant}:{api}"),
                    per_minute,
                }),
                None => l,
            }
        };
        let timeouts = Timeouts {
            connect: Duration::from_millis(config.worker.api_connect_timeout_ms),
            request: Duration::from_millis(config.worker.api_timeout_ms),
        };
        let mut tenants = HashMap::new();
        for (name, t) in &config.tenants {
            let mut apis = TenantApis::default();
            if let Some(z) = &t.zendesk {
                let auth = match (&z.oauth_token, &z.api_token) {
                    (Some(o), _) if !o.expose_secret().is_empty() => {
                        api::bearer_auth(o.expose_secret())
                    }
                    (_, Some(tok)) => {
                        api::basic_auth(&format!("{}/token", z.email), tok.expose_secret())
                    }
                    _ => None,
                }
                .with_context(|| {
                    format!("tenants.{name}.zendesk: credentials are not valid header text")
                })?;
                let http = HttpApi::new(
                    "zendesk",
                    &z.base(),
                    auth,
                    limiter(name, "zendesk", z.requests_per_minute),
                    timeouts,
                    metrics.clone(),
                )
                .with_context(|| format!("tenants.{name}.zendesk: cannot build the client"))?;
                apis.zendesk = Some(ZendeskTenant {
                    api: Arc::new(ZendeskApi::new(http)),
                    redaction: z.comment_redaction,
                });
            }
            if let Some(sc) = &t.sunshine {
                let secret = sc
                    .key_secret
                    .as_ref()
                    .map(|s| s.expose_secret())
                    .unwrap_or("");
                let auth = match sc.auth {
                    SunshineAuth::Basic => api::basic_auth(&sc.key_id, secret),
                    SunshineAuth::Jwt => api::bearer_auth(&api::sunshine_jwt(&sc.key_id, secret)),
                }
                .with_context(|| {
                    format!("tenants.{name}.sunshine: credentials are not valid header text")
                })?;
                let http = HttpApi::new(
                    "sunshine",
                    &sc.base_url,
                    auth,
                    limiter(name, "sunshine", sc.requests_per_minute),
                    timeouts,
                    metrics.clone(),
                )
                .with_context(|| format!("tenants.{name}.sunshine: cannot build the client"))?;
                apis.sunshine = Some(SunshineTenant {
                    api: Arc::new(SunshineApi::new(http)),
                    app_id: sc.app_id.clone(),
                });
            }
            tenants.insert(name.clone(), apis);
        }
        Ok(ApiExecutor {
            tenants,
            detector,
            fingerprinter,
            policy: config.policy.clone(),
            min_score: config.patterns.min_score,
            ai_source_types: config.ingest.author.ai_source_types.clone(),
            ai_zendesk_user_ids: config.ingest.author.ai_zendesk_user_ids.clone(),
            job_poll: JobPoll {
                first: Duration::from_millis(250),
                cap: Duration::from_secs(5),
                // Within the lease (another worker would take the item over) and well within
                // the shutdown grace (25 s by default), so a stopping worker settles its item.
                budget: Duration::from_secs(config.worker.lease_seconds / 2)
                    .min(Duration::from_secs(20)),
            },
            pending_jobs: std::sync::Mutex::new(HashMap::new()),
        })
    }

    fn pending_job(&self, key: &(String, u64)) -> Option<String> {
        self.pending_jobs
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned())
    }

    fn set_pending_job(&self, key: (String, u64), job: Option<String>) {
        if let Ok(mut m) = self.pending_jobs.lock() {
            match job {
                Some(j) => {
                    // Entries of items that were dead-lettered mid-job are never removed: keep the
                    // map bounded (losing an entry only means the delete is issued again).
                    if m.len() >= MAX_PENDING_JOBS && !m.contains_key(&key) {
                        m.clear();
                    }
                    m.insert(key, j);
                }
                None => {
                    m.remove(&key);
                }
            }
        }
    }

    /// The Zendesk client of `tenant` (shared with the reconciliation sweep, so both draw on
    /// one rate limiter).
    pub fn zendesk_client(&self, tenant: &str) -> Option<Arc<ZendeskApi>> {
        let zd = self.tenants.get(tenant)?.zendesk.as_ref()?;
        Some(zd.api.clone())
    }

    /// The Sunshine client of `tenant` and its configured app id (may be empty).
    pub fn sunshine_client(&self, tenant: &str) -> Option<(Arc<SunshineApi>, String)> {
        let sc = self.tenants.get(tenant)?.sunshine.as_ref()?;
        Some((sc.api.clone(), sc.app_id.clone()))
    }

    fn is_phi(&self, label: Label, score: f32) -> bool {
        !label.is_health_context()
            && score >= self.min_score
            && score
                >= self
                    .policy
                    .thresholds
                    .get(label.as_str())
                    .copied()
                    .unwrap_or(self.policy.default_threshold)
    }

    /// Byte ranges of `text` to redact.
    fn ranges(&self, text: &str, html: bool, select: &Select<'_>) -> Vec<(usize, usize)> {
        let detector = self.detector.load();
        let findings = if html {
            detector.scan_html(text)
        } else {
            detector.scan(text)
        };
        findings
            .into_iter()
            .filter(|f| match select {
                Select::Fingerprints(set) => {
                    // The webhook may have carried the HTML (raw span) or the plain body
                    // (visible text of the span): either fingerprint identifies the value.
                    let matched = text.get(f.byte_start..f.byte_end).unwrap_or("");
                    set.contains(self.fingerprinter.fingerprint(f.label, matched).as_str())
                        || (html
                            && set.contains(
                                self.fingerprinter
                                    .fingerprint(f.label, &visible_text(matched))
                                    .as_str(),
                            ))
                }
                Select::FreshScan => self.is_phi(f.label, f.score),
            })
            .map(|f| (f.byte_start, f.byte_end))
            .collect()
    }

    fn plan_comment(&self, c: &Comment, how: CommentRedaction, select: &Select<'_>) -> CommentPlan {
        match how {
            CommentRedaction::AgentWorkspace => {
                let (text, html) = if c.html_body.is_empty() {
                    (&c.body, false)
                } else {
                    (&c.html_body, true)
                };
                let ranges = self.ranges(text, html, select);
                if ranges.is_empty() {
                    return CommentPlan::Nothing;
                }
                let w = wrap_ranges(text, &ranges);
                if w.wrapped == 0 {
                    CommentPlan::Unwrappable(w.skipped)
                } else {
                    CommentPlan::Html {
                        html: w.html,
                        skipped: w.skipped,
                    }
                }
            }
            CommentRedaction::Classic => {
                let text = if c.plain_body.is_empty() {
                    &c.body
                } else {
                    &c.plain_body
                };
                let strings: BTreeSet<String> = self
                    .ranges(text, false, select)
                    .into_iter()
                    .filter_map(|(s, e)| text.get(s..e).map(str::to_string))
                    .collect();
                if strings.is_empty() {
                    CommentPlan::Nothing
                } else {
                    CommentPlan::Texts(strings.into_iter().collect())
                }
            }
        }
    }

    /// Sends a plan; `Ok(true)` if something was redacted.
    async fn apply_plan(
        &self,
        zd: &ZendeskTenant,
        ticket_id: u64,
        comment_id: u64,
        plan: CommentPlan,
    ) -> Result<bool, ExecOutcome> {
        match plan {
            CommentPlan::Nothing => Ok(false),
            CommentPlan::Unwrappable(n) => {
                tracing::warn!(
                    ticket_id,
                    comment_id,
                    skipped = n,
                    "Matched spans cannot be wrapped in <redact> tags; nothing sent."
                );
                Err(ExecOutcome::Permanent("span_not_wrappable"))
            }
            CommentPlan::Html { html, skipped } => {
                if skipped > 0 {
                    tracing::warn!(
                        ticket_id,
                        comment_id,
                        skipped,
                        "Some matched spans cannot be wrapped in <redact> tags; redacting the rest."
                    );
                }
                zd.api
                    .redact_comment_html(ticket_id, comment_id, &html)
                    .await
                    .map_err(|e| e.outcome(false))?;
                Ok(true)
            }
            CommentPlan::Texts(texts) => {
                for t in &texts {
                    zd.api
                        .redact_comment_text(ticket_id, comment_id, t)
                        .await
                        .map_err(|e| e.outcome(false))?;
                }
                Ok(true)
            }
        }
    }

    async fn redact_comment(
        &self,
        zd: &ZendeskTenant,
        ticket_id: u64,
        comment_id: Option<u64>,
        action: &Action,
    ) -> ExecOutcome {
        let comments = match zd.api.list_comments(ticket_id).await {
            Ok(c) => c,
            Err(e) => return e.outcome(false),
        };
        let comment = match comment_id {
            Some(id) => comments.iter().find(|c| c.id == id),
            None => comments.first(),
        };
        let Some(c) = comment else {
            // Comments are never deleted (only redacted): not visible yet, or a wrong id.
            return ExecOutcome::Retry {
                after: None,
                reason: "comment_not_found",
            };
        };
        let select = Select::Fingerprints(fingerprints(action));
        let plan = self.plan_comment(c, zd.redaction, &select);
        match self.apply_plan(zd, ticket_id, c.id, plan).await {
            Ok(true) => ExecOutcome::Done("executed"),
            Ok(false) => ExecOutcome::Done("already_done"),
            Err(o) => o,
        }
    }

    async fn fetch_and_scan(
        &self,
        zd: &ZendeskTenant,
        ticket_id: u64,
        action: &Action,
    ) -> ExecOutcome {
        let comments = match zd.api.list_comments(ticket_id).await {
            Ok(c) => c,
            Err(e) => return e.outcome(false),
        };
        // With evidence spans (a messaging message): only those values; else a fresh scan.
        let select = if action.spans.is_empty() {
            Select::FreshScan
        } else {
            Select::Fingerprints(fingerprints(action))
        };
        let fresh = matches!(select, Select::FreshScan);
        if fresh && !self.policy.redact_comments {
            return ExecOutcome::Done("already_done");
        }
        let mut any = false;
        for c in &comments {
            // A fresh scan follows the global comment options (scoped rules need the event's
            // brand/group/channel, which an ids-only webhook does not carry).
            if fresh && !c.public && !self.policy.redact_internal_notes {
                continue;
            }
            let plan = self.plan_comment(c, zd.redaction, &select);
            match self.apply_plan(zd, ticket_id, c.id, plan).await {
                Ok(done) => any |= done,
                // One comment we cannot wrap must not stop the others.
                Err(ExecOutcome::Permanent("span_not_wrappable")) => {}
                Err(o) => return o,
            }
        }
        ExecOutcome::Done(if any { "executed" } else { "already_done" })
    }

    async fn redact_attachment(
        &self,
        zd: &ZendeskTenant,
        ticket_id: u64,
        comment_id: u64,
        attachment_id: u64,
        action: &Action,
    ) -> ExecOutcome {
        let comments = match zd.api.list_comments(ticket_id).await {
            Ok(c) => c,
            Err(e) => return e.outcome(false),
        };
        let Some(c) = comments.iter().find(|c| c.id == comment_id) else {
            return ExecOutcome::Retry {
                after: None,
                reason: "comment_not_found",
            };
        };
        let Some(a) = c.attachments.iter().find(|a| a.id == attachment_id) else {
            return ExecOutcome::Done("already_done");
        };
        if a.file_name == "redacted.txt" {
            return ExecOutcome::Done("already_done");
        }
        if !action.spans.is_empty()
            && self
                .ranges(
                    &crate::detect::file_name_view(&a.file_name),
                    false,
                    &Select::Fingerprints(fingerprints(action)),
                )
                .is_empty()
        {
            return ExecOutcome::Done("already_done");
        }
        match zd
            .api
            .redact_attachment(ticket_id, comment_id, attachment_id)
            .await
        {
            Ok(()) => ExecOutcome::Done("executed"),
            Err(e) => e.outcome(true),
        }
    }

    async fn remove_message_attachments(
        &self,
        sc: &SunshineTenant,
        app: &str,
        conv: &str,
        msg: &str,
    ) -> ExecOutcome {
        let messages = match sc
            .api
            .list_messages_until(app, conv, |page| page.iter().any(|m| m.id == msg))
            .await
        {
            Ok(m) => m,
            Err(e) if is_not_found(&e) => return ExecOutcome::Done("already_done"),
            Err(e) => return e.outcome(false),
        };
        let Some(m) = messages.iter().find(|m| m.id == msg && !m.deleted) else {
            return ExecOutcome::Done("already_done");
        };
        let (mut removed, mut refused) = (0, 0);
        for url in m.media_urls() {
            match sc.api.remove_attachment(app, url).await {
                Ok(()) => removed += 1,
                Err(e) if is_not_found(&e) => {}
                // 400: not a Sunshine-hosted URL; nothing we can remove.
                Err(ApiError::Status { status: 400, .. }) => refused += 1,
                Err(e) => return e.outcome(false),
            }
        }
        if removed > 0 {
            ExecOutcome::Done("executed")
        } else if refused > 0 {
            ExecOutcome::Permanent("media_not_removable")
        } else {
            ExecOutcome::Done("already_done")
        }
    }

    async fn delete_ai_messages(&self, sc: &SunshineTenant, app: &str, conv: &str) -> ExecOutcome {
        let messages = match sc.api.list_messages_until(app, conv, |_| false).await {
            Ok(m) => m,
            Err(e) if is_not_found(&e) => return ExecOutcome::Done("already_done"),
            Err(e) => return e.outcome(false),
        };
        let mut deleted = 0;
        for m in messages.iter().filter(|m| {
            !m.deleted
                && (m
                    .author
                    .subtypes
                    .iter()
                    // Same reading as ingest: `AI` (generated) and `bot` (bot agent) are AI-authored.
                    .any(|s| s.eq_ignore_ascii_case("ai") || s.eq_ignore_ascii_case("bot"))
                    || self.ai_source_types.contains(&m.source.kind))
        }) {
            match sc.api.delete_message(app, conv, &m.id).await {
                Ok(()) => deleted += 1,
                Err(e) if is_not_found(&e) => {}
                Err(e) => return e.outcome(true),
            }
        }
        ExecOutcome::Done(if deleted > 0 {
            "executed"
        } else {
            "already_done"
        })
    }

    /// Redacts the whole text of every AI-agent comment of a ticket (see the module docs).
    async fn redact_ai_comments(&self, zd: &ZendeskTenant, ticket_id: u64) -> ExecOutcome {
        if self.ai_zendesk_user_ids.is_empty() {
            return ExecOutcome::Permanent("ai_authors_not_configured");
        }
        let comments = match zd.api.list_comments(ticket_id).await {
            Ok(c) => c,
            // The ticket is gone (deleted): nothing of it is left to redact.
            Err(e) if is_not_found(&e) => return ExecOutcome::Done("already_done"),
            Err(e) => return e.outcome(false),
        };
        let ai: Vec<&Comment> = comments
            .iter()
            .filter(|c| {
                c.author_id
                    .is_some_and(|a| self.ai_zendesk_user_ids.contains(&a))
            })
            .collect();
        if ai.is_empty() {
            return ExecOutcome::Retry {
                after: None,
                reason: "ai_comments_not_found",
            };
        }
        let mut redacted = 0;
        let mut unwrappable = 0;
        for c in ai {
            if fully_redacted(c) {
                continue;
            }
            let plan = match zd.redaction {
                CommentRedaction::AgentWorkspace => {
                    let text = if c.html_body.is_empty() {
                        &c.body
                    } else {
                        &c.html_body
                    };
                    let w = wrap_ranges(text, &text_ranges(text));
                    if w.wrapped == 0 {
                        CommentPlan::Unwrappable(1)
                    } else {
                        CommentPlan::Html {
                            html: w.html,
                            skipped: 0,
                        }
                    }
                }
                CommentRedaction::Classic => {
                    let text = if c.plain_body.is_empty() {
                        &c.body
                    } else {
                        &c.plain_body
                    };
                    CommentPlan::Texts(vec![text.trim().to_string()])
                }
            };
            match self.apply_plan(zd, ticket_id, c.id, plan).await {
                Ok(true) => redacted += 1,
                Ok(false) => {}
                Err(ExecOutcome::Permanent("span_not_wrappable")) => unwrappable += 1,
                Err(o) => return o,
            }
        }
        if redacted > 0 {
            ExecOutcome::Done("executed")
        } else if unwrappable > 0 {
            ExecOutcome::Permanent("span_not_wrappable")
        } else {
            ExecOutcome::Done("already_done")
        }
    }

    /// Soft-deletes (if needed) and permanently deletes a ticket, polling the job (module docs).
    async fn delete_ticket_permanently(
        &self,
        zd: &ZendeskTenant,
        tenant: &str,
        ticket_id: u64,
    ) -> ExecOutcome {
        let key = (tenant.to_string(), ticket_id);
        let job = match self.pending_job(&key) {
            Some(job) => job,
            None => {
                let soft_deleted_now = match zd.api.soft_delete_ticket(ticket_id).await {
                    Ok(()) => true,
                    // Not an active ticket: soft-deleted before (or gone for good).
                    Err(e) if is_not_found(&e) => false,
                    Err(e) => return e.outcome(false),
                };
                match zd.api.delete_ticket_permanently(ticket_id).await {
                    Ok(job) => match job.state {
                        JobState::Completed => return ExecOutcome::Done("executed"),
                        JobState::Failed => {
                            return ExecOutcome::Retry {
                                after: None,
                                reason: "job_failed",
                            };
                        }
                        JobState::Running => job.id,
                    },
                    Err(e) if is_not_found(&e) => {
                        return if soft_deleted_now {
                            ExecOutcome::Retry {
                                after: None,
                                reason: "soft_delete_not_visible",
                            }
                        } else {
                            ExecOutcome::Done("already_done")
                        };
                    }
                    Err(e) => return e.outcome(false),
                }
            }
        };
        self.set_pending_job(key.clone(), Some(job.clone()));
        let deadline = tokio::time::Instant::now() + self.job_poll.budget;
        let mut delay = self.job_poll.first;
        loop {
            tokio::time::sleep(delay).await;
            match zd.api.job_status(&job).await {
                Ok(j) => match j.state {
                    JobState::Completed => {
                        self.set_pending_job(key, None);
                        return ExecOutcome::Done("executed");
                    }
                    JobState::Failed => {
                        self.set_pending_job(key, None);
                        return ExecOutcome::Retry {
                            after: None,
                            reason: "job_failed",
                        };
                    }
                    JobState::Running => {}
                },
                // Unknown job (expired): start over on the next attempt.
                Err(e) if is_not_found(&e) => {
                    self.set_pending_job(key, None);
                    return ExecOutcome::Retry {
                        after: None,
                        reason: "job_unknown",
                    };
                }
                // Rate limited or unavailable: keep the job id, poll it again next attempt.
                Err(e) => return e.outcome(false),
            }
            delay = delay.saturating_mul(2).min(self.job_poll.cap);
            if tokio::time::Instant::now() + delay > deadline {
                return ExecOutcome::Retry {
                    after: Some(delay),
                    reason: "job_pending",
                };
            }
        }
    }

    async fn execute_zendesk(&self, zd: &ZendeskTenant, action: &Action) -> ExecOutcome {
        match (action.kind, &action.object) {
            (
                ActionKind::RedactComment,
                ObjectRef::ZendeskComment {
                    ticket_id,
                    comment_id,
                },
            ) => {
                self.redact_comment(zd, *ticket_id, *comment_id, action)
                    .await
            }
            (
                ActionKind::RedactAttachment,
                ObjectRef::ZendeskAttachment {
                    ticket_id,
                    comment_id,
                    attachment_id,
                },
            ) => {
                self.redact_attachment(zd, *ticket_id, *comment_id, *attachment_id, action)
                    .await
            }
            (
                ActionKind::MakeCommentPrivate,
                ObjectRef::ZendeskComment {
                    ticket_id,
                    comment_id: Some(c),
                },
            ) => done_or(zd.api.make_private(*ticket_id, *c).await, false),
            (ActionKind::TagTicket, ObjectRef::ZendeskTicket { ticket_id }) => {
                if action.tags.is_empty() {
                    return ExecOutcome::Done("already_done");
                }
                done_or(zd.api.add_tags(*ticket_id, &action.tags).await, false)
            }
            (ActionKind::FetchAndScanTicket, ObjectRef::ZendeskTicket { ticket_id }) => {
                self.fetch_and_scan(zd, *ticket_id, action).await
            }
            (ActionKind::RedactAiComments, ObjectRef::ZendeskTicket { ticket_id }) => {
                self.redact_ai_comments(zd, *ticket_id).await
            }
            (ActionKind::SoftDeleteTicket, ObjectRef::ZendeskTicket { ticket_id }) => {
                done_or(zd.api.soft_delete_ticket(*ticket_id).await, true)
            }
            (ActionKind::DeleteTicketPermanently, ObjectRef::ZendeskTicket { ticket_id }) => {
                self.delete_ticket_permanently(zd, &action.tenant, *ticket_id)
                    .await
            }
            // Ticket subject / custom-field redaction has no API in this build: kept replayable.
            (ActionKind::RedactTicketField, _) => ExecOutcome::Retry {
                after: None,
                reason: "unsupported_action",
            },
            _ => ExecOutcome::Permanent("object_mismatch"),
        }
    }

    async fn execute_sunshine(&self, sc: &SunshineTenant, action: &Action) -> ExecOutcome {
        let app = match &action.object {
            ObjectRef::SunshineMessage { app_id, .. }
            | ObjectRef::SunshineConversation { app_id, .. }
            | ObjectRef::SunshineUser { app_id, .. } => app_id.as_str(),
            _ => return ExecOutcome::Permanent("object_mismatch"),
        };
        if !sc.app_id.is_empty() && sc.app_id != app {
            return ExecOutcome::Permanent("app_mismatch");
        }
        match (action.kind, &action.object) {
            (
                ActionKind::DeleteMessage,
                ObjectRef::SunshineMessage {
                    conversation_id,
                    message_id,
                    ..
                },
            ) => {
                // Remove the message's files first: once it is deleted, its media URLs can no
                // longer be read (the work item holds ids only), and a queued
                // `remove_message_attachments` may run after this.
                match self
                    .remove_message_attachments(sc, app, conversation_id, message_id)
                    .await
                {
                    ExecOutcome::Retry { after, reason } => {
                        return ExecOutcome::Retry { after, reason };
                    }
                    // Done, or files we cannot remove (not hosted by Sunshine): delete anyway.
                    ExecOutcome::Done(_) | ExecOutcome::Permanent(_) => {}
                }
                done_or(
                    sc.api
                        .delete_message(app, conversation_id, message_id)
                        .await,
                    true,
                )
            }
            (
                ActionKind::RemoveMessageAttachments,
                ObjectRef::SunshineMessage {
                    conversation_id,
                    message_id,
                    ..
                },
            ) => {
                self.remove_message_attachments(sc, app, conversation_id, message_id)
                    .await
            }
            (
                ActionKind::DeleteAiMessages,
                ObjectRef::SunshineConversation {
                    conversation_id, ..
                },
            ) => self.delete_ai_messages(sc, app, conversation_id).await,
            (
                ActionKind::DeleteConversationMessages,
                ObjectRef::SunshineConversation {
                    conversation_id, ..
                },
            ) => done_or(sc.api.delete_all_messages(app, conversation_id).await, true),
            (
                ActionKind::DeleteConversation,
                ObjectRef::SunshineConversation {
                    conversation_id, ..
                },
            ) => match sc.api.delete_conversation(app, conversation_id).await {
                Ok(()) => ExecOutcome::Done("executed"),
                // 400: the user's default conversation cannot be deleted; empty it instead.
                Err(ApiError::Status { status: 400, .. }) => {
                    done_or(sc.api.delete_all_messages(app, conversation_id).await, true)
                }
                Err(e) => e.outcome(true),
            },
            (ActionKind::DeleteUserPersonalInfo, ObjectRef::SunshineUser { user_id, .. }) => {
                done_or(sc.api.delete_user_personal_info(app, user_id).await, true)
            }
            _ => ExecOutcome::Permanent("object_mismatch"),
        }
    }
}

/// True when a comment's visible text is only redaction blocks (`▇`) and whitespace.
fn fully_redacted(c: &Comment) -> bool {
    let visible = if !c.plain_body.is_empty() {
        std::borrow::Cow::Borrowed(c.plain_body.as_str())
    } else if !c.html_body.is_empty() {
        std::borrow::Cow::Owned(visible_text(&c.html_body))
    } else {
        std::borrow::Cow::Borrowed(c.body.as_str())
    };
    visible
        .chars()
        .all(|ch| ch == '\u{2587}' || ch.is_whitespace())
}

fn fingerprints(action: &Action) -> HashSet<&str> {
    action
        .spans
        .iter()
        .map(|s| s.fingerprint.as_str())
        .collect()
}

fn done_or(r: Result<(), ApiError>, delete: bool) -> ExecOutcome {
    match r {
        Ok(()) => ExecOutcome::Done("executed"),
        Err(e) => e.outcome(delete),
    }
}

fn is_zendesk_object(o: &ObjectRef) -> bool {
    matches!(
        o,
        ObjectRef::ZendeskComment { .. }
            | ObjectRef::ZendeskTicketField { .. }
            | ObjectRef::ZendeskAttachment { .. }
            | ObjectRef::ZendeskMessagingMessage { .. }
            | ObjectRef::ZendeskTicket { .. }
    )
}

#[async_trait]
impl Executor for ApiExecutor {
    async fn execute(&self, action: &Action) -> ExecOutcome {
        // A tag for a messaging conversation with no known ticket: nothing to call, the audit
        // record (reason `no_linked_ticket`) is the point.
        if action.kind == ActionKind::TagTicket
            && !matches!(action.object, ObjectRef::ZendeskTicket { .. })
        {
            return ExecOutcome::Done("skipped_no_ticket");
        }
        if action.mode == Mode::Audit {
            return ExecOutcome::Done("audit_only");
        }
        let apis = self.tenants.get(&action.tenant);
        if is_zendesk_object(&action.object) {
            match apis.and_then(|a| a.zendesk.as_ref()) {
                Some(zd) => self.execute_zendesk(zd, action).await,
                None => ExecOutcome::Retry {
                    after: None,
                    reason: "no_api_credentials",
                },
            }
        } else {
            match apis.and_then(|a| a.sunshine.as_ref()) {
                Some(sc) => self.execute_sunshine(sc, action).await,
                None => ExecOutcome::Retry {
                    after: None,
                    reason: "no_api_credentials",
                },
            }
        }
    }
}
