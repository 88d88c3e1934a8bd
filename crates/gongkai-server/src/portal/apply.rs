//! 依申请公开: the request form, its checks, and the receipt.
//!
//! The form asks for what Art. 29 of the 条例 requires — (一) the applicant's name, proof of
//! identity and contact details; (二) a description of the information sought; (三) the form
//! and manner of delivery — plus the applicant type (the columns of table 三) and optional
//! attachments. A submission passes, in this order: the per-address rate limit (429), the
//! CSRF double-submit cookie (403), the attachment limits (413: size; 400: type, checked on the
//! bytes), the fields and the challenge (400, the form shown again with the entries kept), then
//! duplicate detection — the same applicant with the same description within 24 hours is sent
//! to the receipt of the request already stored. A new request is stored with its `Received`
//! event (channel 网络, received today: Art. 31, the portal's automatic confirmation is the
//! 双方确认), so its statutory due date is computed by the core's calendar at once and shown on
//! the receipt. Nothing is stored unless every check passes.

use super::{
    client_key, enc, minutes_left, page, portal, today, within_limit, Portal, PortalError,
};
use crate::auth;
use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_core::lifecycle::{
    Applicant, ApplicantType, Channel, Event, EventKind, Request, RequestId,
};
use gongkai_store::{ApplicantPrivate, NewRequest, RequestSource, StoreError, StoredRequest};
use hmac::{Hmac, KeyInit, Mac};
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;

/// The double-submit cookie of the anonymous form.
pub const PORTAL_CSRF_COOKIE: &str = "gk_portal_csrf";
/// Who the `Received` event names as having recorded it.
const RECORDED_BY: &str = "网上申请平台";

const ID_TYPES: &[&str] = &[
    "居民身份证",
    "护照",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "统一社会信用代码",
    "其他证件",
];
const MEDIA: &[&str] = &["纸质", "电子数据"];
const DELIVERIES: &[&str] = &["邮寄", "电子邮件", "当面领取", "当场阅读、抄录"];

// ── challenge ───────────────────────────────────────────────────────────────────────────────

/// An arithmetic question and the hidden token that binds its answer.
pub(crate) struct Challenge {
    pub question: String,
    pub token: String,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("随机数不可用：{e}")))?;
    Ok(b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Portal {
    fn mac(&self, message: &str) -> Hmac<sha2::Sha256> {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC takes any key");
        mac.update(message.as_bytes());
        mac
    }

    /// A new question: `a 加 b` or `a 减 b` (one digit each, never negative).
    pub(crate) fn new_challenge(&self) -> Result<Challenge, AppError> {
        let r = random_bytes::<11>()?;
        let a = 2 + i64::from(r[0] % 8);
        let b = 1 + i64::from(r[1] % 9);
        let (question, answer) = if r[2] % 2 == 0 || a < b {
            (format!("{a} 加 {b}"), a + b)
        } else {
            (format!("{a} 减 {b}"), a - b)
        };
        let expires = crate::now() + self.config().challenge_seconds;
        let nonce = hex(&r[3..11]);
        let mac = self.mac(&format!("{expires}.{nonce}.{answer}"));
        Ok(Challenge {
            question,
            token: format!("{expires}.{nonce}.{}", hex(&mac.finalize().into_bytes())),
        })
    }

    /// Check an answer against its token; a token is good for one submission only.
    pub(crate) fn check_challenge(&self, token: &str, answer: &str) -> Result<(), &'static str> {
        let answer: String = answer
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '－' => '-',
                _ => c,
            })
            .collect();
        let Ok(answer) = answer.parse::<i64>() else {
            return Err("请用阿拉伯数字填写验证题的答案");
        };
        let mut parts = token.split('.');
        let (Some(expires), Some(nonce), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("验证题已失效，请回答新的验证题");
        };
        let Ok(expires_at) = expires.parse::<i64>() else {
            return Err("验证题已失效，请回答新的验证题");
        };
        let Some(tag) = unhex(tag) else {
            return Err("验证题已失效，请回答新的验证题");
        };
        let now = crate::now();
        if expires_at < now {
            return Err("验证题已过期，请回答新的验证题");
        }
        // One attempt per question, right or wrong: guessing through the few possible
        // answers would otherwise be cheap.
        {
            let mut used = self.used_nonces.lock().unwrap_or_else(|p| p.into_inner());
            used.retain(|_, exp| *exp >= now);
            if used.len() > 1_000_000 {
                used.clear(); // bounded memory; a cleared nonce is still bound to its expiry
            }
            if used.insert(nonce.to_string(), expires_at).is_some() {
                return Err("该验证题已使用过，请回答新的验证题");
            }
        }
        if self
            .mac(&format!("{expires}.{nonce}.{answer}"))
            .verify_slice(&tag)
            .is_err()
        {
            return Err("验证题答案不正确，请重新计算");
        }
        Ok(())
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

// ── attachments ─────────────────────────────────────────────────────────────────────────────

/// The attachment types accepted, recognised by their bytes (the name is not trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    Docx,
    Txt,
}

impl FileKind {
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
            FileKind::Docx => &["docx"],
            FileKind::Txt => &["txt"],
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What the bytes are, if one of the accepted types.
pub fn detect(bytes: &[u8], file_name: &str) -> Option<FileKind> {
    if bytes.starts_with(b"%PDF-") {
        return Some(FileKind::Pdf);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(FileKind::Jpeg);
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(FileKind::Png);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // A DOCX is a ZIP whose entry names (stored uncompressed) include these two.
        return (contains(bytes, b"[Content_Types].xml") && contains(bytes, b"word/document.xml"))
            .then_some(FileKind::Docx);
    }
    // Plain text: UTF-8, or a legacy encoding (GBK) when named .txt; never control bytes.
    let controls = bytes
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C));
    let named_txt = file_name.to_lowercase().ends_with(".txt");
    if !bytes.is_empty() && !controls && (std::str::from_utf8(bytes).is_ok() || named_txt) {
        return Some(FileKind::Txt);
    }
    None
}

/// A safe display name with the extension of the detected type.
pub fn clean_file_name(raw: &str, kind: FileKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .take(80)
        .collect();
    name = name.trim().trim_start_matches('.').to_string();
    if name.is_empty() {
        name = "附件".into();
    }
    let lower = name.to_lowercase();
    if !kind
        .extensions()
        .iter()
        .any(|e| lower.ends_with(&format!(".{e}")))
    {
        name.push('.');
        name.push_str(kind.extensions()[0]);
    }
    name
}

// ── the form ────────────────────────────────────────────────────────────────────────────────

/// The entries of the form (kept when it is shown again).
#[derive(Debug, Clone, Default)]
struct Values {
    applicant_type: String,
    name: String,
    id_type: String,
    id_number: String,
    phone: String,
    email: String,
    address: String,
    postcode: String,
    description: String,
    medium: String,
    delivery: String,
    consent: bool,
}

/// Everything read from one submission.
#[derive(Default)]
struct Submission {
    values: Values,
    csrf: String,
    challenge: String,
    answer: String,
    /// `(file name as sent, bytes)`.
    files: Vec<(String, Vec<u8>)>,
    /// Bytes of all attachments together (counted even past the limit).
    attachment_bytes: usize,
    /// The body was larger than the route's limit.
    cut_off: bool,
}

fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    auth::cookie(headers, PORTAL_CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let portal = portal(&state);
    let csrf = match csrf_cookie(&headers) {
        Some(c) => c,
        None => auth::random_token()?,
    };
    let challenge = portal.new_challenge()?;
    let body = form_markup(
        &portal,
        &agency.name,
        &Values::default(),
        &[],
        &csrf,
        &challenge,
    );
    Ok(with_csrf_cookie(
        &state,
        &csrf,
        page(
            Some(&agency.name),
            "申请政府信息公开",
            "/public/apply",
            body,
        )
        .into_response(),
    ))
}

fn with_csrf_cookie(state: &AppState, csrf: &str, mut resp: Response) -> Response {
    let cookie = auth::set_cookie(state, PORTAL_CSRF_COOKIE, csrf, 2 * 3600);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn field_error<'a>(errors: &'a [(&'static str, String)], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, m)| m.as_str())
}

/// One text input with its label, hint and error.
#[allow(clippy::too_many_arguments)]
fn text_field(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    required: bool,
    hint: Option<&str>,
    autocomplete: &str,
    maxlength: usize,
    errors: &[(&'static str, String)],
) -> Markup {
    let error = field_error(errors, id);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = match (hint.is_some(), error.is_some()) {
        (true, true) => format!("{hint_id} {error_id}"),
        (true, false) => hint_id.clone(),
        (false, true) => error_id.clone(),
        (false, false) => String::new(),
    };
    html! {
        div.field {
            label for=(id) { (label) @if required { " " span.req { "（必填）" } } }
            @if let Some(e) = error { span.hint.err #(error_id) style="color:#b00020" { (e) } }
            input #(id) type=(kind) name=(id) value=(value) required[required]
                autocomplete=(autocomplete) maxlength=(maxlength)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
            @if let Some(h) = hint { span.hint #(hint_id) { (h) } }
        }
    }
}

fn radios(name: &str, options: &[(&str, &str)], checked: &str) -> Markup {
    html! {
        div.choices {
            @for (value, label) in options {
                label {
                    input type="radio" name=(name) value=(value) checked[*value == checked] required;
                    (label)
                }
            }
        }
    }
}

fn form_markup(
    portal: &Portal,
    agency: &str,
    v: &Values,
    errors: &[(&'static str, String)],
    csrf: &str,
    challenge: &Challenge,
) -> Markup {
    let config = portal.config();
    let types: Vec<(&str, String)> = ApplicantType::ALL
        .iter()
        .map(|t| {
            let label = if t.is_organisation() {
                format!("法人或其他组织 — {}", t.label_zh())
            } else {
                "公民（自然人）".to_string()
            };
            (t.id(), label)
        })
        .collect();
    let types: Vec<(&str, &str)> = types.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let media: Vec<(&str, &str)> = MEDIA.iter().map(|m| (*m, *m)).collect();
    let deliveries: Vec<(&str, &str)> = DELIVERIES.iter().map(|m| (*m, *m)).collect();
    let limit_mb = config.max_attachment_bytes / 1024 / 1024;
    html! {
        h1 { "申请政府信息公开" }
        p {
            "向 " strong { (agency) } " 申请获取政府信息。依据《中华人民共和国政府信息公开条例》第二十九条，"
            "申请应当包括申请人的姓名或者名称、身份证明、联系方式，所需政府信息的名称、文号或者便于查询的其他特征性描述，"
            "以及获取信息的形式要求。提交后您将获得一个" strong { "查询码" } "，可随时查询办理进度。"
        }
        @if !errors.is_empty() {
            div.flash.error role="alert" aria-labelledby="error-title" {
                p #error-title { strong { "申请未提交，请修改以下 " (errors.len()) " 处：" } }
                ul {
                    @for (field, message) in errors {
                        li { a href={ "#" (field) } { (message) } }
                    }
                }
                @if errors.iter().any(|(f, _)| *f != "attachments") {
                    p.small { "如选择了附件，请重新选择后再提交。" }
                }
            }
        }
        form method="post" action="/public/apply" enctype="multipart/form-data" novalidate {
            input type="hidden" name="csrf" value=(csrf);
            fieldset {
                legend { "一、申请人信息" }
                fieldset.group #applicant_type {
                    legend { "申请人类型 " span.req { "（必填）" } }
                    @if let Some(e) = field_error(errors, "applicant_type") { span.hint style="color:#b00020" { (e) } }
                    (radios("applicant_type", &types, &v.applicant_type))
                }
                (text_field("name", "姓名或名称", "text", &v.name, true,
                    Some("公民填写姓名；法人或其他组织填写单位全称"), "name", 100, errors))
                div.field {
                    label for="id_type" { "身份证明类型 " span.req { "（必填）" } }
                    select #id_type name="id_type" {
                        @for t in ID_TYPES {
                            option value=(t) selected[*t == v.id_type] { (t) }
                        }
                    }
                }
                (text_field("id_number", "证件号码", "text", &v.id_number, true,
                    Some("仅用于核实申请人身份，不会在查询页面显示"), "off", 40, errors))
                (text_field("phone", "联系电话", "tel", &v.phone, true, None, "tel", 30, errors))
                (text_field("email", "电子邮箱", "email", &v.email, false,
                    Some("选择以电子邮件获取信息时必填"), "email", 100, errors))
                (text_field("address", "通信地址", "text", &v.address, false,
                    Some("选择邮寄时必填"), "street-address", 200, errors))
                (text_field("postcode", "邮政编码", "text", &v.postcode, false, None, "postal-code", 10, errors))
            }
            fieldset {
                legend { "二、所需政府信息" }
                div.field {
                    label for="description" { "所需政府信息的名称、文号或者便于查询的其他特征性描述 " span.req { "（必填）" } }
                    @if let Some(e) = field_error(errors, "description") { span.hint #description-error style="color:#b00020" { (e) } }
                    textarea #description name="description" rows="6" maxlength="3000" required
                        aria-invalid=[field_error(errors, "description").map(|_| "true")]
                        aria-describedby="description-hint" { (v.description) }
                    span.hint #description-hint { "例如：文件名称、发文字号、形成时间、所涉事项等，描述越具体越便于查找。" }
                }
            }
            fieldset {
                legend { "三、获取信息的方式" }
                fieldset.group #medium {
                    legend { "载体形式 " span.req { "（必填）" } }
                    @if let Some(e) = field_error(errors, "medium") { span.hint style="color:#b00020" { (e) } }
                    (radios("medium", &media, &v.medium))
                }
                fieldset.group #delivery {
                    legend { "获取方式 " span.req { "（必填）" } }
                    @if let Some(e) = field_error(errors, "delivery") { span.hint style="color:#b00020" { (e) } }
                    (radios("delivery", &deliveries, &v.delivery))
                }
            }
            fieldset {
                legend { "四、附件（可选）" }
                div.field {
                    label for="attachments" { "身份证明复印件、授权委托书等" }
                    @if let Some(e) = field_error(errors, "attachments") { span.hint #attachments-error style="color:#b00020" { (e) } }
                    input #attachments type="file" name="attachments" multiple
                        accept=".pdf,.jpg,.jpeg,.png,.docx,.txt,application/pdf,image/jpeg,image/png,text/plain"
                        aria-describedby="attachments-hint";
                    span.hint #attachments-hint {
                        "支持 PDF、JPG、PNG、DOCX、TXT，最多 " (config.max_attachments) " 个，合计不超过 " (limit_mb) " MB。文件类型按内容识别。"
                    }
                }
            }
            fieldset {
                legend { "五、验证与确认" }
                div.field {
                    label for="answer" {
                        "验证题：请计算 " span #challenge-question { (challenge.question) } " 等于多少？"
                        " " span.req { "（必填，填写阿拉伯数字）" }
                    }
                    @if let Some(e) = field_error(errors, "answer") { span.hint #answer-error style="color:#b00020" { (e) } }
                    input #answer type="text" name="answer" inputmode="numeric" autocomplete="off" maxlength="4" required
                        aria-invalid=[field_error(errors, "answer").map(|_| "true")];
                    input type="hidden" name="challenge" value=(challenge.token);
                }
                div.field.choices #consent {
                    @if let Some(e) = field_error(errors, "consent") { span.hint style="color:#b00020" { (e) } }
                    label {
                        input type="checkbox" name="consent" value="yes" checked[v.consent] required;
                        "本人承诺所填信息真实、准确，知悉提供虚假信息应承担的法律责任。"
                    }
                }
            }
            p { button type="submit" { "提交申请" } }
            p.small.muted {
                "同一地址 " (config.rate_window_seconds / 60) " 分钟内最多提交 " (config.rate_limit) " 次；"
                "24 小时内重复提交内容相同的申请，将返回原申请的查询码。"
            }
        }
    }
}

fn is_valid_mainland_id(id: &str) -> bool {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 || !chars[..17].iter().all(char::is_ascii_digit) {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = chars[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    chars[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize] as char
}

fn validate(v: &Values) -> Vec<(&'static str, String)> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let len = |s: &str| s.chars().count();
    if ApplicantType::ALL
        .iter()
        .all(|t| t.id() != v.applicant_type)
    {
        errors.push(("applicant_type", "请选择申请人类型".into()));
    }
    if v.name.is_empty() {
        errors.push(("name", "请填写姓名或名称".into()));
    } else if len(&v.name) > 100 {
        errors.push(("name", "姓名或名称过长（最多 100 字）".into()));
    }
    if !ID_TYPES.contains(&v.id_type.as_str()) {
        errors.push(("id_type", "请选择身份证明类型".into()));
    }
    if v.id_number.is_empty() {
        errors.push(("id_number", "请填写证件号码".into()));
    } else if v.id_type == "居民身份证" && !is_valid_mainland_id(&v.id_number) {
        errors.push((
            "id_number",
            "居民身份证号码应为 18 位，且校验位正确，请核对".into(),
        ));
    } else if !(4..=40).contains(&len(&v.id_number)) {
        errors.push(("id_number", "证件号码应为 4 至 40 个字符".into()));
    }
    let digits = v.phone.chars().filter(char::is_ascii_digit).count();
    if v.phone.is_empty() {
        errors.push(("phone", "请填写联系电话".into()));
    } else if !(5..=20).contains(&digits)
        || !v
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()（）转#".contains(c))
    {
        errors.push((
            "phone",
            "联系电话格式不正确（只能包含数字、空格、+、-、括号）".into(),
        ));
    }
    if !v.email.is_empty() {
        let ok = len(&v.email) <= 100
            && v.email.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty() && host.contains('.') && !host.contains('@')
            })
            && !v
                .email
                .chars()
                .any(|c| c.is_whitespace() || "<>\"'(),;".contains(c));
        if !ok {
            errors.push(("email", "电子邮箱格式不正确".into()));
        }
    }
    if len(&v.address) > 200 {
        errors.push(("address", "通信地址过长（最多 200 字）".into()));
    }
    let postcode_ok = v.postcode.len() == 6 && v.postcode.bytes().all(|b| b.is_ascii_digit());
    if !v.postcode.is_empty() && !postcode_ok {
        errors.push(("postcode", "邮政编码应为 6 位数字".into()));
    }
    let description_len = len(&v.description);
    if description_len == 0 {
        errors.push(("description", "请描述所需的政府信息".into()));
    } else if description_len < 4 {
        errors.push((
            "description",
            "描述过短，请写明信息的名称、文号或其他特征".into(),
        ));
    } else if description_len > 3000 {
        errors.push(("description", "描述过长（最多 3000 字）".into()));
    }
    if !MEDIA.contains(&v.medium.as_str()) {
        errors.push(("medium", "请选择载体形式".into()));
    }
    if !DELIVERIES.contains(&v.delivery.as_str()) {
        errors.push(("delivery", "请选择获取方式".into()));
    } else if v.delivery == "邮寄" && v.address.is_empty() {
        errors.push(("address", "选择邮寄时请填写通信地址".into()));
    } else if v.delivery == "电子邮件" && v.email.is_empty() {
        errors.push(("email", "选择电子邮件时请填写电子邮箱".into()));
    }
    if !v.consent {
        errors.push(("consent", "请确认所填信息真实".into()));
    }
    errors
}

/// Read the multipart body: text fields (each bounded) and attachments (counted as they
/// arrive; beyond the limit they are counted but not kept).
async fn read_submission(mut multipart: Multipart, limit: usize) -> Result<Submission, AppError> {
    const TEXT_LIMIT: usize = 64 * 1024;
    let mut s = Submission::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("表单内容无法读取：{e}"))
    };
    'fields: loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                s.cut_off = true;
                break;
            }
            Err(e) => return Err(bad(e)),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().unwrap_or("").to_string();
        let is_file = name == "attachments";
        let mut buf = Vec::new();
        let mut size = 0usize;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len();
                    if is_file {
                        s.attachment_bytes += chunk.len();
                        if s.attachment_bytes <= limit {
                            buf.extend_from_slice(&chunk);
                        }
                    } else if size <= TEXT_LIMIT {
                        buf.extend_from_slice(&chunk);
                    } else {
                        return Err(AppError::TooLarge(format!("字段“{name}”内容过长")));
                    }
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    s.cut_off = true;
                    break 'fields;
                }
                Err(e) => return Err(bad(e)),
            }
        }
        if is_file {
            // A browser sends an empty part when no file was chosen.
            if !(file_name.is_empty() && size == 0) && s.attachment_bytes <= limit {
                s.files.push((file_name, buf));
            }
            continue;
        }
        let text = String::from_utf8_lossy(&buf).trim().to_string();
        let v = &mut s.values;
        match name.as_str() {
            "csrf" => s.csrf = text,
            "challenge" => s.challenge = text,
            "answer" => s.answer = text,
            "applicant_type" => v.applicant_type = text,
            "name" => v.name = text,
            "id_type" => v.id_type = text,
            "id_number" => v.id_number = text,
            "phone" => v.phone = text,
            "email" => v.email = text,
            "address" => v.address = text,
            "postcode" => v.postcode = text,
            "description" => v.description = text,
            "medium" => v.medium = text,
            "delivery" => v.delivery = text,
            "consent" => v.consent = !text.is_empty(),
            _ => {}
        }
    }
    Ok(s)
}

/// A random 查询码: the receipt date and 60 random bits in Crockford base32, e.g.
/// `20261123-7KQM-3PXD-W9HT`.
fn new_code(today: gongkai_core::date::Date) -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let r = random_bytes::<8>()?;
    let mut bits = u64::from_le_bytes(r);
    let mut chars = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            chars.push('-');
        }
        chars.push(ALPHABET[(bits & 31) as usize] as char);
        bits >>= 5;
    }
    let (y, m, d) = today.ymd();
    Ok(format!("{y:04}{m:02}{d:02}-{chars}"))
}

/// Normalise a code as typed: full-width to ASCII, upper case, Crockford's look-alikes
/// (O→0, I/L→1), dashes where they belong.
pub(crate) fn normalize_code(input: &str) -> String {
    let cleaned: String = input
        .chars()
        .map(|c| match c {
            '！'..='～' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    // A staff-registered code: GK, the year, 12 characters (the staff alphabet has no 0/1, so
    // the look-alike mapping above cannot hide a match).
    if cleaned.len() == 18
        && cleaned.starts_with("GK")
        && cleaned[2..6].bytes().all(|b| b.is_ascii_digit())
    {
        return format!(
            "GK-{}-{}-{}-{}",
            &cleaned[2..6],
            &cleaned[6..10],
            &cleaned[10..14],
            &cleaned[14..]
        );
    }
    if cleaned.len() == 20 && cleaned[..8].bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{}-{}-{}-{}",
            &cleaned[..8],
            &cleaned[8..12],
            &cleaned[12..16],
            &cleaned[16..]
        )
    } else {
        cleaned
    }
}

/// The duplicate-detection key: the agency, the applicant (证件号码, else name) and the
/// description with spacing and punctuation removed.
fn fingerprint(agency: i64, applicant: &Applicant, description: &str) -> String {
    let description: String = description
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    gongkai_store::sha256_hex(format!("{agency}|{}|{description}", applicant.key()).as_bytes())
}

#[allow(clippy::too_many_arguments)]
fn show_form_again(
    state: &AppState,
    portal: &Portal,
    agency: &str,
    values: &Values,
    errors: &[(&'static str, String)],
    csrf: &str,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let challenge = portal.new_challenge()?;
    let body = form_markup(portal, agency, values, errors, csrf, &challenge);
    let resp = (
        status,
        page(
            Some(agency),
            "申请未提交 · 申请政府信息公开",
            "/public/apply",
            body,
        ),
    )
        .into_response();
    Ok(with_csrf_cookie(state, csrf, resp))
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, PortalError> {
    let portal = portal(&state);
    let config = portal.config();
    let key = client_key(&portal, &addr, &headers);
    let mut multipart = multipart;
    if !within_limit(
        &portal.submissions,
        &key,
        config.rate_limit,
        config.rate_window_seconds,
        true,
    ) {
        // Read (and drop) what the browser is still sending, so that it gets the answer
        // instead of a reset connection; the route's body limit bounds this.
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
        let minutes = minutes_left(&portal.submissions, &key, config.rate_window_seconds);
        return Err(AppError::TooManyRequests(format!(
            "提交过于频繁：同一网络地址 {} 分钟内最多提交 {} 次申请，请约 {minutes} 分钟后再试。如需帮助，请联系本机关政府信息公开工作机构。",
            config.rate_window_seconds / 60,
            config.rate_limit
        ))
        .into());
    }
    let agency = super::agency(&state).await?;
    let sub = read_submission(multipart, config.max_attachment_bytes).await?;
    let cookie = csrf_cookie(&headers).unwrap_or_default();
    let same = sub.csrf.len() == cookie.len()
        && sub
            .csrf
            .bytes()
            .zip(cookie.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if cookie.is_empty() || !same {
        return Err(AppError::Csrf.into());
    }
    let limit_mb = config.max_attachment_bytes / 1024 / 1024;
    if sub.cut_off || sub.attachment_bytes > config.max_attachment_bytes {
        let received = if sub.cut_off {
            "超过上限".to_string()
        } else {
            format!("共 {:.1} MB", sub.attachment_bytes as f64 / 1024.0 / 1024.0)
        };
        let errors = [(
            "attachments",
            format!("附件合计不能超过 {limit_mb} MB（本次{received}），申请未提交；请压缩或减少附件后重新提交"),
        )];
        return show_form_again(
            &state,
            &portal,
            &agency.name,
            &sub.values,
            &errors,
            &cookie,
            StatusCode::PAYLOAD_TOO_LARGE,
        );
    }
    let mut errors = validate(&sub.values);
    let mut files = Vec::new();
    if sub.files.len() > config.max_attachments {
        errors.push((
            "attachments",
            format!(
                "附件最多 {} 个（本次 {} 个）",
                config.max_attachments,
                sub.files.len()
            ),
        ));
    }
    for (name, bytes) in &sub.files {
        match detect(bytes, name) {
            Some(kind) => files.push((clean_file_name(name, kind), bytes.clone())),
            None => errors.push((
                "attachments",
                format!(
                    "附件“{}”不是可接受的文件类型（按内容识别：只接受 PDF、JPG、PNG、DOCX、TXT）",
                    name.chars().take(80).collect::<String>()
                ),
            )),
        }
    }
    if errors.is_empty() {
        if let Err(message) = portal.check_challenge(&sub.challenge, &sub.answer) {
            errors.push(("answer", message.to_string()));
        }
    }
    if !errors.is_empty() {
        return show_form_again(
            &state,
            &portal,
            &agency.name,
            &sub.values,
            &errors,
            &cookie,
            StatusCode::BAD_REQUEST,
        );
    }

    let v = sub.values;
    let kind = ApplicantType::ALL
        .into_iter()
        .find(|t| t.id() == v.applicant_type)
        .unwrap_or(ApplicantType::NaturalPerson);
    let applicant = Applicant {
        kind,
        name: v.name.clone(),
        // The request JSON carries the console's pseudonymous key, never the number itself
        // (the same key as for a request entered by staff, so 按件 fees count both).
        identity: crate::console::requests::applicant_key(Some(&v.id_number)),
        contact: None,
    };
    let fp = fingerprint(agency.id.0, &applicant, &v.description);
    let private = ApplicantPrivate {
        id_number: Some(format!("{}：{}", v.id_type, v.id_number)),
        phone: Some(v.phone.clone()),
        address: (!v.address.is_empty()).then(|| {
            if v.postcode.is_empty() {
                v.address.clone()
            } else {
                format!("{}（邮编 {}）", v.address, v.postcode)
            }
        }),
        email: (!v.email.is_empty()).then(|| v.email.clone()),
        delivery: Some(format!("{}；{}", v.medium, v.delivery)),
    };
    let shard = fp
        .bytes()
        .fold(0usize, |acc, b| acc.wrapping_mul(31) + b as usize)
        % portal.fingerprint_locks.len();
    let _guard = portal.fingerprint_locks[shard].lock().await;
    let since = crate::now() - config.duplicate_seconds;
    let fp_check = fp.clone();
    if let Some(code) = state
        .db(move |s| s.find_fingerprint(&fp_check, since))
        .await?
    {
        return Ok(
            Redirect::to(&format!("/public/receipt/{}?duplicate=1", enc(&code))).into_response(),
        );
    }
    let received_on = today();
    let agency_id = agency.id;
    let description = v.description.clone();
    let calendar = crate::console::calendar(&state);
    let code = state
        .db(move |s| {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let code =
                    new_code(received_on).map_err(|e| StoreError::Database(e.to_string()))?;
                let event = Event::new(
                    received_on,
                    RECORDED_BY,
                    EventKind::Received {
                        channel: Channel::Online,
                        applicant: applicant.clone(),
                        description: description.clone(),
                    },
                );
                let request = Request::receive(RequestId(code.clone()), event, &calendar)
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                let new = NewRequest {
                    agency: agency_id,
                    request: &request,
                    private: &private,
                    source: RequestSource::Online,
                    recorded_by: None,
                    attachments: &files,
                    fingerprint: Some(&fp),
                };
                match s.create_request(&new) {
                    Ok(()) => return Ok(code),
                    // A code collision (60 random bits: practically never): draw again.
                    Err(StoreError::Conflict(_)) if attempt < 5 => continue,
                    Err(e) => return Err(e),
                }
            }
        })
        .await?;
    Ok(Redirect::to(&format!("/public/receipt/{}", enc(&code))).into_response())
}

// ── the receipt ─────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize, Default)]
pub struct ReceiptQuery {
    #[serde(default)]
    duplicate: Option<String>,
}

/// A request filed on this portal for this agency, by code (others are "not found").
pub(crate) async fn public_request(
    state: &AppState,
    code: &str,
) -> Result<Option<StoredRequest>, AppError> {
    let agency = super::agency(state).await?.id;
    let code = code.to_string();
    let stored = state.db(move |s| s.request(&code)).await?;
    Ok(stored.filter(|r| {
        r.agency == agency
            && match r.source {
                RequestSource::Online => true,
                // Registered by staff (post, counter, fax) with a long code given to the
                // applicant; ledger imports and old short codes stay staff-only.
                RequestSource::Staff => crate::console::is_public_staff_code(&r.request.id.0),
                RequestSource::Ledger => false,
            }
    }))
}

pub async fn receipt(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let code = normalize_code(&code);
    let Some(stored) = public_request(&state, &code).await? else {
        return Err(AppError::NotFound(format!("查询码“{code}”对应的申请")).into());
    };
    let r = &stored.request;
    let body = html! {
        h1 { "申请已提交" }
        @if q.duplicate.is_some() {
            p.flash role="status" {
                "您在 24 小时内已提交过内容相同的申请，本次未重复登记。以下是原申请的查询码与答复期限。"
            }
        } @else {
            p.flash.ok role="status" { "您的政府信息公开申请已成功提交，" (agency.name) "已收到。" }
        }
        div.box {
            p { "查询码（请妥善保存，凭此查询办理进度）：" }
            p { strong.code #tracking-code { (r.id.0) } }
            dl.facts {
                dt { "受理机关" } dd { (agency.name) }
                dt { "收到申请日期" } dd #received-on { (r.received_on.to_zh()) "（" (r.received_on) "）" }
                dt { "答复期限" } dd #due-date {
                    @if let Some(due) = r.clock.due_date() {
                        strong { (due.to_zh()) } "（" (due) "）前"
                    } @else {
                        "暂无法计算"
                    }
                }
                dt { "附件" } dd { (stored.attachments.len()) " 个" }
            }
            p.small #due-explanation { (r.clock.describe_zh()) }
        }
        h2 { "答复期限是怎样确定的" }
        ul.small {
            li { "依据《政府信息公开条例》第三十一条，通过互联网渠道提交的申请，以双方确认之日为收到申请之日；本平台在提交成功时即予确认。" }
            li { "依据第三十三条，行政机关应当自收到申请之日起 20 个工作日内予以答复（法定节假日和调休按国务院办公厅公布的安排计算）；需要延长的，经政府信息公开工作机构负责人同意可延长，延长期限最长不超过 20 个工作日。" }
            li { "申请内容不明确的，行政机关将在收到申请之日起 7 个工作日内一次性告知补正，答复期限自收到补正后的申请之日起计算（第三十条）。" }
            li { "征求第三方或者其他机关意见所需时间，不计算在答复期限内（第三十二条、第三十四条）。" }
        }
        p.noprint {
            a.button href={ "/public/track?code=" (enc(&r.id.0)) } { "查看办理进度" }
            " "
            a.button.secondary href="/public" { "返回首页" }
        }
        p.small.muted.noprint { "可使用浏览器的打印功能保存本回执。" }
    };
    Ok(page(Some(&agency.name), "申请回执", "/public/apply", body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_and_normalise() {
        let day = gongkai_core::date::Date::new(2026, 11, 23).unwrap();
        let a = new_code(day).unwrap();
        let b = new_code(day).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("20261123-"), "{a}");
        assert_eq!(a.len(), 23);
        assert_eq!(normalize_code(&a.to_lowercase().replace('-', " ")), a);
        assert_eq!(
            normalize_code("２０２６１１２３ABCDEFGHJKMO"),
            "20261123-ABCD-EFGH-JKM0"
        );
    }

    #[test]
    fn detects_types_by_content() {
        assert_eq!(detect(b"%PDF-1.7 ...", "x.jpg"), Some(FileKind::Pdf));
        assert_eq!(
            detect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], "a"),
            Some(FileKind::Jpeg)
        );
        assert_eq!(detect("你好，世界".as_bytes(), "note"), Some(FileKind::Txt));
        assert_eq!(detect(b"MZ\x90\x00\x03\x00", "setup.pdf"), None);
        assert_eq!(detect(b"PK\x03\x04xl/workbook.xml", "a.docx"), None);
        assert_eq!(
            clean_file_name("C:\\x\\..\\<b>.exe", FileKind::Pdf),
            "b.exe.pdf"
        );
    }

    #[test]
    fn identity_numbers_are_checked() {
        assert!(is_valid_mainland_id("11010519491231002X"));
        assert!(!is_valid_mainland_id("110105194912310021"));
    }
}
