//! Authenticity checks on raw webhook requests, before anything parses the body.
//!
//! Owns: the Zendesk HMAC-SHA256 signature check over `timestamp header bytes ‖ raw body`, the
//! timestamp window, the per-tenant set of active secrets (rotation), the refusal of Zendesk's
//! public static test secret, and the Sunshine Conversations `X-API-Key` check. Also
//! [`sign_zendesk`], the signing side used by `phi-guard sign` and the load script.
//!
//! Must not: parse JSON, log anything (not even header values), or say which secret matched
//! beyond its index. Errors carry only static header names, never values.
//!
//! # Zendesk
//! `x-zendesk-webhook-signature = base64(HMAC-SHA256(key = secret string bytes,
//! msg = x-zendesk-webhook-signature-timestamp bytes ‖ body))`. The key is the secret exactly as
//! Zendesk shows it (it looks like base64 but is *not* decoded). The header must decode (standard
//! alphabet, padded) to exactly 32 bytes, else [`VerifyError::InvalidSignatureEncoding`] — an
//! empty or truncated signature never reaches a comparison. Tags are compared with
//! `Mac::verify_slice` (constant time) against **every** active secret of the tenant, without
//! stopping at the first match.
//!
//! **Order:** headers present and not repeated → signature well-formed → signature valid → timestamp well-formed →
//! timestamp inside the window. Checking the window only after the signature holds means
//! `stale_timestamp` / `future_timestamp` counts describe genuine Zendesk deliveries (late retries,
//! clock skew), not noise from forged requests, and an unauthenticated caller learns nothing about
//! our clock. The cost is one HMAC per forged request, which is microseconds.
//!
//! **Window default: 10 minutes in the past, 2 minutes in the future.** Zendesk publishes no
//! tolerance; the timestamp has second precision; whether retries carry a fresh timestamp is
//! unconfirmed, and Zendesk retries (409, 429/503 with `Retry-After` < 60 s, timeouts up to 5
//! times) happen within minutes. 10 minutes covers a full retry sequence even if retries reuse the
//! original timestamp, while keeping a captured request replayable only briefly (dedupe on the
//! payload id covers the rest). The future side only has to absorb clock skew between Zendesk and
//! us, which NTP keeps far below 2 minutes. Both bounds are inclusive and configurable.
//!
//! **Static test secret:** `dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==` is public (Zendesk's
//! docs sign examples with it), so anyone can sign with it. Configuring it is refused unless
//! `allow_test_secret` is set; a request whose signature matches *only* that secret is reported as
//! [`VerifyError::TestSecretRejected`] so operators can tell "someone sent a webhook-builder test"
//! from "wrong secret".
//!
//! The `x-zendesk-account-id`, `x-zendesk-webhook-id` and `x-zendesk-webhook-invocation-id`
//! headers are **not covered by the signature**: they are returned for routing and dedupe, but a
//! replayed request can carry different values. Prefer the signed payload `id` for dedupe where
//! the payload has one.
//!
//! # Sunshine Conversations
//! No signature exists: each webhook has a shared secret sent verbatim in `X-API-Key`. It is
//! compared in constant time ([`subtle::ConstantTimeEq`], lengths compared first) against every
//! configured secret of the tenant without early exit. Nothing binds the body, so TLS is the only
//! integrity protection, and replay protection relies on dedupe of `events[].id`.
//!
//! # Status codes
//! [`VerifyError::status`]: 401 when credentials are missing, malformed, wrong, stale or the test
//! secret; 400 for malformed non-credential headers (timestamp format, id headers) and for a
//! credential header that occurs more than once (ambiguous: never resolved by picking one); 404 for an
//! unknown tenant. All of these are final for the senders: Zendesk retries no 4xx except 409/429,
//! and Sunshine never retries 400/401/403/404/406 — which is right for forgeries.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

type HmacSha256 = Hmac<Sha256>;

/// Zendesk's public static test signing secret. Never accept it in production.
pub const ZENDESK_TEST_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";

/// Header names (lower case; lookups are case-insensitive).
pub const ZENDESK_SIGNATURE_HEADER: &str = "x-zendesk-webhook-signature";
pub const ZENDESK_TIMESTAMP_HEADER: &str = "x-zendesk-webhook-signature-timestamp";
pub const ZENDESK_ACCOUNT_HEADER: &str = "x-zendesk-account-id";
pub const ZENDESK_WEBHOOK_ID_HEADER: &str = "x-zendesk-webhook-id";
pub const ZENDESK_INVOCATION_HEADER: &str = "x-zendesk-webhook-invocation-id";
pub const SUNSHINE_API_KEY_HEADER: &str = "x-api-key";

/// Default past window for Zendesk signature timestamps (see module docs).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Default future skew tolerated for Zendesk signature timestamps (see module docs).
pub const DEFAULT_MAX_FUTURE_SKEW: Duration = Duration::from_secs(2 * 60);

/// Upper bound accepted for either side of the window at construction.
const MAX_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// A standard-base64 32-byte tag is 44 characters; anything much longer is not a tag.
const MAX_SIGNATURE_LEN: usize = 64;
/// ISO-8601 with nanoseconds and an offset is 35 characters.
const MAX_TIMESTAMP_LEN: usize = 40;
/// Bound on the id headers we hand back (they end up in dedupe keys and logs).
const MAX_ID_HEADER_LEN: usize = 128;

/// Access to request headers by case-insensitive name, as raw bytes.
pub trait HeaderSource {
    /// First value of the header `name` (compared case-insensitively), if present.
    fn header(&self, name: &str) -> Option<&[u8]>;

    /// How many times the header `name` occurs. Credential headers must occur once: with two,
    /// which one a proxy or another verifier would use is ambiguous, so they are refused.
    fn header_count(&self, name: &str) -> usize {
        usize::from(self.header(name).is_some())
    }
}

impl HeaderSource for actix_web::http::header::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        // `HeaderName::from_str` lower-cases, so the lookup is case-insensitive.
        self.get(name).map(|v| v.as_bytes())
    }

    fn header_count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }
}

impl HeaderSource for [(&str, &str)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }

    fn header_count(&self, name: &str) -> usize {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }
}

impl<const N: usize> HeaderSource for [(&str, &str); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }

    fn header_count(&self, name: &str) -> usize {
        self.as_slice().header_count(name)
    }
}

impl HeaderSource for Vec<(&str, &str)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }

    fn header_count(&self, name: &str) -> usize {
        self.as_slice().header_count(name)
    }
}

impl HeaderSource for Vec<(String, String)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_bytes())
    }

    fn header_count(&self, name: &str) -> usize {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    }
}

/// Why a request was not accepted as authentic. Messages name headers, never their values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("unknown tenant")]
    UnknownTenant,
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("invalid header {0}")]
    InvalidHeader(&'static str),
    #[error("header {0} occurs more than once")]
    DuplicateHeader(&'static str),
    #[error(
        "timestamp header is a Unix epoch number; Zendesk sends ISO-8601 UTC such as 2021-03-25T05:09:27Z"
    )]
    EpochTimestamp,
    #[error("signature is not base64 of a 32-byte HMAC-SHA256 tag")]
    InvalidSignatureEncoding,
    #[error("signature does not match any active secret")]
    BadSignature,
    #[error("signature timestamp is older than the accepted window")]
    StaleTimestamp,
    #[error("signature timestamp is too far in the future")]
    FutureTimestamp,
    #[error("request is signed with Zendesk's public test secret, which is not accepted")]
    TestSecretRejected,
    #[error("missing X-API-Key header")]
    MissingApiKey,
    #[error("X-API-Key does not match any active secret")]
    BadApiKey,
}

impl VerifyError {
    /// Bounded, stable label for metrics and logs.
    pub const fn reason(&self) -> &'static str {
        match self {
            VerifyError::UnknownTenant => "unknown_tenant",
            VerifyError::MissingHeader(_) => "missing_header",
            VerifyError::InvalidHeader(_) => "invalid_header",
            VerifyError::DuplicateHeader(_) => "duplicate_header",
            VerifyError::EpochTimestamp => "epoch_timestamp",
            VerifyError::InvalidSignatureEncoding => "invalid_signature_encoding",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::StaleTimestamp => "stale_timestamp",
            VerifyError::FutureTimestamp => "future_timestamp",
            VerifyError::TestSecretRejected => "test_secret",
            VerifyError::MissingApiKey => "missing_api_key",
            VerifyError::BadApiKey => "bad_api_key",
        }
    }

    /// HTTP status for this failure (see module docs: 401 credentials, 400 malformed, 404 tenant).
    pub const fn status(&self) -> u16 {
        match self {
            VerifyError::UnknownTenant => 404,
            VerifyError::InvalidHeader(_)
            | VerifyError::DuplicateHeader(_)
            | VerifyError::EpochTimestamp => 400,
            VerifyError::MissingHeader(_)
            | VerifyError::InvalidSignatureEncoding
            | VerifyError::BadSignature
            | VerifyError::StaleTimestamp
            | VerifyError::FutureTimestamp
            | VerifyError::TestSecretRejected
            | VerifyError::MissingApiKey
            | VerifyError::BadApiKey => 401,
        }
    }
}

/// A verifier could not be built from configuration. Names the tenant, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifierConfigError {
    #[error(
        "tenant `{tenant}`: Zendesk's public static test secret is configured; it lets anyone forge webhooks (set allow_test_secret only in tests)"
    )]
    TestSecretConfigured { tenant: String },
    #[error("tenant `{tenant}`: no secrets configured")]
    NoSecrets { tenant: String },
    #[error("tenant `{tenant}`: secret #{index} is empty")]
    EmptySecret { tenant: String, index: usize },
    #[error("tenant `{tenant}` is configured twice")]
    DuplicateTenant { tenant: String },
    #[error("timestamp window: {0}")]
    InvalidWindow(&'static str),
}

/// How far a Zendesk signature timestamp may lie from `now`, in each direction (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampWindow {
    pub max_age: Duration,
    pub max_future_skew: Duration,
}

impl Default for TimestampWindow {
    fn default() -> Self {
        TimestampWindow {
            max_age: DEFAULT_MAX_AGE,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
        }
    }
}

/// What a successful Zendesk verification tells the caller. The id headers are unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedZendesk {
    /// `x-zendesk-account-id`, when present and well-formed.
    pub account_id: Option<String>,
    /// `x-zendesk-webhook-id`, when present and well-formed.
    pub webhook_id: Option<String>,
    /// `x-zendesk-webhook-invocation-id`, when present and well-formed.
    pub invocation_id: Option<String>,
    /// The signed timestamp.
    pub timestamp: SystemTime,
    /// Index (in configuration order) of the secret that matched; useful to see when a rotated-out
    /// secret stops being used.
    pub secret_index: usize,
}

/// Verifies Zendesk webhook signatures for a set of tenants.
#[derive(Clone)]
pub struct ZendeskVerifier {
    /// Per tenant: one keyed HMAC state per active secret (cloned per request).
    tenants: HashMap<String, Vec<HmacSha256>>,
    test_mac: HmacSha256,
    window: TimestampWindow,
}

impl fmt::Debug for ZendeskVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tenants: Vec<(&str, usize)> = self
            .tenants
            .iter()
            .map(|(t, s)| (t.as_str(), s.len()))
            .collect();
        tenants.sort_unstable();
        f.debug_struct("ZendeskVerifier")
            .field("tenants_secret_counts", &tenants)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

fn keyed_mac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC key of any length"))
}

fn validate_window(window: TimestampWindow) -> Result<(), VerifierConfigError> {
    if window.max_age.is_zero() {
        return Err(VerifierConfigError::InvalidWindow("max_age must be > 0"));
    }
    if window.max_age > MAX_WINDOW || window.max_future_skew > MAX_WINDOW {
        return Err(VerifierConfigError::InvalidWindow(
            "max_age and max_future_skew must be at most 24 hours",
        ));
    }
    Ok(())
}

impl ZendeskVerifier {
    /// Builds a verifier from `(tenant, active secrets)` pairs.
    ///
    /// Fails when a tenant has no secret or an empty one, a tenant repeats, the window is out of
    /// range, or the public test secret is configured without `allow_test_secret`.
    pub fn new<I, T>(
        tenants: I,
        window: TimestampWindow,
        allow_test_secret: bool,
    ) -> Result<Self, VerifierConfigError>
    where
        I: IntoIterator<Item = (T, Vec<SecretString>)>,
        T: Into<String>,
    {
        validate_window(window)?;
        let mut map = HashMap::new();
        for (tenant, secrets) in tenants {
            let tenant = tenant.into();
            if secrets.is_empty() {
                return Err(VerifierConfigError::NoSecrets { tenant });
            }
            let mut macs = Vec::with_capacity(secrets.len());
            for (index, secret) in secrets.iter().enumerate() {
                let s = secret.expose_secret();
                if s.is_empty() {
                    return Err(VerifierConfigError::EmptySecret { tenant, index });
                }
                if !allow_test_secret && s.trim() == ZENDESK_TEST_SECRET {
                    return Err(VerifierConfigError::TestSecretConfigured { tenant });
                }
                macs.push(keyed_mac(s.as_bytes()));
            }
            if map.contains_key(&tenant) {
                return Err(VerifierConfigError::DuplicateTenant { tenant });
            }
            map.insert(tenant, macs);
        }
        Ok(ZendeskVerifier {
            tenants: map,
            test_mac: keyed_mac(ZENDESK_TEST_SECRET.as_bytes()),
            window,
        })
    }

    /// The configured timestamp window.
    pub fn window(&self) -> TimestampWindow {
        self.window
    }

    /// True when `tenant` is configured.
    pub fn has_tenant(&self, tenant: &str) -> bool {
        self.tenants.contains_key(tenant)
    }

    /// Verifies a Zendesk webhook request for `tenant` at time `now`. See the module docs for the
    /// order of checks.
    pub fn verify<H: HeaderSource + ?Sized>(
        &self,
        tenant: &str,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedZendesk, VerifyError> {
        let macs = self.tenants.get(tenant).ok_or(VerifyError::UnknownTenant)?;

        for name in [ZENDESK_SIGNATURE_HEADER, ZENDESK_TIMESTAMP_HEADER] {
            if headers.header_count(name) > 1 {
                return Err(VerifyError::DuplicateHeader(name));
            }
        }
        let signature = headers
            .header(ZENDESK_SIGNATURE_HEADER)
            .ok_or(VerifyError::MissingHeader(ZENDESK_SIGNATURE_HEADER))?;
        let timestamp = headers
            .header(ZENDESK_TIMESTAMP_HEADER)
            .ok_or(VerifyError::MissingHeader(ZENDESK_TIMESTAMP_HEADER))?;

        let mut tag = [0u8; 48];
        let tag = decode_tag(signature, &mut tag)?;

        // Every secret is tried; no early exit on a match.
        let mut matched: Option<usize> = None;
        for (index, mac) in macs.iter().enumerate() {
            let mut mac = mac.clone();
            mac.update(timestamp);
            mac.update(body);
            if mac.verify_slice(tag).is_ok() && matched.is_none() {
                matched = Some(index);
            }
        }
        let Some(secret_index) = matched else {
            let mut mac = self.test_mac.clone();
            mac.update(timestamp);
            mac.update(body);
            return Err(if mac.verify_slice(tag).is_ok() {
                VerifyError::TestSecretRejected
            } else {
                VerifyError::BadSignature
            });
        };

        let signed_at = parse_timestamp(timestamp)?;
        check_window(signed_at, now, self.window)?;

        Ok(VerifiedZendesk {
            account_id: id_header(headers, ZENDESK_ACCOUNT_HEADER)?,
            webhook_id: id_header(headers, ZENDESK_WEBHOOK_ID_HEADER)?,
            invocation_id: id_header(headers, ZENDESK_INVOCATION_HEADER)?,
            timestamp: signed_at,
            secret_index,
        })
    }
}

/// Decodes the signature header into `buf`, returning the 32-byte tag.
fn decode_tag<'b>(header: &[u8], buf: &'b mut [u8; 48]) -> Result<&'b [u8], VerifyError> {
    let header = header.trim_ascii();
    if header.is_empty() || header.len() > MAX_SIGNATURE_LEN {
        return Err(VerifyError::InvalidSignatureEncoding);
    }
    match STANDARD.decode_slice(header, buf) {
        Ok(32) => Ok(&buf[..32]),
        _ => Err(VerifyError::InvalidSignatureEncoding),
    }
}

/// Parses the signature timestamp: RFC 3339 / ISO-8601 with an offset (`Z` or `+00:00`), optional
/// fractional seconds. Unix epoch numbers are refused with their own error.
fn parse_timestamp(raw: &[u8]) -> Result<SystemTime, VerifyError> {
    const NAME: &str = ZENDESK_TIMESTAMP_HEADER;
    let raw = raw.trim_ascii();
    if raw.is_empty() || raw.len() > MAX_TIMESTAMP_LEN {
        return Err(VerifyError::InvalidHeader(NAME));
    }
    if raw.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return Err(VerifyError::EpochTimestamp);
    }
    let text = std::str::from_utf8(raw).map_err(|_| VerifyError::InvalidHeader(NAME))?;
    let parsed =
        chrono::DateTime::parse_from_rfc3339(text).map_err(|_| VerifyError::InvalidHeader(NAME))?;
    Ok(SystemTime::from(parsed))
}

fn check_window(
    signed_at: SystemTime,
    now: SystemTime,
    window: TimestampWindow,
) -> Result<(), VerifyError> {
    match now.duration_since(signed_at) {
        Ok(age) if age > window.max_age => Err(VerifyError::StaleTimestamp),
        Ok(_) => Ok(()),
        Err(ahead) if ahead.duration() > window.max_future_skew => {
            Err(VerifyError::FutureTimestamp)
        }
        Err(_) => Ok(()),
    }
}

/// Reads an optional id header: absent → `None`; present must be printable ASCII without spaces
/// and at most 128 bytes, else `InvalidHeader`.
fn id_header<H: HeaderSource + ?Sized>(
    headers: &H,
    name: &'static str,
) -> Result<Option<String>, VerifyError> {
    let Some(raw) = headers.header(name) else {
        return Ok(None);
    };
    let raw = raw.trim_ascii();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > MAX_ID_HEADER_LEN || !raw.iter().all(|b| b.is_ascii_graphic()) {
        return Err(VerifyError::InvalidHeader(name));
    }
    // All bytes are ASCII graphic, hence valid UTF-8.
    Ok(std::str::from_utf8(raw).ok().map(str::to_owned))
}

/// Computes the Zendesk signature header value for `timestamp` and `body` with `secret` (the
/// secret string's bytes are the key). Used by `phi-guard sign` and test/load tooling.
pub fn sign_zendesk(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = keyed_mac(secret.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// What a successful Sunshine verification tells the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedSunshine {
    /// Index (in configuration order) of the secret that matched.
    pub secret_index: usize,
}

/// Verifies Sunshine Conversations webhook `X-API-Key` headers for a set of tenants.
#[derive(Clone)]
pub struct SunshineVerifier {
    tenants: HashMap<String, Vec<SecretString>>,
}

impl fmt::Debug for SunshineVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tenants: Vec<(&str, usize)> = self
            .tenants
            .iter()
            .map(|(t, s)| (t.as_str(), s.len()))
            .collect();
        tenants.sort_unstable();
        f.debug_struct("SunshineVerifier")
            .field("tenants_secret_counts", &tenants)
            .finish()
    }
}

impl SunshineVerifier {
    /// Builds a verifier from `(tenant, webhook secrets)` pairs. Fails on a tenant without
    /// secrets, an empty secret, or a repeated tenant.
    pub fn new<I, T>(tenants: I) -> Result<Self, VerifierConfigError>
    where
        I: IntoIterator<Item = (T, Vec<SecretString>)>,
        T: Into<String>,
    {
        let mut map = HashMap::new();
        for (tenant, secrets) in tenants {
            let tenant = tenant.into();
            if secrets.is_empty() {
                return Err(VerifierConfigError::NoSecrets { tenant });
            }
            if let Some(index) = secrets.iter().position(|s| s.expose_secret().is_empty()) {
                return Err(VerifierConfigError::EmptySecret { tenant, index });
            }
            if map.contains_key(&tenant) {
                return Err(VerifierConfigError::DuplicateTenant { tenant });
            }
            map.insert(tenant, secrets);
        }
        Ok(SunshineVerifier { tenants: map })
    }

    /// True when `tenant` is configured.
    pub fn has_tenant(&self, tenant: &str) -> bool {
        self.tenants.contains_key(tenant)
    }

    /// Checks `X-API-Key` against every secret of `tenant` in constant time (per secret, lengths
    /// compared first; no early exit across secrets).
    pub fn verify<H: HeaderSource + ?Sized>(
        &self,
        tenant: &str,
        headers: &H,
    ) -> Result<VerifiedSunshine, VerifyError> {
        let secrets = self.tenants.get(tenant).ok_or(VerifyError::UnknownTenant)?;
        if headers.header_count(SUNSHINE_API_KEY_HEADER) > 1 {
            return Err(VerifyError::DuplicateHeader(SUNSHINE_API_KEY_HEADER));
        }
        let key = headers
            .header(SUNSHINE_API_KEY_HEADER)
            .map(<[u8]>::trim_ascii)
            .filter(|k| !k.is_empty())
            .ok_or(VerifyError::MissingApiKey)?;
        let mut matched: Option<usize> = None;
        for (index, secret) in secrets.iter().enumerate() {
            let expected = secret.expose_secret().as_bytes();
            let same_len = Choice::from(u8::from(expected.len() == key.len()));
            // `[u8]::ct_eq` is constant time for equal lengths and returns 0 otherwise.
            let eq = same_len & expected.ct_eq(key);
            if bool::from(eq) && matched.is_none() {
                matched = Some(index);
            }
        }
        matched
            .map(|secret_index| VerifiedSunshine { secret_index })
            .ok_or(VerifyError::BadApiKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET_A: &str = "Xk3v9QpL2mN8rT5wZ1yB4cD7fG0hJ6sA";
    const SECRET_B: &str = "second-rotated-secret-value-0001";
    const TS: &str = "2025-01-01T00:00:00Z";
    const BODY: &[u8] = br#"{"type":"zen:event-type:ticket.comment_added","id":"00000000-0000-4000-8000-000000000001"}"#;

    fn at(ts: &str) -> SystemTime {
        SystemTime::from(chrono::DateTime::parse_from_rfc3339(ts).unwrap())
    }

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    fn verifier(list: &[&str]) -> ZendeskVerifier {
        ZendeskVerifier::new([("acme", secrets(list))], TimestampWindow::default(), false).unwrap()
    }

    fn headers(sig: &str, ts: &str) -> Vec<(String, String)> {
        vec![
            ("X-Zendesk-Webhook-Signature".into(), sig.into()),
            ("X-Zendesk-Webhook-Signature-Timestamp".into(), ts.into()),
            ("X-Zendesk-Account-Id".into(), "123456".into()),
            (
                "X-Zendesk-Webhook-Id".into(),
                "01F1KRFQ6BG29CNWFR60NK5FNY".into(),
            ),
            (
                "X-Zendesk-Webhook-Invocation-Id".into(),
                "8350205582".into(),
            ),
        ]
    }

    // Vectors computed outside this code with Python `hmac` and `openssl dgst -sha256 -hmac`
    // (e.g. `printf '%s' "$TS$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64`).
    #[test]
    fn sign_matches_independent_vectors() {
        assert_eq!(
            sign_zendesk(ZENDESK_TEST_SECRET, TS, BODY),
            "IpXY90ya7tIZ1R+j3z5BGuyC6Lyxg3jjhbD88tdln0w="
        );
        assert_eq!(
            sign_zendesk(ZENDESK_TEST_SECRET, TS, b""),
            "ieL7i5iFCwEJzhw9F6F5j+YaGSedD0Knbuh0h7nXnBs="
        );
        assert_eq!(
            sign_zendesk(
                SECRET_A,
                "2026-11-24T17:50:00Z",
                br#"{"phi_guard":1,"ticket_id":"35436"}"#
            ),
            "OFoWNoKiB7gfPKj4ef4YowVqqn57W2UjaMTyOMQmQSs="
        );
        // Non-ASCII secret and body, CRLF, fractional timestamp.
        assert_eq!(
            sign_zendesk(
                "rot\u{e9}-secret-\u{fc}nicode",
                "2026-11-24T17:50:00.250Z",
                "\u{fc}n\u{ef}\ncode body\r\n".as_bytes()
            ),
            "iR8oZ94bCPy/RG75e72K0VC4WgmcbWGegPdN/Ea8FKQ="
        );
    }

    #[test]
    fn old_doc_inputs_in_current_order_give_the_recomputed_value() {
        // The old doc's published signature was BODY+TIMESTAMP; in the current order the same
        // inputs give this value (reference §1.3).
        assert_eq!(
            sign_zendesk(
                "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=",
                "2021-07-25T10:00:00Z",
                br#"{"say": "hello"}"#
            ),
            "Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk="
        );
    }

    #[test]
    fn valid_signature_returns_ids_and_index() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let ok = v.verify("acme", &headers(&sig, TS), BODY, at(TS)).unwrap();
        assert_eq!(ok.account_id.as_deref(), Some("123456"));
        assert_eq!(ok.webhook_id.as_deref(), Some("01F1KRFQ6BG29CNWFR60NK5FNY"));
        assert_eq!(ok.invocation_id.as_deref(), Some("8350205582"));
        assert_eq!(ok.timestamp, at(TS));
        assert_eq!(ok.secret_index, 0);
    }

    #[test]
    fn rotation_second_secret_is_accepted_and_reported_by_index() {
        let v = verifier(&[SECRET_A, SECRET_B]);
        let sig = sign_zendesk(SECRET_B, TS, BODY);
        let ok = v.verify("acme", &headers(&sig, TS), BODY, at(TS)).unwrap();
        assert_eq!(ok.secret_index, 1);
    }

    #[test]
    fn wrong_secret_is_bad_signature() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_B, TS, BODY);
        let err = v
            .verify("acme", &headers(&sig, TS), BODY, at(TS))
            .unwrap_err();
        assert_eq!(err, VerifyError::BadSignature);
        assert_eq!(err.status(), 401);
        assert_eq!(err.reason(), "bad_signature");
    }

    #[test]
    fn secret_is_not_base64_decoded() {
        // A secret that looks like base64: signing with its decoded bytes must not verify.
        let secret = "c2VjcmV0LXRoYXQtbG9va3MtbGlrZS1iYXNlNjQ=";
        let decoded = STANDARD.decode(secret).unwrap();
        let mut mac = keyed_mac(&decoded);
        mac.update(TS.as_bytes());
        mac.update(BODY);
        let sig = STANDARD.encode(mac.finalize().into_bytes());
        let v = verifier(&[secret]);
        assert_eq!(
            v.verify("acme", &headers(&sig, TS), BODY, at(TS)),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn tampered_body_or_timestamp_is_bad_signature() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 0x01;
        assert_eq!(
            v.verify("acme", &headers(&sig, TS), &tampered, at(TS)),
            Err(VerifyError::BadSignature)
        );
        // Trailing newline added by a proxy: still a different body.
        let mut nl = BODY.to_vec();
        nl.push(b'\n');
        assert_eq!(
            v.verify("acme", &headers(&sig, TS), &nl, at(TS)),
            Err(VerifyError::BadSignature)
        );
        let ts2 = "2025-01-01T00:00:01Z";
        assert_eq!(
            v.verify("acme", &headers(&sig, ts2), BODY, at(TS)),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn body_then_timestamp_order_is_rejected() {
        let v = verifier(&[SECRET_A]);
        let mut swapped = BODY.to_vec();
        swapped.extend_from_slice(TS.as_bytes());
        let sig = sign_zendesk(SECRET_A, "", &swapped);
        assert_eq!(
            v.verify("acme", &headers(&sig, TS), BODY, at(TS)),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn empty_body_verifies() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, b"");
        assert!(v.verify("acme", &headers(&sig, TS), b"", at(TS)).is_ok());
    }

    #[test]
    fn malformed_signatures_are_encoding_errors() {
        let v = verifier(&[SECRET_A]);
        let good = sign_zendesk(SECRET_A, TS, BODY);
        let truncated = &good[..40];
        let no_padding = good.trim_end_matches('=');
        let hex_sig = hex::encode(STANDARD.decode(&good).unwrap());
        let short_tag = STANDARD.encode([7u8; 31]);
        let long_tag = STANDARD.encode([7u8; 33]);
        let too_long = "A".repeat(200);
        for bad in [
            "",
            "   ",
            truncated,
            no_padding,
            "not base64 !!",
            hex_sig.as_str(),
            short_tag.as_str(),
            long_tag.as_str(),
            too_long.as_str(),
        ] {
            let err = v
                .verify("acme", &headers(bad, TS), BODY, at(TS))
                .unwrap_err();
            assert_eq!(err, VerifyError::InvalidSignatureEncoding, "input {bad:?}");
            assert_eq!(err.status(), 401);
        }
    }

    #[test]
    fn url_safe_alphabet_is_rejected() {
        // Find a body whose signature contains '+' or '/', then send the URL-safe form.
        let v = verifier(&[SECRET_A]);
        let (body, sig) = (0..100u32)
            .map(|i| {
                let b = format!("{{\"n\":{i}}}").into_bytes();
                let s = sign_zendesk(SECRET_A, TS, &b);
                (b, s)
            })
            .find(|(_, s)| s.contains('+') || s.contains('/'))
            .unwrap();
        let url_safe = sig.replace('+', "-").replace('/', "_");
        assert_eq!(
            v.verify("acme", &headers(&url_safe, TS), &body, at(TS)),
            Err(VerifyError::InvalidSignatureEncoding)
        );
        assert!(v.verify("acme", &headers(&sig, TS), &body, at(TS)).is_ok());
    }

    #[test]
    fn missing_headers_are_named() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let only_ts: [(&str, &str); 1] = [(ZENDESK_TIMESTAMP_HEADER, TS)];
        let err = v.verify("acme", &only_ts, BODY, at(TS)).unwrap_err();
        assert_eq!(err, VerifyError::MissingHeader(ZENDESK_SIGNATURE_HEADER));
        assert_eq!(err.status(), 401);
        let only_sig: [(&str, &str); 1] = [(ZENDESK_SIGNATURE_HEADER, sig.as_str())];
        assert_eq!(
            v.verify("acme", &only_sig, BODY, at(TS)),
            Err(VerifyError::MissingHeader(ZENDESK_TIMESTAMP_HEADER))
        );
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            v.verify("acme", &none, BODY, at(TS)).unwrap_err().reason(),
            "missing_header"
        );
    }

    #[test]
    fn id_headers_are_optional_but_validated() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let minimal = [
            (ZENDESK_SIGNATURE_HEADER, sig.as_str()),
            (ZENDESK_TIMESTAMP_HEADER, TS),
        ];
        let ok = v.verify("acme", &minimal, BODY, at(TS)).unwrap();
        assert_eq!(ok.account_id, None);
        assert_eq!(ok.invocation_id, None);
        let bad_id = [
            (ZENDESK_SIGNATURE_HEADER, sig.as_str()),
            (ZENDESK_TIMESTAMP_HEADER, TS),
            (ZENDESK_INVOCATION_HEADER, "has space"),
        ];
        let err = v.verify("acme", &bad_id, BODY, at(TS)).unwrap_err();
        assert_eq!(err, VerifyError::InvalidHeader(ZENDESK_INVOCATION_HEADER));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let upper = [
            ("X-ZENDESK-WEBHOOK-SIGNATURE", sig.as_str()),
            ("x-Zendesk-Webhook-Signature-TIMESTAMP", TS),
        ];
        assert!(v.verify("acme", &upper, BODY, at(TS)).is_ok());

        let mut map = actix_web::http::header::HeaderMap::new();
        map.insert(
            actix_web::http::header::HeaderName::from_static("x-zendesk-webhook-signature"),
            actix_web::http::header::HeaderValue::from_str(&sig).unwrap(),
        );
        map.insert(
            actix_web::http::header::HeaderName::from_static(
                "x-zendesk-webhook-signature-timestamp",
            ),
            actix_web::http::header::HeaderValue::from_static(TS),
        );
        assert_eq!(
            map.header("X-Zendesk-Webhook-Signature"),
            Some(sig.as_bytes())
        );
        assert!(v.verify("acme", &map, BODY, at(TS)).is_ok());
    }

    #[test]
    fn window_edges_are_inclusive_in_both_directions() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let h = headers(&sig, TS);
        let t = at(TS);
        let max_age = DEFAULT_MAX_AGE;
        let skew = DEFAULT_MAX_FUTURE_SKEW;
        assert!(v.verify("acme", &h, BODY, t + max_age).is_ok());
        assert_eq!(
            v.verify("acme", &h, BODY, t + max_age + Duration::from_secs(1)),
            Err(VerifyError::StaleTimestamp)
        );
        assert!(v.verify("acme", &h, BODY, t - skew).is_ok());
        let err = v
            .verify("acme", &h, BODY, t - skew - Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(err, VerifyError::FutureTimestamp);
        assert_eq!(err.status(), 401);
        assert_eq!(err.reason(), "future_timestamp");
    }

    #[test]
    fn custom_window_is_honoured() {
        let w = TimestampWindow {
            max_age: Duration::from_secs(30),
            max_future_skew: Duration::ZERO,
        };
        let v = ZendeskVerifier::new([("acme", secrets(&[SECRET_A]))], w, false).unwrap();
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let h = headers(&sig, TS);
        assert!(
            v.verify("acme", &h, BODY, at(TS) + Duration::from_secs(30))
                .is_ok()
        );
        assert_eq!(
            v.verify("acme", &h, BODY, at(TS) + Duration::from_secs(31)),
            Err(VerifyError::StaleTimestamp)
        );
        assert_eq!(
            v.verify("acme", &h, BODY, at(TS) - Duration::from_secs(1)),
            Err(VerifyError::FutureTimestamp)
        );
    }

    #[test]
    fn signature_is_checked_before_the_window() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_B, TS, BODY);
        // Forged and stale: reported as a bad signature, not as stale.
        assert_eq!(
            v.verify("acme", &headers(&sig, TS), BODY, at("2030-01-01T00:00:00Z")),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn timestamp_formats() {
        let v = verifier(&[SECRET_A]);
        let now = at(TS);
        for ts in [
            "2025-01-01T00:00:00Z",
            "2025-01-01T00:00:00.123Z",
            "2025-01-01T00:00:00+00:00",
            "2025-01-01T01:00:00+01:00",
        ] {
            let sig = sign_zendesk(SECRET_A, ts, BODY);
            assert!(
                v.verify("acme", &headers(&sig, ts), BODY, now).is_ok(),
                "{ts}"
            );
        }
        for (ts, want) in [
            ("1735689600", VerifyError::EpochTimestamp),
            ("1735689600.5", VerifyError::EpochTimestamp),
            (
                "2025-01-01 00:00",
                VerifyError::InvalidHeader(ZENDESK_TIMESTAMP_HEADER),
            ),
            (
                "2025-01-01T00:00:00",
                VerifyError::InvalidHeader(ZENDESK_TIMESTAMP_HEADER),
            ),
            (
                "yesterday",
                VerifyError::InvalidHeader(ZENDESK_TIMESTAMP_HEADER),
            ),
        ] {
            let sig = sign_zendesk(SECRET_A, ts, BODY);
            let err = v.verify("acme", &headers(&sig, ts), BODY, now).unwrap_err();
            assert_eq!(err, want, "{ts}");
            assert_eq!(err.status(), 400);
        }
        assert_eq!(VerifyError::EpochTimestamp.reason(), "epoch_timestamp");
    }

    #[test]
    fn extreme_but_valid_timestamps_do_not_panic() {
        let v = verifier(&[SECRET_A]);
        let now = at(TS);
        for (ts, want) in [
            ("0000-01-01T00:00:00Z", Err(VerifyError::StaleTimestamp)),
            ("9999-12-31T23:59:59Z", Err(VerifyError::FutureTimestamp)),
            ("2024-12-31T23:59:60Z", Ok(())),
            ("2025-01-01T23:59:00+23:59", Ok(())),
            ("2024-12-31T00:00:00-23:59", Ok(())),
            (
                "2025-01-01T00:00:00-23:59",
                Err(VerifyError::FutureTimestamp),
            ),
        ] {
            let sig = sign_zendesk(SECRET_A, ts, BODY);
            let got = v.verify("acme", &headers(&sig, ts), BODY, now).map(|_| ());
            assert_eq!(got, want, "{ts}");
        }
    }

    #[test]
    fn every_variant_has_a_distinct_reason_and_a_4xx_status() {
        let all = [
            VerifyError::UnknownTenant,
            VerifyError::MissingHeader(ZENDESK_SIGNATURE_HEADER),
            VerifyError::InvalidHeader(ZENDESK_TIMESTAMP_HEADER),
            VerifyError::EpochTimestamp,
            VerifyError::InvalidSignatureEncoding,
            VerifyError::BadSignature,
            VerifyError::StaleTimestamp,
            VerifyError::FutureTimestamp,
            VerifyError::TestSecretRejected,
            VerifyError::MissingApiKey,
            VerifyError::BadApiKey,
        ];
        let mut reasons: Vec<&str> = all.iter().map(VerifyError::reason).collect();
        reasons.sort_unstable();
        reasons.dedup();
        assert_eq!(reasons.len(), all.len());
        // All are final for the senders (Sunshine never retries 400/401/403/404/406).
        assert!(all.iter().all(|e| matches!(e.status(), 400 | 401 | 404)));
    }

    #[test]
    fn unknown_tenant() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        let err = v
            .verify("other", &headers(&sig, TS), BODY, at(TS))
            .unwrap_err();
        assert_eq!(err, VerifyError::UnknownTenant);
        assert_eq!(err.status(), 404);
        assert_eq!(err.reason(), "unknown_tenant");
    }

    #[test]
    fn test_secret_refused_in_config_and_reported_on_requests() {
        let err = ZendeskVerifier::new(
            [("acme", secrets(&[SECRET_A, ZENDESK_TEST_SECRET]))],
            TimestampWindow::default(),
            false,
        )
        .unwrap_err();
        assert_eq!(
            err,
            VerifierConfigError::TestSecretConfigured {
                tenant: "acme".into()
            }
        );
        assert!(err.to_string().contains("acme"));
        assert!(!err.to_string().contains(ZENDESK_TEST_SECRET));

        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(ZENDESK_TEST_SECRET, TS, BODY);
        let err = v
            .verify("acme", &headers(&sig, TS), BODY, at(TS))
            .unwrap_err();
        assert_eq!(err, VerifyError::TestSecretRejected);
        assert_eq!(err.status(), 401);
        assert_eq!(err.reason(), "test_secret");

        // Explicitly allowed (tests / sandboxes): it verifies like any other secret.
        let allowed = ZendeskVerifier::new(
            [("acme", secrets(&[ZENDESK_TEST_SECRET]))],
            TimestampWindow::default(),
            true,
        )
        .unwrap();
        assert!(
            allowed
                .verify("acme", &headers(&sig, TS), BODY, at(TS))
                .is_ok()
        );
    }

    #[test]
    fn config_errors() {
        let w = TimestampWindow::default();
        assert_eq!(
            ZendeskVerifier::new([("t", Vec::new())], w, false).unwrap_err(),
            VerifierConfigError::NoSecrets { tenant: "t".into() }
        );
        assert_eq!(
            ZendeskVerifier::new([("t", secrets(&[SECRET_A, ""]))], w, false).unwrap_err(),
            VerifierConfigError::EmptySecret {
                tenant: "t".into(),
                index: 1
            }
        );
        assert_eq!(
            ZendeskVerifier::new(
                [("t", secrets(&[SECRET_A])), ("t", secrets(&[SECRET_B]))],
                w,
                false
            )
            .unwrap_err(),
            VerifierConfigError::DuplicateTenant { tenant: "t".into() }
        );
        let zero = TimestampWindow {
            max_age: Duration::ZERO,
            ..w
        };
        assert!(matches!(
            ZendeskVerifier::new([("t", secrets(&[SECRET_A]))], zero, false),
            Err(VerifierConfigError::InvalidWindow(_))
        ));
        let huge = TimestampWindow {
            max_future_skew: Duration::from_secs(2 * 86_400),
            ..w
        };
        assert!(matches!(
            ZendeskVerifier::new([("t", secrets(&[SECRET_A]))], huge, false),
            Err(VerifierConfigError::InvalidWindow(_))
        ));
    }

    #[test]
    fn debug_output_never_contains_secrets() {
        let v = verifier(&[SECRET_A]);
        let s = SunshineVerifier::new([("acme", secrets(&[SECRET_B]))]).unwrap();
        let dbg = format!("{v:?} {s:?}");
        assert!(!dbg.contains(SECRET_A) && !dbg.contains(SECRET_B), "{dbg}");
        assert!(dbg.contains("acme"));
    }

    #[test]
    fn error_messages_never_contain_header_values() {
        let v = verifier(&[SECRET_A]);
        let marker = "2025-01-01T00:00:00Zmarker";
        let sig = sign_zendesk(SECRET_A, marker, BODY);
        let err = v
            .verify("acme", &headers(&sig, marker), BODY, at(TS))
            .unwrap_err();
        assert!(!err.to_string().contains("marker"));
        assert!(!format!("{err:?}").contains("marker"));
    }

    // --- Sunshine ---

    fn sunshine() -> SunshineVerifier {
        SunshineVerifier::new([
            (
                "acme",
                secrets(&["8564b3e6a8b20a4bdb68b05ce9bc5936", "rotated-0002"]),
            ),
            ("beta", secrets(&["beta-secret"])),
        ])
        .unwrap()
    }

    #[test]
    fn sunshine_accepts_each_active_secret() {
        let v = sunshine();
        let h = [("X-API-Key", "8564b3e6a8b20a4bdb68b05ce9bc5936")];
        assert_eq!(v.verify("acme", &h).unwrap().secret_index, 0);
        let h = [("x-api-key", "rotated-0002")];
        assert_eq!(v.verify("acme", &h).unwrap().secret_index, 1);
    }

    #[test]
    fn sunshine_rejections() {
        let v = sunshine();
        let none: [(&str, &str); 0] = [];
        let err = v.verify("acme", &none).unwrap_err();
        assert_eq!(err, VerifyError::MissingApiKey);
        assert_eq!((err.status(), err.reason()), (401, "missing_api_key"));
        assert_eq!(
            v.verify("acme", &[("X-API-Key", "")]),
            Err(VerifyError::MissingApiKey)
        );
        for bad in [
            "8564b3e6a8b20a4bdb68b05ce9bc593",   // prefix
            "8564b3e6a8b20a4bdb68b05ce9bc59360", // longer
            "8564B3E6A8B20A4BDB68B05CE9BC5936",  // case differs
            "beta-secret",                       // another tenant's secret
        ] {
            let err = v.verify("acme", &[("X-API-Key", bad)]).unwrap_err();
            assert_eq!(err, VerifyError::BadApiKey, "{bad}");
            assert_eq!((err.status(), err.reason()), (401, "bad_api_key"));
        }
        assert_eq!(
            v.verify("nope", &[("X-API-Key", "beta-secret")]),
            Err(VerifyError::UnknownTenant)
        );
        assert!(matches!(
            SunshineVerifier::new([("t", secrets(&[""]))]),
            Err(VerifierConfigError::EmptySecret { index: 0, .. })
        ));
        assert!(matches!(
            SunshineVerifier::new([("t", Vec::new())]),
            Err(VerifierConfigError::NoSecrets { .. })
        ));
    }

    #[test]
    fn repeated_credential_headers_are_refused_even_when_one_is_valid() {
        let v = verifier(&[SECRET_A]);
        let sig = sign_zendesk(SECRET_A, TS, BODY);
        for (name, value) in [
            ("x-zendesk-webhook-signature", sig.as_str()),
            ("X-Zendesk-Webhook-Signature", "AAAA"),
            ("x-zendesk-webhook-signature-timestamp", TS),
        ] {
            let mut h = headers(&sig, TS);
            h.push((name.into(), value.into()));
            let err = v.verify("acme", &h, BODY, at(TS)).unwrap_err();
            assert!(matches!(err, VerifyError::DuplicateHeader(_)), "{name}");
            assert_eq!((err.status(), err.reason()), (400, "duplicate_header"));
        }
        // The actix header map counts repeated values too.
        let mut map = actix_web::http::header::HeaderMap::new();
        for v in ["a", "b"] {
            map.append(
                actix_web::http::header::HeaderName::from_static(SUNSHINE_API_KEY_HEADER),
                actix_web::http::header::HeaderValue::from_static(v),
            );
        }
        assert_eq!(map.header_count("X-API-Key"), 2);
        let s = sunshine();
        let h = [
            ("X-API-Key", "8564b3e6a8b20a4bdb68b05ce9bc5936"),
            ("x-api-key", "8564b3e6a8b20a4bdb68b05ce9bc5936"),
        ];
        assert_eq!(
            s.verify("acme", &h),
            Err(VerifyError::DuplicateHeader(SUNSHINE_API_KEY_HEADER))
        );
    }

    proptest! {
        #[test]
        fn zendesk_verify_never_panics(
            sig in proptest::option::of(".{0,80}"),
            ts in proptest::option::of(".{0,60}"),
            inv in proptest::option::of(".{0,200}"),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            secs in 0u64..4_000_000_000,
        ) {
            let v = verifier(&[SECRET_A, SECRET_B]);
            let mut h: Vec<(String, String)> = Vec::new();
            if let Some(s) = sig { h.push((ZENDESK_SIGNATURE_HEADER.into(), s)); }
            if let Some(t) = ts { h.push((ZENDESK_TIMESTAMP_HEADER.into(), t)); }
            if let Some(i) = inv { h.push((ZENDESK_INVOCATION_HEADER.into(), i)); }
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            let _ = v.verify("acme", &h, &body, now);
        }

        #[test]
        fn zendesk_roundtrip_and_any_bit_flip_fails(
            body in proptest::collection::vec(any::<u8>(), 1..256),
            flip in any::<prop::sample::Index>(),
        ) {
            let v = verifier(&[SECRET_A]);
            let sig = sign_zendesk(SECRET_A, TS, &body);
            let h = headers(&sig, TS);
            prop_assert!(v.verify("acme", &h, &body, at(TS)).is_ok());
            let mut tampered = body.clone();
            let i = flip.index(tampered.len());
            tampered[i] ^= 0x80;
            prop_assert_eq!(v.verify("acme", &h, &tampered, at(TS)), Err(VerifyError::BadSignature));
        }

        #[test]
        fn sunshine_verify_never_panics(key in proptest::option::of(".{0,100}")) {
            let v = sunshine();
            let mut h: Vec<(String, String)> = Vec::new();
            if let Some(k) = key { h.push(("X-API-Key".into(), k)); }
            let _ = v.verify("acme", &h);
        }
    }
}
