//! HTML report pages → plain text lines that the text parser reads.
//!
//! Why this module exists: most 政府信息公开工作年度报告 are published as web pages, usually
//! pasted from Word or Excel, so the tables arrive as `<table>` markup full of `rowspan`,
//! `colspan`, `<p>`/`<span>` wrappers, `&nbsp;` and site furniture. The text parser already
//! understands `|`-separated rows, so instead of a second parser this module flattens a page into
//! the same text form:
//!
//! * every table row becomes one line `| cell | cell |`, laid out on a real grid: a cell with
//!   `colspan=N` is followed by N-1 empty cells, and a cell with `rowspan=N` leaves an *empty*
//!   cell at its column in the N-1 following rows, so column positions stay right (the parser
//!   treats an empty cell between pipes as a blank table cell);
//! * cell text is trimmed and its whitespace (including `<p>`/`<br>` breaks) collapsed to one
//!   space; a `|` inside a cell becomes the full-width `｜` so it cannot split the cell;
//! * nested tables are flattened: their rows follow the outer row as separate lines (depth is
//!   bounded; deeper tables are merged into the deepest tracked one). A *container* cell — one
//!   holding block content (`<p>`, `<div>`, `<br>`…) and a nested table, or only a nested
//!   table — is the mark of a layout table wrapping the page; its content is emitted as plain
//!   lines in document order, interleaved with the nested rows, so section headings and prose
//!   are not squeezed into one giant cell ahead of every report table;
//! * block elements (`p`, `div`, `br`, `h1`–`h6`, `li`, …) end lines; `<pre>` keeps its lines;
//! * `<script>`, `<style>`, `<noscript>`, `<template>`, `<iframe>` and comments are dropped, and
//!   the first non-empty `<title>` becomes the first line (it usually names the agency and year);
//! * entities are decoded (`&nbsp;` becomes a plain space);
//! * a source line break between two CJK characters is dropped instead of becoming a space (CSS
//!   segment-break rule; Word's HTML export wraps long lines in the middle of Chinese labels).
//!
//! Site debris (breadcrumbs such as 您当前的位置, share widgets, editor lines) is kept as plain
//! lines: the text parser ignores what it does not recognise, and dropping text here could drop
//! report content.
//!
//! The scanner is hand-written on purpose: it is a single forward pass over the bytes (linear
//! time; every failed search for a comment end or a closing quote is remembered so it is never
//! repeated), it has no recursion, it never panics on any input (it is meant to be fuzzed; the
//! tests sweep random markup soup and pathological inputs), and spans, grid width and table
//! depth are capped. It tolerates what real pages contain: unclosed tags and
//! cells, unquoted attributes, upper-case tags, stray `<`, `<td` cut off at the end of a
//! truncated download. A full HTML5 tree builder would be heavier and would not lay out the grid
//! anyway.

/// Tables nested deeper than this are merged into the deepest tracked table.
const MAX_TABLE_DEPTH: usize = 32;
/// `colspan`/`rowspan` values are capped here (browsers cap colspan at 1000, rowspan at 65534).
const MAX_SPAN: usize = 100;
/// Grid columns tracked per table; cells beyond are still emitted but span nothing.
const MAX_COLS: usize = 256;
/// How much of the start of a text [`is_html`] looks at.
const HTML_SNIFF_LEN: usize = 4096;

/// `true` when the text looks like an HTML page or fragment: one of `<!doctype`, `<html`,
/// `<head`, `<body`, `<meta`, `<title`, `<table`, `<tr`, `<td`, `<p`, `<div`, `<br`, `<span`,
/// `<h1`…`<h6` (any case, as a whole tag name) in the first 4 KB.
#[must_use]
pub fn is_html(text: &str) -> bool {
    const NAMES: &[&[u8]] = &[
        b"!doctype",
        b"html",
        b"head",
        b"body",
        b"meta",
        b"title",
        b"table",
        b"tbody",
        b"tr",
        b"td",
        b"th",
        b"p",
        b"div",
        b"br",
        b"span",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
    ];
    let bytes = text.as_bytes();
    let head = &bytes[..bytes.len().min(HTML_SNIFF_LEN)];
    let mut from = 0;
    while let Some(at) = find_byte(head, from, b'<') {
        let rest = &head[at + 1..];
        let rest = rest.strip_prefix(b"/").unwrap_or(rest);
        let hit = NAMES.iter().any(|name| {
            rest.len() >= name.len()
                && rest[..name.len()].eq_ignore_ascii_case(name)
                && rest
                    .get(name.len())
                    .is_none_or(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/')
        });
        if hit {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Converts an HTML page into plain text lines; tables become `| a | b |` rows on a proper grid.
/// See the module docs for the exact rules. Never panics; runs in linear time. The result ends
/// with a newline unless it is empty.
#[must_use]
pub fn html_to_text(html: &str) -> String {
    let mut converter = Converter::default();
    let bytes = html.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let next = find_byte(bytes, at, b'<').unwrap_or(bytes.len());
        if next > at {
            converter.text(&html[at..next]);
        }
        if next >= bytes.len() {
            break;
        }
        // Always > next, and always after an ASCII byte or at the end: a char boundary.
        at = converter.markup(html, next);
    }
    converter.finish()
}

/// What a tag means to the converter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Table,
    Row,
    Cell,
    /// `thead`, `tbody`, `tfoot`: rowspans do not cross them.
    RowGroup,
    Break,
    Block,
    Pre,
    Title,
    /// Elements whose raw content is never shown; carries the lower-case name to find the end.
    Raw(&'static [u8]),
    Other,
}

fn tag_kind(name: &[u8]) -> Kind {
    let mut lower = [0u8; 12];
    if name.len() > lower.len() {
        return Kind::Other;
    }
    for (slot, byte) in lower.iter_mut().zip(name) {
        *slot = byte.to_ascii_lowercase();
    }
    match &lower[..name.len()] {
        b"table" => Kind::Table,
        b"tr" => Kind::Row,
        b"td" | b"th" => Kind::Cell,
        b"thead" | b"tbody" | b"tfoot" => Kind::RowGroup,
        b"br" => Kind::Break,
        b"pre" | b"listing" | b"xmp" | b"plaintext" => Kind::Pre,
        b"title" => Kind::Title,
        b"script" => Kind::Raw(b"script"),
        b"style" => Kind::Raw(b"style"),
        b"noscript" => Kind::Raw(b"noscript"),
        b"template" => Kind::Raw(b"template"),
        b"iframe" => Kind::Raw(b"iframe"),
        b"noembed" => Kind::Raw(b"noembed"),
        b"noframes" => Kind::Raw(b"noframes"),
        b"p" | b"div" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"li" | b"ul" | b"ol"
        | b"dl" | b"dt" | b"dd" | b"section" | b"article" | b"header" | b"footer" | b"nav"
        | b"main" | b"aside" | b"address" | b"blockquote" | b"center" | b"hr" | b"form"
        | b"fieldset" | b"legend" | b"figure" | b"figcaption" | b"details" | b"summary"
        | b"dialog" | b"menu" | b"hgroup" | b"caption" | b"option" | b"body" | b"html"
        | b"head" | b"search" => Kind::Block,
        _ => Kind::Other,
    }
}

/// Pending collapsible whitespace in a [`TextBuf`], weakest first; merging keeps the strongest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    #[default]
    None,
    /// Spaces or tabs in the source.
    Space,
    /// A source line break: dropped between two CJK characters, a space otherwise.
    Break,
    /// A block boundary inside a cell: always a space.
    Hard,
}

/// Text being collected for one line or one cell, with HTML whitespace collapsing.
#[derive(Debug, Default)]
struct TextBuf {
    text: String,
    pending: Pending,
}

impl TextBuf {
    fn space(&mut self, kind: Pending) {
        if !self.text.is_empty() {
            self.pending = self.pending.max(kind);
        }
    }

    fn push(&mut self, c: char) {
        let space = match self.pending {
            Pending::None => false,
            Pending::Break => !(self.text.chars().next_back().is_some_and(is_wide) && is_wide(c)),
            Pending::Space | Pending::Hard => true,
        };
        if space {
            self.text.push(' ');
        }
        self.pending = Pending::None;
        self.text.push(c);
    }

    fn take(&mut self) -> String {
        self.pending = Pending::None;
        std::mem::take(&mut self.text)
    }
}

/// East Asian wide characters for the segment-break rule (Hangul excluded, as in CSS Text 3).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA000..=0xA4CF
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF01..=0xFF60 | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Feeds source text with collapsing whitespace and entity decoding.
fn feed_collapsed(buf: &mut TextBuf, raw: &str) {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\x0c' => {
                buf.space(Pending::Space);
                i += 1;
            }
            b'\n' | b'\r' => {
                buf.space(Pending::Break);
                i += 1;
            }
            b'&' => match decode_entity(&bytes[i..]) {
                Some((c, len)) => {
                    push_decoded(buf, c);
                    i += len;
                }
                None => {
                    buf.push('&');
                    i += 1;
                }
            },
            _ => {
                let Some(c) = raw[i..].chars().next() else {
                    break;
                };
                i += c.len_utf8();
                push_decoded(buf, c);
            }
        }
    }
}

/// Pushes one character from the source or from an entity, cleaning it for a one-line output.
fn push_decoded(buf: &mut TextBuf, c: char) {
    match c {
        ' ' | '\t' | '\n' | '\r' | '\x0c' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
            buf.space(Pending::Space);
        }
        '\u{a0}' => buf.push(' '),
        c if is_invisible(c) => {}
        c => buf.push(c),
    }
}

/// Control and zero-width format characters: they would only break label matching downstream.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}'
        )
}

/// Decodes the character reference at the start of `s` (which starts with `&`): returns the
/// character and the number of bytes used, or `None` to keep the `&` literally.
fn decode_entity(s: &[u8]) -> Option<(char, usize)> {
    const LEGACY: &[&[u8]] = &[
        b"nbsp", b"quot", b"QUOT", b"copy", b"COPY", b"amp", b"AMP", b"reg", b"REG", b"lt", b"LT",
        b"gt", b"GT",
    ];
    if s.get(1) == Some(&b'#') {
        let (radix, start) = match s.get(2) {
            Some(b'x' | b'X') => (16, 3),
            _ => (10, 2),
        };
        let mut end = start;
        let mut value: u32 = 0;
        while let Some(digit) = s.get(end).and_then(|&b| char::from(b).to_digit(radix)) {
            value = value
                .saturating_mul(radix)
                .saturating_add(digit)
                .min(0x11_0000);
            end += 1;
        }
        if end == start {
            return None;
        }
        if s.get(end) == Some(&b';') {
            end += 1;
        }
        return Some((numeric_char(value), end));
    }
    let mut end = 1;
    while end < s.len() && end <= 32 && s[end].is_ascii_alphanumeric() {
        end += 1;
    }
    let name = &s[1..end];
    if s.get(end) == Some(&b';') {
        return named_entity(name).map(|c| (c, end + 1));
    }
    // Legacy references that browsers accept without the semicolon, even glued to a word
    // (`&nbspX`, `R&ampD`); the longest one that prefixes the name wins.
    LEGACY
        .iter()
        .find(|legacy| name.starts_with(legacy))
        .and_then(|legacy| named_entity(legacy).map(|c| (c, 1 + legacy.len())))
}

fn numeric_char(value: u32) -> char {
    // Browsers read &#128;–&#159; as windows-1252, which is what the authors meant.
    const WINDOWS_1252: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let value = match value {
        0x80..=0x9F => WINDOWS_1252[(value - 0x80) as usize],
        v => v,
    };
    match value {
        0 => char::REPLACEMENT_CHARACTER,
        v => char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

fn named_entity(name: &[u8]) -> Option<char> {
    Some(match name {
        b"nbsp" => '\u{a0}',
        b"amp" | b"AMP" => '&',
        b"lt" | b"LT" => '<',
        b"gt" | b"GT" => '>',
        b"quot" | b"QUOT" => '"',
        b"apos" => '\'',
        b"copy" | b"COPY" => '©',
        b"reg" | b"REG" => '®',
        b"trade" => '™',
        b"ensp" | b"emsp" | b"thinsp" => ' ',
        b"zwj" => '\u{200D}',
        b"zwnj" => '\u{200C}',
        b"shy" => '\u{AD}',
        b"lrm" => '\u{200E}',
        b"rlm" => '\u{200F}',
        b"middot" => '·',
        b"bull" => '•',
        b"hellip" => '…',
        b"mdash" => '—',
        b"ndash" => '–',
        b"minus" => '−',
        b"lsquo" => '‘',
        b"rsquo" => '’',
        b"sbquo" => '‚',
        b"ldquo" => '“',
        b"rdquo" => '”',
        b"bdquo" => '„',
        b"laquo" => '«',
        b"raquo" => '»',
        b"lsaquo" => '‹',
        b"rsaquo" => '›',
        b"times" => '×',
        b"divide" => '÷',
        b"plusmn" => '±',
        b"deg" => '°',
        b"permil" => '‰',
        b"percnt" => '%',
        b"sect" => '§',
        b"para" => '¶',
        b"yen" => '¥',
        b"cent" => '¢',
        b"pound" => '£',
        b"euro" => '€',
        b"le" => '≤',
        b"ge" => '≥',
        b"ne" => '≠',
        b"asymp" => '≈',
        b"larr" => '←',
        b"rarr" => '→',
        b"uarr" => '↑',
        b"darr" => '↓',
        b"prime" => '′',
        b"Prime" => '″',
        b"frac12" => '½',
        b"frac14" => '¼',
        b"frac34" => '¾',
        b"sup1" => '¹',
        b"sup2" => '²',
        b"sup3" => '³',
        b"micro" => 'µ',
        b"iexcl" => '¡',
        b"iquest" => '¿',
        b"star" => '☆',
        b"starf" => '★',
        b"check" => '✓',
        b"vert" | b"verbar" => '|',
        b"num" => '#',
        b"excl" => '!',
        b"colon" => ':',
        b"semi" => ';',
        b"comma" => ',',
        b"period" => '.',
        b"lpar" => '(',
        b"rpar" => ')',
        b"sol" => '/',
        b"bsol" => '\\',
        b"lowbar" => '_',
        b"equals" => '=',
        b"plus" => '+',
        b"ast" => '*',
        b"commat" => '@',
        b"dollar" => '$',
        _ => return None,
    })
}

/// One laid-out cell of a row.
#[derive(Debug)]
struct CellOut {
    text: String,
    colspan: usize,
    rowspan: usize,
    /// A container cell whose content went out as lines of its own (see [`OpenCell::flow`]).
    flow: bool,
}

/// A cell being collected.
#[derive(Debug)]
struct OpenCell {
    text: TextBuf,
    colspan: usize,
    rowspan: usize,
    /// A block element (`<p>`, `<div>`, `<br>`, …) was seen directly in this cell.
    saw_block: bool,
    /// Set when the first nested table starts: the length of the text before it.
    table_at: Option<usize>,
    /// Container cell: it holds block content *and* a nested table, the mark of a layout table
    /// wrapping a page (or a report pasted into a one-cell frame). Its content is emitted as
    /// plain lines in document order, interleaved with the nested tables' rows, instead of
    /// being squeezed into one cell followed by every nested row.
    flow: bool,
}

/// One table on the nesting stack.
#[derive(Debug, Default)]
struct Table {
    /// Per grid column, how many more rows an earlier cell's rowspan still covers.
    carry: Vec<u8>,
    /// Cells of the open row; `Some` while a row is open.
    row: Option<Vec<CellOut>>,
    cell: Option<OpenCell>,
    /// Lines of nested tables, emitted after this table's open row.
    pending: Vec<String>,
    /// Text inside the table but outside any cell (captions, stray text).
    loose: TextBuf,
}

#[derive(Debug, Default)]
struct Converter {
    out: String,
    line: TextBuf,
    title: Option<String>,
    tables: Vec<Table>,
    /// `<table>` tags beyond `MAX_TABLE_DEPTH` that are still open.
    overflow: usize,
    /// Open `<pre>`-like elements.
    pre: usize,
    /// Just after `<pre>`: a leading newline is ignored.
    pre_fresh: bool,
    /// Positions from which no `-->`, `"` or `'` exists any more (failed searches).
    no_comment_end_from: Option<usize>,
    no_double_quote_from: Option<usize>,
    no_single_quote_from: Option<usize>,
}

impl Converter {
    // ---- scanning -------------------------------------------------------------------------

    /// Handles the markup starting at `at` (a `<`); returns where scanning resumes.
    fn markup(&mut self, html: &str, at: usize) -> usize {
        let bytes = html.as_bytes();
        let end = bytes.len();
        match bytes.get(at + 1) {
            None => {
                self.text("<");
                end
            }
            Some(b'!') => {
                if bytes[at + 1..].starts_with(b"!--") {
                    self.skip_comment(bytes, at + 4)
                } else {
                    // <!DOCTYPE>, <![CDATA[…]]>, Word's <![if !supportLists]>.
                    skip_past(bytes, at + 2, b'>')
                }
            }
            Some(b'?') => skip_past(bytes, at + 2, b'>'),
            Some(b'/') => match bytes.get(at + 2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let name_end = name_end(bytes, at + 2);
                    match find_byte(bytes, name_end, b'>') {
                        Some(gt) => {
                            self.end_tag(tag_kind(&bytes[at + 2..name_end]));
                            gt + 1
                        }
                        // A tag cut off by the end of the input is dropped, as browsers do.
                        None => end,
                    }
                }
                Some(b'>') => at + 3,
                _ => skip_past(bytes, at + 2, b'>'),
            },
            Some(c) if c.is_ascii_alphabetic() => self.start_tag(html, at + 1),
            Some(_) => {
                self.text("<");
                at + 1
            }
        }
    }

    /// Skips a comment whose body starts at `from`. An unterminated comment ends at the next
    /// `>` (recovering the rest of the page rather than losing it).
    fn skip_comment(&mut self, bytes: &[u8], from: usize) -> usize {
        // <!--> and <!---> are complete (empty) comments.
        if bytes.get(from) == Some(&b'>') {
            return from + 1;
        }
        if bytes.get(from..from + 2) == Some(b"->") {
            return from + 2;
        }
        let found = match self.no_comment_end_from {
            Some(none_from) if from >= none_from => None,
            _ => find_seq(bytes, from, b"-->"),
        };
        match found {
            Some(at) => at + 3,
            None => {
                self.no_comment_end_from = Some(from);
                skip_past(bytes, from, b'>')
            }
        }
    }

    fn find_quote(&mut self, bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
        let memo = if quote == b'"' {
            &mut self.no_double_quote_from
        } else {
            &mut self.no_single_quote_from
        };
        if memo.is_some_and(|none_from| from >= none_from) {
            return None;
        }
        let found = find_byte(bytes, from, quote);
        if found.is_none() {
            *memo = Some(from);
        }
        found
    }

    /// Parses a start tag whose name starts at `name_start`; returns where scanning resumes.
    fn start_tag(&mut self, html: &str, name_start: usize) -> usize {
        let bytes = html.as_bytes();
        let end = bytes.len();
        let mut i = name_end(bytes, name_start);
        let kind = tag_kind(&bytes[name_start..i]);
        let (mut colspan, mut rowspan) = (1, 1);
        loop {
            while i < end && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= end {
                return end; // cut off inside the tag: dropped
            }
            if bytes[i] == b'>' {
                i += 1;
                break;
            }
            let attr_start = i;
            i += 1;
            while i < end
                && !matches!(bytes[i], b'/' | b'>' | b'=')
                && !bytes[i].is_ascii_whitespace()
            {
                i += 1;
            }
            let attr = &bytes[attr_start..i];
            while i < end && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value: &[u8] = b"";
            if i < end && bytes[i] == b'=' {
                i += 1;
                while i < end && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < end && (bytes[i] == b'"' || bytes[i] == b'\'') {
                    let quote = bytes[i];
                    match self.find_quote(bytes, i + 1, quote) {
                        Some(close) => {
                            value = &bytes[i + 1..close];
                            i = close + 1;
                        }
                        None => {
                            // Unclosed quote: end the value (and the tag) at the next '>'.
                            let gt = find_byte(bytes, i + 1, b'>').unwrap_or(end);
                            value = &bytes[i + 1..gt];
                            i = gt;
                        }
                    }
                } else {
                    let value_start = i;
                    while i < end && bytes[i] != b'>' && !bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    value = &bytes[value_start..i];
                }
            }
            if kind == Kind::Cell {
                if attr.eq_ignore_ascii_case(b"colspan") {
                    colspan = parse_span(value);
                } else if attr.eq_ignore_ascii_case(b"rowspan") {
                    rowspan = parse_span(value);
                }
            }
        }
        match kind {
            Kind::Title => {
                let (content_end, resume) = find_raw_end(bytes, i, b"title");
                self.title_text(&html[i..content_end]);
                return resume;
            }
            Kind::Raw(name) => return find_raw_end(bytes, i, name).1,
            Kind::Table => self.start_table(),
            Kind::Row => self.start_row(),
            Kind::Cell => self.start_cell(colspan, rowspan),
            Kind::RowGroup => self.row_group(),
            Kind::Break => self.line_break(),
            Kind::Block => self.block(),
            Kind::Pre => {
                self.block();
                self.pre = self.pre.saturating_add(1);
                self.pre_fresh = true;
            }
            Kind::Other => {}
        }
        i
    }

    fn end_tag(&mut self, kind: Kind) {
        match kind {
            Kind::Table => self.end_table(),
            Kind::Row => {
                if let Some(top) = self.tables.len().checked_sub(1) {
                    self.close_row(top);
                }
            }
            Kind::Cell => {
                if let Some(top) = self.tables.len().checked_sub(1) {
                    self.close_cell(top);
                }
            }
            Kind::RowGroup => self.row_group(),
            // Browsers read </br> as <br>.
            Kind::Break => self.line_break(),
            Kind::Block => self.block(),
            Kind::Pre => {
                self.block();
                self.pre = self.pre.saturating_sub(1);
            }
            Kind::Title | Kind::Raw(_) | Kind::Other => {}
        }
    }

    // ---- text -----------------------------------------------------------------------------

    fn text(&mut self, raw: &str) {
        let fresh = std::mem::take(&mut self.pre_fresh);
        if let Some(table) = self.tables.last_mut() {
            let buf = match table.cell.as_mut() {
                Some(cell) => &mut cell.text,
                None => &mut table.loose,
            };
            feed_collapsed(buf, raw);
        } else if self.pre > 0 {
            let raw = if fresh {
                raw.strip_prefix("\r\n")
                    .or_else(|| raw.strip_prefix('\n'))
                    .or_else(|| raw.strip_prefix('\r'))
                    .unwrap_or(raw)
            } else {
                raw
            };
            self.feed_pre(raw);
        } else {
            feed_collapsed(&mut self.line, raw);
        }
    }

    /// Preformatted text: line breaks and spaces are kept, entities decoded.
    fn feed_pre(&mut self, raw: &str) {
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' => {
                    self.flush_line(true);
                    i += if bytes.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                }
                b'\n' => {
                    self.flush_line(true);
                    i += 1;
                }
                b'\t' => {
                    self.line.push('\t');
                    i += 1;
                }
                b'&' => match decode_entity(&bytes[i..]) {
                    Some((c, len)) => {
                        self.pre_char(c);
                        i += len;
                    }
                    None => {
                        self.line.push('&');
                        i += 1;
                    }
                },
                _ => {
                    let Some(c) = raw[i..].chars().next() else {
                        break;
                    };
                    i += c.len_utf8();
                    self.pre_char(c);
                }
            }
        }
    }

    fn pre_char(&mut self, c: char) {
        match c {
            '\n' | '\u{2028}' | '\u{2029}' | '\u{85}' => self.flush_line(true),
            '\u{a0}' | '\x0c' | '\r' => self.line.push(' '),
            '\t' => self.line.push('\t'),
            c if is_invisible(c) => {}
            c => self.line.push(c),
        }
    }

    fn title_text(&mut self, raw: &str) {
        if self.title.is_some() {
            return;
        }
        let mut buf = TextBuf::default();
        feed_collapsed(&mut buf, raw);
        let title = buf.take();
        let title = title.trim();
        if !title.is_empty() {
            // A '|' in "年度报告 | 某市示例局" must not make the title look like a table row.
            self.title = Some(title.replace('|', "｜"));
        }
    }

    /// Ends the current main-flow line. Blank lines are kept only inside `<pre>`.
    fn flush_line(&mut self, keep_empty: bool) {
        let line = self.line.take();
        if self.pre > 0 {
            if keep_empty || !line.trim().is_empty() {
                self.out.push_str(line.trim_end_matches([' ', '\u{3000}']));
                self.out.push('\n');
            }
        } else {
            let line = line.trim();
            if !line.is_empty() {
                self.out.push_str(line);
                self.out.push('\n');
            }
        }
    }

    /// A block boundary: a space inside a cell, a new line elsewhere.
    fn block(&mut self) {
        let Some(top) = self.tables.len().checked_sub(1) else {
            self.flush_line(false);
            return;
        };
        let Some(cell) = self.tables[top].cell.as_mut() else {
            self.flush_loose(top);
            return;
        };
        if cell.flow {
            self.flush_flow_text(top);
        } else {
            cell.saw_block = true;
            if cell.table_at.is_some() {
                self.switch_to_flow(top);
                self.flush_flow_text(top);
            } else {
                cell.text.space(Pending::Hard);
            }
        }
    }

    /// Turns the open cell of table `idx` into a container cell: the text it had before its
    /// first nested table, then the nested rows collected so far, go out as lines now; the text
    /// after the nested table stays as the start of the next line.
    fn switch_to_flow(&mut self, idx: usize) {
        let table = &mut self.tables[idx];
        let Some(cell) = table.cell.as_mut() else {
            return;
        };
        cell.flow = true;
        let text = cell.text.take();
        let split = cell.table_at.unwrap_or(text.len()).min(text.len());
        let (before, after) = text.split_at_checked(split).unwrap_or((&text, ""));
        cell.text.text.push_str(after.trim_start());
        let pending = std::mem::take(&mut table.pending);
        let before = before.trim();
        if !before.is_empty() {
            self.emit(idx, before.to_owned());
        }
        for line in pending {
            self.emit(idx, line);
        }
    }

    /// Emits the text collected so far in the container cell of table `idx` as one line.
    fn flush_flow_text(&mut self, idx: usize) {
        let Some(cell) = self.tables[idx].cell.as_mut() else {
            return;
        };
        let text = cell.text.take();
        let text = text.trim();
        if !text.is_empty() {
            self.emit(idx, text.to_owned());
        }
    }

    fn line_break(&mut self) {
        if self.tables.is_empty() && self.pre > 0 {
            self.flush_line(true);
        } else {
            self.block();
        }
    }

    // ---- tables ---------------------------------------------------------------------------

    /// Sends a finished line of table `idx` (a row, or loose text) to where it belongs: after
    /// the open row of the nearest enclosing table that has one, else to the output.
    fn emit(&mut self, idx: usize, line: String) {
        let mut i = idx;
        while i > 0 {
            let parent = &mut self.tables[i - 1];
            let in_container = parent.cell.as_ref().is_some_and(|cell| cell.flow);
            if parent.row.is_some() && !in_container {
                parent.pending.push(line);
                return;
            }
            i -= 1;
        }
        self.out.push_str(&line);
        self.out.push('\n');
    }

    fn flush_loose(&mut self, idx: usize) {
        let text = self.tables[idx].loose.take();
        let text = text.trim();
        if !text.is_empty() {
            self.emit(idx, text.to_owned());
        }
    }

    fn start_table(&mut self) {
        if self.tables.len() >= MAX_TABLE_DEPTH {
            self.overflow += 1;
            self.block();
            return;
        }
        match self.tables.len().checked_sub(1) {
            Some(top) => match self.tables[top].cell.as_mut() {
                Some(cell) if cell.flow => self.flush_flow_text(top),
                Some(cell) => {
                    if cell.table_at.is_none() {
                        cell.table_at = Some(cell.text.text.len());
                    }
                    if cell.saw_block {
                        self.switch_to_flow(top);
                    } else {
                        cell.text.space(Pending::Hard);
                    }
                }
                None => self.flush_loose(top),
            },
            None => self.flush_line(false),
        }
        self.tables.push(Table::default());
    }

    fn end_table(&mut self) {
        if self.overflow > 0 {
            self.overflow -= 1;
            self.block();
            return;
        }
        let Some(top) = self.tables.len().checked_sub(1) else {
            return;
        };
        self.close_row(top);
        self.flush_loose(top);
        self.tables.pop();
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            if !cell.flow {
                cell.text.space(Pending::Hard);
            }
        }
    }

    /// The top table, opening an implicit one for a stray `<tr>`/`<td>` outside any table.
    fn top_table(&mut self) -> usize {
        if self.tables.is_empty() {
            self.start_table();
        }
        self.tables.len() - 1
    }

    fn start_row(&mut self) {
        let top = self.top_table();
        self.close_row(top);
        self.flush_loose(top);
        self.tables[top].row = Some(Vec::new());
    }

    fn start_cell(&mut self, colspan: usize, rowspan: usize) {
        let top = self.top_table();
        self.close_cell(top);
        self.flush_loose(top);
        let table = &mut self.tables[top];
        table.row.get_or_insert_with(Vec::new);
        table.cell = Some(OpenCell {
            text: TextBuf::default(),
            colspan,
            rowspan,
            saw_block: false,
            table_at: None,
            flow: false,
        });
    }

    fn row_group(&mut self) {
        if let Some(top) = self.tables.len().checked_sub(1) {
            self.close_row(top);
            self.tables[top].carry.clear();
        }
    }

    fn close_cell(&mut self, idx: usize) {
        let table = &mut self.tables[idx];
        let Some(mut cell) = table.cell.take() else {
            return;
        };
        let raw = cell.text.take();
        let mut out = CellOut {
            text: String::new(),
            colspan: cell.colspan,
            rowspan: cell.rowspan,
            flow: cell.flow,
        };
        if !cell.flow {
            out.text = clean_cell(&raw);
            // A cell holding nothing but a nested table is a container too.
            out.flow = cell.table_at.is_some() && out.text.is_empty();
        }
        table.row.get_or_insert_with(Vec::new).push(out);
        let rest = raw.trim();
        if cell.flow && !rest.is_empty() {
            self.emit(idx, rest.to_owned());
        }
    }

    fn close_row(&mut self, idx: usize) {
        self.close_cell(idx);
        let table = &mut self.tables[idx];
        let Some(cells) = table.row.take() else {
            return;
        };
        let line = layout_row(&mut table.carry, cells);
        let pending = std::mem::take(&mut table.pending);
        if let Some(line) = line {
            self.emit(idx, line);
        }
        for line in pending {
            self.emit(idx, line);
        }
    }

    fn finish(mut self) -> String {
        self.overflow = 0;
        while !self.tables.is_empty() {
            self.end_table();
        }
        self.flush_line(false);
        match self.title.take() {
            Some(title) => {
                let mut text = title;
                text.push('\n');
                text.push_str(&self.out);
                text
            }
            None => self.out,
        }
    }
}

/// Lays one row out on the grid and formats it as `| a | b |`. `carry` holds, per column, how
/// many more rows an earlier rowspan covers; those positions get an empty cell. Returns `None`
/// for a row without any cell of its own (the rowspans still advance).
fn layout_row(carry: &mut Vec<u8>, cells: Vec<CellOut>) -> Option<String> {
    // A row of container cells (and empty cells) has nothing left to say.
    let only_containers = cells.iter().any(|c| c.flow) && cells.iter().all(|c| c.text.is_empty());
    let has_cells = !cells.is_empty() && !only_containers;
    let mut next: Vec<u8> = carry.iter().map(|r| r.saturating_sub(1)).collect();
    let mut line = String::from("|");
    let mut col = 0;
    for cell in cells {
        while col < carry.len() && carry[col] > 0 {
            push_cell(&mut line, "");
            col += 1;
        }
        push_cell(&mut line, &cell.text);
        if col >= MAX_COLS {
            continue; // beyond the tracked grid: the text is kept, spans are ignored
        }
        let colspan = cell.colspan.min(MAX_COLS - col);
        for _ in 1..colspan {
            push_cell(&mut line, "");
        }
        if cell.rowspan > 1 {
            if next.len() < col + colspan {
                next.resize(col + colspan, 0);
            }
            let more = u8::try_from(cell.rowspan - 1).unwrap_or(u8::MAX);
            for slot in &mut next[col..col + colspan] {
                *slot = (*slot).max(more);
            }
        }
        col += colspan;
    }
    // Columns to the right still covered by a rowspan keep their position too.
    if let Some(last) = carry.iter().rposition(|&r| r > 0) {
        while col <= last {
            push_cell(&mut line, "");
            col += 1;
        }
    }
    while next.last() == Some(&0) {
        next.pop();
    }
    *carry = next;
    has_cells.then_some(line)
}

fn push_cell(line: &mut String, text: &str) {
    line.push(' ');
    line.push_str(text);
    line.push_str(" |");
}

/// Trims a cell, collapses all whitespace runs (including `&nbsp;` and U+3000) to one space and
/// replaces `|` with `｜`.
fn clean_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            out.push(if c == '|' { '｜' } else { c });
        }
    }
    out
}

/// `colspan`/`rowspan` as browsers read it: leading digits, invalid or 0 → 1, capped.
fn parse_span(value: &[u8]) -> usize {
    let digits = value
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == b'+')
        .take_while(|b| b.is_ascii_digit());
    let mut n: usize = 0;
    for &d in digits {
        n = (n * 10 + usize::from(d - b'0')).min(MAX_SPAN);
    }
    n.clamp(1, MAX_SPAN)
}

/// End of a tag name: whitespace, `/` or `>`.
fn name_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() && !matches!(bytes[i], b'/' | b'>') && !bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Finds the end tag `</name` of a raw-text element from `from`: returns (content end, resume
/// position). Without one, the element runs to the end of the input, as in browsers.
fn find_raw_end(bytes: &[u8], from: usize, name: &[u8]) -> (usize, usize) {
    let mut i = from;
    while let Some(lt) = find_byte(bytes, i, b'<') {
        let name_at = lt + 2;
        if bytes.get(lt + 1) == Some(&b'/')
            && bytes
                .get(name_at..name_at + name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            let after = name_at + name.len();
            if bytes
                .get(after)
                .is_none_or(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>')
            {
                return (lt, skip_past(bytes, after, b'>'));
            }
        }
        i = lt + 1;
    }
    (bytes.len(), bytes.len())
}

fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == needle)
        .map(|p| p + from)
}

fn find_seq(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The position after the next `needle` at or after `from`, or the end of the input.
fn skip_past(bytes: &[u8], from: usize, needle: u8) -> usize {
    find_byte(bytes, from, needle).map_or(bytes.len(), |p| p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(html: &str) -> Vec<String> {
        html_to_text(html).lines().map(str::to_owned).collect()
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entity(b"&amp;x"), Some(('&', 5)));
        assert_eq!(decode_entity(b"&nbsp"), Some(('\u{a0}', 5)));
        assert_eq!(decode_entity(b"&#20013;"), Some(('中', 8)));
        assert_eq!(decode_entity(b"&#x4E2D"), Some(('中', 7)));
        assert_eq!(decode_entity(b"&#150;"), Some(('–', 6)));
        assert_eq!(decode_entity(b"&#0;"), Some(('\u{FFFD}', 4)));
        assert_eq!(decode_entity(b"&#xD800;"), Some(('\u{FFFD}', 8)));
        assert_eq!(decode_entity(b"&#99999999999999;"), Some(('\u{FFFD}', 17)));
        assert_eq!(decode_entity(b"&#;"), None);
        assert_eq!(decode_entity(b"&unknown;"), None);
        assert_eq!(decode_entity(b"&ldquo;"), Some(('“', 7)));
        assert_eq!(decode_entity(b"&"), None);
    }

    #[test]
    fn spans_parse_like_browsers() {
        assert_eq!(parse_span(b"2"), 2);
        assert_eq!(parse_span(b" 3px"), 3);
        assert_eq!(parse_span(b"0"), 1);
        assert_eq!(parse_span(b""), 1);
        assert_eq!(parse_span(b"abc"), 1);
        assert_eq!(parse_span(b"99999999999999999999999"), MAX_SPAN);
    }

    #[test]
    fn grid_carries_rowspans() {
        let cell = |text: &str, colspan, rowspan| CellOut {
            text: text.to_owned(),
            colspan,
            rowspan,
            flow: false,
        };
        let mut carry = Vec::new();
        let first = layout_row(
            &mut carry,
            vec![cell("a", 1, 3), cell("b", 2, 1), cell("c", 1, 2)],
        );
        assert_eq!(first.as_deref(), Some("| a | b |  | c |"));
        let second = layout_row(&mut carry, vec![cell("d", 1, 1), cell("e", 1, 1)]);
        assert_eq!(second.as_deref(), Some("|  | d | e |  |"));
        assert_eq!(layout_row(&mut carry, vec![]), None);
        assert!(carry.is_empty());
    }

    #[test]
    fn segment_breaks_between_cjk_vanish() {
        assert_eq!(lines("<p>部分\n公开 and\nmore</p>"), ["部分公开 and more"]);
        assert_eq!(lines("<p>不予 </span>\n<span>公开</p>"), ["不予公开"]);
        assert_eq!(lines("<p>不予</p><p>公开</p>"), ["不予", "公开"]);
    }

    #[test]
    fn pre_keeps_lines() {
        assert_eq!(
            html_to_text("<pre>\n| 自然人 |\n\n\t3 &amp; 4\n</pre>after"),
            "| 自然人 |\n\n\t3 & 4\nafter\n"
        );
    }
}
