//! phi-guard: keeps protected health information (PHI) out of Zendesk Support and Sunshine
//! Conversations.
//!
//! The request's way through the library (see `docs/architecture.md`):
//! `http` (raw bytes) → `ingest::verify` (signature / API key on the raw body) →
//! `ingest::{zendesk,sunshine}` (verified bytes → [`ingest::ScanTarget`]s) → `store` dedupe →
//! `detect` (pure scan) → `policy` (pure decision) → `store` durable enqueue → HTTP 2xx.
//!
//! Invariant kept by every module: no matched text, body or secret reaches a log, a metric, the
//! store, an audit record or an error message. Only ids, rule ids, offsets and keyed fingerprints.

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod detect;
pub mod enforce;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod patterns;
pub mod pipeline;
pub mod policy;
pub mod retention;
pub mod store;
pub mod sweep;
pub mod telemetry;
