//! Fuzz target `detect_scan`: see `phi_guard_fuzz::check_detect_scan` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phi_guard_fuzz::check_detect_scan(data));
