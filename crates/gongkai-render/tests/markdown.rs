//! Markdown output: title, metadata, the tables with the skeleton's labels, findings, narrative.

mod common;

use common::*;
use gongkai_core::Report;
use gongkai_render::to_markdown;

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find {needle:?} in:\n{haystack}"
    );
}

#[test]
fn title_and_metadata() {
    let md = to_markdown(&report_2021(), &[]);
    assert!(md.starts_with("# 示例市数据资源局2021年政府信息公开工作年度报告\n"));
    assert_contains(&md, "- 格式版本：2021版（国办公开办函〔2021〕30号）\n");
    assert_contains(&md, "- 发布日期：2022-01-20\n");
    assert_contains(&md, "- 章节：一、二、三、四、五、六\n");

    let md = to_markdown(&report_2019(), &[]);
    assert_contains(&md, "- 发布日期：未知\n");
    assert_contains(&md, "- 章节：一、二、三、四、五\n");
}

#[test]
fn table_two_blocks_follow_the_generation() {
    let md = to_markdown(&report_2021(), &[]);
    assert_contains(&md, "### 第二十条第（一）项\n\n| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n| --- | ---: | ---: | ---: |\n| 规章 | 2 | 1 | 35 |\n| 行政规范性文件 | 12 | | 140 |\n");
    assert_contains(&md, "| 行政事业性收费 | 20.3 |\n");
    assert_contains(&md, "| 行政强制 | |\n");
    assert!(!md.contains("第二十条第（九）项"));

    let md = to_markdown(&report_2019(), &[]);
    assert_contains(
        &md,
        "| 信息内容 | 采购项目数量 | 采购总金额（单位：元） |\n",
    );
    assert_contains(&md, "| 政府集中采购 | 4 | 39670 |\n");
    assert_contains(&md, "| 行政许可 | 812 | -417 | 395 |\n");
    assert_contains(&md, "| 其他对外管理服务事项 | | | |\n");
}

#[test]
fn table_three_rows_and_columns() {
    let md = to_markdown(&report_2021(), &[]);
    assert_contains(
        &md,
        "| 项目 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n",
    );
    // 其他 is absent in the first row: an empty cell, not 0.
    assert_contains(
        &md,
        "| 一、本年新收政府信息公开申请数量 | 10 | 2 | 0 | 0 | 1 | | 14 |\n",
    );
    assert_contains(&md, "| **三、本年度办理结果** | | | | | | | |\n");
    assert_contains(&md, "| \u{3000}**（三）不予公开** | | | | | | | |\n");
    assert_contains(
        &md,
        "| \u{3000}\u{3000}4.保护第三方合法权益 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n",
    );
    assert_contains(&md, "| \u{3000}\u{3000}1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 0 | 1 | 0 | 0 | 0 | 0 | 1 |\n");
    assert_contains(
        &md,
        "| \u{3000}（七）总计 | 10 | 2 | 0 | 0 | 1 | 0 | 13 |\n",
    );
    assert_contains(
        &md,
        "| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n",
    );

    let md = to_markdown(&report_2019(), &[]);
    // The 2019 single （六） row; a row the report lacks is blank.
    assert_contains(
        &md,
        "| \u{3000}（六）其他处理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n",
    );
    assert_contains(
        &md,
        "| \u{3000}（二）部分公开（区分处理的，只计这一情形，不计其他情形） | | | | | | | |\n",
    );
    assert!(!md.contains("逾期不补正"));
}

#[test]
fn table_four_groups() {
    let md = to_markdown(&report_2021(), &[]);
    assert_contains(
        &md,
        "| 类别 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |\n",
    );
    assert_contains(&md, "| 行政复议 | 1 | 0 | 0 | 0 | 2 |\n");
    assert_contains(&md, "| 行政诉讼 · 复议后起诉 | 0 | 0 | 0 | | 0 |\n");
}

#[test]
fn statistics_table_2014() {
    let md = to_markdown(&report_2014(), &[]);
    assert_contains(&md, "## 政府信息公开情况统计表\n");
    assert_contains(
        &md,
        "| 统计指标 | 单位 | 2016年度 | 历年累计 | 说明 |\n| --- | --- | ---: | ---: | --- |\n",
    );
    assert_contains(&md, "| （一）主动公开政府信息数 | 条 | | | 1603条 |\n");
    assert_contains(
        &md,
        "| 依申请公开信息收取的费用 | 万元 | 0.25 | | 含复印费 |\n",
    );
    assert!(!md.contains("## 三、"));
}

#[test]
fn findings_and_narrative() {
    let report = report_2021();
    let md = to_markdown(&report, &findings_for(&report));
    assert_contains(
        &md,
        "## 检查结果\n\n- 【错误】`requests.balance`：表三“总计”列不符合勾稽关系",
    );
    assert_contains(&md, "`/requests/new_received/6`");
    assert_contains(&md, "- 【错误】`reviews.group_total`：");
    assert_contains(
        &md,
        "- 【警告】`value.not_a_number`：表二“行政许可”本年处理决定数量读作\"\\<b\\>若干\\</b\\>\"",
    );
    let findings = md.find("## 检查结果").unwrap();
    let narrative = md.find("## 正文").unwrap();
    assert!(findings < narrative);
    assert_contains(&md, "### 一、总体情况\n\n2021年，示例市数据资源局认真贯彻落实《中华人民共和国政府信息公开条例》。\n\n全年主动公开政府信息1234条。\n");
    assert_contains(&md, "### 六、其他需要报告的事项\n");

    let md = to_markdown(&report_2021(), &[]);
    assert_contains(&md, "## 检查结果\n\n（无）\n");
}

#[test]
fn no_float_artifacts() {
    for report in [report_2021(), report_2019(), report_2014()] {
        let md = to_markdown(&report, &[]);
        assert!(!md.contains(".0 "), "integer printed with .0");
        assert!(!md.contains(".0|"), "integer printed with .0");
    }
}

#[test]
fn markup_in_the_report_is_escaped() {
    let md = to_markdown(&report_hostile(), &[]);
    assert!(!md.contains(XSS));
    assert_contains(
        &md,
        "# \\<script\\>alert(1)\\</script\\>2021年政府信息公开工作年度报告",
    );
    assert_contains(&md, "正文\\<script\\>alert(1)\\</script\\>");
}

#[test]
fn empty_report() {
    let md = to_markdown(&Report::new(), &[]);
    assert_eq!(
        md,
        "# （机关名称未识别）政府信息公开工作年度报告\n\n- 格式版本：未识别\n- 报告年度：未知\n- 发布日期：未知\n- 章节：无\n\n## 检查结果\n\n（无）\n"
    );
}

#[test]
fn cells_without_a_place_are_listed() {
    let mut report = report_2021();
    report
        .requests
        .as_mut()
        .unwrap()
        .insert("mystery_row".into(), vec![Some(1.0); 7]);
    let md = to_markdown(&report, &[]);
    assert_contains(&md, "## 其他数据（官方格式中没有对应位置）\n\n| 位置 | 数值 |\n| --- | ---: |\n| `/requests/mystery_row/0` | 1 |\n");
}

#[test]
fn unknown_generation_lays_tables_out_by_their_ids() {
    let mut report = report_2021();
    report.generation = gongkai_core::Generation::Unknown;
    let md = to_markdown(&report, &[]);
    assert_contains(
        &md,
        "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n",
    );
    assert_contains(&md, "　　3.其他 | 0 |");
    assert!(!md.contains("其他数据"));

    let mut report = report_2019();
    report.generation = gongkai_core::Generation::Unknown;
    let md = to_markdown(&report, &[]);
    assert_contains(&md, "### 第二十条第（九）项\n");
    assert_contains(&md, "| \u{3000}（六）其他处理 | 1 |");
    assert!(!md.contains("其他数据"));
}
