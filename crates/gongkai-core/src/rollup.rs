//! Many units' reports summed into one: what a city or county compiles into its
//! whole-government figures (本级政府及所属部门汇总).
//!
//! [`rollup`] adds up every table cell over the units of one year, in one format generation,
//! and says exactly what went into each total. The rules, and why:
//!
//! * **One year.** A unit whose report is for another year, or whose year was not recognised,
//!   is excluded.
//! * **One generation.** Cells of different formats do not add up (2019 has 上一年项目数量 where
//!   2021 has 本年制发件数; 2019's （六）其他处理 is one row, 2021's three). The generation is
//!   the one the year requires ([`Generation::expected_for_year`]), because the compiled report
//!   is published in that format; units in another format are excluded (and
//!   `structure.generation_mismatch` already told them). Only when *no* unit of that year uses
//!   the required format — a batch of 2018 reports all in the 2019 tables, say — is the format
//!   most units use taken instead (ties go to the newer format), so the roll-up is not empty;
//!   [`Rollup::generation_basis`] says which rule applied. [`rollup_in`] fixes the generation
//!   explicitly.
//! * **Table 三 is required** (for 2014: the 统计表): a unit without it has no request figures
//!   to contribute and is excluded. Tables 二 and 四 are summed when any included unit has
//!   them.
//! * **Absent is not zero, so a total with a gap is absent.** A unit with some blank cells is
//!   included: its present cells count, and for each cell of the total, if any included unit's
//!   cell is blank (or the unit lacks that table or row), the total is `None` — adding the
//!   others would silently understate the city's figure. [`CellTotal`] keeps the sum of the
//!   present values (`present_sum`), the number of contributors and the names of the units
//!   whose cell is missing, so a page can show "≥ 123（缺 2 个单位）" and whom to call. This is
//!   the same rule the checker follows, and it keeps the result consistent: when every
//!   included report satisfies the 勾稽关系, so does the sum (all the rules are linear), and
//!   any rule touching a `None` total is skipped.
//! * **Units are named once.** A second report under the same unit name is excluded, not
//!   counted twice.
//! * **采购总金额** (2019) is written in 元 or 万元: amounts in one unit are summed as they are;
//!   amounts stated in both units are converted to 万元; if some units do not say which unit
//!   they use while others differ, the total is `None` with a note.
//!
//! Rows of the pre-2019 统计表 vary from unit to unit: they are matched by the matching key of
//! their labels ([`crate::normalize::label_key`], the n-th occurrence with the n-th), in the
//! order first met; value columns by position.
//!
//! [`Rollup::to_report`] turns the result into a [`Report`] (agency = the roll-up's name) so
//! that the renderers and `rules::check` work on it unchanged.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use serde::Serialize;

use crate::compare::TableKind;
use crate::model::{
    cell_json, fmt_num, Cell, Generation, Proactive, Report, Reviews, Statistics2014, StatisticsRow,
};
use crate::normalize::label_key;
use crate::skeleton::{self, REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_GROUPS};

/// Why a unit's report is not in the roll-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// Another report under the same unit name came first.
    DuplicateUnit,
    /// The report's year was not recognised.
    UnknownYear,
    /// The report is for another year.
    WrongYear,
    /// No table format was recognised.
    UnknownGeneration,
    /// The tables follow another format generation.
    DifferentGeneration,
    /// Table 三 (or the 统计表) is missing.
    MissingTable,
}

/// A unit left out, with the reason in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExcludedUnit {
    pub unit: String,
    pub reason: ExclusionReason,
    pub message: String,
}

/// One cell of the roll-up and what went into it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellTotal {
    pub table: TableKind,
    /// The sum when every included unit has the cell; `None` otherwise.
    #[serde(serialize_with = "crate::model::serialize_cell")]
    pub value: Cell,
    /// The sum of the values present (`None` when no unit has one).
    #[serde(serialize_with = "crate::model::serialize_cell")]
    pub present_sum: Cell,
    /// How many included units have a value in this cell.
    pub contributors: usize,
    /// Included units whose cell is blank or missing.
    pub missing: Vec<String>,
    /// A remark in Chinese (unit conversions of 采购总金额).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The sum of many units' reports (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollup {
    pub year: i32,
    pub generation: Generation,
    /// How the generation was chosen, in Chinese.
    pub generation_basis: String,
    /// Units summed, in the order given.
    pub included: Vec<String>,
    pub excluded: Vec<ExcludedUnit>,
    /// The summed tables, in the report model's shape.
    pub proactive: Option<Proactive>,
    #[serde(serialize_with = "serialize_requests")]
    pub requests: Option<IndexMap<String, Vec<Cell>>>,
    pub reviews: Option<Reviews>,
    pub statistics_2014: Option<Statistics2014>,
    /// Every cell of the summed tables by JSON pointer, in table order.
    pub cells: IndexMap<String, CellTotal>,
}

fn serialize_requests<S: serde::Serializer>(
    v: &Option<IndexMap<String, Vec<Cell>>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let value: Option<IndexMap<&str, Vec<serde_json::Value>>> = v.as_ref().map(|m| {
        m.iter()
            .map(|(k, cells)| (k.as_str(), cells.iter().map(|c| cell_json(*c)).collect()))
            .collect()
    });
    value.serialize(s)
}

impl Rollup {
    /// The roll-up as a report named `name` (e.g. `示例市人民政府（汇总）`): generation, year and
    /// summed tables; no sections, narrative or provenance.
    pub fn to_report(&self, name: &str) -> Report {
        let mut r = Report::new();
        r.generation = self.generation;
        r.agency = Some(name.to_string());
        r.year = Some(self.year);
        r.proactive = self.proactive.clone();
        r.requests = self.requests.clone();
        r.reviews = self.reviews.clone();
        r.statistics_2014 = self.statistics_2014.clone();
        r
    }

    /// The total of the cell at `pointer` (pointers as in the report JSON).
    pub fn cell(&self, pointer: &str) -> Option<&CellTotal> {
        self.cells.get(pointer)
    }

    /// Cells whose total is absent although some unit has a value: where a page should say
    /// which units to ask.
    pub fn incomplete(&self) -> impl Iterator<Item = (&String, &CellTotal)> {
        self.cells
            .iter()
            .filter(|(_, c)| c.value.is_none() && c.contributors > 0)
    }
}

/// Sum `reports` (unit name, report) for `year`, in the generation chosen as the module docs
/// describe.
pub fn rollup(reports: &[(&str, &Report)], year: i32) -> Rollup {
    rollup_in(reports, year, None)
}

/// [`rollup`] with the generation given (`None` or `Unknown`: chosen as in [`rollup`]).
pub fn rollup_in(reports: &[(&str, &Report)], year: i32, generation: Option<Generation>) -> Rollup {
    let mut excluded = Vec::new();
    let mut exclude = |unit: &str, reason: ExclusionReason, message: String| {
        excluded.push(ExcludedUnit {
            unit: unit.to_string(),
            reason,
            message,
        })
    };
    let mut names: HashSet<&str> = HashSet::new();
    let mut candidates: Vec<(&str, &Report)> = Vec::new();
    for &(unit, report) in reports {
        if !names.insert(unit.trim()) {
            exclude(
                unit,
                ExclusionReason::DuplicateUnit,
                "单位名称与前面的报告重复，未重复计入".to_string(),
            );
            continue;
        }
        match report.year {
            None => exclude(
                unit,
                ExclusionReason::UnknownYear,
                "未识别出报告年度".to_string(),
            ),
            Some(y) if y != year => exclude(
                unit,
                ExclusionReason::WrongYear,
                format!("报告年度为{y}年，不是{year}年"),
            ),
            Some(_) => candidates.push((unit, report)),
        }
    }

    let expected = Generation::expected_for_year(year);
    let (generation, basis) = match generation {
        Some(g) if g != Generation::Unknown => (g, format!("按指定的{}版格式汇总", g.as_str())),
        _ => choose_generation(&candidates, year, expected),
    };

    let mut included: Vec<(&str, &Report)> = Vec::new();
    for (unit, report) in candidates {
        if report.generation == Generation::Unknown {
            exclude(
                unit,
                ExclusionReason::UnknownGeneration,
                "未识别出表格格式".to_string(),
            );
        } else if report.generation != generation {
            exclude(
                unit,
                ExclusionReason::DifferentGeneration,
                format!(
                    "表格为{}版格式，汇总使用{}版格式",
                    report.generation.as_str(),
                    generation.as_str()
                ),
            );
        } else if generation == Generation::G2014 && report.statistics_2014.is_none() {
            exclude(
                unit,
                ExclusionReason::MissingTable,
                "缺少政府信息公开情况统计表".to_string(),
            );
        } else if generation != Generation::G2014 && report.requests.is_none() {
            exclude(
                unit,
                ExclusionReason::MissingTable,
                "缺少表三（收到和处理政府信息公开申请情况）".to_string(),
            );
        } else {
            included.push((unit, report));
        }
    }

    let mut s = Summer {
        units: &included,
        cells: IndexMap::new(),
    };
    let (proactive, requests, reviews, statistics_2014) = if included.is_empty() {
        (None, None, None, None)
    } else if generation == Generation::G2014 {
        (None, None, None, Some(s.statistics()))
    } else {
        let proactive = included
            .iter()
            .any(|(_, r)| r.proactive.is_some())
            .then(|| s.proactive(generation));
        let requests = Some(s.requests(generation));
        let reviews = included
            .iter()
            .any(|(_, r)| r.reviews.is_some())
            .then(|| s.reviews());
        (proactive, requests, reviews, None)
    };
    let cells = s.cells;
    Rollup {
        year,
        generation,
        generation_basis: basis,
        included: included.iter().map(|(u, _)| u.to_string()).collect(),
        excluded,
        proactive,
        requests,
        reviews,
        statistics_2014,
        cells,
    }
}

fn choose_generation(
    candidates: &[(&str, &Report)],
    year: i32,
    expected: Generation,
) -> (Generation, String) {
    let rule = format!("按{year}年度应使用的{}版格式汇总", expected.as_str());
    if candidates.is_empty() || candidates.iter().any(|(_, r)| r.generation == expected) {
        return (expected, rule);
    }
    let mut counts: Vec<(Generation, usize)> = Vec::new();
    for g in [Generation::G2021, Generation::G2019, Generation::G2014] {
        let n = candidates.iter().filter(|(_, r)| r.generation == g).count();
        if n > 0 {
            counts.push((g, n));
        }
    }
    // `max_by_key` keeps the last maximum: iterate oldest first so ties go to the newer format.
    match counts.iter().rev().max_by_key(|(_, n)| *n) {
        Some(&(g, n)) => (
            g,
            format!(
                "没有单位使用{year}年度应使用的{}版格式，按多数单位（{n}个）使用的{}版格式汇总",
                expected.as_str(),
                g.as_str()
            ),
        ),
        None => (expected, rule),
    }
}

/// The sum of one cell over the units: (honest total, sum of present values, contributors,
/// units missing).
fn total<'u>(values: impl Iterator<Item = (&'u str, Cell)>) -> (Cell, Cell, usize, Vec<String>) {
    let mut sum = 0.0;
    let mut contributors = 0;
    let mut missing = Vec::new();
    for (unit, v) in values {
        match v.filter(|x| x.is_finite()) {
            Some(x) => {
                sum += x;
                contributors += 1;
            }
            None => missing.push(unit.to_string()),
        }
    }
    let present = (contributors > 0).then_some(sum);
    let value = if missing.is_empty() { present } else { None };
    (value, present, contributors, missing)
}

struct Summer<'a, 'r> {
    units: &'a [(&'r str, &'r Report)],
    cells: IndexMap<String, CellTotal>,
}

fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

impl Summer<'_, '_> {
    fn record(
        &mut self,
        table: TableKind,
        pointer: String,
        t: (Cell, Cell, usize, Vec<String>),
    ) -> Cell {
        let (value, present_sum, contributors, missing) = t;
        self.cells.insert(
            pointer,
            CellTotal {
                table,
                value,
                present_sum,
                contributors,
                missing,
                note: None,
            },
        );
        value
    }

    fn proactive(&mut self, generation: Generation) -> Proactive {
        let blocks = skeleton::proactive_blocks(generation);
        let mut keys: Vec<(String, String)> = Vec::new();
        for b in blocks {
            for row in b.rows {
                for col in b.columns {
                    keys.push((row.id.to_string(), col.id.to_string()));
                }
            }
        }
        for (_, r) in self.units {
            if let Some(p) = &r.proactive {
                for (row, cols) in &p.rows {
                    for col in cols.keys() {
                        let key = (row.clone(), col.clone());
                        if !keys.contains(&key) {
                            keys.push(key);
                        }
                    }
                }
            }
        }
        let value = |r: &Report, row: &str, col: &str| -> Cell {
            r.proactive
                .as_ref()
                .and_then(|p| p.rows.get(row))
                .and_then(|c| c.get(col).copied().flatten())
        };
        let mut out = Proactive::default();
        for (row, col) in keys {
            let pointer = format!("/proactive/{}/{}", token(&row), token(&col));
            let v = if row == "central_procurement" && col == "amount" {
                let (v, unit) = self.procurement_amount(&pointer);
                out.procurement_amount_unit = unit;
                v
            } else {
                let units = self.units;
                let t = total(units.iter().map(|(u, r)| (*u, value(r, &row, &col))));
                self.record(TableKind::Proactive, pointer, t)
            };
            out.rows.entry(row).or_default().insert(col, v);
        }
        out
    }

    /// 采购总金额 with its unit (元 / 万元) reconciled across units.
    fn procurement_amount(&mut self, pointer: &str) -> (Cell, Option<String>) {
        let entries: Vec<(&str, Cell, Option<&str>)> = self
            .units
            .iter()
            .map(|(u, r)| {
                let p = r.proactive.as_ref();
                let v = p
                    .and_then(|p| p.rows.get("central_procurement"))
                    .and_then(|c| c.get("amount").copied().flatten());
                let unit = p.and_then(|p| p.procurement_amount_unit.as_deref());
                (*u, v, unit)
            })
            .collect();
        let units_used: Vec<Option<&str>> = {
            let mut v: Vec<Option<&str>> = Vec::new();
            for (_, value, unit) in &entries {
                if value.is_some() && !v.contains(unit) {
                    v.push(*unit);
                }
            }
            v
        };
        let mut note = None;
        let (t, unit) = if units_used.len() <= 1 {
            let unit = units_used.first().copied().flatten().map(str::to_string);
            (total(entries.iter().map(|(u, v, _)| (*u, *v))), unit)
        } else if units_used.iter().all(Option::is_some) {
            note =
                Some("各单位采购总金额单位不同，已将以元为单位的金额换算为万元后汇总".to_string());
            let t = total(entries.iter().map(|(u, v, unit)| {
                let v = match unit {
                    Some("元") => v.map(|x| x / 10_000.0),
                    _ => *v,
                };
                (*u, v)
            }));
            (t, Some("万元".to_string()))
        } else {
            let unknown: Vec<&str> = entries
                .iter()
                .filter(|(_, v, unit)| v.is_some() && unit.is_none())
                .map(|(u, _, _)| *u)
                .collect();
            note = Some(format!(
                "部分单位未注明采购总金额的单位（元或万元），与其他单位无法相加：{}",
                unknown.join("、")
            ));
            let (_, _, contributors, missing) = total(entries.iter().map(|(u, v, _)| (*u, *v)));
            ((None, None, contributors, missing), None)
        };
        let v = self.record(TableKind::Proactive, pointer.to_string(), t);
        if let Some(c) = self.cells.get_mut(pointer) {
            c.note = note;
        }
        (v, unit)
    }

    fn requests(&mut self, generation: Generation) -> IndexMap<String, Vec<Cell>> {
        let mut rows: Vec<String> = skeleton::request_rows(generation)
            .map(|r| r.label.id.to_string())
            .collect();
        let mut width = REQUEST_COLUMNS.len();
        for (_, r) in self.units {
            if let Some(q) = &r.requests {
                for (row, cells) in q {
                    width = width.max(cells.len());
                    if !rows.contains(row) {
                        rows.push(row.clone());
                    }
                }
            }
        }
        let mut out = IndexMap::new();
        for row in rows {
            let mut cells = Vec::with_capacity(width);
            for c in 0..width {
                let units = self.units;
                let t = total(units.iter().map(|(u, r)| (*u, r.request_cell(&row, c))));
                let pointer = format!("/requests/{}/{c}", token(&row));
                cells.push(self.record(TableKind::Requests, pointer, t));
            }
            out.insert(row, cells);
        }
        out
    }

    fn reviews(&mut self) -> Reviews {
        let mut keys: Vec<(String, String)> = Vec::new();
        for g in REVIEW_GROUPS {
            for c in REVIEW_COLUMNS {
                keys.push((g.id.to_string(), c.id.to_string()));
            }
        }
        for (_, r) in self.units {
            if let Some(rv) = &r.reviews {
                for (g, cols) in &rv.groups {
                    for c in cols.keys() {
                        let key = (g.clone(), c.clone());
                        if !keys.contains(&key) {
                            keys.push(key);
                        }
                    }
                }
            }
        }
        let mut out = Reviews::default();
        for (g, c) in keys {
            let units = self.units;
            let t = total(units.iter().map(|(u, r)| {
                let v = r
                    .reviews
                    .as_ref()
                    .and_then(|rv| rv.groups.get(&g))
                    .and_then(|cols| cols.get(&c).copied().flatten());
                (*u, v)
            }));
            let pointer = format!("/reviews/{}/{}", token(&g), token(&c));
            let v = self.record(TableKind::Reviews, pointer, t);
            out.groups.entry(g).or_default().insert(c, v);
        }
        out
    }

    fn statistics(&mut self) -> Statistics2014 {
        // Per unit: matching key (label key, occurrence) → row index.
        let keyed: Vec<HashMap<(String, usize), usize>> = self
            .units
            .iter()
            .map(|(_, r)| {
                let mut seen: HashMap<String, usize> = HashMap::new();
                let mut map = HashMap::new();
                for (i, row) in r
                    .statistics_2014
                    .as_ref()
                    .map(|s| s.rows.as_slice())
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    let key = label_key(&row.label);
                    let n = seen.entry(key.clone()).or_insert(0);
                    *n += 1;
                    map.insert((key, *n), i);
                }
                map
            })
            .collect();
        // Row order: as first met, unit by unit.
        let mut order: Vec<(String, usize)> = Vec::new();
        let mut known: HashSet<(String, usize)> = HashSet::new();
        let mut width = 1;
        for (_, r) in self.units {
            let Some(s) = &r.statistics_2014 else {
                continue;
            };
            width = width.max(s.columns.len());
            let mut seen: HashMap<String, usize> = HashMap::new();
            for row in &s.rows {
                width = width.max(row.values.len());
                let key = label_key(&row.label);
                let n = seen.entry(key.clone()).or_insert(0);
                *n += 1;
                if known.insert((key.clone(), *n)) {
                    order.push((key, *n));
                }
            }
        }
        let first_columns = self
            .units
            .iter()
            .find_map(|(_, r)| r.statistics_2014.as_ref().map(|s| s.columns.clone()))
            .unwrap_or_default();
        let columns: Vec<String> = (0..width)
            .map(|i| match first_columns.get(i) {
                Some(c) => c.clone(),
                None if width == 1 => "统计数".to_string(),
                None => format!("数值{}", i + 1),
            })
            .collect();
        let mut rows = Vec::with_capacity(order.len());
        for (ri, key) in order.iter().enumerate() {
            let unit_row = |u: usize| -> Option<&StatisticsRow> {
                let i = *keyed[u].get(key)?;
                self.units[u].1.statistics_2014.as_ref()?.rows.get(i)
            };
            let first = (0..self.units.len()).find_map(unit_row);
            let label = first.map(|r| r.label.clone()).unwrap_or_default();
            let unit = (0..self.units.len())
                .filter_map(unit_row)
                .find_map(|r| r.unit.clone());
            let mut values = Vec::with_capacity(width);
            for c in 0..width {
                let t = total((0..self.units.len()).map(|u| {
                    let v = unit_row(u).and_then(|r| r.values.get(c).copied().flatten());
                    (self.units[u].0, v)
                }));
                let pointer = format!("/statistics_2014/rows/{ri}/values/{c}");
                values.push(self.record(TableKind::Statistics, pointer, t));
            }
            rows.push(StatisticsRow {
                label,
                unit,
                values,
                note: None,
            });
        }
        Statistics2014 { columns, rows }
    }
}

/// A one-line Chinese summary: `汇总12个单位（排除2个）`, for page headings and logs.
pub fn summary_zh(r: &Rollup) -> String {
    let mut s = format!(
        "{}年度，{}版格式，汇总{}个单位",
        r.year,
        r.generation.as_str(),
        r.included.len()
    );
    if !r.excluded.is_empty() {
        s.push_str(&format!("（未计入{}个）", r.excluded.len()));
    }
    let incomplete = r.incomplete().count();
    if incomplete > 0 {
        s.push_str(&format!(
            "，{}个单元格因部分单位空缺未能合计",
            fmt_num(incomplete as f64)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    /// A 2021-format report whose tables satisfy every 勾稽关系, scaled by `k`.
    fn unit_report(year: i32, k: f64) -> Report {
        let mut r = Report::new();
        r.generation = Generation::expected_for_year(year);
        r.year = Some(year);
        let mut p = Proactive::default();
        for b in skeleton::proactive_blocks(r.generation) {
            for row in b.rows {
                for col in b.columns {
                    p.rows
                        .entry(row.id.to_string())
                        .or_default()
                        .insert(col.id.to_string(), Some(k));
                }
            }
        }
        r.proactive = Some(p);
        // Columns: natural person k, commercial 2k, others 0, total 3k.
        let row = |f: f64| {
            vec![
                Some(f * k),
                Some(2.0 * f * k),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(3.0 * f * k),
            ]
        };
        let mut q = IndexMap::new();
        for r2 in skeleton::request_rows(r.generation) {
            q.insert(r2.label.id.to_string(), row(0.0));
        }
        q.insert("new_received".into(), row(5.0));
        q.insert("carried_over".into(), row(1.0));
        q.insert("disclosed".into(), row(3.0));
        q.insert("rejected_duplicate".into(), row(1.0));
        q.insert("total_handled".into(), row(4.0));
        q.insert("carried_forward".into(), row(2.0));
        r.requests = Some(q);
        let mut rv = Reviews::default();
        for g in REVIEW_GROUPS {
            let cols = rv.groups.entry(g.id.to_string()).or_default();
            for c in REVIEW_COLUMNS {
                cols.insert(c.id.to_string(), Some(0.0));
            }
        }
        let g = rv.groups.get_mut("reconsideration").unwrap();
        g.insert("upheld".into(), Some(k));
        g.insert("corrected".into(), Some(1.0));
        g.insert("total".into(), Some(k + 1.0));
        r.reviews = Some(rv);
        r
    }

    #[test]
    fn sums_consistent_units_and_stays_consistent() {
        let a = unit_report(2022, 1.0);
        let b = unit_report(2022, 3.0);
        for r in [&a, &b] {
            assert!(!crate::rules::has_error(&crate::rules::check(r)));
        }
        let roll = rollup(&[("甲局", &a), ("乙局", &b)], 2022);
        assert_eq!(roll.generation, Generation::G2021);
        assert_eq!(roll.included, ["甲局", "乙局"]);
        assert!(roll.excluded.is_empty());
        let total = roll.cell("/requests/new_received/6").unwrap();
        assert_eq!(total.value, Some(60.0)); // 15·1 + 15·3
        assert_eq!(total.contributors, 2);
        assert!(total.missing.is_empty());
        assert_eq!(
            roll.cell("/reviews/reconsideration/total").unwrap().value,
            Some(6.0)
        );
        assert_eq!(
            roll.cell("/proactive/fees/amount").unwrap().value,
            Some(4.0)
        );
        let report = roll.to_report("示例市人民政府（汇总）");
        assert_eq!(report.agency.as_deref(), Some("示例市人民政府（汇总）"));
        assert_eq!(report.year, Some(2022));
        assert_eq!(report.request_cell("carried_forward", 1), Some(16.0));
        let findings = crate::rules::check(&report);
        assert!(!crate::rules::has_error(&findings), "{findings:#?}");
        assert!(findings.iter().all(|f| f.severity != Severity::Error));
        // The JSON of the roll-up prints integers as integers.
        let json = serde_json::to_value(&roll).unwrap();
        assert_eq!(json["requests"]["new_received"][6], 60);
        assert_eq!(json["cells"]["/requests/new_received/6"]["value"], 60);
    }

    #[test]
    fn excludes_with_chinese_reasons() {
        let good = unit_report(2022, 1.0);
        let last_year = unit_report(2021, 1.0);
        let mut old_format = unit_report(2022, 1.0);
        old_format.generation = Generation::G2019;
        let mut no_table = unit_report(2022, 1.0);
        no_table.requests = None;
        let mut no_year = unit_report(2022, 1.0);
        no_year.year = None;
        let mut unknown = unit_report(2022, 1.0);
        unknown.generation = Generation::Unknown;
        let roll = rollup(
            &[
                ("甲局", &good),
                ("乙局", &last_year),
                ("丙局", &old_format),
                ("丁局", &no_table),
                ("甲局", &good),
                ("戊局", &no_year),
                ("己局", &unknown),
            ],
            2022,
        );
        assert_eq!(roll.included, ["甲局"]);
        let reasons: Vec<(&str, ExclusionReason, &str)> = roll
            .excluded
            .iter()
            .map(|e| (e.unit.as_str(), e.reason, e.message.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "乙局",
                    ExclusionReason::WrongYear,
                    "报告年度为2021年，不是2022年"
                ),
                (
                    "甲局",
                    ExclusionReason::DuplicateUnit,
                    "单位名称与前面的报告重复，未重复计入"
                ),
                ("戊局", ExclusionReason::UnknownYear, "未识别出报告年度"),
                (
                    "丙局",
                    ExclusionReason::DifferentGeneration,
                    "表格为2019版格式，汇总使用2021版格式"
                ),
                (
                    "丁局",
                    ExclusionReason::MissingTable,
                    "缺少表三（收到和处理政府信息公开申请情况）"
                ),
                (
                    "己局",
                    ExclusionReason::UnknownGeneration,
                    "未识别出表格格式"
                ),
            ]
        );
        assert_eq!(
            roll.cell("/requests/new_received/6").unwrap().value,
            Some(15.0)
        );
        assert!(summary_zh(&roll).contains("未计入6个"));
    }

    #[test]
    fn a_blank_cell_makes_the_total_absent_and_names_the_unit() {
        let a = unit_report(2022, 1.0);
        let mut b = unit_report(2022, 2.0);
        b.requests
            .as_mut()
            .unwrap()
            .get_mut("new_received")
            .unwrap()[1] = None;
        b.reviews = None;
        let roll = rollup(&[("甲局", &a), ("乙局", &b)], 2022);
        assert_eq!(roll.included.len(), 2);
        let c = roll.cell("/requests/new_received/1").unwrap();
        assert_eq!(c.value, None);
        assert_eq!(c.present_sum, Some(10.0));
        assert_eq!(c.contributors, 1);
        assert_eq!(c.missing, ["乙局"]);
        // Table 四 missing in one unit: every total of it is absent, the sum of the rest kept.
        let c = roll.cell("/reviews/reconsideration/total").unwrap();
        assert_eq!((c.value, c.present_sum), (None, Some(2.0)));
        assert_eq!(roll.incomplete().count(), 16);
        // Untouched cells still add up, and the checker finds no arithmetic error.
        assert_eq!(
            roll.cell("/requests/new_received/0").unwrap().value,
            Some(15.0)
        );
        let findings = crate::rules::check(&roll.to_report("汇总"));
        assert!(!crate::rules::has_error(&findings), "{findings:#?}");
    }

    #[test]
    fn majority_generation_when_nobody_uses_the_required_one() {
        let mut a = unit_report(2020, 1.0);
        let mut b = unit_report(2020, 1.0);
        let c = unit_report(2018, 1.0); // G2014 tables declared, but no 统计表: excluded
        a.year = Some(2018);
        b.year = Some(2018);
        let roll = rollup(&[("甲局", &a), ("乙局", &b), ("丙局", &c)], 2018);
        // 丙局 uses the required 2014 format, so it is chosen, and lacks the 统计表.
        assert_eq!(roll.generation, Generation::G2014);
        assert!(roll.included.is_empty());
        let roll = rollup(&[("甲局", &a), ("乙局", &b)], 2018);
        assert_eq!(roll.generation, Generation::G2019);
        assert!(
            roll.generation_basis.contains("多数单位（2个）"),
            "{}",
            roll.generation_basis
        );
        assert_eq!(roll.included.len(), 2);
        // Fixed explicitly.
        let roll = rollup_in(&[("甲局", &a)], 2018, Some(Generation::G2021));
        assert!(roll.included.is_empty());
        assert_eq!(
            roll.excluded[0].reason,
            ExclusionReason::DifferentGeneration
        );
    }

    #[test]
    fn procurement_amounts_in_yuan_and_wanyuan() {
        let mut a = unit_report(2020, 1.0);
        let mut b = unit_report(2020, 1.0);
        let set = |r: &mut Report, v: f64, unit: Option<&str>| {
            let p = r.proactive.as_mut().unwrap();
            p.rows
                .get_mut("central_procurement")
                .unwrap()
                .insert("amount".into(), Some(v));
            p.procurement_amount_unit = unit.map(str::to_string);
        };
        set(&mut a, 25_000.0, Some("元"));
        set(&mut b, 1.5, Some("万元"));
        let roll = rollup(&[("甲局", &a), ("乙局", &b)], 2020);
        let c = roll.cell("/proactive/central_procurement/amount").unwrap();
        assert_eq!(c.value, Some(4.0));
        assert!(c.note.as_deref().unwrap().contains("换算为万元"));
        assert_eq!(
            roll.proactive
                .as_ref()
                .unwrap()
                .procurement_amount_unit
                .as_deref(),
            Some("万元")
        );
        set(&mut b, 1.5, None);
        let roll = rollup(&[("甲局", &a), ("乙局", &b)], 2020);
        let c = roll.cell("/proactive/central_procurement/amount").unwrap();
        assert_eq!(c.value, None);
        assert!(c.note.as_deref().unwrap().contains("乙局"));
        set(&mut b, 5_000.0, Some("元"));
        let roll = rollup(&[("甲局", &a), ("乙局", &b)], 2020);
        assert_eq!(
            roll.cell("/proactive/central_procurement/amount")
                .unwrap()
                .value,
            Some(30_000.0)
        );
        assert_eq!(
            roll.to_report("汇总")
                .proactive
                .unwrap()
                .procurement_amount_unit
                .as_deref(),
            Some("元")
        );
    }

    fn stats(rows: &[(&str, Vec<Cell>)]) -> Report {
        let mut r = Report::new();
        r.generation = Generation::G2014;
        r.year = Some(2016);
        r.statistics_2014 = Some(Statistics2014 {
            columns: vec![],
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
    fn statistics_rows_are_summed_by_label() {
        let a = stats(&[
            ("（一）收到申请数", vec![Some(5.0)]),
            ("1.当面申请数", vec![Some(2.0)]),
        ]);
        let b = stats(&[
            ("1．当面申请数", vec![Some(3.0)]),
            ("(一)收到申请数", vec![Some(4.0)]),
            ("举报投诉数量", vec![Some(1.0)]),
        ]);
        let roll = rollup(&[("甲", &a), ("乙", &b)], 2016);
        let s = roll.statistics_2014.as_ref().unwrap();
        assert_eq!(s.columns, ["统计数"]);
        let labels: Vec<&str> = s.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["（一）收到申请数", "1.当面申请数", "举报投诉数量"]);
        assert_eq!(s.rows[0].values, [Some(9.0)]);
        assert_eq!(s.rows[1].values, [Some(5.0)]);
        // Only 乙 has 举报投诉数量: absent in 甲, so the total is absent.
        assert_eq!(s.rows[2].values, [None]);
        let c = roll.cell("/statistics_2014/rows/2/values/0").unwrap();
        assert_eq!(
            (c.present_sum, c.missing.as_slice()),
            (Some(1.0), ["甲".to_string()].as_slice())
        );
        assert!(!crate::rules::has_error(&crate::rules::check(
            &roll.to_report("汇总")
        )));
    }

    #[test]
    fn nothing_to_sum() {
        let roll = rollup(&[], 2023);
        assert_eq!(roll.generation, Generation::G2021);
        assert!(roll.requests.is_none() && roll.cells.is_empty());
        let r = roll.to_report("空");
        assert!(r.requests.is_none());
        serde_json::to_string(&roll).unwrap();
    }
}
