//! Cross-checks the development corpus against the validators: every planted value whose span
//! names a validator (`"check"` in `tests/corpus/dev.jsonl`) must pass it, and every span must
//! slice the text on character boundaries. Keeps `tests/corpus/generate.py` and
//! `src/detect/validators.rs` honest with each other (a wrong check digit in either fails here).

use phi_guard::detect::validators;

const CORPUS: &str = include_str!("corpus/dev.jsonl");

#[test]
fn corpus_values_pass_their_validators() {
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for (line_no, line) in CORPUS.lines().enumerate() {
        let doc: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("dev.jsonl line {}: {e}", line_no + 1));
        let text = doc["text"].as_str().expect("text");
        let chars: Vec<char> = text.chars().collect();
        for span in doc["spans"].as_array().expect("spans") {
            let start = span["start"].as_u64().expect("start") as usize;
            let end = span["end"].as_u64().expect("end") as usize;
            assert!(
                start < end && end <= chars.len(),
                "line {}: bad span",
                line_no + 1
            );
            let Some(check) = span.get("check").and_then(|c| c.as_str()) else {
                continue;
            };
            let validator = validators::lookup(check)
                .unwrap_or_else(|| panic!("line {}: unknown validator {check}", line_no + 1));
            let value: String = chars[start..end].iter().collect();
            checked += 1;
            if !validator(&value) {
                failures.push(format!("line {} {check}: {value:?}", line_no + 1));
            }
        }
    }
    assert!(checked > 1000, "only {checked} values checked");
    assert!(
        failures.is_empty(),
        "{} rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn validators_reject_mutated_corpus_values() {
    // Changing one digit of a check-digit identifier must (almost always) break it: proves the
    // previous test is not passing vacuously.
    let mut mutated = 0usize;
    let mut still_valid = 0usize;
    for line in CORPUS.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("json");
        let text = doc["text"].as_str().expect("text");
        let chars: Vec<char> = text.chars().collect();
        for span in doc["spans"].as_array().expect("spans") {
            let Some(check) = span.get("check").and_then(|c| c.as_str()) else {
                continue;
            };
            if !matches!(
                check,
                "card" | "aba_routing" | "npi" | "dea" | "vin" | "nir" | "rpps"
            ) {
                continue;
            }
            let start = span["start"].as_u64().expect("start") as usize;
            let end = span["end"].as_u64().expect("end") as usize;
            let mut value: Vec<char> = chars[start..end].to_vec();
            let Some(last_digit) = value.iter().rposition(|c| c.is_ascii_digit()) else {
                continue;
            };
            let d = value[last_digit].to_digit(10).expect("digit");
            value[last_digit] = char::from_digit((d + 1) % 10, 10).expect("digit");
            let value: String = value.into_iter().collect();
            mutated += 1;
            if validators::lookup(check).expect("validator")(&value) {
                still_valid += 1;
            }
        }
    }
    assert!(mutated > 300, "only {mutated} mutated");
    assert_eq!(
        still_valid, 0,
        "{still_valid} of {mutated} mutated values still validate"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// No validator panics, whatever the input (any Unicode, any length).
    #[test]
    fn validators_never_panic(s in "\\PC{0,64}") {
        for (_, v) in validators::NAMES {
            let _ = v(&s);
        }
    }

    /// Digit/separator soup, the shape regex candidates actually have.
    #[test]
    fn validators_never_panic_on_id_shapes(s in "[0-9A-Za-z +()./:@'-]{0,40}") {
        for (_, v) in validators::NAMES {
            let _ = v(&s);
        }
    }
}
