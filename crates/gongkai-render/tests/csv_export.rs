//! CSV output parsed back with a strict RFC 4180 reader: BOM, CRLF, quoting round-trips,
//! formula injection defused in text but not in numbers, absent cells empty.

mod common;

use common::*;
use gongkai_render::csv::{findings_to_csv, report_to_csv, table_to_csv, REPORT_HEADERS};
use gongkai_render::xlsx::CellValue;

/// A strict RFC 4180 parser: records end with CRLF, quoted fields may hold anything.
fn parse(csv: &str) -> Vec<Vec<String>> {
    let body = csv.strip_prefix('\u{FEFF}').expect("BOM first");
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = body.chars().peekable();
    let mut quoted = false;
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                assert!(
                    field.is_empty() && !quoted,
                    "quote inside an unquoted field"
                );
                in_quotes = true;
                quoted = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                quoted = false;
            }
            '\n' => panic!("bare LF outside quotes"),
            c => {
                assert!(!quoted, "text after a closing quote");
                field.push(c);
            }
        }
    }
    assert!(
        !in_quotes && field.is_empty() && record.is_empty(),
        "last record ends with CRLF"
    );
    records
}

#[test]
fn report_cells_as_one_flat_list() {
    let report = report_2021();
    let rows = parse(&report_to_csv(&report));
    assert_eq!(rows[0], REPORT_HEADERS);
    assert!(rows.iter().all(|r| r.len() == REPORT_HEADERS.len()));
    let find = |pointer: &str| rows.iter().find(|r| r[7] == pointer).unwrap().clone();
    assert_eq!(
        find("/requests/new_received/6"),
        [
            "表三",
            "",
            "new_received",
            "一、本年新收政府信息公开申请数量",
            "total",
            "总计",
            "14",
            "/requests/new_received/6"
        ]
    );
    assert_eq!(find("/requests/new_received/5")[6], "", "absent, not zero");
    assert_eq!(
        find("/requests/withheld_state_secret/0")[1],
        "三、本年度办理结果 （三）不予公开"
    );
    assert_eq!(find("/proactive/fees/amount")[6], "20.3");
    assert_eq!(
        find("/proactive/fees/amount")[5],
        "本年收费金额（单位：万元）"
    );
    assert_eq!(find("/reviews/reconsideration/total")[6], "2");
    let n3 = gongkai_core::skeleton::request_rows(gongkai_core::Generation::G2021).count() * 7;
    assert_eq!(rows.len(), 1 + 10 + n3 + 15);

    let rows = parse(&report_to_csv(&report_2019()));
    let change = rows
        .iter()
        .find(|r| r[7] == "/proactive/licensing/change")
        .unwrap();
    assert_eq!(change[6], "-417", "a negative number stays a number");

    let rows = parse(&report_to_csv(&report_2014()));
    let fee = rows
        .iter()
        .find(|r| r[7] == "/statistics_2014/rows/4/values/0")
        .unwrap();
    assert_eq!(fee[3], "依申请公开信息收取的费用（万元）");
    assert_eq!(fee[5], "2016年度");
    assert_eq!(fee[6], "0.25");
}

#[test]
fn tricky_text_round_trips_and_formulas_are_defused() {
    let nasty = [
        "逗号,分隔",
        "引号\"在中间\"",
        "换行\r\n第二行",
        "=HYPERLINK(\"http://evil\",\"点此\")",
        "+86 10 1234",
        "-1+1",
        "@SUM(A1:A9)",
        "\t=1",
        "普通文字",
        XSS,
    ];
    let rows: Vec<Vec<CellValue>> = nasty
        .iter()
        .map(|s| {
            vec![
                CellValue::from(*s),
                CellValue::Number(-3.0),
                CellValue::Empty,
            ]
        })
        .collect();
    let csv = table_to_csv(&["文字", "数值", "空"], &rows);
    let back = parse(&csv);
    assert_eq!(back[0], ["文字", "数值", "空"]);
    for (s, row) in nasty.iter().zip(&back[1..]) {
        let expected = if s.starts_with(['=', '+', '-', '@', '\t']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        assert_eq!(row[0], expected);
        assert_eq!(row[1], "-3");
        assert_eq!(row[2], "");
    }
}

#[test]
fn findings_as_csv() {
    let report = report_2021();
    let findings = findings_for(&report);
    let rows = parse(&findings_to_csv(&findings));
    assert_eq!(rows.len(), findings.len() + 1);
    let balance = rows.iter().find(|r| r[2] == "requests.balance").unwrap();
    assert_eq!(balance[1], "错误");
    assert_eq!(balance[7], "error");
    assert!(balance[4].contains("/requests/new_received/6"));
    assert_eq!(balance[0], "synthetic/示例市数据资源局-2021.txt");
}
