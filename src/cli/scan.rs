//! `phi-guard scan [FILE...]`: run the detector over files or stdin.
//!
//! Owns: reading inputs (plain text or JSON Lines), rendering findings (human, highlighted, or
//! JSONL), `--redact` masking, and grep-like exit codes:
//! `0` = no finding at or above the threshold, `1` = at least one finding, `2` = an input error
//! (invalid UTF-8, malformed JSONL line, unreadable input). On an input error the remaining inputs
//! are still scanned and the exit code is 2. Error messages name the input and line but never
//! quote its content.
//! Must not: know about clap (the lead wires the flags in `cli/mod.rs`), log, or call the network.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::detect::{Detector, Finding};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One block per input: `name:line:col: LABEL rule score` plus the line with matches
    /// highlighted (ANSI colour when `color`, `[[...]]` brackets otherwise).
    #[default]
    Human,
    /// Input and output are JSON Lines; see [`run`].
    Jsonl,
}

/// Options of `phi-guard scan`.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub format: Format,
    /// Print the text with every finding replaced by `[LABEL]` instead of listing findings.
    pub redact: bool,
    /// Threshold; `None` = the rules' default (`Detector::min_score`).
    pub min_score: Option<f32>,
    /// ANSI colours in human output.
    pub color: bool,
}

#[derive(Deserialize)]
struct JsonlIn {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    html: bool,
}

#[derive(Serialize)]
struct JsonlFinding<'a> {
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    label: &'a str,
    rule: &'a str,
    score: f32,
}

#[derive(Serialize)]
struct JsonlOut<'a> {
    id: &'a serde_json::Value,
    findings: Vec<JsonlFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redacted: Option<String>,
}

/// Scans every input and writes results to `out`. Returns the exit code (0 none found, 1 found,
/// 2 input error). I/O errors on `out` are returned as `Err`.
///
/// JSONL mode reads one object per line, `{"id": <any>, "text": "...", "html": false}`, and
/// writes one line per input `{"id": ..., "findings": [{"start", "end", "byte_start",
/// "byte_end", "label", "rule", "score"}]}` (`start`/`end` are Unicode scalar offsets), plus
/// `"redacted"` with `--redact`. Empty lines are skipped.
pub fn run(
    detector: &Detector,
    opts: &ScanOptions,
    inputs: Vec<(String, Box<dyn BufRead>)>,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let threshold = opts.min_score.unwrap_or_else(|| detector.min_score());
    let mut found = false;
    let mut failed = false;
    for (name, mut reader) in inputs {
        let mut raw = Vec::new();
        let mut line_no = 0usize;
        if opts.format == Format::Jsonl {
            loop {
                raw.clear();
                match reader.read_until(b'\n', &mut raw) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("phi-guard: {name}: read error after line {line_no}: {e}");
                        failed = true;
                        break;
                    }
                }
                line_no += 1;
                let Ok(line) = std::str::from_utf8(&raw) else {
                    eprintln!("phi-guard: {name}:{line_no}: invalid UTF-8");
                    failed = true;
                    continue;
                };
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let rec: JsonlIn = match serde_json::from_str(line) {
                    Ok(r) => r,
                    Err(e) => {
                        // serde_json messages carry positions and expectations, not content.
                        eprintln!(
                            "phi-guard: {name}:{line_no}: malformed JSONL (expected {{\"id\", \"text\"}}): {}",
                            e.classify_message()
                        );
                        failed = true;
                        continue;
                    }
                };
                let findings = filtered(detector, &rec.text, rec.html, threshold);
                found |= !findings.is_empty();
                let redacted = opts.redact.then(|| redact(&rec.text, &findings));
                let obj = JsonlOut {
                    id: &rec.id,
                    findings: findings
                        .iter()
                        .map(|f| JsonlFinding {
                            start: f.start,
                            end: f.end,
                            byte_start: f.byte_start,
                            byte_end: f.byte_end,
                            label: f.label.as_str(),
                            rule: &f.rule,
                            score: f.score,
                        })
                        .collect(),
                    redacted,
                };
                serde_json::to_writer(&mut *out, &obj)?;
                out.write_all(b"\n")?;
            }
            continue;
        }
        // Plain text: the whole input is one document.
        if let Err(e) = reader.read_to_end(&mut raw) {
            eprintln!("phi-guard: {name}: read error: {e}");
            failed = true;
            continue;
        }
        let text = match std::str::from_utf8(&raw) {
            Ok(t) => t,
            Err(e) => {
                let line = raw[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                eprintln!("phi-guard: {name}:{line}: invalid UTF-8");
                failed = true;
                continue;
            }
        };
        let findings = filtered(detector, text, false, threshold);
        found |= !findings.is_empty();
        if opts.redact {
            out.write_all(redact(text, &findings).as_bytes())?;
        } else {
            human(&name, text, &findings, opts.color, out)?;
        }
    }
    Ok(if failed {
        2
    } else if found {
        1
    } else {
        0
    })
}

trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> String {
        let what = match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "unexpected end of line",
        };
        format!("{what} at column {}", self.column())
    }
}

fn filtered(det: &Detector, text: &str, html: bool, threshold: f32) -> Vec<Finding> {
    let mut v = if html {
        det.scan_html(text)
    } else {
        det.scan(text)
    };
    v.retain(|f| f.score >= threshold);
    v
}

/// The text with every finding replaced by `[LABEL]`. `findings` must be sorted and disjoint
/// (as returned by the detector).
pub fn redact(text: &str, findings: &[Finding]) -> String {
    let mut s = String::with_capacity(text.len());
    let mut pos = 0;
    for f in findings {
        if f.byte_start < pos || f.byte_end > text.len() {
            continue;
        }
        s.push_str(&text[pos..f.byte_start]);
        s.push('[');
        s.push_str(f.label.as_str());
        s.push(']');
        pos = f.byte_end;
    }
    s.push_str(&text[pos..]);
    s
}

fn human(
    name: &str,
    text: &str,
    findings: &[Finding],
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // Walk lines once; findings are sorted by start.
    let mut k = 0;
    let mut line_start = 0;
    for (ln, line) in text.split_inclusive('\n').enumerate() {
        let line_end = line_start + line.len();
        let first = k;
        while k < findings.len() && findings[k].byte_start < line_end {
            k += 1;
        }
        if k > first {
            let body = line.trim_end_matches(['\n', '\r']);
            let body_end = line_start + body.len();
            for f in &findings[first..k] {
                let col = text[line_start..f.byte_start].chars().count() + 1;
                writeln!(
                    out,
                    "{name}:{}:{col}: {} {} {:.2}",
                    ln + 1,
                    f.label,
                    f.rule,
                    f.score
                )?;
            }
            let mut rendered = String::with_capacity(body.len() + 32);
            let mut p = line_start;
            for f in &findings[first..k] {
                let s = f.byte_start.max(p);
                let e = f.byte_end.min(body_end);
                if s >= e {
                    continue;
                }
                rendered.push_str(&text[p..s]);
                if color {
                    rendered.push_str("\x1b[1;31m");
                    rendered.push_str(&text[s..e]);
                    rendered.push_str("\x1b[0m");
                } else {
                    rendered.push_str("[[");
                    rendered.push_str(&text[s..e]);
                    rendered.push_str("]]");
                }
                p = e;
            }
            if p < body_end {
                rendered.push_str(&text[p..body_end]);
            }
            writeln!(out, "    {rendered}")?;
        }
        // A finding spanning lines is listed (and highlighted) on its first line only.
        line_start = line_end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns;

    fn det() -> Detector {
        patterns::load_detector(None, &[]).expect("shipped rules")
    }

    fn run_str(d: &Detector, opts: &ScanOptions, input: &[u8]) -> (i32, String) {
        let mut out = Vec::new();
        let inputs: Vec<(String, Box<dyn BufRead>)> = vec![(
            "in".to_owned(),
            Box::new(std::io::Cursor::new(input.to_vec())),
        )];
        let code = run(d, opts, inputs, &mut out).expect("write to vec");
        (code, String::from_utf8(out).expect("utf8 output"))
    }

    #[test]
    fn exit_codes_and_redaction() {
        let d = det();
        let opts = ScanOptions {
            redact: true,
            ..Default::default()
        };
        let (code, out) = run_str(&d, &opts, b"SSN 536-22-8745, call (415) 555-0132");
        assert_eq!(code, 1);
        assert_eq!(out, "SSN [SSN], call [PHONE]");
        let (code, out) = run_str(&d, &opts, b"nothing to see here");
        assert_eq!((code, out.as_str()), (0, "nothing to see here"));
        let (code, _) = run_str(&d, &ScanOptions::default(), b"bad \xff utf8");
        assert_eq!(code, 2);
    }

    #[test]
    fn jsonl_offsets_are_chars_and_bad_lines_exit_2() {
        let d = det();
        let opts = ScanOptions {
            format: Format::Jsonl,
            ..Default::default()
        };
        let input = "{\"id\": 7, \"text\": \"日本 SSN 536-22-8745\"}\n\nnot json\n{\"id\":\"h\",\"text\":\"<b>SSN</b>&nbsp;536-22-8745\",\"html\":true}\n";
        let (code, out) = run_str(&d, &opts, input.as_bytes());
        assert_eq!(code, 2, "malformed line must give exit 2: {out}");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("json out"))
            .collect();
        assert_eq!(lines.len(), 2);
        let f = &lines[0]["findings"][0];
        assert_eq!(f["label"], "SSN");
        assert_eq!(
            (f["start"].as_u64(), f["end"].as_u64()),
            (Some(7), Some(18))
        );
        assert_eq!(
            (f["byte_start"].as_u64(), f["byte_end"].as_u64()),
            (Some(11), Some(22))
        );
        let h = &lines[1]["findings"][0];
        assert_eq!(
            (h["byte_start"].as_u64(), h["byte_end"].as_u64()),
            (Some(16), Some(27))
        );
    }

    #[test]
    fn human_output_highlights() {
        let d = det();
        let (code, out) = run_str(
            &d,
            &ScanOptions::default(),
            b"line one\nemail bob.smith@example.org now\n",
        );
        assert_eq!(code, 1);
        assert!(out.contains("in:2:7: EMAIL common.email"), "{out}");
        assert!(out.contains("[[bob.smith@example.org]]"), "{out}");
    }
}
