//! What the source parsers return: [`ParsedEvent`]s, their [`Disposition`], typed
//! [`ParseError`]s, the [`ParseContext`] a parser needs, and the configurable [`AuthorRules`].
//!
//! Owns: these shared output types and the author-classification rules. Must not: hold or
//! format body text in errors (errors carry only line/column and static field paths).

use serde::Deserialize;

use super::target::{AuthorKind, ScanTarget};

/// One authentic event, normalised. A Zendesk request yields one; a Sunshine request one per
/// `events[]` element.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    /// Dedupe key: payload `id` / `events[].id`; for trigger webhooks the invocation id header,
    /// else `trigger:<sha256 prefix of the body>`.
    pub event_id: String,
    /// Event type as sent (`zen:event-type:ticket.comment_added`, `conversation:message`);
    /// `conditional_ticket_events` for trigger webhooks. Authenticated but unbounded: use
    /// [`ParsedEvent::event_type_label`] in metrics.
    pub event_type: String,
    pub disposition: Disposition,
    /// Empty for [`Disposition::Ignored`].
    pub targets: Vec<ScanTarget>,
    /// Switchboard details for `switchboard:*` events (Sunshine), else `None`.
    pub handoff: Option<Handoff>,
}

/// Event types with their own metric label; everything else is counted as `other`.
const KNOWN_EVENT_TYPES: &[&str] = &[
    "zen:event-type:ticket.created",
    "zen:event-type:ticket.comment_added",
    "zen:event-type:ticket.attachment_linked_to_comment",
    "zen:event-type:messaging_ticket.message_added",
    "zen:event-type:ticket.subject_changed",
    "zen:event-type:ticket.description_changed",
    "zen:event-type:ticket.custom_field_changed",
    "zen:event-type:ticket.comment_redacted",
    "zen:event-type:ticket.attachment_redacted_from_comment",
    "zen:event-type:ticket.comment_made_private",
    "zen:event-type:ticket.soft_deleted",
    "zen:event-type:ticket.permanently_deleted",
    "conditional_ticket_events",
    "conversation:message",
    "conversation:create",
    "conversation:remove",
    "user:remove",
    "switchboard:passControl",
    "switchboard:acceptControl",
    "switchboard:releaseControl",
    "switchboard:offerControl",
];

impl ParsedEvent {
    /// `event_type` as a bounded metric label: the type itself when it is one we handle, else
    /// `other`.
    pub fn event_type_label(&self) -> &'static str {
        KNOWN_EVENT_TYPES
            .iter()
            .find(|t| **t == self.event_type)
            .copied()
            .unwrap_or("other")
    }
}

/// What the caller should do with an authentic event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Content or lifecycle work: scan / fetch-and-scan / schedule.
    Act,
    /// A redaction/deletion happened (possibly ours): record it, never act on it (loop guard).
    Confirmation,
    /// Authentic, but a type we do not act on: answer 2xx and count it.
    Ignored,
}

impl Disposition {
    /// Bounded label for metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Disposition::Act => "act",
            Disposition::Confirmation => "confirmation",
            Disposition::Ignored => "ignored",
        }
    }
}

/// A Sunshine switchboard event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handoff {
    pub action: SwitchboardAction,
    pub reason: Option<HandoffReason>,
    /// True when an integration named in the event is an AI agent per
    /// [`AuthorRules::ai_switchboard_types`]: the conversation's `activeSwitchboardIntegration`
    /// (per the SunCo spec, on success the integration *now* in control), its
    /// `pendingSwitchboardIntegration`, or a top-level `switchboardIntegration` if one is sent.
    /// The payload does not name the integration that gave control away.
    pub ai_integration: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchboardAction {
    PassControl,
    AcceptControl,
    ReleaseControl,
    OfferControl,
}

/// `switchboard:passControl` `reason` (SunCo documents `ticketClosed` and `transferToEmail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffReason {
    TicketClosed,
    TransferToEmail,
    /// Some other value (not kept: it is free text).
    Other,
}

impl HandoffReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            HandoffReason::TicketClosed => "ticket_closed",
            HandoffReason::TransferToEmail => "transfer_to_email",
            HandoffReason::Other => "other",
        }
    }
}

/// Why verified bytes could not be turned into events. Never contains body text: serde_json's
/// own messages can quote values (`invalid type: string "…"`), so only its line/column are kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body is not valid UTF-8")]
    InvalidUtf8,
    #[error("malformed JSON at line {line}, column {column}")]
    MalformedJson { line: usize, column: usize },
    #[error("missing field {0}")]
    MissingField(&'static str),
    #[error("invalid field {0}")]
    InvalidField(&'static str),
    /// A trigger body in a format we do not read (XML), or neither JSON nor form-encoded.
    #[error("unsupported body format (expected JSON or form-encoded)")]
    UnsupportedFormat,
}

impl ParseError {
    /// Bounded, stable label for metrics.
    pub const fn reason(&self) -> &'static str {
        match self {
            ParseError::InvalidUtf8 => "invalid_utf8",
            ParseError::MalformedJson { .. } => "malformed_json",
            ParseError::MissingField(_) => "missing_field",
            ParseError::InvalidField(_) => "invalid_field",
            ParseError::UnsupportedFormat => "unsupported_format",
        }
    }
}

/// Request facts a parser needs besides the body.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// Tenant from the route (`default` when none).
    pub tenant: &'a str,
    /// Verified-request `x-zendesk-webhook-invocation-id` (unsigned header), if any.
    pub invocation_id: Option<&'a str>,
    /// Verified-request `x-zendesk-account-id` (unsigned header): the account for trigger bodies,
    /// which carry none. Event-subscription payloads carry a signed `account_id`, which wins.
    pub account_id: Option<&'a str>,
    pub author_rules: &'a AuthorRules,
}

impl<'a> ParseContext<'a> {
    /// Context for a Zendesk request that passed [`super::verify::ZendeskVerifier::verify`].
    pub fn zendesk(
        tenant: &'a str,
        verified: &'a super::verify::VerifiedZendesk,
        author_rules: &'a AuthorRules,
    ) -> Self {
        ParseContext {
            tenant,
            invocation_id: verified.invocation_id.as_deref(),
            account_id: verified.account_id.as_deref(),
            author_rules,
        }
    }

    /// Context for a Sunshine request (its ids are all in the body).
    pub fn sunshine(tenant: &'a str, author_rules: &'a AuthorRules) -> Self {
        ParseContext {
            tenant,
            invocation_id: None,
            account_id: None,
            author_rules,
        }
    }
}

/// Which message sources / integrations count as AI, human or system authors. Values are
/// compared ASCII-case-insensitively. Embedded in config as `[ingest.author]`.
///
/// The Zendesk values come from the decompiled Android SDK and the Web Widget (confidence low to
/// medium, not in the SunCo spec), hence configurable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorRules {
    /// Sunshine `message.source.type` values sent by AI agents.
    /// Default: `zd:answerBot` (AI agents essential / bot builder), `ultimate` (AI agents advanced).
    pub ai_source_types: Vec<String>,
    /// `message.source.type` values sent by human agents. Default: `zd:agentWorkspace`.
    pub human_source_types: Vec<String>,
    /// `message.source.type` values for system messages. Default: `zd:surveys` (CSAT surveys).
    pub system_source_types: Vec<String>,
    /// `message.source.type` values for AI-drafted text sent by a human agent: author
    /// [`AuthorKind::HumanAgent`] with `ai_involved = true`. Default: `zd:agentCopilot`.
    pub ai_assisted_source_types: Vec<String>,
    /// `conversation.activeSwitchboardIntegration.integrationType` values that are AI agents.
    /// Default: `zd:answerBot`, `ultimate`.
    pub ai_switchboard_types: Vec<String>,
    /// Switchboard integration types that are human-agent desks. Default: `zd:agentWorkspace`.
    pub human_switchboard_types: Vec<String>,
    /// Zendesk `messaging_ticket.message_added` `event.actor.id` values that are AI agents.
    /// Default: `zd:answerBot`.
    pub ai_actor_ids: Vec<String>,
    /// Author of a Sunshine `business` message when no signal decides. Default `unknown`
    /// (policy treats unknown conservatively); set `human_agent` if every unlabelled business
    /// message in your setup comes from agents.
    pub business_fallback: AuthorKind,
    /// Zendesk user ids the AI agent's messages are attributed to in messaging tickets (the
    /// comment `author_id`). Needed by `policy.ai_ticket = "redact_ai_comments"`: the reference
    /// does not document how AI-agent comments are attributed, so it is configured. Default empty.
    pub ai_zendesk_user_ids: Vec<u64>,
    /// Flat Sunshine `metadata` keys (message first, then conversation) whose value is the id of
    /// the Zendesk ticket the conversation is linked to (used to tag the ticket when messaging
    /// attachments are removed). UNCONFIRMED: the SunCo spec documents `metadata` as a flat
    /// object (up to 4 KB) but names no ticket-id key, so none is assumed. Default empty.
    pub ticket_id_metadata_keys: Vec<String>,
}

impl Default for AuthorRules {
    fn default() -> Self {
        let v = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        AuthorRules {
            ai_source_types: v(&["zd:answerBot", "ultimate"]),
            human_source_types: v(&["zd:agentWorkspace"]),
            system_source_types: v(&["zd:surveys"]),
            ai_assisted_source_types: v(&["zd:agentCopilot"]),
            ai_switchboard_types: v(&["zd:answerBot", "ultimate"]),
            human_switchboard_types: v(&["zd:agentWorkspace"]),
            ai_actor_ids: v(&["zd:answerBot"]),
            business_fallback: AuthorKind::Unknown,
            ai_zendesk_user_ids: Vec::new(),
            ticket_id_metadata_keys: Vec::new(),
        }
    }
}

pub(crate) fn contains_ci(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v.eq_ignore_ascii_case(value))
}

impl AuthorRules {
    /// Every problem at once: empty values, and values listed as two different kinds.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let source_lists: [(&str, &[String]); 4] = [
            ("ai_source_types", &self.ai_source_types),
            ("human_source_types", &self.human_source_types),
            ("system_source_types", &self.system_source_types),
            ("ai_assisted_source_types", &self.ai_assisted_source_types),
        ];
        let switch_lists: [(&str, &[String]); 2] = [
            ("ai_switchboard_types", &self.ai_switchboard_types),
            ("human_switchboard_types", &self.human_switchboard_types),
        ];
        for (name, list) in source_lists
            .iter()
            .chain(switch_lists.iter())
            .chain([("ai_actor_ids", self.ai_actor_ids.as_slice())].iter())
        {
            if list.iter().any(|v| v.trim().is_empty()) {
                errors.push(format!("ingest.author.{name}: empty value"));
            }
        }
        if self.ticket_id_metadata_keys.iter().any(|k| k.is_empty()) {
            errors.push("ingest.author.ticket_id_metadata_keys: empty value".to_string());
        }
        for group in [&source_lists[..], &switch_lists[..]] {
            for (i, (a, la)) in group.iter().enumerate() {
                for (b, lb) in &group[i + 1..] {
                    for v in la.iter().filter(|v| contains_ci(lb, v)) {
                        errors.push(format!("ingest.author: `{v}` is in both {a} and {b}"));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_deserialize_partially() {
        assert_eq!(AuthorRules::default().validate(), Ok(()));
        let r: AuthorRules = toml::from_str(
            r#"ai_source_types = ["zd:answerBot", "my-bot"]
business_fallback = "human_agent""#,
        )
        .unwrap();
        assert_eq!(r.ai_source_types, vec!["zd:answerBot", "my-bot"]);
        assert_eq!(r.human_source_types, vec!["zd:agentWorkspace"]);
        assert_eq!(r.business_fallback, AuthorKind::HumanAgent);
        assert!(toml::from_str::<AuthorRules>("ai_sources = []").is_err());
    }

    #[test]
    fn validate_reports_every_conflict() {
        let r = AuthorRules {
            human_source_types: vec!["ZD:ANSWERBOT".into(), " ".into()],
            human_switchboard_types: vec!["ultimate".into()],
            ..AuthorRules::default()
        };
        let errs = r.validate().unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("human_source_types: empty")));
    }

    #[test]
    fn contexts_from_verified_requests() {
        let rules = AuthorRules::default();
        let verified = crate::ingest::verify::VerifiedZendesk {
            account_id: Some("22129848".into()),
            webhook_id: None,
            invocation_id: Some("8350205582".into()),
            timestamp: std::time::SystemTime::UNIX_EPOCH,
            secret_index: 0,
        };
        let z = ParseContext::zendesk("acme", &verified, &rules);
        assert_eq!(
            (z.tenant, z.account_id, z.invocation_id),
            ("acme", Some("22129848"), Some("8350205582"))
        );
        let s = ParseContext::sunshine("acme", &rules);
        assert_eq!((s.account_id, s.invocation_id), (None, None));
    }

    #[test]
    fn event_type_labels_are_bounded() {
        let ev = |t: &str| ParsedEvent {
            event_id: "e".into(),
            event_type: t.into(),
            disposition: Disposition::Ignored,
            targets: Vec::new(),
            handoff: None,
        };
        assert_eq!(
            ev("conversation:message").event_type_label(),
            "conversation:message"
        );
        assert_eq!(
            ev("zen:event-type:user.created").event_type_label(),
            "other"
        );
        assert_eq!(
            ev("anything at all 123-45-6789").event_type_label(),
            "other"
        );
    }

    #[test]
    fn parse_error_messages_are_static() {
        assert_eq!(
            ParseError::MalformedJson { line: 3, column: 7 }.to_string(),
            "malformed JSON at line 3, column 7"
        );
        assert_eq!(ParseError::MissingField("id").reason(), "missing_field");
    }
}
