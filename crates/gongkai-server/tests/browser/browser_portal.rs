//! Browser test of the public portal in headless Chromium: a citizen applies on
//! `/public/apply` (a wrong answer to the challenge first: the form comes back with the entries
//! kept), gets a receipt with the 查询码 and the statutory due date, and sees the request on the
//! tracking page; a clerk logs in, finds the request in the staff queue (`/console`), opens it
//! and answers it with the console's action form; the citizen then sees the answer on the
//! tracking page. Also: the catalog search and the form on a phone-sized screen.
//!
//! Screenshots: `$GONGKAI_ARTIFACTS/screenshots/portal-NN-step.png` (default
//! `target/ci-artifacts`). Without Chromium and chromedriver the test says so and passes,
//! unless `GONGKAI_REQUIRE_BROWSER=1` (set by CI).

use crate::portal_support;
use crate::support;

use gongkai_core::date::Date;
use gongkai_core::register::{Publication, PublicationKind};
use gongkai_store::PublicationRecord;
use serde_json::json;
use std::time::{Duration, Instant};
use support::webdriver::{self, path_of, Browser};
use support::{Backend, PASSWORD};

const WAIT: Duration = Duration::from_secs(60);

struct Steps<'a> {
    browser: &'a Browser,
    count: usize,
    started: Instant,
}

impl Steps<'_> {
    #[track_caller]
    fn shot(&mut self, name: &str) {
        self.count += 1;
        let path = self
            .browser
            .screenshot(&format!("portal-{:02}-{name}", self.count));
        eprintln!(
            "[{:>5.1}s] {}",
            self.started.elapsed().as_secs_f64(),
            path.display()
        );
    }
}

fn answer(question: &str) -> String {
    portal_support::FormState {
        csrf: String::new(),
        challenge: String::new(),
        question: question.trim().to_string(),
    }
    .answer()
}

#[test]
fn apply_track_answer_in_a_browser() {
    if !webdriver::browser_available() {
        return;
    }
    let artifacts = webdriver::artifacts_dir();
    let Some((server, agency)) = portal_support::start(Backend::Sqlite, 100) else {
        panic!("SQLite test server");
    };
    for (id, title, body, category, issued) in [
        (
            "2024-001",
            "示例县公共资源交易管理办法",
            "第一条 为规范公共资源交易活动，制定本办法。",
            "规章",
            "2024-03-01",
        ),
        (
            "2024-002",
            "关于县公共资源交易中心搬迁的公告",
            "县公共资源交易中心自2024年5月起在新址办公。",
            "通知公告",
            "2024-04-20",
        ),
    ] {
        server
            .store
            .save_publication(&PublicationRecord {
                agency,
                publication: Publication {
                    id: id.into(),
                    title: title.into(),
                    kind: PublicationKind::Other,
                    doc_number: None,
                    index_number: None,
                    category: Some(category.into()),
                    issued_on: Date::parse(issued).unwrap(),
                    published_on: None,
                    repealed_on: None,
                },
                issuer: None,
                body: body.into(),
            })
            .unwrap();
    }
    let browser = Browser::start(&artifacts);
    let mut steps = Steps {
        browser: &browser,
        count: 0,
        started: Instant::now(),
    };

    // 1. The portal's front page: the guide and the ways in. `/` sends the public there.
    browser.goto(&server.url("/"));
    let text = browser.wait_for_page("/public", WAIT, |p| p == "/public");
    assert!(text.contains("政府信息公开指南"), "{text}");
    steps.shot("home");

    // 2. The form, filled in as a citizen would — with a wrong sum first.
    browser.link("申请政府信息公开").click();
    browser.wait_for_page("/public/apply", WAIT, |p| p == "/public/apply");
    browser
        .find("input[name=applicant_type][value=natural_person]")
        .click();
    browser.find("#name").send_keys("王五");
    browser
        .find("#id_number")
        .send_keys(&portal_support::id_number(99));
    browser.find("#phone").send_keys("0512-6888 1234");
    browser.find("#email").send_keys("wangwu@example.cn");
    browser
        .find("#address")
        .send_keys("江苏省苏州市姑苏区人民路1号");
    browser
        .find("#description")
        .send_keys("请公开示例县2024年公共资源交易中心搬迁项目的批复文件及预算");
    browser.find("input[name=medium][value='电子数据']").click();
    browser
        .find("input[name=delivery][value='电子邮件']")
        .click();
    let question = browser.find("#challenge-question").text();
    let wrong = (answer(&question).parse::<i64>().unwrap() + 1).to_string();
    browser.find("#answer").send_keys(&wrong);
    browser.find("input[name=consent]").click();
    steps.shot("apply-filled");
    browser.find("form button[type=submit]").click();
    let text = browser.wait_for_text("申请未提交", WAIT);
    assert!(text.contains("验证题答案不正确"), "{text}");
    assert_eq!(
        browser.find("#name").property("value").as_str(),
        Some("王五"),
        "entries kept"
    );
    steps.shot("apply-wrong-answer");

    // 3. The right sum (a new question) and an attachment: the receipt.
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("身份证明.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% test\n").unwrap();
    browser
        .find("#attachments")
        .send_keys(&pdf.canonicalize().unwrap().display().to_string());
    let question = browser.find("#challenge-question").text();
    browser.find("#answer").send_keys(&answer(&question));
    browser.find("form button[type=submit]").click();
    let text = browser.wait_for_text("申请已提交", WAIT);
    let code = browser.find("#tracking-code").text();
    assert!(
        path_of(&browser.current_url()).starts_with("/public/receipt/"),
        "{}",
        browser.current_url()
    );
    let stored = server.store.request(&code).unwrap().expect("stored");
    assert_eq!(stored.attachments.len(), 1);
    if let Some(due) = stored.request.clock.due_date() {
        assert!(
            text.contains(&due.to_zh()),
            "due date on the receipt: {text}"
        );
    }
    steps.shot("receipt");

    // 4. Tracking: in progress.
    browser.link("查看办理进度").click();
    let text = browser.wait_for_text("申请办理进度", WAIT);
    assert!(text.contains("办理中") && text.contains(&code), "{text}");
    assert!(!text.contains("0512-6888 1234") && !text.contains("人民路1号"));
    steps.shot("track-in-progress");

    // 5. A clerk logs in and finds it in the staff queue.
    browser.goto(&server.url(&format!(
        "/login?next={}",
        support_enc(&format!("/console?agency={}", agency.0))
    )));
    browser.find("#username").send_keys("supervisor");
    browser.find("#password").send_keys(PASSWORD);
    browser.find("form button[type=submit]").click();
    let text = browser.wait_for_page("/console", WAIT, |p| p.starts_with("/console"));
    assert!(text.contains(&code), "the request is in the queue: {text}");
    steps.shot("staff-queue");

    // 6. Open it and answer it with the console's form.
    browser.find(&format!("a[href*='{code}']")).click();
    browser.wait_for_page("request detail", WAIT, |p| {
        p.starts_with(&format!("/console/requests/{code}"))
    });
    let form = "form[data-action=answer]";
    browser
        .find(&format!(
            "{form} select[name=outcome] option[value=disclosed]"
        ))
        .click();
    browser
        .find(&format!("{form} input[name=note]"))
        .send_keys("已通过电子邮件提供批复文件");
    steps.shot("staff-answer-form");
    browser.find(&format!("{form} button[type=submit]")).click();
    let text = browser.wait_for_text("已答复", WAIT);
    assert!(text.contains("予以公开"), "{text}");
    steps.shot("staff-answered");

    // 7. The citizen sees the answer.
    browser.goto(&server.url(&format!("/public/track?code={code}")));
    let text = browser.wait_for_text("申请办理进度", WAIT);
    assert!(text.contains("已答复"), "{text}");
    assert!(text.contains("作出答复：予以公开"), "{text}");
    assert!(
        !text.contains("已通过电子邮件提供批复文件"),
        "staff notes stay internal"
    );
    steps.shot("track-answered");

    // 8. The catalog: 交易 inside longer words, the title match first.
    browser.goto(&server.url("/public/catalog"));
    browser.find("#q").send_keys("交易");
    browser
        .find("form[role=search] button[type=submit]")
        .click();
    let text = browser.wait_for_text("共找到", WAIT);
    assert!(text.contains("共找到 2 条"), "{text}");
    let titles: Vec<String> = browser
        .find_all("ul.results a.title")
        .iter()
        .map(|a| a.text())
        .collect();
    assert_eq!(
        titles,
        [
            "示例县公共资源交易管理办法",
            "关于县公共资源交易中心搬迁的公告"
        ]
    );
    steps.shot("catalog-search");

    // 9. The form on a phone-sized screen: no sideways scrolling.
    browser
        .cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": 390, "height": 844})),
        )
        .expect("resize");
    browser.goto(&server.url("/public/apply"));
    browser.wait_for_text("申请政府信息公开", WAIT);
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .unwrap();
    assert_eq!(overflow, json!(false), "the form fits a phone screen");
    steps.shot("apply-on-a-phone");
}

fn support_enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
