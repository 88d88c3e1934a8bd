//! Validation of JSON values against the published schemas (`schema/*.schema.json`).
//!
//! Compiled into the library with the `schema-validate` feature, and included as-is by this
//! crate's integration tests (`tests/common/mod.rs`), so both run the same code. The validators
//! are built once, on first use, from the schema text embedded at compile time.

use std::sync::OnceLock;

use serde_json::Value;

const REPORT_SCHEMA: &str = include_str!("../../../schema/gongkai.report-1.schema.json");
const FINDING_SCHEMA: &str = include_str!("../../../schema/gongkai.finding-1.schema.json");

fn compile(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).expect("embedded schema is valid JSON");
    jsonschema::draft202012::new(&schema).expect("embedded schema compiles")
}

fn check(validator: &jsonschema::Validator, value: &Value) -> Result<(), Vec<String>> {
    let mut errors: Vec<String> = Vec::new();
    for e in validator.iter_errors(value) {
        let at = e.instance_path().to_string();
        let at = if at.is_empty() { "/".to_string() } else { at };
        let line = format!("{at}: {e}");
        // A value checked by two subschemas (e.g. the generation-specific ones) fails twice.
        if !errors.contains(&line) {
            errors.push(line);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Check a `gongkai.report/1` object (as produced by `to_json`) against
/// `schema/gongkai.report-1.schema.json`. The errors name the offending location as a JSON
/// pointer: `/requests/disclosed: [1,2,3,4,5,6] has less than 7 items`.
pub fn validate_report_json(value: &Value) -> Result<(), Vec<String>> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    check(VALIDATOR.get_or_init(|| compile(REPORT_SCHEMA)), value)
}

/// Check one finding object against `schema/gongkai.finding-1.schema.json`.
pub fn validate_finding_json(value: &Value) -> Result<(), Vec<String>> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    check(VALIDATOR.get_or_init(|| compile(FINDING_SCHEMA)), value)
}
