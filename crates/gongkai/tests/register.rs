//! Black-box tests of `gongkai calendar`, `gongkai request` and `gongkai report`, run on the
//! built binary against temporary SQLite databases.
//!
//! The last test is the acceptance test of the register: a generated year of a few hundred
//! requests of every outcome and applicant type (carry-over in and out, withdrawals, lapses,
//! appeals of every kind and result) is stored, `gongkai report --year` renders it as DOCX, and
//! gongkai's own reader parses the document back to exactly the register's figures, with no
//! error finding. The same document printed to PDF by LibreOffice reads back to the same tables
//! (skipped, with a message, where LibreOffice is not installed).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_core::fees::FeeBasis;
use gongkai_core::lifecycle::{
    Applicant, ApplicantType, Channel, ConsultationKind, Event, EventKind, Outcome, Request,
    RequestId, Status,
};
use gongkai_core::register::{
    generate_report, Appeal, AppealKind, AppealOutcome, DocumentCounts, FeeItemCounts, ItemCounts,
    ProactiveCounts, Publication, PublicationKind,
};
use gongkai_core::{rules, Report, Severity};
use gongkai_store::{
    AgencyLevel, ApplicantPrivate, NewRequest, PublicationRecord, RequestSource, Store,
};

const AGENCY: &str = "示例县数据资源局";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gongkai"));
    c.env_remove("GONGKAI_CALENDAR")
        .env_remove("GONGKAI_DATABASE")
        .env_remove("GONGKAI_TODAY")
        .env("USER", "测试员");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run gongkai")
}

fn run_db(db: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .arg("--database")
        .arg(db)
        .output()
        .expect("run gongkai")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// calendar

#[test]
fn calendar_due_matches_hand_counted_dates() {
    // Received Friday 2024-09-27: 09-29 (Sun, 调休) = 1, 09-30 = 2, 10-01..07 国庆节, 10-08..11 =
    // 3..6, 10-12 (Sat, 调休) = 7, 10-14..18 = 8..12, 10-21..25 = 13..17, 10-28..30 = 18..20.
    let s = ok(&run(&["calendar", "due", "2024-09-27", "20"]));
    let mut lines = s.lines();
    assert_eq!(lines.next(), Some("2024-10-30（星期三）"), "{s}");
    let explanation = lines.next().unwrap();
    assert!(explanation.contains("国庆"), "{explanation}");
    assert!(
        explanation.contains("2024-10-12（星期六，国庆节调休）"),
        "{explanation}"
    );
    assert!(
        explanation.contains("2024-10-01至2024-10-07（国庆节）"),
        "{explanation}"
    );

    // Received on a holiday (online, 国庆节): counting starts on 10-08; 10-12 (调休) is day 5.
    let s = ok(&run(&["calendar", "due", "2024-10-03", "5"]));
    assert!(s.starts_with("2024-10-12（星期六）"), "{s}");
    assert!(s.contains("国庆节假期，当日不计"), "{s}");
    // Monday 2024-03-04 + 20: 03-05..08 (4), 11..15 (9), 18..22 (14), 25..29 (19), 04-01 (20).
    let s = ok(&run(&["calendar", "due", "2024-03-04", "20"]));
    assert!(s.starts_with("2024-04-01（星期一）"), "{s}");
    // 春节 2024: 02-10..17 off, 02-04 (Sun) and 02-18 (Sun) worked. Friday 02-02 + 3:
    // 02-04 (Sun, 调休) = 1, 02-05 = 2, 02-06 = 3.
    let s = ok(&run(&["calendar", "due", "2024-02-02", "3"]));
    assert!(s.starts_with("2024-02-06（星期二）"), "{s}");
    // 0 working days: on the spot.
    let s = ok(&run(&["calendar", "due", "2024-09-27", "0"]));
    assert!(s.starts_with("2024-09-27（星期五）"), "{s}");
    assert!(s.contains("当场办理"), "{s}");

    // The structured form.
    let s = ok(&run(&["calendar", "due", "2024-09-27", "20", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["due"], "2024-10-30");
    assert_eq!(v["from"], "2024-09-27");
    assert_eq!(v["working_days"], 20);
    assert_eq!(v["due_weekday"], "星期三");
    assert_eq!(v["make_up_days"][1]["date"], "2024-10-12");
    assert!(v["explanation"].as_str().unwrap().contains("国庆"));
}

#[test]
fn calendar_refuses_unknown_years_and_bad_input_with_status_2() {
    // 2026-12-15 + 20 working days runs into 2027, which the built-in data does not have.
    let o = run(&["calendar", "due", "2026-12-15", "20"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("没有2027年的节假日安排"), "{e}");
    assert!(o.stdout.is_empty());
    let o = run(&["calendar", "due", "2031-05-06", "1", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2031年"), "{}", stderr(&o));
    let o = run(&["calendar", "due", "2024-02-30", "20"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2024年2月只有29天"), "{}", stderr(&o));
    let o = run(&["calendar", "show", "2031"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2031年"), "{}", stderr(&o));
}

#[test]
fn calendar_file_extends_the_builtin_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("节假日2027.txt");
    std::fs::write(
        &file,
        "# 管理员补充\n2027 notice 测试通知\n2027 holiday 2027-01-01 元旦\n2027 workday 2027-01-09 测试调休\n",
    )
    .unwrap();
    // 2026-12-15 (Tue): 12-16..18 (3), 21..25 (8), 28..31 (12), 2027-01-01 off, 01-04..08 (17),
    // 01-09 (Sat, 调休) = 18, 01-11 = 19, 01-12 = 20.
    let o = bin()
        .args(["calendar", "due", "2026-12-15", "20", "--calendar"])
        .arg(&file)
        .output()
        .unwrap();
    let s = ok(&o);
    assert!(s.starts_with("2027-01-12（星期二）"), "{s}");
    assert!(s.contains("2027-01-09（星期六，测试调休）"), "{s}");
    // The same through the environment.
    let o = bin()
        .args(["calendar", "show", "2027"])
        .env("GONGKAI_CALENDAR", &file)
        .output()
        .unwrap();
    let s = ok(&o);
    assert!(s.contains("测试通知"), "{s}");
    assert!(s.contains("2027-01-01（星期五）  元旦，共1天"), "{s}");
    // A malformed file is refused with its line number.
    std::fs::write(&file, "2027 workday 2027-01-06 调休\n").unwrap();
    let o = bin()
        .args(["calendar", "due", "2024-09-27", "20", "--calendar"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("第1行"), "{}", stderr(&o));
}

#[test]
fn calendar_show_lists_holidays_and_make_up_days() {
    let s = ok(&run(&["calendar", "show", "2024"]));
    assert!(s.starts_with("2024年节假日安排"), "{s}");
    assert!(
        s.contains("2024-10-01（星期二）至2024-10-07（星期一）  国庆节，共7天"),
        "{s}"
    );
    assert!(s.contains("2024-10-12（星期六）  国庆节调休"), "{s}");
    assert!(s.contains("2024-02-04（星期日）"), "{s}");
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(&["calendar", "show", "2024", "--json"]))).unwrap();
    assert_eq!(v["year"], 2024);
    assert!(v["entries"].as_array().unwrap().len() > 10);
    let data = ok(&run(&["calendar", "show", "2024", "--data"]));
    assert!(data.lines().all(|l| l.starts_with("2024 ")), "{data}");
    assert!(data.contains("2024 workday 2024-10-12"), "{data}");
}

// ---------------------------------------------------------------------------------------------
// request add / event / show / list

fn add(db: &Path, applicant: &str, kind: &str, received: &str) -> String {
    let o = run_db(
        db,
        &[
            "request",
            "add",
            "--agency",
            AGENCY,
            "--applicant",
            applicant,
            "--type",
            kind,
            "--channel",
            "网络",
            "--received",
            received,
            "--description",
            "2023年度部门预算及“三公”经费决算",
            "--phone",
            "13800000000",
            "--id-number",
            "110101199001011234",
        ],
    );
    let code = ok(&o).trim().to_string();
    assert_eq!(code.lines().count(), 1, "only the code on stdout: {code}");
    code
}

fn show_json(db: &Path, code: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&run_db(db, &["request", "show", code, "--json"]))).unwrap()
}

/// `gongkai request correct` and `gongkai request attach`: the console's record fixes from the
/// command line, with the same refusals (nothing changed, no reason, a file of another kind).
#[test]
fn correct_and_attach_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fix.db");
    let code = add(&db, "某某公司", "自然人", "2024-09-27");
    let refused = run_db(
        &db,
        &[
            "request",
            "correct",
            &code,
            "--type",
            "自然人",
            "--note",
            "无变化",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("与现有登记相同"));
    let refused = run_db(
        &db,
        &["request", "correct", &code, "--note", "缺少更正内容"],
    );
    assert_eq!(refused.status.code(), Some(2));
    let o = ok(&run_db(
        &db,
        &[
            "request",
            "correct",
            &code,
            "--type",
            "商业企业",
            "--note",
            "登记时误选",
            "--at",
            "2024-09-30",
        ],
    ));
    assert!(o.contains("商业企业"), "{o}");
    let v = show_json(&db, &code);
    assert_eq!(v["request"]["applicant"]["kind"], "commercial", "{v}");

    let scan = dir.path().join("申请书.pdf");
    std::fs::write(&scan, b"%PDF-1.4\n% scanned letter\n").unwrap();
    let exe = dir.path().join("程序.exe");
    std::fs::write(&exe, b"MZ\x90\x00\x03\x00").unwrap();
    let refused = run_db(
        &db,
        &[
            "request",
            "attach",
            &code,
            scan.to_str().unwrap(),
            exe.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("不是可接受的附件类型"));
    assert_eq!(show_json(&db, &code)["attachments"], serde_json::json!([]));
    ok(&run_db(
        &db,
        &["request", "attach", &code, scan.to_str().unwrap()],
    ));
    let v = show_json(&db, &code);
    assert_eq!(v["attachments"][0]["file_name"], "申请书.pdf", "{v}");
    let text = ok(&run_db(&db, &["request", "show", &code]));
    assert!(text.contains("附件：申请书.pdf"), "{text}");
}

/// `gongkai serve --calendar` refuses to start on a calendar file it cannot read or parse
/// (deadlines must not silently fall back to the built-in data).
#[test]
fn serve_refuses_a_bad_calendar_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cal.db");
    let bad = dir.path().join("节假日.txt");
    std::fs::write(&bad, "2027 holiday 2027-02-30 春节\n").unwrap();
    for (file, message) in [
        (dir.path().join("missing.txt"), "无法读取节假日数据文件"),
        (bad, "节假日数据文件"),
    ] {
        let o = bin()
            .args(["serve", "--bind", "127.0.0.1:0", "--calendar"])
            .arg(&file)
            .arg("--database")
            .arg(&db)
            .output()
            .expect("run gongkai");
        assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
        assert!(stderr(&o).contains(message), "{}", stderr(&o));
        assert!(
            !db.exists(),
            "nothing created before the calendar is checked"
        );
    }
}

/// `gongkai user add --agency`: a clerk limited to one unit; an unknown unit or a scoped admin
/// is refused before anything is created.
#[test]
fn user_add_with_a_scope() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scope.db");
    add(&db, "张三", "自然人", "2024-09-27");
    let user_add = |name: &str, role: &str, agency: &str| {
        bin()
            .env("GONGKAI_PASSWORD", "a-long-password")
            .args(["user", "add", name, "--role", role, "--agency", agency])
            .arg("--database")
            .arg(&db)
            .output()
            .expect("run gongkai")
    };
    let o = user_add("clerk", "supervisor", AGENCY);
    assert!(ok(&o).contains("单位范围：示例县数据资源局"));
    let refused = user_add("nobody", "supervisor", "不存在的单位");
    assert_ne!(refused.status.code(), Some(0));
    assert!(stderr(&refused).contains("没有名为“不存在的单位”的单位"));
    let refused = user_add("boss", "admin", AGENCY);
    assert_ne!(refused.status.code(), Some(0));
    assert!(stderr(&refused).contains("管理员不限定单位范围"));

    // Scope of an existing account: set, refused for an admin or an unknown unit, lifted.
    let scope = |args: &[&str]| {
        bin()
            .args(["user", "scope"])
            .args(args)
            .arg("--database")
            .arg(&db)
            .output()
            .expect("run gongkai")
    };
    ok(&bin()
        .env("GONGKAI_PASSWORD", "a-long-password")
        .args(["user", "add", "li", "--role", "viewer"])
        .arg("--database")
        .arg(&db)
        .output()
        .unwrap());
    ok(&bin()
        .env("GONGKAI_PASSWORD", "a-long-password")
        .args(["user", "add", "root", "--role", "admin"])
        .arg("--database")
        .arg(&db)
        .output()
        .unwrap());
    assert!(ok(&scope(&["li", "--agency", AGENCY])).contains(AGENCY));
    let refused = scope(&["root", "--agency", AGENCY]);
    assert_ne!(refused.status.code(), Some(0));
    assert!(stderr(&refused).contains("管理员"), "{}", stderr(&refused));
    let refused = scope(&["li", "--agency", "不存在的单位"]);
    assert_ne!(refused.status.code(), Some(0));
    {
        let store = gongkai_store::open(&db.display().to_string()).unwrap();
        assert!(store.user_by_name("li").unwrap().unwrap().agency.is_some());
        assert!(store
            .user_by_name("root")
            .unwrap()
            .unwrap()
            .agency
            .is_none());
    }
    assert!(ok(&scope(&["li"])).contains("不再限定"));

    let store = gongkai_store::open(&db.display().to_string()).unwrap();
    assert!(store.user_by_name("li").unwrap().unwrap().agency.is_none());
    let clerk = store.user_by_name("clerk").unwrap().unwrap();
    let unit = store
        .agency(clerk.agency.expect("scoped"))
        .unwrap()
        .unwrap();
    assert_eq!(unit.name, AGENCY);
    assert!(store.user_by_name("nobody").unwrap().is_none());
    assert!(store.user_by_name("boss").unwrap().is_none());
}

#[test]
fn request_round_trip_and_illegal_transitions_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.db");

    let code = add(&db, "张三", "自然人", "2024-09-27");
    let well_formed = code.len() == "GK-2024-7F3K-9QXM-W2HT".len()
        && code.starts_with("GK-2024-")
        && code[8..].chars().all(|c| {
            c == '-' || c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))
        });
    assert!(well_formed, "{code}");
    let second = add(&db, "某律师事务所", "legal_services", "2024-10-08");
    assert_ne!(code, second);

    // Show: state, due date with its explanation, timeline.
    let s = ok(&run_db(&db, &["request", "show", &code]));
    assert!(s.contains(&format!("查询码：{code}")), "{s}");
    assert!(s.contains("状态：办理中"), "{s}");
    assert!(s.contains("答复期限：2024-10-30（星期三）"), "{s}");
    assert!(s.contains("国庆"), "{s}");
    assert!(s.contains("收到申请：网络提交，张三（自然人）"), "{s}");
    assert!(s.contains("经办人：测试员"), "{s}");
    assert!(s.contains("电话 13800000000"), "{s}");

    // Extension by 5 working days: 2024-10-30 → 11-06.
    let s = ok(&run_db(
        &db,
        &[
            "request",
            "event",
            &code,
            "extend",
            "--days",
            "5",
            "--at",
            "2024-10-21",
            "--by",
            "李四",
            "--note",
            "需调取档案",
        ],
    ));
    assert!(s.contains("已登记“延长答复期限”"), "{s}");
    assert!(s.contains("答复期限2024-11-06"), "{s}");
    let v = show_json(&db, &code);
    assert_eq!(v["due_on"], "2024-11-06");
    assert_eq!(v["timeline"][1]["by"], "李四");
    assert_eq!(v["timeline"][1]["note"], "需调取档案");
    assert_eq!(v["private"]["phone"], "13800000000");

    // Answered (by Chinese label) and delivered.
    ok(&run_db(
        &db,
        &[
            "request",
            "event",
            &code,
            "作出答复",
            "--outcome",
            "不予公开—保护第三方合法权益",
            "--at",
            "2024-11-01",
        ],
    ));
    let before = show_json(&db, &code);
    assert_eq!(before["status"], "answered");
    assert_eq!(before["outcome"], "withheld_third_party");

    // Illegal: a second extension after the answer → exit 1, Chinese message, nothing stored.
    let o = run_db(
        &db,
        &[
            "request",
            "event",
            &code,
            "extend",
            "--days",
            "5",
            "--at",
            "2024-11-02",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("当前状态为“已答复”"), "{e}");
    assert!(e.contains("不能执行“延长答复期限”"), "{e}");
    assert_eq!(show_json(&db, &code), before);
    // Out of order → exit 1.
    let o = run_db(
        &db,
        &["request", "event", &code, "deliver", "--at", "2024-10-01"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("早于上一事件日期"), "{}", stderr(&o));
    assert_eq!(show_json(&db, &code), before);
    // Wrong input → exit 2.
    for args in [
        vec!["request", "event", &code, "fly"],
        vec!["request", "event", &code, "answer"],
        vec![
            "request",
            "event",
            &code,
            "deliver",
            "--outcome",
            "disclosed",
        ],
        vec!["request", "event", "GK-2024-NOSUCH", "deliver"],
        vec!["request", "event", &code, "deliver", "--at", "2024-13-01"],
    ] {
        let o = run_db(&db, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("错误："), "{}", stderr(&o));
    }
    assert_eq!(show_json(&db, &code), before);

    ok(&run_db(
        &db,
        &["request", "event", &code, "deliver", "--at", "2024-11-04"],
    ));
    let v = show_json(&db, &code);
    assert_eq!(v["status"], "delivered");
    assert_eq!(v["timeline"].as_array().unwrap().len(), 4);
    assert_eq!(v["allowed_actions"], serde_json::json!([]));

    // The second request: consultation with a third party, still open.
    ok(&run_db(
        &db,
        &[
            "request",
            "event",
            &second,
            "consult",
            "--party",
            "某公司",
            "--at",
            "2024-10-10",
        ],
    ));
    let s = ok(&run_db(&db, &["request", "show", &second]));
    assert!(s.contains("征求意见中"), "{s}");
    assert!(s.contains("期限中止计算"), "{s}");

    // List: both; --open only the second; --year filters.
    let s = ok(&run_db(&db, &["request", "list"]));
    assert!(s.contains(&code) && s.contains(&second), "{s}");
    assert!(s.contains("共2件"), "{s}");
    let open: serde_json::Value =
        serde_json::from_str(&ok(&run_db(&db, &["request", "list", "--open", "--json"]))).unwrap();
    let codes: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec![second.as_str()]);
    let none: serde_json::Value = serde_json::from_str(&ok(&run_db(
        &db,
        &["request", "list", "--year", "2023", "--json"],
    )))
    .unwrap();
    assert_eq!(none, serde_json::json!([]));

    // The year's report from this register.
    let docx = dir.path().join("2024.docx");
    let o = bin()
        .args(["report", "--year", "2024", "--agency", AGENCY, "-o"])
        .arg(&docx)
        .arg("--database")
        .arg(&db)
        .output()
        .unwrap();
    ok(&o);
    let bytes = std::fs::read(&docx).unwrap();
    assert!(bytes.starts_with(b"PK"), "not a DOCX");
    assert!(stderr(&o).contains("本年新收2件"), "{}", stderr(&o));
    let parsed = gongkai_ingest::parse_bytes(&bytes, Some("2024.docx")).unwrap();
    let req = parsed.report.requests.as_ref().unwrap();
    assert_eq!(req["new_received"][0], Some(1.0));
    assert_eq!(req["new_received"][4], Some(1.0));
    assert_eq!(req["withheld_third_party"][6], Some(1.0));
    assert_eq!(req["carried_forward"][6], Some(1.0));
    // JSON to stdout.
    let v: serde_json::Value = serde_json::from_str(&ok(&run_db(
        &db,
        &[
            "report", "--year", "2024", "--agency", AGENCY, "--to", "json",
        ],
    )))
    .unwrap();
    assert_eq!(v["requests"]["total_handled"][6], 1.0);
    // Unknown agency → exit 2.
    let o = run_db(&db, &["report", "--year", "2024", "--agency", "不存在的局"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("不存在的局"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// The acceptance test: a generated year through the register, the DOCX and the PDF.

/// A tiny deterministic generator (64-bit LCG), as in gongkai-core's tests/generate.rs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn wd(cal: &Calendar, from: Date, n: u32) -> Date {
    cal.add_working_days(from, n).unwrap().due
}

/// One request driven through its lifecycle to `plan` (`None`: left open in one of the four
/// open states). The approach of gongkai-core's tests/generate.rs.
fn build(
    cal: &Calendar,
    rng: &mut Rng,
    i: usize,
    received: Date,
    kind: ApplicantType,
    plan: Option<Outcome>,
) -> Request {
    let id = RequestId(format!("GK-{}-T{i:05}", received.year()));
    let applicant = Applicant {
        kind,
        name: format!("申请人{}", i % 37),
        identity: None,
        contact: None,
    };
    let mut r = Request::receive(
        id,
        Event::new(
            received,
            "登记员",
            EventKind::Received {
                channel: Channel::ALL[i % Channel::ALL.len()],
                applicant,
                description: format!("第{i}号申请所需信息"),
            },
        ),
        cal,
    )
    .unwrap();
    let apply = |r: &mut Request, at: Date, kind: EventKind| {
        let e = Event::new(at, "经办人", kind);
        if let Err(err) = r.apply(e.clone(), cal) {
            panic!("{}: {:?}: {err}", r.id, e);
        }
    };
    let span = rng.below(31) as u32;
    match plan {
        None => match (i / 8) % 4 {
            0 => {}
            1 => apply(
                &mut r,
                wd(cal, received, 1),
                EventKind::CorrectionRequested {
                    reply_by: wd(cal, received, 16),
                },
            ),
            2 => apply(
                &mut r,
                wd(cal, received, 2),
                EventKind::ConsultationStarted {
                    kind: ConsultationKind::ThirdParty,
                    party: "第三方".into(),
                },
            ),
            _ => apply(
                &mut r,
                wd(cal, received, 3),
                EventKind::FeeNoticeServed {
                    basis: FeeBasis::PerRequest { nth_in_month: 12 },
                },
            ),
        },
        Some(Outcome::OtherNoCorrection) => {
            let asked = wd(cal, received, 1 + (span % 6));
            let reply_by = wd(cal, asked, 10);
            apply(&mut r, asked, EventKind::CorrectionRequested { reply_by });
            apply(&mut r, wd(cal, reply_by, 1), EventKind::CorrectionLapsed);
        }
        Some(Outcome::UnavailableUnclear) => {
            let asked = wd(cal, received, 1);
            apply(
                &mut r,
                asked,
                EventKind::CorrectionRequested {
                    reply_by: wd(cal, asked, 10),
                },
            );
            let corrected = wd(cal, asked, 1 + span % 9);
            apply(&mut r, corrected, EventKind::Corrected);
            apply(
                &mut r,
                wd(cal, corrected, 1 + span % 20),
                EventKind::Answered {
                    outcome: Outcome::UnavailableUnclear,
                },
            );
        }
        Some(Outcome::OtherFeeUnpaid) => {
            let noticed = wd(cal, received, 1 + span % 15);
            apply(
                &mut r,
                noticed,
                EventKind::FeeNoticeServed {
                    basis: FeeBasis::PerPage { pages: 120 },
                },
            );
            apply(&mut r, wd(cal, noticed, 21), EventKind::FeeLapsed);
        }
        Some(outcome) => {
            let mut at = received;
            if matches!(outcome, Outcome::Disclosed | Outcome::PartiallyDisclosed) {
                if i.is_multiple_of(3) {
                    at = wd(cal, at, 1);
                    apply(
                        &mut r,
                        at,
                        EventKind::ExtensionApproved {
                            working_days: 1 + (i % 20) as u32,
                        },
                    );
                }
                if i.is_multiple_of(5) {
                    at = wd(cal, at, 1);
                    apply(
                        &mut r,
                        at,
                        EventKind::ConsultationStarted {
                            kind: ConsultationKind::InterAgency,
                            party: "其他机关".into(),
                        },
                    );
                    at = wd(cal, at, 1 + span % 15);
                    apply(&mut r, at, EventKind::ConsultationEnded);
                }
                if i.is_multiple_of(7) {
                    at = wd(cal, at, 1);
                    apply(
                        &mut r,
                        at,
                        EventKind::FeeNoticeServed {
                            basis: FeeBasis::PerPage { pages: 45 },
                        },
                    );
                    at = wd(cal, at, 1 + span % 20);
                    apply(&mut r, at, EventKind::FeePaid);
                }
            }
            let answered = if span == 0 && at == received {
                received
            } else {
                wd(cal, at, span.max(1))
            };
            if outcome == Outcome::OtherMisc && i.is_multiple_of(2) {
                apply(&mut r, answered, EventKind::Withdrawn);
            } else {
                apply(&mut r, answered, EventKind::Answered { outcome });
                if i % 2 == 1 {
                    apply(&mut r, wd(cal, answered, 1), EventKind::Delivered);
                }
            }
        }
    }
    r
}

struct World {
    requests: Vec<Request>,
    appeals: Vec<Appeal>,
    publications: Vec<Publication>,
    entered: ProactiveCounts,
}

/// `count` requests received between `from` and `to`; every outcome and applicant type many
/// times, one in eight left open; 60 appeals; a publication catalog and entered table-二 figures.
fn world(seed: u64, count: usize, from: &str, to: &str) -> World {
    let cal = Calendar::builtin();
    let mut rng = Rng(seed);
    let (from, to) = (d(from), d(to));
    let days = from.days_until(to) as u64 + 1;
    let mut requests = Vec::new();
    for i in 0..count {
        let received = from.add_days(rng.below(days) as i64).unwrap();
        let kind = ApplicantType::ALL[(i + rng.below(2) as usize) % 6];
        let plan = if i % 8 == 7 {
            None
        } else {
            Some(Outcome::ALL[(i * 5 + rng.below(3) as usize) % 21])
        };
        requests.push(build(&cal, &mut rng, i, received, kind, plan));
    }
    let mut appeals = Vec::new();
    for i in 0..60 {
        let kind = AppealKind::ALL[i % 3];
        let filed = from.add_days(rng.below(days) as i64).unwrap();
        let request = requests[i * 3 % requests.len()].id.clone();
        let mut a = Appeal::new(format!("AJ-{i}"), kind, Some(request), filed);
        let result = AppealOutcome::ALL[(i / 3 + rng.below(2) as usize) % 4];
        if result != AppealOutcome::Pending {
            a.decide(filed.add_days(rng.below(200) as i64).unwrap(), result)
                .unwrap();
        }
        appeals.push(a);
    }
    // 规范性文件 from the catalog: issued 2021–2024, some repealed.
    let publications = (0..30)
        .map(|i| {
            let issued = d("2021-01-04").add_days(i * 47).unwrap();
            Publication {
                id: format!("GF-{i:03}"),
                title: format!("关于第{i}项工作的通知"),
                kind: if i % 10 == 0 {
                    PublicationKind::Regulation
                } else if i % 4 == 3 {
                    PublicationKind::Other
                } else {
                    PublicationKind::NormativeDocument
                },
                doc_number: Some(format!("示数资〔{}〕{}号", issued.year(), i + 1)),
                index_number: None,
                category: Some("规范性文件".into()),
                issued_on: issued,
                published_on: Some(issued.add_days(3).unwrap()),
                repealed_on: (i % 5 == 2).then(|| issued.add_days(400).unwrap()),
            }
        })
        .collect();
    // Entered by the 信息员 (the 规章 / 规范性文件 figures come from the catalog).
    let entered = ProactiveCounts {
        regulations: DocumentCounts::default(),
        normative_documents: DocumentCounts::default(),
        licensing: ItemCounts {
            decisions: Some(362),
            ..Default::default()
        },
        penalty: ItemCounts {
            decisions: Some(9),
            ..Default::default()
        },
        enforcement: ItemCounts {
            decisions: Some(0),
            ..Default::default()
        },
        fees: FeeItemCounts {
            amount_wan: Some(2.8),
            ..Default::default()
        },
        ..Default::default()
    };
    World {
        requests,
        appeals,
        publications,
        entered,
    }
}

/// Store the world in the SQLite register at `db`, as the staff console would.
fn store_world(db: &Path, w: &World) {
    let store: Box<dyn Store> = gongkai_store::open(&db.display().to_string()).unwrap();
    let agency = store
        .ensure_agency(AGENCY, AgencyLevel::Department, None)
        .unwrap();
    let private = ApplicantPrivate::default();
    for r in &w.requests {
        // Stored as received, then the rest of the log appended, as the console does.
        let first = Request::replay(
            r.id.clone(),
            std::iter::once(r.log[0].event.clone()),
            &Calendar::builtin(),
        )
        .unwrap();
        store
            .create_request(&NewRequest {
                agency,
                request: &first,
                private: &private,
                source: RequestSource::Staff,
                recorded_by: None,
                attachments: &[],
                fingerprint: None,
            })
            .unwrap();
        if r.log.len() > 1 {
            store.append_request_events(&r.id.0, 1, r, None).unwrap();
        }
    }
    for a in &w.appeals {
        store.save_appeal(agency, a).unwrap();
    }
    for p in &w.publications {
        store
            .save_publication(&PublicationRecord {
                agency,
                publication: p.clone(),
                issuer: Some(AGENCY.into()),
                body: p.title.clone(),
            })
            .unwrap();
    }
    store
        .save_proactive_counts(agency, 2024, &w.entered)
        .unwrap();
}

/// Every cell of tables 二, 三 and 四 of `expected` equals the one `parsed` read back.
fn assert_tables_equal(what: &str, expected: &Report, parsed: &Report, tables: &[&str]) {
    if tables.contains(&"三") {
        let (e, p) = (
            expected.requests.as_ref().unwrap(),
            parsed
                .requests
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no table 三")),
        );
        for (row, cells) in e {
            let got = p
                .get(row)
                .unwrap_or_else(|| panic!("{what}: table 三 row {row} missing"));
            assert_eq!(got, cells, "{what}: table 三 row {row}");
        }
        for (row, cells) in p {
            assert!(
                e.contains_key(row) || cells.iter().all(Option::is_none),
                "{what}: table 三 has an extra row {row}: {cells:?}"
            );
        }
    }
    if tables.contains(&"四") {
        let (e, p) = (
            &expected.reviews.as_ref().unwrap().groups,
            &parsed
                .reviews
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no table 四"))
                .groups,
        );
        for (group, cols) in e {
            for (col, v) in cols {
                let got = p.get(group).and_then(|c| c.get(col)).copied().flatten();
                assert_eq!(got, *v, "{what}: table 四 {group} {col}");
            }
        }
    }
    if tables.contains(&"二") {
        let (e, p) = (
            &expected.proactive.as_ref().unwrap().rows,
            &parsed
                .proactive
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no table 二"))
                .rows,
        );
        for (row, cols) in e {
            for (col, v) in cols {
                let got = p.get(row).and_then(|c| c.get(col)).copied().flatten();
                assert_eq!(got, *v, "{what}: table 二 {row} {col}");
            }
        }
    }
}

fn errors(findings: &[gongkai_core::Finding]) -> Vec<&gongkai_core::Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

fn soffice() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/soffice");
    p.exists()
        .then_some(p)
        .or_else(gongkai_render::pdf::find_soffice)
}

#[test]
fn a_generated_year_renders_a_docx_and_pdf_that_read_back_to_the_register() {
    let w = world(2024, 400, "2023-06-01", "2024-12-31");

    // The world covers what the test is about.
    let in_2024 = |r: &Request| r.concluded().is_some_and(|(c, _)| c.year() == 2024);
    for o in Outcome::ALL {
        let n = w
            .requests
            .iter()
            .filter(|r| in_2024(r) && r.outcome == Some(o))
            .count();
        assert!(n >= 2, "outcome {o:?} concluded in 2024 only {n} times");
    }
    for t in ApplicantType::ALL {
        let n = w.requests.iter().filter(|r| r.applicant.kind == t).count();
        assert!(n >= 40, "{t:?}: {n}");
    }
    let open_at =
        |r: &Request, day: Date| r.received_on <= day && r.concluded().is_none_or(|(c, _)| c > day);
    let carried_in = w
        .requests
        .iter()
        .filter(|r| open_at(r, d("2023-12-31")))
        .count();
    let carried_out = w
        .requests
        .iter()
        .filter(|r| open_at(r, d("2024-12-31")))
        .count();
    assert!(carried_in >= 10, "carried in: {carried_in}");
    assert!(carried_out >= 10, "carried out: {carried_out}");
    for s in [
        Status::Withdrawn,
        Status::Terminated,
        Status::Processing,
        Status::AwaitingCorrection,
        Status::InConsultation,
        Status::AwaitingPayment,
        Status::Answered,
        Status::Delivered,
    ] {
        assert!(w.requests.iter().any(|r| r.status == s), "{s:?}");
    }
    for g in AppealKind::ALL {
        for o in AppealOutcome::ALL {
            assert!(
                w.appeals.iter().any(|a| a.kind == g && a.outcome == o),
                "{g:?} {o:?}"
            );
        }
    }

    // The register's figures, computed in memory from the world.
    let counts = ProactiveCounts::from_publications(2024, &w.publications)
        .unwrap()
        .overridden_by(&w.entered);
    let expected = generate_report(2024, AGENCY, &w.requests, &w.appeals, &counts).unwrap();
    assert!(errors(&rules::check(&expected)).is_empty());
    let req = expected.requests.as_ref().unwrap();
    assert!(req["carried_over"][6].unwrap() >= 10.0);
    assert!(req["carried_forward"][6].unwrap() >= 10.0);
    assert!(req["total_handled"][6].unwrap() >= 200.0);
    let p = &expected.proactive.as_ref().unwrap().rows;
    assert!(p["normative_documents"]["issued"].unwrap() > 0.0);
    assert!(p["normative_documents"]["repealed"].unwrap() > 0.0);
    assert!(p["normative_documents"]["in_force"].unwrap() > 0.0);
    assert_eq!(p["licensing"]["decisions"], Some(362.0));

    // 1. The renderer itself: to_docx → gongkai's DOCX reader.
    let docx = gongkai_render::to_docx(&expected, &[]);
    let parsed = gongkai_ingest::parse_bytes(&docx, Some("generated.docx")).unwrap();
    assert_tables_equal("to_docx", &expected, &parsed.report, &["二", "三", "四"]);
    let mut findings = parsed.findings.clone();
    findings.extend(rules::check(&parsed.report));
    assert!(errors(&findings).is_empty(), "{:#?}", errors(&findings));
    assert_eq!(parsed.report.year, Some(2024));
    assert_eq!(parsed.report.agency.as_deref(), Some(AGENCY));

    // 2. The whole path: the world stored in SQLite, `gongkai report --year 2024` → DOCX.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.db");
    store_world(&db, &w);
    let out = dir.path().join("2024年报.docx");
    let o = bin()
        .args(["report", "--year", "2024", "--agency", AGENCY, "-o"])
        .arg(&out)
        .arg("--database")
        .arg(&db)
        .output()
        .unwrap();
    ok(&o);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PK"));
    assert_eq!(bytes, docx, "the CLI's DOCX is the in-memory one");
    let parsed = gongkai_ingest::parse_bytes(&bytes, Some("2024年报.docx")).unwrap();
    assert_tables_equal(
        "gongkai report",
        &expected,
        &parsed.report,
        &["二", "三", "四"],
    );
    let mut findings = parsed.findings.clone();
    findings.extend(rules::check(&parsed.report));
    assert!(errors(&findings).is_empty(), "{:#?}", errors(&findings));
    let total = req["total_handled"][6].unwrap() as u64;
    println!(
        "generated 2024: {} requests in the register; 上年结转 {}, 本年新收 {}, 办结 {total}, 结转下年度 {}; {} appeals",
        w.requests.len(),
        req["carried_over"][6].unwrap(),
        req["new_received"][6].unwrap(),
        req["carried_forward"][6].unwrap(),
        w.appeals.len()
    );

    // 3. The PDF printed by LibreOffice (`gongkai report --to pdf`) reads back to the same tables.
    if soffice().is_none() {
        println!("LibreOffice (soffice) absent: PDF round trip skipped");
        return;
    }
    let pdf_path = dir.path().join("2024年报.pdf");
    let o = bin()
        .args([
            "report", "--year", "2024", "--agency", AGENCY, "--to", "pdf", "-o",
        ])
        .arg(&pdf_path)
        .arg("--database")
        .arg(&db)
        .output()
        .unwrap();
    ok(&o);
    let pdf = std::fs::read(&pdf_path).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let parsed = gongkai_ingest::parse_bytes(&pdf, Some("2024年报.pdf")).unwrap();
    assert_tables_equal("PDF", &expected, &parsed.report, &["二", "三", "四"]);
    let mut findings = parsed.findings.clone();
    findings.extend(rules::check(&parsed.report));
    assert!(errors(&findings).is_empty(), "{:#?}", errors(&findings));
    println!(
        "PDF of {} bytes printed by LibreOffice reads back to the same tables 二, 三 and 四",
        pdf.len()
    );
}

#[test]
fn report_of_an_empty_register_and_refused_years() {
    // DOCX to a piped stdout is fine; an empty register gives a report of zeros.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    let store = gongkai_store::open(&db.display().to_string()).unwrap();
    store
        .ensure_agency(AGENCY, AgencyLevel::Department, None)
        .unwrap();
    drop(store);
    let o = run_db(&db, &["report", "--year", "2024", "--agency", AGENCY]);
    let bytes = o.stdout.clone();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(bytes.starts_with(b"PK"));
    let o = run_db(
        &db,
        &["report", "--year", "2018", "--agency", AGENCY, "--to", "md"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2019年度及以后"), "{}", stderr(&o));
    let md = ok(&run_db(
        &db,
        &["report", "--year", "2021", "--agency", AGENCY, "--to", "md"],
    ));
    assert!(md.contains(AGENCY), "{md}");
    // PDF without LibreOffice: a clear error, status 2, no file.
    let pdf = dir.path().join("x.pdf");
    let o = bin()
        .args([
            "report", "--year", "2024", "--agency", AGENCY, "--to", "pdf", "-o",
        ])
        .arg(&pdf)
        .arg("--database")
        .arg(&db)
        .env("GONGKAI_SOFFICE", dir.path().join("no-such-soffice"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("生成 PDF 需要 LibreOffice"),
        "{}",
        stderr(&o)
    );
    assert!(!pdf.exists());
}

#[test]
fn new_commands_explain_themselves_with_examples() {
    let s = ok(&run(&["--help"]));
    for needle in [
        "gongkai calendar due",
        "gongkai request add",
        "gongkai request event",
        "gongkai report --year",
    ] {
        assert!(s.contains(needle), "after_help lacks {needle}: {s}");
    }
    for args in [
        vec!["calendar", "due"],
        vec!["calendar", "show"],
        vec!["request", "add"],
        vec!["request", "event"],
        vec!["request", "show"],
        vec!["request", "list"],
        vec!["report"],
    ] {
        let mut a = args.clone();
        a.push("--help");
        let s = ok(&run(&a));
        assert!(s.contains("Example"), "{args:?} --help has no example");
    }
}
