//! JSON output and the published schemas: outputs validate, broken objects do not, and the
//! schemas name exactly the ids of the gongkai-core skeletons.

mod common;

use std::collections::BTreeSet;

use common::*;
use gongkai_core::rules::RULES;
use gongkai_core::skeleton::{self, REQUEST_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS, SECTIONS};
use gongkai_core::{Finding, Report};
use gongkai_render::{to_json, to_json_string, FINDING_SCHEMA_JSON, REPORT_SCHEMA_JSON};
use serde_json::{json, Value};

fn report_schema() -> Value {
    serde_json::from_str(REPORT_SCHEMA_JSON).expect("report schema is JSON")
}

fn all_reports() -> Vec<Report> {
    vec![
        report_2021(),
        report_2019(),
        report_2014(),
        report_hostile(),
        Report::new(),
    ]
}

fn assert_invalid(value: &Value, expect_in_error: &str) {
    match validate_report_json(value) {
        Ok(()) => panic!("expected a schema error mentioning {expect_in_error:?}"),
        Err(errors) => assert!(
            errors.iter().any(|e| e.contains(expect_in_error)),
            "no error mentions {expect_in_error:?}: {errors:#?}"
        ),
    }
}

#[test]
fn schemas_are_valid_draft_2020_12() {
    for text in [REPORT_SCHEMA_JSON, FINDING_SCHEMA_JSON] {
        let schema: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        if let Err(e) = jsonschema::meta::validate(&schema) {
            panic!("not a valid schema: {e}");
        }
    }
}

#[test]
fn to_json_is_the_contract_value() {
    let report = report_2019();
    let v = to_json(&report);
    assert_eq!(v, report.to_json_value());
    assert_eq!(v["schema"], "gongkai.report/1");
    assert_eq!(v["proactive"]["central_procurement"]["amount_unit"], "元");
    assert_eq!(v["proactive"]["licensing"]["change"], json!(-417));
    assert_eq!(v["published_on"], Value::Null);
}

#[test]
fn json_strings_round_trip_and_keep_integers() {
    let report = report_2021();
    let compact = to_json_string(&report, false);
    assert!(!compact.contains('\n'));
    assert!(compact.contains("\"agency\":\"示例市数据资源局\""));
    assert!(compact.contains("\"new_received\":[10,2,0,0,1,null,14]"));
    assert!(compact.contains("\"fees\":{\"amount\":20.3}"));
    let pretty = to_json_string(&report, true);
    assert!(pretty.contains("\n  \"generation\": \"2021\","));
    let a: Value = serde_json::from_str(&compact).unwrap();
    let b: Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, to_json(&report));
}

#[test]
fn outputs_validate() {
    for report in all_reports() {
        if let Err(errors) = validate_report_json(&to_json(&report)) {
            panic!("{:?}: {errors:#?}", report.agency);
        }
    }
}

#[test]
fn broken_reports_fail() {
    let good = to_json(&report_2021());

    let mut v = good.clone();
    v["requests"]["disclosed"].as_array_mut().unwrap().pop();
    assert_invalid(&v, "/requests/disclosed");

    let mut v = good.clone();
    v["requests"]["made_up_row"] = json!([0, 0, 0, 0, 0, 0, 0]);
    assert_invalid(&v, "/requests");

    // The single 2019 （六）其他处理 row has no place in a 2021 table.
    let mut v = good.clone();
    v["requests"]["other"] = json!([0, 0, 0, 0, 0, 0, 0]);
    assert_invalid(&v, "/requests");

    let mut v = good.clone();
    v["requests"]["carried_over"][0] = json!("1");
    assert_invalid(&v, "/requests/carried_over/0");

    let mut v = good.clone();
    v["generation"] = json!("2020");
    assert_invalid(&v, "/generation");

    let mut v = good.clone();
    v["schema"] = json!("gongkai.report/2");
    assert_invalid(&v, "/schema");

    let mut v = good.clone();
    v["published_on"] = json!("2022/01/20");
    assert_invalid(&v, "/published_on");

    let mut v = good.clone();
    v["sections"] = json!(["一", "七"]);
    assert_invalid(&v, "/sections/1");

    let mut v = good.clone();
    v["proactive"]["regulations"]["made"] = json!(1);
    assert_invalid(&v, "/proactive");

    let mut v = good.clone();
    v["reviews"]["reconsideration"]
        .as_object_mut()
        .unwrap()
        .remove("pending");
    assert_invalid(&v, "/reviews/reconsideration");

    let mut v = good.clone();
    v["reviews"]["appeal"] = json!({});
    assert_invalid(&v, "/reviews");

    let mut v = good.clone();
    v["provenance"]["/requests/new_received/6"]["line"] = json!(0);
    assert_invalid(&v, "/provenance/~1requests~1new_received~16/line");

    let mut v = good.clone();
    v["extra"] = json!(true);
    assert_invalid(&v, "extra");

    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("agency");
    assert_invalid(&v, "agency");

    let mut v = to_json(&report_2019());
    v["proactive"]["central_procurement"]["amount_unit"] = json!("美元");
    assert_invalid(&v, "/proactive");

    // Without a 2019/2021 generation, table 二 may follow either skeleton, but only one.
    let mut v = to_json(&report_2019());
    v["generation"] = json!("unknown");
    validate_report_json(&v).unwrap();
    v["proactive"]["regulations"]["issued"] = json!(1);
    assert_invalid(&v, "/proactive");

    let mut v = to_json(&report_2014());
    v["statistics_2014"]["rows"][0]["values"] = json!([1, "x"]);
    assert_invalid(&v, "/statistics_2014/rows/0/values/1");
}

#[test]
fn findings_validate() {
    for report in all_reports() {
        for f in findings_for(&report) {
            let v = serde_json::to_value(&f).unwrap();
            if let Err(errors) = validate_finding_json(&v) {
                panic!("{v}: {errors:#?}");
            }
        }
    }
    // Every documented rule id fits the schema's pattern.
    for (rule, severity, _) in RULES {
        let f = Finding::new(rule, *severity, "说明");
        validate_finding_json(&serde_json::to_value(&f).unwrap()).unwrap();
    }
    let mut bad = serde_json::to_value(Finding::new(
        "requests.balance",
        gongkai_core::Severity::Error,
        "x",
    ))
    .unwrap();
    bad["severity"] = json!("fatal");
    assert!(validate_finding_json(&bad).is_err());
    bad["severity"] = json!("error");
    bad["cells"] = json!(["requests/new_received/6"]);
    assert!(validate_finding_json(&bad).is_err());
}

fn enum_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("an enum array")
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// Resolve a local `{"$ref": "#/$defs/x"}` (or return the value itself).
fn deref<'a>(schema: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => schema
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}")),
        None => v,
    }
}

#[test]
fn schema_ids_match_the_skeleton() {
    let s = report_schema();
    let defs = &s["$defs"];
    let ids = |f: fn(&skeleton::RequestRow) -> bool| -> BTreeSet<String> {
        REQUEST_ROWS
            .iter()
            .filter(|r| f(r))
            .map(|r| r.label.id.to_string())
            .collect()
    };
    assert_eq!(
        enum_set(&defs["requests"]["propertyNames"]["enum"]),
        ids(|_| true)
    );
    assert_eq!(
        enum_set(&defs["requests_2019"]["propertyNames"]["enum"]),
        ids(|r| r.in_2019)
    );
    assert_eq!(
        enum_set(&defs["requests_2021"]["propertyNames"]["enum"]),
        ids(|r| r.in_2021)
    );

    for (def, blocks) in [
        ("proactive_2021", skeleton::PROACTIVE_2021),
        ("proactive_2019", skeleton::PROACTIVE_2019),
    ] {
        let rows = &defs[def]["properties"];
        let expected_rows: BTreeSet<String> = blocks
            .iter()
            .flat_map(|b| b.rows.iter().map(|r| r.id.to_string()))
            .collect();
        assert_eq!(keys(rows), expected_rows, "{def} rows");
        for block in blocks {
            let cols: BTreeSet<String> = block.columns.iter().map(|c| c.id.to_string()).collect();
            for row in block.rows {
                let row_schema = deref(&s, &rows[row.id]);
                assert_eq!(enum_set(&row_schema["required"]), cols, "{def}.{}", row.id);
                let mut props = keys(&row_schema["properties"]);
                props.remove("amount_unit");
                assert_eq!(props, cols, "{def}.{}", row.id);
            }
        }
    }

    let reviews = &s["properties"]["reviews"]["properties"];
    let groups: BTreeSet<String> = REVIEW_GROUPS.iter().map(|g| g.id.to_string()).collect();
    assert_eq!(keys(reviews), groups);
    let cols: BTreeSet<String> = REVIEW_COLUMNS.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(enum_set(&defs["review_group"]["required"]), cols);

    let sections: BTreeSet<String> = SECTIONS.iter().map(|(n, _, _)| n.to_string()).collect();
    assert_eq!(
        enum_set(&s["properties"]["sections"]["items"]["enum"]),
        sections
    );
    assert_eq!(s["properties"]["schema"]["const"], gongkai_core::SCHEMA_ID);
}

/// The library's own validators (feature `schema-validate`) are the ones used above.
#[cfg(feature = "schema-validate")]
#[test]
fn library_validators_behind_the_feature() {
    let good = to_json(&report_2021());
    assert!(gongkai_render::validate_report_json(&good).is_ok());
    let mut bad = good.clone();
    bad["requests"]["disclosed"] = json!([1, 2, 3, 4, 5, 6]);
    let errors = gongkai_render::validate_report_json(&bad).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/requests/disclosed: ")),
        "{errors:?}"
    );
    let f = serde_json::to_value(Finding::new(
        "requests.balance",
        gongkai_core::Severity::Error,
        "x",
    ))
    .unwrap();
    assert!(gongkai_render::validate_finding_json(&f).is_ok());
}
