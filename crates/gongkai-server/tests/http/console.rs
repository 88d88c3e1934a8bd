//! Black-box tests of the 工作台 (the agency register's staff console): a real server over a
//! throwaway SQLite file and a throwaway PostgreSQL database, driven over HTTP like a browser.
//!
//! The scenarios follow the acceptance: intake → detail with the explained due date →
//! answer → queue; an action the law does not allow, an impossible date or a stale form gives
//! a clear error and stores nothing; a ledger with good and bad rows imports exactly the good
//! rows and says why each bad one was refused; the year's report has no arithmetic error and
//! its DOCX reads back to the same table 三; viewers cannot change anything.

use crate::support;

use gongkai_server::Config;
use gongkai_store::{AgencyId, RequestFilter};
use reqwest::blocking::{multipart, Client, Response};
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
    intake_detail_answer_and_queue,
    illegal_actions_and_impossible_dates_store_nothing,
    ledger_import_reports_every_row,
    report_has_no_errors_and_docx_reads_back,
    viewers_cannot_change_anything,
    scoped_users_work_only_on_their_units,
    attachments_are_added_listed_and_downloaded,
    contact_details_are_corrected_and_audited,
    clocks_are_computed_once_the_calendar_knows_the_year,
    applicant_type_corrected_moves_the_report_column,
    ledger_export_imports_back,
);

fn start(backend: Backend) -> Option<TestServer> {
    TestServer::start(backend, Config::default())
}

fn location(resp: &Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Register an agency on `/console`; its id.
fn open_agency(server: &TestServer, client: &Client, name: &str) -> i64 {
    let csrf = server.csrf(client);
    let resp = client
        .post(server.url("/console/agency"))
        .form(&[("csrf", csrf.as_str()), ("name", name)])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let loc = location(&resp);
    loc.rsplit("agency=").next().unwrap().parse().unwrap()
}

fn post_intake(
    server: &TestServer,
    client: &Client,
    agency: i64,
    fields: &[(&str, &str)],
) -> Response {
    let csrf = server.csrf(client);
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", csrf.as_str()),
        ("applicant_type", "natural_person"),
        ("name", "张三"),
        ("id_number", "110101199001011234"),
        ("phone", "13800000000"),
        ("channel", "online"),
        ("received_on", "2024-09-27"),
        ("description", "2023年度部门预算和“三公”经费预算"),
        ("delivery", "电子邮件"),
    ];
    for (k, v) in fields {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    client
        .post(server.url(&format!("/console/requests/new?agency={agency}")))
        .form(&form)
        .send()
        .unwrap()
}

/// Register a request; its tracking code.
fn new_request(
    server: &TestServer,
    client: &Client,
    agency: i64,
    fields: &[(&str, &str)],
) -> String {
    let resp = post_intake(server, client, agency, fields);
    assert_eq!(
        resp.status().as_u16(),
        303,
        "{}",
        resp.text().unwrap_or_default()
    );
    let loc = location(&resp);
    let code = loc
        .strip_prefix("/console/requests/")
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_string();
    assert!(code.starts_with("GK-"), "{loc}");
    code
}

fn post_event(
    server: &TestServer,
    client: &Client,
    code: &str,
    fields: &[(&str, &str)],
) -> Response {
    let csrf = server.csrf(client);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    client
        .post(server.url(&format!("/console/requests/{code}/events")))
        .form(&form)
        .send()
        .unwrap()
}

fn get_text(server: &TestServer, client: &Client, path: &str) -> String {
    let resp = client.get(server.url(path)).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.text().unwrap()
}

fn count(server: &TestServer, agency: i64) -> i64 {
    server
        .store
        .count_requests(&RequestFilter {
            agency: Some(AgencyId(agency)),
            ..RequestFilter::default()
        })
        .unwrap()
}

/// A receipt date (on or before today, Beijing time) whose reply is due `n` working days
/// after today, or `None` when the built-in calendar cannot tell.
fn receipt_due_in(n: u32) -> Option<String> {
    use gongkai_core::date::Date;
    let cal = gongkai_core::calendar::Calendar::builtin();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = Date::from_days_since_epoch((now + 8 * 3600).div_euclid(86_400)).ok()?;
    let target = cal.add_working_days(today, n).ok()?.due;
    (0..60)
        .filter_map(|back| today.add_days(-back).ok())
        .find(|r| cal.add_working_days(*r, 20).is_ok_and(|d| d.due == target))
        .map(|r| r.to_string())
}

fn intake_detail_answer_and_queue(backend: Backend) {
    let Some(server) = start(backend) else { return };
    // Without a login the console sends to the login page.
    let anonymous = server.client();
    let resp = anonymous.get(server.url("/console")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert!(location(&resp).starts_with("/login"));

    let client = server.login("supervisor");
    // No agency chosen yet: the chooser, with the nav entry.
    let page = get_text(&server, &client, "/console");
    assert!(page.contains("工作台：选择单位"), "{page}");
    assert!(page.contains("href=\"/console\""));
    let agency = open_agency(&server, &client, "示例县数据资源局");
    // The choice is remembered in a cookie.
    let page = get_text(&server, &client, "/console");
    assert!(
        page.contains("申请队列") && page.contains("示例县数据资源局"),
        "{page}"
    );

    let form = get_text(
        &server,
        &client,
        &format!("/console/requests/new?agency={agency}"),
    );
    assert!(form.contains("收到申请之日") && form.contains("以双方确认之日为收到申请之日"));
    let code = new_request(&server, &client, agency, &[]);
    let detail = get_text(
        &server,
        &client,
        &format!("/console/requests/{code}?ok=created"),
    );
    assert!(detail.contains(&format!("已登记申请，查询码 {code}")));
    // Received Fri 2024-09-27: 20 working days over the National Day holiday → 2024-10-30.
    assert!(detail.contains("id=\"due-date\">2024-10-30<"), "{detail}");
    assert!(
        detail.contains("答复期限2024-10-30：自2024-09-27（收到申请之日）起算20个工作日"),
        "{detail}"
    );
    assert!(detail.contains("跳过法定节假日"), "{detail}");
    assert!(
        detail.contains("110101199001011234"),
        "staff see the 证件号码"
    );
    assert!(detail.contains("收到申请（网络提交；申请人：张三，自然人）"));
    for action in [
        "request_correction",
        "start_consultation",
        "approve_extension",
        "serve_fee_notice",
        "answer",
        "withdraw",
    ] {
        assert!(
            detail.contains(&format!("data-action=\"{action}\"")),
            "{action}"
        );
    }
    assert!(!detail.contains("data-action=\"deliver\""));
    // The fee form suggests the 按件 ordinal from the register.
    assert!(detail.contains("按登记簿，本申请是该申请人本月第 1 件申请"));
    // The request JSON (what a public page could read) has no 证件号码.
    let stored = server.store.request(&code).unwrap().unwrap();
    assert!(!serde_json::to_string(&stored.request)
        .unwrap()
        .contains("110101199001011234"));
    assert_eq!(stored.private.phone.as_deref(), Some("13800000000"));

    // In the queue, long overdue (today is after 2024-10-30).
    let queue = get_text(&server, &client, &format!("/console?agency={agency}"));
    assert!(
        queue.contains(&code) && queue.contains("data-urgency=\"overdue\""),
        "{queue}"
    );

    let resp = post_event(
        &server,
        &client,
        &code,
        &[
            ("action", "answer"),
            ("expected", "1"),
            ("date", "2024-10-08"),
            ("outcome", "partially_disclosed"),
            ("note", "附件3页"),
        ],
    );
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        location(&resp),
        format!("/console/requests/{code}?ok=answer")
    );
    let detail = get_text(&server, &client, &location(&resp));
    assert!(detail.contains("已登记“作出答复”"));
    assert!(detail.contains("作出答复：部分公开") && detail.contains("附件3页"));
    assert!(
        detail.contains("已于2024-10-08办结，未超过答复期限2024-10-30。"),
        "{detail}"
    );
    assert!(detail.contains("data-action=\"deliver\""));
    assert!(!detail.contains("data-action=\"answer\""));
    let events = server.store.request_events(&code).unwrap();
    assert_eq!(events.len(), 2);
    assert!(events[1].recorded_by.is_some());

    let resp = post_event(
        &server,
        &client,
        &code,
        &[
            ("action", "deliver"),
            ("expected", "2"),
            ("date", "2024-10-09"),
        ],
    );
    assert_eq!(resp.status().as_u16(), 303);
    let detail = get_text(&server, &client, &location(&resp));
    assert!(detail.contains("本申请已办结，没有可执行的操作"));

    // Open-only queue no longer lists it; “all” does, with its outcome.
    let queue = get_text(&server, &client, &format!("/console?agency={agency}"));
    assert!(!queue.contains(&code));
    let all = get_text(
        &server,
        &client,
        &format!("/console?agency={agency}&show=all&year=2024"),
    );
    assert!(
        all.contains(&code) && all.contains("已送达") && all.contains("部分公开"),
        "{all}"
    );
    let other_year = get_text(
        &server,
        &client,
        &format!("/console?agency={agency}&show=all&year=2023"),
    );
    assert!(!other_year.contains(&code));

    // A request due in two working days is marked “due soon”. The receipt date is worked out
    // from today's date (Beijing) with the same calendar; when the calendar does not know the
    // years involved, the due date cannot be computed and the check is skipped.
    match receipt_due_in(2) {
        Some(received) => {
            let soon = new_request(
                &server,
                &client,
                agency,
                &[("received_on", received.as_str()), ("name", "李四")],
            );
            let queue = get_text(&server, &client, &format!("/console?agency={agency}"));
            let row = queue
                .split(&format!("data-code=\"{soon}\""))
                .nth(1)
                .unwrap();
            let row = row.split("</tr>").next().unwrap();
            assert!(row.contains("data-urgency=\"due-soon\""), "{row}");
            assert!(row.contains("即将到期：剩 2 个工作日"), "{row}");
        }
        None => eprintln!("due-soon check skipped: the built-in calendar lacks the year"),
    }
    let audit = get_text(&server, &client, &format!("/console/audit?agency={agency}"));
    assert!(audit.contains("登记申请") && audit.contains("办理申请") && audit.contains(&code));
    let entries = server.store.audit_log(50, None).unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "request.event" && e.target == code)
            .count(),
        2
    );
}

fn illegal_actions_and_impossible_dates_store_nothing(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let client = server.login("supervisor");
    let agency = open_agency(&server, &client, "示例市财政局");
    let code = new_request(&server, &client, agency, &[]);
    let events = || server.store.request_events(&code).unwrap().len();
    let refused = |fields: &[(&str, &str)], status: u16, message: &str| {
        let resp = post_event(&server, &client, &code, fields);
        assert_eq!(resp.status().as_u16(), status, "{fields:?}");
        let page = resp.text().unwrap();
        assert!(page.contains(message), "{fields:?}: {page}");
        assert!(page.contains("role=\"alert\""));
        // The page is shown again, with the forms of what is allowed.
        assert!(page.contains("data-action=\"answer\""));
        assert_eq!(events(), 1, "{fields:?} must store nothing");
    };
    // Deliver before answer: not allowed in 办理中.
    refused(
        &[("action", "deliver"), ("date", "2024-10-08")],
        409,
        "当前状态为“办理中”，不能执行“登记送达”",
    );
    refused(
        &[
            ("action", "answer"),
            ("date", "2024-02-30"),
            ("outcome", "disclosed"),
        ],
        400,
        "2024年2月只有29天",
    );
    refused(
        &[
            ("action", "answer"),
            ("date", "2024-09-01"),
            ("outcome", "disclosed"),
        ],
        400,
        "早于上一事件日期2024-09-27",
    );
    refused(
        &[
            ("action", "answer"),
            ("date", "2099-01-04"),
            ("outcome", "disclosed"),
        ],
        400,
        "晚于今天",
    );
    refused(
        &[
            ("action", "answer"),
            ("date", "2024-10-08"),
            ("outcome", ""),
        ],
        400,
        "请选择办理结果",
    );
    refused(
        &[
            ("action", "answer"),
            ("date", "2024-10-08"),
            ("outcome", "unavailable_unclear"),
        ],
        409,
        "只适用于申请人已经补正的申请",
    );
    refused(
        &[
            ("action", "approve_extension"),
            ("date", "2024-10-08"),
            ("working_days", "25"),
        ],
        409,
        "1至20个工作日",
    );
    refused(
        &[("action", "fly_to_the_moon"), ("date", "2024-10-08")],
        400,
        "未知的办理操作",
    );
    // A correction after the 7-working-day window.
    refused(
        &[
            ("action", "request_correction"),
            ("date", "2024-10-25"),
            ("reply_by", "2024-11-15"),
        ],
        409,
        "7个工作日内一次性告知补正",
    );
    // A form rendered before someone else acted.
    let ok = post_event(
        &server,
        &client,
        &code,
        &[
            ("action", "approve_extension"),
            ("expected", "1"),
            ("date", "2024-10-08"),
            ("working_days", "10"),
        ],
    );
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(events(), 2);
    let stale = post_event(
        &server,
        &client,
        &code,
        &[
            ("action", "withdraw"),
            ("expected", "1"),
            ("date", "2024-10-09"),
        ],
    );
    assert_eq!(stale.status().as_u16(), 409);
    assert!(stale.text().unwrap().contains("已有新的办理记录"));
    assert_eq!(events(), 2);
    // A second extension is refused by the law.
    let again = post_event(
        &server,
        &client,
        &code,
        &[
            ("action", "approve_extension"),
            ("date", "2024-10-09"),
            ("working_days", "5"),
        ],
    );
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(events(), 2);
    // Without the CSRF token nothing happens.
    let resp = client
        .post(server.url(&format!("/console/requests/{code}/events")))
        .form(&[("action", "withdraw"), ("date", "2024-10-09")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(events(), 2);
    // Unknown request.
    let resp = post_event(
        &server,
        &client,
        "GK-2024-NOSUCH",
        &[("action", "withdraw"), ("date", "2024-10-09")],
    );
    assert_eq!(resp.status().as_u16(), 404);

    // Intake with an impossible receipt date, a future one, or no applicant: nothing stored.
    let before = count(&server, agency);
    for (fields, message) in [
        (vec![("received_on", "2023-02-29")], "2023年2月只有28天"),
        (vec![("received_on", "2099-01-05")], "晚于今天"),
        (vec![("name", " ")], "请填写申请人姓名或名称"),
        (vec![("applicant_type", "alien")], "请选择申请人类型"),
    ] {
        let resp = post_intake(&server, &client, agency, &fields);
        assert_eq!(resp.status().as_u16(), 400, "{fields:?}");
        let page = resp.text().unwrap();
        assert!(page.contains(message), "{fields:?}: {page}");
        // The form comes back with what was typed.
        assert!(page.contains("2023年度部门预算"));
    }
    assert_eq!(count(&server, agency), before);
}

const LEDGER: &str = "编号,申请人姓名,申请人类型,受理日期,申请内容,答复日期,办理结果,渠道\r\n\
1,张三,自然人,2024-03-05,部门预算,2024-03-20,予以公开,网络\r\n\
2,某某有限公司,企业,2024/4/1,项目合同,2024年4月20日,部分公开,邮寄\r\n\
3,李四,自然人,2024-02-30,某文件,,,当面\r\n\
4,王五,自然人,2024-05-06,某文件,2024-05-10,办好了,网络\r\n\
5,赵六,自然人,2024-06-10,某文件,2024-06-01,予以公开,网络\r\n\
6,,自然人,2024-06-10,某文件,,,网络\r\n\
7,钱七,自然人,2024-07-01,有逗号,没有引号,,,网络\r\n\
8,孙八,律师事务所,2024-12-30,\"含逗号, 的内容\",,,传真\r\n";

fn post_ledger(
    server: &TestServer,
    client: &Client,
    agency: i64,
    name: &str,
    bytes: Vec<u8>,
) -> Response {
    let csrf = server.csrf(client);
    let form = multipart::Form::new().text("csrf", csrf).part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    client
        .post(server.url(&format!("/console/ledger?agency={agency}")))
        .multipart(form)
        .send()
        .unwrap()
}

fn row_result(page: &str, line: usize) -> &'static str {
    if page.contains(&format!("data-line=\"{line}\" data-result=\"imported\"")) {
        "imported"
    } else if page.contains(&format!("data-line=\"{line}\" data-result=\"rejected\"")) {
        "rejected"
    } else {
        "absent"
    }
}

fn ledger_import_reports_every_row(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let client = server.login("supervisor");
    let agency = open_agency(&server, &client, "示例区住房和城乡建设局");
    let page = get_text(
        &server,
        &client,
        &format!("/console/ledger?agency={agency}"),
    );
    assert!(page.contains("申请人姓名或名称") && page.contains("下载模板"));
    let template = client
        .get(server.url(&format!("/console/ledger/template.csv?agency={agency}")))
        .send()
        .unwrap();
    assert_eq!(template.status().as_u16(), 200);
    assert!(template.text().unwrap().contains("收到申请日期"));

    let resp = post_ledger(
        &server,
        &client,
        agency,
        "台账.csv",
        LEDGER.as_bytes().to_vec(),
    );
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().unwrap();
    for line in [2, 3, 9] {
        assert_eq!(row_result(&page, line), "imported", "line {line}: {page}");
    }
    for line in [4, 5, 6, 7, 8] {
        assert_eq!(row_result(&page, line), "rejected", "line {line}");
    }
    for reason in [
        "收到申请日期：日期2024-02-30无效：2024年2月只有29天",
        "办理结果“办好了”无法识别",
        "答复日期2024-06-01早于收到申请日期2024-06-10",
        "缺少申请人姓名或名称",
        "超出表头",
    ] {
        assert!(page.contains(reason), "{reason}: {page}");
    }
    assert!(
        page.contains("导入 <b>3</b> 行，拒绝 <b>5</b> 行"),
        "{page}"
    );
    assert_eq!(count(&server, agency), 3);
    let all = server
        .store
        .list_requests(&RequestFilter {
            agency: Some(AgencyId(agency)),
            ..RequestFilter::default()
        })
        .unwrap();
    let company = all
        .iter()
        .find(|r| r.applicant_name == "某某有限公司")
        .unwrap();
    assert_eq!(company.outcome.as_deref(), Some("partially_disclosed"));
    assert_eq!(company.received_on.to_string(), "2024-04-01");
    let lawyer = all.iter().find(|r| r.applicant_name == "孙八").unwrap();
    assert_eq!(lawyer.applicant_type, "legal_services");
    assert_eq!(lawyer.description, "含逗号, 的内容");
    let stored = server.store.request(&company.code).unwrap().unwrap();
    assert_eq!(stored.request.log.len(), 2);
    assert!(stored.request.log[0]
        .event
        .note
        .as_deref()
        .unwrap()
        .contains("台账.csv 第3行"));

    // The same ledger again: the good rows are duplicates now, nothing is added.
    let page = post_ledger(
        &server,
        &client,
        agency,
        "台账.csv",
        LEDGER.as_bytes().to_vec(),
    )
    .text()
    .unwrap();
    assert!(
        page.contains("导入 <b>0</b> 行，拒绝 <b>8</b> 行"),
        "{page}"
    );
    assert!(page.contains("重复"));
    assert_eq!(count(&server, agency), 3);

    // GBK-encoded CSV, tab-separated with other header wording.
    let gbk_text = "申请人名称\t申请人类别\t收到日期（年-月-日）\t所需信息\t办结日期\t答复结果\r\n某研究院\t科研机构\t2024-08-01\t监测数据\t2024-08-15\t无法提供—本机关不掌握相关政府信息\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(gbk_text);
    let page = post_ledger(&server, &client, agency, "gbk.csv", gbk.into_owned())
        .text()
        .unwrap();
    assert_eq!(row_result(&page, 2), "imported", "{page}");
    assert_eq!(count(&server, agency), 4);

    // An Excel workbook.
    use gongkai_render::xlsx::CellValue::Text;
    let xlsx = gongkai_render::xlsx::table_to_xlsx(
        "台账",
        &[
            "申请人",
            "申请人类型",
            "收到日期",
            "申请内容",
            "答复日期",
            "办理结果",
        ],
        &[
            vec![
                Text("周九".into()),
                Text("自然人".into()),
                Text("2024-09-02".into()),
                Text("规划".into()),
                Text("2024-09-10".into()),
                Text("不予处理—重复申请".into()),
            ],
            vec![
                Text("吴十".into()),
                Text("自然人".into()),
                Text("2024-13-01".into()),
                Text("规划".into()),
                Text("".into()),
                Text("".into()),
            ],
        ],
    )
    .unwrap();
    let page = post_ledger(&server, &client, agency, "台账.xlsx", xlsx)
        .text()
        .unwrap();
    assert_eq!(row_result(&page, 2), "imported", "{page}");
    assert_eq!(row_result(&page, 3), "rejected");
    assert!(page.contains("月份只能是1—12"));
    assert_eq!(count(&server, agency), 5);

    // A file without the required columns, or not a ledger at all: refused whole.
    let resp = post_ledger(
        &server,
        &client,
        agency,
        "x.csv",
        "姓名,电话\n张三,1\n".as_bytes().to_vec(),
    );
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().unwrap().contains("缺少必需的列"));
    let resp = post_ledger(
        &server,
        &client,
        agency,
        "x.pdf",
        b"%PDF-1.7 not a ledger".to_vec(),
    );
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().unwrap().contains("不是 CSV 或 Excel 文件"));
    assert_eq!(count(&server, agency), 5);
    assert!(server
        .store
        .audit_log(100, None)
        .unwrap()
        .iter()
        .any(|e| e.action == "ledger.import"));
}

/// The fixture of the report test: a request carried over from 2023, five received in 2024
/// (one still open at the year end), an appeal, a normative document and an entered figure.
const REPORT_LEDGER: &str = "申请人,申请人类型,收到日期,申请内容,答复日期,办理结果\n\
张一,自然人,2023-12-20,去年的申请,2024-01-10,予以公开\n\
张二,自然人,2024-03-05,部门预算,2024-03-20,予以公开\n\
某公司,商业企业,2024-04-01,项目合同,2024-04-20,部分公开\n\
某律所,法律服务机构,2024-05-06,某文件,2024-05-20,不予公开—属于国家秘密\n\
张三,自然人,2024-06-03,某事项,2024-06-05,申请人撤回\n\
某研究院,科研机构,2024-12-20,监测数据,,\n";

fn report_has_no_errors_and_docx_reads_back(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let client = server.login("supervisor");
    let agency = open_agency(&server, &client, "示例县生态环境局");
    let page = post_ledger(
        &server,
        &client,
        agency,
        "r.csv",
        REPORT_LEDGER.as_bytes().to_vec(),
    )
    .text()
    .unwrap();
    assert!(
        page.contains("导入 <b>6</b> 行，拒绝 <b>0</b> 行"),
        "{page}"
    );
    let csrf = server.csrf(&client);
    // An appeal, decided in 2024.
    let resp = client
        .post(server.url(&format!("/console/appeals?agency={agency}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("id", "某府复〔2024〕1号"),
            ("kind", "reconsideration"),
            ("filed_on", "2024-07-01"),
            ("outcome", "upheld"),
            ("decided_on", "2024-09-01"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    // The same case number again is refused; a decision before filing too.
    let resp = client
        .post(server.url(&format!("/console/appeals?agency={agency}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("id", "某府复〔2024〕1号"),
            ("kind", "reconsideration"),
            ("filed_on", "2024-07-01"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
    let resp = client
        .post(server.url(&format!("/console/appeals?agency={agency}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("id", "某府诉〔2024〕2号"),
            ("kind", "litigation_direct"),
            ("filed_on", "2024-07-01"),
            ("outcome", "corrected"),
            ("decided_on", "2024-06-01"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(server.store.appeals(AgencyId(agency)).unwrap().len(), 1);
    // A normative document issued in 2024.
    let resp = client
        .post(server.url(&format!("/console/publications?agency={agency}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "关于印发某办法的通知"),
            ("kind", "normative_document"),
            ("category", "政策文件"),
            ("index_number", "000-2024-001"),
            ("issued_on", "2024-03-01"),
            ("published_on", "2024-03-02"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let list = get_text(
        &server,
        &client,
        &format!("/console/publications?agency={agency}"),
    );
    assert!(list.contains("关于印发某办法的通知") && list.contains("中标候选人公示"));
    // Entered table-二 figures.
    let resp = client
        .post(server.url(&format!("/console/counts?agency={agency}&year=2024")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("licensing_decisions", "362"),
            ("penalty_decisions", ""),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let resp = client
        .post(server.url(&format!("/console/counts?agency={agency}&year=2024")))
        .form(&[("csrf", csrf.as_str()), ("licensing_decisions", "-1")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let counts = server
        .store
        .proactive_counts(AgencyId(agency), 2024)
        .unwrap()
        .unwrap();
    assert_eq!(counts.licensing.decisions, Some(362));

    let page = get_text(
        &server,
        &client,
        &format!("/console/report?agency={agency}&year=2024"),
    );
    assert!(page.contains("data-errors=\"0\""), "{page}");
    assert!(page.contains("name=\"narrative_0\""));

    let json: serde_json::Value = client
        .get(server.url(&format!(
            "/console/report/export/json?agency={agency}&year=2024"
        )))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let report = gongkai_core::Report::from_json_value(json).unwrap();
    let total = |row: &str| report.request_cell(row, 6);
    assert_eq!(total("new_received"), Some(5.0));
    assert_eq!(total("carried_over"), Some(1.0));
    assert_eq!(total("total_handled"), Some(5.0));
    assert_eq!(total("carried_forward"), Some(1.0));
    assert_eq!(report.request_cell("disclosed", 0), Some(2.0));
    assert_eq!(report.request_cell("other_misc", 6), Some(1.0));
    assert_eq!(report.request_cell("new_received", 3), Some(0.0));
    let reviews = report.reviews.as_ref().unwrap();
    assert_eq!(reviews.groups["reconsideration"]["upheld"], Some(1.0));
    let proactive = report.proactive.as_ref().unwrap();
    assert_eq!(proactive.rows["normative_documents"]["issued"], Some(1.0));
    assert_eq!(proactive.rows["licensing"]["decisions"], Some(362.0));
    assert!(gongkai_core::rules::check(&report)
        .iter()
        .all(|f| f.severity != gongkai_core::Severity::Error));

    // The DOCX reads back to the same table 三.
    let resp = client
        .get(server.url(&format!(
            "/console/report/export/docx?agency={agency}&year=2024"
        )))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with("%2Edocx"));
    let docx = resp.bytes().unwrap().to_vec();
    let parsed = gongkai_ingest::parse_bytes(&docx, Some("report.docx")).unwrap();
    assert_eq!(parsed.report.requests, report.requests);
    assert_eq!(parsed.report.year, Some(2024));

    // The narrative as edited is what the download carries.
    let edited = "本年度，本局依法办理政府信息公开申请（编辑后的正文）。";
    for format in ["docx", "html"] {
        let resp = client
            .post(server.url(&format!(
                "/console/report/download?agency={agency}&year=2024"
            )))
            .form(&[
                ("csrf", csrf.as_str()),
                ("format", format),
                ("narrative_0", edited),
            ])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{format}");
        let bytes = resp.bytes().unwrap().to_vec();
        let text = if format == "docx" {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
                .unwrap();
            xml
        } else {
            String::from_utf8(bytes).unwrap()
        };
        assert!(text.contains("编辑后的正文"), "{format}");
    }
    // The download form needs the session's token.
    let resp = client
        .post(server.url(&format!(
            "/console/report/download?agency={agency}&year=2024"
        )))
        .form(&[("format", "docx")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // Years the register cannot report on.
    for year in ["2018", "2099"] {
        let resp = client
            .get(server.url(&format!("/console/report?agency={agency}&year={year}")))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{year}");
    }
}

/// Create a user on the admin's `/users` form; the response.
fn post_new_user(
    server: &TestServer,
    admin: &Client,
    username: &str,
    role: &str,
    agency: &str,
) -> Response {
    let csrf = server.csrf(admin);
    admin
        .post(server.url("/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("display_name", "信息员"),
            ("password", support::PASSWORD),
            ("role", role),
            ("agency", agency),
        ])
        .send()
        .unwrap()
}

/// 单位范围: a clerk limited to one unit opens that unit and the units under it — queue,
/// requests, audit log — and nothing else, cannot act on another unit's request, and cannot
/// change the supervision centre. The admin sets and clears the scope on `/users`.
fn scoped_users_work_only_on_their_units(backend: Backend) {
    use gongkai_store::AgencyLevel;
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let bureau = open_agency(&server, &supervisor, "示例县数据资源局");
    let centre = open_agency(&server, &supervisor, "示例县数据资源局信息中心");
    let other = open_agency(&server, &supervisor, "示例市财政局");
    server
        .store
        .set_agency_place(
            AgencyId(centre),
            AgencyLevel::Department,
            Some(AgencyId(bureau)),
        )
        .unwrap();
    let code_bureau = new_request(&server, &supervisor, bureau, &[]);
    let code_centre = new_request(&server, &supervisor, centre, &[]);
    let code_other = new_request(
        &server,
        &supervisor,
        other,
        &[
            ("id_number", "110101198002023456"),
            ("phone", "13911112222"),
        ],
    );

    // The admin creates the clerk with a scope; a wrong unit name or a scoped admin creates
    // nothing.
    let admin = server.login("admin");
    let before = server.store.users().unwrap().len();
    let resp = post_new_user(&server, &admin, "nobody", "supervisor", "不存在的单位");
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp
        .text()
        .unwrap()
        .contains("没有名为“不存在的单位”的单位"));
    let resp = post_new_user(&server, &admin, "scoped-admin", "admin", "示例县数据资源局");
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(server.store.users().unwrap().len(), before);
    let resp = post_new_user(&server, &admin, "clerk", "supervisor", "示例县数据资源局");
    assert_eq!(
        resp.status().as_u16(),
        303,
        "{}",
        resp.text().unwrap_or_default()
    );
    let clerk_user = server.store.user_by_name("clerk").unwrap().unwrap();
    assert_eq!(clerk_user.agency, Some(AgencyId(bureau)));
    let users_page = get_text(&server, &admin, "/users");
    assert!(users_page.contains("value=\"示例县数据资源局\""));

    let clerk = server.login("clerk");
    // No unit chosen: the clerk's own unit opens directly.
    let queue = get_text(&server, &clerk, "/console");
    assert!(queue.contains(&code_bureau) && !queue.contains(&code_other));
    // The chooser offers the unit and the one under it, not the other.
    let chooser = get_text(&server, &clerk, "/console?choose=1");
    assert!(chooser.contains("示例县数据资源局信息中心"));
    assert!(!chooser.contains("示例市财政局"));
    assert!(
        !chooser.contains("action=\"/console/agency\""),
        "no 登记新单位 form"
    );
    let sub = get_text(&server, &clerk, &format!("/console?agency={centre}"));
    assert!(sub.contains(&code_centre));

    // Another unit: its queue, pages, request and audit entries are closed.
    for path in [
        format!("/console?agency={other}"),
        format!("/console/appeals?agency={other}"),
        format!("/console/report?agency={other}&year=2024"),
        format!("/console/audit?agency={other}"),
        format!("/console/requests/{code_other}"),
    ] {
        let resp = clerk.get(server.url(&path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 403, "GET {path}");
        let page = resp.text().unwrap();
        assert!(page.contains("超出本账号的单位范围"), "{path}");
        assert!(
            !page.contains("13911112222") && !page.contains("110101198002023456"),
            "{path} shows another unit's applicant"
        );
    }
    let log_before = server
        .store
        .request(&code_other)
        .unwrap()
        .unwrap()
        .request
        .log
        .len();
    let resp = post_event(
        &server,
        &clerk,
        &code_other,
        &[
            ("action", "withdraw"),
            ("expected", "1"),
            ("date", "2024-09-30"),
        ],
    );
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        server
            .store
            .request(&code_other)
            .unwrap()
            .unwrap()
            .request
            .log
            .len(),
        log_before,
        "nothing stored"
    );

    // Its own unit's request: acted on as usual, and the audit log shows only its units.
    let resp = post_event(
        &server,
        &clerk,
        &code_bureau,
        &[
            ("action", "withdraw"),
            ("expected", "1"),
            ("date", "2024-09-30"),
        ],
    );
    assert_eq!(
        resp.status().as_u16(),
        303,
        "{}",
        resp.text().unwrap_or_default()
    );
    let audit = get_text(&server, &clerk, &format!("/console/audit?agency={bureau}"));
    assert!(audit.contains(&code_bureau) && audit.contains(&code_centre));
    assert!(
        !audit.contains(&code_other),
        "another unit's entry in the audit log"
    );
    let full_audit = get_text(
        &server,
        &supervisor,
        &format!("/console/audit?agency={bureau}"),
    );
    assert!(full_audit.contains(&code_other));

    // The supervision centre: readable, not changeable.
    let overview = get_text(&server, &clerk, "/overview");
    assert!(
        !overview.contains("href=\"/upload\""),
        "no 导入 in the navigation"
    );
    assert_eq!(
        clerk
            .get(server.url("/upload"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let csrf = server.csrf(&clerk);
    let resp = clerk
        .post(server.url("/console/agency"))
        .form(&[("csrf", csrf.as_str()), ("name", "示例市财政局")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403, "cannot open a unit by name");

    // The admin clears the scope: every unit again.
    let csrf = server.csrf(&admin);
    let resp = admin
        .post(server.url(&format!("/users/{}/scope", clerk_user.id)))
        .form(&[("csrf", csrf.as_str()), ("agency", "")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let queue = get_text(&server, &clerk, &format!("/console?agency={other}"));
    assert!(queue.contains(&code_other));
}

/// Upload `files` to a request's attachments.
fn post_attachments(
    server: &TestServer,
    client: &Client,
    code: &str,
    files: &[(&str, &[u8])],
) -> Response {
    let csrf = server.csrf(client);
    let mut form = multipart::Form::new().text("csrf", csrf);
    for (name, bytes) in files {
        form = form.part(
            "files",
            multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    client
        .post(server.url(&format!("/console/requests/{code}/attachments")))
        .multipart(form)
        .send()
        .unwrap()
}

/// Staff add a scanned application to a request; the detail page lists it; it downloads as an
/// attachment with its type from the bytes; a file of another kind stores nothing; viewers
/// download but do not upload.
fn attachments_are_added_listed_and_downloaded(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let agency = open_agency(&server, &supervisor, "示例县档案馆");
    let code = new_request(&server, &supervisor, agency, &[("channel", "post")]);
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-not-a-real-image";
    let resp = post_attachments(
        &server,
        &supervisor,
        &code,
        &[
            ("申请书扫描件.png", png),
            ("说明.txt", "邮寄申请，附信一封".as_bytes()),
        ],
    );
    assert_eq!(
        resp.status().as_u16(),
        303,
        "{}",
        resp.text().unwrap_or_default()
    );
    let stored = server.store.request(&code).unwrap().unwrap();
    assert_eq!(stored.attachments.len(), 2);
    let detail = get_text(&server, &supervisor, &format!("/console/requests/{code}"));
    assert!(detail.contains("申请书扫描件.png") && detail.contains("说明.txt"));

    // A viewer downloads it: the bytes, the type from the bytes, never shown inline.
    let viewer = server.login("viewer");
    let first = stored.attachments[0].id;
    let resp = viewer
        .get(server.url(&format!("/console/requests/{code}/attachments/{first}")))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(resp.bytes().unwrap().as_ref(), png);
    let resp = viewer
        .get(server.url(&format!("/console/requests/{code}/attachments/999999")))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let resp = post_attachments(&server, &viewer, &code, &[("x.txt", b"x")]);
    assert_eq!(resp.status().as_u16(), 403);

    // One file of another kind: the whole upload is refused, nothing stored.
    let resp = post_attachments(
        &server,
        &supervisor,
        &code,
        &[
            ("好.txt", "可以".as_bytes()),
            ("程序.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ],
    );
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().unwrap().contains("不是可接受的附件类型"));
    let resp = post_attachments(&server, &supervisor, &code, &[]);
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        server
            .store
            .request(&code)
            .unwrap()
            .unwrap()
            .attachments
            .len(),
        2
    );
    // The upload is in the audit log with the request's unit.
    let log = server
        .store
        .audit_log(10, Some(&[AgencyId(agency)]))
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "request.attachment" && e.target == code));
}

/// The applicant's phone and address change; the 证件号码 and the request stay; a bad e-mail
/// changes nothing; the audit log names the fields, not the values.
fn contact_details_are_corrected_and_audited(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let agency = open_agency(&server, &supervisor, "示例县民政局");
    let code = new_request(&server, &supervisor, agency, &[]);
    let before = server.store.request(&code).unwrap().unwrap();
    let post_contact = |fields: &[(&str, &str)]| {
        let csrf = server.csrf(&supervisor);
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        supervisor
            .post(server.url(&format!("/console/requests/{code}/contact")))
            .form(&form)
            .send()
            .unwrap()
    };
    let resp = post_contact(&[
        ("phone", "13911112222"),
        ("email", "not-an-address"),
        ("delivery", "电子邮件"),
    ]);
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp
        .text()
        .unwrap()
        .contains("电子邮箱“not-an-address”格式不正确"));
    assert_eq!(
        server.store.request(&code).unwrap().unwrap().private,
        before.private
    );

    let resp = post_contact(&[
        ("phone", "13911112222"),
        ("address", "示例县新华路 8 号"),
        ("email", ""),
        ("delivery", "电子邮件"),
    ]);
    assert_eq!(resp.status().as_u16(), 303);
    let after = server.store.request(&code).unwrap().unwrap();
    assert_eq!(after.private.phone.as_deref(), Some("13911112222"));
    assert_eq!(after.private.address.as_deref(), Some("示例县新华路 8 号"));
    assert_eq!(after.private.id_number, before.private.id_number);
    assert_eq!(after.request, before.request);
    let detail = get_text(
        &server,
        &supervisor,
        &format!("/console/requests/{code}?ok=contact"),
    );
    assert!(detail.contains("13911112222") && detail.contains("已保存联系方式"));
    let log = server
        .store
        .audit_log(10, Some(&[AgencyId(agency)]))
        .unwrap();
    let entry = log.iter().find(|e| e.action == "request.contact").unwrap();
    assert_eq!(entry.detail, "修改联系电话、通讯地址");
    assert!(!entry.detail.contains("13911112222"));
}

/// A request whose 20 working days run into a year the calendar lacks has no due date (and
/// says why); once the administrator's file adds that year, `refresh_clocks` computes it and
/// stores it without touching the event log. Requests that did not change are left alone.
fn clocks_are_computed_once_the_calendar_knows_the_year(backend: Backend) {
    use gongkai_core::calendar::Calendar;
    use gongkai_core::date::Date;
    use gongkai_core::lifecycle::{
        Applicant, ApplicantType, Channel, Clock, Event, EventKind, Request, RequestId,
    };
    use gongkai_store::{ApplicantPrivate, NewRequest, RequestSource};
    let Some(server) = start(backend) else { return };
    let agency = server
        .store
        .ensure_agency(
            "示例县交通运输局",
            gongkai_store::AgencyLevel::Department,
            None,
        )
        .unwrap();
    let builtin = Calendar::builtin();
    let last_known = *builtin.known_years().last().unwrap();
    let receive = |code: &str, on: Date| {
        Request::receive(
            RequestId(code.into()),
            Event::new(
                on,
                "测试员",
                EventKind::Received {
                    channel: Channel::Post,
                    applicant: Applicant {
                        kind: ApplicantType::NaturalPerson,
                        name: "王五".into(),
                        identity: None,
                        contact: None,
                    },
                    description: "本县道路养护经费".into(),
                },
            ),
            &builtin,
        )
        .unwrap()
    };
    // Received mid-December of the last known year: the deadline lies in the next one.
    let late = receive("GK-TEST-LATE", Date::new(last_known, 12, 15).unwrap());
    assert!(
        matches!(late.clock, Clock::Unavailable { .. }),
        "{:?}",
        late.clock
    );
    let early = receive("GK-TEST-EARLY", Date::new(last_known, 3, 2).unwrap());
    for r in [&late, &early] {
        server
            .store
            .create_request(&NewRequest {
                agency,
                request: r,
                private: &ApplicantPrivate::default(),
                source: RequestSource::Staff,
                recorded_by: None,
                attachments: &[],
                fingerprint: None,
            })
            .unwrap();
    }
    // Without the next year nothing changes.
    assert_eq!(
        gongkai_server::console::refresh_clocks(server.store.as_ref(), &builtin).unwrap(),
        0
    );
    // The administrator's file for the next year (a made-up arrangement: New Year's Day and
    // the two days after it off).
    let next = last_known + 1;
    let mut extended = builtin.clone();
    extended
        .extend_with(&format!(
            "{next} notice 测试用安排\n{next} holiday {next}-01-01..{next}-01-03 元旦\n"
        ))
        .unwrap();
    assert_eq!(
        gongkai_server::console::refresh_clocks(server.store.as_ref(), &extended).unwrap(),
        1
    );
    let stored = server.store.request("GK-TEST-LATE").unwrap().unwrap();
    let expected = extended
        .add_working_days(Date::new(last_known, 12, 15).unwrap(), 20)
        .unwrap()
        .due;
    assert_eq!(stored.request.clock.due_date(), Some(expected));
    assert_eq!(stored.request.log.len(), 1, "no event added");
    assert_eq!(
        server.store.request_events("GK-TEST-LATE").unwrap().len(),
        1
    );
    let listed = server
        .store
        .list_requests(&RequestFilter {
            agency: Some(agency),
            ..RequestFilter::default()
        })
        .unwrap();
    let late_row = listed.iter().find(|r| r.code == "GK-TEST-LATE").unwrap();
    assert_eq!(late_row.due_on, Some(expected), "the queue sorts on it");
    // Idempotent.
    assert_eq!(
        gongkai_server::console::refresh_clocks(server.store.as_ref(), &extended).unwrap(),
        0
    );
}

/// A request registered as 自然人 that came from a company is corrected: the log keeps the
/// original receipt and adds the correction, the queue and the year's report count it as
/// 商业企业, a stale form or an unchanged correction stores nothing.
fn applicant_type_corrected_moves_the_report_column(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let agency = open_agency(&server, &supervisor, "示例县市场监督管理局");
    let code = new_request(&server, &supervisor, agency, &[("name", "某某公司")]);
    let correct = |fields: &[(&str, &str)]| {
        let csrf = server.csrf(&supervisor);
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        supervisor
            .post(server.url(&format!("/console/requests/{code}/applicant")))
            .form(&form)
            .send()
            .unwrap()
    };
    // Stale (the log has 1 event, the form says 0), unchanged, or without a reason: nothing.
    for (fields, status) in [
        (
            vec![
                ("expected", "0"),
                ("applicant_type", "commercial"),
                ("name", "某某科技有限公司"),
                ("note", "误选"),
            ],
            409,
        ),
        (
            vec![
                ("expected", "1"),
                ("applicant_type", "natural_person"),
                ("name", "某某公司"),
                ("note", "无变化"),
            ],
            400,
        ),
        (
            vec![
                ("expected", "1"),
                ("applicant_type", "commercial"),
                ("name", "某某科技有限公司"),
                ("note", ""),
            ],
            400,
        ),
    ] {
        let resp = correct(&fields);
        assert_eq!(resp.status().as_u16(), status, "{fields:?}");
        assert_eq!(
            server
                .store
                .request(&code)
                .unwrap()
                .unwrap()
                .request
                .log
                .len(),
            1
        );
    }
    let resp = correct(&[
        ("expected", "1"),
        ("applicant_type", "commercial"),
        ("name", "某某科技有限公司"),
        ("note", "登记时误选为自然人"),
    ]);
    assert_eq!(
        resp.status().as_u16(),
        303,
        "{}",
        resp.text().unwrap_or_default()
    );
    let stored = server.store.request(&code).unwrap().unwrap();
    assert_eq!(stored.request.log.len(), 2, "the original receipt is kept");
    assert_eq!(stored.request.applicant.name, "某某科技有限公司");
    let row = server
        .store
        .list_requests(&RequestFilter {
            agency: Some(AgencyId(agency)),
            ..RequestFilter::default()
        })
        .unwrap()
        .into_iter()
        .find(|r| r.code == code)
        .unwrap();
    assert_eq!(row.applicant_type, "commercial");
    let detail = get_text(&server, &supervisor, &format!("/console/requests/{code}"));
    assert!(detail.contains("更正申请人登记信息：某某科技有限公司，商业企业"));
    let json: serde_json::Value = supervisor
        .get(server.url(&format!(
            "/console/report/export/json?agency={agency}&year=2024"
        )))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let report = gongkai_core::Report::from_json_value(json).unwrap();
    assert_eq!(report.request_cell("new_received", 0), Some(0.0), "自然人");
    assert_eq!(
        report.request_cell("new_received", 1),
        Some(1.0),
        "商业企业"
    );
}

/// The register exported as a ledger (CSV and XLSX) holds every request with the import's
/// columns; imported into another unit, every row comes back with the same applicant, dates and
/// outcome; the export is audited.
fn ledger_export_imports_back(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let source = open_agency(&server, &supervisor, "示例县自然资源局");
    let answered = new_request(
        &server,
        &supervisor,
        source,
        &[("name", "孙八"), ("received_on", "2024-03-05")],
    );
    let resp = post_event(
        &server,
        &supervisor,
        &answered,
        &[
            ("action", "answer"),
            ("expected", "1"),
            ("date", "2024-03-20"),
            ("outcome", "partially_disclosed"),
        ],
    );
    assert_eq!(resp.status().as_u16(), 303);
    let withdrawn = new_request(
        &server,
        &supervisor,
        source,
        &[("name", "周九"), ("received_on", "2024-04-01")],
    );
    let resp = post_event(
        &server,
        &supervisor,
        &withdrawn,
        &[
            ("action", "withdraw"),
            ("expected", "1"),
            ("date", "2024-04-03"),
        ],
    );
    assert_eq!(resp.status().as_u16(), 303);
    new_request(
        &server,
        &supervisor,
        source,
        &[("name", "吴十"), ("received_on", "2024-05-06")],
    );

    let viewer = server.login("viewer");
    let resp = viewer
        .get(server.url(&format!("/console/ledger/export/csv?agency={source}")))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let csv = resp.text().unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("孙八") && csv.contains("部分公开") && csv.contains("申请人撤回"));
    assert!(
        csv.contains("110101199001011234"),
        "staff export keeps the 证件号码"
    );
    let xlsx = viewer
        .get(server.url(&format!(
            "/console/ledger/export/xlsx?agency={source}&year=2024"
        )))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert!(sheet.rows().count() >= 4);
    let log = server
        .store
        .audit_log(20, Some(&[AgencyId(source)]))
        .unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "ledger.export").count(),
        2
    );

    // The CSV imports into another unit, row for row.
    let target = open_agency(&server, &supervisor, "示例县自然资源局（测试副本）");
    let resp = post_ledger(
        &server,
        &supervisor,
        target,
        "台账导出.csv",
        csv.into_bytes(),
    );
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().unwrap_or_default()
    );
    assert_eq!(count(&server, target), 3);
    let imported = server
        .store
        .list_requests(&RequestFilter {
            agency: Some(AgencyId(target)),
            ..RequestFilter::default()
        })
        .unwrap();
    let by_name = |n: &str| {
        imported
            .iter()
            .find(|r| r.applicant_name == n)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_name("孙八").outcome.as_deref(),
        Some("partially_disclosed")
    );
    assert_eq!(by_name("孙八").received_on.to_string(), "2024-03-05");
    assert_eq!(by_name("周九").status, "withdrawn");
    assert_eq!(by_name("吴十").outcome, None);
}

fn viewers_cannot_change_anything(backend: Backend) {
    let Some(server) = start(backend) else { return };
    let supervisor = server.login("supervisor");
    let agency = open_agency(&server, &supervisor, "示例镇人民政府");
    let code = new_request(&server, &supervisor, agency, &[]);
    let viewer = server.login("viewer");
    // Viewers read.
    let queue = get_text(&server, &viewer, &format!("/console?agency={agency}"));
    assert!(queue.contains(&code));
    let detail = get_text(&server, &viewer, &format!("/console/requests/{code}"));
    assert!(detail.contains("需要“监督”角色") && !detail.contains("data-action="));
    for path in [
        "/console/appeals",
        "/console/publications",
        "/console/counts?year=2024",
        "/console/report?year=2024",
        "/console/ledger",
        "/console/audit",
    ] {
        get_text(
            &server,
            &viewer,
            &format!(
                "{path}{}agency={agency}",
                if path.contains('?') { '&' } else { '?' }
            ),
        );
    }
    // …but cannot post.
    let csrf = server.csrf(&viewer);
    let c = csrf.as_str();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/console/agency".into(),
            vec![("csrf", c), ("name", "另一个单位")],
        ),
        (
            format!("/console/requests/new?agency={agency}"),
            vec![
                ("csrf", c),
                ("applicant_type", "natural_person"),
                ("name", "某人"),
                ("channel", "online"),
                ("received_on", "2024-09-27"),
                ("description", "x"),
            ],
        ),
        (
            format!("/console/requests/{code}/events"),
            vec![("csrf", c), ("action", "withdraw"), ("date", "2024-10-08")],
        ),
        (
            format!("/console/appeals?agency={agency}"),
            vec![
                ("csrf", c),
                ("id", "A1"),
                ("kind", "reconsideration"),
                ("filed_on", "2024-07-01"),
            ],
        ),
        (
            format!("/console/appeals/decide?agency={agency}"),
            vec![
                ("csrf", c),
                ("id", "A1"),
                ("outcome", "upheld"),
                ("decided_on", "2024-08-01"),
            ],
        ),
        (
            format!("/console/publications?agency={agency}"),
            vec![
                ("csrf", c),
                ("title", "t"),
                ("kind", "other"),
                ("issued_on", "2024-03-01"),
            ],
        ),
        (
            format!("/console/publications/repeal?agency={agency}"),
            vec![("csrf", c), ("id", "x"), ("repealed_on", "2024-03-01")],
        ),
        (
            format!("/console/counts?agency={agency}&year=2024"),
            vec![("csrf", c), ("licensing_decisions", "1")],
        ),
    ];
    for (path, form) in &posts {
        let resp = viewer.post(server.url(path)).form(form).send().unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{path}");
    }
    let resp = post_ledger(
        &server,
        &viewer,
        agency,
        "台账.csv",
        LEDGER.as_bytes().to_vec(),
    );
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(count(&server, agency), 1);
    assert_eq!(server.store.request_events(&code).unwrap().len(), 1);
    assert!(server.store.appeals(AgencyId(agency)).unwrap().is_empty());
    assert!(server
        .store
        .proactive_counts(AgencyId(agency), 2024)
        .unwrap()
        .is_none());
}

/// PDF through LibreOffice (once; it does not depend on the database).
#[test]
fn pdf_download_when_libreoffice_is_installed() {
    if gongkai_render::pdf::find_soffice().is_none() {
        eprintln!("PDF test skipped: LibreOffice (soffice) is not installed");
        return;
    }
    let Some(server) = start(Backend::Sqlite) else {
        return;
    };
    let client = server.login("supervisor");
    let agency = open_agency(&server, &client, "示例县审计局");
    post_ledger(
        &server,
        &client,
        agency,
        "r.csv",
        REPORT_LEDGER.as_bytes().to_vec(),
    );
    let resp = client
        .get(server.url(&format!(
            "/console/report/export/pdf?agency={agency}&year=2024"
        )))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(bytes.starts_with(b"%PDF"));
}
