//! Command line: clap definitions for serve, scan, patterns, sign, dlq (lead owns mod.rs).
pub mod patterns;
pub mod scan;
