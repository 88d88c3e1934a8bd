//! 雷同: which reports of a year copy each other's narrative, and which units copied their own
//! report of the year before — what a 政务公开办 otherwise finds by reading hundreds of reports.
//!
//! Computed on demand from the stored reports (the newest import per unit and year, as the
//! overview and the roll-up count them), so it always reflects what is stored now. Narratives
//! are compared with `gongkai_core::similarity`: character 5-gram Jaccard over the narrative
//! sections (tables, digits and punctuation left out). Across units the candidates come from
//! MinHash/LSH buckets and every pair in a cluster is confirmed exactly; within a unit, this
//! year's narrative is compared with last year's directly.

use crate::auth::Staff;
use crate::pages::opt_i64;
use crate::{ui, AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use gongkai_core::rules::NEAR_DUPLICATE_THRESHOLD;
use gongkai_core::similarity::{narrative_text, near_duplicate_clusters, similarity};
use gongkai_store::{AgencyId, AgencyLevel, ReportFilter, ReportId, ReportSummary};
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

/// Below this, MinHash/LSH (16 bands × 4) would miss too many real pairs: at 0.7 a pair is a
/// candidate with probability 0.988, at 0.5 only 0.64.
const MIN_THRESHOLD: f64 = 0.7;

#[derive(Deserialize)]
pub struct SimilarQuery {
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    threshold: Option<String>,
}

/// One report taking part in a finding.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub report: ReportId,
    pub agency: String,
    pub file_name: String,
    /// Similarity to the group's first member (1 for the first).
    pub similarity: f64,
}

/// A unit whose narrative repeats its own report of the year before.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SelfCopy {
    pub agency: String,
    pub report: ReportId,
    pub previous_report: ReportId,
    pub similarity: f64,
}

/// The answer for one region and year.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Survey {
    pub region: Option<String>,
    pub year: i32,
    pub threshold: f64,
    /// Reports of the year compared (newest import per unit).
    pub reports: usize,
    /// Reports without enough narrative to compare.
    pub too_short: usize,
    /// Groups of reports of different units whose narratives are near-copies.
    pub clusters: Vec<Vec<Member>>,
    /// Units whose narrative repeats last year's, most similar first.
    pub self_copies: Vec<SelfCopy>,
}

/// Narratives shorter than this many comparable characters are not compared.
const MIN_CHARS: usize = 40;

pub fn parse_threshold(v: &Option<String>) -> Result<f64, AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(NEAR_DUPLICATE_THRESHOLD),
        Some(s) => {
            let t: f64 = s
                .trim_end_matches('%')
                .parse()
                .map_err(|_| AppError::BadRequest(format!("阈值“{s}”不是有效的数字")))?;
            // Accept 0.85 and 85 (per cent).
            let t = if t > 1.0 { t / 100.0 } else { t };
            if !(MIN_THRESHOLD..=0.99).contains(&t) {
                return Err(AppError::BadRequest(format!(
                    "阈值应在 {:.0}% 到 99% 之间",
                    MIN_THRESHOLD * 100.0
                )));
            }
            Ok(t)
        }
    }
}

/// The newest import per unit among `summaries`.
fn newest_per_unit(summaries: Vec<ReportSummary>) -> Vec<ReportSummary> {
    let mut newest: HashMap<AgencyId, ReportSummary> = HashMap::new();
    for s in summaries {
        match newest.get(&s.agency) {
            Some(kept) if (kept.imported_at, kept.id) >= (s.imported_at, s.id) => {}
            _ => {
                newest.insert(s.agency, s);
            }
        }
    }
    let mut out: Vec<ReportSummary> = newest.into_values().collect();
    out.sort_by(|a, b| a.agency_name.cmp(&b.agency_name));
    out
}

/// Compare the narratives of `region`'s units (every unit when `None`) for `year`.
pub async fn survey(
    state: &AppState,
    region: Option<AgencyId>,
    year: i32,
    threshold: f64,
) -> Result<Survey, AppError> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::BadRequest(format!("年度“{year}”无效")));
    }
    let (region_name, current, previous) = state
        .db(move |s| {
            let (region_name, units) = match region {
                Some(id) => {
                    let agency = s
                        .agency(id)?
                        .ok_or_else(|| gongkai_store::StoreError::NotFound(format!("单位 {id}")))?;
                    (Some(agency.name), s.agency_and_descendants(id)?)
                }
                None => (None, Vec::new()),
            };
            let load = |y: i32| -> gongkai_store::Result<Vec<(ReportSummary, String)>> {
                let summaries = s.list_reports(&ReportFilter {
                    agencies: units.clone(),
                    year: Some(y),
                    ..ReportFilter::default()
                })?;
                let mut out = Vec::new();
                for summary in newest_per_unit(summaries) {
                    if let Some(full) = s.report(summary.id)? {
                        out.push((summary, narrative_text(&full.report)));
                    }
                }
                Ok(out)
            };
            Ok((region_name, load(year)?, load(year - 1)?))
        })
        .await?;
    let analysed = tokio::task::spawn_blocking(move || {
        compare_narratives(region_name, year, threshold, &current, &previous)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(analysed)
}

/// The pure part of [`survey`]: clusters across units, and each unit against its last year.
pub fn compare_narratives(
    region: Option<String>,
    year: i32,
    threshold: f64,
    current: &[(ReportSummary, String)],
    previous: &[(ReportSummary, String)],
) -> Survey {
    let long_enough = |t: &str| gongkai_core::similarity::comparable_chars(t).len() >= MIN_CHARS;
    let too_short = current.iter().filter(|(_, t)| !long_enough(t)).count();
    let texts: Vec<String> = current.iter().map(|(_, t)| t.clone()).collect();
    let mut clusters: Vec<Vec<Member>> = near_duplicate_clusters(&texts, threshold)
        .into_iter()
        .map(|c| {
            c.members
                .iter()
                .map(|m| {
                    let (s, _) = &current[m.index];
                    Member {
                        report: s.id,
                        agency: s.agency_name.clone(),
                        file_name: s.file_name.clone(),
                        similarity: m.similarity,
                    }
                })
                .collect()
        })
        .collect();
    clusters.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].agency.cmp(&b[0].agency)));
    let last_year: HashMap<AgencyId, &(ReportSummary, String)> =
        previous.iter().map(|p| (p.0.agency, p)).collect();
    let mut self_copies: Vec<SelfCopy> = current
        .iter()
        .filter(|(_, t)| long_enough(t))
        .filter_map(|(s, text)| {
            let (prev, prev_text) = last_year.get(&s.agency)?;
            if !long_enough(prev_text) {
                return None;
            }
            let sim = similarity(text, prev_text);
            (sim >= threshold).then(|| SelfCopy {
                agency: s.agency_name.clone(),
                report: s.id,
                previous_report: prev.id,
                similarity: sim,
            })
        })
        .collect();
    self_copies.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.agency.cmp(&b.agency))
    });
    Survey {
        region,
        year,
        threshold,
        reports: current.len(),
        too_short,
        clusters,
        self_copies,
    }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", (x * 100.0).floor())
}

/// `/similar`: the form, then the survey.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<SimilarQuery>,
) -> Result<Response, AppError> {
    let region = opt_i64(&q.agency)?.map(AgencyId);
    let year = crate::console::parse_year(q.year.as_deref())?;
    let threshold = parse_threshold(&q.threshold)?;
    let agencies = state.db(|s| s.agencies()).await?;
    let form = html! {
        form.box method="get" action="/similar" {
            label { "范围 " select name="agency" {
                option value="" selected[region.is_none()] { "全部单位" }
                @for a in agencies.iter().filter(|a| a.level != AgencyLevel::Department) {
                    option value=(a.id) selected[Some(a.id) == region] { (a.name) "（" (a.level.label_zh()) "）及下属单位" }
                }
            } }
            label { "年度 " input type="number" name="year" min="2007" max="2100" required value=[year]; }
            label { "相似度阈值 " input type="number" name="threshold" min="70" max="99" step="1"
                value=(format!("{:.0}", threshold * 100.0)); "%" }
            button type="submit" { "检查" }
        }
    };
    let Some(year) = year else {
        let body = html! {
            h1 { "雷同检查" }
            p { "找出一个年度里文字部分（表格以外的叙述）互相照抄的报告，以及照抄本单位上一年度报告的单位。" }
            (form)
        };
        return Ok(ui::page("雷同检查", Some(&staff), "/similar", body).into_response());
    };
    let survey = survey(&state, region, year, threshold).await?;
    let query = format!(
        "year={year}&threshold={:.0}{}",
        threshold * 100.0,
        region.map(|r| format!("&agency={r}")).unwrap_or_default()
    );
    let body = html! {
        h1 { (survey.region.as_deref().unwrap_or("全部单位")) " " (year) " 年度雷同检查" }
        (form)
        div.box {
            p {
                "比较了 " b { (survey.reports) } " 份报告（每个单位取最新导入的一份）"
                @if survey.too_short > 0 { "，其中 " (survey.too_short) " 份文字过少未参与比较" }
                "。相似度 ≥ " (percent(survey.threshold)) "：" b { (survey.clusters.len()) } " 组单位间雷同，"
                b { (survey.self_copies.len()) } " 个单位与本单位上一年度雷同。"
            }
            p { "导出：" a href={ "/similar/export/csv?" (query) } { "CSV" }
                " · " a href={ "/similar/export/xlsx?" (query) } { "Excel（XLSX）" }
                " · " a href={ "/api/v1/similar?" (query) } { "JSON" } }
        }
        h2 { "单位之间雷同" }
        @if survey.clusters.is_empty() {
            p.muted { "没有发现单位之间文字雷同的报告。" }
        }
        @for (i, cluster) in survey.clusters.iter().enumerate() {
            table.grid.similar-cluster {
                caption { "第 " (i + 1) " 组（" (cluster.len()) " 份）" }
                thead { tr { th { "单位" } th { "文件" } th { "与第一份的相似度" } th { "比较" } } }
                tbody { @for (j, m) in cluster.iter().enumerate() { tr {
                    td { a href={ "/reports/" (m.report) } { (m.agency) } }
                    td { (m.file_name) }
                    td.num { @if j == 0 { "—" } @else { (percent(m.similarity)) } }
                    td { @if j > 0 { a href={ "/compare?left=" (cluster[0].report) "&right=" (m.report) } { "逐段比较" } } }
                } } }
            }
        }
        h2 { "与本单位上一年度雷同" }
        @if survey.self_copies.is_empty() {
            p.muted { "没有发现与本单位上一年度报告文字雷同的报告。" }
        } @else {
            table.grid #self-copies {
                thead { tr { th { "单位" } th { "相似度" } th { "比较" } } }
                tbody { @for c in &survey.self_copies { tr {
                    td { a href={ "/reports/" (c.report) } { (c.agency) } }
                    td.num { (percent(c.similarity)) }
                    td { a href={ "/compare?left=" (c.previous_report) "&right=" (c.report) } { (year - 1) " 年与 " (year) " 年比较" } }
                } } }
            }
        }
        p.muted { "相似度按叙述文字的五字片段计算（不含表格、数字和标点）；同一模板的套话也会提高相似度，请以“逐段比较”中标出的重复段落为准。" }
    };
    Ok(ui::page("雷同检查", Some(&staff), "/similar", body).into_response())
}

#[derive(Deserialize)]
pub struct SimilarExportQuery {
    #[serde(default)]
    agency: Option<String>,
    year: i32,
    #[serde(default)]
    threshold: Option<String>,
}

/// The survey as rows: one per report in a cluster, one per self-copy.
pub async fn export(
    State(state): State<AppState>,
    _staff: Staff,
    Path(format): Path<String>,
    Query(q): Query<SimilarExportQuery>,
) -> Result<Response, AppError> {
    let region = opt_i64(&q.agency)?.map(AgencyId);
    let threshold = parse_threshold(&q.threshold)?;
    let survey = survey(&state, region, q.year, threshold).await?;
    use crate::pages::analysis::{table_download, Cell};
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for (i, cluster) in survey.clusters.iter().enumerate() {
        for m in cluster {
            rows.push(vec![
                Cell::Text("单位之间雷同".into()),
                Cell::Number((i + 1) as f64),
                Cell::Text(m.agency.clone()),
                Cell::Number(m.report.0 as f64),
                Cell::Text(cluster[0].agency.clone()),
                Cell::Number((m.similarity * 1000.0).round() / 1000.0),
            ]);
        }
    }
    for c in &survey.self_copies {
        rows.push(vec![
            Cell::Text("与上年雷同".into()),
            Cell::Empty,
            Cell::Text(c.agency.clone()),
            Cell::Number(c.report.0 as f64),
            Cell::Text(format!("{}（{}年度）", c.agency, survey.year - 1)),
            Cell::Number((c.similarity * 1000.0).round() / 1000.0),
        ]);
    }
    let title = format!(
        "{}{}年度雷同检查",
        survey.region.as_deref().unwrap_or("全部单位"),
        survey.year
    );
    table_download(
        &format,
        &title,
        &["类型", "组", "单位", "报告编号", "对照", "相似度"],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_in_fractions_or_per_cent() {
        assert_eq!(parse_threshold(&None).unwrap(), NEAR_DUPLICATE_THRESHOLD);
        assert_eq!(parse_threshold(&Some("85".into())).unwrap(), 0.85);
        assert_eq!(parse_threshold(&Some("0.9".into())).unwrap(), 0.9);
        assert_eq!(parse_threshold(&Some("75%".into())).unwrap(), 0.75);
        for bad in ["50", "0.3", "100", "abc", "-80"] {
            assert!(parse_threshold(&Some(bad.into())).is_err(), "{bad}");
        }
    }
}
