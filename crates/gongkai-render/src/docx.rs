//! The report as a Word document (DOCX, Office Open XML), tables in the official layout.
//!
//! Why a Word file: the people who file, annotate, print and re-publish these reports work in
//! Word, WPS or LibreOffice, and the national format itself is a Word form. An HTML page cannot
//! be edited there; a `.docx` that opens in Word and LibreOffice alike can. So the document is
//! the report as its authors would have typed it:
//!
//! * **The official layout, as real Word tables.** Table 二, 三, 四 and the pre-2019 统计表 are
//!   `<w:tbl>` tables with the merged cells of the national form: horizontal merges with
//!   `<w:gridSpan>`, vertical merges with `<w:vMerge w:val="restart"/>` followed by `<w:vMerge/>`
//!   continuation cells. The merges are exactly the `colspan`/`rowspan` of the HTML renderer
//!   (both are computed from [`gongkai_core::skeleton`] through the same `layout` helpers), so
//!   table 三 has the 勾稽关系 note over the label columns, 申请人情况 over seven columns,
//!   法人或其他组织 over five, and 三、本年度办理结果 / （三）不予公开 … merged down their rows.
//!   Every table has a `<w:tblGrid>` with fixed column widths that fit an A4 page, borders on
//!   every cell, and its header rows repeat on a page break.
//! * **The content in report order.** The title, then the sections 一 … 六 under their official
//!   headings with the narrative (one paragraph per line) and the tables placed in their section
//!   (二 in 二, 三 in 三, 四 in 四); narrative under other headings and the 统计表 follow, then the
//!   cells the official layout has no place for, then 检查结果 when there are findings. Cells
//!   named by a finding are shaded (red, amber, blue by severity), as the HTML page highlights
//!   them.
//! * **Absent is not zero.** A `None` cell is an empty cell, never `0`; numbers are printed with
//!   [`gongkai_core::model::fmt_num`].
//! * **Hand-written XML, everything escaped.** The package is eight small, fixed parts, so they
//!   are written directly (no template, no DOCX library). All text from the report or the
//!   findings goes through one escaper (`& < > " '`), which also drops the control characters
//!   XML 1.0 forbids (a form feed from a PDF extraction would otherwise make Word refuse the
//!   file).
//! * **CJK fonts.** East Asian text is set in SimSun (宋体), the font of the national form, with
//!   the language `zh-CN` (Latin text and digits in Times New Roman); the font table gives
//!   SimSun the GB2312 charset and Noto Serif CJK SC as its alternative name. Where SimSun is
//!   not installed (LibreOffice on Linux) the text falls back to an installed CJK font, e.g.
//!   Noto Serif CJK from Debian's `fonts-noto-cjk`.
//! * **Reproducible.** No creation date in the document properties and a fixed timestamp on
//!   every zip entry: the same report gives the same bytes.

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use gongkai_core::model::{Cell, Finding, Report, Severity};
use gongkai_core::skeleton::{REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS, SECTIONS};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::layout::{self, cell_text, Marks};

/// A4 portrait, in twentieths of a point.
const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
const MARGIN_SIDE: u32 = 1134;
const MARGIN_TOP_BOTTOM: u32 = 1440;
/// Width available to a table (page less side margins).
const TEXT_WIDTH: u32 = PAGE_WIDTH - 2 * MARGIN_SIDE;

/// Shading of header cells, of table 二's block title rows, and of cells named by a finding.
const FILL_HEADER: &str = "F2F2F2";
const FILL_BLOCK: &str = "E4E4E4";

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

const CONTENT_TYPES: &str = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>\
</Relationships>";

const APP: &str = "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" \
xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">\
<Application>gongkai</Application><DocSecurity>0</DocSecurity></Properties>";

/// A thin black line, as in the national form.
const BORDER: &str = "w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"";

/// Fonts: SimSun (宋体) for East Asian text with Noto Serif CJK SC as its alternative, Times New
/// Roman for Latin text and digits.
const FONT_TABLE: &str = "<w:font w:name=\"SimSun\"><w:altName w:val=\"Noto Serif CJK SC\"/>\
<w:panose1 w:val=\"02010600030101010101\"/><w:charset w:val=\"86\"/><w:family w:val=\"auto\"/><w:pitch w:val=\"variable\"/></w:font>\
<w:font w:name=\"Noto Serif CJK SC\"><w:charset w:val=\"86\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>\
<w:font w:name=\"Times New Roman\"><w:panose1 w:val=\"02020603050405020304\"/><w:charset w:val=\"00\"/><w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font>";

/// The paragraph, character and table styles the document uses.
const STYLES: &str = "<w:docDefaults><w:rPrDefault><w:rPr>\
<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"SimSun\" w:cs=\"Times New Roman\" w:hint=\"eastAsia\"/>\
<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/>\
</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:widowControl/><w:jc w:val=\"both\"/></w:pPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"BodyText\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"360\"/><w:jc w:val=\"center\"/></w:pPr>\
<w:rPr><w:b/><w:bCs/><w:sz w:val=\"36\"/><w:szCs w:val=\"36\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"BodyText\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"240\" w:after=\"120\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"0\"/></w:pPr>\
<w:rPr><w:b/><w:bCs/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"BodyText\"><w:name w:val=\"Body Text\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:line=\"360\" w:lineRule=\"auto\"/><w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/></w:pPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Finding\"><w:name w:val=\"Finding\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:spacing w:after=\"60\"/><w:ind w:left=\"480\" w:hanging=\"480\"/><w:jc w:val=\"left\"/></w:pPr>\
<w:rPr><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name w:val=\"Table Text\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:widowControl w:val=\"0\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>\
<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:uiPriority w:val=\"99\"/><w:semiHidden/>\
<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>\
<w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
<w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:basedOn w:val=\"TableNormal\"/>\
<w:tblPr><w:tblBorders>{BORDERS}</w:tblBorders></w:tblPr></w:style>";

/// The report as a Word document (`.docx` bytes): title, the sections 一 … 六 with their
/// official headings, narrative paragraphs and the tables of the section (二, 三, 四) in the
/// official merged-cell layout, other narrative, the pre-2019 统计表, the cells the layout has
/// no place for, and 检查结果 (the findings, cells they name shaded) when `findings` is not empty.
///
/// Every string taken from the report or the findings is XML-escaped; absent cells are empty,
/// never `0`. The output is deterministic.
pub fn to_docx(report: &Report, findings: &[Finding]) -> Vec<u8> {
    let borders = format!(
        "<w:top {BORDER}/><w:left {BORDER}/><w:bottom {BORDER}/><w:right {BORDER}/>\
         <w:insideH {BORDER}/><w:insideV {BORDER}/>"
    );
    let parts = [
        ("[Content_Types].xml", format!("{XML_DECL}{CONTENT_TYPES}")),
        ("_rels/.rels", format!("{XML_DECL}{ROOT_RELS}")),
        ("docProps/core.xml", core_xml(report)),
        ("docProps/app.xml", format!("{XML_DECL}{APP}")),
        ("word/document.xml", document_xml(report, findings)),
        (
            "word/styles.xml",
            format!(
                "{XML_DECL}<w:styles xmlns:w=\"{W_NS}\">{}</w:styles>",
                STYLES.replace("{BORDERS}", &borders)
            ),
        ),
        (
            "word/fontTable.xml",
            format!("{XML_DECL}<w:fonts xmlns:w=\"{W_NS}\">{FONT_TABLE}</w:fonts>"),
        ),
        (
            "word/_rels/document.xml.rels",
            format!("{XML_DECL}{DOCUMENT_RELS}"),
        ),
    ];
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::DEFAULT)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, options)
            .expect("starting a zip entry in memory cannot fail");
        zip.write_all(text.as_bytes())
            .expect("writing to memory cannot fail");
    }
    zip.finish()
        .expect("finishing a zip in memory cannot fail")
        .into_inner()
}

/// Escape text for XML text and (quoted) attribute context: `& < > " '`; characters XML 1.0
/// does not allow (C0 controls other than tab and line breaks, U+FFFE, U+FFFF) are dropped.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `docProps/core.xml`: title, creator, language and a description with the metadata that the
/// HTML page prints (format, year, publication date, source). No dates: output is reproducible.
fn core_xml(report: &Report) -> String {
    let year = report.year.map(|y| y.to_string());
    let mut description = format!(
        "格式版本：{}；报告年度：{}；发布日期：{}；章节：{}",
        layout::generation_label(report.generation),
        year.as_deref().unwrap_or("未知"),
        report.published_on.as_deref().unwrap_or("未知"),
        layout::sections_text(report)
    );
    if let Some(source) = &report.source {
        let _ = write!(description, "；来源：{source}");
    }
    format!(
        "{XML_DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:subject>政府信息公开工作年度报告</dc:subject><dc:creator>gongkai</dc:creator>\
         <dc:description>{}</dc:description><dc:language>zh-CN</dc:language></cp:coreProperties>",
        escape_xml(&layout::title(report)),
        escape_xml(&description)
    )
}

fn document_xml(report: &Report, findings: &[Finding]) -> String {
    let marks = Marks::new(findings);
    let mut doc = Doc {
        out: String::new(),
        report,
        marks: &marks,
    };
    let _ = write!(doc.out, "{XML_DECL}<w:document xmlns:w=\"{W_NS}\"><w:body>");
    doc.paragraph("Title", &layout::title(report));
    for (num, _, _) in SECTIONS {
        let narrative = report.narrative.get(num);
        let has_table = match num {
            "二" => report.proactive.is_some(),
            "三" => report.requests.is_some(),
            "四" => report.reviews.is_some(),
            _ => false,
        };
        let listed = report.sections.iter().any(|s| s == num);
        if narrative.is_none() && !has_table && !listed {
            continue;
        }
        doc.paragraph("Heading1", &layout::narrative_heading(num));
        if let Some(text) = narrative {
            doc.narrative(text);
        }
        if has_table {
            match num {
                "二" => doc.proactive(),
                "三" => doc.requests(),
                _ => doc.reviews(),
            }
        }
    }
    for (key, text) in &report.narrative {
        if SECTIONS.iter().any(|(num, _, _)| num == key) {
            continue;
        }
        doc.paragraph("Heading1", &layout::narrative_heading(key));
        doc.narrative(text);
    }
    if report.statistics_2014.is_some() {
        doc.paragraph("Heading1", layout::STATISTICS_TITLE);
        doc.statistics();
    }
    doc.extras();
    if !findings.is_empty() {
        doc.paragraph("Heading1", layout::FINDINGS_TITLE);
        for (i, f) in findings.iter().enumerate() {
            let mut line = format!("{}. {}", i + 1, layout::finding_line(f));
            if !f.cells.is_empty() {
                let _ = write!(line, "（单元格：{}）", f.cells.join("、"));
            }
            doc.paragraph("Finding", &line);
        }
    }
    let _ = write!(
        doc.out,
        "<w:sectPr><w:pgSz w:w=\"{PAGE_WIDTH}\" w:h=\"{PAGE_HEIGHT}\"/>\
         <w:pgMar w:top=\"{MARGIN_TOP_BOTTOM}\" w:right=\"{MARGIN_SIDE}\" w:bottom=\"{MARGIN_TOP_BOTTOM}\" \
         w:left=\"{MARGIN_SIDE}\" w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    doc.out
}

/// How a cell takes part in a vertical merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VMerge {
    /// Not merged with the cells above or below.
    No,
    /// First cell of a vertical merge (`<w:vMerge w:val="restart"/>`).
    Restart,
    /// Covered by the cell above (`<w:vMerge/>`, no text).
    Continue,
}

/// Which kind of cell: decides alignment, weight and shading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Column header, or a group label merged over several rows: centred, shaded.
    Head,
    /// Title row of a table 二 block (第二十条第（一）项): bold, shaded.
    Block,
    /// Row label: left-aligned, shaded.
    Label,
    /// A number: centred.
    Number,
    /// Free text (unit, note): left-aligned.
    Text,
}

/// Widths of `fixed.len() + n` grid columns: the fixed ones, then `n` equal columns sharing the
/// rest of the text width (at least `min` each).
fn widths(fixed: &[u32], n: usize, min: u32) -> Vec<u32> {
    let used: u32 = fixed.iter().sum();
    let n32 = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
    let each = (TEXT_WIDTH.saturating_sub(used) / n32).max(min);
    let mut out = fixed.to_vec();
    out.extend(std::iter::repeat_n(each, n));
    let total: u32 = out.iter().sum();
    if total < TEXT_WIDTH {
        if let Some(last) = out.last_mut() {
            *last += TEXT_WIDTH - total;
        }
    }
    out
}

/// The document body being written.
struct Doc<'a, 'f> {
    out: String,
    report: &'a Report,
    marks: &'a Marks<'f>,
}

impl Doc<'_, '_> {
    /// One paragraph of `style` holding `text`.
    fn paragraph(&mut self, style: &str, text: &str) {
        let _ = write!(
            self.out,
            "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>"
        );
        run(&mut self.out, text, false);
        self.out.push_str("</w:p>");
    }

    /// A narrative text: one body paragraph per non-blank line.
    fn narrative(&mut self, text: &str) {
        for para in layout::paragraphs(text) {
            self.paragraph("BodyText", para);
        }
    }

    /// Start a table over grid columns of `widths` (twips).
    fn table(&mut self, widths: Vec<u32>) -> Table<'_> {
        let total: u32 = widths.iter().sum();
        let _ = write!(
            self.out,
            "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"{total}\" w:type=\"dxa\"/>\
             <w:jc w:val=\"center\"/><w:tblBorders><w:top {BORDER}/><w:left {BORDER}/><w:bottom {BORDER}/>\
             <w:right {BORDER}/><w:insideH {BORDER}/><w:insideV {BORDER}/></w:tblBorders>\
             <w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:top w:w=\"28\" w:type=\"dxa\"/>\
             <w:left w:w=\"57\" w:type=\"dxa\"/><w:bottom w:w=\"28\" w:type=\"dxa\"/>\
             <w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>"
        );
        for w in &widths {
            let _ = write!(self.out, "<w:gridCol w:w=\"{w}\"/>");
        }
        self.out.push_str("</w:tblGrid>");
        Table {
            out: &mut self.out,
            marks: self.marks,
            widths,
            col: 0,
        }
    }

    /// Table 二: per 第二十条 item a title row across the table, a header row, the data rows;
    /// a block with fewer columns than the widest lets its last column span the rest.
    fn proactive(&mut self) {
        let report = self.report;
        let blocks = layout::proactive_blocks(report);
        let width = blocks.iter().map(|b| b.columns.len()).max().unwrap_or(1);
        let mut t = self.table(widths(&[2600], width, 900));
        for block in blocks {
            let last_span = width + 1 - block.columns.len();
            t.row(false);
            t.cell(block.item, width + 1, VMerge::No, Kind::Block, None);
            t.end_row();
            t.row(false);
            t.cell("信息内容", 1, VMerge::No, Kind::Head, None);
            for (i, col) in block.columns.iter().enumerate() {
                let span = if i + 1 == block.columns.len() {
                    last_span
                } else {
                    1
                };
                let label = layout::proactive_column_label(report, block, col);
                t.cell(&label, span, VMerge::No, Kind::Head, None);
            }
            t.end_row();
            for row in block.rows {
                t.row(false);
                t.cell(row.label, 1, VMerge::No, Kind::Label, None);
                for (i, col) in block.columns.iter().enumerate() {
                    let span = if i + 1 == block.columns.len() {
                        last_span
                    } else {
                        1
                    };
                    let cell = layout::proactive_cell(report, row.id, col.id);
                    t.number(cell, &layout::proactive_ptr(row.id, col.id), span);
                }
                t.end_row();
            }
        }
        t.end();
    }

    /// Table 三 in the national layout: three header rows under the 勾稽关系 note, three label
    /// columns with the group labels merged down their rows.
    fn requests(&mut self) {
        let report = self.report;
        let rows = layout::request_rows(report);
        let mut t = self.table(widths(&[600, 1100, 3000], REQUEST_COLUMNS.len(), 600));
        t.row(true);
        t.cell(layout::REQUESTS_NOTE, 3, VMerge::Restart, Kind::Head, None);
        t.cell("申请人情况", 7, VMerge::No, Kind::Head, None);
        t.end_row();
        t.row(true);
        t.cell("", 3, VMerge::Continue, Kind::Head, None);
        t.cell(
            REQUEST_COLUMNS[0].label,
            1,
            VMerge::Restart,
            Kind::Head,
            None,
        );
        t.cell("法人或其他组织", 5, VMerge::No, Kind::Head, None);
        t.cell(
            REQUEST_COLUMNS[6].label,
            1,
            VMerge::Restart,
            Kind::Head,
            None,
        );
        t.end_row();
        t.row(true);
        t.cell("", 3, VMerge::Continue, Kind::Head, None);
        t.cell("", 1, VMerge::Continue, Kind::Head, None);
        for col in &REQUEST_COLUMNS[1..6] {
            t.cell(col.label, 1, VMerge::No, Kind::Head, None);
        }
        t.cell("", 1, VMerge::Continue, Kind::Head, None);
        t.end_row();
        for (i, row) in rows.iter().enumerate() {
            t.row(false);
            let group_starts = i == 0 || rows[i - 1].group != row.group;
            if let Some(group) = row.group {
                let group_rows = rows[i..]
                    .iter()
                    .take_while(|r| r.group == row.group)
                    .count();
                t.merged(group, group_starts, group_rows, Kind::Head);
                if let Some(sub) = row.subgroup {
                    let sub_starts = group_starts || rows[i - 1].subgroup != row.subgroup;
                    let sub_rows = rows[i..]
                        .iter()
                        .take_while(|r| r.group == row.group && r.subgroup == row.subgroup)
                        .count();
                    t.merged(sub, sub_starts, sub_rows, Kind::Head);
                    t.cell(row.label.label, 1, VMerge::No, Kind::Label, None);
                } else {
                    t.cell(row.label.label, 2, VMerge::No, Kind::Label, None);
                }
            } else {
                t.cell(row.label.label, 3, VMerge::No, Kind::Label, None);
            }
            for c in 0..REQUEST_COLUMNS.len() {
                let cell = report.request_cell(row.label.id, c);
                t.number(cell, &layout::request_ptr(row.label.id, c), 1);
            }
            t.end_row();
        }
        t.end();
    }

    /// Table 四: 行政复议 (5) and 行政诉讼 (10 = 未经复议直接起诉 5 + 复议后起诉 5) in one row.
    fn reviews(&mut self) {
        let report = self.report;
        let n = REVIEW_GROUPS.len() * REVIEW_COLUMNS.len();
        let mut t = self.table(widths(&[], n, 500));
        t.row(true);
        t.cell(
            REVIEW_GROUPS[0].label,
            REVIEW_COLUMNS.len(),
            VMerge::No,
            Kind::Head,
            None,
        );
        t.cell(
            "行政诉讼",
            n - REVIEW_COLUMNS.len(),
            VMerge::No,
            Kind::Head,
            None,
        );
        t.end_row();
        t.row(true);
        for col in REVIEW_COLUMNS {
            t.cell(col.label, 1, VMerge::Restart, Kind::Head, None);
        }
        for group in &REVIEW_GROUPS[1..] {
            let name = group.label.rsplit(" · ").next().unwrap_or(group.label);
            t.cell(name, REVIEW_COLUMNS.len(), VMerge::No, Kind::Head, None);
        }
        t.end_row();
        t.row(true);
        for _ in REVIEW_COLUMNS {
            t.cell("", 1, VMerge::Continue, Kind::Head, None);
        }
        for _ in &REVIEW_GROUPS[1..] {
            for col in REVIEW_COLUMNS {
                t.cell(col.label, 1, VMerge::No, Kind::Head, None);
            }
        }
        t.end_row();
        t.row(false);
        for group in REVIEW_GROUPS {
            for col in REVIEW_COLUMNS {
                let cell = layout::review_cell(report, group.id, col.id);
                t.number(cell, &layout::review_ptr(group.id, col.id), 1);
            }
        }
        t.end_row();
        t.end();
    }

    /// The pre-2019 统计表: 统计指标 · 单位 · value columns · 说明.
    fn statistics(&mut self) {
        let report = self.report;
        let Some(stats) = &report.statistics_2014 else {
            return;
        };
        let columns = layout::statistics_columns(report);
        // 统计指标 · 单位 · 说明 fixed, the value columns share the rest; the note goes last.
        let mut grid = widths(&[3000, 700, 1800], columns.len(), 700);
        let note = grid.remove(2);
        grid.push(note);
        let mut t = self.table(grid);
        t.row(true);
        t.cell("统计指标", 1, VMerge::No, Kind::Head, None);
        t.cell("单位", 1, VMerge::No, Kind::Head, None);
        for c in &columns {
            t.cell(c, 1, VMerge::No, Kind::Head, None);
        }
        t.cell("说明", 1, VMerge::No, Kind::Head, None);
        t.end_row();
        for (i, row) in stats.rows.iter().enumerate() {
            t.row(false);
            t.cell(&row.label, 1, VMerge::No, Kind::Label, None);
            t.cell(
                row.unit.as_deref().unwrap_or(""),
                1,
                VMerge::No,
                Kind::Text,
                None,
            );
            for j in 0..columns.len() {
                let cell = row.values.get(j).copied().flatten();
                t.number(cell, &layout::statistics_ptr(i, j), 1);
            }
            t.cell(
                row.note.as_deref().unwrap_or(""),
                1,
                VMerge::No,
                Kind::Text,
                None,
            );
            t.end_row();
        }
        t.end();
    }

    /// Cells the official layout has no place for, by pointer.
    fn extras(&mut self) {
        let extras = layout::extra_cells(self.report);
        if extras.is_empty() {
            return;
        }
        self.paragraph("Heading1", layout::EXTRAS_TITLE);
        let mut t = self.table(widths(&[6000], 1, 1200));
        t.row(true);
        t.cell("位置", 1, VMerge::No, Kind::Head, None);
        t.cell("数值", 1, VMerge::No, Kind::Head, None);
        t.end_row();
        for (pointer, cell) in extras {
            t.row(false);
            t.cell(&pointer, 1, VMerge::No, Kind::Label, None);
            t.number(cell, &pointer, 1);
            t.end_row();
        }
        t.end();
    }
}

/// A table being written row by row; tracks the grid column so that every cell gets the width
/// of the grid columns it spans.
struct Table<'a> {
    out: &'a mut String,
    marks: &'a Marks<'a>,
    widths: Vec<u32>,
    col: usize,
}

impl Table<'_> {
    /// Start a row; header rows repeat at the top of each page the table runs onto.
    fn row(&mut self, header: bool) {
        self.col = 0;
        self.out.push_str("<w:tr><w:trPr><w:cantSplit/>");
        if header {
            self.out.push_str("<w:tblHeader/>");
        }
        self.out.push_str("</w:trPr>");
    }

    fn end_row(&mut self) {
        debug_assert_eq!(self.col, self.widths.len(), "row does not fill the grid");
        self.out.push_str("</w:tr>");
    }

    /// One cell spanning `span` grid columns. A `VMerge::Continue` cell carries no text.
    fn cell(&mut self, text: &str, span: usize, vmerge: VMerge, kind: Kind, fill: Option<&str>) {
        let end = (self.col + span).min(self.widths.len());
        let width: u32 = self.widths[self.col.min(end)..end].iter().sum();
        self.col += span;
        let _ = write!(
            self.out,
            "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>"
        );
        if span > 1 {
            let _ = write!(self.out, "<w:gridSpan w:val=\"{span}\"/>");
        }
        match vmerge {
            VMerge::No => {}
            VMerge::Restart => self.out.push_str("<w:vMerge w:val=\"restart\"/>"),
            VMerge::Continue => self.out.push_str("<w:vMerge/>"),
        }
        let _ = write!(
            self.out,
            "<w:tcBorders><w:top {BORDER}/><w:left {BORDER}/><w:bottom {BORDER}/><w:right {BORDER}/></w:tcBorders>"
        );
        let fill = fill.or(match kind {
            Kind::Head | Kind::Label => Some(FILL_HEADER),
            Kind::Block => Some(FILL_BLOCK),
            Kind::Number | Kind::Text => None,
        });
        if let Some(fill) = fill {
            let _ = write!(
                self.out,
                "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"{fill}\"/>"
            );
        }
        let jc = match kind {
            Kind::Head | Kind::Number => "center",
            Kind::Block | Kind::Label | Kind::Text => "left",
        };
        let _ = write!(
            self.out,
            "<w:vAlign w:val=\"center\"/></w:tcPr><w:p><w:pPr><w:pStyle w:val=\"TableText\"/>\
             <w:jc w:val=\"{jc}\"/></w:pPr>"
        );
        if vmerge != VMerge::Continue {
            run(self.out, text, kind == Kind::Block);
        }
        self.out.push_str("</w:p></w:tc>");
    }

    /// A group label merged down `rows` rows: the label where the group starts, a continuation
    /// cell in the rows below.
    fn merged(&mut self, label: &str, starts: bool, rows: usize, kind: Kind) {
        let vmerge = match (starts, rows > 1) {
            (true, true) => VMerge::Restart,
            (true, false) => VMerge::No,
            (false, _) => VMerge::Continue,
        };
        self.cell(label, 1, vmerge, kind, None);
    }

    /// A data cell: the number (empty when absent), shaded when a finding names it.
    fn number(&mut self, cell: Cell, pointer: &str, span: usize) {
        let fill = self
            .marks
            .get(pointer)
            .iter()
            .map(|f| f.severity)
            .max()
            .map(|s| match s {
                Severity::Error => "FFD6D6",
                Severity::Warning => "FFF0C2",
                Severity::Info => "E4EFFF",
            });
        self.cell(&cell_text(cell), span, VMerge::No, Kind::Number, fill);
    }

    /// Close the table, followed by an empty paragraph (Word joins adjacent tables otherwise).
    fn end(self) {
        self.out
            .push_str("</w:tbl><w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr></w:p>");
    }
}

/// A run of `text` (nothing for empty text): line breaks become `<w:br/>`, tabs `<w:tab/>`.
fn run(out: &mut String, text: &str, bold: bool) {
    if text.is_empty() {
        return;
    }
    out.push_str("<w:r>");
    if bold {
        out.push_str("<w:rPr><w:b/><w:bCs/></w:rPr>");
    }
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:br/>");
        }
        for (j, piece) in line.trim_end_matches('\r').split('\t').enumerate() {
            if j > 0 {
                out.push_str("<w:tab/>");
            }
            if !piece.is_empty() {
                let _ = write!(
                    out,
                    "<w:t xml:space=\"preserve\">{}</w:t>",
                    escape_xml(piece)
                );
            }
        }
    }
    out.push_str("</w:r>");
}

#[cfg(test)]
mod tests {
    use super::{escape_xml, widths, TEXT_WIDTH};

    #[test]
    fn escapes_markup_quotes_and_drops_invalid_characters() {
        assert_eq!(escape_xml("<script>&"), "&lt;script&gt;&amp;");
        assert_eq!(escape_xml(r#""a" 'b'"#), "&quot;a&quot; &apos;b&apos;");
        assert_eq!(escape_xml("页\u{c}码\u{0}\u{1b}\u{fffe}"), "页码");
        assert_eq!(escape_xml("示例县数据资源局\t1"), "示例县数据资源局\t1");
        assert_eq!(escape_xml("&amp;"), "&amp;amp;");
    }

    #[test]
    fn grid_fills_the_text_width() {
        let w = widths(&[600, 1100, 3000], 7, 600);
        assert_eq!(w.len(), 10);
        assert_eq!(w.iter().sum::<u32>(), TEXT_WIDTH);
        let w = widths(&[], 15, 500);
        assert_eq!(w.iter().sum::<u32>(), TEXT_WIDTH);
        // Too many columns for the page: each keeps its minimum, the table grows.
        let w = widths(&[3400, 700], 20, 700);
        assert!(w[2..].iter().all(|&c| c == 700));
    }
}
