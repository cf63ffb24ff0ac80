//! (skeleton; owned by the store work)
