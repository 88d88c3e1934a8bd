//! The public portal, black-box over HTTP on both backends: apply → receipt → tracking (and
//! what the tracking page must never show), the abuse controls (rate limit, challenge, CSRF,
//! duplicates, attachment size and type), the catalog (Chinese search inside compounds, title
//! matches first, categories and years, feeds that parse), the guide and the annual reports.

use crate::portal_support;
use crate::support;

use gongkai_core::date::Date;
use gongkai_core::register::{Publication, PublicationKind};
use gongkai_server::portal;
use gongkai_store::{AgencyId, PublicationRecord, RequestFilter, RequestSource};
use portal_support::{apply, client, code_of, fields, open_form, post, set, AGENCY};
use support::{Backend, TestServer};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

on_both_backends!(
    apply_receipt_and_track,
    abuse_controls,
    attachments_are_limited_and_checked,
    catalog_search_browse_and_feeds,
    guide_and_annual_reports,
    staff_registered_requests_are_tracked_by_their_code,
);

fn count(server: &TestServer, agency: AgencyId) -> i64 {
    server
        .store
        .count_requests(&RequestFilter {
            agency: Some(agency),
            ..Default::default()
        })
        .unwrap()
}

fn apply_receipt_and_track(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 100) else {
        return;
    };
    let base = server.base.clone();
    let citizen = client();

    // The form: every Art. 29 field, labelled, with the challenge and the CSRF token.
    let page = citizen
        .get(server.url("/public/apply"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for label in [
        "申请人类型",
        "姓名或名称",
        "身份证明类型",
        "证件号码",
        "联系电话",
        "所需政府信息的名称、文号或者便于查询的其他特征性描述",
        "载体形式",
        "获取方式",
        "验证题",
        AGENCY,
    ] {
        assert!(page.contains(label), "form shows {label}");
    }
    assert!(page.contains("name=\"viewport\""), "works on a phone");
    assert!(!page.contains("<script"), "no JavaScript needed");

    let mut f = fields(1);
    let id = f.iter().find(|(k, _)| *k == "id_number").unwrap().1.clone();
    set(&mut f, "phone", "13912345678");
    set(&mut f, "address", "江苏省南京市鼓楼区北京西路99号");
    set(&mut f, "email", "secret.person@example.cn");
    let resp = apply(&base, &citizen, &f, &[]);
    assert_eq!(resp.status().as_u16(), 303, "{}", resp.text().unwrap());
    let code = code_of(&resp).expect("redirect to the receipt");
    assert!(!code.is_empty());

    // Stored: online, for the agency, personal data in the private columns only.
    let stored = server.store.request(&code).unwrap().expect("stored");
    assert_eq!(stored.agency, agency);
    assert_eq!(stored.source, RequestSource::Online);
    assert!(stored.private.id_number.as_deref().unwrap().contains(&id));
    assert_eq!(stored.private.phone.as_deref(), Some("13912345678"));
    assert!(stored
        .private
        .address
        .as_deref()
        .unwrap()
        .contains("北京西路99号"));
    let request_json = serde_json::to_string(&stored.request).unwrap();
    assert!(
        !request_json.contains(&id),
        "the request JSON carries no 证件号码"
    );
    let due = stored.request.clock.due_date();

    // The receipt: the code, the receipt date and the statutory due date with its basis.
    let receipt = citizen
        .get(server.url(&format!("/public/receipt/{code}")))
        .send()
        .unwrap();
    assert_eq!(receipt.status().as_u16(), 200);
    let receipt = receipt.text().unwrap();
    assert!(receipt.contains(&code));
    assert!(receipt.contains("查询码"));
    assert!(receipt.contains("第三十三条"));
    match due {
        Some(due) => assert!(
            receipt.contains(&due.to_zh()),
            "due date {due} on the receipt"
        ),
        None => assert!(receipt.contains("暂无法计算")),
    }

    // Tracking: status, due date, the steps — never the personal data.
    let secrets = [
        id.as_str(),
        "13912345678",
        "北京西路99号",
        "secret.person@example.cn",
        "网上申请平台",
    ];
    for variant in [code.clone(), code.to_lowercase(), code.replace('-', " ")] {
        let resp = citizen
            .get(server.url("/public/track"))
            .query(&[("code", variant.as_str())])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "track {variant}");
        let page = resp.text().unwrap();
        assert!(page.contains(&code));
        assert!(page.contains("办理中"), "status shown");
        assert!(page.contains("收到申请（网络提交）"), "timeline shown");
        if let Some(due) = due {
            assert!(page.contains(&due.to_zh()), "due date shown");
        }
        assert!(page.contains("张*"), "name masked");
        for secret in secrets {
            assert!(!page.contains(secret), "tracking page leaks {secret}");
        }
    }
    for secret in &secrets[..4] {
        assert!(!receipt.contains(secret), "receipt leaks {secret}");
    }

    // Another code, a malformed one, and a staff-entered request: not found.
    let stranger = client();
    for other in [
        "20261123-AAAA-BBBB-CCCC",
        "GK-2024-XXXXXX",
        "'; DROP TABLE requests; --",
    ] {
        let resp = stranger
            .get(server.url("/public/track"))
            .query(&[("code", other)])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{other}");
        assert!(resp.text().unwrap().contains("未找到"));
    }
    let resp = stranger
        .get(server.url("/public/receipt/20261123-AAAA-BBBB-CCCC"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // The request is in the staff queue.
    let viewer = server.login("viewer");
    let queue = viewer
        .get(server.url(&format!("/console?agency={}", agency.0)))
        .send()
        .unwrap();
    assert_eq!(queue.status().as_u16(), 200);
    assert!(
        queue.text().unwrap().contains(&code),
        "code in the staff queue"
    );
    assert_eq!(count(&server, agency), 1);
}

/// A request a clerk registered (a letter by post) gets a long code the applicant can track on
/// the portal, typed in any case and with or without dashes; the page shows no personal data.
/// Older short codes and ledger imports stay staff-only.
fn staff_registered_requests_are_tracked_by_their_code(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 1000) else {
        return;
    };
    let supervisor = server.login("supervisor");
    let csrf = server.csrf(&supervisor);
    let resp = supervisor
        .post(server.url(&format!("/console/requests/new?agency={agency}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("applicant_type", "natural_person"),
            ("name", "赵六"),
            ("id_number", "110101197003034567"),
            ("phone", "13600001111"),
            ("address", "示例县邮政路 3 号"),
            ("channel", "post"),
            ("received_on", "2024-09-27"),
            ("description", "本县2023年度财政预算执行情况"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let code = location
        .strip_prefix("/console/requests/")
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_string();
    assert!(
        gongkai_server::console::is_public_staff_code(&code),
        "{code}"
    );
    let detail = supervisor
        .get(server.url(&location))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        detail.contains("id=\"trackable\""),
        "the clerk is told it can be tracked"
    );

    let citizen = client();
    let sloppy = code.replace('-', "").to_lowercase();
    for typed in [code.clone(), sloppy] {
        let resp = citizen
            .get(server.url("/public/track"))
            .query(&[("code", typed.as_str())])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{typed}");
        let page = resp.text().unwrap();
        assert!(page.contains(&code) && page.contains("赵*"), "{page}");
        for secret in ["赵六", "110101197003034567", "13600001111", "邮政路"] {
            assert!(!page.contains(secret), "tracking page leaks {secret}");
        }
    }

    // A short code of the old form and a ledger import: staff-only.
    use gongkai_core::calendar::Calendar;
    use gongkai_core::lifecycle::{
        Applicant, ApplicantType, Channel, Event, EventKind, Request, RequestId,
    };
    for (code, source) in [
        ("GK-2024-ABCDEF", RequestSource::Staff),
        ("GK-2024-HJKM-NPQR-STVW", RequestSource::Ledger),
    ] {
        let request = Request::receive(
            RequestId(code.into()),
            Event::new(
                Date::parse("2024-09-27").unwrap(),
                "测试员",
                EventKind::Received {
                    channel: Channel::Post,
                    applicant: Applicant {
                        kind: ApplicantType::NaturalPerson,
                        name: "钱七".into(),
                        identity: None,
                        contact: None,
                    },
                    description: "某事项".into(),
                },
            ),
            &Calendar::builtin(),
        )
        .unwrap();
        server
            .store
            .create_request(&gongkai_store::NewRequest {
                agency,
                request: &request,
                private: &Default::default(),
                source,
                recorded_by: None,
                attachments: &[],
                fingerprint: None,
            })
            .unwrap();
        let resp = citizen
            .get(server.url("/public/track"))
            .query(&[("code", code)])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{code}");
    }
}

fn abuse_controls(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 5) else {
        return;
    };
    let base = server.base.clone();
    let citizen = client();

    // A wrong answer: the form again with the entries kept and a clear message; nothing stored.
    let state = open_form(&base, &citizen);
    let wrong = (state.answer().parse::<i64>().unwrap() + 1).to_string();
    let resp = post(&base, &citizen, &state, &fields(10), &[], Some(&wrong));
    assert_eq!(resp.status().as_u16(), 400);
    let page = resp.text().unwrap();
    assert!(page.contains("验证题答案不正确"), "{page}");
    assert!(page.contains("张三"), "entries kept");
    assert_eq!(count(&server, agency), 0);

    // A challenge is good once: the right answer with a used token is refused.
    let resp = post(&base, &citizen, &state, &fields(10), &[], None);
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().unwrap().contains("已使用过"));

    // Duplicate: the same applicant and description within 24 h gets the same code.
    let first = apply(&base, &citizen, &fields(11), &[]);
    assert_eq!(first.status().as_u16(), 303);
    let code = code_of(&first).unwrap();
    let again = apply(&base, &citizen, &fields(11), &[]);
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(code_of(&again).as_deref(), Some(code.as_str()));
    let location = again.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with("?duplicate=1"), "{location}");
    let page = citizen
        .get(server.url(&location))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("未重复登记") && page.contains(&code));
    // Spacing and punctuation do not make it new.
    let mut f = fields(11);
    let d = f
        .iter()
        .find(|(k, _)| *k == "description")
        .unwrap()
        .1
        .clone();
    set(
        &mut f,
        "description",
        &format!("  {}。", d.replace("及", " 及 ")),
    );
    let third = apply(&base, &citizen, &f, &[]);
    assert_eq!(code_of(&third).as_deref(), Some(code.as_str()));
    assert_eq!(count(&server, agency), 1);

    // Rate limit: 5 submissions per 10 minutes from one address — the five above, wrong or
    // duplicate, all count — so the sixth is refused with 429 and a Chinese message.
    let resp = apply(&base, &citizen, &fields(12), &[]);
    assert_eq!(resp.status().as_u16(), 429, "{}", resp.text().unwrap());
    let state = open_form(&base, &citizen);
    let resp = post(&base, &citizen, &state, &fields(13), &[], None);
    assert_eq!(resp.status().as_u16(), 429);
    let text = resp.text().unwrap();
    assert!(text.contains("提交过于频繁"), "{text}");
    assert_eq!(count(&server, agency), 1);
}

fn attachments_are_limited_and_checked(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 100) else {
        return;
    };
    let base = server.base.clone();
    let citizen = client();

    // CSRF: without the token (or with another one) → 403, nothing stored.
    let state = open_form(&base, &citizen);
    let forged = portal_support::FormState {
        csrf: "0".repeat(64),
        challenge: state.challenge.clone(),
        question: state.question.clone(),
    };
    let resp = post(&base, &citizen, &forged, &fields(20), &[], None);
    assert_eq!(resp.status().as_u16(), 403);
    let no_cookie = client();
    let resp = post(&base, &no_cookie, &state, &fields(20), &[], None);
    assert_eq!(resp.status().as_u16(), 403);

    // Over 10 MB in all: 413 with the reason, nothing stored.
    let big = {
        let mut b = b"%PDF-1.4\n".to_vec();
        b.resize(6 * 1024 * 1024, b'0');
        b
    };
    let resp = apply(
        &base,
        &citizen,
        &fields(21),
        &[("身份证明.pdf", big.clone()), ("委托书.pdf", big)],
    );
    assert_eq!(resp.status().as_u16(), 413);
    let text = resp.text().unwrap();
    assert!(text.contains("附件合计不能超过 10 MB"), "{text}");
    assert!(text.contains("申请未提交"));

    // A program named .pdf, and a spreadsheet named .docx: refused by content.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    let resp = apply(&base, &citizen, &fields(22), &[("身份证.pdf", exe)]);
    assert_eq!(resp.status().as_u16(), 400);
    let text = resp.text().unwrap();
    assert!(text.contains("不是可接受的文件类型"), "{text}");
    let xlsx = support::zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
    ]);
    let resp = apply(&base, &citizen, &fields(23), &[("材料.docx", xlsx)]);
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(count(&server, agency), 0, "nothing stored");

    // Good attachments are stored with the request, named by their real type.
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let docx = support::zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
    ]);
    let resp = apply(
        &base,
        &citizen,
        &fields(24),
        &[
            ("照片", png),
            ("说明.txt", "补充说明：需要纸质版。".as_bytes().to_vec()),
            ("委托书.docx", docx),
        ],
    );
    assert_eq!(resp.status().as_u16(), 303, "{}", resp.text().unwrap());
    let code = code_of(&resp).unwrap();
    let stored = server.store.request(&code).unwrap().unwrap();
    let names: Vec<&str> = stored
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    assert_eq!(names, ["照片.png", "说明.txt", "委托书.docx"]);
    let (_, bytes) = server
        .store
        .attachment(&code, stored.attachments[1].id)
        .unwrap()
        .unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), "补充说明：需要纸质版。");

    // More than 5 files: refused.
    let many: Vec<(&str, Vec<u8>)> = (0..6).map(|_| ("a.txt", b"text".to_vec())).collect();
    let resp = apply(&base, &citizen, &fields(25), &many);
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().unwrap().contains("附件最多 5 个"));
    assert_eq!(count(&server, agency), 1);
}

fn publication(
    agency: AgencyId,
    id: &str,
    title: &str,
    body: &str,
    category: &str,
    issued: &str,
) -> PublicationRecord {
    PublicationRecord {
        agency,
        publication: Publication {
            id: id.into(),
            title: title.into(),
            kind: PublicationKind::Other,
            doc_number: Some(format!("示政办〔{}〕{}号", &issued[..4], id.len())),
            index_number: Some(format!("11500000MB0000000X/{issued}-{id}")),
            category: Some(category.into()),
            issued_on: Date::parse(issued).unwrap(),
            published_on: None,
            repealed_on: None,
        },
        issuer: Some(AGENCY.into()),
        body: body.into(),
    }
}

/// Positions of the publication links in a page, in order.
fn linked_ids(page: &str) -> Vec<String> {
    page.match_indices("href=\"/public/catalog/")
        .filter_map(|(i, m)| {
            let rest = &page[i + m.len()..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

fn catalog_search_browse_and_feeds(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 100) else {
        return;
    };
    let other = server
        .store
        .ensure_agency("另一个单位", gongkai_store::AgencyLevel::Department, None)
        .unwrap();
    for record in [
        publication(
            agency,
            "body-match",
            "关于调整办公用房的通知",
            "经研究，县公共资源交易中心将于2024年5月迁至新址办公。",
            "通知公告",
            "2024-04-01",
        ),
        publication(
            agency,
            "title-match",
            "示例县公共资源交易管理办法",
            "第一条 为规范本县各类项目的招标投标活动，制定本办法。",
            "规章",
            "2023-06-15",
        ),
        publication(
            agency,
            "unrelated",
            "2024年部门预算",
            "本部门2024年收入预算1234万元。",
            "财政预算",
            "2024-02-01",
        ),
        publication(
            agency,
            "escape",
            "标题含<b>标签</b>&符号\u{1}",
            "正文含 <script>alert(1)</script> 与 ]]> 等字符。",
            "通知公告",
            "2022-12-30",
        ),
        publication(
            other,
            "elsewhere",
            "另一单位的公共资源交易公告",
            "不属于本门户。",
            "通知公告",
            "2024-01-01",
        ),
    ] {
        server.store.save_publication(&record).unwrap();
    }
    let citizen = client();
    let get = |path: &str| {
        let resp = citizen.get(server.url(path)).send().unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().unwrap())
    };

    // 交易 is found inside 公共资源交易中心 (body) and 公共资源交易管理办法 (title); the title
    // match ranks first; another agency's publication is not there.
    let (status, page) = get("/public/catalog?q=%E4%BA%A4%E6%98%93");
    assert_eq!(status, 200);
    assert_eq!(linked_ids(&page), ["title-match", "body-match"], "{page}");
    assert!(page.contains("共找到 <strong>2</strong> 条"), "{page}");
    assert!(page.contains("<mark>交易</mark>"), "matches highlighted");
    // A longer query that jieba splits differently from the text.
    let (_, page) = get(&format!(
        "/public/catalog?q={}",
        portal_support_enc("资源交易中心")
    ));
    assert_eq!(
        linked_ids(&page).first().map(String::as_str),
        Some("body-match")
    );
    // Filters combine with the search.
    let (_, page) = get(&format!(
        "/public/catalog?q={}&year=2024",
        portal_support_enc("交易")
    ));
    assert_eq!(linked_ids(&page), ["body-match"]);

    // Browsing: newest first, by category and year, with facet counts.
    let (_, page) = get("/public/catalog");
    let ids = linked_ids(&page);
    assert_eq!(ids, ["body-match", "unrelated", "title-match", "escape"]);
    assert!(page.contains("规章（1）") && page.contains("2024年（2）"));
    let (_, page) = get(&format!(
        "/public/catalog?category={}",
        portal_support_enc("规章")
    ));
    assert_eq!(linked_ids(&page), ["title-match"]);
    let (_, page) = get("/public/catalog?year=2022");
    assert_eq!(linked_ids(&page), ["escape"]);
    assert!(!page.contains("<b>标签"), "titles escaped");
    let (status, _) = get("/public/catalog?year=abc");
    assert_eq!(status, 400);

    // One publication.
    let (status, page) = get("/public/catalog/title-match");
    assert_eq!(status, 200);
    assert!(page.contains("示例县公共资源交易管理办法") && page.contains("第一条"));
    assert!(page.contains("示政办〔2023〕11号"));
    let (status, _) = get("/public/catalog/elsewhere");
    assert_eq!(status, 404, "another agency's publication");
    let (_, page) = get("/public/catalog/escape");
    assert!(!page.contains("<script>alert(1)"));

    // A publication saved after the index was built is searchable at once.
    let late = publication(
        agency,
        "late",
        "关于开展公共资源交易专项检查的公告",
        "检查范围为2024年度项目。",
        "通知公告",
        "2024-06-01",
    );
    server.store.save_publication(&late).unwrap();
    portal::publication_saved(&server.store, &late).unwrap();
    let (_, page) = get(&format!(
        "/public/catalog?q={}",
        portal_support_enc("专项检查")
    ));
    assert_eq!(linked_ids(&page), ["late"]);

    // Feeds: well-formed Atom and RSS, valid JSON Feed, per category.
    for (path, root) in [
        ("/public/feeds/all.atom", "feed"),
        ("/public/feeds/all.rss", "rss"),
        (
            &*format!("/public/feeds/{}.atom", portal_support_enc("通知公告")),
            "feed",
        ),
    ] {
        let resp = citizen.get(server.url(path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ctype.contains("xml"), "{path}: {ctype}");
        let xml = resp.text().unwrap();
        let (first, titles) = parse_xml(&xml);
        assert_eq!(first, root, "{path}");
        assert!(
            titles.iter().any(|t| t.contains("标题含<b>标签</b>&符号")),
            "{path}: {titles:?}"
        );
        assert!(!titles.iter().any(|t| t.contains("另一单位")), "{path}");
    }
    let (_, xml) = get(&format!("/public/feeds/{}.rss", portal_support_enc("规章")));
    let (_, titles) = parse_xml(&xml);
    assert!(
        titles.contains(&"示例县公共资源交易管理办法".to_string()),
        "{titles:?}"
    );
    assert!(!titles.iter().any(|t| t.contains("办公用房")));
    let (status, json) = get("/public/feeds/all.json");
    assert_eq!(status, 200);
    let feed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items
        .iter()
        .all(|i| i["url"].as_str().unwrap().starts_with("http://127.0.0.1:")));
    let (status, _) = get("/public/feeds/no-such-category.atom");
    assert_eq!(status, 404);
    let (status, _) = get("/public/feeds/all.xml");
    assert_eq!(status, 404);
}

fn portal_support_enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The root element's name and every `title` element's text; panics on malformed XML.
fn parse_xml(xml: &str) -> (String, Vec<String>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut root = None;
    let mut titles = Vec::new();
    let mut in_title = false;
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                let name = e.name().as_ref().to_string();
                root.get_or_insert(name.clone());
                in_title = name == "title";
                if in_title {
                    titles.push(String::new());
                }
            }
            Ok(Event::Empty(e)) => {
                let name = e.name().as_ref().to_string();
                root.get_or_insert(name);
            }
            Ok(Event::End(_)) => {
                depth -= 1;
                in_title = false;
            }
            Ok(Event::Text(t)) if in_title => {
                titles.last_mut().unwrap().push_str(&t);
            }
            Ok(Event::GeneralRef(r)) if in_title => {
                let text = match &*r {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other:?}"),
                };
                titles.last_mut().unwrap().push_str(text);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed XML at {}: {e}\n{xml}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "balanced elements");
    (root.expect("a root element"), titles)
}

fn guide_and_annual_reports(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 100) else {
        return;
    };
    let citizen = client();
    // The guide (drafted from the 条例 with the agency's name) and the links.
    let page = citizen
        .get(server.url("/public"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("政府信息公开指南") && page.contains(AGENCY));
    for link in [
        "/public/apply",
        "/public/track",
        "/public/catalog",
        "/public/reports",
    ] {
        assert!(page.contains(&format!("href=\"{link}\"")), "{link}");
    }
    // The agency's own guide, once published in the catalog, replaces the draft.
    server
        .store
        .save_publication(&publication(
            agency,
            "guide-2024",
            "示例县人民政府办公室政府信息公开指南",
            "一、受理机构：示例县政务服务中心三楼，电话 0000-1234567。",
            "政府信息公开指南",
            "2024-01-05",
        ))
        .unwrap();
    let page = citizen
        .get(server.url("/public"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("示例县政务服务中心三楼"));

    // Annual reports: import the samples as a supervisor, serve one agency's reports.
    let supervisor = server.login("supervisor");
    let csrf = server.csrf(&supervisor);
    let mut form = reqwest::blocking::multipart::Form::new().text("csrf", csrf);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        form = form.part(
            "files",
            reqwest::blocking::multipart::Part::bytes(support::sample(name))
                .file_name(name.clone()),
        );
    }
    let resp = supervisor
        .post(server.url("/upload"))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    support::wait_for_batch(&server, &supervisor, &location);
    let reports = server
        .store
        .list_reports(&gongkai_store::ReportFilter::default())
        .unwrap();
    let first = reports.first().expect("samples imported").clone();
    let mine: Vec<_> = reports
        .iter()
        .filter(|r| r.agency == first.agency)
        .collect();
    let foreign = reports.iter().find(|r| r.agency != first.agency);
    portal::configure(
        &server.store,
        portal::PortalConfig {
            agency: Some(first.agency_name.clone()),
            rate_limit: 100,
            ..Default::default()
        },
    );
    let page = citizen
        .get(server.url("/public/reports"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for r in &mine {
        assert!(page.contains(&format!("href=\"/public/reports/{}\"", r.id)));
    }
    if let Some(f) = foreign {
        assert!(!page.contains(&format!("href=\"/public/reports/{}\"", f.id)));
        let resp = citizen
            .get(server.url(&format!("/public/reports/{}", f.id)))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "another agency's report");
    }
    let resp = citizen
        .get(server.url(&format!("/public/reports/{}", first.id)))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().unwrap();
    assert!(page.contains("<table"), "the report's tables");
    assert!(page.contains(&first.agency_name));
    assert!(!page.contains("检查结果"), "no findings on the public page");
    assert!(!page.contains(&first.file_name), "no staff details");
    let resp = citizen
        .get(server.url("/public/reports/abc"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
