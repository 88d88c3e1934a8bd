//! The reader's findings on synthetic edge cases: every absent value is explained, nothing is
//! invented.

use gongkai_core::model::Generation;
use gongkai_ingest::parse_text;

const T3_HEAD: &str = "三、收到和处理政府信息公开申请情况\n（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况\n自然人 | 法人或其他组织 | 总计\n商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他\n";

fn rules_of(text: &str) -> Vec<String> {
    parse_text(text, None)
        .findings
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_word_in_a_number_cell_is_not_a_number_and_stays_null() {
    let text = "示例局2023年政府信息公开工作年度报告\n第二十条第（一）项 | | |\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数\n规章 | 0 | 不详 | 0\n行政规范性文件 | 1 | 0 | 5\n";
    let p = parse_text(text, None);
    let json = p.report.to_json_value();
    assert_eq!(
        json["proactive"]["regulations"]["repealed"],
        serde_json::Value::Null
    );
    assert_eq!(json["proactive"]["regulations"]["in_force"], 0);
    assert_eq!(json["proactive"]["normative_documents"]["in_force"], 5);
    let f = p
        .findings
        .iter()
        .find(|f| f.rule == "value.not_a_number")
        .expect("finding");
    assert_eq!(f.cells, ["/proactive/regulations/repealed"]);
    assert!(f.message.contains("不详"));
}

#[test]
fn extra_leading_cell_is_aligned_by_the_row_sum() {
    // The group label cell carries its own number: 8 cells for 7 columns.
    let text = format!("{T3_HEAD}（六）其他处理 | 9 | 1 | 0 | 0 | 0 | 0 | 2 | 3 |\n");
    let p = parse_text(&text, None);
    assert_eq!(p.report.generation, Generation::G2019);
    let row = &p.report.requests.as_ref().unwrap()["other"];
    assert_eq!(
        row,
        &vec![
            Some(1.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(2.0),
            Some(3.0)
        ]
    );
    assert!(p.findings.iter().any(|f| f.rule == "value.extra_cells"));
}

#[test]
fn extra_cells_that_the_sums_cannot_place_stay_unknown() {
    let text = format!("{T3_HEAD}（六）其他处理 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 |\n");
    let p = parse_text(&text, None);
    let row = &p.report.requests.as_ref().unwrap()["other"];
    assert!(row.iter().all(Option::is_none), "{row:?}");
}

#[test]
fn a_single_figure_followed_by_empty_cells_is_the_total() {
    let text = format!("{T3_HEAD}一、本年新收政府信息公开申请数量 | 4 | | | | | | |\n二、上年结转政府信息公开申请数量 | 0 | | | | | | |\n");
    let p = parse_text(&text, None);
    let r = p.report.requests.as_ref().unwrap();
    assert_eq!(r["new_received"][6], Some(4.0));
    assert!(r["new_received"][..6].iter().all(Option::is_none));
}

#[test]
fn truncated_table_keeps_what_is_there_and_says_so() {
    let text = format!("{T3_HEAD}一、本年新收政府信息公开申请数量 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n二、上年结转政府信息公开申请数量 | 0 | 0 |");
    let p = parse_text(&text, None);
    let r = p.report.requests.as_ref().unwrap();
    assert_eq!(r["new_received"][6], Some(2.0));
    assert_eq!(&r["carried_over"][..3], &[Some(0.0), Some(0.0), None]);
    assert!(r["disclosed"].iter().all(Option::is_none));
    let rules = rules_of(&text);
    assert!(
        rules.contains(&"structure.truncated".to_string()),
        "{rules:?}"
    );
}

#[test]
fn glued_rows_are_split_by_sums_and_ambiguity_is_reported() {
    // 22|0|0|0|0|3|25 and 2|20|0|0|0|3|25 both satisfy the row sum; nothing else decides.
    let text = format!("{T3_HEAD}一、本年新收政府信息公开申请数量713000074二、上年结转政府信息公开申请数量0000000三、本年度办理结果（一）予以公开2200003251");
    let p = parse_text(&text, None);
    let r = p.report.requests.as_ref().unwrap();
    assert_eq!(
        r["new_received"],
        vec![
            Some(71.0),
            Some(3.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(74.0)
        ]
    );
    assert_eq!(r["carried_over"], vec![Some(0.0); 7]);
    // The last row runs to the end of the text: it may be cut, so it is not split.
    assert!(r["disclosed"].iter().all(Option::is_none));
}

#[test]
fn generation_comes_from_headers_not_the_year() {
    let text = "示例局2018年政府信息公开工作年度报告\n第二十条第（一）项\n信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量\n规章 | 0 | 0 | 0\n";
    let p = parse_text(text, None);
    assert_eq!(p.report.generation, Generation::G2019);
    let f = gongkai_core::rules::check(&p.report);
    assert!(f.iter().any(|f| f.rule == "structure.generation_mismatch"));
}

#[test]
fn traditional_characters_and_full_width_digits() {
    let text = "第二十條第（一）項 | | |\n信息內容 | 本年制發件數 | 本年廢止件數 | 現行有效件數\n規章 | ０ | ０ | ３\n";
    let p = parse_text(text, None);
    assert_eq!(p.report.generation, Generation::G2021);
    assert_eq!(
        p.report.to_json_value()["proactive"]["regulations"]["in_force"],
        3
    );
}
