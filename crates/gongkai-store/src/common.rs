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

pub(crate) fn conflict_scoped_admin() -> StoreError {
    StoreError::Conflict("管理员账号不能限定单位范围（先取消范围，或改为其他角色）".to_string())
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

// ── the register ────────────────────────────────────────────────────────────────────────────

use crate::register::{PublicationFilter, RequestFilter, RequestSource};
use gongkai_core::date::Date;
use gongkai_core::lifecycle::{Request, Status};
use gongkai_core::register::{Appeal, ProactiveCounts, PublicationKind};

/// Every [`Status`], in declaration order. gongkai-core has no `Status::ALL`, so the list is
/// kept here, next to [`status_name`]: adding a variant breaks that `match` at compile time,
/// which is the reminder to add it here too.
pub(crate) const STATUSES: [Status; 8] = [
    Status::Processing,
    Status::AwaitingCorrection,
    Status::InConsultation,
    Status::AwaitingPayment,
    Status::Answered,
    Status::Delivered,
    Status::Withdrawn,
    Status::Terminated,
];

/// The serde name of a status (what `requests.status` holds; a unit test checks it against
/// serde).
pub(crate) fn status_name(s: Status) -> &'static str {
    match s {
        Status::Processing => "processing",
        Status::AwaitingCorrection => "awaiting_correction",
        Status::InConsultation => "in_consultation",
        Status::AwaitingPayment => "awaiting_payment",
        Status::Answered => "answered",
        Status::Delivered => "delivered",
        Status::Withdrawn => "withdrawn",
        Status::Terminated => "terminated",
    }
}

/// `'processing', 'awaiting_correction', …`: the open statuses ([`Status::is_open`]) as an SQL
/// list. Built from constants only, so it is safe to splice into a statement.
pub(crate) fn open_statuses_sql() -> String {
    STATUSES
        .iter()
        .filter(|s| s.is_open())
        .map(|s| format!("'{}'", status_name(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn parse_source(s: &str) -> Result<RequestSource> {
    match s {
        "staff" => Ok(RequestSource::Staff),
        "online" => Ok(RequestSource::Online),
        "ledger" => Ok(RequestSource::Ledger),
        _ => Err(StoreError::Corrupt(format!("未知的申请来源：{s}"))),
    }
}

/// A stored `YYYY-MM-DD` back into a [`Date`]; anything else is `Corrupt`.
pub(crate) fn parse_date(what: &str, text: &str) -> Result<Date> {
    Date::parse(text).map_err(|e| StoreError::Corrupt(format!("{what}的日期“{text}”：{e}")))
}

pub(crate) fn parse_opt_date(what: &str, text: Option<String>) -> Result<Option<Date>> {
    text.map(|t| parse_date(what, &t)).transpose()
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(format!("{what}无法序列化：{e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}的 JSON：{e}")))
}

/// The columns of `requests` (and `state_json`) that follow from a request's state; written on
/// creation and rewritten with every event.
pub(crate) struct RequestRow {
    pub applicant_name: String,
    pub applicant_type: &'static str,
    pub description: String,
    pub received_on: String,
    pub status: &'static str,
    pub due_on: Option<String>,
    pub outcome: Option<&'static str>,
    pub state_json: String,
}

pub(crate) fn request_row(r: &Request) -> Result<RequestRow> {
    Ok(RequestRow {
        applicant_name: r.applicant.name.clone(),
        applicant_type: r.applicant.kind.id(),
        description: r.description.clone(),
        received_on: r.received_on.to_string(),
        status: status_name(r.status),
        due_on: r.clock.due_date().map(|d| d.to_string()),
        outcome: r.outcome.map(|o| o.id()),
        state_json: to_json(&format!("申请 {}", r.id), r)?,
    })
}

/// `(seq, LoggedEvent JSON)` of the events of `r.log` from position `from` (0-based) on. The
/// log must number its events 1, 2, 3 … (as `Request` does); anything else is refused rather
/// than stored under a number that disagrees with its JSON.
pub(crate) fn event_rows(r: &Request, from: usize) -> Result<Vec<(i32, String)>> {
    if r.log.len() < from {
        return Err(StoreError::Conflict(format!(
            "申请 {} 的事件记录只有 {} 条，少于已保存的 {from} 条",
            r.id,
            r.log.len()
        )));
    }
    r.log[from..]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let seq = from + i + 1;
            if usize::try_from(e.seq).ok() != Some(seq) {
                return Err(StoreError::Conflict(format!(
                    "申请 {} 的第 {seq} 条事件编号为 {}",
                    r.id, e.seq
                )));
            }
            let seq = i32::try_from(seq)
                .map_err(|_| StoreError::Conflict(format!("申请 {} 的事件过多", r.id)))?;
            Ok((seq, to_json(&format!("申请 {} 的事件", r.id), e)?))
        })
        .collect()
}

pub(crate) fn request_from_json(code: &str, text: &str) -> Result<Request> {
    from_json(&format!("申请 {code}"), text)
}

pub(crate) fn event_from_json(code: &str, seq: i64, text: &str) -> Result<serde_json::Value> {
    from_json(&format!("申请 {code} 的第 {seq} 条事件"), text)
}

pub(crate) fn conflict_code(code: &str) -> StoreError {
    StoreError::Conflict(format!("查询码“{code}”已被使用"))
}

pub(crate) fn conflict_stale() -> StoreError {
    StoreError::Conflict("该申请已被他人更新，请刷新后重试".into())
}

/// Checks that `updated` is the request stored under `code`.
pub(crate) fn same_request(code: &str, updated: &Request) -> Result<()> {
    if updated.id.0 == code {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "申请 {} 不能保存为申请 {code}",
            updated.id
        )))
    }
}

pub(crate) fn request_not_found(code: &str) -> StoreError {
    StoreError::NotFound(format!("申请 {code}"))
}

pub(crate) fn agency_not_found(id: crate::AgencyId) -> StoreError {
    StoreError::NotFound(format!("机构 {id}"))
}

/// The serde name of a unit enum variant (`PublicationKind`, `AppealKind` …).
pub(crate) fn serde_name<T: serde::Serialize + std::fmt::Debug>(value: &T) -> Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Database(format!("{value:?} 没有名称"))),
    }
}

pub(crate) fn parse_publication_kind(s: &str) -> Result<PublicationKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("未知的公开信息类别：{s}")))
}

/// The `appeals` columns of a case: `(kind, filed_on, outcome, appeal_json)`.
pub(crate) fn appeal_row(appeal: &Appeal) -> Result<(String, String, String, String)> {
    Ok((
        serde_name(&appeal.kind)?,
        appeal.filed_on.to_string(),
        serde_name(&appeal.outcome)?,
        to_json(&format!("案件 {}", appeal.id), appeal)?,
    ))
}

pub(crate) fn appeal_from_json(id: &str, text: &str) -> Result<Appeal> {
    from_json(&format!("案件 {id}"), text)
}

pub(crate) fn counts_to_json(counts: &ProactiveCounts) -> Result<String> {
    to_json("主动公开数据", counts)
}

pub(crate) fn counts_from_json(year: i32, text: &str) -> Result<ProactiveCounts> {
    from_json(&format!("{year} 年主动公开数据"), text)
}

/// `(limit, offset)` clamped as [`page`] does: no limit → `None`, negative values → 0.
pub(crate) fn page_of(limit: Option<i64>, offset: i64) -> (Option<i64>, i64) {
    (limit.map(|l| l.max(0)), offset.max(0))
}

/// A query parameter of a filter, independent of the backend.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

/// A `WHERE` clause built for either backend: `placeholder` is `'?'` (SQLite) or `'$'`
/// (PostgreSQL); the parameters are numbered from 1 in `params` order.
#[derive(Debug, Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    pub params: Vec<Param>,
    /// The filter cannot match anything (a year outside the dates we can write).
    pub nothing: bool,
    placeholder: char,
}

impl Where {
    fn new(placeholder: char) -> Where {
        Where {
            placeholder,
            ..Where::default()
        }
    }

    /// The placeholder for `p`, pushed as the next parameter (also for `LIMIT`/`OFFSET` after
    /// the filter's own).
    pub fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("{}{}", self.placeholder, self.params.len())
    }

    /// ` WHERE …` (or nothing).
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn year(&mut self, column: &str, year: i32) {
        match Date::year_bounds(year) {
            Ok((from, to)) => {
                let from = self.bind(Param::Text(from.to_string()));
                let to = self.bind(Param::Text(to.to_string()));
                self.clauses
                    .push(format!("{column} >= {from} AND {column} <= {to}"));
            }
            Err(_) => self.nothing = true,
        }
    }
}

/// The `WHERE` clause of a request filter over `requests r`.
pub(crate) fn request_where(filter: &RequestFilter, placeholder: char) -> Where {
    let mut w = Where::new(placeholder);
    if let Some(agency) = filter.agency {
        let p = w.bind(Param::Int(agency.0));
        w.clauses.push(format!("r.agency_id = {p}"));
    }
    if filter.open_only {
        w.clauses
            .push(format!("r.status IN ({})", open_statuses_sql()));
    }
    if let Some(year) = filter.received_year {
        w.year("r.received_on", year);
    }
    w
}

/// The `WHERE` clause of a publication filter over `publications p`.
pub(crate) fn publication_where(filter: &PublicationFilter, placeholder: char) -> Where {
    let mut w = Where::new(placeholder);
    if let Some(agency) = filter.agency {
        let p = w.bind(Param::Int(agency.0));
        w.clauses.push(format!("p.agency_id = {p}"));
    }
    if let Some(category) = &filter.category {
        let p = w.bind(Param::Text(category.clone()));
        w.clauses.push(format!("p.category = {p}"));
    }
    if let Some(year) = filter.year {
        w.year("p.issued_on", year);
    }
    w
}

/// The queue order (due date, none last; received date; code) — the same on both backends
/// (PostgreSQL's text columns are `COLLATE "C"`, SQLite's `BINARY`; PostgreSQL's index
/// `requests_due` is declared in this order).
pub(crate) const REQUEST_ORDER: &str = "r.due_on NULLS LAST, r.received_on, r.code";
/// The catalog order: newest first, then by id (and agency, for equal ids of two agencies).
pub(crate) const PUBLICATION_ORDER: &str = "p.issued_on DESC, p.pub_id, p.agency_id";

/// The `RequestSummary` columns, in the order both backends read them.
pub(crate) const REQUEST_SUMMARY_COLUMNS: &str = "r.code, r.agency_id, r.applicant_name, \
     r.applicant_type, r.description, r.received_on, r.status, r.due_on, r.outcome, r.source";

/// The `Publication` columns (less `body`), in the order both backends read them.
pub(crate) const PUBLICATION_COLUMNS: &str = "p.agency_id, p.pub_id, p.title, p.kind, \
     p.doc_number, p.index_number, p.category, p.issued_on, p.published_on, p.repealed_on, \
     p.issuer";

/// The columns of [`PUBLICATION_COLUMNS`] as read, plus the body.
pub(crate) struct PublicationCols {
    pub agency: i64,
    pub id: String,
    pub title: String,
    pub kind: String,
    pub doc_number: Option<String>,
    pub index_number: Option<String>,
    pub category: Option<String>,
    pub issued_on: String,
    pub published_on: Option<String>,
    pub repealed_on: Option<String>,
    pub issuer: Option<String>,
    pub body: String,
}

impl PublicationCols {
    pub fn into_record(self) -> Result<crate::PublicationRecord> {
        let what = format!("公开信息 {}", self.id);
        Ok(crate::PublicationRecord {
            agency: crate::AgencyId(self.agency),
            publication: gongkai_core::register::Publication {
                kind: parse_publication_kind(&self.kind)?,
                title: self.title,
                doc_number: self.doc_number,
                index_number: self.index_number,
                category: self.category,
                issued_on: parse_date(&what, &self.issued_on)?,
                published_on: parse_opt_date(&what, self.published_on)?,
                repealed_on: parse_opt_date(&what, self.repealed_on)?,
                id: self.id,
            },
            issuer: self.issuer,
            body: self.body,
        })
    }
}

/// The columns of [`REQUEST_SUMMARY_COLUMNS`] as read.
pub(crate) struct SummaryCols {
    pub code: String,
    pub agency: i64,
    pub applicant_name: String,
    pub applicant_type: String,
    pub description: String,
    pub received_on: String,
    pub status: String,
    pub due_on: Option<String>,
    pub outcome: Option<String>,
    pub source: String,
}

impl SummaryCols {
    pub fn into_summary(self) -> Result<crate::RequestSummary> {
        let what = format!("申请 {}", self.code);
        Ok(crate::RequestSummary {
            agency: crate::AgencyId(self.agency),
            applicant_name: self.applicant_name,
            applicant_type: self.applicant_type,
            description: self.description,
            received_on: parse_date(&what, &self.received_on)?,
            status: self.status,
            due_on: parse_opt_date(&what, self.due_on)?,
            outcome: self.outcome,
            source: parse_source(&self.source)?,
            code: self.code,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_are_the_serde_names() {
        for s in STATUSES {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(status_name(s))
            );
        }
        let open = open_statuses_sql();
        assert_eq!(
            open,
            "'processing', 'awaiting_correction', 'in_consultation', 'awaiting_payment'"
        );
    }

    #[test]
    fn where_numbers_its_parameters() {
        let f = RequestFilter {
            agency: Some(crate::AgencyId(3)),
            open_only: true,
            received_year: Some(2024),
            ..RequestFilter::default()
        };
        let mut w = request_where(&f, '$');
        assert_eq!(w.params.len(), 3);
        assert!(w.sql().contains("r.agency_id = $1"));
        assert!(w
            .sql()
            .contains("r.received_on >= $2 AND r.received_on <= $3"));
        assert_eq!(w.bind(Param::Int(10)), "$4");
        let nothing = request_where(
            &RequestFilter {
                received_year: Some(1_000_000),
                ..RequestFilter::default()
            },
            '?',
        );
        assert!(nothing.nothing);
    }
}
