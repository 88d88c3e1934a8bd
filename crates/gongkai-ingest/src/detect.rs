//! Format detection by content, never by file name: agencies upload `.doc` files that are
//! DOCX, `.txt` files that are HTML, and ZIPs named `.rar`. The first bytes and, for ZIP
//! containers, the names of the parts decide.

use std::io::Cursor;

/// What a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
    Docx,
    Xlsx,
    /// OpenDocument text (.odt).
    Odt,
    /// OpenDocument spreadsheet (.ods).
    Ods,
    Pdf,
    /// A ZIP archive of other files (read in place).
    Zip,
    /// Legacy OLE2 Word/WPS document (.doc, .wps).
    LegacyWord,
    /// Legacy OLE2 Excel workbook (.xls).
    LegacyExcel,
    /// Images, executables and other binary data.
    Binary(&'static str),
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "文本",
            Format::Html => "网页（HTML）",
            Format::Docx => "Word（DOCX）",
            Format::Xlsx => "Excel（XLSX）",
            Format::Odt => "OpenDocument 文本（ODT）",
            Format::Ods => "OpenDocument 表格（ODS）",
            Format::Pdf => "PDF",
            Format::Zip => "ZIP 压缩包",
            Format::LegacyWord => "旧版 Word/WPS（DOC/WPS）",
            Format::LegacyExcel => "旧版 Excel（XLS）",
            Format::Binary(kind) => kind,
        }
    }
}

const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Detect the format of `bytes`.
pub fn detect(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"%PDF-") || bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Format::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_kind(bytes);
    }
    if bytes.starts_with(OLE2) {
        return ole_kind(bytes);
    }
    if let Some(kind) = crate::decode::binary_kind(bytes) {
        return Format::Binary(kind);
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    if crate::html::is_html(&text) {
        Format::Html
    } else {
        Format::Text
    }
}

fn zip_kind(bytes: &[u8]) -> Format {
    zip_kind_of(Cursor::new(bytes))
}

/// What a ZIP container holds, reading only its directory (and the `mimetype` part).
pub fn zip_kind_of<R: std::io::Read + std::io::Seek>(reader: R) -> Format {
    let Ok(mut archive) = zip::ZipArchive::new(reader) else {
        return Format::Binary("损坏的 ZIP 文件");
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    if names.iter().any(|n| n == "word/document.xml") {
        return Format::Docx;
    }
    if names.iter().any(|n| n == "xl/workbook.xml") {
        return Format::Xlsx;
    }
    if let Ok(mut f) = archive.by_name("mimetype") {
        let mut s = String::new();
        use std::io::Read;
        let _ = (&mut f).take(128).read_to_string(&mut s);
        if s.contains("opendocument.text") {
            return Format::Odt;
        }
        if s.contains("opendocument.spreadsheet") {
            return Format::Ods;
        }
    }
    Format::Zip
}

fn ole_kind(bytes: &[u8]) -> Format {
    // Directory entries store stream names in UTF-16LE: look for the well-known ones.
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let has = |name: &str| {
        let pat = utf16(name);
        bytes.windows(pat.len()).any(|w| w == pat.as_slice())
    };
    if has("Workbook") || has("Book") {
        Format::LegacyExcel
    } else {
        Format::LegacyWord
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content_not_name() {
        assert_eq!(detect(b"%PDF-1.7\n..."), Format::Pdf);
        assert_eq!(
            detect("<html><body>报告</body></html>".as_bytes()),
            Format::Html
        );
        assert_eq!(detect("一、总体情况".as_bytes()), Format::Text);
        assert_eq!(
            detect(&[0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0]),
            Format::Binary("PNG image")
        );
        assert!(matches!(detect(b"PK\x03\x04garbage"), Format::Binary(_)));
    }

    #[test]
    fn zip_containers() {
        let mut buf = Vec::new();
        {
            let mut w = zip::ZipWriter::new(Cursor::new(&mut buf));
            let opts = zip::write::SimpleFileOptions::default();
            w.start_file("word/document.xml", opts).unwrap();
            std::io::Write::write_all(&mut w, b"<w:document/>").unwrap();
            w.finish().unwrap();
        }
        assert_eq!(detect(&buf), Format::Docx);
        let mut buf = Vec::new();
        {
            let mut w = zip::ZipWriter::new(Cursor::new(&mut buf));
            let opts = zip::write::SimpleFileOptions::default();
            w.start_file("a.txt", opts).unwrap();
            std::io::Write::write_all(&mut w, b"x").unwrap();
            w.finish().unwrap();
        }
        assert_eq!(detect(&buf), Format::Zip);
    }
}
