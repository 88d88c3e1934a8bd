//! 台账导入: bring an existing Excel ledger of requests (what units keep today) into the
//! register.
//!
//! * **Any ledger a unit is likely to have.** XLSX/XLS/ODS (first sheet with data) or CSV in
//!   UTF-8 or GBK/GB18030 (detected by `gongkai_ingest::decode`), comma-, tab- or
//!   semicolon-separated, with a header row whose wording varies from unit to unit: headers are
//!   matched against the aliases of [`FIELDS`] (shown on the page, so the documentation and
//!   the matching cannot disagree), then by keywords.
//! * **Every row is a request built by the law.** A row is replayed as events — `Received`,
//!   then `Answered` (or `Withdrawn`) when an outcome and its date are given, then `Delivered`
//!   — through `Request::apply`, so a ledger cannot bring in what the console would refuse.
//! * **A bad row changes nothing; a good row is stored on its own.** Each row is checked
//!   completely before anything is written, and each valid row is its own `create_request`
//!   transaction. The page lists every row: imported (with its new tracking code) or rejected
//!   with the reason — a malformed row, an impossible date such as 2024-02-30, an unknown
//!   outcome, an answer before the receipt, a missing applicant, a row already imported.
//! * **Importing twice does not double the figures.** Each row's fingerprint (agency, ledger
//!   number, applicant, receipt date, description) is stored with the request; a row whose
//!   fingerprint is already in the register is rejected as a duplicate.

use super::requests::{applicant_key, store_new_request};
use super::{
    flash_error, href, normalize_date_text, random_suffix, shell, today, with_status, Desk,
};
use crate::pages::reports::download;
use crate::pages::upload::read_multipart;
use crate::{ui, AppError, AppState};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_core::lifecycle::{
    Applicant, ApplicantType, Channel, Event, EventKind, Outcome, Request, RequestId,
};
use gongkai_store::{sha256_hex, AgencyId, ApplicantPrivate, RequestSource, Role, Store, UserId};
use maud::html;

/// Most data rows imported from one file.
pub const MAX_ROWS: usize = 5_000;
/// The 条例 took effect on 2008-05-01; an earlier receipt date is a typing error.
const EARLIEST: (i32, u32, u32) = (2008, 5, 1);

/// A column of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Number,
    Name,
    Type,
    IdNumber,
    Phone,
    Address,
    Email,
    Channel,
    Received,
    Description,
    Delivery,
    Answered,
    Outcome,
    Delivered,
    Note,
    Handler,
}

/// Every column: field, label, required, accepted headers (compared after
/// [`normalize_header`]: spaces, slashes and bracketed remarks do not matter), and what it
/// holds. The page documents exactly this table.
pub const FIELDS: &[(Field, &str, bool, &[&str], &str)] = &[
    (Field::Number, "台账编号", false, &["编号", "序号", "登记号", "登记编号", "申请编号", "受理编号", "流水号"], "记入备注；与其他列一起用于识别重复导入"),
    (Field::Name, "申请人", true, &["申请人", "申请人姓名", "申请人名称", "申请人姓名或名称", "申请人姓名/名称", "姓名", "名称", "姓名或名称"], "自然人姓名或法人、其他组织名称"),
    (Field::Type, "申请人类型", true, &["申请人类型", "申请人类别", "申请人性质", "申请主体类型", "类型", "类别"], "自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他（仅区分“法人或其他组织”的，计入“其他”）"),
    (Field::IdNumber, "证件号码", false, &["证件号码", "证件号", "身份证号", "身份证号码", "统一社会信用代码", "申请人证件号码"], "仅工作台可见"),
    (Field::Phone, "联系电话", false, &["联系电话", "电话", "手机", "手机号码", "联系方式"], "仅工作台可见"),
    (Field::Address, "通讯地址", false, &["通讯地址", "通信地址", "联系地址", "地址"], "仅工作台可见"),
    (Field::Email, "电子邮箱", false, &["电子邮箱", "邮箱", "电子邮件地址", "Email", "E-mail"], "仅工作台可见"),
    (Field::Channel, "提交渠道", false, &["渠道", "方式", "申请方式", "提交方式", "申请渠道", "提交渠道", "收到方式"], "当面、邮寄、网络（含电子邮件、网上平台）、传真、其他；空白计为“其他”"),
    (Field::Received, "收到申请日期", true, &["收到日期", "受理日期", "收到申请日期", "收到申请之日", "申请日期", "登记日期", "收件日期", "收到时间", "受理时间", "申请时间"], "如 2024-03-05、2024/3/5、2024年3月5日，或 Excel 日期"),
    (Field::Description, "申请内容", true, &["申请内容", "申请公开内容", "申请公开的信息", "所需信息", "所需政府信息", "申请事项", "内容"], "所需政府信息的名称、文号或者便于查询的其他特征性描述"),
    (Field::Delivery, "获取信息方式", false, &["获取方式", "获取信息方式", "获取信息的方式", "获取政府信息的方式", "提供方式"], "纸质文本、电子邮件等"),
    (Field::Answered, "答复日期", false, &["答复日期", "办结日期", "答复时间", "办结时间"], "已答复的，与办理结果同时填写；撤回的，填撤回日期"),
    (Field::Outcome, "办理结果", false, &["办理结果", "答复结果", "处理结果", "答复类型", "答复情况", "办理情况", "结果"], "表三的办理结果，如“予以公开”“部分公开”“不予公开—属于国家秘密”“无法提供—本机关不掌握相关政府信息”“不予处理—重复申请”“其他处理—其他”，或“申请人撤回”；空白表示仍在办理"),
    (Field::Delivered, "送达日期", false, &["送达日期", "送达时间"], "答复送达申请人的日期"),
    (Field::Note, "备注", false, &["备注", "说明"], "记入收到申请事件的备注"),
    (Field::Handler, "经办人", false, &["经办人", "承办人", "办理人"], "空白时记为导入人"),
];

fn label_of(f: Field) -> &'static str {
    FIELDS
        .iter()
        .find(|(x, ..)| *x == f)
        .map(|(_, l, ..)| *l)
        .unwrap_or("")
}

/// A header as compared: no spaces, BOM, asterisks, slashes, or bracketed remarks
/// (`收到日期（年-月-日）` → `收到日期`), lower-case.
pub fn normalize_header(h: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in h.chars() {
        match c {
            '（' | '(' | '【' | '[' => depth += 1,
            '）' | ')' | '】' | ']' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_whitespace()
                || matches!(c, '\u{feff}' | '*' | '＊' | '/' | '／' | '、' | ':' | '：') => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The field a header names, if any.
pub fn map_header(header: &str) -> Option<Field> {
    let h = normalize_header(header);
    if h.is_empty() {
        return None;
    }
    if let Some((f, ..)) = FIELDS
        .iter()
        .find(|(_, _, _, aliases, _)| aliases.iter().any(|a| normalize_header(a) == h))
    {
        return Some(*f);
    }
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    let date = has(&["日期", "时间"]);
    // Most specific first: “申请人” appears in many headers.
    Some(if has(&["类型", "类别"]) {
        Field::Type
    } else if has(&["证件", "身份证", "信用代码"]) {
        Field::IdNumber
    } else if has(&["电话", "手机"]) {
        Field::Phone
    } else if has(&["地址"]) {
        Field::Address
    } else if has(&["邮箱", "email"]) {
        Field::Email
    } else if has(&["送达"]) {
        Field::Delivered
    } else if has(&["答复", "办结"]) && date {
        Field::Answered
    } else if has(&["收到", "受理", "登记", "收件", "申请"]) && date {
        Field::Received
    } else if has(&["结果"]) {
        Field::Outcome
    } else if has(&["获取", "提供"]) && has(&["方式", "形式"]) {
        Field::Delivery
    } else if has(&["渠道", "方式"]) {
        Field::Channel
    } else if has(&["内容", "事项", "所需", "描述"]) {
        Field::Description
    } else if has(&["编号", "序号", "登记号"]) {
        Field::Number
    } else if has(&["备注"]) {
        Field::Note
    } else if has(&["经办", "承办"]) {
        Field::Handler
    } else if has(&["申请人", "姓名", "名称"]) {
        Field::Name
    } else {
        return None;
    })
}

/// A record of the file: the line (or sheet row) number as the user sees it, and its cells —
/// or why the record could not be read.
pub type Record = (usize, Result<Vec<String>, String>);

/// The header row and data rows of a ledger file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<Record>,
}

/// Read a CSV (any of the usual encodings) or a workbook.
pub fn read_sheet(bytes: &[u8]) -> Result<Sheet, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("文件是空的".into());
    }
    let workbook = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let records = if workbook {
        read_workbook(bytes)?
    } else {
        if let Some(kind) = gongkai_ingest::decode::binary_kind(bytes) {
            return Err(format!(
                "不是 CSV 或 Excel 文件（检测为 {kind}）；请上传 .xlsx 或 .csv"
            ));
        }
        let decoded = gongkai_ingest::decode::decode_bytes(bytes);
        if decoded.lossy {
            return Err(format!(
                "文件编码无法识别（按 {} 读取时有无法解码的字符）；请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 .xlsx",
                decoded.encoding
            ));
        }
        let first = decoded
            .text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let delimiter = [',', '\t', ';']
            .into_iter()
            .max_by_key(|d| first.matches(*d).count())
            .filter(|d| first.contains(*d))
            .unwrap_or(',');
        parse_csv(&decoded.text, delimiter)
    };
    let mut rows = records.into_iter().skip_while(|(_, r)| match r {
        Ok(cells) => cells.iter().all(|c| c.trim().is_empty()),
        Err(_) => false,
    });
    let headers = match rows.next() {
        Some((_, Ok(h))) => h.into_iter().map(|c| c.trim().to_string()).collect(),
        Some((line, Err(e))) => return Err(format!("表头（第{line}行）无法读取：{e}")),
        None => return Err("文件中没有表头和数据".into()),
    };
    Ok(Sheet {
        headers,
        rows: rows.collect(),
    })
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Record>, String> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("无法读取 Excel 文件：{e}"))?;
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.trim().to_string(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
            Data::DateTime(dt) if dt.is_datetime() => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                format!("{y:04}-{m:02}-{d:02}")
            }
            Data::DateTime(dt) => dt.as_f64().to_string(),
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("#{e}"),
        }
    };
    for name in book.sheet_names() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        if range.is_empty() {
            continue;
        }
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let out: Vec<_> = range
            .rows()
            .enumerate()
            .map(|(i, row)| (first_row + i + 1, Ok(row.iter().map(cell).collect())))
            .collect();
        if !out.is_empty() {
            return Ok(out);
        }
    }
    Err("Excel 文件中没有数据".into())
}

/// RFC 4180 CSV: quoted fields may hold delimiters, quotes (`""`) and line breaks. Each record
/// comes with the line it starts on. A quote left open swallows the rest of the file; that
/// record is reported as unreadable.
pub fn parse_csv(text: &str, delimiter: char) -> Vec<Record> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let (mut line, mut start) = (1usize, 1usize);
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let (mut in_quotes, mut quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' => {}
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            c if c == delimiter => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, Ok(std::mem::take(&mut fields))));
                quoted = false;
                line += 1;
                start = line;
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        out.push((
            start,
            Err("引号未闭合：从本行到文件末尾的内容无法读取，请检查本行的引号".into()),
        ));
    } else if !fields.is_empty() || !field.is_empty() {
        fields.push(field);
        out.push((start, Ok(fields)));
    }
    out
}

/// Which field each column holds.
#[derive(Debug, Clone)]
pub struct Columns {
    pub fields: Vec<Option<Field>>,
    /// Headers that name no field (ignored, listed on the result page).
    pub ignored: Vec<String>,
}

impl Columns {
    fn index(&self, f: Field) -> Option<usize> {
        self.fields.iter().position(|x| *x == Some(f))
    }
}

/// Map the header row; refuse a file without a required column or with two columns for one
/// field.
pub fn map_columns(headers: &[String]) -> Result<Columns, String> {
    let mut fields: Vec<Option<Field>> = Vec::new();
    let mut ignored = Vec::new();
    for h in headers {
        let f = map_header(h);
        if let Some(f) = f {
            if let Some(j) = fields.iter().position(|x| *x == Some(f)) {
                return Err(format!(
                    "表头中“{}”和“{}”都表示“{}”，请删去或改名其中一列",
                    headers[j],
                    h,
                    label_of(f)
                ));
            }
        } else if !h.trim().is_empty() {
            ignored.push(h.clone());
        }
        fields.push(f);
    }
    let missing: Vec<&str> = FIELDS
        .iter()
        .filter(|(f, _, required, ..)| *required && !fields.contains(&Some(*f)))
        .map(|(_, label, ..)| *label)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "缺少必需的列：{}。表头为：{}。可用的表头见本页说明，或下载模板",
            missing.join("、"),
            headers.join("、")
        ));
    }
    Ok(Columns { fields, ignored })
}

fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '—' | '–'
                        | '-'
                        | '－'
                        | '_'
                        | '、'
                        | '：'
                        | ':'
                        | '（'
                        | '）'
                        | '('
                        | ')'
                        | '“'
                        | '”'
                        | '"'
                        | '，'
                        | ','
                        | '。'
                        | '.'
                        | '·'
                        | '/'
                        | '／'
                )
        })
        .collect()
}

/// What a ledger's 办理结果 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerOutcome {
    Answer(Outcome),
    Withdraw,
}

/// Distinctive words of each outcome's label, for the ways ledgers write them.
const OUTCOME_WORDS: &[(Outcome, &[&str])] = &[
    (Outcome::PartiallyDisclosed, &["部分公开"]),
    (Outcome::WithheldStateSecret, &["国家秘密"]),
    (Outcome::WithheldLawProhibited, &["禁止公开"]),
    (Outcome::WithheldSecurity, &["三安全一稳定", "危及"]),
    (
        Outcome::WithheldThirdParty,
        &["第三方合法权益", "保护第三方"],
    ),
    (Outcome::WithheldInternal, &["内部事务"]),
    (Outcome::WithheldProcess, &["过程性信息"]),
    (Outcome::WithheldEnforcement, &["执法案卷"]),
    (Outcome::WithheldQuery, &["查询事项"]),
    (Outcome::UnavailableNotHeld, &["不掌握", "信息不存在"]),
    (
        Outcome::UnavailableNeedsCreation,
        &["另行制作", "没有现成信息"],
    ),
    (Outcome::UnavailableUnclear, &["仍不明确"]),
    (Outcome::RejectedPetition, &["信访"]),
    (Outcome::RejectedDuplicate, &["重复申请"]),
    (Outcome::RejectedPublication, &["公开出版物"]),
    (Outcome::RejectedExcessive, &["大量反复"]),
    (Outcome::RejectedConfirmation, &["重新出具", "确认或重新"]),
    (Outcome::OtherNoCorrection, &["不补正"]),
    (Outcome::OtherFeeUnpaid, &["缴纳费用", "未缴费", "收费通知"]),
];

/// Read a 办理结果 cell.
pub fn parse_outcome(raw: &str) -> Result<LedgerOutcome, String> {
    let trimmed = raw.trim();
    if let Some(o) = Outcome::from_id(trimmed) {
        return Ok(LedgerOutcome::Answer(o));
    }
    let s = squeeze(trimmed);
    let s = s.trim_start_matches(|c: char| "一二三四五六七八九123456789".contains(c));
    if s.contains("撤回") {
        return Ok(LedgerOutcome::Withdraw);
    }
    if [
        "予以公开",
        "公开",
        "全部公开",
        "同意公开",
        "已公开",
        "依申请公开",
    ]
    .contains(&s)
    {
        return Ok(LedgerOutcome::Answer(Outcome::Disclosed));
    }
    if let Some(o) = Outcome::ALL.iter().find(|o| squeeze(o.label_zh()) == s) {
        return Ok(LedgerOutcome::Answer(*o));
    }
    let hits: Vec<Outcome> = OUTCOME_WORDS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| s.contains(w)))
        .map(|(o, _)| *o)
        .collect();
    match hits.as_slice() {
        [one] => Ok(LedgerOutcome::Answer(*one)),
        [] if ["不予公开", "无法提供", "不予处理", "其他处理", "其他"].contains(&s) => Err(format!(
            "办理结果“{trimmed}”不够具体：表三按理由分行统计，请写明理由，如“不予公开—属于国家秘密”“无法提供—本机关不掌握相关政府信息”“其他处理—其他”"
        )),
        [] => Err(format!(
            "办理结果“{trimmed}”无法识别；请使用表三的办理结果，如“予以公开”“部分公开”“不予公开—属于国家秘密”“无法提供—本机关不掌握相关政府信息”“不予处理—重复申请”“其他处理—其他”，或“申请人撤回”"
        )),
        many => Err(format!(
            "办理结果“{trimmed}”同时像是{}，无法确定",
            many.iter()
                .map(|o| format!("“{}”", o.label_zh()))
                .collect::<Vec<_>>()
                .join("和")
        )),
    }
}

/// Read a 申请人类型 cell.
pub fn parse_applicant_type(raw: &str) -> Result<ApplicantType, String> {
    let s = squeeze(raw);
    if s.is_empty() {
        return Err("缺少申请人类型".into());
    }
    if let Some(t) = ApplicantType::ALL
        .iter()
        .find(|t| t.id() == raw.trim() || t.label_zh() == s)
    {
        return Ok(*t);
    }
    let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
    Ok(
        if ["公民", "个人", "自然人", "居民", "群众"].contains(&s.as_str()) {
            ApplicantType::NaturalPerson
        } else if has(&["法律服务", "律师事务所", "律所"]) {
            ApplicantType::LegalServices
        } else if has(&["科研", "研究院", "研究所"]) {
            ApplicantType::Research
        } else if has(&["公益"]) {
            ApplicantType::Nonprofit
        } else if has(&["企业", "公司", "商业"]) {
            ApplicantType::Commercial
        } else if has(&["其他", "法人", "组织"]) {
            ApplicantType::Other
        } else {
            return Err(format!(
            "申请人类型“{}”无法识别（可填：自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他）",
            raw.trim()
        ));
        },
    )
}

/// Read a 提交渠道 cell (blank = 其他).
pub fn parse_channel(raw: &str) -> Result<Channel, String> {
    let s = squeeze(raw);
    let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
    Ok(if s.is_empty() || s == "其他" {
        Channel::Other
    } else if has(&["当面", "现场", "窗口", "当场", "来访"]) {
        Channel::InPerson
    } else if has(&["传真"]) {
        Channel::Fax
    } else if has(&["网", "在线", "电子邮件", "邮件", "email", "平台", "微信"]) {
        Channel::Online
    } else if has(&["邮寄", "信函", "邮政", "挂号", "快递", "来信", "邮"]) {
        Channel::Post
    } else {
        return Err(format!(
            "提交渠道“{}”无法识别（可填：当面、邮寄、网络、传真、其他）",
            raw.trim()
        ));
    })
}

/// Everything a row needs besides its cells.
pub struct RowContext<'a> {
    pub agency: AgencyId,
    /// The importing user's name (events' 经办人 when the row names none).
    pub by: &'a str,
    pub file_name: &'a str,
    pub today: Date,
    pub cal: &'a Calendar,
}

/// A checked row, ready to store.
#[derive(Debug)]
pub struct ReadyRow {
    pub request: Request,
    pub private: ApplicantPrivate,
    pub fingerprint: String,
}

fn row_date(label: &str, raw: &str, ctx: &RowContext<'_>) -> Result<Option<Date>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let d = Date::parse(&normalize_date_text(raw)).map_err(|e| format!("{label}：{e}"))?;
    if d > ctx.today {
        return Err(format!("{label}{d}晚于今天（{}）", ctx.today));
    }
    let (y, m, dd) = EARLIEST;
    if d.ymd() < (y, m, dd) {
        return Err(format!(
            "{label}{d}早于《政府信息公开条例》施行之日（2008-05-01），请核对"
        ));
    }
    Ok(Some(d))
}

/// Check one data row and build its request. `Err` is the reason shown for the row.
pub fn build_row(
    cols: &Columns,
    cells: &[String],
    line: usize,
    ctx: &RowContext<'_>,
) -> Result<ReadyRow, String> {
    let extra = cells
        .iter()
        .skip(cols.fields.len())
        .filter(|c| !c.trim().is_empty())
        .count();
    if extra > 0 {
        return Err(format!(
            "本行有内容的单元格超出表头的 {} 列（可能是内容中的逗号未加引号），无法确定各列的含义",
            cols.fields.len()
        ));
    }
    let get = |f: Field| -> String {
        cols.index(f)
            .and_then(|i| cells.get(i))
            .map(|c| c.trim().to_string())
            .unwrap_or_default()
    };
    let opt = |f: Field, max: usize| -> Result<Option<String>, String> {
        let v = get(f);
        if v.chars().count() > max {
            return Err(format!("{}过长（最多 {max} 字）", label_of(f)));
        }
        Ok(Some(v).filter(|s| !s.is_empty()))
    };
    let name = opt(Field::Name, 100)?.ok_or("缺少申请人姓名或名称")?;
    let kind = parse_applicant_type(&get(Field::Type))?;
    let received =
        row_date("收到申请日期", &get(Field::Received), ctx)?.ok_or("缺少收到申请日期")?;
    let description = opt(Field::Description, 5000)?.ok_or("缺少申请内容")?;
    let channel = parse_channel(&get(Field::Channel))?;
    let answered = row_date("答复日期", &get(Field::Answered), ctx)?;
    let delivered = row_date("送达日期", &get(Field::Delivered), ctx)?;
    let outcome_text = get(Field::Outcome);
    let outcome = if outcome_text.is_empty() {
        None
    } else {
        Some(parse_outcome(&outcome_text)?)
    };
    let conclusion = match (outcome, answered) {
        (None, None) => None,
        (Some(_), None) => return Err(format!("有办理结果“{outcome_text}”但缺少答复日期")),
        (None, Some(d)) => return Err(format!("有答复日期{d}但缺少办理结果")),
        (Some(LedgerOutcome::Answer(o)), Some(_)) if !o.is_answerable() => {
            return Err(format!(
                "办理结果“{}”需要补正或收费通知的记录，台账导入不能直接登记；请将此行的办理结果和答复日期留空导入，再在工作台中按实际经过登记",
                o.label_zh()
            ))
        }
        (Some(o), Some(d)) => {
            if d < received {
                return Err(format!("答复日期{d}早于收到申请日期{received}"));
            }
            Some((o, d))
        }
    };
    if let Some(d) = delivered {
        match conclusion {
            Some((LedgerOutcome::Answer(_), a)) if d < a => {
                return Err(format!("送达日期{d}早于答复日期{a}"))
            }
            Some((LedgerOutcome::Answer(_), _)) => {}
            _ => return Err(format!("有送达日期{d}但没有答复（办理结果和答复日期）")),
        }
    }
    let number = opt(Field::Number, 100)?;
    let private = ApplicantPrivate {
        id_number: opt(Field::IdNumber, 60)?,
        phone: opt(Field::Phone, 60)?,
        address: opt(Field::Address, 200)?,
        email: opt(Field::Email, 100)?,
        delivery: opt(Field::Delivery, 60)?,
    };
    let by = opt(Field::Handler, 60)?.unwrap_or_else(|| ctx.by.to_string());
    let mut note = format!("由台账导入（{} 第{line}行", ctx.file_name);
    if let Some(n) = &number {
        note.push_str(&format!("，台账编号{n}"));
    }
    note.push('）');
    if let Some(extra) = opt(Field::Note, 1000)? {
        note.push_str(&format!("；{extra}"));
    }
    let fingerprint = format!(
        "ledger:{}",
        sha256_hex(
            format!(
                "{}\u{1f}{}\u{1f}{name}\u{1f}{received}\u{1f}{description}",
                ctx.agency,
                number.as_deref().unwrap_or("")
            )
            .as_bytes()
        )
    );
    let applicant = Applicant {
        kind,
        name,
        identity: applicant_key(private.id_number.as_deref()),
        contact: None,
    };
    let first = Event::new(
        received,
        by.clone(),
        EventKind::Received {
            channel,
            applicant,
            description,
        },
    )
    .with_note(note);
    let mut request =
        Request::receive(RequestId(String::new()), first, ctx.cal).map_err(|e| e.to_string())?;
    if let Some((o, at)) = conclusion {
        let kind = match o {
            LedgerOutcome::Answer(outcome) => EventKind::Answered { outcome },
            LedgerOutcome::Withdraw => EventKind::Withdrawn,
        };
        request
            .apply(Event::new(at, by.clone(), kind), ctx.cal)
            .map_err(|e| format!("办理结果不能登记：{e}"))?;
    }
    if let Some(d) = delivered {
        request
            .apply(Event::new(d, by, EventKind::Delivered), ctx.cal)
            .map_err(|e| format!("送达不能登记：{e}"))?;
    }
    Ok(ReadyRow {
        request,
        private,
        fingerprint,
    })
}

/// The outcome of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowResult {
    Imported {
        line: usize,
        code: String,
        applicant: String,
    },
    Rejected {
        line: usize,
        reason: String,
    },
}

/// Check and store every row (each valid row in its own transaction). Blocking.
pub fn import_rows(
    store: &dyn Store,
    sheet: &Sheet,
    cols: &Columns,
    ctx: &RowContext<'_>,
    user: Option<UserId>,
) -> Vec<RowResult> {
    let mut out = Vec::new();
    for (line, row) in &sheet.rows {
        let line = *line;
        let cells = match row {
            Ok(c) if c.iter().all(|x| x.trim().is_empty()) => continue,
            Ok(c) => c,
            Err(reason) => {
                out.push(RowResult::Rejected {
                    line,
                    reason: reason.clone(),
                });
                continue;
            }
        };
        let ready = match build_row(cols, cells, line, ctx) {
            Ok(r) => r,
            Err(reason) => {
                out.push(RowResult::Rejected { line, reason });
                continue;
            }
        };
        match store.find_fingerprint(&ready.fingerprint, 0) {
            Ok(Some(code)) => {
                out.push(RowResult::Rejected {
                    line,
                    reason: format!("与已登记的申请 {code} 重复（同一单位、台账编号、申请人、收到日期和申请内容），未再次导入"),
                });
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                out.push(RowResult::Rejected {
                    line,
                    reason: format!("无法检查是否重复：{e}"),
                });
                continue;
            }
        }
        let year = ready.request.received_on.year();
        let codes: Vec<String> = (0..8)
            .filter_map(|_| random_suffix(6).ok())
            .map(|s| format!("GK-{year}-{s}"))
            .collect();
        let applicant = ready.request.applicant.name.clone();
        let detail = format!("{} 第{line}行：{applicant}", ctx.file_name);
        match store_new_request(
            store,
            ctx.agency,
            ready.request,
            &ready.private,
            RequestSource::Ledger,
            user,
            Some(&ready.fingerprint),
            &codes,
            ("request.import", &detail),
        ) {
            Ok(code) => out.push(RowResult::Imported {
                line,
                code,
                applicant,
            }),
            Err(e) => out.push(RowResult::Rejected {
                line,
                reason: format!("保存失败：{e}"),
            }),
        }
    }
    out
}

pub async fn page(desk: Desk) -> Result<Response, AppError> {
    Ok(ledger_page(&desk, None).into_response())
}

fn ledger_page(desk: &Desk, error: Option<&str>) -> Html<String> {
    let body = html! {
        h1 { "导入申请台账" }
        @if let Some(e) = error { (flash_error(e)) }
        p { "把现有的依申请公开台账（Excel 或 CSV）导入登记簿。每一行生成一件申请（并分配查询码）；有办理结果和答复日期的，同时登记答复。"
            "有问题的行不会导入，也不影响其他行，导入后逐行列出结果和原因。同一行重复导入会被识别，不会重复计数。" }
        @if desk.staff.user.role.allows(Role::Supervisor) {
            form.box method="post" action=(href(desk.agency.id, "/console/ledger")) enctype="multipart/form-data" {
                (ui::csrf_field(&desk.staff))
                p {
                    label for="ledger-file" { "台账文件（.xlsx、.xls、.csv；CSV 可为 UTF-8 或 GBK 编码）" } br;
                    input #ledger-file type="file" name="file" required accept=".xlsx,.xls,.ods,.csv,.txt,text/csv";
                }
                p { button type="submit" { "导入到 " (desk.agency.name) } }
            }
        } @else {
            p.muted { "导入需要“监督”角色。" }
        }
        p { a.button.secondary href=(href(desk.agency.id, "/console/ledger/template.csv")) { "下载模板（CSV）" } }
        h2 { "导出台账" }
        p {
            "本单位登记簿中的全部申请，按导入所用的列导出（可再导入），另附状态和答复期限："
            a href=(href(desk.agency.id, "/console/ledger/export/xlsx")) { "Excel（XLSX）" } " · "
            a href=(href(desk.agency.id, "/console/ledger/export/csv")) { "CSV" }
            "。含申请人个人信息，请妥善保管；每次导出记入操作记录。"
        }
        h2 { "可识别的列" }
        p.muted { "第一行（或第一个非空行）为表头；表头中的空格和括号内的说明不影响识别。带 * 的列必须有。列的顺序不限，其他列会被忽略。日期不能晚于今天。" }
        table.grid #ledger-fields {
            thead { tr { th { "内容" } th { "可用的表头" } th { "说明" } } }
            tbody { @for (_, label, required, aliases, note) in FIELDS { tr {
                td style="white-space:nowrap" { (label) @if *required { " *" } }
                td { (aliases.join("、")) }
                td { (note) }
            } } }
        }
    };
    shell(
        &desk.staff,
        &desk.agency,
        "/console/ledger",
        "台账导入",
        body,
    )
}

/// The CSV template: UTF-8 with a BOM so that Excel opens it with the right encoding.
pub const TEMPLATE_CSV: &str = "\u{feff}编号,申请人姓名或名称,申请人类型,证件号码,联系电话,通讯地址,电子邮箱,提交渠道,收到申请日期,申请内容,获取信息方式,答复日期,办理结果,送达日期,备注\r\n\
1,张三,自然人,,,,,网络,2024-03-05,2023年度部门预算和“三公”经费预算,电子邮件,2024-03-20,予以公开,2024-03-21,\r\n\
2,某某律师事务所,法律服务机构,,,,,邮寄,2024-11-28,\"某项目环评批复文件（文号、日期）\",纸质文本,,,,仍在办理\r\n";

#[derive(serde::Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    year: Option<String>,
}

/// `GET /console/ledger/export/{csv|xlsx}`: the unit's register as a ledger (台账) — one row per
/// request, in the columns the ledger import reads (so an export imports back unchanged), plus
/// the status and the due date. It holds applicants' personal data: staff only, within the
/// user's scope (`Desk`), and every export is in the audit log.
pub async fn export(
    State(state): State<AppState>,
    desk: Desk,
    axum::extract::Path(format): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<ExportQuery>,
) -> Result<Response, AppError> {
    use crate::pages::analysis::{table_download, Cell};
    if !matches!(format.as_str(), "csv" | "xlsx") {
        return Err(AppError::NotFound(format!("导出格式“{format}”")));
    }
    let year = super::parse_year(q.year.as_deref())?;
    let (agency, user) = (desk.agency.id, desk.staff.user.id);
    let stored = state
        .db(move |s| {
            let summaries = s.list_requests(&gongkai_store::RequestFilter {
                agency: Some(agency),
                received_year: year,
                ..Default::default()
            })?;
            let mut out = Vec::with_capacity(summaries.len());
            for summary in summaries {
                if let Some(r) = s.request(&summary.code)? {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await?;
    let text = |v: &str| Cell::Text(v.to_string());
    let opt = |v: &Option<String>| Cell::Text(v.clone().unwrap_or_default());
    let mut rows: Vec<Vec<Cell>> = stored
        .iter()
        .map(|s| {
            let r = &s.request;
            let (answered, outcome) = match (r.status, r.concluded()) {
                (gongkai_core::lifecycle::Status::Withdrawn, Some((on, _))) => {
                    (on.to_string(), "申请人撤回".to_string())
                }
                (_, Some((on, o))) => (on.to_string(), o.label_zh().to_string()),
                (_, None) => (String::new(), String::new()),
            };
            let handler = r
                .log
                .first()
                .map(|l| l.event.by.clone())
                .unwrap_or_default();
            vec![
                text(&r.id.0),
                text(&r.applicant.name),
                text(r.applicant.kind.label_zh()),
                opt(&s.private.id_number),
                opt(&s.private.phone),
                opt(&s.private.address),
                opt(&s.private.email),
                text(r.channel.label_zh()),
                text(&r.received_on.to_string()),
                text(&r.description),
                opt(&s.private.delivery),
                text(&answered),
                text(&outcome),
                text(&r.delivered_on.map(|d| d.to_string()).unwrap_or_default()),
                Cell::Empty,
                text(&handler),
                text(r.status.label_zh()),
                text(
                    &r.clock
                        .due_date()
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                ),
            ]
        })
        .collect();
    // Oldest first, as a ledger is kept.
    rows.reverse();
    let headers = [
        label_of(Field::Number),
        label_of(Field::Name),
        label_of(Field::Type),
        label_of(Field::IdNumber),
        label_of(Field::Phone),
        label_of(Field::Address),
        label_of(Field::Email),
        label_of(Field::Channel),
        label_of(Field::Received),
        label_of(Field::Description),
        label_of(Field::Delivery),
        label_of(Field::Answered),
        label_of(Field::Outcome),
        label_of(Field::Delivered),
        label_of(Field::Note),
        label_of(Field::Handler),
        "状态（仅供参考，导入时忽略）",
        "答复期限（仅供参考，导入时忽略）",
    ];
    let title = format!(
        "{}依申请公开台账{}",
        desk.agency.name,
        year.map(|y| format!("（{y}年）")).unwrap_or_default()
    );
    let count = rows.len();
    let detail = format!("导出台账（{format}，{count} 件）");
    state
        .db(move |s| {
            s.audit(
                Some(user),
                Some(agency),
                "ledger.export",
                &agency.to_string(),
                &detail,
            )
        })
        .await?;
    table_download(&format, &title, &headers, &rows)
}

/// The template CSV. Takes a `Desk` only so that the route is a console route (login, scope).
pub async fn template(_desk: Desk) -> Result<Response, AppError> {
    Ok(download(
        "text/csv; charset=utf-8",
        "依申请公开台账模板.csv",
        TEMPLATE_CSV.as_bytes().to_vec(),
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    desk: Desk,
    multipart: Multipart,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    let form = read_multipart(multipart, state.config.max_upload_bytes / 1024 / 1024).await?;
    desk.staff.check_csrf(&form.csrf)?;
    let bad = |msg: &str| with_status(StatusCode::BAD_REQUEST, ledger_page(&desk, Some(msg)));
    let mut files = form.files;
    let file = match (files.pop(), files.is_empty()) {
        (Some(f), true) => f,
        (None, _) => return Ok(bad("没有选择文件")),
        (Some(_), false) => return Ok(bad("一次只能导入一个台账文件")),
    };
    let bytes = file.bytes;
    let sheet = tokio::task::spawn_blocking(move || read_sheet(&bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let sheet = match sheet {
        Ok(s) => s,
        Err(msg) => return Ok(bad(&format!("{}：{msg}；未导入任何内容", file.file_name))),
    };
    let cols = match map_columns(&sheet.headers) {
        Ok(c) => c,
        Err(msg) => return Ok(bad(&format!("{}：{msg}；未导入任何内容", file.file_name))),
    };
    if sheet.rows.len() > MAX_ROWS {
        return Ok(bad(&format!(
            "{}：有 {} 行，超过一次导入 {MAX_ROWS} 行的上限；请分成几个文件导入。未导入任何内容",
            file.file_name,
            sheet.rows.len()
        )));
    }
    let (agency, user, by) = (
        desk.agency.id,
        desk.staff.user.id,
        desk.staff.user.display_name.clone(),
    );
    let file_name = file.file_name.clone();
    let today = today();
    let ignored = cols.ignored.clone();
    let store = state.store.clone();
    let cal = super::calendar(&state);
    let results = tokio::task::spawn_blocking(move || {
        let ctx = RowContext {
            agency,
            by: &by,
            file_name: &file_name,
            today,
            cal: &cal,
        };
        let results = import_rows(store.as_ref(), &sheet, &cols, &ctx, Some(user));
        let imported = results
            .iter()
            .filter(|r| matches!(r, RowResult::Imported { .. }))
            .count();
        // The rows are stored already; a failed audit entry is reported, not ignored.
        if let Err(e) = store.audit(
            Some(user),
            Some(agency),
            "ledger.import",
            &file_name,
            &format!("导入 {imported} 行，拒绝 {} 行", results.len() - imported),
        ) {
            eprintln!("台账导入的操作记录未能写入：{e}");
        }
        results
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let imported = results
        .iter()
        .filter(|r| matches!(r, RowResult::Imported { .. }))
        .count();
    let rejected = results.len() - imported;
    let body = html! {
        h1 { "台账导入结果：" (file.file_name) }
        p.flash role="status" #ledger-summary {
            "共 " (results.len()) " 行：导入 " b { (imported) } " 行，拒绝 " b { (rejected) } " 行。"
            @if rejected > 0 { "被拒绝的行没有导入任何内容，请修改后单独再导入这些行（已导入的行再次导入会被识别为重复）。" }
        }
        @if !ignored.is_empty() { p.muted { "未使用的列：" (ignored.join("、")) } }
        table.grid #ledger-results {
            thead { tr { th { "行" } th { "结果" } th { "说明" } } }
            tbody { @for r in &results { @match r {
                RowResult::Imported { line, code, applicant } => tr data-line=(line) data-result="imported" {
                    td.num { (line) }
                    td { span.ok { "已导入" } }
                    td { a href=(super::request_path(code)) { code { (code) } } " " (applicant) }
                },
                RowResult::Rejected { line, reason } => tr data-line=(line) data-result="rejected" {
                    td.num { (line) }
                    td { span.err { "已拒绝" } }
                    td { (reason) }
                },
            } } }
        }
        p { a href=(href(desk.agency.id, "/console/ledger")) { "继续导入" } " · " a href=(href(desk.agency.id, "/console?show=all")) { "查看申请队列" } }
    };
    Ok(shell(
        &desk.staff,
        &desk.agency,
        "/console/ledger",
        "台账导入结果",
        body,
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_with_quotes_and_line_breaks() {
        let text = "a,b,c\r\n1,\"x, y\",\"he said \"\"hi\"\"\"\n2,\"two\nlines\",z\n\n3,4";
        let rows = parse_csv(text, ',');
        assert_eq!(rows[0], (1, Ok(vec!["a".into(), "b".into(), "c".into()])));
        assert_eq!(
            rows[1],
            (
                2,
                Ok(vec!["1".into(), "x, y".into(), "he said \"hi\"".into()])
            )
        );
        assert_eq!(
            rows[2],
            (3, Ok(vec!["2".into(), "two\nlines".into(), "z".into()]))
        );
        assert_eq!(rows[3], (5, Ok(vec![String::new()])));
        assert_eq!(rows[4], (6, Ok(vec!["3".into(), "4".into()])));
        let open = parse_csv("a,b\n1,\"never closed\n2,3\n", ',');
        assert_eq!(open.len(), 2);
        assert_eq!(open[1].0, 2);
        assert!(open[1].1.as_ref().unwrap_err().contains("引号未闭合"));
    }

    #[test]
    fn headers_are_matched_flexibly() {
        let m = |h: &str| map_header(h);
        assert_eq!(m("申请人"), Some(Field::Name));
        assert_eq!(m("申请人姓名/名称"), Some(Field::Name));
        assert_eq!(m(" 申请人类型 *"), Some(Field::Type));
        assert_eq!(m("收到日期（年-月-日）"), Some(Field::Received));
        assert_eq!(m("受理日期"), Some(Field::Received));
        assert_eq!(m("申请人证件号码"), Some(Field::IdNumber));
        assert_eq!(m("申请人联系电话"), Some(Field::Phone));
        assert_eq!(m("答复时间"), Some(Field::Answered));
        assert_eq!(m("答复送达日期"), Some(Field::Delivered));
        assert_eq!(m("获取信息的方式"), Some(Field::Delivery));
        assert_eq!(m("申请渠道"), Some(Field::Channel));
        assert_eq!(m("办理结果"), Some(Field::Outcome));
        assert_eq!(
            m("所需政府信息的名称、文号或者便于查询的其他特征性描述"),
            Some(Field::Description)
        );
        assert_eq!(m("序号"), Some(Field::Number));
        assert_eq!(m("附件数"), None);
        let headers: Vec<String> = ["序号", "申请人", "类型", "受理日期", "申请内容", "附件数"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cols = map_columns(&headers).unwrap();
        assert_eq!(cols.ignored, vec!["附件数".to_string()]);
        let err = map_columns(&headers[..3]).unwrap_err();
        assert!(err.contains("收到申请日期、申请内容"), "{err}");
        let dup: Vec<String> = ["申请人", "姓名", "类型", "受理日期", "申请内容"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(map_columns(&dup).unwrap_err().contains("都表示“申请人”"));
        // The template maps every column.
        let sheet = read_sheet(TEMPLATE_CSV.as_bytes()).unwrap();
        let cols = map_columns(&sheet.headers).unwrap();
        assert!(cols.ignored.is_empty());
        assert!(cols.fields.iter().all(Option::is_some));
    }

    #[test]
    fn outcomes_types_and_channels() {
        use LedgerOutcome::*;
        assert_eq!(parse_outcome("予以公开"), Ok(Answer(Outcome::Disclosed)));
        assert_eq!(parse_outcome("公开"), Ok(Answer(Outcome::Disclosed)));
        assert_eq!(
            parse_outcome(" 部分公开 "),
            Ok(Answer(Outcome::PartiallyDisclosed))
        );
        assert_eq!(
            parse_outcome("不予公开—属于国家秘密"),
            Ok(Answer(Outcome::WithheldStateSecret))
        );
        assert_eq!(
            parse_outcome("（三）不予公开-1.属于国家秘密"),
            Ok(Answer(Outcome::WithheldStateSecret))
        );
        assert_eq!(
            parse_outcome("本机关不掌握相关政府信息"),
            Ok(Answer(Outcome::UnavailableNotHeld))
        );
        assert_eq!(
            parse_outcome("其他处理—其他"),
            Ok(Answer(Outcome::OtherMisc))
        );
        assert_eq!(parse_outcome("disclosed"), Ok(Answer(Outcome::Disclosed)));
        assert_eq!(parse_outcome("申请人撤回"), Ok(Withdraw));
        assert!(parse_outcome("不予公开").unwrap_err().contains("不够具体"));
        assert!(parse_outcome("已办好").unwrap_err().contains("无法识别"));
        for o in Outcome::ALL {
            assert_eq!(parse_outcome(o.label_zh()), Ok(Answer(o)), "{o:?}");
        }
        assert_eq!(
            parse_applicant_type("公民"),
            Ok(ApplicantType::NaturalPerson)
        );
        assert_eq!(
            parse_applicant_type("某某有限公司"),
            Ok(ApplicantType::Commercial)
        );
        assert_eq!(
            parse_applicant_type("律师事务所"),
            Ok(ApplicantType::LegalServices)
        );
        assert_eq!(
            parse_applicant_type("法人或其他组织"),
            Ok(ApplicantType::Other)
        );
        assert!(parse_applicant_type("外星人").is_err());
        assert_eq!(parse_channel(""), Ok(Channel::Other));
        assert_eq!(parse_channel("网上申请"), Ok(Channel::Online));
        assert_eq!(parse_channel("挂号信"), Ok(Channel::Post));
        assert_eq!(parse_channel("当面提交"), Ok(Channel::InPerson));
        assert!(parse_channel("飞鸽").is_err());
    }

    #[test]
    fn rows_are_checked_before_anything_is_stored() {
        let cal = Calendar::builtin();
        let ctx = RowContext {
            agency: AgencyId(1),
            by: "导入人",
            file_name: "台账.csv",
            today: Date::parse("2025-01-10").unwrap(),
            cal: &cal,
        };
        let headers: Vec<String> = [
            "编号",
            "申请人",
            "申请人类型",
            "收到日期",
            "申请内容",
            "答复日期",
            "办理结果",
            "送达日期",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let cols = map_columns(&headers).unwrap();
        let row = |cells: &[&str]| -> Result<ReadyRow, String> {
            let cells: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
            build_row(&cols, &cells, 7, &ctx)
        };
        let ok = row(&[
            "A1",
            "张三",
            "自然人",
            "2024/3/5",
            "预算",
            "2024-03-20",
            "予以公开",
            "2024-03-21",
        ])
        .unwrap();
        assert_eq!(ok.request.outcome, Some(Outcome::Disclosed));
        assert_eq!(
            ok.request.delivered_on,
            Some(Date::parse("2024-03-21").unwrap())
        );
        assert_eq!(ok.request.log.len(), 3);
        assert!(ok.request.log[0]
            .event
            .note
            .as_deref()
            .unwrap()
            .contains("第7行"));
        assert!(ok.fingerprint.starts_with("ledger:"));
        let open = row(&["A2", "某公司", "商业企业", "2024-12-30", "合同", "", "", ""]).unwrap();
        assert!(open.request.status.is_open());
        let wd = row(&[
            "A3",
            "李四",
            "自然人",
            "2024-03-05",
            "x",
            "2024-03-06",
            "撤回",
            "",
        ])
        .unwrap();
        assert_eq!(wd.request.outcome, Some(Outcome::OtherMisc));

        let err = |cells: &[&str]| row(cells).unwrap_err();
        assert!(err(&["", "张三", "自然人", "2024-02-30", "x", "", "", ""])
            .contains("2024年2月只有29天"));
        assert_eq!(
            err(&["", "", "自然人", "2024-02-03", "x", "", "", ""]),
            "缺少申请人姓名或名称"
        );
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "2024-03-01",
            "予以公开",
            ""
        ])
        .contains("答复日期2024-03-01早于收到申请日期2024-03-05"));
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "2024-03-08",
            "办好了",
            ""
        ])
        .contains("无法识别"));
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "2024-03-08",
            "",
            ""
        ])
        .contains("缺少办理结果"));
        assert!(
            err(&["", "张三", "自然人", "2024-03-05", "x", "", "予以公开", ""])
                .contains("缺少答复日期")
        );
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "",
            "",
            "2024-03-09"
        ])
        .contains("没有答复"));
        assert!(err(&["", "张三", "自然人", "2025-03-05", "x", "", "", ""]).contains("晚于今天"));
        assert!(err(&["", "张三", "自然人", "2001-03-05", "x", "", "", ""]).contains("施行之日"));
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "2024-03-08",
            "逾期不补正",
            ""
        ])
        .contains("需要补正或收费通知的记录"));
        // The core refuses “仍不明确” without a correction: its message is passed on.
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "2024-03-08",
            "无法提供—补正后申请内容仍不明确",
            ""
        ])
        .contains("只适用于申请人已经补正的申请"));
        assert!(err(&[
            "",
            "张三",
            "自然人",
            "2024-03-05",
            "x",
            "",
            "",
            "",
            "多出来的"
        ])
        .contains("超出表头"));
    }

    #[test]
    fn gbk_csv_is_read() {
        let text = "申请人,申请人类型,受理日期,申请内容\r\n张三,自然人,2024-03-05,预算\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(std::str::from_utf8(&gbk).is_err());
        let sheet = read_sheet(&gbk).unwrap();
        assert_eq!(sheet.headers[0], "申请人");
        assert_eq!(sheet.rows[0].1.as_ref().unwrap()[0], "张三");
        assert!(read_sheet(b"%PDF-1.4 junk")
            .unwrap_err()
            .contains("不是 CSV"));
        assert!(read_sheet(b"  \n").is_err());
        // Tab-separated (copied out of a spreadsheet).
        let sheet = read_sheet(
            "申请人\t申请人类型\t受理日期\t申请内容\n张三\t自然人\t2024-03-05\t预算, 决算\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(sheet.rows[0].1.as_ref().unwrap()[3], "预算, 决算");
    }
}
