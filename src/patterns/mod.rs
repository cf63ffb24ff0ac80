//! Rule files: TOML schema, loading with `file:line: reason` errors, inline examples, compiling
//! into a [`crate::detect::Detector`]. (skeleton; owned by the detection work)
