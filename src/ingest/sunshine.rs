//! Sunshine Conversations (v2) webhooks: verified bytes → one [`ParsedEvent`] per `events[]`
//! element.
//!
//! Owns: reading the envelope `{app:{id}, webhook:{id,version}, events:[…]}` and each event into
//! normalised targets: every `conversation:message` content type, author kind from every signal,
//! attachment metadata, lifecycle and switchboard events. Must not: verify (that is `verify`),
//! touch the network or the store, run detection, or log body text.
//!
//! # Event types
//! | `events[].type` | disposition | target / intent |
//! |---|---|---|
//! | `conversation:message` | act | the message (`Content`) |
//! | `conversation:create` | act | the conversation (`ConversationCreated`) |
//! | `switchboard:passControl`, `acceptControl`, `releaseControl`, `offerControl` | act | the conversation (`Handoff`), plus [`Handoff`] on the event (`reason`: `ticketClosed`, `transferToEmail`) |
//! | `conversation:remove` | confirmation | the conversation |
//! | `user:remove` | confirmation | the user |
//! | anything else (`client:*`, `user:update`, `conversation:read`, `*:failure`, …) | ignored | none |
//!
//! An event of an ignored type is not inspected beyond `id` and `type`, so schema drift there
//! never fails a batch. A malformed event of a type we act on fails the whole request with a
//! field-specific [`ParseError`] (SunCo does not retry 400, so the caller decides the status).
//!
//! # Message content → fields
//! `text`: `text`, `htmlText` (HTML), `markdownText`, `payload`, `actions[]` (`text`, `payload`,
//! `uri`). `image` / `file`: `text`, `altText` (the file name when the user gave none: a
//! [`FieldKind::AltText`] for images, [`FieldKind::FileName`] for files — SunCo has no other
//! file-name field) and an [`AttachmentMeta`] from `mediaUrl`/`mediaType`/`mediaSize`.
//! `carousel` / `list`: per item `title`, `description`, `altText`, `mediaUrl`, `actions[]`
//! (item fields use the item position as `index`). `form`: field `label`, `name`, `placeholder`,
//! option labels. `formResponse`: `text`, `email`, `select[]` labels/names, and `textFallback`.
//! `location`: `coordinates` as `"lat,long"`, `location.name`, `location.address`, `text`.
//! `template`: nothing (business-authored WhatsApp template). Unknown types: `text`, `altText`,
//! `mediaUrl`. A message with `deleted: true` is a placeholder and yields no fields.
//! `metadata` and `quotedMessage` are not scanned (integration data / a reference to another
//! message that was scanned when it arrived).
//!
//! # Author kind (first signal that decides wins)
//! 1. `author.type == "user"` → end user.
//! 2. `author.subtypes` (documented for REST, may be absent in webhooks): `AI` or `bot` → AI agent,
//!    `activity` → system, `agent` → human agent.
//! 3. `message.source.type` against [`AuthorRules`]: AI list → AI agent; AI-assisted list
//!    (`zd:agentCopilot`) → human agent with `ai_involved`; human list → human agent; system list →
//!    system.
//! 4. `conversation.activeSwitchboardIntegration.integrationType`: AI list → AI agent, human list
//!    → human agent.
//! 5. `business` with no decision → [`AuthorRules::business_fallback`]; no author type → unknown.
//!
//! `linked_ticket_id`: the first key of [`AuthorRules::ticket_id_metadata_keys`] found in
//! `message.metadata`, else in `conversation.metadata`, whose value is a positive integer (number
//! or numeric string). Nothing is assumed by default: no ticket-id key is documented.
//!
//! `ai_involved` is set when *any* signal names AI (subtypes, source type, AI-assisted source,
//! active switchboard integration) — also on end-user messages written while an AI agent holds
//! the conversation. `channel` is the `source.type` of end-user messages (`web`, `whatsapp`, …);
//! for business messages the source type names the sender, not the channel, so it is left unset.

use serde_json::Value;

use super::event::{
    AuthorRules, Disposition, Handoff, HandoffReason, ParseContext, ParseError, ParsedEvent,
    SwitchboardAction, contains_ci,
};
use super::json::{self, Fields, at, bool_at, label, lenient_u64, req_id, req_str, str_at};
use super::target::{AttachmentMeta, AuthorKind, FieldKind, Intent, ObjectRef, ScanTarget, Source};

/// Parses a verified Sunshine Conversations webhook body.
pub fn parse(body: &[u8], ctx: &ParseContext<'_>) -> Result<Vec<ParsedEvent>, ParseError> {
    let v = json::parse(body)?;
    if !v.is_object() {
        return Err(ParseError::InvalidField("body"));
    }
    let app_id = req_id(&v, &["app", "id"], "app.id")?;
    let events = match at(&v, &["events"]) {
        None => return Err(ParseError::MissingField("events")),
        Some(Value::Array(events)) => events,
        Some(_) => return Err(ParseError::InvalidField("events")),
    };
    events
        .iter()
        .map(|event| parse_event(event, &app_id, ctx))
        .collect()
}

struct Common<'a> {
    ctx: &'a ParseContext<'a>,
    app_id: &'a str,
    event_id: &'a str,
    event_type: &'a str,
}

impl Common<'_> {
    fn target(&self, object: ObjectRef, intent: Intent) -> ScanTarget {
        ScanTarget {
            source: Source::Sunshine,
            tenant: self.ctx.tenant.to_owned(),
            account: self.app_id.to_owned(),
            event_id: self.event_id.to_owned(),
            event_type: self.event_type.to_owned(),
            object,
            author: AuthorKind::Unknown,
            channel: None,
            brand_id: None,
            group_id: None,
            public: None,
            ai_involved: false,
            linked_ticket_id: None,
            fields: Vec::new(),
            attachments: Vec::new(),
            intent,
        }
    }

    fn conversation(&self, payload: &Value) -> Result<ObjectRef, ParseError> {
        Ok(ObjectRef::SunshineConversation {
            app_id: self.app_id.to_owned(),
            conversation_id: req_id(
                payload,
                &["conversation", "id"],
                "events[].payload.conversation.id",
            )?,
        })
    }
}

fn parse_event(
    event: &Value,
    app_id: &str,
    ctx: &ParseContext<'_>,
) -> Result<ParsedEvent, ParseError> {
    if !event.is_object() {
        return Err(ParseError::InvalidField("events[]"));
    }
    let event_id = req_id(event, &["id"], "events[].id")?;
    let event_type = req_str(event, &["type"], "events[].type")?;
    let payload = at(event, &["payload"]).unwrap_or(&Value::Null);
    let c = Common {
        ctx,
        app_id,
        event_id: &event_id,
        event_type,
    };
    let rules = ctx.author_rules;

    let (disposition, targets, handoff) = match event_type {
        "conversation:message" => (Disposition::Act, vec![message_target(&c, payload)?], None),
        "conversation:create" => {
            let mut t = c.target(c.conversation(payload)?, Intent::ConversationCreated);
            t.channel = str_at(payload, &["source", "type"]).and_then(label);
            t.ai_involved = switchboard_type(payload)
                .is_some_and(|ty| contains_ci(&rules.ai_switchboard_types, ty));
            (Disposition::Act, vec![t], None)
        }
        "switchboard:passControl"
        | "switchboard:acceptControl"
        | "switchboard:releaseControl"
        | "switchboard:offerControl" => {
            let action = match event_type {
                "switchboard:passControl" => SwitchboardAction::PassControl,
                "switchboard:acceptControl" => SwitchboardAction::AcceptControl,
                "switchboard:releaseControl" => SwitchboardAction::ReleaseControl,
                _ => SwitchboardAction::OfferControl,
            };
            let reason = str_at(payload, &["reason"]).map(|r| match r {
                "ticketClosed" => HandoffReason::TicketClosed,
                "transferToEmail" => HandoffReason::TransferToEmail,
                _ => HandoffReason::Other,
            });
            let ai_integration = [
                &["switchboardIntegration", "integrationType"][..],
                &[
                    "conversation",
                    "activeSwitchboardIntegration",
                    "integrationType",
                ][..],
                &[
                    "conversation",
                    "pendingSwitchboardIntegration",
                    "integrationType",
                ][..],
            ]
            .iter()
            .filter_map(|p| str_at(payload, p))
            .any(|ty| contains_ci(&rules.ai_switchboard_types, ty));
            let mut t = c.target(c.conversation(payload)?, Intent::Handoff);
            t.author = AuthorKind::System;
            t.ai_involved = ai_integration;
            (
                Disposition::Act,
                vec![t],
                Some(Handoff {
                    action,
                    reason,
                    ai_integration,
                }),
            )
        }
        "conversation:remove" => (
            Disposition::Confirmation,
            vec![c.target(c.conversation(payload)?, Intent::Confirmation)],
            None,
        ),
        "user:remove" => {
            let user_id = req_id(payload, &["user", "id"], "events[].payload.user.id")?;
            let object = ObjectRef::SunshineUser {
                app_id: app_id.to_owned(),
                user_id,
            };
            (
                Disposition::Confirmation,
                vec![c.target(object, Intent::Confirmation)],
                None,
            )
        }
        _ => (Disposition::Ignored, Vec::new(), None),
    };

    Ok(ParsedEvent {
        event_id: event_id.clone(),
        event_type: event_type.to_owned(),
        disposition,
        targets,
        handoff,
    })
}

fn switchboard_type(payload: &Value) -> Option<&str> {
    str_at(
        payload,
        &[
            "conversation",
            "activeSwitchboardIntegration",
            "integrationType",
        ],
    )
}

/// Author kind and `ai_involved` from every signal (see module docs for the order).
pub fn classify_author(
    author_type: Option<&str>,
    subtypes: &[&str],
    source_type: Option<&str>,
    switchboard_type: Option<&str>,
    rules: &AuthorRules,
) -> (AuthorKind, bool) {
    let sub = |s: &str| subtypes.iter().any(|x| x.eq_ignore_ascii_case(s));
    let src = |list: &[String]| source_type.is_some_and(|t| contains_ci(list, t));
    let sb = |list: &[String]| switchboard_type.is_some_and(|t| contains_ci(list, t));
    let is_user = author_type.is_some_and(|t| t.eq_ignore_ascii_case("user"));
    let is_business = author_type.is_some_and(|t| t.eq_ignore_ascii_case("business"));

    let decided = if is_user {
        Some(AuthorKind::EndUser)
    } else if sub("AI") || sub("bot") {
        Some(AuthorKind::AiAgent)
    } else if sub("activity") {
        Some(AuthorKind::System)
    } else if sub("agent") {
        Some(AuthorKind::HumanAgent)
    } else if src(&rules.ai_source_types) {
        Some(AuthorKind::AiAgent)
    } else if src(&rules.ai_assisted_source_types) || src(&rules.human_source_types) {
        Some(AuthorKind::HumanAgent)
    } else if src(&rules.system_source_types) {
        Some(AuthorKind::System)
    } else if sb(&rules.ai_switchboard_types) {
        Some(AuthorKind::AiAgent)
    } else if sb(&rules.human_switchboard_types) {
        Some(AuthorKind::HumanAgent)
    } else {
        None
    };
    let kind = decided.unwrap_or(if is_business {
        rules.business_fallback
    } else {
        AuthorKind::Unknown
    });
    let ai_involved = kind == AuthorKind::AiAgent
        || sub("AI")
        || sub("bot")
        || src(&rules.ai_source_types)
        || src(&rules.ai_assisted_source_types)
        || sb(&rules.ai_switchboard_types);
    (kind, ai_involved)
}

fn message_target(c: &Common<'_>, payload: &Value) -> Result<ScanTarget, ParseError> {
    let conversation_id = req_id(
        payload,
        &["conversation", "id"],
        "events[].payload.conversation.id",
    )?;
    let message =
        at(payload, &["message"]).ok_or(ParseError::MissingField("events[].payload.message"))?;
    if !message.is_object() {
        return Err(ParseError::InvalidField("events[].payload.message"));
    }
    let message_id = req_id(message, &["id"], "events[].payload.message.id")?;

    let subtypes: Vec<&str> = match at(message, &["author", "subtypes"]) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let source_type = str_at(message, &["source", "type"]);
    let (author, ai_involved) = classify_author(
        str_at(message, &["author", "type"]),
        &subtypes,
        source_type,
        switchboard_type(payload),
        c.ctx.author_rules,
    );

    let mut t = c.target(
        ObjectRef::SunshineMessage {
            app_id: c.app_id.to_owned(),
            conversation_id,
            message_id,
        },
        Intent::Content,
    );
    t.author = author;
    t.ai_involved = ai_involved;
    t.linked_ticket_id = c
        .ctx
        .author_rules
        .ticket_id_metadata_keys
        .iter()
        .find_map(|k| {
            lenient_u64(message, &["metadata", k.as_str()])
                .or_else(|| lenient_u64(payload, &["conversation", "metadata", k.as_str()]))
                .filter(|&id| id > 0)
        });
    // Conversation messages are seen by the end user.
    t.public = Some(true);
    if author == AuthorKind::EndUser {
        t.channel = source_type.and_then(label);
    }

    if bool_at(message, &["deleted"]) != Some(true) {
        if let Some(content) = at(message, &["content"]) {
            let mut fields = Fields::default();
            extract_content(
                content,
                &mut fields,
                &mut t.attachments,
                author == AuthorKind::EndUser,
            );
            t.fields = fields.0;
        }
    }
    Ok(t)
}

fn attachment(v: &Value, from_end_user: bool) -> Option<AttachmentMeta> {
    let url = str_at(v, &["mediaUrl"])?;
    Some(AttachmentMeta {
        id: None,
        url: Some(url.to_owned()),
        media_type: str_at(v, &["mediaType"]).map(str::to_owned),
        size: lenient_u64(v, &["mediaSize"]),
        from_end_user,
    })
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    match at(v, &[key]) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

fn actions(v: &Value, fields: &mut Fields) {
    for action in array(v, "actions") {
        fields.push_next(FieldKind::Other, str_at(action, &["text"]), false);
        fields.push_next(FieldKind::Payload, str_at(action, &["payload"]), false);
        fields.push_next(FieldKind::Other, str_at(action, &["uri"]), false);
    }
}

fn extract_content(
    content: &Value,
    fields: &mut Fields,
    attachments: &mut Vec<AttachmentMeta>,
    from_end_user: bool,
) {
    let text = |key: &str| str_at(content, &[key]);
    match text("type").unwrap_or("") {
        "text" => {
            fields.push_next(FieldKind::MessageText, text("text"), false);
            fields.push_next(FieldKind::MessageHtml, text("htmlText"), true);
            fields.push_next(FieldKind::MessageText, text("markdownText"), false);
            fields.push_next(FieldKind::Payload, text("payload"), false);
            actions(content, fields);
        }
        kind @ ("image" | "file") => {
            fields.push_next(FieldKind::MessageText, text("text"), false);
            let alt_kind = if kind == "file" {
                FieldKind::FileName
            } else {
                FieldKind::AltText
            };
            fields.push_next(alt_kind, text("altText"), false);
            attachments.extend(attachment(content, from_end_user));
            actions(content, fields);
        }
        "carousel" | "list" => {
            for (i, item) in array(content, "items").iter().enumerate() {
                let index = u32::try_from(i).unwrap_or(u32::MAX);
                fields.push(FieldKind::ItemTitle, index, str_at(item, &["title"]), false);
                fields.push(
                    FieldKind::ItemDescription,
                    index,
                    str_at(item, &["description"]),
                    false,
                );
                fields.push(FieldKind::AltText, index, str_at(item, &["altText"]), false);
                attachments.extend(attachment(item, from_end_user));
                actions(item, fields);
            }
            fields.push_next(FieldKind::MessageText, text("text"), false);
            actions(content, fields);
        }
        "form" => {
            for field in array(content, "fields") {
                for key in ["label", "name", "placeholder"] {
                    fields.push_next(FieldKind::FormField, str_at(field, &[key]), false);
                }
                for option in array(field, "options") {
                    fields.push_next(FieldKind::FormField, str_at(option, &["label"]), false);
                }
            }
        }
        "formResponse" => {
            for field in array(content, "fields") {
                fields.push_next(FieldKind::FormField, str_at(field, &["text"]), false);
                fields.push_next(FieldKind::FormField, str_at(field, &["email"]), false);
                for option in array(field, "select") {
                    fields.push_next(FieldKind::FormField, str_at(option, &["label"]), false);
                    fields.push_next(FieldKind::FormField, str_at(option, &["name"]), false);
                }
            }
            fields.push_next(FieldKind::MessageText, text("textFallback"), false);
        }
        "location" => {
            let coord = |k: &str| match at(content, &["coordinates", k]) {
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                _ => None,
            };
            if let (Some(lat), Some(long)) = (coord("lat"), coord("long")) {
                fields.push_next(FieldKind::Location, Some(&format!("{lat},{long}")), false);
            }
            fields.push_next(
                FieldKind::Location,
                str_at(content, &["location", "name"]),
                false,
            );
            fields.push_next(
                FieldKind::Location,
                str_at(content, &["location", "address"]),
                false,
            );
            fields.push_next(FieldKind::MessageText, text("text"), false);
        }
        "template" => {}
        _ => {
            fields.push_next(FieldKind::MessageText, text("text"), false);
            fields.push_next(FieldKind::AltText, text("altText"), false);
            attachments.extend(attachment(content, from_end_user));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn linked_ticket_from_configured_metadata_keys_only() {
        let body = |msg_meta: Value, conv_meta: Value| {
            json!({"app": {"id": "app1"}, "events": [{"id": "e1", "type": "conversation:message",
                "payload": {"conversation": {"id": "c1", "metadata": conv_meta},
                    "message": {"id": "m1", "author": {"type": "user"}, "metadata": msg_meta,
                        "content": {"type": "file", "mediaUrl": "https://m.example/f", "altText": "f.pdf"}}}}]})
            .to_string()
        };
        let linked = |rules: &AuthorRules, b: &str| {
            parse(b.as_bytes(), &ctx(rules)).unwrap()[0].targets[0].linked_ticket_id
        };
        let none = AuthorRules::default();
        let b = body(json!({"ticket_id": "55"}), json!({"zd_ticket": 66}));
        // Nothing is assumed by default.
        assert_eq!(linked(&none, &b), None);
        let rules = AuthorRules {
            ticket_id_metadata_keys: vec!["ticket_id".into(), "zd_ticket".into()],
            ..Default::default()
        };
        // Message metadata first (numeric string accepted), then the conversation's.
        assert_eq!(linked(&rules, &b), Some(55));
        let b = body(json!({}), json!({"zd_ticket": 66}));
        assert_eq!(linked(&rules, &b), Some(66));
        // Not a positive integer: ignored, never an error.
        for bad in [
            json!("abc"),
            json!(-3),
            json!(0),
            json!(1.5),
            json!({"x": 1}),
        ] {
            let b = body(json!({"ticket_id": bad}), Value::Null);
            assert_eq!(linked(&rules, &b), None, "{bad}");
        }
    }

    fn ctx(rules: &AuthorRules) -> ParseContext<'_> {
        ParseContext {
            tenant: "default",
            invocation_id: None,
            account_id: None,
            author_rules: rules,
        }
    }

    #[test]
    fn author_signals() {
        let r = AuthorRules::default();
        let c = |t, s: &[&str], src, sb| classify_author(t, s, src, sb, &r);
        use AuthorKind::*;
        assert_eq!(c(Some("user"), &[], Some("web"), None), (EndUser, false));
        assert_eq!(
            c(Some("user"), &[], Some("web"), Some("ultimate")),
            (EndUser, true)
        );
        assert_eq!(c(Some("business"), &["AI"], None, None), (AiAgent, true));
        assert_eq!(
            c(Some("business"), &["ai", "agent"], None, None),
            (AiAgent, true)
        );
        assert_eq!(c(Some("business"), &["bot"], None, None), (AiAgent, true));
        assert_eq!(
            c(Some("business"), &["activity"], None, None),
            (System, false)
        );
        assert_eq!(
            c(Some("business"), &["agent"], None, None),
            (HumanAgent, false)
        );
        assert_eq!(
            c(Some("business"), &[], Some("zd:answerBot"), None),
            (AiAgent, true)
        );
        assert_eq!(
            c(Some("business"), &[], Some("ULTIMATE"), None),
            (AiAgent, true)
        );
        assert_eq!(
            c(Some("business"), &[], Some("zd:agentCopilot"), None),
            (HumanAgent, true)
        );
        assert_eq!(
            c(Some("business"), &[], Some("zd:agentWorkspace"), None),
            (HumanAgent, false)
        );
        assert_eq!(
            c(Some("business"), &[], Some("zd:surveys"), None),
            (System, false)
        );
        assert_eq!(
            c(Some("business"), &[], Some("api"), Some("zd:answerBot")),
            (AiAgent, true)
        );
        assert_eq!(
            c(
                Some("business"),
                &[],
                Some("api"),
                Some("zd:agentWorkspace")
            ),
            (HumanAgent, false)
        );
        assert_eq!(
            c(Some("business"), &[], Some("api"), None),
            (Unknown, false)
        );
        assert_eq!(c(None, &[], None, None), (Unknown, false));
        // Human agent writing while the AI switchboard is still active: source decides.
        assert_eq!(
            c(
                Some("business"),
                &[],
                Some("zd:agentWorkspace"),
                Some("ultimate")
            ),
            (HumanAgent, true)
        );
        let custom = AuthorRules {
            business_fallback: HumanAgent,
            ai_source_types: vec!["acme-bot".into()],
            ..AuthorRules::default()
        };
        assert_eq!(
            classify_author(Some("business"), &[], Some("api"), None, &custom),
            (HumanAgent, false)
        );
        assert_eq!(
            classify_author(Some("business"), &[], Some("zd:answerBot"), None, &custom),
            (HumanAgent, false)
        );
        assert_eq!(
            classify_author(Some("business"), &[], Some("acme-bot"), None, &custom),
            (AiAgent, true)
        );
    }

    #[test]
    fn ignored_types_are_not_inspected() {
        let r = AuthorRules::default();
        let body = json!({"app": {"id": "a1"}, "events": [
            {"id": "e1", "type": "client:add", "payload": "not even an object"},
            {"id": "e2", "type": "switchboard:passControl:failure", "payload": {}},
        ]});
        let ev = parse(body.to_string().as_bytes(), &ctx(&r)).unwrap();
        assert_eq!(ev.len(), 2);
        assert!(
            ev.iter()
                .all(|e| e.disposition == Disposition::Ignored && e.targets.is_empty())
        );
    }

    #[test]
    fn deleted_message_has_no_fields() {
        let r = AuthorRules::default();
        let body = json!({"app": {"id": "a1"}, "events": [{"id": "e1", "type": "conversation:message",
            "payload": {"conversation": {"id": "c1"}, "message": {"id": "m1", "deleted": true,
            "author": {"type": "user"}, "content": {"type": "text", "text": "SSN 123-45-6789"}}}}]});
        let ev = parse(body.to_string().as_bytes(), &ctx(&r)).unwrap();
        assert!(ev[0].targets[0].fields.is_empty());
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let r = AuthorRules::default();
            let _ = parse(&body, &ctx(&r));
        }

        #[test]
        fn never_panics_on_shapes(
            ty in prop::sample::select(vec!["conversation:message", "conversation:create",
                "switchboard:passControl", "conversation:remove", "user:remove", "client:add"]),
            content in prop_oneof![
                Just(Value::Null), Just(json!(1)), Just(json!({"type": 5})),
                Just(json!({"type": "carousel", "items": [1, {"title": 2}, {"actions": "x"}]})),
                Just(json!({"type": "location", "coordinates": {"lat": "x", "long": []}})),
                Just(json!({"type": "formResponse", "fields": [{"select": [null, 1]}]})),
                Just(json!({"type": "image", "mediaUrl": 3, "mediaSize": -1})),
            ],
            author in prop_oneof![Just(Value::Null), Just(json!({"type": 1, "subtypes": "AI"})),
                Just(json!({"type": "business", "subtypes": [1, "bot"]}))],
            conv in prop_oneof![Just(Value::Null), Just(json!({"id": "c"})), Just(json!({"id": {}}))],
        ) {
            let r = AuthorRules::default();
            let v = json!({"app": {"id": "a"}, "events": [{"id": "e", "type": ty, "payload": {
                "conversation": conv, "user": {"id": 7}, "reason": 5,
                "message": {"id": "m", "author": author, "content": content}}}]});
            let _ = parse(v.to_string().as_bytes(), &ctx(&r));
        }
    }
}
