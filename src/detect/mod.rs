//! The detection engine: pure `&str → Vec<Finding>`.
//!
//! Owns: the compiled [`Detector`] (combined regex / keyword pre-filter, validators, context
//! scoring, allow-lists, overlap resolution), HTML visible-text mapping and keyed fingerprints.
//! Must not: do I/O, log, read clocks or know anything Zendesk-shaped. One `Detector` is compiled
//! by `patterns` and shared behind an `Arc`; scanning allocates only for findings (plus the
//! decoded visible text for HTML and a few per-scan bookkeeping vectors sized by the rule count).

pub(crate) mod engine;
mod finding;
pub mod fingerprint;
mod html;
pub mod validators;

pub use engine::Detector;
pub use finding::{ContextHit, ContextSide, Explanation, Finding, Label};

/// The text to scan for a file name: `_` separators become spaces (`Jane_Doe_SSN_536-22-8107.pdf`
/// has no word boundaries otherwise). One ASCII byte for another, so byte and char offsets are
/// those of the original name. Callers fingerprint spans of this view, on both sides.
pub fn file_name_view(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains('_') {
        std::borrow::Cow::Owned(name.replace('_', " "))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}
