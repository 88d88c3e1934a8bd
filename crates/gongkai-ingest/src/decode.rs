//! Bytes of a downloaded report → text, with the encoding that was used.
//!
//! Why this module exists: 政府信息公开工作年度报告 are fetched from thousands of government sites
//! and mirrors. Many are UTF-8, a large share are still GBK/GB2312 (often announced only by a
//! `<meta charset=gb2312>` in the page), files saved by Windows tools come as UTF-16 with a BOM,
//! and downloads are sometimes cut short in the middle of a character. The parsers downstream only
//! see `&str`, so the decision is made once, here, by rules that are simple to explain:
//!
//! 1. a byte-order mark wins: UTF-8 BOM (stripped), UTF-16LE/BE BOM;
//! 2. UTF-16 without a BOM is recognised only when the NUL pattern is unmistakable;
//! 3. bytes that are valid UTF-8 are UTF-8 (a `<meta>` declaration cannot override that), and
//!    so are bytes whose multi-byte characters are at least 80% valid UTF-8 (a download cut in
//!    the middle of a character, a stray byte): GBK text is never that close by chance;
//! 4. otherwise the candidates are the encoding declared in the first 2 KB (`<meta charset>`,
//!    `content="text/html; charset=gbk"`, `<?xml encoding=…?>`), GB18030 (a superset of GBK and
//!    GB2312) and UTF-8 read lossily; the one that needs the fewest replacement characters wins,
//!    ties going to the declaration, then GB18030.
//!
//! Declarations of single-byte Western encodings (`iso-8859-1`, `windows-1252`, …) are ignored:
//! a Chinese report cannot be written in them, such tags are template leftovers, and honouring
//! them would silently turn a GBK page into mojibake.
//!
//! Decoding never fails and never panics: undecodable bytes become U+FFFD and [`Decoded::lossy`]
//! is set, so the caller can attach a finding instead of rejecting the report. [`looks_binary`]
//! lets callers reject PDFs, Office files, images and other junk with a clear message *before*
//! decoding.

use encoding_rs::{Encoding, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};

/// How many leading bytes the binary / UTF-16 sniffers look at.
const SNIFF_LEN: usize = 8 * 1024;
/// How many leading bytes are searched for an HTML/XML charset declaration.
const DECLARATION_SCAN_LEN: usize = 2 * 1024;

/// Text decoded from bytes, and how it was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded text, without any byte-order mark.
    pub text: String,
    /// The encoding used: `"UTF-8"`, `"UTF-8 (BOM)"`, `"UTF-16LE"`, `"UTF-16BE"`, `"GB18030"`
    /// (also used for GBK/GB2312, of which it is a superset), or — only when a page declares it
    /// and it decodes at least as cleanly as GB18030 — another multi-byte encoding by its
    /// WHATWG name (`"Big5"`, `"Shift_JIS"`, `"EUC-JP"`, `"EUC-KR"`, `"ISO-2022-JP"`).
    pub encoding: &'static str,
    /// `true` when some bytes could not be decoded and were replaced by U+FFFD.
    pub lossy: bool,
}

/// Decodes report bytes into text; never fails, never panics. See the module docs for the rules.
#[must_use]
pub fn decode_bytes(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (text, lossy) = utf8_lossy(rest);
        return Decoded {
            text,
            encoding: "UTF-8 (BOM)",
            lossy,
        };
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, false);
    }
    if let Some(little_endian) = sniff_utf16(bytes) {
        return decode_utf16(bytes, little_endian);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_owned(),
            encoding: "UTF-8",
            lossy: false,
        };
    }
    decode_legacy(bytes)
}

/// `true` when the bytes are clearly not a text report: a known binary signature (PDF, ZIP-based
/// Office/OFD files, OLE2 `.doc`/`.xls`/`.wps`, images), or many NUL / control bytes in the first
/// 8 KB that are not explained by UTF-16. Empty input is not binary.
#[must_use]
pub fn looks_binary(bytes: &[u8]) -> bool {
    binary_kind(bytes).is_some()
}

/// Like [`looks_binary`], but says what the bytes look like, for an error message:
/// `"PDF document"`, `"ZIP container (docx/xlsx/ofd)"`, `"OLE2 document (doc/xls/wps)"`,
/// `"PNG image"`, `"JPEG image"`, `"GIF image"`, or `"binary data"`.
#[must_use]
pub fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"%PDF-", "PDF document"),
        (b"PK\x03\x04", "ZIP container (docx/xlsx/ofd)"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "OLE2 document (doc/xls/wps)",
        ),
        (b"\x89PNG\r\n\x1A\n", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
    ];
    for (magic, kind) in SIGNATURES {
        if bytes.starts_with(magic) {
            return Some(kind);
        }
    }
    if bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || sniff_utf16(bytes).is_some()
    {
        return None;
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if head.is_empty() {
        return None;
    }
    // NUL and C0 controls that never occur in text. Excluded: \t \n \r, \x0b (Word line break),
    // \x0c (pdftotext page break) and \x1b (ISO-2022 escape). No legacy CJK encoding uses bytes
    // below 0x30 inside a multi-byte character, so GBK/Big5 text has none of these.
    let controls = head
        .iter()
        .filter(|&&b| matches!(b, 0x00..=0x08 | 0x0E..=0x1A | 0x1C..=0x1F | 0x7F))
        .count();
    (controls * 20 > head.len()).then_some("binary data")
}

/// Valid UTF-8 as is, or UTF-8 with invalid sequences replaced (and `lossy`).
fn utf8_lossy(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

fn decode_utf16(bytes: &[u8], little_endian: bool) -> Decoded {
    let (encoding, name) = if little_endian {
        (UTF_16LE, "UTF-16LE")
    } else {
        (UTF_16BE, "UTF-16BE")
    };
    let (text, lossy) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: strip_bom_char(text.into_owned()),
        encoding: name,
        lossy,
    }
}

/// Recognises BOM-less UTF-16: at least 10% of the 16-bit units have a zero high byte (ASCII
/// letters, digits, newlines), the other byte position is almost never zero, and few units are
/// control characters (which rules out binary formats full of small integers). Returns
/// `Some(true)` for little endian.
fn sniff_utf16(bytes: &[u8]) -> Option<bool> {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let units = head.len() / 2;
    if units < 2 {
        return None;
    }
    let (mut zero_even, mut zero_odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        zero_even += usize::from(pair[0] == 0);
        zero_odd += usize::from(pair[1] == 0);
    }
    let little_endian = if zero_odd * 10 >= units && zero_even * 8 < zero_odd {
        true
    } else if zero_even * 10 >= units && zero_odd * 8 < zero_even {
        false
    } else {
        return None;
    };
    let controls = head
        .chunks_exact(2)
        .map(|pair| {
            if little_endian {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            }
        })
        .filter(|&unit| (unit < 0x20 && !matches!(unit, 0x09 | 0x0A | 0x0C | 0x0D)) || unit == 0x7F)
        .count();
    (controls * 20 <= units).then_some(little_endian)
}

/// Bytes that are neither BOM-marked nor valid UTF-8: pick the candidate that decodes cleanest.
fn decode_legacy(bytes: &[u8]) -> Decoded {
    // Mostly valid UTF-8 (a download cut inside a character, one stray byte) stays UTF-8:
    // GBK text cannot keep four in five of its multi-byte characters valid UTF-8 by chance.
    let (valid_multibyte, invalid) = utf8_stats(bytes);
    if invalid * 4 < valid_multibyte {
        return decode_with(UTF_8, bytes).1;
    }
    let declared = declared_encoding(bytes);
    // Candidates in tie-breaking order: the declaration, GB18030, UTF-8 read lossily.
    let mut order: Vec<&'static Encoding> = Vec::with_capacity(3);
    if let Some(encoding) = declared {
        order.push(encoding);
    }
    for encoding in [GB18030, UTF_8] {
        if !order.contains(&encoding) {
            order.push(encoding);
        }
    }
    let mut best: Option<(usize, Decoded)> = None;
    for encoding in order {
        let candidate = decode_with(encoding, bytes);
        if best.as_ref().is_none_or(|(least, _)| candidate.0 < *least) {
            best = Some(candidate);
        }
    }
    match best {
        Some((_, decoded)) => decoded,
        // Unreachable (the candidate list is never empty), but never panic.
        None => Decoded {
            text: String::from_utf8_lossy(bytes).into_owned(),
            encoding: "UTF-8",
            lossy: true,
        },
    }
}

/// Valid multi-byte UTF-8 characters and invalid sequences in `bytes`.
fn utf8_stats(bytes: &[u8]) -> (usize, usize) {
    let (mut valid_multibyte, mut invalid) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        valid_multibyte += chunk.valid().chars().filter(|c| c.len_utf8() > 1).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    (valid_multibyte, invalid)
}

/// Decodes with one candidate encoding; returns the number of replacement characters too.
fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> (usize, Decoded) {
    if encoding == UTF_8 {
        let errors = utf8_stats(bytes).1;
        let text = String::from_utf8_lossy(bytes).into_owned();
        return (
            errors,
            Decoded {
                text: strip_bom_char(text),
                encoding: "UTF-8",
                lossy: errors > 0,
            },
        );
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let errors = replacement_count(&text, had_errors);
    let name = if encoding == GB18030 {
        "GB18030"
    } else {
        encoding.name()
    };
    (
        errors,
        Decoded {
            text: strip_bom_char(text.into_owned()),
            encoding: name,
            lossy: had_errors,
        },
    )
}

fn replacement_count(text: &str, had_errors: bool) -> usize {
    if had_errors {
        text.chars()
            .filter(|&c| c == char::REPLACEMENT_CHARACTER)
            .count()
    } else {
        0
    }
}

fn strip_bom_char(mut text: String) -> String {
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    text
}

/// The multi-byte encoding declared by `<meta charset=…>`, `<meta content="…; charset=…">` or
/// `<?xml … encoding="…"?>` in the first 2 KB. GBK/GB2312 map to GB18030, a UTF-16 declaration
/// means UTF-8 (as in the HTML standard: without a BOM it cannot be UTF-16), single-byte
/// encodings and `replacement` are ignored.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes[..bytes.len().min(DECLARATION_SCAN_LEN)].to_ascii_lowercase();
    let mut labels = Vec::new();
    if head.starts_with(b"<?xml") {
        let end = find(&head, b"?>", 0).unwrap_or(head.len());
        if let Some(label) = attribute_label(&head[..end], b"encoding") {
            labels.push(label);
        }
    }
    let mut from = 0;
    while let Some(start) = find(&head, b"<meta", from) {
        let end = find(&head, b">", start).unwrap_or(head.len());
        if let Some(label) = attribute_label(&head[start..end], b"charset") {
            labels.push(label);
        }
        from = end;
    }
    labels.into_iter().find_map(|label| {
        let encoding = Encoding::for_label(label)?;
        if encoding == GBK || encoding == GB18030 {
            Some(GB18030)
        } else if encoding == UTF_16LE || encoding == UTF_16BE || encoding == UTF_8 {
            Some(UTF_8)
        } else if encoding.is_single_byte() || encoding.name() == "replacement" {
            None
        } else {
            Some(encoding)
        }
    })
}

/// The value after `key` `=` (optionally quoted) inside one tag or declaration.
fn attribute_label<'a>(tag: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = find(tag, key, from) {
        let mut i = at + key.len();
        from = i;
        while tag.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if tag.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while tag
            .get(i)
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b'"' || b == b'\'')
        {
            i += 1;
        }
        let start = i;
        while tag
            .get(i)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            i += 1;
        }
        if i > start {
            return Some(&tag[start..i]);
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaration_forms() {
        let meta =
            b"<html><head><META HTTP-EQUIV=Content-Type CONTENT='text/html; charset=GB2312'>";
        assert_eq!(declared_encoding(meta), Some(GB18030));
        assert_eq!(
            declared_encoding(b"<meta charset=\"big5\" />"),
            Some(encoding_rs::BIG5)
        );
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding=\"gbk\"?><html>"),
            Some(GB18030)
        );
        assert_eq!(declared_encoding(b"<meta charset=iso-8859-1>"), None);
        assert_eq!(declared_encoding(b"<meta charset=utf-16>"), Some(UTF_8));
        assert_eq!(declared_encoding(b"<meta name=x content=y>"), None);
        assert_eq!(declared_encoding(b"charset=gbk but not in a tag"), None);
        assert_eq!(declared_encoding(b"<meta charset="), None);
    }

    #[test]
    fn utf16_sniffing() {
        let le: Vec<u8> = "| 自然人 | 3 |\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "| 自然人 | 3 |\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(sniff_utf16(&le), Some(true));
        assert_eq!(sniff_utf16(&be), Some(false));
        assert_eq!(sniff_utf16(b"plain ascii text"), None);
        assert_eq!(sniff_utf16(&[0, 0, 0, 0, 0, 0]), None);
        // Small little-endian integers with control values: binary, not text.
        let ints: Vec<u8> = (0u16..64).flat_map(|v| (v % 8).to_le_bytes()).collect();
        assert_eq!(sniff_utf16(&ints), None);
    }

    #[test]
    fn truncated_utf8_stays_utf8() {
        let mut bytes = "某市示例局年度报告".as_bytes().to_vec();
        bytes.pop();
        let decoded = decode_bytes(&bytes);
        assert_eq!(decoded.encoding, "UTF-8");
        assert!(decoded.lossy);
        assert!(decoded.text.starts_with("某市示例局年度报"));
    }

    #[test]
    fn gb18030_bom_is_stripped() {
        let (bytes, _, _) = GB18030.encode("\u{FEFF}示例");
        let decoded = decode_bytes(&bytes);
        assert_eq!(decoded.encoding, "GB18030");
        assert_eq!(decoded.text, "示例");
    }
}
