//! 用户: accounts and roles (admin only), and API tokens (each user for themself).

use crate::auth::{self, Staff};
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::{sha256_hex, Role, UserId};
use maud::html;
use serde::Deserialize;

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    staff.require(Role::Admin)?;
    let users = state.db(|s| s.users()).await?;
    let roles = [Role::Viewer, Role::Supervisor, Role::Admin];
    let body = html! {
        h1 { "用户与角色" }
        table.grid {
            thead { tr { th { "用户名" } th { "姓名" } th { "角色" } } }
            tbody { @for u in &users { tr {
                td { (u.username) }
                td { (u.display_name) }
                td {
                    form.inline method="post" action={ "/users/" (u.id) "/role" } {
                        (ui::csrf_field(&staff))
                        select name="role" aria-label={ (u.username) " 的角色" } {
                            @for r in roles { option value=(r.as_str()) selected[r == u.role] { (r.label_zh()) } }
                        }
                        " " button.secondary type="submit" { "修改" }
                    }
                }
            } } }
        }
        h2 { "新建用户" }
        form.box method="post" action="/users" {
            (ui::csrf_field(&staff))
            label { "用户名 " input type="text" name="username" required pattern="[A-Za-z0-9_.-]{2,40}" title="2–40 个字母、数字或 _ . -"; }
            label { "姓名 " input type="text" name="display_name" required maxlength="60"; }
            label { "初始密码 " input type="password" name="password" required minlength="8" autocomplete="new-password"; }
            label { "角色 " select name="role" { @for r in roles { option value=(r.as_str()) { (r.label_zh()) } } } }
            button type="submit" { "创建" }
        }
        p.muted { "角色：查看（浏览、比较、汇总、导出）⊂ 监督（另可导入报告、维护单位）⊂ 管理员（另可管理用户、删除报告）。" }
    };
    Ok(ui::page("用户", Some(&staff), "/users", body).into_response())
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    role: String,
}

/// Validate a new account's fields; the message names the field.
pub fn validate_new_user(
    username: &str,
    display_name: &str,
    password: &str,
    role: &str,
) -> Result<Role, AppError> {
    let name_ok = (2..=40).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !name_ok {
        return Err(AppError::BadRequest(
            "用户名须为 2–40 个字母、数字或 _ . -".into(),
        ));
    }
    let display = display_name.trim();
    if display.is_empty() || display.chars().count() > 60 {
        return Err(AppError::BadRequest("姓名不能为空，且不超过 60 字".into()));
    }
    if password.chars().count() < 8 {
        return Err(AppError::BadRequest("密码至少 8 位".into()));
    }
    Role::parse(role).ok_or_else(|| AppError::BadRequest(format!("未知角色“{role}”")))
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    staff.require(Role::Admin)?;
    staff.check_csrf(&form.csrf)?;
    let role = validate_new_user(
        &form.username,
        &form.display_name,
        &form.password,
        &form.role,
    )?;
    let hash = auth::hash_password(&form.password)?;
    let (username, display) = (form.username.clone(), form.display_name.trim().to_string());
    state
        .db(move |s| s.create_user(&username, &display, &hash, role))
        .await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    staff.require(Role::Admin)?;
    staff.check_csrf(&form.csrf)?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest(format!("未知角色“{}”", form.role)))?;
    if UserId(id) == staff.user.id && role != Role::Admin {
        return Err(AppError::BadRequest(
            "不能取消自己的管理员角色（避免系统没有管理员）".into(),
        ));
    }
    state.db(move |s| s.set_user_role(UserId(id), role)).await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

/// Make an API token for the logged-in user and show it once.
pub async fn create_token(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let token = format!("gk_{}", auth::random_token()?);
    let hash = sha256_hex(token.as_bytes());
    let label: String = form.label.trim().chars().take(60).collect();
    let user = staff.user.id;
    state
        .db(move |s| s.create_api_token(user, &hash, &label))
        .await?;
    let body = html! {
        h1 { "新的 API 令牌" }
        p.flash { "请立即复制保存，此令牌只显示这一次：" }
        p { code #token { (token) } }
        p { "使用方法：" code { "curl -H 'Authorization: Bearer " (token) "' http://…/api/v1/reports" } }
        p { "令牌的权限与你的角色（" (staff.user.role.label_zh()) "）相同。" a href="/api" { "返回 API 说明" } }
    };
    Ok(ui::page("API 令牌", Some(&staff), "/api", body).into_response())
}
