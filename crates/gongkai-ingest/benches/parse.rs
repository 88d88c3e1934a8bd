//! Parse throughput of `gongkai-ingest`, in bytes/s and reports/s.
//!
//! Groups (each input goes through `parse_bytes`, exactly what `gongkai parse FILE` does,
//! except where the id says `parse_text`):
//!
//! - `corpus` — every `*.txt` under `seeds/` and `dev/reports/` of the real corpus, found via
//!   `$GONGKAI_CORPUS` or `<workspace>/../shared/corpus`; skipped with a printed line when absent;
//! - `fixtures` — the team's own inputs: `tests/fixtures/html/example-2021.html` and a synthetic
//!   ~10 KB plain-text 2021 report of a made-up agency (`support/synthetic.rs`);
//! - `large` — one big input made of 10 and 50 copies of the corpus texts (or of the synthetic
//!   report when the corpus is absent) joined together, to show per-MB behaviour.
//!
//! Each of `corpus` and `fixtures` is measured twice, once with `Throughput::Bytes` (`…/bytes`)
//! and once with `Throughput::Elements` = number of reports (`…/reports`), because criterion 0.7
//! reports one throughput per benchmark.
//!
//! Run: `cargo bench -p gongkai-ingest --bench parse`

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Same allocator as the `gongkai` binary (the parser allocates many small strings).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/synthetic.rs"]
mod synthetic;

/// The corpus directory: `$GONGKAI_CORPUS`, else `<workspace>/../shared/corpus`.
fn corpus_dir() -> PathBuf {
    match std::env::var_os("GONGKAI_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// Every `*.txt` under `seeds/` and `dev/reports/` of the corpus, sorted by path.
fn corpus_texts() -> Vec<(PathBuf, Vec<u8>)> {
    let root = corpus_dir();
    let mut files = Vec::new();
    for sub in ["seeds", "dev/reports"] {
        let Ok(entries) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "txt") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect()
}

fn parse_all(inputs: &[Vec<u8>]) {
    for b in inputs {
        let parsed = gongkai_ingest::parse_bytes(black_box(b), None);
        black_box(parsed.ok());
    }
}

/// Bench `inputs` twice: bytes/s and reports/s.
fn bench_both(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    inputs: &[Vec<u8>],
) {
    let bytes: u64 = inputs.iter().map(|b| b.len() as u64).sum();
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function(format!("{name}/bytes"), |b| b.iter(|| parse_all(inputs)));
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function(format!("{name}/reports"), |b| b.iter(|| parse_all(inputs)));
}

fn concat(parts: &[Vec<u8>], copies: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..copies {
        for p in parts {
            out.extend_from_slice(p);
            out.push(b'\n');
        }
    }
    out
}

fn benches(c: &mut Criterion) {
    let corpus = corpus_texts();
    let corpus_bytes: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    if corpus.is_empty() {
        println!(
            "gongkai bench: corpus is ABSENT at {} (set GONGKAI_CORPUS); benchmarking the team's own fixtures only",
            corpus_dir().display()
        );
    } else {
        let total: usize = corpus_bytes.iter().map(Vec::len).sum();
        println!(
            "gongkai bench: corpus at {}: {} reports, {} bytes",
            corpus_dir().display(),
            corpus.len(),
            total
        );
    }

    // (a) the real corpus.
    if !corpus.is_empty() {
        let mut g = c.benchmark_group("corpus");
        g.measurement_time(Duration::from_secs(5));
        bench_both(&mut g, "all_txt", &corpus_bytes);
        g.finish();
    }

    // (b) the team's own fixtures.
    let html = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html/example-2021.html"),
    )
    .expect("tests/fixtures/html/example-2021.html");
    let synthetic = synthetic::report_2021(1).into_bytes();
    println!(
        "gongkai bench: fixtures: example-2021.html {} bytes, synthetic 2021 text {} bytes",
        html.len(),
        synthetic.len()
    );
    {
        let mut g = c.benchmark_group("fixtures");
        g.measurement_time(Duration::from_secs(3));
        bench_both(&mut g, "example-2021.html", std::slice::from_ref(&html));
        bench_both(
            &mut g,
            "synthetic-2021.txt",
            std::slice::from_ref(&synthetic),
        );
        // The same synthetic text without decoding: the cost of `parse_text` alone.
        let text = String::from_utf8(synthetic.clone()).unwrap();
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function("synthetic-2021.txt/parse_text/bytes", |b| {
            b.iter(|| black_box(gongkai_ingest::parse_text(black_box(&text), None)))
        });
        g.finish();
    }

    // (b2) documents: every corpus report (or the synthetic one) as a DOCX in the official
    // layout, written by gongkai-render — reports/s of the DOCX path vs the text path.
    {
        let texts: Vec<Vec<u8>> = if corpus.is_empty() {
            vec![synthetic.clone()]
        } else {
            corpus_bytes.clone()
        };
        let docx: Vec<Vec<u8>> = texts
            .iter()
            .filter_map(|t| gongkai_ingest::parse_bytes(t, None).ok())
            .map(|p| gongkai_render::to_docx(&p.report, &[]))
            .collect();
        let mut g = c.benchmark_group("documents");
        g.measurement_time(Duration::from_secs(5));
        g.throughput(Throughput::Elements(docx.len() as u64));
        g.bench_function("docx/reports", |b| b.iter(|| parse_all(&docx)));
        g.finish();
    }

    // (c) one large input, to show per-MB behaviour.
    let base: Vec<Vec<u8>> = if corpus.is_empty() {
        vec![synthetic.clone()]
    } else {
        corpus_bytes.clone()
    };
    {
        let mut g = c.benchmark_group("large");
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(10));
        for copies in [10usize, 50] {
            let big = concat(&base, copies);
            g.throughput(Throughput::Bytes(big.len() as u64));
            g.bench_function(format!("concat_x{copies}/bytes"), |b| {
                b.iter(|| black_box(gongkai_ingest::parse_bytes(black_box(&big), None).ok()))
            });
        }
        g.finish();
    }
}

criterion_group!(parse, benches);
criterion_main!(parse);
