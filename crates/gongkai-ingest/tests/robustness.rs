//! Hostile and degenerate inputs must never panic the reader: empty input, binary junk, huge
//! single lines, repeated headers, texts that are not reports, and deterministic random
//! mutations of the team's own synthetic report and HTML fixture. Plain stable Rust — the
//! cargo-fuzz targets in `fuzz/` explore the same ground without bounds.
//!
//! Where an input is not a report, the reader must say so: `Generation::Unknown` and at least
//! one finding.

use gongkai_core::model::Generation;
use gongkai_core::Severity;
use gongkai_ingest::{parse_bytes, parse_text, Parsed};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use synthetic::Lcg;

/// Everything a caller does with a parse: run the rules and serialize the report.
fn exercise(parsed: &Parsed) {
    let findings = gongkai_core::rules::check(&parsed.report);
    let json = serde_json::to_string(&parsed.report.to_json_value()).expect("report serializes");
    assert!(json.starts_with('{'));
    serde_json::to_string(&parsed.findings).expect("findings serialize");
    serde_json::to_string(&findings).expect("rule findings serialize");
}

/// Parse `bytes` with `parse_bytes`, exercising the result; `Err` only for binary input.
fn bytes_ok(bytes: &[u8]) -> Option<Parsed> {
    match parse_bytes(bytes, Some("robustness")) {
        Ok(p) => {
            exercise(&p);
            Some(p)
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

fn assert_not_a_report(p: &Parsed, what: &str) {
    assert_eq!(p.report.generation, Generation::Unknown, "{what}");
    assert!(
        !p.findings.is_empty(),
        "{what}: a text that is not a report must carry at least one finding"
    );
}

fn html_fixture() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html/example-2021.html"),
    )
    .expect("html fixture")
}

#[test]
fn the_synthetic_report_is_a_clean_2021_report() {
    // Guards the benchmark and the mutation tests: the seed input really is a report.
    let text = synthetic::report_2021(1);
    assert!(
        (8 * 1024..16 * 1024).contains(&text.len()),
        "{} bytes",
        text.len()
    );
    let p = parse_text(&text, None);
    assert_eq!(p.report.generation, Generation::G2021);
    assert_eq!(p.report.agency.as_deref(), Some(synthetic::AGENCY));
    assert_eq!(p.report.year, Some(2021));
    let mut findings = p.findings.clone();
    findings.extend(gongkai_core::rules::check(&p.report));
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn empty_input() {
    let p = bytes_ok(b"").expect("empty input is text");
    assert_not_a_report(&p, "empty bytes");
    let p = parse_text("", None);
    assert_not_a_report(&p, "empty text");
    for blank in ["\n\n\n", "   \t  ", "\u{feff}", "\u{3000}\u{3000}\r\n"] {
        let p = parse_text(blank, None);
        exercise(&p);
        assert_not_a_report(&p, &format!("{blank:?}"));
    }
}

#[test]
fn a_megabyte_of_binary_junk() {
    let mut rng = Lcg::new(42);
    let junk: Vec<u8> = (0..1 << 20).map(|_| rng.next_u64() as u8).collect();
    if let Some(p) = bytes_ok(&junk) {
        assert_not_a_report(&p, "1 MB of junk");
    }
    // Junk behind the signatures of binary formats, and behind a UTF-16 BOM.
    for prefix in [
        &b"%PDF-1.7\n"[..],
        b"PK\x03\x04",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\xff\xfe",
        b"\xfe\xff",
        b"\xef\xbb\xbf",
        b"<html><body><table><tr><td>",
    ] {
        let mut input = prefix.to_vec();
        input.extend_from_slice(&junk[..64 * 1024]);
        if let Some(p) = bytes_ok(&input) {
            assert_not_a_report(&p, &format!("junk behind {prefix:?}"));
        }
    }
}

#[test]
fn a_five_megabyte_line_of_digits() {
    let digits: String = (0..5 << 20)
        .map(|i| char::from(b'0' + (i % 10) as u8))
        .collect();
    let p = bytes_ok(digits.as_bytes()).expect("digits are text");
    assert_not_a_report(&p, "5 MB of digits");
}

#[test]
fn a_five_megabyte_line_of_chinese() {
    // No year and no table words: plain prose on one line.
    let sentence = "示例县数据资源局持续推进政务服务标准化规范化便利化建设，优化办事流程，";
    let mut text = String::with_capacity(5 << 20);
    while text.len() < 5 << 20 {
        text.push_str(sentence);
    }
    let p = bytes_ok(text.as_bytes()).expect("chinese is text");
    assert_not_a_report(&p, "5 MB of chinese");
}

#[test]
fn deeply_repeated_table_headers() {
    let mut text = String::from("示例县数据资源局2021年政府信息公开工作年度报告\n");
    for _ in 0..2_000 {
        text.push_str("二、主动公开政府信息情况\n| 第二十条第（一）项 |\n| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n");
        text.push_str("三、收到和处理政府信息公开申请情况\n| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况 |\n| 自然人 | 法人或其他组织 | 总计 |\n");
        text.push_str("四、政府信息公开行政复议、行政诉讼情况\n| 行政复议 | 行政诉讼 |\n| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |\n");
    }
    let p = bytes_ok(text.as_bytes()).expect("text");
    assert!(!p.findings.is_empty(), "headers without numbers: findings");

    // Headers repeated inside the tables of a real (synthetic) report.
    let report = synthetic::report_2021(3);
    let (head, tail) = report.split_at(report.find("| 一、本年新收").expect("table 三 row"));
    let mut text = head.to_string();
    for _ in 0..500 {
        text.push_str("| 自然人 | 法人或其他组织 | 总计 |\n| 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |\n");
    }
    text.push_str(tail);
    bytes_ok(text.as_bytes());
}

#[test]
fn a_notice_is_not_a_report() {
    let notice = synthetic::notice();
    let p = bytes_ok(notice.as_bytes()).expect("text");
    assert_not_a_report(&p, "notice");
    let html = format!(
        "<html><head><meta charset=\"utf-8\"><title>通知</title></head><body><p>{}</p></body></html>",
        notice.replace('\n', "</p><p>")
    );
    let p = bytes_ok(html.as_bytes()).expect("html");
    assert_not_a_report(&p, "notice as html");
}

/// One random edit of `input`.
fn mutate(input: &mut Vec<u8>, rng: &mut Lcg) {
    const INSERTS: &[&[u8]] = &[
        b"|",
        b" | ",
        b"\n",
        b"\t",
        b"0",
        b"999999999999",
        b"-",
        b"/",
        "（".as_bytes(),
        "）".as_bytes(),
        "总计".as_bytes(),
        "行政复议".as_bytes(),
        "勾稽关系".as_bytes(),
        "第二十条第".as_bytes(),
        "本年新收政府信息公开申请".as_bytes(),
        "统计指标".as_bytes(),
        "</td><td>".as_bytes(),
        "<tr><td rowspan=\"99999\" colspan=\"0\">".as_bytes(),
        "&#x0;&#1114112;&amp;&nbsp;".as_bytes(),
        b"\xff\xfe\x00",
        b"\xe4\xb8",
    ];
    let len = input.len();
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len as u64) as usize;
            input[i] = rng.next_u64() as u8;
        }
        1 if len > 0 => {
            let i = rng.below(len as u64) as usize;
            let n = (rng.below(64) as usize).min(len - i);
            input.drain(i..i + n);
        }
        2 => {
            let i = rng.below(len as u64 + 1) as usize;
            let s = INSERTS[rng.below(INSERTS.len() as u64) as usize];
            input.splice(i..i, s.iter().copied());
        }
        3 if len > 0 => {
            // Duplicate a slice somewhere else.
            let a = rng.below(len as u64) as usize;
            let n = (rng.below(512) as usize).min(len - a);
            let chunk = input[a..a + n].to_vec();
            let at = rng.below(len as u64 + 1) as usize;
            input.splice(at..at, chunk);
        }
        4 if len > 0 => {
            input.truncate(rng.below(len as u64) as usize);
        }
        5 if len > 0 => {
            // Swap two digits' worth of bytes: turns numbers into other numbers.
            let i = rng.below(len as u64) as usize;
            if input[i].is_ascii_digit() {
                input[i] = b'0' + rng.below(10) as u8;
            }
        }
        6 if len > 1 => {
            let i = rng.below(len as u64 - 1) as usize;
            input.swap(i, i + 1);
        }
        _ => {
            let i = rng.below(len as u64 + 1) as usize;
            let b = rng.next_u64() as u8;
            input.insert(i, b);
        }
    }
}

/// `rounds` mutants of `seed_input`, each 1–8 edits deep; panics are collected with their seed
/// and the first one's input is written to the temp dir for reproduction.
fn mutation_run(name: &str, seed_input: &[u8], rounds: u64) {
    let mut failures = Vec::new();
    for round in 0..rounds {
        let mut rng = Lcg::new(round.wrapping_mul(0x1000_0001) ^ name.len() as u64);
        let mut input = seed_input.to_vec();
        for _ in 0..1 + rng.below(8) {
            mutate(&mut input, &mut rng);
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            bytes_ok(&input);
            let lossy = String::from_utf8_lossy(&input);
            let p = parse_text(&lossy, None);
            exercise(&p);
            let p = parse_text(&gongkai_ingest::html::html_to_text(&lossy), None);
            exercise(&p);
        }));
        if result.is_err() {
            if failures.is_empty() {
                let path = std::env::temp_dir().join(format!("gongkai-robustness-{name}-{round}"));
                let _ = std::fs::write(&path, &input);
                eprintln!("reproducer written to {}", path.display());
            }
            failures.push(round);
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {rounds} mutants panicked (rounds {failures:?})",
        failures.len()
    );
}

#[test]
fn mutations_of_the_synthetic_report() {
    mutation_run("synthetic", synthetic::report_2021(7).as_bytes(), 300);
}

#[test]
fn mutations_of_the_html_fixture() {
    mutation_run("html", &html_fixture(), 200);
}
