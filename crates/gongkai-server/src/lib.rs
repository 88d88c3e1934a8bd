//! # gongkai-server — the supervision centre as a web application
//!
//! Every January a 政务公开办 collects dozens to hundreds of units' 政府信息公开工作年度报告,
//! checks them, compares them with last year and compiles the whole-government figures. This
//! crate serves that work over HTTP: server-rendered zh-CN pages for people, a JSON API (with an
//! OpenAPI document at `/api/openapi.json`) for scripts, and exports (XLSX, CSV, JSON, JSON Lines).
//!
//! Why it looks the way it does:
//!
//! * **Server-rendered, no JavaScript needed.** The users sit at old office PCs behind slow
//!   government networks. Pages are plain HTML built with `maud` (which escapes every
//!   interpolated string), styled by one small inline stylesheet, gzip-compressed; every core
//!   flow — log in, upload, watch a batch, open a report, compare, roll up, export — is a link
//!   or a form. Progress of a large batch is a page that refreshes itself (`<meta refresh>`).
//!   Charts are SVG drawn on the server.
//! * **The domain stays below.** Parsing is `gongkai-ingest`, checks and comparisons are
//!   `gongkai-core`, tables and files are `gongkai-render`, persistence is `gongkai-store`. This
//!   crate wires requests to them and decides who may do what. Store calls are blocking, so
//!   they run on tokio's blocking pool ([`AppState::db`]).
//! * **Security by default.** Passwords are argon2 hashes; sessions are random tokens whose
//!   SHA-256 is stored, in `HttpOnly; SameSite=Lax` cookies that expire; every form carries a
//!   CSRF token bound to the session; every staff route names the role it needs
//!   ([`auth::Staff::require`]); API calls carry a bearer token; uploads are size-limited and
//!   their content type is detected from the bytes, never trusted from the name.
//! * **A bad upload loses nothing.** Each file of a batch is parsed and stored in its own
//!   transaction; a file that is not a report, is corrupt, or is over the limit is listed on the
//!   batch page with the reason, and nothing already stored changes.

pub mod api;
pub mod auth;
pub mod console;
pub mod demo;
pub mod error;
pub mod import;
pub mod pages;
pub mod portal;
pub mod ui;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use gongkai_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::AppError;

/// Settings of one server instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body accepted by the upload routes (all files of one upload together).
    pub max_upload_bytes: usize,
    /// Limits applied to each uploaded file and to ZIP archives (size, ratio, entries, nesting).
    pub limits: gongkai_ingest::archive::Limits,
    /// How long a login lasts.
    pub session_seconds: i64,
    /// Add `Secure` to cookies (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Demo mode: the login page shows the demo accounts.
    pub demo: bool,
    /// The working-day calendar every deadline is computed with: the built-in national data,
    /// extended by the administrator's file (`gongkai serve --calendar`, `GONGKAI_CALENDAR`) when
    /// a new year's arrangement is announced — no new release needed.
    pub calendar: Arc<gongkai_core::calendar::Calendar>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_upload_bytes: 200 * 1024 * 1024,
            limits: gongkai_ingest::archive::Limits::default(),
            session_seconds: 8 * 3600,
            secure_cookies: false,
            demo: false,
            calendar: Arc::new(gongkai_core::calendar::Calendar::builtin()),
        }
    }
}

/// Shared by every handler: the store and the configuration.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub throttle: Arc<auth::LoginThrottle>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> AppState {
        AppState {
            store,
            config: Arc::new(config),
            throttle: Arc::new(auth::LoginThrottle::default()),
        }
    }

    /// Run a blocking store call on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, gongkai_store::StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| AppError::Internal(format!("后台任务失败：{e}")))?
            .map_err(AppError::from)
    }
}

/// The whole application: pages, API, static assets.
pub fn app(state: AppState) -> Router {
    let upload_limit = state.config.max_upload_bytes;
    Router::new()
        .merge(pages::routes())
        .merge(console::routes())
        .merge(portal::routes())
        .nest("/api", api::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(explain_rejections))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_oversized,
        ))
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// A request whose declared length is over the upload limit is answered with a clear 413 (a
/// page, or JSON under `/api/`) before any handler runs. The body is read and discarded first,
/// up to a bound, so that the browser — still sending — receives the answer instead of a reset
/// connection; beyond the bound the connection is simply closed.
async fn refuse_oversized(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use tokio_stream::StreamExt;
    let limit = state.config.max_upload_bytes as u64;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(length) = declared.filter(|l| *l > limit) else {
        return next.run(request).await;
    };
    let is_api = request.uri().path().starts_with("/api/");
    let drain_bound = limit.saturating_mul(2).max(64 * 1024 * 1024);
    if length <= drain_bound {
        let mut stream = request.into_body().into_data_stream();
        while let Some(Ok(_)) = stream.next().await {}
    }
    let error = AppError::TooLarge(format!(
        "上传内容（{:.1} MB）超过 {} MB 的上限，未导入任何文件；请分批上传或压缩后再试",
        length as f64 / 1024.0 / 1024.0,
        limit / 1024 / 1024
    ));
    if is_api {
        error::ApiError(error).into_response()
    } else {
        error.into_response()
    }
}

/// The error in the form the path's audience reads: JSON under `/api/`, the portal's page under
/// `/public`, the centre's page elsewhere.
fn error_for(path: &str, error: AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    if path.starts_with("/api/") || path == "/api" {
        error::ApiError(error).into_response()
    } else if path.starts_with("/public") {
        portal::PortalError(error).into_response()
    } else {
        error.into_response()
    }
}

/// An address no route answers: a 404 in Chinese (not an empty body).
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    error_for(uri.path(), AppError::NotFound(uri.path().to_string()))
}

/// axum answers a malformed path segment, query string or form (and a wrong method or
/// content type) itself, with a short English text. Such answers are replaced by the same
/// Chinese error page or JSON error as every other mistake, keeping axum's detail.
async fn explain_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    let rejected = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
    );
    if !(rejected && plain) {
        return response;
    }
    let detail = match axum::body::to_bytes(response.into_body(), 16 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "不支持此请求方式（例如用 GET 访问了只接受表单提交的地址）".to_string()
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            format!("请求内容的类型不正确，请通过页面上的表单提交（{detail}）")
        }
        _ if detail.is_empty() => "请求格式不正确".to_string(),
        _ => format!("请求格式不正确：{detail}"),
    };
    let mut answer = error_for(&path, AppError::BadRequest(message));
    *answer.status_mut() = status;
    answer
}

/// Bind `addr` and serve until Ctrl-C. Prints the address it listens on.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("gongkai 监督中心已启动：http://{local}/  （Ctrl-C 停止）");
    serve_on(state, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serve on an already bound listener until `shutdown` completes (tests bind port 0).
pub async fn serve_on(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Today's date in Beijing (UTC+8): the date every deadline, receipt and "overdue" mark is
/// compared with. One definition for the console, the portal, the demo and the CLI.
pub fn today_beijing() -> gongkai_core::date::Date {
    let days = (now() + 8 * 3600).div_euclid(86_400);
    // Fails only if the system clock is thousands of years off — an environment fault, not
    // input, and no date could be trusted then.
    gongkai_core::date::Date::from_days_since_epoch(days)
        .expect("the system clock is within the years 1–9999")
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
