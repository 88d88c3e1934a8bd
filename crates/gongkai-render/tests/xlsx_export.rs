//! XLSX output read back with calamine: sheet names, header text, merged header and label
//! cells, numbers as numbers, absent cells empty, findings as notes and in 检查结果; generic
//! tables with frozen headers; a roll-up and a comparison exported through the same writers.

mod common;

use std::io::{Cursor, Read};

use calamine::{open_workbook_from_rs, Data, Dimensions, Reader, Xlsx};
use common::*;
use gongkai_core::{compare, rollup};
use gongkai_render::xlsx::{report_to_xlsx, table_to_xlsx, CellValue};

type Book = Xlsx<Cursor<Vec<u8>>>;

fn open(bytes: Vec<u8>) -> Book {
    open_workbook_from_rs(Cursor::new(bytes)).expect("a readable workbook")
}

fn sheet(book: &mut Book, name: &str) -> calamine::Range<Data> {
    book.worksheet_range(name).expect("sheet exists")
}

fn at(range: &calamine::Range<Data>, r: u32, c: u32) -> Data {
    range.get_value((r, c)).cloned().unwrap_or(Data::Empty)
}

fn text(range: &calamine::Range<Data>, r: u32, c: u32) -> String {
    match at(range, r, c) {
        Data::String(s) => s,
        other => panic!("({r},{c}) is not text: {other:?}"),
    }
}

fn merges(book: &mut Book, name: &str) -> Vec<((u32, u32), (u32, u32))> {
    book.merge_cells_by_sheet_name(name)
        .expect("merged regions")
        .iter()
        .map(|d: &Dimensions| (d.start, d.end))
        .collect()
}

/// The text of one part of the package.
fn part(bytes: &[u8], name: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut f = zip.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    Some(s)
}

#[test]
fn report_2021_has_the_national_layout() {
    let report = report_2021();
    let findings = findings_for(&report);
    let bytes = report_to_xlsx(&report, &findings).unwrap();
    let mut book = open(bytes.clone());
    assert_eq!(
        book.sheet_names(),
        [
            "概况",
            "表二 主动公开",
            "表三 依申请公开",
            "表四 复议诉讼",
            "检查结果"
        ]
    );

    // Table 三: header texts and merges.
    let name = "表三 依申请公开";
    let t3 = sheet(&mut book, name);
    assert_eq!(text(&t3, 0, 0), "三、收到和处理政府信息公开申请情况");
    assert!(text(&t3, 1, 0).contains("勾稽关系"));
    assert_eq!(text(&t3, 1, 3), "申请人情况");
    assert_eq!(text(&t3, 2, 3), "自然人");
    assert_eq!(text(&t3, 2, 4), "法人或其他组织");
    let heads: Vec<String> = (4..9).map(|c| text(&t3, 3, c)).collect();
    assert_eq!(
        heads,
        [
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他"
        ]
    );
    assert_eq!(text(&t3, 2, 9), "总计");
    let m = merges(&mut book, name);
    for region in [
        ((1, 0), (3, 2)),
        ((1, 3), (1, 9)),
        ((2, 3), (3, 3)),
        ((2, 4), (2, 8)),
        ((2, 9), (3, 9)),
        ((4, 0), (4, 2)), // 一、本年新收… across the three label columns
    ] {
        assert!(m.contains(&region), "{region:?} not merged: {m:?}");
    }
    // Rows: new_received first, numbers as numbers, the absent cell empty.
    assert_eq!(text(&t3, 4, 0), "一、本年新收政府信息公开申请数量");
    assert_eq!(at(&t3, 4, 3), Data::Float(10.0));
    assert_eq!(at(&t3, 4, 8), Data::Empty);
    assert_eq!(at(&t3, 4, 9), Data::Float(14.0));
    // 三、本年度办理结果 merged down the whole result block; （三）不予公开 over its 8 reasons.
    let rows = gongkai_core::skeleton::request_rows(gongkai_core::Generation::G2021).count() as u32;
    let result_rows = rows - 3; // all but new_received, carried_over, carried_forward
    assert_eq!(text(&t3, 6, 0), "三、本年度办理结果");
    assert!(m.contains(&((6, 0), (6 + result_rows - 1, 0))), "{m:?}");
    assert_eq!(text(&t3, 8, 1), "（三）不予公开");
    assert!(m.contains(&((8, 1), (15, 1))));
    assert_eq!(text(&t3, 8, 2), "1.属于国家秘密");
    assert_eq!(text(&t3, 4 + rows - 1, 0), "四、结转下年度继续办理");

    // Table 四: two header rows of groups, values in row 4.
    let name = "表四 复议诉讼";
    let t4 = sheet(&mut book, name);
    assert_eq!(text(&t4, 1, 0), "行政复议");
    assert_eq!(text(&t4, 1, 5), "行政诉讼");
    assert_eq!(text(&t4, 2, 5), "未经复议直接起诉");
    assert_eq!(text(&t4, 2, 10), "复议后起诉");
    assert_eq!(text(&t4, 3, 14), "总计");
    assert_eq!(at(&t4, 4, 0), Data::Float(1.0));
    assert_eq!(at(&t4, 4, 4), Data::Float(2.0));
    assert_eq!(at(&t4, 4, 13), Data::Empty);
    let m = merges(&mut book, name);
    assert!(m.contains(&((1, 0), (1, 4))) && m.contains(&((1, 5), (1, 14))));
    assert!(m.contains(&((2, 0), (3, 0))) && m.contains(&((2, 10), (2, 14))));

    // Table 二: block title rows across, the single-column blocks spanning the width.
    let name = "表二 主动公开";
    let t2 = sheet(&mut book, name);
    assert_eq!(text(&t2, 1, 0), "第二十条第（一）项");
    assert_eq!(text(&t2, 2, 1), "本年制发件数");
    assert_eq!(text(&t2, 3, 0), "规章");
    assert_eq!(at(&t2, 3, 3), Data::Float(35.0));
    assert_eq!(at(&t2, 4, 2), Data::Empty);
    let fees_row = (0..t2.height() as u32)
        .find(|r| at(&t2, *r, 0) == Data::String("行政事业性收费".into()))
        .unwrap();
    assert_eq!(at(&t2, fees_row, 1), Data::Float(20.3));
    let m = merges(&mut book, name);
    assert!(m.contains(&((1, 0), (1, 3))));
    assert!(m.contains(&((fees_row, 1), (fees_row, 3))), "{m:?}");

    // Findings: the listed sheet, and notes on the cells they name.
    let list = sheet(&mut book, "检查结果");
    assert_eq!(text(&list, 0, 1), "严重程度");
    assert_eq!(list.height(), findings.len() + 1);
    let rules: Vec<String> = (1..=findings.len() as u32)
        .map(|r| text(&list, r, 2))
        .collect();
    assert!(rules.contains(&"requests.balance".to_string()));
    let notes = part(&bytes, "xl/comments1.xml")
        .or_else(|| part(&bytes, "xl/comments2.xml"))
        .expect("notes");
    assert!(notes.contains("requests.balance") || notes.contains("value.not_a_number"));
    let all_notes: String = (1..6)
        .filter_map(|i| part(&bytes, &format!("xl/comments{i}.xml")))
        .collect();
    assert!(all_notes.contains("requests.balance"));
    assert!(
        all_notes.contains("&lt;b&gt;若干&lt;/b&gt;"),
        "markup in a message is text"
    );

    let overview = sheet(&mut book, "概况");
    assert_eq!(
        text(&overview, 0, 0),
        "示例市数据资源局2021年政府信息公开工作年度报告"
    );
}

#[test]
fn report_2019_and_2014_sheets() {
    let bytes = report_to_xlsx(&report_2019(), &[]).unwrap();
    let mut book = open(bytes);
    let t2 = sheet(&mut book, "表二 主动公开");
    let cells: Vec<Data> = t2.used_cells().map(|(_, _, d)| d.clone()).collect();
    assert!(cells.contains(&Data::String("采购总金额（单位：元）".into())));
    assert!(cells.contains(&Data::Float(-417.0)));
    let t3 = sheet(&mut book, "表三 依申请公开");
    let labels: Vec<String> = (4..t3.height() as u32)
        .filter_map(|r| match at(&t3, r, 1) {
            Data::String(s) => Some(s),
            _ => None,
        })
        .collect();
    assert!(labels.contains(&"（六）其他处理".to_string()));
    let list = sheet(&mut book, "检查结果");
    assert_eq!(list.height(), 1);

    let bytes = report_to_xlsx(&report_2014(), &[]).unwrap();
    let mut book = open(bytes);
    assert_eq!(book.sheet_names(), ["概况", "统计表", "检查结果"]);
    let st = sheet(&mut book, "统计表");
    assert_eq!(text(&st, 1, 2), "2016年度");
    assert_eq!(text(&st, 1, 3), "历年累计");
    assert_eq!(text(&st, 1, 4), "说明");
    assert_eq!(text(&st, 3, 0), "（一）主动公开政府信息数");
    assert_eq!(at(&st, 3, 2), Data::Empty);
    assert_eq!(text(&st, 3, 4), "1603条");
    assert_eq!(at(&st, 6, 2), Data::Float(0.25));
}

#[test]
fn hostile_text_comes_back_verbatim() {
    let report = report_hostile();
    let bytes = report_to_xlsx(&report, &findings_for(&report)).unwrap();
    let mut book = open(bytes);
    let overview = sheet(&mut book, "概况");
    let cells: Vec<Data> = overview.used_cells().map(|(_, _, d)| d.clone()).collect();
    assert!(cells.contains(&Data::String(XSS.into())));
}

#[test]
fn generic_tables_keep_numbers_and_blanks() {
    let rows = vec![
        vec![
            CellValue::from("示例市数据资源局"),
            CellValue::from(14.0),
            CellValue::Empty,
            CellValue::from("=1+1"),
        ],
        vec![
            CellValue::from("示例县政务服务管理局"),
            CellValue::from(Some(3.0)),
        ],
    ];
    let title = "各单位依申请公开情况一览（2021年度）：新收申请数/办结数 [草稿]";
    let bytes = table_to_xlsx(title, &["单位", "新收申请", "办结", "备注"], &rows).unwrap();
    let mut book = open(bytes);
    let names = book.sheet_names();
    assert_eq!(names.len(), 1);
    assert!(names[0].chars().count() <= 31 && !names[0].contains('/') && !names[0].contains('['));
    let name = names[0].clone();
    let t = sheet(&mut book, &name);
    assert_eq!(text(&t, 0, 1), "新收申请");
    assert_eq!(at(&t, 1, 1), Data::Float(14.0));
    assert_eq!(at(&t, 1, 2), Data::Empty);
    assert_eq!(
        at(&t, 1, 3),
        Data::String("=1+1".into()),
        "text, not a formula"
    );
    assert_eq!(at(&t, 2, 1), Data::Float(3.0));
    assert!(table_to_xlsx("", &[], &[]).is_ok());
}

#[test]
fn rollups_and_comparisons_export() {
    let a = report_2021();
    let mut b = report_2021();
    b.agency = Some("示例区数据资源局".into());
    let roll = rollup::rollup(&[("市局", &a), ("区局", &b)], 2021);
    assert_eq!(roll.included.len(), 2);
    let report = roll.to_report("示例市（汇总）");
    let bytes = report_to_xlsx(&report, &gongkai_core::rules::check(&report)).unwrap();
    let mut book = open(bytes);
    let t3 = sheet(&mut book, "表三 依申请公开");
    assert_eq!(at(&t3, 4, 3), Data::Float(20.0));
    assert_eq!(
        at(&t3, 4, 8),
        Data::Empty,
        "absent in a unit → absent in the total"
    );

    let cmp = compare::compare(&report_2019(), &a);
    let rows: Vec<Vec<CellValue>> = cmp
        .differences()
        .map(|c| {
            vec![
                CellValue::from(c.row_label.as_str()),
                CellValue::from(c.column_label.as_str()),
                CellValue::from(c.left),
                CellValue::from(c.right),
                CellValue::from(c.delta),
                CellValue::from(c.status.label_zh()),
            ]
        })
        .collect();
    assert!(!rows.is_empty());
    let bytes = table_to_xlsx("对比", &["行", "列", "左", "右", "变化", "状态"], &rows).unwrap();
    let mut book = open(bytes);
    let t = sheet(&mut book, "对比");
    assert_eq!(t.height(), rows.len() + 1);
}
