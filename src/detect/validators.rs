//! Check-digit and format validators, looked up by name from rule files.
//!
//! Each validator takes the candidate value exactly as matched (or its capture group) and
//! returns whether it is valid; it normalises separators itself. Pure, no allocation on the
//! common path. (skeleton: filled in by the validators work)

/// A validator: candidate text → valid?
pub type Validator = fn(&str) -> bool;

/// Looks up a validator by the name used in rule files (`luhn`, `ssn`, `npi`, ...).
pub fn lookup(name: &str) -> Option<Validator> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Every validator name with its function (the registry; `patterns check` lists unknown names).
pub const NAMES: &[(&str, Validator)] = &[];
