//! 政府信息公开工作年度报告 of past years: the agency's reports held by the supervision
//! centre, listed by year and rendered for the public — the tables and the narrative only.
//! The checks the centre runs on a report (findings) are staff work and are not shown; neither
//! is the uploaded file's name nor who imported it. A report of another agency is "not found".

use super::{page, PortalError};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use gongkai_store::{ReportFilter, ReportId};
use maud::{html, PreEscaped};

pub async fn list(State(state): State<AppState>) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let agency_id = agency.id;
    let reports = state
        .db(move |s| {
            s.list_reports(&ReportFilter {
                agencies: vec![agency_id],
                ..Default::default()
            })
        })
        .await?;
    let body = html! {
        h1 { "政府信息公开工作年度报告" }
        p { "依据《政府信息公开条例》第四十九条，" (agency.name) "于每年 1 月 31 日前公布上一年度的政府信息公开工作年度报告。" }
        @if reports.is_empty() {
            p.muted { "暂无已公布的年度报告。" }
        } @else {
            table.list {
                thead { tr { th scope="col" { "年度" } th scope="col" { "发布日期" } th scope="col" { "报告" } } }
                tbody {
                    @for r in &reports {
                        tr {
                            td { (r.year.map(|y| format!("{y}年度")).unwrap_or_else(|| "年度未识别".into())) }
                            td { (r.published_on.clone().unwrap_or_default()) }
                            td { a href={ "/public/reports/" (r.id) } {
                                (agency.name) " " (r.year.map(|y| y.to_string()).unwrap_or_default()) "年政府信息公开工作年度报告" } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(Some(&agency.name), "年度报告", "/public/reports", body).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let not_found = || AppError::NotFound(format!("年度报告“{id}”"));
    let Ok(report_id) = id.parse::<i64>() else {
        return Err(not_found().into());
    };
    let stored = state
        .db(move |s| s.report(ReportId(report_id)))
        .await?
        .filter(|r| r.summary.agency == agency.id)
        .ok_or_else(not_found)?;
    let s = &stored.summary;
    let report = &stored.report;
    let title = format!(
        "{} {}年政府信息公开工作年度报告",
        agency.name,
        s.year.map(|y| y.to_string()).unwrap_or_default()
    );
    // The tables without findings: no highlighted cells, no staff remarks.
    let tables = gongkai_render::tables_html(report, &[]);
    let body = html! {
        p.small { a href="/public/reports" { "← 年度报告" } }
        h1 { (title) }
        @if let Some(p) = &s.published_on { p.muted { "发布日期：" (p) } }
        @for (section, text) in &report.narrative {
            h2 { (section) }
            pre.narrative { (text.trim()) }
        }
        @if !tables.trim().is_empty() {
            h2 { "统计表" }
            div.report-tables { (PreEscaped(tables)) }
        }
    };
    Ok(page(Some(&agency.name), &title, "/public/reports", body).into_response())
}
