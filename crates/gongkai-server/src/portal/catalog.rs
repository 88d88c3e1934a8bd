//! 主动公开目录: the agency's publications by category and year, a search box over titles
//! and bodies (see [`super::search`]), and one page per publication.
//!
//! Browsing (no search words) reads the store, newest first, so it is always current; the
//! category and year facets and the search read the in-RAM index.

use super::search::SearchQuery;
use super::{enc, page, PortalError};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use gongkai_core::register::PublicationKind;
use gongkai_store::{PublicationFilter, PublicationRecord};
use maud::{html, Markup};
use serde::Deserialize;

const PER_PAGE: usize = 20;

#[derive(Deserialize, Default)]
pub struct CatalogQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    page: Option<String>,
}

pub(crate) fn kind_label(kind: PublicationKind) -> &'static str {
    match kind {
        PublicationKind::Regulation => "规章",
        PublicationKind::NormativeDocument => "行政规范性文件",
        PublicationKind::Other => "其他主动公开信息",
    }
}

/// A link to the catalog with these parameters (empty ones left out).
pub(crate) fn catalog_link(
    q: &str,
    category: Option<&str>,
    year: Option<i32>,
    page: usize,
) -> String {
    let mut params = Vec::new();
    if !q.is_empty() {
        params.push(format!("q={}", enc(q)));
    }
    if let Some(c) = category {
        params.push(format!("category={}", enc(c)));
    }
    if let Some(y) = year {
        params.push(format!("year={y}"));
    }
    if page > 1 {
        params.push(format!("page={page}"));
    }
    if params.is_empty() {
        "/public/catalog".into()
    } else {
        format!("/public/catalog?{}", params.join("&"))
    }
}

pub(crate) fn publication_link(id: &str) -> String {
    format!("/public/catalog/{}", enc(id))
}

/// `text` with the byte ranges in `marks` wrapped in `<mark>` (escaped by maud).
fn highlighted(text: &str, marks: &[std::ops::Range<usize>]) -> Markup {
    let mut parts: Vec<(&str, bool)> = Vec::new();
    let mut at = 0;
    for r in marks {
        if r.start < at || r.end > text.len() {
            continue;
        }
        if let (Some(before), Some(hit)) = (text.get(at..r.start), text.get(r.start..r.end)) {
            parts.push((before, false));
            parts.push((hit, true));
            at = r.end;
        }
    }
    parts.push((text.get(at..).unwrap_or(""), false));
    html! {
        @for (part, mark) in parts {
            @if mark { mark { (part) } } @else { (part) }
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<CatalogQuery>,
) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let catalog = super::catalog(&state).await?;
    let text: String =
        q.q.as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .take(100)
            .collect();
    let category = q
        .category
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let year = match q.year.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(y) => Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (1949..=9999).contains(y))
                .ok_or_else(|| AppError::BadRequest(format!("“{y}”不是有效的年份")))?,
        ),
    };
    let page_no = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=5000).contains(p))
            .ok_or_else(|| AppError::BadRequest(format!("“{p}”不是有效的页码")))?,
    };
    let offset = (page_no - 1) * PER_PAGE;
    let categories = catalog.categories();
    let years = catalog.years(category.as_deref());

    let results: Markup;
    let total: usize;
    if !text.is_empty() {
        let query = SearchQuery {
            text: text.clone(),
            category: category.clone(),
            year,
            offset,
            limit: PER_PAGE,
        };
        let searcher = catalog.clone();
        let found = tokio::task::spawn_blocking(move || searcher.search(&query))
            .await
            .map_err(|e| AppError::Internal(format!("后台任务失败：{e}")))??;
        total = found.total;
        results = html! {
            p #result-summary role="status" {
                "检索“" (text) "”"
                @if !found.words.is_empty() { "（分词：" (found.words.join(" / ")) "）" }
                "，共找到 " strong { (found.total) } " 条"
                @if found.relaxed { "；没有同时包含全部词语的文件，以下为包含部分词语的结果" }
                "。"
            }
            ul.results {
                @for hit in &found.hits {
                    li {
                        a.title href=(publication_link(&hit.id)) { (highlighted(&hit.title, &hit.title_highlighted)) }
                        p.small.muted {
                            (hit.issued_on)
                            @if let Some(c) = &hit.category { " · " (c) }
                            @if let Some(n) = &hit.doc_number { " · " (n) }
                        }
                        p.small { (highlighted(&hit.snippet, &hit.highlighted)) "…" }
                    }
                }
            }
        };
    } else {
        let agency_id = agency.id;
        let filter = PublicationFilter {
            agency: Some(agency_id),
            category: category.clone(),
            year,
            limit: Some(PER_PAGE as i64),
            offset: offset as i64,
        };
        let (records, count) = state
            .db(move |s| {
                let count_filter = PublicationFilter {
                    limit: None,
                    offset: 0,
                    ..filter.clone()
                };
                Ok((
                    s.list_publications(&filter)?,
                    s.count_publications(&count_filter)?,
                ))
            })
            .await?;
        total = count.max(0) as usize;
        results = html! {
            p #result-summary role="status" { "共 " strong { (total) } " 条，按发布日期从新到旧排列。" }
            (publication_list(&records))
        };
    }

    let pages = total.div_ceil(PER_PAGE).max(1);
    let body = html! {
        h1 { "政府信息主动公开目录" }
        form.box.searchbar method="get" action="/public/catalog" role="search" {
            label.skip for="q" { "检索词" }
            input #q type="search" name="q" value=(text) placeholder="输入标题或正文中的词语，如“公共资源交易”" maxlength="100";
            @if let Some(c) = &category { input type="hidden" name="category" value=(c); }
            @if let Some(y) = year { input type="hidden" name="year" value=(y); }
            button type="submit" { "检索" }
        }
        nav aria-label="按类别浏览" {
            p.small { strong { "类别：" } }
            div.facets {
                @if category.is_none() { span aria-current="true" { "全部" } }
                @else { a href=(catalog_link(&text, None, year, 1)) { "全部" } }
                @for (c, n) in &categories {
                    @if category.as_deref() == Some(c.as_str()) {
                        span aria-current="true" { (c) "（" (n) "）" }
                    } @else {
                        a href=(catalog_link(&text, Some(c), year, 1)) { (c) "（" (n) "）" }
                    }
                }
            }
        }
        nav aria-label="按年度浏览" {
            p.small { strong { "年度：" } }
            div.facets {
                @if year.is_none() { span aria-current="true" { "全部" } }
                @else { a href=(catalog_link(&text, category.as_deref(), None, 1)) { "全部" } }
                @for (y, n) in &years {
                    @if year == Some(*y) {
                        span aria-current="true" { (y) "年（" (n) "）" }
                    } @else {
                        a href=(catalog_link(&text, category.as_deref(), Some(*y), 1)) { (y) "年（" (n) "）" }
                    }
                }
            }
        }
        (results)
        @if pages > 1 {
            nav.pager aria-label="分页" {
                @if page_no > 1 {
                    a href=(catalog_link(&text, category.as_deref(), year, page_no - 1)) rel="prev" { "上一页" }
                }
                span { "第 " (page_no) " / " (pages) " 页" }
                @if page_no < pages {
                    a href=(catalog_link(&text, category.as_deref(), year, page_no + 1)) rel="next" { "下一页" }
                }
            }
        }
        h2 { "订阅" }
        (feed_links(category.as_deref()))
    };
    Ok(page(Some(&agency.name), "公开目录", "/public/catalog", body).into_response())
}

pub(crate) fn feed_links(category: Option<&str>) -> Markup {
    let name = category.unwrap_or("all");
    let label = category.unwrap_or("全部类别");
    html! {
        p.small {
            (label) "：" a href={ "/public/feeds/" (enc(name)) ".atom" } { "Atom" } " · "
            a href={ "/public/feeds/" (enc(name)) ".rss" } { "RSS" } " · "
            a href={ "/public/feeds/" (enc(name)) ".json" } { "JSON Feed" }
        }
    }
}

pub(crate) fn publication_list(records: &[PublicationRecord]) -> Markup {
    html! {
        ul.results {
            @for r in records {
                li {
                    a.title href=(publication_link(&r.publication.id)) { (r.publication.title) }
                    p.small.muted {
                        (r.publication.issued_on)
                        @if let Some(c) = &r.publication.category { " · " (c) }
                        @if let Some(n) = &r.publication.doc_number { " · " (n) }
                    }
                }
            }
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let agency = super::agency(&state).await?;
    let agency_id = agency.id;
    let wanted = id.clone();
    let record = state
        .db(move |s| s.publication(agency_id, &wanted))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("公开文件“{id}”")))?;
    let p = &record.publication;
    let body = html! {
        p.small { a href="/public/catalog" { "← 公开目录" } }
        h1 { (p.title) }
        div.box {
            dl.facts {
                @if let Some(n) = &p.index_number { dt { "索引号" } dd { (n) } }
                @if let Some(n) = &p.doc_number { dt { "文号" } dd { (n) } }
                @if let Some(i) = &record.issuer { dt { "发布机构" } dd { (i) } }
                @if let Some(c) = &p.category { dt { "主题分类" } dd {
                    a href=(catalog_link("", Some(c), None, 1)) { (c) } } }
                dt { "文件类型" } dd { (kind_label(p.kind)) }
                dt { "成文日期" } dd { (p.issued_on.to_zh()) }
                @if let Some(d) = p.published_on { dt { "发布日期" } dd { (d.to_zh()) } }
                @if let Some(d) = p.repealed_on { dt { "废止日期" } dd { strong { (d.to_zh()) "（已废止）" } } }
            }
        }
        @if record.body.trim().is_empty() {
            p.muted { "（本文件未登记正文。）" }
        } @else {
            div.body-text { (record.body.trim()) }
        }
    };
    Ok(page(Some(&agency.name), &p.title, "/public/catalog", body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_are_escaped() {
        let html = highlighted("a<b>交易c", std::slice::from_ref(&(4..10))).into_string();
        assert_eq!(html, "a&lt;b&gt;<mark>交易</mark>c");
    }
}
