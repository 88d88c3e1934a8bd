//! From uploaded bytes to stored reports: unpack ZIPs, detect and parse each file, check it,
//! store it — one file at a time, each in its own transaction, so one bad file never affects
//! another or anything stored before.

use gongkai_core::{rules, Finding, Report, Severity};
use gongkai_ingest::archive::{self, Limits};
use gongkai_store::{BatchId, BatchItem, ImportOutcome, NewReport, Store, UserId};

/// One uploaded file (or archive entry) as received.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Expand ZIP archives into their entries (nested archives and GBK names handled by
/// `gongkai-ingest`); everything else passes through. Returns the files to import and the
/// items that already failed (corrupt archive, over a limit), with reasons.
pub fn expand(uploads: Vec<Upload>, limits: &Limits) -> (Vec<Upload>, Vec<BatchItem>) {
    let mut files = Vec::new();
    let mut failed = Vec::new();
    for upload in uploads {
        if upload.bytes.len() as u64 > limits.max_file_bytes {
            failed.push(failure(
                &upload.file_name,
                format!(
                    "文件超过 {} MB 的上限，未导入",
                    limits.max_file_bytes / 1024 / 1024
                ),
            ));
            continue;
        }
        let is_plain_zip = upload.bytes.starts_with(b"PK\x03\x04")
            && gongkai_ingest::detect::detect(&upload.bytes) == gongkai_ingest::detect::Format::Zip;
        if !is_plain_zip {
            files.push(upload);
            continue;
        }
        let mut sources = Vec::new();
        let mut skipped = Vec::new();
        archive::expand_zip(
            &upload.file_name,
            &upload.bytes,
            limits,
            0,
            &mut sources,
            &mut skipped,
        );
        for s in skipped {
            failed.push(failure(&s.name, s.reason));
        }
        for source in sources {
            let name = source.name();
            match source {
                archive::Source::Entry { bytes, .. } => files.push(Upload {
                    file_name: name,
                    bytes,
                }),
                archive::Source::File(_) => {
                    failed.push(failure(&name, "压缩包条目无法读取".to_string()))
                }
            }
        }
    }
    (files, failed)
}

fn failure(file_name: &str, message: String) -> BatchItem {
    BatchItem {
        file_name: file_name.to_string(),
        status: "failed".into(),
        report: None,
        message: Some(message),
    }
}

/// What the reader made of one file, before storing.
pub struct Checked {
    pub report: Report,
    pub findings: Vec<Finding>,
    pub agency: String,
    pub late: Option<bool>,
}

/// Parse and check one file. `Err` carries the reason (zh-CN) it is not imported.
pub fn read_report(upload: &Upload, agency_hint: Option<&str>) -> Result<Checked, String> {
    if upload.bytes.is_empty() {
        return Err("文件是空的".into());
    }
    let parsed = gongkai_ingest::parse_bytes(&upload.bytes, Some(&upload.file_name))
        .map_err(|e| e.to_string())?;
    let report = parsed.report;
    if !looks_like_report(&report) {
        return Err(
            "未识别为政府信息公开工作年度报告：没有找到报告标题（单位和年度）、章节标题，也没有找到表二、表三、表四或统计表"
                .into(),
        );
    }
    let mut findings = parsed.findings;
    findings.extend(rules::check(&report));
    let agency = report
        .agency
        .clone()
        .or_else(|| {
            agency_hint
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| agency_from_file_name(&upload.file_name));
    let late = match (report.year, report.published_on.as_deref()) {
        (Some(year), Some(published)) => {
            let deadline = rules::publication_deadline(year, Some(&agency));
            Some(published > deadline.as_str())
        }
        _ => None,
    };
    Ok(Checked {
        report,
        findings,
        agency,
        late,
    })
}

/// A report is recognised when the reader found any of its tables, any of its numbered
/// section headings (一、总体情况 …), or both its agency and year in a title. A report cut
/// before its tables is still a report — stored, with findings that say what is missing.
pub fn looks_like_report(report: &Report) -> bool {
    !report.sections.is_empty()
        || (report.year.is_some() && report.agency.is_some())
        || report.requests.is_some()
        || report.proactive.is_some()
        || report.reviews.is_some()
        || report.statistics_2014.is_some()
}

/// When the report does not name its agency: the file name without directory, extension,
/// year and the report title, marked so nobody mistakes it for the agency's own words.
pub fn agency_from_file_name(file_name: &str) -> String {
    let base = file_name
        .rsplit(['/', '\\', '!'])
        .next()
        .unwrap_or(file_name);
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let mut name = stem.to_string();
    for noise in [
        "政府信息公开工作年度报告",
        "政府信息公开年度报告",
        "信息公开工作年度报告",
        "年度报告",
    ] {
        name = name.replace(noise, "");
    }
    let cleaned: String = name
        .trim_matches(|c: char| c.is_ascii_digit() || "-_ 年度（）()".contains(c))
        .to_string();
    let cleaned = cleaned
        .trim_end_matches(|c: char| c.is_ascii_digit() || "-_ 年度".contains(c))
        .to_string();
    if cleaned.is_empty() {
        "（未识别单位）".to_string()
    } else {
        format!("{cleaned}（按文件名）")
    }
}

/// Import one file: parse, check, store. Never panics; the returned item says what happened.
pub fn import_file(
    store: &dyn Store,
    upload: &Upload,
    agency_hint: Option<&str>,
    user: Option<UserId>,
    batch: Option<BatchId>,
) -> BatchItem {
    let checked = match read_report(upload, agency_hint) {
        Ok(c) => c,
        Err(reason) => return failure(&upload.file_name, reason),
    };
    let new = NewReport {
        file_name: &upload.file_name,
        bytes: &upload.bytes,
        agency: &checked.agency,
        report: &checked.report,
        findings: &checked.findings,
        late: checked.late,
        imported_by: user,
        batch,
    };
    match store.import_report(&new) {
        Ok(ImportOutcome::Imported(id)) => {
            let errors = checked
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            BatchItem {
                file_name: upload.file_name.clone(),
                status: "imported".into(),
                report: Some(id),
                message: Some(if errors == 0 {
                    format!("已导入：{}", checked.agency)
                } else {
                    format!("已导入：{}，发现 {errors} 个错误", checked.agency)
                }),
            }
        }
        Ok(ImportOutcome::Duplicate(id)) => BatchItem {
            file_name: upload.file_name.clone(),
            status: "duplicate".into(),
            report: Some(id),
            message: Some("相同文件此前已导入，未重复保存".into()),
        },
        Err(e) => failure(&upload.file_name, format!("保存失败：{e}")),
    }
}

/// Import a whole batch, recording every item, then mark it finished.
pub fn run_batch(
    store: &dyn Store,
    batch: BatchId,
    files: &[Upload],
    early_failures: &[BatchItem],
    agency_hint: Option<&str>,
    user: Option<UserId>,
) {
    for item in early_failures {
        if let Err(e) = store.add_batch_item(batch, item) {
            eprintln!("记录批次条目失败：{e}");
        }
    }
    for upload in files {
        let item = import_file(store, upload, agency_hint, user, Some(batch));
        if let Err(e) = store.add_batch_item(batch, &item) {
            eprintln!("记录批次条目失败：{e}");
        }
    }
    if let Err(e) = store.finish_batch(batch) {
        eprintln!("结束批次失败：{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_guess_from_file_name_is_marked() {
        assert_eq!(
            agency_from_file_name("uploads/示例县数据资源局-2022.txt"),
            "示例县数据资源局（按文件名）"
        );
        assert_eq!(
            agency_from_file_name("2023年示例镇人民政府政府信息公开工作年度报告.docx"),
            "示例镇人民政府（按文件名）"
        );
        assert_eq!(agency_from_file_name("2023.pdf"), "（未识别单位）");
    }

    #[test]
    fn garbage_is_not_a_report() {
        let upload = Upload {
            file_name: "notes.txt".into(),
            bytes: "今天开会，讨论下周的工作安排。".as_bytes().to_vec(),
        };
        let err = read_report(&upload, None).err().unwrap();
        assert!(err.contains("未识别"), "{err}");
        let empty = Upload {
            file_name: "empty.txt".into(),
            bytes: vec![],
        };
        assert!(read_report(&empty, None).is_err());
    }
}
