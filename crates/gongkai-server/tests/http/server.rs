//! Black-box tests of the supervision centre: a real server on a free port over a throwaway
//! SQLite file and a throwaway PostgreSQL database, driven over HTTP like a browser and like an
//! API client. Every page and API route is requested.

use crate::support;

use gongkai_server::Config;
use reqwest::blocking::multipart;
use support::{sample, wait_for_batch, zip_of, Backend, TestServer};

/// Run each scenario against both backends (PostgreSQL when `GONGKAI_TEST_POSTGRES` is set).
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
    login_sessions_and_roles,
    upload_zip_check_compare_rollup_export,
    bad_uploads_are_refused_and_change_nothing,
    api_with_tokens,
    units_go_under_their_region_by_name,
    similar_narratives_across_units_and_years,
    unknown_addresses_and_malformed_requests_get_clear_errors,
    rollup_over_the_years,
);

fn start(backend: Backend) -> Option<TestServer> {
    TestServer::start(backend, Config::default())
}

fn upload(
    server: &TestServer,
    client: &reqwest::blocking::Client,
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::blocking::Response {
    let csrf = server.csrf(client);
    let mut form = multipart::Form::new().text("csrf", csrf);
    for (name, bytes) in files {
        form = form.part(
            "files",
            multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    client
        .post(server.url("/upload"))
        .multipart(form)
        .send()
        .unwrap()
}

fn upload_and_wait(
    server: &TestServer,
    client: &reqwest::blocking::Client,
    files: Vec<(&str, Vec<u8>)>,
) -> String {
    let resp = upload(server, client, files);
    assert_eq!(resp.status().as_u16(), 303, "upload redirects to its batch");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/batches/"), "{location}");
    wait_for_batch(server, client, &location)
}

/// Units imported before their region exists are placed on demand (单位 → 按名称归入地区);
/// units imported after it go under it at once.
fn units_go_under_their_region_by_name(backend: Backend) {
    use gongkai_store::AgencyLevel;
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    upload_and_wait(
        &server,
        &supervisor,
        vec![(
            "示例县数据资源局-2022.txt",
            support::sample("示例县数据资源局-2022.txt"),
        )],
    );
    let unit_named = |name: &str| {
        server
            .store
            .agencies()
            .unwrap()
            .into_iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(unit_named("示例县数据资源局").parent, None);
    let county = server
        .store
        .ensure_agency("示例县", AgencyLevel::County, None)
        .unwrap();

    let page = supervisor
        .get(server.url("/agencies"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("2 个单位尚无上级"), "{page}");
    let viewer = server.login("viewer");
    let page = viewer
        .get(server.url("/agencies"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!page.contains("按名称归入地区"), "viewers get no button");

    let csrf = server.csrf(&supervisor);
    let resp = supervisor
        .post(server.url("/agencies/place"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/agencies?placed=1");
    assert_eq!(unit_named("示例县数据资源局").parent, Some(county));

    // Imported now that the region exists: placed at once. 示例镇 begins with no region.
    upload_and_wait(
        &server,
        &supervisor,
        vec![(
            "示例镇人民政府-2021.txt",
            support::sample("示例镇人民政府-2021.txt"),
        )],
    );
    assert_eq!(unit_named("示例镇人民政府").parent, None);
    // The same report as another 示例县 unit's (a new document, a new unit name).
    let text = String::from_utf8(support::sample("示例县数据资源局-2022.txt"))
        .unwrap()
        .replace("示例县数据资源局", "示例县统计局");
    upload_and_wait(
        &server,
        &supervisor,
        vec![("示例县统计局-2022.txt", text.into_bytes())],
    );
    assert_eq!(unit_named("示例县统计局").parent, Some(county));
}

/// 雷同检查: two units filing the same narrative for a year form a cluster; a unit repeating its
/// own last year's narrative is listed; the page, its CSV and the API agree; a bad threshold is
/// a clear 400.
fn similar_narratives_across_units_and_years(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let sample = |name: &str| String::from_utf8(support::sample(name)).unwrap();
    let original_2022 = sample("示例县数据资源局-2022.txt");
    // 示例县统计局 copies 数据资源局's 2022 report; in 2023 it files the same text again.
    let copied_2022 = original_2022.replace("示例县数据资源局", "示例县统计局");
    let copied_2023 = copied_2022.replace("2022", "2023");
    upload_and_wait(
        &server,
        &supervisor,
        vec![
            (
                "示例县数据资源局-2022.txt",
                original_2022.clone().into_bytes(),
            ),
            (
                "示例县数据资源局-2023.txt",
                support::sample("示例县数据资源局-2023.txt"),
            ),
            ("示例县统计局-2022.txt", copied_2022.into_bytes()),
            ("示例县统计局-2023.txt", copied_2023.into_bytes()),
            (
                "示例镇人民政府-2021.txt",
                support::sample("示例镇人民政府-2021.txt"),
            ),
        ],
    );
    let viewer = server.login("viewer");
    let page = viewer
        .get(server.url("/similar?year=2022"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("比较了 <b>2</b> 份报告"), "{page}");
    assert!(
        page.contains("第 1 组（2 份）"),
        "one cluster of the two 2022 reports"
    );
    assert!(page.contains("示例县统计局") && page.contains("逐段比较"));

    // 2023: 统计局 repeated its own 2022 text; 数据资源局 wrote a new one.
    let api = viewer
        .get(server.url("/api/v1/similar?year=2023"))
        .send()
        .unwrap();
    assert_eq!(api.status().as_u16(), 200);
    let survey: serde_json::Value = api.json().unwrap();
    let copies = survey["self_copies"].as_array().unwrap();
    let names: Vec<&str> = copies
        .iter()
        .map(|c| c["agency"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"示例县统计局"), "{survey}");
    let statistics = copies
        .iter()
        .find(|c| c["agency"] == "示例县统计局")
        .unwrap();
    assert!(statistics["similarity"].as_f64().unwrap() >= 0.8);
    let data_bureau_copied = copies.iter().any(|c| c["agency"] == "示例县数据资源局");
    let direct = {
        let reports = server
            .store
            .list_reports(&gongkai_store::ReportFilter::default())
            .unwrap();
        let text_of = |year: i32| {
            let id = reports
                .iter()
                .find(|r| r.agency_name == "示例县数据资源局" && r.year == Some(year))
                .unwrap()
                .id;
            gongkai_core::similarity::narrative_text(
                &server.store.report(id).unwrap().unwrap().report,
            )
        };
        gongkai_core::similarity::similarity(&text_of(2023), &text_of(2022))
    };
    assert_eq!(
        data_bureau_copied,
        direct >= 0.8,
        "listed exactly when ≥ 80% ({direct})"
    );

    // The report page says the same: 统计局's 2023 text repeats its 2022 report.
    let reports = server
        .store
        .list_reports(&gongkai_store::ReportFilter::default())
        .unwrap();
    let id_of = |unit: &str, year: i32| {
        reports
            .iter()
            .find(|r| r.agency_name == unit && r.year == Some(year))
            .unwrap()
            .id
    };
    let page = viewer
        .get(server.url(&format!("/reports/{}", id_of("示例县统计局", 2023))))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("id=\"previous-year\"") && page.contains("与上年雷同"),
        "{page}"
    );
    assert!(page.contains(&format!(
        "/compare?left={}&amp;right={}",
        id_of("示例县统计局", 2022),
        id_of("示例县统计局", 2023)
    )));
    let first_year = viewer
        .get(server.url(&format!("/reports/{}", id_of("示例县统计局", 2022))))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        !first_year.contains("id=\"previous-year\""),
        "no 2021 report to compare with"
    );

    let csv = viewer
        .get(server.url("/similar/export/csv?year=2022"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(csv.matches("单位之间雷同").count(), 2, "{csv}");

    // Years outside 2000–2100 (or past i32) are refused, never wrapped.
    for path in [
        "/similar?year=2147483648",
        "/similar?year=1999",
        "/api/v1/similar?year=-2147483648",
        "/rollup?agency=1&year=99999999999",
        "/overview?year=-5",
    ] {
        let resp = viewer.get(server.url(path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{path}");
        assert!(resp.text().unwrap().contains("年度"), "{path}");
    }
    for bad in ["50", "abc"] {
        let resp = viewer
            .get(server.url(&format!("/similar?year=2022&threshold={bad}")))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "threshold {bad}");
        assert!(resp.text().unwrap().contains("阈值"));
    }
}

/// No empty or English-only answers: an unknown address is a Chinese 404 (JSON under /api, the
/// portal's page under /public); a malformed path, query or form, a wrong method or content type
/// gets the same kind of page with the reason.
fn unknown_addresses_and_malformed_requests_get_clear_errors(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let viewer = server.login("viewer");
    let check = |resp: reqwest::blocking::Response, status: u16, json: bool, needle: &str| {
        assert_eq!(resp.status().as_u16(), status, "{}", resp.url());
        let url = resp.url().to_string();
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
        let body = resp.text().unwrap();
        if json {
            assert!(ctype.starts_with("application/json"), "{url}: {ctype}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                v["error"]["message"].as_str().unwrap().contains(needle),
                "{url}: {body}"
            );
        } else {
            assert!(ctype.starts_with("text/html"), "{url}: {ctype}");
            assert!(body.contains(needle), "{url}: {body}");
        }
    };
    check(
        viewer.get(server.url("/no-such-page")).send().unwrap(),
        404,
        false,
        "页面不存在",
    );
    check(
        viewer.get(server.url("/api/v1/nothing")).send().unwrap(),
        404,
        true,
        "页面不存在",
    );
    let public = client_without_login();
    check(
        public.get(server.url("/public/nothing")).send().unwrap(),
        404,
        false,
        "页面不存在",
    );
    check(
        viewer.get(server.url("/reports/abc")).send().unwrap(),
        400,
        false,
        "请求格式不正确",
    );
    check(
        viewer
            .get(server.url("/api/v1/reports/abc"))
            .send()
            .unwrap(),
        400,
        true,
        "请求格式不正确",
    );
    check(
        viewer.get(server.url("/logout")).send().unwrap(),
        405,
        false,
        "不支持此请求方式",
    );
    check(
        viewer
            .post(server.url("/tokens"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .unwrap(),
        415,
        false,
        "请求内容的类型不正确",
    );
}

/// `/rollup?agency=ID` without a year lists the region's roll-up for every year it has reports,
/// with the same figures as each year's own roll-up.
fn rollup_over_the_years(backend: Backend) {
    let Some(server) = start(backend) else { return };
    gongkai_server::demo::seed(server.store.as_ref()).unwrap();
    let county = server
        .store
        .agencies()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "示例县")
        .unwrap();
    let viewer = server.login("viewer");
    let page = viewer
        .get(server.url(&format!("/rollup?agency={}", county.id)))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("示例县 历年汇总"), "{page}");
    assert!(page.contains("id=\"trend\"") && page.contains("<svg"));
    for year in [2021, 2022, 2023] {
        let link = format!("/rollup?agency={}&amp;year={year}", county.id);
        assert!(page.contains(&link), "{year} row: {page}");
        let json: serde_json::Value = viewer
            .get(server.url(&format!("/api/v1/rollup?agency={}&year={year}", county.id)))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let new_received = json["report"]["requests"]["new_received"][6].clone();
        // The year's row shows the same 新收申请 total as the year's own roll-up.
        let row_start = page.find(&link).unwrap();
        let row = &page[row_start..row_start + page[row_start..].find("</tr>").unwrap()];
        let shown = match new_received.as_f64() {
            Some(v) => gongkai_core::model::fmt_num(v),
            None => "—".to_string(),
        };
        assert!(
            row.contains(&format!("<td class=\"num\">{shown}</td>")),
            "{year}: {row} vs {new_received}"
        );
    }
    // The overview lists the rules that fired most in the year's reports (示例镇's 2021 report
    // breaks the 勾稽关系), with the counts the store gives.
    let overview = viewer
        .get(server.url("/overview?year=2021"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(overview.contains("id=\"common-problems\""), "{overview}");
    let counts = server
        .store
        .rule_counts(&gongkai_store::ReportFilter {
            year: Some(2021),
            ..Default::default()
        })
        .unwrap();
    let top = counts
        .iter()
        .find(|c| c.severity == "error")
        .expect("an error rule");
    assert!(overview.contains(&format!("<code>{}</code>", top.rule)));
    assert!(overview.contains("错误"));
    // The same counts from the API, with the rule's description.
    let api: serde_json::Value = viewer
        .get(server.url("/api/v1/problems?year=2021"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let rules = api["rules"].as_array().unwrap();
    assert_eq!(rules.len(), counts.len());
    let first = &rules[0];
    assert_eq!(first["rule"], counts[0].rule.as_str());
    assert_eq!(first["findings"], counts[0].findings);
    assert!(!first["description"].as_str().unwrap().is_empty());
    let bad = viewer
        .get(server.url("/api/v1/problems?year=1"))
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let empty = server
        .store
        .ensure_agency("无报告地区", gongkai_store::AgencyLevel::County, None)
        .unwrap();
    let page = viewer
        .get(server.url(&format!("/rollup?agency={empty}")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("该范围内还没有任何报告"));
}

fn client_without_login() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn report_ids(page: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = page
        .match_indices("href=\"/reports/")
        .filter_map(|(i, m)| {
            let rest = &page[i + m.len()..];
            let end = rest.find('"')?;
            rest[..end].parse().ok()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn login_sessions_and_roles(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let anonymous = server.client();
    // Every staff page redirects an anonymous visitor to the login page.
    // The front door sends the public to the portal; staff pages send them to the login.
    let resp = anonymous.get(server.url("/")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/public");
    for path in [
        "/overview",
        "/reports",
        "/upload",
        "/compare",
        "/rollup",
        "/agencies",
        "/users",
        "/api",
        "/batches",
    ] {
        let resp = anonymous.get(server.url(path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 303, "{path}");
        assert!(resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next="));
    }
    // Wrong password: 401 and a message, no session.
    let page = anonymous
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = support::hidden_field(&page, "csrf").unwrap();
    let resp = anonymous
        .post(server.url("/login"))
        .form(&[
            ("username", "admin"),
            ("password", "wrong"),
            ("csrf", &csrf),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.text().unwrap().contains("用户名或密码不正确"));
    // A login without the CSRF cookie/field pair is refused.
    let fresh = server.client();
    let resp = fresh
        .post(server.url("/login"))
        .form(&[
            ("username", "admin"),
            ("password", support::PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);

    // Roles: viewer reads, supervisor imports, admin manages users.
    let viewer = server.login("viewer");
    for path in [
        "/",
        "/reports",
        "/compare",
        "/rollup",
        "/agencies",
        "/api",
        "/batches",
    ] {
        let resp = viewer.get(server.url(path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "viewer {path}");
    }
    for path in ["/upload", "/users"] {
        assert_eq!(
            viewer
                .get(server.url(path))
                .send()
                .unwrap()
                .status()
                .as_u16(),
            403,
            "viewer {path}"
        );
    }
    let supervisor = server.login("supervisor");
    assert_eq!(
        supervisor
            .get(server.url("/upload"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        supervisor
            .get(server.url("/users"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let admin = server.login("admin");
    let users = admin.get(server.url("/users")).send().unwrap();
    assert_eq!(users.status().as_u16(), 200);
    let users = users.text().unwrap();
    assert!(users.contains("supervisor") && users.contains("viewer"));
    // Admin creates a user; a form without the CSRF token is refused.
    let csrf = server.csrf(&admin);
    let resp = admin
        .post(server.url("/users"))
        .form(&[
            ("username", "zhangsan"),
            ("display_name", "张三"),
            ("password", "longenough1"),
            ("role", "viewer"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403, "no csrf token");
    let resp = admin
        .post(server.url("/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "zhangsan"),
            ("display_name", "<b>张三</b>"),
            ("password", "longenough1"),
            ("role", "viewer"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let users = admin
        .get(server.url("/users"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        users.contains("&lt;b&gt;张三&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(!users.contains("<b>张三</b>"));
    // Duplicate username: a conflict, not a crash.
    let resp = admin
        .post(server.url("/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "zhangsan"),
            ("display_name", "x"),
            ("password", "longenough1"),
            ("role", "viewer"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
    // Promote to supervisor via the role form.
    let id = server.store.user_by_name("zhangsan").unwrap().unwrap().id;
    let resp = admin
        .post(server.url(&format!("/users/{id}/role")))
        .form(&[("csrf", csrf.as_str()), ("role", "supervisor")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        server.store.user(id).unwrap().unwrap().role,
        gongkai_store::Role::Supervisor
    );
    // Logout ends the session.
    let resp = viewer
        .post(server.url("/logout"))
        .form(&[("csrf", server.csrf(&viewer).as_str())])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        viewer
            .get(server.url("/"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        303
    );
    // Open redirects are not followed after login.
    let page = anonymous
        .get(server.url("/login?next=//evil.example"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!page.contains("evil.example"));
}

fn upload_zip_check_compare_rollup_export(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let client = server.login("supervisor");
    let zip = zip_of(&[
        (
            "年报/示例县数据资源局-2022.txt",
            &sample("示例县数据资源局-2022.txt"),
        ),
        (
            "年报/示例县数据资源局-2023.txt",
            &sample("示例县数据资源局-2023.txt"),
        ),
        (
            "年报/示例镇人民政府-2021.txt",
            &sample("示例镇人民政府-2021.txt"),
        ),
        (
            "年报/某市示例局-2021-gbk.html",
            &sample("某市示例局-2021-gbk.html"),
        ),
        (
            "年报/说明.txt",
            "这是压缩包里的说明文字，不是年度报告。".as_bytes(),
        ),
    ]);
    let page = upload_and_wait(&server, &client, vec![("2023年报.zip", zip.clone())]);
    assert!(
        page.contains("共 5 个文件，导入 4 个，重复 0 个，失败 1 个"),
        "{page}"
    );
    assert!(page.contains("未识别为政府信息公开工作年度报告"));
    // The same archive again: every report is a duplicate, nothing new stored.
    let before = server.store.count_reports(&Default::default()).unwrap();
    let page = upload_and_wait(&server, &client, vec![("again.zip", zip)]);
    assert!(page.contains("导入 0 个，重复 4 个"), "{page}");
    assert_eq!(
        server.store.count_reports(&Default::default()).unwrap(),
        before
    );

    // Overview: units × years, errors marked.
    let overview = client
        .get(server.url("/?year=2021"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(overview.contains("示例镇人民政府"));
    assert!(
        overview.contains("错误"),
        "the town's report has errors on purpose"
    );
    let overview = client.get(server.url("/")).send().unwrap().text().unwrap();
    assert!(overview.contains("2023 年度") && overview.contains("2022 年度"));

    // The report with errors: highlighted cells and findings beside them; original a click away.
    let list = client
        .get(server.url("/reports?errors=1"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let ids = report_ids(&list);
    assert!(!ids.is_empty(), "a report with errors is listed");
    let page = client
        .get(server.url(&format!("/reports/{}", ids[0])))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("class=\"bad\""),
        "failing cells are highlighted"
    );
    assert!(
        page.contains("requests.balance") || page.contains("requests."),
        "findings are listed"
    );
    let original = client
        .get(server.url(&format!("/reports/{}/original", ids[0])))
        .send()
        .unwrap();
    assert_eq!(original.status().as_u16(), 200);
    assert!(original.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    assert_eq!(
        original.bytes().unwrap().as_ref(),
        sample("示例镇人民政府-2021.txt").as_slice()
    );

    // Exports of one report.
    let all = client
        .get(server.url("/reports"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let all_ids = report_ids(&all);
    assert_eq!(all_ids.len(), 4);
    let id = all_ids[0];
    let json: serde_json::Value = client
        .get(server.url(&format!("/reports/{id}/export/json")))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(json["schema"], "gongkai.report/1");
    let xlsx = client
        .get(server.url(&format!("/reports/{id}/export/xlsx")))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    {
        use calamine::Reader;
        let book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).expect("a real XLSX");
        assert!(!book.sheet_names().is_empty());
    }
    let csv = client
        .get(server.url(&format!("/reports/{id}/export/csv")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(csv.lines().count() > 5);
    let docx = client
        .get(server.url(&format!("/reports/{id}/export/docx")))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    assert!(docx.starts_with(b"PK"));
    let html = client
        .get(server.url(&format!("/reports/{id}/export/html")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(html.contains("<table"));
    assert_eq!(
        client
            .get(server.url(&format!("/reports/{id}/export/pptx")))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let jsonl = client
        .get(server.url("/export/reports.jsonl"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(jsonl.lines().count(), 4);
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["schema"], "gongkai.report/1");
    }
    for format in ["xlsx", "csv"] {
        let resp = client
            .get(server.url(&format!("/export/overview/{format}")))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "overview {format}");
    }

    // Compare the same unit's two years: every cell side by side, narrative similarity.
    let agencies = server.store.agencies().unwrap();
    let county = agencies
        .iter()
        .find(|a| a.name.contains("示例县数据资源局"))
        .expect("unit from the report");
    let reports = server
        .store
        .list_reports(&gongkai_store::ReportFilter {
            agencies: vec![county.id],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(reports.len(), 2);
    let (a, b) = (reports[1].id, reports[0].id);
    let page = client
        .get(server.url(&format!("/compare?left={a}&right={b}")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("正文相似度"));
    assert!(page.contains("有变化"));
    assert!(
        page.contains("<mark>"),
        "duplicated passages are highlighted"
    );
    let all_cells = client
        .get(server.url(&format!("/compare?left={a}&right={b}&all=1")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(all_cells.len() > page.len());
    let picker = client
        .get(server.url(&format!("/compare?left={a}")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        picker.contains(&format!("/compare?left={a}&amp;right={b}")),
        "suggests the other year, earlier year on the left"
    );
    let xlsx = client
        .get(server.url(&format!("/compare/export/xlsx?left={a}&right={b}")))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    assert!(xlsx.starts_with(b"PK"));

    // Hierarchy: put the two 2021 units under a county, then roll up 2021.
    let admin = server.login("admin");
    let csrf = server.csrf(&admin);
    let region = server
        .store
        .ensure_agency("示例县", gongkai_store::AgencyLevel::County, None)
        .unwrap();
    for unit in agencies
        .iter()
        .filter(|a| a.level == gongkai_store::AgencyLevel::Department)
    {
        let resp = admin
            .post(server.url(&format!("/agencies/{}", unit.id)))
            .form(&[
                ("csrf", csrf.as_str()),
                ("level", "department"),
                ("parent", &region.to_string()),
            ])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 303);
    }
    let tree = admin
        .get(server.url("/agencies"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(tree.contains("示例县"));
    let unit_page = admin
        .get(server.url(&format!("/agencies/{}", county.id)))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(unit_page.contains("<svg"), "chart of outcomes over years");
    let rollup = admin
        .get(server.url(&format!("/rollup?agency={region}&year=2021")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(rollup.contains("年度汇总"), "{rollup}");
    assert!(
        rollup.contains("未纳入汇总的单位"),
        "the county bureau has no 2021 report"
    );
    let rollup_xlsx = admin
        .get(server.url(&format!("/rollup/export/xlsx?agency={region}&year=2021")))
        .send()
        .unwrap();
    assert_eq!(rollup_xlsx.status().as_u16(), 200);
    // Deleting (admin) removes the report.
    let resp = admin
        .post(server.url(&format!("/reports/{id}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        admin
            .get(server.url(&format!("/reports/{id}")))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

fn bad_uploads_are_refused_and_change_nothing(backend: Backend) {
    let config = Config {
        max_upload_bytes: 1024 * 1024,
        ..Config::default()
    };
    let Some(server) = TestServer::start(backend, config) else {
        return;
    };
    let client = server.login("supervisor");
    let page = upload_and_wait(
        &server,
        &client,
        vec![(
            "示例县数据资源局-2023.txt",
            sample("示例县数据资源局-2023.txt"),
        )],
    );
    assert!(page.contains("导入 1 个"));
    let stored = server.store.list_reports(&Default::default()).unwrap();

    // Over the size limit: a clear message, status 413.
    let big = vec![b'a'; 2 * 1024 * 1024];
    let resp = upload(&server, &client, vec![("big.txt", big)]);
    assert_eq!(resp.status().as_u16(), 413);
    assert!(resp.text().unwrap().contains("超过"));
    // Not a report, a corrupt DOCX, a corrupt ZIP, an image, an empty file: each failed with a reason.
    let mut corrupt_docx = zip_of(&[("word/document.xml", b"<w:document><w:body><w:p>")]);
    corrupt_docx.truncate(corrupt_docx.len() / 2);
    let page = upload_and_wait(
        &server,
        &client,
        vec![
            ("便签.txt", "明天上午九点开会。".as_bytes().to_vec()),
            ("坏文件.docx", corrupt_docx),
            ("坏压缩包.zip", b"PK\x03\x04garbage".to_vec()),
            ("照片.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
            ("空.txt", vec![]),
        ],
    );
    assert!(page.contains("失败 5 个"), "{page}");
    assert!(page.contains("未识别为政府信息公开工作年度报告"));
    assert!(page.contains("文件是空的"));
    // Nothing stored changed.
    assert_eq!(
        server.store.list_reports(&Default::default()).unwrap(),
        stored
    );
    // A wrong form field: a clear 400, not a crash.
    let resp = client.get(server.url("/reports?year=abc")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().unwrap().contains("年度“abc”无效"));
    assert_eq!(
        client
            .get(server.url("/reports/999999"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    // Upload without CSRF token is refused and stores nothing.
    let form = multipart::Form::new().part(
        "files",
        multipart::Part::bytes(sample("示例镇人民政府-2021.txt")).file_name("x.txt"),
    );
    let resp = client
        .post(server.url("/upload"))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        server.store.list_reports(&Default::default()).unwrap(),
        stored
    );
}

fn api_with_tokens(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let api = reqwest::blocking::Client::new();
    // The OpenAPI document is public and documents every API route.
    let doc: serde_json::Value = api
        .get(server.url("/api/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/reports",
        "/api/v1/reports/{id}",
        "/api/v1/reports/{id}/findings",
        "/api/v1/compare",
        "/api/v1/rollup",
        "/api/v1/similar",
        "/api/v1/problems",
        "/api/v1/agencies",
        "/api/v1/batches/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    // No token: 401 JSON error.
    let resp = api.get(server.url("/api/v1/reports")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let err: serde_json::Value = resp.json().unwrap();
    assert_eq!(err["error"]["code"], "unauthorized");
    let resp = api
        .get(server.url("/api/v1/reports"))
        .bearer_auth("gk_forged")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    // Tokens are made on the API page and shown once.
    let make_token = |user: &str| {
        let client = server.login(user);
        let csrf = server.csrf(&client);
        let page = client
            .post(server.url("/tokens"))
            .form(&[("csrf", csrf.as_str()), ("label", "测试")])
            .send()
            .unwrap()
            .text()
            .unwrap();
        let start = page.find("gk_").expect("token shown");
        page[start..start + 67].to_string()
    };
    let supervisor = make_token("supervisor");
    let viewer = make_token("viewer");

    // Import: raw body and multipart (with a ZIP).
    let resp = api
        .post(server.url("/api/v1/reports?file_name=示例县数据资源局-2022.txt"))
        .bearer_auth(&supervisor)
        .body(sample("示例县数据资源局-2022.txt"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let batch: serde_json::Value = resp.json().unwrap();
    assert_eq!(batch["items"][0]["status"], "imported");
    let first = batch["items"][0]["report"].as_i64().unwrap();
    let form = multipart::Form::new().part(
        "files",
        multipart::Part::bytes(zip_of(&[
            ("b.txt", &sample("示例县数据资源局-2023.txt")),
            ("c.txt", &sample("示例镇人民政府-2021.txt")),
        ]))
        .file_name("two.zip"),
    );
    let batch: serde_json::Value = api
        .post(server.url("/api/v1/reports"))
        .bearer_auth(&supervisor)
        .multipart(form)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(batch["items"].as_array().unwrap().len(), 2);
    let batch_id = batch["id"].as_i64().unwrap();
    // A viewer may not import; a non-report is 422 with the reason.
    let resp = api
        .post(server.url("/api/v1/reports?file_name=x.txt"))
        .bearer_auth(&viewer)
        .body("x")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = api
        .post(server.url("/api/v1/reports?file_name=x.txt"))
        .bearer_auth(&supervisor)
        .body("不是报告")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let failed: serde_json::Value = resp.json().unwrap();
    assert_eq!(failed["items"][0]["status"], "failed");

    // Reading.
    let list: serde_json::Value = api
        .get(server.url("/api/v1/reports?limit=10"))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["total"], 3);
    let with_errors: serde_json::Value = api
        .get(server.url("/api/v1/reports?with_errors=true"))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(with_errors["total"].as_i64().unwrap() >= 1);
    let one: serde_json::Value = api
        .get(server.url(&format!("/api/v1/reports/{first}")))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(one["report"]["schema"], "gongkai.report/1");
    assert_eq!(one["report"]["year"], 2022);
    let findings: serde_json::Value = api
        .get(server.url(&format!("/api/v1/reports/{first}/findings")))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(findings.is_array());
    let second = list["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["year"] == 2023)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let cmp: serde_json::Value = api
        .get(server.url(&format!("/api/v1/compare?left={first}&right={second}")))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(cmp["comparison"]["cells"].as_array().unwrap().len() > 50);
    assert!(
        cmp["comparison"]["narrative"]["similarity"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let agencies: serde_json::Value = api
        .get(server.url("/api/v1/agencies"))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let unit = agencies
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"].as_str().unwrap().contains("示例县数据资源局"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let rollup: serde_json::Value = api
        .get(server.url(&format!("/api/v1/rollup?agency={unit}&year=2023")))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(rollup["report"]["schema"], "gongkai.report/1");
    let batch: serde_json::Value = api
        .get(server.url(&format!("/api/v1/batches/{batch_id}")))
        .bearer_auth(&viewer)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(batch["finished"], true);
    // Errors are JSON with the right status.
    let resp = api
        .get(server.url("/api/v1/reports/424242"))
        .bearer_auth(&viewer)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let resp = api
        .get(server.url("/api/v1/reports?limit=0"))
        .bearer_auth(&viewer)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}
