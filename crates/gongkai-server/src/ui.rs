//! The page shell, the stylesheet and small view helpers shared by every page.
//!
//! One inline stylesheet (no web fonts, no framework, no script): a page is one request, a few
//! kilobytes gzip-compressed, readable on an old office PC and printable.

use crate::auth::Staff;
use axum::http::StatusCode;
use axum::response::Html;
use gongkai_store::Role;
use maud::{html, Markup, PreEscaped, DOCTYPE};

const CSS: &str = "\
*{box-sizing:border-box}\
body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",SimSun,sans-serif;\
margin:0;color:#1a1a1a;background:#f6f7f9;line-height:1.55;font-size:15px}\
header.top{background:#8b1a1a;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:.3em 1.2em;align-items:center}\
header.top a{color:#fff;text-decoration:none}header.top a.brand{font-weight:bold;font-size:1.1em;margin-right:.5em}\
header.top nav{display:flex;flex-wrap:wrap;gap:.2em 1em}header.top nav a[aria-current]{text-decoration:underline}\
header.top .who{margin-left:auto;display:flex;gap:.6em;align-items:center}\
header.top button{background:none;border:1px solid #fff;color:#fff;border-radius:3px;cursor:pointer;padding:.1em .6em}\
main{max-width:78em;margin:0 auto;padding:1em}\
h1{font-size:1.4em;margin:.4em 0 .6em}h2{font-size:1.15em;margin:1.4em 0 .5em}\
a{color:#0b57a4}\
table.grid{border-collapse:collapse;background:#fff;font-size:.92em}\
table.grid th,table.grid td{border:1px solid #c9ced6;padding:.25em .5em;vertical-align:top}\
table.grid th{background:#eef0f3;font-weight:normal;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
.scroll{overflow-x:auto}\
.ok{color:#176b2c}.err{color:#b00020;font-weight:bold}.warn{color:#8a5a00}.muted{color:#666}\
.late{background:#fde2c4;color:#7a3b00;border-radius:3px;padding:0 .3em;font-size:.85em}\
.missing{color:#999}\
.cell-ok{background:#e7f5ea}.cell-err{background:#fbe3e6}.cell-warn{background:#fff4d6}\
.box{background:#fff;border:1px solid #d8dce2;border-radius:4px;padding:.8em 1em;margin:.8em 0}\
.flash{background:#e7f1ff;border:1px solid #9cc0f0;padding:.6em 1em;border-radius:4px}\
.flash.error{background:#fdecee;border-color:#e8a1aa}\
form.inline{display:inline}\
label{display:inline-block;margin:.2em .8em .2em 0}\
input,select,button,textarea{font:inherit}\
input[type=text],input[type=password],input[type=number],select{padding:.2em .4em;border:1px solid #aab;border-radius:3px}\
button,.button{background:#0b57a4;color:#fff;border:0;border-radius:3px;padding:.3em .9em;cursor:pointer;text-decoration:none;display:inline-block}\
button.secondary,.button.secondary{background:#e3e7ec;color:#1a1a1a}\
.stats{display:flex;flex-wrap:wrap;gap:.8em}.stats div{background:#fff;border:1px solid #d8dce2;border-radius:4px;padding:.5em .9em;min-width:8em}\
.stats b{display:block;font-size:1.5em}\
.layout{display:grid;grid-template-columns:minmax(0,1fr) 22em;gap:1em}\
@media (max-width:60em){.layout{grid-template-columns:1fr}}\
aside.findings{position:sticky;top:.5em;align-self:start;max-height:95vh;overflow:auto}\
aside.findings li{margin:.3em 0}aside.findings code{overflow-wrap:anywhere;word-break:break-all}\
li.f-error b{color:#b00020}li.f-warning b{color:#8a5a00}li.f-info b{color:#36c}\
.box>:first-child{margin-top:0}.box>:last-child{margin-bottom:0}\
.report-tables table{border-collapse:collapse;margin:.6em 0;font-size:.88em;background:#fff}\
.report-tables th,.report-tables td{border:1px solid #555;padding:.2em .45em}\
.report-tables th{font-weight:normal;background:#f4f4f4}.report-tables td{text-align:right;min-width:2.6em}\
.report-tables td.text{text-align:left}.report-tables th.block{font-weight:bold;background:#e8e8e8}\
.bad{background:#ffd6d6;outline:2px solid #c00;outline-offset:-2px}\
.bad[data-severity=warning]{background:#fff0c2;outline-color:#b70}.bad[data-severity=info]{background:#e4efff;outline-color:#36c}\
mark{background:#ffe08a}\
.diff-changed{background:#fff0c2}.diff-only{background:#e4efff}\
pre.narrative{white-space:pre-wrap;font-family:inherit;background:#fff;border:1px solid #d8dce2;padding:.6em;max-height:30em;overflow:auto}\
.pager a,.pager span{margin-right:.6em}\
progress{width:20em;height:1.2em}\
footer{color:#777;font-size:.85em;text-align:center;padding:2em 0}\
@media print{header.top,footer,form{display:none}body{background:#fff}}";

/// Navigation entries: (path, label, minimum role).
/// The site navigation: path, label, the role needed to see it. `/upload` is hidden from users
/// with a 单位范围 too (they cannot import; see `Staff::require_centre`).
const NAV: &[(&str, &str, Role)] = &[
    ("/", "概览", Role::Viewer),
    ("/console", "工作台", Role::Viewer),
    ("/reports", "报告", Role::Viewer),
    ("/upload", "导入", Role::Supervisor),
    ("/compare", "比较", Role::Viewer),
    ("/rollup", "汇总", Role::Viewer),
    ("/similar", "雷同", Role::Viewer),
    ("/agencies", "单位", Role::Viewer),
    ("/users", "用户", Role::Admin),
    ("/api", "API", Role::Viewer),
];

/// A complete page. `current` is the navigation path to mark.
pub fn page(title: &str, staff: Option<&Staff>, current: &str, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · gongkai 政务公开监督中心" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.top {
                    a.brand href="/" { "gongkai 公开 · 监督中心" }
                    @if let Some(staff) = staff {
                        nav aria-label="主导航" {
                            @for (path, label, role) in NAV {
                                @if staff.user.role.allows(*role)
                                    && !(*path == "/upload" && staff.user.agency.is_some()) {
                                    @if *path == current {
                                        a href=(path) aria-current="page" { (label) }
                                    } @else {
                                        a href=(path) { (label) }
                                    }
                                }
                            }
                        }
                        div.who {
                            span {
                                (staff.user.display_name) "（" (staff.user.role.label_zh())
                                @if staff.user.agency.is_some() { "，限本单位" }
                                "）"
                            }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(staff.csrf());
                                button type="submit" { "退出" }
                            }
                        }
                    }
                }
                main { (body) }
                footer { "gongkai（公开）· 政府信息公开工作年度报告的读取、检查、比较与汇总" }
            }
        }
    };
    Html(markup.into_string())
}

/// A page that says what went wrong, with a way back.
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    page(
        "出错了",
        None,
        "",
        html! {
            h1 { "出错了（" (status.as_u16()) "）" }
            p.flash.error role="alert" { (message) }
            p { "请使用浏览器的“后退”返回上一页，或 " a href="/" { "回到概览" } "。" }
        },
    )
}

/// Unix seconds as Beijing time `YYYY-MM-DD HH:MM`.
pub fn format_time(unix: i64) -> String {
    let local = unix + 8 * 3600;
    let secs = local.rem_euclid(86_400);
    let day = gongkai_core::date::Date::from_days_since_epoch(local.div_euclid(86_400))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("（时间 {unix} 超出范围）"));
    format!("{day} {:02}:{:02}", secs / 3600, (secs % 3600) / 60)
}

/// A hidden CSRF field for a form of this session.
pub fn csrf_field(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf" value=(staff.csrf()); }
}

/// "错误 N · 警告 M" with colours, or "无问题".
pub fn finding_counts(errors: i64, warnings: i64) -> Markup {
    html! {
        @if errors == 0 && warnings == 0 {
            span.ok { "无问题" }
        } @else {
            @if errors > 0 { span.err { "错误 " (errors) } }
            @if errors > 0 && warnings > 0 { " · " }
            @if warnings > 0 { span.warn { "警告 " (warnings) } }
        }
    }
}

/// A number as written in tables (integers without `.0`).
/// A file size for people: `812 字节`, `34.5 KB`, `2.1 MB`.
pub fn file_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} 字节"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
    }
}

pub fn num(v: Option<f64>) -> String {
    v.map(gongkai_core::model::fmt_num).unwrap_or_default()
}

/// A difference for display: rounded to 6 decimals so 3.6 − 2.8 reads −0.8, with a sign.
pub fn delta(d: f64) -> String {
    let rounded = (d * 1e6).round() / 1e6;
    let text = gongkai_core::model::fmt_num(rounded);
    if rounded > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// A generation code as a short label: `2021 版`, `2014 统计表`, `未识别`.
pub fn generation_short(g: &str) -> &'static str {
    match g {
        "2021" => "2021 版",
        "2019" => "2019 版",
        "2014" => "2014 统计表",
        _ => "未识别",
    }
}

/// Percent-encode a query value.
pub fn q(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_beijing_time() {
        // 2024-01-31T16:00:00Z is 2024-02-01 00:00 in Beijing.
        assert_eq!(format_time(1_706_716_800), "2024-02-01 00:00");
        assert_eq!(format_time(0), "1970-01-01 08:00");
    }
}
