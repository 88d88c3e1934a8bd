//! `gongkai serve --demo` seeds a working centre: the sample reports, the hierarchy, the demo
//! accounts and a register whose last year generates a report without arithmetic errors.

use gongkai_core::calendar::Calendar;
use gongkai_core::register::{generate_report, ProactiveCounts};
use gongkai_core::Severity;
use gongkai_store::RequestFilter;

#[test]
fn demo_seed_is_complete_consistent_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = gongkai_store::open(&dir.path().join("demo.db").display().to_string()).unwrap();
    let seeded = gongkai_server::demo::seed(store.as_ref()).unwrap();
    assert_eq!(
        seeded.imported,
        gongkai_server::demo::SAMPLES.len(),
        "{:?}",
        seeded.failed
    );
    assert!(seeded.failed.is_empty());
    assert!(seeded.requests > 30, "{}", seeded.requests);
    for (name, _, _) in gongkai_server::demo::DEMO_USERS {
        assert!(store.user_by_name(name).unwrap().is_some());
    }
    // The demo's 信息员 is limited to the unit whose register the demo fills.
    let clerk = store
        .user_by_name(gongkai_server::demo::DEMO_SCOPED_USER)
        .unwrap()
        .unwrap();
    let scope = store
        .agency(clerk.agency.expect("scoped"))
        .unwrap()
        .unwrap();
    assert_eq!(scope.name, gongkai_server::demo::DEMO_REGISTER_AGENCY);
    // Requests that came by post carry their (stand-in) letter.
    let with_letter = store
        .list_requests(&RequestFilter {
            agency: clerk.agency,
            ..Default::default()
        })
        .unwrap()
        .iter()
        .filter(|r| {
            !store
                .request(&r.code)
                .unwrap()
                .unwrap()
                .attachments
                .is_empty()
        })
        .count();
    assert!(with_letter > 0, "some demo requests have an attachment");
    // Every sample unit sits under a region.
    for agency in store.agencies().unwrap() {
        if agency.level == gongkai_store::AgencyLevel::Department {
            assert!(agency.parent.is_some(), "{} has no region", agency.name);
        }
    }
    // The queue has open requests; last year's register makes a report with no error.
    let unit = store
        .agencies()
        .unwrap()
        .into_iter()
        .find(|a| a.name == gongkai_server::demo::DEMO_REGISTER_AGENCY)
        .unwrap();
    let open = store
        .count_requests(&RequestFilter {
            agency: Some(unit.id),
            open_only: true,
            ..Default::default()
        })
        .unwrap();
    assert!(open > 0, "some demo requests are still open");
    let today = gongkai_server::demo::today_beijing();
    let year = today.year() - 1;
    let until = gongkai_core::date::Date::new(year, 12, 31).unwrap();
    let requests = store.requests_received_until(unit.id, until).unwrap();
    let appeals = store.appeals(unit.id).unwrap();
    let counts = store
        .proactive_counts(unit.id, year)
        .unwrap()
        .unwrap_or_default();
    let from_publications = ProactiveCounts::from_publications(
        year,
        &store
            .list_publications(&Default::default())
            .unwrap()
            .into_iter()
            .map(|p| p.publication)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let report = generate_report(
        year,
        &unit.name,
        &requests,
        &appeals,
        &from_publications.overridden_by(&counts),
    )
    .unwrap();
    let findings = gongkai_core::rules::check(&report);
    assert!(
        !findings.iter().any(|f| f.severity == Severity::Error),
        "{findings:#?}"
    );
    assert!(report.request_cell("new_received", 6).unwrap() >= 30.0);
    let _ = Calendar::builtin();
    // Seeding again adds nothing.
    let again = gongkai_server::demo::seed(store.as_ref()).unwrap();
    assert_eq!(again.requests, 0);
    assert_eq!(
        store.count_reports(&Default::default()).unwrap(),
        seeded.imported as i64
    );
}
