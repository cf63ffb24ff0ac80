//! Detection throughput on ~2 KB documents (support tickets, chat transcripts, clinical notes)
//! (PHI-dense samples repeated to 2 KB, plus one typical prose reply) with the full default
//! rules and dictionaries, next to a baseline: one bare combined
//! `regex::bytes::Regex` alternation of the same regex rules (no validators, context,
//! dictionaries or overlap resolution). Throughput is in bytes; criterion prints MB/s (MiB/s).
//! Also prints the detector's approximate compiled size. `detect_varied_400_docs` scans 400
//! different documents of `tests/corpus/dev.jsonl` per iteration (cold-ish lazy DFAs, as in
//! production), next to the same baseline.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phi_guard::patterns;

#[path = "common/inputs.rs"]
mod inputs;
use inputs::{CHAT, FR, NOTE, PROSE, TICKET};

/// Repeats and trims a sample to ~2 KB on a char boundary.
fn two_kb(sample: &str) -> String {
    let mut s = String::new();
    while s.len() < 2048 {
        s.push_str(sample);
    }
    let mut end = 2048;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

fn bench(c: &mut Criterion) {
    let set = patterns::load_embedded(&[]).expect("shipped rules load");
    let det = set.compile().expect("shipped rules compile");
    eprintln!(
        "detector: {} rules, approx compiled size {:.1} MiB",
        det.rule_count(),
        det.approx_heap_bytes() as f64 / (1024.0 * 1024.0)
    );
    let baseline = inputs::baseline_regex(&set);
    let docs: Vec<(&str, String)> = [
        ("ticket", TICKET),
        ("chat", CHAT),
        ("note", NOTE),
        ("fr", FR),
        ("prose", PROSE),
    ]
    .into_iter()
    .map(|(n, s)| (n, two_kb(s)))
    .collect();
    let total: usize = docs.iter().map(|(_, d)| d.len()).sum();

    let mut g = c.benchmark_group("detect_2kb");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("detector_scan", |b| {
        b.iter(|| {
            let mut n = 0;
            for (_, d) in &docs {
                n += det.scan(black_box(d)).len();
            }
            n
        })
    });
    g.bench_function("baseline_combined_regex", |b| {
        b.iter(|| {
            let mut n = 0;
            for (_, d) in &docs {
                n += baseline.find_iter(black_box(d.as_bytes())).count();
            }
            n
        })
    });
    g.finish();

    // Varied text: 400 different documents of the development corpus per iteration. Repeating
    // the same five documents keeps every lazy DFA warm; a stream of different texts is what
    // production sees (and what once made the gate's single DFA thrash, docs/performance.md).
    let varied: Vec<String> = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dev.jsonl"),
    )
    .expect("tests/corpus/dev.jsonl")
    .lines()
    .take(400)
    .map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
        v["text"].as_str().expect("corpus line has text").to_owned()
    })
    .collect();
    let varied_bytes: usize = varied.iter().map(String::len).sum();
    let mut g = c.benchmark_group("detect_varied_400_docs");
    g.throughput(Throughput::Bytes(varied_bytes as u64));
    g.bench_function("detector_scan", |b| {
        b.iter(|| {
            varied
                .iter()
                .map(|d| det.scan(black_box(d)).len())
                .sum::<usize>()
        })
    });
    g.bench_function("baseline_combined_regex", |b| {
        b.iter(|| {
            varied
                .iter()
                .map(|d| baseline.find_iter(black_box(d.as_bytes())).count())
                .sum::<usize>()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("detect_2kb_per_doc");
    for (name, d) in &docs {
        g.throughput(Throughput::Bytes(d.len() as u64));
        g.bench_function(*name, |b| b.iter(|| det.scan(black_box(d)).len()));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
