//! `gongkai serve` and `gongkai user`: the web application and its accounts, on the embedded
//! SQLite default or a PostgreSQL server.

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the database is: `postgres://…` or a SQLite file path (`sqlite:` prefix optional).
pub fn open_store(database: &str) -> anyhow::Result<Arc<dyn gongkai_store::Store>> {
    let store = gongkai_store::open(database)
        .with_context(|| format!("无法打开数据库 {}", redact(database)))?;
    Ok(Arc::from(store))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn serve(
    database: &str,
    bind: SocketAddr,
    demo: bool,
    calendar_file: Option<&std::path::Path>,
) -> anyhow::Result<u8> {
    // A calendar file that cannot be read or parsed stops the start: deadlines must not be
    // computed on a calendar other than the one the administrator asked for.
    let calendar = crate::calendar_cmd::load_calendar(calendar_file).map_err(anyhow::Error::msg)?;
    let store = open_store(database)?;
    if demo {
        let seeded = gongkai_server::demo::seed(store.as_ref())
            .map_err(|e| anyhow::anyhow!("演示数据导入失败：{e}"))?;
        println!(
            "演示模式：已导入 {} 份示例报告，{} 件依申请公开登记；演示账号 admin / jiandu / chakan / xinxiyuan（限示例县数据资源局），密码均为 {}",
            seeded.imported,
            seeded.requests,
            gongkai_server::demo::DEMO_PASSWORD
        );
        for f in &seeded.failed {
            eprintln!("示例报告未导入：{f}");
        }
    } else if store.users()?.is_empty() {
        println!(
            "数据库中还没有用户。请先创建管理员：gongkai user add 用户名 --role admin --database {}",
            redact(database)
        );
    }
    println!("数据库：{}（{}）", redact(database), store.backend());
    let years = calendar.known_years();
    println!(
        "工作日历：{}–{} 年{}",
        years.first().copied().unwrap_or_default(),
        years.last().copied().unwrap_or_default(),
        calendar_file
            .map(|f| format!("（含 {}）", f.display()))
            .unwrap_or_default()
    );
    // Requests whose deadline could not be computed before (a year the calendar lacked) get it
    // now; nothing else changes.
    let refreshed = gongkai_server::console::refresh_clocks(store.as_ref(), &calendar)
        .map_err(|e| anyhow::anyhow!("重新计算答复期限失败：{e}"))?;
    if refreshed > 0 {
        println!("已按工作日历重新计算 {refreshed} 件申请的答复期限");
    }
    let config = gongkai_server::Config {
        demo,
        calendar: Arc::new(calendar),
        ..gongkai_server::Config::default()
    };
    let state = gongkai_server::AppState::new(store, config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动运行时")?;
    runtime
        .block_on(gongkai_server::serve(state, bind))
        .with_context(|| format!("无法在 {bind} 上提供服务"))?;
    Ok(0)
}

/// `gongkai user add NAME --role ROLE`: the password is read from `GONGKAI_PASSWORD` or, on a
/// terminal, asked for (never taken from the command line, where it would stay in the history).
pub fn add_user(
    database: &str,
    username: &str,
    display: Option<&str>,
    role: &str,
    agency: Option<&str>,
) -> anyhow::Result<u8> {
    let store = open_store(database)?;
    // The scope is resolved before the password is asked for: a wrong name creates nothing.
    let scope = match agency.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(name) => Some(
            store
                .agency_named(name)?
                .map(|a| (a.id, a.name))
                .ok_or_else(|| anyhow::anyhow!("没有名为“{name}”的单位；未创建用户"))?,
        ),
    };
    if scope.is_some() && role == "admin" {
        anyhow::bail!("管理员不限定单位范围；未创建用户");
    }
    let password = match std::env::var("GONGKAI_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            use std::io::BufRead;
            eprint!("为 {username} 设置密码（至少 8 位）：");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let display = display.unwrap_or(username);
    let role = gongkai_server::pages::users::validate_new_user(username, display, &password, role)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash =
        gongkai_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = store.create_user(username, display, &hash, role)?;
    match scope {
        Some((agency, name)) => {
            store.set_user_agency(id, Some(agency))?;
            println!(
                "已创建用户 {username}（{}，单位范围：{name}）",
                role.label_zh()
            );
        }
        None => println!("已创建用户 {username}（{}）", role.label_zh()),
    }
    Ok(0)
}

/// `gongkai user scope NAME [--agency UNIT]`: limit an account to a unit (and the units under
/// it), or lift the limit.
pub fn set_user_scope(database: &str, username: &str, agency: Option<&str>) -> anyhow::Result<u8> {
    let store = open_store(database)?;
    let user = store
        .user_by_name(username)?
        .ok_or_else(|| anyhow::anyhow!("没有用户 {username}"))?;
    let scope = match agency.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(name) => Some(
            store
                .agency_named(name)?
                .ok_or_else(|| anyhow::anyhow!("没有名为“{name}”的单位；未作修改"))?,
        ),
    };
    store
        .set_user_agency(user.id, scope.as_ref().map(|a| a.id))
        .map_err(|e| anyhow::anyhow!("{e}；未作修改"))?;
    crate::register_cmd::audit(
        store.as_ref(),
        None,
        scope.as_ref().map(|a| a.id),
        "user.scope",
        username,
        if scope.is_some() {
            "限定单位范围（命令行）"
        } else {
            "取消单位范围（命令行）"
        },
    );
    match scope {
        Some(a) => println!("用户 {username} 的单位范围：{}（及其下级单位）", a.name),
        None => println!("用户 {username} 不再限定单位范围（全部单位）"),
    }
    Ok(0)
}

/// `gongkai import PATHS… --database URL`: files, directory trees and ZIP archives parsed in
/// parallel, checked, and stored in chunks of 500 per transaction — the bulk path a 政务公开办
/// uses to load a year's reports (and the import benchmark).
pub fn import(
    database: &str,
    paths: &[std::path::PathBuf],
    agency: Option<&str>,
) -> anyhow::Result<u8> {
    use gongkai_server::import::{read_report, Upload};
    use rayon::prelude::*;
    let store = open_store(database)?;
    let limits = gongkai_ingest::archive::Limits::default();
    let (sources, skipped) = gongkai_ingest::archive::collect(paths, &limits);
    let started = std::time::Instant::now();
    let (mut imported, mut duplicates) = (0usize, 0usize);
    let mut failed: Vec<(String, String)> =
        skipped.into_iter().map(|s| (s.name, s.reason)).collect();
    for chunk in sources.chunks(500) {
        let read: Vec<(Upload, Result<gongkai_server::import::Checked, String>)> = chunk
            .par_iter()
            .map(|source| {
                let name = source.name();
                match source.bytes(&limits) {
                    Ok(bytes) => {
                        let upload = Upload {
                            file_name: name,
                            bytes: bytes.into_owned(),
                        };
                        let checked = read_report(&upload, agency);
                        (upload, checked)
                    }
                    Err(reason) => (
                        Upload {
                            file_name: name,
                            bytes: vec![],
                        },
                        Err(reason),
                    ),
                }
            })
            .collect();
        let mut batch = Vec::new();
        for (upload, checked) in &read {
            match checked {
                Ok(c) => batch.push(gongkai_store::NewReport {
                    file_name: &upload.file_name,
                    bytes: &upload.bytes,
                    agency: &c.agency,
                    report: &c.report,
                    findings: &c.findings,
                    late: c.late,
                    imported_by: None,
                    batch: None,
                }),
                Err(reason) => failed.push((upload.file_name.clone(), reason.clone())),
            }
        }
        for outcome in store.import_reports(&batch)? {
            match outcome {
                gongkai_store::ImportOutcome::Imported(_) => imported += 1,
                gongkai_store::ImportOutcome::Duplicate(_) => duplicates += 1,
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    for (name, reason) in &failed {
        eprintln!("未导入 {name}：{reason}");
    }
    let total = imported + duplicates + failed.len();
    println!(
        "导入 {imported} 份，重复 {duplicates} 份，失败 {} 份，共 {total} 个文件；用时 {seconds:.2} 秒（{:.0} 份/秒）",
        failed.len(),
        total as f64 / seconds.max(1e-9)
    );
    Ok(if failed.is_empty() { 0 } else { 2 })
}
