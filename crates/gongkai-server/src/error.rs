//! Errors of handlers, rendered as a zh-CN page (pages) or a JSON object (API).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongkai_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("页面不存在：{0}")]
    NotFound(String),
    #[error("需要登录")]
    Unauthorized,
    #[error("权限不足：此操作需要“{0}”角色")]
    Forbidden(&'static str),
    /// The user's 单位范围 does not cover what was asked for.
    #[error("超出本账号的单位范围：{0}")]
    OutOfScope(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("表单已过期或来源不可信（CSRF 校验失败），请返回重新提交")]
    Csrf,
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("服务器内部错误：{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(what) => AppError::Conflict(what),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::OutOfScope(_) | AppError::Csrf => {
                StatusCode::FORBIDDEN
            }
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::OutOfScope(_) => "out_of_scope",
            AppError::BadRequest(_) => "bad_request",
            AppError::Csrf => "csrf",
            AppError::TooLarge(_) => "too_large",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(msg) = &self {
            eprintln!("内部错误：{msg}");
        }
        let status = self.status();
        let body = crate::ui::error_page(status, &self.to_string());
        (status, body).into_response()
    }
}

/// The same errors as JSON: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Internal(msg) = &self.0 {
            eprintln!("内部错误：{msg}");
        }
        let body = serde_json::json!({
            "error": {"code": self.0.code(), "message": self.0.to_string()}
        });
        (self.0.status(), axum::Json(body)).into_response()
    }
}
