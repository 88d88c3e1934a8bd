//! Table skeletons of the three generations, as data.
//!
//! A skeleton entry gives the stable id used in the JSON contract, the official label as
//! printed in the national format, and *keys*: [`crate::normalize::label_key`]-normalised
//! fragments that identify the row or column in the wild (typos, truncations, variants). The
//! parser picks, among all keys found in a label, the one that occurs **last** — the row label
//! sits right before its numbers, after any group labels and header debris.

use crate::model::Generation;

/// A row or column of a skeleton.
#[derive(Debug, Clone, Copy)]
pub struct Label {
    /// Stable id used in the JSON contract.
    pub id: &'static str,
    /// Official label, as printed in the national format.
    pub label: &'static str,
    /// Normalised fragments that identify the label (see module docs).
    pub keys: &'static [&'static str],
}

const fn l(id: &'static str, label: &'static str, keys: &'static [&'static str]) -> Label {
    Label { id, label, keys }
}

/// One block of table 二 (a 第二十条 item): its header columns and rows.
#[derive(Debug, Clone, Copy)]
pub struct ProactiveBlock {
    pub item: &'static str,
    pub columns: &'static [Label],
    pub rows: &'static [Label],
}

const COLS_2021_REGS: &[Label] = &[
    l("issued", "本年制发件数", &["制发", "本年发件"]),
    l("repealed", "本年废止件数", &["废止"]),
    l("in_force", "现行有效件数", &["现行有效"]),
];
const COLS_2021_DECISIONS: &[Label] = &[l("decisions", "本年处理决定数量", &["处理决定"])];
const COLS_2021_FEES: &[Label] = &[l("amount", "本年收费金额（单位：万元）", &["收费金额"])];

const ROW_REGULATIONS: Label = l("regulations", "规章", &["规章"]);
const ROW_NORMATIVE_2021: Label = l("normative_documents", "行政规范性文件", &["规范性文件"]);
const ROW_NORMATIVE_2019: Label = l("normative_documents", "规范性文件", &["规范性文件"]);
const ROW_LICENSING: Label = l("licensing", "行政许可", &["行政许可"]);
const ROW_OTHER_SERVICES: Label = l(
    "other_services",
    "其他对外管理服务事项",
    &["对外管理服务", "其他对外管理"],
);
const ROW_PENALTY: Label = l("penalty", "行政处罚", &["行政处罚"]);
const ROW_ENFORCEMENT: Label = l("enforcement", "行政强制", &["行政强制"]);
const ROW_FEES: Label = l("fees", "行政事业性收费", &["事业性收费", "行政事业"]);
const ROW_PROCUREMENT: Label = l("central_procurement", "政府集中采购", &["集中采购"]);

/// Table 二 of the 2021 format.
pub const PROACTIVE_2021: &[ProactiveBlock] = &[
    ProactiveBlock {
        item: "第二十条第（一）项",
        columns: COLS_2021_REGS,
        rows: &[ROW_REGULATIONS, ROW_NORMATIVE_2021],
    },
    ProactiveBlock {
        item: "第二十条第（五）项",
        columns: COLS_2021_DECISIONS,
        rows: &[ROW_LICENSING],
    },
    ProactiveBlock {
        item: "第二十条第（六）项",
        columns: COLS_2021_DECISIONS,
        rows: &[ROW_PENALTY, ROW_ENFORCEMENT],
    },
    ProactiveBlock {
        item: "第二十条第（八）项",
        columns: COLS_2021_FEES,
        rows: &[ROW_FEES],
    },
];

const COLS_2019_REGS: &[Label] = &[
    l("made", "本年新制作数量", &["制作数量"]),
    l("published", "本年新公开数量", &["公开数量"]),
    l("total_public", "对外公开总数量", &["公开总数"]),
];
const COLS_2019_ITEMS: &[Label] = &[
    l("previous_items", "上一年项目数量", &["上一年"]),
    l("change", "本年增/减", &["增减"]),
    l("decisions", "处理决定数量", &["处理决定"]),
];
const COLS_2019_FEES: &[Label] = &[
    l("previous_items", "上一年项目数量", &["上一年"]),
    l("change", "本年增/减", &["增减"]),
];
const COLS_2019_PROCUREMENT: &[Label] = &[
    l("items", "采购项目数量", &["采购项目"]),
    l("amount", "采购总金额", &["采购总金额", "采购金额"]),
];

/// Table 二 of the 2019 format.
pub const PROACTIVE_2019: &[ProactiveBlock] = &[
    ProactiveBlock {
        item: "第二十条第（一）项",
        columns: COLS_2019_REGS,
        rows: &[ROW_REGULATIONS, ROW_NORMATIVE_2019],
    },
    ProactiveBlock {
        item: "第二十条第（五）项",
        columns: COLS_2019_ITEMS,
        rows: &[ROW_LICENSING, ROW_OTHER_SERVICES],
    },
    ProactiveBlock {
        item: "第二十条第（六）项",
        columns: COLS_2019_ITEMS,
        rows: &[ROW_PENALTY, ROW_ENFORCEMENT],
    },
    ProactiveBlock {
        item: "第二十条第（八）项",
        columns: COLS_2019_FEES,
        rows: &[ROW_FEES],
    },
    ProactiveBlock {
        item: "第二十条第（九）项",
        columns: COLS_2019_PROCUREMENT,
        rows: &[ROW_PROCUREMENT],
    },
];

/// Table 二 blocks of a generation (empty for `2014` and `unknown`).
pub fn proactive_blocks(generation: Generation) -> &'static [ProactiveBlock] {
    match generation {
        Generation::G2021 => PROACTIVE_2021,
        Generation::G2019 => PROACTIVE_2019,
        _ => &[],
    }
}

/// Columns of table 三, in the fixed contract order.
pub const REQUEST_COLUMNS: [Label; 7] = [
    l("natural_person", "自然人", &["自然人"]),
    l("commercial", "商业企业", &["商业企业", "商业机构"]),
    l("research", "科研机构", &["科研机构"]),
    l("nonprofit", "社会公益组织", &["社会公益"]),
    l("legal_services", "法律服务机构", &["法律服务"]),
    l("other", "其他", &["其他"]),
    l("total", "总计", &["总计"]),
];

/// Index of the 总计 column of table 三.
pub const REQUEST_TOTAL_COLUMN: usize = 6;

/// A row of table 三 with its place in the official layout.
#[derive(Debug, Clone, Copy)]
pub struct RequestRow {
    pub label: Label,
    /// The group label cell(s) printed to its left, e.g. `三、本年度办理结果` / `（三）不予公开`.
    pub group: Option<&'static str>,
    pub subgroup: Option<&'static str>,
    /// Whether the row is one of the outcome rows summed into （七）总计.
    pub outcome: bool,
    /// Generations having this row.
    pub in_2019: bool,
    pub in_2021: bool,
}

const RESULT: Option<&str> = Some("三、本年度办理结果");

const fn row(
    label: Label,
    group: Option<&'static str>,
    subgroup: Option<&'static str>,
    outcome: bool,
    in_2019: bool,
    in_2021: bool,
) -> RequestRow {
    RequestRow {
        label,
        group,
        subgroup,
        outcome,
        in_2019,
        in_2021,
    }
}

const WITHHELD: Option<&str> = Some("（三）不予公开");
const UNAVAILABLE: Option<&str> = Some("（四）无法提供");
const REJECTED: Option<&str> = Some("（五）不予处理");
const OTHER: Option<&str> = Some("（六）其他处理");

/// All rows of table 三 (both generations), in the official order.
pub const REQUEST_ROWS: &[RequestRow] = &[
    row(
        l(
            "new_received",
            "一、本年新收政府信息公开申请数量",
            &["本年新收"],
        ),
        None,
        None,
        false,
        true,
        true,
    ),
    row(
        l(
            "carried_over",
            "二、上年结转政府信息公开申请数量",
            &["上年结转"],
        ),
        None,
        None,
        false,
        true,
        true,
    ),
    row(
        l("disclosed", "（一）予以公开", &["予以公开"]),
        RESULT,
        None,
        true,
        true,
        true,
    ),
    row(
        l(
            "partially_disclosed",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            &["部分公开", "不分公开"],
        ),
        RESULT,
        None,
        true,
        true,
        true,
    ),
    row(
        l("withheld_state_secret", "1.属于国家秘密", &["国家秘密"]),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l(
            "withheld_law_prohibited",
            "2.其他法律行政法规禁止公开",
            &["禁止公开"],
        ),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l(
            "withheld_security",
            "3.危及“三安全一稳定”",
            &["三安全一稳定", "危及"],
        ),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l(
            "withheld_third_party",
            "4.保护第三方合法权益",
            &["第三方合法权益", "保护第三方"],
        ),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l("withheld_internal", "5.属于三类内部事务信息", &["内部事务"]),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l("withheld_process", "6.属于四类过程性信息", &["过程性信息"]),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l("withheld_enforcement", "7.属于行政执法案卷", &["执法案卷"]),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l("withheld_query", "8.属于行政查询事项", &["查询事项"]),
        RESULT,
        WITHHELD,
        true,
        true,
        true,
    ),
    row(
        l(
            "unavailable_not_held",
            "1.本机关不掌握相关政府信息",
            &["不掌握"],
        ),
        RESULT,
        UNAVAILABLE,
        true,
        true,
        true,
    ),
    row(
        l(
            "unavailable_needs_creation",
            "2.没有现成信息需要另行制作",
            &["另行制作", "没有现成"],
        ),
        RESULT,
        UNAVAILABLE,
        true,
        true,
        true,
    ),
    row(
        l(
            "unavailable_unclear",
            "3.补正后申请内容仍不明确",
            &["仍不明确"],
        ),
        RESULT,
        UNAVAILABLE,
        true,
        true,
        true,
    ),
    row(
        l(
            "rejected_petition",
            "1.信访举报投诉类申请",
            &["信访举报", "举报投诉"],
        ),
        RESULT,
        REJECTED,
        true,
        true,
        true,
    ),
    row(
        l("rejected_duplicate", "2.重复申请", &["重复申请"]),
        RESULT,
        REJECTED,
        true,
        true,
        true,
    ),
    row(
        l(
            "rejected_publication",
            "3.要求提供公开出版物",
            &["公开出版物"],
        ),
        RESULT,
        REJECTED,
        true,
        true,
        true,
    ),
    row(
        l(
            "rejected_excessive",
            "4.无正当理由大量反复申请",
            &["大量反复"],
        ),
        RESULT,
        REJECTED,
        true,
        true,
        true,
    ),
    row(
        l(
            "rejected_confirmation",
            "5.要求行政机关确认或重新出具已获取信息",
            &["重新出具", "确认或重新"],
        ),
        RESULT,
        REJECTED,
        true,
        true,
        true,
    ),
    row(
        l("other", "（六）其他处理", &["其他处理"]),
        RESULT,
        None,
        true,
        true,
        false,
    ),
    row(
        l(
            "other_no_correction",
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            &["不补正"],
        ),
        RESULT,
        OTHER,
        true,
        false,
        true,
    ),
    row(
        l(
            "other_fee_unpaid",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            &["缴纳费用", "收费通知"],
        ),
        RESULT,
        OTHER,
        true,
        false,
        true,
    ),
    row(
        l("other_misc", "3.其他", &["3其他"]),
        RESULT,
        OTHER,
        true,
        false,
        true,
    ),
    row(
        l("total_handled", "（七）总计", &["总计"]),
        RESULT,
        None,
        false,
        true,
        true,
    ),
    row(
        l("carried_forward", "四、结转下年度继续办理", &["结转下年"]),
        None,
        None,
        false,
        true,
        true,
    ),
];

/// Rows of table 三 for a generation, in order. For `unknown` (a table 三 seen without the
/// headers that tell 2019 from 2021), the rows both generations share.
pub fn request_rows(generation: Generation) -> impl Iterator<Item = &'static RequestRow> {
    REQUEST_ROWS.iter().filter(move |r| match generation {
        Generation::G2019 => r.in_2019,
        Generation::G2021 => r.in_2021,
        Generation::Unknown => r.in_2019 && r.in_2021,
        Generation::G2014 => false,
    })
}

/// Groups of table 四, in order.
pub const REVIEW_GROUPS: [Label; 3] = [
    l("reconsideration", "行政复议", &["行政复议"]),
    l(
        "litigation_direct",
        "行政诉讼 · 未经复议直接起诉",
        &["未经复议直接起诉", "直接起诉"],
    ),
    l(
        "litigation_after_reconsideration",
        "行政诉讼 · 复议后起诉",
        &["复议后起诉"],
    ),
];

/// Columns of each group of table 四, in order; the last is the group total.
pub const REVIEW_COLUMNS: [Label; 5] = [
    l("upheld", "结果维持", &["维持"]),
    l("corrected", "结果纠正", &["纠正"]),
    l("other", "其他结果", &["其他结果"]),
    l("pending", "尚未审结", &["尚未审结"]),
    l("total", "总计", &["总计"]),
];

/// Section headings of the 2019/2021 formats: number, official title, recognising keys.
pub const SECTIONS: [(&str, &str, &[&str]); 6] = [
    ("一", "总体情况", &["总体情况", "概述", "工作基本情况"]),
    ("二", "主动公开政府信息情况", &["主动公开"]),
    (
        "三",
        "收到和处理政府信息公开申请情况",
        &["收到和处理", "依申请公开"],
    ),
    (
        "四",
        "政府信息公开行政复议、行政诉讼情况",
        &["行政复议", "行政诉讼"],
    ),
    (
        "五",
        "存在的主要问题及改进情况",
        &[
            "存在的主要问题",
            "存在主要问题",
            "存在问题",
            "主要问题",
            "改进情况",
            "改进措施",
        ],
    ),
    (
        "六",
        "其他需要报告的事项",
        &["其他需要报告", "其他事项", "其它需要报告"],
    ),
];

/// Units that appear in the unit column of a pre-2019 统计表 or inside cells.
pub const UNITS: &[&str] = &[
    "万元", "人次", "条", "件", "个", "人", "次", "篇", "项", "元", "家", "期", "场", "份", "%",
];
