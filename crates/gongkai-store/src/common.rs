//! What both backends share: encoding findings and reports into columns and back, clock, and
//! the small conversions that must behave identically on SQLite and PostgreSQL.
//!
//! Keeping these in one place is what makes the single test suite meaningful: a report written
//! through SQLite and one written through PostgreSQL are encoded by the same code, so the two
//! backends can only differ in SQL, never in what a stored value means.

use crate::{AgencyLevel, ReportFilter, ReportId, Result, Role, StoreError};
use gongkai_core::{Finding, Report, Severity};

/// Unix seconds now. A clock before 1970 (a badly set PC) yields 0 rather than a panic.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `(errors, warnings, infos)` of a report's findings — the summary columns of `reports`.
pub(crate) fn counts(findings: &[Finding]) -> (i64, i64, i64) {
    let mut c = (0, 0, 0);
    for f in findings {
        match f.severity {
            Severity::Error => c.0 += 1,
            Severity::Warning => c.1 += 1,
            Severity::Info => c.2 += 1,
        }
    }
    c
}

/// The report as the JSON text stored in `reports.report_json`.
pub(crate) fn report_to_json(report: &Report) -> Result<String> {
    serde_json::to_string(&report.to_json_value())
        .map_err(|e| StoreError::Database(format!("报告无法序列化：{e}")))
}

/// The stored JSON text back into a [`Report`]; anything unreadable is `Corrupt`, not a panic.
pub(crate) fn report_from_json(id: ReportId, text: &str) -> Result<Report> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("报告 {id} 的 JSON：{e}")))?;
    Report::from_json_value(value).map_err(|e| StoreError::Corrupt(format!("报告 {id}：{e}")))
}

pub(crate) fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    match s {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

/// One finding as the text columns of `findings` (cells, expected and found are JSON text so
/// that both backends store them the same way and `expected: Some(null)` survives).
pub(crate) struct FindingRow {
    pub source: Option<String>,
    pub rule: String,
    pub severity: &'static str,
    pub message: String,
    pub cells: String,
    pub expected: Option<String>,
    pub found: Option<String>,
}

pub(crate) fn finding_to_row(f: &Finding) -> Result<FindingRow> {
    let json = |v: &serde_json::Value| {
        serde_json::to_string(v).map_err(|e| StoreError::Database(format!("发现项无法序列化：{e}")))
    };
    Ok(FindingRow {
        source: f.source.clone(),
        rule: f.rule.clone(),
        severity: severity_str(f.severity),
        message: f.message.clone(),
        cells: serde_json::to_string(&f.cells)
            .map_err(|e| StoreError::Database(format!("发现项无法序列化：{e}")))?,
        expected: f.expected.as_ref().map(json).transpose()?,
        found: f.found.as_ref().map(json).transpose()?,
    })
}

/// The columns of one `findings` row as read (see [`FINDING_SELECT`]).
pub(crate) struct StoredFindingRow {
    pub report: i64,
    pub source: Option<String>,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub cells: String,
    pub expected: Option<String>,
    pub found: Option<String>,
}

impl StoredFindingRow {
    /// Back into a [`Finding`]; unreadable columns are `Corrupt`, never a panic.
    pub fn into_finding(self) -> Result<Finding> {
        let report = ReportId(self.report);
        let rule = self.rule;
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("报告 {report} 的发现项 {rule}（{what}）：{e}"))
        };
        let severity =
            parse_severity(&self.severity).ok_or_else(|| corrupt("severity", &self.severity))?;
        let cells: Vec<String> =
            serde_json::from_str(&self.cells).map_err(|e| corrupt("cells", &e))?;
        let value = |t: Option<String>, what: &str| -> Result<Option<serde_json::Value>> {
            t.map(|t| serde_json::from_str(&t).map_err(|e| corrupt(what, &e)))
                .transpose()
        };
        let expected = value(self.expected, "expected")?;
        let found = value(self.found, "found")?;
        Ok(Finding {
            source: self.source,
            rule,
            severity,
            message: self.message,
            cells,
            expected,
            found,
        })
    }
}

pub(crate) fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("未知的角色：{s}")))
}

pub(crate) fn parse_level(s: &str) -> Result<AgencyLevel> {
    AgencyLevel::parse(s).ok_or_else(|| StoreError::Corrupt(format!("未知的机构层级：{s}")))
}

/// Agency names are compared as written, less surrounding white space (a trailing space in a
/// report header must not create a second agency).
pub(crate) fn agency_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Conflict("机构名称不能为空".into()));
    }
    Ok(name)
}

/// `(limit, offset)` of a filter, clamped: no limit → `None`, negative values → 0.
pub(crate) fn page(filter: &ReportFilter) -> (Option<i64>, i64) {
    (filter.limit.map(|l| l.max(0)), filter.offset.max(0))
}

pub(crate) fn conflict_username(username: &str) -> StoreError {
    StoreError::Conflict(format!("用户名“{username}”已被使用"))
}

pub(crate) fn cycle(id: crate::AgencyId, parent: crate::AgencyId) -> StoreError {
    StoreError::Conflict(format!(
        "不能把机构 {parent} 设为机构 {id} 的上级：{parent} 是 {id} 本身或其下级，会形成循环"
    ))
}

/// `.db()?`: any driver error into [`StoreError::Database`]. A private extension trait rather
/// than `From` impls, so that no driver type becomes part of the crate's public API.
pub(crate) trait OrDb<T> {
    fn db(self) -> Result<T>;
}

impl<T, E: std::fmt::Display> OrDb<T> for std::result::Result<T, E> {
    fn db(self) -> Result<T> {
        self.map_err(|e| StoreError::Database(e.to_string()))
    }
}

/// The summary columns of a report, in the order both backends read them (see
/// `summary_from_row` in each backend); `report_json` follows as column 13 when asked for.
const SUMMARY_COLUMNS: &str = "r.id, r.document_id, r.agency_id, a.name, d.file_name, r.year, \
     r.generation, r.published_on, r.late, r.errors, r.warnings, r.infos, r.imported_at";
const SUMMARY_FROM: &str =
    "FROM reports r JOIN agencies a ON a.id = r.agency_id JOIN documents d ON d.id = r.document_id";

/// `SELECT <summary columns> FROM reports …`, to which a `WHERE`/`ORDER BY` is appended.
pub(crate) fn summary_select() -> String {
    format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM}")
}

/// As [`summary_select`], plus `report_json` as the last column.
pub(crate) fn stored_select() -> String {
    format!("SELECT {SUMMARY_COLUMNS}, r.report_json {SUMMARY_FROM}")
}

/// As [`stored_select`] for SQLite, where the report JSON lives in `report_bodies` (see the
/// SQLite migration for why).
pub(crate) fn stored_select_bodies() -> String {
    format!(
        "SELECT {SUMMARY_COLUMNS}, b.report_json {SUMMARY_FROM} \
         JOIN report_bodies b ON b.report_id = r.id"
    )
}

/// Finding columns in the order `finding_from_columns` takes them, after `report_id`.
pub(crate) const FINDING_SELECT: &str =
    "SELECT report_id, source, rule, severity, message, cells, expected, found FROM findings";

/// The `WITH RECURSIVE` query both backends use for an agency and everything below it. `UNION`
/// (not `UNION ALL`) makes it terminate even if stored data somehow contains a cycle.
pub(crate) fn descendants_sql(param: &str) -> String {
    format!(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM agencies WHERE id = {param} \
         UNION SELECT a.id FROM agencies a JOIN sub ON a.parent_id = sub.id) \
         SELECT id FROM sub ORDER BY id"
    )
}
