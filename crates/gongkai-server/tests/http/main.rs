//! HTTP tests of the server over SQLite and PostgreSQL: supervision centre, staff console, public
//! portal, the role × route security matrix and the demo data.
//!
//! One test binary per group (each binary links the whole server; fewer binaries build faster
//! and take less disk). The files are unchanged test modules; their shared helpers live in
//! `tests/support` and `tests/portal_support`.

#[path = "../portal_support/mod.rs"]
mod portal_support;
#[path = "../support/mod.rs"]
mod support;

mod console;
mod demo;
mod portal;
mod security;
mod server;
