//! 首页 · 政府信息公开指南 (条例 Art. 12: every agency publishes a guide saying how its
//! information is published and how to apply).
//!
//! When the agency has put its own guide in the catalog (a publication in the category
//! `政府信息公开指南`, the newest one), that text is the guide. Otherwise the portal shows a
//! guide drafted from the 条例 with the agency's name — correct for any agency, and a starting
//! point the agency should replace with its own office's address and hours.

use super::catalog::{feed_links, publication_link, publication_list};
use super::{page, PortalError};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gongkai_store::PublicationFilter;
use maud::html;

/// The catalog category whose newest publication is the agency's own guide.
pub const GUIDE_CATEGORY: &str = "政府信息公开指南";

pub async fn home(State(state): State<AppState>) -> Result<Response, PortalError> {
    let agency = match super::agency(&state).await {
        Ok(a) => a,
        // No agency in the store yet (a fresh installation): the front door still opens.
        Err(AppError::NotFound(message)) => {
            let body = html! {
                h1 { "政府信息公开" }
                p.flash role="status" { (message) "。" }
                p { "工作人员请 " a href="/login" { "登录" } " 后在工作台登记单位。" }
            };
            return Ok(page(None, "首页", "/public", body).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let agency_id = agency.id;
    let (guide, recent) = state
        .db(move |s| {
            let guide = s
                .list_publications(&PublicationFilter {
                    agency: Some(agency_id),
                    category: Some(GUIDE_CATEGORY.into()),
                    limit: Some(1),
                    ..Default::default()
                })?
                .into_iter()
                .next();
            let recent = s.list_publications(&PublicationFilter {
                agency: Some(agency_id),
                limit: Some(6),
                ..Default::default()
            })?;
            Ok((guide, recent))
        })
        .await?;
    let name = &agency.name;
    let body = html! {
        h1 { (name) " 政府信息公开" }
        div.box {
            p { strong { "我要办：" } }
            p {
                a.button href="/public/apply" { "申请政府信息公开" } " "
                a.button.secondary href="/public/track" { "查询申请进度" } " "
                a.button.secondary href="/public/catalog" { "浏览公开目录" } " "
                a.button.secondary href="/public/reports" { "政府信息公开工作年度报告" }
            }
        }
        h2 #guide { "政府信息公开指南" }
        @if let Some(g) = &guide {
            p.small.muted { "本机关发布的指南：" a href=(publication_link(&g.publication.id)) { (g.publication.title) } "（" (g.publication.issued_on) "）" }
            div.body-text { (g.body.trim()) }
        } @else {
            div.box {
                p { "为保障公民、法人和其他组织依法获取政府信息，依据《中华人民共和国政府信息公开条例》（以下简称《条例》），编制本指南。" }
                h3 { "一、主动公开" }
                p { (name) "依照《条例》第十九条至第二十一条主动公开政府信息，公开内容见本网站"
                    a href="/public/catalog" { "政府信息主动公开目录" }
                    "，可按类别、年度浏览，或输入词语检索。属于主动公开范围的政府信息，自形成或者变更之日起 20 个工作日内予以公开（《条例》第二十六条）。" }
                h3 { "二、依申请公开" }
                p { "公民、法人或者其他组织可以向" (name) "申请获取相关政府信息（《条例》第二十七条）。" }
                ol {
                    li { strong { "申请方式：" } "通过本网站"
                        a href="/public/apply" { "在线提交" }
                        "（推荐，即时获得查询码），或以当面、信函、传真等书面形式提交。" }
                    li { strong { "申请内容：" } "申请人的姓名或者名称、身份证明、联系方式；申请公开的政府信息的名称、文号或者便于查询的其他特征性描述；获取信息的方式、途径等形式要求（《条例》第二十九条）。" }
                    li { strong { "补正：" } "申请内容不明确的，本机关自收到申请之日起 7 个工作日内一次性告知补正；申请人无正当理由逾期不补正的，视为放弃申请（《条例》第三十条）。" }
                    li { strong { "答复期限：" } "能够当场答复的当场答复；不能当场答复的，自收到申请之日起 20 个工作日内予以答复；需要延长的，经负责人同意并告知申请人，延长期限最长不超过 20 个工作日。征求第三方和其他机关意见所需时间不计算在期限内（《条例》第三十三条）。" }
                    li { strong { "收费：" } "依申请提供政府信息，不收取费用；申请人申请公开政府信息的数量、频次明显超过合理范围的，可以依照国务院办公厅《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）收取信息处理费（《条例》第四十二条）。" }
                    li { strong { "查询进度：" } "凭查询码在" a href="/public/track" { "申请查询" } "页面查看办理状态、答复期限和办理过程。" }
                }
                h3 { "三、监督和救济" }
                p { "公民、法人或者其他组织认为行政机关在政府信息公开工作中侵犯其合法权益的，可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼（《条例》第五十一条）。" }
                h3 { "四、年度报告" }
                p { (name) "每年 1 月 31 日前公布本机关上一年度政府信息公开工作年度报告（《条例》第四十九条），见" a href="/public/reports" { "年度报告" } "。" }
            }
        }
        @if !recent.is_empty() {
            h2 { "最新公开" }
            (publication_list(&recent))
            (feed_links(None))
        }
    };
    Ok(page(Some(name), "首页", "/public", body).into_response())
}
