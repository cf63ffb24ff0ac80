//! Typed Zendesk Support API client: the few endpoints enforcement uses.
//!
//! Owns: paths, request bodies and response structs for listing comments (cursor pagination),
//! Agent Workspace and classic comment redaction, attachment redaction, making a comment private
//! and adding tags. Must not: decide what to redact, log bodies, or follow a pagination link to
//! a host other than the configured base URL (credentials would go with it).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::api::{ApiError, HttpApi};

/// Pages followed at most when listing comments (a ticket holds at most 5,000 comments).
const MAX_PAGES: usize = 60;

/// A ticket comment as the API returns it (the fields enforcement reads).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub html_body: String,
    #[serde(default)]
    pub plain_body: String,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Attachment {
    pub id: u64,
    #[serde(default)]
    pub file_name: String,
}

#[derive(Deserialize)]
struct CommentsPage {
    #[serde(default)]
    comments: Vec<Comment>,
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    links: Links,
}

#[derive(Default, Deserialize)]
struct Meta {
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    after_cursor: Option<String>,
}

#[derive(Default, Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

/// The Zendesk client of one tenant.
pub struct ZendeskApi {
    pub(crate) http: HttpApi,
}

impl ZendeskApi {
    pub fn new(http: HttpApi) -> ZendeskApi {
        ZendeskApi { http }
    }

    /// Every comment of a ticket, oldest first, following cursor pagination (100 per page).
    pub async fn list_comments(&self, ticket_id: u64) -> Result<Vec<Comment>, ApiError> {
        const EP: &str = "list_comments";
        let first = format!("/api/v2/tickets/{ticket_id}/comments?page[size]=100");
        let mut next = Some(first);
        let mut out = Vec::new();
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            let page: CommentsPage = self.http.send_json(EP, Method::GET, &path, None).await?;
            out.extend(page.comments);
            if !page.meta.has_more || pages >= MAX_PAGES {
                break;
            }
            next = if let Some(cursor) = page.meta.after_cursor.filter(|c| !c.is_empty()) {
                Some(format!(
                    "/api/v2/tickets/{ticket_id}/comments?page[size]=100&page[after]={}",
                    encode_query(&cursor)
                ))
            } else {
                // Only links on our own base URL are followed.
                page.links
                    .next
                    .and_then(|n| n.strip_prefix(self.http.base()).map(str::to_string))
                    .filter(|p| p.starts_with('/'))
            };
        }
        Ok(out)
    }

    /// Agent Workspace redaction: `html_body` is the comment's HTML with `<redact>` tags.
    pub async fn redact_comment_html(
        &self,
        ticket_id: u64,
        comment_id: u64,
        html_body: &str,
    ) -> Result<(), ApiError> {
        let body = json!({"ticket_id": ticket_id, "html_body": html_body});
        self.http
            .send(
                "comment_redactions",
                Method::PUT,
                &format!("/api/v2/comment_redactions/{comment_id}"),
                Some(&body),
            )
            .await
            .map(drop)
    }

    /// Classic redaction of one string in a comment (every occurrence becomes `▇`).
    pub async fn redact_comment_text(
        &self,
        ticket_id: u64,
        comment_id: u64,
        text: &str,
    ) -> Result<(), ApiError> {
        let body = json!({ "text": text });
        self.http
            .send(
                "redact_comment_classic",
                Method::PUT,
                &format!("/api/v2/tickets/{ticket_id}/comments/{comment_id}/redact"),
                Some(&body),
            )
            .await
            .map(drop)
    }

    /// Replaces an attachment with an empty `redacted.txt`.
    pub async fn redact_attachment(
        &self,
        ticket_id: u64,
        comment_id: u64,
        attachment_id: u64,
    ) -> Result<(), ApiError> {
        self.http
            .send(
                "redact_attachment",
                Method::PUT,
                &format!(
                    "/api/v2/tickets/{ticket_id}/comments/{comment_id}/attachments/{attachment_id}/redact"
                ),
                None,
            )
            .await
            .map(drop)
    }

    pub async fn make_private(&self, ticket_id: u64, comment_id: u64) -> Result<(), ApiError> {
        self.http
            .send(
                "make_private",
                Method::PUT,
                &format!("/api/v2/tickets/{ticket_id}/comments/{comment_id}/make_private"),
                None,
            )
            .await
            .map(drop)
    }

    /// Adds tags (`PUT` adds; `POST` would replace the ticket's tags).
    pub async fn add_tags(&self, ticket_id: u64, tags: &[String]) -> Result<(), ApiError> {
        let body = json!({ "tags": tags });
        self.http
            .send(
                "add_tags",
                Method::PUT,
                &format!("/api/v2/tickets/{ticket_id}/tags"),
                Some(&body),
            )
            .await
            .map(drop)
    }
}

/// Percent-encodes a query value (cursors are opaque base64-ish strings).
pub(crate) fn encode_query(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encoding() {
        assert_eq!(encode_query("aG9s+/=x"), "aG9s%2B%2F%3Dx");
    }

    #[test]
    fn comment_page_decodes_with_missing_fields() {
        let p: CommentsPage = serde_json::from_str(
            r#"{"comments":[{"id":1,"html_body":"<p>x</p>","attachments":[{"id":9,"file_name":"a.pdf"}]}],"meta":{"has_more":true,"after_cursor":"c1"},"links":{"next":null}}"#,
        )
        .unwrap();
        assert_eq!(p.comments[0].attachments[0].file_name, "a.pdf");
        assert!(p.meta.has_more);
        let p: CommentsPage = serde_json::from_str(r#"{"comments":[]}"#).unwrap();
        assert!(!p.meta.has_more);
    }
}
