//! Snapshot tests: the whole Markdown of each synthetic report, compared exactly with
//! `tests/snapshots/*.md`. After an intended change, run with `UPDATE_SNAPSHOTS=1` and review
//! the diff.

mod common;

use common::*;
use gongkai_render::to_markdown;

#[test]
fn markdown_2021_with_findings() {
    let report = report_2021();
    assert_snapshot(
        "report-2021.md",
        &to_markdown(&report, &findings_for(&report)),
    );
}

#[test]
fn markdown_2019() {
    let report = report_2019();
    assert_snapshot("report-2019.md", &to_markdown(&report, &[]));
}

#[test]
fn markdown_2014() {
    let report = report_2014();
    assert_snapshot("report-2014.md", &to_markdown(&report, &[]));
}
