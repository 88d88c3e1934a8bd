//! `gongkai serve --demo`: a database with the team's own synthetic reports (made-up agencies,
//! in the repository's `samples/`, compiled into the binary so the demo works from any
//! directory), a small region hierarchy, and three demo accounts — so the first thing a new user
//! sees is a working supervision centre.

use crate::auth::hash_password;
use crate::import::{import_file, Upload};
use crate::AppError;
use gongkai_store::{AgencyLevel, Role, Store};

/// The bundled sample reports (synthetic; see `samples/README` in the repository).
pub const SAMPLES: &[(&str, &[u8])] = &[
    (
        "示例县数据资源局-2022.txt",
        include_bytes!("../../../samples/示例县数据资源局-2022.txt"),
    ),
    (
        "示例县数据资源局-2023.txt",
        include_bytes!("../../../samples/示例县数据资源局-2023.txt"),
    ),
    (
        "示例镇人民政府-2021.txt",
        include_bytes!("../../../samples/示例镇人民政府-2021.txt"),
    ),
    (
        "示例市政府采购中心-2016.txt",
        include_bytes!("../../../samples/示例市政府采购中心-2016.txt"),
    ),
    (
        "某市示例局-2021-gbk.html",
        include_bytes!("../../../samples/某市示例局-2021-gbk.html"),
    ),
];

/// Demo accounts: (username, display name, role). Password `demo` for all (demo mode only).
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin", "演示管理员", Role::Admin),
    ("jiandu", "演示监督员", Role::Supervisor),
    ("chakan", "演示查看员", Role::Viewer),
    ("xinxiyuan", "演示信息员", Role::Supervisor),
];

/// The demo user limited to [`DEMO_REGISTER_AGENCY`] (单位范围): the unit's own 信息员.
pub const DEMO_SCOPED_USER: &str = "xinxiyuan";

pub const DEMO_PASSWORD: &str = "demo";

/// What seeding did.
#[derive(Debug, Default)]
pub struct Seeded {
    pub imported: usize,
    pub failed: Vec<String>,
    /// Requests put into the demo unit's register.
    pub requests: usize,
}

/// Fill an empty store with the demo data. Idempotent: users that exist are kept, files already
/// imported are recognised as duplicates.
pub fn seed(store: &dyn Store) -> Result<Seeded, AppError> {
    for (username, display, role) in DEMO_USERS {
        if store.user_by_name(username)?.is_none() {
            store.create_user(username, display, &hash_password(DEMO_PASSWORD)?, *role)?;
        }
    }
    let province = store.ensure_agency("示例省", AgencyLevel::Province, None)?;
    let city = store.ensure_agency("示例市", AgencyLevel::City, Some(province))?;
    let county = store.ensure_agency("示例县", AgencyLevel::County, Some(city))?;

    let mut seeded = Seeded::default();
    for (name, bytes) in SAMPLES {
        let upload = Upload {
            file_name: (*name).to_string(),
            bytes: bytes.to_vec(),
        };
        let item = import_file(store, &upload, None, None, None);
        match item.status.as_str() {
            "failed" => seeded
                .failed
                .push(format!("{name}：{}", item.message.unwrap_or_default())),
            _ => seeded.imported += 1,
        }
    }
    // The samples of 示例县 and 示例市 units went under their region at import (by name); the
    // town (示例镇…) belongs to the county and the rest to the city.
    for agency in store.agencies()? {
        if agency.level != AgencyLevel::Department || agency.parent.is_some() {
            continue;
        }
        let parent = if agency.name.starts_with("示例县") || agency.name.starts_with("示例镇")
        {
            county
        } else {
            city
        };
        store.set_agency_place(agency.id, AgencyLevel::Department, Some(parent))?;
    }
    seeded.requests = seed_register(store)?;
    let unit = store.ensure_agency(DEMO_REGISTER_AGENCY, AgencyLevel::Department, Some(county))?;
    if let Some(clerk) = store.user_by_name(DEMO_SCOPED_USER)? {
        if clerk.agency.is_none() {
            store.set_user_agency(clerk.id, Some(unit))?;
        }
    }
    Ok(seeded)
}

/// The unit whose register the demo fills (its reports are among the samples, too).
pub const DEMO_REGISTER_AGENCY: &str = "示例县数据资源局";

/// A small deterministic pseudo-random sequence, so the demo is the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Today in Beijing (UTC+8) — the demo dates its register relative to it.
pub use crate::today_beijing;

/// Fill the demo unit's register: last year's requests (answered, one carried over from the
/// year before), this year's (the most recent still open, one of them overdue), two appeals,
/// publications in the catalog categories, and last year's table-二 counts. Skipped when the
/// register already has requests. Dates are relative to today, so the queue always shows
/// due-soon and overdue requests.
pub fn seed_register(store: &dyn Store) -> Result<usize, AppError> {
    use gongkai_core::calendar::Calendar;
    use gongkai_core::date::Date;
    use gongkai_core::lifecycle::{
        Applicant, ApplicantType, Channel, Event, EventKind, Outcome, Request, RequestId,
    };
    use gongkai_core::register::{
        Appeal, AppealKind, AppealOutcome, ItemCounts, ProactiveCounts, Publication,
        PublicationKind,
    };
    use gongkai_store::{ApplicantPrivate, NewRequest, PublicationRecord, RequestSource};

    let agency = store.ensure_agency(DEMO_REGISTER_AGENCY, AgencyLevel::Department, None)?;
    let existing = store.count_requests(&gongkai_store::RequestFilter {
        agency: Some(agency),
        ..Default::default()
    })?;
    if existing > 0 {
        return Ok(0);
    }
    let cal = Calendar::builtin();
    let today = today_beijing();
    let this_year = today.year();
    let last_year = this_year - 1;
    let bad = |e: String| AppError::Internal(format!("演示台账生成失败：{e}"));
    let date = |y: i32, m: u32, d: u32| Date::new(y, m, d).map_err(|e| bad(e.to_string()));
    let mut rng = Lcg(20_240_601);
    let names = [
        "王某", "李某", "张某", "刘某", "陈某", "杨某", "赵某", "黄某",
    ];
    let orgs = [
        "某建设工程有限公司",
        "某大学公共管理学院",
        "某律师事务所",
        "某环保志愿者协会",
        "某村民委员会",
    ];
    let topics = [
        "2024年度公共数据开放目录及更新情况",
        "县政务服务中心窗口人员配置文件",
        "某路段智慧停车项目的招标文件和中标结果",
        "数字乡村建设专项资金使用情况",
        "本人办理不动产登记的数据共享记录",
        "政务云平台采购合同",
        "县级数据共享交换平台建设方案",
        "2023年政府信息公开申请办理台账",
    ];
    let common_outcomes = [
        Outcome::Disclosed,
        Outcome::Disclosed,
        Outcome::Disclosed,
        Outcome::PartiallyDisclosed,
        Outcome::UnavailableNotHeld,
        Outcome::UnavailableNotHeld,
        Outcome::WithheldThirdParty,
        Outcome::WithheldProcess,
        Outcome::RejectedPublication,
        Outcome::RejectedDuplicate,
        Outcome::UnavailableNeedsCreation,
        Outcome::OtherMisc,
    ];
    let mut plans: Vec<(Date, Option<u32>)> = Vec::new();
    // Carried over into last year: received late the year before, answered in January.
    plans.push((date(last_year - 1, 12, 26)?, Some(12)));
    for i in 0..36u32 {
        let month = 1 + i % 12;
        let day = 3 + rng.next(24) as u32;
        plans.push((date(last_year, month, day)?, Some(4 + rng.next(14) as u32)));
    }
    // This year: answered ones, then the last few still open (the oldest of them overdue).
    let mut day = today.add_days(-200).map_err(|e| bad(e.to_string()))?;
    if day.year() < this_year {
        day = date(this_year, 1, 5)?;
    }
    while day < today {
        let open = today.days_until(day).abs() < 40;
        plans.push((
            day,
            if open {
                None
            } else {
                Some(3 + rng.next(12) as u32)
            },
        ));
        day = day
            .add_days(5 + rng.next(9) as i64)
            .map_err(|e| bad(e.to_string()))?;
    }
    let mut created = 0;
    for (n, (received, answer_after)) in plans.into_iter().enumerate() {
        // Receipt on a working day (people file on any day; the demo keeps it simple).
        let received = match cal.is_working_day(received) {
            Ok(false) => match cal.next_working_day(received) {
                Ok(d) if d <= today => d,
                _ => received,
            },
            _ => received,
        };
        let kind = ApplicantType::ALL[(rng.next(10) as usize).min(5) % 6];
        let applicant = Applicant {
            kind,
            name: if kind == ApplicantType::NaturalPerson {
                names[rng.next(names.len() as u64) as usize].to_string()
            } else {
                orgs[rng.next(orgs.len() as u64) as usize].to_string()
            },
            identity: None,
            contact: None,
        };
        let code = format!("GK-{}-D{:04}", received.year(), n + 1);
        let channel = Channel::ALL[rng.next(5) as usize];
        let description = topics[rng.next(topics.len() as u64) as usize].to_string();
        let received_event = Event::new(
            received,
            "演示信息员",
            EventKind::Received {
                channel,
                applicant,
                description,
            },
        );
        let mut request = Request::receive(RequestId(code.clone()), received_event, &cal)
            .map_err(|e| bad(e.to_string()))?;
        if let Some(after) = answer_after {
            let answered = cal
                .add_working_days(received, after)
                .map_err(|e| bad(e.to_string()))?
                .due;
            if answered <= today {
                let outcome = common_outcomes[rng.next(common_outcomes.len() as u64) as usize];
                request
                    .apply(
                        Event::new(answered, "演示信息员", EventKind::Answered { outcome }),
                        &cal,
                    )
                    .map_err(|e| bad(e.to_string()))?;
                if let Ok(delivered) = cal.next_working_day(answered) {
                    if delivered <= today {
                        request
                            .apply(
                                Event::new(delivered, "演示信息员", EventKind::Delivered),
                                &cal,
                            )
                            .map_err(|e| bad(e.to_string()))?;
                    }
                }
            }
        }
        let private = ApplicantPrivate {
            id_number: Some(format!("11010119800101{:04}", 1000 + n)),
            phone: Some(format!("1380000{:04}", n)),
            address: Some("示例县示例路 1 号".into()),
            email: None,
            delivery: Some("电子邮件".into()),
        };
        // Letters that came by post carry the scanned letter (a text stand-in in the demo).
        let letter: Vec<(String, Vec<u8>)> = if channel == Channel::Post {
            vec![(
                "邮寄申请书（演示）.txt".to_string(),
                format!(
                    "政府信息公开申请书（演示）\n申请人：{}\n所需信息：{}\n",
                    request.applicant.name, request.description
                )
                .into_bytes(),
            )]
        } else {
            Vec::new()
        };
        store.create_request(&NewRequest {
            agency,
            request: &request,
            private: &private,
            source: RequestSource::Staff,
            recorded_by: None,
            attachments: &letter,
            fingerprint: None,
        })?;
        created += 1;
    }

    let mut reconsideration = Appeal::new(
        "复议-演示-1",
        AppealKind::Reconsideration,
        Some(RequestId(format!("GK-{last_year}-D0005"))),
        date(last_year, 4, 20)?,
    );
    reconsideration
        .decide(date(last_year, 6, 18)?, AppealOutcome::Upheld)
        .map_err(|e| bad(e.to_string()))?;
    store.save_appeal(agency, &reconsideration)?;
    let lawsuit = Appeal::new(
        "诉讼-演示-1",
        AppealKind::LitigationDirect,
        Some(RequestId(format!("GK-{last_year}-D0011"))),
        date(last_year, 9, 2)?,
    );
    store.save_appeal(agency, &lawsuit)?;

    let catalog: &[(&str, &str, PublicationKind)] = &[
        (
            "政策文件",
            "示例县公共数据开放管理暂行办法",
            PublicationKind::NormativeDocument,
        ),
        (
            "政策文件",
            "示例县政务数据共享交换工作规程",
            PublicationKind::NormativeDocument,
        ),
        (
            "工作动态",
            "县数据资源局召开数字政府建设推进会",
            PublicationKind::Other,
        ),
        (
            "工作动态",
            "公共资源交易中心完成电子化交易平台升级",
            PublicationKind::Other,
        ),
        (
            "招标公告",
            "示例县智慧停车项目公开招标公告",
            PublicationKind::Other,
        ),
        (
            "更正公告",
            "示例县智慧停车项目招标文件更正公告",
            PublicationKind::Other,
        ),
        (
            "中标候选人公示",
            "示例县智慧停车项目中标候选人公示",
            PublicationKind::Other,
        ),
        (
            "中标结果公告",
            "示例县智慧停车项目中标结果公告",
            PublicationKind::Other,
        ),
        ("合同", "示例县政务云服务采购合同", PublicationKind::Other),
        (
            "数据开放",
            "示例县公共数据开放目录（2025年版）",
            PublicationKind::Other,
        ),
        (
            "财政预决算",
            "示例县数据资源局2025年部门预算",
            PublicationKind::Other,
        ),
    ];
    for (i, (category, title, kind)) in catalog.iter().enumerate() {
        let year = if i % 2 == 0 {
            last_year
        } else {
            this_year.min(today.year())
        };
        let issued = date(year, 1 + (i as u32 % 10), 10)?;
        let issued = if issued > today {
            date(last_year, 11, 10)?
        } else {
            issued
        };
        let publication = Publication {
            id: format!("11330000-{year}-{:05}", i + 1),
            title: (*title).to_string(),
            kind: *kind,
            doc_number: matches!(kind, PublicationKind::NormativeDocument)
                .then(|| format!("示数资〔{year}〕{}号", i + 1)),
            index_number: Some(format!("11330000-{year}-{:05}", i + 1)),
            category: Some((*category).to_string()),
            issued_on: issued,
            published_on: Some(issued),
            repealed_on: None,
        };
        store.save_publication(&PublicationRecord {
            agency,
            publication,
            issuer: Some(DEMO_REGISTER_AGENCY.to_string()),
            body: format!(
                "{title}。为推进政府信息公开和公共资源交易信息公开，{DEMO_REGISTER_AGENCY}依据《中华人民共和国政府信息公开条例》发布本信息。公共资源交易中心、数据共享交换平台、政务服务中心的相关事项详见正文。"
            ),
        })?;
    }
    let counts = ProactiveCounts {
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
        ..Default::default()
    };
    store.save_proactive_counts(agency, last_year, &counts)?;
    Ok(created)
}
