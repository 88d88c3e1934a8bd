//! HTML output: a standalone document, the official merged-cell layout, highlighted cells,
//! escaping of everything taken from the report.

mod common;

use common::*;
use gongkai_core::Report;
use gongkai_render::to_html;

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find {needle:?} in:\n{haystack}"
    );
}

/// The `<td>` carrying `pointer`.
fn cell_tag<'a>(html: &'a str, pointer: &str) -> &'a str {
    let key = format!("data-cell=\"{pointer}\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no cell {pointer}"));
    let start = html[..at].rfind("<td").unwrap();
    let end = at + html[at..].find("</td>").unwrap() + "</td>".len();
    &html[start..end]
}

#[test]
fn standalone_document() {
    let html = to_html(&report_2021(), &[]);
    assert!(html
        .starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"));
    assert!(html.ends_with("</html>\n"));
    assert_contains(
        &html,
        "<title>示例市数据资源局2021年政府信息公开工作年度报告</title>",
    );
    assert_contains(&html, "<style>");
    for forbidden in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(forbidden), "found {forbidden}");
    }
}

#[test]
fn table_three_header_is_the_national_one() {
    let html = to_html(&report_2021(), &[]);
    assert_contains(
        &html,
        "<tr><th colspan=\"3\" rowspan=\"3\">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</th><th colspan=\"7\">申请人情况</th></tr>\n\
         <tr><th rowspan=\"2\">自然人</th><th colspan=\"5\">法人或其他组织</th><th rowspan=\"2\">总计</th></tr>\n\
         <tr><th>商业企业</th><th>科研机构</th><th>社会公益组织</th><th>法律服务机构</th><th>其他</th></tr>\n",
    );
}

#[test]
fn table_three_row_labels_are_merged_2021() {
    let html = to_html(&report_2021(), &[]);
    assert_contains(
        &html,
        "<tr><th scope=\"row\" colspan=\"3\">一、本年新收政府信息公开申请数量</th>",
    );
    // 三、本年度办理结果 spans （一）…（七）: 1 + 1 + 8 + 3 + 5 + 3 + 1 rows.
    assert_contains(&html, "<tr><th scope=\"rowgroup\" rowspan=\"22\">三、本年度办理结果</th><th scope=\"row\" colspan=\"2\">（一）予以公开</th>");
    assert_contains(&html, "<th scope=\"rowgroup\" rowspan=\"8\">（三）不予公开</th><th scope=\"row\">1.属于国家秘密</th>");
    assert_contains(
        &html,
        "<th scope=\"rowgroup\" rowspan=\"3\">（四）无法提供</th>",
    );
    assert_contains(
        &html,
        "<th scope=\"rowgroup\" rowspan=\"5\">（五）不予处理</th>",
    );
    assert_contains(&html, "<th scope=\"rowgroup\" rowspan=\"3\">（六）其他处理</th><th scope=\"row\">1.申请人无正当理由逾期不补正");
    assert_contains(&html, "<tr><th scope=\"row\" colspan=\"2\">（七）总计</th>");
    assert_contains(
        &html,
        "<tr><th scope=\"row\" colspan=\"3\">四、结转下年度继续办理</th>",
    );

    let rows = table_rows(&html, "requests");
    assert_eq!(rows.len(), 3 + 25);
    assert!(
        grid_widths(&rows).iter().all(|w| *w == 10),
        "{:?}",
        grid_widths(&rows)
    );
}

#[test]
fn table_three_row_labels_are_merged_2019() {
    let html = to_html(&report_2019(), &[]);
    assert_contains(
        &html,
        "<th scope=\"rowgroup\" rowspan=\"20\">三、本年度办理结果</th>",
    );
    assert_contains(
        &html,
        "<tr><th scope=\"row\" colspan=\"2\">（六）其他处理</th>",
    );
    assert!(!html.contains("逾期不补正"));
    let rows = table_rows(&html, "requests");
    assert_eq!(rows.len(), 3 + 23);
    assert!(grid_widths(&rows).iter().all(|w| *w == 10));
    // Rows the report lacks are laid out with empty cells.
    assert_contains(
        &html,
        "<td data-cell=\"/requests/withheld_state_secret/0\"></td>",
    );
}

#[test]
fn table_four_header_and_row() {
    let html = to_html(&report_2021(), &[]);
    assert_contains(
        &html,
        "<tr><th colspan=\"5\">行政复议</th><th colspan=\"10\">行政诉讼</th></tr>\n",
    );
    assert_contains(
        &html,
        "<tr><th rowspan=\"2\">结果维持</th><th rowspan=\"2\">结果纠正</th><th rowspan=\"2\">其他结果</th><th rowspan=\"2\">尚未审结</th><th rowspan=\"2\">总计</th><th colspan=\"5\">未经复议直接起诉</th><th colspan=\"5\">复议后起诉</th></tr>\n",
    );
    let rows = table_rows(&html, "reviews");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[2].len(), 10);
    assert_eq!(rows[3].len(), 15);
    assert!(rows[3].iter().all(|c| c.tag.starts_with("<td")));
    assert_eq!(grid_widths(&rows), vec![15, 15, 15, 15]);
    let values: Vec<&str> = rows[3].iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        values,
        ["1", "0", "0", "0", "2", "0", "0", "0", "0", "0", "0", "0", "0", "", "0"]
    );
}

#[test]
fn table_two_blocks() {
    let html = to_html(&report_2021(), &[]);
    assert_contains(&html, "<tr><th class=\"block\" colspan=\"4\">第二十条第（一）项</th></tr>\n<tr><th>信息内容</th><th>本年制发件数</th><th>本年废止件数</th><th>现行有效件数</th></tr>\n");
    assert_contains(&html, "<tr><th class=\"block\" colspan=\"4\">第二十条第（八）项</th></tr>\n<tr><th>信息内容</th><th colspan=\"3\">本年收费金额（单位：万元）</th></tr>\n");
    assert_contains(
        &html,
        "<td colspan=\"3\" data-cell=\"/proactive/fees/amount\">20.3</td>",
    );
    let rows = table_rows(&html, "proactive");
    assert_eq!(rows.len(), 4 * 2 + 6);
    assert!(grid_widths(&rows).iter().all(|w| *w == 4));

    let html = to_html(&report_2019(), &[]);
    assert_contains(&html, "<th colspan=\"2\">采购总金额（单位：元）</th>");
    assert_contains(
        &html,
        "<td data-cell=\"/proactive/licensing/change\">-417</td>",
    );
    let rows = table_rows(&html, "proactive");
    assert_eq!(rows.len(), 5 * 2 + 8);
    assert!(grid_widths(&rows).iter().all(|w| *w == 4));
}

#[test]
fn statistics_table_2014() {
    let html = to_html(&report_2014(), &[]);
    assert_contains(
        &html,
        "<tr><th>统计指标</th><th>单位</th><th>2016年度</th><th>历年累计</th><th>说明</th></tr>",
    );
    assert_contains(&html, "<tr><th scope=\"row\">（一）主动公开政府信息数</th><td class=\"text\">条</td><td data-cell=\"/statistics_2014/rows/1/values/0\"></td><td data-cell=\"/statistics_2014/rows/1/values/1\"></td><td class=\"text\">1603条</td></tr>");
    assert!(!html.contains("class=\"requests\""));
    let rows = table_rows(&html, "statistics");
    assert!(grid_widths(&rows).iter().all(|w| *w == 5));
}

#[test]
fn absent_cells_are_empty_not_zero() {
    let html = to_html(&report_2021(), &[]);
    assert_eq!(
        cell_tag(&html, "/requests/new_received/5"),
        "<td data-cell=\"/requests/new_received/5\"></td>"
    );
    assert_eq!(
        cell_tag(&html, "/proactive/enforcement/decisions"),
        "<td colspan=\"3\" data-cell=\"/proactive/enforcement/decisions\"></td>"
    );
    assert_eq!(
        cell_tag(&html, "/reviews/litigation_after_reconsideration/pending"),
        "<td data-cell=\"/reviews/litigation_after_reconsideration/pending\"></td>"
    );
    assert!(!html.contains(".0<"));
}

#[test]
fn cells_named_by_findings_are_highlighted() {
    let report = report_2021();
    let findings = findings_for(&report);
    let html = to_html(&report, &findings);

    let total = cell_tag(&html, "/requests/new_received/6");
    assert!(
        total.starts_with(
            "<td class=\"bad\" title=\"【错误】requests.balance：表三“总计”列不符合勾稽关系"
        ),
        "{total}"
    );
    assert!(total.ends_with(">14</td>"));

    let review = cell_tag(&html, "/reviews/reconsideration/total");
    assert!(
        review.starts_with("<td class=\"bad\" title=\"【错误】reviews.group_total："),
        "{review}"
    );

    // The hand-made finding's message carries markup and quotes: escaped in the attribute.
    let licensing = cell_tag(&html, "/proactive/licensing/decisions");
    assert_eq!(
        licensing,
        "<td class=\"bad\" title=\"【警告】value.not_a_number：表二“行政许可”本年处理决定数量读作&quot;&lt;b&gt;若干&lt;/b&gt;&quot;，不是数字\" data-severity=\"warning\" colspan=\"3\" data-cell=\"/proactive/licensing/decisions\">5213</td>"
    );

    // Cells no finding names stay plain.
    assert_eq!(
        cell_tag(&html, "/requests/disclosed/0"),
        "<td data-cell=\"/requests/disclosed/0\">5</td>"
    );

    // The findings list follows the tables.
    let list = html.find("<section id=\"findings\">").unwrap();
    assert!(html.find("<table class=\"reviews\">").unwrap() < list);
    assert_contains(
        &html,
        "<li class=\"error\"><span class=\"sev\">【错误】</span><code>requests.balance</code>：",
    );
    assert_contains(&html, "<code>/requests/new_received/6</code>");
    assert_eq!(html.matches("<li class=").count(), findings.len());
}

#[test]
fn everything_from_the_report_is_escaped() {
    let report = report_hostile();
    let html = to_html(&report, &findings_for(&report));
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(!html.contains("<img"), "unescaped img tag");
    assert!(
        !html.contains("<b>"),
        "unescaped markup from a finding message"
    );
    assert_contains(
        &html,
        "<title>&lt;script&gt;alert(1)&lt;/script&gt;2021年政府信息公开工作年度报告</title>",
    );
    assert_contains(
        &html,
        "<h1>&lt;script&gt;alert(1)&lt;/script&gt;2021年政府信息公开工作年度报告</h1>",
    );
    assert_contains(&html, "<p>正文&lt;script&gt;alert(1)&lt;/script&gt;&quot;引号&quot;与&#39;单引号&#39; &amp; 符号</p>");
    assert_contains(&html, "<h3>&lt;script&gt;alert(1)&lt;/script&gt;</h3>");
    assert_contains(
        &html,
        "<dd>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;",
    );
}

#[test]
fn empty_report_is_a_valid_page() {
    let html = to_html(&Report::new(), &[]);
    assert_contains(&html, "<h1>（机关名称未识别）政府信息公开工作年度报告</h1>");
    assert!(!html.contains("<table"));
    assert_contains(
        &html,
        "<section id=\"findings\">\n<h2>检查结果</h2>\n<p>（无）</p>\n</section>\n",
    );
}

#[test]
fn cells_without_a_place_are_listed_and_escaped() {
    let mut report = report_2021();
    report.reviews.as_mut().unwrap().groups.insert(
        "<b>&".into(),
        [("total".to_string(), Some(3.0))].into_iter().collect(),
    );
    let html = to_html(&report, &[]);
    assert_contains(&html, "<tr><th scope=\"row\"><code>/reviews/&lt;b&gt;&amp;/total</code></th><td data-cell=\"/reviews/&lt;b&gt;&amp;/total\">3</td></tr>");
}
