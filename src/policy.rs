//! (skeleton; owned by the lead)
