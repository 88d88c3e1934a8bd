//! Feeds of the catalog, per category (`all` = every category): Atom 1.0 (`.atom`), RSS 2.0
//! (`.rss`) and JSON Feed 1.1 (`.json`), the newest 50 publications each.
//!
//! The XML is written by hand — two small fixed shapes — with every text escaped and characters
//! XML 1.0 forbids dropped, so a control character pasted into a title cannot make the feed
//! unreadable. Links are absolute: `GONGKAI_PUBLIC_URL` when set, else from the `Host` header
//! (checked to be a plain host name).

use super::catalog::{catalog_link, publication_link};
use super::PortalError;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use gongkai_core::date::Date;
use gongkai_store::{PublicationFilter, PublicationRecord};
use std::fmt::Write;

const ITEMS: i64 = 50;

/// Text for XML: escaped, without the characters XML 1.0 does not allow.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn base_url(state_public: Option<String>, headers: &HeaderMap) -> String {
    if let Some(u) = state_public {
        return u;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn date_of(r: &PublicationRecord) -> Date {
    r.publication
        .published_on
        .unwrap_or(r.publication.issued_on)
}

fn rfc3339(d: Date) -> String {
    format!("{d}T00:00:00+08:00")
}

fn rfc822(d: Date) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, day) = d.ymd();
    format!(
        "{}, {day:02} {} {y:04} 00:00:00 +0800",
        &d.weekday().label_en()[..3],
        MONTHS[(m as usize).saturating_sub(1).min(11)]
    )
}

fn summary(body: &str) -> String {
    let s: String = body.trim().chars().take(200).collect();
    if body.trim().chars().count() > 200 {
        format!("{s}…")
    } else {
        s
    }
}

pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, PortalError> {
    let Some((name, ext)) = file.rsplit_once('.') else {
        return Err(AppError::NotFound(format!("订阅源“{file}”")).into());
    };
    if !matches!(ext, "atom" | "rss" | "json") {
        return Err(
            AppError::NotFound(format!("订阅源格式“{ext}”（可用 atom、rss、json）")).into(),
        );
    }
    let agency = super::agency(&state).await?;
    let category = (name != "all").then(|| name.to_string());
    let agency_id = agency.id;
    let wanted = category.clone();
    let (known, records) = state
        .db(move |s| {
            let known = match &wanted {
                Some(c) => s.publication_categories(Some(agency_id))?.contains(c),
                None => true,
            };
            let records = if known {
                s.list_publications(&PublicationFilter {
                    agency: Some(agency_id),
                    category: wanted,
                    limit: Some(ITEMS),
                    ..Default::default()
                })?
            } else {
                Vec::new()
            };
            Ok((known, records))
        })
        .await?;
    if !known {
        return Err(AppError::NotFound(format!("类别“{name}”")).into());
    }
    let base = base_url(super::portal(&state).config().public_url, &headers);
    let title = match &category {
        Some(c) => format!("{} 政府信息公开目录 · {c}", agency.name),
        None => format!("{} 政府信息公开目录", agency.name),
    };
    let self_url = format!("{base}/public/feeds/{}.{ext}", super::enc(name));
    let home = format!("{base}{}", catalog_link("", category.as_deref(), None, 1));
    let updated = records
        .iter()
        .map(date_of)
        .max()
        .unwrap_or_else(super::today);
    let item_url = |r: &PublicationRecord| format!("{base}{}", publication_link(&r.publication.id));
    let (content_type, body) = match ext {
        "atom" => {
            let mut x = String::new();
            x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n");
            let _ = writeln!(x, "  <title>{}</title>", xml_escape(&title));
            let _ = writeln!(x, "  <id>{}</id>", xml_escape(&self_url));
            let _ = writeln!(x, "  <updated>{}</updated>", rfc3339(updated));
            let _ = writeln!(
                x,
                "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
                xml_escape(&self_url)
            );
            let _ = writeln!(
                x,
                "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                xml_escape(&home)
            );
            let _ = writeln!(
                x,
                "  <author><name>{}</name></author>",
                xml_escape(&agency.name)
            );
            for r in &records {
                let url = item_url(r);
                x.push_str("  <entry>\n");
                let _ = writeln!(x, "    <title>{}</title>", xml_escape(&r.publication.title));
                let _ = writeln!(x, "    <id>{}</id>", xml_escape(&url));
                let _ = writeln!(
                    x,
                    "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                    xml_escape(&url)
                );
                let _ = writeln!(x, "    <updated>{}</updated>", rfc3339(date_of(r)));
                if let Some(c) = &r.publication.category {
                    let _ = writeln!(x, "    <category term=\"{}\"/>", xml_escape(c));
                }
                let _ = writeln!(
                    x,
                    "    <summary>{}</summary>",
                    xml_escape(&summary(&r.body))
                );
                x.push_str("  </entry>\n");
            }
            x.push_str("</feed>\n");
            ("application/atom+xml; charset=utf-8", x)
        }
        "rss" => {
            let mut x = String::new();
            x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            x.push_str(
                "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n",
            );
            let _ = writeln!(x, "  <title>{}</title>", xml_escape(&title));
            let _ = writeln!(x, "  <link>{}</link>", xml_escape(&home));
            let _ = writeln!(
                x,
                "  <atom:link rel=\"self\" type=\"application/rss+xml\" href=\"{}\"/>",
                xml_escape(&self_url)
            );
            let _ = writeln!(x, "  <description>{}</description>", xml_escape(&title));
            x.push_str("  <language>zh-CN</language>\n");
            let _ = writeln!(x, "  <lastBuildDate>{}</lastBuildDate>", rfc822(updated));
            for r in &records {
                let url = item_url(r);
                x.push_str("  <item>\n");
                let _ = writeln!(x, "    <title>{}</title>", xml_escape(&r.publication.title));
                let _ = writeln!(x, "    <link>{}</link>", xml_escape(&url));
                let _ = writeln!(
                    x,
                    "    <guid isPermaLink=\"true\">{}</guid>",
                    xml_escape(&url)
                );
                let _ = writeln!(x, "    <pubDate>{}</pubDate>", rfc822(date_of(r)));
                if let Some(c) = &r.publication.category {
                    let _ = writeln!(x, "    <category>{}</category>", xml_escape(c));
                }
                let _ = writeln!(
                    x,
                    "    <description>{}</description>",
                    xml_escape(&summary(&r.body))
                );
                x.push_str("  </item>\n");
            }
            x.push_str("</channel>\n</rss>\n");
            ("application/rss+xml; charset=utf-8", x)
        }
        _ => {
            let items: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    let url = item_url(r);
                    let mut item = serde_json::json!({
                        "id": url,
                        "url": url,
                        "title": r.publication.title,
                        "content_text": r.body,
                        "summary": summary(&r.body),
                        "date_published": rfc3339(date_of(r)),
                    });
                    if let Some(c) = &r.publication.category {
                        item["tags"] = serde_json::json!([c]);
                    }
                    item
                })
                .collect();
            let feed = serde_json::json!({
                "version": "https://jsonfeed.org/version/1.1",
                "title": title,
                "home_page_url": home,
                "feed_url": self_url,
                "language": "zh-CN",
                "authors": [{"name": agency.name}],
                "items": items,
            });
            (
                "application/feed+json; charset=utf-8",
                serde_json::to_string_pretty(&feed)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            )
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_drops_forbidden_characters() {
        assert_eq!(xml_escape("a<b>&\"'\u{1}c"), "a&lt;b&gt;&amp;&quot;&apos;c");
    }

    #[test]
    fn formats_dates() {
        let d = Date::new(2026, 11, 23).unwrap();
        assert_eq!(rfc822(d), "Mon, 23 Nov 2026 00:00:00 +0800");
        assert_eq!(rfc3339(d), "2026-11-23T00:00:00+08:00");
    }
}
