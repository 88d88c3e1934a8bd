//! 单位: the hierarchy (province → city → county → department), one unit's reports over the
//! years with a chart, and editing a unit's place (supervisor).

use crate::auth::Staff;
use crate::pages::analysis;
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::{Agency, AgencyId, AgencyLevel, ReportFilter, Role};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use std::collections::HashMap;

const LEVELS: [AgencyLevel; 4] = [
    AgencyLevel::Province,
    AgencyLevel::City,
    AgencyLevel::County,
    AgencyLevel::Department,
];

#[derive(Deserialize)]
pub struct ListQuery {
    /// How many units the last 按名称归入地区 placed.
    #[serde(default)]
    placed: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let agencies = state.db(|s| s.agencies()).await?;
    let unplaced = agencies
        .iter()
        .filter(|a| a.parent.is_none() && a.level != AgencyLevel::Province)
        .count();
    let may_place = staff.user.role.allows(Role::Supervisor) && staff.user.agency.is_none();
    let mut children: HashMap<Option<AgencyId>, Vec<&Agency>> = HashMap::new();
    for a in &agencies {
        children.entry(a.parent).or_default().push(a);
    }
    fn tree(
        node: Option<AgencyId>,
        children: &HashMap<Option<AgencyId>, Vec<&Agency>>,
        depth: usize,
    ) -> Markup {
        html! {
            @if let Some(list) = children.get(&node) {
                @if depth < 16 {
                    ul {
                        @for a in list {
                            li {
                                a href={ "/agencies/" (a.id) } { (a.name) }
                                " " span.muted { (a.level.label_zh()) }
                                (tree(Some(a.id), children, depth + 1))
                            }
                        }
                    }
                }
            }
        }
    }
    let body = html! {
        h1 { "单位（共 " (agencies.len()) " 个）" }
        @if let Some(n) = q.placed {
            p.flash role="status" { "已按名称将 " (n) " 个单位归入地区。" }
        }
        p.muted {
            "导入报告时，报告中的单位自动加入为“部门/单位”，并按名称归入已有的地区（如“示例县财政局”归入“示例县”，取名称最长的匹配）；"
            "在单位页面可设置其层级和上级，汇总和概览按此筛选。"
        }
        @if may_place && unplaced > 0 {
            form.box method="post" action="/agencies/place" {
                (ui::csrf_field(&staff))
                (unplaced) " 个单位尚无上级。先登记好省、市、县等地区后，可将名称以地区名开头的单位一次归入："
                " " button type="submit" { "按名称归入地区" }
            }
        }
        div.box { (tree(None, &children, 0)) }
    };
    Ok(ui::page("单位", Some(&staff), "/agencies", body).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let id = AgencyId(id);
    let (agency, agencies, summaries, reports) = state
        .db(move |s| {
            let agency = s
                .agency(id)?
                .ok_or_else(|| gongkai_store::StoreError::NotFound(format!("单位 {id}")))?;
            let filter = ReportFilter {
                agencies: vec![id],
                ..ReportFilter::default()
            };
            let summaries = s.list_reports(&filter)?;
            let mut reports = Vec::new();
            for r in summaries.iter().take(30) {
                if let (Some(year), Some(full)) = (r.year, s.report(r.id)?) {
                    reports.push((year, full.report));
                }
            }
            Ok((agency, s.agencies()?, summaries, reports))
        })
        .await?;
    let parent = agency
        .parent
        .and_then(|p| agencies.iter().find(|a| a.id == p));
    let chart = analysis::outcomes_by_year_chart(&reports);
    let body = html! {
        h1 { (agency.name) }
        p { (agency.level.label_zh())
            @if let Some(p) = parent { " · 上级：" a href={ "/agencies/" (p.id) } { (p.name) } }
            " · " a href={ "/rollup?agency=" (agency.id) } { "汇总本单位及下属单位" }
        }
        @if !chart.is_empty() {
            h2 { "历年依申请公开办理结果" }
            div.box { (PreEscaped(chart)) }
        }
        h2 { "报告" }
        @if summaries.is_empty() { p.muted { "没有该单位的报告。" } }
        @else { (crate::pages::reports::summary_table(&summaries)) }
        @if staff.user.role.allows(Role::Supervisor) && staff.user.agency.is_none() {
            h2 { "层级设置" }
            form.box method="post" action={ "/agencies/" (agency.id) } {
                (ui::csrf_field(&staff))
                label { "层级 " select name="level" {
                    @for l in LEVELS { option value=(l.as_str()) selected[l == agency.level] { (l.label_zh()) } }
                } }
                label { "上级 " select name="parent" {
                    option value="" { "（无）" }
                    @for a in agencies.iter().filter(|a| a.id != agency.id && a.level != AgencyLevel::Department) {
                        option value=(a.id) selected[Some(a.id) == agency.parent] { (a.name) }
                    }
                } }
                button type="submit" { "保存" }
            }
        }
    };
    Ok(ui::page(&agency.name, Some(&staff), "/agencies", body).into_response())
}

#[derive(Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    level: String,
    #[serde(default)]
    parent: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Place every unit without a parent under its region by name.
pub async fn place_by_name(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.require_centre(Role::Supervisor)?;
    staff.check_csrf(&form.csrf)?;
    let placed = state.db(|s| s.place_unplaced_by_name()).await?;
    Ok(Redirect::to(&format!("/agencies?placed={}", placed.len())).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<PlaceForm>,
) -> Result<Response, AppError> {
    staff.require_centre(Role::Supervisor)?;
    staff.check_csrf(&form.csrf)?;
    let level = AgencyLevel::parse(&form.level)
        .ok_or_else(|| AppError::BadRequest(format!("未知层级“{}”", form.level)))?;
    let parent = match form.parent.trim() {
        "" => None,
        p => Some(AgencyId(p.parse().map_err(|_| {
            AppError::BadRequest(format!("上级“{p}”不是有效的单位编号"))
        })?)),
    };
    state
        .db(move |s| s.set_agency_place(AgencyId(id), level, parent))
        .await?;
    Ok(Redirect::to(&format!("/agencies/{id}")).into_response())
}
