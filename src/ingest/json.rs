//! Small helpers shared by the source parsers: parse verified bytes into a `serde_json::Value`
//! with text-free errors, and read ids / strings leniently (ids may be numbers or strings).
//!
//! Must not: put any value from the body into an error.

use serde_json::Value;

use super::event::ParseError;
use super::target::{FieldKind, TextField};

/// Longest id string we accept (SunCo ids are 24 hex chars, Zendesk ULIDs/UUIDs 26-36).
const MAX_ID_LEN: usize = 256;
/// Longest label-like value (channel, source type) we keep.
const MAX_LABEL_LEN: usize = 64;

/// Parses a JSON body. Invalid UTF-8 is reported as such (JSON text must be UTF-8).
pub(crate) fn parse(body: &[u8]) -> Result<Value, ParseError> {
    if std::str::from_utf8(body).is_err() {
        return Err(ParseError::InvalidUtf8);
    }
    serde_json::from_slice(body).map_err(|e| ParseError::MalformedJson {
        line: e.line(),
        column: e.column(),
    })
}

/// Value at `path`, treating JSON `null` as absent.
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// Non-empty string at `path`; anything else (absent, other type, empty) is `None`.
pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Required non-empty string.
pub(crate) fn req_str<'a>(
    v: &'a Value,
    path: &[&str],
    name: &'static str,
) -> Result<&'a str, ParseError> {
    match at(v, path) {
        None => Err(ParseError::MissingField(name)),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(ParseError::MissingField(name)),
        Some(_) => Err(ParseError::InvalidField(name)),
    }
}

/// An optional boolean; non-booleans (`"true"` strings included) are read leniently.
pub(crate) fn bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    match at(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads a numeric id given as a JSON number or a string of digits.
pub(crate) fn to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse().ok()
            }
        }
        _ => None,
    }
}

/// Optional numeric id: absent → `Ok(None)`, present but not an id → `InvalidField`.
pub(crate) fn opt_u64(
    v: &Value,
    path: &[&str],
    name: &'static str,
) -> Result<Option<u64>, ParseError> {
    match at(v, path) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(x) => to_u64(x).map(Some).ok_or(ParseError::InvalidField(name)),
    }
}

/// Required numeric id.
pub(crate) fn req_u64(v: &Value, path: &[&str], name: &'static str) -> Result<u64, ParseError> {
    opt_u64(v, path, name)?.ok_or(ParseError::MissingField(name))
}

/// Optional numeric id read leniently: anything unreadable is `None`.
pub(crate) fn lenient_u64(v: &Value, path: &[&str]) -> Option<u64> {
    at(v, path).and_then(to_u64)
}

/// Required string id (numbers are accepted and printed). Bounded length, no control chars.
pub(crate) fn req_id(v: &Value, path: &[&str], name: &'static str) -> Result<String, ParseError> {
    let id = match at(v, path) {
        None => return Err(ParseError::MissingField(name)),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(_) => return Err(ParseError::InvalidField(name)),
    };
    if id.is_empty() {
        return Err(ParseError::MissingField(name));
    }
    if id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(ParseError::InvalidField(name));
    }
    Ok(id)
}

/// Optional string id: absent → `None`; present must be well-formed.
pub(crate) fn opt_id(
    v: &Value,
    path: &[&str],
    name: &'static str,
) -> Result<Option<String>, ParseError> {
    match req_id(v, path, name) {
        Ok(id) => Ok(Some(id)),
        Err(ParseError::MissingField(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Normalises a short label (channel, source type): lower case, spaces → `_`, only
/// `[a-z0-9_.:-]`, at most 64 chars; anything else is dropped (`None`).
pub(crate) fn label(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_LABEL_LEN {
        return None;
    }
    let out: String = raw
        .chars()
        .map(|c| match c {
            ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    out.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
        .then_some(out)
}

/// Appends fields to scan, skipping blank text.
#[derive(Debug, Default)]
pub(crate) struct Fields(pub Vec<TextField>);

impl Fields {
    pub(crate) fn push(&mut self, kind: FieldKind, index: u32, text: Option<&str>, html: bool) {
        if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
            self.0.push(TextField {
                kind,
                index,
                text: t.to_owned(),
                html,
            });
        }
    }

    /// Pushes with the next free index for `kind`.
    pub(crate) fn push_next(&mut self, kind: FieldKind, text: Option<&str>, html: bool) {
        let index = self.0.iter().filter(|f| f.kind == kind).count() as u32;
        self.push(kind, index, text, html);
    }
}

/// Scalar JSON (string, number, bool) or an array of scalars as text; objects are skipped.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter(|i| !i.is_array())
                .filter_map(scalar_text)
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Null | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_json_error_has_no_body_text() {
        let err = parse(br#"{"ssn": "123-45-6789", }"#).unwrap_err();
        assert!(matches!(err, ParseError::MalformedJson { line: 1, .. }));
        assert!(!err.to_string().contains("123"));
        assert_eq!(parse(b"\xff{}").unwrap_err(), ParseError::InvalidUtf8);
    }

    #[test]
    fn ids_numbers_or_strings() {
        let v = json!({"a": 12, "b": " 34 ", "c": "x1", "d": -1, "e": 1.5, "f": "", "g": null});
        assert_eq!(req_u64(&v, &["a"], "a"), Ok(12));
        assert_eq!(req_u64(&v, &["b"], "b"), Ok(34));
        assert_eq!(req_u64(&v, &["c"], "c"), Err(ParseError::InvalidField("c")));
        assert_eq!(req_u64(&v, &["d"], "d"), Err(ParseError::InvalidField("d")));
        assert_eq!(req_u64(&v, &["e"], "e"), Err(ParseError::InvalidField("e")));
        assert_eq!(req_u64(&v, &["f"], "f"), Err(ParseError::MissingField("f")));
        assert_eq!(req_u64(&v, &["g"], "g"), Err(ParseError::MissingField("g")));
        assert_eq!(req_id(&v, &["a"], "a").as_deref(), Ok("12"));
        assert_eq!(req_id(&v, &["e"], "e"), Err(ParseError::InvalidField("e")));
        assert_eq!(opt_id(&v, &["zz"], "zz"), Ok(None));
    }

    #[test]
    fn labels_are_bounded() {
        assert_eq!(label("Web Form").as_deref(), Some("web_form"));
        assert_eq!(label("WhatsApp").as_deref(), Some("whatsapp"));
        assert_eq!(
            label("zd:agentWorkspace").as_deref(),
            Some("zd:agentworkspace")
        );
        assert_eq!(label("a/b"), None);
        assert_eq!(label(&"x".repeat(65)), None);
    }
}
