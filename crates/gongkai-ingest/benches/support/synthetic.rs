//! A synthetic 2021-format annual report of a made-up agency (示例县数据资源局), written by
//! the team for benchmarks and robustness tests — no third-party text.
//!
//! Shared by `benches/parse.rs` and `tests/robustness.rs` through `#[path]`; it lives in a
//! sub-directory of `benches/` so that Cargo does not discover it as a bench target.

#![allow(dead_code)]

use gongkai_core::model::{fmt_num, Generation};
use gongkai_core::skeleton::{self, REQUEST_COLUMNS};

/// The made-up agency of the synthetic report.
pub const AGENCY: &str = "示例县数据资源局";

/// A tiny deterministic PRNG (64-bit LCG, upper bits), so no `rand` crate is needed.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }

    /// A value in `0..m` (`m > 0`).
    pub fn below(&mut self, m: u64) -> u64 {
        self.next_u64() % m
    }
}

/// Narrative sentences used to pad sections 一, 五 and 六 to a realistic length.
const NARRATIVE: &[&str] = &[
    "示例县数据资源局坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》。",
    "全年通过门户网站、政务新媒体、政务服务大厅等渠道主动公开政府信息，及时回应社会关切。",
    "进一步规范依申请公开办理流程，严格落实登记、审核、答复、归档等环节，确保在法定期限内答复。",
    "加强政府信息管理，定期对本机关制发的规范性文件进行清理，动态更新政府信息公开目录。",
    "加强平台建设，优化政府网站栏目设置，提升信息检索和在线服务功能，方便群众查阅。",
    "强化监督保障，将政务公开工作纳入年度绩效考核，组织开展业务培训两次，参训人员四十人次。",
];

const PROBLEMS: &[&str] = &[
    "一是公开内容的深度和广度还需进一步拓展；二是政策解读形式较为单一，图解、视频等解读方式运用不够；",
    "三是工作人员业务能力有待提高。下一步，示例县数据资源局将加强学习培训，丰富解读形式，提升公开质量。",
];

/// Table 三 values consistent by construction (rows in the 2021 order, 7 columns each).
fn request_values(rng: &mut Lcg) -> Vec<(&'static skeleton::RequestRow, [u64; 7])> {
    let rows: Vec<&skeleton::RequestRow> = skeleton::request_rows(Generation::G2021).collect();
    let mut values = vec![[0u64; 7]; rows.len()];
    for (i, (r, v)) in rows.iter().zip(values.iter_mut()).enumerate() {
        if r.outcome {
            for (c, cell) in v.iter_mut().take(6).enumerate() {
                *cell = if (i + c) % 3 == 0 { rng.below(9) } else { 0 };
            }
        }
    }
    let idx = |id: &str| rows.iter().position(|r| r.label.id == id).unwrap();
    for c in 0..6 {
        let total: u64 = rows
            .iter()
            .zip(&values)
            .filter(|(r, _)| r.outcome)
            .map(|(_, v)| v[c])
            .sum();
        values[idx("total_handled")][c] = total;
        let carried_over = if c == 0 { 2 } else { 0 };
        let carried_forward = if c == 0 { 3 } else { 0 };
        values[idx("carried_over")][c] = carried_over;
        values[idx("carried_forward")][c] = carried_forward;
        values[idx("new_received")][c] = total + carried_forward - carried_over;
    }
    for v in values.iter_mut() {
        v[6] = v[..6].iter().sum();
    }
    rows.into_iter().zip(values).collect()
}

fn pipe_row(out: &mut String, cells: &[String]) {
    out.push_str("| ");
    out.push_str(&cells.join(" | "));
    out.push_str(" |\n");
}

/// The synthetic 2021-format report, tables 二/三/四 as pipe-separated rows, about 10 KB.
pub fn report_2021(seed: u64) -> String {
    let mut rng = Lcg::new(seed);
    let mut s = String::with_capacity(12 * 1024);
    s.push_str(&format!("{AGENCY}2021年政府信息公开工作年度报告\n"));
    s.push_str("发布日期：2022-01-20\n\n");
    s.push_str(&format!(
        "本报告由{AGENCY}根据《中华人民共和国政府信息公开条例》和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求编制。\n\n"
    ));
    s.push_str("一、总体情况\n");
    for round in 0..8 {
        for (i, n) in NARRATIVE.iter().enumerate() {
            if (i + round) % 2 == 0 {
                s.push_str(n);
            }
        }
        s.push_str(&format!(
            "2021年第{}季度，主动公开政府信息{}条，其中政策文件{}件、工作动态{}条。\n",
            round % 4 + 1,
            100 + rng.below(200),
            rng.below(20),
            rng.below(90)
        ));
    }

    s.push_str("\n二、主动公开政府信息情况\n");
    for b in skeleton::proactive_blocks(Generation::G2021) {
        pipe_row(&mut s, &[b.item.to_string()]);
        let mut head = vec!["信息内容".to_string()];
        head.extend(b.columns.iter().map(|c| c.label.to_string()));
        pipe_row(&mut s, &head);
        for r in b.rows {
            let mut row = vec![r.label.to_string()];
            row.extend(b.columns.iter().map(|c| {
                if c.id == "amount" {
                    "12.5".to_string()
                } else {
                    rng.below(40).to_string()
                }
            }));
            pipe_row(&mut s, &row);
        }
    }

    s.push_str("\n三、收到和处理政府信息公开申请情况\n");
    pipe_row(
        &mut s,
        &[
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）".into(),
            "申请人情况".into(),
        ],
    );
    pipe_row(
        &mut s,
        &["自然人".into(), "法人或其他组织".into(), "总计".into()],
    );
    pipe_row(
        &mut s,
        &REQUEST_COLUMNS[1..6]
            .iter()
            .map(|c| c.label.to_string())
            .collect::<Vec<_>>(),
    );
    let mut last_group = None;
    let mut last_sub = None;
    for (r, vals) in request_values(&mut rng) {
        let mut row = Vec::new();
        if r.group != last_group {
            if let Some(g) = r.group {
                row.push(g.to_string());
            }
            last_group = r.group;
        }
        if r.subgroup != last_sub {
            if let Some(sg) = r.subgroup {
                row.push(sg.to_string());
            }
            last_sub = r.subgroup;
        }
        row.push(r.label.label.to_string());
        row.extend(vals.iter().map(|v| fmt_num(*v as f64)));
        pipe_row(&mut s, &row);
    }

    s.push_str("\n四、政府信息公开行政复议、行政诉讼情况\n");
    pipe_row(&mut s, &["行政复议".into(), "行政诉讼".into()]);
    let heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"];
    let mut h: Vec<String> = heads.iter().map(|x| x.to_string()).collect();
    h.push("未经复议直接起诉".into());
    h.push("复议后起诉".into());
    pipe_row(&mut s, &h);
    pipe_row(
        &mut s,
        &heads
            .iter()
            .chain(heads.iter())
            .map(|x| x.to_string())
            .collect::<Vec<_>>(),
    );
    let mut reviews = Vec::new();
    for _ in 0..3 {
        let parts: Vec<u64> = (0..4).map(|_| rng.below(4)).collect();
        let total: u64 = parts.iter().sum();
        reviews.extend(parts);
        reviews.push(total);
    }
    pipe_row(
        &mut s,
        &reviews.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
    );

    s.push_str("\n五、存在的主要问题及改进情况\n");
    for _ in 0..6 {
        for p in PROBLEMS {
            s.push_str(p);
        }
        s.push('\n');
    }
    s.push_str("\n六、其他需要报告的事项\n");
    s.push_str("本年度未收取信息处理费。");
    for n in NARRATIVE.iter().take(3) {
        s.push_str(n);
    }
    s.push_str(&format!("\n\n{AGENCY}\n2022年1月20日\n"));
    s
}

/// A made-up notice that is not an annual report (no tables of any generation).
pub fn notice() -> String {
    let mut s = String::from("关于示例县数据资源局办公楼停电检修的通知\n\n各科室、各直属单位：\n");
    for _ in 0..20 {
        s.push_str("因供电线路改造，定于本周六上午八时至下午六时对办公楼进行停电检修，届时电梯、空调、网络暂停使用。请各单位提前做好工作安排，妥善保存电子文档。\n");
    }
    s.push_str("特此通知。\n\n示例县数据资源局办公室\n");
    s
}
