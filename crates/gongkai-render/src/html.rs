//! The report as one standalone zh-CN HTML5 page, tables in the official layout.

use std::fmt::Write;

use gongkai_core::model::{Cell, Finding, Report, Severity};
use gongkai_core::skeleton::{REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS};

use crate::layout::{self, cell_text, Marks};

/// Inline style: print-friendly, CJK fonts, the official table look, highlighted cells.
const CSS: &str = "\
body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",SimSun,sans-serif;\
line-height:1.6;margin:2em auto;max-width:60em;padding:0 1em;color:#111}\
h1{font-size:1.5em;text-align:center}h2{font-size:1.2em;margin-top:2em}h3{font-size:1.05em}\
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dl.meta dt{font-weight:bold}dl.meta dd{margin:0}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em}\
th,td{border:1px solid #333;padding:.25em .5em;vertical-align:middle}\
th{font-weight:normal;background:#f4f4f4;text-align:center}th[scope=row]{text-align:left}\
th.block{font-weight:bold;background:#e8e8e8}td{text-align:right;min-width:3em}td.text{text-align:left}\
.bad{background:#ffd6d6;outline:2px solid #c00;outline-offset:-2px}\
.bad[data-severity=warning]{background:#fff0c2;outline-color:#b70}.bad[data-severity=info]{background:#e4efff;outline-color:#36c}\
ol.findings li.error{color:#a00}ol.findings li.warning{color:#850}\
ol.findings{overflow-wrap:anywhere}.sev{font-weight:bold}code{font-size:.9em}\
@media print{body{margin:0;max-width:none}.bad{outline-color:#000}}";

/// Escape text for HTML text and (quoted) attribute context: `& < > " '`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The report as a complete standalone HTML5 document (`<html lang="zh-CN">`, UTF-8, inline
/// CSS, no script, no external resource): title, metadata, the tables in the official layout
/// with merged header and row-label cells, the cells named by `findings` highlighted
/// (`class="bad"`, messages in `title`), the list of findings, then the narrative.
///
/// Every string taken from the report or the findings is escaped with [`escape_html`]; absent
/// cells are empty, never `0`.
pub fn to_html(report: &Report, findings: &[Finding]) -> String {
    let marks = Marks::new(findings);
    let title = escape_html(&layout::title(report));
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"gongkai\">\n");
    let _ = writeln!(out, "<title>{title}</title>");
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(out, "<h1>{title}</h1>");
    write_metadata(&mut out, report);
    write_tables(&mut out, report, &marks);
    write_findings(&mut out, findings);
    write_narrative(&mut out, report);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Only the tables in the official layout (sections 二 … 四 or the 统计表), with the cells named
/// by `findings` highlighted — the fragment a web page embeds. Style it with [`REPORT_CSS`].
pub fn tables_html(report: &Report, findings: &[Finding]) -> String {
    let marks = Marks::new(findings);
    let mut out = String::new();
    write_tables(&mut out, report, &marks);
    out
}

fn write_tables(out: &mut String, report: &Report, marks: &Marks<'_>) {
    let mut t = Tables { out, report, marks };
    if report.proactive.is_some() {
        t.proactive();
    }
    if report.requests.is_some() {
        t.requests();
    }
    if report.reviews.is_some() {
        t.reviews();
    }
    if report.statistics_2014.is_some() {
        t.statistics();
    }
    t.extras();
}

fn write_metadata(out: &mut String, report: &Report) {
    out.push_str("<dl class=\"meta\">\n");
    let mut item = |term: &str, value: &str| {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{}</dd>", escape_html(value));
    };
    item("格式版本", layout::generation_label(report.generation));
    let year = report.year.map(|y| y.to_string());
    item("报告年度", year.as_deref().unwrap_or("未知"));
    item("发布日期", report.published_on.as_deref().unwrap_or("未知"));
    item("章节", &layout::sections_text(report));
    if let Some(source) = &report.source {
        item("来源", source);
    }
    out.push_str("</dl>\n");
}

/// The table writers, with the findings to highlight.
struct Tables<'a, 'f> {
    out: &'a mut String,
    report: &'a Report,
    marks: &'a Marks<'f>,
}

impl Tables<'_, '_> {
    /// A data cell: the number (empty when absent), its pointer, highlighted when a finding
    /// names it.
    fn td(&mut self, cell: Cell, pointer: &str, colspan: usize) {
        let found = self.marks.get(pointer);
        self.out.push_str("<td");
        if !found.is_empty() {
            let lines: Vec<String> = found.iter().map(|f| layout::finding_line(f)).collect();
            let worst = found
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Error);
            let _ = write!(
                self.out,
                " class=\"bad\" title=\"{}\" data-severity=\"{}\"",
                escape_html(&lines.join("\n")),
                severity_class(worst)
            );
        }
        span(self.out, "colspan", colspan);
        let _ = write!(
            self.out,
            " data-cell=\"{}\">{}</td>",
            escape_html(pointer),
            cell_text(cell)
        );
    }

    fn section_start(&mut self, id: &str, heading: &str) {
        let _ = writeln!(
            self.out,
            "<section id=\"{id}\">\n<h2>{}</h2>",
            escape_html(heading)
        );
    }

    /// Table 二: per 第二十条 item a title row across the table, a header row, the data rows.
    /// A block with fewer columns than the widest lets its last column span the rest.
    fn proactive(&mut self) {
        let report = self.report;
        let blocks = layout::proactive_blocks(report);
        let width = blocks.iter().map(|b| b.columns.len()).max().unwrap_or(1);
        self.section_start("proactive", layout::PROACTIVE_TITLE);
        self.out.push_str("<table class=\"proactive\">\n");
        for block in blocks {
            let last_span = width + 1 - block.columns.len();
            let _ = writeln!(
                self.out,
                "<tr><th class=\"block\" colspan=\"{}\">{}</th></tr>",
                width + 1,
                escape_html(block.item)
            );
            self.out.push_str("<tr><th>信息内容</th>");
            for (i, col) in block.columns.iter().enumerate() {
                self.out.push_str("<th");
                if i + 1 == block.columns.len() {
                    span(self.out, "colspan", last_span);
                }
                let label = layout::proactive_column_label(report, block, col);
                let _ = write!(self.out, ">{}</th>", escape_html(&label));
            }
            self.out.push_str("</tr>\n");
            for row in block.rows {
                let _ = write!(
                    self.out,
                    "<tr><th scope=\"row\">{}</th>",
                    escape_html(row.label)
                );
                for (i, col) in block.columns.iter().enumerate() {
                    let colspan = if i + 1 == block.columns.len() {
                        last_span
                    } else {
                        1
                    };
                    let cell = layout::proactive_cell(report, row.id, col.id);
                    self.td(cell, &layout::proactive_ptr(row.id, col.id), colspan);
                }
                self.out.push_str("</tr>\n");
            }
        }
        self.out.push_str("</table>\n</section>\n");
    }

    /// Table 三 in the national layout: three header rows under the 勾稽关系 note, three label
    /// columns with the group labels merged down their rows.
    fn requests(&mut self) {
        let report = self.report;
        let rows = layout::request_rows(report);
        self.section_start("requests", layout::REQUESTS_TITLE);
        self.out.push_str("<table class=\"requests\">\n<thead>\n");
        let _ = writeln!(
            self.out,
            "<tr><th colspan=\"3\" rowspan=\"3\">{}</th><th colspan=\"7\">申请人情况</th></tr>",
            escape_html(layout::REQUESTS_NOTE)
        );
        let _ = writeln!(
            self.out,
            "<tr><th rowspan=\"2\">{}</th><th colspan=\"5\">法人或其他组织</th><th rowspan=\"2\">{}</th></tr>",
            escape_html(REQUEST_COLUMNS[0].label),
            escape_html(REQUEST_COLUMNS[6].label)
        );
        self.out.push_str("<tr>");
        for col in &REQUEST_COLUMNS[1..6] {
            let _ = write!(self.out, "<th>{}</th>", escape_html(col.label));
        }
        self.out.push_str("</tr>\n</thead>\n<tbody>\n");
        for (i, row) in rows.iter().enumerate() {
            self.out.push_str("<tr>");
            let group_starts = i == 0 || rows[i - 1].group != row.group;
            if let Some(group) = row.group {
                if group_starts {
                    let n = rows[i..]
                        .iter()
                        .take_while(|r| r.group == row.group)
                        .count();
                    self.label_cell(group, n, 1);
                }
                if let Some(sub) = row.subgroup {
                    let sub_starts = group_starts || rows[i - 1].subgroup != row.subgroup;
                    if sub_starts {
                        let n = rows[i..]
                            .iter()
                            .take_while(|r| r.group == row.group && r.subgroup == row.subgroup)
                            .count();
                        self.label_cell(sub, n, 1);
                    }
                    self.label_cell(row.label.label, 1, 1);
                } else {
                    self.label_cell(row.label.label, 1, 2);
                }
            } else {
                self.label_cell(row.label.label, 1, 3);
            }
            for c in 0..REQUEST_COLUMNS.len() {
                let cell = report.request_cell(row.label.id, c);
                self.td(cell, &layout::request_ptr(row.label.id, c), 1);
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n</section>\n");
    }

    fn label_cell(&mut self, label: &str, rowspan: usize, colspan: usize) {
        let scope = if rowspan > 1 { "rowgroup" } else { "row" };
        let _ = write!(self.out, "<th scope=\"{scope}\"");
        span(self.out, "rowspan", rowspan);
        span(self.out, "colspan", colspan);
        let _ = write!(self.out, ">{}</th>", escape_html(label));
    }

    /// Table 四: 行政复议 (5) and 行政诉讼 (10 = 未经复议直接起诉 5 + 复议后起诉 5) in one row.
    fn reviews(&mut self) {
        let report = self.report;
        self.section_start("reviews", layout::REVIEWS_TITLE);
        self.out.push_str("<table class=\"reviews\">\n<thead>\n");
        let _ = writeln!(
            self.out,
            "<tr><th colspan=\"5\">{}</th><th colspan=\"10\">行政诉讼</th></tr>",
            escape_html(REVIEW_GROUPS[0].label)
        );
        self.out.push_str("<tr>");
        for col in REVIEW_COLUMNS {
            let _ = write!(
                self.out,
                "<th rowspan=\"2\">{}</th>",
                escape_html(col.label)
            );
        }
        for group in &REVIEW_GROUPS[1..] {
            let name = group.label.rsplit(" · ").next().unwrap_or(group.label);
            let _ = write!(self.out, "<th colspan=\"5\">{}</th>", escape_html(name));
        }
        self.out.push_str("</tr>\n<tr>");
        for _ in &REVIEW_GROUPS[1..] {
            for col in REVIEW_COLUMNS {
                let _ = write!(self.out, "<th>{}</th>", escape_html(col.label));
            }
        }
        self.out.push_str("</tr>\n</thead>\n<tbody>\n<tr>");
        for group in REVIEW_GROUPS {
            for col in REVIEW_COLUMNS {
                let cell = layout::review_cell(report, group.id, col.id);
                self.td(cell, &layout::review_ptr(group.id, col.id), 1);
            }
        }
        self.out.push_str("</tr>\n</tbody>\n</table>\n</section>\n");
    }

    /// The pre-2019 统计表: 统计指标 · 单位 · value columns · 说明.
    fn statistics(&mut self) {
        let report = self.report;
        let Some(stats) = &report.statistics_2014 else {
            return;
        };
        let columns = layout::statistics_columns(report);
        self.section_start("statistics", layout::STATISTICS_TITLE);
        self.out
            .push_str("<table class=\"statistics\">\n<thead>\n<tr><th>统计指标</th><th>单位</th>");
        for c in &columns {
            let _ = write!(self.out, "<th>{}</th>", escape_html(c));
        }
        self.out.push_str("<th>说明</th></tr>\n</thead>\n<tbody>\n");
        for (i, row) in stats.rows.iter().enumerate() {
            let _ = write!(
                self.out,
                "<tr><th scope=\"row\">{}</th><td class=\"text\">{}</td>",
                escape_html(&row.label),
                escape_html(row.unit.as_deref().unwrap_or(""))
            );
            for j in 0..columns.len() {
                let cell = row.values.get(j).copied().flatten();
                self.td(cell, &layout::statistics_ptr(i, j), 1);
            }
            let _ = writeln!(
                self.out,
                "<td class=\"text\">{}</td></tr>",
                escape_html(row.note.as_deref().unwrap_or(""))
            );
        }
        self.out.push_str("</tbody>\n</table>\n</section>\n");
    }

    /// Cells the official layout has no place for, by pointer.
    fn extras(&mut self) {
        let extras = layout::extra_cells(self.report);
        if extras.is_empty() {
            return;
        }
        self.section_start("extras", layout::EXTRAS_TITLE);
        self.out
            .push_str("<table class=\"extras\">\n<thead>\n<tr><th>位置</th><th>数值</th></tr>\n</thead>\n<tbody>\n");
        for (pointer, cell) in extras {
            let _ = write!(
                self.out,
                "<tr><th scope=\"row\"><code>{}</code></th>",
                escape_html(&pointer)
            );
            self.td(cell, &pointer, 1);
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n</section>\n");
    }
}

/// ` rowspan="n"` / ` colspan="n"` when `n > 1`.
fn span(out: &mut String, attr: &str, n: usize) {
    if n > 1 {
        let _ = write!(out, " {attr}=\"{n}\"");
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn write_findings(out: &mut String, findings: &[Finding]) {
    let _ = writeln!(
        out,
        "<section id=\"findings\">\n<h2>{}</h2>",
        layout::FINDINGS_TITLE
    );
    if findings.is_empty() {
        out.push_str("<p>（无）</p>\n");
    } else {
        out.push_str("<ol class=\"findings\">\n");
        for f in findings {
            let _ = write!(
                out,
                "<li class=\"{}\"><span class=\"sev\">【{}】</span><code>{}</code>：{}",
                severity_class(f.severity),
                f.severity.label_zh(),
                escape_html(&f.rule),
                escape_html(&f.message)
            );
            if !f.cells.is_empty() {
                let cells: Vec<String> = f
                    .cells
                    .iter()
                    .map(|c| format!("<code>{}</code>", escape_html(c)))
                    .collect();
                let _ = write!(out, "（单元格：{}）", cells.join("、"));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</section>\n");
}

fn write_narrative(out: &mut String, report: &Report) {
    if report.narrative.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"narrative\">\n<h2>{}</h2>",
        layout::NARRATIVE_TITLE
    );
    for (key, text) in &report.narrative {
        let _ = writeln!(
            out,
            "<h3>{}</h3>",
            escape_html(&layout::narrative_heading(key))
        );
        for para in layout::paragraphs(text) {
            let _ = writeln!(out, "<p>{}</p>", escape_html(para));
        }
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape_html(r#"a "b" & 'c'"#),
            "a &quot;b&quot; &amp; &#39;c&#39;"
        );
        assert_eq!(escape_html("示例市数据资源局"), "示例市数据资源局");
        assert_eq!(escape_html("&amp;"), "&amp;amp;");
    }
}
