//! Catalog search benchmark: index `GONGKAI_BENCH_DOCS` (default 100,000) synthetic Chinese
//! catalog entries — titles and bodies built from the vocabulary of real 主动公开目录 (places,
//! fields of government work, document types, boilerplate sentences) — in the portal's RAM
//! index, then time a set of queries: single words found inside compounds, compounds,
//! multi-word queries, filtered queries, a query that finds nothing.
//!
//! Prints the build time and per-query and overall p50/p99/max latencies, and keeps a copy
//! under `$GONGKAI_ARTIFACTS/figures/catalog-bench.txt`. Run:
//! `cargo bench -p gongkai-server --bench catalog`.

use gongkai_core::date::Date;
use gongkai_core::register::{Publication, PublicationKind};
use gongkai_server::portal::{Catalog, SearchQuery};
use gongkai_store::{AgencyId, PublicationRecord};
use std::fmt::Write;
use std::time::{Duration, Instant};

const PLACES: &[&str] = &[
    "示例县",
    "东城区",
    "西湖区",
    "滨江新区",
    "高新区",
    "临港片区",
    "河东街道",
    "青山镇",
    "白云乡",
    "经开区",
    "南湖区",
    "北塘镇",
];
const FIELDS: &[&str] = &[
    "公共资源交易",
    "政府采购",
    "财政预算",
    "城市更新",
    "养老服务",
    "住房保障",
    "义务教育",
    "医疗保障",
    "生态环境保护",
    "安全生产",
    "农村人居环境",
    "营商环境",
    "数字政府",
    "应急管理",
    "交通运输",
    "水利工程",
    "文化旅游",
    "市场监管",
    "就业创业",
    "社会救助",
];
const TYPES: &[&str] = &[
    "管理办法",
    "实施方案",
    "工作要点",
    "通知",
    "公告",
    "意见",
    "规划",
    "年度报告",
    "决算公开",
    "预算公开",
    "行政处罚决定",
    "招标公告",
    "中标结果公示",
];
const CATEGORIES: &[&str] = &[
    "通知公告",
    "规章",
    "行政规范性文件",
    "财政预算",
    "招标采购",
    "人事信息",
    "规划计划",
    "政策解读",
    "统计信息",
    "行政执法",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.next() % list.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn entry(i: usize, rng: &mut Rng) -> PublicationRecord {
    let place = rng.pick(PLACES);
    let field = rng.pick(FIELDS);
    let kind = rng.pick(TYPES);
    let year = 2015 + rng.below(12) as i32;
    let title = match rng.below(4) {
        0 => format!("关于印发{place}{field}{kind}的通知"),
        1 => format!("{place}{year}年{field}{kind}"),
        2 => format!("{place}人民政府关于加强{field}工作的意见"),
        _ => format!("关于{place}{field}项目的{kind}"),
    };
    let mut body = String::new();
    let sentences = 8 + rng.below(8);
    for _ in 0..sentences {
        let f = rng.pick(FIELDS);
        let p = rng.pick(PLACES);
        let _ = match rng.below(7) {
            0 => write!(
                body,
                "为进一步做好{f}工作，根据有关法律法规，结合{p}实际，制定本{kind}。"
            ),
            1 => write!(
                body,
                "{p}{f}领域全年共完成项目{}个，涉及资金{}万元。",
                rng.below(500),
                rng.below(100_000)
            ),
            2 => write!(
                body,
                "各单位要高度重视{f}，明确责任分工，确保各项任务落到实处。"
            ),
            3 => write!(body, "{p}公共资源交易中心负责项目的组织实施和全过程监督。"),
            4 => write!(
                body,
                "本{kind}自发布之日起施行，有效期{}年。",
                1 + rng.below(5)
            ),
            5 => write!(
                body,
                "联系电话：0{}-{}。",
                100 + rng.below(900),
                1_000_000 + rng.below(8_999_999)
            ),
            _ => write!(
                body,
                "{p}将持续推进{f}，不断提升群众的获得感、幸福感、安全感。"
            ),
        };
    }
    let month = 1 + rng.below(12) as u32;
    let day = 1 + rng.below(28) as u32;
    PublicationRecord {
        agency: AgencyId(1),
        publication: Publication {
            id: format!("BENCH-{i:06}"),
            title,
            kind: PublicationKind::Other,
            doc_number: Some(format!("示政办〔{year}〕{}号", 1 + rng.below(200))),
            index_number: None,
            category: Some(rng.pick(CATEGORIES).to_string()),
            issued_on: Date::new(year, month, day).expect("valid date"),
            published_on: None,
            repealed_on: None,
        },
        issuer: None,
        body,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let docs: usize = std::env::var("GONGKAI_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 100_000 });
    let rounds = if quick { 3 } else { 30 };

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let t = Instant::now();
    let records: Vec<PublicationRecord> = (0..docs).map(|i| entry(i, &mut rng)).collect();
    let generated = t.elapsed();
    let chars: usize = records
        .iter()
        .map(|r| r.body.chars().count() + r.publication.title.chars().count())
        .sum();
    // Warm jieba's dictionary outside the build timing.
    let _ = gongkai_server::portal::search::index_terms("预热");
    let t = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let catalog = Catalog::with_threads(threads, 200_000_000).expect("index");
    catalog.add_all(records.iter()).expect("indexing");
    let built = t.elapsed();
    assert_eq!(catalog.len(), docs);

    let queries: Vec<SearchQuery> = [
        ("交易", None, None),
        ("公共资源交易", None, None),
        ("公共资源交易中心", None, None),
        ("资源交易中心", None, None),
        ("养老服务", None, None),
        ("财政预算", None, None),
        ("招标", None, None),
        ("城市更新实施方案", None, None),
        ("青山镇 住房保障", None, None),
        ("数字政府", None, None),
        ("应急", None, None),
        ("营商环境 意见", None, None),
        ("行政处罚决定", None, None),
        ("示政办〔2024〕", None, None),
        ("交易", None, Some(2024)),
        ("预算", Some("财政预算"), None),
        ("量子计算机", None, None),
    ]
    .into_iter()
    .map(|(text, category, year)| SearchQuery {
        text: text.into(),
        category: category.map(str::to_string),
        year,
        offset: 0,
        limit: 20,
    })
    .collect();

    let mut all = Vec::new();
    let mut lines = String::new();
    for q in &queries {
        for _ in 0..3 {
            let _ = catalog.search(q).expect("search"); // warm-up
        }
        let mut times = Vec::with_capacity(rounds);
        let mut total = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let found = catalog.search(q).expect("search");
            times.push(t.elapsed());
            total = found.total;
        }
        times.sort();
        let _ = writeln!(
            lines,
            "  {:<28} {:>7} hits   p50 {:>7.2} ms   p99 {:>7.2} ms",
            format!(
                "“{}”{}{}",
                q.text,
                q.category
                    .as_deref()
                    .map(|c| format!(" 类别={c}"))
                    .unwrap_or_default(),
                q.year.map(|y| format!(" 年={y}")).unwrap_or_default()
            ),
            total,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
        );
        all.extend(times);
    }
    all.sort();
    let text = format!(
        "catalog search benchmark ({} build): {docs} synthetic entries ({:.1} M characters, generated in {:.1} s)\n  \
         index built in {:.1} s ({threads} threads, {:.0} entries/s)\n{lines}  \
         all {} queries × {rounds}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (top 20 with snippets)",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        chars as f64 / 1e6,
        generated.as_secs_f64(),
        built.as_secs_f64(),
        docs as f64 / built.as_secs_f64(),
        queries.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().expect("timings")),
    );
    println!("{text}");
    let dir = match std::env::var("GONGKAI_ARTIFACTS") {
        Ok(d) if !d.trim().is_empty() => std::path::PathBuf::from(d),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-artifacts"),
    }
    .join("figures");
    if !quick && std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("catalog-bench.txt"), format!("{text}\n"));
    }
}
