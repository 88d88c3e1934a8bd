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
use gongkai_core::{Finding, Report};
use gongkai_store::{
    sha256_hex, AgencyId, AgencyLevel, BatchItem, ImportOutcome, NewReport, ReportFilter, ReportId,
    Role, Session, Store, StoreError,
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

// ── agencies ────────────────────────────────────────────────────────────────

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
    batches_keep_items_in_order,
    users_roles_and_conflicts,
    sessions_expire_and_purge,
    api_tokens,
    concurrent_imports_of_the_same_files,
);
