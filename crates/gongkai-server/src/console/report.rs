//! 年度报告: the year's annual report computed from the register, checked, with the narrative
//! drafted for the 信息员 to edit, and downloads as DOCX, HTML, PDF and JSON.
//!
//! * Table 三 comes from every request received by 12-31 (`requests_received_until`), table 四
//!   from the appeals, table 二 from the publications overridden by the entered figures — all by
//!   `gongkai_core::register::generate_report`, whose tables balance by construction. The page
//!   still runs every check of `gongkai_core::rules` and shows what it finds.
//! * The narrative is a draft: the page shows it in text areas; the download form posts the
//!   edited text and the file is rendered from it. Nothing is stored — the report is always
//!   recomputed from the register, so it cannot go stale.
//! * PDF is made from the DOCX by LibreOffice (`soffice --headless --convert-to pdf`), one
//!   conversion at a time, in a throwaway profile and directory, killed after
//!   [`PDF_TIMEOUT`]. Without LibreOffice the page says so (503) and points to the DOCX.
//!   `GONGKAI_SOFFICE` may name the program; otherwise `PATH` and the usual install locations
//!   are searched.

use super::records::{default_year, YearQuery};
use super::{flash_error, href, parse_year, shell, today, Desk};
use crate::pages::reports::download;
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongkai_core::date::Date;
use gongkai_core::register::{generate_report, ProactiveCounts, Publication};
use gongkai_core::{Finding, Report, Severity};
use gongkai_store::{Agency, PublicationFilter};
use maud::{html, PreEscaped};
use std::collections::HashMap;
use std::time::Duration;

/// Longest a PDF conversion may take.
pub const PDF_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest narrative section accepted from the form.
const MAX_SECTION_CHARS: usize = 50_000;

/// One LibreOffice at a time: it is heavy, and the server may share two cores.
static PDF_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

fn report_year(raw: Option<&str>) -> Result<i32, AppError> {
    let year = parse_year(raw)?.unwrap_or_else(default_year);
    if year < 2019 {
        return Err(AppError::BadRequest(
            "只能生成2019年度及以后的年度报告（此前使用2014年统计表格式）".into(),
        ));
    }
    if year > today().year() {
        return Err(AppError::BadRequest(format!(
            "{year}年度尚未开始，不能生成年度报告"
        )));
    }
    Ok(year)
}

/// The year's report computed from the register of `agency`.
pub async fn build_report(
    state: &AppState,
    agency: &Agency,
    year: i32,
) -> Result<Report, AppError> {
    let id = agency.id;
    let year_end = Date::new(year, 12, 31).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (requests, appeals, publications, entered) = state
        .db(move |s| {
            let publications = s.list_publications(&PublicationFilter {
                agency: Some(id),
                ..PublicationFilter::default()
            })?;
            Ok((
                s.requests_received_until(id, year_end)?,
                s.appeals(id)?,
                publications,
                s.proactive_counts(id, year)?,
            ))
        })
        .await?;
    let publications: Vec<Publication> = publications.into_iter().map(|r| r.publication).collect();
    let invalid = |e: gongkai_core::register::RegisterError| {
        AppError::BadRequest(format!("登记簿中的数据无法生成报告：{e}"))
    };
    let counts = ProactiveCounts::from_publications(year, &publications)
        .map_err(invalid)?
        .overridden_by(&entered.unwrap_or_default());
    generate_report(year, &agency.name, &requests, &appeals, &counts).map_err(invalid)
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "f-error",
        Severity::Warning => "f-warning",
        Severity::Info => "f-info",
    }
}

fn stem(agency: &Agency, year: i32) -> String {
    format!("{}{year}年政府信息公开工作年度报告", agency.name)
}

pub async fn page(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = report_year(q.year.as_deref())?;
    let report = build_report(&state, &desk.agency, year).await?;
    let findings = gongkai_core::rules::check(&report);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let tables = gongkai_render::tables_html(&report, &findings);
    let agency = desk.agency.id;
    let total = |row: &str| ui::num(report.request_cell(row, 6));
    let years: Vec<i32> = (2019..=today().year()).rev().collect();
    let export = |format: &str| {
        href(
            agency,
            &format!("/console/report/export/{format}?year={year}"),
        )
    };
    let body = html! {
        h1 { (desk.agency.name) " " (year) "年政府信息公开工作年度报告（草稿）" }
        form.box method="get" action="/console/report" {
            input type="hidden" name="agency" value=(agency);
            label { "年度 " select name="year" { @for y in &years { option value=(y) selected[*y == year] { (y) "年" } } } }
            button type="submit" { "生成" }
            " " span.muted { "报告由登记簿即时计算：表三来自申请，表四来自复议诉讼，表二来自主动公开文件和填写的表二数据。" }
        }
        div.stats {
            div { b { (total("new_received")) } "本年新收" }
            div { b { (total("carried_over")) } "上年结转" }
            div { b { (total("total_handled")) } "办理结果总计" }
            div { b { (total("carried_forward")) } "结转下年度" }
            div #check-errors data-errors=(errors) {
                b class=(if errors == 0 { "ok" } else { "err" }) { (errors) }
                "处计算错误"
            }
        }
        @if errors > 0 {
            (flash_error("检查发现计算错误，请核对登记簿中的数据（见右侧检查结果）。"))
        }
        div.box {
            "下载（正文为系统草稿）："
            a href=(export("docx")) { "Word（DOCX）" } " · "
            a href=(export("pdf")) { "PDF" } " · "
            a href=(export("html")) { "HTML" } " · "
            a href=(export("json")) { "JSON" }
            br; span.muted { "修改正文后，请使用页面下方的按钮下载，文件中为修改后的正文。" }
        }
        div.layout {
            div.report-tables { (PreEscaped(tables)) }
            aside.findings.box aria-label="检查结果" {
                h2 { "检查结果（" (findings.len()) "）" }
                @if findings.is_empty() { p.ok { "未发现问题。" } }
                ol { @for f in &findings { (finding_item(f)) } }
            }
        }
        h2 { "正文（草稿，可修改）" }
        p.muted { "【】处请补充。正文不会保存在系统中：修改后直接下载；表格数字以登记簿为准，不能在此修改。" }
        form.box #narrative method="post" action=(href(agency, &format!("/console/report/download?year={year}"))) {
            (ui::csrf_field(&desk.staff))
            @for (i, (section, text)) in report.narrative.iter().enumerate() {
                p {
                    label for={ "narrative_" (i) } { b { (section) "、" (section_title(section)) } } br;
                    textarea id={ "narrative_" (i) } name={ "narrative_" (i) } rows="6" cols="100" { (text) }
                }
            }
            p {
                button type="submit" name="format" value="docx" { "下载 Word（DOCX）" } " "
                button type="submit" name="format" value="pdf" { "下载 PDF" } " "
                button.secondary type="submit" name="format" value="html" { "下载 HTML" } " "
                button.secondary type="submit" name="format" value="json" { "下载 JSON" }
            }
        }
    };
    Ok(shell(
        &desk.staff,
        &desk.agency,
        "/console/report",
        "年度报告",
        body,
    )
    .into_response())
}

fn finding_item(f: &Finding) -> maud::Markup {
    html! {
        li class=(severity_class(f.severity)) {
            b { (f.severity.label_zh()) } " " code { (f.rule) } br;
            (f.message)
        }
    }
}

fn section_title(section: &str) -> &'static str {
    gongkai_core::skeleton::SECTIONS
        .iter()
        .find(|(n, _, _)| *n == section)
        .map(|(_, title, _)| *title)
        .unwrap_or("")
}

/// A download with the drafted narrative.
pub async fn export(
    State(state): State<AppState>,
    desk: Desk,
    Path(format): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = report_year(q.year.as_deref())?;
    let report = build_report(&state, &desk.agency, year).await?;
    render(report, &format, &stem(&desk.agency, year)).await
}

/// A download with the narrative as edited in the form.
pub async fn download_edited(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<YearQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    desk.staff
        .check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let year = report_year(q.year.as_deref())?;
    let mut report = build_report(&state, &desk.agency, year).await?;
    for (i, (section, text)) in report.narrative.iter_mut().enumerate() {
        if let Some(edited) = form.get(&format!("narrative_{i}")) {
            if edited.chars().count() > MAX_SECTION_CHARS {
                return Err(AppError::BadRequest(format!(
                    "第{section}部分正文过长（最多 {MAX_SECTION_CHARS} 字）"
                )));
            }
            *text = edited.replace("\r\n", "\n");
        }
    }
    let format = form.get("format").cloned().unwrap_or_else(|| "docx".into());
    render(report, &format, &stem(&desk.agency, year)).await
}

/// The report as a file. The published outputs carry no findings (those are for the console).
async fn render(report: Report, format: &str, stem: &str) -> Result<Response, AppError> {
    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    Ok(match format {
        "docx" => download(
            DOCX,
            &format!("{stem}.docx"),
            gongkai_render::to_docx(&report, &[]),
        ),
        "html" => download(
            "text/html; charset=utf-8",
            &format!("{stem}.html"),
            gongkai_render::to_html(&report, &[]).into_bytes(),
        ),
        "json" => download(
            "application/json",
            &format!("{stem}.json"),
            gongkai_render::to_json_string(&report, true).into_bytes(),
        ),
        "pdf" => {
            let docx = gongkai_render::to_docx(&report, &[]);
            match docx_to_pdf(docx).await {
                Ok(pdf) => download("application/pdf", &format!("{stem}.pdf"), pdf),
                Err(message) => unavailable(&message),
            }
        }
        other => {
            return Err(AppError::NotFound(format!(
                "下载格式“{other}”（可用：docx、pdf、html、json）"
            )))
        }
    })
}

fn unavailable(message: &str) -> Response {
    let status = StatusCode::SERVICE_UNAVAILABLE;
    (status, ui::error_page(status, message)).into_response()
}

/// Convert DOCX bytes to PDF with LibreOffice (`gongkai_render::pdf`, the same conversion as
/// `gongkai report --to pdf`), one at a time. `Err` is the message for the 503 page.
pub async fn docx_to_pdf(docx: Vec<u8>) -> Result<Vec<u8>, String> {
    if gongkai_render::pdf::find_soffice().is_none() {
        return Err("服务器未安装 LibreOffice（soffice），无法生成 PDF。请下载 Word（DOCX）版本，用 WPS 或 Word“另存为 PDF”；或请管理员安装 LibreOffice 后重试。".into());
    }
    let _slot = PDF_SLOTS
        .acquire()
        .await
        .map_err(|_| "PDF 转换服务不可用".to_string())?;
    tokio::task::spawn_blocking(move || {
        gongkai_render::pdf::docx_to_pdf_with_timeout(&docx, PDF_TIMEOUT)
            .map_err(|e| format!("{e}。请稍后重试，或下载 Word（DOCX）版本"))
    })
    .await
    .map_err(|e| format!("PDF 转换失败：{e}"))?
}
