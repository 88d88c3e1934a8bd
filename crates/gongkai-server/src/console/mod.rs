//! 工作台 — the staff console of one agency's register of 政府信息公开申请.
//!
//! The supervision centre reads reports other units have published; the console is where a
//! unit keeps the register those reports are computed from: requests (intake, the statutory
//! clock, every step the 条例 allows, in an append-only log), 行政复议/诉讼 cases, the catalog of
//! proactively published documents, the table-二 figures that come from other systems, the
//! import of the Excel ledgers (台账) units keep today, and the annual report computed from all
//! of it.
//!
//! Why it looks the way it does:
//!
//! * **The law lives in `gongkai-core`.** Every change of a request goes through
//!   `Request::apply`; the page offers one form per action `Request::allowed_actions` returns,
//!   and a crafted POST for anything else gets the core's Chinese message (“当前状态为…不能执行…”)
//!   with 409 and nothing stored. Dates are `Date`s: `2024-02-30` is refused with the reason,
//!   never rolled over; an event cannot be dated after today (Beijing time).
//! * **One agency at a time.** The register belongs to an agency. The console works on the
//!   agency chosen on `/console` (remembered in the `gk_agency` cookie); every link and form
//!   also carries `?agency=ID`, so two tabs on two agencies do not interfere.
//! * **Roles, scope and audit.** Viewers read; every change needs the Supervisor role, a valid
//!   CSRF token, and is written to the audit log (`/console/audit`) with the unit it concerns.
//!   A user with a 单位范围 (`User::agency`) opens only that unit and the units under it —
//!   the queue, every request page and form, the audit log — and gets 403 for any other;
//!   registers hold applicants' personal data, so this is checked on every console route
//!   (the `Desk` extractor, and the request pages, which find the unit from the request).
//! * **Concurrent clerks.** Each action form carries the log length it was rendered from;
//!   the store refuses an append that does not follow the stored log, so the second of two
//!   clerks acting on the same request is told to reload instead of acting on a stale state.
//! * **Privacy.** 证件号码, 电话, 地址, 邮箱 are kept in the store's private columns and shown only
//!   here; the request JSON (which the public tracking page reads) carries only a pseudonymous
//!   applicant key for counting 按件 fees.

pub mod attachments;
pub mod ledger;
pub mod queue;
pub mod records;
pub mod report;
pub mod requests;

use crate::auth::{self, Staff};
use crate::{ui, AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_store::{Agency, AgencyId};
use maud::{html, Markup};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Cookie remembering the agency chosen on `/console`.
pub const AGENCY_COOKIE: &str = "gk_agency";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(queue::index))
        .route("/console/agency", post(queue::choose_agency))
        .route("/console/audit", get(queue::audit))
        .route(
            "/console/requests/new",
            get(requests::intake_form).post(requests::intake),
        )
        .route("/console/requests/{code}", get(requests::detail))
        .route("/console/requests/{code}/events", post(requests::event))
        .route(
            "/console/requests/{code}/attachments",
            post(attachments::add),
        )
        .route(
            "/console/requests/{code}/contact",
            post(requests::update_contact),
        )
        .route(
            "/console/requests/{code}/applicant",
            post(requests::correct_applicant),
        )
        .route(
            "/console/requests/{code}/attachments/{id}",
            get(attachments::fetch),
        )
        .route(
            "/console/appeals",
            get(records::appeals).post(records::create_appeal),
        )
        .route("/console/appeals/decide", post(records::decide_appeal))
        .route(
            "/console/publications",
            get(records::publications).post(records::create_publication),
        )
        .route(
            "/console/publications/repeal",
            post(records::repeal_publication),
        )
        .route(
            "/console/counts",
            get(records::counts).post(records::save_counts),
        )
        .route("/console/report", get(report::page))
        .route("/console/report/export/{format}", get(report::export))
        .route("/console/report/download", post(report::download_edited))
        .route("/console/ledger", get(ledger::page).post(ledger::upload))
        .route("/console/ledger/template.csv", get(ledger::template))
        .route("/console/ledger/export/{format}", get(ledger::export))
}

/// A console request: the logged-in staff member and the agency whose register is open.
///
/// The agency comes from `?agency=ID`, else from the `gk_agency` cookie; without either the
/// browser is sent to `/console` to choose one.
pub struct Desk {
    pub staff: Staff,
    pub agency: Agency,
}

#[derive(Deserialize)]
struct AgencyQuery {
    #[serde(default)]
    agency: Option<String>,
}

/// The agency id named by `?agency=` (`Err` when present but not a number).
pub fn query_agency(uri: &axum::http::Uri) -> Result<Option<i64>, AppError> {
    let q = axum::extract::Query::<AgencyQuery>::try_from_uri(uri)
        .map(|q| q.0.agency)
        .unwrap_or(None);
    match q.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("单位编号“{s}”无效"))),
    }
}

/// The agency chosen in the cookie, if any.
pub fn cookie_agency(headers: &axum::http::HeaderMap) -> Option<i64> {
    auth::cookie(headers, AGENCY_COOKIE).and_then(|v| v.parse().ok())
}

impl FromRequestParts<AppState> for Desk {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Desk, Response> {
        let staff = Staff::from_request_parts(parts, state).await?;
        let explicit = query_agency(&parts.uri).map_err(IntoResponse::into_response)?;
        let remembered = cookie_agency(&parts.headers);
        match resolve_agency(state, &staff, explicit, remembered).await {
            Ok(Some(agency)) => Ok(Desk { staff, agency }),
            Ok(None) => Err(Redirect::to("/console").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The unit the console works on: the one named by `?agency=` (which must exist and lie in
/// the user's 单位范围), else the one remembered in the cookie (ignored when gone or out of
/// scope — a shared browser), else the user's own scope unit; `None` when the user must choose.
pub async fn resolve_agency(
    state: &AppState,
    staff: &Staff,
    explicit: Option<i64>,
    remembered: Option<i64>,
) -> Result<Option<Agency>, AppError> {
    if let Some(id) = explicit {
        let agency = state
            .db(move |s| s.agency(AgencyId(id)))
            .await?
            .ok_or_else(|| AppError::NotFound(format!("单位 {id}")))?;
        auth::ensure_in_scope(state, &staff.user, &agency).await?;
        return Ok(Some(agency));
    }
    if let Some(id) = remembered {
        if let Some(agency) = state.db(move |s| s.agency(AgencyId(id))).await? {
            if auth::ensure_in_scope(state, &staff.user, &agency)
                .await
                .is_ok()
            {
                return Ok(Some(agency));
            }
        }
    }
    match staff.user.agency {
        Some(own) => Ok(state.db(move |s| s.agency(own)).await?),
        None => Ok(None),
    }
}

/// `path` with `agency=ID` appended to its query.
pub fn href(agency: AgencyId, path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}agency={agency}")
}

/// Characters left as they are in a path segment (tracking codes stay readable: `GK-2024-…`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The detail page of request `code`.
pub fn request_path(code: &str) -> String {
    format!(
        "/console/requests/{}",
        percent_encoding::utf8_percent_encode(code, SEGMENT)
    )
}

/// The console's own navigation, under the site header.
fn subnav(agency: &Agency, current: &str) -> Markup {
    const LINKS: &[(&str, &str)] = &[
        ("/console", "申请队列"),
        ("/console/requests/new", "登记申请"),
        ("/console/ledger", "台账导入"),
        ("/console/appeals", "复议诉讼"),
        ("/console/publications", "主动公开"),
        ("/console/counts", "表二数据"),
        ("/console/report", "年度报告"),
        ("/console/audit", "操作记录"),
    ];
    html! {
        nav.box aria-label="工作台导航" {
            b { (agency.name) } " "
            a.muted href="/console?choose=1" { "（切换单位）" }
            " · "
            @for (i, (path, label)) in LINKS.iter().enumerate() {
                @if i > 0 { " · " }
                @if *path == current {
                    a href=(href(agency.id, path)) aria-current="page" { b { (label) } }
                } @else {
                    a href=(href(agency.id, path)) { (label) }
                }
            }
        }
    }
}

/// A console page: the site shell, the console navigation, then `body`.
pub fn shell(
    staff: &Staff,
    agency: &Agency,
    current: &str,
    title: &str,
    body: Markup,
) -> Html<String> {
    ui::page(
        title,
        Some(staff),
        "/console",
        html! {
            (subnav(agency, current))
            (body)
        },
    )
}

/// A page with a status (a form shown again with its error).
pub fn with_status(status: StatusCode, page: Html<String>) -> Response {
    (status, page).into_response()
}

/// An error banner.
pub fn flash_error(message: &str) -> Markup {
    html! { p.flash.error role="alert" { (message) } }
}

/// A success banner.
pub fn flash_ok(message: &str) -> Markup {
    html! { p.flash role="status" { (message) } }
}

/// Today's date in Beijing (UTC+8), the date every deadline is compared with.
pub fn today() -> Date {
    crate::today_beijing()
}

/// Recompute the clocks of open requests on `cal` and store the ones that changed — after the
/// administrator added a year, the requests whose deadline fell into it get their due date.
/// The event log is not touched (the clock is derived state). Returns how many changed.
pub fn refresh_clocks(
    store: &dyn gongkai_store::Store,
    cal: &Calendar,
) -> Result<usize, gongkai_store::StoreError> {
    let open = store.list_requests(&gongkai_store::RequestFilter {
        open_only: true,
        ..Default::default()
    })?;
    let mut changed = 0;
    for summary in open {
        let Some(stored) = store.request(&summary.code)? else {
            continue;
        };
        let mut refreshed = stored.request.clone();
        refreshed.refresh_clock(cal);
        if refreshed != stored.request {
            match store.append_request_events(
                &summary.code,
                stored.request.log.len(),
                &refreshed,
                None,
            ) {
                Ok(()) => changed += 1,
                // Someone acted on it meanwhile: their event computed the clock already.
                Err(gongkai_store::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(changed)
}

/// The server's working-day calendar (built-in data plus the administrator's file).
pub fn calendar(state: &AppState) -> Arc<Calendar> {
    state.config.calendar.clone()
}

/// Rewrite the ways people type dates (`2024/3/5`, `2024.3.5`, `2024年3月5日`, `20240305`,
/// `2024-03-05 10:00`) as `YYYY-M-D` for [`Date::parse`].
pub fn normalize_date_text(text: &str) -> String {
    let t = text.trim();
    // A time after the date (`2024-03-05 10:00:00`, `2024-03-05T10:00`).
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]);
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '/' | '.' | '年' | '月' | '－' | '—' => out.push('-'),
            '日' | '号' => {}
            c => out.push(c),
        }
    }
    out
}

/// A required date field: `label` names the field in the message.
pub fn parse_date(label: &str, value: &str) -> Result<Date, String> {
    if value.trim().is_empty() {
        return Err(format!("请填写{label}"));
    }
    Date::parse(&normalize_date_text(value)).map_err(|e| format!("{label}：{e}"))
}

/// An optional date field (blank = `None`).
pub fn parse_opt_date(label: &str, value: &str) -> Result<Option<Date>, String> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(label, value).map(Some)
    }
}

/// Refuse a date after today: events are recorded after they happen.
pub fn not_future(label: &str, date: Date, today: Date) -> Result<Date, String> {
    if date > today {
        Err(format!(
            "{label}{date}晚于今天（{today}），不能登记尚未发生的事项"
        ))
    } else {
        Ok(date)
    }
}

/// A value's serde name (`natural_person`, `in_consultation` …), for form values.
pub fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The value whose serde name is `name`.
pub fn from_serde_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_string())).ok()
}

/// The status's Chinese label from its serde name (the queue's column).
pub fn status_label(name: &str) -> String {
    from_serde_name::<gongkai_core::lifecycle::Status>(name)
        .map(|s| s.label_zh().to_string())
        .unwrap_or_else(|| name.to_string())
}

/// `text` cut to `max` characters with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// A year query value (blank = `None`).
pub fn parse_year(value: Option<&str>) -> Result<Option<i32>, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => match s.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Ok(Some(y)),
            _ => Err(AppError::BadRequest(format!("年度“{s}”无效"))),
        },
    }
}

/// Characters from an alphabet without look-alikes (no 0/O, 1/I/L, and no U, as in Crockford's
/// base 32), from random bytes (rejection sampling, so every character is equally likely).
pub fn random_suffix(len: usize) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| AppError::Internal(format!("随机数不可用：{e}")))?;
        for b in bytes {
            if b < limit && out.len() < len {
                out.push(ALPHABET[(b as usize) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// A tracking code (查询码) like `GK-2024-7F3K-9QXM-W2HT`: the year of receipt and 12 random
/// characters (≈ 59 bits) that cannot be misread on the phone or on paper. Long enough to be
/// given to the applicant for the portal's tracking page ([`is_public_staff_code`]).
pub fn tracking_code(year: i32) -> Result<String, AppError> {
    let r = random_suffix(12)?;
    Ok(format!("GK-{year}-{}-{}-{}", &r[..4], &r[4..8], &r[8..]))
}

/// Whether a staff-registered code has the long form ([`tracking_code`]) and may be looked up
/// on the portal. Older 6-character codes (`GK-2024-7F3K9Q`, ≈ 29 bits) stay staff-only: too
/// short to be safe against guessing.
pub fn is_public_staff_code(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    matches!(parts.as_slice(), ["GK", year, a, b, c]
        if year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && [a, b, c].iter().all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphanumeric())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_typed() {
        let d = |s: &str| parse_date("日期", s).map(|d| d.to_string());
        assert_eq!(d("2024-03-05").unwrap(), "2024-03-05");
        assert_eq!(d("2024/3/5").unwrap(), "2024-03-05");
        assert_eq!(d("2024.3.5").unwrap(), "2024-03-05");
        assert_eq!(d("2024年3月5日").unwrap(), "2024-03-05");
        assert_eq!(d("20240305").unwrap(), "2024-03-05");
        assert_eq!(d(" 2024-03-05 10:00:00 ").unwrap(), "2024-03-05");
        let err = d("2024-02-30").unwrap_err();
        assert!(err.contains("2024年2月只有29天"), "{err}");
        assert!(d("明天").unwrap_err().starts_with("日期："));
        assert_eq!(d("").unwrap_err(), "请填写日期");
        assert_eq!(parse_opt_date("日期", " ").unwrap(), None);
    }

    #[test]
    fn future_dates_are_refused() {
        let t = Date::parse("2024-05-01").unwrap();
        assert!(not_future("答复日期", Date::parse("2024-05-01").unwrap(), t).is_ok());
        let err = not_future("答复日期", Date::parse("2024-05-02").unwrap(), t).unwrap_err();
        assert!(err.contains("晚于今天"), "{err}");
    }

    #[test]
    fn codes_are_unambiguous() {
        for _ in 0..50 {
            let code = tracking_code(2024).unwrap();
            assert_eq!(code.len(), "GK-2024-7F3K-9QXM-W2HT".len());
            assert!(code.starts_with("GK-2024-"));
            assert!(
                !code[8..].contains(['0', 'O', '1', 'I', 'L', 'U']),
                "{code}"
            );
            assert!(is_public_staff_code(&code), "{code}");
        }
        for short in [
            "GK-2024-7F3K9Q",
            "GK-2024-7F3K-9QXM",
            "XX-2024-7F3K-9QXM-W2HT",
            "",
        ] {
            assert!(!is_public_staff_code(short), "{short}");
        }
    }

    #[test]
    fn serde_names_round_trip() {
        use gongkai_core::lifecycle::{ApplicantType, Status};
        assert_eq!(serde_name(&ApplicantType::LegalServices), "legal_services");
        assert_eq!(
            from_serde_name::<Status>("in_consultation"),
            Some(Status::InConsultation)
        );
        assert_eq!(status_label("answered"), "已答复");
        assert_eq!(href(AgencyId(3), "/console"), "/console?agency=3");
        assert_eq!(
            request_path("GK-2024-7F3K-9QXM-W2HT"),
            "/console/requests/GK-2024-7F3K-9QXM-W2HT"
        );
        assert_eq!(request_path("a/b c"), "/console/requests/a%2Fb%20c");
        assert_eq!(
            href(AgencyId(3), "/console?year=2024"),
            "/console?year=2024&agency=3"
        );
    }
}
