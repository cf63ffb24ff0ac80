//! HTTP transport (actix-web): routes, body limits, health/readiness, metrics, error → status.
//!
//! Owns: reading raw request bytes under a size limit, handing them with the headers to
//! [`crate::pipeline::Pipeline`], and mapping its results to status codes and JSON bodies.
//! Must not: parse JSON, decide policy, or log anything from a body. Error bodies carry bounded
//! reason codes and fixed messages only.
//!
//! Status codes (the senders' retry rules make these matter — see `docs/operations.md`):
//! - 200: accepted, duplicate, or authentic but irrelevant (Zendesk's circuit breaker counts 4xx).
//! - 400: malformed headers or payload after a valid signature (not retried by either sender);
//!   a credential header sent twice; both `Content-Length` and `Transfer-Encoding` (ambiguous
//!   framing, RFC 9112 §6.3 — how request smuggling through a proxy would look).
//! - 401: missing/invalid signature or API key, stale/future timestamp, test secret.
//! - 404: unknown tenant.
//! - 408: headers not received within `server.header_timeout_ms` (actix answers), or the body
//!   not within `server.body_timeout_ms` of them (slow clients; the connection is closed).
//! - 413: body over `server.max_body_bytes` (declared or streamed, e.g. chunked). Up to 16 MiB
//!   of an oversized body is read and discarded first (within the body timeout) so that a
//!   sender still writing sees the 413 rather than a connection reset; then the connection
//!   closes.
//! - 415: a `Content-Type` that is not JSON (`application/json`, `application/*+json`), checked
//!   before the body is read. A missing `Content-Type` is allowed (the signature and the JSON
//!   parser decide); Zendesk's XML / form-encoded trigger formats cannot be processed anyway.
//! - 503 + `Retry-After`: the store is unavailable — Zendesk retries a 503 with `Retry-After`
//!   < 60 s and never retries a plain 500.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::ConnectionType;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_LENGTH, CONTENT_TYPE, ContentType, RETRY_AFTER, TRANSFER_ENCODING,
};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use crate::ingest::Source;
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, PipelineError};
use crate::store::Store;

/// Shared state of the HTTP layer.
pub struct AppState {
    pub pipeline: Arc<Pipeline>,
    pub metrics: Arc<Metrics>,
    pub store: Arc<dyn Store>,
    /// False once shutdown began: readiness fails so the load balancer stops routing here, while
    /// webhooks that still arrive during the drain delay are processed normally.
    pub ready: Arc<AtomicBool>,
    pub max_body_bytes: usize,
    pub retry_after_seconds: u64,
    /// Grace after which a due delayed item counts as overdue (`phi_guard_delayed_items`).
    pub delayed_overdue_after_ms: u64,
    /// Whole-body read deadline (`server.body_timeout_ms`).
    pub body_timeout: std::time::Duration,
}

/// Registers the webhook routes.
pub fn webhook_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks/zendesk", web::post().to(zendesk_default))
        .route("/webhooks/zendesk/{tenant}", web::post().to(zendesk_tenant))
        .route("/webhooks/sunshine", web::post().to(sunshine_default))
        .route(
            "/webhooks/sunshine/{tenant}",
            web::post().to(sunshine_tenant),
        );
}

/// Registers the benchmark baseline: reads the body under the same limit, does nothing else.
pub fn bench_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_bench/bare", web::post().to(bare));
}

async fn bare(req: HttpRequest, payload: web::Payload, st: web::Data<AppState>) -> HttpResponse {
    match read_body(&req, payload, st.max_body_bytes, st.body_timeout).await {
        Ok(b) => HttpResponse::Ok().json(serde_json::json!({"bytes": b.len()})),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

/// Registers health, readiness and metrics.
pub fn ops_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// Tenant used when the route has no tenant segment.
pub const DEFAULT_TENANT: &str = "default";

async fn zendesk_default(
    req: HttpRequest,
    body: web::Payload,
    st: web::Data<AppState>,
) -> HttpResponse {
    webhook(Source::Zendesk, DEFAULT_TENANT, req, body, st).await
}

async fn zendesk_tenant(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    st: web::Data<AppState>,
) -> HttpResponse {
    webhook(Source::Zendesk, &path.into_inner(), req, body, st).await
}

async fn sunshine_default(
    req: HttpRequest,
    body: web::Payload,
    st: web::Data<AppState>,
) -> HttpResponse {
    webhook(Source::Sunshine, DEFAULT_TENANT, req, body, st).await
}

async fn sunshine_tenant(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Payload,
    st: web::Data<AppState>,
) -> HttpResponse {
    webhook(Source::Sunshine, &path.into_inner(), req, body, st).await
}

struct InFlight<'a>(&'a Metrics);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

async fn webhook(
    source: Source,
    tenant: &str,
    req: HttpRequest,
    payload: web::Payload,
    st: web::Data<AppState>,
) -> HttpResponse {
    st.metrics.in_flight.inc();
    let _guard = InFlight(&st.metrics);
    let src = source.as_str();
    // RFC 9112 §6.3: both framings at once is how request smuggling between a proxy and us
    // would look; refuse it rather than pick one.
    if req.headers().contains_key(CONTENT_LENGTH) && req.headers().contains_key(TRANSFER_ENCODING) {
        st.metrics
            .webhook_requests
            .with_label_values(&[src, "rejected", "ambiguous_framing"])
            .inc();
        let mut r = error(
            StatusCode::BAD_REQUEST,
            "ambiguous_framing",
            "Content-Length and Transfer-Encoding must not both be sent",
        );
        r.head_mut().set_connection_type(ConnectionType::Close);
        return r;
    }
    if !json_content_type(&req) {
        st.metrics
            .webhook_requests
            .with_label_values(&[src, "rejected", "unsupported_media_type"])
            .inc();
        let mut r = error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type must be application/json",
        );
        // The body was not read: do not reuse the connection.
        r.head_mut().set_connection_type(ConnectionType::Close);
        return r;
    }
    let body = match read_body(&req, payload, st.max_body_bytes, st.body_timeout).await {
        Ok(b) => b,
        Err(BodyError::Timeout) => {
            st.metrics
                .webhook_requests
                .with_label_values(&[src, "rejected", "body_timeout"])
                .inc();
            let mut r = error(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request body was not received in time",
            );
            // The rest of a slow body is not worth waiting for: close the connection.
            r.head_mut().set_connection_type(ConnectionType::Close);
            return r;
        }
        Err(BodyError::TooLarge) => {
            st.metrics
                .verification_failures
                .with_label_values(&[src, "body_too_large"])
                .inc();
            st.metrics
                .webhook_requests
                .with_label_values(&[src, "rejected", "body_too_large"])
                .inc();
            let mut r = error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "request body exceeds the configured limit",
            );
            r.head_mut().set_connection_type(ConnectionType::Close);
            return r;
        }
        Err(BodyError::Read) => {
            st.metrics
                .webhook_requests
                .with_label_values(&[src, "rejected", "body_read_error"])
                .inc();
            return error(
                StatusCode::BAD_REQUEST,
                "body_read_error",
                "the request body could not be read",
            );
        }
    };
    match st
        .pipeline
        .handle(source, tenant, req.headers(), &body)
        .await
    {
        Ok(report) => HttpResponse::Ok().json(report),
        Err(PipelineError::Store(_)) => unavailable(
            &st,
            "store_unavailable",
            "the durable store is unavailable; retry",
        ),
        Err(PipelineError::Verify(e)) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            error(status, e.reason(), &e.to_string())
        }
        Err(PipelineError::Parse(e)) => error(StatusCode::BAD_REQUEST, e.reason(), &e.to_string()),
    }
}

enum BodyError {
    TooLarge,
    Read,
    Timeout,
}

/// True when the request declares a JSON body or declares nothing (see the module docs).
fn json_content_type(req: &HttpRequest) -> bool {
    let Some(v) = req.headers().get(CONTENT_TYPE) else {
        return true;
    };
    let Ok(v) = v.to_str() else {
        return false;
    };
    let essence = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

/// Most bytes of an oversized body read and thrown away before answering 413. A sender that
/// writes its whole body before reading (most HTTP clients) sees a connection reset instead of
/// the 413 if we close while it is still writing; draining a bounded amount lets it read the
/// answer. Declared lengths above this are refused without draining.
const DRAIN_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Reads the raw body within `timeout`, refusing (without buffering) anything over `limit` bytes.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<web::Bytes, BodyError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let result = if declared.is_some_and(|len| len > limit) {
        Err(BodyError::TooLarge)
    } else {
        tokio::time::timeout_at(deadline, read_limited(&mut payload, limit))
            .await
            .unwrap_or(Err(BodyError::Timeout))
    };
    if matches!(result, Err(BodyError::TooLarge)) && declared.is_none_or(|l| l <= DRAIN_MAX_BYTES) {
        let _ = tokio::time::timeout_at(deadline, drain(&mut payload, DRAIN_MAX_BYTES)).await;
    }
    result
}

async fn read_limited(payload: &mut web::Payload, limit: usize) -> Result<web::Bytes, BodyError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Reads and discards up to `max` more bytes of the body.
async fn drain(payload: &mut web::Payload, max: usize) {
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = payload.next().await {
        seen += chunk.len();
        if seen > max {
            return;
        }
    }
}

fn error(status: StatusCode, reason: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::json())
        .body(serde_json::json!({"error": reason, "message": message}).to_string())
}

fn unavailable(st: &AppState, reason: &str, message: &str) -> HttpResponse {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, reason, message);
    if let Ok(v) = st.retry_after_seconds.to_string().parse() {
        r.headers_mut().insert(RETRY_AFTER, v);
    }
    r
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(st: web::Data<AppState>) -> HttpResponse {
    let ready = st.ready.load(Ordering::Acquire);
    let store_ok = st.store.ping().await.is_ok();
    let rules = st.pipeline.detector.load().rule_count();
    let body = serde_json::json!({
        "ready": ready,
        "store": if store_ok { "ok" } else { "unavailable" },
        "rules": rules,
    });
    if ready && store_ok && rules > 0 {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(st: web::Data<AppState>) -> HttpResponse {
    if let Ok(stats) = st.store.stats().await {
        st.metrics.observe_queue(&stats);
    }
    match st
        .store
        .delayed_stats(crate::store::now_ms(), st.delayed_overdue_after_ms)
        .await
    {
        Ok(d) => st.metrics.observe_delayed(&d),
        Err(_) => st
            .metrics
            .store_errors
            .with_label_values(&["delayed_stats"])
            .inc(),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(st.metrics.encode())
}
