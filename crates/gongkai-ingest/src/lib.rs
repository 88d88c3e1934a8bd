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

pub mod archive;
pub mod decode;
pub mod detect;
pub mod docx;
pub mod html;
pub mod meta;
pub mod pdf;
pub mod split;
pub mod tables;
pub mod text;
pub mod tokens;
pub mod xlsx;

pub use gongkai_core::{Finding, Report};
pub use text::{parse_text, Parsed};

/// Why an input could not be read at all (`gongkai` exits with status 2).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The bytes are a binary format this reader does not handle (PDF, ZIP/DOCX, image, …).
    #[error("不是文本或网页格式的报告（检测为{0}）")]
    Binary(&'static str),
}

/// Parse a file's bytes: decode, convert HTML when the content is HTML, then read the text.
pub fn parse_bytes(bytes: &[u8], source: Option<&str>) -> Result<Parsed, IngestError> {
    if let Some(kind) = decode::binary_kind(bytes) {
        return Err(IngestError::Binary(kind));
    }
    // Fast path: valid UTF-8 without NULs (so not BOM-less UTF-16) is read in place.
    if let Ok(text) = std::str::from_utf8(bytes) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if !text.contains('\0') {
            return Ok(if html::is_html(text) {
                parse_text(&html::html_to_text(text), source)
            } else {
                parse_text(text, source)
            });
        }
    }
    let decoded = decode::decode_bytes(bytes);
    let mut parsed = if html::is_html(&decoded.text) {
        parse_text(&html::html_to_text(&decoded.text), source)
    } else {
        parse_text(&decoded.text, source)
    };
    if decoded.lossy {
        let mut f = Finding::new(
            "input.encoding",
            gongkai_core::Severity::Warning,
            format!(
                "文件编码无法完全识别（按{}解码），部分字符已替换",
                decoded.encoding
            ),
        );
        f.source = source.map(str::to_string);
        parsed.findings.push(f);
    }
    Ok(parsed)
}
