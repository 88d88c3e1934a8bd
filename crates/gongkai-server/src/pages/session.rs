//! Log in and out.

use crate::auth::{self, Staff, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::{ui, AppError, AppState};
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn login_page(state: &AppState, next: &str, csrf: &str, error: Option<&str>) -> Response {
    let body = html! {
        h1 { "登录 gongkai 政务公开监督中心" }
        @if let Some(error) = error { p.flash.error role="alert" { (error) } }
        form.box method="post" action="/login" style="max-width:26em" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            p { label for="username" { "用户名" } br; input #username type="text" name="username" autocomplete="username" required autofocus; }
            p { label for="password" { "密码" } br; input #password type="password" name="password" autocomplete="current-password" required; }
            p { button type="submit" { "登录" } }
        }
        p.muted { "这里是工作人员登录。公众申请政府信息公开、查询办理进度、查阅公开目录，请访问 " a href="/public" { "政府信息公开门户" } "。" }
        @if state.config.demo {
            div.box {
                p { b { "演示账号" } "（仅演示模式，密码均为 " code { "demo" } "）：" }
                ul {
                    li { code { "admin" } " — 管理员：全部功能，含用户与令牌管理" }
                    li { code { "jiandu" } " — 监督：导入报告、维护单位、办理所有单位的登记簿" }
                    li { code { "xinxiyuan" } " — 信息员（监督，限示例县数据资源局）：只能办理本单位的登记簿" }
                    li { code { "chakan" } " — 查看：浏览、比较、汇总、导出" }
                }
            }
        }
    };
    let cookie = auth::set_cookie(state, LOGIN_CSRF_COOKIE, csrf, 3600);
    (
        [(header::SET_COOKIE, cookie)],
        ui::page("登录", None, "", body),
    )
        .into_response()
}

pub async fn login_form(
    State(state): State<AppState>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let csrf = auth::random_token()?;
    Ok(login_page(
        &state,
        &safe_next(q.next.as_deref()),
        &csrf,
        None,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let cookie_token = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if cookie_token.is_empty() || cookie_token != form.csrf {
        return Err(AppError::Csrf);
    }
    let next = safe_next(form.next.as_deref());
    let keys = vec![
        format!("user:{}", form.username),
        format!("addr:{}", addr.ip()),
    ];
    state.throttle.check(&keys)?;
    let username = form.username.trim().to_string();
    let user = state.db(move |s| s.user_by_name(&username)).await?;
    let password = form.password.clone();
    // Verify even for an unknown user (against a fixed hash) so timing does not reveal names.
    let (user, ok) = tokio::task::spawn_blocking(move || match user {
        Some(u) => {
            let ok = auth::verify_password(&password, &u.password_hash);
            (Some(u), ok)
        }
        None => {
            auth::verify_password(&password, DUMMY_HASH);
            (None, false)
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    match (user, ok) {
        (Some(user), true) => {
            state.throttle.succeed(&keys[..1]);
            let cookie = auth::start_session(&state, &user).await?;
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        _ => {
            state.throttle.fail(&keys);
            let csrf = auth::random_token()?;
            let mut resp = login_page(&state, &next, &csrf, Some("用户名或密码不正确"));
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(resp)
        }
    }
}

/// An argon2 hash of a random string, for constant-time failure on unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0tqkPU4cRf2mOdJ4YoXQbU8xk8WvDnKSzsxHbDv1DLw";

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let hash = staff.session.token_hash.clone();
    state.db(move |s| s.delete_session(&hash)).await?;
    let cookie = auth::set_cookie(&state, SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
