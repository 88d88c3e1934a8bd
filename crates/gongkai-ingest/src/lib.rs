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
    /// The bytes are a binary format that is not a report (image, executable, …).
    #[error("不是年度报告文件（检测为{0}）")]
    Binary(&'static str),
    /// A format read only after conversion, with the command that converts it.
    #[error("{format}格式需要先转换为 DOCX 再读取，可用 LibreOffice：soffice --headless --convert-to docx 文件名")]
    ConvertFirst { format: &'static str },
    /// A ZIP archive given where one report was expected.
    #[error("这是 ZIP 压缩包：请用 gongkai parse/check 直接读取压缩包或其所在目录")]
    Archive,
    #[error(transparent)]
    Docx(#[from] docx::DocxError),
    #[error(transparent)]
    Sheet(#[from] xlsx::SheetError),
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
}

/// Parse a file's bytes, whatever the format (detected from the content, not the name): text
/// in any encoding, HTML, DOCX, XLSX/XLS/ODS, PDF with a text layer.
pub fn parse_bytes(bytes: &[u8], source: Option<&str>) -> Result<Parsed, IngestError> {
    let container = bytes.starts_with(b"%PDF")
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if !container {
        // Fast path: valid UTF-8 without NULs (so not BOM-less UTF-16) is read in place.
        if let Ok(text) = std::str::from_utf8(bytes) {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if !text.contains('\0') && decode::binary_kind(bytes).is_none() {
                return Ok(if html::is_html(text) {
                    parse_text(&html::html_to_text(text), source)
                } else {
                    parse_text(text, source)
                });
            }
        }
    }
    match detect::detect(bytes) {
        detect::Format::Text | detect::Format::Html => parse_decoded(bytes, source),
        detect::Format::Docx => Ok(parse_document(docx::docx_to_text(bytes)?, source)),
        detect::Format::Xlsx | detect::Format::Ods | detect::Format::LegacyExcel => {
            Ok(parse_document(xlsx::workbook_to_text(bytes)?, source))
        }
        detect::Format::Pdf => {
            let pdf = pdf::pdf_to_text(bytes, &pdf::PdfLimits::default())?;
            let doc = docx::DocText {
                locations: pdf
                    .line_pages
                    .iter()
                    .map(|p| format!("第 {p} 页"))
                    .collect(),
                text: pdf.text,
            };
            let mut parsed = parse_document(doc, source);
            if !pdf.image_only_pages.is_empty() {
                let pages: Vec<String> =
                    pdf.image_only_pages.iter().map(|p| p.to_string()).collect();
                let mut f = Finding::new(
                    "input.image_pages",
                    gongkai_core::Severity::Warning,
                    format!(
                        "PDF 第 {} 页只有图像没有文字层（扫描页），其中内容未读取，需要文字识别（OCR）",
                        pages.join("、")
                    ),
                );
                f.source = source.map(str::to_string);
                parsed.findings.push(f);
            }
            Ok(parsed)
        }
        detect::Format::Odt => Err(IngestError::ConvertFirst {
            format: "OpenDocument 文本（ODT）",
        }),
        detect::Format::LegacyWord => Err(IngestError::ConvertFirst {
            format: "旧版 Word/WPS（DOC/WPS）",
        }),
        detect::Format::Zip => Err(IngestError::Archive),
        detect::Format::Binary(kind) => Err(IngestError::Binary(kind)),
    }
}

/// Text extracted from a document, parsed, with each provenance entry located in the document.
pub fn parse_document(doc: docx::DocText, source: Option<&str>) -> Parsed {
    let mut parsed = parse_text(&doc.text, source);
    for p in parsed.report.provenance.values_mut() {
        p.location = doc.locations.get(p.line.saturating_sub(1)).cloned();
    }
    parsed
}

fn parse_decoded(bytes: &[u8], source: Option<&str>) -> Result<Parsed, IngestError> {
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
