//! `/console`: choosing the agency, the request queue (by due date, with overdue and due-soon
//! requests marked), and the audit log.
//!
//! “Due soon” is at most [`DUE_SOON_WORKING_DAYS`] working days before the due date, counted on
//! the built-in calendar from today in Beijing time; a request whose clock is paused or waiting
//! for a correction has no due date and no mark.

use super::{
    cookie_agency, href, parse_year, query_agency, resolve_agency, shell, status_label, today,
    Desk, AGENCY_COOKIE,
};
use crate::auth::{self, Staff};
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_store::{AgencyId, AgencyLevel, RequestFilter, Role, UserId};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// A request is marked “即将到期” when at most this many working days remain.
pub const DUE_SOON_WORKING_DAYS: u32 = 3;
const PAGE_SIZE: i64 = 100;

#[derive(Deserialize)]
pub struct QueueQuery {
    /// `open` (default) or `all`.
    #[serde(default)]
    show: Option<String>,
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    page: Option<String>,
    /// Show the agency list even when one is chosen.
    #[serde(default)]
    choose: Option<String>,
}

/// How close a due date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Past the due date by this many working days. 0 is shown as plain “已逾期” without a
    /// count: the days since were non-working days, or the calendar lacks a year in between
    /// (no count is invented then).
    Overdue(u32),
    /// This many working days left (0 = due today).
    DueSoon(u32),
    Normal,
}

/// The urgency of a due date on `today`.
pub fn urgency(cal: &Calendar, today: Date, due: Date) -> Urgency {
    if today > due {
        Urgency::Overdue(cal.working_days_between(due, today).unwrap_or(0))
    } else {
        match cal.working_days_between(today, due) {
            Ok(left) if left <= DUE_SOON_WORKING_DAYS => Urgency::DueSoon(left),
            _ => Urgency::Normal,
        }
    }
}

/// The mark shown next to a due date.
pub fn urgency_mark(u: Urgency) -> Markup {
    html! {
        @match u {
            Urgency::Overdue(0) => span.late data-urgency="overdue" { "已逾期" },
            Urgency::Overdue(n) => span.late data-urgency="overdue" { "已逾期 " (n) " 个工作日" },
            Urgency::DueSoon(0) => span.late data-urgency="due-soon" { "今日到期" },
            Urgency::DueSoon(n) => span.late data-urgency="due-soon" { "即将到期：剩 " (n) " 个工作日" },
            Urgency::Normal => {},
        }
    }
}

pub async fn index(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let explicit = query_agency(&uri)?;
    let agency = if q.choose.is_some() {
        None
    } else {
        resolve_agency(&state, &staff, explicit, cookie_agency(&headers)).await?
    };
    let Some(agency) = agency else {
        return chooser(&state, &staff).await;
    };
    let page = queue_page(&state, Desk { staff, agency }, &q).await?;
    match explicit {
        // Remember an explicit choice for links that do not carry it (bookmarks, the nav).
        Some(id) => Ok((
            [(
                header::SET_COOKIE,
                auth::set_cookie(&state, AGENCY_COOKIE, &id.to_string(), 365 * 86_400),
            )],
            page,
        )
            .into_response()),
        None => Ok(page.into_response()),
    }
}

async fn chooser(state: &AppState, staff: &Staff) -> Result<Response, AppError> {
    let mut agencies = state.db(|s| s.agencies()).await?;
    let scope = auth::scope_units(state, &staff.user).await?;
    if let Some(units) = &scope {
        agencies.retain(|a| units.contains(&a.id));
    }
    let body = html! {
        h1 { "工作台：选择单位" }
        p { "登记簿属于一个单位（行政机关）。请选择要办理的单位；选择会记在本浏览器中，可随时切换。" }
        @if agencies.is_empty() {
            p.muted { "还没有任何单位。" }
        } @else {
            ul.box #agencies {
                @for a in &agencies {
                    li { a href=(href(a.id, "/console")) { (a.name) } " " span.muted { (a.level.label_zh()) } }
                }
            }
        }
        @if scope.is_some() {
            p.muted { "本账号限定于上列单位（单位范围由管理员设置）。" }
        } @else if staff.user.role.allows(Role::Supervisor) {
            form.box method="post" action="/console/agency" {
                (ui::csrf_field(staff))
                label { "登记新单位 " input type="text" name="name" required maxlength="100" placeholder="例如：示例县数据资源局"; }
                button type="submit" { "登记并进入" }
            }
        }
    };
    Ok(ui::page("工作台", Some(staff), "/console", body).into_response())
}

#[derive(Deserialize)]
pub struct AgencyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Register (or find) an agency by name and open its register.
pub async fn choose_agency(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<AgencyForm>,
) -> Result<Response, AppError> {
    staff.require_centre(Role::Supervisor)?;
    staff.check_csrf(&form.csrf)?;
    let name = form.name.trim().to_string();
    let n = name.chars().count();
    if !(2..=100).contains(&n) {
        return Err(AppError::BadRequest("单位名称应为 2–100 个字".into()));
    }
    let user = staff.user.id;
    let id = state
        .db(move |s| {
            let id = s.ensure_agency(&name, AgencyLevel::Department, None)?;
            s.audit(Some(user), Some(id), "agency.open", &id.to_string(), &name)?;
            Ok(id)
        })
        .await?;
    Ok((
        [(
            header::SET_COOKIE,
            auth::set_cookie(&state, AGENCY_COOKIE, &id.to_string(), 365 * 86_400),
        )],
        Redirect::to(&href(id, "/console")),
    )
        .into_response())
}

async fn queue_page(
    state: &AppState,
    desk: Desk,
    q: &QueueQuery,
) -> Result<axum::response::Html<String>, AppError> {
    let open_only = q.show.as_deref() != Some("all");
    let year = parse_year(q.year.as_deref())?;
    let page = crate::pages::opt_i64(&q.page)?.unwrap_or(0).max(0);
    let filter = RequestFilter {
        agency: Some(desk.agency.id),
        open_only,
        received_year: year,
        limit: Some(PAGE_SIZE),
        offset: page * PAGE_SIZE,
    };
    let (rows, total) = state
        .db(move |s| Ok((s.list_requests(&filter)?, s.count_requests(&filter)?)))
        .await?;
    let cal = super::calendar(state);
    let today = today();
    let marks: Vec<Urgency> = rows
        .iter()
        .map(|r| match r.due_on {
            Some(due) => urgency(&cal, today, due),
            None => Urgency::Normal,
        })
        .collect();
    let overdue = marks
        .iter()
        .filter(|m| matches!(m, Urgency::Overdue(_)))
        .count();
    let soon = marks
        .iter()
        .filter(|m| matches!(m, Urgency::DueSoon(_)))
        .count();
    let agency = &desk.agency;
    let years: Vec<i32> = (2019..=today.year()).rev().collect();
    let page_link = |p: i64| {
        let mut path = format!("/console?page={p}");
        if !open_only {
            path.push_str("&show=all");
        }
        if let Some(y) = year {
            path.push_str(&format!("&year={y}"));
        }
        href(agency.id, &path)
    };
    let body = html! {
        h1 { "申请队列" }
        div.stats {
            div { b { (total) } (if open_only { "件办理中" } else { "件申请" }) }
            div { b.err { (overdue) } "件已逾期（本页）" }
            div { b.warn { (soon) } "件即将到期（本页）" }
        }
        form.box method="get" action="/console" {
            input type="hidden" name="agency" value=(agency.id);
            label { "范围 "
                select name="show" {
                    option value="open" selected[open_only] { "仅办理中" }
                    option value="all" selected[!open_only] { "全部" }
                }
            }
            label { "收到年度 "
                select name="year" {
                    option value="" selected[year.is_none()] { "全部年度" }
                    @for y in &years { option value=(y) selected[year == Some(*y)] { (y) "年" } }
                }
            }
            button type="submit" { "筛选" }
            " "
            @if desk.staff.user.role.allows(Role::Supervisor) {
                a.button.secondary href=(href(agency.id, "/console/requests/new")) { "登记新申请" }
            }
        }
        p.muted { "今天是 " (today) "（北京时间）。按答复期限排序；期限暂停（征求意见、收费、待补正）的申请排在最后。剩余 " (DUE_SOON_WORKING_DAYS) " 个工作日以内标为“即将到期”。" }
        @if rows.is_empty() {
            p { "没有符合条件的申请。" }
        } @else {
            div.scroll {
                table.grid #queue {
                    thead { tr {
                        th { "查询码" } th { "收到日期" } th { "申请人" } th { "申请内容" }
                        th { "状态" } th { "答复期限" } th { "办理结果" }
                    } }
                    tbody {
                        @for (r, m) in rows.iter().zip(&marks) {
                            tr data-code=(r.code) {
                                td { a href=(super::request_path(&r.code)) { code { (r.code) } } }
                                td { (r.received_on) }
                                td { (r.applicant_name) br; span.muted { (applicant_type_label(&r.applicant_type)) } }
                                td { (super::clip(&r.description, 40)) }
                                td { (status_label(&r.status)) }
                                td {
                                    @if let Some(due) = r.due_on { (due) " " (urgency_mark(*m)) }
                                    @else { span.muted { "—" } }
                                }
                                td { @if let Some(o) = &r.outcome { (outcome_label(o)) } }
                            }
                        }
                    }
                }
            }
            p.pager {
                @if page > 0 { a href=(page_link(page - 1)) { "上一页" } }
                span { "第 " (page + 1) " 页，共 " (((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)) " 页" }
                @if (page + 1) * PAGE_SIZE < total { a href=(page_link(page + 1)) { "下一页" } }
            }
        }
    };
    Ok(shell(&desk.staff, agency, "/console", "申请队列", body))
}

/// Applicant type label from its id.
pub fn applicant_type_label(id: &str) -> String {
    gongkai_core::lifecycle::ApplicantType::ALL
        .iter()
        .find(|t| t.id() == id || super::serde_name(*t) == id)
        .map(|t| t.label_zh().to_string())
        .unwrap_or_else(|| id.to_string())
}

/// Outcome label from its id.
pub fn outcome_label(id: &str) -> String {
    gongkai_core::lifecycle::Outcome::from_id(id)
        .map(|o| o.label_zh().to_string())
        .unwrap_or_else(|| id.to_string())
}

/// The audit log (most recent first).
pub async fn audit(State(state): State<AppState>, desk: Desk) -> Result<Response, AppError> {
    let scope = auth::scope_units(&state, &desk.staff.user).await?;
    let scoped = scope.is_some();
    let (entries, users, agencies) = state
        .db(move |s| {
            Ok((
                s.audit_log(300, scope.as_deref())?,
                s.users()?,
                s.agencies()?,
            ))
        })
        .await?;
    let names: HashMap<UserId, String> =
        users.into_iter().map(|u| (u.id, u.display_name)).collect();
    let units: HashMap<AgencyId, String> = agencies.into_iter().map(|a| (a.id, a.name)).collect();
    let body = html! {
        h1 { "操作记录" }
        p.muted {
            "工作台中每一次登记、办理、导入和修改都记录在此（最近 300 条，"
            @if scoped { "本账号单位范围内的单位" } @else { "所有单位" }
            "）。"
        }
        table.grid #audit {
            thead { tr { th { "时间" } th { "操作人" } th { "单位" } th { "操作" } th { "对象" } th { "说明" } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (ui::format_time(e.at)) }
                        td { (e.user.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "—".into())) }
                        td { (e.agency.and_then(|a| units.get(&a).cloned()).unwrap_or_else(|| "—".into())) }
                        td { (action_label(&e.action)) }
                        td { code { (e.target) } }
                        td { (e.detail) }
                    }
                }
            }
        }
    };
    Ok(shell(
        &desk.staff,
        &desk.agency,
        "/console/audit",
        "操作记录",
        body,
    )
    .into_response())
}

fn action_label(action: &str) -> &str {
    match action {
        "agency.open" => "登记/进入单位",
        "request.create" => "登记申请",
        "request.event" => "办理申请",
        "request.import" => "台账导入申请",
        "ledger.import" => "导入台账",
        "appeal.create" => "登记复议诉讼",
        "appeal.decide" => "登记审结",
        "publication.create" => "登记公开文件",
        "publication.repeal" => "登记废止",
        "counts.save" => "保存表二数据",
        "user.create" => "新建用户",
        "request.attachment" => "上传附件",
        "request.contact" => "修改联系方式",
        "request.applicant" => "更正申请人信息",
        "ledger.export" => "导出台账",
        "user.scope" => "设置单位范围",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_counts_working_days() {
        let cal = Calendar::builtin();
        let d = |s: &str| Date::parse(s).unwrap();
        // Fri 2024-03-08 with the due date Wed 2024-03-13: Mon, Tue, Wed = 3 left.
        assert_eq!(
            urgency(&cal, d("2024-03-08"), d("2024-03-13")),
            Urgency::DueSoon(3)
        );
        assert_eq!(
            urgency(&cal, d("2024-03-07"), d("2024-03-13")),
            Urgency::Normal
        );
        assert_eq!(
            urgency(&cal, d("2024-03-13"), d("2024-03-13")),
            Urgency::DueSoon(0)
        );
        assert_eq!(
            urgency(&cal, d("2024-03-15"), d("2024-03-13")),
            Urgency::Overdue(2)
        );
        // Over the National Day holiday: due Mon 2024-09-30, today Tue 2024-10-08.
        assert_eq!(
            urgency(&cal, d("2024-10-08"), d("2024-09-30")),
            Urgency::Overdue(1)
        );
        // Before the holiday, 2024-09-27 (Fri) to 2024-10-09: 09-29 (make-up), 09-30, 10-08, 10-09.
        assert_eq!(
            urgency(&cal, d("2024-09-27"), d("2024-10-09")),
            Urgency::Normal
        );
    }
}
