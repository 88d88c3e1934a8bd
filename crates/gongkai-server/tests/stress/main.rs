//! Stress tests of the real server: concurrent load on the public form, and SIGKILL in the middle
//! of submissions. They run one at a time (`SERIAL`) so their figures are not disturbed by each
//! other.
//!
//! One test binary per group (each binary links the whole server; fewer binaries build faster
//! and take less disk). The files are unchanged test modules; their shared helpers live in
//! `tests/support` and `tests/portal_support`.

#[path = "../portal_support/mod.rs"]
mod portal_support;
#[path = "../support/mod.rs"]
mod support;

mod crash;
mod load;

/// Held by each stress test for its whole run.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
