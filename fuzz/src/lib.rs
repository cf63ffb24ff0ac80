//! Invariant checks shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*`) and the normal-CI
//! replay test (`tests/fuzz_regressions.rs`, which includes this file with `#[path]`).
//!
//! Owns: one `check_<target>(input)` per fuzz target, taking the raw fuzz input bytes and
//! panicking (assert) when an invariant breaks. Uses only phi-guard's public API. Must not: do
//! network I/O or depend on anything but `phi_guard`, `secrecy` and `std` (the replay test builds
//! it inside the main crate's test harness). Rule loading writes to a private temp directory.
//!
//! Targets (the directory names under `fuzz/corpus/` and `fuzz/regressions/`): `zendesk_parse`,
//! `sunshine_parse`, `verify`, `html_offsets`, `rule_load`, `detect_scan`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use phi_guard::detect::{Detector, Finding};
use phi_guard::ingest::verify::{
    self, HeaderSource, SunshineVerifier, TimestampWindow, VerifyError, ZendeskVerifier,
};
use phi_guard::ingest::{AuthorRules, Disposition, ParseContext, ParseError, ParsedEvent, Source};
use secrecy::SecretString;

/// Every target name, in the order `scripts/fuzz` runs them.
pub const TARGETS: [&str; 6] = [
    "zendesk_parse",
    "sunshine_parse",
    "verify",
    "html_offsets",
    "rule_load",
    "detect_scan",
];

/// Runs the check of `target` on `input`. Panics on an unknown target.
pub fn check(target: &str, input: &[u8]) {
    match target {
        "zendesk_parse" => check_zendesk_parse(input),
        "sunshine_parse" => check_sunshine_parse(input),
        "verify" => check_verify(input),
        "html_offsets" => check_html_offsets(input),
        "rule_load" => check_rule_load(input),
        "detect_scan" => check_detect_scan(input),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// The shipped rules (embedded in the library), compiled once per process.
pub fn shipped_detector() -> &'static Detector {
    static DET: OnceLock<Detector> = OnceLock::new();
    DET.get_or_init(|| {
        phi_guard::patterns::load_detector(None, &[]).expect("shipped rules compile")
    })
}

// ---------------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------------

/// Seeds plant this marker in values; no error message may ever echo it.
const CANARY: &str = "canary";

fn check_parse_error(e: &ParseError) {
    let msg = e.to_string();
    assert!(!e.reason().is_empty());
    assert!(
        msg.len() <= 120,
        "parse error message too long: {}",
        msg.len()
    );
    assert!(
        !msg.to_ascii_lowercase().contains(CANARY),
        "parse error echoes body text"
    );
}

fn check_events(events: &[ParsedEvent], ctx: &ParseContext<'_>, source: Source) {
    for ev in events {
        assert!(!ev.event_id.is_empty(), "empty event id");
        assert!(!ev.event_type_label().is_empty());
        if ev.disposition == Disposition::Ignored {
            assert!(ev.targets.is_empty(), "ignored event carries targets");
        }
        for t in &ev.targets {
            assert_eq!(t.source, source);
            assert_eq!(
                t.tenant, ctx.tenant,
                "target tenant is not the route tenant"
            );
            assert_eq!(
                t.event_id, ev.event_id,
                "target event id differs from its event"
            );
            assert_eq!(t.event_type, ev.event_type);
        }
    }
}

fn parse_contexts(rules: &AuthorRules) -> [ParseContext<'_>; 2] {
    [
        ParseContext {
            tenant: "default",
            invocation_id: None,
            account_id: None,
            author_rules: rules,
        },
        ParseContext {
            tenant: "acme",
            invocation_id: Some("01HZX0INVOCATION"),
            account_id: Some("1234567"),
            author_rules: rules,
        },
    ]
}

/// `ingest::zendesk::parse` on arbitrary bytes: a typed error or events whose targets carry the
/// route tenant and their event's id; one event per request; deterministic; no body text in errors.
pub fn check_zendesk_parse(body: &[u8]) {
    let rules = AuthorRules::default();
    for ctx in parse_contexts(&rules) {
        let first = phi_guard::ingest::zendesk::parse(body, &ctx);
        match &first {
            Ok(events) => {
                assert_eq!(
                    events.len(),
                    1,
                    "a Zendesk request yields exactly one event"
                );
                check_events(events, &ctx, Source::Zendesk);
                let ev = &events[0];
                if ev.event_type == phi_guard::ingest::zendesk::TRIGGER_EVENT_TYPE {
                    match ctx.invocation_id {
                        Some(inv) => assert_eq!(ev.event_id, inv),
                        None => assert!(ev.event_id.starts_with("trigger:")),
                    }
                }
            }
            Err(e) => check_parse_error(e),
        }
        assert_eq!(
            first,
            phi_guard::ingest::zendesk::parse(body, &ctx),
            "parse is not deterministic"
        );
    }
}

/// `ingest::sunshine::parse` on arbitrary bytes: same invariants as Zendesk (any number of
/// events, event ids unique within a request are NOT required: dedupe handles repeats).
pub fn check_sunshine_parse(body: &[u8]) {
    let rules = AuthorRules::default();
    for ctx in parse_contexts(&rules) {
        let ctx = ParseContext {
            invocation_id: None,
            account_id: None,
            ..ctx
        };
        let first = phi_guard::ingest::sunshine::parse(body, &ctx);
        match &first {
            Ok(events) => check_events(events, &ctx, Source::Sunshine),
            Err(e) => check_parse_error(e),
        }
        assert_eq!(
            first,
            phi_guard::ingest::sunshine::parse(body, &ctx),
            "parse is not deterministic"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Signature / API-key verification
// ---------------------------------------------------------------------------------------------

/// Raw header lines as bytes (may be non-UTF-8, may repeat). First match wins, like actix's
/// `HeaderMap::get`.
struct RawHeaders(Vec<(Vec<u8>, Vec<u8>)>);

impl HeaderSource for RawHeaders {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }
}

impl RawHeaders {
    fn set(&mut self, name: &str, value: &[u8]) {
        self.0
            .retain(|(k, _)| !k.eq_ignore_ascii_case(name.as_bytes()));
        self.0.insert(0, (name.as_bytes().to_vec(), value.to_vec()));
    }
}

/// Splits `input` like an HTTP request: `name: value` lines up to the first empty line, the rest
/// is the body. Lines without a colon become a header with an empty value.
fn split_request(input: &[u8]) -> (RawHeaders, &[u8]) {
    let mut headers = Vec::new();
    let mut rest = input;
    loop {
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            // No blank line: everything was headers, body empty.
            if !rest.is_empty() {
                headers.push(header_line(rest));
            }
            return (RawHeaders(headers), &[]);
        };
        let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
        rest = &rest[nl + 1..];
        if line.is_empty() {
            return (RawHeaders(headers), rest);
        }
        headers.push(header_line(line));
    }
}

/// One `name: value` line. Like an HTTP parser (RFC 9110 §5.5), spaces and tabs around the value
/// are not part of it; anything else (other bytes, inner whitespace) is kept.
fn header_line(line: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let trim = |v: &[u8]| {
        let start = v.iter().position(|b| !ows(b)).unwrap_or(v.len());
        let end = v.iter().rposition(|b| !ows(b)).map_or(start, |e| e + 1);
        v[start..end].to_vec()
    };
    match line.iter().position(|&b| b == b':') {
        Some(c) => (trim(&line[..c]), trim(&line[c + 1..])),
        None => (trim(line), Vec::new()),
    }
}

const ZD_SECRETS: [&str; 2] = ["fuzz-secret-one", "fuzz-secret-two-rotated"];
const SUNCO_SECRETS: [&str; 2] = ["sunco-key-1", "sunco-key-2-rotated"];

/// "Now" for the verifier: 2026-01-01T00:00:00Z (seeds sign timestamps near it).
fn fuzz_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn verifiers() -> &'static (ZendeskVerifier, SunshineVerifier) {
    static V: OnceLock<(ZendeskVerifier, SunshineVerifier)> = OnceLock::new();
    V.get_or_init(|| {
        let secrets = |s: &[&str]| s.iter().map(|v| SecretString::from(*v)).collect::<Vec<_>>();
        (
            ZendeskVerifier::new(
                [("t", secrets(&ZD_SECRETS))],
                TimestampWindow::default(),
                false,
            )
            .expect("zendesk verifier"),
            SunshineVerifier::new([("t", secrets(&SUNCO_SECRETS))]).expect("sunshine verifier"),
        )
    })
}

fn check_verify_error(e: &VerifyError, headers: &RawHeaders) {
    assert!(matches!(e.status(), 400 | 401 | 404));
    assert!(!e.reason().is_empty());
    let msg = e.to_string();
    // Errors name headers, never their values.
    for (_, v) in &headers.0 {
        let v = v.trim_ascii();
        if v.len() >= 12 && v.iter().all(u8::is_ascii_alphanumeric) {
            assert!(
                !msg.as_bytes().windows(v.len()).any(|w| w == v),
                "verify error echoes a header value"
            );
        }
    }
}

/// Zendesk and Sunshine verification on an arbitrary request (`name: value` lines, blank line,
/// body). Checks: no panic; an accepted Zendesk request carries the exact HMAC of one configured
/// secret over its raw timestamp bytes and body (nothing is forgeable); re-signing the same
/// timestamp and body with a configured secret fails only for timestamp/id-header reasons; the
/// public test secret is always refused; Sunshine accepts exactly the configured keys (trimmed).
pub fn check_verify(input: &[u8]) {
    let (zd, sunco) = verifiers();
    let (mut headers, body) = split_request(input);
    let now = fuzz_now();

    match zd.verify("t", &headers, body, now) {
        Ok(v) => {
            let ts = headers
                .header(verify::ZENDESK_TIMESTAMP_HEADER)
                .expect("accepted without a timestamp");
            let ts = std::str::from_utf8(ts).expect("accepted a non-UTF-8 timestamp");
            let sig = headers
                .header(verify::ZENDESK_SIGNATURE_HEADER)
                .expect("accepted without a signature")
                .trim_ascii();
            let expected = verify::sign_zendesk(ZD_SECRETS[v.secret_index], ts, body);
            assert_eq!(
                sig,
                expected.as_bytes(),
                "accepted a signature we did not make"
            );
        }
        Err(e) => check_verify_error(&e, &headers),
    }
    assert!(matches!(
        zd.verify("unknown", &headers, body, now),
        Err(VerifyError::UnknownTenant)
    ));

    // Positive path: sign what was sent with each secret (and the test secret).
    if let Some(ts) = headers
        .header(verify::ZENDESK_TIMESTAMP_HEADER)
        .and_then(|t| std::str::from_utf8(t).ok())
        .map(str::to_owned)
    {
        for (i, secret) in ZD_SECRETS.iter().enumerate() {
            let sig = verify::sign_zendesk(secret, &ts, body);
            // Surrounding whitespace is allowed around the tag.
            let padded = format!(" {sig}\t");
            for value in [sig.as_bytes(), padded.as_bytes()] {
                headers.set(verify::ZENDESK_SIGNATURE_HEADER, value);
                match zd.verify("t", &headers, body, now) {
                    Ok(v) => assert_eq!(v.secret_index, i),
                    Err(
                        e @ (VerifyError::InvalidHeader(_)
                        | VerifyError::EpochTimestamp
                        | VerifyError::StaleTimestamp
                        | VerifyError::FutureTimestamp),
                    ) => check_verify_error(&e, &headers),
                    Err(e) => panic!("correctly signed request refused: {e:?}"),
                }
            }
        }
        let sig = verify::sign_zendesk(verify::ZENDESK_TEST_SECRET, &ts, body);
        headers.set(verify::ZENDESK_SIGNATURE_HEADER, sig.as_bytes());
        assert_eq!(
            zd.verify("t", &headers, body, now),
            Err(VerifyError::TestSecretRejected),
            "test-secret signature not reported as such"
        );
    }

    // Sunshine: accepted iff the trimmed key equals a configured secret.
    let key = headers
        .header(verify::SUNSHINE_API_KEY_HEADER)
        .map(<[u8]>::trim_ascii);
    let expected = key.and_then(|k| SUNCO_SECRETS.iter().position(|s| s.as_bytes() == k));
    match sunco.verify("t", &headers) {
        Ok(v) => assert_eq!(Some(v.secret_index), expected, "accepted a wrong API key"),
        Err(e) => {
            assert_eq!(expected, None, "refused a configured API key: {e:?}");
            check_verify_error(&e, &headers);
        }
    }
}

/// The Zendesk verdict on a `verify` input as is (for tests of the seed corpus).
pub fn zendesk_verdict(input: &[u8]) -> Result<usize, VerifyError> {
    let (headers, body) = split_request(input);
    verifiers()
        .0
        .verify("t", &headers, body, fuzz_now())
        .map(|v| v.secret_index)
}

// ---------------------------------------------------------------------------------------------
// Detector
// ---------------------------------------------------------------------------------------------

/// Spans inside `text`, on char boundaries, non-empty, sorted and disjoint; char offsets equal the
/// number of chars before each byte offset; scores finite in [0, 1]; rule ids known.
pub fn check_findings(det: &Detector, text: &str, findings: &[Finding]) {
    let mut prev_byte_end = 0usize;
    let mut prev_char_end = 0usize;
    for f in findings {
        assert!(
            f.byte_start < f.byte_end && f.byte_end <= text.len(),
            "span {}..{} outside a text of {} bytes (or empty)",
            f.byte_start,
            f.byte_end,
            text.len()
        );
        assert!(
            text.is_char_boundary(f.byte_start) && text.is_char_boundary(f.byte_end),
            "span {}..{} not on char boundaries",
            f.byte_start,
            f.byte_end
        );
        assert!(
            f.byte_start >= prev_byte_end,
            "findings overlap or are out of order ({} < {prev_byte_end})",
            f.byte_start
        );
        let start = prev_char_end + text[prev_byte_end..f.byte_start].chars().count();
        let end = start + text[f.byte_start..f.byte_end].chars().count();
        assert_eq!(
            (f.start, f.end),
            (start, end),
            "char offsets disagree with byte offsets {}..{}",
            f.byte_start,
            f.byte_end
        );
        assert!(
            f.score.is_finite() && (0.0..=1.0).contains(&f.score),
            "score {} outside [0, 1]",
            f.score
        );
        assert!(
            det.rule_ids().any(|r| r == &*f.rule),
            "finding from an unknown rule"
        );
        prev_byte_end = f.byte_end;
        prev_char_end = end;
    }
}

/// Arbitrary bytes as text: valid UTF-8 as is, otherwise lossily decoded (so the fuzzer's byte
/// mutations still reach the detector).
fn as_text(input: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(input)
}

/// `Detector::scan` with the shipped rules on arbitrary UTF-8: [`check_findings`], deterministic.
pub fn check_detect_scan(input: &[u8]) {
    let det = shipped_detector();
    let text = as_text(input);
    let findings = det.scan(&text);
    check_findings(det, &text, &findings);
    assert_eq!(findings, det.scan(&text), "scan is not deterministic");
}

/// `Detector::scan_html` (HTML visible-text offset mapping): every finding maps into the original
/// HTML on char boundaries, in order, disjoint, char offsets consistent; on text without `<` or
/// `&` (visible text == input) it equals `scan`.
pub fn check_html_offsets(input: &[u8]) {
    let det = shipped_detector();
    let html = as_text(input);
    let findings = det.scan_html(&html);
    check_findings(det, &html, &findings);
    if !html.contains(['<', '&']) {
        assert_eq!(
            findings,
            det.scan(&html),
            "scan_html differs from scan on plain text"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rule files
// ---------------------------------------------------------------------------------------------

const SECTION: &[u8] = b"\n%%\n";

const DEFAULT_GLOBAL: &str = "[settings]\nmin_score = 0.5\n";

/// A fresh, private directory for one rule-load attempt (removed afterwards).
fn scratch_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!(
        "phi-guard-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

const PROBES: [&str; 4] = [
    "Patient Jane Doe, SSN 536-22-8745, DOB 03/14/1961, call (415) 555-0134 or jane@example.org.",
    "MRN: 00482913, Dr. Smith, 1600 Pennsylvania Ave NW, Washington, DC 20500, diabetes, E11.9",
    "plain text without identifiers",
    "été – ünïcödé 😀 536-22-8745 ☎ 06 12 34 56 78",
];

/// Loading an arbitrary rule tree never panics: a `%%` line splits the input into
/// `xx/fuzz.toml`, `global.toml` (a minimal one when absent) and `dictionaries/fuzz.txt`. A
/// successful load compiles or gives `file:line` errors; a compiled detector scans probe texts
/// with [`check_findings`] invariants and runs the rules' own examples.
pub fn check_rule_load(input: &[u8]) {
    let (rule, global, dict) = split_rule_input(input);
    let dir = scratch_dir();
    write_tree(&dir, rule, global, dict);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        load_and_check(&dir, [rule, global, dict]);
    }));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Rule count of the detector a `rule_load` input compiles to, or `None` when it is refused.
pub fn rule_load_rules(input: &[u8]) -> Option<usize> {
    let dir = scratch_dir();
    let (rule, global, dict) = split_rule_input(input);
    write_tree(&dir, rule, global, dict);
    let n = phi_guard::patterns::load_detector(Some(&dir), &[])
        .ok()
        .map(|d| d.rule_count());
    let _ = std::fs::remove_dir_all(&dir);
    n
}

fn split_rule_input(input: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let mut parts = Vec::new();
    let mut rest = input;
    while let Some(p) = rest.windows(SECTION.len()).position(|w| w == SECTION) {
        parts.push(&rest[..p]);
        rest = &rest[p + SECTION.len()..];
    }
    parts.push(rest);
    (
        parts[0],
        parts.get(1).copied().unwrap_or(DEFAULT_GLOBAL.as_bytes()),
        parts.get(2).copied().unwrap_or(b"alpha\nbeta\n"),
    )
}

fn write_tree(dir: &std::path::Path, rule: &[u8], global: &[u8], dict: &[u8]) {
    for (rel, bytes) in [
        ("xx/fuzz.toml", rule),
        ("global.toml", global),
        ("dictionaries/fuzz.txt", dict),
    ] {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
}

fn load_and_check(dir: &std::path::Path, files: [&[u8]; 3]) {
    let lines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() + 1;
    let max_line = files.iter().map(|f| lines(f)).max().unwrap_or(1);
    let check_errors = |errs: &phi_guard::patterns::LoadErrors| {
        assert!(!errs.0.is_empty(), "an error result without errors");
        for e in &errs.0 {
            assert!(!e.reason.is_empty(), "empty error reason");
            assert!(
                e.line <= max_line,
                "error line {} beyond the file ({max_line} lines)",
                e.line
            );
        }
    };
    let set = match phi_guard::patterns::load_dir(dir, &[]) {
        Ok(set) => set,
        Err(errs) => return check_errors(&errs),
    };
    let det = match set.compile() {
        Ok(det) => det,
        Err(errs) => return check_errors(&errs),
    };
    assert_eq!(det.rule_count(), set.len(), "compiled rule count differs");
    for probe in PROBES {
        check_findings(&det, probe, &det.scan(probe));
        check_findings(&det, probe, &det.scan_html(probe));
    }
    let _ = phi_guard::patterns::run_examples(&set, &det);
}
