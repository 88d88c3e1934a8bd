//! # gongkai-render — a [`Report`] as JSON, Markdown, standalone HTML and DOCX
//!
//! The renderers turn the typed model of `gongkai-core` into the outputs of gongkai: three
//! text formats and a Word document ([`to_docx`]). They are pure functions (`&Report` in,
//! `String`, `serde_json::Value` or `Vec<u8>` out): no I/O, no templates, no JavaScript. Why they look the way they do:
//!
//! * **The official layout, from the skeleton.** A 信息员 or a 政务公开办 compares the output
//!   with the national format (国办公开办函〔2019〕60号 / 〔2021〕30号) line by line, so the HTML
//!   tables reproduce it cell for cell: table 三 has the three-row header with the 勾稽关系 note
//!   in the top-left corner, 申请人情况 over seven columns and 法人或其他组织 over five, and the
//!   row labels merged (三、本年度办理结果 down the whole result block, （三）不予公开 over its
//!   eight reasons, …); table 四 has 行政复议 / 行政诉讼 over 未经复议直接起诉 and 复议后起诉.
//!   Every label, row and span is computed from [`gongkai_core::skeleton`], never typed here, so
//!   a label fixed in the skeleton is fixed in every output. The Markdown output carries the same
//!   tables flattened (group labels as bold rows), for diffs, issues and chat. The DOCX output
//!   carries the same merges as real Word tables (`w:gridSpan`, `w:vMerge`), for the people
//!   who edit and print the report in Word, WPS or LibreOffice.
//! * **Nothing from a report reaches HTML unescaped.** Agency names, narrative text, statistics
//!   labels and notes, finding messages and even map keys come from documents found on the web;
//!   all of it goes through [`escape_html`] (text and attribute context alike). The page is one
//!   self-contained file with inline CSS and no script, so it can be archived, mailed or opened
//!   offline and cannot call anywhere.
//! * **Absent is not zero.** A `None` cell is rendered as an empty cell, never as `0`: a blank in
//!   the source is a blank in the output, and the findings say why. Numbers are printed with
//!   [`gongkai_core::model::fmt_num`] (integers without `.0`, amounts as written).
//! * **Findings point at cells.** A finding's `cells` are JSON pointers into the report JSON
//!   (`/requests/new_received/6`, `/reviews/reconsideration/total`,
//!   `/proactive/licensing/decisions`). The HTML renderer gives those cells `class="bad"` and a
//!   `title` with the messages (`data-severity` tells error, warning and info apart), and lists
//!   all findings after the tables. Every data cell also carries its pointer in `data-cell`, so
//!   a page can be linked back to the JSON.
//! * **No value is dropped.** Cells the official layout has no place for (an unknown row id, an
//!   eighth request column) are listed in a table of their own, by pointer.
//! * **The JSON contract is published.** [`to_json`] is exactly `Report::to_json_value`; its shape
//!   is described by `schema/gongkai.report-1.schema.json` (JSON Schema 2020-12, embedded here as
//!   [`REPORT_SCHEMA_JSON`]), findings by `schema/gongkai.finding-1.schema.json`
//!   ([`FINDING_SCHEMA_JSON`]). With the `schema-validate` feature, `validate_report_json` and
//!   `validate_finding_json` check a value against them (the CLI's corpus tests use it).

pub mod chart;
pub mod csv;
mod docx;
mod html;
mod layout;
mod markdown;
pub mod pdf;
#[cfg(feature = "schema-validate")]
mod validate;
pub mod xlsx;

pub use docx::to_docx;
pub use html::{escape_html, tables_html, to_html};
pub use markdown::to_markdown;
#[cfg(feature = "schema-validate")]
pub use validate::{validate_finding_json, validate_report_json};

use gongkai_core::Report;

/// The JSON Schema (draft 2020-12) of the `gongkai.report/1` object produced by [`to_json`].
pub const REPORT_SCHEMA_JSON: &str = include_str!("../../../schema/gongkai.report-1.schema.json");

/// The JSON Schema (draft 2020-12) of one finding as printed by `gongkai check --json`.
pub const FINDING_SCHEMA_JSON: &str = include_str!("../../../schema/gongkai.finding-1.schema.json");

/// The report in the `gongkai.report/1` JSON shape (with `central_procurement.amount_unit`).
pub fn to_json(report: &Report) -> serde_json::Value {
    report.to_json_value()
}

/// [`to_json`] as text: one line when `pretty` is false (for JSON Lines), indented otherwise.
/// Chinese text is written as UTF-8, not as `\u` escapes.
pub fn to_json_string(report: &Report, pretty: bool) -> String {
    let value = to_json(report);
    let text = if pretty {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    };
    text.expect("a serde_json::Value always serializes")
}
