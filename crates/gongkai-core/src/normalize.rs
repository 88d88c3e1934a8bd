//! Text normalisation shared by the parser and the label matcher.
//!
//! Published reports mix full-width and half-width digits and punctuation, traditional and
//! simplified characters (mirror sites convert pages), and sometimes pinyin annotations after
//! each converted character (`數(shù)據(jù)`). [`normalize_text`] folds all of these into one
//! canonical form *before* anything is parsed, so the rest of the pipeline sees one alphabet.
//! [`label_key`] goes further for matching table labels: it also drops spaces and punctuation,
//! so `（三）不予公开` and `(三) 不予公开` compare equal.

use std::sync::OnceLock;

static TRADITIONAL_MAP: &str = include_str!("../data/traditional-simplified.txt");

/// Direct lookup for the Basic Multilingual Plane (one `u16` per code point, 0 = unchanged):
/// normalisation runs on every character of every report, so this is a hot path.
fn bmp_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v = vec![0u16; 0x10000];
        for l in TRADITIONAL_MAP.lines().filter(|l| !l.starts_with('#')) {
            let mut it = l.split('\t');
            let (Some(t), Some(s)) = (
                it.next().and_then(|x| x.chars().next()),
                it.next().and_then(|x| x.chars().next()),
            ) else {
                continue;
            };
            if (t as u32) < 0x10000 && (s as u32) < 0x10000 {
                v[t as usize] = s as u16;
            }
        }
        v
    })
}

/// Simplified form of one character (identity for characters that are not traditional).
pub fn simplify_char(c: char) -> char {
    let cp = c as u32;
    if !(0x3400..0x10000).contains(&cp) {
        return c;
    }
    match bmp_table()[cp as usize] {
        0 => c,
        s => char::from_u32(s as u32).unwrap_or(c),
    }
}

/// True for CJK unified ideographs (the characters labels are made of).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_pinyin_letter(c: char) -> bool {
    c.is_ascii_lowercase() || (c.is_alphabetic() && (0xC0..0x250).contains(&(c as u32)))
}

/// Fold one character: full-width ASCII to ASCII, ideographic space to space, minus-like
/// dashes to `-`, traditional to simplified. Zero-width characters become `None`.
pub fn fold_char(c: char) -> Option<char> {
    let cp = c as u32;
    if cp < 0xA0 {
        return Some(c);
    }
    Some(match cp {
        0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(c),
        0x3000 | 0x00A0 | 0x2002..=0x200A | 0x202F | 0x205F => ' ',
        0x200B..=0x200D | 0xFEFF | 0x2060 => return None,
        0x2212 | 0x2010 | 0x2011 => '-',
        0x3007 => '〇',
        _ => simplify_char(c),
    })
}

/// Canonical text: every character folded by [`fold_char`], pinyin annotations removed,
/// `\r\n` and `\r` turned into `\n`.
pub fn normalize_text(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last: Option<char> = None;
    // Start of the current run of characters that fold to themselves (copied in one go).
    let mut run_start = 0;
    let mut iter = input.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let special = c == '\r' || c == '(' || c == '（';
        let folded = if special { None } else { fold_char(c) };
        if !special && folded == Some(c) {
            last = Some(c);
            continue;
        }
        out.push_str(&input[run_start..i]);
        let len = c.len_utf8();
        run_start = i + len;
        if c == '\r' {
            out.push('\n');
            last = Some('\n');
            if iter.peek().is_some_and(|(_, n)| *n == '\n') {
                iter.next();
                run_start += 1;
            }
            continue;
        }
        if c == '(' || c == '（' {
            // Pinyin annotation after a CJK character: `數(shù)`.
            if last.is_some_and(is_cjk) {
                let after = &input[i + len..];
                let letters: usize = after
                    .chars()
                    .take(9)
                    .take_while(|x| is_pinyin_letter(*x))
                    .map(char::len_utf8)
                    .sum();
                if letters > 0 && after[letters..].starts_with([')', '）']) {
                    let close = after[letters..].chars().next().map_or(1, char::len_utf8);
                    let skip_to = i + len + letters + close;
                    while iter.peek().is_some_and(|(j, _)| *j < skip_to) {
                        iter.next();
                    }
                    run_start = skip_to;
                    continue;
                }
            }
            out.push('(');
            last = Some('(');
            continue;
        }
        if let Some(f) = folded {
            out.push(f);
            last = Some(f);
        }
    }
    out.push_str(&input[run_start..]);
    out
}

/// Matching key of text that is already normalised (see [`normalize_text`]): the same as
/// [`label_key`] without folding again. Used on the parser's hot path.
pub fn key_of_normalized(s: &str) -> String {
    s.chars()
        .filter(|&c| is_cjk(c) || c.is_ascii_alphanumeric() || c == '〇')
        .collect()
}

/// Matching key of a label: normalised, without whitespace or punctuation; CJK, ASCII
/// letters and digits are kept. `（二）部分公开（区分处理的…）` → `二部分公开区分处理的…`.
pub fn label_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let Some(f) = fold_char(c) else { continue };
        if is_cjk(f) || f.is_ascii_alphanumeric() || f == '〇' {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_and_traditional() {
        assert_eq!(normalize_text("（一）予以公開　１２３"), "(一)予以公开 123");
        assert_eq!(normalize_text("總計"), "总计");
    }

    #[test]
    fn line_endings_and_parentheses() {
        assert_eq!(normalize_text("a\r\nb\rc\n"), "a\nb\nc\n");
        assert_eq!(normalize_text("x（1）"), "x(1)");
        assert_eq!(normalize_text("規章（歷史累計）"), "规章(历史累计)");
        assert_eq!(normalize_text("\u{feff}正文\u{200b}"), "正文");
    }

    #[test]
    fn strips_pinyin_annotations() {
        assert_eq!(normalize_text("數(shù)據(jù)"), "数据");
        assert_eq!(normalize_text("事業(yè)"), "事业");
        assert_eq!(normalize_text("數（shù）據"), "数据");
        // A real parenthesis after CJK is kept.
        assert_eq!(normalize_text("规章(历史累计)"), "规章(历史累计)");
    }

    #[test]
    fn label_key_ignores_punctuation_and_space() {
        assert_eq!(label_key("（三） 不予公开"), label_key("(三)不予公开"));
        assert_eq!(label_key("1. 属于国家秘密"), "1属于国家秘密");
    }
}
