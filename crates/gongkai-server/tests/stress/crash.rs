//! Crash test: the real `gongkai serve` binary as a child process, citizens submitting the
//! request form concurrently, the server killed with SIGKILL in the middle of it, restarted on
//! the same database — and then:
//!
//! * every request whose receipt (303 → `/public/receipt/CODE`) a citizen got before the kill
//!   is in the database and shown by the restarted server's tracking page (lost = 0);
//! * the database is consistent: SQLite's `PRAGMA integrity_check` and `foreign_key_check`
//!   pass; on both backends every request has its state row and an event log numbered 1..n
//!   without gaps, every attachment has its bytes, and no request exists half-written;
//! * the restarted server takes new submissions.
//!
//! The binary is built on demand (`cargo build -p gongkai`, a no-op when `cargo test
//! --workspace` already built it) into the target directory this test runs from. Loopback
//! only; the load is bounded by count and time. Figures are printed past the harness's capture
//! and kept under `$GONGKAI_ARTIFACTS/figures/`.

use crate::portal_support;
use crate::support;

use portal_support::{client, code_of, fields, set, try_open_form, try_post, AGENCY};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Backend, TestDb};

use crate::SERIAL;

/// Receipts to wait for before the kill.
const KILL_AFTER: usize = 300;
const THREADS: usize = 8;
/// Upper bounds on every phase.
const PHASE: Duration = Duration::from_secs(120);

#[test]
fn crash_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn crash_postgres() {
    run(Backend::Postgres);
}

fn report(name: &str, text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("\n{text}\n").as_bytes());
    let dir = support::webdriver::artifacts_dir().join("figures");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.txt")), format!("{text}\n"));
    }
}

/// The `gongkai` binary beside this test's target directory, built if needed.
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/crash-HASH → target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>")
        .to_path_buf();
    let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
    let cargo = std::env::var("CARGO")
        .ok()
        .or(option_env!("CARGO").map(str::to_string))
        .unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "-q", "-p", "gongkai", "--bin", "gongkai"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build -p gongkai");
    assert!(status.success(), "cargo build -p gongkai failed");
    let bin = profile_dir.join(format!("gongkai{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} missing after the build", bin.display());
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `gongkai serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(bin: &PathBuf, database: &str) -> (Server, Duration) {
        let port = free_port();
        let started = Instant::now();
        let child = Command::new(bin)
            .args([
                "serve",
                "--database",
                database,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .env("GONGKAI_PORTAL_AGENCY", AGENCY)
            .env("GONGKAI_PORTAL_RATE", "100000000/60")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start gongkai serve");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let probe = client();
        loop {
            if let Ok(resp) = probe.get(format!("{}/healthz", server.base)).send() {
                if resp.status().is_success() {
                    break;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("gongkai serve exited early: {status}");
            }
            assert!(started.elapsed() < PHASE, "server did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        (server, started.elapsed())
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The consistency queries, one count each, all of which must be 0: on both backends …
const CHECKS: &[(&str, &str)] = &[
    (
        "requests without their first event",
        "SELECT COUNT(*) FROM requests r WHERE NOT EXISTS \
         (SELECT 1 FROM request_events e WHERE e.request_id = r.id AND e.seq = 1)",
    ),
    (
        "event logs with gaps",
        "SELECT COUNT(*) FROM (SELECT request_id, MAX(seq) AS m, COUNT(*) AS c \
         FROM request_events GROUP BY request_id) t WHERE t.m <> t.c",
    ),
    (
        "events of no request",
        "SELECT COUNT(*) FROM request_events e WHERE NOT EXISTS \
         (SELECT 1 FROM requests r WHERE r.id = e.request_id)",
    ),
];

/// … on SQLite, where the state and the attachment bytes have tables of their own …
const SQLITE_CHECKS: &[(&str, &str)] = &[
    (
        "requests without a state row",
        "SELECT COUNT(*) FROM requests r WHERE NOT EXISTS \
         (SELECT 1 FROM request_states s WHERE s.request_id = r.id)",
    ),
    (
        "states of no request",
        "SELECT COUNT(*) FROM request_states s WHERE NOT EXISTS \
         (SELECT 1 FROM requests r WHERE r.id = s.request_id)",
    ),
    (
        "attachments without their bytes",
        "SELECT COUNT(*) FROM request_attachments a WHERE NOT EXISTS \
         (SELECT 1 FROM request_attachment_blobs b WHERE b.attachment_id = a.id \
          AND length(b.bytes) = a.size)",
    ),
];

/// … and on PostgreSQL, where they are columns of the rows.
const POSTGRES_CHECKS: &[(&str, &str)] = &[
    (
        "requests without a state",
        "SELECT COUNT(*) FROM requests WHERE state_json = ''",
    ),
    (
        "attachments whose bytes do not match their size",
        "SELECT COUNT(*) FROM request_attachments WHERE octet_length(bytes) <> size",
    ),
];

/// Run the consistency checks; returns the problems found.
fn consistency(backend: Backend, url: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(url).expect("open SQLite");
            let integrity: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            if integrity != "ok" {
                problems.push(format!("integrity_check: {integrity}"));
            }
            let mut fk = conn.prepare("PRAGMA foreign_key_check").unwrap();
            let bad = fk.query_map([], |_| Ok(())).unwrap().count();
            if bad > 0 {
                problems.push(format!("foreign_key_check: {bad} rows"));
            }
            for (what, sql) in CHECKS.iter().chain(SQLITE_CHECKS) {
                let n: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap();
                if n != 0 {
                    problems.push(format!("{what}: {n}"));
                }
            }
        }
        Backend::Postgres => {
            let mut conn = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            for (what, sql) in CHECKS.iter().chain(POSTGRES_CHECKS) {
                let n: i64 = conn.query_one(*sql, &[]).unwrap().get(0);
                if n != 0 {
                    problems.push(format!("{what}: {n}"));
                }
            }
        }
    }
    problems
}

fn run(backend: Backend) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let bin = binary();
    let (mut server, first_start) = Server::start(&bin, &db.url);

    // Citizens submitting until the server disappears.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let load_started = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let base = server.base.clone();
            let acknowledged = acknowledged.clone();
            let attempts = attempts.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let citizen = client();
                let mut errors = 0;
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) || load_started.elapsed() > PHASE {
                        break;
                    }
                    let n = (t * 1_000_000 + i) as u32;
                    let mut f = fields(n);
                    set(
                        &mut f,
                        "description",
                        &format!("崩溃测试 {t}-{i}：请公开本县公共资源交易项目清单"),
                    );
                    // A server killed mid-request shows up as an error here: stop after a few.
                    let result = try_open_form(&base, &citizen).ok_or(()).and_then(|form| {
                        attempts.fetch_add(1, Ordering::SeqCst);
                        // Every fourth with an attachment, so that its bytes are in flight too.
                        let files: Vec<(&str, Vec<u8>)> = if i % 4 == 0 {
                            vec![("说明.txt", "补充材料".repeat(512).into_bytes())]
                        } else {
                            Vec::new()
                        };
                        try_post(&base, &citizen, &form, &f, &files, None).map_err(|_| ())
                    });
                    match result {
                        Ok(resp) => match (resp.status().as_u16(), code_of(&resp)) {
                            (303, Some(code)) => acknowledged.lock().unwrap().push(code),
                            (status, _) => panic!("submission refused: {status}"),
                        },
                        Err(_) => {
                            errors += 1;
                            if errors >= 3 {
                                break;
                            }
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < KILL_AFTER {
        assert!(
            load_started.elapsed() < PHASE,
            "too slow to reach {KILL_AFTER} receipts"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Kill while the citizens are still submitting.
    server.kill();
    let acked_at_kill = acknowledged.lock().unwrap().len();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        // A worker's panic (a refused submission) fails the test here.
        w.join().expect("citizen thread");
    }
    let acked: Vec<String> = acknowledged.lock().unwrap().clone();
    let attempted = attempts.load(Ordering::SeqCst);
    let load_secs = load_started.elapsed().as_secs_f64();

    // Restart on the same database.
    let (server, restart) = Server::start(&bin, &db.url);
    let store = gongkai_store::open(&db.url).expect("open the database again");
    let mut lost = Vec::new();
    for code in &acked {
        match store.request(code).unwrap() {
            Some(r) => {
                let events = store.request_events(code).unwrap();
                assert_eq!(
                    events.len(),
                    r.request.log.len(),
                    "{code}: log and state agree"
                );
                assert!(!events.is_empty());
            }
            None => lost.push(code.clone()),
        }
    }
    let stored = store
        .count_requests(&gongkai_store::RequestFilter::default())
        .unwrap() as usize;
    // The restarted server shows them (a sample: every 10th).
    let citizen = client();
    for code in acked.iter().step_by(10) {
        let resp = citizen
            .get(format!("{}/public/track", server.base))
            .query(&[("code", code.as_str())])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{code} after the restart");
    }
    let problems = consistency(backend, &db.url);
    // And it takes new submissions.
    let resp = portal_support::apply(&server.base, &citizen, &fields(4242), &[]);
    assert_eq!(resp.status().as_u16(), 303, "submissions after the restart");
    drop(server);

    report(
        &format!("crash-{name}"),
        &format!(
            "crash ({name}): gongkai serve up in {:.2} s; {THREADS} citizens submitted for {load_secs:.1} s; \
             SIGKILL after {acked_at_kill} receipts ({} acknowledged, {attempted} attempted, \
             {} in flight or refused by the dying server); restart in {:.2} s; \
             stored after restart {stored}; lost = {}; consistency problems: {}",
            first_start.as_secs_f64(),
            acked.len(),
            attempted - acked.len(),
            restart.as_secs_f64(),
            lost.len(),
            if problems.is_empty() { "none".to_string() } else { problems.join("; ") },
        ),
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(problems.is_empty(), "inconsistent database: {problems:?}");
    assert!(
        stored >= acked.len() && stored <= attempted,
        "stored {stored}, acknowledged {}, attempted {attempted}",
        acked.len()
    );
}
