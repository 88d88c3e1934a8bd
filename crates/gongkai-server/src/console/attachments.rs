//! Attachments of a request in the console: the files an applicant sent with an online request
//! (ID copies, 授权委托书) and the ones staff add later (a scanned paper application, a letter
//! handed in at the counter).
//!
//! Downloads and uploads are checked against the user's 单位范围 through the request's unit, like
//! every request page. Files are accepted by what their bytes are (PDF, JPEG, PNG, DOCX, plain
//! text — the portal's rule, [`crate::portal::apply::detect`]), never by their names, and are
//! always sent back as downloads with `nosniff`, so a stored file cannot run as a page.

use super::request_path;
use super::requests::request_in_scope;
use crate::auth::Staff;
use crate::pages::reports::download;
use crate::pages::upload::read_multipart;
use crate::portal::apply::{clean_file_name, detect, FileKind};
use crate::{AppError, AppState};
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::Role;

/// All files of one upload together.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Attachments one request may have in all (the portal allows 5 at submission).
pub const MAX_PER_REQUEST: usize = 20;

fn content_type(kind: Option<FileKind>) -> &'static str {
    match kind {
        Some(FileKind::Pdf) => "application/pdf",
        Some(FileKind::Jpeg) => "image/jpeg",
        Some(FileKind::Png) => "image/png",
        Some(FileKind::Docx) => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        Some(FileKind::Txt) => "text/plain; charset=utf-8",
        None => "application/octet-stream",
    }
}

/// `GET /console/requests/{code}/attachments/{id}`.
pub async fn fetch(
    State(state): State<AppState>,
    staff: Staff,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    request_in_scope(&state, &staff, &code).await?;
    let c = code.clone();
    let (name, bytes) = state
        .db(move |s| s.attachment(&c, id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("申请 {code} 的附件 {id}")))?;
    let kind = detect(&bytes, &name);
    Ok(download(content_type(kind), &name, bytes))
}

/// `POST /console/requests/{code}/attachments`: one or more files (`files`), all accepted or
/// none stored.
pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    staff.require(Role::Supervisor)?;
    let limit_mb = state.config.max_upload_bytes / 1024 / 1024;
    let form = read_multipart(multipart, limit_mb).await?;
    staff.check_csrf(&form.csrf)?;
    let stored = request_in_scope(&state, &staff, &code).await?;
    let files = form
        .files
        .into_iter()
        .map(|f| (f.file_name, f.bytes))
        .collect();
    let accepted = accept(files, stored.attachments.len())?;
    let (user, agency, c) = (staff.user.id, stored.agency, code.clone());
    let names: Vec<String> = accepted.iter().map(|(n, _)| n.clone()).collect();
    state
        .db(move |s| {
            s.add_request_attachments(&c, &accepted)?;
            s.audit(
                Some(user),
                Some(agency),
                "request.attachment",
                &c,
                &format!("上传附件：{}", names.join("、")),
            )
        })
        .await?;
    Ok(Redirect::to(&format!("{}?ok=attached", request_path(&code))).into_response())
}

/// The files `(name, bytes)` accepted as attachments of a request that has `existing` already:
/// each recognised by its bytes and given a safe name, within the size and count limits — all
/// of them, or an error saying why none is stored. Shared by the console and the CLI.
pub fn accept(
    files: Vec<(String, Vec<u8>)>,
    existing: usize,
) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    if files.is_empty() {
        return Err(AppError::BadRequest("请选择要上传的附件".into()));
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    if total > MAX_UPLOAD_BYTES {
        return Err(AppError::TooLarge(format!(
            "附件合计 {:.1} MB，超过每次 {} MB 的上限；未保存任何文件",
            total as f64 / 1024.0 / 1024.0,
            MAX_UPLOAD_BYTES / 1024 / 1024
        )));
    }
    if existing + files.len() > MAX_PER_REQUEST {
        return Err(AppError::Conflict(format!(
            "每个申请最多 {MAX_PER_REQUEST} 个附件（已有 {existing} 个）；未保存任何文件"
        )));
    }
    files
        .into_iter()
        .map(|(name, bytes)| match detect(&bytes, &name) {
            Some(kind) => Ok((clean_file_name(&name, kind), bytes)),
            None => Err(AppError::BadRequest(format!(
                "“{name}”不是可接受的附件类型（PDF、JPG、PNG、DOCX、TXT，按文件内容识别）；未保存任何文件"
            ))),
        })
        .collect()
}
