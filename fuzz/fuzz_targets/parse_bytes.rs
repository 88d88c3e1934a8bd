//! Arbitrary bytes → `parse_bytes` (binary sniffing, decoding, HTML detection, reading):
//! `Err` is fine for binary input, a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = gongkai_ingest::parse_bytes(data, Some("fuzz")) {
        let _ = gongkai_core::rules::check(&parsed.report);
        serde_json::to_string(&parsed.report.to_json_value()).expect("report serializes");
    }
});
