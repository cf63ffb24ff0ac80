//! Fuzz target `html_offsets`: see `phi_guard_fuzz::check_html_offsets` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phi_guard_fuzz::check_html_offsets(data));
