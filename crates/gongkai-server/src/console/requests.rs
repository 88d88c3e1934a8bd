//! One request: intake (登记), the detail page with its statutory clock and timeline, and the
//! forms for the actions the 条例 allows next.
//!
//! Every action is `Request::apply` on the stored state, then
//! `append_request_events(code, old_len, …)`: the core decides what is legal (and says why
//! not, in Chinese), the store makes sure the log only grows from the state the clerk saw. A
//! refused action shows the same page again with the message and stores nothing.

use super::queue::{urgency, urgency_mark, Urgency};
use super::{
    flash_error, flash_ok, from_serde_name, not_future, parse_date, serde_name, shell, today,
    tracking_code, with_status, Desk,
};
use crate::auth::{self, Staff};
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_core::date::{days_in_month, Date};
use gongkai_core::fees::{self, FeeBasis};
use gongkai_core::lifecycle::{
    Action, Applicant, ApplicantType, Channel, Clock, ConsultationKind, Event, EventKind,
    LoggedEvent, Outcome, Request, RequestError, RequestId,
};
use gongkai_core::register::nth_request_in_month;
use gongkai_store::{
    sha256_hex, AgencyId, ApplicantPrivate, NewRequest, RequestSource, Role, Store, StoreError,
    UserId,
};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// How a 获取信息的方式 may be asked for (条例 Art. 29 ¶2 (三)); free text is accepted too.
const DELIVERY_OPTIONS: &[&str] = &[
    "纸质文本",
    "电子邮件",
    "光盘等电子存储介质",
    "当场阅读、抄录",
    "网上获取",
    "其他",
];

#[derive(Deserialize, Default, Clone)]
pub struct IntakeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    applicant_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    delivery: String,
    #[serde(default)]
    note: String,
}

pub async fn intake_form(desk: Desk) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    let form = IntakeForm {
        applicant_type: serde_name(&ApplicantType::NaturalPerson),
        channel: serde_name(&Channel::InPerson),
        received_on: today().to_string(),
        ..IntakeForm::default()
    };
    Ok(intake_page(&desk, &form, None).into_response())
}

fn intake_page(desk: &Desk, f: &IntakeForm, error: Option<&str>) -> axum::response::Html<String> {
    let body = html! {
        h1 { "登记政府信息公开申请" }
        @if let Some(e) = error { (flash_error(e)) }
        form.box method="post" action=(super::href(desk.agency.id, "/console/requests/new")) {
            (ui::csrf_field(&desk.staff))
            h2 { "申请人" }
            p {
                label { "申请人类型 "
                    select name="applicant_type" required {
                        @for t in ApplicantType::ALL {
                            option value=(serde_name(&t)) selected[serde_name(&t) == f.applicant_type] { (t.label_zh()) }
                        }
                    }
                }
                label { "姓名/名称 " input type="text" name="name" value=(f.name) required maxlength="100"; }
            }
            p {
                label { "证件号码/统一社会信用代码 " input type="text" name="id_number" value=(f.id_number) maxlength="60"; }
                label { "联系电话 " input type="text" name="phone" value=(f.phone) maxlength="60"; }
            }
            p {
                label { "通讯地址 " input type="text" name="address" value=(f.address) size="40" maxlength="200"; }
                label { "电子邮箱 " input type="text" name="email" value=(f.email) maxlength="100"; }
            }
            p.muted { "证件号码、电话、地址、邮箱只在工作台显示，公开查询页不显示。" }
            h2 { "申请" }
            p {
                label { "提交渠道 "
                    select name="channel" {
                        @for c in Channel::ALL {
                            option value=(serde_name(&c)) selected[serde_name(&c) == f.channel] { (c.label_zh()) }
                        }
                    }
                }
                label { "收到申请之日 " input type="date" name="received_on" value=(f.received_on) required; }
            }
            details {
                summary { "如何确定收到申请之日（条例第三十一条）" }
                ul { @for c in Channel::ALL { li { b { (c.label_zh()) } "：" (c.receipt_rule_zh()) } } }
            }
            p {
                label for="description" { "所需政府信息的名称、文号或者便于查询的其他特征性描述" } br;
                textarea #description name="description" rows="4" cols="80" required maxlength="5000" { (f.description) }
            }
            p {
                label { "获取信息的方式 "
                    select name="delivery" {
                        option value="" selected[f.delivery.is_empty()] { "（未指定）" }
                        @for d in DELIVERY_OPTIONS { option value=(d) selected[*d == f.delivery] { (d) } }
                    }
                }
            }
            p { label { "备注 " input type="text" name="note" value=(f.note) size="60" maxlength="1000"; } }
            p { button type="submit" { "登记并生成查询码" } }
        }
    };
    shell(
        &desk.staff,
        &desk.agency,
        "/console/requests/new",
        "登记申请",
        body,
    )
}

/// The optional e-mail field: bounded, and with an `@` when given.
fn email_field(value: &str) -> Result<Option<String>, String> {
    let email = limited("电子邮箱", value, 100)?;
    if let Some(e) = &email {
        if !e.contains('@') {
            return Err(format!("电子邮箱“{e}”格式不正确"));
        }
    }
    Ok(email)
}

fn limited(label: &str, value: &str, max: usize) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(format!("{label}过长（最多 {max} 字）"));
    }
    Ok(Some(v.to_string()).filter(|s| !s.is_empty()))
}

/// The pseudonymous applicant key stored in the request JSON instead of the 证件号码: the same
/// number always gives the same key (so 按件 fees count the applicant's requests of a month),
/// but the number itself stays in the private columns.
pub fn applicant_key(id_number: Option<&str>) -> Option<String> {
    let normalized: String = id_number?
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    if normalized.is_empty() {
        None
    } else {
        Some(format!("key:{}", &sha256_hex(normalized.as_bytes())[..20]))
    }
}

/// What intake stores: the `Received` event and the private data.
pub struct Intake {
    pub event: Event,
    pub private: ApplicantPrivate,
}

fn validate_intake(f: &IntakeForm, by: &str, today: Date) -> Result<Intake, String> {
    let kind: ApplicantType =
        from_serde_name(&f.applicant_type).ok_or_else(|| "请选择申请人类型".to_string())?;
    let name = limited("申请人姓名/名称", &f.name, 100)?
        .ok_or_else(|| "请填写申请人姓名或名称".to_string())?;
    let channel: Channel =
        from_serde_name(&f.channel).ok_or_else(|| "请选择提交渠道".to_string())?;
    let received = not_future(
        "收到申请之日",
        parse_date("收到申请之日", &f.received_on)?,
        today,
    )?;
    let description = limited("申请内容", &f.description, 5000)?
        .ok_or_else(|| "请填写所需政府信息的描述".to_string())?;
    let email = email_field(&f.email)?;
    let private = ApplicantPrivate {
        id_number: limited("证件号码", &f.id_number, 60)?,
        phone: limited("联系电话", &f.phone, 60)?,
        address: limited("通讯地址", &f.address, 200)?,
        email,
        delivery: limited("获取信息的方式", &f.delivery, 60)?,
    };
    let applicant = Applicant {
        kind,
        name,
        identity: applicant_key(private.id_number.as_deref()),
        contact: None,
    };
    let mut event = Event::new(
        received,
        by,
        EventKind::Received {
            channel,
            applicant,
            description,
        },
    );
    if let Some(note) = limited("备注", &f.note, 1000)? {
        event = event.with_note(note);
    }
    Ok(Intake { event, private })
}

/// Store a new request under a fresh tracking code (year of receipt), retrying when a code is
/// taken; write the audit entry. Returns the code.
#[allow(clippy::too_many_arguments)]
pub fn store_new_request(
    store: &dyn Store,
    agency: AgencyId,
    mut request: Request,
    private: &ApplicantPrivate,
    source: RequestSource,
    user: Option<UserId>,
    fingerprint: Option<&str>,
    codes: &[String],
    audit: (&str, &str),
) -> Result<String, StoreError> {
    for code in codes {
        request.id = RequestId(code.clone());
        let new = NewRequest {
            agency,
            request: &request,
            private,
            source,
            recorded_by: user,
            attachments: &[],
            fingerprint,
        };
        match store.create_request(&new) {
            Ok(()) => {
                store.audit(user, Some(agency), audit.0, code, audit.1)?;
                return Ok(code.clone());
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict(
        "无法生成未被占用的查询码，请重试".into(),
    ))
}

/// Candidate tracking codes for a request received in `year`.
pub fn candidate_codes(year: i32) -> Result<Vec<String>, AppError> {
    (0..8).map(|_| tracking_code(year)).collect()
}

pub async fn intake(
    State(state): State<AppState>,
    desk: Desk,
    Form(form): Form<IntakeForm>,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    desk.staff.check_csrf(&form.csrf)?;
    let bad = |msg: &str| {
        with_status(
            StatusCode::BAD_REQUEST,
            intake_page(&desk, &form, Some(msg)),
        )
    };
    let intake = match validate_intake(&form, &desk.staff.user.display_name, today()) {
        Ok(i) => i,
        Err(msg) => return Ok(bad(&msg)),
    };
    let received = intake.event.at;
    let request = match Request::receive(
        RequestId(String::new()),
        intake.event,
        &super::calendar(&state),
    ) {
        Ok(r) => r,
        Err(e) => return Ok(bad(&e.to_string())),
    };
    let codes = candidate_codes(received.year())?;
    let (agency, user) = (desk.agency.id, desk.staff.user.id);
    let detail = format!(
        "{}（{}），收到日期{}",
        request.applicant.name,
        request.applicant.kind.label_zh(),
        received
    );
    let private = intake.private;
    let code = state
        .db(move |s| {
            store_new_request(
                s,
                agency,
                request,
                &private,
                RequestSource::Staff,
                Some(user),
                None,
                &codes,
                ("request.create", &detail),
            )
        })
        .await?;
    Ok(Redirect::to(&format!("{}?ok=created", super::request_path(&code))).into_response())
}

#[derive(Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    ok: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let ok = q.ok.as_deref().map(|a| match a {
        "created" => format!("已登记申请，查询码 {code}，请告知申请人。"),
        "attached" => "已保存附件。".to_string(),
        "contact" => "已保存联系方式。".to_string(),
        "applicant" => "已更正申请人信息。".to_string(),
        other => match from_serde_name::<Action>(other) {
            Some(action) => format!("已登记“{}”。", action.label_zh()),
            None => "已保存。".to_string(),
        },
    });
    render_detail(&state, &staff, &code, None, ok).await
}

/// The detail page, with an error (and its status) or a success message.
async fn render_detail(
    state: &AppState,
    staff: &Staff,
    code: &str,
    error: Option<(StatusCode, String)>,
    ok: Option<String>,
) -> Result<Response, AppError> {
    let c = code.to_string();
    let (stored, events, users) = state
        .db(move |s| Ok((s.request(&c)?, s.request_events(&c)?, s.users()?)))
        .await?;
    let stored = stored.ok_or_else(|| AppError::NotFound(format!("申请 {code}")))?;
    let agency_id = stored.agency;
    auth::ensure_unit_in_scope(state, &staff.user, agency_id).await?;
    let agency = state
        .db(move |s| s.agency(agency_id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("单位 {agency_id}")))?;
    let r = &stored.request;
    let allowed = r.allowed_actions();
    // The 按件 ordinal the fee notice form suggests: this applicant's requests of the month.
    let nth = if allowed.contains(&Action::ServeFeeNotice) {
        let (y, m) = (r.received_on.year(), r.received_on.month());
        match Date::new(y, m, days_in_month(y, m)) {
            Ok(month_end) => {
                let all = state
                    .db(move |s| s.requests_received_until(agency_id, month_end))
                    .await?;
                nth_request_in_month(&all, &r.id)
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let names: HashMap<UserId, String> =
        users.into_iter().map(|u| (u.id, u.display_name)).collect();
    let today = today();
    let cal = super::calendar(state);
    let mark = r
        .clock
        .due_date()
        .map(|d| urgency(&cal, today, d))
        .unwrap_or(Urgency::Normal);
    let p = &stored.private;
    let can_act = staff.user.role.allows(Role::Supervisor);
    // Whether the applicant can follow this request on the portal with its code.
    let trackable = match stored.source {
        RequestSource::Online => true,
        RequestSource::Staff => super::is_public_staff_code(&r.id.0),
        RequestSource::Ledger => false,
    } && crate::portal::agency(state)
        .await
        .is_ok_and(|a| a.id == stored.agency);
    let status = error.as_ref().map(|(s, _)| *s).unwrap_or(StatusCode::OK);
    let body = html! {
        h1 { "申请 " code #code { (r.id) } " " span.muted { (r.status.label_zh()) } }
        @if let Some((_, e)) = &error { (flash_error(e)) }
        @if let Some(m) = &ok { (flash_ok(m)) }
        @if trackable {
            p.muted #trackable { "申请人可凭此查询码在政府信息公开门户（" a href={ "/public/track?code=" (r.id) } { "/public/track" } "）查询办理进度。" }
        }
        div.box #due {
            h2 { "答复期限" }
            @match &r.clock {
                Clock::Running { due } => {
                    p { b #due-date { (due.due()) } " " (urgency_mark(mark)) }
                    p #due-explanation { (due.explain_zh()) }
                }
                other => { p #due-explanation { (other.describe_zh()) } }
            }
            @if let Some(c) = &r.correction {
                p { "补正：" (c.requested_on) " 告知，补正期限至 " (c.reply_by)
                    @if let Some(d) = c.corrected_on { "，" (d) " 收到补正" } }
            }
            @for c in &r.consultations {
                p { (c.kind.label_zh()) "：" (c.party) "，" (c.started_on) " 发出"
                    @if let Some(d) = c.reply_due { "，应于 " (d) " 前答复" }
                    @if let Some(d) = c.ended_on { "，" (d) " 结束" } }
            }
            @if let Some(e) = &r.extension {
                p { "延期：" (e.approved_on) " 批准延长 " (e.working_days) " 个工作日" }
            }
            @if let Some(f) = &r.fee {
                p { "收费：" (f.noticed_on) " 发出通知，" (f.calculation.explain_zh())
                    @if let Some(d) = f.pay_by { " 缴费期限至 " (d) "。" }
                    @if let Some(d) = f.paid_on { " " (d) " 已缴费。" } }
            }
            @if let Some((d, o)) = r.concluded() { p { "办理结果：" b { (o.label_zh()) } "（" (d) "）" } }
            @if let Some(d) = r.delivered_on { p { "送达：" (d) } }
        }
        div.box #applicant {
            h2 { "申请人与申请内容" }
            table.grid {
                tr { th { "申请人类型" } td { (r.applicant.kind.label_zh()) } }
                tr { th { "姓名/名称" } td { (r.applicant.name) } }
                tr { th { "证件号码" } td { (p.id_number.clone().unwrap_or_default()) } }
                tr { th { "联系电话" } td { (p.phone.clone().unwrap_or_default()) } }
                tr { th { "通讯地址" } td { (p.address.clone().unwrap_or_default()) } }
                tr { th { "电子邮箱" } td { (p.email.clone().unwrap_or_default()) } }
                tr { th { "获取信息的方式" } td { (p.delivery.clone().unwrap_or_default()) } }
                tr { th { "提交渠道" } td { (r.channel.label_zh()) " " span.muted { "（" (r.channel.receipt_rule_zh()) "）" } } }
                tr { th { "收到申请之日" } td { (r.received_on) } }
                tr { th { "登记来源" } td { (source_label(stored.source)) " · " (ui::format_time(stored.created_at)) } }
                tr { th { "单位" } td { a href=(super::href(agency.id, "/console")) { (agency.name) } } }
            }
            pre.narrative #description { (r.description) }
            @if can_act {
                details #contact {
                    summary { "修改联系方式" }
                    form method="post" action={ (super::request_path(&r.id.0)) "/contact" } {
                        (ui::csrf_field(staff))
                        p {
                            label { "联系电话 " input type="text" name="phone" value=(p.phone.clone().unwrap_or_default()) maxlength="60"; }
                            label { "电子邮箱 " input type="text" name="email" value=(p.email.clone().unwrap_or_default()) maxlength="100"; }
                        }
                        p { label { "通讯地址 " input type="text" name="address" value=(p.address.clone().unwrap_or_default()) size="40" maxlength="200"; } }
                        p { label { "获取信息的方式 "
                            select name="delivery" {
                                option value="" selected[p.delivery.is_none()] { "（未指定）" }
                                @for d in DELIVERY_OPTIONS { option value=(d) selected[p.delivery.as_deref() == Some(*d)] { (d) } }
                                @if let Some(other) = p.delivery.as_deref().filter(|d| !DELIVERY_OPTIONS.contains(d)) {
                                    option value=(other) selected { (other) }
                                }
                            }
                        } }
                        p.muted { "申请人姓名和类型的更正见下方；证件号码以登记时为准（关系到按件计收的次数）。" }
                        button.secondary type="submit" { "保存联系方式" }
                    }
                }
                details #correct-applicant {
                    summary { "更正申请人姓名或类型" }
                    form method="post" action={ (super::request_path(&r.id.0)) "/applicant" } {
                        (ui::csrf_field(staff))
                        input type="hidden" name="expected" value=(r.log.len());
                        p {
                            label { "申请人类型 "
                                select name="applicant_type" {
                                    @for t in ApplicantType::ALL {
                                        option value=(serde_name(&t)) selected[t == r.applicant.kind] { (t.label_zh()) }
                                    }
                                }
                            }
                            label { "姓名/名称 " input type="text" name="name" value=(r.applicant.name) required maxlength="100"; }
                        }
                        p { label { "更正原因 " input type="text" name="note" size="50" maxlength="1000" required placeholder="例如：登记时误选类型"; } }
                        p.muted { "更正记入办理记录（不改动原登记事件）；申请人类型决定年度报告表三中计入的栏目。" }
                        button.secondary type="submit" { "更正" }
                    }
                }
            }
        }
        div.box #attachments {
            h2 { "附件" }
            @if stored.attachments.is_empty() {
                p.muted { "没有附件。" }
            } @else {
                ul {
                    @for a in &stored.attachments {
                        li {
                            a href={ (super::request_path(&r.id.0)) "/attachments/" (a.id) } { (a.file_name) }
                            " " span.muted { "（" (ui::file_size(a.size)) "）" }
                        }
                    }
                }
            }
            @if can_act {
                form method="post" enctype="multipart/form-data"
                    action={ (super::request_path(&r.id.0)) "/attachments" } {
                    (ui::csrf_field(staff))
                    label { "添加附件（申请书扫描件、身份证明等） "
                        input type="file" name="files" multiple required
                            accept=".pdf,.jpg,.jpeg,.png,.docx,.txt"; }
                    " " button.secondary type="submit" { "上传" }
                    span.muted { " PDF、JPG、PNG、DOCX、TXT，每次合计不超过 "
                        (super::attachments::MAX_UPLOAD_BYTES / 1024 / 1024) " MB，每个申请最多 "
                        (super::attachments::MAX_PER_REQUEST) " 个。" }
                }
            }
        }
        h2 { "办理记录" }
        (timeline(&events, r, &names))
        h2 { "下一步办理" }
        @if allowed.is_empty() {
            p.muted { "本申请已办结，没有可执行的操作。" }
        } @else if !can_act {
            p.muted { "可执行的操作：" (allowed.iter().map(|a| a.label_zh()).collect::<Vec<_>>().join("、")) "（需要“监督”角色）。" }
        } @else {
            p.muted { "依条例，当前可执行的操作如下。办理日期不能早于上一事件（" (r.last_event_on()) "），也不能晚于今天（" (today) "）。" }
            @for a in &allowed { (action_form(staff, r, *a, today, nth)) }
        }
    };
    let page = shell(staff, &agency, "/console", &format!("申请 {}", r.id), body);
    Ok(with_status(status, page))
}

fn source_label(s: RequestSource) -> &'static str {
    match s {
        RequestSource::Staff => "工作人员登记",
        RequestSource::Online => "网上申请",
        RequestSource::Ledger => "台账导入",
    }
}

/// What an event did, in a sentence.
pub fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::Received {
            channel, applicant, ..
        } => format!(
            "收到申请（{}提交；申请人：{}，{}）",
            channel.label_zh(),
            applicant.name,
            applicant.kind.label_zh()
        ),
        EventKind::CorrectionRequested { reply_by } => {
            format!("告知补正，补正期限至{reply_by}")
        }
        EventKind::Corrected => "收到补正后的申请，答复期限重新计算".into(),
        EventKind::CorrectionLapsed => "申请人逾期未补正，视为放弃申请".into(),
        EventKind::ConsultationStarted { kind, party } => {
            format!("{}：{party}", kind.label_zh())
        }
        EventKind::ConsultationEnded => "征求意见结束".into(),
        EventKind::ExtensionApproved { working_days } => {
            format!("经批准延长答复期限{working_days}个工作日")
        }
        EventKind::FeeNoticeServed { basis } => {
            format!("发出收费通知：{}", fees::compute(*basis).explain_zh())
        }
        EventKind::FeePaid => "申请人已缴费".into(),
        EventKind::FeeLapsed => "申请人逾期未缴费，视为放弃申请".into(),
        EventKind::Answered { outcome } => format!("作出答复：{}", outcome.label_zh()),
        EventKind::Delivered => "答复已送达申请人".into(),
        EventKind::Withdrawn => "申请人撤回申请".into(),
        EventKind::ApplicantCorrected { kind, name } => {
            format!("更正申请人登记信息：{name}，{}", kind.label_zh())
        }
    }
}

fn timeline(
    events: &[gongkai_store::StoredEvent],
    r: &Request,
    names: &HashMap<UserId, String>,
) -> Markup {
    // The store's rows carry who recorded each event and when; the request log is the
    // fallback should they be missing.
    type Row = (LoggedEvent, Option<(Option<UserId>, i64)>);
    let rows: Vec<Row> = if events.is_empty() {
        r.log.iter().map(|l| (l.clone(), None)).collect()
    } else {
        events
            .iter()
            .filter_map(|e| {
                serde_json::from_value::<LoggedEvent>(e.event.clone())
                    .ok()
                    .map(|l| (l, Some((e.recorded_by, e.recorded_at))))
            })
            .collect()
    };
    html! {
        table.grid #timeline {
            thead { tr {
                th { "#" } th { "日期" } th { "事项" } th { "经办人" } th { "备注" }
                th { "此后答复期限" } th { "登记人 / 登记时间" }
            } }
            tbody {
                @for (l, rec) in &rows {
                    tr {
                        td.num { (l.seq) }
                        td { (l.event.at) }
                        td { (describe(&l.event.kind)) }
                        td { (l.event.by) }
                        td { (l.event.note.clone().unwrap_or_default()) }
                        td { @if let Some(d) = l.due_after { (d) } @else { span.muted { "—" } } }
                        td {
                            @if let Some((by, at)) = rec {
                                (by.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "—".into()))
                                " / " (ui::format_time(*at))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The form of one allowed action, with the fields it needs.
fn action_form(
    staff: &Staff,
    r: &Request,
    action: Action,
    today: Date,
    nth: Option<u32>,
) -> Markup {
    let corrected = r.correction.as_ref().and_then(|c| c.corrected_on).is_some();
    let action_name = serde_name(&action);
    html! {
        form.box.action method="post" action={ (super::request_path(&r.id.0)) "/events" } data-action=(action_name) {
            h3 { (action.label_zh()) }
            (ui::csrf_field(staff))
            input type="hidden" name="action" value=(action_name);
            input type="hidden" name="expected" value=(r.log.len());
            label { (date_label(action)) " " input type="date" name="date" value=(today) required; }
            @match action {
                Action::RequestCorrection => {
                    label { "补正期限 " input type="date" name="reply_by" required; }
                    p.muted { "应自收到申请之日起7个工作日内一次性告知需要补正的事项和合理的补正期限（条例第三十条）。" }
                }
                Action::StartConsultation => {
                    label { "类型 " select name="consultation" {
                        @for k in [ConsultationKind::ThirdParty, ConsultationKind::InterAgency] {
                            option value=(serde_name(&k)) { (k.label_zh()) }
                        }
                    } }
                    label { "征求对象 " input type="text" name="party" required maxlength="100"; }
                    p.muted { "征求意见所需时间不计算在答复期限内；第三方应自收到征求意见书之日起15个工作日内提出意见（条例第三十二条）。" }
                }
                Action::ApproveExtension => {
                    label { "延长工作日数 " input type="number" name="working_days" min="1" max="20" value="20" required; }
                    p.muted { "经政府信息公开工作机构负责人同意，可以延长一次，延长期限最长不超过20个工作日（条例第三十三条）。" }
                }
                Action::ServeFeeNotice => {
                    label { "计收方式 " select name="basis" {
                        option value="per_request" { "按件计收" }
                        option value="per_page" { "按量计收" }
                    } }
                    label { "按件：本月第几件 " input type="number" name="nth_in_month" min="1" value=(nth.map(|n| n.to_string()).unwrap_or_default()); }
                    label { "按量：页数 " input type="number" name="pages" min="1"; }
                    @if let Some(n) = nth { p.muted { "按登记簿，本申请是该申请人本月第 " (n) " 件申请。" } }
                    p.muted { "按件：同一申请人一个自然月内前10件免费，11—30件每件100元，其后每10件每件加收100元；按量：30页以内免费，31—100页每页10元，101—200页每页20元，201页以上每页40元（国办函〔2020〕109号）。" }
                }
                Action::Answer => {
                    label { "办理结果 " select name="outcome" required {
                        option value="" { "（请选择）" }
                        @for group in ["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"] {
                            optgroup label=(group) {
                                @for o in Outcome::ALL.iter().filter(|o| o.group_zh() == group && o.is_answerable()) {
                                    @if *o != Outcome::UnavailableUnclear || corrected {
                                        option value=(o.id()) { (o.label_zh()) }
                                    }
                                }
                            }
                        }
                    } }
                }
                _ => {}
            }
            label { "备注 " input type="text" name="note" size="40" maxlength="1000"; }
            button type="submit" { (action.label_zh()) }
        }
    }
}

fn date_label(a: Action) -> &'static str {
    match a {
        Action::RequestCorrection => "告知日期",
        Action::RecordCorrection => "收到补正之日",
        Action::StartConsultation => "发出征求意见之日",
        Action::EndConsultation => "收到意见（或期满）之日",
        Action::ApproveExtension => "批准日期",
        Action::ServeFeeNotice => "通知日期",
        Action::RecordPayment => "缴费日期",
        Action::Answer => "答复日期",
        Action::Deliver => "送达日期",
        Action::Withdraw => "撤回日期",
        Action::MarkCorrectionLapsed | Action::MarkFeeLapsed => "登记日期",
    }
}

#[derive(Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    expected: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    working_days: String,
    #[serde(default)]
    consultation: String,
    #[serde(default)]
    party: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    nth_in_month: String,
    #[serde(default)]
    pages: String,
    #[serde(default)]
    reply_by: String,
}

fn parse_count(label: &str, value: &str) -> Result<u32, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("请填写{label}"));
    }
    v.parse::<u32>()
        .map_err(|_| format!("{label}“{v}”不是有效的整数"))
}

/// The event a form describes (input errors only; the law is checked by `apply`).
pub fn build_event(f: &EventForm, action: Action, by: &str, today: Date) -> Result<Event, String> {
    let at = not_future(
        date_label(action),
        parse_date(date_label(action), &f.date)?,
        today,
    )?;
    let kind = match action {
        Action::RequestCorrection => EventKind::CorrectionRequested {
            reply_by: parse_date("补正期限", &f.reply_by)?,
        },
        Action::RecordCorrection => EventKind::Corrected,
        Action::MarkCorrectionLapsed => EventKind::CorrectionLapsed,
        Action::StartConsultation => {
            let kind: ConsultationKind = from_serde_name(&f.consultation)
                .ok_or_else(|| "请选择征求意见的类型".to_string())?;
            let party = limited("征求对象", &f.party, 100)?
                .ok_or_else(|| "请填写征求意见的对象".to_string())?;
            EventKind::ConsultationStarted { kind, party }
        }
        Action::EndConsultation => EventKind::ConsultationEnded,
        Action::ApproveExtension => EventKind::ExtensionApproved {
            working_days: parse_count("延长工作日数", &f.working_days)?,
        },
        Action::ServeFeeNotice => EventKind::FeeNoticeServed {
            basis: match f.basis.as_str() {
                "per_request" => FeeBasis::PerRequest {
                    nth_in_month: parse_count("本月第几件", &f.nth_in_month)?,
                },
                "per_page" => FeeBasis::PerPage {
                    pages: parse_count("页数", &f.pages)?,
                },
                _ => return Err("请选择计收方式（按件或按量）".into()),
            },
        },
        Action::RecordPayment => EventKind::FeePaid,
        Action::MarkFeeLapsed => EventKind::FeeLapsed,
        Action::Answer => EventKind::Answered {
            outcome: Outcome::from_id(f.outcome.trim())
                .ok_or_else(|| "请选择办理结果".to_string())?,
        },
        Action::Deliver => EventKind::Delivered,
        Action::Withdraw => EventKind::Withdrawn,
    };
    let mut event = Event::new(at, by, kind);
    if let Some(note) = limited("备注", &f.note, 1000)? {
        event = event.with_note(note);
    }
    Ok(event)
}

/// 409 for what the law does not allow in this state; 400 for bad input (dates out of order …).
fn status_of(e: &RequestError) -> StatusCode {
    match e {
        RequestError::NotAllowed { .. }
        | RequestError::Forbidden { .. }
        | RequestError::AlreadyReceived(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A request about to be changed by a form: the user may change registers (Supervisor), the
/// form is this session's (CSRF), the request exists and its unit is in the user's 单位范围.
async fn request_to_change(
    state: &AppState,
    staff: &Staff,
    code: &str,
    csrf: &str,
) -> Result<gongkai_store::StoredRequest, AppError> {
    staff.require(Role::Supervisor)?;
    staff.check_csrf(csrf)?;
    request_in_scope(state, staff, code).await
}

/// The stored request `code`, if its unit lies in the user's 单位范围 (`NotFound` for an
/// unknown code, `OutOfScope` for another unit's request).
pub async fn request_in_scope(
    state: &AppState,
    staff: &Staff,
    code: &str,
) -> Result<gongkai_store::StoredRequest, AppError> {
    let c = code.to_string();
    let stored = state
        .db(move |s| s.request(&c))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("申请 {code}")))?;
    auth::ensure_unit_in_scope(state, &staff.user, stored.agency).await?;
    Ok(stored)
}

#[derive(Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    delivery: String,
}

/// `POST /console/requests/{code}/contact`: the applicant's new phone, e-mail, address or
/// delivery preference. The 证件号码 stays (it keys the 按件 fee count).
pub async fn update_contact(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    let stored = request_to_change(&state, &staff, &code, &form.csrf).await?;
    let fields = (|| -> Result<ApplicantPrivate, String> {
        Ok(ApplicantPrivate {
            id_number: stored.private.id_number.clone(),
            phone: limited("联系电话", &form.phone, 60)?,
            address: limited("通讯地址", &form.address, 200)?,
            email: email_field(&form.email)?,
            delivery: limited("获取信息的方式", &form.delivery, 60)?,
        })
    })();
    let private = match fields {
        Ok(p) => p,
        Err(msg) => {
            return render_detail(
                &state,
                &staff,
                &code,
                Some((StatusCode::BAD_REQUEST, msg)),
                None,
            )
            .await
        }
    };
    // Which fields changed, for the audit log (names only: the values are personal data).
    let old = &stored.private;
    let changed: Vec<&str> = [
        ("联系电话", old.phone != private.phone),
        ("电子邮箱", old.email != private.email),
        ("通讯地址", old.address != private.address),
        ("获取信息的方式", old.delivery != private.delivery),
    ]
    .iter()
    .filter(|(_, c)| *c)
    .map(|(n, _)| *n)
    .collect();
    if !changed.is_empty() {
        let (user, agency, c) = (staff.user.id, stored.agency, code.clone());
        let detail = format!("修改{}", changed.join("、"));
        state
            .db(move |s| {
                s.update_request_private(&c, &private)?;
                s.audit(Some(user), Some(agency), "request.contact", &c, &detail)
            })
            .await?;
    }
    Ok(Redirect::to(&format!("{}?ok=contact", super::request_path(&code))).into_response())
}

#[derive(Deserialize, Default)]
pub struct ApplicantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    expected: String,
    #[serde(default)]
    applicant_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/requests/{code}/applicant`: correct the applicant's name or type with an
/// `ApplicantCorrected` event (the log stays append-only; the original `Received` is kept).
pub async fn correct_applicant(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(form): Form<ApplicantForm>,
) -> Result<Response, AppError> {
    let stored = request_to_change(&state, &staff, &code, &form.csrf).await?;
    let refuse = |status: StatusCode, msg: String| {
        let (state, staff, code) = (&state, &staff, &code);
        async move { render_detail(state, staff, code, Some((status, msg)), None).await }
    };
    let old_len = stored.request.log.len();
    if form.expected.trim().parse::<usize>().ok() != Some(old_len) {
        return refuse(
            StatusCode::CONFLICT,
            "该申请在你打开页面后已有新的办理记录，本次更正未保存；请查看最新状态后重新操作。"
                .into(),
        )
        .await;
    }
    let fields = (|| -> Result<Event, String> {
        let kind: ApplicantType =
            from_serde_name(&form.applicant_type).ok_or_else(|| "请选择申请人类型".to_string())?;
        let name = limited("申请人姓名/名称", &form.name, 100)?
            .ok_or_else(|| "请填写申请人姓名或名称".to_string())?;
        let note =
            limited("更正原因", &form.note, 1000)?.ok_or_else(|| "请填写更正原因".to_string())?;
        Ok(Event::new(
            today(),
            staff.user.display_name.clone(),
            EventKind::ApplicantCorrected { kind, name },
        )
        .with_note(note))
    })();
    let event = match fields {
        Ok(e) => e,
        Err(msg) => return refuse(StatusCode::BAD_REQUEST, msg).await,
    };
    let mut updated = stored.request.clone();
    if let Err(e) = updated.apply(event, &super::calendar(&state)) {
        return refuse(StatusCode::BAD_REQUEST, e.to_string()).await;
    }
    let (user, agency, c) = (staff.user.id, stored.agency, code.clone());
    let saved = state
        .db(move |s| {
            s.append_request_events(&c, old_len, &updated, Some(user))?;
            s.audit(
                Some(user),
                Some(agency),
                "request.applicant",
                &c,
                "更正申请人姓名或类型",
            )
        })
        .await;
    match saved {
        Ok(()) => Ok(
            Redirect::to(&format!("{}?ok=applicant", super::request_path(&code))).into_response(),
        ),
        Err(AppError::Conflict(_)) => {
            refuse(
                StatusCode::CONFLICT,
                "该申请刚刚有了新的办理记录，本次更正未保存；请查看最新状态后重新操作。".into(),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn event(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(form): Form<EventForm>,
) -> Result<Response, AppError> {
    let stored = request_to_change(&state, &staff, &code, &form.csrf).await?;
    let agency = stored.agency;
    let refuse = |status: StatusCode, msg: String| {
        let (state, staff, code) = (&state, &staff, &code);
        async move { render_detail(state, staff, code, Some((status, msg)), None).await }
    };
    let Some(action) = from_serde_name::<Action>(&form.action) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("未知的办理操作“{}”", form.action),
        )
        .await;
    };
    let old_len = stored.request.log.len();
    if let Ok(expected) = form.expected.trim().parse::<usize>() {
        if expected != old_len {
            return refuse(
                StatusCode::CONFLICT,
                "该申请在你打开页面后已有新的办理记录，本次操作未保存；请查看最新状态后重新办理。"
                    .into(),
            )
            .await;
        }
    }
    let event = match build_event(&form, action, &staff.user.display_name, today()) {
        Ok(e) => e,
        Err(msg) => return refuse(StatusCode::BAD_REQUEST, msg).await,
    };
    let mut updated = stored.request.clone();
    if let Err(e) = updated.apply(event, &super::calendar(&state)) {
        return refuse(status_of(&e), e.to_string()).await;
    }
    let detail = updated
        .log
        .last()
        .map(|l| format!("{}：{}", l.event.at, describe(&l.event.kind)))
        .unwrap_or_default();
    let user = staff.user.id;
    let c = code.clone();
    let saved = state
        .db(move |s| {
            s.append_request_events(&c, old_len, &updated, Some(user))?;
            s.audit(Some(user), Some(agency), "request.event", &c, &detail)
        })
        .await;
    match saved {
        Ok(()) => Ok(Redirect::to(&format!(
            "{}?ok={}",
            super::request_path(&code),
            serde_name(&action)
        ))
        .into_response()),
        Err(AppError::Conflict(_)) => {
            refuse(
                StatusCode::CONFLICT,
                "该申请刚刚被他人办理，本次操作未保存；请查看最新状态后重新办理。".into(),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(action: &str, date: &str) -> EventForm {
        EventForm {
            action: action.into(),
            date: date.into(),
            ..EventForm::default()
        }
    }

    #[test]
    fn events_from_forms() {
        let today = Date::parse("2024-06-01").unwrap();
        let mut f = form("answer", "2024-05-20");
        f.outcome = "partially_disclosed".into();
        f.note = " 附件3页 ".into();
        let e = build_event(&f, Action::Answer, "李四", today).unwrap();
        assert_eq!(
            e.kind,
            EventKind::Answered {
                outcome: Outcome::PartiallyDisclosed
            }
        );
        assert_eq!(e.note.as_deref(), Some("附件3页"));
        f.outcome.clear();
        assert_eq!(
            build_event(&f, Action::Answer, "李四", today).unwrap_err(),
            "请选择办理结果"
        );
        let err = build_event(
            &form("deliver", "2024-02-30"),
            Action::Deliver,
            "李四",
            today,
        )
        .unwrap_err();
        assert!(err.contains("2024年2月只有29天"), "{err}");
        let err = build_event(
            &form("deliver", "2024-06-02"),
            Action::Deliver,
            "李四",
            today,
        )
        .unwrap_err();
        assert!(err.contains("晚于今天"), "{err}");
        let mut f = form("serve_fee_notice", "2024-05-20");
        f.basis = "per_page".into();
        f.pages = "250".into();
        let e = build_event(&f, Action::ServeFeeNotice, "李四", today).unwrap();
        assert_eq!(
            e.kind,
            EventKind::FeeNoticeServed {
                basis: FeeBasis::PerPage { pages: 250 }
            }
        );
        let mut f = form("approve_extension", "2024-05-20");
        f.working_days = "二十".into();
        assert!(build_event(&f, Action::ApproveExtension, "李四", today)
            .unwrap_err()
            .contains("不是有效的整数"));
    }

    #[test]
    fn intake_validation() {
        let today = Date::parse("2024-06-01").unwrap();
        let f = IntakeForm {
            applicant_type: "commercial".into(),
            name: "某某有限公司".into(),
            id_number: "91 110000 MA0000000X".into(),
            channel: "post".into(),
            received_on: "2024/5/6".into(),
            description: "2023年度某项目资金分配情况".into(),
            email: "a@example.com".into(),
            ..IntakeForm::default()
        };
        let i = validate_intake(&f, "王五", today).unwrap();
        assert_eq!(i.event.at.to_string(), "2024-05-06");
        let EventKind::Received { applicant, .. } = &i.event.kind else {
            panic!()
        };
        assert_eq!(applicant.kind, ApplicantType::Commercial);
        // The number itself is not in the request JSON, only its key.
        let key = applicant.identity.clone().unwrap();
        assert!(key.starts_with("key:") && !key.contains("MA0000000X"));
        assert_eq!(applicant_key(Some("91110000ma0000000x")), Some(key));
        assert_eq!(i.private.id_number.as_deref(), Some("91 110000 MA0000000X"));
        let mut bad = f.clone();
        bad.name = "  ".into();
        assert_eq!(
            validate_intake(&bad, "王五", today).err().unwrap(),
            "请填写申请人姓名或名称"
        );
        let mut bad = f.clone();
        bad.received_on = "2023-02-29".into();
        assert!(validate_intake(&bad, "王五", today)
            .err()
            .unwrap()
            .contains("2023年2月只有28天"));
        let mut bad = f;
        bad.email = "nobody".into();
        assert!(validate_intake(&bad, "王五", today).is_err());
    }
}
