//! DOCX (Word) input: paragraphs and real tables → the line/cell text the text parser reads.
//!
//! Most 年度报告 are published as Word files. `word/document.xml` is streamed with quick-xml
//! (no DOM), keeping reading order. Paragraphs become lines; each table row becomes one line
//! `| cell | cell | … |`, where a cell spanning columns (`w:gridSpan`) is followed by empty
//! cells and a cell continuing a vertical merge (`w:vMerge`) is empty — exactly how the HTML
//! reader writes rowspan/colspan, so the same table reader handles both. Every output line
//! remembers where it came from (paragraph n, table t row r) for provenance.
//!
//! Bounds against hostile files: the XML part is read through a size cap, tables nest at most
//! [`MAX_TABLE_DEPTH`] deep, and a row has at most [`MAX_ROW_CELLS`] grid cells.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::{Cursor, Read};

/// Largest `word/document.xml` read (uncompressed).
pub const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest table nesting followed; deeper tables are flattened into their cell's text.
pub const MAX_TABLE_DEPTH: usize = 16;
/// Most grid cells in one table row.
pub const MAX_ROW_CELLS: usize = 256;

/// Why a DOCX could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("不是有效的 Word（DOCX）文件：{0}")]
    Container(String),
    #[error("Word 文件缺少正文（word/document.xml）")]
    NoDocument,
    #[error("Word 正文超过 {} MB，超出读取上限", MAX_XML_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("Word 正文 XML 格式错误：{0}")]
    Xml(String),
}

/// Text of a document with the origin of each line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocText {
    pub text: String,
    /// Where each line of `text` comes from, e.g. `段落 3`, `表格 2 第 5 行`.
    pub locations: Vec<String>,
}

impl DocText {
    fn line(&mut self, line: &str, location: String) {
        let clean: String = line
            .chars()
            .map(|c| if c == '\n' { ' ' } else { c })
            .collect();
        self.text.push_str(&clean);
        self.text.push('\n');
        self.locations.push(location);
    }
}

#[derive(Debug, Default)]
struct Cell {
    text: String,
    span: usize,
    continues_merge: bool,
}

#[derive(Debug, Default)]
struct Table {
    rows: Vec<Vec<Cell>>,
}

fn attr(e: &BytesStart, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key: &str = a.key.as_ref();
        let name = key.rsplit(':').next().unwrap_or(key);
        let value: &str = a.value.as_ref();
        (name == local).then(|| value.to_string())
    })
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Read a DOCX file's bytes.
pub fn docx_to_text(bytes: &[u8]) -> Result<DocText, DocxError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocxError::Container(e.to_string()))?;
    let mut part = archive
        .by_name("word/document.xml")
        .map_err(|_| DocxError::NoDocument)?;
    let mut xml = Vec::new();
    (&mut part)
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| DocxError::Container(e.to_string()))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(DocxError::TooLarge);
    }
    document_xml_to_text(&xml)
}

/// Read the body of `word/document.xml`.
pub fn document_xml_to_text(xml: &[u8]) -> Result<DocText, DocxError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut out = DocText::default();
    let mut buf = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    let mut paragraph = String::new();
    let mut in_text = false;
    let mut paragraphs = 0usize;
    let mut table_count = 0usize;
    // Depth of tables beyond MAX_TABLE_DEPTH (flattened).
    let mut overflow = 0usize;
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| DocxError::Xml(e.to_string()))?;
        match ev {
            Event::Start(e) => match local_name(e.name().as_ref()) {
                "t" => in_text = true,
                "tbl" => {
                    if tables.len() >= MAX_TABLE_DEPTH {
                        overflow += 1;
                    } else {
                        tables.push(Table::default());
                    }
                }
                "tr" if overflow == 0 => {
                    if let Some(t) = tables.last_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                "tc" if overflow == 0 => {
                    if let Some(row) = tables.last_mut().and_then(|t| t.rows.last_mut()) {
                        if row.len() < MAX_ROW_CELLS {
                            row.push(Cell {
                                span: 1,
                                ..Cell::default()
                            });
                        }
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match local_name(e.name().as_ref()) {
                "tab" => paragraph.push(' '),
                "br" | "cr" => paragraph.push(' '),
                "gridSpan" if overflow == 0 => {
                    let span = attr(&e, "val")
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, 64);
                    if let Some(cell) = current_cell(&mut tables) {
                        cell.span = span;
                    }
                }
                "vMerge" if overflow == 0 => {
                    let restart = attr(&e, "val").is_some_and(|v| v == "restart");
                    if let Some(cell) = current_cell(&mut tables) {
                        cell.continues_merge = !restart;
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                paragraph.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_text => {
                // Character and entity references inside w:t.
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    paragraph.push(c);
                } else {
                    let name: &str = r.as_ref();
                    paragraph.push_str(match name {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(e) => match local_name(e.name().as_ref()) {
                "t" => in_text = false,
                "p" => {
                    let text = std::mem::take(&mut paragraph);
                    if let Some(cell) = current_cell(&mut tables) {
                        if !cell.text.is_empty() && !text.trim().is_empty() {
                            cell.text.push(' ');
                        }
                        cell.text.push_str(text.trim());
                    } else {
                        paragraphs += 1;
                        if !text.trim().is_empty() {
                            out.line(text.trim_end(), format!("段落 {paragraphs}"));
                        }
                    }
                }
                "tbl" => {
                    if overflow > 0 {
                        overflow -= 1;
                        continue;
                    }
                    let Some(table) = tables.pop() else { continue };
                    if let Some(cell) = current_cell(&mut tables) {
                        // A table inside a cell: its text joins the cell.
                        for row in &table.rows {
                            for c in row {
                                if !c.text.is_empty() {
                                    cell.text.push(' ');
                                    cell.text.push_str(&c.text);
                                }
                            }
                        }
                    } else {
                        table_count += 1;
                        emit_table(&table, table_count, &mut out);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // A document cut inside a table still yields the rows read so far.
    while let Some(table) = tables.pop() {
        table_count += 1;
        emit_table(&table, table_count, &mut out);
    }
    if !paragraph.trim().is_empty() {
        out.line(paragraph.trim_end(), format!("段落 {}", paragraphs + 1));
    }
    Ok(out)
}

fn current_cell(tables: &mut [Table]) -> Option<&mut Cell> {
    tables.last_mut()?.rows.last_mut()?.last_mut()
}

fn emit_table(table: &Table, number: usize, out: &mut DocText) {
    for (r, row) in table.rows.iter().enumerate() {
        let mut line = String::from("|");
        for cell in row {
            let text = if cell.continues_merge {
                ""
            } else {
                cell.text.as_str()
            };
            line.push(' ');
            line.push_str(&text.replace('|', "｜"));
            line.push_str(" |");
            // No filler cells for a horizontal span: the cell is one cell of the row, so a
            // row cut short is not shifted by the empty cells a merged label would add.
        }
        out.line(&line, format!("表格 {number} 第 {} 行", r + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    fn doc(body: &str) -> Vec<u8> {
        format!(r#"<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>"#)
            .into_bytes()
    }

    #[test]
    fn paragraphs_and_merged_cells() {
        let xml = doc(concat!(
            "<w:p><w:r><w:t>一、总体情况</w:t></w:r></w:p>",
            "<w:tbl>",
            "<w:tr><w:tc><w:tcPr><w:gridSpan w:val=\"2\"/></w:tcPr><w:p><w:r><w:t>申请人情况</w:t></w:r></w:p></w:tc></w:tr>",
            "<w:tr><w:tc><w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>三、本年度办理结果</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>3</w:t></w:r></w:p></w:tc></w:tr>",
            "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc></w:tr>",
            "</w:tbl>",
            "<w:p><w:r><w:t>A&amp;B</w:t></w:r></w:p>",
        ));
        let t = document_xml_to_text(&xml).unwrap();
        let lines: Vec<&str> = t.text.lines().collect();
        assert_eq!(
            lines,
            [
                "一、总体情况",
                "| 申请人情况 |",
                "| 三、本年度办理结果 | 3 |",
                "|  | 1 |",
                "A&B"
            ]
        );
        assert_eq!(t.locations[2], "表格 1 第 2 行");
    }

    #[test]
    fn deep_nesting_and_broken_xml_are_bounded() {
        let deep = format!(
            "{}{}",
            "<w:tbl><w:tr><w:tc>".repeat(200),
            "</w:tc></w:tr></w:tbl>".repeat(200)
        );
        assert!(document_xml_to_text(&doc(&deep)).is_ok());
        let _ = document_xml_to_text(b"<w:document><w:body><w:p>");
        assert!(docx_to_text(b"not a zip").is_err());
    }
}
