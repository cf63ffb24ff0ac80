//! How detection cost grows with document size, rule count and dictionary size.
//!
//! Uses only the public API (`patterns::load_embedded` / `load_dir`, `PatternSet::compile`,
//! `Detector::scan`), so it keeps working while detector internals change.
//!
//! Three axes, each a criterion group, and first a quick same-run table of ratios (printed to
//! stderr) so noisy machines still give comparable figures:
//! * `growth_doc_size`: 1/2/4/8/16 KB documents (a 1 KB block holding a slice of each of the five
//!   sample kinds of `benches/detect.rs`, repeated) with every shipped rule, next to a bare combined regex of the same regex rules
//!   on the same text; ratio = detector time per KB relative to 1 KB (1.00 = linear).
//! * `growth_rules`: jurisdiction subsets `common`, `common+us`, `common+fr`, `common+us+health`,
//!   all.
//! * `growth_dictionary`: the shipped tree with every `dictionaries/*.txt` cut to 1/16, 1/4, 1/2
//!   and all of its entries (written to a temp dir, loaded with `load_dir`).
//!
//! The tables interleave their measurements (9 round-robin rounds, median), so a burst of load on
//! a shared machine hits every configuration alike.
//!
//! Run: `cargo bench --bench growth -- --warm-up-time 1 --measurement-time 3`; only the tables:
//! `cargo bench --bench growth -- tables-only` (a filter no criterion benchmark matches).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use phi_guard::detect::Detector;
use phi_guard::patterns;

#[path = "common/inputs.rs"]
mod inputs;
use inputs::{CHAT, FR, NOTE, PROSE, TICKET, baseline_regex};

const SIZES_KB: [usize; 5] = [1, 2, 4, 8, 16];

/// A 1 KB block holding a slice of each of the five kinds (so every size has the same mix of
/// prose and identifiers), repeated `bytes / 1024` times.
fn doc(bytes: usize) -> String {
    let mut block = String::new();
    for part in [PROSE, TICKET, CHAT, NOTE, FR] {
        let mut end = (1024 / 5).min(part.len());
        while !part.is_char_boundary(end) {
            end -= 1;
        }
        block.push_str(&part[..end]);
    }
    while block.len() < 1024 {
        block.push(' ');
    }
    let mut s = String::with_capacity(bytes);
    while s.len() + block.len() <= bytes.max(block.len()) {
        s.push_str(&block);
    }
    s
}

/// Median nanoseconds per call of each closure: each is calibrated to ~30 ms per round, then 9
/// rounds run round-robin over all closures, so every configuration sees the same machine load.
fn compare(fs: &mut [&mut dyn FnMut() -> usize]) -> Vec<f64> {
    let iters: Vec<u64> = fs
        .iter_mut()
        .map(|f| {
            let mut n = 1u64;
            loop {
                let t = Instant::now();
                for _ in 0..n {
                    black_box(f());
                }
                if t.elapsed().as_millis() >= 30 {
                    return n;
                }
                n *= 2;
            }
        })
        .collect();
    let mut rounds = vec![Vec::new(); fs.len()];
    for _ in 0..9 {
        for (i, f) in fs.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..iters[i] {
                black_box(f());
            }
            rounds[i].push(t.elapsed().as_nanos() as f64 / iters[i] as f64);
        }
    }
    rounds
        .into_iter()
        .map(|mut r| {
            r.sort_by(f64::total_cmp);
            r[r.len() / 2]
        })
        .collect()
}

fn mib_s(bytes: usize, ns: f64) -> f64 {
    bytes as f64 / (ns / 1e9) / (1024.0 * 1024.0)
}

/// Every shipped jurisdiction, with `subset` names.
fn rule_subsets() -> Vec<(&'static str, Vec<String>)> {
    let v = |j: &[&str]| j.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        ("common", v(&["common"])),
        ("common+us", v(&["common", "us"])),
        ("common+fr", v(&["common", "fr"])),
        ("common+us+health", v(&["common", "us", "health"])),
        ("all", Vec::new()),
    ]
}

/// The shipped rule tree, copied to `dir` with each dictionary cut to `num/den` of its entries
/// (comment lines kept, at least one entry). Returns the number of entries kept.
fn cut_tree(src: &Path, dir: &Path, num: usize, den: usize) -> usize {
    let mut kept = 0;
    for entry in walk(src) {
        let rel = entry.strip_prefix(src).expect("under src");
        let dst = dir.join(rel);
        std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        let is_dict =
            rel.starts_with("dictionaries") && rel.extension().is_some_and(|e| e == "txt");
        if is_dict {
            let text = std::fs::read_to_string(&entry).expect("read dictionary");
            let entries: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .collect();
            let n = (entries.len() * num / den).max(1);
            kept += n;
            std::fs::write(&dst, entries[..n].join("\n")).expect("write dictionary");
        } else {
            std::fs::copy(&entry, &dst).expect("copy rule file");
        }
    }
    kept
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

const DICT_FRACTIONS: [(usize, usize); 4] = [(1, 16), (1, 4), (1, 2), (1, 1)];

struct DictVariant {
    label: String,
    entries: usize,
    build_ms: f64,
    det: Detector,
}

fn dict_variants() -> (tempfile::TempDir, Vec<DictVariant>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut out = Vec::new();
    for (num, den) in DICT_FRACTIONS {
        let dir = tmp.path().join(format!("dict-{num}-{den}"));
        let entries = cut_tree(&src, &dir, num, den);
        let t = Instant::now();
        let det = patterns::load_detector(Some(&dir), &[]).expect("cut tree compiles");
        let build_ms = t.elapsed().as_secs_f64() * 1e3;
        out.push(DictVariant {
            label: format!("{num}/{den}"),
            entries,
            build_ms,
            det,
        });
    }
    (tmp, out)
}

fn scan_all(det: &Detector, docs: &[String]) -> usize {
    docs.iter().map(|d| det.scan(black_box(d)).len()).sum()
}

/// The same-run ratio tables (stderr), before criterion's own measurements.
fn ratio_tables(det: &Detector, baseline: &regex::bytes::Regex) {
    eprintln!("\n== growth: document size (all rules; per-KB × = detector ns/KB ÷ ns/KB at 1 KB)");
    eprintln!(
        "{:>6} {:>12} {:>12} {:>14} {:>10}",
        "size", "detector", "bare regex", "detector/bare", "per-KB ×"
    );
    let docs: Vec<String> = SIZES_KB.iter().map(|kb| doc(kb * 1024)).collect();
    let mut fs: Vec<Box<dyn FnMut() -> usize + '_>> = Vec::new();
    for d in &docs {
        fs.push(Box::new(move || det.scan(d).len()));
        fs.push(Box::new(move || baseline.find_iter(d.as_bytes()).count()));
    }
    let ns = compare(&mut fs.iter_mut().map(|f| &mut **f as _).collect::<Vec<_>>());
    let per_kb_1 = ns[0] / SIZES_KB[0] as f64;
    for (i, kb) in SIZES_KB.iter().enumerate() {
        let (d, b) = (ns[2 * i], ns[2 * i + 1]);
        eprintln!(
            "{:>4}KB {:>7.1} MiB/s {:>7.1} MiB/s {:>13.3} {:>10.2}",
            kb,
            mib_s(docs[i].len(), d),
            mib_s(docs[i].len(), b),
            b / d,
            d / *kb as f64 / per_kb_1
        );
    }

    let docs = vec![doc(2048)];
    let bytes: usize = docs.iter().map(String::len).sum();
    eprintln!("\n== growth: rule subsets (2 KB document; time × = time ÷ time of `common`)");
    eprintln!(
        "{:>18} {:>6} {:>10} {:>12} {:>8}",
        "rules", "count", "heap MiB", "throughput", "time ×"
    );
    let subsets: Vec<(&str, Detector)> = rule_subsets()
        .into_iter()
        .map(|(name, juris)| {
            (
                name,
                patterns::load_detector(None, &juris).expect("subset compiles"),
            )
        })
        .collect();
    let mut fs: Vec<Box<dyn FnMut() -> usize + '_>> = subsets
        .iter()
        .map(|(_, d)| Box::new(|| scan_all(d, &docs)) as Box<dyn FnMut() -> usize>)
        .collect();
    let ns = compare(&mut fs.iter_mut().map(|f| &mut **f as _).collect::<Vec<_>>());
    for ((name, d), t) in subsets.iter().zip(&ns) {
        eprintln!(
            "{:>18} {:>6} {:>10.1} {:>6.1} MiB/s {:>8.2}",
            name,
            d.rule_count(),
            d.approx_heap_bytes() as f64 / (1024.0 * 1024.0),
            mib_s(bytes, *t),
            t / ns[0]
        );
    }

    eprintln!(
        "\n== growth: dictionary size (all rules, every dictionary cut; time × = time ÷ time of 1/16)"
    );
    eprintln!(
        "{:>6} {:>8} {:>10} {:>10} {:>12} {:>8}",
        "dicts", "entries", "heap MiB", "build ms", "throughput", "time ×"
    );
    let (_tmp, variants) = dict_variants();
    let mut fs: Vec<Box<dyn FnMut() -> usize + '_>> = variants
        .iter()
        .map(|v| Box::new(|| scan_all(&v.det, &docs)) as Box<dyn FnMut() -> usize>)
        .collect();
    let ns = compare(&mut fs.iter_mut().map(|f| &mut **f as _).collect::<Vec<_>>());
    for (v, t) in variants.iter().zip(&ns) {
        eprintln!(
            "{:>6} {:>8} {:>10.1} {:>10.0} {:>6.1} MiB/s {:>8.2}",
            v.label,
            v.entries,
            v.det.approx_heap_bytes() as f64 / (1024.0 * 1024.0),
            v.build_ms,
            mib_s(bytes, *t),
            t / ns[0]
        );
    }
    eprintln!();
}

fn bench(c: &mut Criterion) {
    let set = patterns::load_embedded(&[]).expect("shipped rules load");
    let det = set.compile().expect("shipped rules compile");
    let baseline = baseline_regex(&set);
    ratio_tables(&det, &baseline);

    let mut g = c.benchmark_group("growth_doc_size");
    for kb in SIZES_KB {
        let d = doc(kb * 1024);
        g.throughput(Throughput::Bytes(d.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("detector", format!("{kb}KB")),
            &d,
            |b, d| b.iter(|| det.scan(black_box(d)).len()),
        );
    }
    g.finish();

    let docs = vec![doc(2048)];
    let mut g = c.benchmark_group("growth_rules");
    g.throughput(Throughput::Bytes(2048));
    for (name, juris) in rule_subsets() {
        let d = patterns::load_detector(None, &juris).expect("subset compiles");
        g.bench_function(name, |b| b.iter(|| scan_all(&d, &docs)));
    }
    g.finish();

    let (_tmp, variants) = dict_variants();
    let mut g = c.benchmark_group("growth_dictionary");
    g.throughput(Throughput::Bytes(2048));
    for v in &variants {
        g.bench_function(v.label.replace('/', "_of_"), |b| {
            b.iter(|| scan_all(&v.det, &docs))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
