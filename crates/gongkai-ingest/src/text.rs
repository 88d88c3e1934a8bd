//! Plain text (in any flattening) → [`Report`] plus parse findings.
//!
//! Pipeline: [`normalize_text`] → [`tokens::tokenize`] → locate the tables by their anchors
//! (`第二十条第`, `勾稽关系`, `行政复议`, `统计指标`) → detect the generation from the headers →
//! read each table with [`crate::tables`] → metadata, headings and narrative with
//! [`crate::meta`].

use crate::meta;
use crate::split;
use crate::tables::{self, Absence, Aligned, RawRow, Sink};
use crate::tokens::{self, Tok, TokKind};
use gongkai_core::model::{
    Finding, Generation, Proactive, Provenance, Report, Reviews, Severity, Statistics2014,
    StatisticsRow,
};
use gongkai_core::normalize::{label_key, normalize_text};
use gongkai_core::skeleton::{self, Label, REVIEW_COLUMNS, REVIEW_GROUPS};
use indexmap::IndexMap;
use std::ops::Range;

/// A parsed report with the findings the reader raised while reading it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub report: Report,
    pub findings: Vec<Finding>,
}

const MARKERS_2021: &[&str] = &[
    "本年制发件数",
    "本年废止件数",
    "现行有效件数",
    "本年收费金额",
    "逾期不补正",
    "本年发件",
    "现行有效件",
];
const MARKERS_2019: &[&str] = &[
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "采购总金额",
    "第二十条第九项",
    "其他对外管理服务事项",
    "采购项目数量",
];
const MARKERS_2014: &[&str] = &["统计指标", "指标名称"];

fn count_markers(key: &str, markers: &[&str]) -> usize {
    markers.iter().filter(|m| key.contains(*m)).count()
}

/// Find the first text token at or after `from` whose key contains any of `keys`.
fn find_text(tokens: &[Tok], from: usize, keys: &[&str]) -> Option<usize> {
    (from..tokens.len()).find(|&i| {
        let k = &tokens[i].key;
        !k.is_empty() && keys.iter().any(|key| k.contains(key))
    })
}

/// Parse normalised or raw text.
pub fn parse_text(raw: &str, source: Option<&str>) -> Parsed {
    let text = normalize_text(raw);
    let mut tokens = tokens::tokenize(&text);
    // A document that ends right after a digit may have been cut inside that number.
    let cut_number = text.ends_with(|c: char| c.is_ascii_digit())
        && tokens
            .last()
            .is_some_and(|t| matches!(t.kind, TokKind::Num { .. }));
    let mut cut_line = 0;
    if cut_number {
        if let Some(t) = tokens.pop() {
            cut_line = t.line;
        }
    }
    let mut report = Report::new();
    report.source = source.map(str::to_string);
    let mut sink = Sink::default();

    // Header markers are looked for in the keys of the text tokens (already computed).
    let whole_key: String = tokens
        .iter()
        .filter(|t| t.is_text())
        .map(|t| t.key.as_str())
        .collect();
    let n2021 = count_markers(&whole_key, MARKERS_2021);
    let n2019 = count_markers(&whole_key, MARKERS_2019);
    let has_2014 = count_markers(&whole_key, MARKERS_2014) > 0
        && (whole_key.contains("统计数")
            || whole_key.contains("历年累计")
            || whole_key.contains("计量单位"));

    // Table anchors.
    let t2 = find_text(&tokens, 0, &["第二十条第"]);
    let t3 = find_text(&tokens, 0, &["勾稽关系"]).or_else(|| {
        find_text(&tokens, 0, &["本年新收政府信息公开申请"]).filter(|&i| {
            tokens[i + 1..]
                .iter()
                .take(4)
                .any(|t| matches!(t.kind, TokKind::Num { .. }))
        })
    });
    // Table 四: a 行政复议 heading followed by the table's own column headers (a sentence such
    // as "全年无行政复议、行政诉讼情况" followed by dates and phone numbers is not a table).
    let t4 = {
        let mut from = t3.or(t2).unwrap_or(0);
        let mut found = None;
        while let Some(i) = find_text(&tokens, from, &["行政复议"]) {
            let header = find_text(&tokens, i, &["结果维持", "尚未审结", "结果纠正"])
                .filter(|&h| h - i <= 40);
            if header.is_some() {
                found = Some(i);
                break;
            }
            from = i + 1;
        }
        found
    };
    let t_stat = if has_2014 {
        find_text(&tokens, 0, MARKERS_2014)
    } else {
        None
    };

    let mut generation = if n2021 > n2019 {
        Generation::G2021
    } else if n2019 > 0 {
        Generation::G2019
    } else if has_2014 && t_stat.is_some() {
        Generation::G2014
    } else if t3.is_some() {
        // Only table 三 visible: its （六） rows tell the generation apart.
        if whole_key.contains("逾期不补正") {
            Generation::G2021
        } else if whole_key.contains("其他处理") {
            Generation::G2019
        } else {
            Generation::Unknown
        }
    } else {
        Generation::Unknown
    };
    if generation == Generation::Unknown {
        // The report may state which format it follows.
        let cited: Vec<String> = text
            .match_indices("公开办函")
            .map(|(i, _)| label_key(&text[i..].chars().take(16).collect::<String>()))
            .collect();
        if cited.iter().any(|c| c.starts_with("公开办函202130号")) {
            generation = Generation::G2021;
        } else if cited.iter().any(|c| c.starts_with("公开办函201960号"))
            || whole_key.contains("年度报告格式试行")
        {
            generation = Generation::G2019;
        }
    }
    report.generation = generation;

    let end_of = |start: Option<usize>, nexts: &[Option<usize>]| -> usize {
        let s = start.unwrap_or(0);
        nexts
            .iter()
            .flatten()
            .copied()
            .filter(|&n| n > s)
            .min()
            .unwrap_or(tokens.len())
    };
    let section5 = find_text(
        &tokens,
        t4.unwrap_or(tokens.len()),
        &[
            "存在的主要问题",
            "存在主要问题",
            "主要问题",
            "改进情况",
            "其他需要报告",
        ],
    );

    if let (Some(s), true) = (
        t2,
        matches!(generation, Generation::G2019 | Generation::G2021),
    ) {
        let e = end_of(t2, &[t3, t4, section5]);
        read_proactive(&tokens, s..e, generation, &mut report, &mut sink);
    }
    if let (Some(s), true) = (
        t3,
        matches!(
            generation,
            Generation::G2019 | Generation::G2021 | Generation::Unknown
        ),
    ) {
        let e = end_of(t3, &[t4, section5]);
        read_requests(&tokens, s..e, generation, &mut report, &mut sink);
    }
    if let Some(s) = t4.filter(|_| matches!(generation, Generation::G2019 | Generation::G2021)) {
        let e = end_of(t4, &[section5]);
        read_reviews(&tokens, s..e, &mut report, &mut sink);
    }
    if let Some(s) = t_stat {
        let e =
            find_text(&tokens, s + 1, &["填报说明", "附件下载", "来源"]).unwrap_or(tokens.len());
        read_statistics(&tokens, s..e, &mut report, &mut sink);
    }

    // Metadata.
    let m = meta::extract(&text);
    if let Some((a, line)) = m.agency {
        sink.provenance.insert(
            "/agency".into(),
            Provenance {
                line,
                raw: a.clone(),
                location: None,
            },
        );
        report.agency = Some(a);
    }
    if let Some((y, line)) = m.year {
        sink.provenance.insert(
            "/year".into(),
            Provenance {
                line,
                raw: y.to_string(),
                location: None,
            },
        );
        report.year = Some(y);
    }
    if let Some((d, line)) = m.published_on {
        sink.provenance.insert(
            "/published_on".into(),
            Provenance {
                line,
                raw: d.clone(),
                location: None,
            },
        );
        report.published_on = Some(d);
    }

    // Sections and narrative.
    let heads = meta::headings(&text);
    report.sections = heads.iter().map(|h| h.number.to_string()).collect();
    for (i, h) in heads.iter().enumerate() {
        let end = heads.get(i + 1).map_or(text.len(), |n| n.start);
        let body = &text[h.end.min(end)..end];
        let cut = match h.number {
            "二" => body.find("第二十条"),
            "三" => body.find("(本列数据").or_else(|| body.find("勾稽关系")),
            "四" => body.find("行政复议"),
            _ => None,
        };
        // A pre-2019 统计表 (often an attachment at the end) is not narrative either.
        let stat = ["统计指标", "指标名称", "统 计 指 标"]
            .iter()
            .filter_map(|k| body.find(k))
            .min();
        let cut = match (cut, stat) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let body = cut.map_or(body, |c| &body[..c]);
        let body = body.trim_matches(|c: char| c.is_whitespace() || c == '|');
        if !body.is_empty() {
            report
                .narrative
                .insert(h.number.to_string(), body.to_string());
        }
    }

    if text.trim().is_empty() {
        sink.note(
            "structure.empty",
            Severity::Error,
            "文件没有可读的文字内容".into(),
            vec![],
        );
    } else if generation == Generation::Unknown
        && report.year.is_none_or(|y| y >= 2019)
        && t3.is_none()
        && t2.is_none()
    {
        sink.note(
            "structure.not_a_report",
            Severity::Warning,
            "未识别出任何年度报告表格（表二、表三、表四或统计表），无法判断格式版本".into(),
            vec!["/generation".into()],
        );
    }

    if cut_number {
        sink.note(
            "structure.truncated",
            Severity::Warning,
            format!("报告在第{cut_line}行的数字中间结束，最后一个数字可能不完整，未取值"),
            vec![],
        );
    }
    report.provenance = sink.provenance;
    let mut findings = sink.findings;
    for f in &mut findings {
        f.source = report.source.clone();
    }
    Parsed { report, findings }
}

fn pointer_row(prefix: &str, row: &str, cols: &[String]) -> Vec<String> {
    cols.iter()
        .map(|c| format!("/{prefix}/{row}/{c}"))
        .collect()
}

fn read_proactive(
    tokens: &[Tok],
    range: Range<usize>,
    generation: Generation,
    report: &mut Report,
    sink: &mut Sink,
) {
    let blocks = skeleton::proactive_blocks(generation);
    let set = tables::LabelSet::Proactive(generation);
    let glued = tables::detect_glued(tokens, range.clone(), set);
    let rows = tables::assemble(tokens, range, glued);
    let rows = if glued {
        rows
    } else {
        tables::fold_stray_text(rows, tokens, set, 3)
    };
    let mut p = Proactive::default();
    // Every row of the skeleton, absent until read.
    for b in blocks {
        for r in b.rows {
            p.rows.insert(
                r.id.to_string(),
                b.columns.iter().map(|c| (c.id.to_string(), None)).collect(),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut any = false;
    for row in &rows {
        let Some(label) = tables::match_label(&row.label, set) else {
            continue;
        };
        if !seen.insert(label.id) {
            continue;
        }
        let block = blocks
            .iter()
            .find(|b| b.rows.iter().any(|r| r.id == label.id))
            .expect("label from blocks");
        let k = block.columns.len();
        let reading = tables::align(tokens, row, k, glued, None, false);
        let cols: Vec<String> = block.columns.iter().map(|c| c.id.to_string()).collect();
        let ptrs = pointer_row("proactive", label.id, &cols);
        for (rule, sev, msg) in &reading.notes {
            sink.note(
                rule,
                *sev,
                format!("表二“{}”：{msg}", label.label),
                ptrs.clone(),
            );
        }
        if !reading.alternatives.is_empty() {
            sink.note(
                "value.ambiguous_split",
                Severity::Warning,
                format!(
                    "表二“{}”的数字相连（{}），可拆分为：{}……，表二无合计关系可判定，未取值",
                    label.label,
                    tokens[row.cells[0]].raw,
                    tables::describe_alternatives(&reading.alternatives)
                ),
                ptrs.clone(),
            );
        }
        let entry = p.rows.get_mut(label.id).expect("row initialised");
        for ((col, a), ptr) in cols.iter().zip(&reading.cells).zip(&ptrs) {
            entry.insert(col.clone(), a.value);
            sink.record(tokens, ptr.clone(), a);
            if a.value.is_some() {
                any = true;
            }
        }
        if reading.alternatives.is_empty() {
            sink.explain_absent(tokens, "表二", label.label, &ptrs, &reading.cells);
        }
        if label.id == "central_procurement" {
            let unit = reading
                .cells
                .get(1)
                .and_then(|a| a.token)
                .and_then(|i| match &tokens[i].kind {
                    TokKind::Num { unit: Some(u), .. } if u == "元" || u == "万元" => {
                        Some(u.clone())
                    }
                    _ => None,
                })
                .or_else(|| {
                    if row.label.contains("单位万元") {
                        Some("万元".to_string())
                    } else if row.label.contains("单位元") {
                        Some("元".to_string())
                    } else {
                        None
                    }
                });
            p.procurement_amount_unit = unit;
        }
    }
    if any || !seen.is_empty() {
        report.proactive = Some(p);
    }
}

fn read_requests(
    tokens: &[Tok],
    range: Range<usize>,
    generation: Generation,
    report: &mut Report,
    sink: &mut Sink,
) {
    let skel: Vec<&skeleton::RequestRow> = skeleton::request_rows(generation).collect();
    let set = tables::LabelSet::Requests(generation);
    let glued = tables::detect_glued(tokens, range.clone(), set);
    let rows = tables::assemble(tokens, range, glued);
    let rows = if glued {
        rows
    } else {
        tables::fold_stray_text(rows, tokens, set, 7)
    };
    let mut table: IndexMap<String, Vec<Aligned>> = IndexMap::new();
    let mut alternatives: IndexMap<String, Vec<Vec<f64>>> = IndexMap::new();
    let mut raw_of: IndexMap<String, &RawRow> = IndexMap::new();
    let rule: &dyn Fn(&[f64]) -> bool = &split::row_sum_holds;
    let has_number = |r: &RawRow| {
        r.cells
            .iter()
            .any(|&i| matches!(tokens[i].kind, TokKind::Num { .. }))
    };
    let matched: Vec<(&Label, &RawRow)> = rows
        .iter()
        .filter_map(|r| tables::match_label(&r.label, set).map(|l| (l, r)))
        .collect();
    // `GONGKAI_DEBUG=1 gongkai parse FILE` shows which text each table-三 row was matched from.
    if std::env::var_os("GONGKAI_DEBUG").is_some() {
        for (l, r) in &matched {
            eprintln!(
                "T3 {} <- {} {:?}",
                l.id,
                r.label,
                r.cells
                    .iter()
                    .map(|&i| tokens[i].raw.as_str())
                    .collect::<Vec<_>>()
            );
        }
    }
    for (idx, &(label, row)) in matched.iter().enumerate() {
        if table.contains_key(label.id) {
            continue;
        }
        // A row without numbers yields to a later row of the same id that has them.
        if !has_number(row)
            && matched[idx + 1..]
                .iter()
                .any(|(l, r)| l.id == label.id && has_number(r))
        {
            continue;
        }
        let reading = tables::align(tokens, row, 7, glued, Some(rule), true);
        let ptrs: Vec<String> = (0..7)
            .map(|c| format!("/requests/{}/{c}", label.id))
            .collect();
        for (r, sev, msg) in &reading.notes {
            sink.note(
                r,
                *sev,
                format!("表三“{}”：{msg}", label.label),
                ptrs.clone(),
            );
        }
        if reading.alternatives.len() > 1 {
            alternatives.insert(label.id.to_string(), reading.alternatives.clone());
        }
        table.insert(label.id.to_string(), reading.cells);
        raw_of.insert(label.id.to_string(), row);
    }
    if table.is_empty() {
        // The table header is there but no row could be read (cut off right after it).
        sink.note(
            "structure.truncated",
            Severity::Warning,
            "表三只有表头，没有可读的数据行".into(),
            vec!["/requests".into()],
        );
    }
    let outcome_rows: Vec<&str> = skel
        .iter()
        .filter(|r| r.outcome)
        .map(|r| r.label.id)
        .collect();
    tables::resolve_by_columns(&mut table, &alternatives, &outcome_rows);

    let mut out: IndexMap<String, Vec<Option<f64>>> = IndexMap::new();
    let mut missing_rows = Vec::new();
    for r in &skel {
        let id = r.label.id;
        let ptrs: Vec<String> = (0..7).map(|c| format!("/requests/{id}/{c}")).collect();
        match table.get(id) {
            Some(cells) => {
                for (a, p) in cells.iter().zip(&ptrs) {
                    sink.record(tokens, p.clone(), a);
                }
                if let Some(alts) = alternatives.get(id) {
                    if cells.iter().any(|a| a.value.is_none()) {
                        let raw = raw_of
                            .get(id)
                            .map(|r| tokens[r.cells[0]].raw.clone())
                            .unwrap_or_default();
                        sink.note(
                            "value.ambiguous_split",
                            Severity::Warning,
                            format!("表三“{}”的数字相连（{raw}），按行合计和列合计仍有多种拆分（{}），未取值", r.label.label, tables::describe_alternatives(alts)),
                            ptrs.clone(),
                        );
                    }
                } else {
                    sink.explain_absent(tokens, "表三", r.label.label, &ptrs, cells);
                }
                out.insert(id.to_string(), cells.iter().map(|a| a.value).collect());
            }
            None => {
                missing_rows.push(r.label.label);
                out.insert(id.to_string(), vec![None; 7]);
            }
        }
    }
    if !missing_rows.is_empty() && !table.is_empty() {
        let at_end = rows.last().is_some_and(|r| r.at_end) || rows.is_empty();
        sink.note(
            if at_end {
                "structure.truncated"
            } else {
                "structure.missing_row"
            },
            Severity::Warning,
            format!(
                "表三缺少{}行（{}{}），这些单元格为空值",
                missing_rows.len(),
                missing_rows
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join("、"),
                if missing_rows.len() > 3 { "等" } else { "" }
            ),
            skel.iter()
                .filter(|r| !table.contains_key(r.label.id))
                .map(|r| format!("/requests/{}", r.label.id))
                .collect(),
        );
    }
    report.requests = Some(out);
}

fn read_reviews(tokens: &[Tok], range: Range<usize>, report: &mut Report, sink: &mut Sink) {
    let (range_start, range_end) = (range.start, range.end);
    // Glued when some number sticks to text and no row prints five or more separate numbers
    // (one pass over the tokens instead of assembling the rows twice to find out).
    let mut any_glued = false;
    let mut separate_run = 0usize;
    let mut longest_separate_run = 0usize;
    for t in &tokens[range.clone()] {
        match &t.kind {
            TokKind::Num {
                attached: true,
                unit,
                ..
            } => {
                any_glued |= unit.is_none();
                separate_run = 0;
            }
            TokKind::Num { .. } => {
                separate_run += 1;
                longest_separate_run = longest_separate_run.max(separate_run);
            }
            TokKind::Text => separate_run = 0,
            TokKind::Blank | TokKind::Absent => {}
        }
    }
    let glued = any_glued && longest_separate_run < 5;
    let rows: Vec<RawRow> = tables::assemble(tokens, range, glued)
        .into_iter()
        .filter(|r| {
            r.cells
                .iter()
                .any(|&i| !matches!(tokens[i].kind, TokKind::Blank))
        })
        .collect();
    let mut groups: IndexMap<String, IndexMap<String, Option<f64>>> = IndexMap::new();
    let cols: Vec<String> = REVIEW_COLUMNS.iter().map(|c| c.id.to_string()).collect();
    for g in REVIEW_GROUPS {
        groups.insert(
            g.id.to_string(),
            cols.iter().map(|c| (c.clone(), None)).collect(),
        );
    }
    let per_group: Vec<Option<&Label>> = rows
        .iter()
        .map(|r| tables::match_label(&r.label, tables::LabelSet::ReviewGroups))
        .collect();
    let five_each = rows.len() == 3
        && rows.iter().all(|r| {
            r.cells
                .iter()
                .filter(|&&i| !matches!(tokens[i].kind, TokKind::Blank))
                .count()
                == 5
        })
        && per_group
            .iter()
            .flatten()
            .map(|l| l.id)
            .collect::<std::collections::HashSet<_>>()
            .len()
            == 3;
    let mut readings: Vec<(String, Vec<Aligned>)> = Vec::new();
    if five_each {
        for (row, g) in rows.iter().zip(&per_group) {
            let reading = tables::align(tokens, row, 5, false, None, false);
            readings.push((g.expect("matched").id.to_string(), reading.cells));
        }
    } else if let Some(first) = rows.first() {
        // One row of fifteen numbers (possibly spread over several lines or glued).
        let mut merged = first.clone();
        for r in rows.iter().skip(1) {
            merged.cells.extend(&r.cells);
            merged.at_end = r.at_end;
        }
        let reading = tables::align(
            tokens,
            &merged,
            15,
            glued,
            Some(&split::review_groups_hold),
            false,
        );
        if !reading.alternatives.is_empty() {
            sink.note(
                "value.ambiguous_split",
                Severity::Warning,
                format!(
                    "表四的数字相连，按各组合计仍有{}种拆分，未取值",
                    reading.alternatives.len()
                ),
                vec!["/reviews".into()],
            );
        }
        for (n, chunk) in reading.cells.chunks(5).enumerate() {
            readings.push((REVIEW_GROUPS[n].id.to_string(), chunk.to_vec()));
        }
    }
    for (g, cells) in readings {
        let ptrs: Vec<String> = cols.iter().map(|c| format!("/reviews/{g}/{c}")).collect();
        let label = REVIEW_GROUPS
            .iter()
            .find(|l| l.id == g)
            .map_or("", |l| l.label);
        for ((c, a), p) in cols.iter().zip(&cells).zip(&ptrs) {
            groups[&g].insert(c.clone(), a.value);
            sink.record(tokens, p.clone(), a);
        }
        if cells.iter().all(|a| a.why != Some(Absence::Ambiguous)) {
            sink.explain_absent(tokens, "表四", label, &ptrs, &cells);
        }
    }
    // The table is there if it has values or at least its column headers.
    let has_header = tokens[range_start..range_end]
        .iter()
        .any(|t| t.key.contains("结果维持") || t.key.contains("尚未审结"));
    if !rows.is_empty() || has_header {
        report.reviews = Some(Reviews { groups });
    }
}

const STAT_HEADER_WORDS: &[&str] = &[
    "需要说明的情况",
    "说明的情况",
    "说明",
    "历年累计",
    "统计数",
    "本年度",
    "年度",
    "计量单位",
    "单位",
    "统计指标",
    "指标名称",
];

fn read_statistics(tokens: &[Tok], range: Range<usize>, report: &mut Report, sink: &mut Sink) {
    let range_start = range.start;
    let glued = tables::assemble(tokens, range.clone(), true)
        .iter()
        .filter(|r| r.glued_to_label)
        .count()
        > 3;
    let rows = tables::assemble(tokens, range, glued);
    if rows.is_empty() {
        return;
    }
    // Columns from the header, which opens the region.
    let header_raw: String = tokens[range_start..]
        .iter()
        .take(60)
        .take_while(|t| !matches!(t.kind, TokKind::Num { .. }))
        .map(|t| t.raw.as_str())
        .collect();
    let header_key = label_key(&header_raw);
    let mut columns = Vec::new();
    let year_col = regex_year_column(&header_key);
    if let Some(y) = year_col {
        columns.push(format!("{y}年度"));
    } else if header_key.contains("本年度") {
        columns.push("本年度".to_string());
    } else if header_key.contains("统计数") {
        columns.push("统计数".to_string());
    }
    if header_key.contains("历年累计") {
        columns.push("历年累计".to_string());
    }
    if columns.is_empty() {
        columns.push("统计数".to_string());
    }
    let has_unit_col = header_key.contains("单位");
    let has_note_col = header_key.contains("说明");
    let k = columns.len();
    let mut stats = Statistics2014 {
        columns: columns.clone(),
        rows: Vec::new(),
    };
    let mut alternatives: Vec<Vec<Vec<f64>>> = Vec::new();
    for (ri, row) in rows.iter().enumerate() {
        let mut label_text = row.label_text.clone();
        if ri == 0 {
            // Strip the header words from the first row's label.
            let mut cut = 0;
            for w in STAT_HEADER_WORDS {
                let chars: Vec<char> = label_text.chars().collect();
                let compact: String = chars.iter().filter(|c| !c.is_whitespace()).collect();
                if let Some(p) = compact.rfind(w) {
                    // Map the compact position back to the spaced text.
                    let target = compact[..p + w.len()].chars().count();
                    let mut seen = 0;
                    for (bi, c) in label_text.char_indices() {
                        if !c.is_whitespace() {
                            seen += 1;
                        }
                        if seen == target {
                            cut = cut.max(bi + c.len_utf8());
                            break;
                        }
                    }
                }
            }
            label_text = label_text[cut..].trim().to_string();
        }
        let mut words: Vec<&str> = label_text.split_whitespace().collect();
        let mut unit = None;
        if has_unit_col {
            if let Some(last) = words.last() {
                if skeleton::UNITS.contains(last) || *last == "—" {
                    unit = Some(last.to_string());
                    words.pop();
                } else if glued {
                    for u in skeleton::UNITS {
                        if let Some(stripped) = last.strip_suffix(u) {
                            if !stripped.is_empty() {
                                unit = Some(u.to_string());
                                let idx = words.len() - 1;
                                words[idx] = stripped;
                                break;
                            }
                        }
                    }
                }
            }
        }
        let label = compact_label(&words.join(" "));
        if label.is_empty() {
            continue;
        }
        let ri_out = stats.rows.len();
        let ptrs: Vec<String> = (0..k)
            .map(|c| format!("/statistics_2014/rows/{ri_out}/values/{c}"))
            .collect();
        let cumulative_rule = |v: &[f64]| v.len() != 2 || k != 2 || v[1] + 1e-9 >= v[0];
        let mut reading = tables::align(tokens, row, k, glued, Some(&cumulative_rule), false);
        let mut note = None;
        // National variant: figure in the 说明 column, 统计数 empty.
        let non_blank: Vec<usize> = row
            .cells
            .iter()
            .copied()
            .filter(|&i| !matches!(tokens[i].kind, TokKind::Blank))
            .collect();
        if k == 1 && has_note_col && reading.cells[0].value.is_none() {
            if let Some(&i) = non_blank
                .iter()
                .find(|&&i| matches!(tokens[i].kind, TokKind::Num { .. }))
            {
                reading.cells[0] = Aligned {
                    value: match tokens[i].kind {
                        TokKind::Num { value, .. } => Some(value),
                        _ => None,
                    },
                    token: Some(i),
                    why: None,
                };
                note = Some(format!("数值写在说明栏：{}", tokens[i].raw));
            }
        }
        if !reading.alternatives.is_empty() {
            sink.note(
                "value.ambiguous_split",
                Severity::Warning,
                format!(
                    "统计表“{label}”的数字相连（{}），可拆分为：{}，未取值",
                    tokens[row.cells[0]].raw,
                    tables::describe_alternatives(&reading.alternatives)
                ),
                ptrs.clone(),
            );
        }
        for (a, p) in reading.cells.iter().zip(&ptrs) {
            sink.record(tokens, p.clone(), a);
        }
        alternatives.push(reading.alternatives.clone());
        stats.rows.push(StatisticsRow {
            label,
            unit,
            values: reading.cells.iter().map(|a| a.value).collect(),
            note,
        });
    }
    resolve_statistics_groups(&mut stats, &alternatives);
    report.statistics_2014 = Some(stats);
}

/// `其中：1.… 2.…` rows add up to the row above them; use that to settle glued digits.
fn resolve_statistics_groups(stats: &mut Statistics2014, alternatives: &[Vec<Vec<f64>>]) {
    let numbered = |label: &str| {
        let l = label
            .trim_start_matches("其中")
            .trim_start_matches([':', '：'])
            .trim_start();
        let mut chars = l.chars();
        chars.next().is_some_and(|c| c.is_ascii_digit())
            && l.chars()
                .find(|c| !c.is_ascii_digit())
                .is_some_and(|c| c == '.' || c == '、')
    };
    let n = stats.rows.len();
    let mut i = 0;
    while i + 1 < n {
        if !stats.rows[i + 1].label.starts_with("其中")
            || numbered(&stats.rows[i].label) && stats.rows[i].label.starts_with("其中")
        {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < n && numbered(&stats.rows[j].label) {
            j += 1;
        }
        if j - i >= 2 {
            let members: Vec<usize> = (i..j).collect();
            let states: Vec<tables::RowState> = members
                .iter()
                .map(|&r| {
                    if alternatives[r].len() > 1 {
                        tables::RowState::Alternatives(alternatives[r].clone())
                    } else {
                        tables::RowState::Fixed(stats.rows[r].values.clone())
                    }
                })
                .collect();
            let holds = |rows: &[Vec<Option<f64>>]| {
                let cols = rows[0].len();
                (0..cols).all(|c| {
                    let parent = rows[0].get(c).copied().flatten();
                    let kids: Option<f64> =
                        rows[1..].iter().map(|r| r.get(c).copied().flatten()).sum();
                    match (parent, kids) {
                        (Some(p), Some(k)) => (p - k).abs() < 1e-6,
                        _ => true,
                    }
                })
            };
            let chosen = tables::resolve_group(&states, &holds);
            for (m, choice) in members.iter().zip(chosen) {
                if let Some(ci) = choice {
                    stats.rows[*m].values = alternatives[*m][ci].iter().map(|v| Some(*v)).collect();
                }
            }
        }
        i = j.max(i + 1);
    }
}

fn regex_year_column(key: &str) -> Option<String> {
    let pos = key.find("年度")?;
    let before = &key[..pos];
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (digits.len() == 4).then_some(digits)
}

/// A label as printed, without the spaces the tokenizer put between its pieces (`计 1条 )`
/// → `计1条)`); a space is kept only between two ASCII letters or digits.
fn compact_label(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if prev.is_some_and(|p| p.is_ascii_alphanumeric())
                && next.is_some_and(|n| n.is_ascii_alphanumeric())
            {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    out
}
