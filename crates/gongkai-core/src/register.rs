//! The agency's register beyond requests — appeals (行政复议, 行政诉讼) and publications with the
//! entered counts behind table 二 — and the generation of a year's annual report from it.
//!
//! # How the tables are computed ([`generate_report`])
//!
//! **Table 三** (per applicant type column, 总计 = sum of the six columns). For report year Y:
//!
//! * `carried_over` (上年结转): received before Y-01-01 and not concluded before Y-01-01;
//! * `new_received` (本年新收): received in Y (the original receipt date, even when a 补正 later
//!   restarted the reply period);
//! * outcome rows: concluded in Y, by [`Outcome`] — answered, deemed abandoned (逾期不补正 →
//!   （六）1, 逾期未缴费 → （六）2) or **withdrawn (counted as （六）3 其他)**; for 2019–2020
//!   reports the three （六） rows are the single row `other`;
//! * `total_handled` ((七)总计): the sum of the outcome rows;
//! * `carried_forward` (结转下年度): received by Y-12-31 and not concluded by Y-12-31.
//!
//! Every request received by the end of Y and not concluded before Y is counted exactly once on
//! each side, so new_received + carried_over = total_handled + carried_forward holds by
//! construction, column by column, and this year's carried_over equals last year's
//! carried_forward.
//!
//! **Table 四**: an appeal appears in year Y's table when it was decided in Y (column by its
//! result: 维持 / 纠正 / 其他) or was filed by Y-12-31 and not decided by then (尚未审结). A case
//! still pending at several year ends is 尚未审结 in each of those years; 总计 is the sum of the
//! four columns.
//!
//! **Table 二** comes from [`ProactiveCounts`]: the 规章 / 行政规范性文件 figures can be derived
//! from the publication register ([`ProactiveCounts::from_publications`]: issued in Y, repealed in
//! Y, in force at Y-12-31) and the other figures are entered by the 信息员; entered figures win
//! ([`ProactiveCounts::overridden_by`]). A figure nobody entered stays blank (`None`), never 0.
//!
//! The narrative sections 一 to 六 are drafted from the same figures, with 【】 marking the places
//! the 信息员 should complete.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::fees::Yuan;
use crate::lifecycle::{Clock, Outcome, Request, RequestId};
use crate::model::{Cell, Generation, Proactive, Report, Reviews};
use crate::skeleton::{self, REVIEW_COLUMNS, REVIEW_GROUPS};

/// What [`generate_report`] reads about a request: the register's request itself.
pub type RequestRecord = Request;

/// Errors of the register.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("只能生成2019年度及以后的年度报告（{0}年度使用2014年《政府信息公开情况统计表》格式，不由登记簿生成）")]
    UnsupportedYear(i32),
    #[error("{year}年超出可处理的年份范围")]
    YearOutOfRange { year: i32 },
    #[error("行政复议/诉讼案件“{id}”：{reason}")]
    InvalidAppeal { id: String, reason: String },
    #[error("政府信息公开申请“{id}”：{reason}")]
    InvalidRequest { id: String, reason: String },
    #[error("公开文件“{id}”：{reason}")]
    InvalidPublication { id: String, reason: String },
}

// ---------------------------------------------------------------------------------------------
// Appeals

/// Kind of proceeding, the three groups of table 四.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealKind {
    /// 行政复议
    Reconsideration,
    /// 行政诉讼 — 未经复议直接起诉
    LitigationDirect,
    /// 行政诉讼 — 复议后起诉
    LitigationAfterReconsideration,
}

impl AppealKind {
    pub const ALL: [AppealKind; 3] = [
        AppealKind::Reconsideration,
        AppealKind::LitigationDirect,
        AppealKind::LitigationAfterReconsideration,
    ];

    /// Group id of table 四.
    pub fn id(self) -> &'static str {
        REVIEW_GROUPS[self as usize].id
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AppealKind::Reconsideration => "行政复议",
            AppealKind::LitigationDirect => "行政诉讼（未经复议直接起诉）",
            AppealKind::LitigationAfterReconsideration => "行政诉讼（复议后起诉）",
        }
    }
}

/// Result of an appeal, the columns of table 四 (less 总计).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// 结果维持
    Upheld,
    /// 结果纠正
    Corrected,
    /// 其他结果
    Other,
    /// 尚未审结
    Pending,
}

impl AppealOutcome {
    pub const ALL: [AppealOutcome; 4] = [
        AppealOutcome::Upheld,
        AppealOutcome::Corrected,
        AppealOutcome::Other,
        AppealOutcome::Pending,
    ];

    /// Column id of table 四.
    pub fn id(self) -> &'static str {
        REVIEW_COLUMNS[self as usize].id
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AppealOutcome::Upheld => "维持",
            AppealOutcome::Corrected => "纠正",
            AppealOutcome::Other => "其他",
            AppealOutcome::Pending => "尚未审结",
        }
    }
}

/// A 行政复议 or 行政诉讼 case about the agency's OGI work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub id: String,
    pub kind: AppealKind,
    /// The request the case is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// For 复议后起诉: the reconsideration it follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
    pub filed_on: Date,
    /// `Pending` until decided.
    pub outcome: AppealOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Appeal {
    /// A pending case.
    pub fn new(
        id: impl Into<String>,
        kind: AppealKind,
        request_id: Option<RequestId>,
        filed_on: Date,
    ) -> Appeal {
        Appeal {
            id: id.into(),
            kind,
            request_id,
            follows: None,
            filed_on,
            outcome: AppealOutcome::Pending,
            decided_on: None,
            note: None,
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> RegisterError {
        RegisterError::InvalidAppeal {
            id: self.id.clone(),
            reason: reason.into(),
        }
    }

    /// Record the decision. On error nothing changes.
    pub fn decide(&mut self, on: Date, outcome: AppealOutcome) -> Result<(), RegisterError> {
        if outcome == AppealOutcome::Pending {
            return Err(self.invalid("审结结果只能是维持、纠正或其他"));
        }
        if let Some(d) = self.decided_on {
            return Err(self.invalid(format!(
                "已于{d}审结（{}），不能再次登记审结",
                self.outcome.label_zh()
            )));
        }
        if on < self.filed_on {
            return Err(self.invalid(format!("审结日期{on}早于立案日期{}", self.filed_on)));
        }
        self.decided_on = Some(on);
        self.outcome = outcome;
        Ok(())
    }

    /// Check a case read back from storage.
    pub fn validate(&self) -> Result<(), RegisterError> {
        match (self.outcome, self.decided_on) {
            (AppealOutcome::Pending, Some(d)) => {
                Err(self.invalid(format!("登记了审结日期{d}，但结果为尚未审结")))
            }
            (AppealOutcome::Pending, None) => Ok(()),
            (o, None) => Err(self.invalid(format!("结果为{}，但没有审结日期", o.label_zh()))),
            (_, Some(d)) if d < self.filed_on => {
                Err(self.invalid(format!("审结日期{d}早于立案日期{}", self.filed_on)))
            }
            _ => Ok(()),
        }
    }

    /// The column this case occupies in the table of the year ending `year_end`, if any.
    pub fn column_for_year(&self, year_start: Date, year_end: Date) -> Option<AppealOutcome> {
        if self.filed_on > year_end {
            return None;
        }
        match self.decided_on {
            Some(d) if d < year_start => None,
            Some(d) if d <= year_end => Some(self.outcome),
            _ => Some(AppealOutcome::Pending),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Publications and table 二

/// Kind of a published document for table 二 第二十条第（一）项.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationKind {
    /// 规章
    Regulation,
    /// 行政规范性文件
    NormativeDocument,
    /// any other proactively published information
    Other,
}

/// A proactively published document of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub id: String,
    pub title: String,
    pub kind: PublicationKind,
    /// 文号
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// 索引号
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_number: Option<String>,
    /// Catalog category (主动公开目录分类).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// 成文/制发日期
    pub issued_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<Date>,
    /// 废止/失效日期
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repealed_on: Option<Date>,
}

impl Publication {
    pub fn validate(&self) -> Result<(), RegisterError> {
        let invalid = |reason: String| RegisterError::InvalidPublication {
            id: self.id.clone(),
            reason,
        };
        if let Some(r) = self.repealed_on {
            if r < self.issued_on {
                return Err(invalid(format!(
                    "废止日期{r}早于制发日期{}",
                    self.issued_on
                )));
            }
        }
        if let Some(p) = self.published_on {
            if p < self.issued_on {
                return Err(invalid(format!(
                    "公开日期{p}早于制发日期{}",
                    self.issued_on
                )));
            }
        }
        Ok(())
    }
}

/// 规章 / 规范性文件 figures (2021: issued, repealed, in_force; 2019: made = issued,
/// published, total_public = in_force).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentCounts {
    pub issued: Option<u64>,
    pub repealed: Option<u64>,
    pub in_force: Option<u64>,
    /// 2019 format only: 本年新公开数量.
    pub published: Option<u64>,
}

/// 许可 / 处罚 / 强制 / 其他对外管理服务 figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemCounts {
    /// 本年处理决定数量
    pub decisions: Option<u64>,
    /// 2019 format only: 上一年项目数量
    pub previous_items: Option<u64>,
    /// 2019 format only: 本年增/减
    pub change: Option<i64>,
}

/// 行政事业性收费 figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeeItemCounts {
    /// 2021: 本年收费金额（万元）
    pub amount_wan: Option<f64>,
    /// 2019 format only
    pub previous_items: Option<u64>,
    pub change: Option<i64>,
}

/// 政府集中采购 (2019 format only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcurementCounts {
    pub items: Option<u64>,
    pub amount: Option<f64>,
    /// "元" or "万元".
    pub amount_unit: Option<String>,
}

/// The figures of table 二 for one year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProactiveCounts {
    pub regulations: DocumentCounts,
    pub normative_documents: DocumentCounts,
    pub licensing: ItemCounts,
    /// 2019 format only: 其他对外管理服务事项
    pub other_services: ItemCounts,
    pub penalty: ItemCounts,
    pub enforcement: ItemCounts,
    pub fees: FeeItemCounts,
    pub central_procurement: ProcurementCounts,
}

fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
    b.clone().or_else(|| a.clone())
}

impl ProactiveCounts {
    /// 规章 and 行政规范性文件 figures of `year` from the publication register: issued in the
    /// year, repealed in the year, in force at the year end (issued by then and not repealed by
    /// then); 2019's 本年新公开数量 counts those published in the year.
    pub fn from_publications(
        year: i32,
        publications: &[Publication],
    ) -> Result<ProactiveCounts, RegisterError> {
        let (start, end) =
            Date::year_bounds(year).map_err(|_| RegisterError::YearOutOfRange { year })?;
        let mut out = ProactiveCounts::default();
        for kind in [
            PublicationKind::Regulation,
            PublicationKind::NormativeDocument,
        ] {
            let mut c = DocumentCounts {
                issued: Some(0),
                repealed: Some(0),
                in_force: Some(0),
                published: Some(0),
            };
            for p in publications.iter().filter(|p| p.kind == kind) {
                p.validate()?;
                let within = |d: Date| d >= start && d <= end;
                if within(p.issued_on) {
                    *c.issued.get_or_insert(0) += 1;
                }
                if p.published_on.is_some_and(within) {
                    *c.published.get_or_insert(0) += 1;
                }
                if p.repealed_on.is_some_and(within) {
                    *c.repealed.get_or_insert(0) += 1;
                }
                if p.issued_on <= end && p.repealed_on.is_none_or(|r| r > end) {
                    *c.in_force.get_or_insert(0) += 1;
                }
            }
            match kind {
                PublicationKind::Regulation => out.regulations = c,
                _ => out.normative_documents = c,
            }
        }
        Ok(out)
    }

    /// `self` with every figure `entered` has replaced by the entered one.
    pub fn overridden_by(&self, entered: &ProactiveCounts) -> ProactiveCounts {
        let doc = |a: &DocumentCounts, b: &DocumentCounts| DocumentCounts {
            issued: pick(&a.issued, &b.issued),
            repealed: pick(&a.repealed, &b.repealed),
            in_force: pick(&a.in_force, &b.in_force),
            published: pick(&a.published, &b.published),
        };
        let item = |a: &ItemCounts, b: &ItemCounts| ItemCounts {
            decisions: pick(&a.decisions, &b.decisions),
            previous_items: pick(&a.previous_items, &b.previous_items),
            change: pick(&a.change, &b.change),
        };
        ProactiveCounts {
            regulations: doc(&self.regulations, &entered.regulations),
            normative_documents: doc(&self.normative_documents, &entered.normative_documents),
            licensing: item(&self.licensing, &entered.licensing),
            other_services: item(&self.other_services, &entered.other_services),
            penalty: item(&self.penalty, &entered.penalty),
            enforcement: item(&self.enforcement, &entered.enforcement),
            fees: FeeItemCounts {
                amount_wan: pick(&self.fees.amount_wan, &entered.fees.amount_wan),
                previous_items: pick(&self.fees.previous_items, &entered.fees.previous_items),
                change: pick(&self.fees.change, &entered.fees.change),
            },
            central_procurement: ProcurementCounts {
                items: pick(
                    &self.central_procurement.items,
                    &entered.central_procurement.items,
                ),
                amount: pick(
                    &self.central_procurement.amount,
                    &entered.central_procurement.amount,
                ),
                amount_unit: pick(
                    &self.central_procurement.amount_unit,
                    &entered.central_procurement.amount_unit,
                ),
            },
        }
    }

    /// Table 二 in the model's shape for `generation` (2021 or 2019).
    pub fn to_proactive(&self, generation: Generation) -> Proactive {
        let n = |v: Option<u64>| v.map(|x| x as f64);
        let s = |v: Option<i64>| v.map(|x| x as f64);
        let mut rows: IndexMap<String, IndexMap<String, Cell>> = IndexMap::new();
        let mut put = |row: &str, cells: Vec<(&str, Cell)>| {
            rows.insert(
                row.to_string(),
                cells.into_iter().map(|(c, v)| (c.to_string(), v)).collect(),
            );
        };
        let mut unit = None;
        match generation {
            Generation::G2019 => {
                for (id, d) in [
                    ("regulations", &self.regulations),
                    ("normative_documents", &self.normative_documents),
                ] {
                    put(
                        id,
                        vec![
                            ("made", n(d.issued)),
                            ("published", n(d.published)),
                            ("total_public", n(d.in_force)),
                        ],
                    );
                }
                for (id, i) in [
                    ("licensing", &self.licensing),
                    ("other_services", &self.other_services),
                    ("penalty", &self.penalty),
                    ("enforcement", &self.enforcement),
                ] {
                    put(
                        id,
                        vec![
                            ("previous_items", n(i.previous_items)),
                            ("change", s(i.change)),
                            ("decisions", n(i.decisions)),
                        ],
                    );
                }
                put(
                    "fees",
                    vec![
                        ("previous_items", n(self.fees.previous_items)),
                        ("change", s(self.fees.change)),
                    ],
                );
                put(
                    "central_procurement",
                    vec![
                        ("items", n(self.central_procurement.items)),
                        ("amount", self.central_procurement.amount),
                    ],
                );
                unit = self.central_procurement.amount_unit.clone();
            }
            _ => {
                for (id, d) in [
                    ("regulations", &self.regulations),
                    ("normative_documents", &self.normative_documents),
                ] {
                    put(
                        id,
                        vec![
                            ("issued", n(d.issued)),
                            ("repealed", n(d.repealed)),
                            ("in_force", n(d.in_force)),
                        ],
                    );
                }
                for (id, i) in [
                    ("licensing", &self.licensing),
                    ("penalty", &self.penalty),
                    ("enforcement", &self.enforcement),
                ] {
                    put(id, vec![("decisions", n(i.decisions))]);
                }
                put("fees", vec![("amount", self.fees.amount_wan)]);
            }
        }
        Proactive {
            rows,
            procurement_amount_unit: unit,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table 三 and 四 tallies

/// Which table-三 row a request contributes to, besides new_received / carried_over.
fn outcome_row(o: Outcome, generation: Generation) -> &'static str {
    o.row_id(generation)
}

/// Table 三 of `year` from the requests (`row id → 7 cells`, rows of `generation` in order).
pub fn request_table(
    year: i32,
    generation: Generation,
    requests: &[RequestRecord],
) -> Result<IndexMap<String, Vec<Cell>>, RegisterError> {
    let (start, end) =
        Date::year_bounds(year).map_err(|_| RegisterError::YearOutOfRange { year })?;
    let rows: Vec<&str> = skeleton::request_rows(generation)
        .map(|r| r.label.id)
        .collect();
    let mut counts: IndexMap<&str, [u64; 6]> = rows.iter().map(|r| (*r, [0u64; 6])).collect();
    let mut bump = |row: &str, col: usize| {
        if let Some(c) = counts.get_mut(row) {
            c[col] += 1;
        }
    };
    for r in requests {
        validate_request(r)?;
        let col = r.applicant.kind.column();
        if r.received_on > end {
            continue;
        }
        let concluded = r.concluded();
        if concluded.is_some_and(|(d, _)| d < start) {
            continue;
        }
        if r.received_on < start {
            bump("carried_over", col);
        } else {
            bump("new_received", col);
        }
        match concluded {
            Some((d, o)) if d <= end => {
                bump(outcome_row(o, generation), col);
                bump("total_handled", col);
            }
            _ => bump("carried_forward", col),
        }
    }
    Ok(counts
        .into_iter()
        .map(|(row, c)| {
            let mut cells: Vec<Cell> = c.iter().map(|v| Some(*v as f64)).collect();
            cells.push(Some(c.iter().sum::<u64>() as f64));
            (row.to_string(), cells)
        })
        .collect())
}

fn validate_request(r: &RequestRecord) -> Result<(), RegisterError> {
    let invalid = |reason: String| RegisterError::InvalidRequest {
        id: r.id.0.clone(),
        reason,
    };
    match (r.concluded_on, r.outcome, r.status.is_open()) {
        (Some(d), Some(_), false) if d < r.received_on => Err(invalid(format!(
            "办结日期{d}早于收到申请日期{}",
            r.received_on
        ))),
        (Some(_), Some(_), false) | (None, None, true) => Ok(()),
        _ => Err(invalid(format!(
            "状态“{}”与办理结果、办结日期不一致",
            r.status.label_zh()
        ))),
    }
}

/// Table 四 of `year` from the appeals.
pub fn review_table(year: i32, appeals: &[Appeal]) -> Result<Reviews, RegisterError> {
    let (start, end) =
        Date::year_bounds(year).map_err(|_| RegisterError::YearOutOfRange { year })?;
    let mut counts = [[0u64; 4]; 3];
    for a in appeals {
        a.validate()?;
        if let Some(col) = a.column_for_year(start, end) {
            counts[a.kind as usize][col as usize] += 1;
        }
    }
    let mut groups = IndexMap::new();
    for kind in AppealKind::ALL {
        let c = counts[kind as usize];
        let mut cols: IndexMap<String, Cell> = AppealOutcome::ALL
            .iter()
            .map(|o| (o.id().to_string(), Some(c[*o as usize] as f64)))
            .collect();
        cols.insert("total".into(), Some(c.iter().sum::<u64>() as f64));
        groups.insert(kind.id().to_string(), cols);
    }
    Ok(Reviews { groups })
}

/// The 1-based position of request `id` among the requests of the same applicant
/// ([`crate::lifecycle::Applicant::key`]) received in the same calendar month, ordered by receipt
/// date then id: the `nth_in_month` of a 按件 fee. `None` when `id` is not in `requests`.
pub fn nth_request_in_month(requests: &[RequestRecord], id: &RequestId) -> Option<u32> {
    let this = requests.iter().find(|r| &r.id == id)?;
    let key = this.applicant.key();
    let (y, m) = (this.received_on.year(), this.received_on.month());
    let n = requests
        .iter()
        .filter(|r| {
            r.applicant.key() == key
                && r.received_on.year() == y
                && r.received_on.month() == m
                && (r.received_on, &r.id) <= (this.received_on, &this.id)
        })
        .count();
    Some(n as u32)
}

// ---------------------------------------------------------------------------------------------
// Generation

/// Figures of the year beyond the tables, used by the narrative.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearFacts {
    /// Requests concluded in the year after their due date.
    pub concluded_late: u64,
    /// Requests concluded in the year whose period was extended.
    pub extended: u64,
    /// Requests with a consultation started in the year.
    pub consulted: u64,
    /// 补正 notices of the year.
    pub corrections: u64,
    /// 信息处理费 paid in the year: number of requests and amount.
    pub fees_paid_count: u64,
    pub fees_paid: Yuan,
}

/// The narrative figures of `year` from the requests.
pub fn year_facts(year: i32, requests: &[RequestRecord]) -> Result<YearFacts, RegisterError> {
    let (start, end) =
        Date::year_bounds(year).map_err(|_| RegisterError::YearOutOfRange { year })?;
    let within = |d: Date| d >= start && d <= end;
    let mut f = YearFacts::default();
    for r in requests {
        if let Some((d, _)) = r.concluded() {
            if within(d) {
                if let Clock::Stopped {
                    on_time: Some(false),
                    ..
                } = r.clock
                {
                    f.concluded_late += 1;
                }
                if r.extension.is_some() {
                    f.extended += 1;
                }
            }
        }
        if r.consultations.iter().any(|c| within(c.started_on)) {
            f.consulted += 1;
        }
        if r.correction
            .as_ref()
            .is_some_and(|c| within(c.requested_on))
        {
            f.corrections += 1;
        }
        if let Some(fee) = &r.fee {
            if fee.paid_on.is_some_and(within) {
                f.fees_paid_count += 1;
                f.fees_paid = f.fees_paid.saturating_add(fee.calculation.amount);
            }
        }
    }
    Ok(f)
}

/// The annual report of `year` computed from the register: 2021 format from 2021 on, 2019
/// format for 2019 and 2020. Tables are exact; the narrative is a draft.
pub fn generate_report(
    year: i32,
    agency: &str,
    requests: &[RequestRecord],
    appeals: &[Appeal],
    proactive: &ProactiveCounts,
) -> Result<Report, RegisterError> {
    let generation = match year {
        ..=2018 => return Err(RegisterError::UnsupportedYear(year)),
        2019 | 2020 => Generation::G2019,
        _ => Generation::G2021,
    };
    if year > crate::date::MAX_YEAR {
        return Err(RegisterError::YearOutOfRange { year });
    }
    let requests_table = request_table(year, generation, requests)?;
    let reviews = review_table(year, appeals)?;
    let facts = year_facts(year, requests)?;
    let mut report = Report::new();
    report.generation = generation;
    report.agency = Some(agency.to_string());
    report.year = Some(year);
    report.sections = skeleton::SECTIONS
        .iter()
        .map(|(n, _, _)| n.to_string())
        .collect();
    report.proactive = Some(proactive.to_proactive(generation));
    report.requests = Some(requests_table);
    report.reviews = Some(reviews);
    report.narrative = draft_narrative(&report, proactive, &facts);
    Ok(report)
}

fn fig(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "【 】".into())
}

fn wan(v: f64) -> String {
    crate::model::fmt_num((v * 10_000.0).round() / 10_000.0)
}

/// Draft sections 一 … 六 from the report's figures.
fn draft_narrative(
    report: &Report,
    p: &ProactiveCounts,
    facts: &YearFacts,
) -> IndexMap<String, String> {
    let year = report.year.unwrap_or_default();
    let agency = report.agency.clone().unwrap_or_default();
    let total = |row: &str| report.request_cell(row, 6).unwrap_or(0.0) as u64;
    let person = |row: &str| report.request_cell(row, 0).unwrap_or(0.0) as u64;
    let group_sum = |rows: &[&str]| rows.iter().map(|r| total(r)).sum::<u64>();
    let outcomes: Vec<Outcome> = Outcome::ALL.to_vec();
    let sum_group = |g: &str| -> u64 {
        let ids: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.group_zh() == g)
            .map(|o| o.row_id(report.generation))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        group_sum(&ids)
    };
    let review = |g: &str, c: &str| {
        report
            .reviews
            .as_ref()
            .and_then(|r| r.groups.get(g))
            .and_then(|cols| cols.get(c).copied().flatten())
            .unwrap_or(0.0) as u64
    };
    let new_received = total("new_received");
    let handled = total("total_handled");
    let forward = total("carried_forward");
    let reconsideration = review("reconsideration", "total");
    let litigation =
        review("litigation_direct", "total") + review("litigation_after_reconsideration", "total");

    let mut n = IndexMap::new();
    n.insert(
        "一".to_string(),
        format!(
            "{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，【请补充本年度政府信息公开工作的主要举措】。\
本年度新收政府信息公开申请{new_received}件，上年结转{}件，办结{handled}件，结转下年度继续办理{forward}件；\
因政府信息公开工作被申请行政复议{reconsideration}件、被提起行政诉讼{litigation}件。",
            total("carried_over")
        ),
    );
    let regs = &p.regulations;
    let norms = &p.normative_documents;
    let second = if report.generation == Generation::G2019 {
        format!(
            "本年度新制作规章{}件、规范性文件{}件，对外公开规章{}件、规范性文件{}件；\
行政许可处理决定{}件，行政处罚处理决定{}件，行政强制处理决定{}件。【请补充主动公开的渠道和重点领域信息】",
            fig(regs.issued),
            fig(norms.issued),
            fig(regs.in_force),
            fig(norms.in_force),
            fig(p.licensing.decisions),
            fig(p.penalty.decisions),
            fig(p.enforcement.decisions)
        )
    } else {
        format!(
            "本年度制发规章{}件、废止{}件，现行有效{}件；制发行政规范性文件{}件、废止{}件，现行有效{}件。\
作出行政许可处理决定{}件，行政处罚处理决定{}件，行政强制处理决定{}件；行政事业性收费金额{}万元。【请补充主动公开的渠道和重点领域信息】",
            fig(regs.issued),
            fig(regs.repealed),
            fig(regs.in_force),
            fig(norms.issued),
            fig(norms.repealed),
            fig(norms.in_force),
            fig(p.licensing.decisions),
            fig(p.penalty.decisions),
            fig(p.enforcement.decisions),
            p.fees
                .amount_wan
                .map(wan)
                .unwrap_or_else(|| "【 】".into())
        )
    };
    n.insert("二".to_string(), second);
    let mut third = format!(
        "本年度新收政府信息公开申请{new_received}件（其中自然人{}件、法人或其他组织{}件），上年结转{}件。\
办理结果：予以公开{}件，部分公开{}件，不予公开{}件，无法提供{}件，不予处理{}件，其他处理{}件，共计{handled}件；\
结转下年度继续办理{forward}件。",
        person("new_received"),
        new_received - person("new_received").min(new_received),
        total("carried_over"),
        sum_group("予以公开"),
        sum_group("部分公开"),
        sum_group("不予公开"),
        sum_group("无法提供"),
        sum_group("不予处理"),
        sum_group("其他处理"),
    );
    if facts.corrections + facts.consulted + facts.extended > 0 {
        third.push_str(&format!(
            "办理中告知补正{}件，征求第三方或其他机关意见{}件，经批准延长答复期限{}件。",
            facts.corrections, facts.consulted, facts.extended
        ));
    }
    if handled > 0 {
        if facts.concluded_late == 0 {
            third.push_str("所有申请均在法定期限内答复。");
        } else {
            third.push_str(&format!(
                "有{}件申请超过法定期限答复。",
                facts.concluded_late
            ));
        }
    }
    n.insert("三".to_string(), third);
    let group_text = |g: &str, label: &str| {
        format!(
            "{label}{}件（结果维持{}件、结果纠正{}件、其他结果{}件、尚未审结{}件）",
            review(g, "total"),
            review(g, "upheld"),
            review(g, "corrected"),
            review(g, "other"),
            review(g, "pending")
        )
    };
    n.insert(
        "四".to_string(),
        format!(
            "本年度因政府信息公开工作被申请{}；被提起行政诉讼中，{}，{}。",
            group_text("reconsideration", "行政复议"),
            group_text("litigation_direct", "未经复议直接起诉"),
            group_text("litigation_after_reconsideration", "复议后起诉")
        ),
    );
    let mut fifth = String::from("【请填写本年度政府信息公开工作存在的主要问题及改进措施】");
    if facts.concluded_late > 0 {
        fifth.push_str(&format!(
            "本年度有{}件依申请公开事项超过法定期限答复，下一步将加强办理时限管理。",
            facts.concluded_late
        ));
    }
    n.insert("五".to_string(), fifth);
    let sixth = if facts.fees_paid_count == 0 {
        format!("{year}年度未收取信息处理费。【请补充其他需要报告的事项】")
    } else {
        format!(
            "{year}年度依据《政府信息公开信息处理费管理办法》收取信息处理费{}件，共计{}。【请补充其他需要报告的事项】",
            facts.fees_paid_count, facts.fees_paid
        )
    };
    n.insert("六".to_string(), sixth);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn appeal_decisions_are_validated() {
        let mut a = Appeal::new("FY-1", AppealKind::Reconsideration, None, d("2024-03-01"));
        assert!(a.decide(d("2024-02-01"), AppealOutcome::Upheld).is_err());
        assert!(a.decide(d("2024-05-01"), AppealOutcome::Pending).is_err());
        assert_eq!(a.outcome, AppealOutcome::Pending);
        a.decide(d("2024-05-01"), AppealOutcome::Corrected).unwrap();
        let err = a
            .decide(d("2024-06-01"), AppealOutcome::Upheld)
            .unwrap_err();
        assert!(err.to_string().contains("已于2024-05-01审结"), "{err}");
        assert_eq!(a.outcome, AppealOutcome::Corrected);
        let (s, e) = Date::year_bounds(2024).unwrap();
        assert_eq!(a.column_for_year(s, e), Some(AppealOutcome::Corrected));
        let (s, e) = Date::year_bounds(2025).unwrap();
        assert_eq!(a.column_for_year(s, e), None);
        let (s, e) = Date::year_bounds(2023).unwrap();
        assert_eq!(a.column_for_year(s, e), None);
        let mut bad = a.clone();
        bad.decided_on = None;
        assert!(bad.validate().is_err());
    }

    #[test]
    fn publications_give_table_two() {
        let p = |id: &str, kind, issued: &str, repealed: Option<&str>| Publication {
            id: id.into(),
            title: id.into(),
            kind,
            doc_number: None,
            index_number: None,
            category: None,
            issued_on: d(issued),
            published_on: Some(d(issued)),
            repealed_on: repealed.map(d),
        };
        let pubs = vec![
            p("a", PublicationKind::NormativeDocument, "2020-05-01", None),
            p(
                "b",
                PublicationKind::NormativeDocument,
                "2021-05-01",
                Some("2024-03-01"),
            ),
            p("c", PublicationKind::NormativeDocument, "2024-06-01", None),
            p(
                "d",
                PublicationKind::Regulation,
                "2024-06-01",
                Some("2025-01-01"),
            ),
            p("e", PublicationKind::Other, "2024-06-01", None),
        ];
        let c = ProactiveCounts::from_publications(2024, &pubs).unwrap();
        assert_eq!(c.normative_documents.issued, Some(1));
        assert_eq!(c.normative_documents.repealed, Some(1));
        assert_eq!(c.normative_documents.in_force, Some(2));
        assert_eq!(c.regulations.issued, Some(1));
        assert_eq!(c.regulations.in_force, Some(1));
        let entered = ProactiveCounts {
            normative_documents: DocumentCounts {
                in_force: Some(40),
                ..Default::default()
            },
            licensing: ItemCounts {
                decisions: Some(362),
                ..Default::default()
            },
            ..Default::default()
        };
        let merged = c.overridden_by(&entered);
        assert_eq!(merged.normative_documents.in_force, Some(40));
        assert_eq!(merged.normative_documents.issued, Some(1));
        assert_eq!(merged.licensing.decisions, Some(362));
        let table = merged.to_proactive(Generation::G2021);
        assert_eq!(table.rows["licensing"]["decisions"], Some(362.0));
        assert_eq!(table.rows["penalty"]["decisions"], None);
        let mut bad = pubs[0].clone();
        bad.repealed_on = Some(d("2019-01-01"));
        assert!(ProactiveCounts::from_publications(2024, &[bad]).is_err());
    }

    #[test]
    fn years_before_2019_are_refused() {
        let err = generate_report(2018, "某局", &[], &[], &ProactiveCounts::default()).unwrap_err();
        assert_eq!(err, RegisterError::UnsupportedYear(2018));
        let r = generate_report(2020, "某局", &[], &[], &ProactiveCounts::default()).unwrap();
        assert_eq!(r.generation, Generation::G2019);
        assert!(r.requests.as_ref().unwrap().contains_key("other"));
        let r = generate_report(2021, "某局", &[], &[], &ProactiveCounts::default()).unwrap();
        assert!(r.requests.as_ref().unwrap().contains_key("other_misc"));
        assert!(crate::rules::check(&r)
            .iter()
            .all(|f| f.severity != crate::Severity::Error));
    }
}
