//! Policy: a pure mapping from (scan target, scored spans, config) to [`Action`]s.
//!
//! Owns: which actions a finding causes, per tenant / brand / group / channel / author kind,
//! label thresholds, and the audit/enforce mode. Must not: do I/O or see matched text — it
//! receives spans with keyed fingerprints ([`ScoredSpan`]) and emits actions made only of ids,
//! rule ids, offsets and fingerprints, which is what goes into the durable queue.
//!
//! The default policy follows the subscriber duties of Zendesk's HIPAA/HDS configuration terms
//! (see `docs/policy.md`): redact PHI in ticket comments and attachment names, keep PHI off
//! third-party messaging channels, remove end-user attachments in messaging, and delete AI-agent
//! conversation content.
//!
//! Opt-in, the ticket an AI-agent transcript became is handled by [`AiTicket`] (whole-comment
//! redaction or soft / permanent deletion), and removed messaging attachments tag the linked
//! ticket (`attachment_tags`).
//!
//! Delayed deletions (AI-agent `after_delay`, `ai_ticket_after_seconds`, `[[policy.retention]]`
//! schedules via [`crate::retention`]) carry `not_before_ms` computed from the "now" the caller passes to
//! [`decide_at`]; only the [`decide`] convenience wrapper reads the clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::ConfigIssue;
use crate::detect::Label;
use crate::ingest::{AuthorKind, FieldKind, Intent, ObjectRef, ScanTarget, Source};
use crate::retention::{self, RetentionRule};

/// Record only, or execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Audit,
    Enforce,
}

impl Mode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Audit => "audit",
            Mode::Enforce => "enforce",
        }
    }
}

/// What to do with files end users attach in messaging (reachable by anyone with the URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentPolicy {
    /// Remove every end-user attachment (content cannot be scanned; the safe reading of the duty).
    RemoveAlways,
    /// Remove only when the file name / alt text / media type shows PHI.
    RemoveIfPhi,
    /// Leave attachments alone (tag only).
    Keep,
}

/// When AI-agent conversation content is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiDeletion {
    /// Delete each AI-agent message as it arrives.
    OnArrival,
    /// Delete the AI-agent messages when control passes to a human or the ticket closes.
    OnHandoff,
    /// Delete each AI-agent message `ai_agent_delete_after_seconds` after it arrived (a delayed
    /// work item: survives restarts).
    AfterDelay,
    /// Never delete automatically (the subscriber handles it elsewhere).
    Never,
}

/// What happens to the Zendesk ticket an AI-agent messaging transcript became
/// (`messaging_ticket.message_added` events whose actor is an AI agent,
/// [`ObjectRef::ZendeskMessagingMessage`]). Zendesk's HIPAA/HDS terms (III.9, IV.7): AI-agent
/// conversations that became tickets cannot be redacted piecemeal, they are removed by deleting
/// the ticket (or its content redacted). The action runs `ai_ticket_after_seconds` after the first
/// AI-agent message of the ticket that phi-guard saw (one pending item per ticket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiTicket {
    /// Leave the ticket alone (PHI in it is still redacted like any other comment).
    Keep,
    /// Redact the whole text of every AI-agent comment of the ticket (comments whose `author_id`
    /// is one of `ingest.author.ai_zendesk_user_ids`).
    RedactAiComments,
    /// Soft-delete the ticket (restorable by an admin until Zendesk purges it).
    SoftDelete,
    /// Soft-delete, then permanently delete the ticket, polling the deletion job until it completes.
    SoftDeleteThenPermanent,
}

impl AiTicket {
    pub const fn as_str(self) -> &'static str {
        match self {
            AiTicket::Keep => "keep",
            AiTicket::RedactAiComments => "redact_ai_comments",
            AiTicket::SoftDelete => "soft_delete",
            AiTicket::SoftDeleteThenPermanent => "soft_delete_then_permanent",
        }
    }

    /// The action this mode queues for the ticket (`None` for `keep`).
    pub const fn action_kind(self) -> Option<ActionKind> {
        match self {
            AiTicket::Keep => None,
            AiTicket::RedactAiComments => Some(ActionKind::RedactAiComments),
            AiTicket::SoftDelete => Some(ActionKind::SoftDeleteTicket),
            AiTicket::SoftDeleteThenPermanent => Some(ActionKind::DeleteTicketPermanently),
        }
    }
}

/// Longest accepted `ai_agent_delete_after_seconds`: one year.
pub const MAX_AI_DELETE_AFTER_SECONDS: u64 = 366 * 24 * 3600;

/// The `[policy]` configuration section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Global mode; rules can only make it stricter for their scope (enforce → audit).
    pub mode: Mode,
    /// Minimum score per label (`PHONE = 0.7`); labels not listed use `default_threshold`.
    pub thresholds: BTreeMap<String, f32>,
    pub default_threshold: f32,
    /// Channels that are third-party / social (no BAA): PHI there is deleted, not only redacted.
    pub third_party_channels: Vec<String>,
    /// Redact PHI in ticket comments (public replies and internal notes).
    pub redact_comments: bool,
    /// Redact PHI in internal notes too (private comments).
    pub redact_internal_notes: bool,
    /// Make a public comment private when it carried PHI (in addition to redaction).
    pub make_private: bool,
    /// Redact attachments whose file name carries PHI.
    pub redact_attachments_with_phi_names: bool,
    /// Tags added to tickets phi-guard acted on (fixed names only: tags are visible widely).
    pub tags: Vec<String>,
    /// End-user attachments in messaging.
    pub end_user_attachments: AttachmentPolicy,
    /// AI-agent conversation content.
    pub ai_agent_deletion: AiDeletion,
    /// Delay for `ai_agent_deletion = "after_delay"`, in seconds from the message's arrival.
    pub ai_agent_delete_after_seconds: u64,
    /// The Zendesk ticket an AI-agent transcript became.
    pub ai_ticket: AiTicket,
    /// Delay of the `ai_ticket` action after the AI-agent message that caused it (0 = at once).
    pub ai_ticket_after_seconds: u64,
    /// Tags added to the linked ticket when end-user messaging attachments are removed, so agents
    /// know why a file is gone (fixed names; empty = no tag).
    pub attachment_tags: Vec<String>,
    /// Retention schedules (`[[policy.retention]]`): every matching entry schedules its deletion.
    pub retention: Vec<RetentionRule>,
    /// Delete Sunshine messages carrying PHI on third-party channels.
    pub delete_third_party_messages: bool,
    /// Scoped overrides, first match wins.
    pub rules: Vec<PolicyRule>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            mode: Mode::Audit,
            thresholds: BTreeMap::new(),
            default_threshold: 0.6,
            third_party_channels: [
                "whatsapp",
                "messenger",
                "instagram",
                "twitter",
                "x",
                "line",
                "telegram",
                "viber",
                "wechat",
                "kakao",
                "apple",
                "googlerbm",
                "mailgun",
                "messagebird",
                "twilio",
                "sms",
                "facebook",
                "any_channel",
            ]
            .map(String::from)
            .to_vec(),
            redact_comments: true,
            redact_internal_notes: true,
            make_private: false,
            redact_attachments_with_phi_names: true,
            tags: vec!["phi-guard-redacted".into()],
            end_user_attachments: AttachmentPolicy::RemoveAlways,
            ai_agent_deletion: AiDeletion::OnHandoff,
            ai_agent_delete_after_seconds: 86_400,
            ai_ticket: AiTicket::Keep,
            ai_ticket_after_seconds: 86_400,
            attachment_tags: vec!["phi_attachment_removed".into()],
            retention: Vec::new(),
            delete_third_party_messages: true,
            rules: Vec::new(),
        }
    }
}

/// A scoped override. Every `match_*` that is set must match; unset matches anything.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyRule {
    pub name: String,
    pub match_tenant: Option<String>,
    pub match_source: Option<Source>,
    pub match_brand_id: Option<u64>,
    pub match_group_id: Option<u64>,
    pub match_channel: Option<String>,
    pub match_author: Option<AuthorKind>,
    /// Skip this scope entirely (no actions).
    pub skip: bool,
    /// Mode for this scope (`audit` makes a scope dry-run while the rest enforces).
    pub mode: Option<Mode>,
    /// Threshold overrides for this scope.
    pub thresholds: BTreeMap<String, f32>,
}

impl PolicyRule {
    fn matches(&self, t: &ScanTarget) -> bool {
        Scope {
            tenant: self.match_tenant.as_deref(),
            source: self.match_source,
            brand_id: self.match_brand_id,
            group_id: self.match_group_id,
            channel: self.match_channel.as_deref(),
            author: self.match_author,
        }
        .matches(t)
    }
}

/// The `match_*` keys shared by scoped rules and retention entries: every key that is set must
/// match the target; unset keys match anything.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope<'a> {
    pub tenant: Option<&'a str>,
    pub source: Option<Source>,
    pub brand_id: Option<u64>,
    pub group_id: Option<u64>,
    pub channel: Option<&'a str>,
    pub author: Option<AuthorKind>,
}

impl Scope<'_> {
    pub(crate) fn matches(&self, t: &ScanTarget) -> bool {
        self.tenant.is_none_or(|v| v == t.tenant)
            && self.source.is_none_or(|v| v == t.source)
            && self.brand_id.is_none_or(|v| Some(v) == t.brand_id)
            && self.group_id.is_none_or(|v| Some(v) == t.group_id)
            && self.channel.is_none_or(|v| t.channel.as_deref() == Some(v))
            && self.author.is_none_or(|v| v == t.author)
    }
}

impl PolicyConfig {
    /// Appends problems with their keys.
    pub fn validate_into(&self, issues: &mut Vec<ConfigIssue>) {
        let mut check_thresholds = |prefix: &str, map: &BTreeMap<String, f32>| {
            for (label, v) in map {
                if Label::parse(label).is_none() {
                    issues.push(ConfigIssue {
                        key: format!("{prefix}.{label}"),
                        reason: "unknown label".into(),
                    });
                }
                if !(0.0..=1.0).contains(v) {
                    issues.push(ConfigIssue {
                        key: format!("{prefix}.{label}"),
                        reason: "must be within 0.0..=1.0".into(),
                    });
                }
            }
        };
        check_thresholds("policy.thresholds", &self.thresholds);
        for (i, r) in self.rules.iter().enumerate() {
            check_thresholds(&format!("policy.rules[{i}].thresholds"), &r.thresholds);
        }
        if !(0.0..=1.0).contains(&self.default_threshold) {
            issues.push(ConfigIssue {
                key: "policy.default_threshold".into(),
                reason: "must be within 0.0..=1.0".into(),
            });
        }
        if self.ai_agent_deletion == AiDeletion::AfterDelay
            && !(1..=MAX_AI_DELETE_AFTER_SECONDS).contains(&self.ai_agent_delete_after_seconds)
        {
            issues.push(ConfigIssue {
                key: "policy.ai_agent_delete_after_seconds".into(),
                reason: format!(
                    "must be within 1..={MAX_AI_DELETE_AFTER_SECONDS} with ai_agent_deletion = \"after_delay\""
                ),
            });
        }
        if self.ai_ticket_after_seconds > MAX_AI_DELETE_AFTER_SECONDS {
            issues.push(ConfigIssue {
                key: "policy.ai_ticket_after_seconds".into(),
                reason: format!("must be within 0..={MAX_AI_DELETE_AFTER_SECONDS}"),
            });
        }
        retention::validate_into(&self.retention, issues);
        let tag_keys = self
            .tags
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("policy.tags[{i}]"), t))
            .chain(
                self.attachment_tags
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (format!("policy.attachment_tags[{i}]"), t)),
            );
        for (key, tag) in tag_keys {
            if tag.is_empty()
                || tag.len() > 80
                || !tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                issues.push(ConfigIssue {
                    key,
                    reason: "tags are fixed names [A-Za-z0-9_-], at most 80 characters".into(),
                });
            }
        }
    }

    fn rule_for(&self, t: &ScanTarget) -> Option<&PolicyRule> {
        self.rules.iter().find(|r| r.matches(t))
    }

    fn threshold(&self, rule: Option<&PolicyRule>, label: Label) -> f32 {
        rule.and_then(|r| r.thresholds.get(label.as_str()))
            .or_else(|| self.thresholds.get(label.as_str()))
            .copied()
            .unwrap_or(self.default_threshold)
    }
}

/// A finding as policy sees it: where, what kind, how sure, and a keyed fingerprint — no text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredSpan {
    pub field: FieldKind,
    /// Index of the field among fields of the same kind (carousel item 2).
    pub index: u32,
    pub label: Label,
    pub rule: String,
    /// Byte span in the field's text as sent (HTML offsets for HTML fields).
    pub byte_start: usize,
    pub byte_end: usize,
    pub score: f32,
    pub fingerprint: String,
}

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Redact the spans (matched by fingerprint after re-fetching) in a ticket comment.
    RedactComment,
    /// Redact PHI in a ticket field (subject, custom field).
    RedactTicketField,
    /// Redact an attachment (replaced by an empty file).
    RedactAttachment,
    /// Make a public comment private.
    MakeCommentPrivate,
    /// Add fixed tags to the ticket.
    TagTicket,
    /// Fetch the ticket's comments through the API and scan them (trigger webhooks with ids only).
    FetchAndScanTicket,
    /// Delete one Sunshine message.
    DeleteMessage,
    /// Remove the attachments of a Sunshine message (re-read to find their URLs).
    RemoveMessageAttachments,
    /// Delete the AI-agent messages of a conversation (re-read to find them).
    DeleteAiMessages,
    /// Delete all messages of a conversation.
    DeleteConversationMessages,
    /// Delete a conversation.
    DeleteConversation,
    /// Delete a Sunshine user's personal information.
    DeleteUserPersonalInfo,
    /// Redact the whole text of the AI-agent comments of a ticket (re-read to find them).
    RedactAiComments,
    /// Soft-delete a ticket.
    SoftDeleteTicket,
    /// Soft-delete a ticket if needed, then delete it permanently and poll the job to completion.
    DeleteTicketPermanently,
}

impl ActionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionKind::RedactComment => "redact_comment",
            ActionKind::RedactTicketField => "redact_ticket_field",
            ActionKind::RedactAttachment => "redact_attachment",
            ActionKind::MakeCommentPrivate => "make_comment_private",
            ActionKind::TagTicket => "tag_ticket",
            ActionKind::FetchAndScanTicket => "fetch_and_scan_ticket",
            ActionKind::DeleteMessage => "delete_message",
            ActionKind::RemoveMessageAttachments => "remove_message_attachments",
            ActionKind::DeleteAiMessages => "delete_ai_messages",
            ActionKind::DeleteConversationMessages => "delete_conversation_messages",
            ActionKind::DeleteConversation => "delete_conversation",
            ActionKind::DeleteUserPersonalInfo => "delete_user_personal_info",
            ActionKind::RedactAiComments => "redact_ai_comments",
            ActionKind::SoftDeleteTicket => "soft_delete_ticket",
            ActionKind::DeleteTicketPermanently => "delete_ticket_permanently",
        }
    }
}

/// One decided action. Serialized as the work item payload: ids, rule ids, offsets and
/// fingerprints only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub kind: ActionKind,
    pub mode: Mode,
    pub tenant: String,
    pub source: Source,
    pub account: String,
    pub event_id: String,
    pub object: ObjectRef,
    /// Spans to redact (redactions), or the evidence that caused the action (deletions).
    pub spans: Vec<ScoredSpan>,
    /// Tags to add (fixed names from config).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Bounded reason code (`phi_in_comment`, `end_user_attachment`, `ai_agent_content`).
    pub reason: String,
    /// Not before this Unix time (ms): scheduled deletions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_ms: Option<u64>,
}

impl Action {
    /// Deterministic idempotency key: the same event deciding the same action on the same object
    /// gives the same key (so a redelivered or re-swept event cannot double-enqueue).
    pub fn idempotency_key(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.tenant.as_bytes());
        h.update([0]);
        h.update(self.source.as_str().as_bytes());
        h.update([0]);
        h.update(self.kind.as_str().as_bytes());
        h.update([0]);
        h.update(serde_json::to_vec(&self.object).unwrap_or_default());
        h.update([0]);
        for s in &self.spans {
            h.update(s.fingerprint.as_bytes());
            h.update(s.byte_start.to_le_bytes());
        }
        for t in &self.tags {
            h.update([0]);
            h.update(t.as_bytes());
        }
        // A scheduled deletion is a different piece of work from an immediate one on the same
        // object (and a retention schedule from an AI-agent delay): the reason separates them.
        // Not the deadline itself, so a redelivered event cannot schedule twice.
        if self.not_before_ms.is_some() {
            h.update([1]);
            h.update(self.reason.as_bytes());
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// Decides the actions for one scan target at the current time (see [`decide_at`]).
pub fn decide(target: &ScanTarget, spans: &[ScoredSpan], cfg: &PolicyConfig) -> Vec<Action> {
    decide_at(target, spans, cfg, crate::store::now_ms())
}

/// Decides the actions for one scan target decided at `now_ms` (Unix ms; the base of delayed
/// deletions: AI-agent `after_delay` and retention schedules). Pure and deterministic.
pub fn decide_at(
    target: &ScanTarget,
    spans: &[ScoredSpan],
    cfg: &PolicyConfig,
    now_ms: u64,
) -> Vec<Action> {
    let rule = cfg.rule_for(target);
    if rule.is_some_and(|r| r.skip) {
        return Vec::new();
    }
    let mode = match (cfg.mode, rule.and_then(|r| r.mode)) {
        (Mode::Enforce, Some(m)) => m,
        (m, _) => m,
    };
    let phi: Vec<ScoredSpan> = spans
        .iter()
        .filter(|s| !s.label.is_health_context() && s.score >= cfg.threshold(rule, s.label))
        .cloned()
        .collect();
    let mut out = Vec::new();
    let mut push = |kind: ActionKind, object: ObjectRef, spans: Vec<ScoredSpan>, reason: &str| {
        out.push(Action {
            kind,
            mode,
            tenant: target.tenant.clone(),
            source: target.source,
            account: target.account.clone(),
            event_id: target.event_id.clone(),
            object,
            spans,
            tags: Vec::new(),
            reason: reason.to_string(),
            not_before_ms: None,
        })
    };
    let mut attachments_removed = false;
    let third_party = target
        .channel
        .as_deref()
        .is_some_and(|c| cfg.third_party_channels.iter().any(|t| t == c));

    match target.intent {
        Intent::Confirmation | Intent::ConversationCreated => {}
        Intent::FetchAndScan => {
            if let Some(ticket_id) = ticket_of(&target.object) {
                push(
                    ActionKind::FetchAndScanTicket,
                    ObjectRef::ZendeskTicket { ticket_id },
                    Vec::new(),
                    "ids_only_webhook",
                );
            }
        }
        Intent::Handoff => {
            if cfg.ai_agent_deletion == AiDeletion::OnHandoff
                && target.ai_involved
                && let ObjectRef::SunshineConversation { .. } = target.object
            {
                push(
                    ActionKind::DeleteAiMessages,
                    target.object.clone(),
                    Vec::new(),
                    "ai_agent_handoff",
                );
            }
        }
        Intent::Content => match &target.object {
            ObjectRef::ZendeskComment {
                ticket_id,
                comment_id,
            } => {
                let private_note = target.public == Some(false);
                if !phi.is_empty()
                    && cfg.redact_comments
                    && (!private_note || cfg.redact_internal_notes)
                {
                    push(
                        ActionKind::RedactComment,
                        target.object.clone(),
                        phi.clone(),
                        "phi_in_comment",
                    );
                    if cfg.make_private && target.public == Some(true) && comment_id.is_some() {
                        push(
                            ActionKind::MakeCommentPrivate,
                            target.object.clone(),
                            Vec::new(),
                            "phi_in_public_comment",
                        );
                    }
                    push_tags(&mut out, cfg, target, mode, *ticket_id);
                }
            }
            ObjectRef::ZendeskTicketField { ticket_id, field } => {
                if !phi.is_empty() && cfg.redact_comments {
                    let (kind, object) = match field {
                        crate::ingest::TicketField::Description => (
                            ActionKind::RedactComment,
                            ObjectRef::ZendeskComment {
                                ticket_id: *ticket_id,
                                comment_id: None,
                            },
                        ),
                        _ => (ActionKind::RedactTicketField, target.object.clone()),
                    };
                    push(kind, object, phi.clone(), "phi_in_ticket_field");
                    push_tags(&mut out, cfg, target, mode, *ticket_id);
                }
            }
            ObjectRef::ZendeskAttachment { ticket_id, .. } => {
                if !phi.is_empty() && cfg.redact_attachments_with_phi_names {
                    push(
                        ActionKind::RedactAttachment,
                        target.object.clone(),
                        phi.clone(),
                        "phi_in_attachment_name",
                    );
                    push_tags(&mut out, cfg, target, mode, *ticket_id);
                }
            }
            ObjectRef::ZendeskMessagingMessage { ticket_id, .. } => {
                // The Zendesk copy of a messaging message is a ticket comment whose id the event
                // does not carry: re-read the ticket and redact what the scan finds there.
                if !phi.is_empty() {
                    push(
                        ActionKind::FetchAndScanTicket,
                        ObjectRef::ZendeskTicket {
                            ticket_id: *ticket_id,
                        },
                        phi.clone(),
                        "phi_in_messaging_message",
                    );
                }
                // An AI agent wrote in this messaging ticket: the transcript is a ticket now.
                // One work id per ticket and kind (no event id in the key): while one is
                // pending, later AI messages of the ticket do not schedule another.
                if (target.author == AuthorKind::AiAgent || target.ai_involved)
                    && let Some(kind) = cfg.ai_ticket.action_kind()
                {
                    push(
                        kind,
                        ObjectRef::ZendeskTicket {
                            ticket_id: *ticket_id,
                        },
                        Vec::new(),
                        "ai_agent_ticket",
                    );
                    if cfg.ai_ticket_after_seconds > 0
                        && let Some(a) = out.last_mut()
                    {
                        a.not_before_ms = Some(
                            now_ms.saturating_add(cfg.ai_ticket_after_seconds.saturating_mul(1000)),
                        );
                    }
                }
            }
            ObjectRef::ZendeskTicket { ticket_id } => {
                push(
                    ActionKind::FetchAndScanTicket,
                    ObjectRef::ZendeskTicket {
                        ticket_id: *ticket_id,
                    },
                    Vec::new(),
                    "ticket_rescan",
                );
            }
            ObjectRef::SunshineMessage { .. } => {
                let mut delete_reason = None;
                let attachment_phi: Vec<ScoredSpan> = phi
                    .iter()
                    .filter(|s| matches!(s.field, FieldKind::FileName | FieldKind::AltText))
                    .cloned()
                    .collect();
                let end_user_files = target.author == AuthorKind::EndUser
                    && target.attachments.iter().any(|a| a.from_end_user);
                let remove_files = end_user_files
                    && match cfg.end_user_attachments {
                        AttachmentPolicy::RemoveAlways => true,
                        AttachmentPolicy::RemoveIfPhi => !attachment_phi.is_empty(),
                        AttachmentPolicy::Keep => false,
                    };
                if remove_files || (!attachment_phi.is_empty() && !target.attachments.is_empty()) {
                    push(
                        ActionKind::RemoveMessageAttachments,
                        target.object.clone(),
                        attachment_phi.clone(),
                        if remove_files {
                            "end_user_attachment"
                        } else {
                            "phi_in_attachment_name"
                        },
                    );
                    delete_reason = Some("attachment_message");
                    attachments_removed = true;
                }
                if target.author == AuthorKind::AiAgent
                    && cfg.ai_agent_deletion == AiDeletion::OnArrival
                {
                    delete_reason = Some("ai_agent_content");
                }
                if !phi.is_empty() && third_party && cfg.delete_third_party_messages {
                    delete_reason = Some("phi_on_third_party_channel");
                }
                if let Some(reason) = delete_reason {
                    push(
                        ActionKind::DeleteMessage,
                        target.object.clone(),
                        phi.clone(),
                        reason,
                    );
                } else if target.author == AuthorKind::AiAgent
                    && cfg.ai_agent_deletion == AiDeletion::AfterDelay
                {
                    // Not deleted now for another reason: delete once the delay has passed.
                    push(
                        ActionKind::DeleteMessage,
                        target.object.clone(),
                        Vec::new(),
                        "ai_agent_content",
                    );
                    if let Some(a) = out.last_mut() {
                        a.not_before_ms = Some(now_ms.saturating_add(
                            cfg.ai_agent_delete_after_seconds.saturating_mul(1000),
                        ));
                    }
                }
            }
            ObjectRef::SunshineConversation { .. } | ObjectRef::SunshineUser { .. } => {}
        },
    }
    if attachments_removed {
        push_attachment_tags(&mut out, cfg, target, mode);
    }
    out.extend(retention::schedule(target, &cfg.retention, mode, now_ms));
    out
}

fn push_tags(out: &mut Vec<Action>, cfg: &PolicyConfig, t: &ScanTarget, mode: Mode, ticket: u64) {
    if cfg.tags.is_empty() {
        return;
    }
    out.push(tag_action(
        t,
        mode,
        ObjectRef::ZendeskTicket { ticket_id: ticket },
        &cfg.tags,
        "phi_found",
    ));
}

/// A `TagTicket` action on `object` for target `t`.
fn tag_action(
    t: &ScanTarget,
    mode: Mode,
    object: ObjectRef,
    tags: &[String],
    reason: &str,
) -> Action {
    Action {
        kind: ActionKind::TagTicket,
        mode,
        tenant: t.tenant.clone(),
        source: t.source,
        account: t.account.clone(),
        event_id: t.event_id.clone(),
        object,
        spans: Vec::new(),
        tags: tags.to_vec(),
        reason: reason.into(),
        not_before_ms: None,
    }
}

/// Tags the ticket a messaging conversation is linked to when its attachments are removed, so
/// agents know why a file is gone. Without a known ticket (Sunshine payloads carry no ticket id
/// unless `ingest.author.ticket_id_metadata_keys` finds one) the tag is skipped, and the skip is
/// queued as a no-op action on the message so that it shows in the audit log
/// (`reason = "no_linked_ticket"`).
fn push_attachment_tags(out: &mut Vec<Action>, cfg: &PolicyConfig, t: &ScanTarget, mode: Mode) {
    if cfg.attachment_tags.is_empty() {
        return;
    }
    let (object, reason) = match t.linked_ticket_id {
        Some(ticket_id) => (ObjectRef::ZendeskTicket { ticket_id }, "attachment_removed"),
        None => (t.object.clone(), "no_linked_ticket"),
    };
    out.push(tag_action(t, mode, object, &cfg.attachment_tags, reason));
}

fn ticket_of(o: &ObjectRef) -> Option<u64> {
    match o {
        ObjectRef::ZendeskComment { ticket_id, .. }
        | ObjectRef::ZendeskTicketField { ticket_id, .. }
        | ObjectRef::ZendeskAttachment { ticket_id, .. }
        | ObjectRef::ZendeskMessagingMessage { ticket_id, .. }
        | ObjectRef::ZendeskTicket { ticket_id } => Some(*ticket_id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{AttachmentMeta, TicketField};

    fn target(object: ObjectRef, author: AuthorKind, intent: Intent) -> ScanTarget {
        ScanTarget {
            source: match object {
                ObjectRef::SunshineMessage { .. }
                | ObjectRef::SunshineConversation { .. }
                | ObjectRef::SunshineUser { .. } => Source::Sunshine,
                _ => Source::Zendesk,
            },
            tenant: "default".into(),
            account: "1".into(),
            event_id: "ev1".into(),
            event_type: "t".into(),
            object,
            author,
            channel: Some("web".into()),
            brand_id: Some(7),
            group_id: None,
            public: Some(true),
            ai_involved: false,
            linked_ticket_id: None,
            fields: Vec::new(),
            attachments: Vec::new(),
            intent,
        }
    }

    fn span(field: FieldKind, label: Label, score: f32) -> ScoredSpan {
        ScoredSpan {
            field,
            index: 0,
            label,
            rule: "r".into(),
            byte_start: 3,
            byte_end: 9,
            score,
            fingerprint: "fp".into(),
        }
    }

    fn comment() -> ObjectRef {
        ObjectRef::ZendeskComment {
            ticket_id: 5,
            comment_id: Some(9),
        }
    }

    fn msg() -> ObjectRef {
        ObjectRef::SunshineMessage {
            app_id: "a".into(),
            conversation_id: "c".into(),
            message_id: "m".into(),
        }
    }

    fn kinds(a: &[Action]) -> Vec<ActionKind> {
        a.iter().map(|a| a.kind).collect()
    }

    use ActionKind::*;

    #[test]
    fn decision_table() {
        let cfg = PolicyConfig::default();
        let mut third_party = target(msg(), AuthorKind::EndUser, Intent::Content);
        third_party.channel = Some("whatsapp".into());
        let mut attach = target(msg(), AuthorKind::EndUser, Intent::Content);
        attach.attachments.push(AttachmentMeta {
            from_end_user: true,
            ..Default::default()
        });
        let mut handoff = target(
            ObjectRef::SunshineConversation {
                app_id: "a".into(),
                conversation_id: "c".into(),
            },
            AuthorKind::System,
            Intent::Handoff,
        );
        handoff.ai_involved = true;
        let mut private_note = target(comment(), AuthorKind::HumanAgent, Intent::Content);
        private_note.public = Some(false);
        let ssn = || vec![span(FieldKind::CommentBody, Label::Ssn, 0.95)];
        let cases: Vec<(&str, ScanTarget, Vec<ScoredSpan>, Vec<ActionKind>)> = vec![
            (
                "PHI in a public comment: redact + tag",
                target(comment(), AuthorKind::EndUser, Intent::Content),
                ssn(),
                vec![RedactComment, TagTicket],
            ),
            (
                "below threshold: nothing",
                target(comment(), AuthorKind::EndUser, Intent::Content),
                vec![span(FieldKind::CommentBody, Label::Ssn, 0.3)],
                vec![],
            ),
            (
                "health context alone: nothing",
                target(comment(), AuthorKind::EndUser, Intent::Content),
                vec![span(FieldKind::CommentBody, Label::HealthCondition, 0.99)],
                vec![],
            ),
            (
                "private note: redacted by default",
                private_note,
                ssn(),
                vec![RedactComment, TagTicket],
            ),
            (
                "description field redacts the first comment",
                target(
                    ObjectRef::ZendeskTicketField {
                        ticket_id: 5,
                        field: TicketField::Description,
                    },
                    AuthorKind::EndUser,
                    Intent::Content,
                ),
                ssn(),
                vec![RedactComment, TagTicket],
            ),
            (
                "subject field",
                target(
                    ObjectRef::ZendeskTicketField {
                        ticket_id: 5,
                        field: TicketField::Subject,
                    },
                    AuthorKind::EndUser,
                    Intent::Content,
                ),
                ssn(),
                vec![RedactTicketField, TagTicket],
            ),
            (
                "attachment file name with PHI",
                target(
                    ObjectRef::ZendeskAttachment {
                        ticket_id: 5,
                        comment_id: 9,
                        attachment_id: 11,
                    },
                    AuthorKind::EndUser,
                    Intent::Content,
                ),
                vec![span(FieldKind::FileName, Label::Name, 0.9)],
                vec![RedactAttachment, TagTicket],
            ),
            (
                "confirmation of a redaction: nothing (loop guard)",
                target(comment(), AuthorKind::System, Intent::Confirmation),
                ssn(),
                vec![],
            ),
            (
                "ids-only trigger: fetch and scan",
                target(
                    ObjectRef::ZendeskComment {
                        ticket_id: 5,
                        comment_id: None,
                    },
                    AuthorKind::Unknown,
                    Intent::FetchAndScan,
                ),
                vec![],
                vec![FetchAndScanTicket],
            ),
            (
                "PHI on web messaging from end user: kept in Sunshine (BAA channel)",
                target(msg(), AuthorKind::EndUser, Intent::Content),
                vec![span(FieldKind::MessageText, Label::Phone, 0.9)],
                vec![],
            ),
            (
                "PHI on WhatsApp: delete message",
                third_party,
                vec![span(FieldKind::MessageText, Label::Phone, 0.9)],
                vec![DeleteMessage],
            ),
            (
                "end-user attachment: remove files, delete message, audited tag skip (no ticket)",
                attach,
                vec![],
                vec![RemoveMessageAttachments, DeleteMessage, TagTicket],
            ),
            (
                "AI message: nothing on arrival by default (deleted at handoff)",
                target(msg(), AuthorKind::AiAgent, Intent::Content),
                vec![],
                vec![],
            ),
            (
                "handoff from AI: delete AI messages",
                handoff,
                vec![],
                vec![DeleteAiMessages],
            ),
        ];
        for (name, t, spans, want) in cases {
            assert_eq!(kinds(&decide(&t, &spans, &cfg)), want, "{name}");
        }
    }

    #[test]
    fn scoped_rules_override() {
        let mut cfg = PolicyConfig {
            mode: Mode::Enforce,
            ..Default::default()
        };
        cfg.rules.push(PolicyRule {
            name: "brand 7 dry-run".into(),
            match_brand_id: Some(7),
            mode: Some(Mode::Audit),
            thresholds: [("SSN".to_string(), 0.99)].into(),
            ..Default::default()
        });
        let t = target(comment(), AuthorKind::EndUser, Intent::Content);
        assert!(decide(&t, &[span(FieldKind::CommentBody, Label::Ssn, 0.95)], &cfg).is_empty());
        let acts = decide(
            &t,
            &[span(FieldKind::CommentBody, Label::Phone, 0.95)],
            &cfg,
        );
        assert!(acts.iter().all(|a| a.mode == Mode::Audit));
        let mut other = t.clone();
        other.brand_id = Some(8);
        let acts = decide(
            &other,
            &[span(FieldKind::CommentBody, Label::Ssn, 0.95)],
            &cfg,
        );
        assert!(acts.iter().all(|a| a.mode == Mode::Enforce) && !acts.is_empty());
        cfg.rules[0].skip = true;
        assert!(
            decide(
                &t,
                &[span(FieldKind::CommentBody, Label::Phone, 0.95)],
                &cfg
            )
            .is_empty()
        );
    }

    #[test]
    fn ai_on_arrival_and_idempotency_key() {
        let cfg = PolicyConfig {
            ai_agent_deletion: AiDeletion::OnArrival,
            ..Default::default()
        };
        let t = target(msg(), AuthorKind::AiAgent, Intent::Content);
        let a = decide(&t, &[], &cfg);
        assert_eq!(kinds(&a), vec![DeleteMessage]);
        assert_eq!(a[0].reason, "ai_agent_content");
        let b = decide(&t, &[], &cfg);
        assert_eq!(a[0].idempotency_key(), b[0].idempotency_key());
        let mut t2 = t.clone();
        t2.object = ObjectRef::SunshineMessage {
            app_id: "a".into(),
            conversation_id: "c".into(),
            message_id: "other".into(),
        };
        assert_ne!(
            a[0].idempotency_key(),
            decide(&t2, &[], &cfg)[0].idempotency_key()
        );
    }

    fn conversation() -> ObjectRef {
        ObjectRef::SunshineConversation {
            app_id: "a".into(),
            conversation_id: "c".into(),
        }
    }

    #[test]
    fn ai_after_delay_schedules_deletion_from_now() {
        let cfg = PolicyConfig {
            ai_agent_deletion: AiDeletion::AfterDelay,
            ai_agent_delete_after_seconds: 90,
            ..Default::default()
        };
        let ai = target(msg(), AuthorKind::AiAgent, Intent::Content);
        let a = decide_at(&ai, &[], &cfg, 1_000_000);
        assert_eq!(kinds(&a), vec![DeleteMessage]);
        assert_eq!(a[0].not_before_ms, Some(1_090_000));
        assert_eq!(a[0].reason, "ai_agent_content");
        // Same event decided later (a redelivery): same work id, so no second schedule.
        assert_eq!(
            a[0].idempotency_key(),
            decide_at(&ai, &[], &cfg, 5_000_000)[0].idempotency_key()
        );
        // Human and end-user messages are not scheduled; nothing happens at handoff.
        for author in [AuthorKind::HumanAgent, AuthorKind::EndUser] {
            assert!(decide_at(&target(msg(), author, Intent::Content), &[], &cfg, 1).is_empty());
        }
        let mut handoff = target(conversation(), AuthorKind::System, Intent::Handoff);
        handoff.ai_involved = true;
        assert!(decide_at(&handoff, &[], &cfg, 1).is_empty());
        // An AI message on a third-party channel with PHI is deleted now, not later.
        let mut tp = ai.clone();
        tp.channel = Some("whatsapp".into());
        let now = decide_at(
            &tp,
            &[span(FieldKind::MessageText, Label::Phone, 0.9)],
            &cfg,
            7,
        );
        assert_eq!(kinds(&now), vec![DeleteMessage]);
        assert_eq!(now[0].not_before_ms, None);
        // A delayed deletion never shares a work id with an immediate one on the same object.
        let on_arrival = PolicyConfig {
            ai_agent_deletion: AiDeletion::OnArrival,
            ..Default::default()
        };
        assert_ne!(
            decide_at(&ai, &[], &on_arrival, 1)[0].idempotency_key(),
            a[0].idempotency_key()
        );
    }

    #[test]
    fn ai_modes_table() {
        let mut handoff = target(conversation(), AuthorKind::System, Intent::Handoff);
        handoff.ai_involved = true;
        let mut human_handoff = handoff.clone();
        human_handoff.ai_involved = false;
        let ai = target(msg(), AuthorKind::AiAgent, Intent::Content);
        let answer_bot = target(
            ObjectRef::ZendeskMessagingMessage {
                ticket_id: 5,
                conversation_id: Some("c".into()),
                message_id: Some("m".into()),
            },
            AuthorKind::AiAgent,
            Intent::Content,
        );
        let cases = [
            (AiDeletion::OnArrival, &ai, vec![DeleteMessage]),
            (AiDeletion::OnArrival, &handoff, vec![]),
            (AiDeletion::OnHandoff, &ai, vec![]),
            (AiDeletion::OnHandoff, &handoff, vec![DeleteAiMessages]),
            (AiDeletion::OnHandoff, &human_handoff, vec![]),
            (AiDeletion::AfterDelay, &ai, vec![DeleteMessage]),
            (AiDeletion::Never, &ai, vec![]),
            (AiDeletion::Never, &handoff, vec![]),
            // The Zendesk copy of an AI transcript: `ai_ticket = "keep"` by default.
            (AiDeletion::OnArrival, &answer_bot, vec![]),
        ];
        for (mode, t, want) in cases {
            let cfg = PolicyConfig {
                ai_agent_deletion: mode,
                ..Default::default()
            };
            assert_eq!(
                kinds(&decide_at(t, &[], &cfg, 0)),
                want,
                "{mode:?} {:?}",
                t.intent
            );
        }
    }

    fn messaging(author: AuthorKind) -> ScanTarget {
        let mut t = target(
            ObjectRef::ZendeskMessagingMessage {
                ticket_id: 77,
                conversation_id: Some("c".into()),
                message_id: Some("m".into()),
            },
            author,
            Intent::Content,
        );
        t.ai_involved = author == AuthorKind::AiAgent;
        t
    }

    #[test]
    fn ai_ticket_modes() {
        let ticket = ObjectRef::ZendeskTicket { ticket_id: 77 };
        for (mode, want) in [
            (AiTicket::Keep, None),
            (AiTicket::RedactAiComments, Some(RedactAiComments)),
            (AiTicket::SoftDelete, Some(SoftDeleteTicket)),
            (
                AiTicket::SoftDeleteThenPermanent,
                Some(DeleteTicketPermanently),
            ),
        ] {
            let cfg = PolicyConfig {
                mode: Mode::Enforce,
                ai_ticket: mode,
                ai_ticket_after_seconds: 0,
                ..Default::default()
            };
            let acts = decide_at(&messaging(AuthorKind::AiAgent), &[], &cfg, 1_000);
            assert_eq!(
                kinds(&acts),
                want.into_iter().collect::<Vec<_>>(),
                "{mode:?}"
            );
            if let Some(a) = acts.first() {
                assert_eq!(a.object, ticket);
                assert_eq!(a.reason, "ai_agent_ticket");
                assert_eq!(a.not_before_ms, None);
                assert_eq!(a.mode, Mode::Enforce);
            }
            // End users and human agents in the same ticket: nothing for the ticket.
            for author in [AuthorKind::EndUser, AuthorKind::HumanAgent] {
                assert!(decide_at(&messaging(author), &[], &cfg, 1_000).is_empty());
            }
        }
        // Delayed: not before now + delay; every AI message of the ticket maps to one work id.
        let cfg = PolicyConfig {
            ai_ticket: AiTicket::SoftDeleteThenPermanent,
            ai_ticket_after_seconds: 600,
            ..Default::default()
        };
        let a = decide_at(&messaging(AuthorKind::AiAgent), &[], &cfg, 1_000);
        assert_eq!(a[0].not_before_ms, Some(601_000));
        let mut later = messaging(AuthorKind::AiAgent);
        later.event_id = "ev2".into();
        later.object = ObjectRef::ZendeskMessagingMessage {
            ticket_id: 77,
            conversation_id: Some("c".into()),
            message_id: Some("m2".into()),
        };
        let b = decide_at(&later, &[], &cfg, 50_000);
        assert_eq!(a[0].idempotency_key(), b[0].idempotency_key());
        // Another ticket: another work id. Audit mode by default; skip rules skip.
        let mut other = messaging(AuthorKind::AiAgent);
        other.object = ObjectRef::ZendeskMessagingMessage {
            ticket_id: 78,
            conversation_id: None,
            message_id: None,
        };
        assert_ne!(
            a[0].idempotency_key(),
            decide_at(&other, &[], &cfg, 1_000)[0].idempotency_key()
        );
        assert_eq!(a[0].mode, Mode::Audit);
        let mut skip = cfg.clone();
        skip.rules.push(PolicyRule {
            match_source: Some(Source::Zendesk),
            skip: true,
            ..Default::default()
        });
        assert!(decide_at(&messaging(AuthorKind::AiAgent), &[], &skip, 1).is_empty());
        // PHI in the AI message: the fetch-and-scan redaction still comes first.
        let acts = decide_at(
            &messaging(AuthorKind::AiAgent),
            &[span(FieldKind::MessageText, Label::Ssn, 0.95)],
            &cfg,
            1,
        );
        assert_eq!(
            kinds(&acts),
            vec![FetchAndScanTicket, DeleteTicketPermanently]
        );
    }

    #[test]
    fn attachment_tags_on_linked_ticket_or_audited_skip() {
        let with_file = |linked: Option<u64>| {
            let mut t = target(msg(), AuthorKind::EndUser, Intent::Content);
            t.attachments.push(AttachmentMeta {
                url: Some("https://media.example/x".into()),
                from_end_user: true,
                ..Default::default()
            });
            t.linked_ticket_id = linked;
            t
        };
        let cfg = PolicyConfig::default();
        let acts = decide_at(&with_file(Some(9)), &[], &cfg, 0);
        assert_eq!(
            kinds(&acts),
            vec![RemoveMessageAttachments, DeleteMessage, TagTicket]
        );
        let tag = &acts[2];
        assert_eq!(tag.object, ObjectRef::ZendeskTicket { ticket_id: 9 });
        assert_eq!(tag.tags, vec!["phi_attachment_removed".to_string()]);
        assert_eq!(tag.reason, "attachment_removed");
        // No ticket known: a no-op on the message that the audit log shows.
        let acts = decide_at(&with_file(None), &[], &cfg, 0);
        let tag = acts.iter().find(|a| a.kind == TagTicket).unwrap();
        assert_eq!(tag.object, msg());
        assert_eq!(tag.reason, "no_linked_ticket");
        // Nothing removed → no tag; tags disabled → no tag.
        let keep = PolicyConfig {
            end_user_attachments: AttachmentPolicy::Keep,
            ..Default::default()
        };
        assert!(decide_at(&with_file(Some(9)), &[], &keep, 0).is_empty());
        let no_tags = PolicyConfig {
            attachment_tags: Vec::new(),
            ..Default::default()
        };
        assert_eq!(
            kinds(&decide_at(&with_file(Some(9)), &[], &no_tags, 0)),
            vec![RemoveMessageAttachments, DeleteMessage]
        );
    }

    #[test]
    fn retention_table() {
        use crate::retention::{RetentionAction, RetentionRule};
        let rule = |action, channel: Option<&str>, author| RetentionRule {
            name: "r".into(),
            match_channel: channel.map(String::from),
            match_author: author,
            action: Some(action),
            after_hours: Some(2),
            ..Default::default()
        };
        let cfg = PolicyConfig {
            retention: vec![
                rule(
                    RetentionAction::DeleteMessage,
                    Some("whatsapp"),
                    Some(AuthorKind::EndUser),
                ),
                rule(RetentionAction::DeleteConversation, Some("web"), None),
                RetentionRule {
                    action: Some(RetentionAction::DeleteConversationMessages),
                    match_tenant: Some("other".into()),
                    after_seconds: Some(5),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let mut wa = target(msg(), AuthorKind::EndUser, Intent::Content);
        wa.channel = Some("whatsapp".into());
        let a = decide_at(&wa, &[], &cfg, 10);
        assert_eq!(kinds(&a), vec![DeleteMessage]);
        assert_eq!(a[0].not_before_ms, Some(10 + 2 * 3_600_000));
        assert_eq!(a[0].reason, "retention");
        assert_eq!(a[0].object, msg());

        let web = target(msg(), AuthorKind::HumanAgent, Intent::Content);
        let a = decide_at(&web, &[], &cfg, 10);
        assert_eq!(kinds(&a), vec![DeleteConversation]);
        assert_eq!(a[0].object, conversation());
        // Two messages of one conversation: one work id (the first schedule stands).
        let mut web2 = web.clone();
        web2.object = ObjectRef::SunshineMessage {
            app_id: "a".into(),
            conversation_id: "c".into(),
            message_id: "m2".into(),
        };
        assert_eq!(
            a[0].idempotency_key(),
            decide_at(&web2, &[], &cfg, 99)[0].idempotency_key()
        );
        // conversation:create on web schedules the conversation deletion, never a message one.
        let mut created = target(
            conversation(),
            AuthorKind::Unknown,
            Intent::ConversationCreated,
        );
        assert_eq!(
            kinds(&decide_at(&created, &[], &cfg, 0)),
            vec![DeleteConversation]
        );
        created.channel = Some("whatsapp".into());
        assert!(decide_at(&created, &[], &cfg, 0).is_empty());
        // Tenant scope; Zendesk events never schedule; audit scopes stay audit; skip skips.
        let mut other = web.clone();
        other.tenant = "other".into();
        other.channel = Some("line".into());
        let a = decide_at(&other, &[], &cfg, 0);
        assert_eq!(kinds(&a), vec![DeleteConversationMessages]);
        assert_eq!(a[0].not_before_ms, Some(5_000));
        assert_eq!(a[0].mode, Mode::Audit);
        let zd = target(comment(), AuthorKind::EndUser, Intent::Content);
        assert!(decide_at(&zd, &[], &cfg, 0).is_empty());
        let mut skip = cfg.clone();
        skip.rules.push(PolicyRule {
            match_channel: Some("web".into()),
            skip: true,
            ..Default::default()
        });
        assert!(decide_at(&web, &[], &skip, 0).is_empty());
    }

    #[test]
    fn validation_of_new_options() {
        use crate::retention::{RetentionAction, RetentionRule};
        let mut cfg = PolicyConfig {
            ai_agent_deletion: AiDeletion::AfterDelay,
            ai_agent_delete_after_seconds: 0,
            ai_ticket: AiTicket::SoftDelete,
            ai_ticket_after_seconds: MAX_AI_DELETE_AFTER_SECONDS + 1,
            attachment_tags: vec!["ok_tag".into(), "bad tag".into()],
            ..Default::default()
        };
        cfg.retention = vec![
            RetentionRule {
                action: Some(RetentionAction::DeleteMessage),
                after_hours: Some(1),
                after_seconds: Some(1),
                ..Default::default()
            },
            RetentionRule {
                after_hours: Some(u64::MAX),
                ..Default::default()
            },
            RetentionRule {
                action: Some(RetentionAction::DeleteConversation),
                after_hours: Some(24),
                match_source: Some(Source::Zendesk),
                ..Default::default()
            },
            RetentionRule {
                action: Some(RetentionAction::DeleteConversation),
                after_hours: Some(24),
                ..Default::default()
            },
        ];
        let mut issues = Vec::new();
        cfg.validate_into(&mut issues);
        let keys: Vec<_> = issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "policy.ai_agent_delete_after_seconds",
                "policy.ai_ticket_after_seconds",
                "policy.retention[0].after_hours",
                "policy.retention[1].action",
                "policy.retention[1].after_hours",
                "policy.retention[2].match_source",
                "policy.attachment_tags[1]",
            ]
        );
        let ok = PolicyConfig::default();
        let mut issues = Vec::new();
        ok.validate_into(&mut issues);
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn validation_names_keys() {
        let mut cfg = PolicyConfig::default();
        cfg.thresholds.insert("NOPE".into(), 2.0);
        cfg.tags.push("has space".into());
        let mut issues = Vec::new();
        cfg.validate_into(&mut issues);
        let keys: Vec<_> = issues.iter().map(|i| i.key.as_str()).collect();
        assert!(keys.contains(&"policy.thresholds.NOPE"));
        assert!(keys.contains(&"policy.tags[1]"));
    }
}
