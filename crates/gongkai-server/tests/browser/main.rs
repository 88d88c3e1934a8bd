//! Browser tests: the supervision centre and the public portal driven in a real headless Chromium
//! through chromedriver.
//!
//! One test binary per group (each binary links the whole server; fewer binaries build faster
//! and take less disk). The files are unchanged test modules; their shared helpers live in
//! `tests/support` and `tests/portal_support`.

#[path = "../portal_support/mod.rs"]
mod portal_support;
#[path = "../support/mod.rs"]
mod support;

mod browser;
mod browser_portal;
