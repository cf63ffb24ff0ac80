//! Loader and engine tests on small rule trees written to a temp dir.

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::detect::Label;

/// Writes `files` (relative path → content) under a fresh temp dir.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, content) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
    dir
}

fn errors_of(dir: &Path) -> Vec<String> {
    match load_dir(dir, &[]).and_then(|s| s.compile().map(|_| ())) {
        Ok(()) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

const GOOD: &str = r#"
[[rules]]
id = "t.ssn"
label = "SSN"
regex = '''(?-u:\b)\d{3}-\d{2}-\d{4}(?-u:\b)'''
validators = ["ssn"]
base_score = 0.9
examples = [{ text = "ssn 536-22-8745", value = "536-22-8745" }]
negative_examples = ["ssn 000-22-8745"]
"#;

#[test]
fn good_file_loads_and_examples_pass() {
    let d = tree(&[("t/a.toml", GOOD)]);
    let set = load_dir(d.path(), &[]).expect("loads");
    let det = set.compile().expect("compiles");
    let r = run_examples(&set, &det);
    assert!(r.is_ok(), "{:?}", r.failures);
    assert_eq!(r.passed, 2);
    assert_eq!(det.rule_count(), 1);
    assert_eq!(det.rules_per_label(), vec![(Label::Ssn, 1)]);
}

#[test]
fn bad_toml_reports_line() {
    let d = tree(&[("t/a.toml", "[[rules]]\nid = \"x\"\nlabel = \n")]);
    let e = errors_of(d.path());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t/a.toml:3: "), "{e:?}");
}

#[test]
fn every_broken_rule_is_reported_at_its_line() {
    let src = r#"[[rules]]
id = "t.badregex"
label = "PHONE"
regex = '''(\d{3}'''
base_score = 0.5

[[rules]]
id = "t.validator"
label = "PHONE"
regex = '''\d+'''
validators = ["luhn", "no_such_validator"]
base_score = 0.5

[[rules]]
id = "t.label"
label = "TELEPHONE"
regex = '''\d+'''
base_score = 0.5

[[rules]]
id = "t.dict"
label = "NAME"
dictionary = ["nope"]
base_score = 0.5
"#;
    let d = tree(&[("t/a.toml", src)]);
    let e = errors_of(d.path());
    // Load-time errors (validator, label, dictionary) come first; the regex is only compiled
    // once everything loads, so fix-and-rerun shows it next. Nothing is half-loaded.
    assert!(
        e.iter()
            .any(|x| x.starts_with("t/a.toml:11: unknown validator `no_such_validator`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|x| x.starts_with("t/a.toml:16: unknown label `TELEPHONE`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|x| x.starts_with("t/a.toml:23: dictionary `nope` not found")),
        "{e:?}"
    );
    let fixed = src
        .replace("\"no_such_validator\"", "\"luhn\"")
        .replace("TELEPHONE", "PHONE")
        .replace("dictionary = [\"nope\"]", "regex = 'x'");
    let d = tree(&[("t/a.toml", &fixed)]);
    let e = errors_of(d.path());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t/a.toml:4: bad regex"), "{e:?}");
}

#[test]
fn missing_field_and_unknown_field() {
    let d = tree(&[(
        "t/a.toml",
        "[[rules]]\nid = \"t.x\"\nregex = 'a'\nbase_score = 0.5\n",
    )]);
    let e = errors_of(d.path());
    assert!(
        e[0].starts_with("t/a.toml:1: missing field `label`"),
        "{e:?}"
    );
    let d = tree(&[(
        "t/a.toml",
        "[[rules]]\nid = \"t.x\"\nlabel = \"URL\"\nregex = 'a'\nbase_score = 0.5\nbse_score = 1\n",
    )]);
    let e = errors_of(d.path());
    assert!(
        e[0].starts_with("t/a.toml:6: unknown field `bse_score`"),
        "{e:?}"
    );
}

#[test]
fn duplicate_ids_scores_and_kinds_are_checked() {
    let src = "[[rules]]\nid = \"t.x\"\nlabel = \"URL\"\nregex = 'a'\nbase_score = 1.5\n\n[[rules]]\nid = \"t.x\"\nlabel = \"URL\"\nbase_score = 0.5\n";
    let d = tree(&[("t/a.toml", src)]);
    let e = errors_of(d.path());
    assert!(
        e.iter()
            .any(|x| x.starts_with("t/a.toml:5: base_score must be in [0, 1]")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|x| x.starts_with("t/a.toml:8: duplicate rule id `t.x`")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|x| x.starts_with("t/a.toml:7: rule `t.x` needs exactly one of")),
        "{e:?}"
    );
}

#[test]
fn failing_example_and_negative_are_reported() {
    let src = GOOD
        .replace("ssn 536-22-8745\", value", "ssn 000-22-8745\", value")
        .replace("000-22-8745\"]", "536-22-8745\"]")
        .replace("value = \"536-22-8745\"", "value = \"000-22-8745\"");
    let d = tree(&[("t/a.toml", &src)]);
    let set = load_dir(d.path(), &[]).expect("loads");
    let det = set.compile().expect("compiles");
    let r = run_examples(&set, &det);
    let f: Vec<String> = r.failures.iter().map(ToString::to_string).collect();
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        f[0].starts_with("t/a.toml:8: example of `t.ssn` not detected as SSN"),
        "{f:?}"
    );
    assert!(
        f[1].starts_with("t/a.toml:9: negative example of `t.ssn` detected"),
        "{f:?}"
    );
}

#[test]
fn unknown_jurisdiction_and_regex_size_limit() {
    let d = tree(&[("t/a.toml", GOOD)]);
    let e = load_dir(d.path(), &["zz".to_owned()]).expect_err("unknown jurisdiction");
    assert!(e.to_string().contains("unknown jurisdiction `zz`"), "{e}");
    let huge = r#"[[rules]]
id = "t.huge"
label = "URL"
regex = '''\w{200}\w{200}\w{200}'''
base_score = 0.5
"#;
    let d = tree(&[
        ("global.toml", "[settings]\nregex_size_limit = 10000\n"),
        ("t/a.toml", huge),
    ]);
    let e = errors_of(d.path());
    assert!(
        e.len() == 1 && e[0].starts_with("t/a.toml:4: bad regex"),
        "{e:?}"
    );
}

#[test]
fn allow_list_precedence() {
    let global = "[allow]\nvalues = [\"536-22-8745\"]\n";
    let rules = r#"
[[rules]]
id = "t.a"
label = "SSN"
regex = '''\d{3}-\d{2}-\d{4}'''
base_score = 0.9
allow = { values = ["401-85-3372"] }

[[rules]]
id = "t.b"
label = "PHONE"
regex = '''\d{3}-\d{2}-\d{4}'''
base_score = 0.8
use_global_allow = false
allow = { stopwords = ["-99-"], regexes = ['''^7'''] }
"#;
    let d = tree(&[("global.toml", global), ("t/a.toml", rules)]);
    let det = load_dir(d.path(), &[])
        .expect("load")
        .compile()
        .expect("compile");
    let one = |t: &str| {
        det.scan(t)
            .into_iter()
            .map(|f| f.rule.to_string())
            .collect::<Vec<_>>()
    };
    // Global allow drops t.a's candidate; t.b opted out of the global list and still fires.
    assert_eq!(one("536-22-8745"), vec!["t.b"]);
    // t.a's own allow-list drops its candidate; t.b has no such entry.
    assert_eq!(one("401-85-3372"), vec!["t.b"]);
    // Neither allows: the higher score wins the overlap.
    assert_eq!(one("402-85-3372"), vec!["t.a"]);
    // t.b's stopword and regex allow-lists.
    assert_eq!(one("402-99-3372"), vec!["t.a"]);
    assert_eq!(one("702-85-3372"), vec!["t.a"]);
}

#[test]
fn context_required_boost_penalty_and_explanation() {
    let rules = r#"
[[rules]]
id = "t.mrn"
label = "MRN"
regex = '''(?-u:\b)\d{6}(?-u:\b)'''
base_score = 0.6
[rules.context]
words = ["MRN", "chart"]
negative_words = ["order"]
window_before = 20
window_after = 0
required = true
boost = 0.3
"#;
    let d = tree(&[("t/a.toml", rules)]);
    let det = load_dir(d.path(), &[])
        .expect("load")
        .compile()
        .expect("compile");
    assert!(det.scan("id 123456").is_empty());
    assert!(
        det.scan("MRN was given long ago: 123456").is_empty(),
        "outside the window"
    );
    let f = det.scan("MRN: 123456");
    assert_eq!(f.len(), 1);
    assert!((f[0].score - 0.9).abs() < 1e-6);
    assert_eq!(&*f[0].explanation.context[0].word, "MRN");
    assert_eq!(f[0].explanation.context[0].distance, 2);
    let f = det.scan("chart order 123456");
    assert!((f[0].score - 0.4).abs() < 1e-6, "{f:?}");
}

#[test]
fn unicode_offsets_in_shipped_rules() {
    let det = load_detector(None, &[]).expect("rules");
    let text = "Ünïcødé 日本語 😀👩‍⚕️ e\u{301} SSN 536-22-8745 🎉 mail ana@example.org";
    let f = det.scan(text);
    let ssn = f.iter().find(|x| x.label == Label::Ssn).expect("ssn");
    assert_eq!(&text[ssn.byte_start..ssn.byte_end], "536-22-8745");
    let chars: Vec<char> = text.chars().collect();
    let s: String = chars[ssn.start..ssn.end].iter().collect();
    assert_eq!(s, "536-22-8745");
    let em = f.iter().find(|x| x.label == Label::Email).expect("email");
    let s: String = chars[em.start..em.end].iter().collect();
    assert_eq!(s, "ana@example.org");
}

#[test]
fn html_offsets_map_to_original() {
    let det = load_detector(None, &[]).expect("rules");
    let html = "<div><p>Patient&nbsp;SSN: <b>536-22-8745</b></p><script>var x='401-85-3372';</script>\
                <style>.a{}</style><p>caf&eacute; &amp; 日本<br>call (415)&#32;555-0132</p></div>";
    let f = det.scan_html(html);
    let got: Vec<(&str, Label)> = f
        .iter()
        .map(|x| (&html[x.byte_start..x.byte_end], x.label))
        .collect();
    assert!(got.contains(&("536-22-8745", Label::Ssn)), "{got:?}");
    assert!(
        got.contains(&("(415)&#32;555-0132", Label::Phone)),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|(s, _)| s.contains("401-85-3372")),
        "script content is not visible"
    );
    let chars: Vec<char> = html.chars().collect();
    for x in &f {
        let s: String = chars[x.start..x.end].iter().collect();
        assert_eq!(s, &html[x.byte_start..x.byte_end]);
    }
}

#[test]
fn names_dictionary_behaviour() {
    let det = load_detector(None, &[]).expect("rules");
    let names = |t: &str| -> Vec<String> {
        det.scan(t)
            .into_iter()
            .filter(|f| f.label == Label::Name && f.score >= det.min_score())
            .map(|f| t[f.byte_start..f.byte_end].to_owned())
            .collect()
    };
    assert_eq!(
        names("I spoke with Maria Ortiz today."),
        vec!["Maria Ortiz"]
    );
    assert!(names("we hope the white paper may help and will grant access").is_empty());
    assert_eq!(names("Thanks,\nJ. Ortiz"), vec!["J. Ortiz"]);
    assert_eq!(names("Hi Hope,\nyour refill is ready"), vec!["Hope"]);
    assert_eq!(
        names("Conversation transferred to Donna (human agent)\nTabitha: hello"),
        vec!["Donna", "Tabitha"]
    );
    assert_eq!(names("Miles: hey there"), vec!["Miles"]);
    assert!(names("we bank with Wells Fargo Bank and Mercy Hospital").is_empty());
    assert!(names("under Accounts; Mark All As Read is in the menu").is_empty());
    assert!(names("My order is late. Long story short, it failed.").is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn spans_are_consistent_for_arbitrary_text(s in "\\PC{0,200}", digits in "[0-9 ()+.-]{0,30}") {
        let det = shipped();
        let text = format!("{s} {digits} {s}");
        let f = det.scan(&text);
        let chars: Vec<char> = text.chars().collect();
        let mut last = 0;
        for x in &f {
            prop_assert!(x.byte_start < x.byte_end && x.byte_end <= text.len());
            prop_assert!(text.is_char_boundary(x.byte_start) && text.is_char_boundary(x.byte_end));
            prop_assert!(x.byte_start >= last, "sorted and disjoint");
            last = x.byte_end;
            let a: String = chars[x.start..x.end].iter().collect();
            prop_assert_eq!(a.as_str(), &text[x.byte_start..x.byte_end]);
            prop_assert!((0.0..=1.0).contains(&x.score));
        }
        for x in det.scan_html(&text) {
            prop_assert!(text.is_char_boundary(x.byte_start) && text.is_char_boundary(x.byte_end));
            let a: String = chars[x.start..x.end].iter().collect();
            prop_assert_eq!(a.as_str(), &text[x.byte_start..x.byte_end]);
        }
    }

    #[test]
    fn html_never_panics(s in "(<[a-z/!-]{0,6}[^>]{0,10}>?|&#?[a-z0-9]{0,6};?|\\PC{0,10}){0,20}") {
        let det = shipped();
        for x in det.scan_html(&s) {
            prop_assert!(x.byte_end <= s.len() && s.is_char_boundary(x.byte_start) && s.is_char_boundary(x.byte_end));
        }
    }
}

fn shipped() -> &'static Detector {
    static DET: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
    DET.get_or_init(|| load_detector(None, &[]).expect("rules"))
}

#[test]
fn detector_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
    assert!(shipped().approx_heap_bytes() > 0);
}

/// Fuzz finding (`fuzz/regressions/rule_load/lone-carriage-return`): for some inputs (a lone
/// `\r`) the TOML parser's message is blank, which gave `xx/a.toml:1: ` with no reason. Every
/// syntax error, in a rule file or in `global.toml`, must say what is wrong.
#[test]
fn toml_syntax_errors_always_have_a_reason() {
    for text in ["\r", "a = 1\r", "[[rules]]\r\n", "\r\0 = 1"] {
        for rel in ["t/a.toml", "global.toml"] {
            let mut files = vec![(rel, text)];
            if rel == "global.toml" {
                files.push(("t/a.toml", GOOD));
            }
            let d = tree(&files);
            let errs = load_dir(d.path(), &[]).expect_err("broken TOML is refused");
            for e in &errs.0 {
                eprintln!("{text:?} in {rel}: {e}");
                assert!(
                    !e.reason.trim().is_empty(),
                    "{text:?} in {rel}: blank reason"
                );
            }
        }
    }
}

#[test]
fn allow_regex_first_bytes_only_for_start_anchored_lists() {
    let first = anchored_first_bytes(&[r"^[Xx*•#]{2,}\d{0,4}$", r"^\[[A-Z_]+\]$"]).unwrap();
    for b in [b'X', b'x', b'*', b'#', b'[', 0xE2] {
        assert!(first[usize::from(b)], "{b}");
    }
    assert!(!first[usize::from(b'a')] && !first[usize::from(b'1')]);
    // Case-insensitive literals keep both cases.
    let first = anchored_first_bytes(&[r"(?i)^n/a$"]).unwrap();
    assert!(first[usize::from(b'n')] && first[usize::from(b'N')]);
    // Not anchored, multi-line, or able to match the empty value: no filter.
    assert!(anchored_first_bytes(&[r"^abc", r"abc"]).is_none());
    assert!(anchored_first_bytes(&[r"(?m)^abc"]).is_none());
    assert!(anchored_first_bytes(&[r"^a*$"]).is_none());
}

#[test]
fn last_comma_first_pairs_but_not_lists() {
    let det = shipped();
    let text = "Claim for member Tran, Bao was denied.";
    let f = det.scan(text);
    assert!(
        f.iter()
            .any(|f| f.label == Label::Name && &text[f.byte_start..f.byte_end] == "Tran, Bao"),
        "{f:?}"
    );
    // A list of places or names is not one `Last, First` name.
    for text in [
        "Offices in Houston, Dallas and Denver.",
        "Teams: Jordan, Taylor, Morgan and Parker.",
    ] {
        assert!(
            det.scan(text)
                .iter()
                .all(|f| !text[f.byte_start..f.byte_end].contains(", ")),
            "{text}"
        );
    }
}

#[test]
fn mentions_of_a_strong_name_are_propagated() {
    let det = shipped();
    let text = "Patient: Robert Zimmerman, seen today. Zimmerman reports less pain; \
                ZIMMERMAN signed. zimmerman-like. Robert will call. Will Zimmermann come?";
    let f = det.scan(text);
    let at = |needle: &str, from: usize| from + text[from..].find(needle).unwrap();
    let second = at("Zimmerman reports", 0);
    let m = f
        .iter()
        .find(|f| f.byte_start == second)
        .expect("second mention found");
    assert_eq!(m.label, Label::Name);
    assert_eq!(&*m.explanation.validators, ["mention"]);
    assert!(m.score >= 0.5 && m.score < 1.0);
    // Same spelling only, whole words only: not the all-caps or lower-case forms, not a longer
    // word, and "Robert will" is not "Will".
    for needle in ["ZIMMERMAN", "zimmerman-like", "Zimmermann"] {
        let p = at(needle, 0);
        assert!(
            f.iter()
                .all(|f| f.byte_start != p || f.explanation.validators.as_ref() != ["mention"]),
            "{needle}"
        );
    }
    let robert = at("Robert will", second);
    assert!(
        f.iter()
            .any(|f| f.byte_start == robert && f.byte_end == robert + 6)
    );
    // Findings stay sorted and disjoint.
    assert!(f.windows(2).all(|w| w[0].byte_end <= w[1].byte_start));
}

/// Diagnostic, not a check (`#[ignore]`): how big the gate's lazy-DFA caches grow on a corpus.
/// `PHI_GUARD_GROWTH_CORPUS=FILE.jsonl cargo test --release --lib gate_growth -- --ignored
/// --nocapture` prints, for the shipped grouping and then for each gate pattern alone, the cache
/// bytes and clear count after two passes over the texts (a clear count above zero means the
/// cache thrashes: see docs/performance.md). `PHI_GUARD_GROWTH_GROUPS=PATTERNS:MIB` tries another
/// grouping and cache size instead.
#[test]
#[ignore]
fn gate_growth_diagnostic() {
    let Ok(path) = std::env::var("PHI_GUARD_GROWTH_CORPUS") else {
        return;
    };
    let texts: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_owned()
        })
        .collect();
    let twice: Vec<String> = texts.iter().chain(&texts).cloned().collect();
    let set = load_embedded(&["common", "us", "fr", "health"].map(String::from)).unwrap();
    let sources: Vec<(String, String)> = set
        .rules
        .iter()
        .filter_map(|d| {
            let re = d.raw.regex.as_ref()?;
            Some((d.raw.id.get_ref().clone(), re.get_ref().clone()))
        })
        .collect();
    let all: Vec<String> = sources.iter().map(|s| s.1.clone()).collect();
    let limit = MAX_REGEX_SIZE_LIMIT * 4;
    if let Ok(cfg) = std::env::var("PHI_GUARD_GROWTH_GROUPS") {
        let (n, mib) = cfg.split_once(':').unwrap();
        let (n, mib): (usize, usize) = (n.parse().unwrap(), mib.parse().unwrap());
        let gate = crate::detect::engine::Gate::build_with(&all, limit, n, mib << 20).unwrap();
        println!(
            "groups {cfg} (patterns, cache bytes, clears): {:?}",
            gate.growth_stats(&twice)
        );
        return;
    }
    let gate = crate::detect::engine::Gate::build(&all, limit).unwrap();
    println!(
        "shipped groups (patterns, cache bytes, clears): {:?}",
        gate.growth_stats(&twice)
    );
    for (id, src) in &sources {
        let gate = crate::detect::engine::Gate::build(std::slice::from_ref(src), limit).unwrap();
        let s = gate.growth_stats(&twice);
        println!("{:>10} {:>4} {id}", s[0].1, s[0].2);
    }
}
