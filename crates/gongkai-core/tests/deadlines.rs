//! Deadlines worked out by hand: every holiday period of 2019–2026, 调休 Saturdays and Sundays,
//! a receipt on a holiday, a 补正 that restarts the clock, a consultation that pauses it, and an
//! extension. Convention (calendar.rs): the event day is not counted; the next working day is
//! day 1; the N-th working day is the due date.

use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_core::lifecycle::{
    Action, Applicant, ApplicantType, Channel, Clock, ConsultationKind, Event, EventKind, Outcome,
    PauseReason, Request, RequestError, RequestId, StartBasis, Status,
};

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn due_on(cal: &Calendar, from: &str, n: u32) -> Date {
    cal.add_working_days(d(from), n).unwrap().due
}

/// (received, working days, expected due, holiday period covered). The reasoning for each is in
/// the comment above it; "调休" marks a weekend make-up working day, which counts.
const CASES: &[(&str, u32, &str, &str)] = &[
    // ---- 2019 ----
    // 元旦 2018-12-30..2019-01-01, 调休 Sat 2018-12-29. From Fri 12-28: 12-29 Sat 调休 = 1;
    // 12-30 Sun, 12-31 Mon, 01-01 Tue off; 01-02 Wed = 2; 01-03 Thu = 3.
    (
        "2018-12-28",
        3,
        "2019-01-03",
        "2019 元旦 (调休 Saturday; Monday 12-31 off)",
    ),
    // 春节 02-04..02-10, 调休 Sat 02-02 and Sun 02-03. From Fri 02-01: 02-02 = 1, 02-03 = 2;
    // 02-04..10 off; 02-11 Mon = 3.
    (
        "2019-02-01",
        3,
        "2019-02-11",
        "2019 春节 (调休 Saturday and Sunday)",
    ),
    // 清明 04-05..04-07 (Fri–Sun). From Thu 04-04: 04-08 Mon = 1, 04-09 = 2, 04-10 = 3.
    ("2019-04-04", 3, "2019-04-10", "2019 清明节"),
    // 劳动节 05-01..05-04 (Wed–Sat), 调休 Sun 04-28 and Sun 05-05. From Fri 04-26: 04-27 Sat
    // off; 04-28 Sun = 1; 04-29 = 2; 04-30 = 3; 05-01..04 off; 05-05 Sun = 4.
    (
        "2019-04-26",
        4,
        "2019-05-05",
        "2019 劳动节 (two 调休 Sundays)",
    ),
    // 端午 06-07..06-09 (Fri–Sun). From Thu 06-06: 06-10 Mon = 1.
    ("2019-06-06", 1, "2019-06-10", "2019 端午节"),
    // 中秋 09-13..09-15 (Fri–Sun). From Thu 09-12: 09-16 Mon = 1, 09-17 = 2.
    ("2019-09-12", 2, "2019-09-17", "2019 中秋节"),
    // 国庆 10-01..10-07, 调休 Sun 09-29 and Sat 10-12. From Fri 09-27: 09-28 Sat off;
    // 09-29 = 1; 09-30 = 2; 10-01..07 off; 10-08..11 = 3..6; 10-12 Sat = 7.
    ("2019-09-27", 7, "2019-10-12", "2019 国庆节"),
    // ---- 2020 ----
    // 元旦 01-01 (Wed). From Tue 2019-12-31: 01-02 Thu = 1.
    ("2019-12-31", 1, "2020-01-02", "2020 元旦"),
    // 春节 01-24..02-02 (extended), 调休 Sun 01-19; Sat 02-01 is *not* a working day after the
    // extension. From Fri 01-17: 01-18 Sat off; 01-19 Sun = 1; 01-20..23 = 2..5;
    // 01-24..02-02 off; 02-03 Mon = 6.
    (
        "2020-01-17",
        6,
        "2020-02-03",
        "2020 春节 (extended to 02-02)",
    ),
    // 清明 04-04..04-06 (Sat–Mon). From Fri 04-03: 04-07 Tue = 1.
    ("2020-04-03", 1, "2020-04-07", "2020 清明节"),
    // 劳动节 05-01..05-05 (Fri–Tue), 调休 Sun 04-26 and Sat 05-09. From Fri 04-24: 04-25 off;
    // 04-26 Sun = 1; 04-27..30 = 2..5; 05-01..05 off; 05-06..08 = 6..8; 05-09 Sat = 9.
    ("2020-04-24", 9, "2020-05-09", "2020 劳动节"),
    // 端午 06-25..06-27 (Thu–Sat), 调休 Sun 06-28. From Wed 06-24: 06-25..27 off; 06-28 = 1.
    ("2020-06-24", 1, "2020-06-28", "2020 端午节 (调休 Sunday)"),
    // 国庆中秋 10-01..10-08 (Thu–Thu), 调休 Sun 09-27 and Sat 10-10. From Fri 09-25: 09-26 off;
    // 09-27 Sun = 1; 09-28..30 = 2..4; 10-01..08 off; 10-09 Fri = 5; 10-10 Sat = 6.
    ("2020-09-25", 6, "2020-10-10", "2020 国庆节、中秋节"),
    // ---- 2021 ----
    // 元旦 01-01..01-03 (Fri–Sun). From Thu 2020-12-31: 01-04 Mon = 1.
    ("2020-12-31", 1, "2021-01-04", "2021 元旦"),
    // 春节 02-11..02-17 (Thu–Wed), 调休 Sun 02-07 and Sat 02-20. From Fri 02-05: 02-06 off;
    // 02-07 = 1; 02-08..10 = 2..4; 02-11..17 off; 02-18 = 5; 02-19 = 6; 02-20 Sat = 7.
    ("2021-02-05", 7, "2021-02-20", "2021 春节"),
    // 清明 04-03..04-05 (Sat–Mon). From Fri 04-02: 04-06 Tue = 1.
    ("2021-04-02", 1, "2021-04-06", "2021 清明节"),
    // 劳动节 05-01..05-05 (Sat–Wed), 调休 Sun 04-25 and Sat 05-08. From Fri 04-23: 04-24 off;
    // 04-25 = 1; 04-26..30 = 2..6; 05-01..05 off; 05-06 = 7; 05-07 = 8; 05-08 Sat = 9.
    ("2021-04-23", 9, "2021-05-08", "2021 劳动节"),
    // 端午 06-12..06-14 (Sat–Mon). From Fri 06-11: 06-15 Tue = 1.
    ("2021-06-11", 1, "2021-06-15", "2021 端午节"),
    // 中秋 09-19..09-21 (Sun–Tue), 调休 Sat 09-18. From Fri 09-17: 09-18 Sat = 1; 09-19..21
    // off; 09-22 Wed = 2.
    ("2021-09-17", 2, "2021-09-22", "2021 中秋节 (调休 Saturday)"),
    // 国庆 10-01..10-07 (Fri–Thu), 调休 Sun 09-26 and Sat 10-09. From Fri 09-24: 09-25 off;
    // 09-26 = 1; 09-27..30 = 2..5; 10-01..07 off; 10-08 = 6; 10-09 Sat = 7.
    ("2021-09-24", 7, "2021-10-09", "2021 国庆节"),
    // ---- 2022 ----
    // 元旦 01-01..01-03 (Sat–Mon). From Fri 2021-12-31: 01-04 Tue = 1.
    ("2021-12-31", 1, "2022-01-04", "2022 元旦"),
    // 春节 01-31..02-06 (Mon–Sun), 调休 Sat 01-29 and Sun 01-30. From Fri 01-28: 01-29 = 1;
    // 01-30 = 2; 01-31..02-06 off; 02-07 Mon = 3.
    ("2022-01-28", 3, "2022-02-07", "2022 春节"),
    // 清明 04-03..04-05 (Sun–Tue), 调休 Sat 04-02. From Fri 04-01: 04-02 Sat = 1; 04-03..05
    // off; 04-06 Wed = 2.
    ("2022-04-01", 2, "2022-04-06", "2022 清明节"),
    // 劳动节 04-30..05-04 (Sat–Wed), 调休 Sun 04-24 and Sat 05-07. From Fri 04-22: 04-23 off;
    // 04-24 = 1; 04-25..29 = 2..6; 04-30..05-04 off; 05-05 = 7; 05-06 = 8; 05-07 Sat = 9.
    ("2022-04-22", 9, "2022-05-07", "2022 劳动节"),
    // 端午 06-03..06-05 (Fri–Sun). From Thu 06-02: 06-06 Mon = 1.
    ("2022-06-02", 1, "2022-06-06", "2022 端午节"),
    // 中秋 09-10..09-12 (Sat–Mon). From Fri 09-09: 09-13 Tue = 1.
    ("2022-09-09", 1, "2022-09-13", "2022 中秋节"),
    // 国庆 10-01..10-07 (Sat–Fri), 调休 Sat 10-08 and Sun 10-09. From Fri 09-30: 10-01..07 off;
    // 10-08 = 1; 10-09 = 2; 10-10 Mon = 3.
    ("2022-09-30", 3, "2022-10-10", "2022 国庆节"),
    // ---- 2023 ----
    // 元旦 2022-12-31..2023-01-02 (Sat–Mon). From Fri 2022-12-30: 01-03 Tue = 1.
    ("2022-12-30", 1, "2023-01-03", "2023 元旦"),
    // 春节 01-21..01-27 (Sat–Fri), 调休 Sat 01-28 and Sun 01-29. From Fri 01-20: 01-21..27 off;
    // 01-28 = 1; 01-29 = 2; 01-30 Mon = 3.
    ("2023-01-20", 3, "2023-01-30", "2023 春节"),
    // 清明 04-05 (Wed). From Tue 04-04: 04-06 Thu = 1.
    ("2023-04-04", 1, "2023-04-06", "2023 清明节"),
    // 劳动节 04-29..05-03 (Sat–Wed), 调休 Sun 04-23 and Sat 05-06. From Fri 04-21: 04-22 off;
    // 04-23 = 1; 04-24..28 = 2..6; 04-29..05-03 off; 05-04 = 7; 05-05 = 8; 05-06 Sat = 9.
    ("2023-04-21", 9, "2023-05-06", "2023 劳动节"),
    // 端午 06-22..06-24 (Thu–Sat), 调休 Sun 06-25. From Wed 06-21: 06-22..24 off; 06-25 = 1.
    ("2023-06-21", 1, "2023-06-25", "2023 端午节"),
    // 中秋国庆 09-29..10-06 (Fri–Fri), 调休 Sat 10-07 and Sun 10-08. From Thu 09-28: 09-29..10-06
    // off; 10-07 = 1; 10-08 = 2; 10-09 Mon = 3.
    ("2023-09-28", 3, "2023-10-09", "2023 中秋节、国庆节"),
    // ---- 2024 ----
    // 元旦 2023-12-30..2024-01-01 (Sat–Mon). From Fri 2023-12-29: 01-02 Tue = 1.
    ("2023-12-29", 1, "2024-01-02", "2024 元旦"),
    // 春节 02-10..02-17 (Sat–Sat), 调休 Sun 02-04 and Sun 02-18. From Fri 02-02: 02-03 off;
    // 02-04 = 1; 02-05..09 = 2..6; 02-10..17 off; 02-18 Sun = 7.
    ("2024-02-02", 7, "2024-02-18", "2024 春节"),
    // 清明 04-04..04-06 (Thu–Sat), 调休 Sun 04-07. From Wed 04-03: 04-04..06 off; 04-07 = 1.
    ("2024-04-03", 1, "2024-04-07", "2024 清明节"),
    // 劳动节 05-01..05-05 (Wed–Sun), 调休 Sun 04-28 and Sat 05-11. From Fri 04-26: 04-27 off;
    // 04-28 = 1; 04-29 = 2; 04-30 = 3; 05-01..05 off; 05-06..10 = 4..8; 05-11 Sat = 9.
    ("2024-04-26", 9, "2024-05-11", "2024 劳动节"),
    // 端午 06-08..06-10 (Sat–Mon). From Fri 06-07: 06-11 Tue = 1.
    ("2024-06-07", 1, "2024-06-11", "2024 端午节"),
    // 中秋 09-15..09-17 (Sun–Tue), 调休 Sat 09-14. From Fri 09-13: 09-14 = 1; 09-15..17 off;
    // 09-18 Wed = 2.
    ("2024-09-13", 2, "2024-09-18", "2024 中秋节"),
    // 国庆 10-01..10-07, 调休 Sun 09-29 and Sat 10-12. From Fri 09-27: 09-28 off; 09-29 = 1;
    // 09-30 = 2; 10-01..07 off; 10-08..11 = 3..6; 10-12 Sat = 7.
    ("2024-09-27", 7, "2024-10-12", "2024 国庆节"),
    // ---- 2025 ----
    // 元旦 01-01 (Wed). From Tue 2024-12-31: 01-02 Thu = 1.
    ("2024-12-31", 1, "2025-01-02", "2025 元旦"),
    // 春节 01-28..02-04 (Tue–Tue, 8 days), 调休 Sun 01-26 and Sat 02-08. From Fri 01-24: 01-25
    // off; 01-26 = 1; 01-27 = 2; 01-28..02-04 off; 02-05..07 = 3..5; 02-08 Sat = 6.
    ("2025-01-24", 6, "2025-02-08", "2025 春节"),
    // 清明 04-04..04-06 (Fri–Sun). From Thu 04-03: 04-07 Mon = 1.
    ("2025-04-03", 1, "2025-04-07", "2025 清明节"),
    // 劳动节 05-01..05-05 (Thu–Mon), 调休 Sun 04-27 only. From Fri 04-25: 04-26 off; 04-27 = 1;
    // 04-28..30 = 2..4; 05-01..05 off; 05-06 Tue = 5.
    ("2025-04-25", 5, "2025-05-06", "2025 劳动节"),
    // 端午 05-31..06-02 (Sat–Mon). From Fri 05-30: 06-03 Tue = 1.
    ("2025-05-30", 1, "2025-06-03", "2025 端午节"),
    // 国庆中秋 10-01..10-08 (Wed–Wed), 调休 Sun 09-28 and Sat 10-11. From Fri 09-26: 09-27 off;
    // 09-28 = 1; 09-29 = 2; 09-30 = 3; 10-01..08 off; 10-09 = 4; 10-10 = 5; 10-11 Sat = 6.
    ("2025-09-26", 6, "2025-10-11", "2025 国庆节、中秋节"),
    // ---- 2026 ----
    // 元旦 01-01..01-03 (Thu–Sat), 调休 Sun 01-04. From Wed 2025-12-31: 01-01..03 off; 01-04 = 1.
    ("2025-12-31", 1, "2026-01-04", "2026 元旦"),
    // 春节 02-15..02-23 (Sun–Mon, 9 days), 调休 Sat 02-14 and Sat 02-28. From Fri 02-13:
    // 02-14 = 1; 02-15..23 off; 02-24..27 = 2..5; 02-28 Sat = 6.
    ("2026-02-13", 6, "2026-02-28", "2026 春节"),
    // 清明 04-04..04-06 (Sat–Mon). From Fri 04-03: 04-07 Tue = 1.
    ("2026-04-03", 1, "2026-04-07", "2026 清明节"),
    // 劳动节 05-01..05-05 (Fri–Tue), 调休 Sat 05-09. From Thu 04-30: 05-01..05 off; 05-06..08 =
    // 1..3; 05-09 Sat = 4.
    ("2026-04-30", 4, "2026-05-09", "2026 劳动节"),
    // 端午 06-19..06-21 (Fri–Sun). From Thu 06-18: 06-22 Mon = 1.
    ("2026-06-18", 1, "2026-06-22", "2026 端午节"),
    // 中秋 09-25..09-27 (Fri–Sun). From Thu 09-24: 09-28 Mon = 1.
    ("2026-09-24", 1, "2026-09-28", "2026 中秋节"),
    // 国庆 10-01..10-07 (Thu–Wed), 调休 Sun 09-20 (before) — from Fri 09-18: 09-19 off;
    // 09-20 Sun = 1; 09-21 Mon = 2.
    (
        "2026-09-18",
        2,
        "2026-09-21",
        "2026 国庆节 (调休 Sunday before)",
    ),
    // ... and 调休 Sat 10-10 (after) — from Wed 09-30: 10-01..07 off; 10-08 = 1; 10-09 = 2;
    // 10-10 Sat = 3.
    (
        "2026-09-30",
        3,
        "2026-10-10",
        "2026 国庆节 (调休 Saturday after)",
    ),
];

#[test]
fn every_holiday_period_2019_to_2026() {
    let cal = Calendar::builtin();
    for (from, n, expected, what) in CASES {
        let dl = cal.add_working_days(d(from), *n).unwrap();
        assert_eq!(dl.due, d(expected), "{what}: {}", dl.explain_zh());
    }
    // Every 调休 day of the 2019–2026 notices (the data's `workday` lines) is counted by one of
    // the cases above.
    let mut counted = std::collections::BTreeSet::new();
    for (from, n, _, _) in CASES {
        for m in cal.add_working_days(d(from), *n).unwrap().make_up_days {
            counted.insert(m.date);
        }
    }
    for year in 2019..=2026 {
        for e in &cal.arrangement(year).unwrap().entries {
            if e.kind == gongkai_core::calendar::EntryKind::Workday && e.start.year() >= 2018 {
                assert!(
                    counted.contains(&e.start),
                    "调休 {} ({}) not exercised",
                    e.start,
                    e.name
                );
            }
        }
    }
}

#[test]
fn full_twenty_day_periods() {
    let cal = Calendar::builtin();
    // Received Fri 2024-09-27 (the example): 09-29 Sun 调休 = 1; 09-30 = 2; 国庆
    // 10-01..07 off; 10-08..11 = 3..6; 10-12 Sat 调休 = 7; 10-14..18 = 8..12;
    // 10-21..25 = 13..17; 10-28 = 18; 10-29 = 19; 10-30 Wed = 20.
    assert_eq!(due_on(&cal, "2024-09-27", 20), d("2024-10-30"));
    // Received Fri 2025-01-24 before the 2025 春节: 01-26 Sun 调休 = 1; 01-27 = 2; 01-28..02-04
    // off; 02-05..07 = 3..5; 02-08 Sat 调休 = 6; 02-10..14 = 7..11; 02-17..21 = 12..16;
    // 02-24..27 = 17..20 → Thu 02-27.
    assert_eq!(due_on(&cal, "2025-01-24", 20), d("2025-02-27"));
    // Received Mon 2018-12-24, across the 2019 元旦 and the year boundary: 12-25..28 = 1..4;
    // 12-29 Sat 调休 = 5; 12-30..01-01 off; 01-02..04 = 6..8; 01-07..11 = 9..13;
    // 01-14..18 = 14..18; 01-21 = 19; 01-22 Tue = 20.
    assert_eq!(due_on(&cal, "2018-12-24", 20), d("2019-01-22"));
}

#[test]
fn receipt_on_a_holiday_keeps_its_date() {
    let cal = Calendar::builtin();
    // Online request confirmed on Fri 2025-10-03 (国庆节): the receipt date stays 10-03; day 1 is
    // the next working day Thu 10-09; 10-10 = 2; 10-11 Sat 调休 = 3; 10-13..17 = 4..8;
    // 10-20..24 = 9..13; 10-27..31 = 14..18; 11-03 = 19; 11-04 Tue = 20.
    assert_eq!(due_on(&cal, "2025-10-03", 20), d("2025-11-04"));
    // Through the lifecycle: received Mon 2024-02-12 (春节). Day 1 = Sun 02-18 (调休);
    // 02-19..23 = 2..6; 02-26..03-01 = 7..11; 03-04..08 = 12..16; 03-11..14 = 17..20 → Thu 03-14.
    let r = receive("2024-02-12", Channel::Online);
    assert_eq!(r.received_on, d("2024-02-12"));
    assert_eq!(r.clock.due_date(), Some(d("2024-03-14")));
    let Clock::Running { due } = &r.clock else {
        panic!()
    };
    let zh = due.explain_zh();
    assert!(zh.contains("春节假期，当日不计"), "{zh}");
    assert!(zh.contains("2024-02-18（星期日，春节调休）"), "{zh}");
    // Received on a plain Saturday (2024-03-02): day 1 = Mon 03-04 … day 20 = Fri 03-29.
    assert_eq!(due_on(&cal, "2024-03-02", 20), d("2024-03-29"));
}

fn receive(at: &str, channel: Channel) -> Request {
    Request::receive(
        RequestId("YSQ-2024-001".into()),
        Event::new(
            d(at),
            "登记员",
            EventKind::Received {
                channel,
                applicant: Applicant {
                    kind: ApplicantType::Commercial,
                    name: "某某有限公司".into(),
                    identity: Some("91410300MA000000X".into()),
                    contact: None,
                },
                description: "2023年政府采购合同".into(),
            },
        ),
        &Calendar::builtin(),
    )
    .unwrap()
}

fn ev(at: &str, kind: EventKind) -> Event {
    Event::new(d(at), "经办人", kind)
}

#[test]
fn correction_restarts_the_clock() {
    let cal = Calendar::builtin();
    let mut r = receive("2024-09-27", Channel::Post);
    assert_eq!(r.clock.due_date(), Some(d("2024-10-30")));
    // The 补正 window: 7 working days after Fri 09-27 = 09-29 (1, 调休), 09-30 (2), 10-08..11
    // (3..6), 10-12 Sat 调休 (7) → 2024-10-12. Asking on Mon 09-30 is in time.
    r.apply(
        ev(
            "2024-09-30",
            EventKind::CorrectionRequested {
                reply_by: d("2024-10-21"),
            },
        ),
        &cal,
    )
    .unwrap();
    assert_eq!(r.status, Status::AwaitingCorrection);
    assert!(matches!(r.clock, Clock::WaitingForCorrection { .. }));
    assert_eq!(r.log.last().unwrap().due_after, None);
    assert_eq!(
        r.allowed_actions(),
        vec![
            Action::RecordCorrection,
            Action::MarkCorrectionLapsed,
            Action::Withdraw
        ]
    );
    // Lapse before the reply date is refused.
    let before = r.clone();
    assert!(r
        .apply(ev("2024-10-21", EventKind::CorrectionLapsed), &cal)
        .is_err());
    assert_eq!(r, before);
    // Corrected request received Mon 10-14: the period restarts. 10-15..18 = 1..4;
    // 10-21..25 = 5..9; 10-28..11-01 = 10..14; 11-04..08 = 15..19; 11-11 Mon = 20.
    r.apply(ev("2024-10-14", EventKind::Corrected), &cal)
        .unwrap();
    let Clock::Running { due } = &r.clock else {
        panic!("{:?}", r.clock)
    };
    assert_eq!(due.due(), d("2024-11-11"));
    assert_eq!(due.start, d("2024-10-14"));
    assert_eq!(due.start_basis, StartBasis::CorrectedReceipt);
    assert!(due.explain_zh().contains("收到补正后申请之日"));
    // A second 补正 is not allowed.
    assert!(!r.allowed_actions().contains(&Action::RequestCorrection));
    let err = r
        .apply(
            ev(
                "2024-10-15",
                EventKind::CorrectionRequested {
                    reply_by: d("2024-10-30"),
                },
            ),
            &cal,
        )
        .unwrap_err();
    assert!(err.to_string().contains("一次性告知"), "{err}");
    // "补正后仍不明确" is now a legal answer.
    r.apply(
        ev(
            "2024-11-01",
            EventKind::Answered {
                outcome: Outcome::UnavailableUnclear,
            },
        ),
        &cal,
    )
    .unwrap();
    assert!(matches!(
        r.clock,
        Clock::Stopped {
            on_time: Some(true),
            ..
        }
    ));
}

#[test]
fn correction_after_seven_working_days_is_refused() {
    let cal = Calendar::builtin();
    let mut r = receive("2024-09-27", Channel::Post);
    let before = r.clone();
    // Window ends Sat 2024-10-12 (see above); Mon 10-14 is too late.
    let err = r
        .apply(
            ev(
                "2024-10-14",
                EventKind::CorrectionRequested {
                    reply_by: d("2024-10-30"),
                },
            ),
            &cal,
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("当前状态为“办理中”"), "{msg}");
    assert!(msg.contains("告知补正"), "{msg}");
    assert!(msg.contains("截止2024-10-12"), "{msg}");
    assert_eq!(r, before);
    // On the last day of the window it is accepted.
    r.apply(
        ev(
            "2024-10-12",
            EventKind::CorrectionRequested {
                reply_by: d("2024-10-30"),
            },
        ),
        &cal,
    )
    .unwrap();
    // Not corrected by 10-30: deemed abandoned on 10-31 → （六）1.
    r.apply(ev("2024-10-31", EventKind::CorrectionLapsed), &cal)
        .unwrap();
    assert_eq!(r.status, Status::Terminated);
    assert_eq!(
        r.concluded(),
        Some((d("2024-10-31"), Outcome::OtherNoCorrection))
    );
}

#[test]
fn consultation_pauses_the_clock() {
    let cal = Calendar::builtin();
    // Received Fri 2024-03-01: 03-04..08 = 1..5; 03-11..15 = 6..10; 03-18..22 = 11..15;
    // 03-25..29 = 16..20 → due Fri 03-29.
    let mut r = receive("2024-03-01", Channel::InPerson);
    assert_eq!(r.clock.due_date(), Some(d("2024-03-29")));
    // Third party consulted on Mon 03-11. Used so far: working days in (03-01, 03-11] =
    // 03-04..08 (5) + 03-11 (1) = 6; 14 remain.
    r.apply(
        ev(
            "2024-03-11",
            EventKind::ConsultationStarted {
                kind: ConsultationKind::ThirdParty,
                party: "某某有限公司".into(),
            },
        ),
        &cal,
    )
    .unwrap();
    assert_eq!(
        r.clock,
        Clock::Paused {
            since: d("2024-03-11"),
            reason: PauseReason::Consultation {
                consultation: ConsultationKind::ThirdParty
            },
            used: 6,
            remaining: 14,
        }
    );
    // The third party has 15 working days: 03-12..15 (4), 03-18..22 (9), 03-25..29 (14),
    // 04-01 (15) → 04-01.
    assert_eq!(r.consultations[0].reply_due, Some(d("2024-04-01")));
    // Answering during the consultation is not allowed.
    let err = r
        .apply(
            ev(
                "2024-03-15",
                EventKind::Answered {
                    outcome: Outcome::Disclosed,
                },
            ),
            &cal,
        )
        .unwrap_err();
    assert!(matches!(err, RequestError::NotAllowed { .. }));
    assert!(err.to_string().contains("征求意见中"), "{err}");
    // Reply received Fri 03-22: excluded working days in (03-11, 03-22] = 03-12..15 (4) +
    // 03-18..22 (5) = 9. Due = 29 working days after 03-01: day 20 = 03-29; 04-01..03 =
    // 21..23; 清明 04-04..06 off; 04-07 Sun 调休 = 24; 04-08..12 = 25..29 → Fri 04-12.
    // (Equivalently: 14 remaining from 03-22 → 03-25..29 (5), 04-01..03 (8), 04-07 (9),
    // 04-08..12 (14).)
    r.apply(ev("2024-03-22", EventKind::ConsultationEnded), &cal)
        .unwrap();
    let Clock::Running { due } = &r.clock else {
        panic!("{:?}", r.clock)
    };
    assert_eq!(due.due(), d("2024-04-12"));
    assert_eq!(due.excluded.len(), 1);
    assert_eq!(due.excluded[0].working_days, 9);
    let zh = due.explain_zh();
    assert!(
        zh.contains("征求第三方意见期间（2024-03-11至2024-03-22）不计算在期限内，顺延9个工作日"),
        "{zh}"
    );
    assert!(zh.contains("共计29个工作日"), "{zh}");
    assert!(zh.contains("2024-04-07（星期日，清明节调休）"), "{zh}");
    assert_eq!(r.log.last().unwrap().due_after, Some(d("2024-04-12")));
}

#[test]
fn extension_once_and_at_most_twenty_days() {
    let cal = Calendar::builtin();
    let mut r = receive("2024-09-27", Channel::Fax);
    // Base due 2024-10-30 (see full_twenty_day_periods). Extension of 20 approved 10-25:
    // 20 more working days after 10-30: 10-31 = 1; 11-01 = 2; 11-04..08 = 3..7;
    // 11-11..15 = 8..12; 11-18..22 = 13..17; 11-25..27 = 18..20 → Wed 11-27.
    r.apply(
        ev(
            "2024-10-25",
            EventKind::ExtensionApproved { working_days: 20 },
        )
        .with_note("涉及多个年度档案"),
        &cal,
    )
    .unwrap();
    assert_eq!(r.clock.due_date(), Some(d("2024-11-27")));
    let Clock::Running { due } = &r.clock else {
        panic!()
    };
    assert!(due.explain_zh().contains("经批准延长20个工作日"));
    assert!(due.explain_zh().contains("共计40个工作日"));
    // Answered late (after 11-27): recorded, and marked late.
    r.apply(
        ev(
            "2024-11-28",
            EventKind::Answered {
                outcome: Outcome::PartiallyDisclosed,
            },
        ),
        &cal,
    )
    .unwrap();
    assert!(matches!(
        r.clock,
        Clock::Stopped {
            on_time: Some(false),
            ..
        }
    ));
    r.apply(ev("2024-11-29", EventKind::Delivered), &cal)
        .unwrap();
    assert_eq!(r.status, Status::Delivered);
    assert_eq!(r.log.len(), 4);

    // An extension after the period has run out is refused.
    let mut late = receive("2024-09-27", Channel::Fax);
    let err = late
        .apply(
            ev(
                "2024-10-31",
                EventKind::ExtensionApproved { working_days: 10 },
            ),
            &cal,
        )
        .unwrap_err();
    assert!(err.to_string().contains("已于2024-10-30届满"), "{err}");
    // Longer than 20 working days is refused.
    let err = late
        .apply(
            ev(
                "2024-10-08",
                EventKind::ExtensionApproved { working_days: 25 },
            ),
            &cal,
        )
        .unwrap_err();
    assert!(err.to_string().contains("1至20个工作日"), "{err}");
}

#[test]
fn consultation_fee_and_extension_together() {
    let cal = Calendar::builtin();
    // Received Mon 2025-03-03. Base due: 03-04..07 = 1..4; 03-10..14 = 5..9; 03-17..21 =
    // 10..14; 03-24..28 = 15..19; 03-31 = 20.
    let mut r = receive("2025-03-03", Channel::Online);
    assert_eq!(r.clock.due_date(), Some(d("2025-03-31")));
    // Extension of 10 approved Fri 03-07 → 30 working days: 04-01..03 = 21..23; 清明 04-04..06
    // off; 04-07..11 = 24..28; 04-14..15 = 29..30 → Tue 04-15.
    r.apply(
        ev(
            "2025-03-07",
            EventKind::ExtensionApproved { working_days: 10 },
        ),
        &cal,
    )
    .unwrap();
    assert_eq!(r.clock.due_date(), Some(d("2025-04-15")));
    // Inter-agency consultation Mon 03-10 → Fri 03-14: excluded 03-11..14 = 4 days → 34:
    // 04-16..18 = 31..33; 04-21 = 34 → Mon 04-21.
    r.apply(
        ev(
            "2025-03-10",
            EventKind::ConsultationStarted {
                kind: ConsultationKind::InterAgency,
                party: "市财政局".into(),
            },
        ),
        &cal,
    )
    .unwrap();
    r.apply(ev("2025-03-14", EventKind::ConsultationEnded), &cal)
        .unwrap();
    assert_eq!(r.clock.due_date(), Some(d("2025-04-21")));
    // Fee notice Mon 04-07 (250 pages → 4700元), paid Thu 04-10: excluded (04-07, 04-10] =
    // 04-08..10 = 3 days → 37: 04-22..24 = 35..37 → Thu 04-24.
    r.apply(
        ev(
            "2025-04-07",
            EventKind::FeeNoticeServed {
                basis: gongkai_core::fees::FeeBasis::PerPage { pages: 250 },
            },
        ),
        &cal,
    )
    .unwrap();
    assert_eq!(r.status, Status::AwaitingPayment);
    r.apply(ev("2025-04-10", EventKind::FeePaid), &cal).unwrap();
    let Clock::Running { due } = &r.clock else {
        panic!()
    };
    assert_eq!(due.due(), d("2025-04-24"));
    assert_eq!(due.deadline.working_days, 37);
    let zh = due.explain_zh();
    assert!(
        zh.contains("收费通知至缴费期间（2025-04-07至2025-04-10）"),
        "{zh}"
    );
    assert!(
        zh.contains("征求其他机关意见期间（2025-03-10至2025-03-14）"),
        "{zh}"
    );
}

#[test]
fn an_impossible_date_in_a_stored_event_is_a_clear_error() {
    let json = serde_json::json!({
        "at": "2024-02-30", "by": "经办人", "type": "delivered"
    });
    let err = serde_json::from_value::<Event>(json).unwrap_err();
    assert!(err.to_string().contains("2024年2月只有29天"), "{err}");
    let json = serde_json::json!({
        "at": "2024-02-29", "by": "经办人", "type": "extension_approved", "working_days": 5
    });
    let e: Event = serde_json::from_value(json).unwrap();
    assert_eq!(e.kind, EventKind::ExtensionApproved { working_days: 5 });
}
