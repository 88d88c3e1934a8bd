//! Load test of the public request form, on loopback only and bounded in count and time:
//! `GONGKAI_LOAD_N` submissions (default 2000) from `GONGKAI_LOAD_THREADS` citizens at once
//! (default 16) — each opens the form, solves the challenge and submits — while a staff member
//! reads the request queue (`/console`) and the start page (`/`) over and over.
//!
//! Asserted: every submission is acknowledged with a receipt, every acknowledged 查询码 is in
//! the store (lost = 0), no code is given twice, the store holds exactly N requests, and every
//! staff read succeeds. Printed (to the terminal, past the test harness's capture, and to
//! `$GONGKAI_ARTIFACTS/figures/load-BACKEND.txt`): submissions/s, HTTP requests/s, p50/p90/p99
//! latency of submissions and of staff reads. Runs on SQLite and, when configured, PostgreSQL
//! (one after the other, so the figures are not shared with the other backend's run).

use crate::portal_support;
use crate::support;

use portal_support::{client, code_of, fields, open_form, post, set};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::Backend;

/// The two backends' runs one after the other.
use crate::SERIAL;

/// No run may take longer than this, whatever N is.
const DEADLINE: Duration = Duration::from_secs(600);

#[test]
fn load_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn load_postgres() {
    run(Backend::Postgres);
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Print past the harness's capture and keep a copy with the CI artefacts.
pub fn report(name: &str, text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("\n{text}\n").as_bytes());
    let dir = support::webdriver::artifacts_dir().join("figures");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.txt")), format!("{text}\n"));
    }
}

fn run(backend: Backend) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let n = env_usize("GONGKAI_LOAD_N", 2000);
    let threads = env_usize("GONGKAI_LOAD_THREADS", 16);
    let Some((server, agency)) = portal_support::start(backend, u32::MAX) else {
        return;
    };
    let base = Arc::new(server.base.clone());
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // The staff member reading the queue while citizens submit.
    let staff = server.login("viewer");
    let reader = {
        let base = base.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            let paths = [format!("/console?agency={}", agency.0), "/".to_string()];
            let mut i = 0usize;
            while !done.load(Ordering::SeqCst) && started.elapsed() < DEADLINE {
                let path = &paths[i % paths.len()];
                i += 1;
                let t = Instant::now();
                match staff.get(format!("{base}{path}")).send() {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let ok = resp.text().is_ok() && status < 400;
                        latencies.push(t.elapsed());
                        if !ok {
                            failures.push(format!("{path}: {status}"));
                        }
                    }
                    Err(e) => failures.push(format!("{path}: {e}")),
                }
            }
            (latencies, failures)
        })
    };

    // The citizens.
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let base = base.clone();
            let next = next.clone();
            std::thread::spawn(move || {
                let citizen = client();
                let mut acknowledged = Vec::new();
                let mut latencies = Vec::new();
                let mut failures = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n || started.elapsed() > DEADLINE {
                        break;
                    }
                    let mut f = fields(i as u32);
                    set(
                        &mut f,
                        "description",
                        &format!("负载测试第{i}件：请公开本县公共资源交易项目清单"),
                    );
                    let t = Instant::now();
                    let form = open_form(&base, &citizen);
                    let resp = post(&base, &citizen, &form, &f, &[], None);
                    let status = resp.status().as_u16();
                    match (status, code_of(&resp)) {
                        (303, Some(code)) => {
                            latencies.push(t.elapsed());
                            acknowledged.push(code);
                        }
                        _ => failures.push(format!("#{i}: {status}")),
                    }
                }
                (acknowledged, latencies, failures)
            })
        })
        .collect();

    let mut codes = Vec::new();
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for w in workers {
        let (c, l, f) = w.join().expect("worker");
        codes.extend(c);
        latencies.extend(l);
        failures.extend(f);
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let (mut reads, read_failures) = reader.join().expect("reader");

    // Every acknowledged code is stored, once.
    let unique: HashSet<&String> = codes.iter().collect();
    let duplicates = codes.len() - unique.len();
    let lost: Vec<&String> = codes
        .iter()
        .filter(|c| server.store.request(c).unwrap().is_none())
        .collect();
    let stored = server
        .store
        .count_requests(&gongkai_store::RequestFilter {
            agency: Some(agency),
            ..Default::default()
        })
        .unwrap();

    latencies.sort();
    reads.sort();
    let secs = elapsed.as_secs_f64();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let text = format!(
        "load ({name}, {} build): {} submissions from {threads} threads in {secs:.1} s — \
         {:.1} submissions/s, {:.1} HTTP requests/s (form + submit + staff reads)\n  \
         submit (open form + POST): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n  \
         staff reads (/console, /) during the load: {} requests, p50 {:.1} ms, p99 {:.1} ms\n  \
         acknowledged {}, stored {stored}, lost = {}, duplicate codes = {duplicates}, \
         failed submissions = {}, failed reads = {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        codes.len(),
        codes.len() as f64 / secs,
        (codes.len() * 2 + reads.len()) as f64 / secs,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        reads.len(),
        percentile(&reads, 0.50),
        percentile(&reads, 0.99),
        codes.len(),
        lost.len(),
        failures.len(),
        read_failures.len(),
    );
    report(&format!("load-{name}"), &text);

    assert!(failures.is_empty(), "failed submissions: {failures:?}");
    assert!(
        read_failures.is_empty(),
        "failed staff reads: {read_failures:?}"
    );
    assert_eq!(codes.len(), n, "every submission acknowledged");
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert_eq!(duplicates, 0, "no code given twice");
    assert_eq!(
        stored as usize, n,
        "the store holds exactly the acknowledged requests"
    );
    assert!(!reads.is_empty(), "staff pages were read during the load");
}
