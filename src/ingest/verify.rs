//! (skeleton; owned by the ingest work)
