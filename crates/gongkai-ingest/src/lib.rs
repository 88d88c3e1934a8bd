//! # gongkai-ingest — bytes of a published report in, one typed [`Report`] out
//!
//! Reports are published as web pages, Word files, PDFs and text exports, and their tables
//! arrive flattened in every possible way. This crate turns any of them into the one model of
//! `gongkai-core`, deterministically and without guessing:
//!
//! 1. [`decode`] — bytes to text (UTF-8, BOM, UTF-16, GB18030/GBK), binary junk rejected;
//! 2. [`html`] — HTML pages to table text (`| cell | cell |` rows with merged cells expanded);
//! 3. [`tokens`] — normalised text to a flat stream of text / number / absent / blank tokens;
//! 4. [`tables`] and [`split`] — rows anchored on skeleton labels, cells aligned to columns,
//!    digits printed without separators split by the table's own sums;
//! 5. [`meta`] — agency, year, publication date, section headings and narrative.
//!
//! A value that is not in the source stays `None` and a [`Finding`] says why; every value
//! that is read keeps its provenance (line and raw text).

pub mod decode;
pub mod html;
pub mod meta;
pub mod split;
pub mod tables;
pub mod text;
pub mod tokens;

pub use gongkai_core::{Finding, Report};
pub use text::{parse_text, Parsed};

/// Why an input could not be read at all (`gongkai` exits with status 2).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("不是文本或网页格式的报告（看起来是二进制文件）")]
    Binary,
}

/// Parse a file's bytes: decode, convert HTML when the content is HTML, then read the text.
pub fn parse_bytes(bytes: &[u8], source: Option<&str>) -> Result<Parsed, IngestError> {
    // TEMP until decode/html land.
    if bytes.iter().take(8192).filter(|b| **b == 0).count() > 16 {
        return Err(IngestError::Binary);
    }
    Ok(parse_text(&String::from_utf8_lossy(bytes), source))
}
