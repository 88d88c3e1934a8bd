//! Report metadata from the text around the tables: agency, report year, publication date,
//! section headings and the narrative of each section.
//!
//! These come from the title (`洛阳市公共资源交易中心2020年政府信息公开工作年度报告`), the
//! signature at the end (agency line + date line), page metadata (`发布时间：2021-01-26`) and
//! the statistics period (`统计期限自2020年1月1日`). Candidates that look like sentences
//! (`现将我局…`) are rejected rather than guessed into an agency name.

use gongkai_core::normalize::label_key;
use gongkai_core::skeleton::SECTIONS;
use regex::Regex;
use std::sync::OnceLock;

struct Patterns {
    title_agency_first: Regex,
    title_year_first: Regex,
    title_no_year: Regex,
    period_year: Regex,
    report_year: Regex,
    any_year_du: Regex,
    sig_date: Regex,
    sig_date_cn: Regex,
    meta_date: Regex,
    contact: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        title_agency_first: Regex::new(
            r"^(.{0,40}?)\s*([12][09][0-9]{2})\s*年\s*度?\s*(?:本级)?\s*(?:政府信息公开|政务公开)",
        )
        .unwrap(),
        title_year_first: Regex::new(
            r"^([12][09][0-9]{2})\s*年\s*度?\s*(.{2,40}?)\s*(?:政府信息公开|政务公开)",
        )
        .unwrap(),
        title_no_year: Regex::new(r"^(.{2,30}?)政府信息公开(?:工作)?(?:年度)?报告$").unwrap(),
        period_year: Regex::new(r"统计(?:期限|时限|期间)[^0-9]{0,6}([12][09][0-9]{2})\s*年").unwrap(),
        report_year: Regex::new(
            r"([12][09][0-9]{2})\s*年\s*度?\s*(?:本级)?(?:政府信息公开|政务公开)(?:工作)?(?:情况)?(?:年度)?(?:工作)?报告",
        )
        .unwrap(),
        any_year_du: Regex::new(r"([12][09][0-9]{2})\s*年度?").unwrap(),
        sig_date: Regex::new(
            r"^[(（]?\s*([12][09][0-9]{2})\s*[年.\-/]\s*([0-9]{1,2})\s*[月.\-/]\s*([0-9]{1,2})\s*日?\s*[)）]?$",
        )
        .unwrap(),
        sig_date_cn: Regex::new(
            r"^([二〇○零一三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$",
        )
        .unwrap(),
        meta_date: Regex::new(
            r"(?:发布时间|发布日期|发文日期|公开日期|成文日期|日期|时间)\s*[:：]?\s*([12][09][0-9]{2})-([0-9]{1,2})-([0-9]{1,2})",
        )
        .unwrap(),
        contact: Regex::new(r"请与\s*([^,，。;；:：()（）]{2,40}?)\s*(?:联系|[(（])").unwrap(),
    })
}

const AGENCY_REJECT: &[&str] = &[
    "我",
    "现将",
    "根据",
    "本报告",
    "编制",
    "《",
    "》",
    ",",
    "，",
    "。",
    ":",
    "：",
    "、",
    "“",
    "\"",
    "以下",
    "如下",
    "的",
    "关于做好",
    "通知",
];
const AGENCY_PREFIX_STRIP: &[&str] = &[
    "结合",
    "根据",
    "按照",
    "现将",
    "现公布",
    "特向社会公布",
    "向社会公布",
    "公布",
    "发布",
];
const AGENCY_SUFFIX_STRIP: &[&str] = &["关于", "本级"];

fn clean_agency(raw: &str) -> Option<String> {
    let mut a = raw
        .trim()
        .trim_matches(|c: char| c == '|' || c.is_whitespace())
        .to_string();
    for p in AGENCY_PREFIX_STRIP {
        if let Some(rest) = a.strip_prefix(p) {
            a = rest.to_string();
        }
    }
    for s in AGENCY_SUFFIX_STRIP {
        if let Some(rest) = a.strip_suffix(s) {
            a = rest.trim().to_string();
        }
    }
    let a = a.trim().to_string();
    let n = a.chars().count();
    if !(2..=40).contains(&n)
        || AGENCY_REJECT.iter().any(|r| a.contains(r))
        || a.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '(' || c == '（')
        || a.contains("未识别")
        || !a.chars().any(gongkai_core::normalize::is_cjk)
    {
        return None;
    }
    Some(a)
}

fn looks_like_agency_line(line: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "局",
        "中心",
        "政府",
        "办公室",
        "委员会",
        "办事处",
        "管委会",
        "院",
        "厅",
        "部",
        "署",
        "委",
        "办",
        "分中心",
        "站",
        "所",
        "队",
        "馆",
        "公司",
    ];
    let l = line.trim();
    let n = l.chars().count();
    (3..=30).contains(&n) && ENDINGS.iter().any(|e| l.ends_with(e)) && clean_agency(l).is_some()
}

/// The first `n` characters of `text`, borrowed.
fn prefix_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// What [`extract`] finds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Meta {
    pub agency: Option<(String, usize)>,
    pub year: Option<(i32, usize)>,
    pub published_on: Option<(String, usize)>,
}

fn line_view(line: &str) -> String {
    let l = line.replace('|', " ");
    let mut l = l.trim();
    for prefix in ["标题", "题目"] {
        if let Some(rest) = l.strip_prefix(prefix) {
            let rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix([':', '：']) {
                l = r.trim_start();
            }
        }
    }
    l.trim_start_matches('#').trim().to_string()
}

/// Cheap test before running the date regexes on a line.
fn may_be_date_line(line: &str) -> bool {
    let t = line.trim();
    let n = t.chars().count();
    (6..=24).contains(&n) && t.contains(['年', '.', '-', '/'])
}

fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn cn_number(s: &str) -> Option<u32> {
    // 1..31 in 一 … 三十一 form.
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        ['十', d] => Some(10 + cn_digit(*d)?),
        [t, '十'] => Some(cn_digit(*t)? * 10),
        [t, '十', d] => Some(cn_digit(*t)? * 10 + cn_digit(*d)?),
        [d] => cn_digit(*d),
        _ => None,
    }
}

fn iso(y: i32, m: u32, d: u32) -> Option<String> {
    ((1..=12).contains(&m) && (1..=31).contains(&d) && (1990..=2100).contains(&y))
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// Extract agency, year and publication date from normalised text.
pub fn extract(text: &str) -> Meta {
    let p = patterns();
    let head = prefix_chars(text, 6000);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut meta = Meta::default();

    // Title: the first lines carrying "YYYY年…政府信息公开".
    let mut prev_nonempty: Option<(String, usize)> = None;
    for (i, raw) in lines.iter().enumerate().take(60) {
        // Titles are short lines, or carry a year near their start.
        let head_bytes = &raw.as_bytes()[..raw.len().min(180)];
        let year_near_start = head_bytes
            .windows(4)
            .any(|w| w.iter().all(u8::is_ascii_digit));
        if !(raw.contains("政府信息公开") || raw.contains("政务公开"))
            || !raw.contains("报告")
            || !(year_near_start || raw.len() <= 150)
        {
            if !raw.trim().is_empty() {
                prev_nonempty = Some((line_view(raw), i + 1));
            }
            continue;
        }
        let line = line_view(raw);
        if line.is_empty() {
            continue;
        }
        let head: String = line.chars().take(120).collect();
        if let Some(c) = p.title_agency_first.captures(&head) {
            let year: i32 = c[2].parse().unwrap_or(0);
            let agency = clean_agency(&c[1]);
            let agency = agency.or_else(|| {
                p.title_year_first
                    .captures(&head)
                    .and_then(|c2| clean_agency(&c2[2]))
            });
            let agency = agency.or_else(|| {
                // Title broken over two lines: agency on the line before.
                let before = c[1].trim();
                before
                    .is_empty()
                    .then(|| prev_nonempty.clone())
                    .flatten()
                    .filter(|(l, _)| looks_like_agency_line(l))
                    .map(|(l, _)| l)
            });
            let is_title = line.contains("报告") && line.chars().count() <= 80;
            if is_title || agency.is_some() {
                if meta.year.is_none() && (1990..=2100).contains(&year) && is_title {
                    meta.year = Some((year, i + 1));
                }
                if meta.agency.is_none() {
                    if let Some(a) = agency {
                        meta.agency = Some((a, i + 1));
                    }
                }
            }
        } else if let Some(c) = p.title_year_first.captures(&head) {
            if line.contains("报告") && line.chars().count() <= 80 {
                let year: i32 = c[1].parse().unwrap_or(0);
                if meta.year.is_none() && (1990..=2100).contains(&year) {
                    meta.year = Some((year, i + 1));
                }
                if meta.agency.is_none() {
                    if let Some(a) = clean_agency(&c[2]) {
                        meta.agency = Some((a, i + 1));
                    }
                }
            }
        } else if meta.agency.is_none() && line.chars().count() <= 40 {
            if let Some(c) = p.title_no_year.captures(&line) {
                if let Some(a) = clean_agency(&c[1]) {
                    meta.agency = Some((a, i + 1));
                }
            }
        }
        if meta.agency.is_some() && meta.year.is_some() {
            break;
        }
        prev_nonempty = Some((line.to_string(), i + 1));
    }

    // Signature: agency line followed by a date line, searched from the end; a 填报单位 line.
    let raw_nonempty: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, *l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    for w in (0..raw_nonempty.len()).rev() {
        let (ln, raw) = raw_nonempty[w];
        if raw.len() > 100 || !may_be_date_line(&raw.replace('|', "")) {
            continue;
        }
        let l = line_view(raw);
        let date = if let Some(c) = p.sig_date.captures(&l) {
            iso(
                c[1].parse().unwrap_or(0),
                c[2].parse().unwrap_or(0),
                c[3].parse().unwrap_or(0),
            )
        } else if let Some(c) = p.sig_date_cn.captures(&l) {
            let y: Option<u32> = c[1]
                .chars()
                .map(cn_digit)
                .try_fold(0u32, |acc, d| d.map(|d| acc * 10 + d));
            match (y, cn_number(&c[2]), cn_number(&c[3])) {
                (Some(y), Some(m), Some(d)) => iso(y as i32, m, d),
                _ => None,
            }
        } else {
            None
        };
        if let Some(d) = date {
            if meta.published_on.is_none() {
                meta.published_on = Some((d, ln));
            }
            if meta.agency.is_none() && w > 0 {
                let prev = line_view(raw_nonempty[w - 1].1);
                if looks_like_agency_line(&prev) {
                    meta.agency = Some((prev, raw_nonempty[w - 1].0));
                }
            }
            break;
        }
    }
    if meta.published_on.is_none() {
        let maybe = head.contains("日期") || head.contains("时间");
        if let Some(c) = p.meta_date.captures(head).filter(|_| maybe) {
            let ln = head[..c.get(0).map_or(0, |m| m.start())]
                .matches('\n')
                .count()
                + 1;
            if let Some(d) = iso(
                c[1].parse().unwrap_or(0),
                c[2].parse().unwrap_or(0),
                c[3].parse().unwrap_or(0),
            ) {
                meta.published_on = Some((d, ln));
            }
        }
    }
    if meta.agency.is_none() {
        let labelled = raw_nonempty
            .iter()
            .filter(|(_, l)| {
                l.contains("填报单位") || l.contains("发布机构") || l.contains("发布单位")
            })
            .map(|(ln, l)| (*ln, line_view(l)));
        for (ln, l) in labelled {
            for key in ["填报单位", "发布机构", "发布单位"] {
                if let Some(pos) = l.find(key) {
                    let rest = l[pos + key.len()..]
                        .trim_start_matches(|c: char| "(盖章):：| ".contains(c));
                    let name: String = rest.split_whitespace().next().unwrap_or("").to_string();
                    if let Some(a) = clean_agency(&name).filter(|a| looks_like_agency_line(a)) {
                        meta.agency = Some((a, ln));
                    }
                }
            }
            if meta.agency.is_some() {
                break;
            }
        }
    }

    // The contact sentence of the introduction: "如对本报告有任何疑问，请与东至县财政局联系".
    if meta.agency.is_none() {
        if let Some(c) = p.contact.captures(head).filter(|_| head.contains("请与")) {
            let mut name = c[1].trim().to_string();
            for office in [
                "党政办公室",
                "政务公开办公室",
                "办公室",
                "综合科",
                "综合股",
                "办公厅",
            ] {
                if let Some(stripped) = name.strip_suffix(office) {
                    if looks_like_agency_line(stripped) {
                        name = stripped.to_string();
                        break;
                    }
                }
            }
            if looks_like_agency_line(&name) {
                let ln = head[..c.get(0).map_or(0, |m| m.start())]
                    .matches('\n')
                    .count()
                    + 1;
                meta.agency = Some((name, ln));
            }
        }
    }

    // Year fallbacks: "YYYY年度政府信息公开…报告" anywhere, the statistics period, "YYYY年度".
    if meta.year.is_none() {
        let found = p
            .report_year
            .captures(head)
            .or_else(|| p.period_year.captures(head))
            .or_else(|| p.any_year_du.captures(head));
        if let Some(c) = found {
            let ln = head[..c.get(0).map_or(0, |m| m.start())]
                .matches('\n')
                .count()
                + 1;
            if let Ok(y) = c[1].parse::<i32>() {
                if (1990..=2100).contains(&y) {
                    meta.year = Some((y, ln));
                }
            }
        }
    }
    meta
}

/// A section heading found in the text: its number (一 … 六) and byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub number: &'static str,
    pub start: usize,
    pub end: usize,
}

/// Find the section headings 一 … 六 in order.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut found: Vec<Heading> = Vec::new();
    let mut next_section = 0usize;
    for (mark, mark_str) in text.match_indices(['、', '.', '．']) {
        if next_section >= SECTIONS.len() {
            break;
        }
        let Some(c) = text[..mark].chars().next_back() else {
            continue;
        };
        let pos = mark - c.len_utf8();
        // This section or a later one (a section may be missing).
        let Some(idx) = SECTIONS[next_section..]
            .iter()
            .position(|(num, _, _)| num.starts_with(c))
            .map(|i| i + next_section)
        else {
            continue;
        };
        // Preceded by start of line, whitespace, '#', '|', a digit or sentence punctuation.
        let before = text[..pos].trim_end_matches([' ', '#', '\t']);
        let ok = match before.chars().next_back() {
            None => true,
            Some(pc) => {
                matches!(pc, '\n' | '。' | '；' | ';' | '|' | ')' | '>' | '!' | '！')
                    || pc.is_ascii_digit()
            }
        };
        if !ok {
            continue;
        }
        let window_start = mark + mark_str.len();
        let window: String = text[window_start..].chars().take(22).collect();
        let key = label_key(&window);
        let (num, _, keys) = SECTIONS[idx];
        // The keyword must come within the first 12 characters after the numeral.
        let title_like = keys
            .iter()
            .any(|kw| key.find(kw).is_some_and(|p| p <= 3 * 12));
        if !title_like {
            continue;
        }
        let line_end = text[pos..].find('\n').map_or(text.len(), |e| pos + e);
        let mut end = line_end.min(pos + 3 * 40);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        found.push(Heading {
            number: num,
            start: pos,
            end: end.max(pos),
        });
        next_section = idx + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_and_year_from_title() {
        let m = extract("示例市数据资源局2023年政府信息公开工作年度报告\n正文");
        assert_eq!(m.agency.unwrap().0, "示例市数据资源局");
        assert_eq!(m.year.unwrap().0, 2023);
    }

    #[test]
    fn year_first_title_and_sentence_rejected() {
        let m = extract("2017年示例区教育局政府信息公开工作年度报告");
        assert_eq!(m.agency.unwrap().0, "示例区教育局");
        let m = extract("现将我局2022年度政府信息公开工作报告如下:");
        assert_eq!(m.agency, None);
        assert_eq!(m.year.unwrap().0, 2022);
    }

    #[test]
    fn signature_date_and_agency() {
        let m = extract("正文\n示例县交易中心\n2021.01.09");
        assert_eq!(m.published_on.unwrap().0, "2021-01-09");
        let m = extract("正文\n示例县采购中心\n二○一七年二月十七日");
        assert_eq!(m.published_on.unwrap().0, "2017-02-17");
        assert_eq!(m.agency.unwrap().0, "示例县采购中心");
    }

    #[test]
    fn agency_from_the_contact_sentence() {
        let m = extract("根据条例编制本报告。如对本报告有任何疑问，请与示例县财政局办公室联系（地址：示例路1号）。");
        assert_eq!(m.agency.unwrap().0, "示例县财政局");
    }

    #[test]
    fn headings_in_order() {
        let t = "一、总体情况\n正文\n二、主动公开政府信息情况\n三、本年度办理结果\n三、收到和处理政府信息公开申请情况\n四、结转下年度继续办理\n四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n六、其他需要报告的事项\n无";
        let h: Vec<&str> = headings(t).iter().map(|h| h.number).collect();
        assert_eq!(h, ["一", "二", "三", "四", "五", "六"]);
    }
}
