//! The detection engine: pure `&str → Vec<Finding>`.
//!
//! Owns: the compiled [`Detector`] (combined regex / keyword pre-filter, validators, context
//! scoring, allow-lists, overlap resolution), HTML visible-text mapping and keyed fingerprints.
//! Must not: do I/O, log, read clocks or know anything Zendesk-shaped. One `Detector` is compiled
//! by `patterns` and shared behind an `Arc`; scanning allocates only for findings.

mod finding;
pub mod fingerprint;
pub mod validators;

pub use finding::{ContextHit, ContextSide, Explanation, Finding, Label};
