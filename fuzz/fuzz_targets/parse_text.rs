//! Arbitrary bytes → lossy UTF-8 → `parse_text`, then the rules and JSON serialization of the
//! report and findings: none of it may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = gongkai_ingest::parse_text(&text, Some("fuzz"));
    let findings = gongkai_core::rules::check(&parsed.report);
    serde_json::to_string(&parsed.report.to_json_value()).expect("report serializes");
    serde_json::to_string(&parsed.findings).expect("findings serialize");
    serde_json::to_string(&findings).expect("rule findings serialize");
});
