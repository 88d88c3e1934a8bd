//! The life of one 政府信息公开申请: an append-only event log, the state machine it drives, and
//! the statutory reply deadline recomputed at every event.
//!
//! # States and actions
//!
//! ```text
//!              ┌──────────── RequestCorrection (once, ≤ 7 working days after receipt) ──┐
//!              │                                                                         ▼
//! Received ─▶ Processing ◀── RecordCorrection ─────────────────────────── AwaitingCorrection
//!              │  ▲  │  ▲                                                  │ MarkCorrectionLapsed
//!              │  │  │  └─ EndConsultation ── InConsultation ◀─ StartConsultation     ▼
//!              │  │  └──── RecordPayment ──── AwaitingPayment ◀─ ServeFeeNotice    Terminated
//!              │  │                            │ MarkFeeLapsed ─────────────────▶ Terminated
//!              │  └ ApproveExtension (once, 1–20 working days, before the due date)
//!              └─ Answer(outcome) ─▶ Answered ─ Deliver ─▶ Delivered
//! any open state ─ Withdraw ─▶ Withdrawn
//! ```
//!
//! Every attempt that the 条例 does not allow — a second 补正, a 补正 after the 7-working-day
//! window, a second extension or one longer than 20 working days, answering while a
//! consultation is open, "补正后仍不明确" without a correction, an event dated before the
//! previous one — is a [`RequestError`] whose Chinese message names the current state and the
//! attempted action, and leaves the request unchanged. [`allowed_actions`] lists what the staff
//! console may offer.
//!
//! # The reply deadline (条例 Art. 30–33; 国办函〔2020〕109号)
//!
//! Counting follows the single convention of [`crate::calendar`] (the event day is not counted;
//! the N-th working day after it is the last day). The due date is
//!
//! > start + (20 + extension + excluded) working days
//!
//! where
//! * **start** is the receipt date (Art. 31, entered by staff according to the channel), or,
//!   after a 补正, the date the corrected request was received (Art. 30: the period runs anew
//!   from receipt of the correction; the earlier days are not counted);
//! * **extension** is the one approved extension, at most 20 working days (Art. 33 ¶2);
//! * **excluded** are the working days of each finished pause: a third-party or inter-agency
//!   consultation (Art. 32, 33 ¶3, 34: "所需时间不计算在前款规定的期限内") and the period from
//!   serving a fee notice to payment (109号). A pause from day S to day E excludes the working
//!   days d with S < d ≤ E — the day the consultation letter (or fee notice) goes out still
//!   counts for the agency, the day the reply (or payment) arrives does not, and the clock runs
//!   again from the next working day, exactly as after a receipt.
//!
//! While a pause is open the clock shows the working days used and remaining instead of a
//! date. The clock is recomputed after every event and stored with it in the log
//! ([`LoggedEvent::due_after`]), and [`DueDate::explain_zh`] says how it was reached. When the
//! calendar lacks a year the deadline needs, the clock says so ([`Clock::Unavailable`]) instead
//! of guessing; [`Request::refresh_clock`] recomputes it once the year has been loaded.
//!
//! # Outcomes
//!
//! [`Outcome`] has one variant per outcome row of table 三 in the 2021 format (ids as in
//! [`crate::skeleton`]); for 2019–2020 reports the three （六） rows map onto the single 2019
//! row `other`. A withdrawn request is counted under （六）其他处理 — 3.其他 (`other_misc`): it
//! was received and needs no further handling, so it must appear among the year's outcomes for
//! the 勾稽关系 to hold.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError, Deadline};
use crate::date::Date;
use crate::fees::{self, FeeBasis, FeeCalculation};
use crate::model::Generation;

/// Reply period of Art. 33 ¶2, in working days.
pub const REPLY_WORKING_DAYS: u32 = 20;
/// Longest extension (Art. 33 ¶2).
pub const MAX_EXTENSION_WORKING_DAYS: u32 = 20;
/// Window for asking for a correction (Art. 30).
pub const CORRECTION_WINDOW_WORKING_DAYS: u32 = 7;
/// Time for a third party to reply (Art. 32) and for paying a fee (109号).
pub const CONSULTATION_REPLY_WORKING_DAYS: u32 = 15;
pub const FEE_PAYMENT_WORKING_DAYS: u32 = 20;

/// The register's id of a request (assigned by the store; also the tracking code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub String);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Applicant type, the columns of table 三.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantType {
    /// 自然人
    NaturalPerson,
    /// 商业企业
    Commercial,
    /// 科研机构
    Research,
    /// 社会公益组织
    Nonprofit,
    /// 法律服务机构
    LegalServices,
    /// 其他（法人或其他组织）
    Other,
}

impl ApplicantType {
    pub const ALL: [ApplicantType; 6] = [
        ApplicantType::NaturalPerson,
        ApplicantType::Commercial,
        ApplicantType::Research,
        ApplicantType::Nonprofit,
        ApplicantType::LegalServices,
        ApplicantType::Other,
    ];

    /// Column id of table 三 (`natural_person` …).
    pub fn id(self) -> &'static str {
        crate::skeleton::REQUEST_COLUMNS[self.column()].id
    }

    /// Column index of table 三 (0–5; 6 is 总计).
    pub fn column(self) -> usize {
        self as usize
    }

    pub fn label_zh(self) -> &'static str {
        crate::skeleton::REQUEST_COLUMNS[self.column()].label
    }

    /// Whether the applicant is a 法人或其他组织 (every type but 自然人).
    pub fn is_organisation(self) -> bool {
        self != ApplicantType::NaturalPerson
    }
}

/// How the request reached the agency; decides the receipt date under Art. 31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 当面提交
    InPerson,
    /// 邮寄
    Post,
    /// 网络（互联网渠道）
    Online,
    /// 传真
    Fax,
    /// 其他
    Other,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::InPerson,
        Channel::Post,
        Channel::Online,
        Channel::Fax,
        Channel::Other,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::InPerson => "当面",
            Channel::Post => "邮寄",
            Channel::Online => "网络",
            Channel::Fax => "传真",
            Channel::Other => "其他",
        }
    }

    /// Which day is the receipt date (条例 Art. 31), for the intake form.
    pub fn receipt_rule_zh(self) -> &'static str {
        match self {
            Channel::InPerson => "当面提交的，以申请人提交之日为收到申请之日",
            Channel::Post => "以邮寄方式提交的，以行政机关签收之日为收到申请之日；以平常信函等无需签收的邮寄方式提交的，以行政机关与申请人确认之日为收到申请之日",
            Channel::Online | Channel::Fax => "通过互联网渠道或者政府信息公开工作机构的传真提交的，以双方确认之日为收到申请之日",
            Channel::Other => "按照条例第三十一条确定收到申请之日",
        }
    }
}

/// The applicant as captured at intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub kind: ApplicantType,
    pub name: String,
    /// 证件号码 / 统一社会信用代码, when given; identifies the applicant for 按件 fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

impl Applicant {
    /// The key that identifies the same applicant across requests (identity if given, else
    /// the name, whitespace removed).
    pub fn key(&self) -> String {
        let raw = self.identity.as_deref().unwrap_or(&self.name);
        raw.chars().filter(|c| !c.is_whitespace()).collect()
    }
}

/// One outcome row of table 三 (2021 format), the kind of reply given (条例 Art. 36–39).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Disclosed,
    PartiallyDisclosed,
    WithheldStateSecret,
    WithheldLawProhibited,
    WithheldSecurity,
    WithheldThirdParty,
    WithheldInternal,
    WithheldProcess,
    WithheldEnforcement,
    WithheldQuery,
    UnavailableNotHeld,
    UnavailableNeedsCreation,
    UnavailableUnclear,
    RejectedPetition,
    RejectedDuplicate,
    RejectedPublication,
    RejectedExcessive,
    RejectedConfirmation,
    OtherNoCorrection,
    OtherFeeUnpaid,
    OtherMisc,
}

impl Outcome {
    pub const ALL: [Outcome; 21] = [
        Outcome::Disclosed,
        Outcome::PartiallyDisclosed,
        Outcome::WithheldStateSecret,
        Outcome::WithheldLawProhibited,
        Outcome::WithheldSecurity,
        Outcome::WithheldThirdParty,
        Outcome::WithheldInternal,
        Outcome::WithheldProcess,
        Outcome::WithheldEnforcement,
        Outcome::WithheldQuery,
        Outcome::UnavailableNotHeld,
        Outcome::UnavailableNeedsCreation,
        Outcome::UnavailableUnclear,
        Outcome::RejectedPetition,
        Outcome::RejectedDuplicate,
        Outcome::RejectedPublication,
        Outcome::RejectedExcessive,
        Outcome::RejectedConfirmation,
        Outcome::OtherNoCorrection,
        Outcome::OtherFeeUnpaid,
        Outcome::OtherMisc,
    ];

    /// Row id in the 2021 format.
    pub fn id(self) -> &'static str {
        match self {
            Outcome::Disclosed => "disclosed",
            Outcome::PartiallyDisclosed => "partially_disclosed",
            Outcome::WithheldStateSecret => "withheld_state_secret",
            Outcome::WithheldLawProhibited => "withheld_law_prohibited",
            Outcome::WithheldSecurity => "withheld_security",
            Outcome::WithheldThirdParty => "withheld_third_party",
            Outcome::WithheldInternal => "withheld_internal",
            Outcome::WithheldProcess => "withheld_process",
            Outcome::WithheldEnforcement => "withheld_enforcement",
            Outcome::WithheldQuery => "withheld_query",
            Outcome::UnavailableNotHeld => "unavailable_not_held",
            Outcome::UnavailableNeedsCreation => "unavailable_needs_creation",
            Outcome::UnavailableUnclear => "unavailable_unclear",
            Outcome::RejectedPetition => "rejected_petition",
            Outcome::RejectedDuplicate => "rejected_duplicate",
            Outcome::RejectedPublication => "rejected_publication",
            Outcome::RejectedExcessive => "rejected_excessive",
            Outcome::RejectedConfirmation => "rejected_confirmation",
            Outcome::OtherNoCorrection => "other_no_correction",
            Outcome::OtherFeeUnpaid => "other_fee_unpaid",
            Outcome::OtherMisc => "other_misc",
        }
    }

    /// The outcome with this 2021 row id.
    pub fn from_id(id: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.id() == id)
    }

    /// Row id in the table of `generation`: the three （六） rows of 2021 are the single row
    /// `other` in the 2019 format; every other row keeps its id.
    pub fn row_id(self, generation: Generation) -> &'static str {
        match (generation, self) {
            (
                Generation::G2019,
                Outcome::OtherNoCorrection | Outcome::OtherFeeUnpaid | Outcome::OtherMisc,
            ) => "other",
            _ => self.id(),
        }
    }

    /// The group of table 三: （一）予以公开 … （六）其他处理.
    pub fn group_zh(self) -> &'static str {
        use Outcome::*;
        match self {
            Disclosed => "予以公开",
            PartiallyDisclosed => "部分公开",
            WithheldStateSecret
            | WithheldLawProhibited
            | WithheldSecurity
            | WithheldThirdParty
            | WithheldInternal
            | WithheldProcess
            | WithheldEnforcement
            | WithheldQuery => "不予公开",
            UnavailableNotHeld | UnavailableNeedsCreation | UnavailableUnclear => "无法提供",
            RejectedPetition | RejectedDuplicate | RejectedPublication | RejectedExcessive
            | RejectedConfirmation => "不予处理",
            OtherNoCorrection | OtherFeeUnpaid | OtherMisc => "其他处理",
        }
    }

    /// A short label for the console, e.g. `不予公开—属于国家秘密`.
    pub fn label_zh(self) -> &'static str {
        use Outcome::*;
        match self {
            Disclosed => "予以公开",
            PartiallyDisclosed => "部分公开",
            WithheldStateSecret => "不予公开—属于国家秘密",
            WithheldLawProhibited => "不予公开—其他法律行政法规禁止公开",
            WithheldSecurity => "不予公开—危及“三安全一稳定”",
            WithheldThirdParty => "不予公开—保护第三方合法权益",
            WithheldInternal => "不予公开—属于三类内部事务信息",
            WithheldProcess => "不予公开—属于四类过程性信息",
            WithheldEnforcement => "不予公开—属于行政执法案卷",
            WithheldQuery => "不予公开—属于行政查询事项",
            UnavailableNotHeld => "无法提供—本机关不掌握相关政府信息",
            UnavailableNeedsCreation => "无法提供—没有现成信息需要另行制作",
            UnavailableUnclear => "无法提供—补正后申请内容仍不明确",
            RejectedPetition => "不予处理—信访举报投诉类申请",
            RejectedDuplicate => "不予处理—重复申请",
            RejectedPublication => "不予处理—要求提供公开出版物",
            RejectedExcessive => "不予处理—无正当理由大量反复申请",
            RejectedConfirmation => "不予处理—要求行政机关确认或重新出具已获取信息",
            OtherNoCorrection => "其他处理—申请人无正当理由逾期不补正",
            OtherFeeUnpaid => "其他处理—申请人逾期未按收费通知要求缴纳费用",
            OtherMisc => "其他处理—其他",
        }
    }

    /// Whether staff choose this outcome with [`Action::Answer`]. `other_no_correction` and
    /// `other_fee_unpaid` arise only from the lapse actions, and `other_misc` is also what a
    /// withdrawal counts as.
    pub fn is_answerable(self) -> bool {
        !matches!(self, Outcome::OtherNoCorrection | Outcome::OtherFeeUnpaid)
    }
}

/// Consultation kinds whose time is excluded from the reply period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationKind {
    /// 征求第三方意见 (Art. 32)
    ThirdParty,
    /// 征求其他行政机关意见 (Art. 34)
    InterAgency,
}

impl ConsultationKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            ConsultationKind::ThirdParty => "征求第三方意见",
            ConsultationKind::InterAgency => "征求其他机关意见",
        }
    }
}

/// What a request's log records. Serialized with a `type` tag next to `at`/`by`/`note`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The request was received; `at` is the receipt date under Art. 31.
    Received {
        channel: Channel,
        applicant: Applicant,
        /// The information asked for (所需政府信息的名称、文号或者便于查询的其他特征性描述).
        description: String,
    },
    /// 补正告知 (Art. 30); the applicant should reply by `reply_by`.
    CorrectionRequested { reply_by: Date },
    /// The corrected request was received on `at`; the reply period restarts.
    Corrected,
    /// No correction in time without good reason: deemed abandoned (row （六）1).
    CorrectionLapsed,
    /// Consultation of a third party or another agency sent on `at`.
    ConsultationStarted {
        kind: ConsultationKind,
        /// Who was consulted.
        party: String,
    },
    /// The consultation ended on `at` (reply received or the reply time ran out).
    ConsultationEnded,
    /// Extension approved by the head of the OGI office (Art. 33 ¶2).
    ExtensionApproved { working_days: u32 },
    /// 收费通知 served on `at` (109号).
    FeeNoticeServed { basis: FeeBasis },
    /// The fee was paid on `at`.
    FeePaid,
    /// Not paid within the time: no longer processed (row （六）2).
    FeeLapsed,
    /// The reply (答复) with its table-三 outcome.
    Answered { outcome: Outcome },
    /// The reply (and information) was delivered (送达) to the applicant.
    Delivered,
    /// The applicant withdrew the request (counted as （六）3 其他).
    Withdrawn,
    /// The applicant's name or type was registered wrongly and is corrected (a record fix,
    /// not a step of the procedure: allowed in every state, the clock is unaffected). The type
    /// decides the table-三 column the request is counted in; the 证件号码 (`identity`) stays.
    ApplicantCorrected { kind: ApplicantType, name: String },
}

/// One entry of the log: when it took effect, who did it, an optional note, and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The date the event took effect (receipt date, date of the notice, …).
    pub at: Date,
    /// Who recorded or approved it.
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    pub fn new(at: Date, by: impl Into<String>, kind: EventKind) -> Event {
        Event {
            at,
            by: by.into(),
            note: None,
            kind,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Event {
        self.note = Some(note.into());
        self
    }
}

/// An event as kept in the request's append-only log, with the due date that was in force
/// after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedEvent {
    /// 1-based position in the log.
    pub seq: u32,
    #[serde(flatten)]
    pub event: Event,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_after: Option<Date>,
}

/// What staff can do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
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
}

impl Action {
    pub fn label_zh(self) -> &'static str {
        match self {
            Action::RequestCorrection => "告知补正",
            Action::RecordCorrection => "登记收到补正",
            Action::MarkCorrectionLapsed => "登记逾期未补正",
            Action::StartConsultation => "征求意见",
            Action::EndConsultation => "结束征求意见",
            Action::ApproveExtension => "延长答复期限",
            Action::ServeFeeNotice => "发出收费通知",
            Action::RecordPayment => "登记缴费",
            Action::MarkFeeLapsed => "登记逾期未缴费",
            Action::Answer => "作出答复",
            Action::Deliver => "登记送达",
            Action::Withdraw => "登记申请人撤回申请",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

impl EventKind {
    /// The action this event performs (`None` for `Received` and for record corrections,
    /// which are not steps of the procedure).
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            EventKind::Received { .. } | EventKind::ApplicantCorrected { .. } => return None,
            EventKind::CorrectionRequested { .. } => Action::RequestCorrection,
            EventKind::Corrected => Action::RecordCorrection,
            EventKind::CorrectionLapsed => Action::MarkCorrectionLapsed,
            EventKind::ConsultationStarted { .. } => Action::StartConsultation,
            EventKind::ConsultationEnded => Action::EndConsultation,
            EventKind::ExtensionApproved { .. } => Action::ApproveExtension,
            EventKind::FeeNoticeServed { .. } => Action::ServeFeeNotice,
            EventKind::FeePaid => Action::RecordPayment,
            EventKind::FeeLapsed => Action::MarkFeeLapsed,
            EventKind::Answered { .. } => Action::Answer,
            EventKind::Delivered => Action::Deliver,
            EventKind::Withdrawn => Action::Withdraw,
        })
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Processing,
    AwaitingCorrection,
    InConsultation,
    AwaitingPayment,
    Answered,
    Delivered,
    Withdrawn,
    /// No longer processed: correction or payment not made in time.
    Terminated,
}

impl Status {
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Processing => "办理中",
            Status::AwaitingCorrection => "待申请人补正",
            Status::InConsultation => "征求意见中",
            Status::AwaitingPayment => "待申请人缴费",
            Status::Answered => "已答复",
            Status::Delivered => "已送达",
            Status::Withdrawn => "申请人已撤回",
            Status::Terminated => "已终止（视为放弃申请）",
        }
    }

    /// Still to be handled (counts as 结转 at a year end).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Processing
                | Status::AwaitingCorrection
                | Status::InConsultation
                | Status::AwaitingPayment
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// The actions the law allows in a state (before the once-only checks of
/// [`Request::allowed_actions`]).
pub fn allowed_actions(status: &Status) -> Vec<Action> {
    use Action::*;
    match status {
        Status::Processing => vec![
            RequestCorrection,
            StartConsultation,
            ApproveExtension,
            ServeFeeNotice,
            Answer,
            Withdraw,
        ],
        Status::AwaitingCorrection => vec![RecordCorrection, MarkCorrectionLapsed, Withdraw],
        Status::InConsultation => vec![EndConsultation, Withdraw],
        Status::AwaitingPayment => vec![RecordPayment, MarkFeeLapsed, Withdraw],
        Status::Answered => vec![Deliver],
        Status::Delivered | Status::Withdrawn | Status::Terminated => vec![],
    }
}

/// Errors of the lifecycle. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("申请记录的第一个事件必须是“收到申请”")]
    NotReceivedFirst,
    #[error("该申请已于{0}登记收到，不能再次登记“收到申请”")]
    AlreadyReceived(Date),
    #[error("当前状态为“{state}”，不能执行“{action}”；当前可执行的操作：{allowed}")]
    NotAllowed {
        state: Status,
        action: Action,
        allowed: String,
    },
    #[error("当前状态为“{state}”，不能执行“{action}”：{reason}")]
    Forbidden {
        state: Status,
        action: Action,
        reason: String,
    },
    #[error("事件日期{at}早于上一事件日期{previous}；事件只能按时间顺序追加")]
    OutOfOrder { previous: Date, at: Date },
    #[error("必须注明经办人")]
    MissingActor,
    #[error("不能更正申请人信息：{0}")]
    InvalidCorrection(String),
    #[error("{0}")]
    Calendar(#[from] CalendarError),
    #[error("第{index}个事件：{error}")]
    Replay {
        index: usize,
        error: Box<RequestError>,
    },
}

/// Why the clock is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PauseReason {
    Consultation { consultation: ConsultationKind },
    Fee,
}

impl PauseReason {
    pub fn label_zh(self) -> &'static str {
        match self {
            PauseReason::Consultation { consultation } => consultation.label_zh(),
            PauseReason::Fee => "收费通知至缴费",
        }
    }
}

/// A finished pause and the working days it excludes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedPeriod {
    pub reason: PauseReason,
    pub start: Date,
    pub end: Date,
    /// Working days d with start < d ≤ end.
    pub working_days: u32,
}

/// From which event the reply period runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartBasis {
    /// 收到申请之日 (Art. 31).
    Receipt,
    /// 收到补正后申请之日 (Art. 30).
    CorrectedReceipt,
}

/// The reply deadline and everything it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDate {
    pub start: Date,
    pub start_basis: StartBasis,
    pub base_working_days: u32,
    pub extension_working_days: u32,
    pub excluded: Vec<ExcludedPeriod>,
    pub deadline: Deadline,
}

impl DueDate {
    pub fn due(&self) -> Date {
        self.deadline.due
    }

    /// The explanation in Chinese.
    pub fn explain_zh(&self) -> String {
        let basis = match self.start_basis {
            StartBasis::Receipt => "收到申请之日",
            StartBasis::CorrectedReceipt => "收到补正后申请之日",
        };
        let mut s = format!(
            "答复期限{}：自{}（{}）起算{}个工作日",
            self.due(),
            self.start,
            basis,
            self.base_working_days
        );
        if self.extension_working_days > 0 {
            s.push_str(&format!(
                "，经批准延长{}个工作日",
                self.extension_working_days
            ));
        }
        for e in &self.excluded {
            s.push_str(&format!(
                "，{}期间（{}至{}）不计算在期限内，顺延{}个工作日",
                e.reason.label_zh(),
                e.start,
                e.end,
                e.working_days
            ));
        }
        if self.deadline.working_days != self.base_working_days {
            s.push_str(&format!("，共计{}个工作日", self.deadline.working_days));
        }
        s.push('。');
        s.push_str(&self.deadline.explain_zh());
        s
    }

    /// The explanation in English.
    pub fn explain_en(&self) -> String {
        let mut s = format!(
            "Reply due {}: {} working days from {} ({})",
            self.due(),
            self.base_working_days,
            self.start,
            match self.start_basis {
                StartBasis::Receipt => "receipt",
                StartBasis::CorrectedReceipt => "receipt of the corrected request",
            }
        );
        if self.extension_working_days > 0 {
            s.push_str(&format!(
                ", extended by {} working days",
                self.extension_working_days
            ));
        }
        for e in &self.excluded {
            s.push_str(&format!(
                ", {}..{} excluded ({} working days)",
                e.start, e.end, e.working_days
            ));
        }
        s.push_str(". ");
        s.push_str(&self.deadline.explain_en());
        s
    }
}

/// The reply clock of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Clock {
    /// Counting; due on `due.due()`.
    Running { due: DueDate },
    /// A consultation or a fee notice is open: time is not counted.
    Paused {
        since: Date,
        reason: PauseReason,
        /// Working days of the period used before the pause.
        used: u32,
        /// Working days left when the clock resumes (0 when already overdue).
        remaining: u32,
    },
    /// A correction was asked for; the period restarts from the corrected request.
    WaitingForCorrection { requested_on: Date, reply_by: Date },
    /// The calendar lacks a year the computation needs (message in Chinese).
    Unavailable { reason: String },
    /// The request is concluded.
    Stopped {
        concluded_on: Date,
        /// The due date in force when it was concluded, if the clock was running.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<DueDate>,
        /// Whether it was concluded by the due date (`None` when not applicable).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_time: Option<bool>,
    },
}

impl Clock {
    /// The due date, when the clock is running.
    pub fn due_date(&self) -> Option<Date> {
        match self {
            Clock::Running { due } => Some(due.due()),
            _ => None,
        }
    }

    /// A one-line Chinese description for the console.
    pub fn describe_zh(&self) -> String {
        match self {
            Clock::Running { due } => due.explain_zh(),
            Clock::Paused {
                since,
                reason,
                used,
                remaining,
            } => format!(
                "自{since}起{}，期限中止计算：已用{used}个工作日，恢复计算后尚余{remaining}个工作日。",
                reason.label_zh()
            ),
            Clock::WaitingForCorrection {
                requested_on,
                reply_by,
            } => format!(
                "已于{requested_on}告知补正，补正期限至{reply_by}；收到补正后的申请之日起重新计算答复期限。"
            ),
            Clock::Unavailable { reason } => format!("答复期限暂无法计算：{reason}"),
            Clock::Stopped {
                concluded_on,
                due,
                on_time,
            } => match (due, on_time) {
                (Some(d), Some(true)) => {
                    format!("已于{concluded_on}办结，未超过答复期限{}。", d.due())
                }
                (Some(d), Some(false)) => {
                    format!("已于{concluded_on}办结，超过答复期限{}。", d.due())
                }
                _ => format!("已于{concluded_on}办结。"),
            },
        }
    }
}

/// The 补正 of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub requested_on: Date,
    pub reply_by: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_on: Option<Date>,
}

/// One consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub kind: ConsultationKind,
    pub party: String,
    pub started_on: Date,
    /// The 15 working days the consulted party has to reply (Art. 32), when computable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_due: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_on: Option<Date>,
}

/// The approved extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub approved_on: Date,
    pub working_days: u32,
}

/// The fee of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub noticed_on: Date,
    pub calculation: FeeCalculation,
    /// Last day to pay (20 working days after the notice), when computable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_by: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_on: Option<Date>,
}

/// A request of the register: its facts, status, clock and log. Build it with
/// [`Request::receive`] and change it only with [`Request::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub applicant: Applicant,
    pub channel: Channel,
    pub description: String,
    /// 收到申请之日 (Art. 31).
    pub received_on: Date,
    pub status: Status,
    /// The table-三 outcome once concluded (a withdrawal counts as `other_misc`).
    pub outcome: Option<Outcome>,
    pub concluded_on: Option<Date>,
    pub correction: Option<Correction>,
    pub consultations: Vec<Consultation>,
    pub extension: Option<Extension>,
    pub fee: Option<Fee>,
    pub delivered_on: Option<Date>,
    pub clock: Clock,
    pub log: Vec<LoggedEvent>,
}

fn actor_ok(by: &str) -> Result<(), RequestError> {
    if by.trim().is_empty() {
        Err(RequestError::MissingActor)
    } else {
        Ok(())
    }
}

impl Request {
    /// A new request from its `Received` event.
    pub fn receive(id: RequestId, event: Event, cal: &Calendar) -> Result<Request, RequestError> {
        actor_ok(&event.by)?;
        let EventKind::Received {
            channel,
            applicant,
            description,
        } = &event.kind
        else {
            return Err(RequestError::NotReceivedFirst);
        };
        let mut r = Request {
            id,
            applicant: applicant.clone(),
            channel: *channel,
            description: description.clone(),
            received_on: event.at,
            status: Status::Processing,
            outcome: None,
            concluded_on: None,
            correction: None,
            consultations: Vec::new(),
            extension: None,
            fee: None,
            delivered_on: None,
            clock: Clock::Unavailable {
                reason: String::new(),
            },
            log: Vec::new(),
        };
        r.clock = r.compute_clock(cal);
        r.log.push(LoggedEvent {
            seq: 1,
            due_after: r.clock.due_date(),
            event,
        });
        Ok(r)
    }

    /// Rebuild a request from its stored events (the first must be `Received`).
    pub fn replay(
        id: RequestId,
        events: impl IntoIterator<Item = Event>,
        cal: &Calendar,
    ) -> Result<Request, RequestError> {
        let wrap = |index: usize, error: RequestError| RequestError::Replay {
            index,
            error: Box::new(error),
        };
        let mut it = events.into_iter();
        let first = it
            .next()
            .ok_or_else(|| wrap(1, RequestError::NotReceivedFirst))?;
        let mut r = Request::receive(id, first, cal).map_err(|e| wrap(1, e))?;
        for (i, e) in it.enumerate() {
            r.apply(e, cal).map_err(|err| wrap(i + 2, err))?;
        }
        Ok(r)
    }

    /// The events of the log, in order (what the store keeps).
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.log.iter().map(|l| &l.event)
    }

    /// The date of the latest event.
    pub fn last_event_on(&self) -> Date {
        self.log
            .last()
            .map(|l| l.event.at)
            .unwrap_or(self.received_on)
    }

    /// The actions allowed now: [`allowed_actions`] of the status, less the once-only actions
    /// already taken (补正, extension, fee notice).
    pub fn allowed_actions(&self) -> Vec<Action> {
        let has_progress =
            !self.consultations.is_empty() || self.extension.is_some() || self.fee.is_some();
        allowed_actions(&self.status)
            .into_iter()
            .filter(|a| match a {
                Action::RequestCorrection => self.correction.is_none() && !has_progress,
                Action::ApproveExtension => self.extension.is_none(),
                Action::ServeFeeNotice => self.fee.is_none(),
                _ => true,
            })
            .collect()
    }

    /// Whether the reply is overdue on `today` (clock running and `today` after the due date).
    pub fn is_overdue(&self, today: Date) -> bool {
        self.clock.due_date().is_some_and(|due| today > due)
    }

    /// The concluded outcome and its date, for the annual report.
    pub fn concluded(&self) -> Option<(Date, Outcome)> {
        match (self.concluded_on, self.outcome) {
            (Some(d), Some(o)) => Some((d, o)),
            _ => None,
        }
    }

    /// Recompute the clock (e.g. after the administrator loaded a new year of the calendar).
    pub fn refresh_clock(&mut self, cal: &Calendar) {
        if !matches!(self.clock, Clock::Stopped { .. }) {
            self.clock = self.compute_clock(cal);
        }
        if let Some(fee) = &mut self.fee {
            if fee.pay_by.is_none() {
                fee.pay_by = cal
                    .add_working_days(fee.noticed_on, FEE_PAYMENT_WORKING_DAYS)
                    .ok()
                    .map(|d| d.due);
            }
        }
    }

    /// Append an event. On error the request is unchanged.
    pub fn apply(&mut self, event: Event, cal: &Calendar) -> Result<(), RequestError> {
        let mut next = self.clone();
        next.apply_inner(event, cal)?;
        *self = next;
        Ok(())
    }

    fn forbidden(&self, action: Action, reason: impl Into<String>) -> RequestError {
        RequestError::Forbidden {
            state: self.status,
            action,
            reason: reason.into(),
        }
    }

    fn apply_inner(&mut self, event: Event, cal: &Calendar) -> Result<(), RequestError> {
        actor_ok(&event.by)?;
        let previous = self.last_event_on();
        if event.at < previous {
            return Err(RequestError::OutOfOrder {
                previous,
                at: event.at,
            });
        }
        if let EventKind::ApplicantCorrected { kind, name } = &event.kind {
            let name = name.trim();
            if name.is_empty() {
                return Err(RequestError::InvalidCorrection(
                    "申请人姓名/名称不能为空".into(),
                ));
            }
            if *kind == self.applicant.kind && name == self.applicant.name {
                return Err(RequestError::InvalidCorrection(
                    "更正后的申请人信息与现有登记相同".into(),
                ));
            }
            self.applicant.kind = *kind;
            self.applicant.name = name.to_string();
            let seq = self.log.len() as u32 + 1;
            self.log.push(LoggedEvent {
                seq,
                due_after: self.clock.due_date(),
                event,
            });
            return Ok(());
        }
        let Some(action) = event.kind.action() else {
            return Err(RequestError::AlreadyReceived(self.received_on));
        };
        if !allowed_actions(&self.status).contains(&action) {
            let allowed: Vec<&str> = self
                .allowed_actions()
                .iter()
                .map(|a| a.label_zh())
                .collect();
            return Err(RequestError::NotAllowed {
                state: self.status,
                action,
                allowed: if allowed.is_empty() {
                    "无（已办结）".to_string()
                } else {
                    allowed.join("、")
                },
            });
        }
        let at = event.at;
        let running_due = match &self.clock {
            Clock::Running { due } => Some(due.clone()),
            _ => None,
        };
        let mut concluded = false;
        match &event.kind {
            EventKind::Received { .. } => {
                return Err(RequestError::AlreadyReceived(self.received_on))
            }
            // Record corrections returned above, before the procedure's checks.
            EventKind::ApplicantCorrected { .. } => {}
            EventKind::CorrectionRequested { reply_by } => {
                if let Some(c) = &self.correction {
                    return Err(self.forbidden(
                        action,
                        format!(
                            "已于{}告知补正；依条例第三十条，补正应当一次性告知",
                            c.requested_on
                        ),
                    ));
                }
                if !self.consultations.is_empty() || self.extension.is_some() || self.fee.is_some()
                {
                    return Err(
                        self.forbidden(action, "补正告知应当在征求意见、延长期限或收费之前作出")
                    );
                }
                let window =
                    cal.add_working_days(self.received_on, CORRECTION_WINDOW_WORKING_DAYS)?;
                if at > window.due {
                    return Err(self.forbidden(
                        action,
                        format!(
                            "依条例第三十条，应当自收到申请之日起7个工作日内一次性告知补正（截止{}），{}已超过该期限",
                            window.due, at
                        ),
                    ));
                }
                if *reply_by <= at {
                    return Err(
                        self.forbidden(action, format!("补正期限{reply_by}应当晚于告知日期{at}"))
                    );
                }
                self.correction = Some(Correction {
                    requested_on: at,
                    reply_by: *reply_by,
                    corrected_on: None,
                });
                self.status = Status::AwaitingCorrection;
            }
            EventKind::Corrected => {
                if let Some(c) = &mut self.correction {
                    c.corrected_on = Some(at);
                }
                self.status = Status::Processing;
            }
            EventKind::CorrectionLapsed => {
                let reply_by = self.correction.as_ref().map(|c| c.reply_by);
                if let Some(reply_by) = reply_by {
                    if at <= reply_by {
                        return Err(self.forbidden(
                            action,
                            format!("补正期限{reply_by}尚未届满，不能视为放弃申请"),
                        ));
                    }
                }
                self.status = Status::Terminated;
                self.outcome = Some(Outcome::OtherNoCorrection);
                concluded = true;
            }
            EventKind::ConsultationStarted { kind, party } => {
                self.consultations.push(Consultation {
                    kind: *kind,
                    party: party.clone(),
                    started_on: at,
                    reply_due: cal
                        .add_working_days(at, CONSULTATION_REPLY_WORKING_DAYS)
                        .ok()
                        .map(|d| d.due),
                    ended_on: None,
                });
                self.status = Status::InConsultation;
            }
            EventKind::ConsultationEnded => {
                if let Some(c) = self.consultations.last_mut() {
                    c.ended_on = Some(at);
                }
                self.status = Status::Processing;
            }
            EventKind::ExtensionApproved { working_days } => {
                if let Some(e) = &self.extension {
                    return Err(self.forbidden(
                        action,
                        format!(
                            "已于{}延长答复期限{}个工作日；依条例第三十三条，延长只能一次",
                            e.approved_on, e.working_days
                        ),
                    ));
                }
                if *working_days == 0 || *working_days > MAX_EXTENSION_WORKING_DAYS {
                    return Err(self.forbidden(
                        action,
                        format!(
                            "延长的期限应为1至{MAX_EXTENSION_WORKING_DAYS}个工作日（条例第三十三条），申请延长{working_days}个工作日"
                        ),
                    ));
                }
                let due = match &running_due {
                    Some(d) => d.due(),
                    None => self.compute_due(cal)?.due(),
                };
                if at > due {
                    return Err(
                        self.forbidden(action, format!("答复期限已于{due}届满，不能再延长"))
                    );
                }
                self.extension = Some(Extension {
                    approved_on: at,
                    working_days: *working_days,
                });
            }
            EventKind::FeeNoticeServed { basis } => {
                if let Some(f) = &self.fee {
                    return Err(self.forbidden(
                        action,
                        format!(
                            "已于{}发出收费通知；同一申请只能发出一次收费通知",
                            f.noticed_on
                        ),
                    ));
                }
                let calculation = fees::compute(*basis);
                if calculation.amount.0 == 0 {
                    return Err(self.forbidden(
                        action,
                        format!(
                            "{}，应缴金额为0元，无需发出收费通知",
                            calculation.explain_zh().trim_end_matches('。')
                        ),
                    ));
                }
                self.fee = Some(Fee {
                    noticed_on: at,
                    calculation,
                    pay_by: cal
                        .add_working_days(at, FEE_PAYMENT_WORKING_DAYS)
                        .ok()
                        .map(|d| d.due),
                    paid_on: None,
                });
                self.status = Status::AwaitingPayment;
            }
            EventKind::FeePaid | EventKind::FeeLapsed => {
                let noticed_on = self.fee.as_ref().map(|f| f.noticed_on).unwrap_or(at);
                let pay_by = cal
                    .add_working_days(noticed_on, FEE_PAYMENT_WORKING_DAYS)?
                    .due;
                if let Some(f) = &mut self.fee {
                    f.pay_by = Some(pay_by);
                }
                if matches!(event.kind, EventKind::FeePaid) {
                    if at > pay_by {
                        return Err(self.forbidden(
                            action,
                            format!("缴费期限已于{pay_by}届满，逾期未缴纳视为放弃申请，应登记“逾期未缴费”"),
                        ));
                    }
                    if let Some(f) = &mut self.fee {
                        f.paid_on = Some(at);
                    }
                    self.status = Status::Processing;
                } else {
                    if at <= pay_by {
                        return Err(self.forbidden(
                            action,
                            format!("缴费期限{pay_by}尚未届满，不能视为放弃申请"),
                        ));
                    }
                    self.status = Status::Terminated;
                    self.outcome = Some(Outcome::OtherFeeUnpaid);
                    concluded = true;
                }
            }
            EventKind::Answered { outcome } => {
                if !outcome.is_answerable() {
                    let via = match outcome {
                        Outcome::OtherNoCorrection => Action::MarkCorrectionLapsed,
                        _ => Action::MarkFeeLapsed,
                    };
                    return Err(self.forbidden(
                        action,
                        format!(
                            "办理结果“{}”只能通过“{}”登记",
                            outcome.label_zh(),
                            via.label_zh()
                        ),
                    ));
                }
                if *outcome == Outcome::UnavailableUnclear
                    && self
                        .correction
                        .as_ref()
                        .and_then(|c| c.corrected_on)
                        .is_none()
                {
                    return Err(self.forbidden(
                        action,
                        "“补正后申请内容仍不明确”只适用于申请人已经补正的申请",
                    ));
                }
                self.outcome = Some(*outcome);
                self.status = Status::Answered;
                concluded = true;
            }
            EventKind::Delivered => {
                self.delivered_on = Some(at);
                self.status = Status::Delivered;
            }
            EventKind::Withdrawn => {
                if let Some(c) = self.consultations.last_mut() {
                    if c.ended_on.is_none() {
                        c.ended_on = Some(at);
                    }
                }
                self.status = Status::Withdrawn;
                self.outcome = Some(Outcome::OtherMisc);
                concluded = true;
            }
        }
        if concluded {
            self.concluded_on = Some(at);
            let on_time = running_due.as_ref().map(|d| at <= d.due());
            self.clock = Clock::Stopped {
                concluded_on: at,
                due: running_due,
                on_time,
            };
        } else if !matches!(self.clock, Clock::Stopped { .. }) {
            self.clock = self.compute_clock(cal);
        }
        let seq = self.log.len() as u32 + 1;
        self.log.push(LoggedEvent {
            seq,
            due_after: self.clock.due_date(),
            event,
        });
        Ok(())
    }

    fn start(&self) -> (Date, StartBasis) {
        match self.correction.as_ref().and_then(|c| c.corrected_on) {
            Some(d) => (d, StartBasis::CorrectedReceipt),
            None => (self.received_on, StartBasis::Receipt),
        }
    }

    fn excluded_periods(&self, cal: &Calendar) -> Result<Vec<ExcludedPeriod>, CalendarError> {
        let mut out = Vec::new();
        let (start, _) = self.start();
        for c in &self.consultations {
            if let Some(end) = c.ended_on {
                if c.started_on >= start {
                    out.push(ExcludedPeriod {
                        reason: PauseReason::Consultation {
                            consultation: c.kind,
                        },
                        start: c.started_on,
                        end,
                        working_days: cal.working_days_between(c.started_on, end)?,
                    });
                }
            }
        }
        if let Some(f) = &self.fee {
            if let Some(end) = f.paid_on {
                out.push(ExcludedPeriod {
                    reason: PauseReason::Fee,
                    start: f.noticed_on,
                    end,
                    working_days: cal.working_days_between(f.noticed_on, end)?,
                });
            }
        }
        out.sort_by_key(|e| e.start);
        Ok(out)
    }

    fn compute_due(&self, cal: &Calendar) -> Result<DueDate, CalendarError> {
        let (start, start_basis) = self.start();
        let excluded = self.excluded_periods(cal)?;
        let extension = self.extension.as_ref().map(|e| e.working_days).unwrap_or(0);
        let total = excluded
            .iter()
            .fold(REPLY_WORKING_DAYS.saturating_add(extension), |acc, e| {
                acc.saturating_add(e.working_days)
            });
        Ok(DueDate {
            start,
            start_basis,
            base_working_days: REPLY_WORKING_DAYS,
            extension_working_days: extension,
            excluded,
            deadline: cal.add_working_days(start, total)?,
        })
    }

    fn compute_clock(&self, cal: &Calendar) -> Clock {
        let unavailable = |e: CalendarError| Clock::Unavailable {
            reason: e.to_string(),
        };
        match self.status {
            Status::AwaitingCorrection => match &self.correction {
                Some(c) => Clock::WaitingForCorrection {
                    requested_on: c.requested_on,
                    reply_by: c.reply_by,
                },
                None => Clock::Unavailable {
                    reason: "缺少补正告知记录".to_string(),
                },
            },
            Status::InConsultation | Status::AwaitingPayment => {
                let (since, reason) = if self.status == Status::InConsultation {
                    let c = self.consultations.last();
                    (
                        c.map(|c| c.started_on).unwrap_or(self.received_on),
                        PauseReason::Consultation {
                            consultation: c.map(|c| c.kind).unwrap_or(ConsultationKind::ThirdParty),
                        },
                    )
                } else {
                    (
                        self.fee
                            .as_ref()
                            .map(|f| f.noticed_on)
                            .unwrap_or(self.received_on),
                        PauseReason::Fee,
                    )
                };
                let (start, _) = self.start();
                let computed = (|| -> Result<(u32, u32), CalendarError> {
                    let elapsed = cal.working_days_between(start, since)?;
                    let excluded = self
                        .excluded_periods(cal)?
                        .iter()
                        .fold(0u32, |acc, e| acc.saturating_add(e.working_days));
                    let used = elapsed.saturating_sub(excluded);
                    let allowed = REPLY_WORKING_DAYS.saturating_add(
                        self.extension.as_ref().map(|e| e.working_days).unwrap_or(0),
                    );
                    Ok((used, allowed.saturating_sub(used)))
                })();
                match computed {
                    Ok((used, remaining)) => Clock::Paused {
                        since,
                        reason,
                        used,
                        remaining,
                    },
                    Err(e) => unavailable(e),
                }
            }
            _ => match self.compute_due(cal) {
                Ok(due) => Clock::Running { due },
                Err(e) => unavailable(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::builtin()
    }

    fn received(at: &str) -> Request {
        Request::receive(
            RequestId("YSQ-1".into()),
            Event::new(
                d(at),
                "收件人甲",
                EventKind::Received {
                    channel: Channel::Online,
                    applicant: Applicant {
                        kind: ApplicantType::NaturalPerson,
                        name: "张三".into(),
                        identity: None,
                        contact: None,
                    },
                    description: "2023年度部门预算".into(),
                },
            ),
            &cal(),
        )
        .unwrap()
    }

    fn ev(at: &str, kind: EventKind) -> Event {
        Event::new(d(at), "经办人乙", kind)
    }

    #[test]
    fn applicant_corrections_change_the_record_not_the_procedure() {
        let mut r = received("2024-09-27");
        let due = r.clock.due_date();
        let fix = |kind, name: &str| {
            ev(
                "2024-09-30",
                EventKind::ApplicantCorrected {
                    kind,
                    name: name.into(),
                },
            )
        };
        r.apply(fix(ApplicantType::Commercial, "某某科技有限公司"), &cal())
            .unwrap();
        assert_eq!(r.applicant.kind, ApplicantType::Commercial);
        assert_eq!(r.applicant.name, "某某科技有限公司");
        assert_eq!(r.status, Status::Processing);
        assert_eq!(r.clock.due_date(), due, "the clock is not touched");
        assert_eq!(r.log.len(), 2);
        // Nothing changed, or no name: refused, the request unchanged.
        let before = r.clone();
        for bad in [
            fix(ApplicantType::Commercial, "某某科技有限公司"),
            fix(ApplicantType::Commercial, "  "),
        ] {
            assert!(matches!(
                r.apply(bad, &cal()),
                Err(RequestError::InvalidCorrection(_))
            ));
            assert_eq!(r, before);
        }
        // Allowed after the answer too (the type decides the table-三 column).
        r.apply(
            ev(
                "2024-10-10",
                EventKind::Answered {
                    outcome: Outcome::Disclosed,
                },
            ),
            &cal(),
        )
        .unwrap();
        r.apply(
            ev(
                "2024-10-11",
                EventKind::ApplicantCorrected {
                    kind: ApplicantType::Research,
                    name: "某某研究院".into(),
                },
            ),
            &cal(),
        )
        .unwrap();
        assert_eq!(r.status, Status::Answered);
        assert_eq!(r.applicant.kind, ApplicantType::Research);
        // Out of order is still refused.
        assert!(matches!(
            r.apply(fix(ApplicantType::Other, "某人"), &cal()),
            Err(RequestError::OutOfOrder { .. })
        ));
        // Replaying the log gives the same request.
        let replayed =
            Request::replay(r.id.clone(), r.log.iter().map(|l| l.event.clone()), &cal()).unwrap();
        assert_eq!(replayed, r);
    }

    #[test]
    fn receipt_sets_the_due_date_and_log() {
        let r = received("2024-09-27");
        assert_eq!(r.status, Status::Processing);
        assert_eq!(r.clock.due_date(), Some(d("2024-10-30")));
        assert_eq!(r.log.len(), 1);
        assert_eq!(r.log[0].due_after, Some(d("2024-10-30")));
        let zh = r.clock.describe_zh();
        assert!(
            zh.starts_with("答复期限2024-10-30：自2024-09-27（收到申请之日）起算20个工作日。"),
            "{zh}"
        );
    }

    #[test]
    fn illegal_transitions_name_state_and_action_and_change_nothing() {
        let mut r = received("2024-09-27");
        r.apply(
            ev(
                "2024-10-08",
                EventKind::Answered {
                    outcome: Outcome::Disclosed,
                },
            ),
            &cal(),
        )
        .unwrap();
        let before = r.clone();
        let err = r
            .apply(
                ev(
                    "2024-10-09",
                    EventKind::ExtensionApproved { working_days: 5 },
                ),
                &cal(),
            )
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("当前状态为“已答复”"), "{msg}");
        assert!(msg.contains("不能执行“延长答复期限”"), "{msg}");
        assert!(msg.contains("登记送达"), "{msg}");
        assert_eq!(r, before);
        // Out of order.
        let err = r
            .apply(ev("2024-10-07", EventKind::Delivered), &cal())
            .unwrap_err();
        assert!(matches!(err, RequestError::OutOfOrder { .. }));
        assert_eq!(r, before);
        // No actor.
        let err = r
            .apply(
                Event::new(d("2024-10-09"), " ", EventKind::Delivered),
                &cal(),
            )
            .unwrap_err();
        assert_eq!(err, RequestError::MissingActor);
        r.apply(ev("2024-10-09", EventKind::Delivered), &cal())
            .unwrap();
        assert!(r.allowed_actions().is_empty());
        let err = r
            .apply(ev("2024-10-10", EventKind::Withdrawn), &cal())
            .unwrap_err();
        assert!(err.to_string().contains("无（已办结）"), "{err}");
    }

    #[test]
    fn once_only_rules() {
        let c = cal();
        let mut r = received("2024-09-27");
        r.apply(
            ev(
                "2024-10-08",
                EventKind::ExtensionApproved { working_days: 21 },
            ),
            &c,
        )
        .unwrap_err();
        r.apply(
            ev(
                "2024-10-08",
                EventKind::ExtensionApproved { working_days: 0 },
            ),
            &c,
        )
        .unwrap_err();
        r.apply(
            ev(
                "2024-10-08",
                EventKind::ExtensionApproved { working_days: 20 },
            ),
            &c,
        )
        .unwrap();
        let err = r
            .apply(
                ev(
                    "2024-10-09",
                    EventKind::ExtensionApproved { working_days: 1 },
                ),
                &c,
            )
            .unwrap_err();
        assert!(err.to_string().contains("延长只能一次"), "{err}");
        assert!(!r.allowed_actions().contains(&Action::ApproveExtension));
        // After an extension, no 补正 any more.
        let err = r
            .apply(
                ev(
                    "2024-10-09",
                    EventKind::CorrectionRequested {
                        reply_by: d("2024-10-20"),
                    },
                ),
                &c,
            )
            .unwrap_err();
        assert!(err.to_string().contains("补正告知应当在"), "{err}");
    }

    #[test]
    fn outcomes_that_need_their_own_action() {
        let c = cal();
        let mut r = received("2024-09-27");
        for o in [
            Outcome::OtherNoCorrection,
            Outcome::OtherFeeUnpaid,
            Outcome::UnavailableUnclear,
        ] {
            let err = r
                .apply(ev("2024-10-08", EventKind::Answered { outcome: o }), &c)
                .unwrap_err();
            assert!(matches!(err, RequestError::Forbidden { .. }), "{o:?}");
        }
        assert_eq!(r.status, Status::Processing);
    }

    #[test]
    fn fee_notice_payment_and_lapse() {
        let c = cal();
        let mut r = received("2024-03-01");
        // A free amount cannot be noticed.
        let err = r
            .apply(
                ev(
                    "2024-03-04",
                    EventKind::FeeNoticeServed {
                        basis: FeeBasis::PerPage { pages: 30 },
                    },
                ),
                &c,
            )
            .unwrap_err();
        assert!(err.to_string().contains("0元"), "{err}");
        r.apply(
            ev(
                "2024-03-04",
                EventKind::FeeNoticeServed {
                    basis: FeeBasis::PerPage { pages: 250 },
                },
            ),
            &c,
        )
        .unwrap();
        assert_eq!(r.fee.as_ref().unwrap().calculation.amount.0, 4700);
        // 20 working days after Mon 2024-03-04: 03-05..08 (4), 11..15 (9), 18..22 (14),
        // 25..29 (19), 04-01 (20). Pay by 2024-04-01.
        assert_eq!(r.fee.as_ref().unwrap().pay_by, Some(d("2024-04-01")));
        assert!(matches!(
            r.clock,
            Clock::Paused {
                reason: PauseReason::Fee,
                ..
            }
        ));
        let err = r
            .apply(ev("2024-04-01", EventKind::FeeLapsed), &c)
            .unwrap_err();
        assert!(err.to_string().contains("尚未届满"), "{err}");
        let err = r
            .apply(ev("2024-04-02", EventKind::FeePaid), &c)
            .unwrap_err();
        assert!(err.to_string().contains("已于2024-04-01届满"), "{err}");
        r.apply(ev("2024-04-02", EventKind::FeeLapsed), &c).unwrap();
        assert_eq!(r.status, Status::Terminated);
        assert_eq!(
            r.concluded(),
            Some((d("2024-04-02"), Outcome::OtherFeeUnpaid))
        );
    }

    #[test]
    fn serde_round_trip_of_events_and_request() {
        let c = cal();
        let mut r = received("2024-09-27");
        r.apply(
            ev(
                "2024-09-30",
                EventKind::ConsultationStarted {
                    kind: ConsultationKind::ThirdParty,
                    party: "某公司".into(),
                },
            )
            .with_note("涉及商业秘密"),
            &c,
        )
        .unwrap();
        let json = serde_json::to_value(&r.log[1].event).unwrap();
        assert_eq!(json["type"], "consultation_started");
        assert_eq!(json["at"], "2024-09-30");
        assert_eq!(json["by"], "经办人乙");
        assert_eq!(json["note"], "涉及商业秘密");
        assert_eq!(json["kind"], "third_party");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, r.log[1].event);
        let whole = serde_json::to_string(&r).unwrap();
        let again: Request = serde_json::from_str(&whole).unwrap();
        assert_eq!(again, r);
        // Replaying the stored events gives the same request.
        let events: Vec<Event> = r.events().cloned().collect();
        let replayed = Request::replay(r.id.clone(), events, &c).unwrap();
        assert_eq!(replayed, r);
    }

    #[test]
    fn replay_reports_the_failing_event() {
        let c = cal();
        let r = received("2024-09-27");
        let mut events: Vec<Event> = r.events().cloned().collect();
        events.push(ev("2024-09-28", EventKind::ConsultationEnded));
        let err = Request::replay(r.id.clone(), events, &c).unwrap_err();
        assert!(err.to_string().starts_with("第2个事件："), "{err}");
        let err = Request::replay(r.id.clone(), Vec::<Event>::new(), &c).unwrap_err();
        assert!(err.to_string().contains("收到申请"), "{err}");
    }

    #[test]
    fn unknown_year_leaves_the_clock_unavailable_not_guessed() {
        let mut r = received("2026-12-15");
        match &r.clock {
            Clock::Unavailable { reason } => assert!(reason.contains("2027年"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.log[0].due_after, None);
        // Loading 2027 makes it computable.
        let mut c = cal();
        c.extend_with("2027 holiday 2027-01-01 元旦").unwrap();
        r.refresh_clock(&c);
        // 2026-12-15 (Tue): 12-16..18 (3), 21..25 (8), 28..31 (12), 2027-01-01 off,
        // 01-04..08 (17), 01-11 (18), 01-12 (19), 01-13 (20).
        assert_eq!(r.clock.due_date(), Some(d("2027-01-13")));
    }

    #[test]
    fn every_action_outside_the_allowed_set_is_refused_in_every_state() {
        let c = cal();
        let at = "2024-03-04";
        let mut states: Vec<Request> = Vec::new();
        let base = received("2024-03-01");
        states.push(base.clone());
        let mut r = base.clone();
        r.apply(
            ev(
                at,
                EventKind::CorrectionRequested {
                    reply_by: d("2024-03-20"),
                },
            ),
            &c,
        )
        .unwrap();
        states.push(r);
        let mut r = base.clone();
        r.apply(
            ev(
                at,
                EventKind::ConsultationStarted {
                    kind: ConsultationKind::InterAgency,
                    party: "市财政局".into(),
                },
            ),
            &c,
        )
        .unwrap();
        states.push(r);
        let mut r = base.clone();
        r.apply(
            ev(
                at,
                EventKind::FeeNoticeServed {
                    basis: FeeBasis::PerRequest { nth_in_month: 31 },
                },
            ),
            &c,
        )
        .unwrap();
        assert_eq!(r.fee.as_ref().unwrap().calculation.amount.0, 200);
        states.push(r);
        let mut r = base.clone();
        r.apply(
            ev(
                at,
                EventKind::Answered {
                    outcome: Outcome::WithheldInternal,
                },
            ),
            &c,
        )
        .unwrap();
        states.push(r.clone());
        r.apply(ev(at, EventKind::Delivered), &c).unwrap();
        states.push(r);
        let mut r = base.clone();
        r.apply(ev(at, EventKind::Withdrawn), &c).unwrap();
        states.push(r);
        let kinds = [
            EventKind::CorrectionRequested {
                reply_by: d("2024-03-25"),
            },
            EventKind::Corrected,
            EventKind::CorrectionLapsed,
            EventKind::ConsultationStarted {
                kind: ConsultationKind::ThirdParty,
                party: "某公司".into(),
            },
            EventKind::ConsultationEnded,
            EventKind::ExtensionApproved { working_days: 5 },
            EventKind::FeeNoticeServed {
                basis: FeeBasis::PerPage { pages: 31 },
            },
            EventKind::FeePaid,
            EventKind::FeeLapsed,
            EventKind::Answered {
                outcome: Outcome::Disclosed,
            },
            EventKind::Delivered,
            EventKind::Withdrawn,
        ];
        let mut seen_statuses = std::collections::HashSet::new();
        for state in &states {
            seen_statuses.insert(state.status);
            let allowed = allowed_actions(&state.status);
            for k in &kinds {
                let action = k.action().unwrap();
                let mut r = state.clone();
                let result = r.apply(ev("2024-03-05", k.clone()), &c);
                if !allowed.contains(&action) {
                    assert!(
                        matches!(result, Err(RequestError::NotAllowed { .. })),
                        "{:?} {:?}: {result:?}",
                        state.status,
                        action
                    );
                    assert_eq!(&r, state);
                } else if result.is_err() {
                    assert_eq!(&r, state);
                }
            }
            // A second Received is always refused.
            let mut r = state.clone();
            let again = r.apply(state.log[0].event.clone(), &c);
            assert!(again.is_err());
            assert_eq!(&r, state);
        }
        assert_eq!(seen_statuses.len(), 7);
    }

    #[test]
    fn absurd_stored_values_do_not_panic() {
        let c = cal();
        let mut r = received("2024-03-01");
        r.extension = Some(Extension {
            approved_on: d("2024-03-02"),
            working_days: u32::MAX,
        });
        r.refresh_clock(&c);
        assert!(matches!(r.clock, Clock::Unavailable { .. }));
        r.status = Status::InConsultation;
        r.refresh_clock(&c);
        assert!(matches!(r.clock, Clock::Paused { .. }));
        r.status = Status::AwaitingCorrection;
        r.refresh_clock(&c);
        assert!(matches!(r.clock, Clock::Unavailable { .. }));
        let _ = r.apply(ev("2024-03-05", EventKind::Corrected), &c);
    }

    #[test]
    fn outcome_ids_match_the_skeleton() {
        let ids: Vec<&str> = crate::skeleton::request_rows(Generation::G2021)
            .filter(|r| r.outcome)
            .map(|r| r.label.id)
            .collect();
        let ours: Vec<&str> = Outcome::ALL.iter().map(|o| o.id()).collect();
        assert_eq!(ids, ours);
        let ids_2019: Vec<&str> = crate::skeleton::request_rows(Generation::G2019)
            .filter(|r| r.outcome)
            .map(|r| r.label.id)
            .collect();
        for o in Outcome::ALL {
            assert!(ids_2019.contains(&o.row_id(Generation::G2019)), "{o:?}");
            assert_eq!(Outcome::from_id(o.id()), Some(o));
            let json = serde_json::to_value(o).unwrap();
            assert_eq!(json, serde_json::json!(o.id()));
        }
        for (i, t) in ApplicantType::ALL.iter().enumerate() {
            assert_eq!(t.column(), i);
        }
        assert_eq!(ApplicantType::LegalServices.id(), "legal_services");
        assert_eq!(ApplicantType::Commercial.label_zh(), "商业企业");
    }
}
