//! 导入: upload one report, many, or a ZIP; the batch is processed in the background and its
//! page refreshes itself until every file is done, then lists each file's result.

use crate::auth::Staff;
use crate::import::{self, Upload};
use crate::{ui, AppError, AppState};
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::{Batch, BatchId, Role, UserId};
use maud::html;

pub async fn form(staff: Staff, State(state): State<AppState>) -> Result<Response, AppError> {
    staff.require_centre(Role::Supervisor)?;
    let limit_mb = state.config.limits.max_file_bytes / 1024 / 1024;
    let total_mb = state.config.max_upload_bytes / 1024 / 1024;
    let body = html! {
        h1 { "导入报告" }
        form.box method="post" action="/upload" enctype="multipart/form-data" {
            (ui::csrf_field(&staff))
            p {
                label for="files" { "选择文件（可多选）" } br;
                input #files type="file" name="files" multiple required
                    accept=".txt,.htm,.html,.docx,.pdf,.xlsx,.xls,.ods,.zip,text/plain,text/html,application/pdf,application/zip";
            }
            p.muted { "支持 TXT、HTML（UTF-8/GBK）、DOCX、PDF（含文字层）、XLSX，以及包含这些文件的 ZIP 压缩包。单个文件不超过 " (limit_mb) " MB，一次上传合计不超过 " (total_mb) " MB。格式按文件内容识别。" }
            p {
                label for="agency" { "单位名称（可选，报告中未写明单位时使用）" } br;
                input #agency type="text" name="agency" size="40";
            }
            p { button type="submit" { "上传并检查" } }
        }
        p { a href="/batches" { "查看以往的导入批次" } }
    };
    Ok(ui::page("导入报告", Some(&staff), "/upload", body).into_response())
}

/// The files and fields of an upload form, read fully (bounded by the body limit).
pub struct UploadForm {
    pub files: Vec<Upload>,
    pub agency: Option<String>,
    pub csrf: String,
}

pub async fn read_multipart(
    mut multipart: Multipart,
    limit_mb: usize,
) -> Result<UploadForm, AppError> {
    let too_large = || {
        AppError::TooLarge(format!(
            "上传内容超过 {limit_mb} MB 的上限，未导入任何文件；请分批上传"
        ))
    };
    let mut form = UploadForm {
        files: Vec::new(),
        agency: None,
        csrf: String::new(),
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large())
            }
            Err(e) => return Err(AppError::BadRequest(format!("上传内容无法读取：{e}"))),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(too_large())
            }
            Err(e) => return Err(AppError::BadRequest(format!("上传内容无法读取：{e}"))),
        };
        match name.as_str() {
            "csrf" => form.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "agency" => {
                let v = String::from_utf8_lossy(&bytes).trim().to_string();
                if v.chars().count() > 200 {
                    return Err(AppError::BadRequest("单位名称过长（最多 200 字）".into()));
                }
                form.agency = Some(v).filter(|s| !s.is_empty());
            }
            "files" | "file" => {
                let file_name = file_name.unwrap_or_default();
                // A browser sends an empty part when no file was chosen.
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                form.files.push(Upload {
                    file_name: if file_name.is_empty() {
                        "未命名文件".into()
                    } else {
                        file_name
                    },
                    bytes: bytes.to_vec(),
                });
            }
            _ => {}
        }
    }
    Ok(form)
}

/// Expand archives, create the batch, and import in the background. Returns at once.
pub async fn start_batch(
    state: &AppState,
    files: Vec<Upload>,
    agency: Option<String>,
    user: Option<UserId>,
) -> Result<BatchId, AppError> {
    let limits = state.config.limits;
    let label = match files.as_slice() {
        [one] => one.file_name.clone(),
        many => format!("{} 个文件", many.len()),
    };
    let (files, failed) = tokio::task::spawn_blocking(move || import::expand(files, &limits))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let total = (files.len() + failed.len()) as i64;
    let batch = state
        .db(move |s| s.create_batch(&label, total, user))
        .await?;
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        import::run_batch(
            store.as_ref(),
            batch,
            &files,
            &failed,
            agency.as_deref(),
            user,
        )
    });
    Ok(batch)
}

pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    multipart: Multipart,
) -> Result<Response, AppError> {
    staff.require_centre(Role::Supervisor)?;
    let form = read_multipart(multipart, state.config.max_upload_bytes / 1024 / 1024).await?;
    staff.check_csrf(&form.csrf)?;
    if form.files.is_empty() {
        return Err(AppError::BadRequest("没有选择文件".into()));
    }
    let batch = start_batch(&state, form.files, form.agency, Some(staff.user.id)).await?;
    Ok(Redirect::to(&format!("/batches/{batch}")).into_response())
}

pub async fn batches(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::response::Html<String>, AppError> {
    let list = state.db(|s| s.recent_batches(100)).await?;
    let body = html! {
        h1 { "导入批次" }
        @if list.is_empty() { p { "还没有导入过报告。" a href="/upload" { "导入报告" } } }
        @else {
            table.grid {
                thead { tr { th { "批次" } th { "时间" } th { "文件数" } th { "状态" } } }
                tbody { @for b in &list { tr {
                    td { a href={ "/batches/" (b.id) } { "#" (b.id) " " (b.label) } }
                    td { (ui::format_time(b.created_at)) }
                    td.num { (b.total) }
                    td { (batch_status(b)) }
                } } }
            }
        }
    };
    Ok(ui::page("导入批次", Some(&staff), "/upload", body))
}

fn batch_status(b: &Batch) -> String {
    let done = b.items.len() as i64;
    if b.finished {
        let failed = b.items.iter().filter(|i| i.status == "failed").count();
        if failed == 0 {
            "已完成".into()
        } else {
            format!("已完成（{failed} 个失败）")
        }
    } else {
        format!("处理中 {done}/{}", b.total)
    }
}

pub async fn batch(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let batch = state
        .db(move |s| s.batch(BatchId(id)))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("导入批次 {id}")))?;
    let done = batch.items.len();
    let count = |status: &str| batch.items.iter().filter(|i| i.status == status).count();
    let (imported, duplicate, failed) = (count("imported"), count("duplicate"), count("failed"));
    let body = html! {
        h1 { "导入批次 #" (batch.id) "：" (batch.label) }
        @if !batch.finished {
            p role="status" {
                "正在处理：" (done) " / " (batch.total) " "
                progress max=(batch.total.max(1)) value=(done) { (done) "/" (batch.total) }
            }
            p.muted { "本页每 2 秒自动刷新。" }
        } @else {
            p.flash role="status" {
                "处理完成：共 " (batch.total) " 个文件，导入 " (imported) " 个，重复 " (duplicate) " 个，失败 " (failed) " 个。"
            }
        }
        table.grid #batch-items {
            thead { tr { th { "文件" } th { "结果" } th { "说明" } } }
            tbody { @for item in &batch.items { tr {
                td { (item.file_name) }
                td {
                    @match item.status.as_str() {
                        "imported" => span.ok { "已导入" },
                        "duplicate" => span.muted { "重复" },
                        _ => span.err { "失败" },
                    }
                }
                td {
                    @if let Some(m) = &item.message { (m) " " }
                    @if let Some(r) = item.report { a href={ "/reports/" (r) } { "查看报告" } }
                }
            } } }
        }
        p { a href="/upload" { "继续导入" } " · " a href="/" { "回到概览" } }
    };
    let html = ui::page("导入批次", Some(&staff), "/upload", body);
    if batch.finished {
        Ok(html.into_response())
    } else {
        Ok(([(axum::http::header::REFRESH, "2")], html).into_response())
    }
}
