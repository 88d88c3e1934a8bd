//! The table reader: token stream → tables 二, 三, 四 and the pre-2019 统计表.
//!
//! A table is read as a sequence of *rows*: the text tokens since the last value form the row's
//! label, the value tokens (numbers, absent markers, blank cells) that follow form its cells.
//! The label is matched against the skeleton by the key that occurs last in it, so header
//! debris and group labels (`三、本年度办理结果（一）予以公开`) resolve to the right row.
//!
//! Cells are then aligned to the skeleton's columns:
//! * trailing blank cells are dropped; leading blank cells are dropped only while there are more
//!   cells than columns (a merged label cell exported as an empty cell);
//! * more numbers than columns: every window of the right width is tried and the table's own
//!   sums pick one; if they cannot, the row stays unknown;
//! * a table-三 row holding a single number followed by empty cells is a merged row whose one
//!   figure is the 总计;
//! * numbers glued together (`713000074`) are split by [`crate::split`] using row sums, then
//!   column sums across rows.

use crate::split::{self, Run};
use crate::tokens::{Tok, TokKind};
use gongkai_core::model::Generation;
use gongkai_core::model::{fmt_num, Cell, Finding, Provenance, Severity};
use gongkai_core::skeleton::{self, Label, REQUEST_TOTAL_COLUMN};
use indexmap::IndexMap;
use std::sync::OnceLock;

/// A row as read from the stream, before alignment.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Matching key of the label text.
    pub label: String,
    /// Label text as printed (normalised), for the 统计表.
    pub label_text: String,
    /// Indexes of the row's value tokens (numbers, absent markers, blank cells).
    pub cells: Vec<usize>,
    /// True when the first number is glued to the label's last text token.
    pub glued_to_label: bool,
    /// True when nothing but blank cells follows this row in the whole document.
    pub at_end: bool,
    /// Key of the text token right before the values.
    pub last_text: String,
}

/// Group the tokens of `range` into rows. With `glued`, numbers attached to text are values;
/// without, they are part of the label (`数据1`, `2240条` inside a sentence).
pub fn assemble(tokens: &[Tok], range: std::ops::Range<usize>, glued: bool) -> Vec<RawRow> {
    let mut rows = Vec::new();
    let mut label = String::new();
    let mut label_text = String::new();
    let mut last_text = String::new();
    let mut cells: Vec<usize> = Vec::new();
    let mut glued_first = false;
    let end = range.end;
    let finish = |label: &mut String,
                  label_text: &mut String,
                  cells: &mut Vec<usize>,
                  glued_first: &mut bool,
                  last_text: &str,
                  rows: &mut Vec<RawRow>,
                  at_end: bool| {
        if !cells.is_empty() {
            rows.push(RawRow {
                label: std::mem::take(label),
                label_text: std::mem::take(label_text),
                cells: std::mem::take(cells),
                glued_to_label: *glued_first,
                at_end,
                last_text: last_text.to_string(),
            });
        }
        *glued_first = false;
    };
    for i in range {
        let tok = &tokens[i];
        let as_text: Option<(&str, std::borrow::Cow<str>)> = match &tok.kind {
            TokKind::Text => Some((
                tok.raw.as_str(),
                std::borrow::Cow::Borrowed(tok.key.as_str()),
            )),
            TokKind::Num { attached: true, .. } if !glued => Some((
                tok.raw.as_str(),
                std::borrow::Cow::Owned(gongkai_core::normalize::key_of_normalized(&tok.raw)),
            )),
            _ => None,
        };
        if let Some((t, key)) = as_text {
            // Blank cells followed by text are header filler, not a row.
            if !cells.is_empty()
                && cells
                    .iter()
                    .all(|&c| matches!(tokens[c].kind, TokKind::Blank))
            {
                cells.clear();
                glued_first = false;
            }
            if !cells.is_empty() {
                finish(
                    &mut label,
                    &mut label_text,
                    &mut cells,
                    &mut glued_first,
                    &last_text,
                    &mut rows,
                    false,
                );
                label.clear();
                label_text.clear();
            }
            label.push_str(&key);
            if !label_text.is_empty() {
                label_text.push(' ');
            }
            label_text.push_str(t);
            last_text = key.into_owned();
            continue;
        }
        if cells.is_empty() {
            if let TokKind::Num { attached, unit, .. } = &tok.kind {
                glued_first = *attached && unit.is_none();
            }
        }
        cells.push(i);
    }
    let at_end = tokens[end..]
        .iter()
        .all(|t| matches!(t.kind, TokKind::Blank));
    finish(
        &mut label,
        &mut label_text,
        &mut cells,
        &mut glued_first,
        &last_text,
        &mut rows,
        at_end,
    );
    rows
}

/// How far back from the numbers a row label is looked for (about 150 CJK characters).
pub const MATCH_WINDOW_BYTES: usize = 450;

/// The label sets rows are matched against, one cached matcher each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSet {
    Proactive(Generation),
    Requests(Generation),
    ReviewGroups,
}

impl LabelSet {
    /// The skeleton labels of the set.
    pub fn labels(self) -> Vec<&'static Label> {
        match self {
            LabelSet::Proactive(g) => skeleton::proactive_blocks(g)
                .iter()
                .flat_map(|b| b.rows.iter())
                .collect(),
            LabelSet::Requests(g) => skeleton::request_rows(g).map(|r| &r.label).collect(),
            LabelSet::ReviewGroups => skeleton::REVIEW_GROUPS.iter().collect(),
        }
    }

    fn slot(self) -> usize {
        let g = |g: Generation| match g {
            Generation::G2014 => 0,
            Generation::G2019 => 1,
            Generation::G2021 => 2,
            Generation::Unknown => 3,
        };
        match self {
            LabelSet::Proactive(x) => g(x),
            LabelSet::Requests(x) => 4 + g(x),
            LabelSet::ReviewGroups => 8,
        }
    }

    fn matcher(self) -> &'static LabelMatcher {
        static CACHE: [OnceLock<LabelMatcher>; 9] = [const { OnceLock::new() }; 9];
        CACHE[self.slot()].get_or_init(|| LabelMatcher::new(self.labels()))
    }
}

/// All keys of a label set in one Aho-Corasick automaton: label matching runs for every row
/// of every report, and one pass over the label beats one substring search per key.
struct LabelMatcher {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// Per pattern: index into `labels`, key length in bytes.
    keys: Vec<(usize, usize)>,
    labels: Vec<&'static Label>,
}

impl LabelMatcher {
    fn new(labels: Vec<&'static Label>) -> LabelMatcher {
        let mut patterns = Vec::new();
        let mut keys = Vec::new();
        for (i, l) in labels.iter().enumerate() {
            for k in l.keys {
                patterns.push(*k);
                keys.push((i, k.len()));
            }
        }
        LabelMatcher {
            automaton: aho_corasick::AhoCorasick::new(&patterns).ok(),
            keys,
            labels,
        }
    }
}

/// The label of `set` whose key occurs last in `label` (ties: the longer key).
pub fn match_label(label: &str, set: LabelSet) -> Option<&'static Label> {
    // The row label sits right before its numbers: only the tail of a long buffer (which may
    // hold header debris or, in run-together text, whole paragraphs) can hold it.
    let mut from = label.len().saturating_sub(MATCH_WINDOW_BYTES);
    while !label.is_char_boundary(from) {
        from += 1;
    }
    let label = &label[from..];
    let m = set.matcher();
    let automaton = m.automaton.as_ref()?;
    let mut best: Option<(usize, usize, usize)> = None;
    for hit in automaton.find_overlapping_iter(label) {
        let (label_idx, key_len) = m.keys[hit.pattern().as_usize()];
        let end = hit.end();
        let better = match best {
            None => true,
            Some((be, bl, _)) => end > be || (end == be && key_len > bl),
        };
        if better {
            best = Some((end, key_len, label_idx));
        }
    }
    best.map(|(_, _, i)| m.labels[i])
}

/// One aligned cell: its value and the token it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aligned {
    pub value: Cell,
    pub token: Option<usize>,
    /// Why the value is absent, when it is.
    pub why: Option<Absence>,
}

/// Why a cell has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Absence {
    Blank,
    Marker,
    Missing,
    Ambiguous,
    Truncated,
    NotANumber,
}

impl Absence {
    fn describe(self) -> &'static str {
        match self {
            Absence::Blank => "空白",
            Absence::Marker => "标注为不涉及/“-”/“/”",
            Absence::Missing => "该行单元格少于表格列数",
            Absence::Ambiguous => "相连数字无法唯一拆分",
            Absence::Truncated => "报告在此处中断",
            Absence::NotANumber => "单元格内容不是数字",
        }
    }
}

fn absent(why: Absence) -> Aligned {
    Aligned {
        value: None,
        token: None,
        why: Some(why),
    }
}

fn cell_of(tokens: &[Tok], i: usize) -> Aligned {
    match &tokens[i].kind {
        TokKind::Num { value, .. } => Aligned {
            value: Some(*value),
            token: Some(i),
            why: None,
        },
        TokKind::Absent => Aligned {
            value: None,
            token: Some(i),
            why: Some(Absence::Marker),
        },
        TokKind::Text => Aligned {
            value: None,
            token: Some(i),
            why: Some(Absence::NotANumber),
        },
        _ => Aligned {
            value: None,
            token: Some(i),
            why: Some(Absence::Blank),
        },
    }
}

/// A row's own arithmetic, e.g. "the first six cells add up to the seventh".
pub type RowRule<'a> = &'a dyn Fn(&[f64]) -> bool;

/// Result of aligning one row.
#[derive(Debug, Clone)]
pub struct RowReading {
    pub cells: Vec<Aligned>,
    /// Several readings remain (glued digits); resolved later by column rules or left unknown.
    pub alternatives: Vec<Vec<f64>>,
    pub notes: Vec<(&'static str, Severity, String)>,
}

/// Align a row's cells to `k` columns (see module docs). `rule` is the row's own arithmetic,
/// if it has one; `merged_total` enables the single-figure-is-总计 reading of table 三.
pub fn align(
    tokens: &[Tok],
    row: &RawRow,
    k: usize,
    glued: bool,
    rule: Option<RowRule>,
    merged_total: bool,
) -> RowReading {
    let mut notes = Vec::new();
    if glued
        && row
            .cells
            .iter()
            .all(|&i| matches!(tokens[i].kind, TokKind::Num { .. }))
    {
        let runs: Vec<Run> = row
            .cells
            .iter()
            .filter_map(|&i| match &tokens[i].kind {
                TokKind::Num { digits, .. } => Run::parse(digits),
                _ => None,
            })
            .collect();
        if row.at_end && runs.len() < k {
            // The document stops inside this row: its digits cannot be split with confidence.
            let token = row.cells.first().copied();
            return RowReading {
                cells: vec![
                    Aligned {
                        value: None,
                        token,
                        why: Some(Absence::Truncated)
                    };
                    k
                ],
                alternatives: Vec::new(),
                notes,
            };
        }
        if runs.len() == row.cells.len() && runs.len() < k {
            let accept = |v: &[f64]| rule.is_none_or(|r| r(v));
            let cands = split::candidates(&runs, k, &accept).unwrap_or_default();
            let token = row.cells.first().copied();
            return match cands.len() {
                1 => RowReading {
                    cells: cands[0]
                        .iter()
                        .map(|v| Aligned {
                            value: Some(*v),
                            token,
                            why: None,
                        })
                        .collect(),
                    alternatives: Vec::new(),
                    notes,
                },
                _ => {
                    if cands.is_empty() {
                        notes.push((
                            "value.ambiguous_split",
                            Severity::Warning,
                            "相连数字没有任何拆分方式符合表格的合计关系".to_string(),
                        ));
                    }
                    RowReading {
                        cells: vec![
                            Aligned {
                                value: None,
                                token,
                                why: Some(Absence::Ambiguous)
                            };
                            k
                        ],
                        alternatives: cands,
                        notes,
                    }
                }
            };
        }
    }
    // Leading blank cells are the filler of a label merged across columns when the row has
    // more cells than the table has columns — counting the trailing empty cells printed on the
    // same line too (so a row whose last values are blank keeps its columns), but not the
    // empty cells that open the next line (a label merged down into the next row).
    let is_blank = |i: &usize| matches!(tokens[*i].kind, TokKind::Blank);
    let first_line = row.cells.first().map(|&i| tokens[i].line);
    let mut cells: Vec<usize> = row.cells.clone();
    while cells
        .last()
        .is_some_and(|&i| is_blank(&i) && Some(tokens[i].line) != first_line)
    {
        cells.pop();
    }
    while cells.len() > k && cells.first().is_some_and(is_blank) {
        cells.remove(0);
    }
    let mut trailing_blanks = 0;
    while cells.last().is_some_and(is_blank) {
        cells.pop();
        trailing_blanks += 1;
    }
    if cells.len() > k {
        let windows: Vec<Vec<Aligned>> = (0..=cells.len() - k)
            .map(|s| {
                cells[s..s + k]
                    .iter()
                    .map(|&i| cell_of(tokens, i))
                    .collect()
            })
            .collect();
        let values = |w: &Vec<Aligned>| w.iter().map(|a| a.value).collect::<Vec<Cell>>();
        let first = values(&windows[0]);
        let chosen = if windows.iter().all(|w| values(w) == first) {
            Some(windows[0].clone())
        } else if let Some(rule) = rule {
            let ok: Vec<&Vec<Aligned>> = windows
                .iter()
                .filter(|w| {
                    let v: Option<Vec<f64>> = w.iter().map(|a| a.value).collect();
                    v.is_some_and(|v| rule(&v))
                })
                .collect();
            (ok.len() == 1).then(|| ok[0].clone())
        } else {
            None
        };
        return match chosen {
            Some(c) => {
                notes.push((
                    "value.extra_cells",
                    Severity::Info,
                    format!(
                        "该行有{}个单元格，多于{}列，已按合计关系对齐",
                        cells.len(),
                        k
                    ),
                ));
                RowReading {
                    cells: c,
                    alternatives: Vec::new(),
                    notes,
                }
            }
            None => {
                notes.push((
                    "value.extra_cells",
                    Severity::Warning,
                    format!(
                        "该行有{}个单元格，多于{}列，无法确定对应关系，未取值",
                        cells.len(),
                        k
                    ),
                ));
                RowReading {
                    cells: vec![absent(Absence::Ambiguous); k],
                    alternatives: Vec::new(),
                    notes,
                }
            }
        };
    }
    if merged_total
        && cells.len() == 1
        && !row.at_end
        && matches!(tokens[cells[0]].kind, TokKind::Num { .. })
    {
        let mut out = vec![absent(Absence::Blank); k];
        out[REQUEST_TOTAL_COLUMN] = cell_of(tokens, cells[0]);
        notes.push((
            "value.blank",
            Severity::Warning,
            "该行只有一个数字，其余单元格为空：按合并单元格读作“总计”，各申请人类别未填"
                .to_string(),
        ));
        return RowReading {
            cells: out,
            alternatives: Vec::new(),
            notes,
        };
    }
    if row.at_end
        && cells.len() <= k
        && cells
            .first()
            .is_some_and(|&i| matches!(tokens[i].kind, TokKind::Blank))
    {
        // Cut off, and led by empty cells: whether they are merged-label filler or empty
        // columns cannot be told, so neither can the columns of the numbers after them.
        return RowReading {
            cells: vec![absent(Absence::Truncated); k],
            alternatives: Vec::new(),
            notes,
        };
    }
    let mut out: Vec<Aligned> = cells.iter().map(|&i| cell_of(tokens, i)).collect();
    let missing_why = if row.at_end {
        Absence::Truncated
    } else {
        Absence::Missing
    };
    while out.len() < k {
        // Cells printed empty are blank; cells not printed at all are missing.
        let why = if trailing_blanks > 0 {
            trailing_blanks -= 1;
            Absence::Blank
        } else {
            missing_why
        };
        out.push(absent(why));
    }
    RowReading {
        cells: out,
        alternatives: Vec::new(),
        notes,
    }
}

/// Decide per table whether its numbers were printed glued to their labels: look at every
/// number that directly follows a recognised row label (blank cells in between allowed) and
/// see whether most of them are glued to it.
pub fn detect_glued(tokens: &[Tok], range: std::ops::Range<usize>, set: LabelSet) -> bool {
    // Most tables have no number glued to text at all: then there is nothing to decide.
    let any_glued = tokens[range.clone()].iter().any(|t| {
        matches!(
            t.kind,
            TokKind::Num {
                attached: true,
                unit: None,
                ..
            }
        )
    });
    if !any_glued {
        return false;
    }
    let mut glued = 0;
    let mut separate = 0;
    let mut prev_text: Option<usize> = None;
    let mut since_text_has_value = false;
    for i in range {
        match &tokens[i].kind {
            TokKind::Text => {
                prev_text = Some(i);
                since_text_has_value = false;
            }
            TokKind::Blank => {}
            TokKind::Absent => since_text_has_value = true,
            TokKind::Num { attached, unit, .. } => {
                if let (Some(t), false) = (prev_text, since_text_has_value) {
                    if match_label(&tokens[t].key, set).is_some() {
                        if *attached && unit.is_none() {
                            glued += 1;
                        } else {
                            separate += 1;
                        }
                    }
                }
                since_text_has_value = true;
            }
        }
    }
    glued > separate
}

/// Everything the table readers produce besides values.
#[derive(Debug, Default)]
pub struct Sink {
    pub findings: Vec<Finding>,
    pub provenance: IndexMap<String, Provenance>,
}

impl Sink {
    pub fn record(&mut self, tokens: &[Tok], pointer: String, a: &Aligned) {
        if let (Some(i), Some(_)) = (a.token, a.value) {
            self.provenance.insert(
                pointer,
                Provenance {
                    line: tokens[i].line,
                    raw: tokens[i].raw.clone(),
                    location: None,
                },
            );
        }
    }

    /// One finding per row listing its cells without a value and why.
    pub fn explain_absent(
        &mut self,
        tokens: &[Tok],
        table: &str,
        row_label: &str,
        pointers: &[String],
        cells: &[Aligned],
    ) {
        let mut by_reason: IndexMap<Absence, Vec<String>> = IndexMap::new();
        for (p, a) in pointers.iter().zip(cells) {
            if a.value.is_none() {
                by_reason
                    .entry(a.why.unwrap_or(Absence::Missing))
                    .or_default()
                    .push(p.clone());
            }
        }
        for (why, ptrs) in by_reason {
            let (rule, severity) = match why {
                Absence::Blank => ("value.blank", Severity::Warning),
                Absence::Marker => ("value.blank", Severity::Info),
                Absence::Missing => ("value.blank", Severity::Warning),
                Absence::Ambiguous => ("value.ambiguous_split", Severity::Warning),
                Absence::Truncated => ("structure.truncated", Severity::Warning),
                Absence::NotANumber => ("value.not_a_number", Severity::Error),
            };
            let detail = if why == Absence::NotANumber {
                let raws: Vec<String> = pointers
                    .iter()
                    .zip(cells)
                    .filter(|(_, a)| a.why == Some(Absence::NotANumber))
                    .filter_map(|(_, a)| a.token.map(|t| format!("“{}”", tokens[t].raw)))
                    .collect();
                format!("{}：{}", why.describe(), raws.join("、"))
            } else {
                why.describe().to_string()
            };
            self.findings.push(
                Finding::new(
                    rule,
                    severity,
                    format!(
                        "{table}“{row_label}”有{}个单元格无数值（{detail}），按空值处理，未补零",
                        ptrs.len(),
                    ),
                )
                .with_cells(ptrs),
            );
        }
    }

    pub fn note(&mut self, rule: &str, severity: Severity, message: String, cells: Vec<String>) {
        self.findings
            .push(Finding::new(rule, severity, message).with_cells(cells));
    }
}

/// Resolve rows of table 三 that have several readings, using the column rules: each
/// combination of readings is tried and a row is fixed when every combination that satisfies
/// the rules agrees on it.
pub fn resolve_by_columns(
    table: &mut IndexMap<String, Vec<Aligned>>,
    alternatives: &IndexMap<String, Vec<Vec<f64>>>,
    outcome_rows: &[&str],
) {
    if alternatives.is_empty() {
        return;
    }
    let total: usize = alternatives.values().map(|a| a.len().max(1)).product();
    if total == 0 || total > 50_000 {
        return;
    }
    let ids: Vec<&String> = alternatives.keys().collect();
    let mut survivors: Vec<Vec<usize>> = Vec::new();
    let mut choice = vec![0usize; ids.len()];
    loop {
        let get = |row: &str, c: usize| -> Cell {
            if let Some(pos) = ids.iter().position(|id| id.as_str() == row) {
                alternatives[pos][choice[pos]].get(c).copied()
            } else {
                table.get(row).and_then(|r| r.get(c)).and_then(|a| a.value)
            }
        };
        let mut ok = true;
        for c in 0..7 {
            let r = |id: &str| get(id, c);
            if let (Some(a), Some(b), Some(t), Some(f)) = (
                r("new_received"),
                r("carried_over"),
                r("total_handled"),
                r("carried_forward"),
            ) {
                if (a + b - t - f).abs() > 1e-6 {
                    ok = false;
                    break;
                }
            }
            let outs: Option<f64> = outcome_rows.iter().map(|id| r(id)).sum();
            if let (Some(s), Some(t)) = (outs, r("total_handled")) {
                if (s - t).abs() > 1e-6 {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            survivors.push(choice.clone());
        }
        // next combination
        let mut d = 0;
        loop {
            if d == ids.len() {
                break;
            }
            choice[d] += 1;
            if choice[d] < alternatives[d].len() {
                break;
            }
            choice[d] = 0;
            d += 1;
        }
        if d == ids.len() {
            break;
        }
    }
    for (pos, id) in ids.iter().enumerate() {
        let first = survivors.first().map(|s| s[pos]);
        if let Some(f) = first {
            if survivors.iter().all(|s| s[pos] == f) {
                if let Some(row) = table.get_mut(id.as_str()) {
                    for (c, v) in alternatives[pos][f].iter().enumerate() {
                        if let Some(cell) = row.get_mut(c) {
                            cell.value = Some(*v);
                            cell.why = None;
                        }
                    }
                }
            }
        }
    }
}

/// Human description of a split row for findings.
pub fn describe_alternatives(alts: &[Vec<f64>]) -> String {
    alts.iter()
        .take(4)
        .map(|v| v.iter().map(|x| fmt_num(*x)).collect::<Vec<_>>().join("|"))
        .collect::<Vec<_>>()
        .join("；")
}

/// A row in a group being resolved: either read, or one of several readings.
#[derive(Debug, Clone)]
pub enum RowState {
    Fixed(Vec<Cell>),
    Alternatives(Vec<Vec<f64>>),
}

/// Try every combination of readings in `rows` against `holds`; for each row with
/// alternatives, return the reading all surviving combinations agree on (or `None`).
pub fn resolve_group(
    rows: &[RowState],
    holds: &dyn Fn(&[Vec<Cell>]) -> bool,
) -> Vec<Option<usize>> {
    let alt_idx: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, RowState::Alternatives(a) if !a.is_empty()))
        .map(|(i, _)| i)
        .collect();
    let mut out = vec![None; rows.len()];
    let sizes: Vec<usize> = alt_idx
        .iter()
        .map(|&i| match &rows[i] {
            RowState::Alternatives(a) => a.len(),
            RowState::Fixed(_) => 1,
        })
        .collect();
    let total: usize = sizes.iter().product();
    if alt_idx.is_empty() || total > 50_000 {
        return out;
    }
    let mut choice = vec![0usize; alt_idx.len()];
    let mut survivors: Vec<Vec<usize>> = Vec::new();
    loop {
        let assignment: Vec<Vec<Cell>> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| match r {
                RowState::Fixed(v) => v.clone(),
                RowState::Alternatives(a) => match alt_idx.iter().position(|&x| x == i) {
                    Some(p) => a[choice[p]].iter().map(|x| Some(*x)).collect(),
                    None => Vec::new(),
                },
            })
            .collect();
        if holds(&assignment) {
            survivors.push(choice.clone());
        }
        let mut d = 0;
        while d < choice.len() {
            choice[d] += 1;
            if choice[d] < sizes[d] {
                break;
            }
            choice[d] = 0;
            d += 1;
        }
        if d == choice.len() {
            break;
        }
    }
    for (p, &i) in alt_idx.iter().enumerate() {
        if let Some(first) = survivors.first() {
            if survivors.iter().all(|s| s[p] == first[p]) {
                out[i] = Some(first[p]);
            }
        }
    }
    out
}

/// Longest text that can be a stray non-numeric cell rather than the next row's label.
const MAX_STRAY_CELL_CHARS: usize = 8;

/// A short text between the cells of a row that is not the next row's label (`| 3 | 不详 | 5 |`)
/// is a non-numeric *cell* of that row: fold the following unmatched row back into it, the
/// text becoming a cell that fails `value.not_a_number`.
pub fn fold_stray_text(rows: Vec<RawRow>, tokens: &[Tok], set: LabelSet, k: usize) -> Vec<RawRow> {
    let mut out: Vec<RawRow> = Vec::with_capacity(rows.len());
    for row in rows {
        let stray = out.last().is_some_and(|prev: &RawRow| {
            match_label(&prev.label, set).is_some()
                && prev.cells.len() < k
                && match_label(&row.label, set).is_none()
                && row.label_text.chars().count() <= MAX_STRAY_CELL_CHARS
                && !row.label_text.contains(['(', '（', '、', '.'])
        });
        if stray {
            let prev = out.last_mut().expect("checked");
            // The text token(s) right before this row's cells.
            let first_cell = row.cells.first().copied().unwrap_or(tokens.len());
            let texts: Vec<usize> = (prev.cells.last().map_or(0, |c| c + 1)..first_cell)
                .filter(|&i| tokens[i].is_text())
                .collect();
            prev.cells.extend(texts);
            prev.cells.extend(row.cells);
            prev.at_end = row.at_end;
            continue;
        }
        out.push(row);
    }
    out
}
