//! Fuzz target `sunshine_parse`: see `phi_guard_fuzz::check_sunshine_parse` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phi_guard_fuzz::check_sunshine_parse(data));
