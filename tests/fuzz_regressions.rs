//! Replays fuzz inputs through the fuzz targets' own invariant checks, in normal `cargo test`
//! (no nightly, no cargo-fuzz): every file under `fuzz/regressions/<target>/` (inputs that once
//! broke an invariant, kept so the bug stays fixed) and the small seed corpus
//! `fuzz/corpus/<target>/`. The checks live in `fuzz/src/lib.rs`, shared with the fuzz targets.
//!
//! `fuzz/regressions/pending/<target>/` holds reproducers of open bugs (reported, not yet fixed);
//! `cargo test --test fuzz_regressions -- --ignored` replays them. Move a file one directory up
//! once its bug is fixed.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    v.sort();
    v
}

/// Runs every input of `<root>/<target>/` through its check; returns (count, failures).
fn replay(root: &Path) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut failures = Vec::new();
    for target in fuzz_checks::TARGETS {
        for path in inputs(&root.join(target)) {
            let data = std::fs::read(&path).expect("read fuzz input");
            count += 1;
            let r =
                std::panic::catch_unwind(AssertUnwindSafe(|| fuzz_checks::check(target, &data)));
            if r.is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    (count, failures)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn seed_corpus_passes_every_check() {
    let (count, failures) = replay(&root().join("corpus"));
    assert!(count >= 20, "seed corpus missing ({count} inputs)");
    assert!(failures.is_empty(), "seed inputs failing: {failures:#?}");
}

#[test]
fn fixed_fuzz_findings_stay_fixed() {
    let (_, failures) = replay(&root().join("regressions"));
    assert!(failures.is_empty(), "regressions failing: {failures:#?}");
}

#[test]
#[ignore = "reproducers of open bugs; see fuzz/regressions/pending/README.md"]
fn pending_fuzz_findings() {
    let (_, failures) = replay(&root().join("regressions").join("pending"));
    assert!(
        failures.is_empty(),
        "open bugs still reproduce: {failures:#?}"
    );
}

/// The checks must be able to fail: a finding outside the text or off a char boundary is caught.
#[test]
fn finding_checks_reject_bad_spans() {
    let det = fuzz_checks::shipped_detector();
    let text = "SSN 536-22-8745 é";
    let good = det.scan(text);
    assert!(!good.is_empty(), "the probe text has a finding");
    fuzz_checks::check_findings(det, text, &good);
    let shifted = |db: usize, dc: usize| {
        let mut f = good.clone();
        f[0].byte_end += db;
        f[0].end += dc;
        f
    };
    for bad in [shifted(100, 100), shifted(0, 1)] {
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            fuzz_checks::check_findings(det, text, &bad)
        }));
        assert!(r.is_err(), "a bad span passed the check");
    }
    let mut off_boundary = good.clone();
    off_boundary[0].byte_start = text.find('é').unwrap() + 1;
    off_boundary[0].byte_end = text.len();
    let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
        fuzz_checks::check_findings(det, text, &off_boundary)
    }));
    assert!(r.is_err(), "a span off a char boundary passed the check");
}

/// The seeds reach the accepting paths too, not only the refusals.
#[test]
fn seeds_reach_the_accepting_paths() {
    use phi_guard::ingest::verify::VerifyError;
    let seed = |t: &str, n: &str| {
        std::fs::read(root().join("corpus").join(t).join(n)).expect("seed exists")
    };
    let verdict = |n: &str| fuzz_checks::zendesk_verdict(&seed("verify", n));
    assert_eq!(verdict("ok_secret1"), Ok(0));
    assert_eq!(verdict("ok_secret2_offset"), Ok(1));
    assert_eq!(verdict("stale"), Err(VerifyError::StaleTimestamp));
    assert_eq!(verdict("test_secret"), Err(VerifyError::TestSecretRejected));
    assert_eq!(verdict("epoch"), Err(VerifyError::EpochTimestamp));
    let rules = |n: &str| fuzz_checks::rule_load_rules(&seed("rule_load", n));
    assert_eq!(rules("ssn_with_context.toml"), Some(1));
    assert_eq!(rules("dict_names_global.txt"), Some(2));
    assert_eq!(rules("errors.toml"), None);
}
