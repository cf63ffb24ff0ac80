//! Typed Zendesk Support API client: the few endpoints enforcement uses.
//!
//! Owns: paths, request bodies and response structs for listing comments (cursor pagination),
//! Agent Workspace and classic comment redaction, attachment redaction, making a comment private,
//! adding tags, soft / permanent ticket deletion and job-status polling. Must not: decide what to
//! redact, log bodies, or follow a pagination link to a host other than the configured base URL
//! (credentials would go with it).

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
    /// The comment's author (a Zendesk user id); `None` when absent.
    #[serde(default)]
    pub author_id: Option<u64>,
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
    meta: CommentsMeta,
    #[serde(default)]
    links: Links,
}

/// Cursor paging of List Comments (`meta`), shared with the reconciliation sweep.
#[derive(Default, Deserialize)]
pub(crate) struct CommentsMeta {
    #[serde(default)]
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) after_cursor: Option<String>,
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

/// A background job as `DELETE /api/v2/deleted_tickets/{id}` and `GET /api/v2/job_statuses/{id}`
/// report it. The reference shows `{"job_status": {"id", "status": "queued", "url", ...}}` for the
/// delete; the other status values used here (`working`, `completed`, `failed`, `killed`) and the
/// same wrapper on the poll response are Zendesk's usual job vocabulary but **not confirmed** by
/// the reference, so unknown values count as "still running" and an unwrapped object is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub id: String,
    pub state: JobState,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// `queued`, `working` or any value we do not know.
    Running,
    Completed,
    /// `failed` or `killed`.
    Failed,
}

#[derive(Deserialize)]
struct JobStatusRaw {
    id: serde_json::Value,
    #[serde(default)]
    status: String,
}

#[derive(Deserialize)]
struct JobStatusEnvelope {
    job_status: Option<JobStatusRaw>,
    #[serde(flatten)]
    bare: Option<JobStatusRaw>,
}

/// Longest job id accepted (Zendesk's are 32 hex characters); it goes into a URL path.
const MAX_JOB_ID_LEN: usize = 128;

fn decode_job(bytes: &[u8], endpoint: &'static str) -> Result<JobStatus, ApiError> {
    let env: JobStatusEnvelope =
        serde_json::from_slice(bytes).map_err(|_| ApiError::Decode { endpoint })?;
    let raw = env
        .job_status
        .or(env.bare)
        .ok_or(ApiError::Decode { endpoint })?;
    let id = match raw.id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(ApiError::Decode { endpoint }),
    };
    // The id is put into a path: only plain characters, so a hostile body cannot steer the poll.
    if id.is_empty()
        || id.len() > MAX_JOB_ID_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::Decode { endpoint });
    }
    let state = match raw.status.to_ascii_lowercase().as_str() {
        "completed" => JobState::Completed,
        "failed" | "killed" => JobState::Failed,
        _ => JobState::Running,
    };
    Ok(JobStatus { id, state })
}

impl ZendeskApi {
    /// Soft-deletes a ticket (`DELETE /api/v2/tickets/{id}`, 204). An admin can restore it until
    /// it is permanently deleted.
    pub async fn soft_delete_ticket(&self, ticket_id: u64) -> Result<(), ApiError> {
        self.http
            .send(
                "soft_delete_ticket",
                Method::DELETE,
                &format!("/api/v2/tickets/{ticket_id}"),
                None,
            )
            .await
            .map(drop)
    }

    /// Starts the permanent deletion of a soft-deleted ticket
    /// (`DELETE /api/v2/deleted_tickets/{id}`): 200 with the job to poll.
    pub async fn delete_ticket_permanently(&self, ticket_id: u64) -> Result<JobStatus, ApiError> {
        const EP: &str = "delete_ticket_permanently";
        let body = self
            .http
            .send(
                EP,
                Method::DELETE,
                &format!("/api/v2/deleted_tickets/{ticket_id}"),
                None,
            )
            .await?;
        decode_job(&body, EP)
    }

    /// Reads a job (`GET /api/v2/job_statuses/{id}`).
    pub async fn job_status(&self, job_id: &str) -> Result<JobStatus, ApiError> {
        const EP: &str = "job_status";
        let body = self
            .http
            .send(
                EP,
                Method::GET,
                &format!("/api/v2/job_statuses/{}", encode_query(job_id)),
                None,
            )
            .await?;
        decode_job(&body, EP)
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
    fn job_status_decoding() {
        let j = decode_job(
            br#"{"job_status":{"id":"82de0b044094f0c67893ac9fe64f1a99","status":"queued","url":"https://x/api/v2/job_statuses/82de.json"}}"#,
            "t",
        )
        .unwrap();
        assert_eq!(j.id, "82de0b044094f0c67893ac9fe64f1a99");
        assert_eq!(j.state, JobState::Running);
        for (status, want) in [
            ("working", JobState::Running),
            ("completed", JobState::Completed),
            ("COMPLETED", JobState::Completed),
            ("failed", JobState::Failed),
            ("killed", JobState::Failed),
            ("something_new", JobState::Running),
        ] {
            let body = format!(r#"{{"job_status":{{"id":"j1","status":"{status}"}}}}"#);
            assert_eq!(
                decode_job(body.as_bytes(), "t").unwrap().state,
                want,
                "{status}"
            );
        }
        // Unwrapped object and numeric id are accepted.
        let j = decode_job(br#"{"id":42,"status":"completed"}"#, "t").unwrap();
        assert_eq!((j.id.as_str(), j.state), ("42", JobState::Completed));
        // Ids that could steer the poll path, and shapes without an id, are refused.
        for bad in [
            &br#"{"job_status":{"id":"../../tickets/1","status":"queued"}}"#[..],
            br#"{"job_status":{"id":"","status":"queued"}}"#,
            br#"{"job_status":{"status":"queued"}}"#,
            br#"{"job_status":{"id":true}}"#,
            br#"[]"#,
            b"not json",
        ] {
            assert_eq!(
                decode_job(bad, "t"),
                Err(ApiError::Decode { endpoint: "t" }),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
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
