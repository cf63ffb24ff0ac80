//! Every shipped rule's `examples` and `negative_examples`, through the embedded rule tree and
//! through the on-disk `patterns/` directory (they must agree).

use std::path::Path;

use phi_guard::patterns;

#[test]
fn shipped_rules_load_compile_and_pass_their_examples() {
    let set = patterns::load_embedded(&[]).unwrap_or_else(|e| panic!("load failed:\n{e}"));
    let det = set
        .compile()
        .unwrap_or_else(|e| panic!("compile failed:\n{e}"));
    let report = patterns::run_examples(&set, &det);
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        report.passed > 100,
        "suspiciously few examples: {}",
        report.passed
    );
}

#[test]
fn on_disk_tree_matches_embedded_copy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let a = patterns::load_detector(Some(&dir), &[]).expect("on-disk rules load");
    let b = patterns::load_detector(None, &[]).expect("embedded rules load");
    assert_eq!(
        a.rule_ids().collect::<Vec<_>>(),
        b.rule_ids().collect::<Vec<_>>()
    );
}

#[test]
fn every_jurisdiction_loads_on_its_own() {
    for j in ["common", "us", "fr", "health"] {
        let det =
            patterns::load_detector(None, &[j.to_owned()]).unwrap_or_else(|e| panic!("{j}: {e}"));
        assert!(det.rule_count() > 0, "{j} has no rules");
        assert!(
            det.rule_ids().all(|id| id.starts_with(j)),
            "{j} holds a rule of another jurisdiction"
        );
    }
}

#[test]
fn every_identifier_label_has_a_rule() {
    use phi_guard::detect::Label;
    let det = patterns::load_detector(None, &[]).expect("rules load");
    let per_label = det.rules_per_label();
    for l in Label::ALL {
        assert!(
            per_label.iter().any(|(x, n)| *x == l && *n > 0),
            "no rule for {l}"
        );
    }
}
