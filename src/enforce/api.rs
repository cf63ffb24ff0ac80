//! The HTTP plumbing shared by the Zendesk and Sunshine clients: one pooled `reqwest::Client`
//! per API, authentication headers, a per-tenant token-bucket rate limiter, metrics, and the
//! mapping of upstream failures to [`ExecOutcome`].
//!
//! Owns: sending a request and turning the answer into bytes or an [`ApiError`] that carries a
//! status and a fixed endpoint name only. Must not: log or keep request/response bodies, or put
//! anything but fixed names and status codes into errors and metrics.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use sha2::Sha256;
use tokio::sync::Mutex;

use super::ExecOutcome;
use crate::metrics::Metrics;

/// What went wrong with one API call. Holds no body and no URL: a status and a fixed endpoint name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{endpoint}: HTTP {status}")]
    Status {
        endpoint: &'static str,
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{endpoint}: timed out")]
    Timeout { endpoint: &'static str },
    #[error("{endpoint}: connection failed")]
    Connect { endpoint: &'static str },
    #[error("{endpoint}: unexpected response shape")]
    Decode { endpoint: &'static str },
    /// The shared (Redis) per-tenant window is full: no request was sent.
    #[error("{endpoint}: shared rate limit reached")]
    LocalRateLimit {
        endpoint: &'static str,
        retry_after: Duration,
    },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The retry classification of this failure. `delete` = the call removes something, so a
    /// 404 means the work is already done.
    pub fn outcome(&self, delete: bool) -> ExecOutcome {
        match *self {
            ApiError::Status {
                status,
                retry_after,
                ..
            } => classify_status(status, retry_after, delete),
            ApiError::Timeout { .. } => ExecOutcome::Retry {
                after: None,
                reason: "timeout",
            },
            ApiError::Connect { .. } => ExecOutcome::Retry {
                after: None,
                reason: "connect_error",
            },
            // A 2xx we cannot read is most likely a transient proxy page; retry (then DLQ).
            ApiError::Decode { .. } => ExecOutcome::Retry {
                after: None,
                reason: "bad_response",
            },
            ApiError::LocalRateLimit { retry_after, .. } => ExecOutcome::Retry {
                after: Some(retry_after),
                reason: "shared_rate_limit",
            },
        }
    }
}

/// Maps a non-2xx status to an outcome (see `docs/policy.md`, "Retries").
pub fn classify_status(status: u16, retry_after: Option<Duration>, delete: bool) -> ExecOutcome {
    match status {
        200..=299 => ExecOutcome::Done("executed"),
        404 if delete => ExecOutcome::Done("already_done"),
        429 => ExecOutcome::Retry {
            after: retry_after,
            reason: "rate_limited",
        },
        503 => ExecOutcome::Retry {
            after: retry_after,
            reason: "unavailable",
        },
        408 => ExecOutcome::Retry {
            after: None,
            reason: "timeout",
        },
        500..=599 => ExecOutcome::Retry {
            after: None,
            reason: "upstream_5xx",
        },
        400 => ExecOutcome::Permanent("bad_request"),
        401 => ExecOutcome::Permanent("unauthorized"),
        403 => ExecOutcome::Permanent("forbidden"),
        404 => ExecOutcome::Permanent("not_found"),
        422 => ExecOutcome::Permanent("unprocessable"),
        _ => ExecOutcome::Permanent("client_error"),
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date (relative to `now`). Capped at one hour so
/// a hostile or broken upstream cannot park an item forever.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    const CAP: Duration = Duration::from_secs(3600);
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(CAP));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let when = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(u64::try_from(when.timestamp()).ok()?))?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO).min(CAP))
}

/// A token bucket: `per_minute` requests per minute, bursts up to a sixth of that (at least 1).
/// Optionally also a [`SharedWindow`] in Redis, so replicas together stay under the plan limit.
pub struct RateLimiter {
    per_sec: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
    shared: Option<SharedWindow>,
}

/// A fixed one-minute window counted in Redis (`INCR {prefix}:ratelimit:{tenant}:{api}:{minute}`),
/// shared by every replica. A request over the limit is not sent: the action is retried when the
/// next window opens (waiting inside the worker could outlive its lease). If Redis fails the
/// limiter fails open to the local bucket (and says so in the log): enforcement is not blocked
/// by a rate-limit counter, and upstream 429s are still honoured.
#[derive(Clone)]
pub struct SharedWindow {
    pub conn: redis::aio::ConnectionManager,
    /// Key base, e.g. `{phi-guard}:ratelimit:acme:zendesk`.
    pub key: String,
    pub per_minute: u32,
}

impl SharedWindow {
    /// Takes a slot in the current window, or says how long until the next one opens.
    pub async fn try_acquire(&self) -> Result<(), Duration> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let minute = now.as_secs() / 60;
        let key = format!("{}:{minute}", self.key);
        let mut conn = self.conn.clone();
        let r: redis::RedisResult<(u64, bool)> = redis::pipe()
            .atomic()
            .incr(&key, 1u64)
            .expire(&key, 120)
            .query_async(&mut conn)
            .await;
        match r {
            Ok((n, _)) if n <= u64::from(self.per_minute) => Ok(()),
            Ok(_) => {
                let into = (now.as_millis() % 60_000) as u64;
                Err(Duration::from_millis(
                    60_000 - into + rand::random_range(0..1000u64),
                ))
            }
            Err(e) => {
                tracing::warn!(error_kind = ?e.kind(), "Shared rate limiter unavailable; using the local limit only.");
                Ok(())
            }
        }
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        let per_minute = f64::from(per_minute.max(1));
        let capacity = (per_minute / 6.0).max(1.0);
        RateLimiter {
            per_sec: per_minute / 60.0,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
            shared: None,
        }
    }

    pub fn with_shared(mut self, shared: SharedWindow) -> RateLimiter {
        self.shared = Some(shared);
        self
    }

    /// Waits for a local token, then takes a slot in the shared window (if any); `Err` = the
    /// shared window is full for this long.
    pub async fn acquire(&self) -> Result<(), Duration> {
        self.acquire_local().await;
        match &self.shared {
            Some(s) => s.try_acquire().await,
            None => Ok(()),
        }
    }

    async fn acquire_local(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * self.per_sec;
                s.0 = (s.0 + refill).min(self.capacity);
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.0) / self.per_sec)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Client timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

/// One API (Zendesk or Sunshine) for one tenant: base URL, auth header, limiter, metrics.
pub struct HttpApi {
    client: reqwest::Client,
    base: String,
    api: &'static str,
    auth: HeaderValue,
    limiter: RateLimiter,
    metrics: Arc<Metrics>,
}

impl HttpApi {
    pub fn new(
        api: &'static str,
        base: &str,
        auth: HeaderValue,
        limiter: RateLimiter,
        timeouts: Timeouts,
        metrics: Arc<Metrics>,
    ) -> Result<HttpApi, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(16)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("phi-guard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpApi {
            client,
            base: base.trim_end_matches('/').to_string(),
            api,
            auth,
            limiter,
            metrics,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request; `Ok(body)` for 2xx. `path_and_query` starts with `/`.
    pub async fn send(
        &self,
        endpoint: &'static str,
        method: Method,
        path_and_query: &str,
        json: Option<&serde_json::Value>,
    ) -> Result<bytes::Bytes, ApiError> {
        if let Err(retry_after) = self.limiter.acquire().await {
            return Err(ApiError::LocalRateLimit {
                endpoint,
                retry_after,
            });
        }
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path_and_query))
            .header(AUTHORIZATION, self.auth.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = json {
            req = req.json(body);
        }
        let started = Instant::now();
        let result = req.send().await;
        let (status_label, out) = match result {
            Err(e) => {
                let err = if e.is_timeout() {
                    ApiError::Timeout { endpoint }
                } else {
                    ApiError::Connect { endpoint }
                };
                (
                    if e.is_timeout() {
                        "timeout".to_string()
                    } else {
                        "connect_error".to_string()
                    },
                    Err(err),
                )
            }
            Ok(resp) => {
                let status = resp.status();
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let label = status.as_u16().to_string();
                if status.is_success() {
                    match resp.bytes().await {
                        Ok(b) => (label, Ok(b)),
                        Err(e) if e.is_timeout() => {
                            ("timeout".to_string(), Err(ApiError::Timeout { endpoint }))
                        }
                        Err(_) => (label, Err(ApiError::Decode { endpoint })),
                    }
                } else {
                    (
                        label,
                        Err(ApiError::Status {
                            endpoint,
                            status: status.as_u16(),
                            retry_after,
                        }),
                    )
                }
            }
        };
        let elapsed = started.elapsed().as_secs_f64();
        self.metrics
            .api_requests
            .with_label_values(&[self.api, endpoint, &status_label])
            .inc();
        self.metrics
            .api_duration
            .with_label_values(&[self.api, endpoint, &status_label])
            .observe(elapsed);
        if let Err(e) = &out {
            tracing::debug!(api = self.api, error = %e, "API call failed.");
        }
        out
    }

    /// Sends and decodes a JSON 2xx body.
    pub async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &'static str,
        method: Method,
        path_and_query: &str,
        json: Option<&serde_json::Value>,
    ) -> Result<T, ApiError> {
        let body = self.send(endpoint, method, path_and_query, json).await?;
        serde_json::from_slice(&body).map_err(|_| ApiError::Decode { endpoint })
    }
}

/// `Authorization: Basic base64(user:password)`, marked sensitive (never printed by `Debug`).
pub fn basic_auth(user: &str, password: &str) -> Option<HeaderValue> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    sensitive(format!("Basic {token}"))
}

/// `Authorization: Bearer token`, marked sensitive.
pub fn bearer_auth(token: &str) -> Option<HeaderValue> {
    sensitive(format!("Bearer {token}"))
}

fn sensitive(v: String) -> Option<HeaderValue> {
    let mut h = HeaderValue::from_str(&v).ok()?;
    h.set_sensitive(true);
    Some(h)
}

/// A Sunshine Conversations JWT: HS256, header `kid` = key id, payload `{"scope": ...}`, signed
/// with the key secret. `act_`/`svc_` keys get scope `account`, app keys scope `app`.
pub fn sunshine_jwt(key_id: &str, secret: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": key_id});
    let scope = if key_id.starts_with("act_") || key_id.starts_with("svc_") {
        "account"
    } else {
        "app"
    };
    let payload = serde_json::json!({ "scope": scope });
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(payload.to_string())
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        b64.encode(mac.finalize().into_bytes())
    )
}

/// True for statuses that mean "this object does not exist (any more)".
pub fn is_not_found(e: &ApiError) -> bool {
    e.status() == Some(StatusCode::NOT_FOUND.as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classification_per_code() {
        let ra = Some(Duration::from_secs(7));
        assert_eq!(
            classify_status(200, None, false),
            ExecOutcome::Done("executed")
        );
        assert_eq!(
            classify_status(204, None, true),
            ExecOutcome::Done("executed")
        );
        assert_eq!(
            classify_status(404, None, true),
            ExecOutcome::Done("already_done")
        );
        assert_eq!(
            classify_status(404, None, false),
            ExecOutcome::Permanent("not_found")
        );
        assert_eq!(
            classify_status(429, ra, false),
            ExecOutcome::Retry {
                after: ra,
                reason: "rate_limited"
            }
        );
        assert_eq!(
            classify_status(429, None, true),
            ExecOutcome::Retry {
                after: None,
                reason: "rate_limited"
            }
        );
        assert_eq!(
            classify_status(503, ra, false),
            ExecOutcome::Retry {
                after: ra,
                reason: "unavailable"
            }
        );
        for s in [500, 502, 504, 599] {
            assert_eq!(
                classify_status(s, ra, false),
                ExecOutcome::Retry {
                    after: None,
                    reason: "upstream_5xx"
                },
                "{s}"
            );
        }
        assert_eq!(
            classify_status(401, None, false),
            ExecOutcome::Permanent("unauthorized")
        );
        assert_eq!(
            classify_status(403, None, true),
            ExecOutcome::Permanent("forbidden")
        );
        assert_eq!(
            classify_status(422, None, false),
            ExecOutcome::Permanent("unprocessable")
        );
        assert_eq!(
            classify_status(400, None, true),
            ExecOutcome::Permanent("bad_request")
        );
        assert_eq!(
            classify_status(410, None, false),
            ExecOutcome::Permanent("client_error")
        );
        assert!(matches!(
            classify_status(408, None, false),
            ExecOutcome::Retry { .. }
        ));
    }

    #[test]
    fn transport_errors_retry() {
        assert_eq!(
            ApiError::Timeout { endpoint: "x" }.outcome(false),
            ExecOutcome::Retry {
                after: None,
                reason: "timeout"
            }
        );
        assert_eq!(
            ApiError::Connect { endpoint: "x" }.outcome(true),
            ExecOutcome::Retry {
                after: None,
                reason: "connect_error"
            }
        );
    }

    #[test]
    fn full_shared_window_retries_when_it_reopens() {
        let d = Duration::from_secs(42);
        assert_eq!(
            ApiError::LocalRateLimit {
                endpoint: "x",
                retry_after: d
            }
            .outcome(false),
            ExecOutcome::Retry {
                after: Some(d),
                reason: "shared_rate_limit"
            }
        );
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 07:27:50 GMT
        assert_eq!(parse_retry_after("12", now), Some(Duration::from_secs(12)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        // A date in the past means "now".
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("999999", now),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn jwt_matches_an_independent_computation() {
        let jwt = sunshine_jwt("app_5e1", "s3cr3t");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["kid"], "app_5e1");
        let payload: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload, serde_json::json!({"scope": "app"}));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cr3t").unwrap();
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        mac.verify_slice(&b64.decode(parts[2]).unwrap()).unwrap();
        let acct = sunshine_jwt("act_1", "k");
        let p: serde_json::Value =
            serde_json::from_slice(&b64.decode(acct.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(p["scope"], "account");
    }

    #[test]
    fn basic_auth_is_sensitive_and_correct() {
        let h = basic_auth("a@b.c/token", "tok").unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Basic YUBiLmMvdG9rZW46dG9r");
    }

    #[tokio::test]
    async fn rate_limiter_spaces_requests_after_the_burst() {
        let l = RateLimiter::new(600); // 10/s, burst 100
        let started = Instant::now();
        for _ in 0..102 {
            l.acquire().await.unwrap();
        }
        let e = started.elapsed();
        assert!(e >= Duration::from_millis(150), "{e:?}");
        assert!(e < Duration::from_secs(2), "{e:?}");
    }
}
