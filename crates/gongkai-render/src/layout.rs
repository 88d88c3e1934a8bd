//! What both text renderers share: which skeleton lays out each table, cell pointers, the
//! findings attached to a cell, titles, and the cells the official layout has no place for.

use std::collections::{HashMap, HashSet};

use gongkai_core::model::{fmt_num, Cell, Finding, Generation, Report};
use gongkai_core::skeleton::{
    self, Label, ProactiveBlock, RequestRow, REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS,
    SECTIONS,
};

/// The 勾稽关系 note printed in the top-left header cell of table 三.
pub(crate) const REQUESTS_NOTE: &str =
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";

/// Heading of table 二, 三, 四 and of the pre-2019 统计表.
pub(crate) const PROACTIVE_TITLE: &str = "二、主动公开政府信息情况";
pub(crate) const REQUESTS_TITLE: &str = "三、收到和处理政府信息公开申请情况";
pub(crate) const REVIEWS_TITLE: &str = "四、政府信息公开行政复议、行政诉讼情况";
pub(crate) const STATISTICS_TITLE: &str = "政府信息公开情况统计表";
pub(crate) const EXTRAS_TITLE: &str = "其他数据（官方格式中没有对应位置）";
pub(crate) const FINDINGS_TITLE: &str = "检查结果";
pub(crate) const NARRATIVE_TITLE: &str = "正文";

/// A cell's text: empty for an absent cell, never `0`.
pub(crate) fn cell_text(cell: Cell) -> String {
    cell.map(fmt_num).unwrap_or_default()
}

/// One reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
pub(crate) fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn proactive_ptr(row: &str, col: &str) -> String {
    format!("/proactive/{}/{}", token(row), token(col))
}

pub(crate) fn request_ptr(row: &str, col: usize) -> String {
    format!("/requests/{}/{col}", token(row))
}

pub(crate) fn review_ptr(group: &str, col: &str) -> String {
    format!("/reviews/{}/{}", token(group), token(col))
}

pub(crate) fn statistics_ptr(row: usize, col: usize) -> String {
    format!("/statistics_2014/rows/{row}/values/{col}")
}

/// `报告标题`: agency + year + 政府信息公开工作年度报告.
pub(crate) fn title(report: &Report) -> String {
    let agency = report.agency.as_deref().unwrap_or("（机关名称未识别）");
    match report.year {
        Some(y) => format!("{agency}{y}年政府信息公开工作年度报告"),
        None => format!("{agency}政府信息公开工作年度报告"),
    }
}

/// The format generation as a reader knows it.
pub(crate) fn generation_label(g: Generation) -> &'static str {
    match g {
        Generation::G2021 => "2021版（国办公开办函〔2021〕30号）",
        Generation::G2019 => "2019版（国办公开办函〔2019〕60号《年度报告格式（试行）》）",
        Generation::G2014 => "2014版（《政府信息公开情况统计表》）",
        Generation::Unknown => "未识别",
    }
}

/// `一、二、三` or `无`.
pub(crate) fn sections_text(report: &Report) -> String {
    if report.sections.is_empty() {
        "无".to_string()
    } else {
        report.sections.join("、")
    }
}

/// Heading of a narrative section: `一、总体情况` for a known section number, the key otherwise.
pub(crate) fn narrative_heading(key: &str) -> String {
    match SECTIONS.iter().find(|(num, _, _)| *num == key) {
        Some((num, title, _)) => format!("{num}、{title}"),
        None => key.to_string(),
    }
}

/// Paragraphs of a narrative text: its non-blank lines, trimmed.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// The generation whose table 二 skeleton lays out this report's `proactive`: the report's own
/// for 2019/2021, otherwise guessed from the column ids present.
pub(crate) fn proactive_generation(report: &Report) -> Generation {
    match report.generation {
        g @ (Generation::G2019 | Generation::G2021) => g,
        _ => {
            let cols = |blocks: &[ProactiveBlock]| -> HashSet<&str> {
                blocks
                    .iter()
                    .flat_map(|b| b.columns.iter().map(|c| c.id))
                    .collect()
            };
            let (cols_2021, cols_2019) = (
                cols(skeleton::PROACTIVE_2021),
                cols(skeleton::PROACTIVE_2019),
            );
            let has_2021 = report.proactive.as_ref().is_some_and(|p| {
                p.rows
                    .values()
                    .flat_map(|r| r.keys())
                    .any(|c| cols_2021.contains(c.as_str()) && !cols_2019.contains(c.as_str()))
            });
            if has_2021 {
                Generation::G2021
            } else {
                Generation::G2019
            }
        }
    }
}

/// The generation whose table 三 skeleton lays out this report's `requests`: the report's own
/// for 2019/2021, otherwise 2021 when a 2021-only row is present, else 2019.
pub(crate) fn requests_generation(report: &Report) -> Generation {
    match report.generation {
        g @ (Generation::G2019 | Generation::G2021) => g,
        _ => {
            let only_2021 = report.requests.as_ref().is_some_and(|r| {
                skeleton::REQUEST_ROWS
                    .iter()
                    .filter(|row| row.in_2021 && !row.in_2019)
                    .any(|row| r.contains_key(row.label.id))
            });
            if only_2021 {
                Generation::G2021
            } else {
                Generation::G2019
            }
        }
    }
}

/// The table 二 blocks for this report.
pub(crate) fn proactive_blocks(report: &Report) -> &'static [ProactiveBlock] {
    skeleton::proactive_blocks(proactive_generation(report))
}

/// The header label of a table 二 column of `block`, with the report's unit for 采购总金额 when
/// the report states it.
pub(crate) fn proactive_column_label(
    report: &Report,
    block: &ProactiveBlock,
    col: &Label,
) -> String {
    let unit = report
        .proactive
        .as_ref()
        .and_then(|p| p.procurement_amount_unit.as_deref());
    match unit {
        Some(u)
            if col.id == "amount" && block.rows.iter().any(|r| r.id == "central_procurement") =>
        {
            format!("{}（单位：{u}）", col.label)
        }
        _ => col.label.to_string(),
    }
}

/// A table 二 cell, `None` when absent.
pub(crate) fn proactive_cell(report: &Report, row: &str, col: &str) -> Cell {
    report
        .proactive
        .as_ref()
        .and_then(|p| p.rows.get(row))
        .and_then(|r| r.get(col).copied().flatten())
}

/// The table 三 rows for this report, in the official order.
pub(crate) fn request_rows(report: &Report) -> Vec<&'static RequestRow> {
    skeleton::request_rows(requests_generation(report)).collect()
}

/// A table 四 cell, `None` when absent.
pub(crate) fn review_cell(report: &Report, group: &str, col: &str) -> Cell {
    report
        .reviews
        .as_ref()
        .and_then(|r| r.groups.get(group))
        .and_then(|g| g.get(col).copied().flatten())
}

/// Number of value columns of the 统计表 and their headers (`统计数` when the report names none).
pub(crate) fn statistics_columns(report: &Report) -> Vec<String> {
    let Some(stats) = &report.statistics_2014 else {
        return Vec::new();
    };
    let widest = stats.rows.iter().map(|r| r.values.len()).max().unwrap_or(0);
    let n = widest.max(stats.columns.len()).max(1);
    (0..n)
        .map(|i| match stats.columns.get(i) {
            Some(c) => c.clone(),
            None if n == 1 => "统计数".to_string(),
            None => format!("数值{}", i + 1),
        })
        .collect()
}

/// Cells of the report that the official layout of its tables has no place for, by pointer, in
/// report order: unknown row/group ids, unknown column ids, request rows longer than seven.
pub(crate) fn extra_cells(report: &Report) -> Vec<(String, Cell)> {
    let mut out = Vec::new();
    if let Some(p) = &report.proactive {
        let blocks = proactive_blocks(report);
        for (row, cols) in &p.rows {
            let block = blocks.iter().find(|b| b.rows.iter().any(|r| r.id == row));
            for (col, v) in cols {
                let known = block.is_some_and(|b| b.columns.iter().any(|c| c.id == col));
                if !known {
                    out.push((proactive_ptr(row, col), *v));
                }
            }
        }
    }
    if let Some(req) = &report.requests {
        let rows = request_rows(report);
        for (row, cells) in req {
            let known = rows.iter().any(|r| r.label.id == row);
            for (c, v) in cells.iter().enumerate() {
                if !known || c >= REQUEST_COLUMNS.len() {
                    out.push((request_ptr(row, c), *v));
                }
            }
        }
    }
    if let Some(rev) = &report.reviews {
        for (group, cols) in &rev.groups {
            let known_group = REVIEW_GROUPS.iter().any(|g| g.id == group);
            for (col, v) in cols {
                if !known_group || !REVIEW_COLUMNS.iter().any(|c| c.id == col) {
                    out.push((review_ptr(group, col), *v));
                }
            }
        }
    }
    out
}

/// Findings by the cell pointers they name.
pub(crate) struct Marks<'a> {
    by_cell: HashMap<&'a str, Vec<&'a Finding>>,
}

impl<'a> Marks<'a> {
    pub(crate) fn new(findings: &'a [Finding]) -> Marks<'a> {
        let mut by_cell: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for f in findings {
            for c in &f.cells {
                let list = by_cell.entry(c.as_str()).or_default();
                if !list.iter().any(|g| std::ptr::eq(*g, f)) {
                    list.push(f);
                }
            }
        }
        Marks { by_cell }
    }

    /// The findings naming `pointer`, in the order given.
    pub(crate) fn get(&self, pointer: &str) -> &[&'a Finding] {
        self.by_cell.get(pointer).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// One finding as a line of text: `【错误】requests.balance：message`.
pub(crate) fn finding_line(f: &Finding) -> String {
    format!("【{}】{}：{}", f.severity.label_zh(), f.rule, f.message)
}
