//! `phi-guard patterns check` and `phi-guard patterns test`.
//!
//! Owns: turning loader/compile/example results into `file:line: reason` lines and an exit code
//! (`0` = all good, `1` = examples failed, `2` = the rule files do not load or compile).
//! Must not: know about clap, or print anything but rule-file positions, rule ids and counts.

use std::io::Write;
use std::path::Path;

use crate::patterns;

/// Loads and compiles the rules (from `dir`, or the embedded copy when `None`) and runs every
/// example; prints each problem as `file:line: reason` and a summary with rules per label.
pub fn check(
    dir: Option<&Path>,
    jurisdictions: &[String],
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    run(dir, jurisdictions, out, true)
}

/// Runs every rule's examples and negative examples; prints failures as `file:line: reason`.
pub fn test(
    dir: Option<&Path>,
    jurisdictions: &[String],
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    run(dir, jurisdictions, out, false)
}

fn run(
    dir: Option<&Path>,
    jurisdictions: &[String],
    out: &mut dyn Write,
    summary: bool,
) -> anyhow::Result<i32> {
    let src = patterns::describe_source(dir);
    match patterns::check(dir, jurisdictions) {
        Err(errors) => {
            for e in &errors.0 {
                writeln!(out, "{e}")?;
            }
            writeln!(
                out,
                "{}: {} error(s); nothing loaded",
                src.display(),
                errors.0.len()
            )?;
            Ok(2)
        }
        Ok((det, report)) => {
            for f in &report.failures {
                writeln!(out, "{f}")?;
            }
            if summary {
                writeln!(out, "{}: {} rules", src.display(), det.rule_count())?;
                for (label, n) in det.rules_per_label() {
                    writeln!(out, "  {label:<18} {n}")?;
                }
                writeln!(
                    out,
                    "  compiled size ~{} KiB",
                    det.approx_heap_bytes() / 1024
                )?;
            }
            writeln!(
                out,
                "examples: {} passed, {} failed",
                report.passed,
                report.failures.len()
            )?;
            Ok(if report.is_ok() { 0 } else { 1 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_check_clean() {
        let mut out = Vec::new();
        let code = check(None, &[], &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("examples: "), "{text}");
    }

    #[test]
    fn broken_dir_exits_2_with_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("x")).expect("mkdir");
        std::fs::write(
            dir.path().join("x/bad.toml"),
            "[[rules]]\nid = \"x.bad\"\nlabel = \"PHONE\"\nregex = '''(unclosed'''\nbase_score = 0.5\n",
        )
        .expect("write");
        let mut out = Vec::new();
        let code = check(Some(dir.path()), &[], &mut out).expect("write");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(code, 2, "{text}");
        assert!(text.starts_with("x/bad.toml:4: bad regex"), "{text}");
    }
}
