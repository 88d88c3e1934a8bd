//! 用户: accounts and roles (admin only), and API tokens (each user for themself).

use crate::auth::{self, Staff};
use crate::{ui, AppError, AppState};
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::{sha256_hex, AgencyId, Role, UserId};
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

/// Up to this many units are offered as suggestions (`<datalist>`) in the scope fields.
const SUGGESTED_UNITS: usize = 2000;

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    staff.require(Role::Admin)?;
    let (users, agencies) = state.db(|s| Ok((s.users()?, s.agencies()?))).await?;
    let names: HashMap<AgencyId, &str> = agencies.iter().map(|a| (a.id, a.name.as_str())).collect();
    let roles = [Role::Viewer, Role::Supervisor, Role::Admin];
    let body = html! {
        h1 { "用户与角色" }
        datalist #units {
            @for a in agencies.iter().take(SUGGESTED_UNITS) { option value=(a.name) {} }
        }
        table.grid #users {
            thead { tr { th { "用户名" } th { "姓名" } th { "角色" } th { "单位范围" } } }
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
                td {
                    @if u.role == Role::Admin {
                        span.muted { "全部单位（管理员）" }
                    } @else {
                        form.inline method="post" action={ "/users/" (u.id) "/scope" } {
                            (ui::csrf_field(&staff))
                            input type="text" name="agency" list="units" maxlength="100"
                                aria-label={ (u.username) " 的单位范围" } placeholder="全部单位"
                                value=(u.agency.and_then(|a| names.get(&a).copied()).unwrap_or(""));
                            " " button.secondary type="submit" { "设置" }
                        }
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
            label { "单位范围 " input type="text" name="agency" list="units" maxlength="100" placeholder="留空：全部单位"; }
            button type="submit" { "创建" }
        }
        p.muted { "角色：查看（浏览、比较、汇总、导出）⊂ 监督（另可导入报告、维护单位、办理登记簿）⊂ 管理员（另可管理用户、删除报告）。" }
        p.muted {
            "单位范围：填写一个单位名称后，该账号在工作台只能打开这个单位及其下级单位的登记簿（含申请人的个人信息），"
            "操作记录也只显示这些单位的；在监督中心可以浏览已公开的年报，但不能导入报告或调整单位。留空表示全部单位。管理员不限定单位范围。"
        }
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
    /// 单位范围 by unit name; empty for every unit.
    #[serde(default)]
    agency: String,
}

/// The unit named `name` for a 单位范围 (`None` for an empty field), or a clear error.
async fn scope_named(
    state: &AppState,
    name: &str,
    role: Role,
) -> Result<Option<AgencyId>, AppError> {
    let name = name.trim().to_string();
    if name.is_empty() {
        return Ok(None);
    }
    if role == Role::Admin {
        return Err(AppError::BadRequest(
            "管理员不限定单位范围：请清空“单位范围”，或选择其他角色".into(),
        ));
    }
    let wanted = name.clone();
    let found = state.db(move |s| s.agency_named(&wanted)).await?;
    match found {
        Some(a) => Ok(Some(a.id)),
        None => Err(AppError::BadRequest(format!(
            "没有名为“{name}”的单位（请按“单位”页上的名称填写）"
        ))),
    }
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
    // The scope is checked before anything is created, so a wrong unit name creates nothing.
    let scope = scope_named(&state, &form.agency, role).await?;
    let hash = auth::hash_password(&form.password)?;
    let (username, display) = (form.username.clone(), form.display_name.trim().to_string());
    let admin = staff.user.id;
    state
        .db(move |s| {
            let id = s.create_user(&username, &display, &hash, role)?;
            if scope.is_some() {
                s.set_user_agency(id, scope)?;
            }
            s.audit(
                Some(admin),
                scope,
                "user.create",
                &username,
                role.label_zh(),
            )
        })
        .await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
pub struct ScopeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    agency: String,
}

/// Set or clear a user's 单位范围.
pub async fn set_scope(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(form): Form<ScopeForm>,
) -> Result<Response, AppError> {
    staff.require(Role::Admin)?;
    staff.check_csrf(&form.csrf)?;
    let user = state
        .db(move |s| s.user(UserId(id)))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("用户 {id}")))?;
    let scope = scope_named(&state, &form.agency, user.role).await?;
    let admin = staff.user.id;
    state
        .db(move |s| {
            s.set_user_agency(user.id, scope)?;
            let detail = if scope.is_some() {
                "限定单位范围"
            } else {
                "取消单位范围（全部单位）"
            };
            s.audit(Some(admin), scope, "user.scope", &user.username, detail)
        })
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
