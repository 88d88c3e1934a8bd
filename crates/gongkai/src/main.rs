//! `gongkai` — the command line. Thin: parses flags, calls the libraries, prints.
//!
//! Exit status (the contract of `check`, used by every command that reads reports):
//! 0 — read, and no finding is an error; 1 — some finding is an error; 2 — an input could not
//! be read at all (missing file, binary junk) or the command line was wrong.

mod calendar_cmd;
mod eval;
mod register_cmd;
mod serve;

/// mimalloc: the reader allocates many small strings; this allocator makes parsing about 1.5×
/// faster than the system one (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use gongkai_core::{rules, Finding, Report, Severity};
use gongkai_ingest::Parsed;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gongkai",
    version,
    about = "gongkai（公开）：读取、检查、渲染政府信息公开工作年度报告",
    long_about = "gongkai（公开）：读取、检查、渲染政府信息公开工作年度报告。\n\
                  Reads 政府信息公开工作年度报告 as published (text in any flattening, HTML in UTF-8 or GBK,\n\
                  DOCX, XLSX; whole directories and ZIP archives, in parallel),\n\
                  checks them with named rules (勾稽关系, sums, structure, timeliness, cross-year, duplicated text)\n\
                  and renders them as JSON, Markdown or HTML.",
    after_help = "示例 / Examples:\n  gongkai parse 报告.txt --json\n  gongkai check samples/*.txt\n  gongkai check 2024年报/ 附件.zip\n  gongkai render 报告.html --to html > 报告.html\n  gongkai eval ../shared/corpus\n  gongkai serve --demo\n\n依申请公开登记 / Register:\n  gongkai calendar due 2024-09-27 20\n  gongkai calendar show 2025\n  gongkai request add --agency 示例县数据资源局 --applicant 张三 --type 自然人 --channel 网络 --received 2024-09-27 --description 2023年度部门预算\n  gongkai request event GK-2024-7F3K-9QXM-W2HT answer --outcome 予以公开 --at 2024-10-08\n  gongkai request show GK-2024-7F3K-9QXM-W2HT\n  gongkai request list --open\n  gongkai report --year 2024 --agency 示例县数据资源局 --to docx -o 2024年报.docx\n\n退出状态：0 无错误；1 有错误级别的检查结果（登记簿命令：不允许的办理环节）；2 有文件无法读取或输入有误。"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 解析报告，输出结构化结果（默认摘要，--json 输出 gongkai.report/1）。
    ///
    /// With one file, --json prints one JSON object; with several, one object per line (JSON Lines),
    /// each with "source". Example: gongkai parse a.txt b.html --json > reports.jsonl
    Parse {
        /// Report files, directories (walked recursively) or ZIP archives; text, HTML, DOCX,
        /// XLSX/XLS/ODS — the format is detected from the content, not the file name
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the report JSON (gongkai.report/1)
        #[arg(long)]
        json: bool,
    },
    /// 检查报告（勾稽关系、合计、结构、时效、跨年度结转、内容雷同），列出问题。
    ///
    /// Cross-year carry-over and near-duplicate text are checked across the files given together.
    /// Exit status: 0 no errors, 1 errors found, 2 a file could not be read.
    /// Example: gongkai check 2023/*.txt 2024/*.txt --json
    Check {
        /// Report files, directories or ZIP archives (as for `parse`)
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print findings as JSON Lines ({"source","rule","severity","message","cells","expected","found"})
        #[arg(long)]
        json: bool,
    },
    /// 将一份报告渲染为 JSON、Markdown 或 HTML（官方表格版式，问题单元格高亮）。
    ///
    /// Example: gongkai render 报告.txt --to html > 报告.html
    ///          gongkai render 报告.txt --to docx > 报告.docx
    Render {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        to: Format,
    },
    /// 用标注文件衡量解析准确率（按表统计单元格准确率）。
    ///
    /// CORPUS is a directory with dev/labels/*.json, dev/reports/ and seeds/
    /// (e.g. ../shared/corpus). Example: gongkai eval ../shared/corpus --verbose
    Eval {
        corpus: PathBuf,
        /// List every mismatch
        #[arg(long)]
        verbose: bool,
        /// Print the figures as one JSON object
        #[arg(long)]
        json: bool,
        /// Input forms to measure, side by side: text (the files as they are), docx (each
        /// report written as a Word document in the official layout, then read back), pdf
        /// (that Word document printed to PDF by LibreOffice, then read back)
        #[arg(long, default_value = "text")]
        formats: String,
    },
    /// 列出全部检查规则及其含义。
    Rules,
    /// 启动政务公开监督中心（网页与 JSON API）。
    ///
    /// Example: gongkai serve --demo                     (embedded SQLite, sample reports, demo accounts)
    ///          gongkai serve --database gongkai.db --bind 0.0.0.0:8080
    ///          gongkai serve --database postgres://user:pass@localhost/gongkai
    Serve {
        /// SQLite file path (created if missing) or postgres:// URL
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// Import the bundled sample reports and create the demo accounts
        /// (admin/jiandu/chakan/xinxiyuan, password "demo"); with the default database, uses
        /// gongkai-demo.db
        #[arg(long)]
        demo: bool,
        /// Holiday data file adding a newly announced year (or correcting one) to the built-in
        /// working-day calendar; same format as `gongkai calendar show YEAR --data`
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
    },
    /// 将报告（文件、目录、ZIP 压缩包）导入监督中心的数据库。
    ///
    /// Example: gongkai import 2024年报/ --database gongkai.db
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        /// Agency name for reports that do not state their unit
        #[arg(long)]
        agency: Option<String>,
    },
    /// 管理用户账号。
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// 工作日历：计算法定期限（跳过节假日、计入调休上班日），查看某年节假日安排。
    ///
    /// Example: gongkai calendar due 2024-09-27 20
    ///          gongkai calendar show 2024
    #[command(verbatim_doc_comment)]
    Calendar {
        #[command(subcommand)]
        action: calendar_cmd::CalendarAction,
    },
    /// 依申请公开登记簿：登记申请、办理环节，查看与列出申请。
    ///
    /// Example: gongkai request add --agency 示例县数据资源局 --applicant 张三 --type 自然人 \
    ///              --received 2024-09-27 --description 2023年度部门预算
    ///          gongkai request event GK-2024-7F3K-9QXM-W2HT answer --outcome disclosed
    ///          gongkai request list --open
    #[command(verbatim_doc_comment)]
    Request {
        #[command(subcommand)]
        action: Box<register_cmd::RequestAction>,
    },
    /// 由登记簿生成本机关的年度报告（DOCX、HTML、JSON、Markdown 或 PDF），并检查勾稽关系。
    ///
    /// Tables 三 and 四 are counted from the register (requests received by Y-12-31, appeals),
    /// table 二 from the publication catalog and the figures entered for the year; the narrative
    /// is a draft with 【】 where the 信息员 completes it. Findings are printed on stderr; exit
    /// status 1 when one is an error.
    /// Example: gongkai report --year 2024 --agency 示例县数据资源局 -o 2024年报.docx
    ///          gongkai report --year 2024 --agency 示例县数据资源局 --to pdf -o 2024年报.pdf
    #[command(verbatim_doc_comment)]
    Report {
        /// The report year (2019 or later)
        #[arg(long)]
        year: i32,
        /// The agency, as named in the register
        #[arg(long)]
        agency: String,
        #[arg(long, value_enum, default_value_t = register_cmd::ReportFormat::Docx)]
        to: register_cmd::ReportFormat,
        /// Output file (default: stdout; binary formats need a file or a redirection)
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
        /// Also list the check findings in the document and mark their cells
        #[arg(long)]
        with_findings: bool,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// 新建用户：gongkai user add 用户名 --role admin（密码从终端或 GONGKAI_PASSWORD 读取）
    Add {
        username: String,
        /// admin、supervisor 或 viewer
        #[arg(long, default_value = "viewer")]
        role: String,
        /// 显示的姓名（默认同用户名）
        #[arg(long)]
        name: Option<String>,
        /// 单位范围：只能办理该单位及其下级单位的登记簿（单位名称，须已存在；管理员不可限定）
        #[arg(long)]
        agency: Option<String>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
    },
    /// 设置或取消单位范围：gongkai user scope 用户名 --agency 单位名称（不给 --agency 即取消，恢复全部单位）
    Scope {
        username: String,
        /// 单位名称（须已存在）；省略则取消单位范围
        #[arg(long)]
        agency: Option<String>,
        #[arg(long, env = "GONGKAI_DATABASE", default_value = "gongkai.db")]
        database: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Md,
    Html,
    /// A Word document in the official layout (binary: redirect to a file)
    Docx,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}

/// Read and parse one file, under the same read limits as a batch; `Err` carries a message
/// for the user.
fn parse_file(path: &Path) -> Result<Parsed, String> {
    let limits = gongkai_ingest::archive::Limits::default();
    let source = gongkai_ingest::archive::Source::File(path.to_path_buf());
    let bytes = source
        .bytes(&limits)
        .map_err(|e| format!("{}：{e}", path.display()))?;
    gongkai_ingest::parse_bytes(&bytes, Some(&path.display().to_string()))
        .map_err(|e| format!("{}：{e}", path.display()))
}

fn progress(len: usize) -> Option<indicatif::ProgressBar> {
    if len > 1 && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(len as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    }
}

/// Files that could not be read, with their reasons.
struct Failures(Vec<(String, String)>);

impl Failures {
    fn len(&self) -> usize {
        self.0.len()
    }

    /// One line per reason, most frequent first: "文件超过 50 MB 的读取上限 ×3".
    fn summary(&self) -> String {
        let mut by_reason: indexmap::IndexMap<&str, usize> = indexmap::IndexMap::new();
        for (_, reason) in &self.0 {
            *by_reason.entry(reason.as_str()).or_default() += 1;
        }
        let mut v: Vec<(&str, usize)> = by_reason.into_iter().collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.1));
        v.iter()
            .map(|(r, n)| format!("{r} ×{n}"))
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// Parse files, directory trees and ZIP archives in parallel on all cores, reporting
/// unreadable inputs on stderr; results come back in input order.
fn parse_all(paths: &[PathBuf]) -> (Vec<Parsed>, Failures) {
    use rayon::prelude::*;
    let limits = gongkai_ingest::archive::Limits::default();
    let (sources, skipped) = gongkai_ingest::archive::collect(paths, &limits);
    let bar = progress(sources.len());
    let results: Vec<Result<Parsed, (String, String)>> = sources
        .par_iter()
        .map(|s| {
            let name = s.name();
            let r = s
                .bytes(&limits)
                .and_then(|b| {
                    gongkai_ingest::parse_bytes(&b, Some(&name)).map_err(|e| e.to_string())
                })
                .map_err(|reason| (name, reason));
            if let Some(b) = &bar {
                b.inc(1);
            }
            r
        })
        .collect();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut failures: Vec<(String, String)> =
        skipped.into_iter().map(|s| (s.name, s.reason)).collect();
    let mut parsed = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(p) => parsed.push(p),
            Err(f) => failures.push(f),
        }
    }
    for (name, reason) in &failures {
        eprintln!("错误：{name}：{reason}");
    }
    if !failures.is_empty() && parsed.len() + failures.len() > 1 {
        eprintln!(
            "读取 {} 个文件：成功 {} 个，失败 {} 个（{}）",
            parsed.len() + failures.len(),
            parsed.len(),
            failures.len(),
            Failures(failures.clone()).summary()
        );
    }
    (parsed, Failures(failures))
}

fn all_findings(parsed: &Parsed) -> Vec<Finding> {
    let mut f = parsed.findings.clone();
    f.extend(rules::check(&parsed.report));
    f
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Serve {
            database,
            bind,
            demo,
            calendar,
        } => {
            drop(out);
            let database = if demo && database == "gongkai.db" {
                "gongkai-demo.db".to_string()
            } else {
                database
            };
            serve::serve(&database, bind, demo, calendar.as_deref())
        }
        Command::Import {
            files,
            database,
            agency,
        } => {
            drop(out);
            serve::import(&database, &files, agency.as_deref())
        }
        Command::User {
            action:
                UserAction::Add {
                    username,
                    role,
                    name,
                    agency,
                    database,
                },
        } => {
            drop(out);
            serve::add_user(
                &database,
                &username,
                name.as_deref(),
                &role,
                agency.as_deref(),
            )
        }
        Command::User {
            action:
                UserAction::Scope {
                    username,
                    agency,
                    database,
                },
        } => {
            drop(out);
            serve::set_user_scope(&database, &username, agency.as_deref())
        }
        Command::Calendar { action } => calendar_cmd::run(action, &mut out),
        Command::Request { action } => register_cmd::run(*action, &mut out),
        Command::Report {
            year,
            agency,
            to,
            output,
            database,
            with_findings,
        } => register_cmd::report(
            register_cmd::ReportArgs {
                year,
                agency,
                to,
                output,
                database,
                with_findings,
            },
            &mut out,
        ),
        Command::Parse { files, json } => {
            let (parsed, failures) = parse_all(&files);
            let failed = failures.len();
            let mut any_error = false;
            // Checking and serialising run on all cores too; output keeps input order.
            let pretty = files.len() == 1;
            let rendered: Vec<(bool, String)> = {
                use rayon::prelude::*;
                parsed
                    .par_iter()
                    .map(|p| {
                        let findings = all_findings(p);
                        let text = if json {
                            gongkai_render::to_json_string(&p.report, pretty)
                        } else {
                            summary(&p.report, &findings)
                        };
                        (rules::has_error(&findings), text)
                    })
                    .collect()
            };
            for (error, text) in rendered {
                any_error |= error;
                writeln!(out, "{text}")?;
            }
            Ok(exit_code(failed, any_error))
        }
        Command::Check { files, json } => {
            let (parsed, failures) = parse_all(&files);
            let failed = failures.len();
            let mut findings: Vec<Finding> = {
                use rayon::prelude::*;
                let per_report: Vec<Vec<Finding>> = parsed.par_iter().map(all_findings).collect();
                per_report.into_iter().flatten().collect()
            };
            let reports: Vec<Report> = parsed.iter().map(|p| p.report.clone()).collect();
            findings.extend(rules::check_across(&reports));
            let any_error = rules::has_error(&findings);
            if json {
                for f in &findings {
                    writeln!(out, "{}", serde_json::to_string(f)?)?;
                }
            } else {
                print_findings(&mut out, &parsed, &findings)?;
                let (errors, warnings) = count_errors_warnings(&findings);
                writeln!(
                    out,
                    "共检查 {} 份报告（{} 份无法读取{}）：错误 {errors} 条，警告 {warnings} 条。",
                    parsed.len() + failed,
                    failed,
                    if failed > 0 {
                        format!("：{}", failures.summary())
                    } else {
                        String::new()
                    }
                )?;
            }
            Ok(exit_code(failed, any_error))
        }
        Command::Render { file, to } => {
            let parsed = match parse_file(&file) {
                Ok(p) => p,
                Err(msg) => {
                    eprintln!("错误：{msg}");
                    return Ok(2);
                }
            };
            let findings = all_findings(&parsed);
            let s = match to {
                Format::Json => gongkai_render::to_json_string(&parsed.report, true),
                Format::Md => gongkai_render::to_markdown(&parsed.report, &findings),
                Format::Html => gongkai_render::to_html(&parsed.report, &findings),
                Format::Docx => {
                    if std::io::stdout().is_terminal() {
                        eprintln!("错误：DOCX 是二进制文件，请重定向到文件：gongkai render 报告.txt --to docx > 报告.docx");
                        return Ok(2);
                    }
                    out.write_all(&gongkai_render::to_docx(&parsed.report, &findings))?;
                    return Ok(exit_code(0, rules::has_error(&findings)));
                }
            };
            writeln!(out, "{s}")?;
            Ok(exit_code(0, rules::has_error(&findings)))
        }
        Command::Eval {
            corpus,
            verbose,
            json,
            formats,
        } => {
            let mut results: Vec<(String, eval::Evaluation)> = Vec::new();
            for format in formats.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                let ev = match format {
                    "text" => eval::evaluate(&corpus, &|p| {
                        parse_file(p).ok().map(|parsed| {
                            let f = all_findings(&parsed);
                            (parsed.report, f)
                        })
                    }),
                    "docx" => eval::evaluate(&corpus, &|p| {
                        let docx = eval::as_docx(p)?;
                        let parsed =
                            gongkai_ingest::parse_bytes(&docx, Some(&p.display().to_string()))
                                .ok()?;
                        let f = all_findings(&parsed);
                        Some((parsed.report, f))
                    }),
                    "pdf" => {
                        let pdfs = eval::as_pdfs(&corpus)?;
                        eval::evaluate(&corpus, &|p| {
                            let bytes = pdfs.get(p)?;
                            let parsed =
                                gongkai_ingest::parse_bytes(bytes, Some(&p.display().to_string()))
                                    .ok()?;
                            let f = all_findings(&parsed);
                            Some((parsed.report, f))
                        })
                    }
                    other => anyhow::bail!("未知格式 {other}（可用：text, docx, pdf）"),
                }
                .with_context(|| format!("评估语料 {}", corpus.display()))?;
                results.push((format.to_string(), ev));
            }
            if json {
                let obj: serde_json::Map<String, serde_json::Value> = results
                    .iter()
                    .map(|(f, ev)| (f.clone(), eval::to_json(ev)))
                    .collect();
                let v = if results.len() == 1 {
                    eval::to_json(&results[0].1)
                } else {
                    serde_json::Value::Object(obj)
                };
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else if results.len() == 1 {
                drop(out);
                eval::print(&results[0].1, verbose);
            } else {
                drop(out);
                eval::print_side_by_side(&results);
            }
            Ok(0)
        }
        Command::Rules => {
            for (id, sev, desc) in rules::RULES {
                writeln!(out, "{id:<32} {:<4} {desc}", sev.label_zh())?;
            }
            Ok(0)
        }
    }
}

fn exit_code(failed: usize, any_error: bool) -> u8 {
    if failed > 0 {
        2
    } else if any_error {
        1
    } else {
        0
    }
}

/// How many findings are errors and how many warnings.
fn count_errors_warnings(findings: &[Finding]) -> (usize, usize) {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (count(Severity::Error), count(Severity::Warning))
}

fn summary(r: &Report, findings: &[Finding]) -> String {
    let (errors, warnings) = count_errors_warnings(findings);
    format!(
        "{}\n  机关：{}\n  年度：{}\n  格式：{}\n  发布日期：{}\n  章节：{}\n  表格：{}{}{}{}\n  检查：错误 {errors} 条，警告 {warnings} 条",
        r.source.as_deref().unwrap_or("-"),
        r.agency.as_deref().unwrap_or("（未识别）"),
        r.year.map_or("（未识别）".into(), |y| y.to_string()),
        r.generation.as_str(),
        r.published_on.as_deref().unwrap_or("（未识别）"),
        if r.sections.is_empty() { "（无）".into() } else { r.sections.join(" ") },
        if r.proactive.is_some() { "表二 " } else { "" },
        if r.requests.is_some() { "表三 " } else { "" },
        if r.reviews.is_some() { "表四 " } else { "" },
        if r.statistics_2014.is_some() { "统计表" } else { "" },
    )
}

fn print_findings(
    out: &mut impl Write,
    parsed: &[Parsed],
    findings: &[Finding],
) -> std::io::Result<()> {
    for p in parsed {
        let src = p.report.source.as_deref();
        let mine: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.source.as_deref() == src)
            .collect();
        let shown: Vec<&&Finding> = mine
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .collect();
        writeln!(
            out,
            "{}（{}）",
            src.unwrap_or("-"),
            p.report.agency.as_deref().unwrap_or("机关未识别")
        )?;
        if shown.is_empty() {
            writeln!(out, "  未发现问题")?;
        }
        for f in shown {
            writeln!(
                out,
                "  [{}] {} {}",
                f.severity.label_zh(),
                f.rule,
                f.message
            )?;
            if !f.cells.is_empty() {
                writeln!(out, "        单元格：{}", f.cells.join(" "))?;
            }
        }
    }
    Ok(())
}
