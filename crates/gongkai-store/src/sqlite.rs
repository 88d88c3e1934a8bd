//! SQLite implementation of [`crate::Store`]: one file, WAL journal, an r2d2 pool of connections.
//!
//! Why these settings (applied to every pooled connection in [`init_connection`]):
//!
//! * `journal_mode=WAL` — readers (the overview page) never wait for a writer (a bulk import),
//!   and a writer never waits for readers.
//! * `synchronous=NORMAL` — in WAL mode this is still crash-safe for the database; only the last
//!   transactions before a power cut may be lost, which an import can simply repeat.
//! * `foreign_keys=ON` — SQLite leaves it off by default; without it `ON DELETE CASCADE` on
//!   findings would silently do nothing.
//! * `busy_timeout=5s` — a second writer waits for the first instead of failing at once.
//!
//! Every write begins `IMMEDIATE`, taking the write lock up front: a deferred transaction that
//! reads and then writes can fail with `SQLITE_BUSY` when another writer got in between, and
//! `busy_timeout` cannot help with that case.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gongkai_core::Finding;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::common::{self, OrDb};
use crate::RuleCount;
use crate::{
    sha256_hex, Agency, AgencyId, AgencyLevel, Batch, BatchId, BatchItem, Document, DocumentId,
    ImportOutcome, NewReport, ReportFilter, ReportId, ReportSummary, Result, Role, Session, Store,
    StoreError, StoredReport, User, UserId,
};

/// [`crate::Register`] for [`SqliteStore`].
mod register;

/// The migrations, in order. Append only: a released migration is never edited.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        "0002_register",
        include_str!("../migrations/sqlite/0002_register.sql"),
    ),
    (
        "0003_user_scope",
        include_str!("../migrations/sqlite/0003_user_scope.sql"),
    ),
];

type Pool = r2d2::Pool<SqliteConnectionManager>;
type Conn = r2d2::PooledConnection<SqliteConnectionManager>;

/// The embedded store: a single SQLite file (plus its `-wal` and `-shm` companions).
pub struct SqliteStore {
    pool: Pool,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// Pragmas every connection needs (see the module documentation for why).
fn init_connection(c: &mut Connection) -> rusqlite::Result<()> {
    c.busy_timeout(Duration::from_secs(5))?;
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    // Bulk imports cycle through a handful of statements; keep them all prepared.
    c.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Open (creating if needed) the database file at `path` and bring its schema up to date.
    /// The directory must exist.
    pub fn open(path: &Path) -> Result<Self> {
        let connect_err = |e: &dyn std::fmt::Display| {
            StoreError::Connect(format!("无法打开 SQLite 数据库 {}：{e}", path.display()))
        };
        // A first, plain connection gives a clear error at once (a missing directory, a file
        // that is not a database) instead of r2d2's retry-until-timeout, and runs migrations.
        let mut first = Connection::open(path).map_err(|e| connect_err(&e))?;
        init_connection(&mut first).map_err(|e| connect_err(&e))?;
        migrate(&mut first)?;
        // What SQLite recommends for long-lived connections: refresh the planner's statistics
        // where they are stale (cheap; bounded by `analysis_limit`).
        first
            .execute_batch("PRAGMA optimize = 0x10002")
            .map_err(|e| connect_err(&e))?;
        drop(first);

        let manager = SqliteConnectionManager::file(path).with_init(init_connection);
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .map_err(|e| connect_err(&e))?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<Conn> {
        self.pool
            .get()
            .map_err(|e| StoreError::Connect(format!("SQLite 连接池：{e}")))
    }

    /// Run `f` in an `IMMEDIATE` transaction and commit if it succeeds.
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        let out = f(&tx)?;
        tx.commit().db()?;
        Ok(out)
    }

    /// Run `f` in a read transaction (one consistent snapshot across its statements).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().db()?;
        let out = f(&tx)?;
        tx.commit().db()?;
        Ok(out)
    }
}

/// Apply the migrations not yet recorded in `schema_migrations`, all in one transaction: a
/// database is either upgraded completely or left as it was.
fn migrate(conn: &mut Connection) -> Result<()> {
    let failed = |version: &str, e: &dyn std::fmt::Display| StoreError::Migration {
        version: version.to_string(),
        message: e.to_string(),
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| failed("-", &e))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version TEXT PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )
    .map_err(|e| failed("schema_migrations", &e))?;
    for (version, sql) in MIGRATIONS {
        let done = tx
            .query_row(
                "SELECT 1 FROM schema_migrations WHERE version = ?1",
                [version],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| failed(version, &e))?
            .is_some();
        if done {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| failed(version, &e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, common::now()],
        )
        .map_err(|e| failed(version, &e))?;
    }
    tx.commit().map_err(|e| failed("commit", &e))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

fn agency_from_row(row: &Row<'_>) -> rusqlite::Result<(i64, String, String, Option<i64>)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn agency_from_cols(cols: (i64, String, String, Option<i64>)) -> Result<Agency> {
    let (id, name, level, parent) = cols;
    Ok(Agency {
        id: AgencyId(id),
        name,
        level: common::parse_level(&level)?,
        parent: parent.map(AgencyId),
    })
}

/// One row of [`common::summary_select`].
fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<ReportSummary> {
    Ok(ReportSummary {
        id: ReportId(row.get(0)?),
        document: DocumentId(row.get(1)?),
        agency: AgencyId(row.get(2)?),
        agency_name: row.get(3)?,
        file_name: row.get(4)?,
        year: row.get(5)?,
        generation: row.get(6)?,
        published_on: row.get(7)?,
        late: row.get(8)?,
        errors: row.get(9)?,
        warnings: row.get(10)?,
        infos: row.get(11)?,
        imported_at: row.get(12)?,
    })
}

/// One row of [`common::FINDING_SELECT`].
fn finding_row(row: &Row<'_>) -> rusqlite::Result<common::StoredFindingRow> {
    Ok(common::StoredFindingRow {
        report: row.get(0)?,
        source: row.get(1)?,
        rule: row.get(2)?,
        severity: row.get(3)?,
        message: row.get(4)?,
        cells: row.get(5)?,
        expected: row.get(6)?,
        found: row.get(7)?,
    })
}

fn findings_of(conn: &Connection, id: ReportId) -> Result<Vec<Finding>> {
    let sql = format!(
        "{} WHERE report_id = ?1 ORDER BY seq",
        common::FINDING_SELECT
    );
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let rows = stmt
        .query_map([id.0], finding_row)
        .db()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .db()?;
    rows.into_iter()
        .map(common::StoredFindingRow::into_finding)
        .collect()
}

/// The summary and the report JSON of one report.
fn stored_report(
    conn: &Connection,
    summary: ReportSummary,
    report_json: &str,
) -> Result<StoredReport> {
    let report = common::report_from_json(summary.id, report_json)?;
    let findings = findings_of(conn, summary.id)?;
    Ok(StoredReport {
        summary,
        report,
        findings,
    })
}

fn agency_exists(conn: &Connection, id: AgencyId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM agencies WHERE id = ?1")
        .db()?
        .query_row([id.0], |_| Ok(()))
        .optional()
        .db()?
        .is_some())
}

/// `ensure_agency` inside an open transaction.
fn ensure_agency_in(
    conn: &Connection,
    name: &str,
    level: AgencyLevel,
    parent: Option<AgencyId>,
) -> Result<AgencyId> {
    let name = common::agency_name(name)?;
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM agencies WHERE name = ?1")
        .db()?
        .query_row([name], |r| r.get(0))
        .optional()
        .db()?;
    if let Some(id) = found {
        return Ok(AgencyId(id));
    }
    if let Some(p) = parent {
        if !agency_exists(conn, p)? {
            return Err(StoreError::NotFound(format!("上级机构 {p}")));
        }
    }
    let parent = match parent {
        Some(p) => Some(p),
        None => region_of_new(conn, name, level)?,
    };
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO agencies (name, level, parent_id) VALUES (?1, ?2, ?3) RETURNING id",
        )
        .db()?
        .query_row(params![name, level.as_str(), parent.map(|p| p.0)], |r| {
            r.get(0)
        })
        .db()?;
    Ok(AgencyId(id))
}

/// The region a new agency goes under by name ([`crate::region_by_name`]).
fn region_of_new(conn: &Connection, name: &str, level: AgencyLevel) -> Result<Option<AgencyId>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, name, level FROM agencies WHERE level <> 'department' ORDER BY id",
        )
        .db()?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .db()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .db()?;
    let regions: Vec<(AgencyId, &str, AgencyLevel)> = rows
        .iter()
        .filter_map(|(id, n, l)| Some((AgencyId(*id), n.as_str(), AgencyLevel::parse(l)?)))
        .collect();
    Ok(crate::region_by_name(name, level, &regions))
}

/// One import inside an open transaction. `agencies` caches name → id across a bulk import.
fn import_in(
    conn: &Connection,
    new: &NewReport<'_>,
    now: i64,
    agencies: &mut HashMap<String, AgencyId>,
) -> Result<ImportOutcome> {
    let sha = sha256_hex(new.bytes);
    let existing: Option<(i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT d.id, r.id FROM documents d LEFT JOIN reports r ON r.document_id = d.id \
             WHERE d.sha256 = ?1",
        )
        .db()?
        .query_row([&sha], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .db()?;
    let document = match existing {
        Some((_, Some(report))) => return Ok(ImportOutcome::Duplicate(ReportId(report))),
        // A document without a report (only possible after manual surgery): reuse it.
        Some((document, None)) => document,
        None => {
            let size = i64::try_from(new.bytes.len()).unwrap_or(i64::MAX);
            let id: i64 = conn
                .prepare_cached(
                    "INSERT INTO documents (sha256, file_name, size, created_at) \
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                )
                .db()?
                .query_row(params![sha, new.file_name, size, now], |r| r.get(0))
                .db()?;
            conn.prepare_cached("INSERT INTO document_blobs (document_id, bytes) VALUES (?1, ?2)")
                .db()?
                .execute(params![id, new.bytes])
                .db()?;
            id
        }
    };

    let agency = match agencies.get(new.agency) {
        Some(id) => *id,
        None => {
            let id = ensure_agency_in(conn, new.agency, AgencyLevel::Department, None)?;
            agencies.insert(new.agency.to_string(), id);
            id
        }
    };

    let (errors, warnings, infos) = common::counts(new.findings);
    let report_json = common::report_to_json(new.report)?;
    let report: i64 = conn
        .prepare_cached(
            "INSERT INTO reports (document_id, agency_id, year, generation, published_on, late, \
             errors, warnings, infos, imported_by, batch_id, imported_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        )
        .db()?
        .query_row(
            params![
                document,
                agency.0,
                new.report.year,
                new.report.generation.as_str(),
                new.report.published_on,
                new.late,
                errors,
                warnings,
                infos,
                new.imported_by.map(|u| u.0),
                new.batch.map(|b| b.0),
                now,
            ],
            |r| r.get(0),
        )
        .db()?;
    conn.prepare_cached("INSERT INTO report_bodies (report_id, report_json) VALUES (?1, ?2)")
        .db()?
        .execute(params![report, report_json])
        .db()?;

    if !new.findings.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO findings (report_id, seq, source, rule, severity, message, cells, \
                 expected, found) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .db()?;
        for (seq, f) in new.findings.iter().enumerate() {
            let row = common::finding_to_row(f)?;
            stmt.execute(params![
                report,
                i64::try_from(seq).unwrap_or(i64::MAX),
                row.source,
                row.rule,
                row.severity,
                row.message,
                row.cells,
                row.expected,
                row.found,
            ])
            .db()?;
        }
    }
    Ok(ImportOutcome::Imported(ReportId(report)))
}

/// `WHERE …` of a report filter. Agency ids are integers and are written into the SQL directly
/// (no injection is possible), which keeps long id lists clear of SQLite's parameter limit.
fn filter_where(filter: &ReportFilter) -> (String, Option<i32>) {
    let mut clauses = Vec::new();
    if !filter.agencies.is_empty() {
        let ids: Vec<String> = filter.agencies.iter().map(|a| a.0.to_string()).collect();
        clauses.push(format!("r.agency_id IN ({})", ids.join(",")));
    }
    if filter.year.is_some() {
        clauses.push("r.year = ?1".to_string());
    }
    if filter.with_errors {
        clauses.push("r.errors > 0".to_string());
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (sql, filter.year)
}

/// A user's columns as read, before the role is parsed.
type UserCols = (i64, String, String, String, String, Option<i64>);

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserCols> {
    user_cols_at(row, 0)
}

/// The user columns of [`USER_COLUMNS`] starting at column `at`.
fn user_cols_at(row: &Row<'_>, at: usize) -> rusqlite::Result<UserCols> {
    Ok((
        row.get(at)?,
        row.get(at + 1)?,
        row.get(at + 2)?,
        row.get(at + 3)?,
        row.get(at + 4)?,
        row.get(at + 5)?,
    ))
}

fn user_from_cols(c: UserCols) -> Result<User> {
    let (id, username, display_name, role, password_hash, agency) = c;
    Ok(User {
        id: UserId(id),
        username,
        display_name,
        role: common::parse_role(&role)?,
        agency: agency.map(AgencyId),
        password_hash,
    })
}

const USER_SELECT: &str =
    "SELECT id, username, display_name, role, password_hash, agency_id FROM users";

fn batch_in(conn: &Connection, id: BatchId) -> Result<Option<Batch>> {
    let head = conn
        .prepare_cached(
            "SELECT id, label, created_by, created_at, total, finished FROM batches WHERE id = ?1",
        )
        .db()?
        .query_row([id.0], |r| {
            Ok(Batch {
                id: BatchId(r.get(0)?),
                label: r.get(1)?,
                created_by: r.get::<_, Option<i64>>(2)?.map(UserId),
                created_at: r.get(3)?,
                total: r.get(4)?,
                finished: r.get(5)?,
                items: Vec::new(),
            })
        })
        .optional()
        .db()?;
    let Some(mut batch) = head else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT file_name, status, report_id, message FROM batch_items \
             WHERE batch_id = ?1 ORDER BY seq",
        )
        .db()?;
    batch.items = stmt
        .query_map([id.0], |r| {
            Ok(BatchItem {
                file_name: r.get(0)?,
                status: r.get(1)?,
                report: r.get::<_, Option<i64>>(2)?.map(ReportId),
                message: r.get(3)?,
            })
        })
        .db()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .db()?;
    Ok(Some(batch))
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn ensure_agency(
        &self,
        name: &str,
        level: AgencyLevel,
        parent: Option<AgencyId>,
    ) -> Result<AgencyId> {
        self.write(|c| ensure_agency_in(c, name, level, parent))
    }

    fn set_agency_place(
        &self,
        id: AgencyId,
        level: AgencyLevel,
        parent: Option<AgencyId>,
    ) -> Result<()> {
        self.write(|c| {
            if !agency_exists(c, id)? {
                return Err(StoreError::NotFound(format!("机构 {id}")));
            }
            if let Some(p) = parent {
                if !agency_exists(c, p)? {
                    return Err(StoreError::NotFound(format!("上级机构 {p}")));
                }
                // The write lock is held, so the hierarchy cannot change between this check
                // and the update.
                let below: Vec<i64> = c
                    .prepare_cached(&common::descendants_sql("?1"))
                    .db()?
                    .query_map([id.0], |r| r.get(0))
                    .db()?
                    .collect::<rusqlite::Result<_>>()
                    .db()?;
                if below.contains(&p.0) {
                    return Err(common::cycle(id, p));
                }
            }
            c.execute(
                "UPDATE agencies SET level = ?2, parent_id = ?3 WHERE id = ?1",
                params![id.0, level.as_str(), parent.map(|p| p.0)],
            )
            .db()?;
            Ok(())
        })
    }

    fn agency(&self, id: AgencyId) -> Result<Option<Agency>> {
        let conn = self.conn()?;
        let cols = conn
            .prepare_cached("SELECT id, name, level, parent_id FROM agencies WHERE id = ?1")
            .db()?
            .query_row([id.0], agency_from_row)
            .optional()
            .db()?;
        cols.map(agency_from_cols).transpose()
    }

    fn agencies(&self) -> Result<Vec<Agency>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached("SELECT id, name, level, parent_id FROM agencies ORDER BY name, id")
            .db()?
            .query_map([], agency_from_row)
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.into_iter().map(agency_from_cols).collect()
    }

    fn agency_and_descendants(&self, id: AgencyId) -> Result<Vec<AgencyId>> {
        let conn = self.conn()?;
        let ids: Vec<i64> = conn
            .prepare_cached(&common::descendants_sql("?1"))
            .db()?
            .query_map([id.0], |r| r.get(0))
            .db()?
            .collect::<rusqlite::Result<_>>()
            .db()?;
        if ids.is_empty() {
            // An unknown id must not become an empty filter, which would mean "all agencies".
            return Err(StoreError::NotFound(format!("机构 {id}")));
        }
        Ok(ids.into_iter().map(AgencyId).collect())
    }

    fn import_report(&self, new: &NewReport<'_>) -> Result<ImportOutcome> {
        let now = common::now();
        self.write(|c| import_in(c, new, now, &mut HashMap::new()))
    }

    fn import_reports(&self, new: &[NewReport<'_>]) -> Result<Vec<ImportOutcome>> {
        let now = common::now();
        self.write(|c| {
            let mut agencies = HashMap::new();
            new.iter()
                .map(|n| import_in(c, n, now, &mut agencies))
                .collect()
        })
    }

    fn report(&self, id: ReportId) -> Result<Option<StoredReport>> {
        self.read(|c| {
            let sql = format!("{} WHERE r.id = ?1", common::stored_select_bodies());
            let found = c
                .prepare_cached(&sql)
                .db()?
                .query_row([id.0], |r| {
                    Ok((summary_from_row(r)?, r.get::<_, String>(13)?))
                })
                .optional()
                .db()?;
            match found {
                Some((summary, json)) => stored_report(c, summary, &json).map(Some),
                None => Ok(None),
            }
        })
    }

    fn list_reports(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>> {
        let (where_sql, year) = filter_where(filter);
        let (limit, offset) = common::page(filter);
        let sql = format!(
            "{}{where_sql} ORDER BY r.year DESC NULLS LAST, a.name, r.id LIMIT ?2 OFFSET ?3",
            common::summary_select()
        );
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&sql).db()?;
        // SQLite: a negative LIMIT means no limit. ?1 is only referenced when a year is set.
        let params = params![year, limit.unwrap_or(-1), offset];
        let rows = stmt
            .query_map(params, summary_from_row)
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        Ok(rows)
    }

    fn rule_counts(&self, filter: &ReportFilter) -> Result<Vec<RuleCount>> {
        let (where_sql, year) = filter_where(filter);
        let sql = format!(
            "SELECT f.rule, f.severity, COUNT(*), COUNT(DISTINCT f.report_id) \
             FROM findings f JOIN reports r ON r.id = f.report_id{where_sql} \
             GROUP BY f.rule, f.severity ORDER BY COUNT(*) DESC, f.rule"
        );
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&sql).db()?;
        let map = |r: &Row<'_>| {
            Ok(RuleCount {
                rule: r.get(0)?,
                severity: r.get(1)?,
                findings: r.get(2)?,
                reports: r.get(3)?,
            })
        };
        // The year, when filtered on, is the statement's only parameter.
        let rows = stmt
            .query_map(rusqlite::params_from_iter(year), map)
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>();
        rows.db()
    }

    fn count_reports(&self, filter: &ReportFilter) -> Result<i64> {
        let (where_sql, year) = filter_where(filter);
        // Only join what the filter needs: counting is an index-only scan of `reports`.
        let sql = format!("SELECT COUNT(*) FROM reports r{where_sql}");
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&sql).db()?;
        stmt.query_row(rusqlite::params_from_iter(year), |r| r.get(0))
            .db()
    }

    fn for_each_report(&self, visit: &mut dyn FnMut(StoredReport) -> Result<()>) -> Result<()> {
        // One read transaction, one statement stepped row by row: the whole export sees one
        // snapshot and memory holds one report at a time. WAL lets imports go on meanwhile.
        self.read(|c| {
            let sql = format!("{} ORDER BY r.id", common::stored_select_bodies());
            let mut stmt = c.prepare(&sql).db()?;
            let mut rows = stmt.query([]).db()?;
            while let Some(row) = rows.next().db()? {
                let summary = summary_from_row(row).db()?;
                let json: String = row.get(13).db()?;
                visit(stored_report(c, summary, &json)?)?;
            }
            Ok(())
        })
    }

    fn document(&self, id: DocumentId) -> Result<Option<Document>> {
        let conn = self.conn()?;
        let document = conn
            .prepare_cached(
                "SELECT d.id, d.file_name, d.sha256, b.bytes FROM documents d \
                 JOIN document_blobs b ON b.document_id = d.id WHERE d.id = ?1",
            )
            .db()?
            .query_row([id.0], |r| {
                Ok(Document {
                    id: DocumentId(r.get(0)?),
                    file_name: r.get(1)?,
                    sha256: r.get(2)?,
                    bytes: r.get(3)?,
                })
            })
            .optional()
            .db()?;
        Ok(document)
    }

    fn delete_report(&self, id: ReportId) -> Result<()> {
        self.write(|c| {
            let document: Option<i64> = c
                .query_row(
                    "DELETE FROM reports WHERE id = ?1 RETURNING document_id",
                    [id.0],
                    |r| r.get(0),
                )
                .optional()
                .db()?;
            let Some(document) = document else {
                return Err(StoreError::NotFound(format!("报告 {id}")));
            };
            // Findings go by ON DELETE CASCADE; the document only if nothing else refers to it.
            c.execute(
                "DELETE FROM documents WHERE id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM reports WHERE document_id = ?1)",
                [document],
            )
            .db()?;
            Ok(())
        })
    }

    fn create_batch(&self, label: &str, total: i64, created_by: Option<UserId>) -> Result<BatchId> {
        let now = common::now();
        self.write(|c| {
            c.query_row(
                "INSERT INTO batches (label, created_by, created_at, total, finished) \
                 VALUES (?1, ?2, ?3, ?4, 0) RETURNING id",
                params![label, created_by.map(|u| u.0), now, total],
                |r| r.get(0),
            )
            .map(BatchId)
            .db()
        })
    }

    fn add_batch_item(&self, batch: BatchId, item: &BatchItem) -> Result<()> {
        self.write(|c| {
            let seq: Option<i64> = c
                .query_row(
                    "SELECT (SELECT COALESCE(MAX(seq), 0) + 1 FROM batch_items WHERE batch_id = ?1) \
                     FROM batches WHERE id = ?1",
                    [batch.0],
                    |r| r.get(0),
                )
                .optional()
                .db()?;
            let Some(seq) = seq else {
                return Err(StoreError::NotFound(format!("上传批次 {batch}")));
            };
            c.execute(
                "INSERT INTO batch_items (batch_id, seq, file_name, status, report_id, message) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    batch.0,
                    seq,
                    item.file_name,
                    item.status,
                    item.report.map(|r| r.0),
                    item.message
                ],
            )
            .db()?;
            Ok(())
        })
    }

    fn finish_batch(&self, batch: BatchId) -> Result<()> {
        self.write(|c| {
            let n = c
                .execute("UPDATE batches SET finished = 1 WHERE id = ?1", [batch.0])
                .db()?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("上传批次 {batch}")));
            }
            Ok(())
        })
    }

    fn batch(&self, id: BatchId) -> Result<Option<Batch>> {
        self.read(|c| batch_in(c, id))
    }

    fn recent_batches(&self, limit: i64) -> Result<Vec<Batch>> {
        self.read(|c| {
            let ids: Vec<i64> = c
                .prepare_cached("SELECT id FROM batches ORDER BY created_at DESC, id DESC LIMIT ?1")
                .db()?
                .query_map([limit.max(0)], |r| r.get(0))
                .db()?
                .collect::<rusqlite::Result<_>>()
                .db()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(b) = batch_in(c, BatchId(id))? {
                    out.push(b);
                }
            }
            Ok(out)
        })
    }

    fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<UserId> {
        let now = common::now();
        self.write(|c| {
            c.query_row(
                "INSERT INTO users (username, display_name, role, password_hash, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![username, display_name, role.as_str(), password_hash, now],
                |r| r.get(0),
            )
            .map(UserId)
            .map_err(|e| {
                if is_unique_violation(&e) {
                    common::conflict_username(username)
                } else {
                    StoreError::Database(e.to_string())
                }
            })
        })
    }

    fn user(&self, id: UserId) -> Result<Option<User>> {
        let conn = self.conn()?;
        let cols = conn
            .prepare_cached(&format!("{USER_SELECT} WHERE id = ?1"))
            .db()?
            .query_row([id.0], user_from_row)
            .optional()
            .db()?;
        cols.map(user_from_cols).transpose()
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let conn = self.conn()?;
        let cols = conn
            .prepare_cached(&format!("{USER_SELECT} WHERE username = ?1"))
            .db()?
            .query_row([username], user_from_row)
            .optional()
            .db()?;
        cols.map(user_from_cols).transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(&format!("{USER_SELECT} ORDER BY username"))
            .db()?
            .query_map([], user_from_row)
            .db()?
            .collect::<rusqlite::Result<Vec<_>>>()
            .db()?;
        rows.into_iter().map(user_from_cols).collect()
    }

    fn set_user_role(&self, id: UserId, role: Role) -> Result<()> {
        self.write(|c| {
            let scope: Option<i64> = c
                .query_row("SELECT agency_id FROM users WHERE id = ?1", [id.0], |r| {
                    r.get(0)
                })
                .optional()
                .db()?
                .ok_or_else(|| StoreError::NotFound(format!("用户 {id}")))?;
            if role == Role::Admin && scope.is_some() {
                return Err(common::conflict_scoped_admin());
            }
            c.execute(
                "UPDATE users SET role = ?2 WHERE id = ?1",
                params![id.0, role.as_str()],
            )
            .db()?;
            Ok(())
        })
    }

    fn set_user_agency(&self, id: UserId, agency: Option<AgencyId>) -> Result<()> {
        self.write(|c| {
            let role: String = c
                .query_row("SELECT role FROM users WHERE id = ?1", [id.0], |r| r.get(0))
                .optional()
                .db()?
                .ok_or_else(|| StoreError::NotFound(format!("用户 {id}")))?;
            if let Some(agency) = agency {
                if common::parse_role(&role)? == Role::Admin {
                    return Err(common::conflict_scoped_admin());
                }
                let known = c
                    .query_row("SELECT 1 FROM agencies WHERE id = ?1", [agency.0], |_| {
                        Ok(())
                    })
                    .optional()
                    .db()?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!("单位 {agency}")));
                }
            }
            c.execute(
                "UPDATE users SET agency_id = ?2 WHERE id = ?1",
                params![id.0, agency.map(|a| a.0)],
            )
            .db()?;
            Ok(())
        })
    }

    fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()> {
        self.write(|c| {
            let n = c
                .execute(
                    "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                    params![id.0, password_hash],
                )
                .db()?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("用户 {id}")));
            }
            Ok(())
        })
    }

    fn create_session(&self, session: &Session) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    session.token_hash,
                    session.user.0,
                    session.csrf_token,
                    session.expires_at
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("会话已存在".into())
                } else {
                    StoreError::Database(e.to_string())
                }
            })?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<(Session, User)>> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(
                "SELECT s.token_hash, s.csrf_token, s.expires_at, \
                 u.id, u.username, u.display_name, u.role, u.password_hash, u.agency_id \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )
            .db()?
            .query_row(params![token_hash, now], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    user_cols_at(r, 3)?,
                ))
            })
            .optional()
            .db()?;
        let Some((token_hash, csrf_token, expires_at, user)) = found else {
            return Ok(None);
        };
        let user = user_from_cols(user)?;
        Ok(Some((
            Session {
                token_hash,
                user: user.id,
                csrf_token,
                expires_at,
            },
            user,
        )))
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.write(|c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
                .db()?;
            Ok(())
        })
    }

    fn purge_sessions(&self, now: i64) -> Result<u64> {
        self.write(|c| {
            let n = c
                .execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])
                .db()?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
    }

    fn create_api_token(&self, user: UserId, token_hash: &str, label: &str) -> Result<()> {
        let now = common::now();
        self.write(|c| {
            c.execute(
                "INSERT INTO api_tokens (token_hash, user_id, label, created_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user.0, label, now],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("该令牌已存在".into())
                } else {
                    StoreError::Database(e.to_string())
                }
            })?;
            Ok(())
        })
    }

    fn user_for_api_token(&self, token_hash: &str) -> Result<Option<User>> {
        let conn = self.conn()?;
        let cols = conn
            .prepare_cached(
                "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.agency_id \
                 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1",
            )
            .db()?
            .query_row([token_hash], user_from_row)
            .optional()
            .db()?;
        cols.map(user_from_cols).transpose()
    }
}
