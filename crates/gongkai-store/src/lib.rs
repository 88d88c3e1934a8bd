//! # gongkai-store — where the supervision centre keeps what it has imported
//!
//! A 政务公开办 collects every unit's annual report each January and keeps them for years: the
//! original file (the evidence), the parsed report, its findings, and who imported it. This crate
//! is that memory, behind one trait, [`Store`], with two implementations:
//!
//! * [`SqliteStore`] — the embedded default: one file, WAL journal, nothing to install. A county
//!   office on an old PC runs `gongkai serve` and has a database.
//! * [`PgStore`] — PostgreSQL, for a city or province that already runs a database server and
//!   wants backups, replication and many concurrent users.
//!
//! Why it looks the way it does:
//!
//! * **Synchronous, pooled.** The trait is plain blocking Rust (rusqlite / postgres over r2d2
//!   pools). The web server calls it from `spawn_blocking`; the CLI and benchmarks call it
//!   directly. No async runtime leaks into the domain.
//! * **One set of migrations per backend** (`migrations/sqlite/*.sql`, `migrations/postgres/*.sql`),
//!   embedded in the binary, applied in order and recorded in `schema_migrations`, so a database
//!   made by an older release is upgraded on start.
//! * **One test suite for both** (`tests/store.rs`): every behaviour is asserted against SQLite and,
//!   when `GONGKAI_TEST_POSTGRES` names a server, against PostgreSQL.
//! * **Content-addressed documents.** A document is keyed by the SHA-256 of its bytes; importing the
//!   same file twice returns the existing report ([`ImportOutcome::Duplicate`]) and stores nothing new.
//!   The original bytes are kept so that the report page can always link to what was published.
//! * **Summaries are columns.** The agencies × years overview must answer in well under a second
//!   for tens of thousands of reports, so the figures it shows (year, generation, publication date,
//!   late or not, error/warning/info counts) are columns of `reports`, written at import, and the
//!   overview is one indexed query — the report JSON is only read when one report is opened.
//! * **The register** ([`Register`], migration `0002_register`): an agency's information
//!   requests with their append-only event log (optimistic concurrency: an append names the log
//!   length it started from and gets `Conflict` if someone else appended first), attachments,
//!   appeals, publications, table-二 counts and the audit log. Applicants' personal data sit in
//!   columns of their own, apart from the request JSON.
//! * **Secrets are never stored in clear.** Users carry an argon2 hash made by the caller; sessions
//!   and API tokens are stored as SHA-256 hashes of the random token the client holds.

mod common;
mod postgres;
pub mod register;
mod sqlite;

pub use crate::postgres::PgStore;
pub use crate::sqlite::SqliteStore;
pub use register::{
    ApplicantPrivate, AttachmentMeta, AuditEntry, NewRequest, PublicationFilter, PublicationRecord,
    Register, RequestFilter, RequestSource, RequestSummary, StoredEvent, StoredRequest,
};

use gongkai_core::{Finding, Report};

/// Errors at the storage boundary. Messages are in Chinese where a user may see them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Database(String),
    #[error("数据库连接失败：{0}")]
    Connect(String),
    #[error("数据库迁移失败（{version}）：{message}")]
    Migration { version: String, message: String },
    #[error("未找到：{0}")]
    NotFound(String),
    #[error("冲突：{0}")]
    Conflict(String),
    #[error("存储的数据无法读取：{0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
id_type!(
    /// An agency (a unit that files reports, or a region that contains units).
    AgencyId
);
id_type!(
    /// A parsed, stored report.
    ReportId
);
id_type!(
    /// An original document (the bytes as uploaded).
    DocumentId
);
id_type!(
    /// An upload batch (one form submission or API call, possibly many files).
    BatchId
);
id_type!(
    /// A staff user.
    UserId
);

/// What a staff user may do. Checked by the server on every route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything (overview, reports, comparisons, roll-ups, exports).
    Viewer,
    /// Viewer, plus imports reports and edits agencies.
    Supervisor,
    /// Supervisor, plus manages users and tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Viewer => "查看",
            Role::Supervisor => "监督",
            Role::Admin => "管理员",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    /// `self` has at least the rights of `needed` (admin ⊇ supervisor ⊇ viewer).
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// Where an agency sits in the administrative hierarchy (province → city → county → department).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgencyLevel {
    Province,
    City,
    County,
    /// A unit that files reports: a 局, 中心, 办, a 乡镇人民政府 …
    Department,
}

impl AgencyLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AgencyLevel::Province => "province",
            AgencyLevel::City => "city",
            AgencyLevel::County => "county",
            AgencyLevel::Department => "department",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            AgencyLevel::Province => "省级",
            AgencyLevel::City => "市级",
            AgencyLevel::County => "县级",
            AgencyLevel::Department => "部门/单位",
        }
    }
    /// 0 for a province … 3 for a department: a parent ranks lower than its children.
    pub fn rank(self) -> u8 {
        match self {
            AgencyLevel::Province => 0,
            AgencyLevel::City => 1,
            AgencyLevel::County => 2,
            AgencyLevel::Department => 3,
        }
    }
    pub fn parse(s: &str) -> Option<AgencyLevel> {
        match s {
            "province" => Some(AgencyLevel::Province),
            "city" => Some(AgencyLevel::City),
            "county" => Some(AgencyLevel::County),
            "department" => Some(AgencyLevel::Department),
            _ => None,
        }
    }
}

/// The region an agency named `name` at `level` belongs under, by name: among `regions` of a
/// higher level (a lower [`AgencyLevel::rank`]), the one with the longest name that is a proper
/// prefix of `name` — 示例县财政局 and 示例县人民政府 go under 示例县, 示例市示例县 under 示例市.
/// `None` when no region's name begins it (ties: the first given).
pub fn region_by_name(
    name: &str,
    level: AgencyLevel,
    regions: &[(AgencyId, &str, AgencyLevel)],
) -> Option<AgencyId> {
    regions
        .iter()
        .filter(|(_, region, region_level)| {
            region_level.rank() < level.rank()
                && region.len() < name.len()
                && name.starts_with(region)
        })
        .fold(
            None::<&(AgencyId, &str, AgencyLevel)>,
            |best, r| match best {
                Some(b) if b.1.len() >= r.1.len() => Some(b),
                _ => Some(r),
            },
        )
        .map(|(id, _, _)| *id)
}

/// One rule's findings over a set of reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleCount {
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// Findings of the rule.
    pub findings: i64,
    /// Reports with at least one.
    pub reports: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agency {
    pub id: AgencyId,
    /// Unique, as written in reports (e.g. `示例县数据资源局`).
    pub name: String,
    pub level: AgencyLevel,
    pub parent: Option<AgencyId>,
}

/// A report to import: the original bytes and what the reader made of them.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// The file name as uploaded (or the path inside a ZIP), for display and download.
    pub file_name: &'a str,
    /// The original bytes, kept verbatim; their SHA-256 is the document's identity.
    pub bytes: &'a [u8],
    /// The agency the report is filed under (created as a `Department` if new).
    pub agency: &'a str,
    pub report: &'a Report,
    /// Findings of the per-report rules (stored; cross-report rules are computed when shown).
    pub findings: &'a [Finding],
    /// `Some(true)` when published after the legal deadline, `None` when unknown.
    pub late: Option<bool>,
    pub imported_by: Option<UserId>,
    pub batch: Option<BatchId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "report", rename_all = "lowercase")]
pub enum ImportOutcome {
    Imported(ReportId),
    /// The same bytes were imported before; nothing new was stored.
    Duplicate(ReportId),
}

impl ImportOutcome {
    pub fn report_id(self) -> ReportId {
        match self {
            ImportOutcome::Imported(id) | ImportOutcome::Duplicate(id) => id,
        }
    }
}

/// The columns the overview and lists show, without the report JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReportSummary {
    pub id: ReportId,
    pub document: DocumentId,
    pub agency: AgencyId,
    pub agency_name: String,
    pub file_name: String,
    /// The year reported on, `None` when the reader could not tell.
    pub year: Option<i32>,
    /// `"2014"`, `"2019"`, `"2021"` or `"unknown"`.
    pub generation: String,
    pub published_on: Option<String>,
    pub late: Option<bool>,
    pub errors: i64,
    pub warnings: i64,
    pub infos: i64,
    /// Unix seconds (UTC).
    pub imported_at: i64,
}

/// A report with everything stored about it.
#[derive(Debug, Clone)]
pub struct StoredReport {
    pub summary: ReportSummary,
    pub report: Report,
    pub findings: Vec<Finding>,
}

/// An original document.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: DocumentId,
    pub file_name: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Which reports to list. Empty filter = all, newest year first, then agency name.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Reports of these agencies only (empty = any).
    pub agencies: Vec<AgencyId>,
    pub year: Option<i32>,
    /// Only reports with at least one error-severity finding.
    pub with_errors: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

/// One file of a batch: imported, a duplicate, or failed with a reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchItem {
    pub file_name: String,
    /// `imported`, `duplicate` or `failed`.
    pub status: String,
    pub report: Option<ReportId>,
    /// Why it failed, or a note (e.g. which report it duplicates).
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Batch {
    pub id: BatchId,
    pub label: String,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    /// Files expected (known when the upload is unpacked).
    pub total: i64,
    pub finished: bool,
    /// In the order recorded.
    pub items: Vec<BatchItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// 单位范围: the unit (with the units under it) this user works for, or `None` for every
    /// unit. A scoped user opens only those units' registers in the console (applicants'
    /// personal data included) and changes nothing in the supervision centre; admins are never
    /// scoped.
    pub agency: Option<AgencyId>,
    #[serde(skip)]
    pub password_hash: String,
}

/// A login session, identified by the SHA-256 of the cookie's random token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: UserId,
    /// The CSRF token forms of this session must carry.
    pub csrf_token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Persistence of the supervision centre. Every method is one transaction.
pub trait Store: Register + Send + Sync {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    // ── agencies ────────────────────────────────────────────────────────────
    /// The agency named `name`, created with `level` and `parent` if it does not exist
    /// (an existing agency keeps its level and parent). A new agency without a `parent` is
    /// placed under its region by name ([`region_by_name`]): 示例县财政局 under 示例县.
    fn ensure_agency(
        &self,
        name: &str,
        level: AgencyLevel,
        parent: Option<AgencyId>,
    ) -> Result<AgencyId>;
    /// Change an agency's place in the hierarchy. Refuses a parent that would make a cycle.
    fn set_agency_place(
        &self,
        id: AgencyId,
        level: AgencyLevel,
        parent: Option<AgencyId>,
    ) -> Result<()>;
    fn agency(&self, id: AgencyId) -> Result<Option<Agency>>;
    /// All agencies, by name.
    fn agencies(&self) -> Result<Vec<Agency>>;
    /// The agency with exactly this name (surrounding spaces ignored). Used by administrative
    /// look-ups (scopes, the CLI), not on hot paths, so it reads the list.
    fn agency_named(&self, name: &str) -> Result<Option<Agency>> {
        let name = name.trim();
        Ok(self.agencies()?.into_iter().find(|a| a.name == name))
    }
    /// `id` and every agency below it in the hierarchy.
    fn agency_and_descendants(&self, id: AgencyId) -> Result<Vec<AgencyId>>;
    /// Place every agency that has no parent under its region by name ([`region_by_name`]),
    /// e.g. units imported before their region was set up. Returns the agencies placed.
    fn place_unplaced_by_name(&self) -> Result<Vec<AgencyId>> {
        let agencies = self.agencies()?;
        let regions: Vec<(AgencyId, &str, AgencyLevel)> = agencies
            .iter()
            .filter(|a| a.level != AgencyLevel::Department)
            .map(|a| (a.id, a.name.as_str(), a.level))
            .collect();
        let mut placed = Vec::new();
        for a in agencies.iter().filter(|a| a.parent.is_none()) {
            if let Some(region) = region_by_name(&a.name, a.level, &regions) {
                self.set_agency_place(a.id, a.level, Some(region))?;
                placed.push(a.id);
            }
        }
        Ok(placed)
    }

    // ── reports ─────────────────────────────────────────────────────────────
    /// Import one report (document bytes, parsed report, findings) atomically.
    fn import_report(&self, new: &NewReport<'_>) -> Result<ImportOutcome>;
    /// Import many in one transaction (bulk loads, benchmarks); outcomes in input order.
    fn import_reports(&self, new: &[NewReport<'_>]) -> Result<Vec<ImportOutcome>>;
    fn report(&self, id: ReportId) -> Result<Option<StoredReport>>;
    fn list_reports(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>>;
    fn count_reports(&self, filter: &ReportFilter) -> Result<i64>;
    /// How often each rule fired in the reports `filter` selects (its limit and offset are
    /// ignored): most findings first.
    fn rule_counts(&self, filter: &ReportFilter) -> Result<Vec<RuleCount>>;
    /// Every stored report, in id order, one at a time (the JSON Lines export).
    fn for_each_report(&self, visit: &mut dyn FnMut(StoredReport) -> Result<()>) -> Result<()>;
    fn document(&self, id: DocumentId) -> Result<Option<Document>>;
    /// Remove a report, its findings and (when no other report uses it) its document.
    fn delete_report(&self, id: ReportId) -> Result<()>;

    // ── upload batches ──────────────────────────────────────────────────────
    fn create_batch(&self, label: &str, total: i64, created_by: Option<UserId>) -> Result<BatchId>;
    fn add_batch_item(&self, batch: BatchId, item: &BatchItem) -> Result<()>;
    fn finish_batch(&self, batch: BatchId) -> Result<()>;
    fn batch(&self, id: BatchId) -> Result<Option<Batch>>;
    /// Most recent first.
    fn recent_batches(&self, limit: i64) -> Result<Vec<Batch>>;

    // ── users, sessions, API tokens ─────────────────────────────────────────
    /// Fails with `Conflict` when the username is taken.
    fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<UserId>;
    fn user(&self, id: UserId) -> Result<Option<User>>;
    fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;
    /// Fails with `Conflict` when making a scoped user an admin.
    fn set_user_role(&self, id: UserId, role: Role) -> Result<()>;
    /// Limit the user to `agency` and its descendants (`None`: every unit). Fails with
    /// `NotFound` for an unknown user or unit and `Conflict` for an admin.
    fn set_user_agency(&self, id: UserId, agency: Option<AgencyId>) -> Result<()>;
    fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()>;

    fn create_session(&self, session: &Session) -> Result<()>;
    /// The session and its user, if the token hash is known and `now < expires_at`.
    fn session(&self, token_hash: &str, now: i64) -> Result<Option<(Session, User)>>;
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Delete expired sessions; returns how many.
    fn purge_sessions(&self, now: i64) -> Result<u64>;

    fn create_api_token(&self, user: UserId, token_hash: &str, label: &str) -> Result<()>;
    fn user_for_api_token(&self, token_hash: &str) -> Result<Option<User>>;
}

/// Hex SHA-256 of `bytes` (document identity, session and token hashes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Open the store a URL names: `postgres://…` / `postgresql://…` → PostgreSQL, `sqlite:PATH`
/// or a plain path → SQLite. Migrations are applied.
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PgStore::connect(url)?))
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Ok(Box::new(SqliteStore::open(std::path::Path::new(path))?))
    }
}
