//! Who is asking: password hashing, login sessions, CSRF tokens, API tokens, role checks and
//! login throttling.
//!
//! * Passwords: argon2id (the `argon2` crate's defaults, OWASP-recommended parameters), PHC
//!   strings stored; verification is constant-time inside the crate.
//! * Sessions: 32 random bytes as hex in the `gk_session` cookie (`HttpOnly; SameSite=Lax;
//!   Path=/`, `Secure` when configured); the store keeps only their SHA-256, so a leaked database
//!   does not leak sessions. Each session has its own random CSRF token, which every form of
//!   that session carries in a hidden `csrf` field and every POST handler checks
//!   ([`Staff::check_csrf`]). The login form, which has no session yet, uses a double-submit
//!   cookie (`gk_login_csrf`).
//! * API: `Authorization: Bearer <token>`; tokens are made on the 用户 page, shown once, stored
//!   as SHA-256.
//! * Throttling: after [`LoginThrottle::MAX_FAILURES`] failed logins for one username or one
//!   address within [`LoginThrottle::WINDOW_SECONDS`], further attempts are refused until the
//!   window passes.

use crate::{now, AppError, AppState};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::{sha256_hex, Agency, AgencyId, Role, Session, User};
use std::collections::HashMap;
use std::sync::Mutex;

pub const SESSION_COOKIE: &str = "gk_session";
pub const LOGIN_CSRF_COOKIE: &str = "gk_login_csrf";

/// An argon2id PHC hash of `password` with a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::Internal(format!("随机数不可用：{e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("密码哈希失败：{e}")))
}

/// Whether `password` matches the PHC `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// 32 random bytes as 64 hex characters.
pub fn random_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("随机数不可用：{e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The value of cookie `name` in the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value with the security attributes.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// Create a session for `user`; returns the cookie value to set.
pub async fn start_session(state: &AppState, user: &User) -> Result<String, AppError> {
    let token = random_token()?;
    let session = Session {
        token_hash: sha256_hex(token.as_bytes()),
        user: user.id,
        csrf_token: random_token()?,
        expires_at: now() + state.config.session_seconds,
    };
    state.db(move |s| s.create_session(&session)).await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &token,
        state.config.session_seconds,
    ))
}

/// A logged-in staff member (page routes). Without a valid session the request is redirected
/// to the login page, which brings the user back afterwards.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub session: Session,
}

impl Staff {
    /// Refuse unless the user's role includes `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.user.role.allows(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(role.label_zh()))
        }
    }

    /// Refuse a change of the supervision centre's shared data (importing reports, placing
    /// units, registering units) unless the role includes `role` and the user has no 单位范围.
    pub fn require_centre(&self, role: Role) -> Result<(), AppError> {
        require_centre(&self.user, role)
    }

    /// Refuse a form whose `csrf` field is not this session's token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if constant_time_eq(submitted.as_bytes(), self.session.csrf_token.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }

    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session cookie's session, if valid.
pub async fn session_of(state: &AppState, headers: &HeaderMap) -> Option<Staff> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let hash = sha256_hex(token.as_bytes());
    let now = now();
    match state.db(move |s| s.session(&hash, now)).await {
        Ok(Some((session, user))) => Some(Staff { user, session }),
        _ => None,
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
        match session_of(state, &parts.headers).await {
            Some(staff) => Ok(staff),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!(
                    "/login?next={}",
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
                );
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// An API caller identified by `Authorization: Bearer <token>` (or, for convenience in a
/// browser, a valid session cookie for GET requests).
#[derive(Debug, Clone)]
pub struct ApiUser(pub User);

impl ApiUser {
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.0.role.allows(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(role.label_zh()))
        }
    }

    /// As [`Staff::require_centre`].
    pub fn require_centre(&self, role: Role) -> Result<(), AppError> {
        require_centre(&self.0, role)
    }
}

fn require_centre(user: &User, role: Role) -> Result<(), AppError> {
    if !user.role.allows(role) {
        return Err(AppError::Forbidden(role.label_zh()));
    }
    match user.agency {
        None => Ok(()),
        Some(_) => Err(AppError::OutOfScope(
            "限定单位范围的账号只能在工作台办理本单位的事务，不能修改监督中心的数据（导入报告、登记或调整单位）"
                .into(),
        )),
    }
}

/// The units a user may open in the console: `None` for every unit, else the scope unit and
/// every unit under it.
pub async fn scope_units(state: &AppState, user: &User) -> Result<Option<Vec<AgencyId>>, AppError> {
    match user.agency {
        None => Ok(None),
        Some(scope) => Ok(Some(
            state.db(move |s| s.agency_and_descendants(scope)).await?,
        )),
    }
}

/// Refuse unless `agency` lies within the user's 单位范围.
pub async fn ensure_in_scope(
    state: &AppState,
    user: &User,
    agency: &Agency,
) -> Result<(), AppError> {
    match scope_units(state, user).await? {
        Some(units) if !units.contains(&agency.id) => Err(out_of_scope(&agency.name)),
        _ => Ok(()),
    }
}

/// [`ensure_in_scope`] for a unit known by id (a request's unit).
pub async fn ensure_unit_in_scope(
    state: &AppState,
    user: &User,
    agency: AgencyId,
) -> Result<(), AppError> {
    match scope_units(state, user).await? {
        Some(units) if !units.contains(&agency) => {
            let name = state
                .db(move |s| s.agency(agency))
                .await?
                .map(|a| a.name)
                .unwrap_or_else(|| format!("单位 {agency}"));
            Err(out_of_scope(&name))
        }
        _ => Ok(()),
    }
}

fn out_of_scope(unit: &str) -> AppError {
    AppError::OutOfScope(format!("本账号不能查看或办理“{unit}”的事务"))
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ApiUser, crate::error::ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        if let Some(token) = bearer {
            let hash = sha256_hex(token.as_bytes());
            return match state.db(move |s| s.user_for_api_token(&hash)).await? {
                Some(user) => Ok(ApiUser(user)),
                None => Err(AppError::Unauthorized.into()),
            };
        }
        // A logged-in browser may read the API (GET only: a cookie alone never authorises a
        // state change, so the API needs no CSRF token).
        if parts.method == axum::http::Method::GET {
            if let Some(staff) = session_of(state, &parts.headers).await {
                return Ok(ApiUser(staff.user));
            }
        }
        Err(AppError::Unauthorized.into())
    }
}

/// Failed-login counters per username and per client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl LoginThrottle {
    pub const MAX_FAILURES: usize = 5;
    pub const WINDOW_SECONDS: i64 = 15 * 60;

    /// Refuse when any key has too many recent failures.
    pub fn check(&self, keys: &[String]) -> Result<(), AppError> {
        let now = now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                times.retain(|t| now - t < Self::WINDOW_SECONDS);
                if times.len() >= Self::MAX_FAILURES {
                    return Err(AppError::TooManyRequests(
                        "登录失败次数过多，请 15 分钟后再试".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn fail(&self, keys: &[String]) {
        let now = now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.clear(); // bounded memory under a flood of distinct keys
        }
        for key in keys {
            map.entry(key.clone()).or_default().push(now);
        }
    }

    pub fn succeed(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            map.remove(key);
        }
    }
}
