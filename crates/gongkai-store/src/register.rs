//! The agency's register: requests (with their append-only event log), appeals, publications,
//! the table-二 counts entered by hand, and the audit log of staff actions.
//!
//! The request state machine lives in `gongkai_core::lifecycle`; the store keeps
//!
//! * every event, append-only (`request_events`, one row per event, never updated or deleted:
//!   `(request, seq)` is unique and the next `seq` must follow the last one, so two clerks acting
//!   on the same request at once cannot both succeed — the second gets `Conflict`);
//! * the request's current state as JSON beside a few columns the queue sorts and filters on
//!   (status, due date, received date), rewritten with each event in the same transaction;
//! * the applicant's personal data (证件号码, 电话, 地址, 邮箱) in columns of their own, which
//!   only the staff pages read — the public tracking page never sees them.

use crate::{AgencyId, Result, UserId};
use gongkai_core::date::Date;
use gongkai_core::lifecycle::Request;
use gongkai_core::register::{Appeal, ProactiveCounts, Publication};

/// Personal data of an applicant, kept apart from the request JSON and never shown publicly.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplicantPrivate {
    /// 身份证件号码 / 统一社会信用代码.
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    /// 获取信息的方式 (纸质/电子邮件/光盘/网络下载/当场查阅 …), as the applicant asked.
    pub delivery: Option<String>,
}

/// How a request entered the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestSource {
    /// Entered by staff (paper, fax, in person …).
    Staff,
    /// Submitted on the public portal.
    Online,
    /// Imported from an Excel/CSV ledger.
    Ledger,
}

impl RequestSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestSource::Staff => "staff",
            RequestSource::Online => "online",
            RequestSource::Ledger => "ledger",
        }
    }
}

/// An uploaded attachment of a request (metadata; bytes via [`Register::attachment`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub file_name: String,
    pub size: i64,
}

/// A new request as stored: the lifecycle state after its `Received` event (its `id` is the
/// tracking code), personal data, and attachments.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub agency: AgencyId,
    pub request: &'a Request,
    pub private: &'a ApplicantPrivate,
    pub source: RequestSource,
    pub recorded_by: Option<UserId>,
    /// `(file name, bytes)`.
    pub attachments: &'a [(String, Vec<u8>)],
    /// A fingerprint of (applicant, description) for duplicate detection on the portal.
    pub fingerprint: Option<&'a str>,
}

/// A stored request.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    pub agency: AgencyId,
    /// The lifecycle state; `request.id.0` is the tracking code (查询码), `request.log` the
    /// event log with the due date in force after each event.
    pub request: Request,
    pub private: ApplicantPrivate,
    pub source: RequestSource,
    /// Unix seconds when the request was first stored.
    pub created_at: i64,
    pub attachments: Vec<AttachmentMeta>,
}

/// One stored event: what happened (as in `request.log`) plus who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredEvent {
    pub seq: u32,
    /// The `LoggedEvent` JSON.
    pub event: serde_json::Value,
    pub recorded_by: Option<UserId>,
    /// Unix seconds.
    pub recorded_at: i64,
}

/// A row of the request queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestSummary {
    pub code: String,
    pub agency: AgencyId,
    pub applicant_name: String,
    /// `ApplicantType::id()`.
    pub applicant_type: String,
    pub description: String,
    pub received_on: Date,
    /// `Status` as its serde name (e.g. `in_progress`).
    pub status: String,
    /// The due date in force, `None` when the clock is stopped or waiting.
    pub due_on: Option<Date>,
    /// The outcome id once answered.
    pub outcome: Option<String>,
    pub source: RequestSource,
}

/// Which requests to list. Default: all, ordered by due date (none last), then received date.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub agency: Option<AgencyId>,
    /// Only requests whose status is open (not concluded, withdrawn or lapsed).
    pub open_only: bool,
    /// Only requests received in this calendar year.
    pub received_year: Option<i32>,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// A publication with the catalog fields the annual report does not need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicationRecord {
    pub agency: AgencyId,
    /// `publication.id` is unique per agency (the 索引号 when there is one).
    pub publication: Publication,
    /// 发布机构.
    pub issuer: Option<String>,
    /// The text (for catalog search).
    pub body: String,
}

/// Which publications to list: newest first.
#[derive(Debug, Clone, Default)]
pub struct PublicationFilter {
    pub agency: Option<AgencyId>,
    pub category: Option<String>,
    /// Issued in this year.
    pub year: Option<i32>,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user: Option<UserId>,
    /// The unit the action concerns, if any.
    pub agency: Option<AgencyId>,
    /// e.g. `request.event`, `report.delete`, `user.create`.
    pub action: String,
    /// What it was done to (a tracking code, a report id …).
    pub target: String,
    pub detail: String,
}

/// The register half of the store. Every method is one transaction.
pub trait Register {
    /// Store a new request with its first event(s) and attachments. `Conflict` when the
    /// tracking code is taken.
    fn create_request(&self, new: &NewRequest<'_>) -> Result<()>;
    /// Append the events of `updated` after `expected_len` (the log length the caller started
    /// from) and store the new state. `Conflict` when the stored log is no longer
    /// `expected_len` long (someone else acted first); nothing is written then.
    fn append_request_events(
        &self,
        code: &str,
        expected_len: usize,
        updated: &Request,
        recorded_by: Option<UserId>,
    ) -> Result<()>;
    fn request(&self, code: &str) -> Result<Option<StoredRequest>>;
    fn request_events(&self, code: &str) -> Result<Vec<StoredEvent>>;
    fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<RequestSummary>>;
    fn count_requests(&self, filter: &RequestFilter) -> Result<i64>;
    /// Every request of `agency` received on or before `until` (the report generator picks what
    /// belongs to a year), in received order.
    fn requests_received_until(&self, agency: AgencyId, until: Date) -> Result<Vec<Request>>;
    /// The tracking code of a request with this fingerprint stored since `since` (unix seconds).
    fn find_fingerprint(&self, fingerprint: &str, since: i64) -> Result<Option<String>>;
    /// `(file name, bytes)` of an attachment of request `code` (`None` if it is not that
    /// request's).
    fn attachment(&self, code: &str, id: i64) -> Result<Option<(String, Vec<u8>)>>;
    /// Replace the applicant's contact data of a stored request (证件号码, 电话, 地址, 邮箱,
    /// 获取方式) — corrections and changes the applicant reports. The name and applicant type
    /// belong to the `Received` event and are not changed here. `NotFound` for an unknown code.
    fn update_request_private(&self, code: &str, private: &ApplicantPrivate) -> Result<()>;
    /// Add attachments `(file name, bytes)` to a stored request (a scanned letter, an ID copy
    /// handed in later), all in one transaction; their ids. `NotFound` for an unknown code.
    fn add_request_attachments(&self, code: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<i64>>;

    /// Insert or replace (by `appeal.id` within the agency).
    fn save_appeal(&self, agency: AgencyId, appeal: &Appeal) -> Result<()>;
    fn appeals(&self, agency: AgencyId) -> Result<Vec<Appeal>>;

    /// Insert or replace (by `publication.id` within the agency).
    fn save_publication(&self, record: &PublicationRecord) -> Result<()>;
    fn publication(&self, agency: AgencyId, id: &str) -> Result<Option<PublicationRecord>>;
    fn list_publications(&self, filter: &PublicationFilter) -> Result<Vec<PublicationRecord>>;
    fn count_publications(&self, filter: &PublicationFilter) -> Result<i64>;
    /// Distinct categories in use, sorted.
    fn publication_categories(&self, agency: Option<AgencyId>) -> Result<Vec<String>>;

    /// Table-二 figures entered by hand for a year (they come from other systems).
    fn save_proactive_counts(
        &self,
        agency: AgencyId,
        year: i32,
        counts: &ProactiveCounts,
    ) -> Result<()>;
    fn proactive_counts(&self, agency: AgencyId, year: i32) -> Result<Option<ProactiveCounts>>;

    /// Record a staff action on `target` (of unit `agency`, if it concerns one).
    fn audit(
        &self,
        user: Option<UserId>,
        agency: Option<AgencyId>,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()>;
    /// Most recent first; with `agencies`, only the entries concerning those units.
    fn audit_log(&self, limit: i64, agencies: Option<&[AgencyId]>) -> Result<Vec<AuditEntry>>;
}
