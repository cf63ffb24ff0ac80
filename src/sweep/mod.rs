//! The reconciliation sweep: walks the Zendesk and Sunshine APIs for content whose webhook never
//! arrived (Zendesk drops events while its circuit breaker is open and does not retry a plain
//! 500), scans it with the same detector and policy as the webhook path, and enqueues exactly the
//! work items a webhook would have produced.
//!
//! Owns: the walk (Zendesk incremental ticket export → List Comments per changed ticket; Sunshine
//! List Messages per given conversation or per conversation the audit trail names,
//! [`known_conversations`]), turning API objects into [`ScanTarget`]s, the resumable
//! cursors (`Store::get_cursor`/`set_cursor`, one per tenant and source), request pacing and
//! retries, progress reporting, the `[sweep]` config section and the periodic mode. Must not:
//! decide actions (that is [`policy::decide_at`]), execute them (workers do), or let text out —
//! bodies live in locals of one ticket / message; progress, logs, metrics and cursors carry
//! counts, ids and times only. The endpoints it reads are in [`api`].
//!
//! # Same work items as a webhook
//! Targets are built like `ingest` builds them (a comment: `body` as plain text, author from
//! the `users` side-load's role the way the webhook uses `is_staff`, `public`; the ticket's
//! first comment as the description target every `comment_added` webhook carries in
//! `detail.description` — a `ticket.created` event that embeds the comment itself yields a
//! different work id for it, so in audit mode that one case can be recorded twice; an attachment:
//! its file name; a Sunshine message: the REST message wrapped in a `conversation:message`
//! envelope and given to [`crate::ingest::sunshine::parse`] itself), scanned by
//! [`Pipeline::scan_target`] and decided by [`policy::decide_at`], so each action's idempotency
//! key (its work id) is the one the webhook path computes. The REST comment also has `html_body`
//! (the webhook has none): findings only visible there are added, findings already in the plain
//! body are not counted twice (which would change the key). Delayed deletions (retention,
//! AI-agent `after_delay`) of swept messages count from their `received` time, as they did for
//! the webhook.
//!
//! # Dedupe against work already queued or done
//! Every action is submitted with [`crate::store::Store::submit`] under the dedupe key
//! [`crate::pipeline::action_dedupe_key`], which the webhook path records for each work item it
//! enqueues. An action a webhook already caused is therefore not enqueued again — whether its
//! item is still queued, leased, dead-lettered or already executed and acknowledged (in audit
//! mode a re-scan would otherwise find the same PHI again). The horizon is the dedupe TTL
//! (`store.dedupe_ttl_seconds`, 3 days): a sweep reaching further back may repeat actions the
//! webhook path executed before that (in enforce mode they find nothing left to redact).
//!
//! # Cursors and resumption
//! Zendesk: cursor `sweep:<tenant>:zendesk` = `{since, cursor, complete, cursor_time}`, written
//! once before the first page and after every page whose actions are durably submitted. A
//! killed sweep resumes from the last written page (that page is scanned again; its actions
//! dedupe). Sunshine: `sweep:<tenant>:sunshine:<conversation>` = `{since_ms, before, complete}`.
//! See [`Start`] for which stored cursor a run continues.
//!
//! # Rate limits
//! Every request goes through the tenant's API client (`enforce::api::HttpApi`): the tenant's
//! token bucket (shared across replicas through Redis with the Redis store) and, in `serve`, the
//! same limiter instance as the workers. On top, the sweep has its own budget
//! (`sweep.requests_per_minute`) so it cannot starve enforcement, and the export endpoint its own
//! (`sweep.export_requests_per_minute`, default 10: Zendesk's incremental-export limit). A 429 or
//! 503 waits `Retry-After` (else exponential backoff with full jitter); 5xx, timeouts and
//! connection errors back off; other 4xx end the run with an error (the cursor stays where it
//! was).

pub mod api;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;

use self::api::{ExportFrom, ExportTicket, SweepComment, TicketComments};
use crate::config::ConfigIssue;
use crate::detect::Detector;
use crate::enforce::api::{ApiError, RateLimiter};
use crate::enforce::executor::ApiExecutor;
use crate::enforce::sunshine_api::SunshineApi;
use crate::enforce::zendesk_api::ZendeskApi;
use crate::ingest::{
    self, AttachmentMeta, AuthorKind, FieldKind, Intent, ObjectRef, ParseContext, ScanTarget,
    Source, TextField, TicketField,
};
use crate::pipeline::{ACTION_MARKER_HASH, Pipeline, action_dedupe_key, work_item};
use crate::policy::{self, PolicyConfig};
use crate::store::{NewWork, StoreError, Submission, SubmitOutcome, now_ms};

/// The `[sweep]` configuration section (periodic mode in `serve`, defaults for the CLI).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepConfig {
    /// Run the Zendesk sweep periodically inside `serve`.
    pub enabled: bool,
    /// Pause between the end of one periodic run and the start of the next.
    pub interval_seconds: u64,
    /// How far back the first periodic run (no stored cursor yet) starts: `24h`, `90m`, `7d`.
    pub lookback: String,
    /// Tenants swept periodically; empty = every tenant with `[tenants.<t>.zendesk]` credentials.
    pub tenants: Vec<String>,
    /// Tickets per export page (Zendesk allows up to 1000); the cursor is stored after each page.
    pub page_size: u32,
    /// Budget of the incremental-export endpoint (Zendesk: 10/min, 30/min with High Volume).
    pub export_requests_per_minute: u32,
    /// The sweep's own budget of API calls, on top of the tenant's limit shared with workers.
    pub requests_per_minute: u32,
    /// Attempts per API request (429 / 503 / 5xx / timeouts) before the run fails.
    pub max_attempts: u32,
    /// First backoff delay when the upstream gives no `Retry-After`; doubles up to 60 s.
    pub backoff_base_ms: u64,
    /// Seconds between progress lines.
    pub progress_interval_seconds: u64,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            enabled: false,
            interval_seconds: 900,
            lookback: "24h".into(),
            tenants: Vec::new(),
            page_size: 100,
            export_requests_per_minute: 10,
            requests_per_minute: 100,
            max_attempts: 8,
            backoff_base_ms: 1000,
            progress_interval_seconds: 10,
        }
    }
}

impl SweepConfig {
    /// Appends problems with their keys.
    pub fn validate_into(&self, issues: &mut Vec<ConfigIssue>) {
        let mut bad = |key: &str, reason: &str| {
            issues.push(ConfigIssue {
                key: format!("sweep.{key}"),
                reason: reason.into(),
            })
        };
        if !(10..=7 * 86_400).contains(&self.interval_seconds) {
            bad("interval_seconds", "must be within 10..=604800");
        }
        if let Err(e) = parse_duration(&self.lookback) {
            bad("lookback", &e);
        }
        if !(1..=1000).contains(&self.page_size) {
            bad("page_size", "must be within 1..=1000");
        }
        if self.export_requests_per_minute == 0 {
            bad("export_requests_per_minute", "must be at least 1");
        }
        if self.requests_per_minute == 0 {
            bad("requests_per_minute", "must be at least 1");
        }
        if !(1..=100).contains(&self.max_attempts) {
            bad("max_attempts", "must be within 1..=100");
        }
        if !(1..=60_000).contains(&self.backoff_base_ms) {
            bad("backoff_base_ms", "must be within 1..=60000");
        }
        if !(1..=3600).contains(&self.progress_interval_seconds) {
            bad("progress_interval_seconds", "must be within 1..=3600");
        }
    }
}

/// Parses a relative duration: a positive integer followed by `s`, `m`, `h`, `d` or `w`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| "needs a unit: s, m, h, d or w (e.g. 24h)".to_string())?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| "must start with a number (e.g. 24h)".to_string())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err("unit must be s, m, h, d or w (e.g. 24h)".into()),
    };
    if n == 0 {
        return Err("must be greater than zero".into());
    }
    n.checked_mul(mult)
        .filter(|secs| *secs <= 10 * 366 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| "is longer than ten years".into())
}

/// Parses `--since`: an RFC 3339 time (`2026-11-24T08:00:00Z`) or a duration before `now_secs`
/// (`24h`). Returns Unix seconds; a time in the future is refused.
pub fn parse_since(s: &str, now_secs: u64) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        let secs = u64::try_from(t.timestamp()).map_err(|_| "is before 1970".to_string())?;
        if secs > now_secs {
            return Err("is in the future".into());
        }
        return Ok(secs);
    }
    let d = parse_duration(s).map_err(|e| {
        format!("is neither an RFC 3339 time (2026-11-24T08:00:00Z) nor a duration: {e}")
    })?;
    Ok(now_secs.saturating_sub(d.as_secs()))
}

fn rfc3339(secs: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn parse_time_secs(s: &str) -> Option<u64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|t| u64::try_from(t.timestamp()).ok())
}

/// Which window a run covers, given the stored cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `--since T`: resume an *interrupted* run if one is stored (its own window, whatever `T`),
    /// else start at `T`.
    Since(u64),
    /// `--since T --restart`: start at `T`, discarding any stored cursor.
    Restart(u64),
    /// No `--since` / periodic runs: continue the stored cursor (an interrupted run, or the
    /// export stream after the last completed one); with none stored, start at the fallback
    /// (periodic: now − `lookback`), or fail when there is none.
    Continue(Option<u64>),
}

/// Errors that end a sweep run. Messages hold ids, statuses and fixed names only.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("tenant {tenant}: no [tenants.{tenant}.{api}] API credentials to read with")]
    NoCredentials { tenant: String, api: &'static str },
    #[error("tenant {0}: tenants.{0}.sunshine.app_id must be set to sweep Sunshine")]
    NoAppId(String),
    #[error("tenant {0}: no stored sweep cursor; give --since")]
    NoCursor(String),
    #[error("API: {0}")]
    Api(#[from] ApiError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("stored cursor {0} is unreadable; rerun with --since and --restart")]
    BadCursor(String),
    #[error("interrupted; the next run resumes from the stored cursor")]
    Interrupted,
}

/// Counts of one run (what progress lines and the summary show).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepStats {
    pub tenant: String,
    pub source: &'static str,
    pub pages: u64,
    pub tickets: u64,
    pub comments: u64,
    pub attachments: u64,
    pub conversations: u64,
    pub messages: u64,
    /// Tickets / conversations skipped: deleted, or gone (404) by the time they were read.
    pub skipped: u64,
    pub actions_enqueued: u64,
    /// Actions a webhook (or an earlier sweep) had already submitted.
    pub actions_deduplicated: u64,
    /// Requests retried after 429 / 503 / 5xx / timeouts.
    pub retries: u64,
    /// Latest `updated_at` (Zendesk) / `received` (Sunshine) seen, Unix seconds.
    pub cursor_time: Option<u64>,
    /// True when the run resumed an interrupted one.
    pub resumed: bool,
    pub complete: bool,
}

impl SweepStats {
    fn new(tenant: &str, source: Source) -> SweepStats {
        SweepStats {
            tenant: tenant.to_string(),
            source: source.as_str(),
            ..Default::default()
        }
    }

    /// One progress line: counts, the cursor time and the rate; never text or object ids.
    pub fn line(&self, elapsed: Duration) -> String {
        let items = self.tickets + self.messages;
        let secs = elapsed.as_secs_f64().max(0.001);
        format!(
            "tenant={} source={} pages={} tickets={} comments={} attachments={} conversations={} messages={} skipped={} actions_enqueued={} actions_deduplicated={} retries={} cursor_time={} rate={:.1}/s elapsed={:.0}s",
            self.tenant,
            self.source,
            self.pages,
            self.tickets,
            self.comments,
            self.attachments,
            self.conversations,
            self.messages,
            self.skipped,
            self.actions_enqueued,
            self.actions_deduplicated,
            self.retries,
            self.cursor_time.map(rfc3339).unwrap_or_else(|| "-".into()),
            items as f64 / secs,
            secs,
        )
    }
}

/// Where progress lines go (stderr for the CLI, the log in `serve`).
pub type ProgressSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Pacing and retry settings of a [`Sweeper`].
pub struct SweepSettings {
    pub page_size: u32,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub progress_interval: Duration,
    /// The sweep's own budget (on top of the tenant limiter inside each client).
    pub budget: RateLimiter,
    /// The export endpoint's budget.
    pub export_budget: RateLimiter,
}

impl SweepSettings {
    pub fn from_config(c: &SweepConfig) -> SweepSettings {
        SweepSettings {
            page_size: c.page_size,
            max_attempts: c.max_attempts,
            backoff_base: Duration::from_millis(c.backoff_base_ms),
            progress_interval: Duration::from_secs(c.progress_interval_seconds),
            budget: RateLimiter::new(c.requests_per_minute),
            export_budget: RateLimiter::new(c.export_requests_per_minute),
        }
    }
}

/// Walks the APIs of one process's tenants. Cheap to share (`Arc`).
pub struct Sweeper {
    pipeline: Arc<Pipeline>,
    clients: Arc<ApiExecutor>,
    settings: SweepSettings,
    progress: ProgressSink,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct ZendeskCursor {
    /// Unix seconds the walk started from.
    since: u64,
    /// Export cursor of the next page; `None` = the first page (`start_time = since`).
    #[serde(default)]
    cursor: Option<String>,
    /// The last page had `end_of_stream`.
    #[serde(default)]
    complete: bool,
    #[serde(default)]
    cursor_time: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct SunshineCursor {
    since_ms: u64,
    /// `page[before]` of the next (older) page; `None` = the newest page.
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    complete: bool,
    /// When the run that wrote this cursor started (Unix ms): a continued walk goes back to
    /// there (minus a minute of overlap), not to the first run's `since`.
    #[serde(default)]
    run_started_ms: Option<u64>,
}

/// Overlap of a continued Sunshine walk with the previous run (clock skew, late `received`).
const SUNSHINE_OVERLAP_MS: u64 = 60_000;

/// Cursor name of a tenant's Zendesk walk.
pub fn zendesk_cursor_name(tenant: &str) -> String {
    format!("sweep:{tenant}:zendesk")
}

/// Cursor name of one Sunshine conversation's walk.
pub fn sunshine_cursor_name(tenant: &str, conversation: &str) -> String {
    format!("sweep:{tenant}:sunshine:{conversation}")
}

/// Picks the window of a Zendesk run from `start` and the stored cursor (pure).
fn resolve_zendesk(
    start: Start,
    stored: Option<ZendeskCursor>,
    tenant: &str,
) -> Result<(ZendeskCursor, bool), SweepError> {
    let fresh = |since| ZendeskCursor {
        since,
        cursor: None,
        complete: false,
        cursor_time: None,
    };
    Ok(match (start, stored) {
        (Start::Restart(since), _) => (fresh(since), false),
        (Start::Since(_), Some(c)) if !c.complete => (c, true),
        (Start::Since(since), _) => (fresh(since), false),
        (Start::Continue(_), Some(c)) if !c.complete => (c, true),
        // The export stream continues from where the last completed run ended.
        (Start::Continue(_), Some(c)) if c.cursor.is_some() => (
            ZendeskCursor {
                complete: false,
                ..c
            },
            false,
        ),
        (Start::Continue(_), Some(c)) => (fresh(c.since), false),
        (Start::Continue(Some(since)), None) => (fresh(since), false),
        (Start::Continue(None), None) => return Err(SweepError::NoCursor(tenant.to_string())),
    })
}

/// Keeps the spans of plain-text fields, and those of HTML fields whose value (raw or visible
/// text) is not already among them: the webhook scanned the plain body only, so findings it
/// also saw must appear once, in the same order, for the idempotency key to be the same.
fn merge_html_spans(
    target: &ScanTarget,
    spans: Vec<policy::ScoredSpan>,
    pipeline: &Pipeline,
) -> Vec<policy::ScoredSpan> {
    let plain: HashSet<String> = spans
        .iter()
        .filter(|s| s.field != FieldKind::CommentHtml)
        .map(|s| s.fingerprint.clone())
        .collect();
    spans
        .into_iter()
        .filter(|s| {
            if s.field != FieldKind::CommentHtml {
                return true;
            }
            if plain.contains(&s.fingerprint) {
                return false;
            }
            let raw = target
                .fields
                .iter()
                .find(|f| f.kind == FieldKind::CommentHtml && f.index == s.index)
                .and_then(|f| f.text.get(s.byte_start..s.byte_end))
                .unwrap_or("");
            let visible = crate::enforce::redact::visible_text(raw);
            !plain.contains(&pipeline.fingerprinter.fingerprint(s.label, &visible))
        })
        .collect()
}

fn author_of(role: Option<&str>) -> AuthorKind {
    match role.map(str::to_ascii_lowercase).as_deref() {
        Some("end-user" | "end_user" | "enduser") => AuthorKind::EndUser,
        Some("agent" | "admin") => AuthorKind::HumanAgent,
        _ => AuthorKind::Unknown,
    }
}

fn text_field(kind: FieldKind, text: &str, html: bool) -> Option<TextField> {
    (!text.trim().is_empty()).then(|| TextField {
        kind,
        index: 0,
        text: text.to_string(),
        html,
    })
}

/// The scan targets a webhook would have produced for a ticket's current state: the subject,
/// custom fields with text values, each comment, each attachment's file name.
fn zendesk_targets(
    tenant: &str,
    account: &str,
    ticket: &ExportTicket,
    comments: &TicketComments,
) -> Vec<ScanTarget> {
    let event_id = format!("sweep:ticket:{}", ticket.id);
    let base = ScanTarget {
        source: Source::Zendesk,
        tenant: tenant.to_string(),
        account: account.to_string(),
        event_id,
        event_type: "sweep".into(),
        object: ObjectRef::ZendeskTicket {
            ticket_id: ticket.id,
        },
        author: AuthorKind::Unknown,
        channel: ticket
            .via
            .as_ref()
            .and_then(|v| v.channel.as_ref())
            .and_then(|c| match c {
                Value::String(s) => ingest::json::label(s),
                _ => None,
            }),
        brand_id: ticket.brand_id,
        group_id: ticket.group_id,
        public: None,
        ai_involved: false,
        linked_ticket_id: None,
        fields: Vec::new(),
        attachments: Vec::new(),
        intent: Intent::Content,
    };
    let mut out = Vec::new();
    let field_target = |field: TicketField, kind: FieldKind, text: &str| {
        text_field(kind, text, false).map(|f| ScanTarget {
            object: ObjectRef::ZendeskTicketField {
                ticket_id: ticket.id,
                field,
            },
            fields: vec![f],
            ..base.clone()
        })
    };
    if let Some(subject) = &ticket.subject {
        out.extend(field_target(
            TicketField::Subject,
            FieldKind::Subject,
            subject,
        ));
    }
    for cf in &ticket.custom_fields {
        let text = match &cf.value {
            Value::String(_) | Value::Number(_) | Value::Array(_) => {
                ingest::json::scalar_text(&cf.value)
            }
            _ => None,
        };
        if let Some(text) = text {
            out.extend(field_target(
                TicketField::Custom(cf.id),
                FieldKind::CustomField,
                &text,
            ));
        }
    }
    for (i, c) in comments.comments.iter().enumerate() {
        out.extend(comment_targets(&base, ticket.id, c, comments, i == 0));
    }
    out
}

/// A comment's targets. The ticket's first comment is its description: webhooks carry it as
/// `detail.description` on every `comment_added` event (a description target, whose redaction
/// names no comment id and the worker applies to the first comment), so it is built the same
/// way here to get the same work id.
fn comment_targets(
    base: &ScanTarget,
    ticket_id: u64,
    c: &SweepComment,
    comments: &TicketComments,
    first: bool,
) -> Vec<ScanTarget> {
    let author = author_of(
        c.author_id
            .and_then(|a| comments.roles.get(&a))
            .map(String::as_str),
    );
    let mut out = Vec::new();
    let plain_kind = if first {
        FieldKind::Description
    } else {
        FieldKind::CommentBody
    };
    let fields: Vec<TextField> = [
        text_field(plain_kind, &c.body, false),
        text_field(FieldKind::CommentHtml, &c.html_body, true),
    ]
    .into_iter()
    .flatten()
    .collect();
    if first && !fields.is_empty() {
        out.push(ScanTarget {
            object: ObjectRef::ZendeskTicketField {
                ticket_id,
                field: TicketField::Description,
            },
            fields,
            ..base.clone()
        });
    } else if !fields.is_empty() {
        out.push(ScanTarget {
            object: ObjectRef::ZendeskComment {
                ticket_id,
                comment_id: Some(c.id),
            },
            author,
            public: c.public,
            fields,
            ..base.clone()
        });
    }
    for a in &c.attachments {
        let Some(f) = text_field(FieldKind::FileName, &a.file_name, false) else {
            continue;
        };
        out.push(ScanTarget {
            object: ObjectRef::ZendeskAttachment {
                ticket_id,
                comment_id: c.id,
                attachment_id: a.id,
            },
            author,
            public: c.public,
            fields: vec![f],
            attachments: vec![AttachmentMeta {
                id: Some(a.id),
                url: None,
                media_type: a.content_type.clone(),
                size: a.size,
                from_end_user: author == AuthorKind::EndUser,
            }],
            ..base.clone()
        });
    }
    out
}

impl Sweeper {
    /// `clients` supplies each tenant's API clients (with their rate limiters); in `serve` it is
    /// the workers' executor, so both share one limiter per tenant.
    pub fn new(
        pipeline: Arc<Pipeline>,
        clients: Arc<ApiExecutor>,
        settings: SweepSettings,
        progress: ProgressSink,
    ) -> Sweeper {
        Sweeper {
            pipeline,
            clients,
            settings,
            progress,
        }
    }

    /// Builds a sweeper outside `serve` (the CLI, tests): the configured rules, policy, author
    /// rules and fingerprint key, `store`, and API clients with the tenants' rate limits (shared
    /// through Redis with the Redis store). The fingerprint key must be set: work ids and the
    /// workers' span matching depend on it, so a random key would neither dedupe against
    /// webhooks nor be redactable by the service.
    pub async fn from_config(
        config: &crate::config::Config,
        store: Arc<dyn crate::store::Store>,
        metrics: Arc<crate::metrics::Metrics>,
        progress: ProgressSink,
    ) -> anyhow::Result<Sweeper> {
        use crate::ingest::verify::{SunshineVerifier, TimestampWindow, ZendeskVerifier};
        use anyhow::Context;
        use arc_swap::ArcSwap;
        let key = config.fingerprint_key().context(
            "detect.fingerprint_key (or _file) must be set to sweep: the service's workers must \
             recognise the fingerprints this process computes",
        )?;
        let fingerprinter = crate::detect::fingerprint::Fingerprinter::new(key);
        let detector = Arc::new(ArcSwap::from_pointee(crate::app::load_detector(config)?));
        // The sweep verifies nothing (it reads the APIs with credentials): empty verifiers.
        let none: Vec<(String, Vec<secrecy::SecretString>)> = Vec::new();
        let pipeline = Arc::new(Pipeline {
            detector: detector.clone(),
            policy: Arc::new(ArcSwap::from_pointee(config.policy.clone())),
            fingerprinter: fingerprinter.clone(),
            zendesk: ZendeskVerifier::new(
                none.clone(),
                TimestampWindow {
                    max_age: Duration::from_secs(config.verify.max_age_seconds),
                    max_future_skew: Duration::from_secs(config.verify.max_future_skew_seconds),
                },
                false,
            )
            .map_err(|e| anyhow::anyhow!("verify: {e}"))?,
            sunshine: SunshineVerifier::new(none).map_err(|e| anyhow::anyhow!("verify: {e}"))?,
            author_rules: config.ingest.author.clone(),
            store,
            metrics: metrics.clone(),
            min_score: config.patterns.min_score,
            dedupe_ttl: Duration::from_secs(config.store.dedupe_ttl_seconds),
            // A `phi-guard sweep` process has no worker: nobody waits on it.
            work_ready: Arc::default(),
        });
        let clients = Arc::new(
            crate::app::build_api_executor(config, detector, &fingerprinter, metrics).await?,
        );
        Ok(Sweeper::new(
            pipeline,
            clients,
            SweepSettings::from_config(&config.sweep),
            progress,
        ))
    }

    fn sweep_metric(&self, which: &str, source: &'static str, label: &'static str) {
        let m = &self.pipeline.metrics;
        let c = match which {
            "items" => &m.sweep_items,
            "actions" => &m.sweep_actions,
            _ => &m.sweep_errors,
        };
        c.with_label_values(&[source, label]).inc();
    }

    fn report(&self, stats: &SweepStats, started: Instant, last: &mut Instant) {
        if last.elapsed() >= self.settings.progress_interval {
            *last = Instant::now();
            (self.progress)(&format!(
                "sweep progress: {}",
                stats.line(started.elapsed())
            ));
        }
    }

    /// Waits `d`, or returns `Interrupted` when `stop` turns true first.
    async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> Result<(), SweepError> {
        if *stop.borrow() {
            return Err(SweepError::Interrupted);
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = stopped(stop) => Err(SweepError::Interrupted),
        }
    }

    /// One API call under the sweep's budget, retried on 429 / 503 (after `Retry-After`), other
    /// 5xx, timeouts and connection errors, with full-jitter exponential backoff otherwise.
    async fn call<T, F, Fut>(
        &self,
        source: &'static str,
        stats: &mut SweepStats,
        stop: &mut watch::Receiver<bool>,
        mut f: F,
    ) -> Result<T, SweepError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0u32;
        loop {
            if *stop.borrow() {
                return Err(SweepError::Interrupted);
            }
            // The local bucket never refuses (it waits); `Err` only comes from a shared window.
            let _ = self.settings.budget.acquire().await;
            // A stop request abandons the request in flight (nothing was submitted for it).
            let result = tokio::select! {
                r = f() => r,
                _ = stopped(stop) => return Err(SweepError::Interrupted),
            };
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            attempt += 1;
            let (retry, after, reason) = match &err {
                ApiError::Status {
                    status: 429 | 503,
                    retry_after,
                    ..
                } => (true, *retry_after, "rate_limited"),
                ApiError::LocalRateLimit { retry_after, .. } => {
                    (true, Some(*retry_after), "rate_limited")
                }
                ApiError::Status { status, .. } if *status >= 500 || *status == 408 => {
                    (true, None, "upstream")
                }
                ApiError::Timeout { .. } | ApiError::Connect { .. } | ApiError::Decode { .. } => {
                    (true, None, "upstream")
                }
                ApiError::Status { .. } => (false, None, "fatal"),
            };
            if !retry || attempt >= self.settings.max_attempts {
                if !(matches!(err, ApiError::Status { status: 404, .. })) {
                    self.sweep_metric("errors", source, "fatal");
                }
                return Err(SweepError::Api(err));
            }
            self.sweep_metric("errors", source, reason);
            stats.retries += 1;
            let delay = after.unwrap_or_else(|| {
                let cap = Duration::from_secs(60);
                let exp = self
                    .settings
                    .backoff_base
                    .saturating_mul(1u32 << (attempt - 1).min(16))
                    .min(cap);
                Duration::from_millis(rand::random_range(0..=exp.as_millis() as u64))
            });
            tracing::info!(
                source,
                tenant = %stats.tenant,
                error = %err,
                delay_ms = delay.as_millis() as u64,
                attempt,
                "Sweep request failed; retrying."
            );
            Self::pause(delay, stop).await?;
        }
    }

    /// Scans targets, decides their actions and submits them durably, deduped against work a
    /// webhook (or an earlier sweep) already submitted. Each target comes with the time its
    /// content arrived (Unix ms), the base of delayed deletions (AI-agent `after_delay`,
    /// retention), as it was for the webhook; a deadline already past makes the item due now.
    async fn submit_targets(
        &self,
        targets: &[(ScanTarget, u64)],
        detector: &Detector,
        policy: &PolicyConfig,
        stats: &mut SweepStats,
    ) -> Result<(), SweepError> {
        let mut items: Vec<NewWork> = Vec::new();
        let mut seen = HashSet::new();
        let mut decided = Vec::new();
        for (t, now) in targets {
            let now = *now;
            let spans = self.pipeline.scan_target(detector, t);
            let spans = merge_html_spans(t, spans, &self.pipeline);
            for a in policy::decide_at(t, &spans, policy, now) {
                let w = work_item(&a);
                if seen.insert(w.id.clone()) {
                    decided.push((a.kind.as_str(), a.mode.as_str(), a.reason == "retention"));
                    items.push(w);
                }
            }
        }
        if items.is_empty() {
            return Ok(());
        }
        let subs: Vec<Submission> = items
            .into_iter()
            .map(|w| Submission {
                dedupe_key: action_dedupe_key(&w.tenant, &w.id),
                body_hash: ACTION_MARKER_HASH,
                items: vec![w],
            })
            .collect();
        let source = stats.source;
        let outcomes = self
            .pipeline
            .store
            .submit(&subs, self.pipeline.dedupe_ttl)
            .await
            .inspect_err(|_| {
                self.pipeline
                    .metrics
                    .store_errors
                    .with_label_values(&["submit"])
                    .inc();
                self.sweep_metric("errors", source, "store");
            })?;
        if outcomes.contains(&SubmitOutcome::Accepted) {
            self.pipeline.work_ready.notify_one();
        }
        let m = &self.pipeline.metrics;
        for (o, (kind, mode, retention)) in outcomes.iter().zip(decided) {
            match o {
                SubmitOutcome::Accepted => {
                    stats.actions_enqueued += 1;
                    self.sweep_metric("actions", source, "enqueued");
                    m.actions_decided.with_label_values(&[kind, mode]).inc();
                    if retention {
                        m.retention_scheduled.with_label_values(&[kind, mode]).inc();
                    }
                }
                SubmitOutcome::Duplicate | SubmitOutcome::DuplicateDifferentBody => {
                    stats.actions_deduplicated += 1;
                    self.sweep_metric("actions", source, "duplicate");
                }
            }
        }
        Ok(())
    }

    /// Sweeps one tenant's Zendesk tickets changed since the window `start` resolves to.
    pub async fn sweep_zendesk(
        &self,
        tenant: &str,
        start: Start,
        mut stop: watch::Receiver<bool>,
    ) -> Result<SweepStats, SweepError> {
        const SRC: &str = "zendesk";
        let zd: Arc<ZendeskApi> =
            self.clients
                .zendesk_client(tenant)
                .ok_or_else(|| SweepError::NoCredentials {
                    tenant: tenant.to_string(),
                    api: SRC,
                })?;
        let name = zendesk_cursor_name(tenant);
        let store = &self.pipeline.store;
        let stored = match store.get_cursor(&name).await? {
            None => None,
            Some(v) => Some(
                serde_json::from_str::<ZendeskCursor>(&v)
                    .map_err(|_| SweepError::BadCursor(name.clone()))?,
            ),
        };
        let (mut cur, resumed) = resolve_zendesk(start, stored, tenant)?;
        let mut stats = SweepStats::new(tenant, Source::Zendesk);
        stats.resumed = resumed;
        stats.cursor_time = cur.cursor_time;
        (self.progress)(&format!(
            "sweep start: tenant={tenant} source=zendesk since={} resumed={resumed}",
            rfc3339(cur.since)
        ));
        store.set_cursor(&name, &cursor_json(&cur)).await?;
        let started = Instant::now();
        let mut last = Instant::now();
        let result = self
            .zendesk_pages(
                tenant, &zd, &name, &mut cur, &mut stats, &mut stop, started, &mut last,
            )
            .await;
        self.finish(SRC, &stats, &result, started);
        result.map(|()| stats)
    }

    #[allow(clippy::too_many_arguments)]
    async fn zendesk_pages(
        &self,
        tenant: &str,
        zd: &ZendeskApi,
        name: &str,
        cur: &mut ZendeskCursor,
        stats: &mut SweepStats,
        stop: &mut watch::Receiver<bool>,
        started: Instant,
        last: &mut Instant,
    ) -> Result<(), SweepError> {
        const SRC: &str = "zendesk";
        let store = &self.pipeline.store;
        loop {
            let page_cursor = cur.cursor.clone();
            let from = match &page_cursor {
                Some(c) => ExportFrom::Cursor(c),
                None => ExportFrom::StartTime(cur.since),
            };
            let _ = self.settings.export_budget.acquire().await;
            let page = self
                .call(SRC, stats, stop, || {
                    zd.incremental_tickets(from, self.settings.page_size)
                })
                .await?;
            for _ in 0..page.invalid {
                self.sweep_metric("errors", SRC, "parse");
            }
            if page.invalid > 0 {
                tracing::warn!(
                    tenant,
                    skipped = page.invalid,
                    "Export entries without a readable ticket id; skipped."
                );
            }
            // Policy and rules are read per page: a reload applies from the next page.
            let policy = self.pipeline.policy.load();
            let detector = self.pipeline.detector.load();
            for ticket in &page.tickets {
                if *stop.borrow() {
                    return Err(SweepError::Interrupted);
                }
                stats.tickets += 1;
                self.sweep_metric("items", SRC, "ticket");
                if let Some(t) = ticket.updated_at.as_deref().and_then(parse_time_secs) {
                    stats.cursor_time = Some(stats.cursor_time.map_or(t, |c| c.max(t)));
                }
                if ticket.status.as_deref() == Some("deleted") {
                    stats.skipped += 1;
                    continue;
                }
                let id = ticket.id;
                let comments = match self
                    .call(SRC, stats, stop, || zd.list_comments_with_authors(id))
                    .await
                {
                    Ok(c) => c,
                    // Deleted since the export listed it.
                    Err(SweepError::Api(e)) if crate::enforce::api::is_not_found(&e) => {
                        stats.skipped += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                for _ in 0..comments.invalid {
                    self.sweep_metric("errors", SRC, "parse");
                }
                for c in &comments.comments {
                    stats.comments += 1;
                    self.sweep_metric("items", SRC, "comment");
                    for _ in &c.attachments {
                        stats.attachments += 1;
                        self.sweep_metric("items", SRC, "attachment");
                    }
                }
                // The account id only labels actions; the export does not carry it.
                // Zendesk targets never schedule delayed work: "now" is only a formality.
                let now = now_ms();
                let targets: Vec<(ScanTarget, u64)> =
                    zendesk_targets(tenant, "", ticket, &comments)
                        .into_iter()
                        .map(|t| (t, now))
                        .collect();
                drop(comments);
                self.submit_targets(&targets, &detector, &policy, stats)
                    .await?;
                self.report(stats, started, last);
            }
            stats.pages += 1;
            let next = page.after_cursor.clone().filter(|c| !c.is_empty());
            let end = page.end_of_stream || next.is_none() || next == page_cursor;
            if next.is_some() {
                cur.cursor = next;
            }
            cur.complete = end;
            cur.cursor_time = stats.cursor_time.or(cur.cursor_time);
            // Only now is every action of this page durable: move the cursor past it.
            store.set_cursor(name, &cursor_json(cur)).await?;
            self.report(stats, started, last);
            if end {
                if !page.end_of_stream {
                    tracing::warn!(
                        tenant,
                        "Incremental export page without a new after_cursor; stopping here."
                    );
                }
                stats.complete = true;
                return Ok(());
            }
        }
    }

    fn finish(
        &self,
        source: &'static str,
        stats: &SweepStats,
        result: &Result<(), SweepError>,
        started: Instant,
    ) {
        let outcome = match result {
            Ok(()) => "complete",
            Err(SweepError::Interrupted) => "interrupted",
            Err(_) => "failed",
        };
        self.pipeline
            .metrics
            .sweep_runs
            .with_label_values(&[source, outcome])
            .inc();
        (self.progress)(&format!(
            "sweep {outcome}: {}",
            stats.line(started.elapsed())
        ));
    }

    /// Sweeps the messages of the given conversations received since `since_ms` (Unix ms).
    ///
    /// Listing every conversation of an app is not in the API reference this project follows
    /// (only List Messages of one conversation is), so the conversations are given by the
    /// caller (`--conversation`).
    pub async fn sweep_sunshine(
        &self,
        tenant: &str,
        conversations: &[String],
        start: Start,
        mut stop: watch::Receiver<bool>,
    ) -> Result<SweepStats, SweepError> {
        const SRC: &str = "sunshine";
        let (sc, app_id): (Arc<SunshineApi>, String) = self
            .clients
            .sunshine_client(tenant)
            .ok_or_else(|| SweepError::NoCredentials {
                tenant: tenant.to_string(),
                api: SRC,
            })?;
        if app_id.is_empty() {
            return Err(SweepError::NoAppId(tenant.to_string()));
        }
        let mut stats = SweepStats::new(tenant, Source::Sunshine);
        let started = Instant::now();
        let mut last = Instant::now();
        let mut result = Ok(());
        for conv in conversations {
            result = self
                .sweep_conversation(
                    tenant, &sc, &app_id, conv, start, &mut stats, &mut stop, started, &mut last,
                )
                .await;
            if result.is_err() {
                break;
            }
            stats.conversations += 1;
        }
        if result.is_ok() {
            stats.complete = true;
        }
        self.finish(SRC, &stats, &result, started);
        result.map(|()| stats)
    }

    #[allow(clippy::too_many_arguments)]
    async fn sweep_conversation(
        &self,
        tenant: &str,
        sc: &SunshineApi,
        app_id: &str,
        conv: &str,
        start: Start,
        stats: &mut SweepStats,
        stop: &mut watch::Receiver<bool>,
        started: Instant,
        last: &mut Instant,
    ) -> Result<(), SweepError> {
        const SRC: &str = "sunshine";
        let store = &self.pipeline.store;
        let name = sunshine_cursor_name(tenant, conv);
        let stored = match store.get_cursor(&name).await? {
            None => None,
            Some(v) => Some(
                serde_json::from_str::<SunshineCursor>(&v)
                    .map_err(|_| SweepError::BadCursor(name.clone()))?,
            ),
        };
        let run_started = now_ms();
        let fresh = |secs: u64| SunshineCursor {
            since_ms: secs.saturating_mul(1000),
            before: None,
            complete: false,
            run_started_ms: Some(run_started),
        };
        let mut cur = match (start, stored) {
            (Start::Restart(s), _) => fresh(s),
            (Start::Since(_) | Start::Continue(_), Some(c)) if !c.complete => {
                stats.resumed = true;
                c
            }
            (Start::Since(s), _) => fresh(s),
            // Messages are listed newest first: a continued walk re-reads from the newest page
            // back to where the last completed run started.
            (Start::Continue(_), Some(c)) => SunshineCursor {
                since_ms: c
                    .run_started_ms
                    .map_or(c.since_ms, |t| t.saturating_sub(SUNSHINE_OVERLAP_MS)),
                before: None,
                complete: false,
                run_started_ms: Some(run_started),
            },
            (Start::Continue(Some(s)), None) => fresh(s),
            (Start::Continue(None), None) => return Err(SweepError::NoCursor(tenant.into())),
        };
        store.set_cursor(&name, &sunshine_json(&cur)).await?;
        let rules = &self.pipeline.author_rules;
        loop {
            let before = cur.before.clone();
            let page = match self
                .call(SRC, stats, stop, || {
                    sc.messages_page(app_id, conv, before.as_deref())
                })
                .await
            {
                Ok(p) => p,
                Err(SweepError::Api(e)) if crate::enforce::api::is_not_found(&e) => {
                    stats.skipped += 1;
                    cur.complete = true;
                    store.set_cursor(&name, &sunshine_json(&cur)).await?;
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let policy = self.pipeline.policy.load();
            let detector = self.pipeline.detector.load();
            let mut reached_since = false;
            let mut targets = Vec::new();
            for m in &page.messages {
                let received = m
                    .get("received")
                    .and_then(Value::as_str)
                    .and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok())
                    .and_then(|t| u64::try_from(t.timestamp_millis()).ok());
                if received.is_some_and(|r| r < cur.since_ms) {
                    reached_since = true;
                    continue;
                }
                stats.messages += 1;
                self.sweep_metric("items", SRC, "message");
                if let Some(r) = received {
                    let s = r / 1000;
                    stats.cursor_time = Some(stats.cursor_time.map_or(s, |c| c.max(s)));
                }
                let Some(id) = m.get("id").and_then(Value::as_str) else {
                    self.sweep_metric("errors", SRC, "parse");
                    continue;
                };
                // The REST message in the webhook envelope: the webhook parser builds the target.
                let body = json!({
                    "app": {"id": app_id},
                    "events": [{
                        "id": format!("sweep:{id}"),
                        "type": "conversation:message",
                        "payload": {"conversation": {"id": conv}, "message": m},
                    }],
                });
                let bytes = serde_json::to_vec(&body).unwrap_or_default();
                drop(body);
                let ctx = ParseContext::sunshine(tenant, rules);
                match ingest::sunshine::parse(&bytes, &ctx) {
                    Ok(events) => {
                        let arrived = received.unwrap_or_else(now_ms);
                        targets.extend(
                            events
                                .into_iter()
                                .flat_map(|e| e.targets)
                                .map(|t| (t, arrived)),
                        )
                    }
                    Err(e) => {
                        self.sweep_metric("errors", SRC, "parse");
                        tracing::warn!(
                            tenant,
                            reason = e.reason(),
                            "Swept message not parseable; skipped."
                        );
                    }
                }
            }
            self.submit_targets(&targets, &detector, &policy, stats)
                .await?;
            drop(targets);
            stats.pages += 1;
            cur.before = page.before.clone();
            cur.complete = reached_since || !page.has_more || page.before.is_none();
            store.set_cursor(&name, &sunshine_json(&cur)).await?;
            self.report(stats, started, last);
            if cur.complete {
                return Ok(());
            }
            if *stop.borrow() {
                return Err(SweepError::Interrupted);
            }
        }
    }

    /// Periodic mode: sweeps every tenant's Zendesk account, continuing each stored cursor (the
    /// first run starts `lookback` ago), then waits `interval`, until `stop` turns true.
    pub async fn run_periodic(
        self: Arc<Self>,
        tenants: Vec<String>,
        lookback: Duration,
        interval: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            for tenant in &tenants {
                let fallback = (now_ms() / 1000).saturating_sub(lookback.as_secs());
                match self
                    .sweep_zendesk(tenant, Start::Continue(Some(fallback)), stop.clone())
                    .await
                {
                    Ok(_) => {}
                    Err(SweepError::Interrupted) => return,
                    Err(e) => {
                        tracing::error!(tenant = %tenant, error = %e, "Periodic sweep failed; retrying at the next interval.")
                    }
                }
            }
            if Self::pause(interval, &mut stop).await.is_err() {
                return;
            }
        }
    }
}

/// Resolves once `stop` is true; never if its sender is gone without saying so.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|v| *v).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn cursor_json(c: &ZendeskCursor) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

fn sunshine_json(c: &SunshineCursor) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// Audit records read by [`known_conversations`].
pub const KNOWN_CONVERSATIONS_AUDIT_RECORDS: usize = 100_000;

/// Sunshine conversations phi-guard already acted on for `tenant`: the conversation ids named by
/// the latest `limit` audit records, most recent first. Listing every conversation of an app is
/// not an endpoint this project relies on; these are the conversations known to exist, where
/// later messages may have lost their webhooks.
pub async fn known_conversations(
    store: &dyn crate::store::Store,
    tenant: &str,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let records = store.audit_tail(limit).await?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in records.iter().rev() {
        let Ok(rec) = serde_json::from_slice::<crate::audit::AuditRecord>(r) else {
            continue;
        };
        if rec.tenant != tenant {
            continue;
        }
        if let ObjectRef::SunshineMessage {
            conversation_id, ..
        }
        | ObjectRef::SunshineConversation {
            conversation_id, ..
        } = rec.object
            && seen.insert(conversation_id.clone())
        {
            out.push(conversation_id);
        }
    }
    Ok(out)
}

/// Tenants the periodic sweep covers: `sweep.tenants`, or every tenant with Zendesk API
/// credentials.
pub fn periodic_tenants(config: &crate::config::Config) -> Vec<String> {
    if config.sweep.tenants.is_empty() {
        config
            .tenants
            .iter()
            .filter(|(_, t)| t.zendesk.is_some())
            .map(|(n, _)| n.clone())
            .collect()
    } else {
        config.sweep.tenants.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_since() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration(" 2d "), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        for bad in [
            "",
            "h",
            "24",
            "0h",
            "-1h",
            "1.5h",
            "24 hours",
            "99999999999w",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let now = 1_800_000_000;
        assert_eq!(parse_since("1h", now), Ok(now - 3600));
        assert_eq!(parse_since("2026-11-24T08:00:00Z", now), Ok(1_795_507_200));
        assert_eq!(
            parse_since("2026-11-24T09:00:00+01:00", now),
            Ok(1_795_507_200)
        );
        assert!(parse_since("2099-01-01T00:00:00Z", now).is_err());
        assert!(parse_since("yesterday", now).is_err());
    }

    #[test]
    fn config_validation_names_keys() {
        let mut issues = Vec::new();
        SweepConfig::default().validate_into(&mut issues);
        assert!(issues.is_empty(), "{issues:?}");
        let bad = SweepConfig {
            interval_seconds: 1,
            lookback: "soon".into(),
            page_size: 0,
            export_requests_per_minute: 0,
            ..Default::default()
        };
        bad.validate_into(&mut issues);
        let keys: Vec<_> = issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "sweep.interval_seconds",
                "sweep.lookback",
                "sweep.page_size",
                "sweep.export_requests_per_minute"
            ]
        );
    }

    fn cur(since: u64, cursor: Option<&str>, complete: bool) -> ZendeskCursor {
        ZendeskCursor {
            since,
            cursor: cursor.map(String::from),
            complete,
            cursor_time: None,
        }
    }

    #[test]
    fn which_window_a_run_covers() {
        let t = "t";
        let interrupted = cur(100, Some("c1"), false);
        let done = cur(100, Some("c9"), true);
        // --since resumes an interrupted run, else starts fresh.
        assert_eq!(
            resolve_zendesk(Start::Since(500), Some(interrupted.clone()), t).unwrap(),
            (interrupted.clone(), true)
        );
        assert_eq!(
            resolve_zendesk(Start::Since(500), Some(done.clone()), t).unwrap(),
            (cur(500, None, false), false)
        );
        // --restart discards.
        assert_eq!(
            resolve_zendesk(Start::Restart(500), Some(interrupted.clone()), t).unwrap(),
            (cur(500, None, false), false)
        );
        // Continue: resume, or follow the stream after a completed run, or the fallback.
        assert_eq!(
            resolve_zendesk(Start::Continue(None), Some(interrupted.clone()), t).unwrap(),
            (interrupted, true)
        );
        assert_eq!(
            resolve_zendesk(Start::Continue(Some(1)), Some(done), t).unwrap(),
            (cur(100, Some("c9"), false), false)
        );
        assert_eq!(
            resolve_zendesk(Start::Continue(Some(7)), None, t).unwrap(),
            (cur(7, None, false), false)
        );
        assert!(matches!(
            resolve_zendesk(Start::Continue(None), None, t),
            Err(SweepError::NoCursor(_))
        ));
    }

    #[test]
    fn comment_targets_follow_the_webhook_shape() {
        let ticket: ExportTicket = serde_json::from_value(json!({
            "id": 5, "subject": "Hello", "via": {"channel": "Web Form"}, "brand_id": 7,
            "custom_fields": [{"id": 9, "value": "x"}, {"id": 10, "value": null}, {"id": 11, "value": true}]
        }))
        .unwrap();
        let comments = TicketComments {
            comments: vec![
                SweepComment {
                    id: 49,
                    body: "the description".into(),
                    ..Default::default()
                },
                SweepComment {
                    id: 50,
                    author_id: Some(3),
                    body: "plain".into(),
                    html_body: "<p>plain</p>".into(),
                    public: Some(false),
                    attachments: vec![api::SweepAttachment {
                        id: 90,
                        file_name: "scan.pdf".into(),
                        content_type: None,
                        size: None,
                    }],
                },
            ],
            roles: [(3, "end-user".to_string())].into(),
            invalid: 0,
        };
        let ts = zendesk_targets("acme", "", &ticket, &comments);
        let objects: Vec<_> = ts.iter().map(|t| t.object.clone()).collect();
        assert_eq!(
            objects,
            vec![
                ObjectRef::ZendeskTicketField {
                    ticket_id: 5,
                    field: TicketField::Subject
                },
                ObjectRef::ZendeskTicketField {
                    ticket_id: 5,
                    field: TicketField::Custom(9)
                },
                ObjectRef::ZendeskTicketField {
                    ticket_id: 5,
                    field: TicketField::Description
                },
                ObjectRef::ZendeskComment {
                    ticket_id: 5,
                    comment_id: Some(50)
                },
                ObjectRef::ZendeskAttachment {
                    ticket_id: 5,
                    comment_id: 50,
                    attachment_id: 90
                },
            ]
        );
        assert_eq!(ts[2].fields[0].kind, FieldKind::Description);
        let c = &ts[3];
        assert_eq!(c.author, AuthorKind::EndUser);
        assert_eq!(c.public, Some(false));
        assert_eq!(c.channel.as_deref(), Some("web_form"));
        assert_eq!(c.brand_id, Some(7));
        assert_eq!(c.fields[0].kind, FieldKind::CommentBody);
        assert!(c.fields[1].html);
        assert!(ts[4].attachments[0].from_end_user);
        assert_eq!(author_of(Some("Agent")), AuthorKind::HumanAgent);
        assert_eq!(author_of(Some("light-agent?")), AuthorKind::Unknown);
        assert_eq!(author_of(None), AuthorKind::Unknown);
    }

    #[test]
    fn progress_line_has_counts_only() {
        let mut s = SweepStats::new("acme", Source::Zendesk);
        s.tickets = 10;
        s.actions_enqueued = 2;
        s.cursor_time = Some(1_795_507_200);
        let line = s.line(Duration::from_secs(5));
        assert!(line.contains("tickets=10"), "{line}");
        assert!(line.contains("actions_enqueued=2"), "{line}");
        assert!(line.contains("cursor_time=2026-11-24T08:00:00Z"), "{line}");
        assert!(line.contains("rate=2.0/s"), "{line}");
    }
}
