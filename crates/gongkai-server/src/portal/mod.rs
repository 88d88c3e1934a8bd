//! 公开门户 — the agency's public portal under `/public/…`: its 政府信息公开指南, the request
//! form (依申请公开), the tracking page, the disclosure catalog with Chinese full-text search and
//! feeds, and the annual reports of past years.
//!
//! Why it looks the way it does:
//!
//! * **For citizens on any device, without JavaScript.** Every page is server-rendered HTML
//!   with its own small stylesheet (mobile first, large touch targets, visible focus, labels on
//!   every field, errors listed at the top and linked to their fields). Nothing needs a
//!   script: the challenge is a question in text, the receipt a page to print.
//! * **One agency.** The portal serves one agency of the store: the one named by
//!   `GONGKAI_PORTAL_AGENCY` (created if the store lacks it), else the first agency (by name)
//!   that has publications or requests, else the first agency. [`configure`] sets it (and the
//!   rest of [`PortalConfig`]) for one server instance, as the tests do.
//! * **State of its own.** The supervision centre's [`crate::Config`] is not the portal's to
//!   change, so the portal keeps its settings, its rate-limit counters, the challenge key and
//!   the catalog index in a [`Portal`] per store instance (a registry keyed by the store's
//!   address, holding only a weak reference, so a dropped store's entry is discarded and never
//!   confused with a new one).
//! * **Abuse controls that cost a citizen nothing.** Per-address submission limits
//!   (`GONGKAI_PORTAL_RATE`, default `5/600`: five submissions in ten minutes), an arithmetic
//!   question whose answer is bound by HMAC to a hidden field with an expiry and used once, a
//!   double-submit CSRF cookie, and duplicate detection: the same applicant asking for the same
//!   thing within 24 hours gets the existing 查询码 back instead of a second request.
//! * **Privacy.** 查询码 are random (60 bits), so nobody can walk through other people's
//!   requests; the tracking page shows only the status, dates and the public kind of each step
//!   — never the applicant's 证件号码, phone or address, nor staff notes or names of consulted
//!   third parties — and only for requests filed on this portal for this agency.
//!
//! # Settings (environment, read when the portal first serves; [`configure`] overrides)
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `GONGKAI_PORTAL_AGENCY` | name of the agency served (created if missing) | first agency with publications or requests |
//! | `GONGKAI_PORTAL_RATE` | submissions per address: `COUNT/SECONDS` | `5/600` |
//! | `GONGKAI_PORTAL_SECRET` | challenge key (≥ 16 characters; set the same on every instance behind a load balancer) | random per start |
//! | `GONGKAI_PORTAL_TRUST_PROXY` | `1`: count limits by the last `X-Forwarded-For` address | off |
//! | `GONGKAI_PUBLIC_URL` | base of absolute links in feeds, e.g. `https://gk.example.gov.cn` | from `Host` |
//!
//! # Routes
//!
//! `/public` (guide), `/public/apply` (GET form, POST multipart submit), `/public/receipt/{code}`,
//! `/public/track?code=`, `/public/catalog?q=&category=&year=&page=`, `/public/catalog/{id}`,
//! `/public/feeds/{category|all}.{atom|rss|json}`, `/public/reports`, `/public/reports/{id}`.
//! The console keeps the search index current by calling [`publication_saved`] after saving a
//! publication (or [`save_publication`], or [`reindex`] after bulk changes); without that the
//! index notices a changed count of publications on its next use and rebuilds itself.

pub mod apply;
mod catalog;
mod feeds;
mod guide;
mod reports;
pub mod search;
mod track;

pub use search::{Catalog, SearchHit, SearchQuery, SearchResults};

use crate::{AppError, AppState};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use gongkai_store::{Agency, AgencyId, AgencyLevel, PublicationFilter, PublicationRecord, Store};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

/// Largest request body the apply route reads: the attachments' limit plus room for the text
/// fields. Bodies between the attachment limit and this are read and refused with a clear
/// message; larger ones are cut off by the body limit (still a 413 with the same message).
const APPLY_BODY_LIMIT: usize = 48 * 1024 * 1024;

/// Settings of the portal of one server instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalConfig {
    /// The agency served, by name (`GONGKAI_PORTAL_AGENCY`); `None` = pick as described above.
    pub agency: Option<String>,
    /// Submissions of the request form allowed per client address per window
    /// (`GONGKAI_PORTAL_RATE` = `COUNT/SECONDS`, default `5/600`).
    pub rate_limit: u32,
    pub rate_window_seconds: i64,
    /// Failed tracking-code look-ups allowed per address per window (guessing is pointless
    /// against random codes; this keeps it from being tried at scale).
    pub track_failures: u32,
    /// All attachments of one request together.
    pub max_attachment_bytes: usize,
    pub max_attachments: usize,
    /// How long a challenge question stays valid.
    pub challenge_seconds: i64,
    /// The window of duplicate detection.
    pub duplicate_seconds: i64,
    /// Base URL for absolute links in feeds (`GONGKAI_PUBLIC_URL`); default: from `Host`.
    pub public_url: Option<String>,
    /// Count rate limits by the last `X-Forwarded-For` address (`GONGKAI_PORTAL_TRUST_PROXY=1`,
    /// only behind a reverse proxy that sets it).
    pub trust_proxy: bool,
}

impl Default for PortalConfig {
    fn default() -> PortalConfig {
        PortalConfig {
            agency: None,
            rate_limit: 5,
            rate_window_seconds: 600,
            track_failures: 30,
            max_attachment_bytes: 10 * 1024 * 1024,
            max_attachments: 5,
            challenge_seconds: 3600,
            duplicate_seconds: 24 * 3600,
            public_url: None,
            trust_proxy: false,
        }
    }
}

impl PortalConfig {
    /// The defaults, overridden by `GONGKAI_PORTAL_AGENCY`, `GONGKAI_PORTAL_RATE`
    /// (`COUNT/SECONDS` or `COUNT`) and `GONGKAI_PUBLIC_URL`.
    pub fn from_env() -> PortalConfig {
        let mut config = PortalConfig::default();
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        config.agency = var("GONGKAI_PORTAL_AGENCY");
        if let Some(rate) = var("GONGKAI_PORTAL_RATE") {
            let (count, window) = match rate.split_once('/') {
                Some((c, w)) => (c.trim().parse().ok(), w.trim().parse().ok()),
                None => (rate.parse().ok(), Some(config.rate_window_seconds)),
            };
            match (count, window) {
                (Some(c), Some(w)) if w > 0 => {
                    config.rate_limit = c;
                    config.rate_window_seconds = w;
                }
                _ => eprintln!(
                    "GONGKAI_PORTAL_RATE=“{rate}”无法识别（应为 次数/秒数，如 5/600），使用默认值"
                ),
            }
        }
        config.public_url = var("GONGKAI_PUBLIC_URL").map(|u| u.trim_end_matches('/').into());
        config.trust_proxy = var("GONGKAI_PORTAL_TRUST_PROXY").is_some_and(|v| v == "1");
        config
    }
}

/// The portal's state for one server instance.
pub struct Portal {
    config: RwLock<PortalConfig>,
    /// Key of the challenge HMAC (`GONGKAI_PORTAL_SECRET`, or random per process start).
    secret: Vec<u8>,
    /// Recent submission attempts per address.
    submissions: Mutex<HashMap<String, VecDeque<i64>>>,
    /// Recent failed tracking look-ups per address.
    track_misses: Mutex<HashMap<String, VecDeque<i64>>>,
    /// Challenge nonces already used, with their expiry.
    used_nonces: Mutex<HashMap<String, i64>>,
    /// The agency served and until when the choice holds (`i64::MAX`: for good).
    agency: Mutex<Option<(Agency, i64)>>,
    /// The catalog index, the agency it was built for and when (built on first use).
    catalog: Mutex<Option<(AgencyId, Arc<Catalog>, i64)>>,
    /// Held while the index is (re)built.
    building: Arc<tokio::sync::Mutex<()>>,
    /// Publications saved so far (a build that saw this change is built again).
    changes: AtomicU64,
    /// Indexes installed so far.
    builds: AtomicU64,
    /// Serialises duplicate check + insert for requests with the same fingerprint.
    fingerprint_locks: Vec<tokio::sync::Mutex<()>>,
}

impl Portal {
    fn new(config: PortalConfig) -> Portal {
        let secret = match std::env::var("GONGKAI_PORTAL_SECRET") {
            Ok(s) if s.len() >= 16 => s.into_bytes(),
            _ => {
                let mut key = vec![0u8; 32];
                if getrandom::fill(&mut key).is_err() {
                    // Never serve with a predictable key: the time is a poor but non-constant
                    // fallback on a platform without a random source.
                    key = crate::now().to_le_bytes().repeat(4);
                }
                key
            }
        };
        Portal {
            config: RwLock::new(config),
            secret,
            submissions: Mutex::default(),
            track_misses: Mutex::default(),
            used_nonces: Mutex::default(),
            agency: Mutex::new(None),
            catalog: Mutex::new(None),
            building: Arc::new(tokio::sync::Mutex::new(())),
            changes: AtomicU64::new(0),
            builds: AtomicU64::new(0),
            fingerprint_locks: (0..32).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    pub fn config(&self) -> PortalConfig {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

type Registry = Mutex<Vec<(Weak<dyn Store>, Arc<Portal>)>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

fn portal_of(store: &Arc<dyn Store>, config: Option<PortalConfig>) -> Arc<Portal> {
    let mut list = registry().lock().unwrap_or_else(|p| p.into_inner());
    // A weak reference keeps the allocation (not the store) alive, so a live entry's address
    // cannot be reused by another store; entries of dropped stores are let go here.
    list.retain(|(weak, _)| weak.strong_count() > 0);
    let address = Arc::as_ptr(store) as *const ();
    if let Some((_, portal)) = list
        .iter()
        .find(|(weak, _)| Weak::as_ptr(weak) as *const () == address)
    {
        if let Some(config) = config {
            *portal.config.write().unwrap_or_else(|p| p.into_inner()) = config;
            *portal.agency.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        return portal.clone();
    }
    let portal = Arc::new(Portal::new(config.unwrap_or_else(PortalConfig::from_env)));
    list.push((Arc::downgrade(store), portal.clone()));
    portal
}

/// The portal of the server instance running on `state`.
pub fn portal(state: &AppState) -> Arc<Portal> {
    portal_of(&state.store, None)
}

/// Set the portal's settings for the server instance on `store` (tests; embedding).
pub fn configure(store: &Arc<dyn Store>, config: PortalConfig) {
    portal_of(store, Some(config));
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public", get(guide::home))
        .route("/public/", get(|| async { Redirect::permanent("/public") }))
        .route(
            "/public/apply",
            get(apply::form)
                .post(apply::submit)
                .layer(DefaultBodyLimit::max(APPLY_BODY_LIMIT)),
        )
        .route("/public/receipt/{code}", get(apply::receipt))
        .route("/public/track", get(track::track))
        .route("/public/catalog", get(catalog::list))
        .route("/public/catalog/{id}", get(catalog::show))
        .route("/public/feeds/{file}", get(feeds::feed))
        .route("/public/reports", get(reports::list))
        .route("/public/reports/{id}", get(reports::show))
}

/// The agency the portal serves (see the module docs).
pub async fn agency(state: &AppState) -> Result<Agency, AppError> {
    let portal = portal(state);
    let now = crate::now();
    if let Some((agency, until)) = portal
        .agency
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
    {
        if now < until {
            return Ok(agency);
        }
    }
    let wanted = portal.config().agency;
    let (agency, until) = state
        .db(move |s| {
            let agencies = s.agencies()?;
            if let Some(name) = wanted {
                if let Some(a) = agencies.iter().find(|a| a.name == name) {
                    return Ok(Some((a.clone(), i64::MAX)));
                }
                let id = s.ensure_agency(&name, AgencyLevel::Department, None)?;
                return Ok(s.agency(id)?.map(|a| (a, i64::MAX)));
            }
            for a in &agencies {
                let pubs = s.count_publications(&PublicationFilter {
                    agency: Some(a.id),
                    ..Default::default()
                })?;
                let requests = s.count_requests(&gongkai_store::RequestFilter {
                    agency: Some(a.id),
                    ..Default::default()
                })?;
                if pubs > 0 || requests > 0 {
                    return Ok(Some((a.clone(), i64::MAX)));
                }
            }
            Ok(agencies.into_iter().next().map(|a| (a, now + 60)))
        })
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                "门户尚未设置受理机关：请以环境变量 GONGKAI_PORTAL_AGENCY 指定单位名称".into(),
            )
        })?;
    *portal.agency.lock().unwrap_or_else(|p| p.into_inner()) = Some((agency.clone(), until));
    Ok(agency)
}

impl Portal {
    /// The index, if built for `agency`, and when it was built.
    fn current_catalog(&self, agency: AgencyId) -> Option<(Arc<Catalog>, i64)> {
        self.catalog
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(built_for, _, _)| *built_for == agency)
            .map(|(_, c, at)| (c.clone(), *at))
    }
}

/// An index older than this is rebuilt in the background (to pick up publications changed by
/// any other way than [`publication_saved`]).
const CATALOG_MAX_AGE: i64 = 600;
/// Up to this size an index that misses publications is rebuilt before answering; a larger
/// one is rebuilt in the background while the current one answers.
const SYNC_REBUILD_LIMIT: usize = 5_000;

/// The catalog index of the portal's agency, built from the store on first use.
///
/// Each use compares the store's count of the agency's publications with the index: when they
/// differ (a publication saved without [`publication_saved`]), or the index is older than ten
/// minutes, it is rebuilt — at once for a small catalog, in the background for a large one.
pub async fn catalog(state: &AppState) -> Result<Arc<Catalog>, AppError> {
    let portal = portal(state);
    let agency = agency(state).await?.id;
    if let Some((current, built_at)) = portal.current_catalog(agency) {
        let stored = state
            .db(move |s| {
                s.count_publications(&PublicationFilter {
                    agency: Some(agency),
                    ..Default::default()
                })
            })
            .await? as usize;
        let in_step = stored == current.len();
        if in_step && crate::now() - built_at < CATALOG_MAX_AGE {
            return Ok(current);
        }
        if in_step || current.len() > SYNC_REBUILD_LIMIT {
            if let Ok(guard) = portal.building.clone().try_lock_owned() {
                let state = state.clone();
                let portal = portal.clone();
                tokio::spawn(async move {
                    let _building = guard;
                    if let Err(e) = rebuild(&state, &portal, agency).await {
                        eprintln!("目录索引重建失败：{e}");
                    }
                });
            }
            return Ok(current);
        }
    }
    let builds_before = portal.builds.load(Ordering::SeqCst);
    let _building = portal.building.lock().await;
    if portal.builds.load(Ordering::SeqCst) != builds_before {
        if let Some((current, _)) = portal.current_catalog(agency) {
            return Ok(current); // built while this request waited
        }
    }
    rebuild(state, &portal, agency).await
}

/// Build the index from the store and install it; built again (up to three times) when a
/// publication was saved meanwhile, so that no save is missed.
async fn rebuild(
    state: &AppState,
    portal: &Portal,
    agency: AgencyId,
) -> Result<Arc<Catalog>, AppError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let before = portal.changes.load(Ordering::SeqCst);
        let built = build_catalog(state, agency).await?;
        let unchanged = portal.changes.load(Ordering::SeqCst) == before;
        if unchanged || attempt >= 3 {
            *portal.catalog.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((agency, built.clone(), crate::now()));
            portal.builds.fetch_add(1, Ordering::SeqCst);
            return Ok(built);
        }
    }
}

async fn build_catalog(state: &AppState, agency: AgencyId) -> Result<Arc<Catalog>, AppError> {
    let records = state
        .db(move |s| {
            let mut records = Vec::new();
            let page = 2000;
            loop {
                let batch = s.list_publications(&PublicationFilter {
                    agency: Some(agency),
                    limit: Some(page),
                    offset: records.len() as i64,
                    ..Default::default()
                })?;
                let done = (batch.len() as i64) < page;
                records.extend(batch);
                if done {
                    break;
                }
            }
            Ok(records)
        })
        .await?;
    // Indexing is CPU work: on the blocking pool, but not inside `db` (which would hold a
    // database connection meanwhile).
    tokio::task::spawn_blocking(move || Catalog::build(records.iter()).map(Arc::new))
        .await
        .map_err(|e| AppError::Internal(format!("后台任务失败：{e}")))?
        .map_err(AppError::from)
}

/// Rebuild the catalog index from the store (after bulk changes to publications); returns
/// how many publications it holds.
pub async fn reindex(state: &AppState) -> Result<usize, AppError> {
    let portal = portal(state);
    let agency = agency(state).await?.id;
    let _building = portal.building.lock().await;
    Ok(rebuild(state, &portal, agency).await?.len())
}

/// Tell the portal that `record` has been saved to the store: the catalog index, if built
/// for the record's agency, is updated at once (a build under way builds again). Blocking —
/// a few milliseconds of indexing — so call it from `spawn_blocking` or inside `state.db`.
pub fn publication_saved(
    store: &Arc<dyn Store>,
    record: &PublicationRecord,
) -> Result<(), AppError> {
    let portal = portal_of(store, None);
    portal.changes.fetch_add(1, Ordering::SeqCst);
    if let Some((catalog, _)) = portal.current_catalog(record.agency) {
        catalog.upsert(record)?;
    }
    Ok(())
}

/// Save a publication to the store and make it searchable at once.
pub async fn save_publication(state: &AppState, record: PublicationRecord) -> Result<(), AppError> {
    record
        .publication
        .validate()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let store = state.store.clone();
    state
        .db(move |s| {
            s.save_publication(&record)?;
            publication_saved(&store, &record)
                .map_err(|e| gongkai_store::StoreError::Database(e.to_string()))
        })
        .await
}

// ── rate limits ─────────────────────────────────────────────────────────────────────────────

/// Count an event for `key` and say whether it is within `limit` per `window` seconds.
fn within_limit(
    map: &Mutex<HashMap<String, VecDeque<i64>>>,
    key: &str,
    limit: u32,
    window: i64,
    record: bool,
) -> bool {
    let now = crate::now();
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() > 100_000 {
        // Bounded memory under a flood of distinct addresses.
        map.retain(|_, times| times.back().is_some_and(|t| now - t < window));
        if map.len() > 100_000 {
            map.clear();
        }
    }
    let times = map.entry(key.to_string()).or_default();
    while times.front().is_some_and(|t| now - t >= window) {
        times.pop_front();
    }
    if times.len() >= limit as usize {
        return false;
    }
    if record {
        times.push_back(now);
    }
    true
}

/// Minutes until the oldest counted event leaves the window (for the message).
fn minutes_left(map: &Mutex<HashMap<String, VecDeque<i64>>>, key: &str, window: i64) -> i64 {
    let now = crate::now();
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    let oldest = map.get(key).and_then(|t| t.front().copied()).unwrap_or(now);
    ((oldest + window - now) as f64 / 60.0).ceil().max(1.0) as i64
}

// ── page shell ──────────────────────────────────────────────────────────────────────────────

const CSS: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%}\
body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",SimSun,sans-serif;\
margin:0;color:#1a1a1a;background:#f5f6f8;line-height:1.7;font-size:16px}\
a{color:#0a4f96}a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f0a500;outline-offset:1px}\
.skip{position:absolute;left:-999px}.skip:focus{left:.5em;top:.5em;background:#fff;padding:.3em .6em;z-index:9}\
header.site{background:#9e1b1b;color:#fff;padding:.6em 1em}\
header.site .agency{font-size:1.15em;font-weight:bold;color:#fff;text-decoration:none;display:block}\
header.site .sub{font-size:.85em;opacity:.9}\
nav.site{background:#7d1414;display:flex;flex-wrap:wrap;padding:0 .5em}\
nav.site a{color:#fff;text-decoration:none;padding:.55em .7em;display:inline-block}\
nav.site a[aria-current]{background:#5c0e0e;text-decoration:underline}\
main{max-width:52em;margin:0 auto;padding:1em}\
h1{font-size:1.45em;line-height:1.35;margin:.3em 0 .7em}h2{font-size:1.2em;margin:1.5em 0 .5em}h3{font-size:1.05em}\
.box{background:#fff;border:1px solid #d5d9df;border-radius:6px;padding:.9em 1.1em;margin:1em 0}\
.box>:first-child{margin-top:0}.box>:last-child{margin-bottom:0}\
.flash{background:#e8f1fc;border:1px solid #8fb6e8;padding:.7em 1em;border-radius:6px;margin:1em 0}\
.flash.error{background:#fdecee;border-color:#e29aa4}.flash.ok{background:#e8f5ea;border-color:#8cc79a}\
.muted{color:#555}.small{font-size:.88em}\
fieldset{border:1px solid #d5d9df;border-radius:6px;background:#fff;margin:1em 0;padding:.6em 1em 1em}\
legend{font-weight:bold;padding:0 .3em}\
.field{margin:.8em 0}.field label,.field .label{display:block;font-weight:bold;margin-bottom:.2em}\
.req{color:#b00020;font-weight:normal}\
.hint{display:block;color:#555;font-size:.88em;margin-top:.15em}\
input[type=text],input[type=email],input[type=tel],input[type=search],select,textarea{font:inherit;width:100%;max-width:100%;\
padding:.5em .6em;border:1px solid #8a929c;border-radius:4px;background:#fff;min-height:2.6em}\
textarea{min-height:8em}\
input[aria-invalid=true],textarea[aria-invalid=true],select[aria-invalid=true]{border:2px solid #b00020}\
fieldset.group{border:0;padding:0;margin:.8em 0;background:none}fieldset.group legend{padding:0;margin-bottom:.2em}\
.choices label{display:flex;gap:.5em;align-items:center;font-weight:normal;padding:.25em 0;min-height:2.2em}\
.choices input{width:1.25em;height:1.25em}\
button,.button{font:inherit;background:#0a4f96;color:#fff;border:0;border-radius:4px;padding:.6em 1.4em;cursor:pointer;\
text-decoration:none;display:inline-block;min-height:2.75em}\
.button.secondary{background:#e3e7ec;color:#1a1a1a}\
.code{font-family:ui-monospace,Consolas,monospace;font-size:1.5em;letter-spacing:.05em;background:#fff7d6;\
border:2px dashed #c9a400;padding:.2em .5em;display:inline-block;word-break:break-all}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;margin:0}dl.facts dt{color:#555}dl.facts dd{margin:0}\
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #c9ced6}\
ol.timeline li{padding:.2em 0 .8em 1em;position:relative}\
ol.timeline li:before{content:\"\";position:absolute;left:-.5em;top:.65em;width:.7em;height:.7em;border-radius:50%;background:#9e1b1b}\
ul.results{list-style:none;padding:0}ul.results li{background:#fff;border:1px solid #d5d9df;border-radius:6px;padding:.7em 1em;margin:.6em 0}\
ul.results .title{font-size:1.05em;font-weight:bold}\
mark{background:#ffe28a;color:inherit}\
.facets{display:flex;flex-wrap:wrap;gap:.3em .5em;margin:.4em 0}\
.facets a,.facets span{border:1px solid #c9ced6;border-radius:1em;padding:.1em .7em;text-decoration:none;background:#fff}\
.facets span[aria-current]{background:#9e1b1b;color:#fff;border-color:#9e1b1b}\
.searchbar{display:flex;gap:.5em;flex-wrap:wrap}.searchbar input{flex:1 1 14em}\
.pager{display:flex;gap:1em;margin:1em 0}\
.body-text{white-space:pre-wrap;background:#fff;border:1px solid #d5d9df;border-radius:6px;padding:1em;overflow-wrap:anywhere}\
.report-tables{overflow-x:auto}\
.report-tables table{border-collapse:collapse;margin:.6em 0;font-size:.85em;background:#fff}\
.report-tables th,.report-tables td{border:1px solid #555;padding:.2em .45em}\
.report-tables th{font-weight:normal;background:#f4f4f4}.report-tables td{text-align:right;min-width:2.6em}\
.report-tables td.text{text-align:left}.report-tables th.block{font-weight:bold;background:#e8e8e8}\
pre.narrative{white-space:pre-wrap;font-family:inherit;background:#fff;border:1px solid #d5d9df;padding:.8em;border-radius:6px}\
table.list{border-collapse:collapse;width:100%;background:#fff}table.list th,table.list td{border:1px solid #d5d9df;padding:.35em .6em;text-align:left}\
footer{color:#666;font-size:.85em;text-align:center;padding:2em 1em}\
@media (max-width:40em){main{padding:.6em}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4em}}\
@media print{nav.site,footer,.noprint,form{display:none}body{background:#fff}header.site{background:#fff;color:#000}\
header.site .agency{color:#000}}";

const NAV: &[(&str, &str)] = &[
    ("/public", "首页 · 公开指南"),
    ("/public/apply", "申请公开"),
    ("/public/track", "申请查询"),
    ("/public/catalog", "公开目录"),
    ("/public/reports", "年度报告"),
];

/// A public page: the agency's name, the portal navigation, the body.
pub(crate) fn page(agency: Option<&str>, title: &str, current: &str, body: Markup) -> Html<String> {
    let site = match agency {
        Some(a) => format!("{a} 政府信息公开"),
        None => "政府信息公开".to_string(),
    };
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (site) }
                style { (PreEscaped(CSS)) }
            }
            body {
                a.skip href="#main" { "跳到正文" }
                header.site {
                    a.agency href="/public" { (site) }
                    span.sub { "依据《中华人民共和国政府信息公开条例》" }
                }
                nav.site aria-label="门户导航" {
                    @for (path, label) in NAV {
                        @if *path == current {
                            a href=(path) aria-current="page" { (label) }
                        } @else {
                            a href=(path) { (label) }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                footer {
                    p { "本网站无需启用脚本即可使用全部功能。" }
                    p { a href="/login" { "工作人员登录" } }
                }
            }
        }
    };
    Html(markup.into_string())
}

/// An error of a portal page, shown in the portal's own shell (not the staff one).
#[derive(Debug)]
pub struct PortalError(pub AppError);

impl<E: Into<AppError>> From<E> for PortalError {
    fn from(e: E) -> PortalError {
        PortalError(e.into())
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        if let AppError::Internal(msg) = &self.0 {
            eprintln!("内部错误：{msg}");
        }
        let status = self.0.status();
        let message = match &self.0 {
            AppError::Internal(_) => "服务器内部错误，请稍后再试。".to_string(),
            other => other.to_string(),
        };
        error_page(status, &message)
    }
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = html! {
        h1 { "无法完成请求" }
        p.flash.error role="alert" { (message) }
        p { a href="/public" { "返回门户首页" } }
    };
    (status, page(None, "出错了", "", body)).into_response()
}

/// Today in Beijing.
pub(crate) fn today() -> gongkai_core::date::Date {
    crate::today_beijing()
}

/// The key rate limits count under: the client's address — an IPv6 client by its /64, which
/// one household or phone can rotate through — or, behind a reverse proxy that the operator
/// declared with `GONGKAI_PORTAL_TRUST_PROXY=1`, the address the proxy appended last to
/// `X-Forwarded-For` (earlier entries are the client's to invent).
pub(crate) fn client_key(
    portal: &Portal,
    addr: &std::net::SocketAddr,
    headers: &axum::http::HeaderMap,
) -> String {
    let mut ip = addr.ip();
    if portal.config().trust_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back();
        if let Some(f) = forwarded {
            ip = f;
        }
    }
    match ip {
        std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        std::net::IpAddr::V4(v4) => v4.to_string(),
    }
}

/// Percent-encode a path segment or query value (RFC 3986 unreserved characters stay, so a
/// 查询码 like `20261123-7KQM-3PXD-W9HT` reads as itself in links).
pub(crate) fn enc(value: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, SET).to_string()
}
