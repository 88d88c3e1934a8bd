//! A generated register — a few hundred requests of every outcome and applicant type, with
//! carry-over into and out of the year, and appeals of every kind and result — yields reports on
//! which `rules::check` finds no error and whose cells equal tallies computed here
//! independently from the generator's own plan.

use std::collections::HashMap;

use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_core::fees::FeeBasis;
use gongkai_core::lifecycle::{
    Applicant, ApplicantType, Channel, ConsultationKind, Event, EventKind, Outcome, Request,
    RequestId, Status,
};
use gongkai_core::model::Generation;
use gongkai_core::register::{
    generate_report, nth_request_in_month, Appeal, AppealKind, AppealOutcome, DocumentCounts,
    FeeItemCounts, ItemCounts, ProactiveCounts,
};
use gongkai_core::rules;
use gongkai_core::Severity;

/// A tiny deterministic generator (64-bit LCG).
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

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// What the generator meant to happen to a request (the test's independent truth).
#[derive(Clone, Copy, Debug)]
enum Plan {
    /// Concluded with this 2021 outcome (withdrawals included as other_misc).
    Concluded(Outcome),
    /// Left open in some state.
    Open,
}

struct Planned {
    kind: ApplicantType,
    received: Date,
    /// The conclusion date and outcome the generator drove the request to.
    concluded: Option<(Date, Outcome)>,
}

/// Next working day strictly after `from`, `n` times.
fn wd(cal: &Calendar, from: Date, n: u32) -> Date {
    cal.add_working_days(from, n).unwrap().due
}

fn build(
    cal: &Calendar,
    rng: &mut Rng,
    i: usize,
    received: Date,
    kind: ApplicantType,
    plan: Plan,
) -> (Request, Planned) {
    let id = RequestId(format!("YSQ-{i:04}"));
    let applicant = Applicant {
        kind,
        name: format!("申请人{}", i % 37),
        identity: None,
        contact: None,
    };
    let channel = Channel::ALL[i % Channel::ALL.len()];
    let mut r = Request::receive(
        id,
        Event::new(
            received,
            "登记员",
            EventKind::Received {
                channel,
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
    // Spread of working days until the conclusion: 0..=30, so that requests received late in
    // a year are concluded in the next one.
    let span = rng.below(31) as u32;
    let concluded = match plan {
        Plan::Open => {
            // Leave it open in one of the four open states.
            match (i / 8) % 4 {
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
            }
            None
        }
        Plan::Concluded(Outcome::OtherNoCorrection) => {
            let asked = wd(cal, received, 1 + (span % 6));
            let reply_by = wd(cal, asked, 10);
            apply(&mut r, asked, EventKind::CorrectionRequested { reply_by });
            let lapsed = wd(cal, reply_by, 1);
            apply(&mut r, lapsed, EventKind::CorrectionLapsed);
            Some((lapsed, Outcome::OtherNoCorrection))
        }
        Plan::Concluded(Outcome::UnavailableUnclear) => {
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
            let answered = wd(cal, corrected, 1 + span % 20);
            apply(
                &mut r,
                answered,
                EventKind::Answered {
                    outcome: Outcome::UnavailableUnclear,
                },
            );
            Some((answered, Outcome::UnavailableUnclear))
        }
        Plan::Concluded(Outcome::OtherFeeUnpaid) => {
            let noticed = wd(cal, received, 1 + span % 15);
            apply(
                &mut r,
                noticed,
                EventKind::FeeNoticeServed {
                    basis: FeeBasis::PerPage { pages: 120 },
                },
            );
            let lapsed = wd(cal, noticed, 21);
            apply(&mut r, lapsed, EventKind::FeeLapsed);
            Some((lapsed, Outcome::OtherFeeUnpaid))
        }
        Plan::Concluded(outcome) => {
            let mut at = received;
            // Some disclosures go through an extension, a consultation and a paid fee.
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
            // Answers on the day of receipt happen too (当场答复) when span is 0.
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
            Some((answered, outcome))
        }
    };
    let planned = Planned {
        kind,
        received,
        concluded,
    };
    (r, planned)
}

struct World {
    requests: Vec<Request>,
    planned: Vec<Planned>,
    appeals: Vec<Appeal>,
}

/// `count` requests received between `from` and `to`, every outcome and applicant type many
/// times, about one in eight left open.
fn world(seed: u64, count: usize, from: &str, to: &str) -> World {
    let cal = Calendar::builtin();
    let mut rng = Rng(seed);
    let (from, to) = (d(from), d(to));
    let days = from.days_until(to) as u64 + 1;
    let mut requests = Vec::new();
    let mut planned = Vec::new();
    for i in 0..count {
        let received = from.add_days(rng.below(days) as i64).unwrap();
        let kind = ApplicantType::ALL[(i + rng.below(2) as usize) % 6];
        let plan = if i % 8 == 7 {
            Plan::Open
        } else {
            Plan::Concluded(Outcome::ALL[(i * 5 + rng.below(3) as usize) % 21])
        };
        let (r, p) = build(&cal, &mut rng, i, received, kind, plan);
        requests.push(r);
        planned.push(p);
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
    World {
        requests,
        planned,
        appeals,
    }
}

/// Table 三 tallied directly from the plan: row id (2021) → six columns.
fn tally_requests(year: i32, planned: &[Planned]) -> HashMap<&'static str, [u64; 6]> {
    let start = Date::new(year, 1, 1).unwrap();
    let end = Date::new(year, 12, 31).unwrap();
    let mut t: HashMap<&'static str, [u64; 6]> = HashMap::new();
    for p in planned {
        let col = p.kind as usize;
        let open_at_start = p.received < start && p.concluded.is_none_or(|(c, _)| c >= start);
        let received_in_year = p.received >= start && p.received <= end;
        if open_at_start {
            t.entry("carried_over").or_default()[col] += 1;
        }
        if received_in_year {
            t.entry("new_received").or_default()[col] += 1;
        }
        if let Some((c, o)) = p.concluded {
            if c >= start && c <= end {
                t.entry(o.id()).or_default()[col] += 1;
                t.entry("total_handled").or_default()[col] += 1;
            }
        }
        if (open_at_start || received_in_year) && p.concluded.is_none_or(|(c, _)| c > end) {
            t.entry("carried_forward").or_default()[col] += 1;
        }
    }
    t
}

fn tally_appeals(year: i32, appeals: &[Appeal]) -> HashMap<(&'static str, &'static str), u64> {
    let start = Date::new(year, 1, 1).unwrap();
    let end = Date::new(year, 12, 31).unwrap();
    let mut t = HashMap::new();
    for a in appeals {
        let group = match a.kind {
            AppealKind::Reconsideration => "reconsideration",
            AppealKind::LitigationDirect => "litigation_direct",
            AppealKind::LitigationAfterReconsideration => "litigation_after_reconsideration",
        };
        let column = match a.decided_on {
            _ if a.filed_on > end => continue,
            Some(dd) if dd < start => continue,
            Some(dd) if dd <= end => match a.outcome {
                AppealOutcome::Upheld => "upheld",
                AppealOutcome::Corrected => "corrected",
                AppealOutcome::Other => "other",
                AppealOutcome::Pending => unreachable!(),
            },
            _ => "pending",
        };
        *t.entry((group, column)).or_insert(0) += 1;
        *t.entry((group, "total")).or_insert(0) += 1;
    }
    t
}

fn entered() -> ProactiveCounts {
    ProactiveCounts {
        regulations: DocumentCounts {
            issued: Some(0),
            repealed: Some(0),
            in_force: Some(0),
            published: Some(0),
        },
        normative_documents: DocumentCounts {
            issued: Some(3),
            repealed: Some(1),
            in_force: Some(18),
            published: Some(3),
        },
        licensing: ItemCounts {
            decisions: Some(362),
            previous_items: Some(40),
            change: Some(-2),
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
    }
}

fn check_year(w: &World, year: i32, generation: Generation) -> gongkai_core::Report {
    let report = generate_report(
        year,
        "示例县数据资源局",
        &w.requests,
        &w.appeals,
        &entered(),
    )
    .unwrap();
    assert_eq!(report.generation, generation);
    let findings = rules::check(&report);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(findings.is_empty(), "{findings:#?}");

    // Table 三 equals the independent tally.
    let truth = tally_requests(year, &w.planned);
    let table = report.requests.as_ref().unwrap();
    for (row, cells) in table {
        let expected: [u64; 6] = if row == "other" {
            // 2019 format: the three （六） rows together.
            let mut sum = [0u64; 6];
            for id in ["other_no_correction", "other_fee_unpaid", "other_misc"] {
                let part = truth.get(id).copied().unwrap_or_default();
                for c in 0..6 {
                    sum[c] += part[c];
                }
            }
            sum
        } else {
            truth.get(row.as_str()).copied().unwrap_or_default()
        };
        for c in 0..6 {
            assert_eq!(
                cells[c],
                Some(expected[c] as f64),
                "{year} {row} column {c}"
            );
        }
        assert_eq!(
            cells[6],
            Some(expected.iter().sum::<u64>() as f64),
            "{year} {row} 总计"
        );
    }
    // Table 四 equals the independent tally.
    let truth = tally_appeals(year, &w.appeals);
    for (group, cols) in &report.reviews.as_ref().unwrap().groups {
        for (col, v) in cols {
            let expected = truth
                .iter()
                .find(|((g, c), _)| g == group && c == col)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            assert_eq!(*v, Some(expected as f64), "{year} {group} {col}");
        }
    }
    report
}

#[test]
fn a_generated_2024_has_no_error_and_equals_the_register() {
    let w = world(2024, 400, "2023-06-01", "2024-12-31");

    // The world covers what the test is about.
    for o in Outcome::ALL {
        let n = w
            .planned
            .iter()
            .filter(|p| {
                p.concluded
                    .is_some_and(|(c, oo)| oo == o && c.year() == 2024)
            })
            .count();
        assert!(n >= 2, "outcome {o:?} concluded in 2024 only {n} times");
    }
    for t in ApplicantType::ALL {
        assert!(w.planned.iter().filter(|p| p.kind == t).count() >= 40);
    }
    let carried_in = w
        .planned
        .iter()
        .filter(|p| p.received.year() == 2023 && p.concluded.is_none_or(|(c, _)| c.year() >= 2024))
        .count();
    let carried_out = w
        .planned
        .iter()
        .filter(|p| p.received.year() == 2024 && p.concluded.is_none_or(|(c, _)| c.year() >= 2025))
        .count();
    assert!(carried_in >= 10, "carried in: {carried_in}");
    assert!(carried_out >= 10, "carried out: {carried_out}");
    assert!(w.requests.iter().any(|r| r.status == Status::Withdrawn));
    assert!(w.requests.iter().any(|r| r.status == Status::Terminated));
    for s in [
        Status::Processing,
        Status::AwaitingCorrection,
        Status::InConsultation,
        Status::AwaitingPayment,
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
    // The register agrees with the plan.
    for (r, p) in w.requests.iter().zip(&w.planned) {
        assert_eq!(r.concluded(), p.concluded, "{}", r.id);
        assert_eq!(r.received_on, p.received);
    }

    let r2023 = check_year(&w, 2023, Generation::G2021);
    let r2024 = check_year(&w, 2024, Generation::G2021);
    // Carry-over between the two generated years agrees (no cross_year finding).
    let across = rules::check_across(&[r2023.clone(), r2024.clone()]);
    assert!(
        across.iter().all(|f| f.rule != "cross_year.carry_over"),
        "{across:#?}"
    );
    let req = r2024.requests.as_ref().unwrap();
    assert_eq!(
        req["carried_over"],
        r2023.requests.as_ref().unwrap()["carried_forward"]
    );
    assert!(req["carried_over"][6].unwrap() > 0.0);
    assert!(req["carried_forward"][6].unwrap() > 0.0);

    // Table 二 is what was entered.
    let p = r2024.proactive.as_ref().unwrap();
    assert_eq!(p.rows["normative_documents"]["in_force"], Some(18.0));
    assert_eq!(p.rows["fees"]["amount"], Some(2.8));

    // The narrative is drafted from the same figures.
    let n = &r2024.narrative;
    assert_eq!(n.len(), 6);
    let new = req["new_received"][6].unwrap() as u64;
    assert!(
        n["三"].contains(&format!("本年度新收政府信息公开申请{new}件")),
        "{}",
        n["三"]
    );
    assert!(n["一"].contains("示例县数据资源局"));
    let reconsideration =
        r2024.reviews.as_ref().unwrap().groups["reconsideration"]["total"].unwrap() as u64;
    assert!(
        n["四"].contains(&format!("行政复议{reconsideration}件")),
        "{}",
        n["四"]
    );
    assert!(n["六"].contains("信息处理费"), "{}", n["六"]);
    assert!(n["二"].contains("现行有效18件"), "{}", n["二"]);

    // The report survives the JSON contract.
    let back = gongkai_core::Report::from_json_value(r2024.to_json_value()).unwrap();
    assert_eq!(back, r2024);

    // nth_request_in_month counts the same applicant in the same month.
    let first = &w.requests[0];
    let n = nth_request_in_month(&w.requests, &first.id).unwrap();
    let same: Vec<&Request> = w
        .requests
        .iter()
        .filter(|r| {
            r.applicant.key() == first.applicant.key()
                && r.received_on.year() == first.received_on.year()
                && r.received_on.month() == first.received_on.month()
        })
        .collect();
    assert!(n >= 1 && n as usize <= same.len());
}

#[test]
fn a_generated_2020_uses_the_2019_format() {
    let w = world(2020, 300, "2019-05-15", "2020-12-31");
    let r2019 = check_year(&w, 2019, Generation::G2019);
    let r2020 = check_year(&w, 2020, Generation::G2019);
    let req = r2020.requests.as_ref().unwrap();
    assert!(req.contains_key("other"));
    assert!(!req.contains_key("other_misc"));
    assert!(req["other"][6].unwrap() > 0.0);
    assert_eq!(
        req["carried_over"],
        r2019.requests.as_ref().unwrap()["carried_forward"]
    );
    let p = r2020.proactive.as_ref().unwrap();
    assert_eq!(p.rows["normative_documents"]["made"], Some(3.0));
    assert_eq!(p.rows["licensing"]["change"], Some(-2.0));
    assert!(p.rows.contains_key("central_procurement"));
}
