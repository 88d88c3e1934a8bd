//! The rest of the register: 行政复议/诉讼 cases (table 四), the catalog of proactively published
//! documents (table 二's 规章 / 行政规范性文件 rows, and the portal's catalog), and the table-二
//! figures entered by hand for a year.
//!
//! Saving is insert-or-replace by id in the store, so a *new* case or document whose id is
//! already registered is refused here instead of silently replacing the old one; changes to an
//! existing one go through their own forms (审结, 废止).

use super::{
    flash_error, flash_ok, from_serde_name, href, not_future, parse_date, parse_opt_date,
    parse_year, random_suffix, serde_name, shell, today, with_status, Desk,
};
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_core::lifecycle::RequestId;
use gongkai_core::model::Generation;
use gongkai_core::register::{
    Appeal, AppealKind, AppealOutcome, ProactiveCounts, Publication, PublicationKind,
};
use gongkai_store::{PublicationFilter, PublicationRecord, Role};
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct OkQuery {
    #[serde(default)]
    ok: Option<String>,
}

// ── appeals ─────────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize, Default, Clone)]
pub struct AppealForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    request_code: String,
    #[serde(default)]
    follows: String,
    #[serde(default)]
    filed_on: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    note: String,
}

pub async fn appeals(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<OkQuery>,
) -> Result<Response, AppError> {
    let ok = q.ok.map(|_| "已保存。".to_string());
    appeals_page(&state, &desk, &AppealForm::default(), None, ok).await
}

async fn appeals_page(
    state: &AppState,
    desk: &Desk,
    f: &AppealForm,
    error: Option<(StatusCode, String)>,
    ok: Option<String>,
) -> Result<Response, AppError> {
    let agency = desk.agency.id;
    let mut list = state.db(move |s| s.appeals(agency)).await?;
    list.sort_by(|a, b| b.filed_on.cmp(&a.filed_on).then(a.id.cmp(&b.id)));
    let can_edit = desk.staff.user.role.allows(Role::Supervisor);
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let body = html! {
        h1 { "行政复议与行政诉讼" }
        @if let Some((_, e)) = &error { (flash_error(e)) }
        @if let Some(m) = &ok { (flash_ok(m)) }
        p.muted { "因政府信息公开工作被申请行政复议、被提起行政诉讼的案件，生成年度报告表四。本年审结的按结果计入，年底尚未审结的计入“尚未审结”。" }
        @if list.is_empty() { p { "尚未登记案件。" } } @else {
            table.grid #appeals {
                thead { tr { th { "案号" } th { "类型" } th { "涉及申请" } th { "收到/立案日期" } th { "结果" } th { "审结日期" } th { "备注" } } }
                tbody { @for a in &list { tr {
                    td { (a.id) }
                    td { (a.kind.label_zh()) @if let Some(f) = &a.follows { br; span.muted { "复议：" (f) } } }
                    td { @if let Some(r) = &a.request_id { a href=(super::request_path(&r.0)) { (r.0) } } }
                    td { (a.filed_on) }
                    td { (a.outcome.label_zh()) }
                    td {
                        @if let Some(d) = a.decided_on { (d) }
                        @else if can_edit {
                            form.inline method="post" action=(href(desk.agency.id, "/console/appeals/decide")) {
                                (ui::csrf_field(&desk.staff))
                                input type="hidden" name="id" value=(a.id);
                                select name="outcome" aria-label="审结结果" {
                                    @for o in [AppealOutcome::Upheld, AppealOutcome::Corrected, AppealOutcome::Other] {
                                        option value=(serde_name(&o)) { (o.label_zh()) }
                                    }
                                }
                                " " input type="date" name="decided_on" required aria-label="审结日期";
                                " " button.secondary type="submit" { "登记审结" }
                            }
                        }
                    }
                    td { (a.note.clone().unwrap_or_default()) }
                } } }
            }
        }
        @if can_edit {
            h2 { "登记案件" }
            form.box method="post" action=(href(desk.agency.id, "/console/appeals")) {
                (ui::csrf_field(&desk.staff))
                p {
                    label { "案号 " input type="text" name="id" value=(f.id) required maxlength="100" placeholder="如：某府复〔2024〕12号"; }
                    label { "类型 " select name="kind" {
                        @for k in AppealKind::ALL { option value=(serde_name(&k)) selected[serde_name(&k) == f.kind] { (k.label_zh()) } }
                    } }
                }
                p {
                    label { "涉及的申请（查询码，可空） " input type="text" name="request_code" value=(f.request_code) maxlength="60"; }
                    label { "复议后起诉的，原复议案号 " input type="text" name="follows" value=(f.follows) maxlength="100"; }
                }
                p {
                    label { "收到/立案日期 " input type="date" name="filed_on" value=(f.filed_on) required; }
                    label { "结果 " select name="outcome" {
                        @for o in AppealOutcome::ALL.iter().rev() { option value=(serde_name(o)) selected[serde_name(o) == f.outcome] { (o.label_zh()) } }
                    } }
                    label { "审结日期 " input type="date" name="decided_on" value=(f.decided_on); }
                }
                p { label { "备注 " input type="text" name="note" value=(f.note) size="60" maxlength="1000"; } }
                button type="submit" { "登记" }
            }
        }
    };
    Ok(with_status(
        status,
        shell(
            &desk.staff,
            &desk.agency,
            "/console/appeals",
            "复议诉讼",
            body,
        ),
    ))
}

fn opt_text(label: &str, v: &str, max: usize) -> Result<Option<String>, String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(format!("{label}过长（最多 {max} 字）"));
    }
    Ok(Some(v.to_string()).filter(|s| !s.is_empty()))
}

fn build_appeal(f: &AppealForm) -> Result<Appeal, String> {
    let today = today();
    let id = opt_text("案号", &f.id, 100)?.ok_or_else(|| "请填写案号".to_string())?;
    let kind: AppealKind = from_serde_name(&f.kind).ok_or_else(|| "请选择案件类型".to_string())?;
    let filed = not_future(
        "收到/立案日期",
        parse_date("收到/立案日期", &f.filed_on)?,
        today,
    )?;
    let mut appeal = Appeal::new(
        id,
        kind,
        opt_text("查询码", &f.request_code, 60)?.map(RequestId),
        filed,
    );
    appeal.follows = opt_text("原复议案号", &f.follows, 100)?;
    appeal.note = opt_text("备注", &f.note, 1000)?;
    let outcome: AppealOutcome = from_serde_name(&f.outcome).unwrap_or(AppealOutcome::Pending);
    let decided = parse_opt_date("审结日期", &f.decided_on)?;
    match (outcome, decided) {
        (AppealOutcome::Pending, None) => {}
        (AppealOutcome::Pending, Some(_)) => {
            return Err("填写了审结日期，请同时选择审结结果（维持、纠正或其他）".into())
        }
        (_, None) => return Err("已审结的案件请填写审结日期".into()),
        (o, Some(d)) => {
            not_future("审结日期", d, today)?;
            appeal.decide(d, o).map_err(|e| e.to_string())?;
        }
    }
    appeal.validate().map_err(|e| e.to_string())?;
    Ok(appeal)
}

pub async fn create_appeal(
    State(state): State<AppState>,
    desk: Desk,
    Form(form): Form<AppealForm>,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    desk.staff.check_csrf(&form.csrf)?;
    let appeal = match build_appeal(&form) {
        Ok(a) => a,
        Err(msg) => {
            return appeals_page(
                &state,
                &desk,
                &form,
                Some((StatusCode::BAD_REQUEST, msg)),
                None,
            )
            .await
        }
    };
    let agency = desk.agency.id;
    let (existing, linked) = {
        let (id, code) = (appeal.id.clone(), appeal.request_id.clone());
        state
            .db(move |s| {
                let existing = s.appeals(agency)?.into_iter().find(|a| a.id == id);
                let linked = match code {
                    Some(c) => Some(s.request(&c.0)?.map(|r| r.agency)),
                    None => None,
                };
                Ok((existing, linked))
            })
            .await?
    };
    let conflict = if existing.is_some() {
        Some((
            StatusCode::CONFLICT,
            format!("案号“{}”已登记；审结请使用列表中的“登记审结”。", appeal.id),
        ))
    } else {
        match linked {
            Some(Some(a)) if a == agency => None,
            Some(_) => Some((
                StatusCode::BAD_REQUEST,
                format!(
                    "本单位登记簿中没有查询码为“{}”的申请",
                    appeal
                        .request_id
                        .as_ref()
                        .map(|r| r.0.as_str())
                        .unwrap_or("")
                ),
            )),
            None => None,
        }
    };
    if let Some(err) = conflict {
        return appeals_page(&state, &desk, &form, Some(err), None).await;
    }
    let user = desk.staff.user.id;
    let detail = format!(
        "{}，{}立案，{}",
        appeal.kind.label_zh(),
        appeal.filed_on,
        appeal.outcome.label_zh()
    );
    let target = appeal.id.clone();
    state
        .db(move |s| {
            s.save_appeal(agency, &appeal)?;
            s.audit(Some(user), Some(agency), "appeal.create", &target, &detail)
        })
        .await?;
    Ok(Redirect::to(&href(agency, "/console/appeals?ok=1")).into_response())
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    decided_on: String,
}

pub async fn decide_appeal(
    State(state): State<AppState>,
    desk: Desk,
    Form(form): Form<DecideForm>,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    desk.staff.check_csrf(&form.csrf)?;
    let agency = desk.agency.id;
    let id = form.id.trim().to_string();
    let found = {
        let id = id.clone();
        state
            .db(move |s| Ok(s.appeals(agency)?.into_iter().find(|a| a.id == id)))
            .await?
    };
    let Some(mut appeal) = found else {
        return Err(AppError::NotFound(format!("案件“{id}”")));
    };
    let decided = parse_date("审结日期", &form.decided_on)
        .and_then(|d| not_future("审结日期", d, today()))
        .and_then(|d| {
            let o: AppealOutcome =
                from_serde_name(&form.outcome).ok_or_else(|| "请选择审结结果".to_string())?;
            appeal.decide(d, o).map_err(|e| e.to_string())
        });
    if let Err(msg) = decided {
        return appeals_page(
            &state,
            &desk,
            &AppealForm::default(),
            Some((StatusCode::BAD_REQUEST, msg)),
            None,
        )
        .await;
    }
    let user = desk.staff.user.id;
    let detail = format!(
        "{}审结：{}",
        appeal.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        appeal.outcome.label_zh()
    );
    state
        .db(move |s| {
            s.save_appeal(agency, &appeal)?;
            s.audit(
                Some(user),
                Some(agency),
                "appeal.decide",
                &appeal.id,
                &detail,
            )
        })
        .await?;
    Ok(Redirect::to(&href(agency, "/console/appeals?ok=1")).into_response())
}

// ── publications ────────────────────────────────────────────────────────────────────────────

/// Categories offered in the form: the 公共资源交易 items of the national 标准目录, then the usual
/// catalog headings. Any other category can be typed in.
pub const CATEGORIES: &[&str] = &[
    "招标公告",
    "更正公告",
    "中标候选人公示",
    "中标结果公告",
    "合同",
    "政策文件",
    "政策解读",
    "工作动态",
    "通知公告",
    "规划计划",
    "财政预决算",
    "人事信息",
    "统计信息",
];

const KINDS: [(PublicationKind, &str); 3] = [
    (PublicationKind::Regulation, "规章"),
    (PublicationKind::NormativeDocument, "行政规范性文件"),
    (PublicationKind::Other, "其他"),
];

fn kind_label(k: PublicationKind) -> &'static str {
    KINDS
        .iter()
        .find(|(x, _)| *x == k)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

#[derive(Deserialize, Default, Clone)]
pub struct PublicationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    category_other: String,
    #[serde(default)]
    index_number: String,
    #[serde(default)]
    doc_number: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    published_on: String,
    #[serde(default)]
    repealed_on: String,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize, Default)]
pub struct PublicationQuery {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    ok: Option<String>,
}

pub async fn publications(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<PublicationQuery>,
) -> Result<Response, AppError> {
    let ok = q.ok.as_ref().map(|_| "已保存。".to_string());
    publications_page(&state, &desk, &q, &PublicationForm::default(), None, ok).await
}

async fn publications_page(
    state: &AppState,
    desk: &Desk,
    q: &PublicationQuery,
    f: &PublicationForm,
    error: Option<(StatusCode, String)>,
    ok: Option<String>,
) -> Result<Response, AppError> {
    let year = parse_year(q.year.as_deref())?;
    let category = q
        .category
        .clone()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let filter = PublicationFilter {
        agency: Some(desk.agency.id),
        category: category.clone(),
        year,
        limit: Some(200),
        offset: 0,
    };
    let agency = desk.agency.id;
    let (list, total, used) = state
        .db(move |s| {
            Ok((
                s.list_publications(&filter)?,
                s.count_publications(&filter)?,
                s.publication_categories(Some(agency))?,
            ))
        })
        .await?;
    let can_edit = desk.staff.user.role.allows(Role::Supervisor);
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let mut categories: Vec<String> = CATEGORIES.iter().map(|c| c.to_string()).collect();
    for c in used {
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    let body = html! {
        h1 { "主动公开文件（共 " (total) " 件）" }
        @if let Some((_, e)) = &error { (flash_error(e)) }
        @if let Some(m) = &ok { (flash_ok(m)) }
        p.muted { "规章和行政规范性文件的制发、废止和现行有效件数由此计算，用于年度报告表二（可在“表二数据”中改填）。" }
        form.box method="get" action="/console/publications" {
            input type="hidden" name="agency" value=(desk.agency.id);
            label { "类别 " select name="category" {
                option value="" { "全部" }
                @for c in &categories { option value=(c) selected[Some(c) == category.as_ref()] { (c) } }
            } }
            label { "制发年度 " input type="number" name="year" min="2000" max="2100" value=(year.map(|y| y.to_string()).unwrap_or_default()); }
            button type="submit" { "筛选" }
        }
        @if list.is_empty() { p { "没有符合条件的文件。" } } @else {
            div.scroll { table.grid #publications {
                thead { tr { th { "索引号" } th { "标题" } th { "种类" } th { "类别" } th { "文号" } th { "发布机构" } th { "成文日期" } th { "公开日期" } th { "废止/失效" } } }
                tbody { @for rec in &list { @let p = &rec.publication; tr {
                    td { code { (p.index_number.clone().unwrap_or_else(|| p.id.clone())) } }
                    td { (p.title) }
                    td { (kind_label(p.kind)) }
                    td { (p.category.clone().unwrap_or_default()) }
                    td { (p.doc_number.clone().unwrap_or_default()) }
                    td { (rec.issuer.clone().unwrap_or_default()) }
                    td { (p.issued_on) }
                    td { (p.published_on.map(|d| d.to_string()).unwrap_or_default()) }
                    td {
                        @if let Some(d) = p.repealed_on { (d) }
                        @else if can_edit && p.kind != PublicationKind::Other {
                            form.inline method="post" action=(href(desk.agency.id, "/console/publications/repeal")) {
                                (ui::csrf_field(&desk.staff))
                                input type="hidden" name="id" value=(p.id);
                                input type="date" name="repealed_on" required aria-label="废止日期";
                                " " button.secondary type="submit" { "登记废止" }
                            }
                        }
                    }
                } } }
            } }
            @if total > list.len() as i64 { p.muted { "仅显示最新的 " (list.len()) " 件，请按类别或年度筛选。" } }
        }
        @if can_edit {
            h2 { "登记公开文件" }
            form.box method="post" action=(href(desk.agency.id, "/console/publications")) {
                (ui::csrf_field(&desk.staff))
                p { label { "标题 " input type="text" name="title" value=(f.title) required size="60" maxlength="300"; } }
                p {
                    label { "种类 " select name="kind" {
                        @for (k, l) in KINDS { option value=(serde_name(&k)) selected[serde_name(&k) == f.kind] { (l) } }
                    } }
                    label { "类别 " select name="category" {
                        option value="" { "（无）" }
                        @for c in &categories { option value=(c) selected[*c == f.category] { (c) } }
                    } }
                    label { "或填写其他类别 " input type="text" name="category_other" value=(f.category_other) maxlength="60"; }
                }
                p {
                    label { "索引号 " input type="text" name="index_number" value=(f.index_number) maxlength="100"; }
                    label { "文号 " input type="text" name="doc_number" value=(f.doc_number) maxlength="100"; }
                    label { "发布机构 " input type="text" name="issuer" value=(f.issuer) maxlength="100"; }
                }
                p {
                    label { "成文日期 " input type="date" name="issued_on" value=(f.issued_on) required; }
                    label { "公开日期 " input type="date" name="published_on" value=(f.published_on); }
                    label { "废止/失效日期 " input type="date" name="repealed_on" value=(f.repealed_on); }
                }
                p { label for="pub-body" { "正文" } br; textarea #pub-body name="body" rows="6" cols="80" { (f.body) } }
                button type="submit" { "登记" }
            }
        }
    };
    Ok(with_status(
        status,
        shell(
            &desk.staff,
            &desk.agency,
            "/console/publications",
            "主动公开",
            body,
        ),
    ))
}

fn build_publication(f: &PublicationForm) -> Result<(Publication, Option<String>, String), String> {
    let today = today();
    let title = opt_text("标题", &f.title, 300)?.ok_or_else(|| "请填写标题".to_string())?;
    let kind: PublicationKind =
        from_serde_name(&f.kind).ok_or_else(|| "请选择文件种类".to_string())?;
    let category = match opt_text("类别", &f.category_other, 60)? {
        Some(c) => Some(c),
        None => opt_text("类别", &f.category, 60)?,
    };
    let index_number = opt_text("索引号", &f.index_number, 100)?;
    let issued = not_future("成文日期", parse_date("成文日期", &f.issued_on)?, today)?;
    let published = match parse_opt_date("公开日期", &f.published_on)? {
        Some(d) => Some(not_future("公开日期", d, today)?),
        None => None,
    };
    let body = f.body.trim().to_string();
    if body.chars().count() > 200_000 {
        return Err("正文过长（最多 20 万字）".into());
    }
    let id = match &index_number {
        Some(n) => n.clone(),
        None => format!(
            "GK-P-{}-{}",
            issued.year(),
            random_suffix(6).map_err(|e| e.to_string())?
        ),
    };
    let p = Publication {
        id,
        title,
        kind,
        doc_number: opt_text("文号", &f.doc_number, 100)?,
        index_number,
        category,
        issued_on: issued,
        published_on: published,
        // A 有效期 may end in the future, so a future 失效日期 is accepted.
        repealed_on: parse_opt_date("废止/失效日期", &f.repealed_on)?,
    };
    p.validate().map_err(|e| e.to_string())?;
    Ok((p, opt_text("发布机构", &f.issuer, 100)?, body))
}

pub async fn create_publication(
    State(state): State<AppState>,
    desk: Desk,
    Form(form): Form<PublicationForm>,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    desk.staff.check_csrf(&form.csrf)?;
    let q = PublicationQuery::default();
    let (publication, issuer, body) = match build_publication(&form) {
        Ok(p) => p,
        Err(msg) => {
            return publications_page(
                &state,
                &desk,
                &q,
                &form,
                Some((StatusCode::BAD_REQUEST, msg)),
                None,
            )
            .await
        }
    };
    let agency = desk.agency.id;
    let id = publication.id.clone();
    let existing = state.db(move |s| s.publication(agency, &id)).await?;
    if let Some(e) = existing {
        let msg = format!(
            "索引号“{}”已登记（《{}》），请核对后重新填写",
            e.publication.id, e.publication.title
        );
        return publications_page(
            &state,
            &desk,
            &q,
            &form,
            Some((StatusCode::CONFLICT, msg)),
            None,
        )
        .await;
    }
    let user = desk.staff.user.id;
    let detail = format!(
        "《{}》（{}）",
        publication.title,
        kind_label(publication.kind)
    );
    let record = PublicationRecord {
        agency,
        publication,
        issuer,
        body,
    };
    save_publication(&state, record, user, "publication.create", detail).await?;
    Ok(Redirect::to(&href(agency, "/console/publications?ok=1")).into_response())
}

/// Store a publication with its audit entry (one transaction), then make the change searchable
/// in the public catalog at once.
async fn save_publication(
    state: &AppState,
    record: PublicationRecord,
    user: gongkai_store::UserId,
    action: &'static str,
    detail: String,
) -> Result<(), AppError> {
    let indexed = record.clone();
    state
        .db(move |s| {
            s.save_publication(&record)?;
            s.audit(
                Some(user),
                Some(record.agency),
                action,
                &record.publication.id,
                &detail,
            )
        })
        .await?;
    // The save has succeeded; an indexing failure is logged, not reported as a failed save
    // (the catalog index rebuilds itself when it notices the change).
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || crate::portal::publication_saved(&store, &indexed))
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("目录索引更新失败：{e}"),
        Err(e) => eprintln!("目录索引更新失败：{e}"),
    }
    Ok(())
}

#[derive(Deserialize, Default)]
pub struct RepealForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    repealed_on: String,
}

pub async fn repeal_publication(
    State(state): State<AppState>,
    desk: Desk,
    Form(form): Form<RepealForm>,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    desk.staff.check_csrf(&form.csrf)?;
    let agency = desk.agency.id;
    let id = form.id.trim().to_string();
    let found = {
        let id = id.clone();
        state.db(move |s| s.publication(agency, &id)).await?
    };
    let Some(mut record) = found else {
        return Err(AppError::NotFound(format!("公开文件“{id}”")));
    };
    let result = parse_date("废止日期", &form.repealed_on).and_then(|d| {
        if let Some(old) = record.publication.repealed_on {
            return Err(format!("该文件已于{old}废止"));
        }
        record.publication.repealed_on = Some(d);
        record.publication.validate().map_err(|e| e.to_string())
    });
    if let Err(msg) = result {
        return publications_page(
            &state,
            &desk,
            &PublicationQuery::default(),
            &PublicationForm::default(),
            Some((StatusCode::BAD_REQUEST, msg)),
            None,
        )
        .await;
    }
    let user = desk.staff.user.id;
    let detail = format!(
        "《{}》废止于{}",
        record.publication.title,
        record
            .publication
            .repealed_on
            .map(|d| d.to_string())
            .unwrap_or_default()
    );
    save_publication(&state, record, user, "publication.repeal", detail).await?;
    Ok(Redirect::to(&href(agency, "/console/publications?ok=1")).into_response())
}

// ── table 二 counts ─────────────────────────────────────────────────────────────────────────

#[derive(Clone, Copy, PartialEq, Eq)]
enum Num {
    Count,
    Change,
    Amount,
    Unit,
}

/// One entered figure of table 二: form key, label, kind, and the generations that have it.
struct CountField {
    key: &'static str,
    group: &'static str,
    label: &'static str,
    num: Num,
    g2021: bool,
    g2019: bool,
}

const fn cf(
    key: &'static str,
    group: &'static str,
    label: &'static str,
    num: Num,
    g2021: bool,
    g2019: bool,
) -> CountField {
    CountField {
        key,
        group,
        label,
        num,
        g2021,
        g2019,
    }
}

const FIELDS: &[CountField] = &[
    cf(
        "reg_issued",
        "规章",
        "本年制发件数（2019版：本年新制作数量）",
        Num::Count,
        true,
        true,
    ),
    cf(
        "reg_repealed",
        "规章",
        "本年废止件数",
        Num::Count,
        true,
        false,
    ),
    cf(
        "reg_published",
        "规章",
        "本年新公开数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "reg_in_force",
        "规章",
        "现行有效件数（2019版：对外公开总数量）",
        Num::Count,
        true,
        true,
    ),
    cf(
        "norm_issued",
        "行政规范性文件",
        "本年制发件数（2019版：本年新制作数量）",
        Num::Count,
        true,
        true,
    ),
    cf(
        "norm_repealed",
        "行政规范性文件",
        "本年废止件数",
        Num::Count,
        true,
        false,
    ),
    cf(
        "norm_published",
        "行政规范性文件",
        "本年新公开数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "norm_in_force",
        "行政规范性文件",
        "现行有效件数（2019版：对外公开总数量）",
        Num::Count,
        true,
        true,
    ),
    cf(
        "licensing_previous",
        "行政许可",
        "上一年项目数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "licensing_change",
        "行政许可",
        "本年增/减",
        Num::Change,
        false,
        true,
    ),
    cf(
        "licensing_decisions",
        "行政许可",
        "本年处理决定数量",
        Num::Count,
        true,
        true,
    ),
    cf(
        "services_previous",
        "其他对外管理服务事项",
        "上一年项目数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "services_change",
        "其他对外管理服务事项",
        "本年增/减",
        Num::Change,
        false,
        true,
    ),
    cf(
        "services_decisions",
        "其他对外管理服务事项",
        "本年处理决定数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "penalty_previous",
        "行政处罚",
        "上一年项目数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "penalty_change",
        "行政处罚",
        "本年增/减",
        Num::Change,
        false,
        true,
    ),
    cf(
        "penalty_decisions",
        "行政处罚",
        "本年处理决定数量",
        Num::Count,
        true,
        true,
    ),
    cf(
        "enforcement_previous",
        "行政强制",
        "上一年项目数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "enforcement_change",
        "行政强制",
        "本年增/减",
        Num::Change,
        false,
        true,
    ),
    cf(
        "enforcement_decisions",
        "行政强制",
        "本年处理决定数量",
        Num::Count,
        true,
        true,
    ),
    cf(
        "fees_amount_wan",
        "行政事业性收费",
        "本年收费金额（万元）",
        Num::Amount,
        true,
        false,
    ),
    cf(
        "fees_previous",
        "行政事业性收费",
        "上一年项目数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "fees_change",
        "行政事业性收费",
        "本年增/减",
        Num::Change,
        false,
        true,
    ),
    cf(
        "procurement_items",
        "政府集中采购",
        "采购项目数量",
        Num::Count,
        false,
        true,
    ),
    cf(
        "procurement_amount",
        "政府集中采购",
        "采购总金额",
        Num::Amount,
        false,
        true,
    ),
    cf(
        "procurement_unit",
        "政府集中采购",
        "金额单位",
        Num::Unit,
        false,
        true,
    ),
];

fn get_field(c: &ProactiveCounts, key: &str) -> Option<String> {
    let n = |v: Option<u64>| v.map(|x| x.to_string());
    let i = |v: Option<i64>| v.map(|x| x.to_string());
    let f = |v: Option<f64>| v.map(gongkai_core::model::fmt_num);
    match key {
        "reg_issued" => n(c.regulations.issued),
        "reg_repealed" => n(c.regulations.repealed),
        "reg_published" => n(c.regulations.published),
        "reg_in_force" => n(c.regulations.in_force),
        "norm_issued" => n(c.normative_documents.issued),
        "norm_repealed" => n(c.normative_documents.repealed),
        "norm_published" => n(c.normative_documents.published),
        "norm_in_force" => n(c.normative_documents.in_force),
        "licensing_previous" => n(c.licensing.previous_items),
        "licensing_change" => i(c.licensing.change),
        "licensing_decisions" => n(c.licensing.decisions),
        "services_previous" => n(c.other_services.previous_items),
        "services_change" => i(c.other_services.change),
        "services_decisions" => n(c.other_services.decisions),
        "penalty_previous" => n(c.penalty.previous_items),
        "penalty_change" => i(c.penalty.change),
        "penalty_decisions" => n(c.penalty.decisions),
        "enforcement_previous" => n(c.enforcement.previous_items),
        "enforcement_change" => i(c.enforcement.change),
        "enforcement_decisions" => n(c.enforcement.decisions),
        "fees_amount_wan" => f(c.fees.amount_wan),
        "fees_previous" => n(c.fees.previous_items),
        "fees_change" => i(c.fees.change),
        "procurement_items" => n(c.central_procurement.items),
        "procurement_amount" => f(c.central_procurement.amount),
        "procurement_unit" => c.central_procurement.amount_unit.clone(),
        _ => None,
    }
}

fn set_field(c: &mut ProactiveCounts, field: &CountField, raw: &str) -> Result<(), String> {
    let v = raw.trim().replace([',', '，'], "");
    let label = format!("{}—{}", field.group, field.label);
    let count = || -> Result<Option<u64>, String> {
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{label}：“{v}”不是非负整数"))
    };
    let change = || -> Result<Option<i64>, String> {
        if v.is_empty() {
            return Ok(None);
        }
        v.trim_start_matches('+')
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{label}：“{v}”不是整数"))
    };
    let amount = || -> Result<Option<f64>, String> {
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(format!("{label}：“{v}”不是非负数")),
        }
    };
    match field.key {
        "reg_issued" => c.regulations.issued = count()?,
        "reg_repealed" => c.regulations.repealed = count()?,
        "reg_published" => c.regulations.published = count()?,
        "reg_in_force" => c.regulations.in_force = count()?,
        "norm_issued" => c.normative_documents.issued = count()?,
        "norm_repealed" => c.normative_documents.repealed = count()?,
        "norm_published" => c.normative_documents.published = count()?,
        "norm_in_force" => c.normative_documents.in_force = count()?,
        "licensing_previous" => c.licensing.previous_items = count()?,
        "licensing_change" => c.licensing.change = change()?,
        "licensing_decisions" => c.licensing.decisions = count()?,
        "services_previous" => c.other_services.previous_items = count()?,
        "services_change" => c.other_services.change = change()?,
        "services_decisions" => c.other_services.decisions = count()?,
        "penalty_previous" => c.penalty.previous_items = count()?,
        "penalty_change" => c.penalty.change = change()?,
        "penalty_decisions" => c.penalty.decisions = count()?,
        "enforcement_previous" => c.enforcement.previous_items = count()?,
        "enforcement_change" => c.enforcement.change = change()?,
        "enforcement_decisions" => c.enforcement.decisions = count()?,
        "fees_amount_wan" => c.fees.amount_wan = amount()?,
        "fees_previous" => c.fees.previous_items = count()?,
        "fees_change" => c.fees.change = change()?,
        "procurement_items" => c.central_procurement.items = count()?,
        "procurement_amount" => c.central_procurement.amount = amount()?,
        "procurement_unit" => {
            c.central_procurement.amount_unit = match v.as_str() {
                "" => None,
                "元" | "万元" => Some(v.clone()),
                other => return Err(format!("{label}：只能是“元”或“万元”，不是“{other}”")),
            }
        }
        _ => {}
    }
    Ok(())
}

fn fields_for(year: i32) -> impl Iterator<Item = &'static CountField> {
    let g2019 = matches!(Generation::expected_for_year(year), Generation::G2019);
    FIELDS
        .iter()
        .filter(move |f| if g2019 { f.g2019 } else { f.g2021 })
}

/// The default year of the report pages: the previous year (reports are made in January).
pub fn default_year() -> i32 {
    (today().year() - 1).max(2019)
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    pub year: Option<String>,
    #[serde(default)]
    pub ok: Option<String>,
}

fn year_of(q: &YearQuery) -> Result<i32, AppError> {
    let y = parse_year(q.year.as_deref())?.unwrap_or_else(default_year);
    if y < 2019 {
        return Err(AppError::BadRequest(
            "表二数据和年度报告只适用于2019年度及以后（此前使用2014年统计表格式）".into(),
        ));
    }
    Ok(y)
}

pub async fn counts(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = year_of(&q)?;
    let agency = desk.agency.id;
    let entered = state
        .db(move |s| s.proactive_counts(agency, year))
        .await?
        .unwrap_or_default();
    let values: HashMap<String, String> = FIELDS
        .iter()
        .filter_map(|f| get_field(&entered, f.key).map(|v| (f.key.to_string(), v)))
        .collect();
    let ok = q.ok.as_ref().map(|_| format!("已保存{year}年度表二数据。"));
    counts_page(&state, &desk, year, &values, None, ok).await
}

async fn counts_page(
    state: &AppState,
    desk: &Desk,
    year: i32,
    values: &HashMap<String, String>,
    error: Option<String>,
    ok: Option<String>,
) -> Result<Response, AppError> {
    let agency = desk.agency.id;
    let pubs = state
        .db(move |s| {
            s.list_publications(&PublicationFilter {
                agency: Some(agency),
                ..PublicationFilter::default()
            })
        })
        .await?;
    let pubs: Vec<Publication> = pubs.into_iter().map(|r| r.publication).collect();
    let derived = ProactiveCounts::from_publications(year, &pubs).ok();
    let can_edit = desk.staff.user.role.allows(Role::Supervisor);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let years: Vec<i32> = (2019..=today().year()).rev().collect();
    let g = Generation::expected_for_year(year);
    let body = html! {
        h1 { (year) "年度 表二数据" }
        @if let Some(e) = &error { (flash_error(e)) }
        @if let Some(m) = &ok { (flash_ok(m)) }
        form.box method="get" action="/console/counts" {
            input type="hidden" name="agency" value=(agency);
            label { "年度 " select name="year" { @for y in &years { option value=(y) selected[*y == year] { (y) "年" } } } }
            button type="submit" { "切换" }
        }
        p.muted {
            (year) "年度报告使用" (if g == Generation::G2019 { "2019版（国办公开办函〔2019〕60号）" } else { "2021版（国办公开办函〔2021〕30号）" })
            "格式。许可、处罚、强制、收费等数字来自其他业务系统，请在此填写；规章和规范性文件的数字默认按“主动公开”登记的文件计算，在此填写则以填写为准。留空的数字在报告中为空白（不会当作0）。"
        }
        form.box #counts method="post" action=(href(agency, &format!("/console/counts?year={year}"))) {
            (ui::csrf_field(&desk.staff))
            table.grid {
                thead { tr { th { "项目" } th { "指标" } th { "填写" } th { "按登记的文件计算" } } }
                tbody { @for f in fields_for(year) { tr {
                    td { (f.group) }
                    td { label for=(f.key) { (f.label) } }
                    td {
                        @if f.num == Num::Unit {
                            select #(f.key) name=(f.key) {
                                @let v = values.get(f.key).cloned().unwrap_or_default();
                                option value="" selected[v.is_empty()] { "（未填）" }
                                option value="万元" selected[v == "万元"] { "万元" }
                                option value="元" selected[v == "元"] { "元" }
                            }
                        } @else {
                            input #(f.key) type="text" inputmode="decimal" size="10" name=(f.key) value=(values.get(f.key).cloned().unwrap_or_default());
                        }
                    }
                    td.num { @if let Some(d) = &derived { (get_field(d, f.key).unwrap_or_default()) } }
                } } }
            }
            @if can_edit { p { button type="submit" { "保存" } } }
        }
    };
    Ok(with_status(
        status,
        shell(
            &desk.staff,
            &desk.agency,
            "/console/counts",
            "表二数据",
            body,
        ),
    ))
}

pub async fn save_counts(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<YearQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    desk.staff.require(Role::Supervisor)?;
    desk.staff
        .check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let year = year_of(&q)?;
    let agency = desk.agency.id;
    let mut counts = state
        .db(move |s| s.proactive_counts(agency, year))
        .await?
        .unwrap_or_default();
    // Only the fields of this year's format are in the form; the others keep their values.
    let mut errors = Vec::new();
    for f in fields_for(year) {
        if let Err(e) = set_field(
            &mut counts,
            f,
            form.get(f.key).map(String::as_str).unwrap_or(""),
        ) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        let values: HashMap<String, String> =
            form.into_iter().filter(|(k, _)| k != "csrf").collect();
        return counts_page(&state, &desk, year, &values, Some(errors.join("；")), None).await;
    }
    let user = desk.staff.user.id;
    let filled = fields_for(year)
        .filter(|f| get_field(&counts, f.key).is_some())
        .count();
    state
        .db(move |s| {
            s.save_proactive_counts(agency, year, &counts)?;
            s.audit(
                Some(user),
                Some(agency),
                "counts.save",
                &format!("{agency}/{year}"),
                &format!("{year}年度表二数据，填写{filled}项"),
            )
        })
        .await?;
    Ok(Redirect::to(&href(agency, &format!("/console/counts?year={year}&ok=1"))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_fields_parse_and_round_trip() {
        let mut c = ProactiveCounts::default();
        for f in FIELDS {
            let v = match f.num {
                Num::Count => "12",
                Num::Change => "-3",
                Num::Amount => "1.5",
                Num::Unit => "万元",
            };
            set_field(&mut c, f, v).unwrap();
            assert_eq!(get_field(&c, f.key).as_deref(), Some(v), "{}", f.key);
            set_field(&mut c, f, " ").unwrap();
            assert_eq!(get_field(&c, f.key), None, "{}", f.key);
        }
        let f = FIELDS
            .iter()
            .find(|f| f.key == "licensing_decisions")
            .unwrap();
        set_field(&mut c, f, "1,234").unwrap();
        assert_eq!(c.licensing.decisions, Some(1234));
        let err = set_field(&mut c, f, "-1").unwrap_err();
        assert!(err.contains("不是非负整数"), "{err}");
        assert_eq!(fields_for(2024).count(), 10);
        assert!(fields_for(2020).any(|f| f.key == "procurement_unit"));
    }

    #[test]
    fn appeals_from_forms() {
        let f = AppealForm {
            id: "某府复〔2024〕1号".into(),
            kind: "reconsideration".into(),
            filed_on: "2024-03-01".into(),
            outcome: "corrected".into(),
            decided_on: "2024-05-01".into(),
            ..AppealForm::default()
        };
        let a = build_appeal(&f).unwrap();
        assert_eq!(a.outcome, AppealOutcome::Corrected);
        let mut bad = f.clone();
        bad.decided_on = "2024-02-01".into();
        assert!(build_appeal(&bad).unwrap_err().contains("早于立案日期"));
        let mut bad = f.clone();
        bad.decided_on.clear();
        assert!(build_appeal(&bad).is_err());
        let mut pending = f;
        pending.outcome = "pending".into();
        pending.decided_on.clear();
        assert_eq!(
            build_appeal(&pending).unwrap().outcome,
            AppealOutcome::Pending
        );
    }

    #[test]
    fn publications_from_forms() {
        let f = PublicationForm {
            title: "关于印发某办法的通知".into(),
            kind: "normative_document".into(),
            category: "政策文件".into(),
            index_number: "11000-2024-0001".into(),
            issued_on: "2024-03-01".into(),
            published_on: "2024-02-01".into(),
            ..PublicationForm::default()
        };
        assert!(build_publication(&f).unwrap_err().contains("早于制发日期"));
        let mut ok = f;
        ok.published_on = "2024-03-02".into();
        ok.category_other = "公共资源交易".into();
        let (p, _, _) = build_publication(&ok).unwrap();
        assert_eq!(p.id, "11000-2024-0001");
        assert_eq!(p.category.as_deref(), Some("公共资源交易"));
        ok.index_number.clear();
        let (p, _, _) = build_publication(&ok).unwrap();
        assert!(p.id.starts_with("GK-P-2024-"));
    }
}
