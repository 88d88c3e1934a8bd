//! Bulk import throughput: 10,000 synthetic reports (full 2021-format JSON with provenance,
//! ~300 agencies, years 2014–2024, distinct ~16 KB documents, 2–5 findings each) imported with
//! `import_reports` in chunks of 500, into SQLite and — when `GONGKAI_TEST_POSTGRES` names a
//! server — into a throwaway PostgreSQL database. Then times the queries the overview and the
//! lists make over that data.
//!
//! A plain `main` (`harness = false`), not criterion: one import of 10,000 reports *is* the
//! measurement; repeating it dozens of times would say nothing more.
//!
//! ```text
//! cargo bench -p gongkai-store --bench import
//! GONGKAI_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres cargo bench -p gongkai-store --bench import
//! GONGKAI_BENCH_REPORTS=2000 cargo bench -p gongkai-store --bench import   # smaller run
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{document_bytes, findings, full_report, TestDb};
use gongkai_core::{Finding, Report};
use gongkai_store::{NewReport, ReportFilter, Store};

const CHUNK: usize = 500;
const AGENCIES: u64 = 300;
const DOCUMENT_SIZE: usize = 16 * 1024;

struct Item {
    name: String,
    agency: String,
    bytes: Vec<u8>,
    report: Report,
    findings: Vec<Finding>,
}

fn item(i: u64) -> Item {
    let a = i % AGENCIES;
    let agency = format!("示例{}县第{a}局", a % 37);
    let year = 2014 + (i % 11) as i32;
    // Every twentieth report does not say its year.
    let year = (!i.is_multiple_of(20)).then_some(year);
    Item {
        name: format!("{agency}-{}-{i}.html", year.unwrap_or(0)),
        report: full_report(&agency, year, i),
        bytes: document_bytes(i, DOCUMENT_SIZE),
        findings: findings((i % 4) as usize),
        agency,
    }
}

fn run(store: &dyn Store, n: u64) {
    let mut busy = Duration::ZERO;
    let mut imported = 0usize;
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK as u64).min(n);
        let items: Vec<Item> = (start..end).map(item).collect();
        let batch: Vec<NewReport<'_>> = items
            .iter()
            .map(|it| NewReport {
                file_name: &it.name,
                bytes: &it.bytes,
                agency: &it.agency,
                report: &it.report,
                findings: &it.findings,
                late: Some(false),
                imported_by: None,
                batch: None,
            })
            .collect();
        let t = Instant::now();
        let out = store.import_reports(&batch).expect("bulk import");
        busy += t.elapsed();
        imported += out.len();
        start = end;
    }
    let secs = busy.as_secs_f64();
    println!(
        "  import: {imported} reports in {secs:.2} s = {:.0} reports/s ({:.2} ms per report)",
        imported as f64 / secs,
        secs * 1000.0 / imported as f64
    );

    let time = |label: &str, f: &mut dyn FnMut() -> usize| {
        let t = Instant::now();
        let result = f();
        println!(
            "  {label}: {result} in {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    };
    time("list all summaries (overview)", &mut || {
        store
            .list_reports(&ReportFilter::default())
            .expect("list")
            .len()
    });
    time("list year=2021, first page of 50", &mut || {
        store
            .list_reports(&ReportFilter {
                year: Some(2021),
                limit: Some(50),
                ..Default::default()
            })
            .expect("list")
            .len()
    });
    time("count of reports with errors", &mut || {
        store
            .count_reports(&ReportFilter {
                with_errors: true,
                ..Default::default()
            })
            .expect("count") as usize
    });
    let some = store
        .list_reports(&ReportFilter {
            limit: Some(1),
            ..Default::default()
        })
        .expect("list");
    if let Some(s) = some.first() {
        let id = s.id;
        time("open one report (JSON + findings)", &mut || {
            store
                .report(id)
                .expect("report")
                .map(|r| r.findings.len())
                .unwrap_or(0)
        });
    }
    time("for_each_report (export walk)", &mut || {
        let mut k = 0;
        store
            .for_each_report(&mut |_| {
                k += 1;
                Ok(())
            })
            .expect("walk");
        k
    });
}

fn main() {
    let n: u64 = std::env::var("GONGKAI_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let sample = item(1);
    println!(
        "{n} synthetic reports, chunks of {CHUNK}: report JSON ~{} bytes, document {} bytes, {} findings (sample)",
        serde_json::to_string(&sample.report.to_json_value())
            .map(|s| s.len())
            .unwrap_or(0),
        sample.bytes.len(),
        sample.findings.len()
    );

    let db = TestDb::sqlite();
    println!("SQLite ({})", db.url);
    run(db.store(), n);
    let path = db.url.trim_start_matches("sqlite:");
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "  file size: {:.1} MiB (+ WAL {:.1} MiB)",
        size(path) as f64 / 1048576.0,
        size(&format!("{path}-wal")) as f64 / 1048576.0
    );
    drop(db);

    match TestDb::postgres() {
        Some(db) => {
            println!("PostgreSQL (throwaway database)");
            run(db.store(), n);
        }
        None => println!("PostgreSQL: skipped ({} not set)", common::PG_VAR),
    }
}
