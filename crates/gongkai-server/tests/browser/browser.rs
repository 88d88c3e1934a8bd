//! Browser tests: a person's path through the supervision centre in a real (headless) Chromium,
//! driven over the W3C WebDriver protocol through Debian's chromedriver. Log in through the
//! login form, upload the team's samples as a ZIP, watch the batch finish, open a report with
//! errors (highlighted cells, findings beside them), compare a unit's two years, export XLSX,
//! log out.
//!
//! A screenshot is saved after each step under `$GONGKAI_ARTIFACTS/screenshots/NN-step.png`
//! (default `target/ci-artifacts`). Without Chromium and chromedriver installed the test says
//! so and passes, unless `GONGKAI_REQUIRE_BROWSER=1` (set by CI).

use crate::support;

use gongkai_server::Config;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::webdriver::{self, path_of, Browser};
use support::{zip_of, Backend, TestServer, PASSWORD};

/// Numbered screenshots and a timing log of the steps.
struct Steps<'a> {
    browser: &'a Browser,
    count: usize,
    started: Instant,
    saved: Vec<PathBuf>,
}

impl<'a> Steps<'a> {
    fn new(browser: &'a Browser) -> Steps<'a> {
        Steps {
            browser,
            count: 0,
            started: Instant::now(),
            saved: Vec::new(),
        }
    }

    /// Screenshot the viewport as `NN-name.png`.
    #[track_caller]
    fn shot(&mut self, name: &str) {
        self.count += 1;
        let path = self
            .browser
            .screenshot(&format!("{:02}-{name}", self.count));
        eprintln!(
            "[{:>5.1}s] {}",
            self.started.elapsed().as_secs_f64(),
            path.display()
        );
        self.saved.push(path);
    }
}

/// The team's sample reports, `(file name, bytes)`, sorted by name.
fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "samples/ has reports");
    out
}

fn report_id_of(url: &str) -> i64 {
    let path = path_of(url);
    path.strip_prefix("/reports/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{url} is not a report page"))
}

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn log_in_upload_check_compare_and_export_in_a_browser() {
    if !webdriver::browser_available() {
        return;
    }
    let artifacts = webdriver::artifacts_dir();
    // Start from an empty screenshot folder so the list matches this run.
    let _ = std::fs::remove_dir_all(artifacts.join("screenshots"));
    let server = TestServer::start(Backend::Sqlite, Config::default()).expect("SQLite test server");
    let browser = Browser::start(&artifacts);
    let mut steps = Steps::new(&browser);

    // 1. The front door sends an anonymous visitor to the public portal; a staff page sends
    //    them to the login page. A wrong password is refused with a message.
    browser.goto(&server.url("/"));
    assert!(
        path_of(&browser.current_url()).starts_with("/public"),
        "anonymous visitors to / see the portal: {}",
        browser.current_url()
    );
    browser.goto(&server.url("/overview"));
    assert!(
        path_of(&browser.current_url()).starts_with("/login"),
        "anonymous visitors are sent to the login page: {}",
        browser.current_url()
    );
    assert!(browser.title().contains("登录"), "{}", browser.title());
    steps.shot("login");
    browser.find("#username").send_keys("supervisor");
    browser.find("#password").send_keys("not-the-password");
    browser.find("form button[type=submit]").click();
    browser.wait_for_text("用户名或密码不正确", WAIT);
    let alert = browser.find("p.flash.error[role=alert]").text();
    assert_eq!(alert, "用户名或密码不正确");
    steps.shot("login-wrong-password");

    // 2. The real login: type, click, land on the overview.
    browser.find("#username").clear();
    browser.find("#username").send_keys("supervisor");
    browser.find("#password").send_keys(PASSWORD);
    browser.find("form button[type=submit]").click();
    // Back where the login was asked for.
    let text = browser.wait_for_page("/overview", WAIT, |p| p == "/overview");
    assert!(text.contains("报送概览"), "{text}");
    assert!(
        text.contains("supervisor（监督）"),
        "who is logged in: {text}"
    );
    assert!(text.contains("还没有报告"), "empty database: {text}");
    steps.shot("overview-empty");

    // 3. Upload a ZIP of the samples (plus a file that is not a report) through the form.
    let samples = samples();
    let mut entries: Vec<(String, Vec<u8>)> = samples
        .iter()
        .map(|(name, bytes)| (format!("年报/{name}"), bytes.clone()))
        .collect();
    entries.push((
        "年报/说明.txt".into(),
        "这是压缩包里的说明文字，不是年度报告。".as_bytes().to_vec(),
    ));
    let entry_refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("2023年报.zip");
    std::fs::write(&zip_path, zip_of(&entry_refs)).unwrap();
    browser.link("导入").click();
    browser.wait_for_page("/upload", WAIT, |p| p == "/upload");
    let zip_abs = zip_path.canonicalize().unwrap();
    browser
        .find("input[type=file]")
        .send_keys(&zip_abs.display().to_string());
    let chosen = browser.find("input[type=file]").property("value");
    assert!(
        chosen
            .as_str()
            .unwrap_or_default()
            .ends_with("2023年报.zip"),
        "file input holds the ZIP: {chosen}"
    );
    steps.shot("upload-form");
    browser
        .find("form[action='/upload'] button[type=submit]")
        .click();

    // 4. The batch page refreshes itself until every file is done.
    let total = samples.len() + 1;
    let text = browser.wait_for_text("处理完成", WAIT);
    assert!(
        path_of(&browser.current_url()).starts_with("/batches/"),
        "{}",
        browser.current_url()
    );
    let expected = format!(
        "处理完成：共 {total} 个文件，导入 {} 个，重复 0 个，失败 1 个。",
        samples.len()
    );
    assert!(
        text.contains(&expected),
        "expected “{expected}” in:\n{text}"
    );
    assert!(
        text.contains("2023年报.zip"),
        "batch named after the upload"
    );
    let rows = browser.find_all("#batch-items tbody tr");
    assert_eq!(rows.len(), total, "one row per file");
    let failed: Vec<String> = rows
        .iter()
        .map(|r| r.text())
        .filter(|t| t.contains("失败"))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("说明.txt"), "{failed:?}");
    assert!(
        failed[0].contains("未识别为政府信息公开工作年度报告"),
        "the reason is shown: {failed:?}"
    );
    assert_eq!(
        browser.find_all("#batch-items a[href^='/reports/']").len(),
        samples.len(),
        "each imported file links to its report"
    );
    steps.shot("batch-done");

    // 5. Overview: every unit, the town's 2021 report marked with errors.
    browser.link("回到概览").click();
    let text = browser.wait_for_text("报送概览", WAIT);
    for name in ["示例镇人民政府", "示例县数据资源局"] {
        assert!(text.contains(name), "{name} on the overview:\n{text}");
    }
    steps.shot("overview");

    // 6. The town's 2021 report: highlighted cells, findings beside the tables.
    browser
        .find_xpath(
            "//table[@id='overview']//tr[th//a[contains(., '示例镇人民政府')]]\
             //a[starts-with(@href, '/reports/')]",
        )
        .click();
    let text = browser.wait_for_page("/reports/N", WAIT, |p| p.starts_with("/reports/"));
    assert!(
        browser.title().contains("示例镇人民政府 2021年度报告"),
        "{}",
        browser.title()
    );
    let town_id = report_id_of(&browser.current_url());
    steps.shot("report-with-errors");
    let bad = browser.find("td.bad");
    let why = bad.attribute("title").unwrap_or_default();
    assert!(!why.is_empty(), "a highlighted cell says why in its title");
    bad.scroll_into_view();
    steps.shot("report-highlighted-cell");
    let aside = browser.find("aside.findings").text();
    let stored = server
        .store
        .report(gongkai_store::ReportId(town_id))
        .unwrap()
        .expect("the report is stored");
    let errors: Vec<&str> = stored
        .findings
        .iter()
        .filter(|f| f.severity == gongkai_core::Severity::Error)
        .map(|f| f.rule.as_str())
        .collect();
    assert!(
        !errors.is_empty(),
        "the town's report has errors on purpose"
    );
    for rule in &errors {
        assert!(aside.contains(rule), "finding {rule} listed in:\n{aside}");
    }
    assert!(aside.contains("错误"), "{aside}");
    assert!(
        text.contains(&format!("错误 {}", errors.len())),
        "error count in the header box"
    );

    // 7. XLSX export: the link's address, fetched with the browser's session cookie.
    let link = browser.find("a[href$='/export/xlsx']");
    assert_eq!(link.text(), "Excel（XLSX）");
    let href = link.property("href");
    let href = href.as_str().expect("href").to_string();
    assert!(
        href.starts_with(&server.base),
        "absolute same-site href: {href}"
    );
    let cookies = browser.cookie_header();
    assert!(cookies.contains("gk_session="), "session cookie: {cookies}");
    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let anonymous = http.get(&href).send().unwrap();
    assert_eq!(
        anonymous.status().as_u16(),
        303,
        "the export needs the session"
    );
    let resp = http
        .get(&href)
        .header(reqwest::header::COOKIE, &cookies)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()[reqwest::header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = resp.headers()[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment") && disposition.ends_with("%2Exlsx"),
        "{disposition}"
    );
    let bytes = resp.bytes().unwrap().to_vec();
    {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a real XLSX");
        let names = book.sheet_names();
        assert!(
            names.iter().any(|n| n.contains("依申请公开")),
            "sheets: {names:?}"
        );
        let first = book.worksheet_range(&names[0]).expect("first sheet");
        assert!(
            first
                .cells()
                .any(|(_, _, c)| c.to_string().contains("示例镇人民政府")),
            "the first sheet names the unit"
        );
    }

    // 8. Compare the county bureau's 2022 and 2023 reports, found through the pages.
    browser.link("概览").click();
    browser.wait_for_page("/", WAIT, |p| p == "/");
    browser
        .find_xpath("//table[@id='overview']//th//a[contains(., '示例县数据资源局')]")
        .click();
    browser.wait_for_page("/agencies/N", WAIT, |p| p.starts_with("/agencies/"));
    browser.wait_for_text("历年依申请公开办理结果", WAIT);
    assert!(
        browser.try_find("svg").is_some(),
        "chart of outcomes over years"
    );
    steps.shot("agency");
    browser
        .find_xpath(
            "//table//tr[td[2][normalize-space()='2022']]//a[starts-with(@href, '/reports/')]",
        )
        .click();
    browser.wait_for_page("/reports/N", WAIT, |p| p.starts_with("/reports/"));
    let id_2022 = report_id_of(&browser.current_url());
    browser.link("与其他报告比较").click();
    browser.wait_for_page("/compare?left=N", WAIT, |p| p.starts_with("/compare"));
    browser.wait_for_text("同一单位其他年度", WAIT);
    steps.shot("compare-picker");
    // The picker's link puts the other year on the left; swap to read 2022 → 2023.
    let county = server
        .store
        .agencies()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "示例县数据资源局")
        .expect("the county bureau");
    let stored = server
        .store
        .list_reports(&gongkai_store::ReportFilter {
            agencies: vec![county.id],
            ..Default::default()
        })
        .unwrap();
    let year_id = |y: i32| {
        stored
            .iter()
            .find(|r| r.year == Some(y))
            .unwrap_or_else(|| panic!("{y} report stored"))
            .id
    };
    assert_eq!(year_id(2022).0, id_2022);
    let (y2022, y2023) = (year_id(2022), year_id(2023));
    // The suggestion puts the earlier year on the left; swapping and swapping back returns.
    browser.link("示例县数据资源局 2022年度 ↔ 2023年度").click();
    let wanted = format!("/compare?left={y2022}&right={y2023}");
    browser.wait_for_page(&wanted, WAIT, |p| p == wanted);
    browser.link("左右互换").click();
    let swapped = format!("/compare?left={y2023}&right={y2022}");
    browser.wait_for_page(&swapped, WAIT, |p| p == swapped);
    browser.link("左右互换").click();
    let text = browser.wait_for_page(&wanted, WAIT, |p| p == wanted);
    assert!(text.contains("正文相似度"), "{text}");
    assert!(
        text.contains("比较：示例县数据资源局 2022年度 ↔ 示例县数据资源局 2023年度"),
        "{text}"
    );
    assert!(text.contains("有变化"), "{text}");
    let marks = browser.find_all("pre.narrative mark");
    assert!(!marks.is_empty(), "duplicated passages are highlighted");
    assert!(!marks[0].text().trim().is_empty());
    assert!(
        !browser
            .find_all("#compare-cells tbody tr.diff-changed")
            .is_empty(),
        "changed cells are marked"
    );
    steps.shot("compare");
    marks[0].scroll_into_view();
    steps.shot("compare-marked-passages");

    // 9. 雷同检查 for 2023 from the navigation: the form, then the survey.
    browser.link("雷同").click();
    browser.wait_for_text("雷同检查", WAIT);
    browser.find("input[name=year]").send_keys("2023");
    browser.find("form[action='/similar'] button").click();
    let text = browser.wait_for_text("年度雷同检查", WAIT);
    assert!(
        text.contains("单位之间雷同") && text.contains("与本单位上一年度雷同"),
        "{text}"
    );
    steps.shot("similar");

    // 10. Log out: back to the login page, and the pages are closed again.
    browser
        .find("header.top form[action='/logout'] button")
        .click();
    browser.wait_for_text("登录 gongkai 政务公开监督中心", WAIT);
    browser.goto(&server.url("/reports"));
    assert!(
        path_of(&browser.current_url()).starts_with("/login"),
        "logged out: {}",
        browser.current_url()
    );
    steps.shot("logged-out");

    eprintln!(
        "browser scenario: {} screenshots in {:.1}s",
        steps.saved.len(),
        steps.started.elapsed().as_secs_f64()
    );
}
