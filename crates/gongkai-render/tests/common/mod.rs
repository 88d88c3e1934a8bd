//! Shared by the integration tests: synthetic reports of all three generations, the schema
//! validators, a snapshot helper and a checker for HTML table geometry.
//!
//! The validators are the library's own `src/validate.rs` (compiled into the library only with
//! the `schema-validate` feature), included here so that the tests run the same code without
//! the feature. Other crates validate their outputs by depending on
//! `gongkai-render = { workspace = true, features = ["schema-validate"] }` and calling
//! `gongkai_render::validate_report_json`.

#![allow(dead_code, unused_imports)]

#[path = "../../src/validate.rs"]
mod validate;

use std::path::PathBuf;

use gongkai_core::model::{Cell, Finding, Generation, Provenance, Report, Severity};
use gongkai_core::{Proactive, Reviews, Statistics2014, StatisticsRow};
pub use validate::{validate_finding_json, validate_report_json};

pub const XSS: &str = "<script>alert(1)</script>";

/// `Some(v)` as a cell.
pub fn n(v: f64) -> Cell {
    Some(v)
}

fn proactive(rows: &[(&str, &[(&str, Cell)])]) -> Proactive {
    let mut p = Proactive::default();
    for (row, cols) in rows {
        p.rows.insert(
            row.to_string(),
            cols.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
        );
    }
    p
}

fn reviews(groups: &[(&str, [Cell; 5])]) -> Reviews {
    let cols = ["upheld", "corrected", "other", "pending", "total"];
    let mut r = Reviews::default();
    for (g, cells) in groups {
        r.groups.insert(
            g.to_string(),
            cols.iter()
                .zip(cells)
                .map(|(c, v)| (c.to_string(), *v))
                .collect(),
        );
    }
    r
}

fn requests(report: &mut Report, rows: &[(&str, [Cell; 7])]) {
    report.requests = Some(
        rows.iter()
            .map(|(id, cells)| (id.to_string(), cells.to_vec()))
            .collect(),
    );
}

fn narrative(report: &mut Report, parts: &[(&str, &str)]) {
    for (k, v) in parts {
        report.narrative.insert(k.to_string(), v.to_string());
    }
}

fn sections(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const Z: Cell = Some(0.0);
const N: Cell = None;

/// A 2021-format report of a made-up agency. New requests' 总计 is 14 where the columns give 13,
/// so `requests.balance` fires on column 6; 行政复议 总计 is 2 for one upheld case.
pub fn report_2021() -> Report {
    let mut r = Report::new();
    r.source = Some("synthetic/示例市数据资源局-2021.txt".into());
    r.generation = Generation::G2021;
    r.agency = Some("示例市数据资源局".into());
    r.year = Some(2021);
    r.published_on = Some("2022-01-20".into());
    r.sections = sections(&["一", "二", "三", "四", "五", "六"]);
    r.proactive = Some(proactive(&[
        (
            "regulations",
            &[
                ("issued", n(2.0)),
                ("repealed", n(1.0)),
                ("in_force", n(35.0)),
            ],
        ),
        (
            "normative_documents",
            &[("issued", n(12.0)), ("repealed", N), ("in_force", n(140.0))],
        ),
        ("licensing", &[("decisions", n(5213.0))]),
        ("penalty", &[("decisions", n(0.0))]),
        ("enforcement", &[("decisions", N)]),
        ("fees", &[("amount", n(20.3))]),
    ]));
    requests(
        &mut r,
        &[
            ("new_received", [n(10.0), n(2.0), Z, Z, n(1.0), N, n(14.0)]),
            ("carried_over", [n(1.0), Z, Z, Z, Z, Z, n(1.0)]),
            ("disclosed", [n(5.0), n(1.0), Z, Z, Z, Z, n(6.0)]),
            ("partially_disclosed", [n(1.0), Z, Z, Z, Z, Z, n(1.0)]),
            ("withheld_state_secret", [Z, Z, Z, Z, Z, Z, Z]),
            ("withheld_law_prohibited", [Z, Z, Z, Z, Z, Z, Z]),
            ("withheld_security", [Z, Z, Z, Z, Z, Z, Z]),
            ("withheld_third_party", [n(1.0), Z, Z, Z, Z, Z, n(1.0)]),
            ("withheld_internal", [Z, Z, Z, Z, Z, Z, Z]),
            ("withheld_process", [Z, Z, Z, Z, Z, Z, Z]),
            ("withheld_enforcement", [Z, Z, Z, Z, Z, Z, Z]),
            ("withheld_query", [Z, Z, Z, Z, Z, Z, Z]),
            ("unavailable_not_held", [n(2.0), Z, Z, Z, n(1.0), Z, n(3.0)]),
            ("unavailable_needs_creation", [Z, Z, Z, Z, Z, Z, Z]),
            ("unavailable_unclear", [Z, Z, Z, Z, Z, Z, Z]),
            ("rejected_petition", [Z, Z, Z, Z, Z, Z, Z]),
            ("rejected_duplicate", [n(1.0), Z, Z, Z, Z, Z, n(1.0)]),
            ("rejected_publication", [Z, Z, Z, Z, Z, Z, Z]),
            ("rejected_excessive", [Z, Z, Z, Z, Z, Z, Z]),
            ("rejected_confirmation", [Z, Z, Z, Z, Z, Z, Z]),
            ("other_no_correction", [Z, n(1.0), Z, Z, Z, Z, n(1.0)]),
            ("other_fee_unpaid", [Z, Z, Z, Z, Z, Z, Z]),
            ("other_misc", [Z, Z, Z, Z, Z, Z, Z]),
            ("total_handled", [n(10.0), n(2.0), Z, Z, n(1.0), Z, n(13.0)]),
            ("carried_forward", [n(1.0), Z, Z, Z, Z, Z, n(1.0)]),
        ],
    );
    r.reviews = Some(reviews(&[
        ("reconsideration", [n(1.0), Z, Z, Z, n(2.0)]),
        ("litigation_direct", [Z, Z, Z, Z, Z]),
        ("litigation_after_reconsideration", [Z, Z, Z, N, Z]),
    ]));
    narrative(
        &mut r,
        &[
            ("一", "2021年，示例市数据资源局认真贯彻落实《中华人民共和国政府信息公开条例》。\n全年主动公开政府信息1234条。"),
            ("五", "存在的主要问题：政策解读形式较为单一。"),
            ("六", "本机关未收取信息处理费。"),
        ],
    );
    r.provenance.insert(
        "/requests/new_received/6".into(),
        Provenance {
            line: 87,
            raw: "一、本年新收政府信息公开申请数量 | 10 | 2 | 0 | 0 | 1 | | 14".into(),
            location: None,
        },
    );
    r
}

/// A 2019-format report (of year 2020): 采购总金额 in 元, a negative 本年增/减, only some table
/// 三 rows present (the others render blank), a blank 尚未审结 cell, no 发布日期, no section 六.
pub fn report_2019() -> Report {
    let mut r = Report::new();
    r.generation = Generation::G2019;
    r.agency = Some("示例县政务服务管理局".into());
    r.year = Some(2020);
    r.sections = sections(&["一", "二", "三", "四", "五"]);
    let mut p = proactive(&[
        (
            "regulations",
            &[("made", Z), ("published", Z), ("total_public", Z)],
        ),
        (
            "normative_documents",
            &[
                ("made", n(3.0)),
                ("published", n(3.0)),
                ("total_public", n(17.0)),
            ],
        ),
        (
            "licensing",
            &[
                ("previous_items", n(812.0)),
                ("change", n(-417.0)),
                ("decisions", n(395.0)),
            ],
        ),
        (
            "other_services",
            &[("previous_items", N), ("change", N), ("decisions", N)],
        ),
        (
            "penalty",
            &[("previous_items", Z), ("change", Z), ("decisions", Z)],
        ),
        (
            "enforcement",
            &[("previous_items", Z), ("change", Z), ("decisions", Z)],
        ),
        ("fees", &[("previous_items", n(2.0)), ("change", Z)]),
        (
            "central_procurement",
            &[("items", n(4.0)), ("amount", n(39670.0))],
        ),
    ]);
    p.procurement_amount_unit = Some("元".into());
    r.proactive = Some(p);
    requests(
        &mut r,
        &[
            ("new_received", [n(3.0), Z, Z, Z, Z, Z, n(3.0)]),
            ("carried_over", [Z, Z, Z, Z, Z, Z, Z]),
            ("disclosed", [n(2.0), Z, Z, Z, Z, Z, n(2.0)]),
            ("other", [n(1.0), Z, Z, Z, Z, Z, n(1.0)]),
            ("total_handled", [n(3.0), Z, Z, Z, Z, Z, n(3.0)]),
            ("carried_forward", [Z, Z, Z, Z, Z, Z, Z]),
        ],
    );
    r.reviews = Some(reviews(&[
        ("reconsideration", [Z, Z, Z, Z, Z]),
        ("litigation_direct", [Z, Z, Z, N, Z]),
        ("litigation_after_reconsideration", [Z, Z, Z, Z, Z]),
    ]));
    narrative(&mut r, &[("一", "2020年，本局政府信息公开工作有序开展。")]);
    r
}

/// A pre-2019 统计表 report: two value columns, a figure only in the 说明 column.
pub fn report_2014() -> Report {
    let mut r = Report::new();
    r.generation = Generation::G2014;
    r.agency = Some("示例市政府采购中心".into());
    r.year = Some(2016);
    r.published_on = Some("2017-03-20".into());
    let row =
        |label: &str, unit: Option<&str>, values: Vec<Cell>, note: Option<&str>| StatisticsRow {
            label: label.into(),
            unit: unit.map(Into::into),
            values,
            note: note.map(Into::into),
        };
    r.statistics_2014 = Some(Statistics2014 {
        columns: vec!["2016年度".into(), "历年累计".into()],
        rows: vec![
            row("一、主动公开情况", None, vec![N, N], None),
            row(
                "（一）主动公开政府信息数",
                Some("条"),
                vec![N, N],
                Some("1603条"),
            ),
            row(
                "其中：主动公开规范性文件数",
                Some("条"),
                vec![n(4.0), n(31.0)],
                None,
            ),
            row("（二）收到申请数", Some("件"), vec![n(2.0), n(15.0)], None),
            row(
                "依申请公开信息收取的费用",
                Some("万元"),
                vec![n(0.25), N],
                Some("含复印费"),
            ),
        ],
    });
    narrative(
        &mut r,
        &[("概述", "2016年本中心政府信息公开工作情况如下。")],
    );
    r
}

/// [`report_2021`] with a script in the agency name, the narrative and a statistics label.
pub fn report_hostile() -> Report {
    let mut r = report_2021();
    r.agency = Some(XSS.into());
    r.narrative
        .insert("一".into(), format!("正文{XSS}\"引号\"与'单引号' & 符号"));
    r.narrative.insert(XSS.into(), "键名也是外来文字".into());
    r.source = Some(format!("\"><img src=x onerror=alert(1)>{XSS}"));
    r
}

/// The checker's findings for `report`, plus one hand-made finding on table 二 whose message
/// carries markup and quotes.
pub fn findings_for(report: &Report) -> Vec<Finding> {
    let mut f = gongkai_core::rules::check(report);
    f.push(
        Finding::new(
            "value.not_a_number",
            Severity::Warning,
            "表二“行政许可”本年处理决定数量读作\"<b>若干</b>\"，不是数字",
        )
        .with_cells(["/proactive/licensing/decisions".to_string()]),
    );
    f
}

/// Compare `actual` with `tests/snapshots/{name}`; with `UPDATE_SNAPSHOTS=1` write it instead
/// (when missing or different).
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => {}
        Ok(_) | Err(_) if update => {
            std::fs::write(&path, actual).expect("write snapshot");
            eprintln!("wrote snapshot {}", path.display());
        }
        Ok(expected) => {
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .map_or_else(
                    || expected.lines().count().min(actual.lines().count()) + 1,
                    |i| i + 1,
                );
            panic!(
                "{} differs from the rendered output, first at line {line}:\n  snapshot: {:?}\n  actual:   {:?}\n(rerun with UPDATE_SNAPSHOTS=1 to accept)",
                path.display(),
                expected.lines().nth(line - 1),
                actual.lines().nth(line - 1)
            );
        }
        Err(e) => panic!(
            "snapshot {} is missing ({e}); run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        ),
    }
}

/// One `<th>`/`<td>` of an HTML table: text, rowspan, colspan, and the whole opening tag.
#[derive(Debug, Clone)]
pub struct HtmlCell {
    pub tag: String,
    pub text: String,
    pub rowspan: usize,
    pub colspan: usize,
}

/// The rows of the first `<table class="{class}">` in `html`, cell by cell (a minimal reader for
/// the renderer's own, regular output).
pub fn table_rows(html: &str, class: &str) -> Vec<Vec<HtmlCell>> {
    let open = format!("<table class=\"{class}\">");
    let start = html.find(&open).unwrap_or_else(|| panic!("no {open}"));
    let body = &html[start..];
    let body = &body[..body.find("</table>").expect("table is closed")];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").expect("row is closed")];
            let mut cells = Vec::new();
            let mut rest = row;
            while let Some(i) = rest.find(['<']) {
                rest = &rest[i..];
                let is_cell = rest.starts_with("<th") || rest.starts_with("<td");
                let end_tag = rest.find('>').expect("tag closed");
                if !is_cell || !matches!(rest.as_bytes()[3], b' ' | b'>') {
                    rest = &rest[end_tag + 1..];
                    continue;
                }
                let tag = rest[..=end_tag].to_string();
                let name = &rest[1..3];
                let close = format!("</{name}>");
                let content_end = rest.find(&close).expect("cell closed");
                let text = rest[end_tag + 1..content_end].to_string();
                let attr = |a: &str| -> usize {
                    let key = format!(" {a}=\"");
                    tag.find(&key).map_or(1, |p| {
                        let v = &tag[p + key.len()..];
                        v[..v.find('"').unwrap()].parse().unwrap()
                    })
                };
                cells.push(HtmlCell {
                    rowspan: attr("rowspan"),
                    colspan: attr("colspan"),
                    tag,
                    text,
                });
                rest = &rest[content_end + close.len()..];
            }
            cells
        })
        .collect()
}

/// The width of every row of a table once row and column spans are laid out on a grid.
pub fn grid_widths(rows: &[Vec<HtmlCell>]) -> Vec<usize> {
    // carried[c] = rows still covered by a rowspan from above in grid column c.
    let mut carried: Vec<usize> = Vec::new();
    let mut widths = Vec::new();
    for row in rows {
        let mut col = 0;
        let mut next: Vec<usize> = carried.iter().map(|r| r.saturating_sub(1)).collect();
        let mut cells = row.iter();
        loop {
            while col < carried.len() && carried[col] > 0 {
                col += 1;
            }
            let Some(cell) = cells.next() else { break };
            for c in col..col + cell.colspan {
                if next.len() <= c {
                    next.resize(c + 1, 0);
                }
                next[c] = cell.rowspan - 1;
            }
            col += cell.colspan;
        }
        widths.push(col);
        carried = next;
    }
    widths
}
