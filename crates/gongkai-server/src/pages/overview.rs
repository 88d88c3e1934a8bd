//! 概览: agencies × years — who has filed, who is late, how many errors and warnings each
//! report has. Built from the summary columns only (one indexed query), so it stays fast with
//! tens of thousands of reports.

use crate::auth::Staff;
use crate::pages::opt_i64;
use crate::{ui, AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gongkai_store::{Agency, AgencyId, AgencyLevel, ReportFilter, ReportSummary};
use maud::html;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    year: Option<String>,
    region: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

const PAGE_SIZE: usize = 200;
const YEARS_SHOWN: usize = 5;

/// Everything the overview shows, computed once for the page and the exports.
pub struct OverviewData {
    pub years: Vec<i32>,
    pub focus_year: Option<i32>,
    /// Units (rows), each with its reports by year (latest report of a year wins).
    pub rows: Vec<(Agency, HashMap<i32, ReportSummary>)>,
    pub regions: Vec<Agency>,
    pub without_year: usize,
}

pub async fn load(
    state: &AppState,
    year: Option<i32>,
    region: Option<AgencyId>,
    search: &str,
) -> Result<OverviewData, AppError> {
    let search = search.trim().to_string();
    state
        .db(move |s| {
            let agencies = s.agencies()?;
            let scope: Option<BTreeSet<AgencyId>> = match region {
                Some(r) => Some(s.agency_and_descendants(r)?.into_iter().collect()),
                None => None,
            };
            let filter = ReportFilter {
                agencies: scope.iter().flatten().copied().collect(),
                ..ReportFilter::default()
            };
            let summaries = s.list_reports(&filter)?;
            let all_years: BTreeSet<i32> = summaries.iter().filter_map(|r| r.year).collect();
            let focus_year = year.or_else(|| all_years.iter().next_back().copied());
            let years: Vec<i32> = match focus_year {
                Some(f) => all_years
                    .iter()
                    .copied()
                    .filter(|y| *y <= f)
                    .rev()
                    .take(YEARS_SHOWN)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect(),
                None => vec![],
            };
            let mut by_agency: HashMap<AgencyId, HashMap<i32, ReportSummary>> = HashMap::new();
            let mut without_year = 0;
            for r in summaries {
                match r.year {
                    Some(y) => {
                        let slot = by_agency.entry(r.agency).or_default();
                        match slot.get(&y) {
                            Some(existing) if existing.imported_at > r.imported_at => {}
                            _ => {
                                slot.insert(y, r);
                            }
                        }
                    }
                    None => without_year += 1,
                }
            }
            let regions: Vec<Agency> = agencies
                .iter()
                .filter(|a| a.level != AgencyLevel::Department)
                .cloned()
                .collect();
            let with_reports: BTreeSet<AgencyId> = by_agency.keys().copied().collect();
            let rows = agencies
                .into_iter()
                .filter(|a| a.level == AgencyLevel::Department || with_reports.contains(&a.id))
                .filter(|a| scope.as_ref().is_none_or(|sc| sc.contains(&a.id)))
                .filter(|a| search.is_empty() || a.name.contains(&search))
                .map(|a| {
                    let reports = by_agency.remove(&a.id).unwrap_or_default();
                    (a, reports)
                })
                .collect();
            Ok(OverviewData {
                years,
                focus_year,
                rows,
                regions,
                without_year,
            })
        })
        .await
}

/// `/`: staff see the overview; everyone else is sent to the public portal (with a link to the
/// staff login there), so the site's front door works for the public.
pub async fn home(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    query: Query<OverviewQuery>,
) -> Result<Response, AppError> {
    use axum::response::IntoResponse;
    match crate::auth::session_of(&state, &headers).await {
        Some(staff) => Ok(overview(State(state), staff, query).await?.into_response()),
        None => Ok(axum::response::Redirect::to("/public").into_response()),
    }
}

pub async fn overview(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<OverviewQuery>,
) -> Result<axum::response::Html<String>, AppError> {
    let year = crate::console::parse_year(q.year.as_deref())?;
    let region = opt_i64(&q.region)?.map(AgencyId);
    let search = q.q.clone().unwrap_or_default();
    let page = opt_i64(&q.page)?.unwrap_or(1).max(1) as usize;
    let data = load(&state, year, region, &search).await?;
    // The rules that fire most in the focus year's reports (of the region).
    let common_problems = match data.focus_year {
        Some(fy) => {
            state
                .db(move |s| {
                    let agencies = match region {
                        Some(r) => s.agency_and_descendants(r)?,
                        None => Vec::new(),
                    };
                    s.rule_counts(&gongkai_store::ReportFilter {
                        agencies,
                        year: Some(fy),
                        ..Default::default()
                    })
                })
                .await?
        }
        None => Vec::new(),
    };

    let focus = data.focus_year;
    let (mut filed, mut late, mut with_errors, mut missing) = (0, 0, 0, 0);
    if let Some(fy) = focus {
        for (_, reports) in &data.rows {
            match reports.get(&fy) {
                Some(r) => {
                    filed += 1;
                    late += usize::from(r.late == Some(true));
                    with_errors += usize::from(r.errors > 0);
                }
                None => missing += 1,
            }
        }
    }
    let pages = data.rows.len().div_ceil(PAGE_SIZE).max(1);
    let page = page.min(pages);
    let shown = data
        .rows
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE);
    let query_base = format!(
        "year={}&region={}&q={}",
        focus.map(|y| y.to_string()).unwrap_or_default(),
        region.map(|r| r.to_string()).unwrap_or_default(),
        ui::q(&search)
    );

    let body = html! {
        h1 { "报送概览" @if let Some(fy) = focus { "（" (fy) " 年度）" } }
        form.box method="get" action="/" {
            label { "年度 " input type="number" name="year" min="2007" max="2100" value=[focus]; }
            label { "地区/上级 "
                select name="region" {
                    option value="" { "全部" }
                    @for r in &data.regions {
                        option value=(r.id) selected[Some(r.id) == region] { (r.name) "（" (r.level.label_zh()) "）" }
                    }
                }
            }
            label { "单位名称包含 " input type="text" name="q" value=(search); }
            button type="submit" { "筛选" }
        }
        @if data.rows.is_empty() {
            p.flash { "还没有报告。" a href="/upload" { "导入报告" } "（支持 TXT、HTML、DOCX、PDF、XLSX 及 ZIP 压缩包）。" }
        } @else {
            @if let Some(fy) = focus {
                div.stats {
                    div { "已报送" b { (filed) } }
                    div { "未报送" b { (missing) } }
                    div { "逾期发布" b { (late) } }
                    div { "有错误" b { (with_errors) } }
                    div { "单位总数" b { (data.rows.len()) } }
                }
                p.muted { (fy) " 年度报告的法定发布期限：部门 " (fy + 1) "年1月31日，县级以上人民政府 " (fy + 1) "年3月31日。" }
                @if !common_problems.is_empty() {
                    details #common-problems {
                        summary { (fy) " 年度报告中最常见的问题（按检查规则）" }
                        table.grid {
                            thead { tr { th { "规则" } th { "说明" } th { "级别" } th { "涉及报告" } th { "问题数" } } }
                            tbody { @for c in common_problems.iter().take(12) { tr {
                                td { code { (c.rule) } }
                                td { (rule_description(&c.rule)) }
                                td { (severity_zh(&c.severity)) }
                                td.num { (c.reports) }
                                td.num { (c.findings) }
                            } } }
                        }
                        p.muted { "按已导入的全部报告统计（同一单位同一年度导入多份时都计入）。规则说明见 " code { "gongkai rules" } "。" }
                    }
                }
            }
            @if data.without_year > 0 {
                p.warn { (data.without_year) " 份报告未能识别年度，见 " a href="/reports" { "报告列表" } "。" }
            }
            p {
                "导出本表："
                a href={ "/export/overview/xlsx?" (query_base) } { "Excel（XLSX）" } " · "
                a href={ "/export/overview/csv?" (query_base) } { "CSV" } " · "
                a href="/export/reports.jsonl" { "全部报告（JSON Lines）" }
            }
            div.scroll {
                table.grid #overview {
                    thead { tr {
                        th scope="col" { "单位" }
                        @for y in &data.years { th scope="col" { (y) " 年度" } }
                    } }
                    tbody {
                        @for (agency, reports) in shown {
                            tr {
                                th scope="row" { a href={ "/agencies/" (agency.id) } { (agency.name) } }
                                @for y in &data.years {
                                    @match reports.get(y) {
                                        Some(r) => {
                                            td class=(if r.errors > 0 { "cell-err" } else if r.warnings > 0 { "cell-warn" } else { "cell-ok" }) {
                                                a href={ "/reports/" (r.id) } { (ui::finding_counts(r.errors, r.warnings)) }
                                                @if r.late == Some(true) { " " span.late title={ "发布于 " (r.published_on.clone().unwrap_or_default()) } { "逾期" } }
                                            }
                                        }
                                        None => { td.missing { "未报送" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if pages > 1 {
                p.pager {
                    @for p in 1..=pages {
                        @if p == page { span { b { (p) } } } @else { a href={ "/?" (query_base) "&page=" (p) } { (p) } }
                    }
                }
            }
        }
    };
    Ok(ui::page("报送概览", Some(&staff), "/", body))
}

/// The rule's description from the catalogue (the id itself for an unknown rule).
pub fn rule_description(rule: &str) -> &str {
    gongkai_core::rules::RULES
        .iter()
        .find(|(id, _, _)| *id == rule)
        .map(|(_, _, description)| *description)
        .unwrap_or(rule)
}

fn severity_zh(severity: &str) -> &str {
    match severity {
        "error" => "错误",
        "warning" => "警告",
        "info" => "提示",
        other => other,
    }
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    year: Option<String>,
    region: Option<String>,
    q: Option<String>,
}

/// The overview as a flat table (one row per unit and year) in XLSX or CSV.
pub async fn export(
    State(state): State<AppState>,
    _staff: Staff,
    Path(format): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let year = crate::console::parse_year(q.year.as_deref())?;
    let region = opt_i64(&q.region)?.map(AgencyId);
    let data = load(&state, year, region, q.q.as_deref().unwrap_or("")).await?;
    let headers = [
        "单位",
        "年度",
        "报送情况",
        "发布日期",
        "是否逾期",
        "错误",
        "警告",
        "提示",
        "格式版本",
        "文件",
    ];
    let mut rows = Vec::new();
    for (agency, reports) in &data.rows {
        for y in &data.years {
            use crate::pages::analysis::Cell;
            let row = match reports.get(y) {
                Some(r) => vec![
                    Cell::Text(agency.name.clone()),
                    Cell::Number(*y as f64),
                    Cell::Text("已报送".into()),
                    Cell::Text(r.published_on.clone().unwrap_or_default()),
                    Cell::Text(match r.late {
                        Some(true) => "逾期".into(),
                        Some(false) => "按时".into(),
                        None => "未知".into(),
                    }),
                    Cell::Number(r.errors as f64),
                    Cell::Number(r.warnings as f64),
                    Cell::Number(r.infos as f64),
                    Cell::Text(r.generation.clone()),
                    Cell::Text(r.file_name.clone()),
                ],
                None => vec![
                    Cell::Text(agency.name.clone()),
                    Cell::Number(*y as f64),
                    Cell::Text("未报送".into()),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                ],
            };
            rows.push(row);
        }
    }
    crate::pages::analysis::table_download(&format, "报送概览", &headers, &rows)
}
