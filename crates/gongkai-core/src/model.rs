//! The typed annual report and the findings attached to it, in the shape of the
//! `gongkai.report/1` JSON contract (see `schema/gongkai.report-1.schema.json`).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize, Serializer};

/// Version tag written into every report JSON object.
pub const SCHEMA_ID: &str = "gongkai.report/1";

/// Which national format the report's tables follow. Detected from table headers, never from
/// the report year (real 2018 reports use the 2019 tables; real 2022 reports still use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Generation {
    /// 《政府信息公开情况统计表》 under 国办发〔2014〕32号 and earlier local 统计表.
    #[serde(rename = "2014")]
    G2014,
    /// 《年度报告格式（试行）》, 国办公开办函〔2019〕60号.
    #[serde(rename = "2019")]
    G2019,
    /// 国办公开办函〔2021〕30号.
    #[serde(rename = "2021")]
    G2021,
    /// No table of any generation was recognised.
    #[default]
    #[serde(rename = "unknown")]
    Unknown,
}

impl Generation {
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::G2014 => "2014",
            Generation::G2019 => "2019",
            Generation::G2021 => "2021",
            Generation::Unknown => "unknown",
        }
    }

    /// The generation a report for `year` is expected to use.
    pub fn expected_for_year(year: i32) -> Generation {
        match year {
            ..=2018 => Generation::G2014,
            2019 | 2020 => Generation::G2019,
            _ => Generation::G2021,
        }
    }
}

/// A numeric cell: `None` is "no value in the source" (blank, 不涉及, "-", "/", cut off).
pub type Cell = Option<f64>;

/// Serialize a cell as a JSON integer when it is integral, so `3` is not printed as `3.0`.
pub fn serialize_cell<S: Serializer>(cell: &Cell, s: S) -> Result<S::Ok, S::Error> {
    match cell {
        None => s.serialize_none(),
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => s.serialize_i64(*v as i64),
        Some(v) => s.serialize_f64(*v),
    }
}

fn serialize_cells<S: Serializer>(cells: &[Cell], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(cells.len()))?;
    for c in cells {
        seq.serialize_element(&CellOut(*c))?;
    }
    seq.end()
}

struct CellOut(Cell);
impl Serialize for CellOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_cell(&self.0, s)
    }
}

fn serialize_row_map<S: Serializer>(
    map: &IndexMap<String, IndexMap<String, Cell>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(map.len()))?;
    for (k, row) in map {
        let inner: IndexMap<&str, CellOut> =
            row.iter().map(|(c, v)| (c.as_str(), CellOut(*v))).collect();
        m.serialize_entry(k, &inner)?;
    }
    m.end()
}

fn serialize_requests<S: Serializer>(
    map: &IndexMap<String, Vec<Cell>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    struct Row<'a>(&'a [Cell]);
    impl Serialize for Row<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize_cells(self.0, s)
        }
    }
    let mut m = s.serialize_map(Some(map.len()))?;
    for (k, v) in map {
        m.serialize_entry(k, &Row(v))?;
    }
    m.end()
}

/// Table 二 (主动公开政府信息情况): `row id → column id → cell`, ids from the skeleton of the
/// report's generation. `central_procurement` additionally carries `amount_unit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Proactive {
    #[serde(flatten, serialize_with = "serialize_row_map")]
    pub rows: IndexMap<String, IndexMap<String, Cell>>,
    /// "元" or "万元" when the report says which unit 采购总金额 is in (2019 generation).
    #[serde(skip)]
    pub procurement_amount_unit: Option<String>,
}

/// Table 四: `group id → {upheld, corrected, other, pending, total}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reviews {
    #[serde(flatten, serialize_with = "serialize_row_map")]
    pub groups: IndexMap<String, IndexMap<String, Cell>>,
}

/// One indicator row of a pre-2019 统计表, read generically.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatisticsRow {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(serialize_with = "serialize_cells")]
    pub values: Vec<Cell>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The pre-2019 统计表: its value columns (e.g. `["统计数"]`, `["2016年度", "历年累计"]`) and rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics2014 {
    pub columns: Vec<String>,
    pub rows: Vec<StatisticsRow>,
}

/// Where a value came from: the 1-based line of the decoded (or document-derived) text, the raw
/// text, and for documents the place in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub line: usize,
    pub raw: String,
    /// For documents (DOCX, PDF, spreadsheets): where the line came from, e.g. `表格 2 第 5 行`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// One annual report in the `gongkai.report/1` shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub generation: Generation,
    pub agency: Option<String>,
    pub year: Option<i32>,
    /// ISO date `YYYY-MM-DD`.
    pub published_on: Option<String>,
    /// Section numbers found, among 一 … 六.
    pub sections: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proactive: Option<Proactive>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_requests_opt"
    )]
    pub requests: Option<IndexMap<String, Vec<Cell>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Reviews>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics_2014: Option<Statistics2014>,
    pub narrative: IndexMap<String, String>,
    pub provenance: IndexMap<String, Provenance>,
}

fn serialize_requests_opt<S: Serializer>(
    v: &Option<IndexMap<String, Vec<Cell>>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(m) => serialize_requests(m, s),
        None => s.serialize_none(),
    }
}

impl Report {
    pub fn new() -> Report {
        Report {
            schema: SCHEMA_ID.to_string(),
            ..Report::default()
        }
    }

    /// A request-table cell, `None` when absent or when the table is missing.
    pub fn request_cell(&self, row: &str, col: usize) -> Cell {
        self.requests
            .as_ref()
            .and_then(|r| r.get(row))
            .and_then(|v| v.get(col).copied().flatten())
    }

    /// The inverse of [`Report::to_json_value`]: reads a `gongkai.report/1` object back (the
    /// store keeps reports as JSON), taking `central_procurement.amount_unit` out of the cells.
    pub fn from_json_value(mut value: serde_json::Value) -> Result<Report, serde_json::Error> {
        let unit = value
            .pointer_mut("/proactive/central_procurement")
            .and_then(|c| c.as_object_mut())
            .and_then(|c| c.remove("amount_unit"))
            .and_then(|u| u.as_str().map(str::to_string));
        let mut report: Report = serde_json::from_value(value)?;
        if let Some(p) = report.proactive.as_mut() {
            p.procurement_amount_unit = unit;
        }
        Ok(report)
    }

    /// The report as a `serde_json::Value` (with `central_procurement.amount_unit` merged in).
    pub fn to_json_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("report serializes");
        if let (Some(p), Some(obj)) = (&self.proactive, v.get_mut("proactive")) {
            if let (Some(unit), Some(cp)) = (
                &p.procurement_amount_unit,
                obj.get_mut("central_procurement")
                    .and_then(|c| c.as_object_mut()),
            ) {
                cp.insert(
                    "amount_unit".into(),
                    serde_json::Value::String(unit.clone()),
                );
            }
        }
        v
    }
}

/// How serious a finding is. `error` makes `gongkai check` exit with status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// A named observation about a report: a broken rule, a missing part, an unreadable cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub cells: Vec<String>,
    pub expected: Option<serde_json::Value>,
    pub found: Option<serde_json::Value>,
}

impl Finding {
    pub fn new(rule: &str, severity: Severity, message: impl Into<String>) -> Finding {
        Finding {
            source: None,
            rule: rule.to_string(),
            severity,
            message: message.into(),
            cells: Vec::new(),
            expected: None,
            found: None,
        }
    }

    pub fn with_cells(mut self, cells: impl IntoIterator<Item = String>) -> Finding {
        self.cells.extend(cells);
        self
    }

    pub fn with_values(
        mut self,
        expected: impl Into<serde_json::Value>,
        found: impl Into<serde_json::Value>,
    ) -> Finding {
        self.expected = Some(expected.into());
        self.found = Some(found.into());
        self
    }
}

/// Format a number the way it is printed in a report: integers without a decimal point.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A cell as a JSON value (integers as integers).
pub fn cell_json(c: Cell) -> serde_json::Value {
    match c {
        None => serde_json::Value::Null,
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => serde_json::json!(v as i64),
        Some(v) => serde_json::json!(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_json_round_trips_with_amount_unit() {
        let mut report = Report::new();
        report.generation = Generation::G2019;
        report.year = Some(2020);
        let mut proactive = Proactive::default();
        let mut cp = IndexMap::new();
        cp.insert("items".to_string(), Some(3.0));
        cp.insert("amount".to_string(), Some(12.5));
        proactive.rows.insert("central_procurement".into(), cp);
        proactive.procurement_amount_unit = Some("万元".into());
        report.proactive = Some(proactive);
        let mut requests = IndexMap::new();
        requests.insert("new_received".to_string(), vec![Some(1.0), None, Some(2.0)]);
        report.requests = Some(requests);
        let value = report.to_json_value();
        assert_eq!(
            value["proactive"]["central_procurement"]["amount_unit"],
            "万元"
        );
        let back = Report::from_json_value(value).unwrap();
        assert_eq!(back, report);
    }
}
