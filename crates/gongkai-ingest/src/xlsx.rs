//! Spreadsheet input (XLSX, XLS, ODS): some offices exchange the tables as workbooks.
//!
//! Every sheet becomes lines of `| cell | cell |`: a merged range keeps its value in the
//! top-left cell and leaves the others empty, which is exactly the blank-cell convention of
//! the text reader, so the same table reader applies. Numbers are printed without a trailing
//! `.0`; location of each line is `工作表 名称 第 n 行`.

use crate::docx::DocText;
use calamine::{Data, Reader};
use std::io::Cursor;

/// Most rows and columns read from one sheet.
pub const MAX_ROWS: usize = 5_000;
pub const MAX_COLS: usize = 64;

/// Why a workbook could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("无法读取表格文件：{0}")]
    Open(String),
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.replace('|', "｜").replace('\n', " "),
        Data::Float(f) => gongkai_core::model::fmt_num(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        other => other.to_string(),
    }
}

/// Read a workbook's bytes (format detected by calamine from the content).
pub fn workbook_to_text(bytes: &[u8]) -> Result<DocText, SheetError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| SheetError::Open(e.to_string()))?;
    let mut out = DocText::default();
    for name in book.sheet_names() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        for (r, row) in range.rows().take(MAX_ROWS).enumerate() {
            let cells: Vec<String> = row.iter().take(MAX_COLS).map(cell_text).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            // A row with a single filled cell is a heading or a paragraph, not a table row.
            let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
            let line = if filled == 1 {
                cells
                    .iter()
                    .find(|c| !c.trim().is_empty())
                    .cloned()
                    .unwrap_or_default()
            } else {
                format!("| {} |", cells.join(" | "))
            };
            out.text.push_str(&line);
            out.text.push('\n');
            out.locations.push(format!("工作表 {name} 第 {} 行", r + 1));
        }
    }
    Ok(out)
}
