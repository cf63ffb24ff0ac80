//! The read endpoints the reconciliation sweep walks, as extra `impl` blocks on the enforcement
//! clients ([`ZendeskApi`], [`SunshineApi`]) so every call goes through the same `HttpApi`: the
//! tenant's rate limiter, timeouts, auth header and `phi_guard_api_*` metrics.
//!
//! Owns: paths, query strings and response structs of the Zendesk incremental ticket export,
//! List Comments with the `users` side-load, and one raw page of Sunshine List Messages. Must not:
//! log or keep bodies, or follow a link to another host (the export cursor is sent back as a
//! query value; no URL from a response is ever requested).
//!
//! # What is documented and what is not
//! - **List Comments** (`GET /api/v2/tickets/{id}/comments`, cursor paging `page[size]` ≤ 100 /
//!   `page[after]`, `include=users`) and **Sunshine List Messages** (newest page first,
//!   `page[before]`, 100 per page) are in the project's API reference.
//! - **Incremental ticket export** (`GET /api/v2/incremental/tickets/cursor.json`, first call
//!   `?start_time=<unix seconds>`, then `?cursor=<after_cursor>`; response `tickets[]`,
//!   `after_cursor`, `end_of_stream`; `per_page` up to 1000) is **not** described in our reference
//!   beyond its rate limit ("incremental exports: 10/min, 30/min with High Volume", medium
//!   confidence). The shape used here follows Zendesk's public "Incremental Exports" page and is
//!   UNCONFIRMED against a live account: fields are read leniently (everything optional except
//!   `tickets[].id`), a missing `after_cursor` ends the walk instead of looping, and deleted
//!   tickets (`status: "deleted"`) are skipped.
//! - The `users[].role` values (`end-user`, `agent`, `admin`) of the side-load are likewise from
//!   Zendesk's public Users page, not our reference: an unknown role gives author `unknown`.

use std::collections::HashMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::enforce::api::ApiError;
use crate::enforce::sunshine_api::SunshineApi;
use crate::enforce::zendesk_api::{ZendeskApi, encode_query};

/// Comment pages followed per ticket at most (a ticket holds at most 5,000 comments).
const MAX_COMMENT_PAGES: usize = 60;

/// One ticket of the incremental export (the fields the sweep reads).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExportTicket {
    pub id: u64,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub via: Option<Via>,
    #[serde(default)]
    pub brand_id: Option<u64>,
    #[serde(default)]
    pub group_id: Option<u64>,
    #[serde(default)]
    pub custom_fields: Vec<CustomField>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Via {
    #[serde(default)]
    pub channel: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomField {
    pub id: u64,
    #[serde(default)]
    pub value: Value,
}

/// One page of the export.
#[derive(Debug, Clone, Default)]
pub struct ExportPage {
    pub tickets: Vec<ExportTicket>,
    /// Entries of `tickets[]` that could not be read (no numeric `id`, wrong types): skipped.
    pub invalid: usize,
    pub after_cursor: Option<String>,
    pub end_of_stream: bool,
}

#[derive(Deserialize)]
struct RawExportPage {
    #[serde(default)]
    tickets: Vec<Value>,
    #[serde(default)]
    after_cursor: Option<String>,
    #[serde(default)]
    end_of_stream: bool,
}

/// Reads each element on its own: one malformed entry must not fail the page.
fn lenient<T: serde::de::DeserializeOwned>(items: Vec<Value>) -> (Vec<T>, usize) {
    let mut ok = Vec::with_capacity(items.len());
    let mut bad = 0;
    for v in items {
        match serde_json::from_value(v) {
            Ok(t) => ok.push(t),
            Err(_) => bad += 1,
        }
    }
    (ok, bad)
}

/// Where an export request starts.
#[derive(Debug, Clone, Copy)]
pub enum ExportFrom<'a> {
    /// First request: tickets updated at or after this Unix time (seconds).
    StartTime(u64),
    /// Later requests: the previous page's `after_cursor`.
    Cursor(&'a str),
}

/// A comment as List Comments returns it, with its author id (for the `users` side-load).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SweepComment {
    pub id: u64,
    #[serde(default)]
    pub author_id: Option<u64>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub html_body: String,
    #[serde(default)]
    pub public: Option<bool>,
    #[serde(default)]
    pub attachments: Vec<SweepAttachment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SweepAttachment {
    pub id: u64,
    #[serde(default)]
    pub file_name: String,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Deserialize)]
struct SideUser {
    id: u64,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Deserialize)]
struct CommentsPage {
    #[serde(default)]
    comments: Vec<Value>,
    #[serde(default)]
    users: Vec<Value>,
    #[serde(default)]
    meta: crate::enforce::zendesk_api::CommentsMeta,
}

/// A ticket's comments and the roles of their authors (`user id → role`).
#[derive(Debug, Clone, Default)]
pub struct TicketComments {
    pub comments: Vec<SweepComment>,
    pub roles: HashMap<u64, String>,
    /// Comments that could not be read (no numeric `id`, wrong types): skipped.
    pub invalid: usize,
}

impl ZendeskApi {
    /// One page of the cursor-based incremental ticket export (see the module doc for what is
    /// confirmed). `per_page` is clamped to 1..=1000.
    pub async fn incremental_tickets(
        &self,
        from: ExportFrom<'_>,
        per_page: u32,
    ) -> Result<ExportPage, ApiError> {
        let per_page = per_page.clamp(1, 1000);
        let path = match from {
            ExportFrom::StartTime(t) => format!(
                "/api/v2/incremental/tickets/cursor.json?start_time={t}&per_page={per_page}"
            ),
            ExportFrom::Cursor(c) => format!(
                "/api/v2/incremental/tickets/cursor.json?cursor={}&per_page={per_page}",
                encode_query(c)
            ),
        };
        let raw: RawExportPage = self
            .http
            .send_json("incremental_tickets", Method::GET, &path, None)
            .await?;
        let (tickets, invalid) = lenient(raw.tickets);
        Ok(ExportPage {
            tickets,
            invalid,
            after_cursor: raw.after_cursor,
            end_of_stream: raw.end_of_stream,
        })
    }

    /// Every comment of a ticket (oldest first, 100 per page, cursor paging) with the roles of
    /// their authors from the `users` side-load.
    pub async fn list_comments_with_authors(
        &self,
        ticket_id: u64,
    ) -> Result<TicketComments, ApiError> {
        let mut out = TicketComments::default();
        let mut after: Option<String> = None;
        for _ in 0..MAX_COMMENT_PAGES {
            let path = match &after {
                None => {
                    format!("/api/v2/tickets/{ticket_id}/comments?page[size]=100&include=users")
                }
                Some(c) => format!(
                    "/api/v2/tickets/{ticket_id}/comments?page[size]=100&include=users&page[after]={}",
                    encode_query(c)
                ),
            };
            let page: CommentsPage = self
                .http
                .send_json("list_comments", Method::GET, &path, None)
                .await?;
            let (comments, invalid) = lenient::<SweepComment>(page.comments);
            out.comments.extend(comments);
            out.invalid += invalid;
            for u in lenient::<SideUser>(page.users).0 {
                if let Some(role) = u.role {
                    out.roles.insert(u.id, role);
                }
            }
            match page.meta.after_cursor.filter(|c| !c.is_empty()) {
                Some(c) if page.meta.has_more => after = Some(c),
                _ => break,
            }
        }
        Ok(out)
    }
}

/// One page of Sunshine List Messages, messages kept as raw JSON (the sweep feeds them to the
/// same parser as webhooks).
#[derive(Debug, Clone, Default)]
pub struct RawMessagesPage {
    /// Oldest first within the page.
    pub messages: Vec<Value>,
    pub has_more: bool,
    /// Cursor for the previous (older) page.
    pub before: Option<String>,
}

#[derive(Deserialize)]
struct MessagesPage {
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    meta: crate::enforce::sunshine_api::PageMeta,
}

impl SunshineApi {
    /// One page of a conversation's messages: the newest page when `before` is `None`, else the
    /// page before that cursor.
    pub async fn messages_page(
        &self,
        app: &str,
        conversation: &str,
        before: Option<&str>,
    ) -> Result<RawMessagesPage, ApiError> {
        let mut path = format!(
            "/v2/apps/{}/conversations/{}/messages",
            encode_query(app),
            encode_query(conversation)
        );
        if let Some(b) = before {
            path.push_str(&format!("?page[before]={}", encode_query(b)));
        }
        let page: MessagesPage = self
            .http
            .send_json("list_messages", Method::GET, &path, None)
            .await?;
        // The oldest message of the page is the cursor for the previous page when the meta
        // carries none.
        let oldest = page
            .messages
            .first()
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(RawMessagesPage {
            has_more: page.meta.has_more,
            before: page.meta.before_cursor.filter(|c| !c.is_empty()).or(oldest),
            messages: page.messages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_page_decodes_leniently() {
        let p: RawExportPage = serde_json::from_str(
            r#"{"tickets":[{"id":5,"updated_at":"2026-01-01T00:00:00Z","status":"open",
                "via":{"channel":"web"},"brand_id":7,"custom_fields":[{"id":9,"value":"x"},{"id":10,"value":null}]},
                {"id":6}, {"id":"seven"}, {"subject":"no id"}, 3],
                "after_cursor":"abc","end_of_stream":false,"after_url":"https://elsewhere/"}"#,
        )
        .unwrap();
        let (tickets, invalid) = lenient::<ExportTicket>(p.tickets);
        assert_eq!((tickets.len(), invalid), (2, 3));
        assert_eq!(tickets[0].custom_fields.len(), 2);
        assert_eq!(p.after_cursor.as_deref(), Some("abc"));
        assert!(!p.end_of_stream);
        let empty: RawExportPage = serde_json::from_str("{}").unwrap();
        assert!(empty.tickets.is_empty() && !empty.end_of_stream);
    }

    #[test]
    fn comments_page_with_users() {
        let p: CommentsPage = serde_json::from_str(
            r#"{"comments":[{"id":1,"author_id":3,"body":"b","public":false,
                "attachments":[{"id":9,"file_name":"a.pdf"}]}],
                "users":[{"id":3,"role":"end-user"},{"id":4}],"meta":{"has_more":false}}"#,
        )
        .unwrap();
        let (comments, bad) = lenient::<SweepComment>(p.comments);
        assert_eq!(bad, 0);
        assert_eq!(comments[0].author_id, Some(3));
        assert_eq!(lenient::<SideUser>(p.users).0.len(), 2);
        assert_eq!(comments[0].attachments[0].file_name, "a.pdf");
    }
}
