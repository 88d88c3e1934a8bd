//! Excel workbooks: a report in the official table layout, and any table a page shows.
//!
//! A 政务公开办 lives in Excel: it checks figures with its own formulas, pastes them into the
//! whole-government report and mails workbooks around. So [`report_to_xlsx`] writes a real
//! spreadsheet, not a CSV in disguise:
//!
//! * **The national layout, from the skeleton.** One sheet per table (表二, 表三, 表四, or the
//!   统计表), with the merged cells of the HTML and DOCX renderers: table 三's three-row header
//!   under the 勾稽关系 note (申请人情况 over seven columns, 法人或其他组织 over five) and its
//!   group labels merged down their rows (三、本年度办理结果, （三）不予公开 …); table 二's block
//!   title rows; table 四's 行政复议 / 行政诉讼 over 未经复议直接起诉 and 复议后起诉. Labels come
//!   from [`gongkai_core::skeleton`] via the renderers' shared layout module.
//! * **Numbers are numbers**, so SUM and the 勾稽关系 can be recomputed in Excel. An absent
//!   cell is an empty bordered cell, never `0`.
//! * **Findings are visible where they apply**: a cell named by a finding is filled (red for
//!   errors, amber for warnings, blue for notes) and carries an Excel note with the messages;
//!   a sheet 检查结果 lists all findings with their cell pointers. A first sheet 概况 gives
//!   title, generation, year and dates.
//! * Text from reports is written as text cells: Excel does not evaluate them, so no formula
//!   injection is possible here (the CSV writer guards against it separately).
//!
//! [`table_to_xlsx`] writes any list view (overview lists, comparisons, roll-ups) as one sheet
//! with a bold frozen header row and an autofilter; [`CellValue`] keeps numbers numeric.
//!
//! Built with `rust_xlsxwriter` without optional features (its deflate-only `zip` is the one
//! the DOCX writer already uses).

use gongkai_core::model::{Cell, Finding, Report, Severity};
use gongkai_core::skeleton::{REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS};
use rust_xlsxwriter::{
    Color, DocProperties, Format, FormatAlign, FormatBorder, Note, Workbook, Worksheet,
};

use crate::layout::{self, Marks};

/// Why a workbook could not be written (an Excel limit exceeded, typically).
#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    #[error("生成 Excel 文件失败：{0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
    /// More columns than a worksheet holds (16,384).
    #[error("表格有{0}列，超过 Excel 工作表的列数上限 16384")]
    TooWide(usize),
}

/// Columns of an Excel worksheet.
const MAX_COLUMNS: usize = 16_384;

/// One cell of a generic table: text, a number, or nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CellValue {
    Text(String),
    Number(f64),
    #[default]
    Empty,
}

impl From<&str> for CellValue {
    fn from(s: &str) -> Self {
        CellValue::Text(s.to_string())
    }
}

impl From<String> for CellValue {
    fn from(s: String) -> Self {
        CellValue::Text(s)
    }
}

impl From<&String> for CellValue {
    fn from(s: &String) -> Self {
        CellValue::Text(s.clone())
    }
}

impl From<f64> for CellValue {
    fn from(v: f64) -> Self {
        CellValue::Number(v)
    }
}

impl From<i64> for CellValue {
    fn from(v: i64) -> Self {
        CellValue::Number(v as f64)
    }
}

impl From<i32> for CellValue {
    fn from(v: i32) -> Self {
        CellValue::Number(f64::from(v))
    }
}

impl From<usize> for CellValue {
    fn from(v: usize) -> Self {
        CellValue::Number(v as f64)
    }
}

/// A report cell: a number, or empty when absent.
impl From<Option<f64>> for CellValue {
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(x) => CellValue::Number(x),
            None => CellValue::Empty,
        }
    }
}

impl From<Option<String>> for CellValue {
    fn from(v: Option<String>) -> Self {
        v.map(CellValue::Text).unwrap_or(CellValue::Empty)
    }
}

impl From<Option<&str>> for CellValue {
    fn from(v: Option<&str>) -> Self {
        v.map(CellValue::from).unwrap_or(CellValue::Empty)
    }
}

/// Excel's limit on the length of a cell's text, with room to spare.
const MAX_TEXT: usize = 32_000;
/// Length kept of an Excel note.
const MAX_NOTE: usize = 4_000;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Display width of text in Excel column units (CJK and full-width characters count 2).
fn text_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// Lines `text` wraps into in a column `width` units wide (explicit line breaks count).
fn lines(text: &str, width: f64) -> usize {
    let per_line = (width - 1.0).max(2.0);
    text.split('\n')
        .map(|l| ((text_width(l) as f64) / per_line).ceil().max(1.0) as usize)
        .sum()
}

/// Give row `r` the height its wrapped texts need: Excel and LibreOffice do not grow a row for
/// wrapped text written by a program, so long labels would be cut off.
fn fit_row(ws: &mut Worksheet, r: u32, texts: &[(&str, f64)]) -> Result<(), XlsxError> {
    let n = texts
        .iter()
        .map(|(t, w)| lines(t, *w))
        .max()
        .unwrap_or(1)
        .min(40);
    if n > 1 {
        ws.set_row_height(r, 14.5 * n as f64)?;
    }
    Ok(())
}

/// Print a table sheet landscape, one page wide.
fn print_setup(ws: &mut Worksheet) {
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
}

const FONT: &str = "宋体";

/// The formats of a workbook.
struct Formats {
    title: Format,
    head: Format,
    label: Format,
    text: Format,
    number: Format,
    flagged: [Format; 3],
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new()
            .set_font_name(FONT)
            .set_font_size(10.5)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let head = base
            .clone()
            .set_align(FormatAlign::Center)
            .set_text_wrap()
            .set_background_color(Color::RGB(0xF2F2F2));
        let number = base.clone().set_align(FormatAlign::Right);
        let fill = |rgb: u32| number.clone().set_background_color(Color::RGB(rgb));
        Formats {
            title: Format::new()
                .set_font_name(FONT)
                .set_font_size(12)
                .set_bold()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::VerticalCenter),
            head: head.clone(),
            label: base.clone().set_text_wrap().set_align(FormatAlign::Left),
            text: base.clone().set_text_wrap().set_align(FormatAlign::Left),
            flagged: [fill(0xE4EFFF), fill(0xFFF0C2), fill(0xFFD6D6)],
            number,
        }
    }

    fn flagged(&self, s: Severity) -> &Format {
        match s {
            Severity::Info => &self.flagged[0],
            Severity::Warning => &self.flagged[1],
            Severity::Error => &self.flagged[2],
        }
    }
}

/// Writes cells of one sheet: merged ranges, numbers with their findings.
struct Sheet<'w, 'f> {
    ws: &'w mut Worksheet,
    fmt: &'w Formats,
    marks: &'w Marks<'f>,
}

impl Sheet<'_, '_> {
    /// Text over `r1..=r2 × c1..=c2` (a merge when more than one cell).
    fn text(
        &mut self,
        r1: u32,
        c1: u16,
        r2: u32,
        c2: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let text = clip(text, MAX_TEXT);
        if r1 == r2 && c1 == c2 {
            self.ws.write_string_with_format(r1, c1, &text, format)?;
        } else {
            self.ws.merge_range(r1, c1, r2, c2, &text, format)?;
        }
        Ok(())
    }

    /// A data cell at `(r, c1..=c2)`: the number (blank when absent), filled and annotated
    /// when findings name `pointer`.
    fn number(
        &mut self,
        r: u32,
        c1: u16,
        c2: u16,
        cell: Cell,
        pointer: &str,
    ) -> Result<(), XlsxError> {
        let found = self.marks.get(pointer);
        let format = match found.iter().map(|f| f.severity).max() {
            Some(s) => self.fmt.flagged(s),
            None => &self.fmt.number,
        };
        if c2 > c1 {
            self.ws.merge_range(r, c1, r, c2, "", format)?;
        }
        match cell.filter(|v| v.is_finite()) {
            Some(v) => self.ws.write_number_with_format(r, c1, v, format)?,
            None => self.ws.write_blank(r, c1, format)?,
        };
        if !found.is_empty() {
            let lines: Vec<String> = found.iter().map(|f| layout::finding_line(f)).collect();
            let note = Note::new(clip(&lines.join("\n"), MAX_NOTE))
                .set_author("gongkai")
                .set_width(360)
                .set_height(120);
            self.ws.insert_note(r, c1, &note)?;
        }
        Ok(())
    }
}

/// The report as an XLSX workbook (see the module docs): sheets 概况, 表二, 表三, 表四 or
/// 统计表, 其他数据 when some cells have no place in the layout, and 检查结果.
pub fn report_to_xlsx(report: &Report, findings: &[Finding]) -> Result<Vec<u8>, XlsxError> {
    let marks = Marks::new(findings);
    let fmt = Formats::new();
    let mut wb = Workbook::new();
    let title = layout::title(report);
    wb.set_properties(
        &DocProperties::new()
            .set_title(clip(&title, 250))
            .set_author("gongkai")
            .set_comment("政府信息公开工作年度报告表格"),
    );
    overview_sheet(wb.add_worksheet(), &fmt, report, findings, &title)?;
    if report.proactive.is_some() {
        let ws = wb.add_worksheet();
        ws.set_name("表二 主动公开")?;
        proactive_sheet(&mut sheet(ws, &fmt, &marks), report)?;
    }
    if report.requests.is_some() {
        let ws = wb.add_worksheet();
        ws.set_name("表三 依申请公开")?;
        requests_sheet(&mut sheet(ws, &fmt, &marks), report)?;
    }
    if report.reviews.is_some() {
        let ws = wb.add_worksheet();
        ws.set_name("表四 复议诉讼")?;
        reviews_sheet(&mut sheet(ws, &fmt, &marks), report)?;
    }
    if report.statistics_2014.is_some() {
        let ws = wb.add_worksheet();
        ws.set_name("统计表")?;
        statistics_sheet(&mut sheet(ws, &fmt, &marks), report)?;
    }
    let extras = layout::extra_cells(report);
    if !extras.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name("其他数据")?;
        let mut s = sheet(ws, &fmt, &marks);
        s.ws.set_column_width(0, 40)?;
        s.ws.set_column_width(1, 12)?;
        s.text(0, 0, 0, 1, layout::EXTRAS_TITLE, &fmt.title)?;
        s.text(1, 0, 1, 0, "位置", &fmt.head)?;
        s.text(1, 1, 1, 1, "数值", &fmt.head)?;
        for (i, (pointer, cell)) in extras.iter().enumerate() {
            let r = 2 + i as u32;
            s.text(r, 0, r, 0, pointer, &fmt.text)?;
            s.number(r, 1, 1, *cell, pointer)?;
        }
    }
    findings_sheet(wb.add_worksheet(), &fmt, findings)?;
    Ok(wb.save_to_buffer()?)
}

fn sheet<'w, 'f>(ws: &'w mut Worksheet, fmt: &'w Formats, marks: &'w Marks<'f>) -> Sheet<'w, 'f> {
    Sheet { ws, fmt, marks }
}

fn overview_sheet(
    ws: &mut Worksheet,
    fmt: &Formats,
    report: &Report,
    findings: &[Finding],
    title: &str,
) -> Result<(), XlsxError> {
    ws.set_name("概况")?;
    ws.set_print_fit_to_pages(1, 0);
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 70)?;
    ws.write_string_with_format(0, 0, clip(title, MAX_TEXT), &fmt.title)?;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let year = report
        .year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "未知".into());
    let rows: Vec<(&str, String)> = vec![
        (
            "机关名称",
            report
                .agency
                .clone()
                .unwrap_or_else(|| "（机关名称未识别）".into()),
        ),
        ("报告年度", year),
        (
            "格式版本",
            layout::generation_label(report.generation).to_string(),
        ),
        (
            "发布日期",
            report.published_on.clone().unwrap_or_else(|| "未知".into()),
        ),
        ("章节", layout::sections_text(report)),
        ("来源", report.source.clone().unwrap_or_default()),
        (
            "检查结果",
            format!(
                "错误{}项，警告{}项，提示{}项",
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Info)
            ),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        ws.write_string_with_format(r, 0, *k, &fmt.head)?;
        ws.write_string_with_format(r, 1, clip(v, MAX_TEXT), &fmt.text)?;
        fit_row(ws, r, &[(v, 70.0)])?;
    }
    Ok(())
}

/// Table 二: per 第二十条 item a title row, a header row, the data rows; a block with fewer
/// columns than the widest lets its last column span the rest.
fn proactive_sheet(s: &mut Sheet, report: &Report) -> Result<(), XlsxError> {
    let blocks = layout::proactive_blocks(report);
    let width = blocks.iter().map(|b| b.columns.len()).max().unwrap_or(1) as u16;
    s.ws.set_column_width(0, 24)?;
    for c in 1..=width {
        s.ws.set_column_width(c, 18)?;
    }
    print_setup(s.ws);
    s.text(0, 0, 0, width, layout::PROACTIVE_TITLE, &s.fmt.title)?;
    let mut r = 1u32;
    for block in blocks {
        s.text(r, 0, r, width, block.item, &s.fmt.head)?;
        r += 1;
        s.text(r, 0, r, 0, "信息内容", &s.fmt.head)?;
        let n = block.columns.len() as u16;
        for (i, col) in block.columns.iter().enumerate() {
            let c = 1 + i as u16;
            let last = if c == n { width } else { c };
            let label = layout::proactive_column_label(report, block, col);
            s.text(r, c, r, last, &label, &s.fmt.head)?;
            fit_row(s.ws, r, &[(&label, 18.0 * f64::from(last - c + 1))])?;
        }
        r += 1;
        for row in block.rows {
            s.text(r, 0, r, 0, row.label, &s.fmt.label)?;
            fit_row(s.ws, r, &[(row.label, 24.0)])?;
            for (i, col) in block.columns.iter().enumerate() {
                let c = 1 + i as u16;
                let last = if c == n { width } else { c };
                let cell = layout::proactive_cell(report, row.id, col.id);
                s.number(r, c, last, cell, &layout::proactive_ptr(row.id, col.id))?;
            }
            r += 1;
        }
    }
    Ok(())
}

/// Table 三 in the national layout: the title, three header rows under the 勾稽关系 note,
/// three label columns with the group labels merged down their rows.
fn requests_sheet(s: &mut Sheet, report: &Report) -> Result<(), XlsxError> {
    let rows = layout::request_rows(report);
    let fmt = s.fmt;
    s.ws.set_column_width(0, 10)?;
    s.ws.set_column_width(1, 12)?;
    s.ws.set_column_width(2, 44)?;
    for c in 3..10 {
        s.ws.set_column_width(c, 10)?;
    }
    print_setup(s.ws);
    s.text(0, 0, 0, 9, layout::REQUESTS_TITLE, &fmt.title)?;
    s.text(1, 0, 3, 2, layout::REQUESTS_NOTE, &fmt.head)?;
    s.text(1, 3, 1, 9, "申请人情况", &fmt.head)?;
    s.text(2, 3, 3, 3, REQUEST_COLUMNS[0].label, &fmt.head)?;
    s.text(2, 4, 2, 8, "法人或其他组织", &fmt.head)?;
    s.text(2, 9, 3, 9, REQUEST_COLUMNS[6].label, &fmt.head)?;
    for (i, col) in REQUEST_COLUMNS[1..6].iter().enumerate() {
        let c = 4 + i as u16;
        s.text(3, c, 3, c, col.label, &fmt.head)?;
    }
    s.ws.set_freeze_panes(4, 3)?;
    let first = 4u32;
    for (i, row) in rows.iter().enumerate() {
        let r = first + i as u32;
        let group_starts = i == 0 || rows[i - 1].group != row.group;
        match row.group {
            Some(group) => {
                if group_starts {
                    let n = rows[i..]
                        .iter()
                        .take_while(|x| x.group == row.group)
                        .count() as u32;
                    s.text(r, 0, r + n - 1, 0, group, &fmt.label)?;
                }
                match row.subgroup {
                    Some(sub) => {
                        let sub_starts = group_starts || rows[i - 1].subgroup != row.subgroup;
                        if sub_starts {
                            let n = rows[i..]
                                .iter()
                                .take_while(|x| x.group == row.group && x.subgroup == row.subgroup)
                                .count() as u32;
                            s.text(r, 1, r + n - 1, 1, sub, &fmt.label)?;
                        }
                        s.text(r, 2, r, 2, row.label.label, &fmt.label)?;
                        fit_row(s.ws, r, &[(row.label.label, 44.0)])?;
                    }
                    None => {
                        s.text(r, 1, r, 2, row.label.label, &fmt.label)?;
                        fit_row(s.ws, r, &[(row.label.label, 56.0)])?;
                    }
                }
            }
            None => s.text(r, 0, r, 2, row.label.label, &fmt.label)?,
        }
        for c in 0..REQUEST_COLUMNS.len() {
            let cell = report.request_cell(row.label.id, c);
            let col = 3 + c as u16;
            s.number(r, col, col, cell, &layout::request_ptr(row.label.id, c))?;
        }
    }
    Ok(())
}

/// Table 四: 行政复议 (5 columns) and 行政诉讼 (10: 未经复议直接起诉 5 + 复议后起诉 5) in one row.
fn reviews_sheet(s: &mut Sheet, report: &Report) -> Result<(), XlsxError> {
    let fmt = s.fmt;
    for c in 0..15 {
        s.ws.set_column_width(c, 9)?;
    }
    print_setup(s.ws);
    s.text(0, 0, 0, 14, layout::REVIEWS_TITLE, &fmt.title)?;
    s.text(1, 0, 1, 4, REVIEW_GROUPS[0].label, &fmt.head)?;
    s.text(1, 5, 1, 14, "行政诉讼", &fmt.head)?;
    for (i, col) in REVIEW_COLUMNS.iter().enumerate() {
        let c = i as u16;
        s.text(2, c, 3, c, col.label, &fmt.head)?;
    }
    for (g, group) in REVIEW_GROUPS[1..].iter().enumerate() {
        let c = 5 + 5 * g as u16;
        let name = group.label.rsplit(" · ").next().unwrap_or(group.label);
        s.text(2, c, 2, c + 4, name, &fmt.head)?;
        for (i, col) in REVIEW_COLUMNS.iter().enumerate() {
            let cc = c + i as u16;
            s.text(3, cc, 3, cc, col.label, &fmt.head)?;
        }
    }
    for (g, group) in REVIEW_GROUPS.iter().enumerate() {
        for (i, col) in REVIEW_COLUMNS.iter().enumerate() {
            let c = (5 * g + i) as u16;
            let cell = layout::review_cell(report, group.id, col.id);
            s.number(4, c, c, cell, &layout::review_ptr(group.id, col.id))?;
        }
    }
    Ok(())
}

/// The pre-2019 统计表: 统计指标 · 单位 · value columns · 说明.
fn statistics_sheet(s: &mut Sheet, report: &Report) -> Result<(), XlsxError> {
    let Some(stats) = &report.statistics_2014 else {
        return Ok(());
    };
    let fmt = s.fmt;
    let columns = layout::statistics_columns(report);
    // Excel has 16,384 columns; a 统计表 never comes close, but stay inside.
    let n = columns.len().min(16_000) as u16;
    let note_col = 2 + n;
    s.ws.set_column_width(0, 40)?;
    s.ws.set_column_width(1, 8)?;
    for c in 0..n {
        s.ws.set_column_width(2 + c, 12)?;
    }
    s.ws.set_column_width(note_col, 24)?;
    print_setup(s.ws);
    s.text(0, 0, 0, note_col, layout::STATISTICS_TITLE, &fmt.title)?;
    s.text(1, 0, 1, 0, "统计指标", &fmt.head)?;
    s.text(1, 1, 1, 1, "单位", &fmt.head)?;
    for (i, c) in columns.iter().take(n as usize).enumerate() {
        let col = 2 + i as u16;
        s.text(1, col, 1, col, c, &fmt.head)?;
    }
    s.text(1, note_col, 1, note_col, "说明", &fmt.head)?;
    s.ws.set_freeze_panes(2, 1)?;
    for (i, row) in stats.rows.iter().enumerate() {
        let r = 2 + i as u32;
        s.text(r, 0, r, 0, &row.label, &fmt.label)?;
        s.text(r, 1, r, 1, row.unit.as_deref().unwrap_or(""), &fmt.text)?;
        let note = row.note.as_deref().unwrap_or("");
        fit_row(s.ws, r, &[(&row.label, 40.0), (note, 24.0)])?;
        for j in 0..n as usize {
            let cell = row.values.get(j).copied().flatten();
            let col = 2 + j as u16;
            s.number(r, col, col, cell, &layout::statistics_ptr(i, j))?;
        }
        s.text(
            r,
            note_col,
            r,
            note_col,
            row.note.as_deref().unwrap_or(""),
            &fmt.text,
        )?;
    }
    Ok(())
}

fn json_text(v: &Option<serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn findings_sheet(
    ws: &mut Worksheet,
    fmt: &Formats,
    findings: &[Finding],
) -> Result<(), XlsxError> {
    ws.set_name(layout::FINDINGS_TITLE)?;
    let headers = [
        "序号",
        "严重程度",
        "规则",
        "说明",
        "单元格",
        "应为",
        "实为",
        "来源",
    ];
    let widths = [6, 9, 26, 60, 36, 12, 12, 30];
    for (c, (h, w)) in headers.iter().zip(widths).enumerate() {
        ws.set_column_width(c as u16, w)?;
        ws.write_string_with_format(0, c as u16, *h, &fmt.head)?;
    }
    ws.set_freeze_panes(1, 0)?;
    print_setup(ws);
    for (i, f) in findings.iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_number_with_format(r, 0, (i + 1) as f64, &fmt.number)?;
        let sev = match f.severity {
            Severity::Error => &fmt.flagged[2],
            Severity::Warning => &fmt.flagged[1],
            Severity::Info => &fmt.flagged[0],
        };
        ws.write_string_with_format(r, 1, f.severity.label_zh(), sev)?;
        let texts = [
            f.rule.clone(),
            f.message.clone(),
            f.cells.join("\n"),
            json_text(&f.expected),
            json_text(&f.found),
            f.source.clone().unwrap_or_default(),
        ];
        for (k, t) in texts.iter().enumerate() {
            ws.write_string_with_format(r, 2 + k as u16, clip(t, MAX_TEXT), &fmt.text)?;
        }
        let fits: Vec<(&str, f64)> = texts
            .iter()
            .zip(&widths[2..])
            .map(|(t, w)| (t.as_str(), f64::from(*w)))
            .collect();
        fit_row(ws, r, &fits)?;
    }
    if !findings.is_empty() {
        ws.autofilter(0, 0, findings.len() as u32, 7)?;
    }
    Ok(())
}

/// A name Excel accepts for a sheet: at most 31 characters, none of `[]:*?/\`, not empty,
/// not starting or ending with an apostrophe.
fn sheet_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let trimmed: String = cleaned.trim().trim_matches('\'').chars().take(31).collect();
    let trimmed = trimmed.trim().trim_matches('\'').to_string();
    if trimmed.is_empty() || trimmed == "History" {
        "Sheet1".to_string()
    } else {
        trimmed
    }
}

/// A generic table (an overview list, a comparison, a roll-up) as a one-sheet workbook: the
/// sheet is named after `title` (shortened to Excel's 31 characters), the header row is bold,
/// frozen and filtered, numbers stay numbers and [`CellValue::Empty`] cells stay empty.
pub fn table_to_xlsx(
    title: &str,
    headers: &[&str],
    rows: &[Vec<CellValue>],
) -> Result<Vec<u8>, XlsxError> {
    let fmt = Formats::new();
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(clip(title, 250))
            .set_author("gongkai"),
    );
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(title))?;
    let width = rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(headers.len());
    if width > MAX_COLUMNS {
        return Err(XlsxError::TooWide(width));
    }
    let mut widths: Vec<usize> = vec![6; width];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, clip(h, MAX_TEXT), &fmt.head)?;
        widths[c] = widths[c].max(text_width(h) + 2);
    }
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        for (c, v) in row.iter().enumerate() {
            let col = c as u16;
            match v {
                CellValue::Text(t) => {
                    ws.write_string_with_format(r, col, clip(t, MAX_TEXT), &fmt.text)?;
                    widths[c] = widths[c].max(text_width(t) + 1);
                }
                CellValue::Number(x) if x.is_finite() => {
                    ws.write_number_with_format(r, col, *x, &fmt.number)?;
                    let shown = gongkai_core::model::fmt_num(*x);
                    widths[c] = widths[c].max(shown.len() + 2);
                }
                CellValue::Number(_) | CellValue::Empty => {
                    ws.write_blank(r, col, &fmt.number)?;
                }
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).min(60) as f64)?;
    }
    if width > 0 {
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, rows.len() as u32, (width - 1) as u16)?;
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid() {
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name("'引号'"), "引号");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn cell_values_convert() {
        assert_eq!(CellValue::from(Some(3.0)), CellValue::Number(3.0));
        assert_eq!(CellValue::from(None::<f64>), CellValue::Empty);
        assert_eq!(CellValue::from("甲"), CellValue::Text("甲".into()));
        assert_eq!(CellValue::from(Some("乙")), CellValue::Text("乙".into()));
        assert_eq!(CellValue::from(None::<String>), CellValue::Empty);
        assert_eq!(CellValue::from(7usize), CellValue::Number(7.0));
    }

    #[test]
    fn too_many_columns_is_an_error_not_a_panic() {
        let row = vec![CellValue::Number(1.0); MAX_COLUMNS + 1];
        assert!(matches!(
            table_to_xlsx("宽", &[], &[row]),
            Err(XlsxError::TooWide(16_385))
        ));
    }

    #[test]
    fn clipping_keeps_short_text() {
        assert_eq!(clip("短", 5), "短");
        assert_eq!(clip("一二三四五六", 4), "一二三…");
        assert_eq!(text_width("ab中"), 4);
    }
}
