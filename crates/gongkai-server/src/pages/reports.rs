//! 报告: the list, one report in the official layout with its findings beside the tables, the
//! original document, exports of one report and of the whole dataset.

use crate::auth::Staff;
use crate::pages::opt_i64;
use crate::{ui, AppError, AppState};
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_core::{rules, Finding, Report, Severity};
use gongkai_store::{AgencyId, ReportFilter, ReportId, Role, StoredReport};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    agency: Option<String>,
    year: Option<String>,
    errors: Option<String>,
    page: Option<String>,
}

const PAGE_SIZE: i64 = 100;

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<axum::response::Html<String>, AppError> {
    let agency = opt_i64(&q.agency)?.map(AgencyId);
    let year = crate::console::parse_year(q.year.as_deref())?;
    let with_errors = q.errors.as_deref() == Some("1");
    let page = opt_i64(&q.page)?.unwrap_or(1).max(1);
    let filter = ReportFilter {
        agencies: agency.into_iter().collect(),
        year,
        with_errors,
        limit: Some(PAGE_SIZE),
        offset: (page - 1) * PAGE_SIZE,
    };
    let count_filter = ReportFilter {
        limit: None,
        offset: 0,
        ..filter.clone()
    };
    let (reports, total, agencies) = state
        .db(move |s| {
            Ok((
                s.list_reports(&filter)?,
                s.count_reports(&count_filter)?,
                s.agencies()?,
            ))
        })
        .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let base = format!(
        "agency={}&year={}&errors={}",
        agency.map(|a| a.to_string()).unwrap_or_default(),
        year.map(|y| y.to_string()).unwrap_or_default(),
        if with_errors { "1" } else { "" }
    );
    let body = html! {
        h1 { "报告（共 " (total) " 份）" }
        form.box method="get" action="/reports" {
            label { "单位 "
                select name="agency" {
                    option value="" { "全部" }
                    @for a in &agencies { option value=(a.id) selected[Some(a.id) == agency] { (a.name) } }
                }
            }
            label { "年度 " input type="number" name="year" min="2007" max="2100" value=[year]; }
            label { input type="checkbox" name="errors" value="1" checked[with_errors]; " 只看有错误的" }
            button type="submit" { "筛选" }
        }
        (summary_table(&reports))
        @if pages > 1 {
            p.pager { @for p in 1..=pages {
                @if p == page { span { b { (p) } } } @else { a href={ "/reports?" (base) "&page=" (p) } { (p) } }
            } }
        }
    };
    Ok(ui::page("报告", Some(&staff), "/reports", body))
}

/// A table of report summaries with links.
pub fn summary_table(reports: &[gongkai_store::ReportSummary]) -> Markup {
    html! {
        div.scroll { table.grid {
            thead { tr {
                th { "单位" } th { "年度" } th { "格式" } th { "发布日期" } th { "检查结果" } th { "文件" } th { "导入时间" }
            } }
            tbody {
                @for r in reports {
                    tr {
                        td { a href={ "/agencies/" (r.agency) } { (r.agency_name) } }
                        td { @if let Some(y) = r.year { (y) } @else { span.muted { "未识别" } } }
                        td { (ui::generation_short(&r.generation)) }
                        td { (r.published_on.clone().unwrap_or_default()) @if r.late == Some(true) { " " span.late { "逾期" } } }
                        td { a href={ "/reports/" (r.id) } { (ui::finding_counts(r.errors, r.warnings)) } }
                        td { a href={ "/reports/" (r.id) } { (r.file_name) } }
                        td { (ui::format_time(r.imported_at)) }
                    }
                }
            }
        } }
    }
}

async fn load(state: &AppState, id: i64) -> Result<StoredReport, AppError> {
    state
        .db(move |s| s.report(ReportId(id)))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("报告 {id}")))
}

/// The narrative compared with the same unit's report of the year before.
struct PreviousYear {
    report: ReportId,
    year: i32,
    similarity: f64,
}

/// Findings of the cross-year rule against the same agency's previous and next year, and how
/// much of the narrative repeats the previous year's (its newest import).
async fn cross_year(
    state: &AppState,
    stored: &StoredReport,
) -> Result<(Vec<Finding>, Option<PreviousYear>), AppError> {
    let Some(year) = stored.summary.year else {
        return Ok((vec![], None));
    };
    let agency = stored.summary.agency;
    let this_id = stored.summary.id;
    let neighbours = state
        .db(move |s| {
            let filter = ReportFilter {
                agencies: vec![agency],
                ..ReportFilter::default()
            };
            let mut out = Vec::new();
            for r in s.list_reports(&filter)? {
                if r.id != this_id && (r.year == Some(year - 1) || r.year == Some(year + 1)) {
                    if let Some(full) = s.report(r.id)? {
                        out.push((r.id, r.imported_at, full.report));
                    }
                }
            }
            Ok(out)
        })
        .await?;
    if neighbours.is_empty() {
        return Ok((vec![], None));
    }
    let previous = neighbours
        .iter()
        .filter(|(_, _, r)| r.year == Some(year - 1))
        .max_by_key(|(id, at, _)| (*at, *id))
        .map(|(id, _, r)| PreviousYear {
            report: *id,
            year: year - 1,
            similarity: gongkai_core::similarity::similarity(
                &gongkai_core::similarity::narrative_text(&stored.report),
                &gongkai_core::similarity::narrative_text(r),
            ),
        });
    let mut all: Vec<_> = neighbours.into_iter().map(|(_, _, r)| r).collect();
    let mut this = stored.report.clone();
    this.source = Some("本报告".into());
    all.push(this);
    let findings = rules::check_across(&all)
        .into_iter()
        .filter(|f| f.rule == "cross_year.carry_over" && f.source.as_deref() == Some("本报告"))
        .collect();
    Ok((findings, previous))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::response::Html<String>, AppError> {
    let stored = load(&state, id).await?;
    let mut findings = stored.findings.clone();
    // A store failure here is an error page, not a report silently missing its cross-year check.
    let (cross, previous) = cross_year(&state, &stored).await?;
    findings.extend(cross);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let s = &stored.summary;
    let report = &stored.report;
    let title = format!(
        "{} {}年度报告",
        s.agency_name,
        s.year
            .map(|y| y.to_string())
            .unwrap_or_else(|| "（年度未识别）".into())
    );
    let tables = gongkai_render::tables_html(report, &findings);
    let body = html! {
        h1 { (title) }
        div.box {
            p {
                "格式：" (generation_label(&s.generation)) " · 发布日期：" (s.published_on.clone().unwrap_or_else(|| "未识别".into()))
                @if s.late == Some(true) { " " span.late { "逾期发布" } }
                " · 检查：" (ui::finding_counts(s.errors, s.warnings))
            }
            p {
                "原始文件：" a href={ "/reports/" (s.id) "/original" } { (s.file_name) }
                " · 导入于 " (ui::format_time(s.imported_at))
            }
            p {
                "导出：" a href={ "/reports/" (s.id) "/export/json" } { "JSON" } " · "
                a href={ "/reports/" (s.id) "/export/xlsx" } { "Excel（XLSX）" } " · "
                a href={ "/reports/" (s.id) "/export/csv" } { "CSV" } " · "
                a href={ "/reports/" (s.id) "/export/docx" } { "Word（DOCX）" } " · "
                a href={ "/reports/" (s.id) "/export/html" } { "HTML" }
            }
            @if let Some(p) = &previous {
                p #previous-year {
                    "正文与本单位 " (p.year) " 年度报告的相似度："
                    @if p.similarity >= gongkai_core::rules::NEAR_DUPLICATE_THRESHOLD {
                        span.late { (format!("{:.0}%", (p.similarity * 100.0).floor())) "，与上年雷同" }
                    } @else {
                        (format!("{:.0}%", (p.similarity * 100.0).floor()))
                    }
                    " · " a href={ "/compare?left=" (p.report) "&right=" (s.id) } { "逐段比较" }
                }
            }
            p {
                a.button.secondary href={ "/compare?left=" (s.id) } { "与其他报告比较" }
                " "
                a.button.secondary href={ "/agencies/" (s.agency) } { "本单位历年报告" }
            }
        }
        div.layout {
            div.report-tables {
                @if tables.trim().is_empty() {
                    p.flash.error { "未能从原文读出任何表格，见右侧检查结果。" }
                }
                (PreEscaped(tables))
            }
            aside.findings.box aria-label="检查结果" {
                h2 { "检查结果（" (findings.len()) "）" }
                @if findings.is_empty() { p.ok { "未发现问题。" } }
                ol {
                    @for f in &findings {
                        li class=(severity_class(f.severity)) {
                            b { (f.severity.label_zh()) } " "
                            code { (f.rule) } br;
                            (f.message)
                            @if !f.cells.is_empty() {
                                br; span.muted { "单元格：" @for c in f.cells.iter().take(3) { code { (c) } " " }
                                    @if f.cells.len() > 3 { "等 " (f.cells.len()) " 个" } }
                            }
                        }
                    }
                }
            }
        }
        @if !report.narrative.is_empty() {
            h2 { "正文" }
            @for (section, text) in &report.narrative {
                h3 { (section) }
                pre.narrative { (text.trim()) }
            }
        }
        @if staff.user.role.allows(Role::Admin) {
            form method="post" action={ "/reports/" (s.id) "/delete" } {
                (ui::csrf_field(&staff))
                button.secondary type="submit" { "删除此报告" }
            }
        }
    };
    Ok(ui::page(&title, Some(&staff), "/reports", body))
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "f-error",
        Severity::Warning => "f-warning",
        Severity::Info => "f-info",
    }
}

pub fn generation_label(g: &str) -> &'static str {
    match g {
        "2021" => "2021 版（国办公开办函〔2021〕30号）",
        "2019" => "2019 版（国办公开办函〔2019〕60号）",
        "2014" => "2014 版统计表",
        _ => "未识别",
    }
}

/// The original bytes as uploaded, as an attachment with the original name.
pub async fn original(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let stored = load(&state, id).await?;
    let doc_id = stored.summary.document;
    let doc = state
        .db(move |s| s.document(doc_id))
        .await?
        .ok_or_else(|| AppError::NotFound("原始文件".into()))?;
    let name = doc
        .file_name
        .rsplit(['/', '\\', '!'])
        .next()
        .unwrap_or("report")
        .to_string();
    Ok(download(content_type_of(&doc.bytes), &name, doc.bytes))
}

fn content_type_of(bytes: &[u8]) -> &'static str {
    use gongkai_ingest::detect::{detect, Format};
    match detect(bytes) {
        Format::Pdf => "application/pdf",
        Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format::Zip => "application/zip",
        // Text and HTML are served as plain text so a hostile page cannot run in our origin.
        Format::Text | Format::Html => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// An attachment response. The file name goes into `filename*` (RFC 5987), percent-encoded.
pub fn download(content_type: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let encoded = ui::q(file_name);
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// One report as JSON (the contract), XLSX, CSV, DOCX or standalone HTML.
pub async fn export(
    State(state): State<AppState>,
    _staff: Staff,
    Path((id, format)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let stored = load(&state, id).await?;
    let stem = format!(
        "{}-{}",
        stored.summary.agency_name,
        stored
            .summary
            .year
            .map(|y| y.to_string())
            .unwrap_or_else(|| "年度未识别".into())
    );
    export_report(&stored.report, &stored.findings, &format, &stem)
}

/// Render `report` in `format` as a download named `stem.ext`.
pub fn export_report(
    report: &Report,
    findings: &[Finding],
    format: &str,
    stem: &str,
) -> Result<Response, AppError> {
    Ok(match format {
        "json" => download(
            "application/json",
            &format!("{stem}.json"),
            gongkai_render::to_json_string(report, true).into_bytes(),
        ),
        "xlsx" => download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{stem}.xlsx"),
            gongkai_render::xlsx::report_to_xlsx(report, findings)
                .map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        "csv" => download(
            "text/csv; charset=utf-8",
            &format!("{stem}.csv"),
            gongkai_render::csv::report_to_csv(report).into_bytes(),
        ),
        "docx" => download(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &format!("{stem}.docx"),
            gongkai_render::to_docx(report, findings),
        ),
        "html" => download(
            "text/html; charset=utf-8",
            &format!("{stem}.html"),
            gongkai_render::to_html(report, findings).into_bytes(),
        ),
        other => {
            return Err(AppError::NotFound(format!(
                "导出格式“{other}”（可用：json、xlsx、csv、docx、html）"
            )))
        }
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.require(Role::Admin)?;
    staff.check_csrf(&form.csrf)?;
    state.db(move |s| s.delete_report(ReportId(id))).await?;
    Ok(Redirect::to("/reports").into_response())
}

/// Every stored report as JSON Lines (`gongkai.report/1` plus `source`, `agency_name` and the
/// findings), streamed so that the whole dataset never sits in memory.
pub async fn export_all(State(state): State<AppState>, _staff: Staff) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(64);
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let result = store.for_each_report(&mut |stored| {
            let line = jsonl_line(&stored);
            tx.blocking_send(Ok(line))
                .map_err(|_| gongkai_store::StoreError::Database("客户端已断开".into()))
        });
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    (
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"gongkai-reports.jsonl\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// One JSON Lines record: the report JSON with `id`, `agency_name`, `source` and `findings`.
pub fn jsonl_line(stored: &StoredReport) -> Vec<u8> {
    let mut value = stored.report.to_json_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("id".into(), serde_json::json!(stored.summary.id));
        obj.insert("source".into(), serde_json::json!(stored.summary.file_name));
        obj.insert(
            "agency_name".into(),
            serde_json::json!(stored.summary.agency_name),
        );
        obj.insert("findings".into(), serde_json::json!(stored.findings));
    }
    let mut line = serde_json::to_vec(&value).unwrap_or_default();
    line.push(b'\n');
    line
}
