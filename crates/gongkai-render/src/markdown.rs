//! The report as Markdown (CommonMark with GFM tables): for diffs, issues and chat.

use std::fmt::Write;

use gongkai_core::model::{Finding, Report};
use gongkai_core::skeleton::{REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS};

use crate::layout::{self, cell_text};

/// Full-width space used to indent row labels under their group label.
const INDENT: &str = "\u{3000}";

/// The report as Markdown: title, metadata, each present table with the official labels of its
/// generation, the findings (检查结果), then the narrative sections.
///
/// Absent cells are empty; text from the report is backslash-escaped so that it cannot turn into
/// Markdown (or raw HTML) structure.
pub fn to_markdown(report: &Report, findings: &[Finding]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape_md(&layout::title(report)));
    write_metadata(&mut out, report);
    if report.proactive.is_some() {
        write_proactive(&mut out, report);
    }
    if report.requests.is_some() {
        write_requests(&mut out, report);
    }
    if report.reviews.is_some() {
        write_reviews(&mut out, report);
    }
    if report.statistics_2014.is_some() {
        write_statistics(&mut out, report);
    }
    write_extras(&mut out, report);
    write_findings(&mut out, findings);
    write_narrative(&mut out, report);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn write_metadata(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "- 格式版本：{}",
        layout::generation_label(report.generation)
    );
    let year = report.year.map(|y| y.to_string());
    let _ = writeln!(out, "- 报告年度：{}", year.as_deref().unwrap_or("未知"));
    let published = report.published_on.as_deref().map(escape_md);
    let _ = writeln!(
        out,
        "- 发布日期：{}",
        published.as_deref().unwrap_or("未知")
    );
    let _ = writeln!(out, "- 章节：{}", escape_md(&layout::sections_text(report)));
    if let Some(source) = &report.source {
        let _ = writeln!(out, "- 来源：{}", escape_md(source));
    }
    out.push('\n');
}

fn write_proactive(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## {}\n", layout::PROACTIVE_TITLE);
    for block in layout::proactive_blocks(report) {
        let _ = writeln!(out, "### {}\n", block.item);
        let mut header = vec!["信息内容".to_string()];
        header.extend(
            block
                .columns
                .iter()
                .map(|c| layout::proactive_column_label(report, block, c)),
        );
        table_head(out, &header);
        for row in block.rows {
            let mut cells = vec![row.label.to_string()];
            cells.extend(
                block
                    .columns
                    .iter()
                    .map(|c| cell_text(layout::proactive_cell(report, row.id, c.id))),
            );
            table_row(out, &cells);
        }
        out.push('\n');
    }
}

fn write_requests(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## {}\n", layout::REQUESTS_TITLE);
    let _ = writeln!(out, "{}\n", layout::REQUESTS_NOTE);
    let mut header = vec!["项目".to_string()];
    header.extend(REQUEST_COLUMNS.iter().map(|c| c.label.to_string()));
    table_head(out, &header);
    let blank = || vec![String::new(); REQUEST_COLUMNS.len()];
    let (mut group, mut subgroup) = (None, None);
    for row in layout::request_rows(report) {
        if row.group != group {
            group = row.group;
            subgroup = None;
            if let Some(g) = group {
                let mut cells = vec![format!("**{g}**")];
                cells.extend(blank());
                table_row(out, &cells);
            }
        }
        if row.subgroup != subgroup {
            subgroup = row.subgroup;
            if let Some(s) = subgroup {
                let mut cells = vec![format!("{INDENT}**{s}**")];
                cells.extend(blank());
                table_row(out, &cells);
            }
        }
        let depth = usize::from(row.group.is_some()) + usize::from(row.subgroup.is_some());
        let mut cells = vec![format!("{}{}", INDENT.repeat(depth), row.label.label)];
        cells.extend(
            (0..REQUEST_COLUMNS.len()).map(|c| cell_text(report.request_cell(row.label.id, c))),
        );
        table_row(out, &cells);
    }
    out.push('\n');
}

fn write_reviews(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## {}\n", layout::REVIEWS_TITLE);
    let mut header = vec!["类别".to_string()];
    header.extend(REVIEW_COLUMNS.iter().map(|c| c.label.to_string()));
    table_head(out, &header);
    for group in REVIEW_GROUPS {
        let mut cells = vec![group.label.to_string()];
        cells.extend(
            REVIEW_COLUMNS
                .iter()
                .map(|c| cell_text(layout::review_cell(report, group.id, c.id))),
        );
        table_row(out, &cells);
    }
    out.push('\n');
}

fn write_statistics(out: &mut String, report: &Report) {
    let Some(stats) = &report.statistics_2014 else {
        return;
    };
    let columns = layout::statistics_columns(report);
    let _ = writeln!(out, "## {}\n", layout::STATISTICS_TITLE);
    let mut header = vec!["统计指标".to_string(), "单位".to_string()];
    header.extend(columns.iter().map(|c| escape_cell(c)));
    header.push("说明".to_string());
    table_head_with(out, &header, 2, 1);
    for row in &stats.rows {
        let mut cells = vec![
            escape_cell(&row.label),
            escape_cell(row.unit.as_deref().unwrap_or("")),
        ];
        cells.extend((0..columns.len()).map(|i| cell_text(row.values.get(i).copied().flatten())));
        cells.push(escape_cell(row.note.as_deref().unwrap_or("")));
        table_row(out, &cells);
    }
    out.push('\n');
}

fn write_extras(out: &mut String, report: &Report) {
    let extras = layout::extra_cells(report);
    if extras.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {}\n", layout::EXTRAS_TITLE);
    table_head(out, &["位置".to_string(), "数值".to_string()]);
    for (pointer, cell) in extras {
        table_row(
            out,
            &[format!("`{}`", code_text(&pointer)), cell_text(cell)],
        );
    }
    out.push('\n');
}

fn write_findings(out: &mut String, findings: &[Finding]) {
    let _ = writeln!(out, "## {}\n", layout::FINDINGS_TITLE);
    if findings.is_empty() {
        out.push_str("（无）\n\n");
        return;
    }
    for f in findings {
        let _ = write!(
            out,
            "- 【{}】`{}`：{}",
            f.severity.label_zh(),
            code_text(&f.rule),
            escape_md(&one_line(&f.message))
        );
        if !f.cells.is_empty() {
            let cells: Vec<String> = f
                .cells
                .iter()
                .map(|c| format!("`{}`", code_text(c)))
                .collect();
            let _ = write!(out, "（单元格：{}）", cells.join("、"));
        }
        out.push('\n');
    }
    out.push('\n');
}

fn write_narrative(out: &mut String, report: &Report) {
    if report.narrative.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {}\n", layout::NARRATIVE_TITLE);
    for (key, text) in &report.narrative {
        let _ = writeln!(
            out,
            "### {}\n",
            escape_md(&one_line(&layout::narrative_heading(key)))
        );
        for para in layout::paragraphs(text) {
            let _ = writeln!(out, "{}\n", escape_md(para));
        }
    }
}

/// Header and delimiter rows: the first column left-aligned, the others right-aligned numbers.
fn table_head(out: &mut String, header: &[String]) {
    table_head_with(out, header, 1, 0);
}

/// Like [`table_head`] with `left` leading and `trailing` last columns left-aligned.
fn table_head_with(out: &mut String, header: &[String], left: usize, trailing: usize) {
    table_row(out, header);
    let n = header.len();
    let delims: Vec<String> = (0..n)
        .map(|i| {
            if i < left || i + trailing >= n {
                "---".to_string()
            } else {
                "---:".to_string()
            }
        })
        .collect();
    table_row(out, &delims);
}

fn table_row(out: &mut String, cells: &[String]) {
    out.push('|');
    for c in cells {
        if c.is_empty() {
            out.push_str(" |");
        } else {
            let _ = write!(out, " {c} |");
        }
    }
    out.push('\n');
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Backslash-escape the ASCII punctuation that Markdown (and inline HTML) would interpret.
pub(crate) fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Text for a table cell: escaped and on one line.
fn escape_cell(s: &str) -> String {
    escape_md(&one_line(s))
}

/// Text inside a code span: backticks cannot be escaped there, so they are replaced; a `|`
/// would still end a table cell, so it is escaped (GFM allows `\|` inside code in tables).
fn code_text(s: &str) -> String {
    one_line(s).replace('`', "'").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongkai_core::model::fmt_num;

    #[test]
    fn escape_md_neutralises_markup() {
        assert_eq!(
            escape_md("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(escape_md("a|b*c_d"), "a\\|b\\*c\\_d");
        assert_eq!(escape_md("示例市数据资源局"), "示例市数据资源局");
    }

    #[test]
    fn numbers_use_fmt_num() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(cell_text(Some(20.3)), "20.3");
        assert_eq!(cell_text(None), "");
    }
}
