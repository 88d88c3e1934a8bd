//! PostgreSQL implementation of [`crate::Store`]: the `postgres` crate (blocking) over an r2d2
//! pool, without TLS (the database is expected next to the application or on a trusted network).
//!
//! Differences from the SQLite backend, and why:
//!
//! * **Concurrency is real here**, so operations that read-then-write guard themselves:
//!   documents and agencies are inserted with `ON CONFLICT DO NOTHING` and re-read (two offices
//!   importing the same file at once both get the one report); hierarchy changes take a
//!   transaction-scoped advisory lock so two moves cannot together make a cycle; batch items lock
//!   their batch row to number themselves.
//! * **Round trips cost more than statements**, so a bulk import prepares its statements once,
//!   looks up all its SHA-256s in one query and writes all findings in one `UNNEST` insert.
//! * **Names sort with `COLLATE "C"`** (code point order), exactly as SQLite's default `BINARY`
//!   collation does, so lists come out in the same order on both backends whatever the
//!   database's locale.

use std::collections::HashMap;
use std::time::Duration;

use gongkai_core::Finding;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, NoTls, Row, Statement, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use crate::common::{self, OrDb};
use crate::RuleCount;
use crate::{
    sha256_hex, Agency, AgencyId, AgencyLevel, Batch, BatchId, BatchItem, Document, DocumentId,
    ImportOutcome, NewReport, ReportFilter, ReportId, ReportSummary, Result, Role, Session, Store,
    StoreError, StoredReport, User, UserId,
};

/// [`crate::Register`] for [`PgStore`].
mod register;

/// The migrations, in order. Append only: a released migration is never edited.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        "0002_register",
        include_str!("../migrations/postgres/0002_register.sql"),
    ),
    (
        "0003_user_scope",
        include_str!("../migrations/postgres/0003_user_scope.sql"),
    ),
];

/// Advisory lock keys (arbitrary constants, "gk" + a number).
const LOCK_MIGRATIONS: i64 = 0x676b_0001;
const LOCK_HIERARCHY: i64 = 0x676b_0002;

/// Reports fetched per round trip by [`Store::for_each_report`].
const EXPORT_CHUNK: i32 = 200;

type Manager = PostgresConnectionManager<NoTls>;
type Pool = r2d2::Pool<Manager>;
type Conn = r2d2::PooledConnection<Manager>;

/// The server store: a PostgreSQL database named by a `postgres://` URL.
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the URL: it may hold a password.
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

fn pg_err(e: postgres::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

impl PgStore {
    /// Connect to the database `url` names (`postgres://user:pass@host:port/db`) and bring its
    /// schema up to date. The database itself must exist.
    pub fn connect(url: &str) -> Result<Self> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| StoreError::Connect(format!("无效的数据库地址：{e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("gongkai");
        }
        // A first, plain connection reports the server's own error at once (wrong password,
        // no such database) instead of r2d2's retry-until-timeout, and runs the migrations.
        let mut first = config
            .connect(NoTls)
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        migrate(&mut first)?;
        drop(first);

        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(PgStore { pool })
    }

    fn conn(&self) -> Result<Conn> {
        self.pool
            .get()
            .map_err(|e| StoreError::Connect(format!("PostgreSQL 连接池：{e}")))
    }

    /// Run `f` in a read-write transaction (READ COMMITTED) and commit if it succeeds.
    fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg_err)?;
        let out = f(&mut tx)?;
        tx.commit().map_err(pg_err)?;
        Ok(out)
    }

    /// Run `f` in a read-only REPEATABLE READ transaction: one snapshot for all its queries.
    fn read<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg_err)?;
        let out = f(&mut tx)?;
        tx.commit().map_err(pg_err)?;
        Ok(out)
    }
}

/// Apply the migrations not yet recorded, in one transaction, under an advisory lock so that
/// two application instances starting together do not both migrate.
fn migrate(client: &mut Client) -> Result<()> {
    let failed = |version: &str, e: &dyn std::fmt::Display| StoreError::Migration {
        version: version.to_string(),
        message: e.to_string(),
    };
    let mut tx = client.transaction().map_err(|e| failed("-", &e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATIONS])
        .map_err(|e| failed("-", &e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version TEXT PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .map_err(|e| failed("schema_migrations", &e))?;
    for (version, sql) in MIGRATIONS {
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .map_err(|e| failed(version, &e))?
            .is_some();
        if done {
            continue;
        }
        tx.batch_execute(sql).map_err(|e| failed(version, &e))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &common::now()],
        )
        .map_err(|e| failed(version, &e))?;
    }
    tx.commit().map_err(|e| failed("commit", &e))
}

/// `row.try_get`, with a type mismatch reported as an error instead of `row.get`'s panic.
fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T> {
    row.try_get(idx).db()
}

fn agency_from_row(row: &Row) -> Result<Agency> {
    Ok(Agency {
        id: AgencyId(get(row, 0)?),
        name: get(row, 1)?,
        level: common::parse_level(get(row, 2)?)?,
        parent: get::<Option<i64>>(row, 3)?.map(AgencyId),
    })
}

/// One row of [`common::summary_select`].
fn summary_from_row(row: &Row) -> Result<ReportSummary> {
    Ok(ReportSummary {
        id: ReportId(get(row, 0)?),
        document: DocumentId(get(row, 1)?),
        agency: AgencyId(get(row, 2)?),
        agency_name: get(row, 3)?,
        file_name: get(row, 4)?,
        year: get(row, 5)?,
        generation: get(row, 6)?,
        published_on: get(row, 7)?,
        late: get(row, 8)?,
        errors: get(row, 9)?,
        warnings: get(row, 10)?,
        infos: get(row, 11)?,
        imported_at: get(row, 12)?,
    })
}

/// One row of [`common::FINDING_SELECT`]: `(report id, finding)`.
fn finding_from_row(row: &Row) -> Result<(i64, Finding)> {
    let stored = common::StoredFindingRow {
        report: get(row, 0)?,
        source: get(row, 1)?,
        rule: get(row, 2)?,
        severity: get(row, 3)?,
        message: get(row, 4)?,
        cells: get(row, 5)?,
        expected: get(row, 6)?,
        found: get(row, 7)?,
    };
    let report = stored.report;
    Ok((report, stored.into_finding()?))
}

fn user_from_row(row: &Row) -> Result<User> {
    Ok(User {
        id: UserId(get(row, 0)?),
        username: get(row, 1)?,
        display_name: get(row, 2)?,
        role: common::parse_role(get(row, 3)?)?,
        password_hash: get(row, 4)?,
        agency: get::<Option<i64>>(row, 5)?.map(AgencyId),
    })
}

/// The columns [`user_from_row`] reads, in its order (prefix `u.` where joined).
const USER_SELECT: &str =
    "SELECT id, username, display_name, role, password_hash, agency_id FROM users";

fn agency_exists(tx: &mut Transaction<'_>, id: AgencyId) -> Result<bool> {
    Ok(tx
        .query_opt("SELECT 1 FROM agencies WHERE id = $1", &[&id.0])
        .map_err(pg_err)?
        .is_some())
}

/// `ensure_agency` inside an open transaction. Safe against a concurrent insert of the same name:
/// `ON CONFLICT DO NOTHING` waits for the other transaction and the re-read then finds its row.
fn ensure_agency_in(
    tx: &mut Transaction<'_>,
    name: &str,
    level: AgencyLevel,
    parent: Option<AgencyId>,
) -> Result<AgencyId> {
    let name = common::agency_name(name)?;
    let select = "SELECT id FROM agencies WHERE name = $1";
    if let Some(row) = tx.query_opt(select, &[&name]).map_err(pg_err)? {
        return Ok(AgencyId(get(&row, 0)?));
    }
    if let Some(p) = parent {
        if !agency_exists(tx, p)? {
            return Err(StoreError::NotFound(format!("上级机构 {p}")));
        }
    }
    let parent = match parent {
        Some(p) => Some(p),
        None => {
            let rows = tx
                .query(
                    "SELECT id, name, level FROM agencies WHERE level <> 'department' ORDER BY id",
                    &[],
                )
                .map_err(pg_err)?;
            let mut regions = Vec::with_capacity(rows.len());
            for r in &rows {
                if let Some(l) = AgencyLevel::parse(get(r, 2)?) {
                    regions.push((AgencyId(get(r, 0)?), get::<&str>(r, 1)?, l));
                }
            }
            crate::region_by_name(name, level, &regions)
        }
    };
    let inserted = tx
        .query_opt(
            "INSERT INTO agencies (name, level, parent_id) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
            &[&name, &level.as_str(), &parent.map(|p| p.0)],
        )
        .map_err(pg_err)?;
    let row = match inserted {
        Some(row) => row,
        None => tx.query_one(select, &[&name]).map_err(pg_err)?,
    };
    Ok(AgencyId(get(&row, 0)?))
}

/// Statements a bulk import uses, prepared once per call.
struct ImportStatements {
    find_document: Statement,
    insert_document: Statement,
    insert_report: Statement,
}

impl ImportStatements {
    fn prepare(tx: &mut Transaction<'_>) -> Result<Self> {
        Ok(ImportStatements {
            find_document: tx
                .prepare(
                    "SELECT d.id, r.id FROM documents d \
                     LEFT JOIN reports r ON r.document_id = d.id WHERE d.sha256 = $1",
                )
                .map_err(pg_err)?,
            insert_document: tx
                .prepare(
                    "INSERT INTO documents (sha256, file_name, size, created_at, bytes) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING RETURNING id",
                )
                .map_err(pg_err)?,
            insert_report: tx
                .prepare(
                    "INSERT INTO reports (document_id, agency_id, year, generation, published_on, \
                     late, errors, warnings, infos, imported_by, batch_id, imported_at, \
                     report_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .map_err(pg_err)?,
        })
    }
}

/// Findings of a whole import, column by column, written by one `INSERT … SELECT FROM UNNEST`.
#[derive(Default)]
struct FindingColumns {
    report: Vec<i64>,
    seq: Vec<i32>,
    source: Vec<Option<String>>,
    rule: Vec<String>,
    severity: Vec<&'static str>,
    message: Vec<String>,
    cells: Vec<String>,
    expected: Vec<Option<String>>,
    found: Vec<Option<String>>,
}

impl FindingColumns {
    fn push(&mut self, report: i64, findings: &[Finding]) -> Result<()> {
        for (seq, f) in findings.iter().enumerate() {
            let row = common::finding_to_row(f)?;
            self.report.push(report);
            self.seq.push(i32::try_from(seq).unwrap_or(i32::MAX));
            self.source.push(row.source);
            self.rule.push(row.rule);
            self.severity.push(row.severity);
            self.message.push(row.message);
            self.cells.push(row.cells);
            self.expected.push(row.expected);
            self.found.push(row.found);
        }
        Ok(())
    }

    fn write(&self, tx: &mut Transaction<'_>) -> Result<()> {
        if self.report.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO findings (report_id, seq, source, rule, severity, message, cells, \
             expected, found) \
             SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::text[], $9::text[])",
            &[
                &self.report,
                &self.seq,
                &self.source,
                &self.rule,
                &self.severity,
                &self.message,
                &self.cells,
                &self.expected,
                &self.found,
            ],
        )
        .map_err(pg_err)?;
        Ok(())
    }
}

/// Import `new` in one open transaction.
fn import_all(tx: &mut Transaction<'_>, new: &[NewReport<'_>]) -> Result<Vec<ImportOutcome>> {
    let now = common::now();
    let stmts = ImportStatements::prepare(tx)?;
    let hashes: Vec<String> = new.iter().map(|n| sha256_hex(n.bytes)).collect();

    // sha256 → (document, report): what is already stored, then what this call adds.
    let mut known: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    if new.len() > 1 {
        let rows = tx
            .query(
                "SELECT d.sha256, d.id, r.id FROM documents d \
                 LEFT JOIN reports r ON r.document_id = d.id WHERE d.sha256 = ANY($1)",
                &[&hashes],
            )
            .map_err(pg_err)?;
        for row in &rows {
            known.insert(get(row, 0)?, (get(row, 1)?, get(row, 2)?));
        }
    } else if let Some(sha) = hashes.first() {
        if let Some(row) = tx.query_opt(&stmts.find_document, &[sha]).map_err(pg_err)? {
            known.insert(sha.clone(), (get(&row, 0)?, get(&row, 1)?));
        }
    }

    let mut agencies: HashMap<&str, AgencyId> = HashMap::new();
    let mut findings = FindingColumns::default();
    let mut out = Vec::with_capacity(new.len());
    for (n, sha) in new.iter().zip(&hashes) {
        let document = match known.get(sha) {
            Some((_, Some(report))) => {
                out.push(ImportOutcome::Duplicate(ReportId(*report)));
                continue;
            }
            // A document without a report (only possible after manual surgery): reuse it.
            Some((document, None)) => *document,
            None => {
                let size = i64::try_from(n.bytes.len()).unwrap_or(i64::MAX);
                let inserted = tx
                    .query_opt(
                        &stmts.insert_document,
                        &[sha, &n.file_name, &size, &now, &n.bytes],
                    )
                    .map_err(pg_err)?;
                match inserted {
                    Some(row) => get(&row, 0)?,
                    None => {
                        // Another transaction stored the same bytes since our lookup.
                        let row = tx.query_one(&stmts.find_document, &[sha]).map_err(pg_err)?;
                        let document: i64 = get(&row, 0)?;
                        if let Some(report) = get::<Option<i64>>(&row, 1)? {
                            known.insert(sha.clone(), (document, Some(report)));
                            out.push(ImportOutcome::Duplicate(ReportId(report)));
                            continue;
                        }
                        document
                    }
                }
            }
        };

        let agency = match agencies.get(n.agency) {
            Some(id) => *id,
            None => {
                let id = ensure_agency_in(tx, n.agency, AgencyLevel::Department, None)?;
                agencies.insert(n.agency, id);
                id
            }
        };

        let (errors, warnings, infos) = common::counts(n.findings);
        let report_json = common::report_to_json(n.report)?;
        let row = tx
            .query_one(
                &stmts.insert_report,
                &[
                    &document,
                    &agency.0,
                    &n.report.year,
                    &n.report.generation.as_str(),
                    &n.report.published_on,
                    &n.late,
                    &errors,
                    &warnings,
                    &infos,
                    &n.imported_by.map(|u| u.0),
                    &n.batch.map(|b| b.0),
                    &now,
                    &report_json,
                ],
            )
            .map_err(pg_err)?;
        let report: i64 = get(&row, 0)?;
        findings.push(report, n.findings)?;
        known.insert(sha.clone(), (document, Some(report)));
        out.push(ImportOutcome::Imported(ReportId(report)));
    }
    findings.write(tx)?;
    Ok(out)
}

/// Findings of `reports`, grouped by report, each group in stored order.
fn findings_of(tx: &mut Transaction<'_>, reports: &[i64]) -> Result<HashMap<i64, Vec<Finding>>> {
    let sql = format!(
        "{} WHERE report_id = ANY($1) ORDER BY report_id, seq",
        common::FINDING_SELECT
    );
    let rows = tx.query(&sql, &[&reports]).map_err(pg_err)?;
    let mut out: HashMap<i64, Vec<Finding>> = HashMap::new();
    for row in &rows {
        let (report, finding) = finding_from_row(row)?;
        out.entry(report).or_default().push(finding);
    }
    Ok(out)
}

/// Rows of [`common::stored_select`] into stored reports, with their findings (one query).
fn stored_reports(tx: &mut Transaction<'_>, rows: &[Row]) -> Result<Vec<StoredReport>> {
    let mut heads = Vec::with_capacity(rows.len());
    for row in rows {
        let summary = summary_from_row(row)?;
        let json: &str = get(row, 13)?;
        let report = common::report_from_json(summary.id, json)?;
        heads.push((summary, report));
    }
    let ids: Vec<i64> = heads.iter().map(|(s, _)| s.id.0).collect();
    let mut findings = findings_of(tx, &ids)?;
    Ok(heads
        .into_iter()
        .map(|(summary, report)| StoredReport {
            findings: findings.remove(&summary.id.0).unwrap_or_default(),
            summary,
            report,
        })
        .collect())
}

/// `WHERE …` of a report filter and its parameters (`$1`, `$2`, … in order).
fn filter_where(filter: &ReportFilter) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let mut clauses = Vec::new();
    let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    if !filter.agencies.is_empty() {
        params.push(Box::new(
            filter.agencies.iter().map(|a| a.0).collect::<Vec<i64>>(),
        ));
        clauses.push(format!("r.agency_id = ANY(${})", params.len()));
    }
    if let Some(year) = filter.year {
        params.push(Box::new(year));
        clauses.push(format!("r.year = ${}", params.len()));
    }
    if filter.with_errors {
        clauses.push("r.errors > 0".to_string());
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (sql, params)
}

fn param_refs(params: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref()).collect()
}

fn batch_in(tx: &mut Transaction<'_>, id: BatchId) -> Result<Option<Batch>> {
    let Some(row) = tx
        .query_opt(
            "SELECT id, label, created_by, created_at, total, finished FROM batches WHERE id = $1",
            &[&id.0],
        )
        .map_err(pg_err)?
    else {
        return Ok(None);
    };
    let mut batch = Batch {
        id: BatchId(get(&row, 0)?),
        label: get(&row, 1)?,
        created_by: get::<Option<i64>>(&row, 2)?.map(UserId),
        created_at: get(&row, 3)?,
        total: get(&row, 4)?,
        finished: get(&row, 5)?,
        items: Vec::new(),
    };
    let rows = tx
        .query(
            "SELECT file_name, status, report_id, message FROM batch_items \
             WHERE batch_id = $1 ORDER BY seq",
            &[&id.0],
        )
        .map_err(pg_err)?;
    for row in &rows {
        batch.items.push(BatchItem {
            file_name: get(row, 0)?,
            status: get(row, 1)?,
            report: get::<Option<i64>>(row, 2)?.map(ReportId),
            message: get(row, 3)?,
        });
    }
    Ok(Some(batch))
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn ensure_agency(
        &self,
        name: &str,
        level: AgencyLevel,
        parent: Option<AgencyId>,
    ) -> Result<AgencyId> {
        self.write(|tx| ensure_agency_in(tx, name, level, parent))
    }

    fn set_agency_place(
        &self,
        id: AgencyId,
        level: AgencyLevel,
        parent: Option<AgencyId>,
    ) -> Result<()> {
        self.write(|tx| {
            // Serialise hierarchy changes: two concurrent moves (A under B, B under A) would
            // each pass the cycle check on its own snapshot.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_HIERARCHY])
                .map_err(pg_err)?;
            if !agency_exists(tx, id)? {
                return Err(StoreError::NotFound(format!("机构 {id}")));
            }
            if let Some(p) = parent {
                if !agency_exists(tx, p)? {
                    return Err(StoreError::NotFound(format!("上级机构 {p}")));
                }
                let below = tx
                    .query(&common::descendants_sql("$1"), &[&id.0])
                    .map_err(pg_err)?;
                for row in &below {
                    if get::<i64>(row, 0)? == p.0 {
                        return Err(common::cycle(id, p));
                    }
                }
            }
            tx.execute(
                "UPDATE agencies SET level = $2, parent_id = $3 WHERE id = $1",
                &[&id.0, &level.as_str(), &parent.map(|p| p.0)],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn agency(&self, id: AgencyId) -> Result<Option<Agency>> {
        let mut conn = self.conn()?;
        conn.query_opt(
            "SELECT id, name, level, parent_id FROM agencies WHERE id = $1",
            &[&id.0],
        )
        .map_err(pg_err)?
        .as_ref()
        .map(agency_from_row)
        .transpose()
    }

    fn agencies(&self) -> Result<Vec<Agency>> {
        let mut conn = self.conn()?;
        conn.query(
            "SELECT id, name, level, parent_id FROM agencies ORDER BY name COLLATE \"C\", id",
            &[],
        )
        .map_err(pg_err)?
        .iter()
        .map(agency_from_row)
        .collect()
    }

    fn agency_and_descendants(&self, id: AgencyId) -> Result<Vec<AgencyId>> {
        let mut conn = self.conn()?;
        let rows = conn
            .query(&common::descendants_sql("$1"), &[&id.0])
            .map_err(pg_err)?;
        if rows.is_empty() {
            // An unknown id must not become an empty filter, which would mean "all agencies".
            return Err(StoreError::NotFound(format!("机构 {id}")));
        }
        rows.iter().map(|r| get(r, 0).map(AgencyId)).collect()
    }

    fn import_report(&self, new: &NewReport<'_>) -> Result<ImportOutcome> {
        let mut out = self.write(|tx| import_all(tx, std::slice::from_ref(new)))?;
        out.pop()
            .ok_or_else(|| StoreError::Database("导入没有结果".into()))
    }

    fn import_reports(&self, new: &[NewReport<'_>]) -> Result<Vec<ImportOutcome>> {
        self.write(|tx| import_all(tx, new))
    }

    fn report(&self, id: ReportId) -> Result<Option<StoredReport>> {
        self.read(|tx| {
            let sql = format!("{} WHERE r.id = $1", common::stored_select());
            let rows = tx.query(&sql, &[&id.0]).map_err(pg_err)?;
            Ok(stored_reports(tx, &rows)?.pop())
        })
    }

    fn list_reports(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>> {
        let (where_sql, mut params) = filter_where(filter);
        let (limit, offset) = common::page(filter);
        params.push(Box::new(limit));
        params.push(Box::new(offset));
        let n = params.len();
        let sql = format!(
            "{}{where_sql} ORDER BY r.year DESC NULLS LAST, a.name COLLATE \"C\", r.id \
             LIMIT ${} OFFSET ${}",
            common::summary_select(),
            n - 1,
            n
        );
        let mut conn = self.conn()?;
        conn.query(&sql, &param_refs(&params))
            .map_err(pg_err)?
            .iter()
            .map(summary_from_row)
            .collect()
    }

    fn rule_counts(&self, filter: &ReportFilter) -> Result<Vec<RuleCount>> {
        let (where_sql, params) = filter_where(filter);
        let sql = format!(
            "SELECT f.rule, f.severity, COUNT(*), COUNT(DISTINCT f.report_id) \
             FROM findings f JOIN reports r ON r.id = f.report_id{where_sql} \
             GROUP BY f.rule, f.severity ORDER BY COUNT(*) DESC, f.rule"
        );
        let mut conn = self.conn()?;
        conn.query(&sql, &param_refs(&params))
            .map_err(pg_err)?
            .iter()
            .map(|r| {
                Ok(RuleCount {
                    rule: get(r, 0)?,
                    severity: get(r, 1)?,
                    findings: get(r, 2)?,
                    reports: get(r, 3)?,
                })
            })
            .collect()
    }

    fn count_reports(&self, filter: &ReportFilter) -> Result<i64> {
        let (where_sql, params) = filter_where(filter);
        let sql = format!("SELECT COUNT(*) FROM reports r{where_sql}");
        let mut conn = self.conn()?;
        let row = conn.query_one(&sql, &param_refs(&params)).map_err(pg_err)?;
        get(&row, 0)
    }

    fn for_each_report(&self, visit: &mut dyn FnMut(StoredReport) -> Result<()>) -> Result<()> {
        // A portal (server-side cursor) in one REPEATABLE READ transaction: one snapshot for
        // the whole export, and only EXPORT_CHUNK reports in memory at a time.
        self.read(|tx| {
            let sql = format!("{} ORDER BY r.id", common::stored_select());
            let portal = tx.bind(&sql, &[]).map_err(pg_err)?;
            loop {
                let rows = tx.query_portal(&portal, EXPORT_CHUNK).map_err(pg_err)?;
                if rows.is_empty() {
                    return Ok(());
                }
                for stored in stored_reports(tx, &rows)? {
                    visit(stored)?;
                }
            }
        })
    }

    fn document(&self, id: DocumentId) -> Result<Option<Document>> {
        let mut conn = self.conn()?;
        let Some(row) = conn
            .query_opt(
                "SELECT id, file_name, sha256, bytes FROM documents WHERE id = $1",
                &[&id.0],
            )
            .map_err(pg_err)?
        else {
            return Ok(None);
        };
        Ok(Some(Document {
            id: DocumentId(get(&row, 0)?),
            file_name: get(&row, 1)?,
            sha256: get(&row, 2)?,
            bytes: get(&row, 3)?,
        }))
    }

    fn delete_report(&self, id: ReportId) -> Result<()> {
        self.write(|tx| {
            let Some(row) = tx
                .query_opt(
                    "DELETE FROM reports WHERE id = $1 RETURNING document_id",
                    &[&id.0],
                )
                .map_err(pg_err)?
            else {
                return Err(StoreError::NotFound(format!("报告 {id}")));
            };
            let document: i64 = get(&row, 0)?;
            // Findings go by ON DELETE CASCADE; the document only if nothing else refers to it.
            tx.execute(
                "DELETE FROM documents WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM reports WHERE document_id = $1)",
                &[&document],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn create_batch(&self, label: &str, total: i64, created_by: Option<UserId>) -> Result<BatchId> {
        let now = common::now();
        self.write(|tx| {
            let row = tx
                .query_one(
                    "INSERT INTO batches (label, created_by, created_at, total, finished) \
                     VALUES ($1, $2, $3, $4, FALSE) RETURNING id",
                    &[&label, &created_by.map(|u| u.0), &now, &total],
                )
                .map_err(pg_err)?;
            Ok(BatchId(get(&row, 0)?))
        })
    }

    fn add_batch_item(&self, batch: BatchId, item: &BatchItem) -> Result<()> {
        self.write(|tx| {
            // Lock the batch row: concurrent additions to one batch take their numbers in turn.
            if tx
                .query_opt(
                    "SELECT 1 FROM batches WHERE id = $1 FOR UPDATE",
                    &[&batch.0],
                )
                .map_err(pg_err)?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("上传批次 {batch}")));
            }
            tx.execute(
                "INSERT INTO batch_items (batch_id, seq, file_name, status, report_id, message) \
                 SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 \
                 FROM batch_items WHERE batch_id = $1",
                &[
                    &batch.0,
                    &item.file_name,
                    &item.status,
                    &item.report.map(|r| r.0),
                    &item.message,
                ],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn finish_batch(&self, batch: BatchId) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE batches SET finished = TRUE WHERE id = $1",
                    &[&batch.0],
                )
                .map_err(pg_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("上传批次 {batch}")));
            }
            Ok(())
        })
    }

    fn batch(&self, id: BatchId) -> Result<Option<Batch>> {
        self.read(|tx| batch_in(tx, id))
    }

    fn recent_batches(&self, limit: i64) -> Result<Vec<Batch>> {
        self.read(|tx| {
            let rows = tx
                .query(
                    "SELECT id FROM batches ORDER BY created_at DESC, id DESC LIMIT $1",
                    &[&limit.max(0)],
                )
                .map_err(pg_err)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                if let Some(b) = batch_in(tx, BatchId(get(row, 0)?))? {
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
        self.write(|tx| {
            let row = tx
                .query_one(
                    "INSERT INTO users (username, display_name, role, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &username,
                        &display_name,
                        &role.as_str(),
                        &password_hash,
                        &now,
                    ],
                )
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        common::conflict_username(username)
                    } else {
                        pg_err(e)
                    }
                })?;
            Ok(UserId(get(&row, 0)?))
        })
    }

    fn user(&self, id: UserId) -> Result<Option<User>> {
        let mut conn = self.conn()?;
        conn.query_opt(&format!("{USER_SELECT} WHERE id = $1"), &[&id.0])
            .map_err(pg_err)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let mut conn = self.conn()?;
        conn.query_opt(&format!("{USER_SELECT} WHERE username = $1"), &[&username])
            .map_err(pg_err)?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut conn = self.conn()?;
        conn.query(
            &format!("{USER_SELECT} ORDER BY username COLLATE \"C\""),
            &[],
        )
        .map_err(pg_err)?
        .iter()
        .map(user_from_row)
        .collect()
    }

    fn set_user_role(&self, id: UserId, role: Role) -> Result<()> {
        self.write(|tx| {
            let row = tx
                .query_opt(
                    "SELECT agency_id FROM users WHERE id = $1 FOR UPDATE",
                    &[&id.0],
                )
                .map_err(pg_err)?
                .ok_or_else(|| StoreError::NotFound(format!("用户 {id}")))?;
            let scope: Option<i64> = get(&row, 0)?;
            if role == Role::Admin && scope.is_some() {
                return Err(common::conflict_scoped_admin());
            }
            tx.execute(
                "UPDATE users SET role = $2 WHERE id = $1",
                &[&id.0, &role.as_str()],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn set_user_agency(&self, id: UserId, agency: Option<AgencyId>) -> Result<()> {
        self.write(|tx| {
            let row = tx
                .query_opt("SELECT role FROM users WHERE id = $1 FOR UPDATE", &[&id.0])
                .map_err(pg_err)?
                .ok_or_else(|| StoreError::NotFound(format!("用户 {id}")))?;
            if let Some(agency) = agency {
                if common::parse_role(get(&row, 0)?)? == Role::Admin {
                    return Err(common::conflict_scoped_admin());
                }
                if !agency_exists(tx, agency)? {
                    return Err(StoreError::NotFound(format!("单位 {agency}")));
                }
            }
            tx.execute(
                "UPDATE users SET agency_id = $2 WHERE id = $1",
                &[&id.0, &agency.map(|a| a.0)],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = $2 WHERE id = $1",
                    &[&id.0, &password_hash],
                )
                .map_err(pg_err)?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("用户 {id}")));
            }
            Ok(())
        })
    }

    fn create_session(&self, session: &Session) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &session.token_hash,
                    &session.user.0,
                    &session.csrf_token,
                    &session.expires_at,
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("会话已存在".into())
                } else {
                    pg_err(e)
                }
            })?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<(Session, User)>> {
        let mut conn = self.conn()?;
        let Some(row) = conn
            .query_opt(
                "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.agency_id, \
                 s.token_hash, s.csrf_token, s.expires_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now],
            )
            .map_err(pg_err)?
        else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        let session = Session {
            token_hash: get(&row, 6)?,
            user: user.id,
            csrf_token: get(&row, 7)?,
            expires_at: get(&row, 8)?,
        };
        Ok(Some((session, user)))
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        let mut conn = self.conn()?;
        conn.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .map_err(pg_err)?;
        Ok(())
    }

    fn purge_sessions(&self, now: i64) -> Result<u64> {
        let mut conn = self.conn()?;
        conn.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
            .map_err(pg_err)
    }

    fn create_api_token(&self, user: UserId, token_hash: &str, label: &str) -> Result<()> {
        let now = common::now();
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at) \
             VALUES ($1, $2, $3, $4)",
            &[&token_hash, &user.0, &label, &now],
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("该令牌已存在".into())
            } else {
                pg_err(e)
            }
        })?;
        Ok(())
    }

    fn user_for_api_token(&self, token_hash: &str) -> Result<Option<User>> {
        let mut conn = self.conn()?;
        conn.query_opt(
            "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.agency_id \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
            &[&token_hash],
        )
        .map_err(pg_err)?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }
}
