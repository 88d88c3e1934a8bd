//! Every flattening of the national tables, generated from one synthetic report of a made-up
//! agency, must parse back to exactly the same cells; and every *prefix* of every layout
//! (a report cut off anywhere) must yield only values that are in the truth — never an invented
//! or mis-split one.

#![allow(clippy::needless_range_loop, clippy::type_complexity)]

use gongkai_core::model::Generation;
use gongkai_core::skeleton::{self, REQUEST_COLUMNS};
use gongkai_core::Severity;
use gongkai_ingest::parse_text;

/// The synthetic truth: table 二 rows, table 三 rows, table 四 values.
struct Truth {
    generation: Generation,
    proactive: Vec<(&'static str, &'static str, Vec<f64>)>, // (block item, row label, values)
    proactive_ids: Vec<(&'static str, Vec<&'static str>)>,
    requests: Vec<(
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        [f64; 7],
    )>,
    reviews: [f64; 15],
}

fn truth(generation: Generation) -> Truth {
    let mut proactive = Vec::new();
    let mut proactive_ids = Vec::new();
    let mut seed = 7u64;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) % m) as f64
    };
    for b in skeleton::proactive_blocks(generation) {
        for r in b.rows {
            let vals: Vec<f64> = b
                .columns
                .iter()
                .map(|c| if c.id == "amount" { 12.5 } else { next(40) })
                .collect();
            proactive.push((b.item, r.label, vals));
            proactive_ids.push((r.id, b.columns.iter().map(|c| c.id).collect()));
        }
    }
    // Table 三 consistent by construction.
    let rows: Vec<&skeleton::RequestRow> = skeleton::request_rows(generation).collect();
    let mut values: Vec<[f64; 7]> = vec![[0.0; 7]; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        if r.outcome {
            for c in 0..6 {
                values[i][c] = if (i + c) % 3 == 0 { next(9) } else { 0.0 };
            }
        }
    }
    let idx = |id: &str| rows.iter().position(|r| r.label.id == id).unwrap();
    for c in 0..6 {
        let total: f64 = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.outcome)
            .map(|(i, _)| values[i][c])
            .sum();
        values[idx("total_handled")][c] = total;
        values[idx("carried_over")][c] = if c == 0 { 2.0 } else { 0.0 };
        values[idx("carried_forward")][c] = if c == 0 { 3.0 } else { 0.0 };
        values[idx("new_received")][c] =
            total + values[idx("carried_forward")][c] - values[idx("carried_over")][c];
    }
    for v in values.iter_mut() {
        v[6] = v[..6].iter().sum();
    }
    let requests = rows
        .iter()
        .zip(values)
        .map(|(r, v)| (r.label.id, r.label.label, r.group, r.subgroup, v))
        .collect();
    let reviews = [
        1.0, 0.0, 2.0, 0.0, 3.0, 12.0, 0.0, 0.0, 1.0, 13.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ];
    Truth {
        generation,
        proactive,
        proactive_ids,
        requests,
        reviews,
    }
}

fn fmt(v: f64) -> String {
    gongkai_core::model::fmt_num(v)
}

/// Rows of cells in the official layout (label cells first), as a layout-neutral grid.
fn grid(t: &Truth) -> Vec<Vec<String>> {
    let mut g: Vec<Vec<String>> = Vec::new();
    g.push(vec!["二、主动公开政府信息情况".into()]);
    let mut last_item = "";
    for (item, label, vals) in &t.proactive {
        if *item != last_item {
            g.push(vec![item.to_string()]);
            let block = skeleton::proactive_blocks(t.generation)
                .iter()
                .find(|b| b.item == *item)
                .unwrap();
            let mut h = vec!["信息内容".to_string()];
            h.extend(block.columns.iter().map(|c| c.label.to_string()));
            g.push(h);
            last_item = item;
        }
        let mut row = vec![label.to_string()];
        row.extend(vals.iter().map(|v| fmt(*v)));
        g.push(row);
    }
    g.push(vec!["三、收到和处理政府信息公开申请情况".into()]);
    g.push(vec![
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）".into(),
        "申请人情况".into(),
    ]);
    g.push(vec![
        "自然人".into(),
        "法人或其他组织".into(),
        "总计".into(),
    ]);
    g.push(
        REQUEST_COLUMNS[1..6]
            .iter()
            .map(|c| c.label.to_string())
            .collect(),
    );
    let mut last_group = None;
    let mut last_sub = None;
    for (_, label, group, sub, vals) in &t.requests {
        let mut row = Vec::new();
        if *group != last_group {
            if let Some(gl) = group {
                row.push(gl.to_string());
            }
            last_group = *group;
        }
        if *sub != last_sub {
            if let Some(s) = sub {
                row.push(s.to_string());
            }
            last_sub = *sub;
        }
        row.push(label.to_string());
        row.extend(vals.iter().map(|v| fmt(*v)));
        g.push(row);
    }
    g.push(vec!["四、政府信息公开行政复议、行政诉讼情况".into()]);
    g.push(vec!["行政复议".into(), "行政诉讼".into()]);
    g.push(vec![
        "结果维持".into(),
        "结果纠正".into(),
        "其他结果".into(),
        "尚未审结".into(),
        "总计".into(),
        "未经复议直接起诉".into(),
        "复议后起诉".into(),
    ]);
    let heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"];
    g.push(
        heads
            .iter()
            .chain(heads.iter())
            .map(|s| s.to_string())
            .collect(),
    );
    g.push(t.reviews.iter().map(|v| fmt(*v)).collect());
    g.push(vec!["五、存在的主要问题及改进情况".into()]);
    g.push(vec!["示例县数据资源局将进一步加强政务公开平台建设。".into()]);
    g.push(vec!["六、其他需要报告的事项".into()]);
    g.push(vec!["无。".into()]);
    g
}

const HEAD: &str = "示例县数据资源局2023年政府信息公开工作年度报告\n一、总体情况\n2023年，示例县数据资源局认真贯彻《条例》，主动公开政府信息120条。\n";

fn layout(t: &Truth, name: &str) -> String {
    let g = grid(t);
    let mut s = String::from(HEAD);
    match name {
        "pipes" => {
            for r in &g {
                s.push_str(&format!("{} |\n", r.join(" | ")));
            }
        }
        "markdown" => {
            for r in &g {
                s.push_str(&format!("| {} |\n", r.join(" | ")));
                if r.len() > 1 && r[0] == "信息内容" {
                    s.push_str(&format!("|{}\n", "---|".repeat(r.len())));
                }
            }
        }
        "tabs" => {
            for r in &g {
                // Leading empty cells where label cells are merged, as spreadsheet exports do.
                let pad = if r.len() > 7 && r[0].starts_with('1') {
                    "\t\t"
                } else {
                    ""
                };
                s.push_str(&format!("{pad}{}\t\n", r.join("\t")));
            }
        }
        "cell-per-line" => {
            for r in &g {
                for c in r {
                    s.push_str(&format!("{c}\n\n"));
                }
            }
        }
        "cell-pipe-per-line" => {
            for r in &g {
                s.push_str("|\n");
                for c in r {
                    s.push_str(&format!("{c} |\n"));
                }
            }
        }
        "pipe-lines-between" => {
            for r in &g {
                for c in r {
                    s.push_str(&format!("{c}\n|\n"));
                }
            }
        }
        "glued" => {
            for r in &g {
                for c in r {
                    s.push_str(c);
                }
            }
            s.push('\n');
        }
        _ => unreachable!(),
    }
    s
}

const LAYOUTS: &[&str] = &[
    "pipes",
    "markdown",
    "tabs",
    "cell-per-line",
    "cell-pipe-per-line",
    "pipe-lines-between",
    "glued",
];

fn truth_cells(t: &Truth) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for ((id, cols), (_, _, vals)) in t.proactive_ids.iter().zip(&t.proactive) {
        for (c, v) in cols.iter().zip(vals) {
            out.push((format!("/proactive/{id}/{c}"), *v));
        }
    }
    for (id, _, _, _, vals) in &t.requests {
        for (c, v) in vals.iter().enumerate() {
            out.push((format!("/requests/{id}/{c}"), *v));
        }
    }
    let groups = [
        "reconsideration",
        "litigation_direct",
        "litigation_after_reconsideration",
    ];
    let cols = ["upheld", "corrected", "other", "pending", "total"];
    for (i, v) in t.reviews.iter().enumerate() {
        out.push((format!("/reviews/{}/{}", groups[i / 5], cols[i % 5]), *v));
    }
    out
}

fn at(json: &serde_json::Value, pointer: &str) -> Option<f64> {
    json.pointer(pointer).and_then(|v| v.as_f64())
}

#[test]
fn every_layout_parses_to_the_same_cells() {
    for gen in [Generation::G2021, Generation::G2019] {
        let t = truth(gen);
        let cells = truth_cells(&t);
        for name in LAYOUTS {
            let text = layout(&t, name);
            let parsed = parse_text(&text, Some(name));
            let json = parsed.report.to_json_value();
            assert_eq!(parsed.report.generation, gen, "{name}");
            assert_eq!(
                parsed.report.agency.as_deref(),
                Some("示例县数据资源局"),
                "{name}"
            );
            assert_eq!(parsed.report.year, Some(2023), "{name}");
            // In the glued layout, table 二 rows have no sums to split by: those cells may stay
            // unknown, but must never be wrong.
            for (ptr, want) in &cells {
                let got = at(&json, ptr);
                if *name == "glued" && ptr.starts_with("/proactive") && got.is_none() {
                    continue;
                }
                assert_eq!(got, Some(*want), "layout {name} {gen:?} cell {ptr}\n{text}");
            }
            let mut findings = parsed.findings.clone();
            findings.extend(gongkai_core::rules::check(&parsed.report));
            let errors: Vec<_> = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            assert!(
                errors.is_empty(),
                "layout {name}: unexpected errors {errors:#?}"
            );
            assert_eq!(
                parsed.report.sections,
                ["一", "二", "三", "四", "五", "六"],
                "{name}"
            );
        }
    }
}

#[test]
fn a_report_cut_anywhere_never_yields_a_wrong_value() {
    for gen in [Generation::G2021, Generation::G2019] {
        let t = truth(gen);
        let cells = truth_cells(&t);
        for name in LAYOUTS {
            let text = layout(&t, name);
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .filter(|i| i % 7 == 0)
                .collect();
            for cut in boundaries {
                let prefix = &text[..cut];
                let parsed = parse_text(prefix, None);
                let json = parsed.report.to_json_value();
                for (ptr, want) in &cells {
                    if let Some(got) = at(&json, ptr) {
                        assert_eq!(
                            got,
                            *want,
                            "layout {name} cut at {cut}: {ptr} = {got}, truth {want}\n…{}",
                            prefix
                                .chars()
                                .rev()
                                .take(60)
                                .collect::<String>()
                                .chars()
                                .rev()
                                .collect::<String>()
                        );
                    }
                }
            }
        }
    }
}
