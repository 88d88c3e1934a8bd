//! Arbitrary bytes → lossy UTF-8 → `html::html_to_text` → `parse_text`: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let text = gongkai_ingest::html::html_to_text(&html);
    let parsed = gongkai_ingest::parse_text(&text, Some("fuzz"));
    let _ = gongkai_core::rules::check(&parsed.report);
});
