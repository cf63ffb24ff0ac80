//! Fuzz target `verify`: see `phi_guard_fuzz::check_verify` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phi_guard_fuzz::check_verify(data));
