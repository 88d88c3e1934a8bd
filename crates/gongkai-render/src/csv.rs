//! CSV: a report's cells as one flat list, findings, and any generic table.
//!
//! CSV is what researchers load into pandas or R and what a 信息员 double-clicks, so the output
//! is written for both:
//!
//! * **UTF-8 with a byte-order mark.** Excel on Chinese Windows opens a BOM-less CSV as GBK and
//!   shows mojibake; with the BOM it reads UTF-8. pandas and R skip the BOM (`utf-8-sig`).
//! * **RFC 4180**: CRLF line ends, fields quoted when they contain a comma, a quote, CR or LF,
//!   quotes doubled. Hand-written: the format is a dozen lines and a dependency would not pay.
//! * **Formula injection is defused.** Text from reports and findings comes from documents found
//!   on the web; a field beginning with `=`, `+`, `-`, `@` (or a tab or CR, which Excel also
//!   strips before evaluating) would run as a formula when the CSV is opened in a spreadsheet.
//!   Such text fields get a leading apostrophe (OWASP's advice), which Excel hides. Numbers are
//!   written as numbers, so `-417` (本年增/减) stays a negative number.
//! * **Absent is not zero**: an absent cell is an empty field.
//!
//! [`report_to_csv`] lists every cell of tables 二, 三, 四 and the 统计表 as
//! `表格, 分组, 行标识, 行名称, 列标识, 列名称, 数值, 单元格` (the last column is the JSON
//! pointer, matching findings' `cells`), in the official order, including the cells the layout
//! has no place for.

use gongkai_core::model::{fmt_num, Cell, Finding, Report};
use gongkai_core::skeleton::{REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS};

use crate::layout;
use crate::xlsx::CellValue;

/// The UTF-8 byte-order mark every CSV starts with.
pub const BOM: char = '\u{FEFF}';

/// Headers of [`report_to_csv`].
pub const REPORT_HEADERS: [&str; 8] = [
    "表格",
    "分组",
    "行标识",
    "行名称",
    "列标识",
    "列名称",
    "数值",
    "单元格",
];

/// Headers of [`findings_to_csv`].
pub const FINDING_HEADERS: [&str; 8] = [
    "来源",
    "严重程度",
    "规则",
    "说明",
    "单元格",
    "应为",
    "实为",
    "级别代码",
];

/// One text field: defused against formula injection, then quoted when needed.
fn text_field(out: &mut String, s: &str) {
    let risky = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    let guarded;
    let s = if risky {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn number_field(out: &mut String, v: f64) {
    if v.is_finite() {
        out.push_str(&fmt_num(v));
    }
}

fn write_value(out: &mut String, v: &CellValue) {
    match v {
        CellValue::Text(t) => text_field(out, t),
        CellValue::Number(x) => number_field(out, *x),
        CellValue::Empty => {}
    }
}

fn write_row<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a CellValue>) {
    for (i, v) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(out, v);
    }
    out.push_str("\r\n");
}

fn header_row(out: &mut String, headers: &[&str]) {
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        text_field(out, h);
    }
    out.push_str("\r\n");
}

/// A generic table as CSV (BOM, header row, one line per row; rows may be ragged).
pub fn table_to_csv(headers: &[&str], rows: &[Vec<CellValue>]) -> String {
    let mut out = String::new();
    out.push(BOM);
    header_row(&mut out, headers);
    for row in rows {
        write_row(&mut out, row);
    }
    out
}

/// One line of [`report_to_csv`].
struct Line<'a> {
    table: &'a str,
    group: &'a str,
    row_id: &'a str,
    row_label: &'a str,
    col_id: &'a str,
    col_label: &'a str,
    value: Cell,
    pointer: &'a str,
}

fn line(out: &mut String, l: Line) {
    let value = CellValue::from(l.value.filter(|v| v.is_finite()));
    let t = |s: &str| CellValue::Text(s.to_string());
    write_row(
        out,
        &[
            t(l.table),
            t(l.group),
            t(l.row_id),
            t(l.row_label),
            t(l.col_id),
            t(l.col_label),
            value,
            t(l.pointer),
        ],
    );
}

/// Every cell of the report's tables as one flat CSV (see the module docs).
pub fn report_to_csv(report: &Report) -> String {
    let mut out = String::new();
    out.push(BOM);
    header_row(&mut out, &REPORT_HEADERS);
    if report.proactive.is_some() {
        for block in layout::proactive_blocks(report) {
            for row in block.rows {
                for col in block.columns {
                    let label = layout::proactive_column_label(report, block, col);
                    line(
                        &mut out,
                        Line {
                            table: "表二",
                            group: block.item,
                            row_id: row.id,
                            row_label: row.label,
                            col_id: col.id,
                            col_label: &label,
                            value: layout::proactive_cell(report, row.id, col.id),
                            pointer: &layout::proactive_ptr(row.id, col.id),
                        },
                    );
                }
            }
        }
    }
    if report.requests.is_some() {
        for row in layout::request_rows(report) {
            let group = match (row.group, row.subgroup) {
                (Some(g), Some(s)) => format!("{g} {s}"),
                (Some(g), None) => g.to_string(),
                _ => String::new(),
            };
            for (c, col) in REQUEST_COLUMNS.iter().enumerate() {
                line(
                    &mut out,
                    Line {
                        table: "表三",
                        group: &group,
                        row_id: row.label.id,
                        row_label: row.label.label,
                        col_id: col.id,
                        col_label: col.label,
                        value: report.request_cell(row.label.id, c),
                        pointer: &layout::request_ptr(row.label.id, c),
                    },
                );
            }
        }
    }
    if report.reviews.is_some() {
        for group in REVIEW_GROUPS {
            for col in REVIEW_COLUMNS {
                line(
                    &mut out,
                    Line {
                        table: "表四",
                        group: "",
                        row_id: group.id,
                        row_label: group.label,
                        col_id: col.id,
                        col_label: col.label,
                        value: layout::review_cell(report, group.id, col.id),
                        pointer: &layout::review_ptr(group.id, col.id),
                    },
                );
            }
        }
    }
    if let Some(stats) = &report.statistics_2014 {
        let columns = layout::statistics_columns(report);
        for (i, row) in stats.rows.iter().enumerate() {
            let label = match row.unit.as_deref() {
                Some(u) if !u.is_empty() => format!("{}（{u}）", row.label),
                _ => row.label.clone(),
            };
            for (j, col) in columns.iter().enumerate() {
                line(
                    &mut out,
                    Line {
                        table: "统计表",
                        group: "",
                        row_id: &i.to_string(),
                        row_label: &label,
                        col_id: &j.to_string(),
                        col_label: col,
                        value: row.values.get(j).copied().flatten(),
                        pointer: &layout::statistics_ptr(i, j),
                    },
                );
            }
        }
    }
    for (pointer, cell) in layout::extra_cells(report) {
        line(
            &mut out,
            Line {
                table: "其他数据",
                group: "",
                row_id: "",
                row_label: "",
                col_id: "",
                col_label: "",
                value: cell,
                pointer: &pointer,
            },
        );
    }
    out
}

fn json_text(v: &Option<serde_json::Value>) -> CellValue {
    match v {
        None | Some(serde_json::Value::Null) => CellValue::Empty,
        Some(serde_json::Value::Number(n)) => {
            n.as_f64().map_or(CellValue::Empty, CellValue::Number)
        }
        Some(serde_json::Value::String(s)) => CellValue::Text(s.clone()),
        Some(other) => CellValue::Text(other.to_string()),
    }
}

/// Findings as CSV: source, severity (Chinese), rule, message, cells (joined with spaces),
/// expected, found, severity code (`error`, `warning`, `info`).
pub fn findings_to_csv(findings: &[Finding]) -> String {
    let mut out = String::new();
    out.push(BOM);
    header_row(&mut out, &FINDING_HEADERS);
    for f in findings {
        let severity = serde_json::to_value(f.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let row = [
            CellValue::from(f.source.as_deref()),
            CellValue::from(f.severity.label_zh()),
            CellValue::from(f.rule.as_str()),
            CellValue::from(f.message.as_str()),
            CellValue::from(f.cells.join(" ")),
            json_text(&f.expected),
            json_text(&f.found),
            CellValue::from(severity),
        ];
        write_row(&mut out, &row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> String {
        let mut out = String::new();
        text_field(&mut out, s);
        out
    }

    #[test]
    fn quotes_per_rfc_4180() {
        assert_eq!(field("普通"), "普通");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("说\"是\""), "\"说\"\"是\"\"\"");
        assert_eq!(field("两\n行"), "\"两\n行\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn defuses_formulas_in_text_but_not_numbers() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-417"), "'-417");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("a=b"), "a=b");
        let csv = table_to_csv(
            &["值"],
            &[
                vec![CellValue::Number(-417.0)],
                vec![CellValue::Number(2.5)],
            ],
        );
        assert_eq!(csv, "\u{FEFF}值\r\n-417\r\n2.5\r\n");
    }

    #[test]
    fn empty_and_non_finite_are_blank() {
        let csv = table_to_csv(
            &["a", "b", "c"],
            &[vec![
                CellValue::Empty,
                CellValue::Number(f64::NAN),
                CellValue::Text("x".into()),
            ]],
        );
        assert_eq!(csv, "\u{FEFF}a,b,c\r\n,,x\r\n");
    }
}
