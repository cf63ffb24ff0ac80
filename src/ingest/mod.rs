//! Ingest: verify untrusted webhook bytes, then normalise them into [`ScanTarget`]s.
//!
//! Owns: signature / API-key verification on the raw body (`verify`), and parsing verified bytes
//! of each source (`zendesk`, `sunshine`) into scan targets. Must not: touch the network or the
//! store, run detection, or log any part of a body.

mod event;
pub(crate) mod json;
pub mod sunshine;
mod target;
pub mod verify;
pub mod zendesk;

pub use event::{
    AuthorRules, Disposition, Handoff, HandoffReason, ParseContext, ParseError, ParsedEvent,
    SwitchboardAction,
};

pub use target::{
    AttachmentMeta, AuthorKind, FieldKind, Intent, ObjectRef, ScanTarget, Source, TextField,
    TicketField,
};
