//! Fuzz target `rule_load`: see `phi_guard_fuzz::check_rule_load` for the invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phi_guard_fuzz::check_rule_load(data));
