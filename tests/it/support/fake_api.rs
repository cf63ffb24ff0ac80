//! A stateful fake of the Zendesk Support and Sunshine Conversations endpoints phi-guard uses,
//! on 127.0.0.1:0, recording every request (method, path with query, body, Authorization).
//!
//! Behaviour follows the reference: 404 for unknown ids, cursor pagination (100 per page at
//! most), redaction replaces `<redact>`ed text by `▇` and stays redacted, attachment redaction
//! leaves an empty `redacted.txt`, Sunshine lists messages newest page first with
//! `page[before]`, deleting the default conversation answers 400, and `attachments/remove`
//! answers 400 for a URL it did not host. Faults are scripted per (method, path substring):
//! a status (with or without `Retry-After`) or a delay, for the next N matching calls.
//!
//! Ticket deletion: `DELETE /api/v2/tickets/{id}` moves an active ticket to the soft-deleted set
//! (204; 404 if it is not active — the reference does not say what an already soft-deleted
//! ticket answers, 404 is our assumption); `DELETE /api/v2/deleted_tickets/{id}` answers 200
//! `{job_status: {id, status: "queued", url}}` for a soft-deleted ticket, 404 otherwise; each
//! `GET /api/v2/job_statuses/{id}` advances the job `queued → working → completed` (or
//! `failed` for jobs made to fail with [`FakeApi::fail_next_jobs`]) and the ticket is purged
//! when its job completes; an unknown job is 404. Tags (`PUT /api/v2/tickets/{id}/tags`) exist
//! for active tickets only (404 otherwise).
//! For the reconciliation sweep: the cursor-based incremental ticket export
//! (`/api/v2/incremental/tickets/cursor.json`, `start_time` or `cursor`, `per_page` ≤ 1000,
//! ordered by `updated_at` then id, `after_cursor` always set, `end_of_stream` on the last page;
//! the shape follows Zendesk's public docs, which the project's reference does not cover), and
//! List Comments' `include=users` side-load (`author_id` on comments, `users[{id, role}]`).

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// Base of media URLs the fake hosts.
pub const MEDIA_BASE: &str = "https://media.smooch.io/apps/";

/// Credentials the API tests configure and the fake's callers check in `Authorization`.
pub const ZD_EMAIL: &str = "agent@clinic.example";
pub const ZD_TOKEN: &str = "zd-api-token-0123";
pub const SC_KEY_ID: &str = "app_5ebee0975ac5304b664a12fa";
pub const SC_KEY_SECRET: &str = "sc-key-secret-abcdef";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path with query, as sent.
    pub path: String,
    pub body: Option<Value>,
    pub auth: Option<String>,
    pub at: std::time::Instant,
}

#[derive(Debug, Clone)]
pub struct FakeComment {
    pub id: u64,
    pub html_body: String,
    pub public: bool,
    pub attachments: Vec<(u64, String)>,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16, Option<String>),
    Delay(Duration),
    /// A status with this exact response body (e.g. an upstream error that echoes input).
    StatusBody(u16, String),
}

struct Script {
    method: String,
    path_contains: String,
    /// None = forever.
    remaining: Option<usize>,
    fault: Fault,
}

#[derive(Default)]
pub struct State {
    pub requests: Vec<Recorded>,
    pub tickets: BTreeMap<u64, Vec<FakeComment>>,
    pub tags: HashMap<u64, Vec<String>>,
    /// conversation id → messages, oldest first.
    pub conversations: HashMap<String, Vec<Value>>,
    pub default_conversations: HashSet<String>,
    pub users: HashSet<String>,
    pub media: HashSet<String>,
    scripts: Vec<Script>,
    /// Soft-deleted tickets (restorable, listed by `deleted_tickets`).
    pub deleted_tickets: BTreeMap<u64, Vec<FakeComment>>,
    /// Tickets whose permanent deletion job completed.
    pub purged: HashSet<u64>,
    /// Permanent-deletion jobs by id.
    pub jobs: HashMap<String, FakeJob>,
    /// The next N permanent-deletion jobs end `failed` (the ticket stays soft-deleted).
    pub failing_jobs: usize,
    job_seq: u64,
    /// Incremental export: ticket id → (updated_at Unix seconds, extra ticket fields).
    pub export_tickets: BTreeMap<u64, (u64, Value)>,
    /// Comment id → (author id, role) for `author_id` and the `users` side-load.
    pub comment_authors: HashMap<u64, (u64, String)>,
}

/// A permanent-deletion job of the fake.
#[derive(Debug, Clone)]
pub struct FakeJob {
    pub ticket: u64,
    /// Polls answered so far.
    pub polls: u32,
    pub fail: bool,
    /// Statuses answered, in order (`queued` at creation, then one per poll).
    pub history: Vec<String>,
}

#[derive(Clone)]
pub struct FakeApi {
    pub base: String,
    pub state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl FakeApi {
    /// `[tenants.default|acme.zendesk|sunshine]` sections pointing at this fake, each with
    /// `requests_per_minute` and, when given, the Sunshine `app_id`.
    pub fn tenants_toml(&self, requests_per_minute: u32, app_id: Option<&str>) -> String {
        let base = &self.base;
        let app = app_id.map_or(String::new(), |a| format!("app_id = \"{a}\"\n"));
        let mut t = String::new();
        for tenant in ["default", "acme"] {
            t.push_str(&format!(
                r#"
[tenants.{tenant}.zendesk]
base_url = "{base}"
email = "{ZD_EMAIL}"
api_token = "{ZD_TOKEN}"
requests_per_minute = {requests_per_minute}
[tenants.{tenant}.sunshine]
base_url = "{base}"
{app}key_id = "{SC_KEY_ID}"
key_secret = "{SC_KEY_SECRET}"
requests_per_minute = {requests_per_minute}
"#
            ));
        }
        t
    }

    pub async fn start() -> FakeApi {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .default_service(web::to(handle))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeApi {
            base: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    pub fn add_comment(&self, ticket: u64, c: FakeComment) {
        self.state
            .lock()
            .unwrap()
            .tickets
            .entry(ticket)
            .or_default()
            .push(c);
    }

    pub fn add_message(&self, conv: &str, msg: Value) {
        let mut s = self.state.lock().unwrap();
        if let Some(u) = msg["content"]["mediaUrl"].as_str() {
            s.media.insert(u.to_string());
        }
        s.conversations
            .entry(conv.to_string())
            .or_default()
            .push(msg);
    }

    /// Lists a ticket in the incremental export, updated at `updated_at` (Unix seconds), with
    /// `extra` merged into its JSON (`subject`, `via`, `status`, ...).
    pub fn export_ticket(&self, id: u64, updated_at: u64, extra: Value) {
        self.state
            .lock()
            .unwrap()
            .export_tickets
            .insert(id, (updated_at, extra));
    }

    /// Sets a comment's author (id and role: `end-user`, `agent`, `admin`).
    pub fn comment_author(&self, comment_id: u64, author_id: u64, role: &str) {
        self.state
            .lock()
            .unwrap()
            .comment_authors
            .insert(comment_id, (author_id, role.to_string()));
    }

    /// The next `times` calls (None = all) matching method and path substring get `fault`.
    pub fn script(&self, method: &str, path_contains: &str, times: Option<usize>, fault: Fault) {
        self.state.lock().unwrap().scripts.push(Script {
            method: method.into(),
            path_contains: path_contains.into(),
            remaining: times,
            fault,
        });
    }

    /// Sets the `author_id` a comment is listed with.
    pub fn set_comment_author(&self, comment: u64, author: u64) {
        self.state
            .lock()
            .unwrap()
            .comment_authors
            .insert(comment, (author, "agent".to_string()));
    }

    /// The next `n` permanent-deletion jobs fail.
    pub fn fail_next_jobs(&self, n: usize) {
        self.state.lock().unwrap().failing_jobs = n;
    }

    /// Active (`"active"`), soft-deleted (`"soft_deleted"`), purged (`"purged"`) or unknown.
    pub fn ticket_state(&self, ticket: u64) -> &'static str {
        let s = self.state.lock().unwrap();
        if s.tickets.contains_key(&ticket) {
            "active"
        } else if s.deleted_tickets.contains_key(&ticket) {
            "soft_deleted"
        } else if s.purged.contains(&ticket) {
            "purged"
        } else {
            "unknown"
        }
    }

    pub fn jobs(&self) -> Vec<FakeJob> {
        self.state.lock().unwrap().jobs.values().cloned().collect()
    }

    pub fn tags(&self, ticket: u64) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .tags
            .get(&ticket)
            .cloned()
            .unwrap_or_default()
    }

    pub fn clear_scripts(&self) {
        self.state.lock().unwrap().scripts.clear();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Requests other than reads.
    pub fn writes(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    pub fn comment(&self, ticket: u64, id: u64) -> Option<FakeComment> {
        self.state
            .lock()
            .unwrap()
            .tickets
            .get(&ticket)?
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    pub fn messages(&self, conv: &str) -> Vec<Value> {
        self.state
            .lock()
            .unwrap()
            .conversations
            .get(conv)
            .cloned()
            .unwrap_or_default()
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn comment_json(c: &FakeComment) -> Value {
    let plain = strip_tags(&c.html_body);
    json!({
        "id": c.id, "type": "Comment", "public": c.public,
        "body": plain, "plain_body": plain, "html_body": c.html_body,
        "attachments": c.attachments.iter().map(|(id, name)| json!({"id": id, "file_name": name,
            "content_url": format!("https://acme.zendesk.com/attachments/token/x/?name={name}")})).collect::<Vec<_>>(),
    })
}

fn redact_tags(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<redact>") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 8..];
        let Some(j) = after.find("</redact>") else {
            out.push_str(&rest[i..]);
            return out;
        };
        out.extend(after[..j].chars().map(|_| '▇'));
        rest = &after[j + 9..];
    }
    out.push_str(rest);
    out
}

fn status(code: u16, body: Value) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).json(body)
}

fn not_found() -> HttpResponse {
    status(
        404,
        json!({"errors": [{"code": "not_found", "title": "Not found"}]}),
    )
}

fn query(req: &HttpRequest, key: &str) -> Option<String> {
    req.query_string().split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        let k = k.replace("%5B", "[").replace("%5D", "]");
        (k == key).then(|| v.to_string())
    })
}

async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let method = req.method().as_str().to_string();
    let path = req.path().to_string();
    let full = match req.query_string() {
        "" => path.clone(),
        q => format!("{path}?{q}"),
    };
    let json_body: Option<Value> = serde_json::from_slice(&body).ok();
    let fault = {
        let mut s = state.lock().unwrap();
        s.requests.push(Recorded {
            method: method.clone(),
            path: full.clone(),
            body: json_body.clone(),
            auth: req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            at: std::time::Instant::now(),
        });
        let mut hit = None;
        for sc in s.scripts.iter_mut() {
            if sc.method == method
                && full.contains(&sc.path_contains)
                && sc.remaining.is_none_or(|n| n > 0)
            {
                if let Some(n) = sc.remaining.as_mut() {
                    *n -= 1;
                }
                hit = Some(sc.fault.clone());
                break;
            }
        }
        hit
    };
    match fault {
        Some(Fault::Status(code, retry_after)) => {
            let mut r = HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap());
            if let Some(ra) = retry_after {
                r.insert_header(("Retry-After", ra));
            }
            return r.json(json!({"error": "scripted"}));
        }
        Some(Fault::StatusBody(code, body)) => {
            return HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                .content_type("application/json")
                .body(body);
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut s = state.lock().unwrap();
    match (method.as_str(), segs.as_slice()) {
        // ---- Zendesk ----
        ("GET", ["api", "v2", "tickets", t, "comments"]) => {
            let Some(comments) = t.parse::<u64>().ok().and_then(|t| s.tickets.get(&t)) else {
                return not_found();
            };
            let size = query(&req, "page[size]")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(100)
                .clamp(1, 100);
            let start = query(&req, "page[after]")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            let mut page: Vec<Value> = comments
                .iter()
                .skip(start)
                .take(size)
                .map(comment_json)
                .collect();
            let end = start + page.len();
            let has_more = end < comments.len();
            let base = format!("http://{}", req.connection_info().host());
            let mut users: Vec<Value> = Vec::new();
            for c in page.iter_mut() {
                let id = c["id"].as_u64().unwrap_or(0);
                if let Some((author, role)) = s.comment_authors.get(&id) {
                    c["author_id"] = json!(author);
                    if !users.iter().any(|u| u["id"] == json!(author)) {
                        users.push(json!({"id": author, "role": role}));
                    }
                }
            }
            let mut out = json!({
                "comments": page,
                "meta": {"has_more": has_more, "after_cursor": if has_more { Some(end.to_string()) } else { None }},
                "links": {"next": if has_more { Some(format!("{base}{path}?page[size]={size}&page[after]={end}")) } else { None }},
            });
            if query(&req, "include").as_deref() == Some("users") {
                out["users"] = json!(users);
            }
            status(200, out)
        }
        ("GET", ["api", "v2", "incremental", "tickets", "cursor.json"]) => {
            // Position = (updated_at, id); a cursor means "after this position".
            let after: (u64, u64) = match (query(&req, "cursor"), query(&req, "start_time")) {
                (Some(c), _) => {
                    let Some((u, i)) = c
                        .strip_prefix('c')
                        .and_then(|r| r.split_once('-'))
                        .and_then(|(u, i)| Some((u.parse().ok()?, i.parse().ok()?)))
                    else {
                        return status(400, json!({"error": "InvalidCursor"}));
                    };
                    (u, i)
                }
                (None, Some(t)) => match t.parse::<u64>() {
                    Ok(t) => (t, 0),
                    Err(_) => return status(400, json!({"error": "InvalidStartTime"})),
                },
                (None, None) => return status(400, json!({"error": "MissingStartTime"})),
            };
            let per_page = query(&req, "per_page")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(1000)
                .clamp(1, 1000);
            let mut all: Vec<(u64, u64, Value)> = s
                .export_tickets
                .iter()
                .map(|(id, (u, extra))| (*u, *id, extra.clone()))
                .filter(|(u, id, _)| (*u, *id) > after)
                .collect();
            all.sort_by_key(|(u, id, _)| (*u, *id));
            let page: Vec<_> = all.iter().take(per_page).collect();
            let last = page.last().map(|(u, id, _)| (*u, *id)).unwrap_or(after);
            let tickets: Vec<Value> = page
                .iter()
                .map(|(u, id, extra)| {
                    let mut t = json!({
                        "id": id, "status": "open",
                        "updated_at": chrono::DateTime::from_timestamp(*u as i64, 0).unwrap()
                            .format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    });
                    if let Value::Object(m) = extra {
                        for (k, v) in m {
                            t[k] = v.clone();
                        }
                    }
                    t
                })
                .collect();
            let cursor = format!("c{}-{}", last.0, last.1);
            status(
                200,
                json!({
                    "tickets": tickets,
                    "after_cursor": cursor,
                    "after_url": format!("http://{}{path}?cursor={cursor}", req.connection_info().host()),
                    "before_cursor": null,
                    "end_of_stream": all.len() <= per_page,
                }),
            )
        }
        ("PUT", ["api", "v2", "comment_redactions", c]) => {
            let (Some(c), Some(b)) = (c.parse::<u64>().ok(), json_body) else {
                return status(400, json!({}));
            };
            let (Some(t), Some(html)) = (b["ticket_id"].as_u64(), b["html_body"].as_str()) else {
                return status(422, json!({"error": "RecordInvalid"}));
            };
            let Some(cm) = s
                .tickets
                .get_mut(&t)
                .and_then(|v| v.iter_mut().find(|x| x.id == c))
            else {
                return not_found();
            };
            cm.html_body = redact_tags(html);
            let out = comment_json(cm);
            status(200, json!({ "comment": out }))
        }
        ("PUT", ["api", "v2", "tickets", t, "comments", c, "redact"]) => {
            let text = json_body
                .as_ref()
                .and_then(|b| b["text"].as_str())
                .unwrap_or("")
                .to_string();
            let (Ok(t), Ok(c)) = (t.parse::<u64>(), c.parse::<u64>()) else {
                return not_found();
            };
            let Some(cm) = s
                .tickets
                .get_mut(&t)
                .and_then(|v| v.iter_mut().find(|x| x.id == c))
            else {
                return not_found();
            };
            if text.is_empty() {
                return status(422, json!({}));
            }
            cm.html_body = cm
                .html_body
                .replace(&text, &"▇".repeat(text.chars().count()));
            let out = comment_json(cm);
            status(200, json!({ "comment": out }))
        }
        (
            "PUT",
            [
                "api",
                "v2",
                "tickets",
                t,
                "comments",
                c,
                "attachments",
                a,
                "redact",
            ],
        ) => {
            let (Ok(t), Ok(c), Ok(a)) = (t.parse::<u64>(), c.parse::<u64>(), a.parse::<u64>())
            else {
                return not_found();
            };
            let Some(att) = s
                .tickets
                .get_mut(&t)
                .and_then(|v| v.iter_mut().find(|x| x.id == c))
                .and_then(|cm| cm.attachments.iter_mut().find(|x| x.0 == a))
            else {
                return not_found();
            };
            att.1 = "redacted.txt".into();
            status(
                200,
                json!({"attachment": {"id": a, "file_name": "redacted.txt", "size": 0}}),
            )
        }
        ("PUT", ["api", "v2", "tickets", t, "comments", c, "make_private"]) => {
            let (Ok(t), Ok(c)) = (t.parse::<u64>(), c.parse::<u64>()) else {
                return not_found();
            };
            let Some(cm) = s
                .tickets
                .get_mut(&t)
                .and_then(|v| v.iter_mut().find(|x| x.id == c))
            else {
                return not_found();
            };
            cm.public = false;
            status(200, json!({}))
        }
        ("PUT", ["api", "v2", "tickets", t, "tags"]) => {
            let Some(t) = t.parse::<u64>().ok().filter(|t| s.tickets.contains_key(t)) else {
                return not_found();
            };
            let new: Vec<String> = json_body
                .as_ref()
                .and_then(|b| b["tags"].as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let tags = s.tags.entry(t).or_default();
            for n in new {
                if !tags.contains(&n) {
                    tags.push(n);
                }
            }
            let out = tags.clone();
            status(200, json!({ "tags": out }))
        }
        ("DELETE", ["api", "v2", "tickets", t]) => {
            let Some(t) = t.parse::<u64>().ok() else {
                return not_found();
            };
            match s.tickets.remove(&t) {
                Some(comments) => {
                    s.deleted_tickets.insert(t, comments);
                    HttpResponse::NoContent().finish()
                }
                None => not_found(),
            }
        }
        ("DELETE", ["api", "v2", "deleted_tickets", t]) => {
            let Some(t) = t
                .parse::<u64>()
                .ok()
                .filter(|t| s.deleted_tickets.contains_key(t))
            else {
                return not_found();
            };
            s.job_seq += 1;
            let id = format!("{:032x}", 0xfeed_0000_u64 + s.job_seq);
            let fail = s.failing_jobs > 0;
            s.failing_jobs = s.failing_jobs.saturating_sub(1);
            s.jobs.insert(
                id.clone(),
                FakeJob {
                    ticket: t,
                    polls: 0,
                    fail,
                    history: vec!["queued".into()],
                },
            );
            let base = format!("http://{}", req.connection_info().host());
            status(
                200,
                json!({"job_status": {"id": id, "status": "queued",
                    "url": format!("{base}/api/v2/job_statuses/{id}.json"), "total": 1,
                    "progress": 0, "message": null, "results": null}}),
            )
        }
        ("GET", ["api", "v2", "job_statuses", id]) => {
            let id = id.trim_end_matches(".json").to_string();
            let Some(job) = s.jobs.get_mut(&id) else {
                return not_found();
            };
            job.polls += 1;
            let st = match (job.polls, job.fail) {
                (1, _) => "working",
                (_, true) => "failed",
                _ => "completed",
            };
            job.history.push(st.to_string());
            let ticket = job.ticket;
            if st == "completed" && s.deleted_tickets.remove(&ticket).is_some() {
                s.purged.insert(ticket);
            }
            status(
                200,
                json!({"job_status": {"id": id, "status": st, "total": 1,
                    "progress": if st == "working" { 0 } else { 1 }}}),
            )
        }
        // ---- Sunshine ----
        ("GET", ["v2", "apps", _, "conversations", conv, "messages"]) => {
            let Some(msgs) = s.conversations.get(*conv) else {
                return not_found();
            };
            let end = match query(&req, "page[before]") {
                Some(id) => msgs
                    .iter()
                    .position(|m| m["id"] == id.as_str())
                    .unwrap_or(0),
                None => msgs.len(),
            };
            let start = end.saturating_sub(100);
            let page = msgs[start..end].to_vec();
            status(
                200,
                json!({"messages": page, "meta": {"hasMore": start > 0,
                    "beforeCursor": if start > 0 { page.first().map(|m| m["id"].clone()) } else { None }}}),
            )
        }
        ("DELETE", ["v2", "apps", _, "conversations", conv, "messages", msg]) => {
            let Some(msgs) = s.conversations.get_mut(*conv) else {
                return not_found();
            };
            let Some(i) = msgs.iter().position(|m| m["id"] == *msg) else {
                return not_found();
            };
            msgs.remove(i);
            status(200, json!({}))
        }
        ("DELETE", ["v2", "apps", _, "conversations", conv, "messages"]) => {
            let Some(msgs) = s.conversations.get_mut(*conv) else {
                return not_found();
            };
            msgs.clear();
            status(200, json!({}))
        }
        ("DELETE", ["v2", "apps", _, "conversations", conv]) => {
            if s.default_conversations.contains(*conv) {
                return status(400, json!({"errors": [{"code": "bad_request"}]}));
            }
            match s.conversations.remove(*conv) {
                Some(_) => status(200, json!({})),
                None => not_found(),
            }
        }
        ("DELETE", ["v2", "apps", _, "users", user, "personalinformation"]) => {
            if s.users.contains(*user) {
                status(200, json!({"user": {"id": user}}))
            } else {
                not_found()
            }
        }
        ("POST", ["v2", "apps", _, "attachments", "remove"]) => {
            let url = json_body
                .as_ref()
                .and_then(|b| b["mediaUrl"].as_str())
                .unwrap_or("")
                .to_string();
            if !url.starts_with(MEDIA_BASE) {
                return status(400, json!({"errors": [{"code": "bad_request"}]}));
            }
            if s.media.remove(&url) {
                status(200, json!({}))
            } else {
                not_found()
            }
        }
        _ => not_found(),
    }
}

/// Messages in the shape List Messages returns.
pub fn message(
    id: &str,
    author_type: &str,
    subtypes: &[&str],
    source: &str,
    content: Value,
) -> Value {
    json!({"id": id, "received": "2026-01-01T00:00:00.000Z",
        "author": {"type": author_type, "subtypes": subtypes, "userId": "u1"},
        "content": content, "source": {"type": source}})
}

/// A queue of pending ids (helper for ordering assertions).
pub fn paths(reqs: &[Recorded]) -> VecDeque<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}
