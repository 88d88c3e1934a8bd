//! DOCX output: a valid Office Open XML package whose tables have the official merged-cell
//! layout (the same merges as the HTML page), escaped text, empty absent cells, and — when
//! LibreOffice is installed — a document LibreOffice really opens and prints with its tables.

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use gongkai_core::Report;
use gongkai_render::{to_docx, to_html};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Every entry of the package, by name, as text.
fn unzip(bytes: &[u8]) -> (Vec<String>, BTreeMap<String, String>) {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("output is a zip archive");
    let mut names = Vec::new();
    let mut parts = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("zip entry");
        let mut text = String::new();
        file.read_to_string(&mut text).expect("entry is UTF-8 text");
        let name = file.name().expect("entry name").to_string();
        names.push(name.clone());
        parts.insert(name, text);
    }
    (names, parts)
}

fn document(report: &Report, findings: &[gongkai_core::Finding]) -> String {
    let (_, mut parts) = unzip(&to_docx(report, findings));
    parts
        .remove("word/document.xml")
        .expect("word/document.xml in the package")
}

/// Read `xml` to the end with quick-xml (end tags checked against start tags), checking every
/// attribute and reference too; panics on malformed XML.
fn assert_well_formed(name: &str, xml: &str) {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                check_attributes(name, &e);
            }
            Ok(Event::Empty(e)) => {
                if depth == 0 {
                    roots += 1;
                }
                check_attributes(name, &e);
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::GeneralRef(r)) => {
                let ok = r.is_char_ref() || ["amp", "lt", "gt", "quot", "apos"].contains(&&*r);
                assert!(ok, "{name}: undefined entity &{};", &*r);
            }
            Ok(Event::Text(t)) => {
                let text = t.xml10_content();
                assert!(
                    !text.contains('<') && !text.contains('>'),
                    "{name}: markup in text {text:?}"
                );
            }
            Ok(_) => {}
            Err(e) => panic!(
                "{name} is not well-formed XML at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "{name}: unclosed elements");
    assert_eq!(roots, 1, "{name}: one root element");
}

fn check_attributes(name: &str, e: &BytesStart) {
    for attr in e.attributes() {
        let attr = attr.unwrap_or_else(|err| panic!("{name}: bad attribute: {err}"));
        attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .unwrap_or_else(|err| panic!("{name}: bad attribute value: {err}"));
    }
}

/// One `<w:tc>`: its text, `w:gridSpan`, `w:vMerge` (`Some(true)` restart, `Some(false)`
/// continue) and shading.
#[derive(Debug, Clone, Default)]
struct XCell {
    text: String,
    span: usize,
    vmerge: Option<bool>,
    fill: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct XTable {
    grid: Vec<u32>,
    rows: Vec<Vec<XCell>>,
    /// Rows marked `w:tblHeader`.
    header_rows: usize,
}

/// A top-level element of the body.
#[derive(Debug, Clone)]
enum Block {
    Paragraph { style: String, text: String },
    Table(XTable),
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .filter_map(Result::ok)
        .find(|a| a.key.as_ref() == key)
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .expect("attribute value")
                .into_owned()
        })
}

/// The body of `document.xml` as paragraphs and tables.
fn body(xml: &str) -> Vec<Block> {
    let mut reader = Reader::from_str(xml);
    let mut blocks = Vec::new();
    let mut table: Option<XTable> = None;
    let mut cell: Option<XCell> = None;
    let mut para: Option<(String, String)> = None;
    let mut in_text = false;
    let mut in_tr_pr = false;
    loop {
        let event = reader.read_event().expect("well-formed");
        let (e, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = e {
            let name = e.name().as_ref().to_string();
            match name.as_str() {
                "w:tbl" => table = Some(XTable::default()),
                "w:gridCol" => {
                    let w = attr(&e, "w:w").expect("gridCol width").parse().unwrap();
                    table.as_mut().unwrap().grid.push(w);
                }
                "w:tr" => table.as_mut().unwrap().rows.push(Vec::new()),
                "w:trPr" => in_tr_pr = !empty,
                "w:tblHeader" if in_tr_pr => table.as_mut().unwrap().header_rows += 1,
                "w:tc" => {
                    cell = Some(XCell {
                        span: 1,
                        ..XCell::default()
                    })
                }
                "w:gridSpan" => {
                    cell.as_mut().unwrap().span = attr(&e, "w:val").unwrap().parse().unwrap()
                }
                "w:vMerge" => {
                    cell.as_mut().unwrap().vmerge =
                        Some(attr(&e, "w:val").as_deref() == Some("restart"))
                }
                "w:shd" if cell.is_some() => cell.as_mut().unwrap().fill = attr(&e, "w:fill"),
                "w:p" => {
                    if let Some(c) = cell.as_mut() {
                        if !c.text.is_empty() {
                            c.text.push('\n');
                        }
                    }
                    if table.is_none() {
                        para = Some((String::new(), String::new()));
                    }
                    if empty {
                        if let Some((style, text)) = para.take() {
                            blocks.push(Block::Paragraph { style, text });
                        }
                    }
                }
                "w:pStyle" => {
                    if let Some(p) = para.as_mut() {
                        p.0 = attr(&e, "w:val").unwrap();
                    }
                }
                "w:t" => in_text = !empty,
                "w:br" => push_text(&mut cell, &mut para, "\n"),
                "w:tab" => push_text(&mut cell, &mut para, "\t"),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Eof => break,
            Event::Text(t) if in_text => push_text(&mut cell, &mut para, &t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let s = match &*r {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    _ => r.resolve_char_ref().unwrap().unwrap().to_string(),
                };
                push_text(&mut cell, &mut para, &s);
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:trPr" => in_tr_pr = false,
                "w:tc" => {
                    let c = cell.take().unwrap();
                    table.as_mut().unwrap().rows.last_mut().unwrap().push(c);
                }
                "w:tbl" => blocks.push(Block::Table(table.take().unwrap())),
                "w:p" => {
                    if let Some((style, text)) = para.take() {
                        blocks.push(Block::Paragraph { style, text });
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    blocks
}

fn push_text(cell: &mut Option<XCell>, para: &mut Option<(String, String)>, s: &str) {
    if let Some(c) = cell.as_mut() {
        c.text.push_str(s);
    } else if let Some(p) = para.as_mut() {
        p.1.push_str(s);
    }
}

fn tables(blocks: &[Block]) -> Vec<&XTable> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Paragraph { .. } => None,
        })
        .collect()
}

/// Texts of the top-level paragraphs of `style`.
fn paragraphs<'a>(blocks: &'a [Block], style: &str) -> Vec<&'a str> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { style: s, text } if s == style => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The table as logical cells `(text, rowspan, colspan)`, continuation cells folded into the
/// cell they continue — the shape of an HTML table.
fn logical(table: &XTable) -> Vec<Vec<(String, usize, usize)>> {
    // Grid column where each cell starts.
    let starts: Vec<Vec<usize>> = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .scan(0, |col, c| {
                    let s = *col;
                    *col += c.span;
                    Some(s)
                })
                .collect()
        })
        .collect();
    table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, c)| c.vmerge != Some(false))
                .map(|(i, c)| {
                    let col = starts[r][i];
                    let continues = |below: usize| {
                        starts[below]
                            .iter()
                            .position(|&s| s == col)
                            .is_some_and(|j| table.rows[below][j].vmerge == Some(false))
                    };
                    let rowspan = if c.vmerge == Some(true) {
                        1 + (r + 1..table.rows.len())
                            .take_while(|&below| continues(below))
                            .count()
                    } else {
                        1
                    };
                    (c.text.clone(), rowspan, c.span)
                })
                .collect()
        })
        .collect()
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The HTML renderer's table of `class` in the same shape as [`logical`].
fn html_logical(html: &str, class: &str) -> Vec<Vec<(String, usize, usize)>> {
    table_rows(html, class)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| (html_unescape(&c.text), c.rowspan, c.colspan))
                .collect()
        })
        .collect()
}

fn find_row<'a>(table: &'a XTable, label: &str) -> &'a [XCell] {
    table
        .rows
        .iter()
        .find(|row| row.iter().any(|c| c.text == label))
        .unwrap_or_else(|| panic!("no row labelled {label}"))
}

/// A 2021 report of a made-up county agency.
fn county_report() -> Report {
    let mut r = report_2021();
    r.agency = Some("示例县数据资源局".into());
    r
}

#[test]
fn package_is_a_valid_docx() {
    let bytes = to_docx(&county_report(), &findings_for(&county_report()));
    let (names, parts) = unzip(&bytes);
    assert_eq!(names[0], "[Content_Types].xml");
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
        "word/_rels/document.xml.rels",
        "docProps/core.xml",
        "docProps/app.xml",
    ] {
        assert!(parts.contains_key(part), "missing {part}");
    }
    for (name, text) in &parts {
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\""));
        assert_well_formed(name, text);
    }
    let doc = &parts["word/document.xml"];
    assert!(doc.contains("<w:gridSpan w:val=\"3\"/>"));
    assert!(doc.contains("<w:vMerge w:val=\"restart\"/>"));
    assert!(doc.contains("<w:vMerge/>"));
    // Every part the package names exists, and the main part is the Word document.
    let types = &parts["[Content_Types].xml"];
    for part in parts
        .keys()
        .filter(|n| n.ends_with(".xml") && *n != "[Content_Types].xml")
    {
        assert!(
            types.contains(&format!("PartName=\"/{part}\"")),
            "{part} untyped"
        );
    }
    assert!(types.contains("wordprocessingml.document.main+xml"));
    assert!(parts["_rels/.rels"].contains("Target=\"word/document.xml\""));
    assert!(parts["word/_rels/document.xml.rels"].contains("Target=\"styles.xml\""));
    // CJK font and language in the styles.
    let styles = &parts["word/styles.xml"];
    assert!(styles.contains("w:eastAsia=\"SimSun\""));
    assert!(styles.contains("w:eastAsia=\"zh-CN\""));
    assert!(parts["word/fontTable.xml"].contains("Noto Serif CJK SC"));
}

#[test]
fn output_is_deterministic() {
    let r = county_report();
    let f = findings_for(&r);
    assert_eq!(to_docx(&r, &f), to_docx(&r, &f));
}

#[test]
fn tables_mirror_the_html_layout() {
    for (report, classes) in [
        (county_report(), &["proactive", "requests", "reviews"][..]),
        (report_2019(), &["proactive", "requests", "reviews"][..]),
        (report_2014(), &["statistics"][..]),
    ] {
        let findings = findings_for(&report);
        let blocks = body(&document(&report, &findings));
        let html = to_html(&report, &findings);
        let tables = tables(&blocks);
        assert_eq!(tables.len(), classes.len(), "{:?}", report.generation);
        for (table, class) in tables.iter().zip(classes) {
            assert_eq!(
                logical(table),
                html_logical(&html, class),
                "{class} of {:?}",
                report.generation
            );
        }
    }
}

#[test]
fn every_row_fills_the_grid_and_merges_line_up() {
    for report in [
        county_report(),
        report_2019(),
        report_2014(),
        report_hostile(),
    ] {
        let blocks = body(&document(&report, &findings_for(&report)));
        for table in tables(&blocks) {
            let total: u32 = table.grid.iter().sum();
            assert!(
                (6000..=9638).contains(&total),
                "table width {total} twips fits A4"
            );
            let mut above: Vec<Option<bool>> = vec![None; table.grid.len()];
            for row in &table.rows {
                let width: usize = row.iter().map(|c| c.span).sum();
                assert_eq!(width, table.grid.len(), "row {row:?}");
                let mut col = 0;
                for c in row {
                    if c.vmerge == Some(false) {
                        assert!(above[col].is_some(), "continuation without a start: {c:?}");
                        assert!(c.text.is_empty(), "continuation cells carry no text");
                    }
                    for slot in &mut above[col..col + c.span] {
                        *slot = c.vmerge;
                    }
                    col += c.span;
                }
            }
        }
    }
}

#[test]
fn table_three_has_the_national_merges() {
    let blocks = body(&document(&county_report(), &[]));
    let t = tables(&blocks)[1];
    assert_eq!(t.grid.len(), 10);
    assert_eq!(t.header_rows, 3);
    let r0 = &t.rows[0];
    assert_eq!(
        r0[0].text,
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    );
    assert_eq!((r0[0].span, r0[0].vmerge), (3, Some(true)));
    assert_eq!((r0[1].text.as_str(), r0[1].span), ("申请人情况", 7));
    let r1: Vec<_> = t.rows[1]
        .iter()
        .map(|c| (c.text.as_str(), c.span, c.vmerge))
        .collect();
    assert_eq!(
        r1,
        [
            ("", 3, Some(false)),
            ("自然人", 1, Some(true)),
            ("法人或其他组织", 5, None),
            ("总计", 1, Some(true)),
        ]
    );
    let r2: Vec<_> = t.rows[2].iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        r2,
        [
            "",
            "",
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他",
            ""
        ]
    );
    // 一、 spans the three label columns; 三、本年度办理结果 runs down all 22 result rows.
    let first = find_row(t, "一、本年新收政府信息公开申请数量");
    assert_eq!(first[0].span, 3);
    let result = &t.rows[5];
    assert_eq!(
        (result[0].text.as_str(), result[0].vmerge),
        ("三、本年度办理结果", Some(true))
    );
    let continued = t.rows[6..]
        .iter()
        .take_while(|row| row[0].vmerge == Some(false))
        .count();
    assert_eq!(continued, 21);
    // （三）不予公开 over its eight reasons; （六）其他处理 over three in 2021.
    let secret = find_row(t, "1.属于国家秘密");
    assert_eq!(
        (secret[1].text.as_str(), secret[1].vmerge),
        ("（三）不予公开", Some(true))
    );
    let other = find_row(
        t,
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    );
    assert_eq!(
        (other[1].text.as_str(), other[1].vmerge),
        ("（六）其他处理", Some(true))
    );
    let total = find_row(t, "（七）总计");
    assert_eq!((total[0].vmerge, total[1].span), (Some(false), 2));
    assert_eq!(find_row(t, "四、结转下年度继续办理")[0].span, 3);

    // 2019: （六）其他处理 is a row of its own across the two inner label columns.
    let blocks = body(&document(&report_2019(), &[]));
    let t = tables(&blocks)[1];
    let other = find_row(t, "（六）其他处理");
    assert_eq!((other[0].vmerge, other[1].span), (Some(false), 2));
    assert_eq!(other.len(), 2 + 7);
}

#[test]
fn table_four_has_the_national_header() {
    let blocks = body(&document(&county_report(), &[]));
    let t = tables(&blocks)[2];
    assert_eq!(t.grid.len(), 15);
    assert_eq!(t.rows.len(), 4);
    let r0: Vec<_> = t.rows[0]
        .iter()
        .map(|c| (c.text.as_str(), c.span))
        .collect();
    assert_eq!(r0, [("行政复议", 5), ("行政诉讼", 10)]);
    let r1: Vec<_> = t.rows[1]
        .iter()
        .map(|c| (c.text.as_str(), c.span, c.vmerge))
        .collect();
    assert_eq!(
        r1,
        [
            ("结果维持", 1, Some(true)),
            ("结果纠正", 1, Some(true)),
            ("其他结果", 1, Some(true)),
            ("尚未审结", 1, Some(true)),
            ("总计", 1, Some(true)),
            ("未经复议直接起诉", 5, None),
            ("复议后起诉", 5, None),
        ]
    );
    assert_eq!(t.rows[2].len(), 15);
    assert!(t.rows[2][..5].iter().all(|c| c.vmerge == Some(false)));
    let r2: Vec<_> = t.rows[2][5..10].iter().map(|c| c.text.as_str()).collect();
    assert_eq!(r2, ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]);
    let data: Vec<_> = t.rows[3].iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        data,
        ["1", "0", "0", "0", "2", "0", "0", "0", "0", "0", "0", "0", "0", "", "0"]
    );
}

#[test]
fn absent_cells_are_empty_never_zero() {
    let blocks = body(&document(&county_report(), &[]));
    let tables = tables(&blocks);
    // 表二: 行政强制 has no 处理决定数量; 行政事业性收费 keeps its decimals.
    let enforcement = find_row(tables[0], "行政强制");
    assert_eq!(enforcement[1].text, "");
    assert_eq!(enforcement[1].span, 3);
    assert_eq!(find_row(tables[0], "行政事业性收费")[1].text, "20.3");
    assert_eq!(find_row(tables[0], "行政规范性文件")[2].text, "");
    // 表三: 本年新收 · 其他 is absent, the zeros are zeros.
    let new: Vec<_> = find_row(tables[1], "一、本年新收政府信息公开申请数量")[1..]
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(new, ["10", "2", "0", "0", "1", "", "14"]);

    // A report whose table 三 has only some rows: the others are rows of empty cells.
    let blocks = body(&document(&report_2019(), &[]));
    let row = find_row(tables_of(&blocks, 1), "1.属于国家秘密");
    assert!(row[3..].iter().all(|c| c.text.is_empty()), "{row:?}");
}

fn tables_of(blocks: &[Block], i: usize) -> &XTable {
    tables(blocks)[i]
}

#[test]
fn text_is_escaped() {
    let mut report = county_report();
    report.agency = Some("<script>&".into());
    report.narrative.insert(
        "六".into(),
        "含\"引号\"与'单引号' & <b>标记</b>，页脚\u{c}换页符".into(),
    );
    let (_, parts) = unzip(&to_docx(&report, &findings_for(&report)));
    let doc = &parts["word/document.xml"];
    assert_well_formed("document.xml", doc);
    assert!(doc.contains("&lt;script&gt;&amp;2021年政府信息公开工作年度报告"));
    assert!(!doc.contains("<script>"));
    assert!(!doc.contains("<b>"));
    assert!(!doc.contains('\u{c}'));
    assert!(parts["docProps/core.xml"].contains("<dc:title>&lt;script&gt;&amp;2021年"));
    let blocks = body(doc);
    assert_eq!(
        paragraphs(&blocks, "Title"),
        ["<script>&2021年政府信息公开工作年度报告"]
    );
    assert!(
        paragraphs(&blocks, "BodyText").contains(&"含\"引号\"与'单引号' & <b>标记</b>，页脚换页符")
    );
    // The finding message with markup and quotes is escaped too.
    assert!(paragraphs(&blocks, "Finding")
        .iter()
        .any(|p| p.contains("读作\"<b>若干</b>\"，不是数字")));

    // Hostile text in the agency, the narrative, a narrative key and the source.
    let hostile = report_hostile();
    let (_, parts) = unzip(&to_docx(&hostile, &findings_for(&hostile)));
    for (name, text) in &parts {
        assert_well_formed(name, text);
        assert!(!text.contains(XSS), "{name} carries raw markup");
    }
    let blocks = body(&parts["word/document.xml"]);
    assert!(paragraphs(&blocks, "Heading1").contains(&XSS));
}

#[test]
fn content_is_in_report_order() {
    let report = county_report();
    let findings = findings_for(&report);
    let blocks = body(&document(&report, &findings));
    let outline: Vec<String> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { style, text } if style == "Title" || style == "Heading1" => {
                Some(text.clone())
            }
            Block::Table(t) => Some(format!("[table {}x{}]", t.rows.len(), t.grid.len())),
            _ => None,
        })
        .collect();
    assert_eq!(
        outline,
        [
            "示例县数据资源局2021年政府信息公开工作年度报告",
            "一、总体情况",
            "二、主动公开政府信息情况",
            "[table 14x4]",
            "三、收到和处理政府信息公开申请情况",
            "[table 28x10]",
            "四、政府信息公开行政复议、行政诉讼情况",
            "[table 4x15]",
            "五、存在的主要问题及改进情况",
            "六、其他需要报告的事项",
            "检查结果",
        ]
    );
    // One paragraph per line of narrative.
    let body_text = paragraphs(&blocks, "BodyText");
    assert_eq!(
        body_text[..2],
        [
            "2021年，示例市数据资源局认真贯彻落实《中华人民共和国政府信息公开条例》。",
            "全年主动公开政府信息1234条。"
        ]
    );
    let listed = paragraphs(&blocks, "Finding");
    assert_eq!(listed.len(), findings.len());
    assert!(listed[0].starts_with("1. 【"));
    assert!(listed
        .iter()
        .any(|l| l.ends_with("（单元格：/proactive/licensing/decisions）")));

    // No findings: no 检查结果 section.
    let blocks = body(&document(&report, &[]));
    assert!(!paragraphs(&blocks, "Heading1").contains(&"检查结果"));

    // A pre-2019 report: its own narrative heading, then the 统计表.
    let blocks = body(&document(&report_2014(), &[]));
    assert_eq!(
        paragraphs(&blocks, "Heading1"),
        ["概述", "政府信息公开情况统计表"]
    );
    let stats = tables(&blocks)[0];
    let fee: Vec<_> = find_row(stats, "依申请公开信息收取的费用")
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        fee,
        ["依申请公开信息收取的费用", "万元", "0.25", "", "含复印费"]
    );
}

#[test]
fn cells_named_by_findings_are_shaded() {
    let report = county_report();
    let findings = findings_for(&report);
    let blocks = body(&document(&report, &findings));
    let tables = tables(&blocks);
    let licensing = find_row(tables[0], "行政许可");
    assert_eq!(licensing[1].fill.as_deref(), Some("FFF0C2"), "warning");
    let new = find_row(tables[1], "一、本年新收政府信息公开申请数量");
    assert_eq!(new[7].fill.as_deref(), Some("FFD6D6"), "error on 总计");
    assert_eq!(new[1].fill, None);
    // Without findings no data cell is shaded.
    let blocks = body(&document(&report, &[]));
    let new = find_row(tables_of(&blocks, 1), "一、本年新收政府信息公开申请数量");
    assert!(new[1..].iter().all(|c| c.fill.is_none()));
}

/// An executable named `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Run `cmd`, killing it after `limit`; its stdout, or a panic on failure or timeout.
fn run_with_timeout(mut cmd: Command, limit: Duration) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).ok();
        out
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .ok();
    assert!(status.success(), "{cmd:?} failed ({status}): {stderr}");
    reader.join().unwrap()
}

fn scratch_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("gongkai-docx-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn convert_to_pdf(soffice: &Path, dir: &Path, docx: &Path) -> PathBuf {
    let mut cmd = Command::new(soffice);
    // A private profile: no clash with another LibreOffice running on the machine.
    cmd.arg(format!(
        "-env:UserInstallation=file://{}",
        dir.join("profile").display()
    ))
    .args([
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
    ])
    .arg(dir)
    .arg(docx);
    run_with_timeout(cmd, Duration::from_secs(120));
    docx.with_extension("pdf")
}

#[test]
fn libreoffice_opens_it_and_prints_the_tables() {
    let Some(soffice) = on_path("soffice").or_else(|| on_path("libreoffice")) else {
        println!("LibreOffice absent: skipped (apt-get install libreoffice-writer-nogui fonts-noto-cjk poppler-utils)");
        return;
    };
    let dir = scratch_dir();
    let report = county_report();
    let docx = dir.join("report.docx");
    std::fs::write(&docx, to_docx(&report, &findings_for(&report))).unwrap();
    let pdf = convert_to_pdf(&soffice, &dir, &docx);
    let bytes = std::fs::read(&pdf)
        .unwrap_or_else(|e| panic!("LibreOffice wrote no PDF {}: {e}", pdf.display()));
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert!(bytes.len() > 1000, "PDF of {} bytes", bytes.len());

    let Some(pdftotext) = on_path("pdftotext") else {
        println!("pdftotext absent: PDF text not checked (apt-get install poppler-utils)");
        std::fs::remove_dir_all(&dir).ok();
        return;
    };
    let mut cmd = Command::new(pdftotext);
    cmd.arg("-layout").arg(&pdf).arg("-");
    let text = String::from_utf8(run_with_timeout(cmd, Duration::from_secs(60))).unwrap();
    // Layout mode pads columns with spaces; compare without any whitespace.
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for needle in [
        "示例县数据资源局2021年政府信息公开工作年度报告",
        "一、总体情况",
        "第二十条第（一）项",
        "本年制发件数",
        "申请人情况",
        "法人或其他组织",
        "本年新收政府信息公开申请数量",
        "上年结转政府信息公开申请数量",
        "1.属于国家秘密",
        "（七）总计",
        "结转下年度继续办理",
        "行政诉讼",
        "未经复议直接起诉",
        "复议后起诉",
        "5213",
        "检查结果",
    ] {
        assert!(
            flat.contains(needle),
            "{needle} not in the PDF text:\n{text}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
