//! One behaviour suite for every backend.
//!
//! Each test is a plain function taking a [`TestDb`]; the `suite!` macro at the bottom runs every
//! one of them against a throwaway SQLite file (`sqlite::*`) and against a freshly created
//! PostgreSQL database (`postgres::*`) when `GONGKAI_TEST_POSTGRES` holds an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`. Without it the PostgreSQL tests say so and
//! pass — unless `GONGKAI_REQUIRE_POSTGRES=1` (CI), when they fail.

mod common;

use std::collections::HashSet;

use common::{document_bytes, findings, full_report, odd_report, TestDb};
use gongkai_core::calendar::Calendar;
use gongkai_core::date::Date;
use gongkai_core::lifecycle::{
    Applicant, ApplicantType, Channel, ConsultationKind, Event, EventKind, Outcome, Request,
    RequestId,
};
use gongkai_core::register::{
    Appeal, AppealKind, AppealOutcome, ProactiveCounts, Publication, PublicationKind,
};
use gongkai_core::{Finding, Report};
use gongkai_store::{
    sha256_hex, AgencyId, AgencyLevel, BatchItem, ImportOutcome, NewReport, ReportFilter, ReportId,
    Role, Session, Store, StoreError,
};
use gongkai_store::{
    ApplicantPrivate, NewRequest, PublicationFilter, PublicationRecord, RequestFilter,
    RequestSource, RequestSummary,
};

fn new_report<'a>(
    file_name: &'a str,
    bytes: &'a [u8],
    agency: &'a str,
    report: &'a Report,
    findings: &'a [Finding],
) -> NewReport<'a> {
    NewReport {
        file_name,
        bytes,
        agency,
        report,
        findings,
        late: None,
        imported_by: None,
        batch: None,
    }
}

fn imported(o: ImportOutcome) -> ReportId {
    match o {
        ImportOutcome::Imported(id) => id,
        other => panic!("expected Imported, got {other:?}"),
    }
}

/// Import one synthetic report and return its id.
fn import(
    store: &dyn Store,
    agency: &str,
    year: Option<i32>,
    errors: usize,
    seed: u64,
) -> ReportId {
    let report = full_report(agency, year, seed);
    let bytes = document_bytes(seed, 512);
    let f = findings(errors);
    let name = format!("{agency}-{seed}.html");
    imported(
        store
            .import_report(&new_report(&name, &bytes, agency, &report, &f))
            .expect("import"),
    )
}

// ── schema ──────────────────────────────────────────────────────────────────

fn migrations_are_idempotent(db: &TestDb) {
    let user = db
        .store()
        .create_user("zhang", "张三", "hash", Role::Viewer)
        .unwrap();
    // Opening the same database again (twice) finds the schema recorded and keeps the data.
    for _ in 0..2 {
        let again = gongkai_store::open(&db.url).expect("reopen");
        assert_eq!(again.backend(), db.store().backend());
        assert_eq!(again.user(user).unwrap().unwrap().username, "zhang");
    }
}

fn backend_name(db: &TestDb) {
    let expected = if db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(db.store().backend(), expected);
}

// ── import ──────────────────────────────────────────────────────────────────

fn import_and_duplicate(db: &TestDb) {
    let store = db.store();
    let report = full_report("示例县数据资源局", Some(2022), 1);
    let bytes = document_bytes(1, 4096);
    let f = findings(2);
    let new = new_report("a.html", &bytes, "示例县数据资源局", &report, &f);
    let first = imported(store.import_report(&new).unwrap());
    // The same bytes again, even under another name and agency: the existing report.
    let again = NewReport {
        file_name: "copy.html",
        agency: "别的单位",
        ..new.clone()
    };
    assert_eq!(
        store.import_report(&again).unwrap(),
        ImportOutcome::Duplicate(first)
    );
    assert_eq!(store.count_reports(&ReportFilter::default()).unwrap(), 1);
    assert_eq!(
        store.agencies().unwrap().len(),
        1,
        "no agency for a duplicate"
    );

    // Different bytes, same agency: a second report under the same agency.
    let bytes2 = document_bytes(2, 4096);
    let second = imported(
        store
            .import_report(&new_report(
                "b.html",
                &bytes2,
                " 示例县数据资源局 ",
                &report,
                &f,
            ))
            .unwrap(),
    );
    assert_ne!(first, second);
    assert_eq!(store.agencies().unwrap().len(), 1, "names are trimmed");
    let s1 = store.report(first).unwrap().unwrap().summary;
    let s2 = store.report(second).unwrap().unwrap().summary;
    assert_eq!(s1.agency, s2.agency);
    assert_ne!(s1.document, s2.document);
}

fn bulk_import_in_order_with_duplicates(db: &TestDb) {
    let store = db.store();
    let reports: Vec<Report> = (0..4)
        .map(|i| full_report(&format!("单位{}", i % 2), Some(2020 + i), i as u64))
        .collect();
    let bytes: Vec<Vec<u8>> = (0..4).map(|i| document_bytes(i, 300)).collect();
    let f = findings(1);
    let mut batch: Vec<NewReport<'_>> = (0..4)
        .map(|i| {
            new_report(
                "f.html",
                &bytes[i],
                if i % 2 == 0 { "单位0" } else { "单位1" },
                &reports[i],
                &f,
            )
        })
        .collect();
    // Bytes repeated inside the same call: a duplicate of the first occurrence.
    batch.push(new_report(
        "again.html",
        &bytes[1],
        "单位1",
        &reports[1],
        &f,
    ));
    let out = store.import_reports(&batch).unwrap();
    assert_eq!(out.len(), 5);
    let ids: Vec<ReportId> = out[..4].iter().map(|o| imported(*o)).collect();
    assert_eq!(out[4], ImportOutcome::Duplicate(ids[1]));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 4);
    for (i, id) in ids.iter().enumerate() {
        let stored = store.report(*id).unwrap().unwrap();
        assert_eq!(
            stored.report, reports[i],
            "outcome {i} is the report given at {i}"
        );
    }
    // A second bulk import of the same files stores nothing new.
    let out2 = store.import_reports(&batch[..4]).unwrap();
    assert_eq!(
        out2,
        ids.iter()
            .map(|id| ImportOutcome::Duplicate(*id))
            .collect::<Vec<_>>()
    );
    assert_eq!(store.count_reports(&ReportFilter::default()).unwrap(), 4);
    assert!(store.import_reports(&[]).unwrap().is_empty());
}

fn bulk_import_is_one_transaction(db: &TestDb) {
    let store = db.store();
    let report = full_report("甲局", Some(2021), 1);
    let (b1, b2) = (document_bytes(1, 100), document_bytes(2, 100));
    let batch = [
        new_report("1.html", &b1, "甲局", &report, &[]),
        // An empty agency name is refused: the whole call must leave nothing behind.
        new_report("2.html", &b2, "  ", &report, &[]),
    ];
    assert!(store.import_reports(&batch).is_err());
    assert_eq!(store.count_reports(&ReportFilter::default()).unwrap(), 0);
    assert!(store.agencies().unwrap().is_empty());
    // And the first file can still be imported afterwards.
    imported(store.import_reports(&batch[..1]).unwrap()[0]);
}

fn report_round_trip(db: &TestDb) {
    let store = db.store();
    for (seed, report) in [
        (1, full_report("某市示例局", Some(2021), 7)),
        (2, odd_report("示例市政府采购中心")),
        (3, Report::new()),
    ] {
        let bytes = document_bytes(seed, 2000);
        let f = findings(seed as usize);
        let new = NewReport {
            late: Some(seed == 1),
            ..new_report("报告.pdf", &bytes, "某市示例局", &report, &f)
        };
        let id = imported(store.import_report(&new).unwrap());
        let stored = store.report(id).unwrap().expect("stored report");
        assert_eq!(stored.report, report, "report JSON round-trips exactly");
        assert_eq!(stored.findings, f, "findings round-trip in order");
        let s = &stored.summary;
        assert_eq!(s.id, id);
        assert_eq!(s.agency_name, "某市示例局");
        assert_eq!(s.file_name, "报告.pdf");
        assert_eq!(s.year, report.year);
        assert_eq!(s.generation, report.generation.as_str());
        assert_eq!(s.published_on, report.published_on);
        assert_eq!(s.late, Some(seed == 1));
        assert_eq!((s.errors, s.warnings, s.infos), (seed as i64, 1, 1));
        assert!(s.imported_at > 1_600_000_000);
        let listed = store.list_reports(&ReportFilter::default()).unwrap();
        assert!(listed.contains(s), "list shows the same summary");
    }
    assert!(store.report(ReportId(999_999)).unwrap().is_none());
}

fn findings_without_any(db: &TestDb) {
    let store = db.store();
    let report = full_report("乙局", None, 3);
    let bytes = document_bytes(3, 100);
    let id = imported(
        store
            .import_report(&new_report("x.txt", &bytes, "乙局", &report, &[]))
            .unwrap(),
    );
    let stored = store.report(id).unwrap().unwrap();
    assert!(stored.findings.is_empty());
    assert_eq!(
        (
            stored.summary.errors,
            stored.summary.warnings,
            stored.summary.infos
        ),
        (0, 0, 0)
    );
    assert_eq!(stored.summary.year, None);
    assert_eq!(stored.summary.late, None);
}

fn document_bytes_exact(db: &TestDb) {
    let store = db.store();
    // Every byte value, NULs included, and a megabyte of noise.
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    let mut rng = common::Rng::new(42);
    bytes.extend((0..1_000_000).map(|_| rng.next() as u8));
    let report = Report::new();
    let id = imported(
        store
            .import_report(&new_report("原件.pdf", &bytes, "丙局", &report, &[]))
            .unwrap(),
    );
    let doc_id = store.report(id).unwrap().unwrap().summary.document;
    let doc = store.document(doc_id).unwrap().expect("document");
    assert_eq!(doc.id, doc_id);
    assert_eq!(doc.file_name, "原件.pdf");
    assert_eq!(doc.sha256, sha256_hex(&bytes));
    assert!(doc.bytes == bytes, "bytes read back exactly");
    assert!(store
        .document(gongkai_store::DocumentId(999_999))
        .unwrap()
        .is_none());
}

fn corrupt_json_is_an_error(db: &TestDb) {
    let store = db.store();
    let id = import(store, "丁局", Some(2021), 0, 5);
    // SQLite keeps the JSON in `report_bodies`, PostgreSQL in `reports` (see the migrations).
    let table = if store.backend() == "sqlite" {
        "report_bodies SET report_json = '{not json' WHERE report_id"
    } else {
        "reports SET report_json = '{not json' WHERE id"
    };
    db.exec(&format!("UPDATE {table} = {}", id.0));
    assert!(matches!(store.report(id), Err(StoreError::Corrupt(_))));
    let r = store.for_each_report(&mut |_| Ok(()));
    assert!(matches!(r, Err(StoreError::Corrupt(_))));
    // The summary columns are still listed: one bad report does not hide the others.
    assert_eq!(
        store.list_reports(&ReportFilter::default()).unwrap().len(),
        1
    );

    // A finding whose columns cannot be read is reported the same way.
    let other = import(store, "丁局", Some(2022), 1, 6);
    db.exec(&format!(
        "UPDATE findings SET cells = 'oops' WHERE report_id = {}",
        other.0
    ));
    assert!(matches!(store.report(other), Err(StoreError::Corrupt(_))));
}

// ── lists ───────────────────────────────────────────────────────────────────

fn list_filters(db: &TestDb) {
    let store = db.store();
    // (agency, year, errors)
    let plan: [(&str, Option<i32>, usize); 7] = [
        ("B局", Some(2021), 0),
        ("A局", Some(2021), 2),
        ("C局", Some(2020), 0),
        ("A局", Some(2020), 0),
        ("B局", None, 1),
        ("A局", Some(2022), 0),
        ("C局", Some(2021), 3),
    ];
    let ids: Vec<ReportId> = plan
        .iter()
        .enumerate()
        .map(|(i, (a, y, e))| import(store, a, *y, *e, 100 + i as u64))
        .collect();
    let all = store.list_reports(&ReportFilter::default()).unwrap();
    let order: Vec<(String, Option<i32>)> = all
        .iter()
        .map(|s| (s.agency_name.clone(), s.year))
        .collect();
    let expect = |v: &[(&str, Option<i32>)]| -> Vec<(String, Option<i32>)> {
        v.iter().map(|(a, y)| (a.to_string(), *y)).collect()
    };
    assert_eq!(
        order,
        expect(&[
            ("A局", Some(2022)),
            ("A局", Some(2021)),
            ("B局", Some(2021)),
            ("C局", Some(2021)),
            ("A局", Some(2020)),
            ("C局", Some(2020)),
            ("B局", None),
        ]),
        "year DESC NULLS LAST, agency name, id"
    );
    assert_eq!(store.count_reports(&ReportFilter::default()).unwrap(), 7);

    let a = all.iter().find(|s| s.agency_name == "A局").unwrap().agency;
    let c = all.iter().find(|s| s.agency_name == "C局").unwrap().agency;
    let by_agency = ReportFilter {
        agencies: vec![a, c],
        ..Default::default()
    };
    let listed = store.list_reports(&by_agency).unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|s| s.agency == a || s.agency == c));
    assert_eq!(store.count_reports(&by_agency).unwrap(), 5);

    let y2021 = ReportFilter {
        year: Some(2021),
        ..Default::default()
    };
    let listed = store.list_reports(&y2021).unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|s| s.agency_name.as_str())
            .collect::<Vec<_>>(),
        ["A局", "B局", "C局"]
    );
    assert_eq!(store.count_reports(&y2021).unwrap(), 3);

    let errors = ReportFilter {
        with_errors: true,
        ..Default::default()
    };
    let listed = store.list_reports(&errors).unwrap();
    let got: HashSet<ReportId> = listed.iter().map(|s| s.id).collect();
    assert_eq!(got, HashSet::from([ids[1], ids[4], ids[6]]));
    assert!(listed.iter().all(|s| s.errors > 0));
    assert_eq!(store.count_reports(&errors).unwrap(), 3);

    let combined = ReportFilter {
        agencies: vec![a],
        year: Some(2021),
        with_errors: true,
        ..Default::default()
    };
    assert_eq!(
        store
            .list_reports(&combined)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [ids[1]]
    );
    assert_eq!(store.count_reports(&combined).unwrap(), 1);

    // Pages of the default order.
    let page = |limit: Option<i64>, offset: i64| {
        store
            .list_reports(&ReportFilter {
                limit,
                offset,
                ..Default::default()
            })
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    let all_ids: Vec<ReportId> = all.iter().map(|s| s.id).collect();
    assert_eq!(page(Some(3), 0), all_ids[..3]);
    assert_eq!(page(Some(3), 3), all_ids[3..6]);
    assert_eq!(page(Some(3), 6), all_ids[6..]);
    assert_eq!(page(None, 5), all_ids[5..]);
    assert!(page(Some(0), 0).is_empty());
    assert!(page(Some(10), 100).is_empty());
    // The count ignores paging.
    assert_eq!(
        store
            .count_reports(&ReportFilter {
                limit: Some(1),
                offset: 2,
                ..Default::default()
            })
            .unwrap(),
        7
    );
    // An agency with no reports lists nothing (not everything).
    let empty = store
        .ensure_agency("无报告单位", AgencyLevel::Department, None)
        .unwrap();
    let none = ReportFilter {
        agencies: vec![empty],
        ..Default::default()
    };
    assert!(store.list_reports(&none).unwrap().is_empty());
    assert_eq!(store.count_reports(&none).unwrap(), 0);
}

fn for_each_report_in_id_order(db: &TestDb) {
    let store = db.store();
    // More than one PostgreSQL fetch (200 per round trip).
    let n = 205;
    let reports: Vec<Report> = (0..n)
        .map(|i| {
            let mut r = Report::new();
            r.year = Some(2000 + (i % 20) as i32);
            r.agency = Some(format!("单位{}", i % 7));
            r
        })
        .collect();
    let bytes: Vec<Vec<u8>> = (0..n).map(|i| document_bytes(i as u64, 40)).collect();
    let names: Vec<String> = (0..n).map(|i| format!("单位{}", i % 7)).collect();
    let f = findings(1);
    let batch: Vec<NewReport<'_>> = (0..n)
        .map(|i| new_report("x.txt", &bytes[i], &names[i], &reports[i], &f))
        .collect();
    let ids: Vec<ReportId> = store
        .import_reports(&batch)
        .unwrap()
        .into_iter()
        .map(imported)
        .collect();

    let mut seen = Vec::new();
    store
        .for_each_report(&mut |s| {
            assert_eq!(s.findings, f);
            seen.push((s.summary.id, s.report));
            Ok(())
        })
        .unwrap();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), sorted);
    for (id, report) in &seen {
        let i = ids.iter().position(|x| x == id).unwrap();
        assert_eq!(*report, reports[i]);
    }

    // An error from the visitor stops the walk and comes back.
    let mut visited = 0;
    let r = store.for_each_report(&mut |_| {
        visited += 1;
        if visited == 3 {
            Err(StoreError::Conflict("stop".into()))
        } else {
            Ok(())
        }
    });
    assert!(matches!(r, Err(StoreError::Conflict(m)) if m == "stop"));
    assert_eq!(visited, 3);
}

fn delete_report_removes_everything(db: &TestDb) {
    let store = db.store();
    let report = full_report("戊局", Some(2021), 9);
    let bytes = document_bytes(9, 1000);
    let f = findings(2);
    let new = new_report("d.html", &bytes, "戊局", &report, &f);
    let id = imported(store.import_report(&new).unwrap());
    let keep = import(store, "戊局", Some(2020), 1, 10);
    let doc = store.report(id).unwrap().unwrap().summary.document;
    store.delete_report(id).unwrap();
    assert!(store.report(id).unwrap().is_none());
    assert!(
        store.document(doc).unwrap().is_none(),
        "its document went too"
    );
    assert!(store.report(keep).unwrap().is_some());
    assert_eq!(store.count_reports(&ReportFilter::default()).unwrap(), 1);
    assert!(matches!(
        store.delete_report(id),
        Err(StoreError::NotFound(_))
    ));
    // The same bytes can now be imported again, as a new report.
    let again = imported(store.import_report(&new).unwrap());
    assert_ne!(again, id);
    assert_eq!(store.report(again).unwrap().unwrap().findings, f);
    // The agency stays (it may have other years, or a place in the hierarchy).
    assert_eq!(store.agencies().unwrap().len(), 1);
}

/// Findings counted by rule over the reports a filter selects (year, units).
fn rule_counts_by_filter(db: &TestDb) {
    let store = db.store();
    assert!(store
        .rule_counts(&ReportFilter::default())
        .unwrap()
        .is_empty());
    import(store, "示例县数据资源局", Some(2023), 3, 1);
    import(store, "示例县财政局", Some(2023), 1, 2);
    import(store, "示例县财政局", Some(2022), 2, 3);
    let all = store.rule_counts(&ReportFilter::default()).unwrap();
    let of = |counts: &[gongkai_store::RuleCount], rule: &str| {
        counts
            .iter()
            .find(|c| c.rule == rule)
            .map(|c| (c.severity.clone(), c.findings, c.reports))
    };
    assert_eq!(of(&all, "requests.row_sum"), Some(("error".into(), 6, 3)));
    assert_eq!(
        of(&all, "timeliness.published_late"),
        Some(("warning".into(), 3, 3))
    );
    assert_eq!(all[0].rule, "requests.row_sum", "most findings first");
    let y2023 = store
        .rule_counts(&ReportFilter {
            year: Some(2023),
            ..ReportFilter::default()
        })
        .unwrap();
    assert_eq!(of(&y2023, "requests.row_sum"), Some(("error".into(), 4, 2)));
    let bureau = store
        .agencies()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "示例县财政局")
        .unwrap();
    let one_unit = store
        .rule_counts(&ReportFilter {
            agencies: vec![bureau.id],
            year: Some(2023),
            ..ReportFilter::default()
        })
        .unwrap();
    assert_eq!(
        of(&one_unit, "requests.row_sum"),
        Some(("error".into(), 1, 1))
    );
}

// ── agencies ────────────────────────────────────────────────────────────────

/// A new unit without a parent goes under its region by name — by `ensure_agency` and by an
/// import — and `place_unplaced_by_name` places the ones created before their region.
fn new_units_are_placed_under_their_region_by_name(db: &TestDb) {
    let store = db.store();
    // Created before any region exists: stays unplaced for now.
    let early = store
        .ensure_agency("示例县卫生健康局", AgencyLevel::Department, None)
        .unwrap();
    assert_eq!(store.agency(early).unwrap().unwrap().parent, None);

    let province = store
        .ensure_agency("示例省", AgencyLevel::Province, None)
        .unwrap();
    let city = store
        .ensure_agency("示例市", AgencyLevel::City, Some(province))
        .unwrap();
    let county = store
        .ensure_agency("示例县", AgencyLevel::County, None)
        .unwrap();
    let parent_of = |id: AgencyId| store.agency(id).unwrap().unwrap().parent;
    // 示例县 does not begin with 示例市 or 示例省: no region.
    assert_eq!(parent_of(county), None);

    let dept = store
        .ensure_agency("示例县财政局", AgencyLevel::Department, None)
        .unwrap();
    assert_eq!(parent_of(dept), Some(county), "longest region prefix");
    let city_dept = store
        .ensure_agency("示例市教育局", AgencyLevel::Department, None)
        .unwrap();
    assert_eq!(parent_of(city_dept), Some(city));
    let district = store
        .ensure_agency("示例市新区", AgencyLevel::County, None)
        .unwrap();
    assert_eq!(parent_of(district), Some(city), "a county under its city");
    let elsewhere = store
        .ensure_agency("他县财政局", AgencyLevel::Department, None)
        .unwrap();
    assert_eq!(parent_of(elsewhere), None);
    // An explicit parent wins.
    let explicit = store
        .ensure_agency("示例县审计局", AgencyLevel::Department, Some(city))
        .unwrap();
    assert_eq!(parent_of(explicit), Some(city));

    // An import creates its unit the same way.
    let id = import(store, "示例县司法局", Some(2024), 0, 7);
    let imported_unit = store.report(id).unwrap().unwrap().summary.agency;
    assert_eq!(parent_of(imported_unit), Some(county));

    // The early unit (and 示例县 itself, which no region prefixes) on demand.
    store
        .set_agency_place(county, AgencyLevel::County, None)
        .unwrap();
    let placed = store.place_unplaced_by_name().unwrap();
    assert_eq!(placed, vec![early]);
    assert_eq!(parent_of(early), Some(county));
    assert!(
        store.place_unplaced_by_name().unwrap().is_empty(),
        "idempotent"
    );
}

fn hierarchy_and_cycles(db: &TestDb) {
    let store = db.store();
    let province = store
        .ensure_agency("示例省", AgencyLevel::Province, None)
        .unwrap();
    let city = store
        .ensure_agency("示例市", AgencyLevel::City, Some(province))
        .unwrap();
    let county = store
        .ensure_agency("示例县", AgencyLevel::County, Some(city))
        .unwrap();
    let dept = store
        .ensure_agency("示例县数据资源局", AgencyLevel::Department, Some(county))
        .unwrap();
    let other = store
        .ensure_agency("另一市", AgencyLevel::City, Some(province))
        .unwrap();

    // An existing agency keeps its level and parent.
    assert_eq!(
        store
            .ensure_agency("示例县", AgencyLevel::Department, None)
            .unwrap(),
        county
    );
    let c = store.agency(county).unwrap().unwrap();
    assert_eq!(
        (c.name.as_str(), c.level, c.parent),
        ("示例县", AgencyLevel::County, Some(city))
    );
    assert!(store.agency(AgencyId(999_999)).unwrap().is_none());

    let set = |v: Vec<AgencyId>| v.into_iter().collect::<HashSet<_>>();
    assert_eq!(
        set(store.agency_and_descendants(province).unwrap()),
        set(vec![province, city, county, dept, other])
    );
    assert_eq!(
        set(store.agency_and_descendants(county).unwrap()),
        set(vec![county, dept])
    );
    assert_eq!(store.agency_and_descendants(dept).unwrap(), vec![dept]);
    assert!(matches!(
        store.agency_and_descendants(AgencyId(999_999)),
        Err(StoreError::NotFound(_))
    ));

    // Cycles are refused: under itself, under a child, under a grandchild.
    for parent in [province, city, dept] {
        let r = store.set_agency_place(province, AgencyLevel::Province, Some(parent));
        assert!(
            matches!(r, Err(StoreError::Conflict(_))),
            "{parent:?}: {r:?}"
        );
    }
    assert_eq!(store.agency(province).unwrap().unwrap().parent, None);
    assert!(matches!(
        store.set_agency_place(city, AgencyLevel::City, Some(AgencyId(999_999))),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_agency_place(AgencyId(999_999), AgencyLevel::City, None),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.ensure_agency("孤儿", AgencyLevel::County, Some(AgencyId(999_999))),
        Err(StoreError::NotFound(_))
    ));

    // A legal move: the county goes under the other city, taking its department along.
    store
        .set_agency_place(county, AgencyLevel::County, Some(other))
        .unwrap();
    assert_eq!(
        set(store.agency_and_descendants(other).unwrap()),
        set(vec![other, county, dept])
    );
    assert_eq!(store.agency_and_descendants(city).unwrap(), vec![city]);
    // Level changes, and detaching to the top.
    store
        .set_agency_place(dept, AgencyLevel::County, None)
        .unwrap();
    let d = store.agency(dept).unwrap().unwrap();
    assert_eq!((d.level, d.parent), (AgencyLevel::County, None));

    let names: Vec<String> = store
        .agencies()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "agencies by name");
    assert_eq!(names.len(), 5);

    // Reports of a region: the filter built from the descendants.
    import(store, "示例县数据资源局", Some(2021), 0, 1);
    store
        .set_agency_place(dept, AgencyLevel::Department, Some(county))
        .unwrap();
    let region = ReportFilter {
        agencies: store.agency_and_descendants(other).unwrap(),
        ..Default::default()
    };
    assert_eq!(store.count_reports(&region).unwrap(), 1);
}

// ── batches ─────────────────────────────────────────────────────────────────

fn batches_keep_items_in_order(db: &TestDb) {
    let store = db.store();
    let user = store
        .create_user("li", "李四", "h", Role::Supervisor)
        .unwrap();
    let b = store.create_batch("2024年1月上传", 3, Some(user)).unwrap();
    let report = full_report("己局", Some(2023), 1);
    let bytes = document_bytes(1, 100);
    let new = NewReport {
        imported_by: Some(user),
        batch: Some(b),
        ..new_report("z/1.html", &bytes, "己局", &report, &[])
    };
    let id = imported(store.import_report(&new).unwrap());
    let items = vec![
        BatchItem {
            file_name: "z/1.html".into(),
            status: "imported".into(),
            report: Some(id),
            message: None,
        },
        BatchItem {
            file_name: "z/2.html".into(),
            status: "duplicate".into(),
            report: Some(id),
            message: Some("与 z/1.html 相同".into()),
        },
        BatchItem {
            file_name: "z/3.doc".into(),
            status: "failed".into(),
            report: None,
            message: Some("DOC 格式请先转换为 DOCX".into()),
        },
    ];
    for item in &items {
        store.add_batch_item(b, item).unwrap();
    }
    let batch = store.batch(b).unwrap().unwrap();
    assert_eq!(batch.label, "2024年1月上传");
    assert_eq!(batch.created_by, Some(user));
    assert_eq!(batch.total, 3);
    assert!(!batch.finished);
    assert_eq!(batch.items, items);
    store.finish_batch(b).unwrap();
    assert!(store.batch(b).unwrap().unwrap().finished);

    let b2 = store.create_batch("API", 0, None).unwrap();
    let recent = store.recent_batches(10).unwrap();
    assert_eq!(recent.iter().map(|b| b.id).collect::<Vec<_>>(), [b2, b]);
    assert_eq!(recent[1].items, items);
    assert_eq!(store.recent_batches(1).unwrap().len(), 1);
    assert!(store
        .batch(gongkai_store::BatchId(999_999))
        .unwrap()
        .is_none());
    assert!(matches!(
        store.add_batch_item(gongkai_store::BatchId(999_999), &items[0]),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.finish_batch(gongkai_store::BatchId(999_999)),
        Err(StoreError::NotFound(_))
    ));
    // Deleting the report leaves the batch's record, without the link.
    store.delete_report(id).unwrap();
    let batch = store.batch(b).unwrap().unwrap();
    assert_eq!(batch.items.len(), 3);
    assert_eq!(batch.items[0].report, None);
}

// ── users, sessions, tokens ─────────────────────────────────────────────────

fn users_roles_and_conflicts(db: &TestDb) {
    let store = db.store();
    let admin = store
        .create_user("admin", "管理员", "$argon2id$a", Role::Admin)
        .unwrap();
    let viewer = store
        .create_user("wang", "王五", "$argon2id$b", Role::Viewer)
        .unwrap();
    match store.create_user("admin", "另一个", "x", Role::Viewer) {
        Err(StoreError::Conflict(m)) => {
            assert!(m.contains("admin") && m.contains("已被使用"), "{m}")
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let u = store.user(admin).unwrap().unwrap();
    assert_eq!(
        (
            u.username.as_str(),
            u.display_name.as_str(),
            u.role,
            u.password_hash.as_str()
        ),
        ("admin", "管理员", Role::Admin, "$argon2id$a")
    );
    assert_eq!(store.user_by_name("wang").unwrap().unwrap().id, viewer);
    assert!(store.user_by_name("nobody").unwrap().is_none());
    assert!(store.user(UserId(999_999)).unwrap().is_none());
    assert_eq!(
        store
            .users()
            .unwrap()
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["admin", "wang"]
    );
    store.set_user_role(viewer, Role::Supervisor).unwrap();
    store.set_password_hash(viewer, "$argon2id$c").unwrap();
    let v = store.user(viewer).unwrap().unwrap();
    assert_eq!(
        (v.role, v.password_hash.as_str()),
        (Role::Supervisor, "$argon2id$c")
    );
    assert!(matches!(
        store.set_user_role(UserId(999_999), Role::Admin),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_password_hash(UserId(999_999), "x"),
        Err(StoreError::NotFound(_))
    ));
}

use gongkai_store::UserId;

/// 单位范围: set, read back through every way a user is loaded, cleared; admins cannot be
/// scoped (nor scoped users made admins); unknown users and units are `NotFound`.
fn users_scoped_to_an_agency(db: &TestDb) {
    let store = db.store();
    let county = store
        .ensure_agency("示例县", AgencyLevel::County, None)
        .unwrap();
    let clerk = store
        .create_user("clerk", "信息员", "h", Role::Supervisor)
        .unwrap();
    let admin = store
        .create_user("root", "管理员", "h", Role::Admin)
        .unwrap();
    assert_eq!(store.user(clerk).unwrap().unwrap().agency, None);

    store.set_user_agency(clerk, Some(county)).unwrap();
    assert_eq!(store.user(clerk).unwrap().unwrap().agency, Some(county));
    assert_eq!(
        store.user_by_name("clerk").unwrap().unwrap().agency,
        Some(county)
    );
    let listed = store.users().unwrap();
    let listed = listed.iter().find(|u| u.id == clerk).unwrap();
    assert_eq!(listed.agency, Some(county));
    store
        .create_session(&Session {
            token_hash: sha256_hex(b"scoped"),
            user: clerk,
            csrf_token: "c".into(),
            expires_at: i64::MAX,
        })
        .unwrap();
    let (_, via_session) = store.session(&sha256_hex(b"scoped"), 0).unwrap().unwrap();
    assert_eq!(via_session.agency, Some(county));
    store
        .create_api_token(clerk, &sha256_hex(b"tok"), "t")
        .unwrap();
    let via_token = store
        .user_for_api_token(&sha256_hex(b"tok"))
        .unwrap()
        .unwrap();
    assert_eq!(via_token.agency, Some(county));

    // Admins are never scoped, and a scoped user does not become an admin.
    assert!(matches!(
        store.set_user_agency(admin, Some(county)),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.set_user_role(clerk, Role::Admin),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.user(clerk).unwrap().unwrap().role, Role::Supervisor);
    assert!(matches!(
        store.set_user_agency(clerk, Some(AgencyId(999_999))),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_user_agency(UserId(999_999), None),
        Err(StoreError::NotFound(_))
    ));
    // A failed change leaves the scope as it was.
    assert_eq!(store.user(clerk).unwrap().unwrap().agency, Some(county));

    store.set_user_agency(clerk, None).unwrap();
    assert_eq!(store.user(clerk).unwrap().unwrap().agency, None);
    store.set_user_role(clerk, Role::Admin).unwrap();
}

fn sessions_expire_and_purge(db: &TestDb) {
    let store = db.store();
    let user = store.create_user("s", "S", "h", Role::Viewer).unwrap();
    let session = |t: &str, exp: i64| Session {
        token_hash: sha256_hex(t.as_bytes()),
        user,
        csrf_token: format!("csrf-{t}"),
        expires_at: exp,
    };
    let (a, b, c) = (session("a", 1000), session("b", 2000), session("c", 3000));
    for s in [&a, &b, &c] {
        store.create_session(s).unwrap();
    }
    assert!(matches!(
        store.create_session(&a),
        Err(StoreError::Conflict(_))
    ));
    let (got, u) = store.session(&a.token_hash, 999).unwrap().unwrap();
    assert_eq!(got, a);
    assert_eq!(u.id, user);
    assert!(
        store.session(&a.token_hash, 1000).unwrap().is_none(),
        "expired at expires_at"
    );
    assert!(store.session("unknown", 0).unwrap().is_none());

    assert_eq!(store.purge_sessions(2000).unwrap(), 2);
    assert!(store.session(&a.token_hash, 0).unwrap().is_none(), "purged");
    assert!(store.session(&c.token_hash, 2500).unwrap().is_some());
    assert_eq!(store.purge_sessions(2000).unwrap(), 0);
    store.delete_session(&c.token_hash).unwrap();
    assert!(store.session(&c.token_hash, 0).unwrap().is_none());
    store.delete_session(&c.token_hash).unwrap(); // deleting twice is fine
}

fn api_tokens(db: &TestDb) {
    let store = db.store();
    let user = store
        .create_user("bot", "导入程序", "h", Role::Supervisor)
        .unwrap();
    let hash = sha256_hex(b"secret-token");
    store.create_api_token(user, &hash, "夜间导入").unwrap();
    assert_eq!(store.user_for_api_token(&hash).unwrap().unwrap().id, user);
    assert!(store
        .user_for_api_token(&sha256_hex(b"other"))
        .unwrap()
        .is_none());
    assert!(matches!(
        store.create_api_token(user, &hash, "again"),
        Err(StoreError::Conflict(_))
    ));
    // A role change shows through the token at once.
    store.set_user_role(user, Role::Viewer).unwrap();
    assert_eq!(
        store.user_for_api_token(&hash).unwrap().unwrap().role,
        Role::Viewer
    );
}

// ── concurrency ─────────────────────────────────────────────────────────────

fn concurrent_imports_of_the_same_files(db: &TestDb) {
    let store = db.store();
    let reports: Vec<Report> = (0..10)
        .map(|i| full_report("并发局", Some(2021), i))
        .collect();
    let bytes: Vec<Vec<u8>> = (0..10).map(|i| document_bytes(i, 200)).collect();
    let outcomes: Vec<Vec<ImportOutcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (reports, bytes) = (&reports, &bytes);
                s.spawn(move || {
                    (0..10)
                        .map(|k| {
                            let i = (k + t * 3) % 10;
                            store
                                .import_report(&new_report(
                                    "c.html",
                                    &bytes[i],
                                    "并发局",
                                    &reports[i],
                                    &[],
                                ))
                                .expect("concurrent import")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let all: Vec<ImportOutcome> = outcomes.into_iter().flatten().collect();
    let imported = all
        .iter()
        .filter(|o| matches!(o, ImportOutcome::Imported(_)))
        .count();
    assert_eq!(imported, 10, "each file imported exactly once");
    assert_eq!(store.count_reports(&ReportFilter::default()).unwrap(), 10);
    let ids: HashSet<ReportId> = all.iter().map(|o| o.report_id()).collect();
    assert_eq!(ids.len(), 10);
}

// ── the register: requests ─────────────────────────────────────────────────

fn day(s: &str) -> Date {
    Date::parse(s).expect("date")
}

/// A request received on `at` from `name` (a natural person), tracking code `code`.
fn received(code: &str, at: &str, name: &str) -> Request {
    Request::receive(
        RequestId(code.into()),
        Event::new(
            day(at),
            "张三",
            EventKind::Received {
                channel: Channel::Online,
                applicant: Applicant {
                    kind: ApplicantType::NaturalPerson,
                    name: name.into(),
                    identity: None,
                    contact: None,
                },
                description: format!("{name}申请公开2023年度部门预算"),
            },
        ),
        &Calendar::builtin(),
    )
    .expect("receive")
}

/// `r` with `kind` applied on `at`.
fn then(mut r: Request, at: &str, kind: EventKind) -> Request {
    r.apply(Event::new(day(at), "李四", kind), &Calendar::builtin())
        .expect("apply");
    r
}

fn new_request<'a>(
    agency: AgencyId,
    request: &'a Request,
    private: &'a ApplicantPrivate,
    attachments: &'a [(String, Vec<u8>)],
) -> NewRequest<'a> {
    NewRequest {
        agency,
        request,
        private,
        source: RequestSource::Online,
        recorded_by: None,
        attachments,
        fingerprint: None,
    }
}

fn agency(store: &dyn Store, name: &str) -> AgencyId {
    store
        .ensure_agency(name, AgencyLevel::Department, None)
        .unwrap()
}

/// Store `request` (no private data, no attachments) under `agency`.
fn create(store: &dyn Store, agency: AgencyId, request: &Request) {
    store
        .create_request(&new_request(
            agency,
            request,
            &ApplicantPrivate::default(),
            &[],
        ))
        .expect("create request");
}

fn is_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn request_round_trip(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "示例县数据资源局");
    let clerk = store
        .create_user("clerk", "王五", "hash", Role::Supervisor)
        .unwrap();
    let r = received("YSQ-2024-0001", "2024-03-01", "赵六");
    let private = ApplicantPrivate {
        id_number: Some("110101199003071234".into()),
        phone: Some("13800000000".into()),
        address: Some("示例县人民路1号".into()),
        email: Some("zhao@example.cn".into()),
        delivery: Some("电子邮件".into()),
    };
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let attachments = vec![
        ("身份证.pdf".to_string(), pdf.clone()),
        ("空.txt".to_string(), Vec::new()),
    ];
    let before = unix_now();
    store
        .create_request(&NewRequest {
            source: RequestSource::Staff,
            recorded_by: Some(clerk),
            fingerprint: Some("fp-1"),
            ..new_request(a, &r, &private, &attachments)
        })
        .unwrap();

    let stored = store.request("YSQ-2024-0001").unwrap().expect("stored");
    assert_eq!(stored.request, r);
    assert_eq!(stored.agency, a);
    assert_eq!(stored.private, private);
    assert_eq!(stored.source, RequestSource::Staff);
    assert!(stored.created_at >= before && stored.created_at <= unix_now());
    let names: Vec<(&str, i64)> = stored
        .attachments
        .iter()
        .map(|m| (m.file_name.as_str(), m.size))
        .collect();
    assert_eq!(names, vec![("身份证.pdf", 70_000), ("空.txt", 0)]);
    let first = stored.attachments[0].id;
    assert_eq!(
        store.attachment("YSQ-2024-0001", first).unwrap(),
        Some(("身份证.pdf".to_string(), pdf))
    );
    assert_eq!(
        store
            .attachment("YSQ-2024-0001", stored.attachments[1].id)
            .unwrap(),
        Some(("空.txt".to_string(), Vec::new()))
    );

    // An attachment is only found through its own request.
    let other = received("YSQ-2024-0002", "2024-03-02", "钱七");
    create(store, a, &other);
    assert_eq!(store.attachment("YSQ-2024-0002", first).unwrap(), None);
    assert_eq!(
        store.attachment("YSQ-2024-0001", first + 1000).unwrap(),
        None
    );
    let bare = store.request("YSQ-2024-0002").unwrap().unwrap();
    assert_eq!(bare.private, ApplicantPrivate::default());
    assert!(bare.attachments.is_empty());

    // Contact data corrected later; the request itself is untouched.
    let corrected = ApplicantPrivate {
        phone: Some("13900000000".into()),
        address: Some("示例县新街 1 号".into()),
        ..private.clone()
    };
    store
        .update_request_private("YSQ-2024-0001", &corrected)
        .unwrap();
    let after = store.request("YSQ-2024-0001").unwrap().unwrap();
    assert_eq!(after.private, corrected);
    assert_eq!(after.request, r);
    assert!(matches!(
        store.update_request_private("YSQ-NOPE", &corrected),
        Err(StoreError::NotFound(_))
    ));

    // An attachment added later (a scan handed in after intake) joins its request only.
    let added = store
        .add_request_attachments(
            "YSQ-2024-0002",
            &[("申请书扫描件.png".to_string(), b"\x89PNG-bytes".to_vec())],
        )
        .unwrap()[0];
    let later = store.request("YSQ-2024-0002").unwrap().unwrap();
    assert_eq!(
        later
            .attachments
            .iter()
            .map(|m| (m.id, m.file_name.as_str(), m.size))
            .collect::<Vec<_>>(),
        vec![(added, "申请书扫描件.png", 10)]
    );
    assert_eq!(
        store.attachment("YSQ-2024-0002", added).unwrap(),
        Some(("申请书扫描件.png".to_string(), b"\x89PNG-bytes".to_vec()))
    );
    assert_eq!(store.attachment("YSQ-2024-0001", added).unwrap(), None);
    assert!(matches!(
        store.add_request_attachments("YSQ-NOPE", &[("x.txt".into(), b"x".to_vec())]),
        Err(StoreError::NotFound(_))
    ));

    let events = store.request_events("YSQ-2024-0001").unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[0].event, serde_json::to_value(&r.log[0]).unwrap());
    assert_eq!(events[0].recorded_by, Some(clerk));
    assert_eq!(
        store.request_events("YSQ-2024-0002").unwrap()[0].recorded_by,
        None
    );

    assert!(store.request("nope").unwrap().is_none());
    assert!(store.request_events("nope").unwrap().is_empty());
    assert!(matches!(
        store.create_request(&new_request(
            AgencyId(9999),
            &received("YSQ-X", "2024-03-01", "某"),
            &ApplicantPrivate::default(),
            &[],
        )),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.request("YSQ-X").unwrap().is_none());
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn duplicate_code_conflicts_and_writes_nothing(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let b = agency(store, "乙局");
    let r = received("YSQ-1", "2024-05-06", "赵六");
    create(store, a, &r);

    let again = then(
        received("YSQ-1", "2024-05-07", "钱七"),
        "2024-05-08",
        EventKind::Answered {
            outcome: Outcome::Disclosed,
        },
    );
    let private = ApplicantPrivate {
        phone: Some("1".into()),
        ..ApplicantPrivate::default()
    };
    let files = vec![("a.pdf".to_string(), b"%PDF".to_vec())];
    let result = store.create_request(&NewRequest {
        fingerprint: Some("fp-dup"),
        ..new_request(b, &again, &private, &files)
    });
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");

    let stored = store.request("YSQ-1").unwrap().unwrap();
    assert_eq!(stored.request, r);
    assert_eq!(stored.agency, a);
    assert_eq!(stored.private, ApplicantPrivate::default());
    assert!(stored.attachments.is_empty());
    assert_eq!(store.request_events("YSQ-1").unwrap().len(), 1);
    assert_eq!(store.count_requests(&RequestFilter::default()).unwrap(), 1);
    assert_eq!(store.find_fingerprint("fp-dup", 0).unwrap(), None);
}

fn append_events_with_optimistic_concurrency(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let clerk = store
        .create_user("clerk", "王五", "hash", Role::Supervisor)
        .unwrap();
    create(store, a, &received("YSQ-7", "2024-04-01", "赵六"));

    // Two clerks open the same request.
    let first = store.request("YSQ-7").unwrap().unwrap().request;
    let second = first.clone();
    let len = first.log.len();
    assert_eq!(len, 1);

    let consulting = then(
        first,
        "2024-04-03",
        EventKind::ConsultationStarted {
            kind: ConsultationKind::ThirdParty,
            party: "某公司".into(),
        },
    );
    store
        .append_request_events("YSQ-7", len, &consulting, Some(clerk))
        .unwrap();

    // The second clerk acted on the old state: refused, and nothing is written.
    let answered = then(
        second,
        "2024-04-03",
        EventKind::Answered {
            outcome: Outcome::Disclosed,
        },
    );
    assert!(is_conflict(
        store.append_request_events("YSQ-7", len, &answered, None)
    ));
    let stored = store.request("YSQ-7").unwrap().unwrap();
    assert_eq!(stored.request, consulting);
    assert_eq!(store.request_events("YSQ-7").unwrap().len(), 2);
    let row = &store.list_requests(&RequestFilter::default()).unwrap()[0];
    assert_eq!(row.status, "in_consultation");
    assert_eq!(row.due_on, None, "the clock is paused");

    // From the fresh state, two events at once.
    let len = stored.request.log.len();
    let done = then(
        then(stored.request, "2024-04-10", EventKind::ConsultationEnded),
        "2024-04-12",
        EventKind::Answered {
            outcome: Outcome::PartiallyDisclosed,
        },
    );
    store
        .append_request_events("YSQ-7", len, &done, None)
        .unwrap();
    assert_eq!(store.request("YSQ-7").unwrap().unwrap().request, done);
    let row = &store.list_requests(&RequestFilter::default()).unwrap()[0];
    assert_eq!(row.status, "answered");
    assert_eq!(row.outcome.as_deref(), Some("partially_disclosed"));
    assert_eq!(row.due_on, None);

    // Stale by more than one event; an expected length beyond the log; wrong or unknown code.
    assert!(is_conflict(
        store.append_request_events("YSQ-7", 2, &done, None)
    ));
    assert!(is_conflict(
        store.append_request_events("YSQ-7", 9, &done, None)
    ));
    assert!(is_conflict(
        store.append_request_events("YSQ-8", 4, &done, None)
    ));
    let mut ghost = done.clone();
    ghost.id = RequestId("YSQ-404".into());
    assert!(matches!(
        store.append_request_events("YSQ-404", 4, &ghost, None),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.request_events("YSQ-7").unwrap().len(), 4);
}

fn events_are_append_only_and_in_order(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let clerk = store
        .create_user("clerk", "王五", "hash", Role::Supervisor)
        .unwrap();
    let mut r = received("YSQ-9", "2024-06-03", "赵六");
    create(store, a, &r);
    let steps = [
        (
            "2024-06-04",
            EventKind::ExtensionApproved { working_days: 10 },
        ),
        (
            "2024-06-20",
            EventKind::Answered {
                outcome: Outcome::Disclosed,
            },
        ),
        ("2024-06-21", EventKind::Delivered),
    ];
    for (at, kind) in steps {
        let len = r.log.len();
        r = then(r, at, kind);
        store
            .append_request_events("YSQ-9", len, &r, Some(clerk))
            .unwrap();
    }
    let events = store.request_events("YSQ-9").unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    for (stored, logged) in events.iter().zip(&r.log) {
        assert_eq!(stored.event, serde_json::to_value(logged).unwrap());
    }
    assert_eq!(events[0].recorded_by, None);
    assert!(events[1..].iter().all(|e| e.recorded_by == Some(clerk)));
    assert_eq!(store.request("YSQ-9").unwrap().unwrap().request, r);

    // The schema itself refuses to rewrite or remove an event.
    assert!(db
        .try_exec("UPDATE request_events SET event_json = '{}' WHERE seq = 1")
        .is_err());
    assert!(db.try_exec("DELETE FROM request_events").is_err());
    assert_eq!(store.request_events("YSQ-9").unwrap().len(), 4);
}

fn concurrent_appends_one_wins(db: &TestDb) {
    // Four clerks act on the same request at the same moment: one succeeds, three get
    // `Conflict`, and the log grows by exactly one event.
    let store = db.store();
    let a = agency(store, "甲局");
    create(store, a, &received("YSQ-C", "2024-04-01", "赵六"));
    let current = store.request("YSQ-C").unwrap().unwrap().request;
    let len = current.log.len();
    let barrier = std::sync::Barrier::new(4);
    let results: Vec<Result<(), StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4u32)
            .map(|t| {
                let next = then(
                    current.clone(),
                    "2024-04-02",
                    EventKind::ExtensionApproved {
                        working_days: 1 + t,
                    },
                );
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    store.append_request_events("YSQ-C", len, &next, None)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict(_))))
        .count();
    assert_eq!((ok, conflicts), (1, 3), "{results:?}");
    let events = store.request_events("YSQ-C").unwrap();
    assert_eq!(events.len(), 2);
    // The stored state is the winner's, whose event is the one stored.
    let stored = store.request("YSQ-C").unwrap().unwrap().request;
    assert_eq!(
        events[1].event,
        serde_json::to_value(&stored.log[1]).unwrap()
    );
}

fn list_filter_and_count_requests(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let b = agency(store, "乙局");
    // Received early but extended: due after the later ones.
    let extended = then(
        received("R-EXT", "2024-03-01", "甲"),
        "2024-03-05",
        EventKind::ExtensionApproved { working_days: 20 },
    );
    let plain = received("R-PLAIN", "2024-03-11", "乙");
    let plain_b = received("R-B", "2024-03-12", "丙");
    let answered = then(
        received("R-DONE", "2024-02-01", "丁"),
        "2024-02-05",
        EventKind::Answered {
            outcome: Outcome::WithheldStateSecret,
        },
    );
    let waiting = then(
        received("R-WAIT", "2024-03-04", "戊"),
        "2024-03-06",
        EventKind::CorrectionRequested {
            reply_by: day("2024-03-15"),
        },
    );
    let old = received("R-2023", "2023-12-20", "己");
    for (agency, r) in [
        (a, &extended),
        (a, &plain),
        (b, &plain_b),
        (a, &answered),
        (a, &waiting),
        (b, &old),
    ] {
        create(store, agency, r);
    }
    assert!(extended.clock.due_date().unwrap() > plain_b.clock.due_date().unwrap());
    assert!(old.clock.due_date().unwrap() < plain.clock.due_date().unwrap());

    let codes = |f: &RequestFilter| -> Vec<String> {
        store
            .list_requests(f)
            .unwrap()
            .into_iter()
            .map(|s| s.code)
            .collect()
    };
    let all = RequestFilter::default();
    // By due date; requests without one (answered, waiting for a correction) last, by
    // received date.
    assert_eq!(
        codes(&all),
        vec!["R-2023", "R-PLAIN", "R-B", "R-EXT", "R-DONE", "R-WAIT"]
    );
    assert_eq!(store.count_requests(&all).unwrap(), 6);

    let open = RequestFilter {
        open_only: true,
        ..RequestFilter::default()
    };
    assert_eq!(
        codes(&open),
        vec!["R-2023", "R-PLAIN", "R-B", "R-EXT", "R-WAIT"]
    );
    assert_eq!(store.count_requests(&open).unwrap(), 5);

    let a_2024_open = RequestFilter {
        agency: Some(a),
        received_year: Some(2024),
        open_only: true,
        ..RequestFilter::default()
    };
    assert_eq!(codes(&a_2024_open), vec!["R-PLAIN", "R-EXT", "R-WAIT"]);
    assert_eq!(store.count_requests(&a_2024_open).unwrap(), 3);

    let y2023 = RequestFilter {
        received_year: Some(2023),
        ..RequestFilter::default()
    };
    assert_eq!(codes(&y2023), vec!["R-2023"]);
    let none = RequestFilter {
        received_year: Some(2019),
        ..RequestFilter::default()
    };
    assert!(codes(&none).is_empty());
    assert_eq!(store.count_requests(&none).unwrap(), 0);
    let absurd = RequestFilter {
        received_year: Some(123_456),
        ..RequestFilter::default()
    };
    assert!(codes(&absurd).is_empty());
    assert_eq!(store.count_requests(&absurd).unwrap(), 0);

    let paged = RequestFilter {
        limit: Some(2),
        offset: 1,
        ..RequestFilter::default()
    };
    assert_eq!(codes(&paged), vec!["R-PLAIN", "R-B"]);
    assert_eq!(
        store.count_requests(&paged).unwrap(),
        6,
        "count ignores paging"
    );

    let rows = store.list_requests(&all).unwrap();
    let done = rows.iter().find(|r| r.code == "R-DONE").unwrap();
    assert_eq!(
        done,
        &RequestSummary {
            code: "R-DONE".into(),
            agency: a,
            applicant_name: "丁".into(),
            applicant_type: "natural_person".into(),
            description: "丁申请公开2023年度部门预算".into(),
            received_on: day("2024-02-01"),
            status: "answered".into(),
            due_on: None,
            outcome: Some("withheld_state_secret".into()),
            source: RequestSource::Online,
        }
    );
    let ext = rows.iter().find(|r| r.code == "R-EXT").unwrap();
    assert_eq!(ext.due_on, extended.clock.due_date());
    assert_eq!(ext.status, "processing");
    let wait = rows.iter().find(|r| r.code == "R-WAIT").unwrap();
    assert_eq!(wait.status, "awaiting_correction");

    // The report generator's view: everything of an agency received by a date, in order.
    let until = store.requests_received_until(a, day("2024-03-04")).unwrap();
    assert_eq!(
        until.iter().map(|r| r.id.0.as_str()).collect::<Vec<_>>(),
        vec!["R-DONE", "R-EXT", "R-WAIT"]
    );
    assert_eq!(until[1], extended);
    assert_eq!(
        store
            .requests_received_until(b, day("2024-12-31"))
            .unwrap()
            .len(),
        2
    );
    assert!(store
        .requests_received_until(b, day("2023-01-01"))
        .unwrap()
        .is_empty());
}

fn fingerprint_lookup(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let r1 = received("FP-1", "2024-03-01", "甲");
    let r2 = received("FP-2", "2024-03-01", "乙");
    let none = ApplicantPrivate::default();
    store
        .create_request(&NewRequest {
            fingerprint: Some("abc"),
            ..new_request(a, &r1, &none, &[])
        })
        .unwrap();
    store
        .create_request(&new_request(a, &r2, &none, &[]))
        .unwrap();
    let now = unix_now();
    assert_eq!(
        store
            .find_fingerprint("abc", now - 3600)
            .unwrap()
            .as_deref(),
        Some("FP-1")
    );
    assert_eq!(store.find_fingerprint("abc", now + 3600).unwrap(), None);
    assert_eq!(store.find_fingerprint("abd", 0).unwrap(), None);
}

fn concurrent_portal_submissions(db: &TestDb) {
    // The public portal under load: many threads creating requests at once, each code tried
    // twice. Every attempt either succeeds or is a clean `Conflict` — never `SQLITE_BUSY`.
    let store = db.store();
    let a = agency(store, "甲局");
    let threads = 8;
    let per_thread = 150;
    let attachment = vec![("申请表.pdf".to_string(), vec![7u8; 2048])];
    let results: Vec<(usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let attachment = &attachment;
                s.spawn(move || {
                    let (mut ok, mut conflict) = (0, 0);
                    for k in 0..per_thread {
                        // Threads t and t+1 (mod n) share their codes.
                        let owner = if k % 2 == 0 { t } else { (t + 1) % threads };
                        let code = format!("P-{owner}-{}", k / 2);
                        let r = received(&code, "2024-07-01", "网民");
                        let private = ApplicantPrivate {
                            email: Some(format!("{t}-{k}@example.cn")),
                            ..ApplicantPrivate::default()
                        };
                        match store.create_request(&NewRequest {
                            fingerprint: Some(&code),
                            ..new_request(a, &r, &private, attachment)
                        }) {
                            Ok(()) => ok += 1,
                            Err(StoreError::Conflict(_)) => conflict += 1,
                            Err(e) => panic!("submission {code} failed: {e}"),
                        }
                    }
                    (ok, conflict)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: usize = results.iter().map(|r| r.0).sum();
    let conflicts: usize = results.iter().map(|r| r.1).sum();
    assert_eq!(ok + conflicts, threads * per_thread);
    let distinct = threads * per_thread / 2;
    assert_eq!(ok, distinct, "each code stored exactly once");
    assert_eq!(
        store.count_requests(&RequestFilter::default()).unwrap(),
        distinct as i64
    );
    let one = store.request("P-3-10").unwrap().unwrap();
    assert_eq!(one.attachments.len(), 1);
    assert_eq!(store.request_events("P-3-10").unwrap().len(), 1);
}

// ── the register: appeals, publications, counts, audit ─────────────────────

fn appeals_upsert_and_list(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let b = agency(store, "乙局");
    let mut first = Appeal::new(
        "复议〔2024〕3号",
        AppealKind::Reconsideration,
        Some(RequestId("YSQ-1".into())),
        day("2024-05-10"),
    );
    let mut second = Appeal::new(
        "（2024）行初12号",
        AppealKind::LitigationDirect,
        None,
        day("2024-02-01"),
    );
    second.note = Some("原告：赵六".into());
    store.save_appeal(a, &first).unwrap();
    store.save_appeal(a, &second).unwrap();
    // The same id under another agency is another case.
    store.save_appeal(b, &first).unwrap();
    assert_eq!(
        store.appeals(a).unwrap(),
        vec![second.clone(), first.clone()]
    );

    // Decided: saved again under the same id, replacing the pending record.
    first.outcome = AppealOutcome::Corrected;
    first.decided_on = Some(day("2024-07-01"));
    store.save_appeal(a, &first).unwrap();
    assert_eq!(store.appeals(a).unwrap(), vec![second, first.clone()]);
    assert_eq!(store.appeals(b).unwrap()[0].outcome, AppealOutcome::Pending);
    assert!(store.appeals(AgencyId(9999)).unwrap().is_empty());
    assert!(matches!(
        store.save_appeal(AgencyId(9999), &first),
        Err(StoreError::NotFound(_))
    ));
}

fn publication(id: &str, title: &str, category: Option<&str>, issued: &str) -> Publication {
    Publication {
        id: id.into(),
        title: title.into(),
        kind: PublicationKind::NormativeDocument,
        doc_number: Some(format!("示政发〔{}〕1号", &issued[..4])),
        index_number: Some(format!("000000-{id}")),
        category: category.map(String::from),
        issued_on: day(issued),
        published_on: Some(day(issued)),
        repealed_on: None,
    }
}

fn record(agency: AgencyId, p: Publication) -> PublicationRecord {
    PublicationRecord {
        agency,
        body: format!("{}全文。", p.title),
        publication: p,
        issuer: Some("示例县人民政府办公室".into()),
    }
}

fn publications_catalog(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    let b = agency(store, "乙局");
    let records = [
        record(
            a,
            publication(
                "P1",
                "关于规范行政执法的通知",
                Some("政策文件"),
                "2023-04-01",
            ),
        ),
        record(
            a,
            publication("P2", "2024年预算", Some("财政信息"), "2024-01-15"),
        ),
        record(
            a,
            publication("P3", "关于印发办法的通知", Some("政策文件"), "2024-06-30"),
        ),
        record(a, publication("P4", "工作动态", None, "2024-06-30")),
        record(
            b,
            publication("P1", "乙局规划", Some("规划计划"), "2024-03-01"),
        ),
    ];
    for r in &records {
        store.save_publication(r).unwrap();
    }
    assert_eq!(
        store.publication(a, "P1").unwrap().as_ref(),
        Some(&records[0])
    );
    assert_eq!(
        store.publication(b, "P1").unwrap().as_ref(),
        Some(&records[4])
    );
    assert_eq!(store.publication(a, "P9").unwrap(), None);

    // Upsert: every field replaced, including the body and optional fields becoming empty.
    let mut changed = records[1].clone();
    changed.publication.title = "2024年部门预算（更正）".into();
    changed.publication.kind = PublicationKind::Other;
    changed.publication.repealed_on = Some(day("2024-12-31"));
    changed.publication.doc_number = None;
    changed.issuer = None;
    changed.body = "更正后的全文".into();
    store.save_publication(&changed).unwrap();
    assert_eq!(store.publication(a, "P2").unwrap(), Some(changed.clone()));

    let ids = |f: &PublicationFilter| -> Vec<(AgencyId, String)> {
        store
            .list_publications(f)
            .unwrap()
            .into_iter()
            .map(|r| (r.agency, r.publication.id))
            .collect()
    };
    let all = PublicationFilter::default();
    // Newest first; same day by id.
    assert_eq!(
        ids(&all),
        vec![
            (a, "P3".to_string()),
            (a, "P4".to_string()),
            (b, "P1".to_string()),
            (a, "P2".to_string()),
            (a, "P1".to_string()),
        ]
    );
    assert_eq!(store.count_publications(&all).unwrap(), 5);
    let listed = store.list_publications(&all).unwrap();
    assert_eq!(listed[3], changed, "lists carry full records");

    let policy_a = PublicationFilter {
        agency: Some(a),
        category: Some("政策文件".into()),
        ..PublicationFilter::default()
    };
    assert_eq!(
        ids(&policy_a),
        vec![(a, "P3".to_string()), (a, "P1".to_string())]
    );
    assert_eq!(store.count_publications(&policy_a).unwrap(), 2);
    let y2024_policy = PublicationFilter {
        year: Some(2024),
        category: Some("政策文件".into()),
        ..PublicationFilter::default()
    };
    assert_eq!(ids(&y2024_policy), vec![(a, "P3".to_string())]);
    let b_2024 = PublicationFilter {
        agency: Some(b),
        year: Some(2024),
        ..PublicationFilter::default()
    };
    assert_eq!(store.count_publications(&b_2024).unwrap(), 1);
    let page = PublicationFilter {
        limit: Some(2),
        offset: 2,
        ..PublicationFilter::default()
    };
    assert_eq!(
        ids(&page),
        vec![(b, "P1".to_string()), (a, "P2".to_string())]
    );
    let absurd = PublicationFilter {
        year: Some(-5),
        ..PublicationFilter::default()
    };
    assert!(ids(&absurd).is_empty());
    assert_eq!(store.count_publications(&absurd).unwrap(), 0);

    assert_eq!(
        store.publication_categories(None).unwrap(),
        sorted(vec!["政策文件", "财政信息", "规划计划"])
    );
    assert_eq!(
        store.publication_categories(Some(a)).unwrap(),
        sorted(vec!["政策文件", "财政信息"])
    );
    assert!(store
        .publication_categories(Some(AgencyId(9999)))
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.save_publication(&record(
            AgencyId(9999),
            publication("X", "x", None, "2024-01-01")
        )),
        Err(StoreError::NotFound(_))
    ));
}

/// Sorted by code point (what both backends' `ORDER BY` gives).
fn sorted(mut v: Vec<&str>) -> Vec<String> {
    v.sort_unstable();
    v.into_iter().map(String::from).collect()
}

fn proactive_counts_round_trip(db: &TestDb) {
    let store = db.store();
    let a = agency(store, "甲局");
    assert_eq!(store.proactive_counts(a, 2024).unwrap(), None);
    let mut counts = ProactiveCounts::default();
    counts.licensing.decisions = Some(1520);
    counts.penalty.decisions = Some(37);
    counts.fees.amount_wan = Some(12.5);
    counts.central_procurement.amount = Some(1234.56);
    counts.central_procurement.amount_unit = Some("万元".into());
    counts.other_services.change = Some(-3);
    store.save_proactive_counts(a, 2024, &counts).unwrap();
    assert_eq!(
        store.proactive_counts(a, 2024).unwrap(),
        Some(counts.clone())
    );
    assert_eq!(store.proactive_counts(a, 2023).unwrap(), None);

    counts.penalty.decisions = Some(38);
    store.save_proactive_counts(a, 2024, &counts).unwrap();
    assert_eq!(store.proactive_counts(a, 2024).unwrap(), Some(counts));
    assert!(matches!(
        store.save_proactive_counts(AgencyId(9999), 2024, &ProactiveCounts::default()),
        Err(StoreError::NotFound(_))
    ));
}

fn audit_log_newest_first(db: &TestDb) {
    let store = db.store();
    let admin = store
        .create_user("admin", "管理员", "hash", Role::Admin)
        .unwrap();
    let bureau = store
        .ensure_agency("示例县数据资源局", AgencyLevel::Department, None)
        .unwrap();
    let other = store
        .ensure_agency("示例县财政局", AgencyLevel::Department, None)
        .unwrap();
    assert!(store.audit_log(10, None).unwrap().is_empty());
    let before = unix_now();
    store
        .audit(Some(admin), None, "user.create", "clerk", "角色：监督")
        .unwrap();
    store
        .audit(
            Some(admin),
            Some(bureau),
            "request.event",
            "YSQ-1",
            "作出答复",
        )
        .unwrap();
    store
        .audit(Some(admin), Some(other), "request.create", "YSQ-2", "")
        .unwrap();
    store.audit(None, None, "report.delete", "17", "").unwrap();
    let log = store.audit_log(10, None).unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec![
            "report.delete",
            "request.create",
            "request.event",
            "user.create"
        ]
    );
    assert_eq!(log[0].user, None);
    assert_eq!(log[2].user, Some(admin));
    assert_eq!(log[2].agency, Some(bureau));
    assert_eq!(log[2].target, "YSQ-1");
    assert_eq!(log[2].detail, "作出答复");
    assert!(log.iter().all(|e| e.at >= before));
    assert!(log.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(store.audit_log(2, None).unwrap(), log[..2].to_vec());
    assert!(store.audit_log(0, None).unwrap().is_empty());

    // Only the entries of the given units (a scoped user's view).
    let only_bureau = store.audit_log(10, Some(&[bureau])).unwrap();
    assert_eq!(only_bureau, vec![log[2].clone()]);
    let both = store.audit_log(10, Some(&[bureau, other])).unwrap();
    assert_eq!(both, log[1..3].to_vec());
    assert!(store.audit_log(10, Some(&[])).unwrap().is_empty());
}

// ── the runner ──────────────────────────────────────────────────────────────

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(&super::TestDb::sqlite());
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                if let Some(db) = super::TestDb::postgres() {
                    super::$name(&db);
                }
            })*
        }
    };
}

suite!(
    migrations_are_idempotent,
    backend_name,
    import_and_duplicate,
    bulk_import_in_order_with_duplicates,
    bulk_import_is_one_transaction,
    report_round_trip,
    findings_without_any,
    document_bytes_exact,
    corrupt_json_is_an_error,
    list_filters,
    for_each_report_in_id_order,
    delete_report_removes_everything,
    hierarchy_and_cycles,
    rule_counts_by_filter,
    new_units_are_placed_under_their_region_by_name,
    batches_keep_items_in_order,
    users_roles_and_conflicts,
    users_scoped_to_an_agency,
    sessions_expire_and_purge,
    api_tokens,
    concurrent_imports_of_the_same_files,
    request_round_trip,
    duplicate_code_conflicts_and_writes_nothing,
    append_events_with_optimistic_concurrency,
    events_are_append_only_and_in_order,
    concurrent_appends_one_wins,
    list_filter_and_count_requests,
    fingerprint_lookup,
    concurrent_portal_submissions,
    appeals_upsert_and_list,
    publications_catalog,
    proactive_counts_round_trip,
    audit_log_newest_first,
);
