//! Retention schedules: "delete after N hours" for Sunshine messages and conversations, scoped by
//! channel, tenant, author kind and source (`[[policy.retention]]`).
//!
//! Owns: the rule type, its validation, and turning a matching scan target into delayed deletion
//! [`Action`]s whose `not_before_ms` is the decision time plus the rule's delay. The delay is
//! carried out by the store's delayed items (a sorted set in Redis, an index in the embedded
//! store), so scheduled deletions survive restarts. Must not: do I/O, read the clock (the caller
//! passes "now") or look at text — a schedule depends only on ids and routing metadata.
//!
//! Conversation-level actions (`delete_conversation_messages`, `delete_conversation`) have one
//! idempotency key per conversation and rule action: the first matching event schedules them and
//! later messages of the same conversation do not push the deadline back (the store ignores an id
//! that is already queued). The clock therefore counts from the conversation's first matching
//! event; once the deletion has run, the next matching message starts a new schedule.

use serde::{Deserialize, Serialize};

use crate::config::ConfigIssue;
use crate::ingest::{AuthorKind, Intent, ObjectRef, ScanTarget, Source};
use crate::policy::{Action, ActionKind, Mode};

/// Longest accepted delay: ten years (guards against overflow and unit mistakes).
pub const MAX_DELAY_SECONDS: u64 = 10 * 366 * 24 * 3600;

/// What a retention rule deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    /// The message that matched (message events only).
    DeleteMessage,
    /// Every message of the conversation (the conversation itself stays).
    DeleteConversationMessages,
    /// The conversation (a user's default conversation cannot be deleted: it is emptied instead).
    DeleteConversation,
}

impl RetentionAction {
    pub const fn kind(self) -> ActionKind {
        match self {
            RetentionAction::DeleteMessage => ActionKind::DeleteMessage,
            RetentionAction::DeleteConversationMessages => ActionKind::DeleteConversationMessages,
            RetentionAction::DeleteConversation => ActionKind::DeleteConversation,
        }
    }
}

/// One `[[policy.retention]]` entry. Every `match_*` that is set must match; unset matches
/// anything. Exactly one of `after_hours` / `after_seconds` is required (`after_seconds` exists
/// for short test schedules and sub-hour deadlines).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionRule {
    /// Free-form name, for operators (not used in decisions).
    pub name: String,
    pub match_channel: Option<String>,
    pub match_tenant: Option<String>,
    pub match_author: Option<AuthorKind>,
    pub match_source: Option<Source>,
    pub action: Option<RetentionAction>,
    pub after_hours: Option<u64>,
    pub after_seconds: Option<u64>,
}

impl RetentionRule {
    /// The delay in milliseconds (`None` when the rule is invalid: validation reports it).
    pub fn delay_ms(&self) -> Option<u64> {
        let secs = match (self.after_hours, self.after_seconds) {
            (Some(h), None) => h.checked_mul(3600)?,
            (None, Some(s)) => s,
            _ => return None,
        };
        (secs <= MAX_DELAY_SECONDS).then(|| secs * 1000)
    }

    fn matches(&self, t: &ScanTarget) -> bool {
        crate::policy::Scope {
            tenant: self.match_tenant.as_deref(),
            source: self.match_source,
            channel: self.match_channel.as_deref(),
            author: self.match_author,
            ..Default::default()
        }
        .matches(t)
    }
}

/// Appends problems with `[[policy.retention]]` entries, with their keys.
pub fn validate_into(rules: &[RetentionRule], issues: &mut Vec<ConfigIssue>) {
    for (i, r) in rules.iter().enumerate() {
        let key = |k: &str| format!("policy.retention[{i}].{k}");
        if r.action.is_none() {
            issues.push(ConfigIssue {
                key: key("action"),
                reason:
                    "required: delete_message, delete_conversation_messages or delete_conversation"
                        .into(),
            });
        }
        match (r.after_hours, r.after_seconds) {
            (None, None) | (Some(_), Some(_)) => issues.push(ConfigIssue {
                key: key("after_hours"),
                reason: "set exactly one of after_hours or after_seconds".into(),
            }),
            _ if r.delay_ms().is_none() => issues.push(ConfigIssue {
                key: key(if r.after_hours.is_some() {
                    "after_hours"
                } else {
                    "after_seconds"
                }),
                reason: format!("at most {MAX_DELAY_SECONDS} seconds (ten years)"),
            }),
            _ => {}
        }
        if r.match_source == Some(Source::Zendesk) {
            issues.push(ConfigIssue {
                key: key("match_source"),
                reason: "retention deletes Sunshine messages/conversations only; time-based \
                         Zendesk ticket deletion is not available (AI-agent tickets: policy.ai_ticket)"
                    .into(),
            });
        }
    }
}

/// The delayed deletions that `rules` schedule for one target decided at `now_ms`. Every
/// matching rule contributes its action (duplicates by idempotency key are dropped, keeping the
/// earliest deadline). Only Sunshine message content and `conversation:create` events schedule.
pub fn schedule(
    target: &ScanTarget,
    rules: &[RetentionRule],
    mode: Mode,
    now_ms: u64,
) -> Vec<Action> {
    if target.source != Source::Sunshine {
        return Vec::new();
    }
    let (app_id, conversation_id, message) = match (&target.intent, &target.object) {
        (
            Intent::Content,
            ObjectRef::SunshineMessage {
                app_id,
                conversation_id,
                ..
            },
        ) => (app_id, conversation_id, true),
        (
            Intent::ConversationCreated,
            ObjectRef::SunshineConversation {
                app_id,
                conversation_id,
            },
        ) => (app_id, conversation_id, false),
        _ => return Vec::new(),
    };
    let mut out: Vec<Action> = Vec::new();
    for rule in rules.iter().filter(|r| r.matches(target)) {
        let (Some(action), Some(delay)) = (rule.action, rule.delay_ms()) else {
            continue;
        };
        let object = match action {
            RetentionAction::DeleteMessage if message => target.object.clone(),
            // A conversation:create has no message to delete.
            RetentionAction::DeleteMessage => continue,
            RetentionAction::DeleteConversationMessages | RetentionAction::DeleteConversation => {
                ObjectRef::SunshineConversation {
                    app_id: app_id.clone(),
                    conversation_id: conversation_id.clone(),
                }
            }
        };
        let a = Action {
            kind: action.kind(),
            mode,
            tenant: target.tenant.clone(),
            source: target.source,
            account: target.account.clone(),
            event_id: target.event_id.clone(),
            object,
            spans: Vec::new(),
            tags: Vec::new(),
            reason: "retention".into(),
            not_before_ms: Some(now_ms.saturating_add(delay)),
        };
        let key = a.idempotency_key();
        match out.iter_mut().find(|o| o.idempotency_key() == key) {
            Some(existing) => existing.not_before_ms = existing.not_before_ms.min(a.not_before_ms),
            None => out.push(a),
        }
    }
    out
}
