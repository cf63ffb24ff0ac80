//! Typed Sunshine Conversations (v2) API client: the endpoints enforcement uses.
//!
//! Owns: paths, bodies and response structs for listing messages (paged backwards with
//! `page[before]`), deleting a message / all messages / a conversation / a user's personal
//! information, and removing an uploaded attachment. Must not: decide what to delete or log bodies.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::api::{ApiError, HttpApi};
use super::zendesk_api::encode_query;

/// Pages read at most (100 messages each; a conversation holds at most 30,000 messages).
const MAX_PAGES: usize = 300;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    pub id: String,
    #[serde(default)]
    pub author: Author,
    #[serde(default)]
    pub content: Content,
    #[serde(default)]
    pub source: MessageSource,
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Author {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub subtypes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageSource {
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Content {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, rename = "mediaUrl")]
    pub media_url: Option<String>,
    #[serde(default)]
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Item {
    #[serde(default, rename = "mediaUrl")]
    pub media_url: Option<String>,
}

impl Message {
    /// Every media URL the message carries (image/file content, carousel/list items).
    pub fn media_urls(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.content.media_url.as_deref().into_iter().collect();
        v.extend(
            self.content
                .items
                .iter()
                .filter_map(|i| i.media_url.as_deref()),
        );
        v.retain(|u| !u.is_empty());
        v
    }
}

#[derive(Deserialize)]
struct MessagesPage {
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    meta: PageMeta,
}

/// Paging of List Messages (`meta`), shared with the reconciliation sweep.
#[derive(Default, Deserialize)]
pub(crate) struct PageMeta {
    #[serde(default, rename = "hasMore")]
    pub(crate) has_more: bool,
    #[serde(default, rename = "beforeCursor")]
    pub(crate) before_cursor: Option<String>,
}

/// The Sunshine client of one tenant.
pub struct SunshineApi {
    pub(crate) http: HttpApi,
}

fn seg(v: &str) -> String {
    encode_query(v)
}

impl SunshineApi {
    pub fn new(http: HttpApi) -> SunshineApi {
        SunshineApi { http }
    }

    /// Messages of a conversation, newest page first, paging backwards until `stop` returns true
    /// for a page or there are no more pages.
    pub async fn list_messages_until(
        &self,
        app: &str,
        conversation: &str,
        mut stop: impl FnMut(&[Message]) -> bool,
    ) -> Result<Vec<Message>, ApiError> {
        let base = format!(
            "/v2/apps/{}/conversations/{}/messages",
            seg(app),
            seg(conversation)
        );
        let mut path = base.clone();
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: MessagesPage = self
                .http
                .send_json("list_messages", Method::GET, &path, None)
                .await?;
            let done = stop(&page.messages);
            // The oldest message of the page is the cursor for the previous page.
            let oldest = page.messages.first().map(|m| m.id.clone());
            out.extend(page.messages);
            if done || !page.meta.has_more {
                break;
            }
            let cursor = page.meta.before_cursor.filter(|c| !c.is_empty()).or(oldest);
            match cursor {
                Some(c) => path = format!("{base}?page[before]={}", encode_query(&c)),
                None => break,
            }
        }
        Ok(out)
    }

    pub async fn delete_message(&self, app: &str, conv: &str, msg: &str) -> Result<(), ApiError> {
        let path = format!(
            "/v2/apps/{}/conversations/{}/messages/{}",
            seg(app),
            seg(conv),
            seg(msg)
        );
        self.http
            .send("delete_message", Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    pub async fn delete_all_messages(&self, app: &str, conv: &str) -> Result<(), ApiError> {
        let path = format!("/v2/apps/{}/conversations/{}/messages", seg(app), seg(conv));
        self.http
            .send("delete_all_messages", Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    pub async fn delete_conversation(&self, app: &str, conv: &str) -> Result<(), ApiError> {
        let path = format!("/v2/apps/{}/conversations/{}", seg(app), seg(conv));
        self.http
            .send("delete_conversation", Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    pub async fn delete_user_personal_info(&self, app: &str, user: &str) -> Result<(), ApiError> {
        let path = format!(
            "/v2/apps/{}/users/{}/personalinformation",
            seg(app),
            seg(user)
        );
        self.http
            .send("delete_personal_information", Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    pub async fn remove_attachment(&self, app: &str, media_url: &str) -> Result<(), ApiError> {
        let body = json!({ "mediaUrl": media_url });
        self.http
            .send(
                "remove_attachment",
                Method::POST,
                &format!("/v2/apps/{}/attachments/remove", seg(app)),
                Some(&body),
            )
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_urls_from_files_and_carousels() {
        let m: Message = serde_json::from_str(
            r#"{"id":"m1","author":{"type":"business","subtypes":["AI"]},
                "content":{"type":"carousel","items":[{"mediaUrl":"https://a/1"},{"title":"x"}]},
                "source":{"type":"zd:answerBot"}}"#,
        )
        .unwrap();
        assert_eq!(m.media_urls(), vec!["https://a/1"]);
        assert_eq!(m.author.subtypes, vec!["AI"]);
        assert_eq!(m.source.kind, "zd:answerBot");
        let f: Message = serde_json::from_str(
            r#"{"id":"m2","content":{"type":"file","mediaUrl":"https://a/2","altText":"x.pdf"}}"#,
        )
        .unwrap();
        assert_eq!(f.media_urls(), vec!["https://a/2"]);
    }
}
