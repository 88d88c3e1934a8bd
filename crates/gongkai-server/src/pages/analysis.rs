//! 比较 and 汇总: two reports side by side (cells and narrative), the roll-up of a region's units
//! for a year, their exports, and the server-side SVG charts.

use crate::auth::Staff;
use crate::pages::opt_i64;
use crate::pages::reports::download;
use crate::{ui, AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use gongkai_core::compare::{compare as compare_reports, CellStatus, Comparison};
use gongkai_core::rollup::Rollup;
use gongkai_core::Report;
use gongkai_render::xlsx::CellValue;
use gongkai_store::{AgencyId, AgencyLevel, ReportFilter, ReportId, StoredReport};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

/// A cell of a generic exported table.
pub type Cell = CellValue;

/// A generic table as an XLSX or CSV download.
pub fn table_download(
    format: &str,
    title: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<Response, AppError> {
    match format {
        "xlsx" => {
            let bytes = gongkai_render::xlsx::table_to_xlsx(title, headers, rows)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{title}.xlsx"),
                bytes,
            ))
        }
        "csv" => Ok(download(
            "text/csv; charset=utf-8",
            &format!("{title}.csv"),
            gongkai_render::csv::table_to_csv(headers, rows).into_bytes(),
        )),
        other => Err(AppError::NotFound(format!(
            "导出格式“{other}”（可用：xlsx、csv）"
        ))),
    }
}

/// Two stored reports, or a clear error naming the missing one.
pub async fn load_pair(
    state: &AppState,
    left: i64,
    right: i64,
) -> Result<(StoredReport, StoredReport), AppError> {
    state
        .db(move |s| Ok((s.report(ReportId(left))?, s.report(ReportId(right))?)))
        .await
        .and_then(|pair| match pair {
            (Some(l), Some(r)) => Ok((l, r)),
            (None, _) => Err(AppError::NotFound(format!("报告 {left}"))),
            (_, None) => Err(AppError::NotFound(format!("报告 {right}"))),
        })
}

/// The comparison as the API serves it.
pub fn comparison_json(left: &StoredReport, right: &StoredReport) -> serde_json::Value {
    let c = compare_reports(&left.report, &right.report);
    serde_json::json!({
        "left": left.summary,
        "right": right.summary,
        "comparison": c,
    })
}

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    left: Option<String>,
    right: Option<String>,
    all: Option<String>,
}

fn head(s: &StoredReport) -> String {
    format!(
        "{} {}",
        s.summary.agency_name,
        s.summary
            .year
            .map(|y| format!("{y}年度"))
            .unwrap_or_else(|| "年度未识别".into())
    )
}

/// `text` with the character ranges `spans` (sorted, in chars) wrapped in `<mark>`, escaped.
pub fn highlight(text: &str, spans: &[(usize, usize)]) -> Markup {
    let chars: Vec<char> = text.chars().collect();
    // Leading blank lines would show as an empty band in `pre`; spans are offsets into the
    // untrimmed text, so skip them by moving the start instead of trimming.
    let lead = chars
        .iter()
        .take_while(|c| **c == '\n' || **c == '\r')
        .count();
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut pos = lead;
    for &(start, end) in spans {
        let (start, end) = (start.min(chars.len()), end.min(chars.len()));
        if start < pos || start >= end {
            continue;
        }
        parts.push((false, chars[pos..start].iter().collect()));
        parts.push((true, chars[start..end].iter().collect()));
        pos = end;
    }
    parts.push((false, chars[pos..].iter().collect()));
    html! {
        @for (marked, part) in &parts {
            @if *marked { mark { (part) } } @else { (part) }
        }
    }
}

fn status_class(s: CellStatus) -> &'static str {
    match s {
        CellStatus::Changed => "diff-changed",
        CellStatus::OnlyLeft | CellStatus::OnlyRight => "diff-only",
        _ => "",
    }
}

pub async fn compare(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CompareQuery>,
) -> Result<Response, AppError> {
    let left = opt_i64(&q.left)?;
    let right = opt_i64(&q.right)?;
    let show_all = q.all.as_deref() == Some("1");
    let (Some(left), Some(right)) = (left, right) else {
        return Ok(compare_picker(&state, &staff, left).await?.into_response());
    };
    let (l, r) = load_pair(&state, left, right).await?;
    let c: Comparison = compare_reports(&l.report, &r.report);
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    let body = html! {
        h1 { "比较：" (head(&l)) " ↔ " (head(&r)) }
        div.box {
            p {
                "左：" a href={ "/reports/" (l.summary.id) } { (head(&l)) } "（" (l.summary.file_name) "）" br;
                "右：" a href={ "/reports/" (r.summary.id) } { (head(&r)) } "（" (r.summary.file_name) "）"
            }
            p {
                "单元格：相同 " (c.counts.same) "，有变化 " b { (c.counts.changed) } "，仅一侧有数值 " (c.counts.only_left + c.counts.only_right)
                "，两侧均无数值 " (c.counts.both_absent) "。"
            }
            p {
                "正文相似度：" b { (pct(c.narrative.similarity)) }
                @if c.narrative.near_duplicate { " " span.late { "内容雷同" } }
                "（字符 5-gram Jaccard；左侧 " (pct(c.narrative.left_coverage)) "、右侧 " (pct(c.narrative.right_coverage)) " 的文字位于重复段落中）"
            }
            p {
                @if show_all { a href={ "/compare?left=" (left) "&right=" (right) } { "只看差异" } }
                @else { a href={ "/compare?left=" (left) "&right=" (right) "&all=1" } { "显示全部单元格" } }
                " · 导出：" a href={ "/compare/export/xlsx?left=" (left) "&right=" (right) } { "Excel（XLSX）" }
                " · " a href={ "/compare/export/csv?left=" (left) "&right=" (right) } { "CSV" }
                " · " a href={ "/compare?left=" (right) "&right=" (left) } { "左右互换" }
            }
        }
        h2 { "表格" }
        div.scroll { table.grid #compare-cells {
            thead { tr { th { "表" } th { "行" } th { "列" } th { "左" } th { "右" } th { "差值" } th { "状态" } } }
            tbody {
                @for cell in c.cells.iter().filter(|x| show_all || !matches!(x.status, CellStatus::Same | CellStatus::BothAbsent)) {
                    tr class=(status_class(cell.status)) data-cell=(cell.pointer) {
                        td { (cell.table.label_zh()) }
                        td { @if let Some(g) = &cell.group { (g) " · " } (cell.row_label) }
                        td { (cell.column_label) }
                        td.num { (ui::num(cell.left)) }
                        td.num { (ui::num(cell.right)) }
                        td.num { @if let Some(d) = cell.delta { (ui::delta(d)) } }
                        td { (cell.status.label_zh()) @if let Some(n) = &cell.note { br; span.muted { (n) } } }
                    }
                }
            }
        } }
        @if !c.not_compared.is_empty() {
            details {
                summary { "未能比较的项目（" (c.not_compared.len()) "）" }
                ul { @for n in &c.not_compared { li { (n.table.label_zh()) " · " (n.label) "：" (n.reason) } } }
            }
        }
        h2 { "正文" }
        table.grid {
            thead { tr { th { "章节" } th { "左（字）" } th { "右（字）" } th { "相似度" } } }
            tbody { @for s in &c.narrative.sections { tr {
                td { (s.heading) }
                td.num { (s.left_chars.map(|v| v.to_string()).unwrap_or_else(|| "—".into())) }
                td.num { (s.right_chars.map(|v| v.to_string()).unwrap_or_else(|| "—".into())) }
                td.num { (s.similarity.map(pct).unwrap_or_else(|| "—".into())) }
            } } }
        }
        p.muted { "下方黄色标记为两份报告中重复的段落（至少 " (gongkai_core::compare::MIN_PASSAGE_CHARS) " 个汉字或字母）。" }
        @for s in &c.narrative.sections {
            h3 { (s.heading) }
            div.layout style="grid-template-columns:1fr 1fr" {
                div { @if let Some(t) = l.report.narrative.get(&s.key) {
                    pre.narrative { (highlight(t, &c.narrative.left_spans(&s.key))) }
                } @else { p.muted { "（左侧无此章节）" } } }
                div { @if let Some(t) = r.report.narrative.get(&s.key) {
                    pre.narrative { (highlight(t, &c.narrative.right_spans(&s.key))) }
                } @else { p.muted { "（右侧无此章节）" } } }
            }
        }
    };
    Ok(ui::page("比较", Some(&staff), "/compare", body).into_response())
}

/// Choose what to compare: suggestions for the same agency's other years and the same year's
/// other agencies, or any two report numbers.
async fn compare_picker(
    state: &AppState,
    staff: &Staff,
    left: Option<i64>,
) -> Result<axum::response::Html<String>, AppError> {
    let context = match left {
        Some(id) => {
            state
                .db(move |s| {
                    let Some(l) = s.report(ReportId(id))? else {
                        return Ok(None);
                    };
                    let same_agency = s.list_reports(&ReportFilter {
                        agencies: vec![l.summary.agency],
                        ..ReportFilter::default()
                    })?;
                    let same_year = match l.summary.year {
                        Some(y) => s.list_reports(&ReportFilter {
                            year: Some(y),
                            limit: Some(200),
                            ..ReportFilter::default()
                        })?,
                        None => vec![],
                    };
                    Ok(Some((l.summary, same_agency, same_year)))
                })
                .await?
        }
        None => None,
    };
    let body = html! {
        h1 { "比较两份报告" }
        form.box method="get" action="/compare" {
            label { "左侧报告编号 " input type="number" name="left" min="1" required value=[left]; }
            label { "右侧报告编号 " input type="number" name="right" min="1" required; }
            button type="submit" { "比较" }
            p.muted { "报告编号见报告页面地址（/reports/编号）。也可以从报告页面点“与其他报告比较”进入。" }
        }
        @if let Some((l, same_agency, same_year)) = &context {
            @let year_of = |y: Option<i32>| y.map(|y| format!("{y}年度")).unwrap_or_else(|| "年度未识别".into());
            p { "已选：" a href={ "/reports/" (l.id) } { (l.agency_name) " " (year_of(l.year)) } }
            h2 { "同一单位其他年度（同比）" }
            @let others: Vec<_> = same_agency.iter().filter(|r| r.id != l.id).collect();
            @if others.is_empty() { p.muted { "该单位没有其他年度的报告。" } }
            ul { @for r in &others {
                // The earlier year on the left, as people read a year-on-year change.
                @let (a, b) = if r.year <= l.year { (r.id, l.id) } else { (l.id, r.id) };
                @let (ya, yb) = if r.year <= l.year { (r.year, l.year) } else { (l.year, r.year) };
                li { a href={ "/compare?left=" (a) "&right=" (b) } { (l.agency_name) " " (year_of(ya)) " ↔ " (year_of(yb)) } }
            } }
            h2 { "同一年度其他单位（横向）" }
            @let peers: Vec<_> = same_year.iter().filter(|r| r.id != l.id && r.agency != l.agency).collect();
            @if peers.is_empty() { p.muted { "同一年度没有其他单位的报告。" } }
            ul { @for r in &peers {
                li { a href={ "/compare?left=" (l.id) "&right=" (r.id) } { (l.agency_name) " ↔ " (r.agency_name) } }
            } }
        }
    };
    Ok(ui::page("比较", Some(staff), "/compare", body))
}

#[derive(Deserialize)]
pub struct CompareExportQuery {
    left: i64,
    right: i64,
}

pub async fn compare_export(
    State(state): State<AppState>,
    _staff: Staff,
    Path(format): Path<String>,
    Query(q): Query<CompareExportQuery>,
) -> Result<Response, AppError> {
    let (l, r) = load_pair(&state, q.left, q.right).await?;
    let c = compare_reports(&l.report, &r.report);
    let left_head = head(&l);
    let right_head = head(&r);
    let headers = [
        "表",
        "行",
        "列",
        left_head.as_str(),
        right_head.as_str(),
        "差值",
        "状态",
        "单元格",
    ];
    let opt = |v: Option<f64>| v.map(Cell::Number).unwrap_or(Cell::Empty);
    let rows: Vec<Vec<Cell>> = c
        .cells
        .iter()
        .map(|cell| {
            vec![
                Cell::Text(cell.table.label_zh().into()),
                Cell::Text(match &cell.group {
                    Some(g) => format!("{g} · {}", cell.row_label),
                    None => cell.row_label.clone(),
                }),
                Cell::Text(cell.column_label.clone()),
                opt(cell.left),
                opt(cell.right),
                opt(cell.delta.map(|d| (d * 1e6).round() / 1e6)),
                Cell::Text(cell.status.label_zh().into()),
                Cell::Text(cell.pointer.clone()),
            ]
        })
        .collect();
    table_download(&format, "报告比较", &headers, &rows)
}

/// A roll-up with the context the pages and the API show.
pub struct ComputedRollup {
    pub region: gongkai_store::Agency,
    pub year: i32,
    pub rollup: Rollup,
    /// The roll-up's name, e.g. `示例县（汇总）`.
    pub name: String,
    /// Units in scope that have no report for the year.
    pub not_filed: Vec<String>,
    /// The included units' reports, for the per-unit chart.
    pub unit_reports: Vec<(String, Report)>,
}

pub async fn compute_rollup(
    state: &AppState,
    region: AgencyId,
    year: i32,
) -> Result<ComputedRollup, AppError> {
    let (region, units) = state
        .db(move |s| {
            let region = s
                .agency(region)?
                .ok_or_else(|| gongkai_store::StoreError::NotFound(format!("单位 {region}")))?;
            let scope = s.agency_and_descendants(region.id)?;
            let agencies = s.agencies()?;
            let summaries = s.list_reports(&ReportFilter {
                agencies: scope.clone(),
                year: Some(year),
                ..ReportFilter::default()
            })?;
            let mut units: Vec<(String, Option<Report>)> = Vec::new();
            for agency in agencies.iter().filter(|a| scope.contains(&a.id)) {
                // The newest import of the year for each unit.
                let latest = summaries
                    .iter()
                    .filter(|r| r.agency == agency.id)
                    .max_by_key(|r| (r.imported_at, r.id));
                match latest {
                    Some(r) => {
                        let full = s.report(r.id)?.map(|f| f.report);
                        units.push((agency.name.clone(), full));
                    }
                    None if agency.level == AgencyLevel::Department => {
                        units.push((agency.name.clone(), None))
                    }
                    None => {}
                }
            }
            Ok((region, units))
        })
        .await?;
    let not_filed: Vec<String> = units
        .iter()
        .filter(|(_, r)| r.is_none())
        .map(|(n, _)| n.clone())
        .collect();
    let filed: Vec<(&str, &Report)> = units
        .iter()
        .filter_map(|(n, r)| r.as_ref().map(|r| (n.as_str(), r)))
        .collect();
    let rollup = gongkai_core::rollup::rollup(&filed, year);
    let unit_reports = filed
        .iter()
        .filter(|(n, _)| rollup.included.iter().any(|i| i == n))
        .map(|(n, r)| (n.to_string(), (*r).clone()))
        .collect();
    Ok(ComputedRollup {
        name: format!("{}（汇总）", region.name),
        region,
        year,
        rollup,
        not_filed,
        unit_reports,
    })
}

pub fn rollup_json(c: &ComputedRollup) -> serde_json::Value {
    serde_json::json!({
        "region": c.region,
        "year": c.year,
        "rollup": c.rollup,
        "report": c.rollup.to_report(&c.name).to_json_value(),
        "not_filed": c.not_filed,
    })
}

#[derive(Deserialize, Default)]
pub struct RollupQuery {
    agency: Option<String>,
    year: Option<String>,
}

pub async fn rollup(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<RollupQuery>,
) -> Result<Response, AppError> {
    let agency = opt_i64(&q.agency)?.map(AgencyId);
    let year = crate::console::parse_year(q.year.as_deref())?;
    let agencies = state.db(|s| s.agencies()).await?;
    let form = html! {
        form.box method="get" action="/rollup" {
            label { "汇总范围 " select name="agency" required {
                @for a in agencies.iter().filter(|a| a.level != AgencyLevel::Department) {
                    option value=(a.id) selected[Some(a.id) == agency] { (a.name) "（" (a.level.label_zh()) "）及下属单位" }
                }
                @for a in agencies.iter().filter(|a| a.level == AgencyLevel::Department) {
                    option value=(a.id) selected[Some(a.id) == agency] { (a.name) }
                }
            } }
            label { "年度 " input type="number" name="year" min="2007" max="2100" value=[year] placeholder="留空：历年"; }
            button type="submit" { "汇总" }
        }
    };
    let (Some(agency), Some(year)) = (agency, year) else {
        if let Some(agency) = agency {
            return trend(&state, &staff, agency, form).await;
        }
        let body = html! {
            h1 { "汇总" }
            p { "选择一个地区（或上级单位）和年度，把其下所有单位该年度报告的表格逐格相加——即本级政府编制全年度数据时的汇总。年度留空则列出历年汇总的主要数字。" }
            (form)
        };
        return Ok(ui::page("汇总", Some(&staff), "/rollup", body).into_response());
    };
    let computed = compute_rollup(&state, agency, year).await?;
    let report = computed.rollup.to_report(&computed.name);
    let findings = gongkai_core::rules::check(&report);
    let tables = gongkai_render::tables_html(&report, &findings);
    let chart = units_chart(&computed.unit_reports);
    let body = html! {
        h1 { (computed.region.name) " " (year) " 年度汇总" }
        (form)
        div.box {
            p { "纳入汇总 " b { (computed.rollup.included.len()) } " 个单位；未能纳入 " b { (computed.rollup.excluded.len()) } " 个；未报送 " b { (computed.not_filed.len()) } " 个。格式：" (report.generation.as_str()) "。" }
            p { "导出：" a href={ "/rollup/export/xlsx?agency=" (agency) "&year=" (year) } { "Excel（XLSX）" }
                " · " a href={ "/rollup/export/csv?agency=" (agency) "&year=" (year) } { "CSV" } }
        }
        @if !computed.rollup.excluded.is_empty() || !computed.not_filed.is_empty() {
            h2 { "未纳入汇总的单位" }
            table.grid #rollup-excluded {
                thead { tr { th { "单位" } th { "原因" } } }
                tbody {
                    @for e in &computed.rollup.excluded { tr { td { (e.unit) } td { (e.message) } } }
                    @for n in &computed.not_filed { tr { td { (n) } td { "本年度未报送报告" } } }
                }
            }
        }
        p.muted { (computed.rollup.generation_basis) }
        @let incomplete: Vec<_> = computed.rollup.incomplete().collect();
        @if !incomplete.is_empty() {
            details {
                summary { (incomplete.len()) " 个单元格因部分单位空缺而未给出合计" }
                ul { @for (pointer, cell) in &incomplete {
                    li { code { (pointer) } "：已有 " (cell.contributors) " 个单位填报，合计 " (ui::num(cell.present_sum)) "；空缺：" (cell.missing.join("、")) }
                } }
            }
        }
        @if !chart.is_empty() {
            h2 { "各单位依申请公开情况" }
            div.box { (PreEscaped(chart)) }
        }
        h2 { "汇总表" }
        div.report-tables { (PreEscaped(tables)) }
        h2 { "纳入的单位" }
        ul { @for u in &computed.rollup.included { li { (u) } } }
    };
    Ok(ui::page("汇总", Some(&staff), "/rollup", body).into_response())
}

#[derive(Deserialize)]
pub struct RollupExportQuery {
    agency: i64,
    year: i32,
}

pub async fn rollup_export(
    State(state): State<AppState>,
    _staff: Staff,
    Path(format): Path<String>,
    Query(q): Query<RollupExportQuery>,
) -> Result<Response, AppError> {
    let computed = compute_rollup(&state, AgencyId(q.agency), q.year).await?;
    let report = computed.rollup.to_report(&computed.name);
    let stem = format!("{}-{}年度汇总", computed.region.name, q.year);
    crate::pages::reports::export_report(&report, &[], &format, &stem)
}

/// Requests by outcome over the years, one stacked bar per year (empty when nothing to draw).
pub fn outcomes_by_year_chart(reports: &[(i32, Report)]) -> String {
    let mut by_year: Vec<&(i32, Report)> = reports
        .iter()
        .filter(|(_, r)| r.requests.is_some())
        .collect();
    by_year.sort_by_key(|(y, _)| *y);
    by_year.dedup_by_key(|(y, _)| *y);
    if by_year.is_empty() {
        return String::new();
    }
    let labels: Vec<String> = by_year.iter().map(|(y, _)| format!("{y}")).collect();
    let series = outcome_series(by_year.iter().map(|(_, r)| r));
    gongkai_render::chart::stacked_bar_chart("历年办理结果（件）", &labels, &series)
}

/// Requests by outcome for each included unit of a roll-up.
/// At most this many years in the trend view (the most recent).
const TREND_YEARS: usize = 20;

/// `/rollup?agency=ID` without a year: the region's roll-up for every year it has reports —
/// the key figures side by side and the outcomes as a chart, each year linking to its roll-up.
async fn trend(
    state: &AppState,
    staff: &Staff,
    region: AgencyId,
    form: Markup,
) -> Result<Response, AppError> {
    let (name, years) = state
        .db(move |s| {
            let agency = s
                .agency(region)?
                .ok_or_else(|| gongkai_store::StoreError::NotFound(format!("单位 {region}")))?;
            let scope = s.agency_and_descendants(region)?;
            let mut years: Vec<i32> = s
                .list_reports(&ReportFilter {
                    agencies: scope,
                    ..ReportFilter::default()
                })?
                .iter()
                .filter_map(|r| r.year)
                .collect();
            years.sort_unstable();
            years.dedup();
            let skip = years.len().saturating_sub(TREND_YEARS);
            Ok((agency.name, years.split_off(skip)))
        })
        .await?;
    let mut rows = Vec::with_capacity(years.len());
    for &year in &years {
        let computed = compute_rollup(state, region, year).await?;
        let report = computed.rollup.to_report(&computed.name);
        rows.push((year, computed, report));
    }
    let total = |r: &Report, row: &str| r.request_cell(row, 6);
    let review = |r: &Report, group: &str| {
        r.reviews
            .as_ref()
            .and_then(|v| v.groups.get(group))
            .and_then(|g| g.get("total").copied().flatten())
    };
    let labels: Vec<String> = years.iter().map(|y| format!("{y}年")).collect();
    let chart = if rows.is_empty() {
        String::new()
    } else {
        gongkai_render::chart::stacked_bar_chart(
            "历年依申请公开办理结果（件）",
            &labels,
            &outcome_series(rows.iter().map(|(_, _, r)| r)),
        )
    };
    let body = html! {
        h1 { (name) " 历年汇总" }
        (form)
        @if rows.is_empty() {
            p.muted { "该范围内还没有任何报告。" }
        } @else {
            p.muted { "每年把范围内各单位该年度最新导入的报告逐格相加；“—”表示有单位空缺该项、无法给出合计（详见当年汇总）。" }
            table.grid #trend {
                thead { tr {
                    th { "年度" } th { "纳入单位" } th { "未报送" } th { "未能纳入" }
                    th { "新收申请" } th { "上年结转" } th { "办理总计" } th { "结转下年" }
                    th { "行政复议" } th { "直接起诉" } th { "复议后起诉" }
                } }
                tbody { @for (year, c, r) in &rows { tr {
                    td { a href={ "/rollup?agency=" (region) "&year=" (year) } { (year) } }
                    td.num { (c.rollup.included.len()) }
                    td.num { (c.not_filed.len()) }
                    td.num { (c.rollup.excluded.len()) }
                    td.num { (dash(total(r, "new_received"))) }
                    td.num { (dash(total(r, "carried_over"))) }
                    td.num { (dash(total(r, "total_handled"))) }
                    td.num { (dash(total(r, "carried_forward"))) }
                    td.num { (dash(review(r, "reconsideration"))) }
                    td.num { (dash(review(r, "litigation_direct"))) }
                    td.num { (dash(review(r, "litigation_after_reconsideration"))) }
                } } }
            }
            div.box { (PreEscaped(chart)) }
        }
    };
    Ok(ui::page("汇总", Some(staff), "/rollup", body).into_response())
}

/// A figure, or “—” when it could not be given.
fn dash(v: Option<f64>) -> String {
    match v {
        Some(v) => ui::num(Some(v)),
        None => "—".into(),
    }
}

fn units_chart(unit_reports: &[(String, Report)]) -> String {
    if unit_reports.is_empty() {
        return String::new();
    }
    let labels: Vec<String> = unit_reports.iter().map(|(n, _)| n.clone()).collect();
    let series = outcome_series(unit_reports.iter().map(|(_, r)| r));
    gongkai_render::chart::stacked_bar_chart("各单位办理结果（件）", &labels, &series)
}

/// Outcome groups of table 三 (total column) as chart series.
fn outcome_series<'a>(
    reports: impl Iterator<Item = &'a Report> + Clone,
) -> Vec<gongkai_render::chart::Series> {
    const GROUPS: &[(&str, &[&str])] = &[
        ("予以公开", &["disclosed"]),
        ("部分公开", &["partially_disclosed"]),
        (
            "不予公开",
            &[
                "withheld_state_secret",
                "withheld_law_prohibited",
                "withheld_security",
                "withheld_third_party",
                "withheld_internal",
                "withheld_process",
                "withheld_enforcement",
                "withheld_query",
            ],
        ),
        (
            "无法提供",
            &[
                "unavailable_not_held",
                "unavailable_needs_creation",
                "unavailable_unclear",
            ],
        ),
        (
            "不予处理",
            &[
                "rejected_petition",
                "rejected_duplicate",
                "rejected_publication",
                "rejected_excessive",
                "rejected_confirmation",
            ],
        ),
        (
            "其他处理",
            &[
                "other",
                "other_no_correction",
                "other_fee_unpaid",
                "other_misc",
            ],
        ),
    ];
    GROUPS
        .iter()
        .map(|(label, rows)| {
            let values = reports
                .clone()
                .map(|r| {
                    let cells: Vec<f64> = rows
                        .iter()
                        .filter_map(|row| r.request_cell(row, 6))
                        .collect();
                    if cells.is_empty() {
                        None
                    } else {
                        Some(cells.iter().sum())
                    }
                })
                .collect();
            gongkai_render::chart::Series::new(*label, values)
        })
        .collect()
}
