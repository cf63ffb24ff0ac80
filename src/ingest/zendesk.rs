//! Zendesk Support webhooks: verified bytes → [`ParsedEvent`]s with [`ScanTarget`]s.
//!
//! Owns: reading the two Zendesk webhook kinds — event subscriptions (`type` =
//! `zen:event-type:…`) and trigger/automation webhooks (`conditional_ticket_events`, body is
//! whatever template the admin wrote) — into normalised targets. Must not: verify (that is
//! `verify`, called first), touch the network or the store, run detection, or log body text.
//!
//! # Event subscriptions
//! | type (after `zen:event-type:`) | disposition | targets |
//! |---|---|---|
//! | `ticket.created` | act | subject, description (first comment); a comment target if `event.comment` is present |
//! | `ticket.comment_added` | act | the new comment (`body`, `is_public`, author from `author.is_staff`); `detail.description` as the description target unless it equals the comment body |
//! | `ticket.attachment_linked_to_comment` | act | the attachment: `filename` as a file-name field, content type, ids, `is_public` (not `content_url`: it embeds the file name and redaction needs only ids) |
//! | `messaging_ticket.message_added` | act | the message body; author from `event.actor` (`zd:answerBot` id → AI agent; `end_user`, `agent`, `trigger`/`system`) |
//! | `ticket.subject_changed`, `ticket.description_changed` | act | `event.current` (falls back to `detail`) |
//! | `ticket.custom_field_changed` | act | `event.current` under the custom field id |
//! | `ticket.comment_redacted`, `ticket.attachment_redacted_from_comment`, `ticket.comment_made_private`, `ticket.soft_deleted`, `ticket.permanently_deleted` | confirmation | ids only |
//! | anything else (`user.*`, `organization.*`, `ticket.merged`, …) | ignored | none |
//!
//! `detail` ids are strings, `event.comment.id` is a number or a string: both are accepted.
//! Targets without any text to scan are dropped (the event is still `Act`).
//!
//! **Uncertain payload shapes** (kept lenient, covered by fixtures written from the reference):
//! `ticket.custom_field_changed` carries the field id in `event.custom_field.id` (also accepted:
//! `event.custom_field_id`, `event.field_id`) and the value in `event.current`;
//! `subject_changed` / `description_changed` carry `event.current`.
//!
//! # Trigger webhooks
//! No `type`; the body is the admin's template. The recommended template ([`TRIGGER_TEMPLATE`])
//! sends ids only, so the 16 k-character template cap and placeholder rendering quirks never
//! matter, and the worker fetches the content through the API (`Intent::FetchAndScan`):
//! ```json
//! {"phi_guard": 1, "ticket_id": "{{ticket.id}}", "comment_id": "{{ticket.latest_comment.id}}",
//!  "channel": "{{ticket.via}}", "brand_id": "{{ticket.brand.id}}", "group_id": "{{ticket.group.id}}"}
//! ```
//! `{{ticket.id}}` is documented. `{{ticket.via}}` renders a human label ("Web Form", "Mail") which
//! is normalised to `web_form`, `mail`. **UNCONFIRMED**: `{{ticket.latest_comment.id}}`,
//! `{{ticket.brand.id}}` and `{{ticket.group.id}}`; if they render empty or unrendered they are
//! treated as absent (a missing comment id means "fetch and scan the ticket"). Only `ticket_id`
//! is required; `phi_guard`, when present, must be `1`. The same keys are accepted
//! form-encoded (`ticket_id=35436&comment_id=…`); XML bodies are refused with
//! [`ParseError::UnsupportedFormat`]. The event id is the invocation id header, else
//! `trigger:` + the first 16 bytes of SHA-256(body) in hex.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::event::{Disposition, ParseContext, ParseError, ParsedEvent, contains_ci};
use super::json::{self, Fields, at, bool_at, label, lenient_u64, opt_id, req_id, str_at};
use super::target::{
    AttachmentMeta, AuthorKind, FieldKind, Intent, ObjectRef, ScanTarget, Source, TicketField,
};

/// Prefix of event-subscription types.
pub const EVENT_TYPE_PREFIX: &str = "zen:event-type:";
/// `event_type` reported for trigger/automation webhooks.
pub const TRIGGER_EVENT_TYPE: &str = "conditional_ticket_events";
/// Recommended JSON body for a trigger/automation webhook (see module docs).
pub const TRIGGER_TEMPLATE: &str = r#"{"phi_guard": 1, "ticket_id": "{{ticket.id}}", "comment_id": "{{ticket.latest_comment.id}}", "channel": "{{ticket.via}}", "brand_id": "{{ticket.brand.id}}", "group_id": "{{ticket.group.id}}"}"#;

/// Parses a verified Zendesk webhook body.
pub fn parse(body: &[u8], ctx: &ParseContext<'_>) -> Result<Vec<ParsedEvent>, ParseError> {
    match body.trim_ascii_start().first() {
        None => Err(ParseError::MissingField("body")),
        Some(b'{' | b'[') => {
            let v = json::parse(body)?;
            if !v.is_object() {
                return Err(ParseError::InvalidField("body"));
            }
            match at(&v, &["type"]).and_then(Value::as_str) {
                Some(t) if t.starts_with(EVENT_TYPE_PREFIX) => {
                    parse_event(&v, t, body, ctx).map(|e| vec![e])
                }
                _ => parse_trigger(&TriggerBody::Json(&v), body, ctx).map(|e| vec![e]),
            }
        }
        Some(b'<') => Err(ParseError::UnsupportedFormat),
        Some(_) => {
            let text = std::str::from_utf8(body).map_err(|_| ParseError::InvalidUtf8)?;
            let pairs = parse_form(text).ok_or(ParseError::UnsupportedFormat)?;
            parse_trigger(&TriggerBody::Form(&pairs), body, ctx).map(|e| vec![e])
        }
    }
}

/// Ids and labels shared by every target of one event.
struct Common<'a> {
    ctx: &'a ParseContext<'a>,
    account: String,
    event_id: String,
    event_type: String,
    channel: Option<String>,
    brand_id: Option<u64>,
    group_id: Option<u64>,
}

impl Common<'_> {
    fn target(&self, object: ObjectRef, intent: Intent) -> ScanTarget {
        ScanTarget {
            source: Source::Zendesk,
            tenant: self.ctx.tenant.to_owned(),
            account: self.account.clone(),
            event_id: self.event_id.clone(),
            event_type: self.event_type.clone(),
            object,
            author: AuthorKind::Unknown,
            channel: self.channel.clone(),
            brand_id: self.brand_id,
            group_id: self.group_id,
            public: None,
            ai_involved: false,
            linked_ticket_id: None,
            fields: Vec::new(),
            attachments: Vec::new(),
            intent,
        }
    }

    fn content(&self, object: ObjectRef, fields: Fields) -> Option<ScanTarget> {
        if fields.0.is_empty() {
            return None;
        }
        let mut t = self.target(object, Intent::Content);
        t.fields = fields.0;
        Some(t)
    }
}

fn fallback_event_id(body: &[u8], ctx: &ParseContext<'_>) -> String {
    match ctx.invocation_id {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => {
            let digest = Sha256::digest(body);
            format!("trigger:{}", hex::encode(&digest[..16]))
        }
    }
}

fn account(v: &Value, ctx: &ParseContext<'_>) -> Result<String, ParseError> {
    match opt_id(v, &["account_id"], "account_id")? {
        Some(a) => Ok(a),
        None => ctx
            .account_id
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .ok_or(ParseError::MissingField("account_id")),
    }
}

/// `detail.id`, else the number in `subject` (`zen:ticket:35436`).
fn ticket_id(v: &Value) -> Result<u64, ParseError> {
    if let Some(id) = at(v, &["detail", "id"]) {
        return json::to_u64(id).ok_or(ParseError::InvalidField("detail.id"));
    }
    str_at(v, &["subject"])
        .and_then(|s| s.strip_prefix("zen:ticket:"))
        .and_then(|n| json::to_u64(&Value::String(n.to_owned())))
        .ok_or(ParseError::MissingField("detail.id"))
}

fn comment_author(comment: &Value) -> AuthorKind {
    match bool_at(comment, &["author", "is_staff"]) {
        Some(true) => AuthorKind::HumanAgent,
        Some(false) => AuthorKind::EndUser,
        None => AuthorKind::Unknown,
    }
}

fn comment_public(comment: &Value) -> Option<bool> {
    bool_at(comment, &["is_public"]).or_else(|| bool_at(comment, &["public"]))
}

/// Builds the comment target from an `event.comment` object.
fn comment_target(
    c: &Common<'_>,
    ticket_id: u64,
    comment: &Value,
) -> Result<Option<ScanTarget>, ParseError> {
    let comment_id = match at(comment, &["id"]) {
        None => None,
        Some(id) => Some(json::to_u64(id).ok_or(ParseError::InvalidField("event.comment.id"))?),
    };
    let mut fields = Fields::default();
    fields.push(FieldKind::CommentBody, 0, str_at(comment, &["body"]), false);
    fields.push(
        FieldKind::CommentHtml,
        0,
        str_at(comment, &["html_body"]),
        true,
    );
    let target = c.content(
        ObjectRef::ZendeskComment {
            ticket_id,
            comment_id,
        },
        fields,
    );
    Ok(target.map(|mut t| {
        t.author = comment_author(comment);
        t.public = comment_public(comment);
        t
    }))
}

fn ticket_field_target(
    c: &Common<'_>,
    ticket_id: u64,
    field: TicketField,
    kind: FieldKind,
    text: Option<&str>,
) -> Option<ScanTarget> {
    let mut fields = Fields::default();
    fields.push(kind, 0, text, false);
    c.content(ObjectRef::ZendeskTicketField { ticket_id, field }, fields)
}

fn classify(short_type: &str) -> Disposition {
    match short_type {
        "ticket.created"
        | "ticket.comment_added"
        | "ticket.attachment_linked_to_comment"
        | "messaging_ticket.message_added"
        | "ticket.subject_changed"
        | "ticket.description_changed"
        | "ticket.custom_field_changed" => Disposition::Act,
        "ticket.comment_redacted"
        | "ticket.attachment_redacted_from_comment"
        | "ticket.comment_made_private"
        | "ticket.soft_deleted"
        | "ticket.permanently_deleted" => Disposition::Confirmation,
        _ => Disposition::Ignored,
    }
}

fn parse_event(
    v: &Value,
    event_type: &str,
    body: &[u8],
    ctx: &ParseContext<'_>,
) -> Result<ParsedEvent, ParseError> {
    let short = &event_type[EVENT_TYPE_PREFIX.len()..];
    let disposition = classify(short);
    if disposition == Disposition::Ignored {
        let event_id = opt_id(v, &["id"], "id")
            .ok()
            .flatten()
            .unwrap_or_else(|| fallback_event_id(body, ctx));
        return Ok(ParsedEvent {
            event_id,
            event_type: event_type.to_owned(),
            disposition,
            targets: Vec::new(),
            handoff: None,
        });
    }

    let event_id = req_id(v, &["id"], "id")?;
    let ticket_id = ticket_id(v)?;
    let detail = at(v, &["detail"]).unwrap_or(&Value::Null);
    let event = at(v, &["event"]).unwrap_or(&Value::Null);
    let c = Common {
        ctx,
        account: account(v, ctx)?,
        event_id: event_id.clone(),
        event_type: event_type.to_owned(),
        channel: str_at(detail, &["via", "channel"]).and_then(label),
        brand_id: lenient_u64(detail, &["brand_id"]),
        group_id: lenient_u64(detail, &["group_id"]),
    };

    let mut targets = Vec::new();
    match short {
        "ticket.created" => {
            let description = str_at(detail, &["description"]);
            targets.extend(ticket_field_target(
                &c,
                ticket_id,
                TicketField::Subject,
                FieldKind::Subject,
                str_at(detail, &["subject"]),
            ));
            let comment_body = match at(event, &["comment"]) {
                Some(comment) => {
                    targets.extend(comment_target(&c, ticket_id, comment)?);
                    str_at(comment, &["body"])
                }
                None => None,
            };
            if description.is_some() && description != comment_body {
                targets.extend(ticket_field_target(
                    &c,
                    ticket_id,
                    TicketField::Description,
                    FieldKind::Description,
                    description,
                ));
            }
        }
        "ticket.comment_added" => {
            let comment =
                at(event, &["comment"]).ok_or(ParseError::MissingField("event.comment"))?;
            if !comment.is_object() {
                return Err(ParseError::InvalidField("event.comment"));
            }
            targets.extend(comment_target(&c, ticket_id, comment)?);
            let description = str_at(detail, &["description"]);
            if description.is_some() && description != str_at(comment, &["body"]) {
                targets.extend(ticket_field_target(
                    &c,
                    ticket_id,
                    TicketField::Description,
                    FieldKind::Description,
                    description,
                ));
            }
        }
        "ticket.attachment_linked_to_comment" => {
            let comment_id = json::req_u64(event, &["comment", "id"], "event.comment.id")?;
            let att = at(event, &["comment", "attachment"])
                .ok_or(ParseError::MissingField("event.comment.attachment"))?;
            let attachment_id = json::req_u64(att, &["id"], "event.comment.attachment.id")?;
            let author = at(event, &["comment"]).map_or(AuthorKind::Unknown, comment_author);
            let mut t = c.target(
                ObjectRef::ZendeskAttachment {
                    ticket_id,
                    comment_id,
                    attachment_id,
                },
                Intent::Content,
            );
            let mut fields = Fields::default();
            fields.push(
                FieldKind::FileName,
                0,
                str_at(att, &["filename"]).or_else(|| str_at(att, &["file_name"])),
                false,
            );
            t.fields = fields.0;
            t.author = author;
            t.public = comment_public(att);
            t.attachments.push(AttachmentMeta {
                id: Some(attachment_id),
                // `content_url` carries the file name (`?name=…`), which may be PHI, and Zendesk
                // redaction needs only ids: the URL is deliberately not kept.
                url: None,
                media_type: str_at(att, &["content_type"]).map(str::to_owned),
                size: lenient_u64(att, &["size"]),
                from_end_user: author == AuthorKind::EndUser,
            });
            targets.push(t);
        }
        "messaging_ticket.message_added" => {
            let actor_id = str_at(event, &["actor", "id"]);
            let actor_type = str_at(event, &["actor", "type"]);
            let rules = ctx.author_rules;
            let author = if actor_id.is_some_and(|id| contains_ci(&rules.ai_actor_ids, id)) {
                AuthorKind::AiAgent
            } else {
                match actor_type.map(str::to_ascii_lowercase).as_deref() {
                    Some("end_user" | "end-user" | "enduser") => AuthorKind::EndUser,
                    Some("agent") => AuthorKind::HumanAgent,
                    Some("trigger" | "system") => AuthorKind::System,
                    _ => AuthorKind::Unknown,
                }
            };
            let mut fields = Fields::default();
            fields.push(
                FieldKind::MessageText,
                0,
                str_at(event, &["message", "body"]),
                false,
            );
            let object = ObjectRef::ZendeskMessagingMessage {
                ticket_id,
                conversation_id: opt_id(event, &["conversation_id"], "event.conversation_id")?,
                message_id: opt_id(event, &["message", "id"], "event.message.id")?,
            };
            if let Some(mut t) = c.content(object, fields) {
                t.author = author;
                t.ai_involved = author == AuthorKind::AiAgent;
                // Messages in a messaging conversation are seen by the end user.
                t.public = Some(true);
                targets.push(t);
            }
        }
        "ticket.subject_changed" => {
            let text = str_at(event, &["current"]).or_else(|| str_at(detail, &["subject"]));
            targets.extend(ticket_field_target(
                &c,
                ticket_id,
                TicketField::Subject,
                FieldKind::Subject,
                text,
            ));
        }
        "ticket.description_changed" => {
            let text = str_at(event, &["current"]).or_else(|| str_at(detail, &["description"]));
            targets.extend(ticket_field_target(
                &c,
                ticket_id,
                TicketField::Description,
                FieldKind::Description,
                text,
            ));
        }
        "ticket.custom_field_changed" => {
            const NAME: &str = "event.custom_field.id";
            let field_id = [
                &["custom_field", "id"][..],
                &["custom_field_id"][..],
                &["field_id"][..],
            ]
            .iter()
            .find_map(|p| at(event, p))
            .ok_or(ParseError::MissingField(NAME))
            .and_then(|id| json::to_u64(id).ok_or(ParseError::InvalidField(NAME)))?;
            let value = at(event, &["current"]).and_then(|cur| match cur {
                Value::Object(_) => at(cur, &["value"])
                    .or_else(|| at(cur, &["name"]))
                    .and_then(json::scalar_text),
                other => json::scalar_text(other),
            });
            let mut fields = Fields::default();
            fields.push(FieldKind::CustomField, 0, value.as_deref(), false);
            targets.extend(c.content(
                ObjectRef::ZendeskTicketField {
                    ticket_id,
                    field: TicketField::Custom(field_id),
                },
                fields,
            ));
        }
        // Confirmations: ids only, leniently read.
        _ => {
            let comment_id = lenient_u64(event, &["comment", "id"]);
            let attachment_id = lenient_u64(event, &["comment", "attachment", "id"])
                .or_else(|| lenient_u64(event, &["attachment", "id"]));
            let object = match (short, comment_id, attachment_id) {
                ("ticket.soft_deleted" | "ticket.permanently_deleted", _, _) => {
                    ObjectRef::ZendeskTicket { ticket_id }
                }
                (_, Some(comment_id), Some(attachment_id)) => ObjectRef::ZendeskAttachment {
                    ticket_id,
                    comment_id,
                    attachment_id,
                },
                (_, comment_id @ Some(_), None) => ObjectRef::ZendeskComment {
                    ticket_id,
                    comment_id,
                },
                (_, None, _) => ObjectRef::ZendeskTicket { ticket_id },
            };
            targets.push(c.target(object, Intent::Confirmation));
        }
    }

    Ok(ParsedEvent {
        event_id,
        event_type: event_type.to_owned(),
        disposition,
        targets,
        handoff: None,
    })
}

/// A trigger body: JSON object or form-encoded pairs.
enum TriggerBody<'a> {
    Json(&'a Value),
    Form(&'a [(String, String)]),
}

impl TriggerBody<'_> {
    /// The value of `key` as text (numbers printed), `None` when absent/null/blank.
    fn get(&self, key: &str) -> Option<String> {
        match self {
            TriggerBody::Json(v) => at(v, &[key]).and_then(|x| match x {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
            TriggerBody::Form(pairs) => pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_owned()),
        }
        .filter(|s| !s.is_empty())
    }

    fn id(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|s| json::to_u64(&Value::String(s)))
    }
}

fn parse_trigger(
    b: &TriggerBody<'_>,
    body: &[u8],
    ctx: &ParseContext<'_>,
) -> Result<ParsedEvent, ParseError> {
    if b.get("phi_guard").is_some_and(|version| version != "1") {
        return Err(ParseError::InvalidField("phi_guard"));
    }
    let ticket_id = match b.get("ticket_id") {
        None => return Err(ParseError::MissingField("ticket_id")),
        Some(s) => json::to_u64(&Value::String(s)).ok_or(ParseError::InvalidField("ticket_id"))?,
    };
    let account = match b {
        TriggerBody::Json(v) => account(v, ctx)?,
        TriggerBody::Form(_) => match b.get("account_id") {
            Some(a) => a,
            None => account(&Value::Null, ctx)?,
        },
    };
    let event_id = fallback_event_id(body, ctx);
    let c = Common {
        ctx,
        account,
        event_id: event_id.clone(),
        event_type: TRIGGER_EVENT_TYPE.to_owned(),
        channel: b.get("channel").as_deref().and_then(label),
        brand_id: b.id("brand_id"),
        group_id: b.id("group_id"),
    };
    let object = match b.id("comment_id") {
        Some(comment_id) => ObjectRef::ZendeskComment {
            ticket_id,
            comment_id: Some(comment_id),
        },
        None => ObjectRef::ZendeskTicket { ticket_id },
    };
    Ok(ParsedEvent {
        event_id,
        event_type: TRIGGER_EVENT_TYPE.to_owned(),
        disposition: Disposition::Act,
        targets: vec![c.target(object, Intent::FetchAndScan)],
        handoff: None,
    })
}

/// Parses `application/x-www-form-urlencoded`; `None` if the text does not look like it.
fn parse_form(text: &str) -> Option<Vec<(String, String)>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        let k = percent_decode(k)?;
        if k.is_empty()
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'))
        {
            return None;
        }
        out.push((k, percent_decode(v)?));
    }
    (!out.is_empty()).then_some(out)
}

/// `+` → space, `%XX` → byte; invalid escapes or non-UTF-8 results → `None`.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (*bytes.get(i + 1)? as char).to_digit(16)?;
                let lo = (*bytes.get(i + 2)? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::AuthorRules;
    use proptest::prelude::*;

    fn ctx(rules: &AuthorRules) -> ParseContext<'_> {
        ParseContext {
            tenant: "default",
            invocation_id: Some("8350205582"),
            account_id: Some("123456"),
            author_rules: rules,
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b.com+x").as_deref(), Some("a@b.com x"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn form_trigger_is_read() {
        let rules = AuthorRules::default();
        let body = b"phi_guard=1&ticket_id=35436&comment_id=&channel=Web+Form";
        let ev = parse(body, &ctx(&rules)).unwrap();
        assert_eq!(ev.len(), 1);
        let t = &ev[0].targets[0];
        assert_eq!(t.object, ObjectRef::ZendeskTicket { ticket_id: 35436 });
        assert_eq!(t.intent, Intent::FetchAndScan);
        assert_eq!(t.channel.as_deref(), Some("web_form"));
        assert_eq!(t.account, "123456");
        assert_eq!(ev[0].event_id, "8350205582");
    }

    #[test]
    fn trigger_without_invocation_id_uses_body_hash() {
        let rules = AuthorRules::default();
        let mut c = ctx(&rules);
        c.invocation_id = None;
        let a = parse(br#"{"ticket_id":"1"}"#, &c).unwrap();
        let b = parse(br#"{"ticket_id":"2"}"#, &c).unwrap();
        assert!(a[0].event_id.starts_with("trigger:"));
        assert_eq!(a[0].event_id.len(), "trigger:".len() + 32);
        assert_ne!(a[0].event_id, b[0].event_id);
    }

    #[test]
    fn unsupported_and_empty_bodies() {
        let rules = AuthorRules::default();
        let c = ctx(&rules);
        assert_eq!(
            parse(b"<ticket><id>1</id></ticket>", &c),
            Err(ParseError::UnsupportedFormat)
        );
        assert_eq!(
            parse(b"just some words", &c),
            Err(ParseError::UnsupportedFormat)
        );
        assert_eq!(parse(b"  ", &c), Err(ParseError::MissingField("body")));
        assert_eq!(parse(b"[1,2]", &c), Err(ParseError::InvalidField("body")));
        assert_eq!(
            parse(br#"{"ticket_id":"{{ticket.id}}"}"#, &c),
            Err(ParseError::InvalidField("ticket_id"))
        );
        assert_eq!(
            parse(br#"{"phi_guard":2,"ticket_id":"1"}"#, &c),
            Err(ParseError::InvalidField("phi_guard"))
        );
        assert_eq!(
            parse(br#"{"something":"else"}"#, &c),
            Err(ParseError::MissingField("ticket_id"))
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let rules = AuthorRules::default();
            let _ = parse(&body, &ctx(&rules));
        }

        #[test]
        fn never_panics_on_envelope_shapes(
            ty in prop::sample::select(vec![
                "ticket.created", "ticket.comment_added", "ticket.attachment_linked_to_comment",
                "messaging_ticket.message_added", "ticket.subject_changed",
                "ticket.description_changed", "ticket.custom_field_changed",
                "ticket.comment_redacted", "ticket.soft_deleted", "user.created",
            ]),
            id in prop_oneof![Just(Value::Null), Just(Value::from(5)), Just(Value::from("x")), Just(Value::from(-1.5))],
            detail in prop_oneof![Just(Value::Null), Just(serde_json::json!({"id": "12"})), Just(serde_json::json!({"id": [1]}))],
            event in prop_oneof![
                Just(Value::Null),
                Just(serde_json::json!({"comment": 3})),
                Just(serde_json::json!({"comment": {"id": "x", "attachment": {"id": {}}}})),
                Just(serde_json::json!({"comment": {"id": 1, "body": "b", "attachment": {"id": 2}},
                    "custom_field": {"id": "9"}, "current": [1, "a", {"x": 1}], "actor": {"id": 5}})),
            ],
        ) {
            let rules = AuthorRules::default();
            let v = serde_json::json!({"type": format!("zen:event-type:{ty}"), "id": id,
                "detail": detail, "event": event});
            let body = serde_json::to_vec(&v).unwrap();
            let _ = parse(&body, &ctx(&rules));
        }
    }
}
