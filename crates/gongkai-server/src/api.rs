//! The JSON API (`/api/v1/…`), its OpenAPI document (`/api/openapi.json`) and the page that
//! explains both (`/api`). Reports are served in the `gongkai.report/1` contract; errors are
//! `{"error": {"code", "message"}}` with the HTTP status saying which kind.

use crate::auth::{ApiUser, Staff};
use crate::error::ApiError;
use crate::import::{self, Upload};
use crate::pages::analysis;
use crate::{ui, AppError, AppState};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gongkai_store::{AgencyId, BatchId, ReportFilter, ReportId, Role};
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

/// The OpenAPI 3.1 description of this API, kept beside the code and checked by the tests
/// against the router (every documented path answers, every route is documented).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(docs))
        .route("/openapi.json", get(openapi))
        .route("/v1/reports", get(list_reports).post(import_reports))
        .route("/v1/reports/{id}", get(get_report))
        .route("/v1/reports/{id}/findings", get(get_findings))
        .route("/v1/compare", get(compare))
        .route("/v1/rollup", get(rollup))
        .route("/v1/similar", get(similar))
        .route("/v1/problems", get(problems))
        .route("/v1/agencies", get(agencies))
        .route("/v1/batches/{id}", get(batch))
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        OPENAPI_JSON,
    )
        .into_response()
}

async fn docs(staff: Staff) -> axum::response::Html<String> {
    let body = html! {
        h1 { "JSON API" }
        p { "OpenAPI 描述：" a href="/api/openapi.json" { code { "/api/openapi.json" } } "（可导入 Swagger UI、Postman 等工具）。" }
        p { "认证：在请求头中携带 " code { "Authorization: Bearer <令牌>" } "。令牌的权限与创建者的角色相同；已登录的浏览器也可直接用 GET 读取。" }
        table.grid {
            thead { tr { th { "方法" } th { "路径" } th { "说明" } th { "角色" } } }
            tbody {
                tr { td { "GET" } td { code { "/api/v1/reports" } } td { "报告列表（agency、year、with_errors、limit、offset）" } td { "查看" } }
                tr { td { "POST" } td { code { "/api/v1/reports" } } td { "导入：multipart 的 files 字段（可多个、可为 ZIP），或请求体为文件本身并以 ?file_name= 指定名称" } td { "监督" } }
                tr { td { "GET" } td { code { "/api/v1/reports/{id}" } } td { "一份报告（gongkai.report/1）及检查结果" } td { "查看" } }
                tr { td { "GET" } td { code { "/api/v1/reports/{id}/findings" } } td { "检查结果" } td { "查看" } }
                tr { td { "GET" } td { code { "/api/v1/compare?left=&right=" } } td { "两份报告逐单元格比较及正文相似度" } td { "查看" } }
                tr { td { "GET" } td { code { "/api/v1/rollup?agency=&year=" } } td { "单位及下属单位某年度的汇总" } td { "查看" } }
                tr { td { "GET" } td { code { "/api/v1/agencies" } } td { "单位及层级" } td { "查看" } }
                tr { td { "GET" } td { code { "/api/v1/batches/{id}" } } td { "导入批次及每个文件的结果" } td { "查看" } }
            }
        }
        h2 { "创建令牌" }
        form.box method="post" action="/tokens" {
            (ui::csrf_field(&staff))
            label { "用途 " input type="text" name="label" maxlength="60" placeholder="例如：年报抽取脚本"; }
            button type="submit" { "创建 API 令牌" }
        }
        h2 { "示例" }
        pre.narrative { "curl -H 'Authorization: Bearer gk_…' -F files=@报告.docx http://localhost:8080/api/v1/reports\ncurl -H 'Authorization: Bearer gk_…' 'http://localhost:8080/api/v1/reports?year=2023&with_errors=true'" }
    };
    ui::page("API", Some(&staff), "/api", body)
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    agency: Option<i64>,
    year: Option<i32>,
    #[serde(default)]
    with_errors: bool,
    limit: Option<i64>,
    #[serde(default)]
    offset: i64,
}

async fn list_reports(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) || q.offset < 0 {
        return Err(AppError::BadRequest("limit 须在 1–10000 之间，offset 不能为负".into()).into());
    }
    let filter = ReportFilter {
        agencies: q.agency.map(AgencyId).into_iter().collect(),
        year: q.year,
        with_errors: q.with_errors,
        limit: Some(limit),
        offset: q.offset,
    };
    let count_filter = ReportFilter {
        limit: None,
        offset: 0,
        ..filter.clone()
    };
    let (reports, total) = state
        .db(move |s| Ok((s.list_reports(&filter)?, s.count_reports(&count_filter)?)))
        .await?;
    Ok(Json(
        json!({"total": total, "limit": limit, "offset": q.offset, "reports": reports}),
    ))
}

async fn get_report(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let stored = stored_report(&state, id).await?;
    Ok(Json(json!({
        "summary": stored.summary,
        "report": stored.report.to_json_value(),
        "findings": stored.findings,
    })))
}

async fn get_findings(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let stored = stored_report(&state, id).await?;
    Ok(Json(json!(stored.findings)))
}

/// Report `id`, or a 404 naming it.
async fn stored_report(state: &AppState, id: i64) -> Result<gongkai_store::StoredReport, AppError> {
    state
        .db(move |s| s.report(ReportId(id)))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("报告 {id}")))
}

#[derive(Deserialize)]
pub struct ImportQuery {
    file_name: Option<String>,
    agency: Option<String>,
}

/// Import synchronously and answer with the batch: every file's outcome.
async fn import_reports(
    State(state): State<AppState>,
    user: ApiUser,
    Query(q): Query<ImportQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    user.require_centre(Role::Supervisor)?;
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let limit_mb = state.config.max_upload_bytes / 1024 / 1024;
    let (files, agency) = if is_multipart {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|e| AppError::BadRequest(format!("multipart 无法读取：{e}")))?;
        let form = crate::pages::upload::read_multipart(multipart, limit_mb).await?;
        (form.files, form.agency.or(q.agency))
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), state.config.max_upload_bytes)
            .await
            .map_err(|_| {
                AppError::TooLarge(format!("请求体超过 {limit_mb} MB 的上限，未导入任何文件"))
            })?;
        let name = q
            .file_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "上传文件".into());
        (
            vec![Upload {
                file_name: name,
                bytes: bytes.to_vec(),
            }],
            q.agency,
        )
    };
    if files.is_empty() {
        return Err(AppError::BadRequest(
            "没有文件：请用 multipart 的 files 字段或请求体上传".into(),
        )
        .into());
    }
    let limits = state.config.limits;
    let uid = user.0.id;
    let label = format!("API：{} 个文件", files.len());
    let batch = state
        .db(move |s| {
            let (files, failed) = import::expand(files, &limits);
            let batch = s.create_batch(&label, (files.len() + failed.len()) as i64, Some(uid))?;
            import::run_batch(s, batch, &files, &failed, agency.as_deref(), Some(uid));
            s.batch(batch)
        })
        .await?
        .ok_or_else(|| AppError::Internal("批次丢失".into()))?;
    let all_failed = batch.items.iter().all(|i| i.status == "failed");
    let status = if all_failed {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, Json(json!(batch))).into_response())
}

async fn batch(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let batch = state
        .db(move |s| s.batch(BatchId(id)))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("导入批次 {id}")))?;
    Ok(Json(json!(batch)))
}

async fn agencies(State(state): State<AppState>, _user: ApiUser) -> Result<Json<Value>, ApiError> {
    let list = state.db(|s| s.agencies()).await?;
    Ok(Json(json!(list)))
}

#[derive(Deserialize)]
pub struct CompareQuery {
    left: i64,
    right: i64,
}

async fn compare(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<CompareQuery>,
) -> Result<Json<Value>, ApiError> {
    let (left, right) = analysis::load_pair(&state, q.left, q.right).await?;
    Ok(Json(analysis::comparison_json(&left, &right)))
}

#[derive(Deserialize)]
pub struct RollupQuery {
    agency: i64,
    year: i32,
}

#[derive(Deserialize)]
pub struct SimilarQuery {
    agency: Option<i64>,
    year: i32,
    threshold: Option<String>,
}

#[derive(Deserialize)]
pub struct ProblemsQuery {
    agency: Option<i64>,
    year: Option<i32>,
}

/// Findings counted by rule over the reports of a year (and region), most first.
async fn problems(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<ProblemsQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(y) = q.year {
        if !(2000..=2100).contains(&y) {
            return Err(AppError::BadRequest(format!("年度“{y}”无效")).into());
        }
    }
    let counts = state
        .db(move |s| {
            let agencies = match q.agency {
                Some(a) => s.agency_and_descendants(AgencyId(a))?,
                None => Vec::new(),
            };
            s.rule_counts(&ReportFilter {
                agencies,
                year: q.year,
                ..ReportFilter::default()
            })
        })
        .await?;
    let items: Vec<Value> = counts
        .iter()
        .map(|c| {
            serde_json::json!({
                "rule": c.rule,
                "description": crate::pages::overview::rule_description(&c.rule),
                "severity": c.severity,
                "reports": c.reports,
                "findings": c.findings,
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "year": q.year, "agency": q.agency, "rules": items }),
    ))
}

/// 雷同检查 of a year (in a region, or over every unit).
async fn similar(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<SimilarQuery>,
) -> Result<Json<Value>, ApiError> {
    let threshold = crate::pages::similar::parse_threshold(&q.threshold)?;
    let survey =
        crate::pages::similar::survey(&state, q.agency.map(AgencyId), q.year, threshold).await?;
    Ok(Json(
        serde_json::to_value(&survey).map_err(|e| AppError::Internal(e.to_string()))?,
    ))
}

async fn rollup(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<RollupQuery>,
) -> Result<Json<Value>, ApiError> {
    let computed = analysis::compute_rollup(&state, AgencyId(q.agency), q.year).await?;
    Ok(Json(analysis::rollup_json(&computed)))
}
