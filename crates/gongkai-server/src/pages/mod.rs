//! Server-rendered pages of the supervision centre. Each module owns one area; every handler
//! takes a [`crate::auth::Staff`] (so it requires a login) and calls `require` for anything
//! beyond viewing.

pub mod agencies;
pub mod analysis;
pub mod overview;
pub mod reports;
pub mod session;
pub mod similar;
pub mod upload;
pub mod users;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::home))
        .route("/overview", get(overview::overview))
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/reports", get(reports::list))
        .route("/reports/{id}", get(reports::show))
        .route("/reports/{id}/original", get(reports::original))
        .route("/reports/{id}/export/{format}", get(reports::export))
        .route("/reports/{id}/delete", post(reports::delete))
        .route("/upload", get(upload::form).post(upload::upload))
        .route("/batches", get(upload::batches))
        .route("/batches/{id}", get(upload::batch))
        .route("/compare", get(analysis::compare))
        .route("/compare/export/{format}", get(analysis::compare_export))
        .route("/rollup", get(analysis::rollup))
        .route("/rollup/export/{format}", get(analysis::rollup_export))
        .route("/similar", get(similar::page))
        .route("/similar/export/{format}", get(similar::export))
        .route("/agencies", get(agencies::list))
        .route("/agencies/place", post(agencies::place_by_name))
        .route("/agencies/{id}", get(agencies::show).post(agencies::update))
        .route("/export/overview/{format}", get(overview::export))
        .route("/export/reports.jsonl", get(reports::export_all))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}/role", post(users::set_role))
        .route("/users/{id}/scope", post(users::set_scope))
        .route("/tokens", post(users::create_token))
}

/// Parse an optional query value that may be an empty string (an untouched form field).
pub fn opt_i64(v: &Option<String>) -> Result<Option<i64>, crate::AppError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| crate::AppError::BadRequest(format!("“{s}”不是有效的数字"))),
    }
}
