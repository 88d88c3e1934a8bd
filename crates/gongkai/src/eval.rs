//! `gongkai eval`: parser accuracy against hand-labelled reports.
//!
//! Labels (`corpus/dev/labels/*.json`) have the shape of the report contract; a number is a
//! value read by hand, `null` means "not known from this text". Accuracy is measured over the
//! labelled numbers only; separately we count values the parser produced where the label has
//! none (for a cut-off report, those would be invented values).

use gongkai_core::normalize::label_key;
use gongkai_core::{Finding, Report, Severity};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Counts of one table (or of metadata).
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub right: usize,
    pub total: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        if ok {
            self.right += 1;
        }
    }
    pub fn pct(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.right as f64 / self.total as f64
        }
    }
}

/// The whole evaluation result.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub files: usize,
    pub tables: IndexMap<&'static str, Tally>,
    pub meta: IndexMap<&'static str, Tally>,
    pub unlabelled_values: usize,
    pub rules: Tally,
    pub mistakes: Vec<String>,
    pub missing_files: Vec<String>,
}

impl Evaluation {
    pub fn cells(&self) -> Tally {
        self.tables.values().fold(Tally::default(), |a, t| Tally {
            right: a.right + t.right,
            total: a.total + t.total,
        })
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if (x - y).abs() < 1e-6)
}

/// How the evaluation reads one report: parsed report and all findings, `None` if unreadable.
pub type ParseFn<'a> = dyn Fn(&Path) -> Option<(Report, Vec<Finding>)> + 'a;

/// Locate the report text a label refers to.
fn find_report(corpus: &Path, name: &str) -> Option<PathBuf> {
    [
        corpus.join("dev/reports"),
        corpus.join("seeds"),
        corpus.to_path_buf(),
    ]
    .into_iter()
    .map(|d| d.join(name))
    .find(|p| p.is_file())
}

/// Evaluate `parse` over every label under `corpus/dev/labels`.
pub fn evaluate(corpus: &Path, parse: &ParseFn) -> anyhow::Result<Evaluation> {
    let labels_dir = corpus.join("dev/labels");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&labels_dir)
        .map_err(|e| anyhow::anyhow!("无法读取标注目录 {}：{e}", labels_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    let mut ev = Evaluation::default();
    for t in ["二", "三", "四", "统计表"] {
        ev.tables.insert(t, Tally::default());
    }
    for m in ["generation", "agency", "year", "published_on"] {
        ev.meta.insert(m, Tally::default());
    }
    for label_path in entries {
        let label: Value = serde_json::from_str(&std::fs::read_to_string(&label_path)?)?;
        let file = label["_file"].as_str().unwrap_or_default().to_string();
        let Some(path) = find_report(corpus, &file) else {
            ev.missing_files.push(file);
            continue;
        };
        let Some((report, findings)) = parse(&path) else {
            ev.missing_files.push(file);
            continue;
        };
        ev.files += 1;
        let out = report.to_json_value();
        compare_file(&file, &label, &out, &report, &findings, &mut ev);
    }
    Ok(ev)
}

fn compare_file(
    file: &str,
    label: &Value,
    out: &Value,
    report: &Report,
    findings: &[Finding],
    ev: &mut Evaluation,
) {
    // Metadata.
    if let Some(g) = label["generation"].as_str() {
        let ok = out["generation"].as_str() == Some(g);
        ev.meta["generation"].add(ok);
        if !ok {
            ev.mistakes
                .push(format!("{file}: generation {g} ≠ {}", out["generation"]));
        }
    }
    if let Some(a) = label["agency"].as_str() {
        // Labels may carry a note in parentheses after the name.
        let name = a.split(['(', '（']).next().unwrap_or(a);
        let ok = report
            .agency
            .as_deref()
            .is_some_and(|x| label_key(x) == label_key(name));
        ev.meta["agency"].add(ok);
        if !ok {
            ev.mistakes
                .push(format!("{file}: agency {a} ≠ {:?}", report.agency));
        }
    }
    if let Some(y) = label["year"].as_i64() {
        let ok = report.year == Some(y as i32);
        ev.meta["year"].add(ok);
        if !ok {
            ev.mistakes
                .push(format!("{file}: year {y} ≠ {:?}", report.year));
        }
    }
    if let Some(d) = label["published_on"].as_str() {
        let ok = report.published_on.as_deref() == Some(d);
        ev.meta["published_on"].add(ok);
        if !ok {
            ev.mistakes.push(format!(
                "{file}: published_on {d} ≠ {:?}",
                report.published_on
            ));
        }
    }

    // Table cells: walk the label's numbers and nulls.
    let cmp =
        |table: &'static str, pointer: String, want: &Value, got: &Value, ev: &mut Evaluation| {
            let g = num(got);
            match num(want) {
                Some(w) => {
                    let ok = same(Some(w), g);
                    ev.tables[table].add(ok);
                    if !ok {
                        ev.mistakes.push(format!("{file}: {pointer} = {w} ≠ {got}"));
                    }
                }
                None => {
                    if g.is_some() {
                        ev.unlabelled_values += 1;
                        ev.mistakes.push(format!(
                            "{file}: {pointer} produced {got} where the label has none"
                        ));
                    }
                }
            }
        };
    if let Some(p) = label["proactive"].as_object() {
        for (row, cols) in p {
            for (col, want) in cols.as_object().into_iter().flatten() {
                if col == "amount_unit" {
                    continue;
                }
                let got = &out["proactive"][row][col];
                cmp("二", format!("/proactive/{row}/{col}"), want, got, ev);
            }
        }
    }
    if let Some(r) = label["requests"].as_object() {
        for (row, cells) in r {
            for (c, want) in cells.as_array().into_iter().flatten().enumerate() {
                let got = &out["requests"][row][c];
                cmp("三", format!("/requests/{row}/{c}"), want, got, ev);
            }
        }
    }
    if let Some(g) = label["reviews"].as_object() {
        for (group, cols) in g {
            for (col, want) in cols.as_object().into_iter().flatten() {
                let got = &out["reviews"][group][col];
                cmp("四", format!("/reviews/{group}/{col}"), want, got, ev);
            }
        }
    }
    // Values produced for rows the label does not list at all (not in the text).
    for (section, labelled) in [
        ("requests", &label["requests"]),
        ("proactive", &label["proactive"]),
    ] {
        if let Some(rows) = out[section].as_object() {
            for (row, v) in rows {
                if labelled.get(row).is_some() {
                    continue;
                }
                let produced = match v {
                    Value::Array(a) => a.iter().filter(|x| !x.is_null()).count(),
                    Value::Object(o) => o
                        .iter()
                        .filter(|(k, x)| k.as_str() != "amount_unit" && !x.is_null())
                        .count(),
                    _ => 0,
                };
                if produced > 0 {
                    ev.unlabelled_values += produced;
                    ev.mistakes.push(format!("{file}: /{section}/{row} produced {produced} values; the label has no such row"));
                }
            }
        }
    }
    if let Some(expect) = label["statistics_2014_expect"].as_object() {
        let rows = report
            .statistics_2014
            .as_ref()
            .map(|s| s.rows.as_slice())
            .unwrap_or_default();
        for (key, want) in expect {
            let k = label_key(key);
            let found = rows.iter().find(|r| label_key(&r.label).contains(&k));
            let wants: Vec<Option<f64>> = match want {
                Value::Array(a) => a.iter().map(num).collect(),
                v => vec![num(v)],
            };
            for (i, w) in wants.iter().enumerate() {
                if w.is_none() {
                    continue;
                }
                let got = found.and_then(|r| r.values.get(i).copied().flatten());
                let ok = same(*w, got);
                ev.tables["统计表"].add(ok);
                if !ok {
                    ev.mistakes.push(format!(
                        "{file}: 统计表 {key}[{i}] = {:?} ≠ {got:?}",
                        w.unwrap_or_default()
                    ));
                }
            }
        }
    }
    // Rules the label expects, and no error where the label forbids one.
    if let Some(rules) = label["_expect_rules"].as_array() {
        for r in rules.iter().filter_map(Value::as_str) {
            let ok = findings.iter().any(|f| f.rule == r);
            ev.rules.add(ok);
            if !ok {
                ev.mistakes
                    .push(format!("{file}: expected finding {r} not raised"));
            }
        }
    }
    if label["_forbid_error"].as_bool() == Some(true) {
        let errors: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        ev.rules.add(errors.is_empty());
        for e in errors {
            ev.mistakes.push(format!(
                "{file}: unexpected error {}: {}",
                e.rule, e.message
            ));
        }
    }
}

/// Print the evaluation as a table.
pub fn print(ev: &Evaluation, verbose: bool) {
    println!(
        "标注文件 {} 个（未找到 {} 个）",
        ev.files,
        ev.missing_files.len()
    );
    println!("{:<10} {:>8} {:>8} {:>9}", "表", "正确", "标注数", "准确率");
    for (t, tally) in &ev.tables {
        println!(
            "{:<10} {:>8} {:>8} {:>8.2}%",
            format!("表{t}"),
            tally.right,
            tally.total,
            tally.pct()
        );
    }
    let all = ev.cells();
    println!(
        "{:<10} {:>8} {:>8} {:>8.2}%",
        "全部单元格",
        all.right,
        all.total,
        all.pct()
    );
    println!(
        "标注为空/无此行而解析出数值的单元格：{}",
        ev.unlabelled_values
    );
    for (m, tally) in &ev.meta {
        println!(
            "{:<14} {:>4}/{:<4} {:>7.2}%",
            m,
            tally.right,
            tally.total,
            tally.pct()
        );
    }
    println!(
        "规则期望（_expect_rules/_forbid_error） {}/{}",
        ev.rules.right, ev.rules.total
    );
    if verbose {
        for m in &ev.mistakes {
            println!("  {m}");
        }
    }
}

fn tally_json(t: &Tally) -> serde_json::Value {
    serde_json::json!({"right": t.right, "total": t.total, "accuracy": (t.pct() * 100.0).round() / 100.0})
}

/// The evaluation as one JSON object (for scripts and tests).
pub fn to_json(ev: &Evaluation) -> serde_json::Value {
    serde_json::json!({
        "files": ev.files,
        "missing_files": ev.missing_files,
        "tables": ev.tables.iter().map(|(k, t)| (k.to_string(), tally_json(t))).collect::<serde_json::Map<_, _>>(),
        "cells": tally_json(&ev.cells()),
        "unlabelled_values": ev.unlabelled_values,
        "meta": ev.meta.iter().map(|(k, t)| (k.to_string(), tally_json(t))).collect::<serde_json::Map<_, _>>(),
        "rules": tally_json(&ev.rules),
        "mistakes": ev.mistakes,
    })
}

/// The report at `path` as a Word document in the official layout: parsed from its text and
/// written by gongkai's own DOCX writer (what the DOCX reader must read back unchanged).
pub fn as_docx(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let parsed = gongkai_ingest::parse_bytes(&bytes, None).ok()?;
    Some(gongkai_render::to_docx(&parsed.report, &[]))
}

/// Every labelled report as a PDF: its DOCX (see [`as_docx`]) printed by LibreOffice
/// (`soffice --headless --convert-to pdf`), keyed by the report's path.
pub fn as_pdfs(corpus: &Path) -> anyhow::Result<std::collections::HashMap<PathBuf, Vec<u8>>> {
    let dir = std::env::temp_dir().join(format!("gongkai-eval-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(corpus.join("dev/labels"))? {
        let label: Value = serde_json::from_str(&std::fs::read_to_string(entry?.path())?)?;
        let file = label["_file"].as_str().unwrap_or_default().to_string();
        if let Some(path) = find_report(corpus, &file) {
            if let Some(docx) = as_docx(&path) {
                let stem = file.trim_end_matches(".txt").to_string();
                std::fs::write(dir.join(format!("{stem}.docx")), docx)?;
                names.push((path, stem));
            }
        }
    }
    let docx_files: Vec<PathBuf> = names
        .iter()
        .map(|(_, s)| dir.join(format!("{s}.docx")))
        .collect();
    let status = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}/profile",
            dir.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .args(&docx_files)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| anyhow::anyhow!("需要 LibreOffice（soffice）把 DOCX 转为 PDF：{e}"))?;
    anyhow::ensure!(status.success(), "LibreOffice 转换 PDF 失败");
    let mut out = std::collections::HashMap::new();
    for (path, stem) in names {
        if let Ok(bytes) = std::fs::read(dir.join(format!("{stem}.pdf"))) {
            out.insert(path, bytes);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(out)
}

/// Print several evaluations side by side (one column per input form).
pub fn print_side_by_side(results: &[(String, Evaluation)]) {
    print!("{:<12}", "");
    for (f, _) in results {
        print!(" {:>18}", f);
    }
    println!();
    let tables: Vec<&str> = results[0].1.tables.keys().copied().collect();
    for t in tables {
        print!("{:<12}", format!("表{t}"));
        for (_, ev) in results {
            let tally = ev.tables[t];
            print!(
                " {:>18}",
                format!("{}/{} {:.2}%", tally.right, tally.total, tally.pct())
            );
        }
        println!();
    }
    print!("{:<12}", "全部单元格");
    for (_, ev) in results {
        let c = ev.cells();
        print!(
            " {:>18}",
            format!("{}/{} {:.2}%", c.right, c.total, c.pct())
        );
    }
    println!();
    print!("{:<12}", "多出的数值");
    for (_, ev) in results {
        print!(" {:>18}", ev.unlabelled_values);
    }
    println!();
    print!("{:<12}", "读取文件");
    for (_, ev) in results {
        print!(
            " {:>18}",
            format!("{} (失败 {})", ev.files, ev.missing_files.len())
        );
    }
    println!();
}
