//! # gongkai-core — the 政府信息公开工作年度报告 as data, and the rules it must obey
//!
//! Every Chinese government body publishes a yearly open-government-information report in a
//! national format. Three format *generations* exist (`2014` 统计表, `2019` 试行格式, `2021`
//! 国办公开办函〔2021〕30号); this crate models all three in one [`Report`] type.
//!
//! Why the design looks the way it does:
//!
//! * **Skeletons are data** ([`skeleton`]). Row and column labels, their known variants
//!   (typos such as 不分公开, truncations such as 本年新, 商业机构 for 商业企业, traditional
//!   characters) and units are declared once. The parser matches against them, the checker
//!   iterates over them and the renderers lay tables out from them, so a new label variant is a
//!   one-line change that every consumer sees.
//! * **Absent is not zero.** A cell is `Option<f64>`: `None` means blank, 不涉及, "-", "/", or
//!   not present in the source. Checks skip absent cells instead of treating them as zero, and
//!   the parser never invents a value; it attaches a [`Finding`] explaining why a cell is `None`.
//! * **No I/O.** Decoding bytes lives in `gongkai-ingest`, output formats in `gongkai-render`.
//!   This crate is pure functions over values, so it is cheap to test and to fuzz.
//! * **Rules have stable ids** ([`rules`]): `requests.balance`, `reviews.group_total`, … Each
//!   finding names its rule, severity, the cells involved as JSON pointers into the report
//!   JSON, the expected and found values, and a message a 信息员 understands.

pub mod calendar;
pub mod compare;
pub mod date;
pub mod fees;
pub mod lifecycle;
pub mod model;
pub mod normalize;
pub mod register;
pub mod rollup;
pub mod rules;
pub mod similarity;
pub mod skeleton;

pub use model::{
    Finding, Generation, Proactive, Provenance, Report, Reviews, Severity, Statistics2014,
    StatisticsRow, SCHEMA_ID,
};
