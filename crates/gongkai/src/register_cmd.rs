//! `gongkai request add|event|show|list` and `gongkai report --year`: the agency's register of
//! 政府信息公开申请 from the command line, for scripting (the staff console offers the same on
//! the web), and the year's annual report computed from it.
//!
//! Exit status: 0 done; 1 the law does not allow the event (nothing stored), or the generated
//! report has an error finding; 2 the input was wrong (unknown tracking code, bad date or
//! option, unknown calendar year) or the database could not be used.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use gongkai_core::date::Date;
use gongkai_core::fees::{self, FeeBasis};
use gongkai_core::lifecycle::{
    Action, Applicant, ApplicantType, Channel, ConsultationKind, Event, EventKind, Outcome,
    Request, RequestId, Status,
};
use gongkai_core::register::{self, ProactiveCounts};
use gongkai_core::{rules, Severity};
use gongkai_store::{
    AgencyId, AgencyLevel, ApplicantPrivate, NewRequest, PublicationFilter, RequestFilter,
    RequestSource, Store, StoreError,
};

use crate::calendar_cmd::load_calendar;
use crate::serve::{open_store, redact};

#[derive(Subcommand)]
pub enum RequestAction {
    /// 登记一件政府信息公开申请，输出查询码（如 GK-2024-7F3K-9QXM-W2HT）。
    ///
    /// Only the tracking code is printed on stdout (for scripts); the due date goes to stderr.
    /// Example: gongkai request add --agency 示例县数据资源局 --applicant 张三 --type 自然人 \
    ///              --channel 网络 --received 2024-09-27 --description "2023年度部门预算"
    #[command(verbatim_doc_comment)]
    Add {
        /// The agency that received the request (created in the database if new)
        #[arg(long)]
        agency: String,
        /// Applicant's name (自然人姓名 or 单位名称)
        #[arg(long)]
        applicant: String,
        /// Applicant type: 自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他
        /// (or natural_person, commercial, research, nonprofit, legal_services, other)
        #[arg(long = "type")]
        kind: String,
        /// How it arrived: 当面、邮寄、网络、传真、其他 (or in_person, post, online, fax, other)
        #[arg(long, default_value = "网络")]
        channel: String,
        /// 收到申请之日 under 条例第三十一条, YYYY-MM-DD (default: today)
        #[arg(long)]
        received: Option<String>,
        /// The information asked for (名称、文号或者便于查询的其他特征性描述)
        #[arg(long)]
        description: String,
        /// 身份证件号码 / 统一社会信用代码 (kept apart, never shown publicly)
        #[arg(long)]
        id_number: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// 获取信息的方式 (纸质、电子邮件、光盘 …)
        #[arg(long)]
        delivery: Option<String>,
        /// Who registered it (default: $USER)
        #[arg(long)]
        by: Option<String>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        /// Holiday data file extending the built-in calendar; env GONGKAI_CALENDAR
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
    },
    /// 登记一个办理环节（答复、补正、征求意见、延期、收费、送达、撤回……）。
    ///
    /// ACTION（也可写中文操作名，如“作出答复”）:
    ///   answer             作出答复（--outcome 办理结果）
    ///   deliver            登记送达
    ///   withdraw           登记申请人撤回申请
    ///   correction         告知补正（--reply-by 日期，或 --days 工作日数，默认15个工作日）
    ///   corrected          登记收到补正（答复期限重新起算）
    ///   correction-lapsed  登记逾期未补正
    ///   consult            征求意见（--party 对象 [--consultation inter_agency]）
    ///   consulted          结束征求意见
    ///   extend             延长答复期限（--days 1—20）
    ///   fee-notice         发出收费通知（--pages 页数按量计收；不给则按件计收）
    ///   paid               登记缴费
    ///   fee-lapsed         登记逾期未缴费
    ///
    /// An event the 条例 does not allow exits with status 1 and stores nothing.
    /// Example: gongkai request event GK-2024-7F3K-9QXM-W2HT answer --outcome disclosed --at 2024-10-08
    ///          gongkai request event GK-2024-7F3K-9QXM-W2HT extend --days 20 --note 涉及档案调取
    #[command(verbatim_doc_comment)]
    Event {
        /// Tracking code (查询码)
        code: String,
        /// What happened (see above)
        action: String,
        /// The date it took effect, YYYY-MM-DD (default: today)
        #[arg(long)]
        at: Option<String>,
        /// Who did it (default: $USER)
        #[arg(long)]
        by: Option<String>,
        /// For answer: the table-三 outcome, id (disclosed, withheld_third_party …) or label
        /// (予以公开, 不予公开—保护第三方合法权益 …)
        #[arg(long)]
        outcome: Option<String>,
        /// For extend: working days of the extension (1–20); for correction: working days the
        /// applicant has to correct (default 15)
        #[arg(long)]
        days: Option<u32>,
        /// For correction: the last day to correct, YYYY-MM-DD
        #[arg(long)]
        reply_by: Option<String>,
        /// For consult: who is consulted
        #[arg(long)]
        party: Option<String>,
        /// For consult: third_party（第三方, default） or inter_agency（其他机关）
        #[arg(long, default_value = "third_party")]
        consultation: String,
        /// For fee-notice: pages of information (按量计收); without it, 按件计收
        #[arg(long)]
        pages: Option<u32>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
    },
    /// 更正登记有误的申请人姓名或类型（记入办理记录，不改动原登记）。
    ///
    /// Example: gongkai request correct GK-2024-7F3K-9QXM-W2HT --type 商业企业 --note 登记时误选
    #[command(verbatim_doc_comment)]
    Correct {
        code: String,
        /// The applicant type it should be (自然人、商业企业 … or natural_person, commercial …)
        #[arg(long = "type")]
        kind: Option<String>,
        /// The applicant's name as it should be
        #[arg(long)]
        name: Option<String>,
        /// Why (required: it stays in the log)
        #[arg(long)]
        note: String,
        /// The date of the correction, YYYY-MM-DD (default: today)
        #[arg(long)]
        at: Option<String>,
        /// Who corrects it (default: $USER)
        #[arg(long)]
        by: Option<String>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
    },
    /// 为申请添加附件（申请书扫描件、身份证明等；PDF、JPG、PNG、DOCX、TXT，按内容识别）。
    ///
    /// All files are stored or none. Example: gongkai request attach GK-2024-7F3K-9QXM-W2HT 申请书.pdf
    #[command(verbatim_doc_comment)]
    Attach {
        code: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Who adds them (default: $USER)
        #[arg(long)]
        by: Option<String>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
    },
    /// 查看一件申请：状态、答复期限及其计算说明、办理记录。
    ///
    /// Example: gongkai request show GK-2024-7F3K-9QXM-W2HT --json
    #[command(verbatim_doc_comment)]
    Show {
        code: String,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
    },
    /// 列出申请（按答复期限排序，最紧迫的在前）。
    ///
    /// Example: gongkai request list --open
    ///          gongkai request list --year 2024 --json
    #[command(verbatim_doc_comment)]
    List {
        /// Only requests still being handled
        #[arg(long)]
        open: bool,
        /// Only requests received in this year
        #[arg(long)]
        year: Option<i32>,
        /// Only requests of this agency
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
    },
}

/// Output formats of `gongkai report`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Word document in the official layout (binary)
    Docx,
    /// Standalone HTML page
    Html,
    /// gongkai.report/1 JSON
    Json,
    /// Markdown
    Md,
    /// PDF printed from the Word document by LibreOffice (binary)
    Pdf,
}

/// Arguments of `gongkai report`.
pub struct ReportArgs {
    pub year: i32,
    pub agency: String,
    pub to: ReportFormat,
    pub output: Option<PathBuf>,
    pub database: String,
    pub with_findings: bool,
}

/// An error for the user: printed as `错误：…`, exit status 2.
fn fail(message: impl std::fmt::Display) -> anyhow::Result<u8> {
    eprintln!("错误：{message}");
    Ok(2)
}

macro_rules! try_input {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(msg) => return fail(msg),
        }
    };
}

/// Today in China (UTC+8), or `GONGKAI_TODAY` (YYYY-MM-DD) when set (for tests and replays).
pub fn today() -> Date {
    if let Ok(s) = std::env::var("GONGKAI_TODAY") {
        if let Ok(d) = Date::parse(s.trim()) {
            return d;
        }
    }
    gongkai_server::today_beijing()
}

fn parse_date(text: Option<&str>, what: &str) -> Result<Date, String> {
    match text {
        None => Ok(today()),
        Some(s) => Date::parse(s.trim()).map_err(|e| format!("{what}：{e}")),
    }
}

/// Who acts: `--by`, else `$USER` / `$USERNAME`.
fn actor(by: Option<String>) -> Result<String, String> {
    by.or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "请用 --by 注明经办人".to_string())
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase().replace('-', "_")
}

/// `自然人`, `natural_person`, … → the applicant type.
pub fn parse_applicant_type(s: &str) -> Result<ApplicantType, String> {
    let key = norm(s);
    let alias = match key.as_str() {
        "个人" | "公民" => Some(ApplicantType::NaturalPerson),
        "企业" | "商业机构" => Some(ApplicantType::Commercial),
        "公益组织" | "社会公益" => Some(ApplicantType::Nonprofit),
        "法律服务" | "律师事务所" => Some(ApplicantType::LegalServices),
        "其他组织" => Some(ApplicantType::Other),
        _ => None,
    };
    alias
        .or_else(|| {
            ApplicantType::ALL
                .into_iter()
                .find(|t| t.id() == key || t.label_zh() == key)
        })
        .ok_or_else(|| {
            let options: Vec<String> = ApplicantType::ALL
                .iter()
                .map(|t| format!("{}（{}）", t.label_zh(), t.id()))
                .collect();
            format!("未知的申请人类型“{s}”，可用：{}", options.join("、"))
        })
}

/// `网络`, `online`, … → the channel.
pub fn parse_channel(s: &str) -> Result<Channel, String> {
    let key = norm(s);
    let id = |c: Channel| match c {
        Channel::InPerson => "in_person",
        Channel::Post => "post",
        Channel::Online => "online",
        Channel::Fax => "fax",
        Channel::Other => "other",
    };
    let alias = match key.as_str() {
        "当面提交" | "现场" => Some(Channel::InPerson),
        "信函" => Some(Channel::Post),
        "互联网" | "网上" | "在线" => Some(Channel::Online),
        _ => None,
    };
    alias
        .or_else(|| {
            Channel::ALL
                .into_iter()
                .find(|c| id(*c) == key || c.label_zh() == key)
        })
        .ok_or_else(|| {
            let options: Vec<String> = Channel::ALL
                .iter()
                .map(|c| format!("{}（{}）", c.label_zh(), id(*c)))
                .collect();
            format!("未知的申请渠道“{s}”，可用：{}", options.join("、"))
        })
}

/// `disclosed`, `予以公开`, `不予公开—属于国家秘密`, `属于国家秘密` → the outcome.
pub fn parse_outcome(s: &str) -> Result<Outcome, String> {
    let key = norm(s);
    if let Some(o) = Outcome::from_id(&key) {
        return Ok(o);
    }
    let raw = s.trim();
    if let Some(o) = Outcome::ALL.into_iter().find(|o| o.label_zh() == raw) {
        return Ok(o);
    }
    // The reason alone (after the dash), when it names one outcome.
    let by_reason: Vec<Outcome> = Outcome::ALL
        .into_iter()
        .filter(|o| {
            o.label_zh()
                .split_once('—')
                .is_some_and(|(_, reason)| reason == raw)
        })
        .collect();
    if let [one] = by_reason.as_slice() {
        return Ok(*one);
    }
    let options: Vec<&str> = Outcome::ALL.iter().map(|o| o.id()).collect();
    Err(format!(
        "未知的办理结果“{s}”，可用：{}（或其中文名称，如“予以公开”“不予公开—保护第三方合法权益”）",
        options.join("、")
    ))
}

/// `answer`, `作出答复`, `approve-extension`, `extend` … → the action.
pub fn parse_action(s: &str) -> Result<Action, String> {
    use Action::*;
    let all = [
        RequestCorrection,
        RecordCorrection,
        MarkCorrectionLapsed,
        StartConsultation,
        EndConsultation,
        ApproveExtension,
        ServeFeeNotice,
        RecordPayment,
        MarkFeeLapsed,
        Answer,
        Deliver,
        Withdraw,
    ];
    let key = norm(s);
    let short = match key.as_str() {
        "correction" | "补正" => Some(RequestCorrection),
        "corrected" | "收到补正" => Some(RecordCorrection),
        "correction_lapsed" | "逾期未补正" => Some(MarkCorrectionLapsed),
        "consult" | "consultation" => Some(StartConsultation),
        "consulted" | "consultation_ended" => Some(EndConsultation),
        "extend" | "extension" | "延期" => Some(ApproveExtension),
        "fee_notice" | "fee" | "收费通知" => Some(ServeFeeNotice),
        "paid" | "payment" | "缴费" => Some(RecordPayment),
        "fee_lapsed" | "逾期未缴费" => Some(MarkFeeLapsed),
        "answered" | "reply" | "答复" => Some(Answer),
        "delivered" | "送达" => Some(Deliver),
        "withdrawn" | "撤回" => Some(Withdraw),
        _ => None,
    };
    short
        .or_else(|| {
            all.into_iter().find(|a| {
                serde_json::to_value(a).ok().and_then(|v| v.as_str().map(str::to_string))
                    == Some(key.clone())
                    || a.label_zh() == s.trim()
            })
        })
        .ok_or_else(|| {
            format!(
                "未知的操作“{s}”，可用：answer（作出答复）、deliver（登记送达）、withdraw（撤回）、\
correction（告知补正）、corrected（收到补正）、correction-lapsed（逾期未补正）、consult（征求意见）、\
consulted（结束征求意见）、extend（延长答复期限）、fee-notice（发出收费通知）、paid（登记缴费）、\
fee-lapsed（逾期未缴费）"
            )
        })
}

fn parse_consultation(s: &str) -> Result<ConsultationKind, String> {
    match norm(s).as_str() {
        "third_party" | "第三方" | "征求第三方意见" => Ok(ConsultationKind::ThirdParty),
        "inter_agency" | "其他机关" | "机关" | "征求其他机关意见" => {
            Ok(ConsultationKind::InterAgency)
        }
        _ => Err(format!(
            "未知的征求意见类型“{s}”，可用：third_party（第三方）、inter_agency（其他机关）"
        )),
    }
}

/// A new tracking code `GK-YYYY-XXXX-XXXX-XXXX`, made exactly as the staff console makes them
/// (no 0/O, 1/I/L or U; from the operating system's random source).
pub fn new_tracking_code(year: i32) -> Result<String, String> {
    gongkai_server::console::tracking_code(year).map_err(|e| e.to_string())
}

fn agency_id(store: &dyn Store, name: &str) -> anyhow::Result<Option<AgencyId>> {
    Ok(store.agency_named(name)?.map(|a| a.id))
}

/// Apply `event` to the stored request (clock refreshed first) and append it, with an audit
/// entry `(action, detail)`. `None` (the reason printed, nothing stored) when the lifecycle
/// refuses the event.
fn append_event(
    store: &dyn Store,
    stored: &gongkai_store::StoredRequest,
    event: Event,
    cal: &gongkai_core::calendar::Calendar,
    by: &str,
    audit: (&str, &str),
) -> anyhow::Result<Option<Request>> {
    let code = &stored.request.id.0;
    let mut updated = stored.request.clone();
    updated.refresh_clock(cal);
    if let Err(e) = updated.apply(event, cal) {
        eprintln!("错误：{code}：{e}");
        eprintln!("未登记任何内容。");
        return Ok(None);
    }
    let recorded_by = user_id(store, by);
    store.append_request_events(code, stored.request.log.len(), &updated, recorded_by)?;
    self::audit(
        store,
        recorded_by,
        Some(stored.agency),
        audit.0,
        code,
        audit.1,
    );
    Ok(Some(updated))
}

/// Write an audit entry; the change it records is already stored, so a failure is reported
/// on stderr (the operation stands) rather than ignored.
pub fn audit(
    store: &dyn Store,
    user: Option<gongkai_store::UserId>,
    agency: Option<gongkai_store::AgencyId>,
    action: &str,
    target: &str,
    detail: &str,
) {
    if let Err(e) = store.audit(user, agency, action, target, detail) {
        eprintln!("警告：操作已完成，但未能写入操作记录：{e}");
    }
}

fn user_id(store: &dyn Store, by: &str) -> Option<gongkai_store::UserId> {
    store.user_by_name(by).ok().flatten().map(|u| u.id)
}

/// The label of a logged event and its particulars, for the timeline.
fn event_text(kind: &EventKind) -> (String, String) {
    let label = match kind.action() {
        None => "收到申请".to_string(),
        Some(a) => a.label_zh().to_string(),
    };
    let detail = match kind {
        EventKind::Received {
            channel,
            applicant,
            description: _,
        } => format!(
            "{}提交，{}（{}）",
            channel.label_zh(),
            applicant.name,
            applicant.kind.label_zh()
        ),
        EventKind::CorrectionRequested { reply_by } => format!("补正期限至{reply_by}"),
        EventKind::ConsultationStarted { kind, party } => format!("{}：{party}", kind.label_zh()),
        EventKind::ExtensionApproved { working_days } => format!("延长{working_days}个工作日"),
        EventKind::FeeNoticeServed { basis } => {
            let c = fees::compute(*basis);
            let units = match basis {
                FeeBasis::PerPage { pages } => format!("{pages}页"),
                FeeBasis::PerRequest { nth_in_month } => format!("当月第{nth_in_month}件"),
            };
            format!("{}（{units}），应缴{}", basis.label_zh(), c.amount)
        }
        EventKind::Answered { outcome } => outcome.label_zh().to_string(),
        _ => String::new(),
    };
    (label, detail)
}

fn status_label(serde_name: &str) -> String {
    serde_json::from_value::<Status>(serde_json::Value::String(serde_name.to_string()))
        .map(|s| s.label_zh().to_string())
        .unwrap_or_else(|_| serde_name.to_string())
}

fn due_text(r: &Request) -> String {
    match r.clock.due_date() {
        Some(d) => format!("{d}（{}）", d.weekday().label_zh()),
        None => "—".to_string(),
    }
}

pub fn run(action: RequestAction, out: &mut impl Write) -> anyhow::Result<u8> {
    match action {
        RequestAction::Add {
            agency,
            applicant,
            kind,
            channel,
            received,
            description,
            id_number,
            phone,
            address,
            email,
            delivery,
            by,
            database,
            calendar,
        } => {
            let kind = try_input!(parse_applicant_type(&kind));
            let channel = try_input!(parse_channel(&channel));
            let received = try_input!(parse_date(received.as_deref(), "收到申请日期"));
            let by = try_input!(actor(by));
            let cal = try_input!(load_calendar(calendar.as_deref()));
            for (value, what) in [
                (&agency, "--agency（受理机关）"),
                (&applicant, "--applicant（申请人）"),
                (&description, "--description（所需信息）"),
            ] {
                if value.trim().is_empty() {
                    return fail(format!("{what}不能为空"));
                }
            }
            let nonempty = |v: Option<String>| {
                v.map(|s| s.trim().to_string())
                    .filter(|s: &String| !s.is_empty())
            };
            let private = ApplicantPrivate {
                id_number: nonempty(id_number),
                phone: nonempty(phone),
                address: nonempty(address),
                email: nonempty(email),
                delivery: nonempty(delivery),
            };
            let store = open_store(&database)?;
            let agency_id = store.ensure_agency(agency.trim(), AgencyLevel::Department, None)?;
            let recorded_by = user_id(store.as_ref(), &by);
            let received_event = |code: &str| -> Result<Request, String> {
                Request::receive(
                    RequestId(code.to_string()),
                    Event::new(
                        received,
                        by.clone(),
                        EventKind::Received {
                            channel,
                            applicant: Applicant {
                                kind,
                                name: applicant.trim().to_string(),
                                identity: None,
                                contact: None,
                            },
                            description: description.trim().to_string(),
                        },
                    ),
                    &cal,
                )
                .map_err(|e| e.to_string())
            };
            // A taken code (one chance in a billion) is simply drawn again.
            let mut attempt = 0;
            let request = loop {
                attempt += 1;
                let code = try_input!(new_tracking_code(received.year()));
                let request = try_input!(received_event(&code));
                let new = NewRequest {
                    agency: agency_id,
                    request: &request,
                    private: &private,
                    source: RequestSource::Staff,
                    recorded_by,
                    attachments: &[],
                    fingerprint: None,
                };
                match store.create_request(&new) {
                    Ok(()) => break request,
                    Err(StoreError::Conflict(_)) if attempt < 5 => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            audit(
                store.as_ref(),
                recorded_by,
                Some(agency_id),
                "request.create",
                &request.id.0,
                "gongkai request add",
            );
            writeln!(out, "{}", request.id)?;
            eprintln!(
                "已登记：{}，{}（{}），{}提交，收到申请之日{}。",
                request.id,
                request.applicant.name,
                kind.label_zh(),
                channel.label_zh(),
                received
            );
            eprintln!("{}", request.clock.describe_zh());
            Ok(0)
        }
        RequestAction::Event {
            code,
            action,
            at,
            by,
            outcome,
            days,
            reply_by,
            party,
            consultation,
            pages,
            note,
            database,
            calendar,
        } => {
            let code = code.trim().to_string();
            let action = try_input!(parse_action(&action));
            let at = try_input!(parse_date(at.as_deref(), "--at"));
            let by = try_input!(actor(by));
            let cal = try_input!(load_calendar(calendar.as_deref()));
            // Options that do not belong to the action are refused rather than ignored.
            let misplaced = [
                (outcome.is_some(), "--outcome", [Action::Answer].as_slice()),
                (
                    days.is_some(),
                    "--days",
                    &[Action::ApproveExtension, Action::RequestCorrection],
                ),
                (
                    reply_by.is_some(),
                    "--reply-by",
                    &[Action::RequestCorrection],
                ),
                (party.is_some(), "--party", &[Action::StartConsultation]),
                (pages.is_some(), "--pages", &[Action::ServeFeeNotice]),
            ];
            for (given, flag, actions) in misplaced {
                if given && !actions.contains(&action) {
                    return fail(format!("选项 {flag} 不适用于“{}”", action.label_zh()));
                }
            }
            let store = open_store(&database)?;
            let Some(stored) = store.request(&code)? else {
                return fail(format!("数据库中没有查询码为 {code} 的申请"));
            };
            let kind = match action {
                Action::Answer => {
                    let Some(o) = outcome else {
                        return fail(
                            "作出答复需要 --outcome 注明办理结果（如 disclosed、予以公开）",
                        );
                    };
                    EventKind::Answered {
                        outcome: try_input!(parse_outcome(&o)),
                    }
                }
                Action::RequestCorrection => {
                    let reply_by = match (reply_by, days) {
                        (Some(_), Some(_)) => {
                            return fail("--reply-by 与 --days 只能给一个");
                        }
                        (Some(d), None) => try_input!(parse_date(Some(&d), "--reply-by")),
                        (None, days) => match cal.add_working_days(at, days.unwrap_or(15)) {
                            Ok(d) => d.due,
                            Err(e) => return fail(e),
                        },
                    };
                    EventKind::CorrectionRequested { reply_by }
                }
                Action::RecordCorrection => EventKind::Corrected,
                Action::MarkCorrectionLapsed => EventKind::CorrectionLapsed,
                Action::StartConsultation => {
                    let party = party.map(|p| p.trim().to_string()).unwrap_or_default();
                    if party.is_empty() {
                        return fail("征求意见需要 --party 注明征求意见的对象");
                    }
                    EventKind::ConsultationStarted {
                        kind: try_input!(parse_consultation(&consultation)),
                        party,
                    }
                }
                Action::EndConsultation => EventKind::ConsultationEnded,
                Action::ApproveExtension => {
                    let Some(working_days) = days else {
                        return fail("延长答复期限需要 --days 注明延长的工作日数（1—20）");
                    };
                    EventKind::ExtensionApproved { working_days }
                }
                Action::ServeFeeNotice => {
                    let basis = match pages {
                        Some(pages) => FeeBasis::PerPage { pages },
                        None => {
                            // 按件: the request's place among the same applicant's requests of
                            // its month, in this agency's register.
                            let r = &stored.request;
                            let (y, m) = (r.received_on.year(), r.received_on.month());
                            let month_end =
                                Date::new(y, m, gongkai_core::date::days_in_month(y, m))?;
                            let requests =
                                store.requests_received_until(stored.agency, month_end)?;
                            let nth = register::nth_request_in_month(&requests, &r.id).unwrap_or(1);
                            FeeBasis::PerRequest { nth_in_month: nth }
                        }
                    };
                    EventKind::FeeNoticeServed { basis }
                }
                Action::RecordPayment => EventKind::FeePaid,
                Action::MarkFeeLapsed => EventKind::FeeLapsed,
                Action::Deliver => EventKind::Delivered,
                Action::Withdraw => EventKind::Withdrawn,
            };
            let mut event = Event::new(at, by.clone(), kind);
            if let Some(n) = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) {
                event = event.with_note(n);
            }
            let Some(updated) = append_event(
                store.as_ref(),
                &stored,
                event,
                &cal,
                &by,
                ("request.event", action.label_zh()),
            )?
            else {
                return Ok(1);
            };
            writeln!(
                out,
                "{code}：已登记“{}”（{}，经办人{by}）",
                action.label_zh(),
                at
            )?;
            writeln!(out, "状态：{}", updated.status.label_zh())?;
            writeln!(out, "{}", updated.clock.describe_zh())?;
            Ok(0)
        }
        RequestAction::Correct {
            code,
            kind,
            name,
            note,
            at,
            by,
            database,
            calendar,
        } => {
            let code = code.trim().to_string();
            let at = try_input!(parse_date(at.as_deref(), "--at"));
            let by = try_input!(actor(by));
            let cal = try_input!(load_calendar(calendar.as_deref()));
            if kind.is_none() && name.is_none() {
                return fail("请用 --type 或 --name 给出更正后的申请人类型或姓名");
            }
            let note = note.trim().to_string();
            if note.is_empty() {
                return fail("请用 --note 注明更正原因");
            }
            let kind = match kind {
                Some(k) => Some(try_input!(parse_applicant_type(&k))),
                None => None,
            };
            let store = open_store(&database)?;
            let Some(stored) = store.request(&code)? else {
                return fail(format!("数据库中没有查询码为 {code} 的申请"));
            };
            let current = &stored.request.applicant;
            let event = Event::new(
                at,
                by.clone(),
                EventKind::ApplicantCorrected {
                    kind: kind.unwrap_or(current.kind),
                    name: name.unwrap_or_else(|| current.name.clone()),
                },
            )
            .with_note(note);
            let Some(updated) = append_event(
                store.as_ref(),
                &stored,
                event,
                &cal,
                &by,
                ("request.applicant", "更正申请人姓名或类型"),
            )?
            else {
                return Ok(1);
            };
            writeln!(
                out,
                "{code}：已更正申请人信息：{}，{}",
                updated.applicant.name,
                updated.applicant.kind.label_zh()
            )?;
            Ok(0)
        }
        RequestAction::Attach {
            code,
            files: paths,
            by,
            database,
        } => {
            let code = code.trim().to_string();
            let by = try_input!(actor(by));
            let mut files = Vec::with_capacity(paths.len());
            for path in &paths {
                match std::fs::read(path) {
                    Ok(bytes) => files.push((
                        path.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        bytes,
                    )),
                    Err(e) => {
                        return fail(format!("无法读取 {}：{e}；未保存任何文件", path.display()))
                    }
                }
            }
            let store = open_store(&database)?;
            let Some(stored) = store.request(&code)? else {
                return fail(format!("数据库中没有查询码为 {code} 的申请"));
            };
            let accepted = try_input!(gongkai_server::console::attachments::accept(
                files,
                stored.attachments.len()
            )
            .map_err(|e| e.to_string()));
            let names: Vec<String> = accepted.iter().map(|(n, _)| n.clone()).collect();
            store.add_request_attachments(&code, &accepted)?;
            audit(
                store.as_ref(),
                user_id(store.as_ref(), &by),
                Some(stored.agency),
                "request.attachment",
                &code,
                &format!("上传附件：{}", names.join("、")),
            );
            writeln!(out, "{code}：已添加附件 {}", names.join("、"))?;
            Ok(0)
        }
        RequestAction::Show {
            code,
            json,
            database,
            calendar,
        } => {
            let code = code.trim().to_string();
            let cal = try_input!(load_calendar(calendar.as_deref()));
            let store = open_store(&database)?;
            let Some(stored) = store.request(&code)? else {
                return fail(format!("数据库中没有查询码为 {code} 的申请"));
            };
            let mut r = stored.request.clone();
            r.refresh_clock(&cal);
            let agency = store
                .agency(stored.agency)?
                .map(|a| a.name)
                .unwrap_or_default();
            if json {
                let mut v = show_json(&r, &agency, &stored.private);
                v["attachments"] = serde_json::to_value(&stored.attachments)?;
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                print_request(out, &r, &agency, &stored.private)?;
                if !stored.attachments.is_empty() {
                    let list: Vec<String> = stored
                        .attachments
                        .iter()
                        .map(|a| format!("{}（{} 字节）", a.file_name, a.size))
                        .collect();
                    writeln!(out, "附件：{}", list.join("、"))?;
                }
            }
            Ok(0)
        }
        RequestAction::List {
            open,
            year,
            agency,
            json,
            database,
        } => {
            let store = open_store(&database)?;
            let agency = match agency {
                Some(name) => match agency_id(store.as_ref(), &name)? {
                    Some(id) => Some(id),
                    None => return fail(format!("数据库中没有机关“{}”", name.trim())),
                },
                None => None,
            };
            let filter = RequestFilter {
                agency,
                open_only: open,
                received_year: year,
                limit: None,
                offset: 0,
            };
            let mut rows = store.list_requests(&filter)?;
            // Most urgent first; requests without a running clock last.
            rows.sort_by(|a, b| {
                (a.due_on.is_none(), a.due_on, a.received_on, &a.code).cmp(&(
                    b.due_on.is_none(),
                    b.due_on,
                    b.received_on,
                    &b.code,
                ))
            });
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
                return Ok(0);
            }
            let today = today();
            for s in &rows {
                let kind = ApplicantType::ALL
                    .into_iter()
                    .find(|t| t.id() == s.applicant_type)
                    .map(|t| t.label_zh())
                    .unwrap_or(s.applicant_type.as_str());
                let overdue = s.due_on.is_some_and(|d| d < today);
                let description: String = s.description.chars().take(24).collect();
                let more = if s.description.chars().count() > 24 {
                    "…"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{}  收到{}  期限{}  {}{}  {}（{}）  {description}{more}",
                    s.code,
                    s.received_on,
                    s.due_on
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "——".to_string()),
                    status_label(&s.status),
                    if overdue { "【已逾期】" } else { "" },
                    s.applicant_name,
                    kind
                )?;
            }
            writeln!(out, "共{}件。", rows.len())?;
            Ok(0)
        }
    }
}

fn show_json(r: &Request, agency: &str, private: &ApplicantPrivate) -> serde_json::Value {
    let timeline: Vec<serde_json::Value> = r
        .log
        .iter()
        .map(|l| {
            let (label, detail) = event_text(&l.event.kind);
            serde_json::json!({
                "seq": l.seq,
                "at": l.event.at,
                "action": label,
                "detail": detail,
                "by": l.event.by,
                "note": l.event.note,
                "due_after": l.due_after,
            })
        })
        .collect();
    serde_json::json!({
        "code": r.id,
        "agency": agency,
        "status": r.status,
        "status_label": r.status.label_zh(),
        "due_on": r.clock.due_date(),
        "explanation": r.clock.describe_zh(),
        "outcome": r.outcome,
        "outcome_label": r.outcome.map(|o| o.label_zh()),
        "allowed_actions": r.allowed_actions(),
        "private": private,
        "timeline": timeline,
        "request": r,
    })
}

fn print_request(
    out: &mut impl Write,
    r: &Request,
    agency: &str,
    private: &ApplicantPrivate,
) -> std::io::Result<()> {
    writeln!(out, "查询码：{}", r.id)?;
    writeln!(out, "受理机关：{agency}")?;
    writeln!(
        out,
        "申请人：{}（{}），{}提交",
        r.applicant.name,
        r.applicant.kind.label_zh(),
        r.channel.label_zh()
    )?;
    let contact: Vec<String> = [
        ("证件号码", &private.id_number),
        ("电话", &private.phone),
        ("地址", &private.address),
        ("邮箱", &private.email),
        ("获取方式", &private.delivery),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
    .collect();
    if !contact.is_empty() {
        writeln!(out, "联系信息：{}", contact.join("；"))?;
    }
    writeln!(out, "所需信息：{}", r.description)?;
    writeln!(out, "收到申请之日：{}", r.received_on)?;
    writeln!(out, "状态：{}", r.status.label_zh())?;
    if let Some(o) = r.outcome {
        writeln!(out, "办理结果：{}", o.label_zh())?;
    }
    writeln!(out, "答复期限：{}", due_text(r))?;
    writeln!(out, "期限说明：{}", r.clock.describe_zh())?;
    let allowed: Vec<&str> = r.allowed_actions().iter().map(|a| a.label_zh()).collect();
    writeln!(
        out,
        "可执行操作：{}",
        if allowed.is_empty() {
            "无（已办结）".to_string()
        } else {
            allowed.join("、")
        }
    )?;
    writeln!(out, "办理记录：")?;
    for l in &r.log {
        let (label, detail) = event_text(&l.event.kind);
        let mut line = format!("  {:>2}. {}  {label}", l.seq, l.event.at);
        if !detail.is_empty() {
            line.push_str(&format!("：{detail}"));
        }
        line.push_str(&format!("  经办人：{}", l.event.by));
        if let Some(n) = &l.event.note {
            line.push_str(&format!("  备注：{n}"));
        }
        if let Some(d) = l.due_after {
            line.push_str(&format!("  答复期限→{d}"));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `gongkai report --year Y --agency NAME`: the year's annual report computed from the register,
/// checked, and written as DOCX, HTML, JSON, Markdown or PDF.
pub fn report(args: ReportArgs, out: &mut impl Write) -> anyhow::Result<u8> {
    let ReportArgs {
        year,
        agency,
        to,
        output,
        database,
        with_findings,
    } = args;
    let binary = matches!(to, ReportFormat::Docx | ReportFormat::Pdf);
    if binary && output.is_none() && std::io::stdout().is_terminal() {
        return fail(format!(
            "{} 是二进制文件，请用 -o 指定输出文件或重定向：gongkai report --year {year} --agency … --to {} -o 报告.{}",
            if to == ReportFormat::Pdf { "PDF" } else { "DOCX" },
            if to == ReportFormat::Pdf { "pdf" } else { "docx" },
            if to == ReportFormat::Pdf { "pdf" } else { "docx" },
        ));
    }
    let store = open_store(&database)?;
    let Some(agency_id) = agency_id(store.as_ref(), &agency)? else {
        return fail(format!(
            "数据库 {} 中没有机关“{}”",
            redact(&database),
            agency.trim()
        ));
    };
    let year_end = match Date::new(year, 12, 31) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let requests = store.requests_received_until(agency_id, year_end)?;
    let appeals = store.appeals(agency_id)?;
    let publications: Vec<_> = store
        .list_publications(&PublicationFilter {
            agency: Some(agency_id),
            ..PublicationFilter::default()
        })?
        .into_iter()
        .map(|p| p.publication)
        .collect();
    let derived = match ProactiveCounts::from_publications(year, &publications) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let entered = store.proactive_counts(agency_id, year)?.unwrap_or_default();
    let counts = derived.overridden_by(&entered);
    let report = match register::generate_report(year, agency.trim(), &requests, &appeals, &counts)
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let findings = rules::check(&report);
    for f in findings.iter().filter(|f| f.severity != Severity::Info) {
        eprintln!("[{}] {} {}", f.severity.label_zh(), f.rule, f.message);
    }
    let any_error = rules::has_error(&findings);
    let shown: &[gongkai_core::Finding] = if with_findings { &findings } else { &[] };
    let bytes: Vec<u8> = match to {
        ReportFormat::Docx => gongkai_render::to_docx(&report, shown),
        ReportFormat::Pdf => {
            let docx = gongkai_render::to_docx(&report, shown);
            match gongkai_render::pdf::docx_to_pdf(&docx) {
                Ok(pdf) => pdf,
                Err(msg) => return fail(msg),
            }
        }
        ReportFormat::Html => gongkai_render::to_html(&report, shown).into_bytes(),
        ReportFormat::Md => gongkai_render::to_markdown(&report, shown).into_bytes(),
        ReportFormat::Json => {
            let mut s = gongkai_render::to_json_string(&report, true);
            s.push('\n');
            s.into_bytes()
        }
    };
    let total = |row: &str| {
        report
            .request_cell(row, 6)
            .map(|v| v as u64)
            .unwrap_or_default()
    };
    let summary = format!(
        "{}{year}年度：上年结转{}件，本年新收{}件，办结{}件，结转下年度{}件；检查：错误{}条，警告{}条。",
        agency.trim(),
        total("carried_over"),
        total("new_received"),
        total("total_handled"),
        total("carried_forward"),
        findings.iter().filter(|f| f.severity == Severity::Error).count(),
        findings.iter().filter(|f| f.severity == Severity::Warning).count(),
    );
    match output {
        Some(path) => {
            std::fs::write(&path, &bytes)
                .map_err(|e| anyhow::anyhow!("无法写入{}：{e}", path.display()))?;
            eprintln!("{summary}");
            eprintln!("已生成 {}（{} 字节）", path.display(), bytes.len());
        }
        None => {
            out.write_all(&bytes)?;
            eprintln!("{summary}");
        }
    }
    Ok(if any_error { 1 } else { 0 })
}
