//! 申请查询: a 查询码 shows its request's status, due date and the public kind of each step.
//!
//! What is shown is chosen field by field, never by serialising the request: the status, the
//! receipt and due dates with their explanation, the outcome once answered, and for each event
//! its date and what kind of step it was. The applicant's 证件号码, phone, address and e-mail,
//! staff names and notes, and the parties consulted are never read into the page. The name is
//! masked (张**). A code of another agency, unknown, or not meant for the public (a ledger
//! import, a short staff code of earlier versions) is simply "not found"; failed look-ups per
//! address are limited. Online requests and staff-registered ones with a long code
//! (`console::is_public_staff_code`) are found.

use super::apply::{normalize_code, public_request};
use super::{client_key, enc, minutes_left, page, portal, within_limit, PortalError};
use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongkai_core::lifecycle::{EventKind, LoggedEvent};
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    code: Option<String>,
}

fn lookup_form(code: &str) -> Markup {
    html! {
        form.box method="get" action="/public/track" role="search" {
            div.field {
                label for="code" { "查询码" }
                input #code type="text" name="code" value=(code) autocomplete="off" maxlength="40"
                    placeholder="例如 20261123-7KQM-3PXD-W9HT" aria-describedby="code-hint" required;
                span.hint #code-hint { "提交申请后回执上的查询码；大小写、空格和短横线均可忽略。" }
            }
            button type="submit" { "查询" }
        }
    }
}

/// The public description of one step.
fn step(e: &LoggedEvent) -> String {
    match &e.event.kind {
        EventKind::Received { channel, .. } => {
            format!("收到申请（{}提交）", channel.label_zh())
        }
        EventKind::CorrectionRequested { reply_by } => format!(
            "告知补正：申请内容需要补充或说明，请于 {} 前补正（条例第三十条）",
            reply_by.to_zh()
        ),
        EventKind::Corrected => "收到补正后的申请，答复期限自该日起重新计算".into(),
        EventKind::CorrectionLapsed => "逾期未补正，视为放弃申请".into(),
        EventKind::ConsultationStarted { kind, .. } => {
            format!("{}，所需时间不计算在答复期限内", kind.label_zh())
        }
        EventKind::ConsultationEnded => "征求意见结束，答复期限恢复计算".into(),
        EventKind::ExtensionApproved { working_days } => {
            format!("经批准延长答复期限 {working_days} 个工作日（条例第三十三条）")
        }
        EventKind::FeeNoticeServed { .. } => "发出收费通知".into(),
        EventKind::FeePaid => "已缴纳信息处理费".into(),
        EventKind::FeeLapsed => "逾期未缴纳信息处理费，不再处理".into(),
        EventKind::Answered { outcome } => format!("作出答复：{}", outcome.label_zh()),
        EventKind::Delivered => "答复已送达".into(),
        EventKind::Withdrawn => "申请人撤回申请".into(),
        EventKind::ApplicantCorrected { .. } => "更正申请人登记信息".into(),
    }
}

/// `张三` → `张*`, `某某有限公司` → `某*****`.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().clamp(1, 8);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

pub async fn track(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Query(q): Query<TrackQuery>,
) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let raw = q.code.unwrap_or_default();
    if raw.trim().is_empty() {
        let body = html! {
            h1 { "申请查询" }
            p { "输入提交申请时获得的查询码，查看办理状态、答复期限和办理过程。" }
            (lookup_form(""))
        };
        return Ok(page(Some(&agency.name), "申请查询", "/public/track", body).into_response());
    }
    let portal = portal(&state);
    let config = portal.config();
    let key = client_key(&portal, &addr, &headers);
    let window = config.rate_window_seconds.max(600);
    if !within_limit(
        &portal.track_misses,
        &key,
        config.track_failures,
        window,
        false,
    ) {
        let minutes = minutes_left(&portal.track_misses, &key, window);
        return Err(AppError::TooManyRequests(format!(
            "查询失败次数过多，请约 {minutes} 分钟后再试"
        ))
        .into());
    }
    let code = normalize_code(&raw);
    let found = if code.is_empty() || code.len() > 40 {
        None
    } else {
        public_request(&state, &code).await?
    };
    let Some(stored) = found else {
        within_limit(
            &portal.track_misses,
            &key,
            config.track_failures,
            window,
            true,
        );
        let shown: String = raw.trim().chars().take(40).collect();
        let body = html! {
            h1 { "申请查询" }
            p.flash.error role="alert" {
                "未找到查询码为“" (shown) "”的申请。请核对查询码；线下（当面、邮寄、传真）提交的申请请向本机关政府信息公开工作机构咨询办理进度。"
            }
            (lookup_form(&shown))
        };
        return Ok((
            StatusCode::NOT_FOUND,
            page(Some(&agency.name), "未找到申请", "/public/track", body),
        )
            .into_response());
    };
    let r = &stored.request;
    let body = html! {
        h1 { "申请办理进度" }
        div.box {
            dl.facts {
                dt { "查询码" } dd { strong #tracking-code { (r.id.0) } }
                dt { "受理机关" } dd { (agency.name) }
                dt { "申请人" } dd { (mask_name(&r.applicant.name)) "（" (r.applicant.kind.label_zh()) "）" }
                dt { "当前状态" } dd #status { strong { (r.status.label_zh()) } }
                dt { "收到申请日期" } dd { (r.received_on.to_zh()) }
                @if let Some(due) = r.clock.due_date() {
                    dt { "答复期限" } dd #due-date { strong { (due.to_zh()) } "（" (due) "）前" }
                }
                @if let Some((on, outcome)) = r.concluded() {
                    dt { "办理结果" } dd #outcome { (outcome.label_zh()) "（" (on.to_zh()) "）" }
                }
            }
            p.small #clock { (r.clock.describe_zh()) }
        }
        h2 { "申请内容" }
        p.body-text #description { (r.description) }
        h2 { "办理过程" }
        ol.timeline {
            @for e in &r.log {
                li {
                    strong { (e.event.at.to_zh()) } " " (step(e))
                    @if let Some(due) = e.due_after {
                        br; span.small.muted { "此后答复期限：" (due.to_zh()) }
                    }
                }
            }
        }
        p.small.muted {
            "如对答复有异议，可以依法申请行政复议或者提起行政诉讼（条例第五十一条）。"
        }
        p { a.button.secondary href={ "/public/receipt/" (enc(&r.id.0)) } { "查看回执" } }
        (lookup_form(""))
    };
    Ok(page(Some(&agency.name), "申请办理进度", "/public/track", body).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked() {
        assert_eq!(super::mask_name("张三"), "张*");
        assert_eq!(super::mask_name("某"), "某*");
        assert_eq!(super::mask_name(""), "");
    }
}
