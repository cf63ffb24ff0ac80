//! Fixture tests for `ingest`: real-shaped Zendesk and Sunshine payloads (written from the
//! public docs, with fake PHI canaries) parsed into events and targets, asserted precisely; the
//! same fixtures signed by an independent HMAC implementation and run through verification; and
//! negative cases (malformed JSON, wrong shapes, missing ids) that must give specific errors.
//!
//! The Sunshine fixtures were also checked once, outside this suite, against the official
//! generated models (PyPI `sunshine-conversations-client` 17.0.1: `WebhookBody` and the per-type
//! event models such as `ConversationMessageEvent`, `SwitchboardPassControl`), which accept them.

use std::time::{Duration, SystemTime};

use phi_guard::ingest::verify::{
    SunshineVerifier, TimestampWindow, VerifyError, ZENDESK_TEST_SECRET, ZendeskVerifier,
};
use phi_guard::ingest::{
    AuthorKind, AuthorRules, Disposition, FieldKind, HandoffReason, Intent, ObjectRef,
    ParseContext, ParseError, ParsedEvent, ScanTarget, Source, SwitchboardAction, TicketField,
    sunshine, zendesk,
};
use proptest::prelude::*;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

const ZENDESK_FIXTURES: &[&str] = &[
    "ticket_comment_added",
    "ticket_created",
    "attachment_linked",
    "messaging_message_added_ai",
    "messaging_message_added_user",
    "comment_redacted",
    "custom_field_changed",
    "user_created",
    "trigger_ids_only",
];
const SUNSHINE_FIXTURES: &[&str] = &[
    "message_text_user",
    "message_ai_agent",
    "message_agent_html",
    "message_image",
    "message_file",
    "message_carousel",
    "message_form_response",
    "message_location",
    "batch_mixed",
    "user_remove",
];
/// Fake identifiers planted in the fixtures; none may appear in an error message.
const CANARIES: &[&str] = &[
    "287-65-4321",
    "536-22-8146",
    "412-73-5590",
    "601-44-2378",
    "219-44-5567",
    "305-58-1176",
    "555-0134",
    "555-0199",
    "jane.roe@example.com",
    "robert.example@example.net",
    "4471902",
    "7730441",
];
const APP: &str = "5ebee0975ac5304b664a12fa";
const CONV: &str = "c51ab2bb8ddd5c9e4a3f6e5d";

fn fixture(source: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/{source}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ctx(rules: &AuthorRules) -> ParseContext<'_> {
    ParseContext {
        tenant: "default",
        invocation_id: Some("8350205582"),
        account_id: Some("22129848"),
        author_rules: rules,
    }
}

fn zd(name: &str) -> ParsedEvent {
    let rules = AuthorRules::default();
    let mut events = zendesk::parse(&fixture("zendesk", name), &ctx(&rules))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(events.len(), 1, "{name}");
    events.remove(0)
}

fn sc(name: &str) -> Vec<ParsedEvent> {
    let rules = AuthorRules::default();
    sunshine::parse(&fixture("sunshine", name), &ctx(&rules))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sc_one(name: &str) -> ScanTarget {
    let mut events = sc(name);
    assert_eq!(events.len(), 1, "{name}");
    let mut ev = events.remove(0);
    assert_eq!(ev.disposition, Disposition::Act);
    assert_eq!(ev.targets.len(), 1, "{name}");
    ev.targets.remove(0)
}

/// `(kind, index, text, html)` of every field, for compact assertions.
fn fields(t: &ScanTarget) -> Vec<(FieldKind, u32, &str, bool)> {
    t.fields
        .iter()
        .map(|f| (f.kind, f.index, f.text.as_str(), f.html))
        .collect()
}

fn message(conversation: &str, message: &str) -> ObjectRef {
    ObjectRef::SunshineMessage {
        app_id: APP.into(),
        conversation_id: conversation.into(),
        message_id: message.into(),
    }
}

// ---------------------------------------------------------------- Zendesk event subscriptions

#[test]
fn zendesk_comment_added() {
    let ev = zd("ticket_comment_added");
    assert_eq!(ev.event_id, "d4f5c389-7a1e-4b7c-9f4e-2c1a5e8b9d01");
    assert_eq!(ev.event_type, "zen:event-type:ticket.comment_added");
    assert_eq!(ev.disposition, Disposition::Act);
    assert_eq!(ev.handoff, None);
    assert_eq!(ev.targets.len(), 2);

    let c = &ev.targets[0];
    assert_eq!(c.source, Source::Zendesk);
    assert_eq!(c.tenant, "default");
    assert_eq!(c.account, "22129848");
    assert_eq!(c.event_id, ev.event_id);
    assert_eq!(
        c.object,
        ObjectRef::ZendeskComment {
            ticket_id: 5158,
            comment_id: Some(9_876_543_210)
        }
    );
    assert_eq!(c.author, AuthorKind::HumanAgent);
    assert_eq!(c.public, Some(true));
    assert_eq!(c.channel.as_deref(), Some("web"));
    assert_eq!(c.brand_id, Some(360_001_234_567));
    assert_eq!(c.group_id, Some(360_009_876_543));
    assert_eq!(c.intent, Intent::Content);
    assert!(!c.ai_involved);
    assert_eq!(
        fields(c),
        vec![(
            FieldKind::CommentBody,
            0,
            "Thanks Jane. To confirm: SSN 287-65-4321, date of birth 03/14/1962, callback (415) 555-0134.",
            false
        )]
    );

    let d = &ev.targets[1];
    assert_eq!(
        d.object,
        ObjectRef::ZendeskTicketField {
            ticket_id: 5158,
            field: TicketField::Description
        }
    );
    assert_eq!(d.author, AuthorKind::Unknown);
    assert_eq!(d.fields.len(), 1);
    assert_eq!(d.fields[0].kind, FieldKind::Description);
    assert!(d.fields[0].text.contains("MRN 4471902"));
}

#[test]
fn zendesk_comment_added_end_user_and_private_and_same_description() {
    let rules = AuthorRules::default();
    let body = br#"{"account_id":1,"id":"e1","type":"zen:event-type:ticket.comment_added",
        "detail":{"id":"77","description":"call me 555-0134","via":{"channel":"EMAIL"}},
        "event":{"comment":{"id":"42","body":"call me 555-0134","is_public":false,
                 "author":{"id":5,"is_staff":false}}}}"#;
    let ev = zendesk::parse(body, &ctx(&rules)).unwrap().remove(0);
    // The description equals the comment (first comment): only the comment target remains.
    assert_eq!(ev.targets.len(), 1);
    let t = &ev.targets[0];
    assert_eq!(
        t.object,
        ObjectRef::ZendeskComment {
            ticket_id: 77,
            comment_id: Some(42)
        }
    );
    assert_eq!(t.author, AuthorKind::EndUser);
    assert_eq!(t.public, Some(false));
    assert_eq!(t.channel.as_deref(), Some("email"));
    assert_eq!(t.account, "1");
}

#[test]
fn zendesk_ticket_created() {
    let ev = zd("ticket_created");
    assert_eq!(ev.event_id, "01JH3K5Q8Z2W7Y4X6V9T1R0P3N");
    assert_eq!(ev.disposition, Disposition::Act);
    let objects: Vec<_> = ev.targets.iter().map(|t| t.object.clone()).collect();
    assert_eq!(
        objects,
        vec![
            ObjectRef::ZendeskTicketField {
                ticket_id: 35436,
                field: TicketField::Subject
            },
            ObjectRef::ZendeskTicketField {
                ticket_id: 35436,
                field: TicketField::Description
            },
        ]
    );
    assert_eq!(
        fields(&ev.targets[0]),
        vec![(
            FieldKind::Subject,
            0,
            "Refill for John Q Sample DOB 1971-07-04",
            false
        )]
    );
    assert_eq!(ev.targets[1].fields[0].kind, FieldKind::Description);
    assert!(ev.targets[1].fields[0].text.contains("536-22-8146"));
    assert!(
        ev.targets
            .iter()
            .all(|t| t.channel.as_deref() == Some("email")
                && t.group_id.is_none()
                && t.intent == Intent::Content)
    );
}

#[test]
fn zendesk_attachment_linked() {
    let ev = zd("attachment_linked");
    assert_eq!(ev.disposition, Disposition::Act);
    assert_eq!(ev.targets.len(), 1);
    let t = &ev.targets[0];
    assert_eq!(
        t.object,
        ObjectRef::ZendeskAttachment {
            ticket_id: 19395,
            comment_id: 8_658_726_228_478,
            attachment_id: 8_658_726_230_270
        }
    );
    assert_eq!(
        fields(t),
        vec![(
            FieldKind::FileName,
            0,
            "lab_results_jane_roe_287-65-4321.pdf",
            false
        )]
    );
    assert_eq!(t.public, Some(false));
    assert_eq!(t.channel.as_deref(), Some("mail"));
    assert_eq!(t.attachments.len(), 1);
    let a = &t.attachments[0];
    assert_eq!(a.id, Some(8_658_726_230_270));
    assert_eq!(a.media_type.as_deref(), Some("application/pdf"));
    assert_eq!(a.size, None);
    // The content URL embeds the file name; ids are enough to redact, so it is not kept.
    assert_eq!(a.url, None);
    assert!(!a.from_end_user);
}

#[test]
fn zendesk_messaging_ai_agent() {
    let ev = zd("messaging_message_added_ai");
    assert_eq!(
        ev.event_type,
        "zen:event-type:messaging_ticket.message_added"
    );
    let t = &ev.targets[0];
    assert_eq!(
        t.object,
        ObjectRef::ZendeskMessagingMessage {
            ticket_id: 6021,
            conversation_id: Some("65a1f0c2e4b0a1b2c3d4e5f6".into()),
            message_id: Some("65a1f0d8e4b0a1b2c3d4e5f7".into())
        }
    );
    assert_eq!(t.author, AuthorKind::AiAgent);
    assert!(t.ai_involved);
    assert_eq!(t.public, Some(true));
    assert_eq!(t.channel.as_deref(), Some("web_messaging"));
    assert_eq!(t.fields.len(), 1);
    assert_eq!(t.fields[0].kind, FieldKind::MessageText);
    assert!(t.fields[0].text.contains("(212) 555-0187"));
}

#[test]
fn zendesk_messaging_end_user() {
    let t = zd("messaging_message_added_user").targets.remove(0);
    assert_eq!(t.author, AuthorKind::EndUser);
    assert!(!t.ai_involved);
    assert_eq!(
        fields(&t),
        vec![(
            FieldKind::MessageText,
            0,
            "hi, my ssn is 412-73-5590 and i need to reschedule my MRI",
            false
        )]
    );
}

#[test]
fn zendesk_messaging_actor_types_and_configurable_ai_actor() {
    let body = |actor: &str| {
        format!(
            r#"{{"account_id":1,"id":"e","type":"zen:event-type:messaging_ticket.message_added",
            "detail":{{"id":"9"}},"event":{{"actor":{actor},"message":{{"id":"m","body":"x"}}}}}}"#
        )
    };
    let rules = AuthorRules::default();
    for (actor, want) in [
        (r#"{"id":"1","type":"agent"}"#, AuthorKind::HumanAgent),
        (r#"{"id":"1","type":"trigger"}"#, AuthorKind::System),
        (r#"{"id":"1","type":"system"}"#, AuthorKind::System),
        (
            r#"{"id":"zd:answerbot","type":"system"}"#,
            AuthorKind::AiAgent,
        ),
        (r#"{"id":"1"}"#, AuthorKind::Unknown),
    ] {
        let ev = zendesk::parse(body(actor).as_bytes(), &ctx(&rules)).unwrap();
        assert_eq!(ev[0].targets[0].author, want, "{actor}");
        assert_eq!(
            ev[0].targets[0].object,
            ObjectRef::ZendeskMessagingMessage {
                ticket_id: 9,
                conversation_id: None,
                message_id: Some("m".into())
            }
        );
    }
    let custom = AuthorRules {
        ai_actor_ids: vec!["acme-bot".into()],
        ..AuthorRules::default()
    };
    let ev = zendesk::parse(
        body(r#"{"id":"acme-bot","type":"system"}"#).as_bytes(),
        &ctx(&custom),
    )
    .unwrap();
    assert_eq!(ev[0].targets[0].author, AuthorKind::AiAgent);
}

#[test]
fn zendesk_custom_field_changed() {
    let ev = zd("custom_field_changed");
    let t = &ev.targets[0];
    assert_eq!(
        t.object,
        ObjectRef::ZendeskTicketField {
            ticket_id: 5158,
            field: TicketField::Custom(360_012_345_678)
        }
    );
    assert_eq!(
        fields(t),
        vec![(
            FieldKind::CustomField,
            0,
            "Policy holder SSN 601-44-2378",
            false
        )]
    );
}

#[test]
fn zendesk_subject_and_description_changed_and_multiselect_custom_field() {
    let rules = AuthorRules::default();
    let parse = |ty: &str, event: &str| {
        let body = format!(
            r#"{{"account_id":1,"id":"e","type":"zen:event-type:{ty}","detail":{{"id":"3",
            "subject":"old","description":"first"}},"event":{event}}}"#
        );
        zendesk::parse(body.as_bytes(), &ctx(&rules))
            .unwrap()
            .remove(0)
    };
    let s = parse(
        "ticket.subject_changed",
        r#"{"current":"DOB 1970-01-02","previous":"x"}"#,
    );
    assert_eq!(
        s.targets[0].object,
        ObjectRef::ZendeskTicketField {
            ticket_id: 3,
            field: TicketField::Subject
        }
    );
    assert_eq!(s.targets[0].fields[0].text, "DOB 1970-01-02");
    let d = parse("ticket.description_changed", "{}");
    assert_eq!(d.targets[0].fields[0].kind, FieldKind::Description);
    assert_eq!(d.targets[0].fields[0].text, "first");
    let m = parse(
        "ticket.custom_field_changed",
        r#"{"custom_field_id":7,"current":["diabetes","hiv_positive"]}"#,
    );
    assert_eq!(m.targets[0].fields[0].text, "diabetes, hiv_positive");
    // Cleared field: nothing to scan, still an authentic act event.
    let e = parse(
        "ticket.custom_field_changed",
        r#"{"custom_field":{"id":"7"},"current":null}"#,
    );
    assert_eq!(e.disposition, Disposition::Act);
    assert!(e.targets.is_empty());
    let rules = AuthorRules::default();
    let missing = br#"{"id":"e","account_id":1,"type":"zen:event-type:ticket.custom_field_changed","detail":{"id":"3"},"event":{"current":"x"}}"#;
    assert_eq!(
        zendesk::parse(missing, &ctx(&rules)),
        Err(ParseError::MissingField("event.custom_field.id"))
    );
}

#[test]
fn zendesk_confirmations() {
    let ev = zd("comment_redacted");
    assert_eq!(ev.disposition, Disposition::Confirmation);
    assert_eq!(ev.targets.len(), 1);
    let t = &ev.targets[0];
    assert_eq!(t.intent, Intent::Confirmation);
    assert!(t.fields.is_empty());
    assert_eq!(
        t.object,
        ObjectRef::ZendeskComment {
            ticket_id: 5158,
            comment_id: Some(9_876_543_210)
        }
    );
    let rules = AuthorRules::default();
    for (ty, event, want) in [
        (
            "ticket.attachment_redacted_from_comment",
            r#"{"comment":{"id":"11","attachment":{"id":"12"}}}"#,
            ObjectRef::ZendeskAttachment {
                ticket_id: 3,
                comment_id: 11,
                attachment_id: 12,
            },
        ),
        (
            "ticket.comment_made_private",
            r#"{"comment":{"id":11}}"#,
            ObjectRef::ZendeskComment {
                ticket_id: 3,
                comment_id: Some(11),
            },
        ),
        (
            "ticket.soft_deleted",
            "{}",
            ObjectRef::ZendeskTicket { ticket_id: 3 },
        ),
        (
            "ticket.permanently_deleted",
            "{}",
            ObjectRef::ZendeskTicket { ticket_id: 3 },
        ),
    ] {
        let body = format!(
            r#"{{"account_id":1,"id":"e","type":"zen:event-type:{ty}","subject":"zen:ticket:3","event":{event}}}"#
        );
        let ev = zendesk::parse(body.as_bytes(), &ctx(&rules))
            .unwrap()
            .remove(0);
        assert_eq!(ev.disposition, Disposition::Confirmation, "{ty}");
        assert_eq!(ev.targets[0].object, want, "{ty}");
        assert_eq!(ev.targets[0].intent, Intent::Confirmation);
    }
}

#[test]
fn zendesk_ignored_types() {
    let ev = zd("user_created");
    assert_eq!(ev.disposition, Disposition::Ignored);
    assert_eq!(ev.event_id, "01JH5Z9Y8X7W6V5T4S3R2Q1P0N");
    assert_eq!(ev.event_type, "zen:event-type:user.created");
    assert!(ev.targets.is_empty());
    let rules = AuthorRules::default();
    for ty in [
        "organization.created",
        "ticket.merged",
        "ticket.status_changed",
    ] {
        // Ignored types need nothing but the type (no id, no detail).
        let body = format!(r#"{{"type":"zen:event-type:{ty}"}}"#);
        let ev = zendesk::parse(body.as_bytes(), &ctx(&rules))
            .unwrap()
            .remove(0);
        assert_eq!(ev.disposition, Disposition::Ignored, "{ty}");
        assert_eq!(ev.event_id, "8350205582");
    }
}

// ---------------------------------------------------------------- Zendesk trigger webhooks

#[test]
fn zendesk_trigger_ids_only() {
    let ev = zd("trigger_ids_only");
    assert_eq!(ev.event_id, "8350205582");
    assert_eq!(ev.event_type, zendesk::TRIGGER_EVENT_TYPE);
    assert_eq!(ev.disposition, Disposition::Act);
    let t = &ev.targets[0];
    assert_eq!(t.intent, Intent::FetchAndScan);
    assert_eq!(
        t.object,
        ObjectRef::ZendeskComment {
            ticket_id: 35436,
            comment_id: Some(9_876_543_210)
        }
    );
    assert_eq!(t.account, "22129848");
    assert_eq!(t.channel.as_deref(), Some("web_form"));
    assert_eq!(t.brand_id, Some(360_001_234_567));
    assert_eq!(t.group_id, Some(360_009_876_543));
    assert!(t.fields.is_empty());
    assert_eq!(t.author, AuthorKind::Unknown);
}

#[test]
fn zendesk_trigger_template_rendered_with_missing_placeholders() {
    let rules = AuthorRules::default();
    // Unknown placeholders render empty; an unrendered comment id is treated as absent.
    let rendered = zendesk::TRIGGER_TEMPLATE
        .replace("{{ticket.id}}", "35436")
        .replace("{{ticket.via}}", "Mail")
        .replace("{{ticket.brand.id}}", "")
        .replace("{{ticket.group.id}}", "");
    let ev = zendesk::parse(rendered.as_bytes(), &ctx(&rules))
        .unwrap()
        .remove(0);
    let t = &ev.targets[0];
    assert_eq!(t.object, ObjectRef::ZendeskTicket { ticket_id: 35436 });
    assert_eq!(t.channel.as_deref(), Some("mail"));
    assert_eq!((t.brand_id, t.group_id), (None, None));
    // No account anywhere: a clear error.
    let no_account = ParseContext {
        account_id: None,
        ..ctx(&rules)
    };
    assert_eq!(
        zendesk::parse(rendered.as_bytes(), &no_account),
        Err(ParseError::MissingField("account_id"))
    );
}

// ---------------------------------------------------------------- Sunshine

#[test]
fn sunshine_text_from_user() {
    let events = sc("message_text_user");
    assert_eq!(events[0].event_id, "5f74a0d52b5315fc007e798a");
    assert_eq!(events[0].event_type, "conversation:message");
    let t = sc_one("message_text_user");
    assert_eq!(t.source, Source::Sunshine);
    assert_eq!(t.account, APP);
    assert_eq!(t.event_id, "5f74a0d52b5315fc007e798a");
    assert_eq!(t.object, message(CONV, "5f74a0d52b5315fc007e7989"));
    assert_eq!(t.author, AuthorKind::EndUser);
    assert!(!t.ai_involved);
    assert_eq!(t.channel.as_deref(), Some("web"));
    assert_eq!(t.public, Some(true));
    assert_eq!(t.intent, Intent::Content);
    assert_eq!(
        fields(&t),
        vec![(
            FieldKind::MessageText,
            0,
            "My name is Robert Example, SSN 219-44-5567, and my new number is 617-555-0199.",
            false
        )]
    );
    assert!(t.attachments.is_empty());
}

#[test]
fn sunshine_ai_agent_by_source_type() {
    let t = sc_one("message_ai_agent");
    assert_eq!(t.author, AuthorKind::AiAgent);
    assert!(t.ai_involved);
    assert_eq!(t.channel, None);
    assert_eq!(
        fields(&t),
        vec![
            (
                FieldKind::MessageText,
                0,
                "Thanks Robert. I see date of birth 02/29/1984 on your file. Is 617-555-0199 still correct?",
                false
            ),
            (FieldKind::Other, 0, "Yes, 617-555-0199", false),
            (FieldKind::Payload, 0, "CONFIRM_PHONE_617-555-0199", false),
            (FieldKind::Other, 1, "No", false),
            (FieldKind::Payload, 1, "DENY_PHONE", false),
        ]
    );
    // Configurable: if the AI source list is emptied, the AI switchboard still decides.
    let rules = AuthorRules {
        ai_source_types: vec![],
        ..AuthorRules::default()
    };
    let ev = sunshine::parse(&fixture("sunshine", "message_ai_agent"), &ctx(&rules)).unwrap();
    assert_eq!(ev[0].targets[0].author, AuthorKind::AiAgent);
    let rules = AuthorRules {
        ai_source_types: vec![],
        ai_switchboard_types: vec![],
        ..AuthorRules::default()
    };
    let ev = sunshine::parse(&fixture("sunshine", "message_ai_agent"), &ctx(&rules)).unwrap();
    assert_eq!(ev[0].targets[0].author, AuthorKind::Unknown);
    assert!(!ev[0].targets[0].ai_involved);
}

#[test]
fn sunshine_agent_html() {
    let t = sc_one("message_agent_html");
    assert_eq!(t.author, AuthorKind::HumanAgent);
    assert!(!t.ai_involved);
    assert_eq!(
        fields(&t),
        vec![
            (
                FieldKind::MessageText,
                0,
                "Robert, your claim for SSN 219-44-5567 is approved.",
                false
            ),
            (
                FieldKind::MessageHtml,
                0,
                "<p>Robert, your claim for SSN <b>219-44-5567</b> is approved.</p>",
                true
            ),
        ]
    );
}

#[test]
fn sunshine_image() {
    let t = sc_one("message_image");
    assert_eq!(t.author, AuthorKind::EndUser);
    assert_eq!(t.channel.as_deref(), Some("whatsapp"));
    assert_eq!(
        fields(&t),
        vec![
            (
                FieldKind::MessageText,
                0,
                "front of my insurance card, member 219-44-5567",
                false
            ),
            (
                FieldKind::AltText,
                0,
                "insurance_card_robert_example.jpg",
                false
            ),
        ]
    );
    assert_eq!(t.attachments.len(), 1);
    let a = &t.attachments[0];
    assert!(
        a.url
            .as_deref()
            .unwrap()
            .ends_with("/insurance_card_robert_example.jpg")
    );
    assert_eq!(a.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(a.size, Some(48213));
    assert_eq!(a.id, None);
    assert!(a.from_end_user);
}

#[test]
fn sunshine_file_name_is_in_alt_text() {
    let t = sc_one("message_file");
    assert_eq!(
        fields(&t),
        vec![(
            FieldKind::FileName,
            0,
            "discharge_summary_robert_example_1984-02-29.pdf",
            false
        )]
    );
    assert_eq!(t.attachments[0].size, Some(1_048_576));
    assert_eq!(
        t.attachments[0].media_type.as_deref(),
        Some("application/pdf")
    );
    assert!(t.attachments[0].from_end_user);
}

#[test]
fn sunshine_carousel() {
    let t = sc_one("message_carousel");
    assert_eq!(t.author, AuthorKind::AiAgent, "subtype bot");
    assert!(t.ai_involved);
    assert_eq!(
        fields(&t),
        vec![
            (
                FieldKind::ItemTitle,
                0,
                "Cardiology follow-up for Robert Example",
                false
            ),
            (
                FieldKind::ItemDescription,
                0,
                "Mon 3 Feb 09:30, Dr. Example, MRN 7730441",
                false
            ),
            (FieldKind::AltText, 0, "Clinic A entrance", false),
            (FieldKind::Other, 0, "Book 3 Feb", false),
            (FieldKind::Payload, 0, "BOOK_7730441_0203", false),
            (FieldKind::Other, 1, "Details", false),
            (
                FieldKind::Other,
                2,
                "https://clinic.example.com/appt?mrn=7730441",
                false
            ),
            (FieldKind::ItemTitle, 1, "Lab draw", false),
            (FieldKind::ItemDescription, 1, "Tue 4 Feb 08:00", false),
            (FieldKind::Other, 3, "Book 4 Feb", false),
            (FieldKind::Payload, 1, "BOOK_LAB_0204", false),
        ]
    );
    assert_eq!(t.attachments.len(), 1);
    assert!(!t.attachments[0].from_end_user);
    assert_eq!(t.attachments[0].media_type.as_deref(), Some("image/png"));
}

#[test]
fn sunshine_form_response() {
    let t = sc_one("message_form_response");
    assert_eq!(
        fields(&t),
        vec![
            (FieldKind::FormField, 0, "Robert Example", false),
            (FieldKind::FormField, 1, "robert.example@example.net", false),
            (FieldKind::FormField, 2, "Prescription refill", false),
            (FieldKind::FormField, 3, "refill", false),
            (
                FieldKind::MessageText,
                0,
                "Full name: Robert Example\nEmail: robert.example@example.net\nReason: Prescription refill",
                false
            ),
        ]
    );
}

#[test]
fn sunshine_form_sent_by_business() {
    let rules = AuthorRules::default();
    let body = format!(
        r#"{{"app":{{"id":"{APP}"}},"events":[{{"id":"e","type":"conversation:message","payload":{{
        "conversation":{{"id":"{CONV}"}},"message":{{"id":"m","author":{{"type":"business","subtypes":["agent"]}},
        "content":{{"type":"form","fields":[{{"type":"text","name":"dob","label":"Date of birth","placeholder":"MM/DD/YYYY"}},
        {{"type":"select","name":"plan","label":"Plan","options":[{{"name":"a","label":"Gold"}}]}}]}}}}}}}}]}}"#
    );
    let t = sunshine::parse(body.as_bytes(), &ctx(&rules))
        .unwrap()
        .remove(0)
        .targets
        .remove(0);
    assert_eq!(t.author, AuthorKind::HumanAgent);
    let texts: Vec<_> = t.fields.iter().map(|f| (f.kind, f.text.as_str())).collect();
    assert_eq!(
        texts,
        vec![
            (FieldKind::FormField, "Date of birth"),
            (FieldKind::FormField, "dob"),
            (FieldKind::FormField, "MM/DD/YYYY"),
            (FieldKind::FormField, "Plan"),
            (FieldKind::FormField, "plan"),
            (FieldKind::FormField, "Gold"),
        ]
    );
}

#[test]
fn sunshine_location() {
    let t = sc_one("message_location");
    assert_eq!(t.channel.as_deref(), Some("messenger"));
    assert_eq!(
        fields(&t),
        vec![
            (FieldKind::Location, 0, "42.360082,-71.05888", false),
            (FieldKind::Location, 1, "Robert's home", false),
            (
                FieldKind::Location,
                2,
                "12 Example Lane, Boston, MA 02108",
                false
            ),
            (
                FieldKind::MessageText,
                0,
                "I am home, 12 Example Lane",
                false
            ),
        ]
    );
}

#[test]
fn sunshine_batch_mixed() {
    let events = sc("batch_mixed");
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.event_id.as_str(), e.event_type.as_str(), e.disposition))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "6606000000000000000000a1",
                "conversation:create",
                Disposition::Act
            ),
            (
                "6606000000000000000000a2",
                "conversation:message",
                Disposition::Act
            ),
            (
                "6606000000000000000000a3",
                "client:add",
                Disposition::Ignored
            ),
            (
                "6606000000000000000000a4",
                "switchboard:passControl",
                Disposition::Act
            ),
            (
                "6606000000000000000000a5",
                "user:update",
                Disposition::Ignored
            ),
            (
                "6606000000000000000000a6",
                "conversation:remove",
                Disposition::Confirmation
            ),
        ]
    );
    let conv = ObjectRef::SunshineConversation {
        app_id: APP.into(),
        conversation_id: "d62bc3cc9eee6d0f5b4f7f6e".into(),
    };

    let create = &events[0].targets[0];
    assert_eq!(create.intent, Intent::ConversationCreated);
    assert_eq!(create.object, conv);
    assert_eq!(create.channel.as_deref(), Some("web"));
    assert!(create.ai_involved);

    let msg = &events[1].targets[0];
    assert_eq!(
        msg.object,
        message("d62bc3cc9eee6d0f5b4f7f6e", "6606000000000000000000b2")
    );
    assert_eq!(msg.author, AuthorKind::EndUser);
    assert!(msg.ai_involved, "user talking to the AI agent");
    assert_eq!(msg.fields[0].text, "need my results, ssn 305-58-1176");

    assert!(events[2].targets.is_empty() && events[4].targets.is_empty());

    let handoff = &events[3];
    assert_eq!(handoff.targets[0].intent, Intent::Handoff);
    assert_eq!(handoff.targets[0].object, conv);
    let h = handoff.handoff.unwrap();
    assert_eq!(h.action, SwitchboardAction::PassControl);
    assert_eq!(h.reason, Some(HandoffReason::TicketClosed));
    assert!(h.ai_integration);

    let removed = &events[5].targets[0];
    assert_eq!(removed.intent, Intent::Confirmation);
    assert_eq!(removed.object, conv);
}

#[test]
fn sunshine_switchboard_variants() {
    let rules = AuthorRules::default();
    let body = |ty: &str, extra: &str| {
        format!(
            r#"{{"app":{{"id":"{APP}"}},"events":[{{"id":"e","type":"{ty}","payload":{{
            "conversation":{{"id":"{CONV}"}}{extra}}}}}]}}"#
        )
    };
    for (ty, extra, action, reason, ai) in [
        (
            "switchboard:passControl",
            r#","reason":"transferToEmail","switchboardIntegration":{"integrationType":"zd:agentWorkspace"}"#,
            SwitchboardAction::PassControl,
            Some(HandoffReason::TransferToEmail),
            false,
        ),
        (
            "switchboard:passControl",
            r#","reason":"somethingNew""#,
            SwitchboardAction::PassControl,
            Some(HandoffReason::Other),
            false,
        ),
        (
            "switchboard:acceptControl",
            r#","switchboardIntegration":{"integrationType":"ultimate"}"#,
            SwitchboardAction::AcceptControl,
            None,
            true,
        ),
        (
            "switchboard:releaseControl",
            "",
            SwitchboardAction::ReleaseControl,
            None,
            false,
        ),
        (
            "switchboard:offerControl",
            "",
            SwitchboardAction::OfferControl,
            None,
            false,
        ),
    ] {
        let ev = sunshine::parse(body(ty, extra).as_bytes(), &ctx(&rules))
            .unwrap()
            .remove(0);
        assert_eq!(ev.disposition, Disposition::Act, "{ty}");
        let h = ev.handoff.unwrap();
        assert_eq!(
            (h.action, h.reason, h.ai_integration),
            (action, reason, ai),
            "{ty} {extra}"
        );
        assert_eq!(ev.targets[0].ai_involved, ai);
    }
}

#[test]
fn sunshine_user_remove() {
    let events = sc("user_remove");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].disposition, Disposition::Confirmation);
    assert_eq!(events[0].event_id, "6607000000000000000000c1");
    let t = &events[0].targets[0];
    assert_eq!(t.intent, Intent::Confirmation);
    assert_eq!(
        t.object,
        ObjectRef::SunshineUser {
            app_id: APP.into(),
            user_id: "5f1ba6c53a6a4b000c2c7e0a".into()
        }
    );
}

// ---------------------------------------------------------------- negative cases

#[test]
fn sunshine_shape_errors_are_specific() {
    let rules = AuthorRules::default();
    let c = ctx(&rules);
    let cases: &[(&str, ParseError)] = &[
        (
            r#"{"app":{"id":"a"},"events":{}}"#,
            ParseError::InvalidField("events"),
        ),
        (r#"{"app":{"id":"a"}}"#, ParseError::MissingField("events")),
        (r#"{"events":[]}"#, ParseError::MissingField("app.id")),
        (
            r#"{"app":{"id":7.5},"events":[]}"#,
            ParseError::InvalidField("app.id"),
        ),
        (r#"[]"#, ParseError::InvalidField("body")),
        (
            r#"{"app":{"id":"a"},"events":[1]}"#,
            ParseError::InvalidField("events[]"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"type":"conversation:message"}]}"#,
            ParseError::MissingField("events[].id"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"id":"e"}]}"#,
            ParseError::MissingField("events[].type"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"id":"e","type":"conversation:message","payload":{"message":{"id":"m"}}}]}"#,
            ParseError::MissingField("events[].payload.conversation.id"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"id":"e","type":"conversation:message","payload":{"conversation":{"id":"c"}}}]}"#,
            ParseError::MissingField("events[].payload.message"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"id":"e","type":"conversation:message","payload":{"conversation":{"id":"c"},"message":{"content":{"type":"text","text":"SSN 287-65-4321"}}}}]}"#,
            ParseError::MissingField("events[].payload.message.id"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"id":"e","type":"user:remove","payload":{"user":{}}}]}"#,
            ParseError::MissingField("events[].payload.user.id"),
        ),
        (
            r#"{"app":{"id":"a"},"events":[{"id":"e","type":"conversation:remove","payload":{}}]}"#,
            ParseError::MissingField("events[].payload.conversation.id"),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            sunshine::parse(body.as_bytes(), &c).as_ref(),
            Err(want),
            "{body}"
        );
    }
    // An empty batch is valid and yields nothing.
    assert_eq!(
        sunshine::parse(br#"{"app":{"id":"a"},"events":[]}"#, &c),
        Ok(vec![])
    );
}

#[test]
fn zendesk_shape_errors_are_specific() {
    let rules = AuthorRules::default();
    let c = ctx(&rules);
    let cases: &[(&str, ParseError)] = &[
        (
            r#"{"type":"zen:event-type:ticket.comment_added","detail":{"id":"1"},"event":{"comment":{"id":1,"body":"x"}}}"#,
            ParseError::MissingField("id"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.comment_added","event":{"comment":{"id":1,"body":"x"}}}"#,
            ParseError::MissingField("detail.id"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.comment_added","detail":{"id":"abc"},"event":{"comment":{}}}"#,
            ParseError::InvalidField("detail.id"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.comment_added","detail":{"id":"1"},"event":{}}"#,
            ParseError::MissingField("event.comment"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.comment_added","detail":{"id":"1"},"event":{"comment":"SSN 287-65-4321"}}"#,
            ParseError::InvalidField("event.comment"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.comment_added","detail":{"id":"1"},"event":{"comment":{"id":"x1","body":"b"}}}"#,
            ParseError::InvalidField("event.comment.id"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.attachment_linked_to_comment","detail":{"id":"1"},"event":{"comment":{"id":"2"}}}"#,
            ParseError::MissingField("event.comment.attachment"),
        ),
        (
            r#"{"id":"e","type":"zen:event-type:ticket.attachment_linked_to_comment","detail":{"id":"1"},"event":{"comment":{"id":"2","attachment":{"filename":"a.pdf"}}}}"#,
            ParseError::MissingField("event.comment.attachment.id"),
        ),
        (
            r#"{"id":["e"],"type":"zen:event-type:ticket.created","detail":{"id":"1"}}"#,
            ParseError::InvalidField("id"),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            zendesk::parse(body.as_bytes(), &c).as_ref(),
            Err(want),
            "{body}"
        );
    }
}

#[test]
fn malformed_json_reports_position_only() {
    let rules = AuthorRules::default();
    let c = ctx(&rules);
    let body = b"{\n  \"app\": {\"id\": \"a\"},\n  \"events\": [{\"id\": \"SSN 287-65-4321\" \"type\": 1}]\n}";
    let err = sunshine::parse(body, &c).unwrap_err();
    assert_eq!(
        err,
        ParseError::MalformedJson {
            line: 3,
            column: 39
        }
    );
    assert_eq!(err.reason(), "malformed_json");
    assert!(!format!("{err} {err:?}").contains("287"));
    // A valid-JSON type error must not leak the value either (serde_json's message would).
    let err = zendesk::parse(
        br#"{"id":"e","type":"zen:event-type:ticket.created","detail":{"id":"SSN 287-65-4321"}}"#,
        &c,
    )
    .unwrap_err();
    assert_eq!(err, ParseError::InvalidField("detail.id"));
    assert!(!format!("{err} {err:?}").contains("287"));
    // Truncated body.
    let full = fixture("sunshine", "batch_mixed");
    assert!(matches!(
        sunshine::parse(&full[..full.len() / 2], &c),
        Err(ParseError::MalformedJson { .. })
    ));
    // Invalid UTF-8 after verification.
    let mut bad = fixture("zendesk", "ticket_comment_added");
    bad[40] = 0xff;
    assert_eq!(zendesk::parse(&bad, &c), Err(ParseError::InvalidUtf8));
    assert_eq!(sunshine::parse(&bad, &c), Err(ParseError::InvalidUtf8));
}

// ---------------------------------------------------------------- verify + parse end to end

/// HMAC-SHA256 written from RFC 2104 on top of `sha2`, independent of the `hmac` crate and of
/// `sign_zendesk`.
fn reference_hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn reference_sign(secret: &str, ts: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    let mut msg = ts.as_bytes().to_vec();
    msg.extend_from_slice(body);
    base64::engine::general_purpose::STANDARD.encode(reference_hmac(secret.as_bytes(), &msg))
}

#[test]
fn reference_signer_reproduces_published_vectors() {
    assert_eq!(
        reference_sign(
            ZENDESK_TEST_SECRET,
            "2025-01-01T00:00:00Z",
            br#"{"type":"zen:event-type:ticket.comment_added","id":"00000000-0000-4000-8000-000000000001"}"#
        ),
        "IpXY90ya7tIZ1R+j3z5BGuyC6Lyxg3jjhbD88tdln0w="
    );
    assert_eq!(
        reference_sign(ZENDESK_TEST_SECRET, "2025-01-01T00:00:00Z", b""),
        "ieL7i5iFCwEJzhw9F6F5j+YaGSedD0Knbuh0h7nXnBs="
    );
    // A key longer than the block size takes the hashed-key path.
    let long = "k".repeat(100);
    assert_eq!(
        reference_sign(&long, "t", b"b"),
        phi_guard::ingest::verify::sign_zendesk(&long, "t", b"b")
    );
}

#[test]
fn every_zendesk_fixture_verifies_then_parses() {
    let secret = "whsec-Zr8fT1pQ9vXw2yK4mN6bC3dE5gH7jL0a";
    let verifier = ZendeskVerifier::new(
        [(
            "default",
            vec![
                SecretString::from("old-secret-being-rotated-out"),
                SecretString::from(secret),
            ],
        )],
        TimestampWindow::default(),
        false,
    )
    .unwrap();
    let ts = "2025-01-08T14:25:31Z";
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_736_346_331 + 5);
    let rules = AuthorRules::default();
    for name in ZENDESK_FIXTURES {
        let body = fixture("zendesk", name);
        let sig = reference_sign(secret, ts, &body);
        let headers = [
            ("X-Zendesk-Webhook-Signature", sig.as_str()),
            ("X-Zendesk-Webhook-Signature-Timestamp", ts),
            ("X-Zendesk-Account-Id", "22129848"),
            ("X-Zendesk-Webhook-Id", "01F1KRFQ6BG29CNWFR60NK5FNY"),
            ("X-Zendesk-Webhook-Invocation-Id", "8350205582"),
        ];
        let ok = verifier
            .verify("default", &headers, &body, now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ok.secret_index, 1);
        let pctx = ParseContext {
            tenant: "default",
            invocation_id: ok.invocation_id.as_deref(),
            account_id: ok.account_id.as_deref(),
            author_rules: &rules,
        };
        assert!(zendesk::parse(&body, &pctx).is_ok(), "{name}");

        let mut tampered = body.clone();
        tampered.push(b' ');
        assert_eq!(
            verifier.verify("default", &headers, &tampered, now),
            Err(VerifyError::BadSignature),
            "{name}"
        );
    }
}

#[test]
fn every_sunshine_fixture_verifies_then_parses() {
    let verifier = SunshineVerifier::new([(
        "default",
        vec![SecretString::from("8564b3e6a8b20a4bdb68b05ce9bc5936")],
    )])
    .unwrap();
    let rules = AuthorRules::default();
    for name in SUNSHINE_FIXTURES {
        let body = fixture("sunshine", name);
        verifier
            .verify(
                "default",
                &[("X-API-Key", "8564b3e6a8b20a4bdb68b05ce9bc5936")],
            )
            .unwrap();
        let events = sunshine::parse(&body, &ctx(&rules)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!events.is_empty(), "{name}");
    }
}

// ---------------------------------------------------------------- robustness

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any corruption of any fixture: no panic, and errors never carry a canary.
    #[test]
    fn corrupted_fixtures_never_panic_or_leak(
        which in 0usize..(ZENDESK_FIXTURES.len() + SUNSHINE_FIXTURES.len()),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (source, name) = if which < ZENDESK_FIXTURES.len() {
            ("zendesk", ZENDESK_FIXTURES[which])
        } else {
            ("sunshine", SUNSHINE_FIXTURES[which - ZENDESK_FIXTURES.len()])
        };
        let mut body = fixture(source, name);
        for (i, b) in edits {
            let i = i.index(body.len());
            body[i] = b;
        }
        if truncate {
            body.truncate(cut.index(body.len() + 1));
        }
        let rules = AuthorRules::default();
        let c = ctx(&rules);
        for result in [zendesk::parse(&body, &c).map(|_| ()), sunshine::parse(&body, &c).map(|_| ())] {
            if let Err(e) = result {
                let text = format!("{e} {e:?}");
                for canary in CANARIES {
                    prop_assert!(!text.contains(canary), "{text}");
                }
            }
        }
    }
}
