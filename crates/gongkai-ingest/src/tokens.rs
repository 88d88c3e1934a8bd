//! Tokenizer: normalised report text → a flat stream of cells.
//!
//! Published reports flatten their tables in every way imaginable: `|`-separated rows, one cell
//! per line with or without `|`, tab-separated rows with empty cells for merged labels,
//! Markdown tables, single spaces between cells, and no separator at all (`规章000`). Instead
//! of recognising each layout, the tokenizer reduces all of them to one stream of tokens —
//! text, number, "absent" marker (不涉及, -, /), blank cell — and the table reader works on that
//! stream, anchored on row labels from the skeleton. Layout differences then only show up as
//! extra blank cells or as numbers glued to text, which the table reader resolves.

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokKind {
    /// Label or narrative text (already normalised); the text is the token's `raw`.
    Text,
    /// A number as printed. `digits` keeps the digit string so a run of cells printed without
    /// separators can be split later; `attached` is true when the number is glued to text on
    /// its left (`申请数量713000074`).
    Num {
        value: f64,
        digits: String,
        unit: Option<String>,
        attached: bool,
    },
    /// A cell that explicitly has no value: 不涉及, "-", "—", "/", 无.
    Absent,
    /// An empty cell between separators.
    Blank,
}

/// One token with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    pub kind: TokKind,
    /// Matching key of a text token ([`gongkai_core::normalize::key_of_normalized`]); empty
    /// for other tokens. Computed once, used by every anchor search and row match.
    pub key: String,
    /// 1-based line in the normalised text.
    pub line: usize,
    /// The raw text of the token as it appears in the normalised source.
    pub raw: String,
}

impl Tok {
    pub fn is_text(&self) -> bool {
        matches!(self.kind, TokKind::Text)
    }
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            TokKind::Text => Some(&self.raw),
            _ => None,
        }
    }
}

const ABSENT_MARKERS: &[&str] = &[
    "不涉及",
    "-",
    "--",
    "—",
    "——",
    "/",
    "／",
    "无",
    "空",
    "\\",
    "－",
    "─",
    "━",
    "/-",
];

/// True when `cell` (trimmed) is an explicit "no value" marker.
pub fn is_absent_marker(cell: &str) -> bool {
    ABSENT_MARKERS.contains(&cell)
}

fn is_markdown_rule(piece: &str) -> bool {
    let t = piece.trim();
    t.len() >= 3 && t.chars().all(|c| c == '-' || c == ':')
}

/// Tokenize normalised text (see [`gongkai_core::normalize::normalize_text`]).
pub fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(text.len() / 4);
    // A line holding only `|` is a blank cell when cells are written `value |`, but a mere
    // separator when cells sit alone on their lines with `|` lines between them.
    let (mut bare, mut piped) = (0usize, 0usize);
    for l in text.split('\n') {
        let t = l.trim();
        if t.is_empty() || t == "|" {
            continue;
        }
        if t.contains('|') {
            piped += 1;
        } else {
            bare += 1;
        }
    }
    let pipe_lines_separate = bare > piped;
    for (idx, line) in text.split('\n').enumerate() {
        if pipe_lines_separate && line.trim() == "|" {
            continue;
        }
        let line_no = idx + 1;
        if line.len() > MAX_LINE_BYTES {
            // Pathological lines are still read, in bounded chunks on char boundaries.
            let mut start = 0;
            while start < line.len() {
                let mut end = (start + MAX_LINE_BYTES).min(line.len());
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                tokenize_line(&line[start..end], line_no, &mut out);
                start = end;
            }
        } else {
            tokenize_line(line, line_no, &mut out);
        }
    }
    for t in &mut out {
        if matches!(t.kind, TokKind::Text) {
            t.key = gongkai_core::normalize::key_of_normalized(&t.raw);
        }
    }
    out
}

/// Lines longer than this are tokenized in pieces (keeps worst-case work linear).
pub const MAX_LINE_BYTES: usize = 1 << 20;

fn tokenize_line(line: &str, line_no: usize, out: &mut Vec<Tok>) {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return;
    }
    if trimmed == "|" {
        out.push(Tok {
            kind: TokKind::Blank,
            line: line_no,
            raw: String::new(),
            key: String::new(),
        });
        return;
    }
    if line.contains('|') {
        let pieces: Vec<&str> = line.split('|').collect();
        let n = pieces.len();
        for (i, piece) in pieces.iter().enumerate() {
            let edge =
                (i == 0 && piece.trim().is_empty()) || (i == n - 1 && piece.trim().is_empty());
            if edge || is_markdown_rule(piece) {
                continue;
            }
            cell(piece, line_no, out);
        }
    } else if line.contains('\t') {
        let pieces: Vec<&str> = line.split('\t').collect();
        let n = pieces.len();
        for (i, piece) in pieces.iter().enumerate() {
            if (i == 0 || i == n - 1) && piece.trim().is_empty() {
                continue;
            }
            cell(piece, line_no, out);
        }
    } else {
        cell(line, line_no, out);
    }
}

fn cell(piece: &str, line: usize, out: &mut Vec<Tok>) {
    let t = piece.trim();
    if t.is_empty() {
        out.push(Tok {
            kind: TokKind::Blank,
            line,
            raw: String::new(),
            key: String::new(),
        });
        return;
    }
    if is_absent_marker(t) {
        out.push(Tok {
            kind: TokKind::Absent,
            line,
            raw: t.to_string(),
            key: String::new(),
        });
        return;
    }
    // Fast path: a cell that is exactly a plain number (most table cells).
    if let Some(tok) = plain_number(t, line) {
        out.push(tok);
        return;
    }
    // Fast path: a cell without digits is one text token (most narrative lines).
    if !t.bytes().any(|b| b.is_ascii_digit()) {
        let raw = if t.contains(char::is_whitespace) {
            t.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            t.to_string()
        };
        out.push(Tok {
            kind: TokKind::Text,
            line,
            raw,
            key: String::new(),
        });
        return;
    }
    let mut local: Vec<Tok> = Vec::new();
    for word in t.split_whitespace() {
        if word.bytes().any(|b| b.is_ascii_digit()) {
            segment_word(word, line, &mut local);
        } else if is_absent_marker(word) {
            local.push(Tok {
                kind: TokKind::Absent,
                line,
                raw: word.to_string(),
                key: String::new(),
            });
        } else {
            local.push(Tok {
                kind: TokKind::Text,
                line,
                raw: word.to_string(),
                key: String::new(),
            });
        }
    }
    // Text pieces of one cell separated only by spaces form one label.
    let first_new = out.len();
    // `2011 年度` (a header) is text, not a number followed by text.
    let mut merged: Vec<Tok> = Vec::with_capacity(local.len());
    for tok in local {
        if let (TokKind::Text, Some(prev)) = (&tok.kind, merged.last_mut()) {
            if matches!(prev.kind, TokKind::Num { .. }) && tok.raw.starts_with('年') {
                prev.kind = TokKind::Text;
                prev.raw.push_str(&tok.raw);
                continue;
            }
        }
        merged.push(tok);
    }
    for tok in merged {
        if out.len() > first_new {
            if let (TokKind::Text, Some(last)) = (&tok.kind, out.last_mut()) {
                if matches!(last.kind, TokKind::Text) {
                    last.raw.push(' ');
                    last.raw.push_str(&tok.raw);
                    continue;
                }
            }
        }
        out.push(tok);
    }
}

/// `12`, `-417`, `+3`, `20.3` as a whole cell, without any allocation but the token's own.
fn plain_number(t: &str, line: usize) -> Option<Tok> {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > 24 {
        return None;
    }
    let body = match b[0] {
        b'+' | b'-' => &b[1..],
        _ => b,
    };
    let dots = body.iter().filter(|&&c| c == b'.').count();
    let plain = !body.is_empty()
        && body[0].is_ascii_digit()
        && body[body.len() - 1].is_ascii_digit()
        && dots <= 1
        && body.iter().all(|c| c.is_ascii_digit() || *c == b'.');
    if !plain {
        return None;
    }
    let value: f64 = t.parse().ok().filter(|v: &f64| v.is_finite())?;
    let digits = t.to_string();
    Some(Tok {
        kind: TokKind::Num {
            value,
            digits,
            unit: None,
            attached: false,
        },
        line,
        raw: t.to_string(),
        key: String::new(),
    })
}

fn unit_chars() -> &'static [Vec<char>] {
    static UNITS: std::sync::OnceLock<Vec<Vec<char>>> = std::sync::OnceLock::new();
    UNITS.get_or_init(|| {
        gongkai_core::skeleton::UNITS
            .iter()
            .map(|u| u.chars().collect())
            .collect()
    })
}

fn unit_at(chars: &[char], i: usize) -> Option<usize> {
    let rest = chars.get(i..)?;
    unit_chars()
        .iter()
        .find(|u| rest.starts_with(u))
        .map(Vec::len)
}

/// Split one whitespace-free word into text and number segments.
fn segment_word(word: &str, line: usize, out: &mut Vec<Tok>) {
    if is_absent_marker(word) {
        out.push(Tok {
            kind: TokKind::Absent,
            line,
            raw: word.to_string(),
            key: String::new(),
        });
        return;
    }
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let mut text = String::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        let sign_start =
            (c == '+' || c == '-') && i == 0 && chars.get(1).is_some_and(|d| d.is_ascii_digit());
        if !(c.is_ascii_digit() || sign_start) {
            text.push(c);
            i += 1;
            continue;
        }
        // A number run: [sign] digits [,ddd]* [.digits]
        let start = i;
        if sign_start {
            i += 1;
        }
        while i < n {
            if chars[i].is_ascii_digit() {
                i += 1;
            } else if chars[i] == ','
                && i + 3 < n + 1
                && chars
                    .get(i + 1..i + 4)
                    .is_some_and(|w| w.iter().all(|d| d.is_ascii_digit()))
                && !chars.get(i + 4).is_some_and(|d| d.is_ascii_digit())
            {
                i += 4;
            } else {
                break;
            }
        }
        let int_end = i;
        let mut has_decimal = false;
        if i + 1 < n && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
            has_decimal = true;
            i += 1;
            while i < n && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        let run: String = chars[start..i].iter().collect();
        let next = chars.get(i).copied();
        let prev = if start > 0 {
            Some(chars[start - 1])
        } else {
            None
        };
        let attached = prev.is_some_and(|p| p != '(' && !p.is_ascii_digit());
        // Item numbers: `1.属于…`, `2、政府…`, or the tail of a glued run `00000002.其他…`.
        let item_mark = !has_decimal
            && matches!(next, Some('.') | Some('、'))
            && chars.get(i + 1).is_none_or(|d| !d.is_ascii_digit());
        if item_mark && !sign_start {
            let digits = int_end - start;
            if digits <= 2 {
                text.extend(&chars[start..=i]);
                i += 1;
                continue;
            }
            // Peel the last digit as the item number; the rest are glued values.
            let value_part: String = chars[start..int_end - 1].iter().collect();
            flush_text(&mut text, line, out);
            push_num(out, &value_part, None, attached, line);
            text.extend(&chars[int_end - 1..=i]);
            i += 1;
            continue;
        }
        // Years and dates (`2020年`, `12月`), bracketed ordinals `(1)`: text.
        if matches!(next, Some('年') | Some('月') | Some('日') | Some('号'))
            || (prev == Some('(') && next == Some(')'))
            || prev == Some('第')
        {
            text.push_str(&run);
            continue;
        }
        let mut unit = None;
        if let Some(len) = unit_at(&chars, i) {
            unit = Some(chars[i..i + len].iter().collect::<String>());
            i += len;
        }
        flush_text(&mut text, line, out);
        push_num(out, &run, unit, attached, line);
    }
    flush_text(&mut text, line, out);
}

fn flush_text(text: &mut String, line: usize, out: &mut Vec<Tok>) {
    if !text.is_empty() {
        out.push(Tok {
            kind: TokKind::Text,
            line,
            raw: text.clone(),
            key: String::new(),
        });
        text.clear();
    }
}

fn push_num(out: &mut Vec<Tok>, run: &str, unit: Option<String>, attached: bool, line: usize) {
    let clean: String = run.chars().filter(|c| *c != ',').collect();
    let value = clean.parse::<f64>().ok();
    let raw = match &unit {
        Some(u) => format!("{run}{u}"),
        None => run.to_string(),
    };
    match value {
        Some(v) if v.is_finite() => out.push(Tok {
            kind: TokKind::Num {
                value: v,
                digits: clean,
                unit,
                attached,
            },
            line,
            raw,
            key: String::new(),
        }),
        _ => out.push(Tok {
            kind: TokKind::Text,
            line,
            raw,
            key: String::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<String> {
        tokenize(text)
            .into_iter()
            .map(|t| match t.kind {
                TokKind::Text => format!("T:{}", t.raw),
                TokKind::Num {
                    digits,
                    unit,
                    attached,
                    ..
                } => format!(
                    "N:{digits}{}{}",
                    unit.unwrap_or_default(),
                    if attached { "@" } else { "" }
                ),
                TokKind::Absent => "A".into(),
                TokKind::Blank => "B".into(),
            })
            .collect()
    }

    #[test]
    fn pipes_tabs_and_lines() {
        assert_eq!(kinds("规章 | 0 | 0 | |"), ["T:规章", "N:0", "N:0", "B"]);
        assert_eq!(kinds("\t规章\t0\t不涉及\t"), ["T:规章", "N:0", "A"]);
        assert_eq!(kinds("0 |\n|\n规章 |"), ["N:0", "B", "T:规章"]);
        assert_eq!(kinds("| 规章 | 1 |\n|---|---|"), ["T:规章", "N:1"]);
    }

    #[test]
    fn numbers_with_units_signs_and_decimals() {
        assert_eq!(kinds("39670元"), ["N:39670元"]);
        assert_eq!(kinds("24.5万元"), ["N:24.5万元"]);
        assert_eq!(kinds("+3"), ["N:+3"]);
        assert_eq!(kinds("-417"), ["N:-417"]);
        assert_eq!(kinds("1,234"), ["N:1234"]);
    }

    #[test]
    fn item_numbers_and_years_stay_text() {
        assert_eq!(kinds("1.属于国家秘密"), ["T:1.属于国家秘密"]);
        assert_eq!(kinds("2016年度 历年累计"), ["T:2016年度 历年累计"]);
    }

    #[test]
    fn glued_cells_are_split_from_labels() {
        assert_eq!(
            kinds("1.本机关不掌握相关政府信息2200003252.没有现成信息"),
            [
                "T:1.本机关不掌握相关政府信息",
                "N:220000325@",
                "T:2.没有现成信息"
            ]
        );
        assert_eq!(
            kinds("规章000规范性文件"),
            ["T:规章", "N:000@", "T:规范性文件"]
        );
    }

    #[test]
    fn spaces_separate_cells() {
        assert_eq!(
            kinds("主动公开信息数 条 425 1516"),
            ["T:主动公开信息数 条", "N:425", "N:1516"]
        );
    }
}
