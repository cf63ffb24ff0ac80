//! [`ScanTarget`]: a verified event normalised into what can be scanned and acted on.
//!
//! A scan target holds ids (account/app, ticket/comment, conversation/message), who wrote it
//! (author kind), where (channel), and the text fields / attachment metadata to scan. Text lives
//! only in memory for the duration of one request; nothing here is ever written to the store.

use serde::{Deserialize, Serialize};

/// Which webhook source an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Zendesk,
    Sunshine,
}

impl Source {
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Zendesk => "zendesk",
            Source::Sunshine => "sunshine",
        }
    }
}

/// Who wrote the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    EndUser,
    HumanAgent,
    AiAgent,
    System,
    Unknown,
}

impl AuthorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorKind::EndUser => "end_user",
            AuthorKind::HumanAgent => "human_agent",
            AuthorKind::AiAgent => "ai_agent",
            AuthorKind::System => "system",
            AuthorKind::Unknown => "unknown",
        }
    }
}

/// The object a target refers to, by id only. These ids go into work items and audit records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObjectRef {
    /// A ticket comment (`comment_id` may be unknown for trigger webhooks that send only a ticket id).
    ZendeskComment {
        ticket_id: u64,
        comment_id: Option<u64>,
    },
    /// A ticket-level field: subject, description (first comment) or a custom field.
    ZendeskTicketField { ticket_id: u64, field: TicketField },
    /// An attachment linked to a comment.
    ZendeskAttachment {
        ticket_id: u64,
        comment_id: u64,
        attachment_id: u64,
    },
    /// A messaging-ticket message (Zendesk side of a messaging conversation).
    ZendeskMessagingMessage {
        ticket_id: u64,
        conversation_id: Option<String>,
        message_id: Option<String>,
    },
    /// A whole ticket (trigger webhook with only an id: "fetch and scan").
    ZendeskTicket { ticket_id: u64 },
    /// A Sunshine Conversations message.
    SunshineMessage {
        app_id: String,
        conversation_id: String,
        message_id: String,
    },
    /// A Sunshine conversation (create, switchboard events).
    SunshineConversation {
        app_id: String,
        conversation_id: String,
    },
    /// A Sunshine user.
    SunshineUser { app_id: String, user_id: String },
}

/// Which ticket-level field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum TicketField {
    Subject,
    Description,
    Custom(u64),
}

/// What a text field is, so policy and findings can say where PHI was (never what).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    CommentBody,
    CommentHtml,
    Subject,
    Description,
    CustomField,
    MessageText,
    MessageHtml,
    AltText,
    FileName,
    ItemTitle,
    ItemDescription,
    FormField,
    Location,
    Payload,
    Other,
}

impl FieldKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldKind::CommentBody => "comment_body",
            FieldKind::CommentHtml => "comment_html",
            FieldKind::Subject => "subject",
            FieldKind::Description => "description",
            FieldKind::CustomField => "custom_field",
            FieldKind::MessageText => "message_text",
            FieldKind::MessageHtml => "message_html",
            FieldKind::AltText => "alt_text",
            FieldKind::FileName => "file_name",
            FieldKind::ItemTitle => "item_title",
            FieldKind::ItemDescription => "item_description",
            FieldKind::FormField => "form_field",
            FieldKind::Location => "location",
            FieldKind::Payload => "payload",
            FieldKind::Other => "other",
        }
    }
}

/// One piece of text to scan. `index` distinguishes repeated kinds (carousel item 3's title).
#[derive(Debug, Clone, PartialEq)]
pub struct TextField {
    pub kind: FieldKind,
    pub index: u32,
    pub text: String,
    /// True when `text` is HTML: scan the visible text, map offsets back to the HTML.
    pub html: bool,
}

/// Metadata of an attachment (never its content).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttachmentMeta {
    /// Zendesk attachment id, when known.
    pub id: Option<u64>,
    /// Sunshine `mediaUrl` / Zendesk `content_url`: needed to remove it. Held in memory and in
    /// work items for Sunshine attachment removal only (it is an object reference, not PHI-bearing
    /// text — but file names inside URLs are, so it is never logged).
    pub url: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    /// True when the end user uploaded it.
    pub from_end_user: bool,
}

/// A verified, normalised event: everything policy needs, nothing that must not be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanTarget {
    pub source: Source,
    /// Tenant name from the route (`default` when none) — selects secrets, credentials and policy.
    pub tenant: String,
    /// Zendesk account id / Sunshine app id.
    pub account: String,
    /// Event id (payload `id` / `events[].id`) used for dedupe and audit.
    pub event_id: String,
    /// Event type as sent (`zen:event-type:ticket.comment_added`, `conversation:message`).
    pub event_type: String,
    pub object: ObjectRef,
    pub author: AuthorKind,
    /// Channel (`web`, `email`, `whatsapp`, `messenger`, ...) lower-cased, when known.
    pub channel: Option<String>,
    pub brand_id: Option<u64>,
    pub group_id: Option<u64>,
    /// Public comment (`Some(true)`), private note (`Some(false)`), or unknown.
    pub public: Option<bool>,
    /// True when an AI agent took part in the conversation (switchboard, source type, actor).
    pub ai_involved: bool,
    /// The Zendesk ticket a messaging conversation is linked to, when the payload says so
    /// (Sunshine `metadata` keys in `ingest.author.ticket_id_metadata_keys`).
    pub linked_ticket_id: Option<u64>,
    pub fields: Vec<TextField>,
    pub attachments: Vec<AttachmentMeta>,
    /// What kind of event this is for policy: work, a confirmation of our own action, or lifecycle.
    pub intent: Intent,
}

/// What an event means for enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// New or changed content: scan it.
    Content,
    /// Only ids were sent (trigger webhook): fetch the object through the API, then scan.
    FetchAndScan,
    /// A redaction/deletion happened (possibly ours): record, never act (loop guard).
    Confirmation,
    /// Control passed away from an AI agent or the ticket closed (switchboard) — AI transcript duties.
    Handoff,
    /// A conversation was created (retention schedules may start).
    ConversationCreated,
}
