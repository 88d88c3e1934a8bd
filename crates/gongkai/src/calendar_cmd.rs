//! `gongkai calendar due|show`: the working-day calendar from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use gongkai_core::calendar::{Calendar, EntryKind};
use gongkai_core::date::Date;

#[derive(Subcommand)]
pub enum CalendarAction {
    /// 计算工作日期限：自 FROM（当日不计）起第 DAYS 个工作日，并说明跳过的节假日和调休上班日。
    ///
    /// Example: gongkai calendar due 2024-09-27 20
    ///          gongkai calendar due 2027-01-04 20 --calendar 节假日2027.txt --json
    #[command(verbatim_doc_comment)]
    Due {
        /// The day of the triggering event (receipt of the request …), YYYY-MM-DD; not counted
        from: String,
        /// Working days to count (20 for the reply period of 条例第三十三条)
        days: u32,
        /// Holiday data file extending or correcting the built-in data (format: see
        /// `gongkai calendar show YEAR --data`); env GONGKAI_CALENDAR
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
        /// Print the deadline as JSON (due date, skipped runs, make-up days, explanation)
        #[arg(long)]
        json: bool,
    },
    /// 列出某年的节假日安排（放假日期与调休上班日）。
    ///
    /// Example: gongkai calendar show 2024
    ///          gongkai calendar show 2025 --data >> 节假日.txt
    #[command(verbatim_doc_comment)]
    Show {
        year: i32,
        /// Holiday data file extending or correcting the built-in data; env GONGKAI_CALENDAR
        #[arg(long, env = "GONGKAI_CALENDAR")]
        calendar: Option<PathBuf>,
        /// Print the arrangement as JSON
        #[arg(long)]
        json: bool,
        /// Print the year in the holiday data-file format (to copy into an administrator's file)
        #[arg(long, conflicts_with = "json")]
        data: bool,
    },
}

/// The built-in calendar, extended with the administrator's file when one is given. `Err` is a
/// message for the user (exit status 2).
pub fn load_calendar(file: Option<&Path>) -> Result<Calendar, String> {
    let mut cal = Calendar::builtin();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("无法读取节假日数据文件{}：{e}", path.display()))?;
        cal.extend_with(&text)
            .map_err(|e| format!("节假日数据文件{}：{e}", path.display()))?;
    }
    Ok(cal)
}

pub fn run(action: CalendarAction, out: &mut impl Write) -> anyhow::Result<u8> {
    match action {
        CalendarAction::Due {
            from,
            days,
            calendar,
            json,
        } => {
            let cal = match load_calendar(calendar.as_deref()) {
                Ok(c) => c,
                Err(msg) => return fail(&msg),
            };
            let from = match Date::parse(from.trim()) {
                Ok(d) => d,
                Err(e) => return fail(&e.to_string()),
            };
            let deadline = match cal.add_working_days(from, days) {
                Ok(d) => d,
                Err(e) => return fail(&e.to_string()),
            };
            if json {
                let mut v = serde_json::to_value(&deadline)?;
                if let Some(obj) = v.as_object_mut() {
                    obj.insert(
                        "due_weekday".into(),
                        deadline.due.weekday().label_zh().into(),
                    );
                    obj.insert("explanation".into(), deadline.explain_zh().into());
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(
                    out,
                    "{}（{}）",
                    deadline.due,
                    deadline.due.weekday().label_zh()
                )?;
                writeln!(out, "{}", deadline.explain_zh())?;
            }
            Ok(0)
        }
        CalendarAction::Show {
            year,
            calendar,
            json,
            data,
        } => {
            let cal = match load_calendar(calendar.as_deref()) {
                Ok(c) => c,
                Err(msg) => return fail(&msg),
            };
            let Some(arrangement) = cal.arrangement(year) else {
                let known = cal.known_years();
                let range = match (known.first(), known.last()) {
                    (Some(a), Some(b)) => format!("（已有{a}—{b}年）"),
                    _ => String::new(),
                };
                return fail(&format!(
                    "{}{range}",
                    gongkai_core::calendar::CalendarError::UnknownYear(year)
                ));
            };
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(arrangement)?)?;
                return Ok(0);
            }
            if data {
                // The year alone, in the data-file format.
                let prefix = format!("{year} ");
                for line in cal.to_data_text().lines() {
                    if line.starts_with(&prefix) {
                        writeln!(out, "{line}")?;
                    }
                }
                return Ok(0);
            }
            writeln!(
                out,
                "{year}年节假日安排{}",
                arrangement
                    .notice
                    .as_deref()
                    .map(|n| format!("（{n}）"))
                    .unwrap_or_default()
            )?;
            writeln!(out, "放假：")?;
            for e in arrangement
                .entries
                .iter()
                .filter(|e| e.kind == EntryKind::Holiday)
            {
                let days = e.start.days_until(e.end) + 1;
                let span = if e.start == e.end {
                    format!("{}（{}）", e.start, e.start.weekday().label_zh())
                } else {
                    format!(
                        "{}（{}）至{}（{}）",
                        e.start,
                        e.start.weekday().label_zh(),
                        e.end,
                        e.end.weekday().label_zh()
                    )
                };
                writeln!(out, "  {span}  {}，共{days}天", e.name)?;
            }
            let workdays: Vec<_> = arrangement
                .entries
                .iter()
                .filter(|e| e.kind == EntryKind::Workday)
                .collect();
            writeln!(
                out,
                "调休上班：{}",
                if workdays.is_empty() { "无" } else { "" }
            )?;
            for e in workdays {
                writeln!(
                    out,
                    "  {}（{}）  {}",
                    e.start,
                    e.start.weekday().label_zh(),
                    e.name
                )?;
            }
            Ok(0)
        }
    }
}

/// Print an error for the user and return exit status 2.
fn fail(message: &str) -> anyhow::Result<u8> {
    eprintln!("错误：{message}");
    Ok(2)
}
