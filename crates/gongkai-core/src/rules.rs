//! Named consistency rules over a [`Report`], and over several reports at once.
//!
//! Rule ids are stable (they are part of the CLI and JSON contract): documented in
//! [`RULES`] and in `docs/rules.md`. A rule never treats an absent cell as zero: when a cell a
//! rule needs is `None`, the rule is skipped for that row/column, and the parser's own finding
//! explains why the cell is absent.

use crate::model::{cell_json, fmt_num, Cell, Finding, Generation, Report, Severity};
use crate::similarity;
use crate::skeleton::{self, REQUEST_COLUMNS, REQUEST_TOTAL_COLUMN, REVIEW_COLUMNS};

/// Every rule id gongkai emits, with its default severity and a zh-CN description.
pub const RULES: &[(&str, Severity, &str)] = &[
    ("requests.balance", Severity::Error, "表三每列：第一项加第二项之和等于第三项加第四项之和（本年新收+上年结转=办理结果总计+结转下年度）"),
    ("requests.outcomes_sum", Severity::Error, "表三每列：（七）总计等于（一）至（六）各办理结果之和"),
    ("requests.row_total", Severity::Error, "表三每行：总计等于自然人与五类法人或其他组织之和"),
    ("reviews.group_total", Severity::Error, "表四每组：总计等于结果维持、结果纠正、其他结果、尚未审结之和"),
    ("structure.missing_section", Severity::Warning, "缺少规定的章节（一至六）"),
    ("structure.missing_table", Severity::Error, "缺少规定的表格（表二、表三、表四）"),
    ("structure.generation_mismatch", Severity::Warning, "表格格式与报告年度应使用的格式不一致"),
    ("structure.truncated", Severity::Warning, "报告在表格中途结束，缺少后续内容"),
    ("structure.missing_row", Severity::Warning, "表格缺少规定的行"),
    ("structure.empty", Severity::Error, "文件没有可读的文字内容"),
    ("structure.not_a_report", Severity::Warning, "未识别出任何年度报告表格，可能不是年度报告"),
    ("input.encoding", Severity::Warning, "文件编码无法完全识别，部分字符已替换"),
    ("input.image_pages", Severity::Warning, "PDF 中有只含图像的扫描页，其内容需要文字识别（OCR）"),
    ("value.not_a_number", Severity::Error, "表格单元格不是数字"),
    ("value.negative", Severity::Error, "数量不能为负数"),
    ("value.not_integer", Severity::Error, "件数必须是整数"),
    ("value.blank", Severity::Warning, "表格单元格为空（统计数不得空项）"),
    ("value.ambiguous_split", Severity::Warning, "文本中相连的数字无法由表格自身的合计唯一拆分，该单元格未取值"),
    ("value.extra_cells", Severity::Info, "行内单元格多于表格列数，已按合计关系对齐"),
    ("cross_year.carry_over", Severity::Warning, "本年“上年结转”应等于上一年度报告的“结转下年度继续办理”"),
    ("timeliness.late_publication", Severity::Warning, "报告发布晚于法定期限（部门1月31日，政府3月31日）"),
    ("text.near_duplicate", Severity::Warning, "报告文字与另一份报告高度雷同"),
];

fn ptr_req(row: &str, col: usize) -> String {
    format!("/requests/{row}/{col}")
}

fn sum_present(cells: &[Cell]) -> Option<f64> {
    cells.iter().try_fold(0.0, |acc, c| c.map(|v| acc + v))
}

fn approx_eq(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// All single-report rules.
pub fn check(report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    check_requests(report, &mut out);
    check_reviews(report, &mut out);
    check_values(report, &mut out);
    check_structure(report, &mut out);
    check_timeliness(report, &mut out);
    for f in &mut out {
        f.source = report.source.clone();
    }
    out
}

fn check_requests(report: &Report, out: &mut Vec<Finding>) {
    let Some(req) = &report.requests else { return };
    let gen = report.generation;
    let cell = |row: &str, col: usize| report.request_cell(row, col);
    let col_name = |c: usize| REQUEST_COLUMNS[c].label;

    // Row totals.
    for r in skeleton::request_rows(gen) {
        let id = r.label.id;
        let Some(values) = req.get(id) else { continue };
        let parts: Vec<Cell> = values.iter().take(REQUEST_TOTAL_COLUMN).copied().collect();
        let total = values.get(REQUEST_TOTAL_COLUMN).copied().flatten();
        let sum = sum_present(&parts);
        match (sum, total) {
            (Some(s), Some(t)) if !approx_eq(s, t) => out.push(
                Finding::new(
                    "requests.row_total",
                    Severity::Error,
                    format!(
                        "表三“{}”一行：总计为{}，但自然人与法人或其他组织各栏之和为{}",
                        r.label.label,
                        fmt_num(t),
                        fmt_num(s)
                    ),
                )
                .with_cells((0..7).map(|c| ptr_req(id, c)))
                .with_values(cell_json(Some(s)), cell_json(Some(t))),
            ),
            (Some(s), None) => out.push(
                Finding::new(
                    "requests.row_total",
                    Severity::Error,
                    format!(
                        "表三“{}”一行：总计栏为空，按各栏之和应为{}",
                        r.label.label,
                        fmt_num(s)
                    ),
                )
                .with_cells([ptr_req(id, REQUEST_TOTAL_COLUMN)])
                .with_values(cell_json(Some(s)), serde_json::Value::Null),
            ),
            _ => {}
        }
    }

    // Column rules.
    let outcome_rows: Vec<&str> = skeleton::request_rows(gen)
        .filter(|r| r.outcome)
        .map(|r| r.label.id)
        .collect();
    for c in 0..7 {
        let r1 = cell("new_received", c);
        let r2 = cell("carried_over", c);
        let r24 = cell("total_handled", c);
        let r25 = cell("carried_forward", c);
        if let (Some(a), Some(b), Some(t), Some(f)) = (r1, r2, r24, r25) {
            if !approx_eq(a + b, t + f) {
                out.push(
                    Finding::new(
                        "requests.balance",
                        Severity::Error,
                        format!(
                            "表三“{}”列不符合勾稽关系：本年新收{}＋上年结转{}＝{}，而办理结果总计{}＋结转下年度{}＝{}",
                            col_name(c),
                            fmt_num(a),
                            fmt_num(b),
                            fmt_num(a + b),
                            fmt_num(t),
                            fmt_num(f),
                            fmt_num(t + f)
                        ),
                    )
                    .with_cells(
                        ["new_received", "carried_over", "total_handled", "carried_forward"]
                            .iter()
                            .map(|r| ptr_req(r, c)),
                    )
                    .with_values(cell_json(Some(a + b)), cell_json(Some(t + f))),
                );
            }
        }
        let outcomes: Vec<Cell> = outcome_rows.iter().map(|r| cell(r, c)).collect();
        if let (Some(s), Some(t)) = (sum_present(&outcomes), r24) {
            if !approx_eq(s, t) {
                out.push(
                    Finding::new(
                        "requests.outcomes_sum",
                        Severity::Error,
                        format!(
                            "表三“{}”列：（七）总计为{}，但各项办理结果之和为{}",
                            col_name(c),
                            fmt_num(t),
                            fmt_num(s)
                        ),
                    )
                    .with_cells(
                        outcome_rows
                            .iter()
                            .map(|r| ptr_req(r, c))
                            .chain([ptr_req("total_handled", c)]),
                    )
                    .with_values(cell_json(Some(s)), cell_json(Some(t))),
                );
            }
        }
    }
}

fn check_reviews(report: &Report, out: &mut Vec<Finding>) {
    let Some(reviews) = &report.reviews else {
        return;
    };
    for g in skeleton::REVIEW_GROUPS {
        let Some(group) = reviews.groups.get(g.id) else {
            continue;
        };
        let parts: Vec<Cell> = REVIEW_COLUMNS[..4]
            .iter()
            .map(|c| group.get(c.id).copied().flatten())
            .collect();
        let total = group.get("total").copied().flatten();
        if let (Some(s), Some(t)) = (sum_present(&parts), total) {
            if !approx_eq(s, t) {
                out.push(
                    Finding::new(
                        "reviews.group_total",
                        Severity::Error,
                        format!(
                            "表四“{}”：总计为{}，但结果维持、结果纠正、其他结果、尚未审结之和为{}",
                            g.label,
                            fmt_num(t),
                            fmt_num(s)
                        ),
                    )
                    .with_cells(
                        REVIEW_COLUMNS
                            .iter()
                            .map(|c| format!("/reviews/{}/{}", g.id, c.id)),
                    )
                    .with_values(cell_json(Some(s)), cell_json(Some(t))),
                );
            }
        }
    }
}

fn check_values(report: &Report, out: &mut Vec<Finding>) {
    let mut visit = |pointer: String, v: f64, must_be_integer: bool| {
        if v < 0.0 {
            out.push(
                Finding::new(
                    "value.negative",
                    Severity::Error,
                    format!("{pointer} 的值为负数{}，数量不能为负", fmt_num(v)),
                )
                .with_cells([pointer.clone()])
                .with_values(serde_json::json!(">= 0"), cell_json(Some(v))),
            );
        } else if must_be_integer && v.fract() != 0.0 {
            out.push(
                Finding::new(
                    "value.not_integer",
                    Severity::Error,
                    format!("{pointer} 的值{}不是整数，件数必须是整数", fmt_num(v)),
                )
                .with_cells([pointer.clone()])
                .with_values(serde_json::json!("integer"), cell_json(Some(v))),
            );
        }
    };
    if let Some(req) = &report.requests {
        for (row, cells) in req {
            for (c, v) in cells.iter().enumerate() {
                if let Some(v) = v {
                    visit(ptr_req(row, c), *v, true);
                }
            }
        }
    }
    if let Some(rv) = &report.reviews {
        for (g, cols) in &rv.groups {
            for (c, v) in cols {
                if let Some(v) = v {
                    visit(format!("/reviews/{g}/{c}"), *v, true);
                }
            }
        }
    }
    if let Some(p) = &report.proactive {
        for (r, cols) in &p.rows {
            for (c, v) in cols {
                // 本年增/减 may be negative; amounts may be decimals.
                if c == "change" {
                    continue;
                }
                if let Some(v) = v {
                    let integer = !matches!(c.as_str(), "amount");
                    visit(format!("/proactive/{r}/{c}"), *v, integer);
                }
            }
        }
    }
}

fn check_structure(report: &Report, out: &mut Vec<Finding>) {
    let modern = matches!(report.generation, Generation::G2019 | Generation::G2021)
        || (report.generation == Generation::Unknown && report.year.is_some_and(|y| y >= 2019));
    if modern {
        for (num, title, _) in skeleton::SECTIONS {
            if !report.sections.iter().any(|s| s == num) {
                out.push(
                    Finding::new(
                        "structure.missing_section",
                        Severity::Warning,
                        format!("未找到第{num}部分“{num}、{title}”"),
                    )
                    .with_cells([format!("/sections/{num}")]),
                );
            }
        }
        let tables = [
            (
                "二",
                "主动公开政府信息情况",
                report.proactive.is_some(),
                "/proactive",
            ),
            (
                "三",
                "收到和处理政府信息公开申请情况",
                report.requests.is_some(),
                "/requests",
            ),
            (
                "四",
                "政府信息公开行政复议、行政诉讼情况",
                report.reviews.is_some(),
                "/reviews",
            ),
        ];
        for (num, title, present, ptr) in tables {
            if !present {
                out.push(
                    Finding::new(
                        "structure.missing_table",
                        Severity::Error,
                        format!("未找到表{num}“{title}”"),
                    )
                    .with_cells([ptr.to_string()]),
                );
            }
        }
    }
    if let (Some(year), gen) = (report.year, report.generation) {
        if gen != Generation::Unknown {
            let expected = Generation::expected_for_year(year);
            if expected != gen {
                out.push(
                    Finding::new(
                        "structure.generation_mismatch",
                        Severity::Warning,
                        format!(
                            "{year}年度报告应使用{}版格式，但表格为{}版格式",
                            expected.as_str(),
                            gen.as_str()
                        ),
                    )
                    .with_cells(["/generation".to_string()])
                    .with_values(expected.as_str(), gen.as_str()),
                );
            }
        }
    }
}

/// The legal deadline for publishing the report on `year`. Under the 2019 条例 (Art. 49, in
/// force 2019-05-15, so from report year 2019): 1月31日 of the next year for a department,
/// 3月31日 for a 县级以上人民政府's whole-government report. Under the 2008 条例 (Art. 31),
/// which governed reports up to year 2018: 3月31日 for everyone.
pub fn publication_deadline(year: i32, agency: Option<&str>) -> String {
    let government = agency.is_some_and(|a| a.ends_with("人民政府") || a.ends_with("管委会"));
    if government || year <= 2018 {
        format!("{}-03-31", year + 1)
    } else {
        format!("{}-01-31", year + 1)
    }
}

fn check_timeliness(report: &Report, out: &mut Vec<Finding>) {
    let (Some(year), Some(published)) = (report.year, report.published_on.as_deref()) else {
        return;
    };
    let deadline = publication_deadline(year, report.agency.as_deref());
    // ISO dates compare correctly as strings.
    if published > deadline.as_str() {
        out.push(
            Finding::new(
                "timeliness.late_publication",
                Severity::Warning,
                format!("{year}年度报告发布于{published}，晚于法定期限{deadline}"),
            )
            .with_cells(["/published_on".to_string()])
            .with_values(format!("<= {deadline}"), published),
        );
    }
}

/// Default similarity above which two reports' narratives are flagged as near-duplicates.
pub const NEAR_DUPLICATE_THRESHOLD: f64 = 0.8;

/// Rules that compare reports with each other: carry-over between consecutive years of the
/// same agency, and near-duplicate narrative text among all reports given together.
///
/// Both scale to a batch of thousands: carry-over compares only reports grouped under the
/// same agency, and near-duplicates are found with MinHash/LSH candidates
/// ([`similarity::near_duplicate_clusters`]) instead of comparing every pair; each report of a
/// cluster of copies gets one finding naming the others.
pub fn check_across(reports: &[Report]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut by_agency: std::collections::HashMap<String, Vec<usize>> = Default::default();
    for (i, r) in reports.iter().enumerate() {
        if let Some(a) = &r.agency {
            by_agency
                .entry(crate::normalize::label_key(a))
                .or_default()
                .push(i);
        }
    }
    let mut groups: Vec<&Vec<usize>> = by_agency.values().collect();
    groups.sort();
    for group in groups {
        for &i in group {
            for &j in group {
                if i != j {
                    carry_over(&reports[i], &reports[j], &mut out);
                }
            }
        }
    }
    let texts: Vec<String> = reports.iter().map(similarity::narrative_text).collect();
    let name = |r: &Report| {
        r.source
            .clone()
            .or_else(|| r.agency.clone())
            .unwrap_or_else(|| "（未知来源）".into())
    };
    for cluster in similarity::near_duplicate_clusters(&texts, NEAR_DUPLICATE_THRESHOLD) {
        for m in &cluster.members {
            let others: Vec<String> = cluster
                .members
                .iter()
                .filter(|o| o.index != m.index)
                .take(3)
                .map(|o| format!("“{}”", name(&reports[o.index])))
                .collect();
            let more = cluster.members.len() - 1 - others.len();
            let mut f = Finding::new(
                "text.near_duplicate",
                Severity::Warning,
                format!(
                    "报告文字与{}{}高度雷同（相似度{:.0}%）",
                    others.join("、"),
                    if more > 0 {
                        format!("等{}份报告", cluster.members.len() - 1)
                    } else {
                        String::new()
                    },
                    m.similarity * 100.0
                ),
            )
            .with_cells(["/narrative".to_string()])
            .with_values(
                serde_json::json!(format!("< {NEAR_DUPLICATE_THRESHOLD}")),
                serde_json::json!((m.similarity * 1000.0).round() / 1000.0),
            );
            f.source = reports[m.index].source.clone();
            out.push(f);
        }
    }
    out
}

fn same_agency(a: &Report, b: &Report) -> bool {
    match (&a.agency, &b.agency) {
        (Some(x), Some(y)) => crate::normalize::label_key(x) == crate::normalize::label_key(y),
        _ => false,
    }
}

/// `this` is the later year, `prev` the year before.
fn carry_over(this: &Report, prev: &Report, out: &mut Vec<Finding>) {
    let (Some(y), Some(py)) = (this.year, prev.year) else {
        return;
    };
    if y != py + 1 || !same_agency(this, prev) {
        return;
    }
    for (c, col) in REQUEST_COLUMNS.iter().enumerate() {
        let now = this.request_cell("carried_over", c);
        let before = prev.request_cell("carried_forward", c);
        if let (Some(n), Some(b)) = (now, before) {
            if !approx_eq(n, b) {
                let mut f = Finding::new(
                    "cross_year.carry_over",
                    Severity::Warning,
                    format!(
                        "“{}”列：{y}年度“上年结转”为{}，但{py}年度报告“结转下年度继续办理”为{}",
                        col.label,
                        fmt_num(n),
                        fmt_num(b)
                    ),
                )
                .with_cells([ptr_req("carried_over", c)])
                .with_values(cell_json(Some(b)), cell_json(Some(n)));
                f.source = this.source.clone();
                out.push(f);
            }
        }
    }
}

/// Exit status of `gongkai check` for a set of findings: 1 when any is an error, else 0.
pub fn has_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
