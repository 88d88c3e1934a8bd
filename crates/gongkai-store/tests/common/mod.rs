//! Shared by the behaviour tests (`tests/store.rs`) and the import benchmark
//! (`benches/import.rs`, which includes this file by path): throwaway databases and synthetic
//! reports built by hand (no corpus files).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use gongkai_core::skeleton::{self, REVIEW_COLUMNS, REVIEW_GROUPS, SECTIONS};
use gongkai_core::{
    Finding, Generation, Proactive, Provenance, Report, Reviews, Severity, Statistics2014,
    StatisticsRow,
};
use gongkai_store::Store;
use indexmap::IndexMap;

/// The variable naming an administrative PostgreSQL URL (a database that may `CREATE DATABASE`).
pub const PG_VAR: &str = "GONGKAI_TEST_POSTGRES";
/// When `1`, a missing [`PG_VAR`] fails instead of skipping (CI sets it).
pub const REQUIRE_VAR: &str = "GONGKAI_REQUIRE_POSTGRES";

/// A throwaway database: a SQLite file in a temporary directory, or a freshly created
/// PostgreSQL database that is dropped when this value is.
pub struct TestDb {
    /// What `gongkai_store::open` takes to (re)open this database.
    pub url: String,
    /// Always `Some` until dropped (taken first so that the pool closes before `DROP DATABASE`).
    store: Option<Box<dyn Store>>,
    guard: Guard,
}

enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path: PathBuf = dir.path().join("gongkai.db");
        let url = format!("sqlite:{}", path.display());
        let store = gongkai_store::open(&url).expect("open SQLite store");
        TestDb {
            url,
            store: Some(store),
            guard: Guard::Sqlite(dir),
        }
    }

    /// A fresh PostgreSQL database, or `None` (after saying so once) when [`PG_VAR`] is unset.
    /// Panics when it is unset but [`REQUIRE_VAR`] is `1`.
    pub fn postgres() -> Option<TestDb> {
        let admin = match std::env::var(PG_VAR) {
            Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => {
                if std::env::var(REQUIRE_VAR).as_deref() == Ok("1") {
                    panic!("{REQUIRE_VAR}=1 but {PG_VAR} is not set: PostgreSQL tests cannot run");
                }
                static SAID: Once = Once::new();
                SAID.call_once(|| {
                    // Written past the test harness's capture so that it is seen.
                    let _ = writeln!(
                        std::io::stderr(),
                        "PostgreSQL tests skipped: {PG_VAR} not set"
                    );
                });
                return None;
            }
        };
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "gk_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut client =
            postgres::Client::connect(&admin, postgres::NoTls).expect("connect to admin database");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        drop(client);
        let url = with_dbname(&admin, &name);
        let store = gongkai_store::open(&url).expect("open PostgreSQL store");
        Some(TestDb {
            url,
            store: Some(store),
            guard: Guard::Postgres { admin, name },
        })
    }

    pub fn store(&self) -> &dyn Store {
        match &self.store {
            Some(s) => s.as_ref(),
            None => unreachable!("the store is only taken when the database is dropped"),
        }
    }

    /// Run raw SQL on the database behind the store's back (to plant corrupt data).
    pub fn exec(&self, sql: &str) {
        match &self.guard {
            Guard::Sqlite(_) => {
                let path = self.url.trim_start_matches("sqlite:");
                let conn = rusqlite::Connection::open(path).expect("open SQLite file");
                conn.execute_batch(sql).expect("raw SQL");
            }
            Guard::Postgres { .. } => {
                let mut client =
                    postgres::Client::connect(&self.url, postgres::NoTls).expect("connect");
                client.batch_execute(sql).expect("raw SQL");
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Guard::Postgres { admin, name } = &self.guard {
            // Close the pool first; FORCE ends any connection still open.
            self.store = None;
            if let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// `url` with its database name replaced by `name` (`postgres://u@h:p/db?x=y` → `…/name?x=y`).
pub fn with_dbname(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A small deterministic generator (xorshift), so synthetic data differs per seed.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const NARRATIVE: &str = "坚持以公开为常态、不公开为例外，围绕中心工作，及时准确公开政府信息，\
    完善发布审核流程，规范依申请公开受理、办理、答复等环节，动态更新政府信息公开指南，\
    优化门户网站信息公开专栏，将政务公开纳入年度考核并组织业务培训。";

/// A full report of the 2021 format (tables 二, 三, 四, narrative of all six sections and
/// provenance for every cell), about as large as a real one read from a document (~20 KB of
/// JSON). Values vary with `seed`.
pub fn full_report(agency: &str, year: Option<i32>, seed: u64) -> Report {
    let mut rng = Rng::new(seed);
    let mut r = Report::new();
    r.source = Some(format!("{agency}-{}.html", year.unwrap_or(0)));
    r.generation = Generation::G2021;
    r.agency = Some(agency.to_string());
    r.year = year;
    r.published_on = year.map(|y| format!("{}-01-{:02}", y + 1, 1 + rng.below(28)));
    r.sections = SECTIONS.iter().map(|(n, _, _)| n.to_string()).collect();
    let mut line = 10;
    let provenance = |r: &mut Report, pointer: String, raw: String, line: &mut usize| {
        *line += 1;
        r.provenance.insert(
            pointer,
            Provenance {
                line: *line,
                raw,
                location: Some(format!("表格 2 第 {} 行", *line)),
            },
        );
    };

    let mut proactive = Proactive::default();
    for block in skeleton::PROACTIVE_2021 {
        for row in block.rows {
            let mut cells = IndexMap::new();
            for col in block.columns {
                let v = rng.below(500) as f64;
                cells.insert(col.id.to_string(), Some(v));
                provenance(
                    &mut r,
                    format!("/proactive/{}/{}", row.id, col.id),
                    format!("{} | {} | {}", row.label, col.label, v),
                    &mut line,
                );
            }
            proactive.rows.insert(row.id.to_string(), cells);
        }
    }
    r.proactive = Some(proactive);

    let mut requests = IndexMap::new();
    for row in skeleton::request_rows(Generation::G2021) {
        let cells: Vec<Option<f64>> = (0..7)
            .map(|i| {
                if i == 3 && rng.below(4) == 0 {
                    None
                } else {
                    Some(rng.below(60) as f64)
                }
            })
            .collect();
        for (i, c) in cells.iter().enumerate() {
            provenance(
                &mut r,
                format!("/requests/{}/{i}", row.label.id),
                format!(
                    "{} | {}",
                    row.label.label,
                    c.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
                ),
                &mut line,
            );
        }
        requests.insert(row.label.id.to_string(), cells);
    }
    r.requests = Some(requests);

    let mut reviews = Reviews::default();
    for g in REVIEW_GROUPS.iter() {
        let mut cells = IndexMap::new();
        for c in REVIEW_COLUMNS.iter() {
            cells.insert(c.id.to_string(), Some(rng.below(5) as f64));
        }
        reviews.groups.insert(g.id.to_string(), cells);
    }
    r.reviews = Some(reviews);

    for (n, title, _) in SECTIONS.iter() {
        r.narrative.insert(
            n.to_string(),
            format!(
                "{title}。{agency}{}年{NARRATIVE}{NARRATIVE}",
                year.unwrap_or(0)
            ),
        );
    }
    r
}

/// A small report of the pre-2019 kind, with a fractional value and a procurement unit, to
/// exercise the less common parts of the JSON shape.
pub fn odd_report(agency: &str) -> Report {
    let mut r = Report::new();
    r.generation = Generation::G2014;
    r.agency = Some(agency.to_string());
    r.year = Some(2016);
    r.statistics_2014 = Some(Statistics2014 {
        columns: vec!["2016年度".into(), "历年累计".into()],
        rows: vec![StatisticsRow {
            label: "主动公开政府信息数".into(),
            unit: Some("条".into()),
            values: vec![Some(12.5), None],
            note: Some("含网站".into()),
        }],
    });
    let mut proactive = Proactive::default();
    let mut cp = IndexMap::new();
    cp.insert("items".to_string(), Some(3.0));
    cp.insert("amount".to_string(), Some(1234.56));
    proactive.rows.insert("central_procurement".into(), cp);
    proactive.procurement_amount_unit = Some("万元".into());
    r.proactive = Some(proactive);
    r
}

/// Findings of a synthetic report: `errors` errors, then a warning and an info.
pub fn findings(errors: usize) -> Vec<Finding> {
    let mut out: Vec<Finding> = (0..errors)
        .map(|i| {
            Finding::new(
                "requests.row_sum",
                Severity::Error,
                format!("第 {i} 行合计不等于各列之和"),
            )
            .with_cells([
                format!("/requests/new_received/{i}"),
                "/requests/new_received/6".into(),
            ])
            .with_values(10 + i as i64, 11 + i as i64)
        })
        .collect();
    out.push(
        Finding::new(
            "timeliness.published_late",
            Severity::Warning,
            "发布晚于法定期限",
        )
        .with_values(
            serde_json::json!("2022-01-31"),
            serde_json::json!({"date": "2022-02-03"}),
        ),
    );
    let mut info = Finding::new(
        "structure.section_missing",
        Severity::Info,
        "未找到第四部分",
    );
    info.source = Some("reader".into());
    info.expected = Some(serde_json::Value::Null);
    out.push(info);
    out
}

/// Distinct document bytes of about `size` bytes for `seed` (text, like a decoded report).
pub fn document_bytes(seed: u64, size: usize) -> Vec<u8> {
    let mut out = format!("<!-- document {seed} -->\n").into_bytes();
    let mut rng = Rng::new(seed);
    while out.len() < size {
        let n = rng.below(1000);
        out.extend_from_slice(format!("<tr><td>行政许可</td><td>{n}</td></tr>\n").as_bytes());
    }
    out
}

impl TestDb {
    /// As [`TestDb::exec`], but returning the database's error instead of panicking (to check
    /// that the schema refuses something).
    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        match &self.guard {
            Guard::Sqlite(_) => {
                let path = self.url.trim_start_matches("sqlite:");
                let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }
            Guard::Postgres { .. } => {
                let mut client = postgres::Client::connect(&self.url, postgres::NoTls)
                    .map_err(|e| e.to_string())?;
                client.batch_execute(sql).map_err(|e| e.to_string())
            }
        }
    }
}
