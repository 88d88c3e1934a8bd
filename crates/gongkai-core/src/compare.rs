//! Two reports side by side: every table cell, and the narrative text.
//!
//! A 政务公开办 compares a unit's report with last year's (同比) or with a sister unit's (横向),
//! and the question is always the same two: *which figures moved*, and *was the text copied*.
//! [`compare`] answers both with plain data that a page renders as it likes.
//!
//! **Cells.** Every cell of table 二, 三, 四 and of the pre-2019 统计表 is listed once, in the
//! official order, with its JSON pointer (so a page links back to either report and to the
//! findings), the Chinese row and column labels from the skeleton, both values and a
//! [`CellStatus`]. Absent is not zero: a blank on one side is [`CellStatus::OnlyLeft`] /
//! [`CellStatus::OnlyRight`], never a change from or to 0, and the delta is only computed when
//! both values are present. A table present on one side only still lists its cells (the
//! statuses say so); [`TableSummary`] tells which tables each side has.
//!
//! **Generations.** Two reports of the same generation are compared cell by cell. Across the
//! 2019 and 2021 formats:
//!
//! * table 三 has the same 7 columns and shares every row except （六）其他处理: 2019 has one
//!   row `other`, 2021 three sub-rows (`other_no_correction`, `other_fee_unpaid`,
//!   `other_misc`). The shared rows are compared directly; the 2019 row is compared with the
//!   sum of the three 2021 sub-rows (a derived cell, `note` says so; the sum is absent when any
//!   sub-row is absent), and the three sub-rows themselves are listed in
//!   [`Comparison::not_compared`].
//! * table 二 is compared where a row id and a column id exist in both skeletons with the same
//!   meaning: 行政许可, 行政处罚, 行政强制 · 处理决定数量. 本年新制作数量 (2019) and 本年制发件数
//!   (2021), 对外公开总数量 and 现行有效件数, the 2019 上一年项目数量/本年增减, 采购 and the 2021
//!   收费金额 measure different things, so they are listed as not compared rather than paired.
//! * table 四 is the same in every generation.
//! * the pre-2019 统计表 has no row in common with the later tables: between a 2014 report and
//!   a 2019/2021 one, every table is listed as not compared. Two 统计表 are matched row by row
//!   by their labels' matching key ([`crate::normalize::label_key`]; the n-th occurrence of a
//!   label with the n-th), value columns by position (本年 with 本年, 累计 with 累计).
//!
//! 采购总金额 (2019) is written in 元 or 万元: when both sides state different units the values
//! are converted to 万元 before comparing, and `note` says so.
//!
//! **Narrative.** Similarity is the character 5-gram Jaccard index of [`crate::similarity`] —
//! overall on [`similarity::narrative_text`], the exact number `text.near_duplicate` reports
//! and compares with [`crate::rules::NEAR_DUPLICATE_THRESHOLD`] — and per section key (一 … 六
//! or whatever keys the reports have). Duplicated passages are what a page highlights with
//! `<mark>`: maximal common substrings of at least [`MIN_PASSAGE_CHARS`] characters, counted
//! like the similarity on CJK characters and letters only, so a paragraph copied from last year
//! with new figures and dates is one passage, not a dozen fragments between the numbers. Each
//! passage is a pair of character-offset spans (Unicode scalar values, end exclusive) into the
//! section texts of both reports, tiled one-to-one: a character belongs to at most one
//! passage on each side, longest passages first, so passage *n* on the left and on the right
//! can be linked. Passages are found across sections (text moved from 一 to 五 is found) and
//! split at section boundaries.
//!
//! The passage search is linear in practice: every 20-character window of the left text is
//! hashed (a rolling polynomial hash, verified character by character), every window of the
//! right text is looked up, and only left-maximal seeds are extended. Highly repetitive input
//! is bounded by a cap on occurrences per window and a total work budget, so two ~20 KB
//! narratives take milliseconds and no input takes long.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::model::{Cell, Generation, Report};
use crate::normalize::{is_cjk, label_key};
use crate::rules::NEAR_DUPLICATE_THRESHOLD;
use crate::similarity::{self, Shingles};
use crate::skeleton::{
    self, Label, ProactiveBlock, REQUEST_COLUMNS, REQUEST_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS,
    SECTIONS,
};

/// Minimum length of a duplicated passage, in compared characters (CJK and letters).
pub const MIN_PASSAGE_CHARS: usize = 20;

/// Which table a cell belongs to; serialized as the report JSON key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TableKind {
    /// Table 二, 主动公开政府信息情况.
    #[serde(rename = "proactive")]
    Proactive,
    /// Table 三, 收到和处理政府信息公开申请情况.
    #[serde(rename = "requests")]
    Requests,
    /// Table 四, 行政复议、行政诉讼情况.
    #[serde(rename = "reviews")]
    Reviews,
    /// The pre-2019 政府信息公开情况统计表.
    #[serde(rename = "statistics_2014")]
    Statistics,
}

impl TableKind {
    /// The JSON key of the table in the report.
    pub fn id(self) -> &'static str {
        match self {
            TableKind::Proactive => "proactive",
            TableKind::Requests => "requests",
            TableKind::Reviews => "reviews",
            TableKind::Statistics => "statistics_2014",
        }
    }

    /// The table's name as a reader knows it.
    pub fn label_zh(self) -> &'static str {
        match self {
            TableKind::Proactive => "表二 主动公开政府信息情况",
            TableKind::Requests => "表三 收到和处理政府信息公开申请情况",
            TableKind::Reviews => "表四 政府信息公开行政复议、行政诉讼情况",
            TableKind::Statistics => "政府信息公开情况统计表",
        }
    }
}

/// How a cell differs between the two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// Both present and equal.
    Same,
    /// Both present and different.
    Changed,
    /// Present on the left only (blank or missing on the right).
    OnlyLeft,
    /// Present on the right only.
    OnlyRight,
    /// Absent on both sides.
    BothAbsent,
}

impl CellStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            CellStatus::Same => "相同",
            CellStatus::Changed => "有变化",
            CellStatus::OnlyLeft => "仅左侧有数值",
            CellStatus::OnlyRight => "仅右侧有数值",
            CellStatus::BothAbsent => "两侧均无数值",
        }
    }

    fn of(left: Cell, right: Cell) -> CellStatus {
        match (left, right) {
            (Some(a), Some(b)) if (a - b).abs() < 1e-6 => CellStatus::Same,
            (Some(_), Some(_)) => CellStatus::Changed,
            (Some(_), None) => CellStatus::OnlyLeft,
            (None, Some(_)) => CellStatus::OnlyRight,
            (None, None) => CellStatus::BothAbsent,
        }
    }
}

/// One cell of the two reports side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellDiff {
    pub table: TableKind,
    /// The cell's JSON pointer: the left report's, or the right report's for a 统计表 row only
    /// the right report has (then `left_cells` is empty). Within tables 二, 三 and 四 it is
    /// unique, and the same pointer in both reports.
    pub pointer: String,
    /// The left report's cells this value comes from (one pointer; three for a derived sum;
    /// none when the left report has no such cell).
    pub left_cells: Vec<String>,
    /// The right report's cells, likewise.
    pub right_cells: Vec<String>,
    /// The group label printed left of the row: `第二十条第（一）项`, `（三）不予公开`, ….
    pub group: Option<String>,
    /// The row label from the skeleton (or the 统计表's own label).
    pub row_label: String,
    /// The column label from the skeleton.
    pub column_label: String,
    #[serde(serialize_with = "crate::model::serialize_cell")]
    pub left: Cell,
    #[serde(serialize_with = "crate::model::serialize_cell")]
    pub right: Cell,
    /// `right − left` when both are present.
    #[serde(serialize_with = "crate::model::serialize_cell")]
    pub delta: Option<f64>,
    /// `(right − left) / |left|` when both are present and left is not 0.
    pub relative: Option<f64>,
    pub status: CellStatus,
    /// Why this cell is special (a derived sum, a unit conversion), in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Which report something belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
    Both,
}

/// A row, cell or table that could not be paired with anything in the other report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotCompared {
    pub table: TableKind,
    /// The report(s) having it.
    pub side: Side,
    /// JSON pointer of the row, cell or table.
    pub pointer: String,
    /// What it is, in Chinese.
    pub label: String,
    /// Why it was not compared, in Chinese.
    pub reason: String,
}

/// Counts of cells by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub same: usize,
    pub changed: usize,
    pub only_left: usize,
    pub only_right: usize,
    pub both_absent: usize,
}

impl StatusCounts {
    fn add(&mut self, s: CellStatus) {
        match s {
            CellStatus::Same => self.same += 1,
            CellStatus::Changed => self.changed += 1,
            CellStatus::OnlyLeft => self.only_left += 1,
            CellStatus::OnlyRight => self.only_right += 1,
            CellStatus::BothAbsent => self.both_absent += 1,
        }
    }

    /// All cells counted.
    pub fn total(&self) -> usize {
        self.same + self.changed + self.only_left + self.only_right + self.both_absent
    }
}

/// Per table: whether each side has it and how its cells compare.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableSummary {
    pub table: TableKind,
    pub title: String,
    pub present_left: bool,
    pub present_right: bool,
    pub counts: StatusCounts,
}

/// What a report is, for the heading of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportHead {
    pub agency: Option<String>,
    pub year: Option<i32>,
    pub generation: Generation,
    pub source: Option<String>,
}

impl ReportHead {
    fn of(r: &Report) -> ReportHead {
        ReportHead {
            agency: r.agency.clone(),
            year: r.year,
            generation: r.generation,
            source: r.source.clone(),
        }
    }
}

/// A character range of one narrative section: `start..end` in Unicode scalar values (not
/// bytes) of `report.narrative[section]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub section: String,
    pub start: usize,
    pub end: usize,
}

/// A passage duplicated in both narratives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passage {
    pub left: Span,
    pub right: Span,
    /// Length in compared characters (CJK and letters; digits, spaces, punctuation not counted).
    pub chars: usize,
    /// The passage as written on the left.
    pub text: String,
}

/// One narrative section key side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionComparison {
    /// The key in `report.narrative` (`一` … `六`, or another heading).
    pub key: String,
    /// `一、总体情况` for a known section number, the key otherwise.
    pub heading: String,
    /// Length of the section text in characters, `None` when the side lacks it.
    pub left_chars: Option<usize>,
    pub right_chars: Option<usize>,
    /// 5-gram Jaccard similarity, `None` when either side lacks the section.
    pub similarity: Option<f64>,
}

/// The narratives side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NarrativeComparison {
    /// Jaccard similarity of the whole narratives: the figure `text.near_duplicate` uses.
    pub similarity: f64,
    /// Whether `text.near_duplicate` would flag the pair (similarity ≥ the threshold and both
    /// narratives long enough to judge).
    pub near_duplicate: bool,
    /// Share of the left narrative's compared characters inside a duplicated passage.
    pub left_coverage: f64,
    pub right_coverage: f64,
    pub sections: Vec<SectionComparison>,
    /// Duplicated passages in the order of the left narrative.
    pub passages: Vec<Passage>,
}

impl NarrativeComparison {
    /// The left spans inside `section`, sorted, for highlighting that section's text.
    pub fn left_spans(&self, section: &str) -> Vec<(usize, usize)> {
        let mut v: Vec<(usize, usize)> = self
            .passages
            .iter()
            .filter(|p| p.left.section == section)
            .map(|p| (p.left.start, p.left.end))
            .collect();
        v.sort_unstable();
        v
    }

    /// The right spans inside `section`, sorted.
    pub fn right_spans(&self, section: &str) -> Vec<(usize, usize)> {
        let mut v: Vec<(usize, usize)> = self
            .passages
            .iter()
            .filter(|p| p.right.section == section)
            .map(|p| (p.right.start, p.right.end))
            .collect();
        v.sort_unstable();
        v
    }
}

/// Two reports compared: see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub left: ReportHead,
    pub right: ReportHead,
    /// Every compared cell, table by table in the official order.
    pub cells: Vec<CellDiff>,
    /// Rows, cells and tables that have no counterpart in the other report's format.
    pub not_compared: Vec<NotCompared>,
    pub tables: Vec<TableSummary>,
    /// Counts over all cells.
    pub counts: StatusCounts,
    pub narrative: NarrativeComparison,
}

impl Comparison {
    /// The cell with this pointer.
    pub fn cell(&self, pointer: &str) -> Option<&CellDiff> {
        self.cells.iter().find(|c| c.pointer == pointer)
    }

    /// Cells whose status is not [`CellStatus::Same`] or [`CellStatus::BothAbsent`].
    pub fn differences(&self) -> impl Iterator<Item = &CellDiff> {
        self.cells
            .iter()
            .filter(|c| !matches!(c.status, CellStatus::Same | CellStatus::BothAbsent))
    }
}

/// Compare every table cell and the narrative of two reports (see the module docs).
pub fn compare(left: &Report, right: &Report) -> Comparison {
    let mut b = Builder::default();
    let family_l = family(left);
    let family_r = family(right);
    let cross_family = matches!(
        (family_l, family_r),
        (Family::Old, Family::Modern) | (Family::Modern, Family::Old)
    );
    if cross_family {
        b.cross_family(left, right);
    } else {
        b.proactive(left, right);
        b.requests(left, right);
        b.reviews(left, right);
        b.statistics(left, right);
    }
    let tables = [
        (
            TableKind::Proactive,
            left.proactive.is_some(),
            right.proactive.is_some(),
        ),
        (
            TableKind::Requests,
            left.requests.is_some(),
            right.requests.is_some(),
        ),
        (
            TableKind::Reviews,
            left.reviews.is_some(),
            right.reviews.is_some(),
        ),
        (
            TableKind::Statistics,
            left.statistics_2014.is_some(),
            right.statistics_2014.is_some(),
        ),
    ]
    .into_iter()
    .filter(|(_, l, r)| *l || *r)
    .map(|(table, l, r)| {
        let mut counts = StatusCounts::default();
        for c in b.cells.iter().filter(|c| c.table == table) {
            counts.add(c.status);
        }
        TableSummary {
            table,
            title: table.label_zh().to_string(),
            present_left: l,
            present_right: r,
            counts,
        }
    })
    .collect();
    let mut counts = StatusCounts::default();
    for c in &b.cells {
        counts.add(c.status);
    }
    Comparison {
        left: ReportHead::of(left),
        right: ReportHead::of(right),
        cells: b.cells,
        not_compared: b.not_compared,
        tables,
        counts,
        narrative: compare_narrative(left, right),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Pre-2019 统计表.
    Old,
    /// Tables 二, 三, 四.
    Modern,
    /// No table at all.
    Empty,
}

fn family(r: &Report) -> Family {
    let modern = r.proactive.is_some() || r.requests.is_some() || r.reviews.is_some();
    if modern {
        Family::Modern
    } else if r.statistics_2014.is_some() || r.generation == Generation::G2014 {
        Family::Old
    } else {
        Family::Empty
    }
}

/// One RFC 6901 reference token.
fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The generation whose table 二 skeleton fits this report (as the renderers decide it).
fn proactive_generation(r: &Report) -> Generation {
    match r.generation {
        g @ (Generation::G2019 | Generation::G2021) => g,
        _ => {
            let only_2021 = r.proactive.as_ref().is_some_and(|p| {
                p.rows.values().flat_map(|cols| cols.keys()).any(|c| {
                    column_in(skeleton::PROACTIVE_2021, c)
                        && !column_in(skeleton::PROACTIVE_2019, c)
                })
            });
            if only_2021 {
                Generation::G2021
            } else {
                Generation::G2019
            }
        }
    }
}

fn column_in(blocks: &[ProactiveBlock], col: &str) -> bool {
    blocks.iter().any(|b| b.columns.iter().any(|c| c.id == col))
}

/// The generation whose table 三 skeleton fits this report (as the renderers decide it).
fn requests_generation(r: &Report) -> Generation {
    match r.generation {
        g @ (Generation::G2019 | Generation::G2021) => g,
        _ => {
            let only_2021 = r.requests.as_ref().is_some_and(|req| {
                REQUEST_ROWS
                    .iter()
                    .filter(|row| row.in_2021 && !row.in_2019)
                    .any(|row| req.contains_key(row.label.id))
            });
            if only_2021 {
                Generation::G2021
            } else {
                Generation::G2019
            }
        }
    }
}

/// The (block, column) of a table 二 cell in a skeleton.
fn proactive_place(
    blocks: &'static [ProactiveBlock],
    row: &str,
    col: &str,
) -> Option<(&'static ProactiveBlock, &'static Label)> {
    let block = blocks.iter().find(|b| b.rows.iter().any(|r| r.id == row))?;
    let column = block.columns.iter().find(|c| c.id == col)?;
    Some((block, column))
}

fn proactive_value(r: &Report, row: &str, col: &str) -> Cell {
    r.proactive
        .as_ref()
        .and_then(|p| p.rows.get(row))
        .and_then(|c| c.get(col).copied().flatten())
}

fn review_value(r: &Report, group: &str, col: &str) -> Cell {
    r.reviews
        .as_ref()
        .and_then(|p| p.groups.get(group))
        .and_then(|c| c.get(col).copied().flatten())
}

fn finite(c: Cell) -> Cell {
    c.filter(|v| v.is_finite())
}

#[derive(Default)]
struct Builder {
    cells: Vec<CellDiff>,
    not_compared: Vec<NotCompared>,
    seen: HashSet<String>,
}

/// The labels of a cell.
struct Labels {
    group: Option<String>,
    row: String,
    column: String,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        table: TableKind,
        pointer: String,
        left_cells: Vec<String>,
        right_cells: Vec<String>,
        labels: Labels,
        left: Cell,
        right: Cell,
        note: Option<String>,
    ) {
        if !self.seen.insert(pointer.clone()) {
            return;
        }
        self.push_raw(
            table,
            pointer,
            left_cells,
            right_cells,
            labels,
            left,
            right,
            note,
        );
    }

    /// [`Builder::push`] without the check for a pointer already listed.
    #[allow(clippy::too_many_arguments)]
    fn push_raw(
        &mut self,
        table: TableKind,
        pointer: String,
        left_cells: Vec<String>,
        right_cells: Vec<String>,
        labels: Labels,
        left: Cell,
        right: Cell,
        note: Option<String>,
    ) {
        let (left, right) = (finite(left), finite(right));
        let delta = match (left, right) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let relative = match (left, right) {
            (Some(a), Some(b)) if a != 0.0 => Some((b - a) / a.abs()),
            _ => None,
        };
        self.cells.push(CellDiff {
            table,
            pointer,
            left_cells,
            right_cells,
            group: labels.group,
            row_label: labels.row,
            column_label: labels.column,
            left,
            right,
            delta,
            relative,
            status: CellStatus::of(left, right),
            note,
        });
    }

    fn skip(&mut self, table: TableKind, side: Side, pointer: String, label: String, reason: &str) {
        if !self.seen.insert(format!("skip:{pointer}")) {
            return;
        }
        self.not_compared.push(NotCompared {
            table,
            side,
            pointer,
            label,
            reason: reason.to_string(),
        });
    }

    /// One side is a pre-2019 统计表, the other has tables 二 三 四: nothing pairs up.
    fn cross_family(&mut self, left: &Report, right: &Report) {
        let reason = "2014版统计表与2019/2021版表格的指标不同，无法逐项比较";
        let tables = [
            (
                TableKind::Proactive,
                left.proactive.is_some(),
                right.proactive.is_some(),
            ),
            (
                TableKind::Requests,
                left.requests.is_some(),
                right.requests.is_some(),
            ),
            (
                TableKind::Reviews,
                left.reviews.is_some(),
                right.reviews.is_some(),
            ),
            (
                TableKind::Statistics,
                left.statistics_2014.is_some(),
                right.statistics_2014.is_some(),
            ),
        ];
        for (table, l, r) in tables {
            let side = match (l, r) {
                (true, true) => Side::Both,
                (true, false) => Side::Left,
                (false, true) => Side::Right,
                (false, false) => continue,
            };
            self.skip(
                table,
                side,
                format!("/{}", table.id()),
                table.label_zh().to_string(),
                reason,
            );
        }
    }

    fn proactive(&mut self, left: &Report, right: &Report) {
        let (lp, rp) = (left.proactive.as_ref(), right.proactive.as_ref());
        if lp.is_none() && rp.is_none() {
            return;
        }
        let t = TableKind::Proactive;
        // A side without the table takes the other side's layout.
        let lg = lp.map(|_| proactive_generation(left));
        let rg = rp.map(|_| proactive_generation(right));
        let (lg, rg) = match (lg, rg) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, a),
            (None, Some(b)) => (b, b),
            (None, None) => return,
        };
        let lblocks = skeleton::proactive_blocks(lg);
        let rblocks = skeleton::proactive_blocks(rg);
        let lunit = lp.and_then(|p| p.procurement_amount_unit.as_deref());
        let runit = rp.and_then(|p| p.procurement_amount_unit.as_deref());
        let left_has = |row: &str, col: &str| {
            lp.and_then(|p| p.rows.get(row))
                .is_some_and(|c| c.contains_key(col))
        };
        let right_has = |row: &str, col: &str| {
            rp.and_then(|p| p.rows.get(row))
                .is_some_and(|c| c.contains_key(col))
        };
        for block in lblocks {
            for row in block.rows {
                for col in block.columns {
                    let ptr = format!("/proactive/{}/{}", token(row.id), token(col.id));
                    if proactive_place(rblocks, row.id, col.id).is_none() {
                        self.skip(
                            t,
                            Side::Left,
                            ptr,
                            format!("{} · {}", row.label, col.label),
                            &format!(
                                "{}版表二没有对应的栏目，与{}版的栏目含义不同",
                                rg.as_str(),
                                lg.as_str()
                            ),
                        );
                        continue;
                    }
                    let (mut l, mut r) = (
                        proactive_value(left, row.id, col.id),
                        proactive_value(right, row.id, col.id),
                    );
                    let mut note = None;
                    let mut column = col.label.to_string();
                    if col.id == "amount" && row.id == "central_procurement" {
                        match (lunit, runit) {
                            (Some(a), Some(b)) if a != b => {
                                l = to_wan(l, a);
                                r = to_wan(r, b);
                                column = format!("{column}（单位：万元）");
                                note = Some(format!(
                                    "左侧单位为{a}、右侧单位为{b}，均已换算为万元后比较"
                                ));
                            }
                            (Some(a), Some(_)) => column = format!("{column}（单位：{a}）"),
                            (None, None) => {}
                            _ => {
                                note =
                                    Some("一侧报告未注明采购总金额的单位（元或万元）".to_string())
                            }
                        }
                    }
                    let cells = |has: bool| if has { vec![ptr.clone()] } else { vec![] };
                    let (lc, rc) = (
                        cells(left_has(row.id, col.id)),
                        cells(right_has(row.id, col.id)),
                    );
                    self.push(
                        t,
                        ptr.clone(),
                        lc,
                        rc,
                        Labels {
                            group: Some(block.item.to_string()),
                            row: row.label.to_string(),
                            column,
                        },
                        l,
                        r,
                        note,
                    );
                }
            }
        }
        for block in rblocks {
            for row in block.rows {
                for col in block.columns {
                    if proactive_place(lblocks, row.id, col.id).is_none() {
                        self.skip(
                            t,
                            Side::Right,
                            format!("/proactive/{}/{}", token(row.id), token(col.id)),
                            format!("{} · {}", row.label, col.label),
                            &format!(
                                "{}版表二没有对应的栏目，与{}版的栏目含义不同",
                                lg.as_str(),
                                rg.as_str()
                            ),
                        );
                    }
                }
            }
        }
        // Cells outside both skeletons, paired by id.
        let mut extra: Vec<(String, String)> = Vec::new();
        for (p, blocks) in [(lp, lblocks), (rp, rblocks)] {
            let Some(p) = p else { continue };
            for (row, cols) in &p.rows {
                for col in cols.keys() {
                    let key = (row.clone(), col.clone());
                    if proactive_place(blocks, row, col).is_none() && !extra.contains(&key) {
                        extra.push(key);
                    }
                }
            }
        }
        for (row, col) in extra {
            let ptr = format!("/proactive/{}/{}", token(&row), token(&col));
            if self.seen.contains(&format!("skip:{ptr}")) {
                continue;
            }
            let lc = if left_has(&row, &col) {
                vec![ptr.clone()]
            } else {
                vec![]
            };
            let rc = if right_has(&row, &col) {
                vec![ptr.clone()]
            } else {
                vec![]
            };
            self.push(
                t,
                ptr,
                lc,
                rc,
                Labels {
                    group: Some("其他数据（官方格式中没有对应位置）".to_string()),
                    row: row.clone(),
                    column: col.clone(),
                },
                proactive_value(left, &row, &col),
                proactive_value(right, &row, &col),
                None,
            );
        }
    }

    fn requests(&mut self, left: &Report, right: &Report) {
        let (lq, rq) = (left.requests.as_ref(), right.requests.as_ref());
        if lq.is_none() && rq.is_none() {
            return;
        }
        let t = TableKind::Requests;
        let lg = lq.map(|_| requests_generation(left));
        let rg = rq.map(|_| requests_generation(right));
        let (lg, rg) = match (lg, rg) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, a),
            (None, Some(b)) => (b, b),
            (None, None) => return,
        };
        let in_gen = |row: &skeleton::RequestRow, g: Generation| match g {
            Generation::G2021 => row.in_2021,
            _ => row.in_2019,
        };
        let left_has =
            |row: &str, c: usize| lq.and_then(|q| q.get(row)).is_some_and(|v| c < v.len());
        let right_has =
            |row: &str, c: usize| rq.and_then(|q| q.get(row)).is_some_and(|v| c < v.len());
        let group_of = |row: &skeleton::RequestRow| match (row.group, row.subgroup) {
            (_, Some(s)) => Some(s.to_string()),
            (Some(g), None) => Some(g.to_string()),
            _ => None,
        };
        const SPLIT_2021: [&str; 3] = ["other_no_correction", "other_fee_unpaid", "other_misc"];
        for row in REQUEST_ROWS {
            let id = row.label.id;
            let (l_in, r_in) = (in_gen(row, lg), in_gen(row, rg));
            if !l_in && !r_in {
                continue;
            }
            if l_in && r_in {
                for (c, col) in REQUEST_COLUMNS.iter().enumerate() {
                    let ptr = format!("/requests/{}/{c}", token(id));
                    let lc = if left_has(id, c) {
                        vec![ptr.clone()]
                    } else {
                        vec![]
                    };
                    let rc = if right_has(id, c) {
                        vec![ptr.clone()]
                    } else {
                        vec![]
                    };
                    self.push(
                        t,
                        ptr,
                        lc,
                        rc,
                        Labels {
                            group: group_of(row),
                            row: row.label.label.to_string(),
                            column: col.label.to_string(),
                        },
                        left.request_cell(id, c),
                        right.request_cell(id, c),
                        None,
                    );
                }
                continue;
            }
            // In one generation only.
            let (side, this_g, other_g) = if l_in {
                (Side::Left, lg, rg)
            } else {
                (Side::Right, rg, lg)
            };
            if id == "other" {
                // 2019 （六）其他处理 against the sum of the three 2021 sub-rows.
                let (one, split) = if l_in { (left, right) } else { (right, left) };
                for (c, col) in REQUEST_COLUMNS.iter().enumerate() {
                    let ptr = format!("/requests/other/{c}");
                    let single = one.request_cell("other", c);
                    let parts: Vec<Cell> = SPLIT_2021
                        .iter()
                        .map(|r| split.request_cell(r, c))
                        .collect();
                    let sum = parts.iter().try_fold(0.0, |acc, p| p.map(|v| acc + v));
                    let split_ptrs: Vec<String> = SPLIT_2021
                        .iter()
                        .map(|r| format!("/requests/{r}/{c}"))
                        .collect();
                    let one_ptrs = vec![ptr.clone()];
                    let (lc, rc, l, r) = if l_in {
                        (one_ptrs, split_ptrs, single, sum)
                    } else {
                        (split_ptrs, one_ptrs, sum, single)
                    };
                    self.push(
                        t,
                        ptr,
                        lc,
                        rc,
                        Labels {
                            group: group_of(row),
                            row: row.label.label.to_string(),
                            column: col.label.to_string(),
                        },
                        l,
                        r,
                        Some(
                            "2019版“（六）其他处理”与2021版“（六）其他处理”三个子项之和比较"
                                .to_string(),
                        ),
                    );
                }
            } else if SPLIT_2021.contains(&id)
                && this_g == Generation::G2021
                && other_g == Generation::G2019
            {
                self.skip(
                    t,
                    side,
                    format!("/requests/{}", token(id)),
                    format!("（六）其他处理 {}", row.label.label),
                    "2019版表三没有此子项；三个子项之和已与2019版“（六）其他处理”比较",
                );
            } else {
                self.skip(
                    t,
                    side,
                    format!("/requests/{}", token(id)),
                    row.label.label.to_string(),
                    &format!("{}版表三没有此行", other_g.as_str()),
                );
            }
        }
        // Rows outside the skeletons and columns beyond the seventh, paired by id and index.
        let mut extra: Vec<(String, usize)> = Vec::new();
        for (q, g) in [(lq, lg), (rq, rg)] {
            let Some(q) = q else { continue };
            for (row, cells) in q {
                let known = REQUEST_ROWS
                    .iter()
                    .any(|r| r.label.id == row && in_gen(r, g));
                for c in 0..cells.len() {
                    if (!known || c >= REQUEST_COLUMNS.len())
                        && !extra.iter().any(|(r, k)| r == row && *k == c)
                    {
                        extra.push((row.clone(), c));
                    }
                }
            }
        }
        for (row, c) in extra {
            let ptr = format!("/requests/{}/{c}", token(&row));
            if self.seen.contains(&ptr)
                || self
                    .seen
                    .contains(&format!("skip:/requests/{}", token(&row)))
            {
                continue;
            }
            let lc = if left_has(&row, c) {
                vec![ptr.clone()]
            } else {
                vec![]
            };
            let rc = if right_has(&row, c) {
                vec![ptr.clone()]
            } else {
                vec![]
            };
            let column = REQUEST_COLUMNS
                .get(c)
                .map(|l| l.label.to_string())
                .unwrap_or_else(|| format!("第{}列", c + 1));
            self.push(
                t,
                ptr,
                lc,
                rc,
                Labels {
                    group: Some("其他数据（官方格式中没有对应位置）".to_string()),
                    row: row.clone(),
                    column,
                },
                left.request_cell(&row, c),
                right.request_cell(&row, c),
                None,
            );
        }
    }

    fn reviews(&mut self, left: &Report, right: &Report) {
        let (lr, rr) = (left.reviews.as_ref(), right.reviews.as_ref());
        if lr.is_none() && rr.is_none() {
            return;
        }
        let t = TableKind::Reviews;
        let has = |r: Option<&crate::model::Reviews>, g: &str, c: &str| {
            r.and_then(|r| r.groups.get(g))
                .is_some_and(|cols| cols.contains_key(c))
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        for g in REVIEW_GROUPS {
            for c in REVIEW_COLUMNS {
                pairs.push((g.id.to_string(), c.id.to_string()));
            }
        }
        for r in [lr, rr].into_iter().flatten() {
            for (g, cols) in &r.groups {
                for c in cols.keys() {
                    let key = (g.clone(), c.clone());
                    if !pairs.contains(&key) {
                        pairs.push(key);
                    }
                }
            }
        }
        for (g, c) in pairs {
            let ptr = format!("/reviews/{}/{}", token(&g), token(&c));
            let group = REVIEW_GROUPS.iter().find(|l| l.id == g);
            let col = REVIEW_COLUMNS.iter().find(|l| l.id == c);
            let labels = Labels {
                group: if group.is_some() && col.is_some() {
                    None
                } else {
                    Some("其他数据（官方格式中没有对应位置）".to_string())
                },
                row: group
                    .map(|l| l.label.to_string())
                    .unwrap_or_else(|| g.clone()),
                column: col
                    .map(|l| l.label.to_string())
                    .unwrap_or_else(|| c.clone()),
            };
            let lc = if has(lr, &g, &c) {
                vec![ptr.clone()]
            } else {
                vec![]
            };
            let rc = if has(rr, &g, &c) {
                vec![ptr.clone()]
            } else {
                vec![]
            };
            self.push(
                t,
                ptr,
                lc,
                rc,
                labels,
                review_value(left, &g, &c),
                review_value(right, &g, &c),
                None,
            );
        }
    }

    fn statistics(&mut self, left: &Report, right: &Report) {
        let (ls, rs) = (
            left.statistics_2014.as_ref(),
            right.statistics_2014.as_ref(),
        );
        if ls.is_none() && rs.is_none() {
            return;
        }
        let t = TableKind::Statistics;
        let keyed = |s: Option<&crate::model::Statistics2014>| -> Vec<(String, usize)> {
            let mut seen: HashMap<String, usize> = HashMap::new();
            s.map(|s| s.rows.as_slice())
                .unwrap_or(&[])
                .iter()
                .map(|row| {
                    let key = label_key(&row.label);
                    let n = seen.entry(key.clone()).or_insert(0);
                    *n += 1;
                    (key, *n)
                })
                .collect()
        };
        let lkeys = keyed(ls);
        let rkeys = keyed(rs);
        let rindex: HashMap<&(String, usize), usize> =
            rkeys.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let lindex: HashMap<&(String, usize), usize> =
            lkeys.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = lkeys
            .iter()
            .enumerate()
            .map(|(i, k)| (Some(i), rindex.get(k).copied()))
            .collect();
        pairs.extend(
            rkeys
                .iter()
                .enumerate()
                .filter(|(_, k)| !lindex.contains_key(k))
                .map(|(j, _)| (None, Some(j))),
        );
        let columns = |s: Option<&crate::model::Statistics2014>| -> Vec<String> {
            let Some(s) = s else { return Vec::new() };
            let widest = s.rows.iter().map(|r| r.values.len()).max().unwrap_or(0);
            let n = widest.max(s.columns.len()).max(1);
            (0..n)
                .map(|i| match s.columns.get(i) {
                    Some(c) => c.clone(),
                    None if n == 1 => "统计数".to_string(),
                    None => format!("数值{}", i + 1),
                })
                .collect()
        };
        let (lcols, rcols) = (columns(ls), columns(rs));
        let width = lcols.len().max(rcols.len());
        for (li, ri) in pairs {
            let lrow = li.and_then(|i| ls.and_then(|s| s.rows.get(i)));
            let rrow = ri.and_then(|j| rs.and_then(|s| s.rows.get(j)));
            let label = lrow.or(rrow).map(|r| r.label.clone()).unwrap_or_default();
            let unit = lrow.or(rrow).and_then(|r| r.unit.clone());
            let row_label = match unit {
                Some(u) if !u.is_empty() => format!("{label}（{u}）"),
                _ => label,
            };
            for c in 0..width {
                let lptr = li.map(|i| format!("/statistics_2014/rows/{i}/values/{c}"));
                let rptr = ri.map(|j| format!("/statistics_2014/rows/{j}/values/{c}"));
                let Some(ptr) = lptr.clone().or_else(|| rptr.clone()) else {
                    continue;
                };
                let column = match (lcols.get(c), rcols.get(c)) {
                    (Some(a), Some(b)) if a != b => format!("{a} / {b}"),
                    (Some(a), _) => a.clone(),
                    (None, Some(b)) => b.clone(),
                    (None, None) => format!("数值{}", c + 1),
                };
                let lv = lrow.and_then(|r| r.values.get(c).copied().flatten());
                let rv = rrow.and_then(|r| r.values.get(c).copied().flatten());
                // Row indices differ between the two tables, so no pointer check here.
                self.push_raw(
                    t,
                    ptr,
                    lptr.into_iter().collect(),
                    rptr.into_iter().collect(),
                    Labels {
                        group: None,
                        row: row_label.clone(),
                        column,
                    },
                    lv,
                    rv,
                    None,
                );
            }
        }
    }
}

/// A 采购总金额 in 万元.
fn to_wan(c: Cell, unit: &str) -> Cell {
    match unit {
        "元" => c.map(|v| v / 10_000.0),
        _ => c,
    }
}

// ---------------------------------------------------------------------------------------------
// Narrative

/// Whether a character takes part in comparison (the same filter as [`similarity`]).
fn comparable(c: char) -> bool {
    is_cjk(c) || c.is_alphabetic()
}

/// A narrative flattened for matching: compared characters of all sections in order, each
/// with its section index and its character offset in that section's text.
struct Flat<'a> {
    sections: Vec<(&'a str, &'a str)>,
    chars: Vec<char>,
    /// (section index, char offset within the section text)
    pos: Vec<(u32, usize)>,
}

impl<'a> Flat<'a> {
    fn new(sections: Vec<(&'a str, &'a str)>) -> Flat<'a> {
        let mut chars = Vec::new();
        let mut pos = Vec::new();
        for (s, (_, text)) in sections.iter().enumerate() {
            for (o, ch) in text.chars().enumerate() {
                if comparable(ch) {
                    chars.push(ch);
                    pos.push((s as u32, o));
                }
            }
        }
        Flat {
            sections,
            chars,
            pos,
        }
    }

    /// The span of compared characters `i..i+len` (all in one section).
    fn span(&self, i: usize, len: usize) -> Span {
        let (sec, start) = self.pos[i];
        let (_, last) = self.pos[i + len - 1];
        Span {
            section: self.sections[sec as usize].0.to_string(),
            start,
            end: last + 1,
        }
    }

    fn slice(&self, span: &Span) -> String {
        self.sections
            .iter()
            .find(|(k, _)| *k == span.section)
            .map(|(_, t)| {
                t.chars()
                    .skip(span.start)
                    .take(span.end - span.start)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Candidate occurrences kept per hashed window of the left text, and total character
/// comparisons allowed: bounds on pathological (highly repetitive) input.
const MAX_OCCURRENCES: usize = 64;
const WORK_BUDGET: usize = 20_000_000;

/// Maximal common runs `(i, j, len)` of `a` and `b` with `len >= k`, found by hashed k-gram
/// seeding and extension of left-maximal seeds.
fn maximal_matches(a: &[char], b: &[char], k: usize) -> Vec<(usize, usize, usize)> {
    let k = k.max(1);
    if a.len() < k || b.len() < k {
        return Vec::new();
    }
    const BASE: u64 = 0x0000_0100_0000_01B3;
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let hashes = |s: &[char]| -> Vec<u64> {
        let mut out = Vec::with_capacity(s.len() + 1 - k);
        let mut h = 0u64;
        for (i, &c) in s.iter().enumerate() {
            if i >= k {
                h = h.wrapping_sub((s[i - k] as u64).wrapping_mul(top));
            }
            h = h.wrapping_mul(BASE).wrapping_add(c as u64);
            if i + 1 >= k {
                out.push(h);
            }
        }
        out
    };
    let ha = hashes(a);
    let hb = hashes(b);
    let mut index: HashMap<u64, Vec<u32>> = HashMap::with_capacity(ha.len());
    for (i, h) in ha.iter().enumerate() {
        let list = index.entry(*h).or_default();
        if list.len() < MAX_OCCURRENCES {
            list.push(i as u32);
        }
    }
    let mut budget = WORK_BUDGET;
    let mut out = Vec::new();
    'scan: for (j, h) in hb.iter().enumerate() {
        let Some(list) = index.get(h) else { continue };
        for &i in list {
            let i = i as usize;
            budget = budget.saturating_sub(1);
            if i > 0 && j > 0 && a[i - 1] == b[j - 1] {
                // Not left-maximal: the seed one step back covers it.
                continue;
            }
            let mut len = 0;
            while i + len < a.len() && j + len < b.len() && a[i + len] == b[j + len] {
                len += 1;
            }
            budget = budget.saturating_sub(len);
            if len >= k {
                out.push((i, j, len));
            }
            if budget == 0 {
                break 'scan;
            }
        }
    }
    out
}

/// Duplicated passages of two flattened narratives, tiled one-to-one, longest first, split at
/// section boundaries.
fn passages(a: &Flat, b: &Flat, min: usize) -> Vec<(usize, usize, usize)> {
    let min = min.max(1);
    let mut cands: Vec<(usize, usize, usize)> = Vec::new();
    for (i, j, len) in maximal_matches(&a.chars, &b.chars, min) {
        // Split at section boundaries on either side.
        let mut s = 0;
        for t in 1..=len {
            let boundary = t == len
                || a.pos[i + t].0 != a.pos[i + t - 1].0
                || b.pos[j + t].0 != b.pos[j + t - 1].0;
            if boundary {
                if t - s >= min {
                    cands.push((i + s, j + s, t - s));
                }
                s = t;
            }
        }
    }
    cands.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
    let mut cov_a = vec![false; a.chars.len()];
    let mut cov_b = vec![false; b.chars.len()];
    let mut out = Vec::new();
    for (i, j, len) in cands {
        let mut t = 0;
        while t < len {
            while t < len && (cov_a[i + t] || cov_b[j + t]) {
                t += 1;
            }
            let s = t;
            while t < len && !cov_a[i + t] && !cov_b[j + t] {
                t += 1;
            }
            if t - s >= min {
                for x in s..t {
                    cov_a[i + x] = true;
                    cov_b[j + x] = true;
                }
                out.push((i + s, j + s, t - s));
            }
        }
    }
    out.sort_unstable();
    out
}

/// A duplicated passage of two plain texts: character ranges (Unicode scalar values) in each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextMatch {
    pub left: std::ops::Range<usize>,
    pub right: std::ops::Range<usize>,
    /// Length in compared characters.
    pub chars: usize,
}

/// Duplicated passages of two texts (at least `min_chars` compared characters each; values
/// below 5 are raised to 5), tiled one-to-one as in [`compare`], in the order of `left`.
pub fn common_passages(left: &str, right: &str, min_chars: usize) -> Vec<TextMatch> {
    let a = Flat::new(vec![("", left)]);
    let b = Flat::new(vec![("", right)]);
    passages(&a, &b, min_chars.max(similarity::SHINGLE))
        .into_iter()
        .map(|(i, j, len)| {
            let (l, r) = (a.span(i, len), b.span(j, len));
            TextMatch {
                left: l.start..l.end,
                right: r.start..r.end,
                chars: len,
            }
        })
        .collect()
}

/// `text` cut into pieces, each marked `true` when inside one of `spans` (character offsets,
/// end exclusive; overlapping, unsorted and out-of-range spans are tolerated). A page escapes
/// each piece and wraps the marked ones in `<mark>`.
pub fn split_marked<'t>(text: &'t str, spans: &[(usize, usize)]) -> Vec<(&'t str, bool)> {
    let mut sorted: Vec<(usize, usize)> = spans.iter().filter(|(s, e)| s < e).copied().collect();
    sorted.sort_unstable();
    // Merge overlapping and touching spans.
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(sorted.len());
    for (s, e) in sorted {
        match spans.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => spans.push((s, e)),
        }
    }
    // Byte offset of every char boundary (plus the end).
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect();
    let nchars = bounds.len() - 1;
    let mut out = Vec::new();
    let mut at = 0usize; // char offset
    for (s, e) in spans {
        let (s, e) = (s.min(nchars), e.min(nchars));
        let s = s.max(at);
        if e <= s {
            continue;
        }
        if at < s {
            out.push((&text[bounds[at]..bounds[s]], false));
        }
        out.push((&text[bounds[s]..bounds[e]], true));
        at = e;
    }
    if at < nchars {
        out.push((&text[bounds[at]..], false));
    }
    out
}

fn compare_narrative(left: &Report, right: &Report) -> NarrativeComparison {
    let lt = similarity::narrative_text(left);
    let rt = similarity::narrative_text(right);
    let (ls, rs) = (Shingles::of(&lt), Shingles::of(&rt));
    let overall = ls.jaccard(&rs);
    let near_duplicate = overall >= NEAR_DUPLICATE_THRESHOLD && ls.len() >= 20 && rs.len() >= 20;

    // Section keys: 一 … 六 first, then other keys in the order met.
    let mut keys: Vec<&str> = SECTIONS
        .iter()
        .map(|(n, _, _)| *n)
        .filter(|n| left.narrative.contains_key(*n) || right.narrative.contains_key(*n))
        .collect();
    for k in left.narrative.keys().chain(right.narrative.keys()) {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    let sections = keys
        .iter()
        .map(|k| {
            let (l, r) = (left.narrative.get(*k), right.narrative.get(*k));
            SectionComparison {
                key: k.to_string(),
                heading: match SECTIONS.iter().find(|(n, _, _)| n == k) {
                    Some((n, title, _)) => format!("{n}、{title}"),
                    None => k.to_string(),
                },
                left_chars: l.map(|t| t.chars().count()),
                right_chars: r.map(|t| t.chars().count()),
                similarity: match (l, r) {
                    (Some(a), Some(b)) => Some(similarity::similarity(a, b)),
                    _ => None,
                },
            }
        })
        .collect();

    fn flat(r: &Report) -> Vec<(&str, &str)> {
        r.narrative
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
    let (fa, fb) = (Flat::new(flat(left)), Flat::new(flat(right)));
    let found = passages(&fa, &fb, MIN_PASSAGE_CHARS);
    let covered: usize = found.iter().map(|p| p.2).sum();
    let coverage = |n: usize| {
        if n == 0 {
            0.0
        } else {
            covered as f64 / n as f64
        }
    };
    let passages = found
        .iter()
        .map(|&(i, j, len)| {
            let l = fa.span(i, len);
            Passage {
                text: fa.slice(&l),
                right: fb.span(j, len),
                left: l,
                chars: len,
            }
        })
        .collect();
    NarrativeComparison {
        similarity: overall,
        near_duplicate,
        left_coverage: coverage(fa.chars.len()),
        right_coverage: coverage(fb.chars.len()),
        sections,
        passages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Proactive, Reviews, Statistics2014, StatisticsRow};
    use indexmap::IndexMap;

    fn requests(rows: &[(&str, [f64; 7])]) -> Option<IndexMap<String, Vec<Cell>>> {
        Some(
            rows.iter()
                .map(|(id, v)| (id.to_string(), v.iter().map(|x| Some(*x)).collect()))
                .collect(),
        )
    }

    fn proactive(rows: &[(&str, &[(&str, f64)])]) -> Option<Proactive> {
        let mut p = Proactive::default();
        for (row, cols) in rows {
            p.rows.insert(
                row.to_string(),
                cols.iter()
                    .map(|(c, v)| (c.to_string(), Some(*v)))
                    .collect(),
            );
        }
        Some(p)
    }

    fn reviews(total: f64) -> Option<Reviews> {
        let mut r = Reviews::default();
        for g in REVIEW_GROUPS {
            let mut cols = IndexMap::new();
            for c in REVIEW_COLUMNS {
                cols.insert(c.id.to_string(), Some(0.0));
            }
            r.groups.insert(g.id.to_string(), cols);
        }
        let g = r.groups.get_mut("reconsideration").unwrap();
        g.insert("upheld".into(), Some(total));
        g.insert("total".into(), Some(total));
        Some(r)
    }

    fn report_2021() -> Report {
        let mut r = Report::new();
        r.generation = Generation::G2021;
        r.agency = Some("示例市数据资源局".into());
        r.year = Some(2022);
        r.proactive = proactive(&[
            (
                "regulations",
                &[("issued", 2.0), ("repealed", 1.0), ("in_force", 30.0)],
            ),
            ("licensing", &[("decisions", 500.0)]),
            ("fees", &[("amount", 1.5)]),
        ]);
        r.requests = requests(&[
            ("new_received", [10.0, 2.0, 0.0, 0.0, 0.0, 0.0, 12.0]),
            ("carried_over", [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
            ("disclosed", [6.0, 2.0, 0.0, 0.0, 0.0, 0.0, 8.0]),
            ("other_no_correction", [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
            ("other_fee_unpaid", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
            ("other_misc", [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]),
            ("total_handled", [9.0, 2.0, 0.0, 0.0, 0.0, 0.0, 11.0]),
            ("carried_forward", [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]),
        ]);
        r.reviews = reviews(2.0);
        r
    }

    fn report_2019() -> Report {
        let mut r = Report::new();
        r.generation = Generation::G2019;
        r.year = Some(2020);
        r.proactive = proactive(&[
            (
                "regulations",
                &[("made", 1.0), ("published", 1.0), ("total_public", 20.0)],
            ),
            (
                "licensing",
                &[
                    ("previous_items", 10.0),
                    ("change", -2.0),
                    ("decisions", 450.0),
                ],
            ),
            (
                "central_procurement",
                &[("items", 3.0), ("amount", 25000.0)],
            ),
        ]);
        r.requests = requests(&[
            ("new_received", [8.0, 1.0, 0.0, 0.0, 0.0, 0.0, 9.0]),
            ("disclosed", [5.0, 1.0, 0.0, 0.0, 0.0, 0.0, 6.0]),
            ("other", [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]),
        ]);
        r.reviews = reviews(1.0);
        r
    }

    #[test]
    fn same_generation_statuses_and_deltas() {
        let left = report_2021();
        let mut right = report_2021();
        let req = right.requests.as_mut().unwrap();
        req.get_mut("new_received").unwrap()[6] = Some(15.0);
        req.get_mut("new_received").unwrap()[1] = None;
        req.get_mut("carried_over").unwrap()[0] = None;
        req.get_mut("carried_over").unwrap()[6] = None;
        req.shift_remove("disclosed");
        right.reviews = None;
        let c = compare(&left, &right);

        let cell = c.cell("/requests/new_received/6").unwrap();
        assert_eq!(cell.status, CellStatus::Changed);
        assert_eq!(cell.delta, Some(3.0));
        assert_eq!(cell.relative, Some(0.25));
        assert_eq!(cell.row_label, "一、本年新收政府信息公开申请数量");
        assert_eq!(cell.column_label, "总计");
        assert_eq!(cell.left_cells, ["/requests/new_received/6"]);

        let cell = c.cell("/requests/new_received/1").unwrap();
        assert_eq!(cell.status, CellStatus::OnlyLeft);
        assert_eq!(cell.delta, None);
        assert_eq!(cell.column_label, "商业企业");

        assert_eq!(
            c.cell("/requests/new_received/0").unwrap().status,
            CellStatus::Same
        );
        // A row absent on the right: its cells are only-left, and the right has no pointer.
        let cell = c.cell("/requests/disclosed/0").unwrap();
        assert_eq!(cell.status, CellStatus::OnlyLeft);
        assert!(cell.right_cells.is_empty());
        // A row absent on both sides: both absent, not zero.
        let cell = c.cell("/requests/withheld_state_secret/3").unwrap();
        assert_eq!(cell.status, CellStatus::BothAbsent);
        assert_eq!(cell.group.as_deref(), Some("（三）不予公开"));
        assert_eq!(cell.row_label, "1.属于国家秘密");

        // Table 四 missing on the right: cells listed as only-left, summary says so.
        let cell = c.cell("/reviews/reconsideration/total").unwrap();
        assert_eq!(cell.status, CellStatus::OnlyLeft);
        assert_eq!(cell.row_label, "行政复议");
        assert_eq!(cell.column_label, "总计");
        let t = c
            .tables
            .iter()
            .find(|t| t.table == TableKind::Reviews)
            .unwrap();
        assert!(t.present_left && !t.present_right);
        assert_eq!(t.counts.only_left, 15);

        // Every 2021 table-三 row × 7 columns, table 二 (4 blocks: 6+1+2+1 cells), table 四.
        let n_rows = skeleton::request_rows(Generation::G2021).count();
        assert_eq!(c.counts.total(), n_rows * 7 + 10 + 15);
        assert!(c.not_compared.is_empty());
        assert_eq!(
            c.differences().count(),
            c.counts.total() - c.counts.same - c.counts.both_absent
        );
        // Pointers are unique.
        let set: HashSet<&str> = c.cells.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(set.len(), c.cells.len());
    }

    #[test]
    fn across_2019_and_2021_shared_rows_and_the_other_sum() {
        let c = compare(&report_2019(), &report_2021());
        let cell = c.cell("/requests/new_received/6").unwrap();
        assert_eq!(
            (cell.left, cell.right, cell.delta),
            (Some(9.0), Some(12.0), Some(3.0))
        );
        // 2019 （六）其他处理 against the sum of the 2021 sub-rows (1 + 0 + 2).
        let cell = c.cell("/requests/other/0").unwrap();
        assert_eq!((cell.left, cell.right), (Some(2.0), Some(3.0)));
        assert_eq!(cell.status, CellStatus::Changed);
        assert_eq!(cell.right_cells.len(), 3);
        assert!(cell.note.is_some());
        assert!(c.cell("/requests/other_misc/0").is_none());
        let skipped: Vec<&str> = c.not_compared.iter().map(|n| n.pointer.as_str()).collect();
        for p in [
            "/requests/other_no_correction",
            "/requests/other_fee_unpaid",
            "/requests/other_misc",
            "/proactive/regulations/made",
            "/proactive/regulations/issued",
            "/proactive/central_procurement/amount",
            "/proactive/fees/amount",
            "/proactive/fees/previous_items",
        ] {
            assert!(skipped.contains(&p), "{p} not listed: {skipped:?}");
        }
        let n = c
            .not_compared
            .iter()
            .find(|n| n.pointer == "/proactive/regulations/issued")
            .unwrap();
        assert_eq!(n.side, Side::Right);
        // 处理决定数量 has the same meaning in both formats.
        let cell = c.cell("/proactive/licensing/decisions").unwrap();
        assert_eq!(cell.delta, Some(50.0));
        assert_eq!(cell.group.as_deref(), Some("第二十条第（五）项"));
        assert!(c.cell("/proactive/regulations/made").is_none());
        // Table 四 is compared as usual.
        assert_eq!(
            c.cell("/reviews/reconsideration/total").unwrap().delta,
            Some(1.0)
        );
        // Swapping sides mirrors the derived cell.
        let d = compare(&report_2021(), &report_2019());
        let cell = d.cell("/requests/other/0").unwrap();
        assert_eq!((cell.left, cell.right), (Some(3.0), Some(2.0)));
        assert_eq!(cell.left_cells.len(), 3);
    }

    #[test]
    fn derived_sum_is_absent_when_a_sub_row_is_absent() {
        let mut right = report_2021();
        right
            .requests
            .as_mut()
            .unwrap()
            .get_mut("other_fee_unpaid")
            .unwrap()[0] = None;
        let c = compare(&report_2019(), &right);
        let cell = c.cell("/requests/other/0").unwrap();
        assert_eq!(cell.right, None);
        assert_eq!(cell.status, CellStatus::OnlyLeft);
    }

    #[test]
    fn procurement_amounts_in_different_units_are_converted() {
        let mut left = report_2019();
        left.proactive.as_mut().unwrap().procurement_amount_unit = Some("元".into());
        let mut right = report_2019();
        {
            let p = right.proactive.as_mut().unwrap();
            p.procurement_amount_unit = Some("万元".into());
            p.rows
                .get_mut("central_procurement")
                .unwrap()
                .insert("amount".into(), Some(3.0));
        }
        let c = compare(&left, &right);
        let cell = c.cell("/proactive/central_procurement/amount").unwrap();
        assert_eq!((cell.left, cell.right), (Some(2.5), Some(3.0)));
        assert!(cell.column_label.contains("万元"));
        assert!(cell.note.as_deref().unwrap().contains("换算"));
    }

    fn stats(rows: &[(&str, Vec<Cell>)]) -> Report {
        let mut r = Report::new();
        r.generation = Generation::G2014;
        r.year = Some(2016);
        r.statistics_2014 = Some(Statistics2014 {
            columns: vec!["统计数".into()],
            rows: rows
                .iter()
                .map(|(l, v)| StatisticsRow {
                    label: l.to_string(),
                    unit: Some("件".into()),
                    values: v.clone(),
                    note: None,
                })
                .collect(),
        });
        r
    }

    #[test]
    fn statistics_rows_are_matched_by_label() {
        let left = stats(&[
            ("（一）收到申请数", vec![Some(5.0)]),
            ("1.当面申请数", vec![Some(2.0)]),
            ("行政复议数量", vec![Some(0.0)]),
        ]);
        let right = stats(&[
            ("1．当面申请数", vec![Some(3.0)]),
            ("(一)收到申请数", vec![Some(5.0)]),
            ("举报投诉数量", vec![Some(1.0)]),
        ]);
        let c = compare(&left, &right);
        let cell = c.cell("/statistics_2014/rows/1/values/0").unwrap();
        assert_eq!(cell.row_label, "1.当面申请数（件）");
        assert_eq!(cell.right_cells, ["/statistics_2014/rows/0/values/0"]);
        assert_eq!(cell.delta, Some(1.0));
        assert_eq!(
            c.cell("/statistics_2014/rows/0/values/0").unwrap().status,
            CellStatus::Same
        );
        assert_eq!(
            c.cell("/statistics_2014/rows/2/values/0").unwrap().status,
            CellStatus::OnlyLeft
        );
        let only_right = c.cells.iter().find(|c| c.left_cells.is_empty()).unwrap();
        assert_eq!(only_right.row_label, "举报投诉数量（件）");
        assert_eq!(only_right.status, CellStatus::OnlyRight);
        assert_eq!(c.cells.len(), 4);
    }

    #[test]
    fn statistics_against_modern_tables_is_not_compared() {
        let c = compare(&stats(&[("收到申请数", vec![Some(1.0)])]), &report_2021());
        assert!(c.cells.is_empty());
        let tables: Vec<TableKind> = c.not_compared.iter().map(|n| n.table).collect();
        assert_eq!(
            tables,
            [
                TableKind::Proactive,
                TableKind::Requests,
                TableKind::Reviews,
                TableKind::Statistics
            ]
        );
        assert_eq!(c.not_compared[3].side, Side::Left);
        assert_eq!(c.not_compared[1].side, Side::Right);
    }

    #[test]
    fn empty_reports_compare_to_nothing() {
        let c = compare(&Report::new(), &Report::new());
        assert!(c.cells.is_empty() && c.not_compared.is_empty() && c.tables.is_empty());
        assert_eq!(c.narrative.similarity, 0.0);
        assert!(c.narrative.passages.is_empty());
        serde_json::to_string(&c).unwrap();
    }

    const COPIED: &str = "本机关坚持以公开为常态、不公开为例外，严格落实政府信息公开属性源头认定机制，规范信息发布审核流程，做好依申请公开答复工作。";

    fn strip(s: &str) -> String {
        s.chars().filter(|c| comparable(*c)).collect()
    }

    fn slice(s: &str, a: usize, b: usize) -> String {
        s.chars().skip(a).take(b - a).collect()
    }

    #[test]
    fn narrative_passages_match_in_both_texts() {
        let mut left = Report::new();
        left.narrative.insert(
            "一".into(),
            format!("2021年，全年主动公开政府信息1234条。{COPIED}另外，我局组织培训3次。"),
        );
        left.narrative.insert(
            "五".into(),
            "存在的主要问题是公开内容不够全面，解读形式单一。".into(),
        );
        let mut right = Report::new();
        right
            .narrative
            .insert("一".into(), "2022年，工作稳步推进。".into());
        // The same paragraph, moved to section 二 and with other figures inside.
        let changed = COPIED.replace("依申请公开", "依申请公开（2022：15）");
        right
            .narrative
            .insert("二".into(), format!("主动公开方面：{changed}"));
        right.narrative.insert(
            "五".into(),
            "存在的主要问题是公开内容不够全面，解读形式单一。".into(),
        );
        let c = compare(&left, &right);
        let n = &c.narrative;
        assert!(!n.passages.is_empty());
        for p in &n.passages {
            let lt = &left.narrative[&p.left.section];
            let rt = &right.narrative[&p.right.section];
            let (ls, rs) = (
                slice(lt, p.left.start, p.left.end),
                slice(rt, p.right.start, p.right.end),
            );
            assert_eq!(strip(&ls), strip(&rs), "{p:?}");
            assert_eq!(strip(&ls).chars().count(), p.chars);
            assert!(p.chars >= MIN_PASSAGE_CHARS);
            assert_eq!(p.text, ls);
        }
        // The copied paragraph is one passage despite the inserted figures, from 一 to 二.
        let moved = n.passages.iter().find(|p| p.left.section == "一").unwrap();
        assert_eq!(moved.right.section, "二");
        assert_eq!(moved.chars, strip(COPIED).chars().count());
        // Section 五 is identical.
        let s5 = n.sections.iter().find(|s| s.key == "五").unwrap();
        assert_eq!(s5.similarity, Some(1.0));
        assert_eq!(s5.heading, "五、存在的主要问题及改进情况");
        let s2 = n.sections.iter().find(|s| s.key == "二").unwrap();
        assert_eq!(s2.similarity, None);
        assert_eq!(s2.left_chars, None);
        assert_eq!(
            n.sections
                .iter()
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>(),
            ["一", "二", "五"]
        );
        // The overall similarity is the one text.near_duplicate uses.
        let expected = similarity::similarity(
            &similarity::narrative_text(&left),
            &similarity::narrative_text(&right),
        );
        assert_eq!(n.similarity, expected);
        assert!(n.left_coverage > 0.5 && n.left_coverage <= 1.0);
        // Highlighting pieces reassemble the text.
        let text = &right.narrative["二"];
        let pieces = split_marked(text, &n.right_spans("二"));
        assert_eq!(pieces.iter().map(|p| p.0).collect::<String>(), *text);
        assert!(pieces.iter().any(|p| p.1 && p.0.contains("源头认定")));
    }

    #[test]
    fn near_duplicate_agrees_with_the_rule() {
        let mut a = Report::new();
        a.source = Some("a".into());
        a.narrative.insert("一".into(), format!("{COPIED}{COPIED}"));
        let mut b = a.clone();
        b.source = Some("b".into());
        let c = compare(&a, &b);
        assert!(c.narrative.near_duplicate);
        let flagged = crate::rules::check_across(&[a, b])
            .iter()
            .any(|f| f.rule == "text.near_duplicate");
        assert!(flagged);
        // One-to-one tiling: the repeated paragraph pairs with itself, twice.
        assert_eq!(c.narrative.passages.len(), 1);
        assert_eq!(c.narrative.left_coverage, 1.0);
    }

    #[test]
    fn split_marked_tolerates_bad_spans() {
        let t = "甲乙丙丁戊";
        assert_eq!(
            split_marked(t, &[(3, 9), (1, 2), (0, 0), (1, 3), (7, 8)]),
            [("甲", false), ("乙丙丁戊", true)]
        );
        assert_eq!(split_marked(t, &[]), [(t, false)]);
        assert!(split_marked("", &[(0, 3)]).is_empty());
    }

    /// A deterministic pseudo-random CJK text.
    fn noise(seed: u64, n: usize) -> String {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 40 == 39 {
                    '。'
                } else {
                    char::from_u32(0x4E00 + (x % 2000) as u32).unwrap()
                }
            })
            .collect()
    }

    #[test]
    fn common_passages_on_large_texts() {
        let shared = noise(7, 2000);
        let left = format!("{}{shared}{}", noise(1, 3000), noise(2, 2000));
        let right = format!("{}{shared}{}", noise(3, 1500), noise(4, 3500));
        assert!(left.len() > 20_000);
        let start = std::time::Instant::now();
        let m = common_passages(&left, &right, MIN_PASSAGE_CHARS);
        assert!(start.elapsed().as_secs() < 5);
        let big = m.iter().max_by_key(|m| m.chars).unwrap();
        assert!(big.chars >= 1900, "{big:?}");
        assert_eq!(
            slice(&left, big.left.start, big.left.end),
            slice(&right, big.right.start, big.right.end)
        );
        // Passages do not overlap on either side.
        let mut l: Vec<_> = m.iter().map(|m| m.left.clone()).collect();
        l.sort_by_key(|r| r.start);
        assert!(l.windows(2).all(|w| w[0].end <= w[1].start));
    }

    #[test]
    fn repetitive_input_is_bounded() {
        let a = "一".repeat(8000);
        let b = "一".repeat(8000);
        let start = std::time::Instant::now();
        let m = common_passages(&a, &b, 20);
        assert!(start.elapsed().as_secs() < 10);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].chars, 8000);
        assert!(common_passages("", &a, 0).is_empty());
        assert!(common_passages("短", "短", 0).is_empty());
    }
}
