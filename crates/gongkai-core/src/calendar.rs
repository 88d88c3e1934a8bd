//! The Chinese working-day calendar: statutory holidays and 调休 make-up working days as data,
//! and counting of working days (工作日) for statutory deadlines.
//!
//! # Data
//!
//! Every year the General Office of the State Council announces the next year's holiday
//! arrangement (《关于某年部分节假日安排的通知》): which days are off (放假) and which weekend
//! days become working days (调休上班). That arrangement is data, in
//! `data/holidays-cn.txt` (format documented in the file header), compiled into the program
//! ([`Calendar::builtin`], notice years 2008–2026). An administrator extends or corrects it
//! without a new release by loading a file in the same format ([`Calendar::extend_with`]): a
//! year present in that file replaces the built-in arrangement of that year.
//!
//! A year is *known* when its notice is in the data. Asking about any date of an unknown year is
//! an error ([`CalendarError::UnknownYear`]), never a guess from weekends alone: a deadline that
//! runs into a year whose arrangement has not been loaded cannot be computed until it is.
//! (Caveat: the last days of December can be changed by the *next* year's notice — 2018-12-31
//! was a day off under the 2019 notice. Those entries take effect once the next year is loaded.)
//!
//! # Working days
//!
//! A day is a working day when it is a make-up working day (调休上班), or when it is Monday to
//! Friday and not a holiday. Saturdays, Sundays and announced holidays are not working days.
//!
//! # Counting convention (applied everywhere in gongkai)
//!
//! 《政府信息公开条例》 Art. 33 sets the reply period as "收到申请之日起20个工作日内"; Art. 30
//! (补正 within 7 working days), Art. 32 (third party 15 working days) and 国办函〔2020〕109号
//! (payment within 20 working days) are worded the same way. gongkai follows the common
//! administrative practice (and the rule of 《民法典》 Art. 201 for periods counted in days):
//!
//! * the day of the triggering event (receipt of the request, of the corrected request, of the
//!   fee notice …) is **not counted**;
//! * counting starts on the **next working day**, which is working day 1;
//! * "within N working days" ends on the **N-th working day after** the event — that day is the
//!   last day of the period (the due date), inclusive;
//! * an event on a non-working day (e.g. an online request submitted on 国庆节) keeps its date
//!   (Art. 31 fixes the receipt date by channel), and counting starts on the first working day
//!   after it;
//! * 0 working days means "on the day" (当场答复): the due date is the event day itself.
//!
//! That the day after receipt is day 1 is practice, not a rule stated in the 条例 (the spec marks
//! it **unconfirmed** as law); it is the single convention implemented by
//! [`Calendar::add_working_days`] and [`Calendar::working_days_between`], which every other
//! module uses.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::date::{Date, DateError, Weekday};

/// The built-in holiday data (see the file header for the format).
pub const BUILTIN_DATA: &str = include_str!("../data/holidays-cn.txt");

/// Errors of the calendar: an unknown year, or a malformed data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The calendar has no holiday arrangement for this year.
    #[error("工作日历中没有{0}年的节假日安排，无法计算工作日；请管理员在节假日数据文件中补充国务院公布的{0}年安排")]
    UnknownYear(i32),
    /// A line of a holiday data file is malformed.
    #[error("节假日数据第{line}行：{message}")]
    Parse { line: usize, message: String },
    /// Date arithmetic left the supported range.
    #[error("{0}")]
    Date(#[from] DateError),
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// Monday–Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not a make-up working day.
    Weekend,
    /// An announced day off (放假), with the holiday's name.
    Holiday { name: String },
    /// A weekend day declared a working day (调休上班), with the reason.
    MakeUpWorkday { name: String },
}

impl DayKind {
    pub fn is_working_day(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday { .. })
    }
}

/// Kind of a data line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Holiday,
    Workday,
}

/// One `holiday` or `workday` line of the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The notice (arrangement) year the line belongs to.
    pub year: i32,
    pub kind: EntryKind,
    pub start: Date,
    /// Same as `start` for a single day.
    pub end: Date,
    pub name: String,
}

/// The arrangement of one notice year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearArrangement {
    pub year: i32,
    /// The notice cited by a `notice` line, if any.
    pub notice: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DayInfo {
    kind: EntryKind,
    name: String,
    year: i32,
}

/// The working-day calendar. Cheap to clone; build once and share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearArrangement>,
    days: HashMap<i64, DayInfo>,
}

/// A run of consecutive non-working days skipped while counting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRun {
    pub start: Date,
    pub end: Date,
    pub days: u32,
    /// Names of the holidays in the run (empty for an ordinary weekend).
    pub holidays: Vec<String>,
}

/// A make-up working day (调休上班) that was counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakeUpDay {
    pub date: Date,
    pub weekday: Weekday,
    pub name: String,
}

/// The result of counting working days: the due date and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The day of the triggering event (not counted).
    pub from: Date,
    /// How many working days were counted.
    pub working_days: u32,
    /// The last day of the period (the N-th working day after `from`).
    pub due: Date,
    /// Non-working days between `from` (exclusive) and `due`, as runs.
    pub skipped: Vec<SkippedRun>,
    /// Make-up working days counted on the way.
    pub make_up_days: Vec<MakeUpDay>,
    /// When `from` itself is not a working day: what it is (e.g. a holiday).
    pub from_kind: DayKind,
}

impl Deadline {
    /// The explanation in Chinese, e.g.
    /// `自2024-09-27（星期五，当日不计）起算20个工作日，截止2024-10-30（星期三）。跳过法定节假日：
    /// 2024-10-01至2024-10-07（国庆节）；跳过周末5天；计入调休上班日：2024-09-29（星期日，国庆节调休）、……。`
    pub fn explain_zh(&self) -> String {
        let mut s = String::new();
        if self.working_days == 0 {
            return format!(
                "当场办理：期限为{}（{}）当日。",
                self.from,
                self.from.weekday().label_zh()
            );
        }
        let from_note = match &self.from_kind {
            DayKind::Holiday { name } => format!("，{name}假期，当日不计，自其后第一个工作日起算"),
            DayKind::Weekend => "，周末，当日不计，自其后第一个工作日起算".to_string(),
            _ => "，当日不计".to_string(),
        };
        s.push_str(&format!(
            "自{}（{}{}）起算{}个工作日，截止{}（{}）。",
            self.from,
            self.from.weekday().label_zh(),
            from_note,
            self.working_days,
            self.due,
            self.due.weekday().label_zh()
        ));
        let holidays: Vec<String> = self
            .skipped
            .iter()
            .filter(|r| !r.holidays.is_empty())
            .map(|r| {
                let span = if r.start == r.end {
                    r.start.to_string()
                } else {
                    format!("{}至{}", r.start, r.end)
                };
                format!("{span}（{}）", r.holidays.join("、"))
            })
            .collect();
        if !holidays.is_empty() {
            s.push_str(&format!("跳过法定节假日：{}；", holidays.join("、")));
        }
        let weekend_days: u32 = self
            .skipped
            .iter()
            .filter(|r| r.holidays.is_empty())
            .map(|r| r.days)
            .sum();
        if weekend_days > 0 {
            s.push_str(&format!("跳过周末{weekend_days}天；"));
        }
        if !self.make_up_days.is_empty() {
            let days: Vec<String> = self
                .make_up_days
                .iter()
                .map(|m| format!("{}（{}，{}）", m.date, m.weekday.label_zh(), m.name))
                .collect();
            s.push_str(&format!("计入调休上班日：{}；", days.join("、")));
        }
        if s.ends_with('；') {
            s.pop();
            s.push('。');
        }
        s
    }

    /// The same explanation in English.
    pub fn explain_en(&self) -> String {
        if self.working_days == 0 {
            return format!("On the spot: due on {} itself.", self.from);
        }
        let mut parts = vec![format!(
            "{} working days from {} (not counted), due {} ({})",
            self.working_days,
            self.from,
            self.due,
            self.due.weekday().label_en()
        )];
        for r in &self.skipped {
            if !r.holidays.is_empty() {
                parts.push(format!(
                    "skipping {}..{} ({})",
                    r.start,
                    r.end,
                    r.holidays.join(", ")
                ));
            }
        }
        let weekend_days: u32 = self
            .skipped
            .iter()
            .filter(|r| r.holidays.is_empty())
            .map(|r| r.days)
            .sum();
        if weekend_days > 0 {
            parts.push(format!("skipping {weekend_days} weekend days"));
        }
        for m in &self.make_up_days {
            parts.push(format!(
                "counting {} ({}, make-up working day: {})",
                m.date,
                m.weekday.label_en(),
                m.name
            ));
        }
        parts.join(", ") + "."
    }
}

fn parse_err(line: usize, message: impl Into<String>) -> CalendarError {
    CalendarError::Parse {
        line,
        message: message.into(),
    }
}

fn parse_data(text: &str) -> Result<BTreeMap<i32, YearArrangement>, CalendarError> {
    let mut years: BTreeMap<i32, YearArrangement> = BTreeMap::new();
    // (notice year, date) → (kind, line) for conflict detection within one notice.
    let mut seen: HashMap<(i32, i64), (EntryKind, usize)> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        let content = content.trim_start_matches('\u{feff}');
        if content.is_empty() {
            continue;
        }
        let mut fields = content.split_whitespace();
        let (Some(year), Some(kind)) = (fields.next(), fields.next()) else {
            return Err(parse_err(
                line_no,
                format!("“{content}”不完整，应为“年份 holiday|workday|notice …”"),
            ));
        };
        let year: i32 = match year.parse() {
            Ok(y) if (1900..=9999).contains(&y) => y,
            _ => {
                return Err(parse_err(
                    line_no,
                    format!("“{year}”不是有效的年份（应为四位数字）"),
                ))
            }
        };
        let rest: Vec<&str> = fields.collect();
        let arrangement = years.entry(year).or_insert_with(|| YearArrangement {
            year,
            ..YearArrangement::default()
        });
        let kind = match kind {
            "notice" => {
                if rest.is_empty() {
                    return Err(parse_err(line_no, "notice 行缺少通知名称"));
                }
                arrangement.notice = Some(rest.join(" "));
                continue;
            }
            "holiday" => EntryKind::Holiday,
            "workday" => EntryKind::Workday,
            other => {
                return Err(parse_err(
                    line_no,
                    format!(
                        "未知的类型“{other}”，只能是 holiday（放假）、workday（调休上班）或 notice"
                    ),
                ))
            }
        };
        let Some(span) = rest.first() else {
            return Err(parse_err(line_no, "缺少日期"));
        };
        let name = rest[1..].join(" ");
        if name.is_empty() {
            return Err(parse_err(line_no, "缺少节日名称"));
        }
        let (a, b) = match span.split_once("..") {
            Some((a, b)) => (a, b),
            None => (*span, *span),
        };
        let start = Date::parse(a).map_err(|e| parse_err(line_no, e.to_string()))?;
        let end = Date::parse(b).map_err(|e| parse_err(line_no, e.to_string()))?;
        if end < start {
            return Err(parse_err(
                line_no,
                format!("日期范围{start}..{end}的结束日早于开始日"),
            ));
        }
        let len = start.days_until(end) + 1;
        if len > 31 {
            return Err(parse_err(
                line_no,
                format!("日期范围{start}..{end}长达{len}天，不像节假日安排，请检查"),
            ));
        }
        for d in [start, end] {
            let ok = d.year() == year || (d.year() == year - 1 && d.month() == 12);
            if !ok {
                return Err(parse_err(
                    line_no,
                    format!(
                        "日期{d}不属于{year}年的节假日安排（只能是{year}年或{}年12月的日期）",
                        year - 1
                    ),
                ));
            }
        }
        if kind == EntryKind::Workday {
            if start != end {
                return Err(parse_err(line_no, "调休上班日（workday）每行只能写一天"));
            }
            if !start.weekday().is_weekend() {
                return Err(parse_err(
                    line_no,
                    format!(
                        "调休上班日{start}是{}，不是周六或周日",
                        start.weekday().label_zh()
                    ),
                ));
            }
        }
        let mut d = start;
        loop {
            if let Some((prev_kind, prev_line)) =
                seen.insert((year, d.days_since_epoch()), (kind, line_no))
            {
                let msg = if prev_kind == kind {
                    format!("{d}已在第{prev_line}行列出")
                } else {
                    format!("{d}在第{prev_line}行与本行中既是放假日又是上班日")
                };
                return Err(parse_err(line_no, msg));
            }
            if d == end {
                break;
            }
            d = d.succ()?;
        }
        arrangement.entries.push(Entry {
            year,
            kind,
            start,
            end,
            name,
        });
    }
    Ok(years)
}

impl FromStr for Calendar {
    type Err = CalendarError;
    /// A calendar holding exactly the years of `text` (holiday data format).
    fn from_str(text: &str) -> Result<Calendar, CalendarError> {
        let mut cal = Calendar {
            years: parse_data(text)?,
            days: HashMap::new(),
        };
        cal.rebuild();
        Ok(cal)
    }
}

impl Calendar {
    /// The built-in national calendar (notice years 2008–2026), parsed once per process.
    pub fn builtin() -> Calendar {
        static BUILTIN: OnceLock<Calendar> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The built-in file is checked by the tests; an empty calendar (every date an
                // UnknownYear error) is the safe fallback should it ever be malformed.
                BUILTIN_DATA.parse().unwrap_or_default()
            })
            .clone()
    }

    /// An empty calendar (knows no year).
    pub fn empty() -> Calendar {
        Calendar::default()
    }

    /// Add the years of an administrator's data file (same format as the built-in file). A
    /// year present in `text` replaces this calendar's arrangement of that year entirely.
    /// Returns the years added or replaced. On error nothing changes.
    pub fn extend_with(&mut self, text: &str) -> Result<Vec<i32>, CalendarError> {
        let other: Calendar = text.parse()?;
        Ok(self.merge(other))
    }

    /// Like [`Calendar::extend_with`] for an already parsed calendar.
    pub fn merge(&mut self, other: Calendar) -> Vec<i32> {
        let years: Vec<i32> = other.years.keys().copied().collect();
        self.years.extend(other.years);
        self.rebuild();
        years
    }

    fn rebuild(&mut self) {
        self.days.clear();
        // Ascending notice years: a later notice's entry for the same date wins.
        for arrangement in self.years.values() {
            for e in &arrangement.entries {
                let (a, b) = (e.start.days_since_epoch(), e.end.days_since_epoch());
                for day in a..=b {
                    self.days.insert(
                        day,
                        DayInfo {
                            kind: e.kind,
                            name: e.name.clone(),
                            year: e.year,
                        },
                    );
                }
            }
        }
    }

    /// Notice years the calendar knows, ascending.
    pub fn known_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether dates of `year` can be answered.
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The arrangement of a notice year.
    pub fn arrangement(&self, year: i32) -> Option<&YearArrangement> {
        self.years.get(&year)
    }

    /// The calendar in the data-file format (for an administrator to review or edit).
    pub fn to_data_text(&self) -> String {
        let mut out = String::new();
        for a in self.years.values() {
            if let Some(n) = &a.notice {
                out.push_str(&format!("{} notice {}\n", a.year, n));
            }
            for e in &a.entries {
                let kind = match e.kind {
                    EntryKind::Holiday => "holiday",
                    EntryKind::Workday => "workday",
                };
                let span = if e.start == e.end {
                    e.start.to_string()
                } else {
                    format!("{}..{}", e.start, e.end)
                };
                out.push_str(&format!("{} {kind} {span} {}\n", a.year, e.name));
            }
            out.push('\n');
        }
        out
    }

    /// What kind of day `date` is, or [`CalendarError::UnknownYear`].
    pub fn day_kind(&self, date: Date) -> Result<DayKind, CalendarError> {
        let year = date.year();
        // A date is answerable only when the arrangement of its own year is loaded.
        if !self.knows_year(year) {
            return Err(CalendarError::UnknownYear(year));
        }
        let info = self.days.get(&date.days_since_epoch());
        Ok(match info {
            Some(DayInfo {
                kind: EntryKind::Holiday,
                name,
                ..
            }) => DayKind::Holiday { name: name.clone() },
            Some(DayInfo {
                kind: EntryKind::Workday,
                name,
                ..
            }) => DayKind::MakeUpWorkday { name: name.clone() },
            None if date.weekday().is_weekend() => DayKind::Weekend,
            None => DayKind::Workday,
        })
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        Ok(self.day_kind(date)?.is_working_day())
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: Date) -> Result<Date, CalendarError> {
        Ok(self.add_working_days(date, 1)?.due)
    }

    /// The `n`-th working day after `from` (the counting convention of the module docs), with
    /// the explanation. `n == 0` gives `from` itself.
    pub fn add_working_days(&self, from: Date, n: u32) -> Result<Deadline, CalendarError> {
        let from_kind = self.day_kind(from)?;
        let mut deadline = Deadline {
            from,
            working_days: n,
            due: from,
            skipped: Vec::new(),
            make_up_days: Vec::new(),
            from_kind,
        };
        let mut counted = 0u32;
        let mut d = from;
        let mut run: Option<SkippedRun> = None;
        while counted < n {
            d = d.succ()?;
            match self.day_kind(d)? {
                DayKind::Workday => {
                    counted += 1;
                    deadline.skipped.extend(run.take());
                }
                DayKind::MakeUpWorkday { name } => {
                    counted += 1;
                    deadline.skipped.extend(run.take());
                    deadline.make_up_days.push(MakeUpDay {
                        date: d,
                        weekday: d.weekday(),
                        name,
                    });
                }
                kind => {
                    let r = run.get_or_insert_with(|| SkippedRun {
                        start: d,
                        end: d,
                        days: 0,
                        holidays: Vec::new(),
                    });
                    r.end = d;
                    r.days += 1;
                    if let DayKind::Holiday { name } = kind {
                        if !r.holidays.contains(&name) {
                            r.holidays.push(name);
                        }
                    }
                }
            }
        }
        deadline.due = d;
        Ok(deadline)
    }

    /// Number of working days `d` with `after < d <= through` (0 when `through <= after`).
    /// With the module's convention this is "how many working days of a period starting the
    /// day after `after` have elapsed by the end of `through`".
    pub fn working_days_between(&self, after: Date, through: Date) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut d = after;
        while d < through {
            d = d.succ()?;
            if self.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::builtin()
    }

    fn due(from: &str, n: u32) -> Date {
        cal().add_working_days(d(from), n).unwrap().due
    }

    #[test]
    fn builtin_data_parses_and_covers_2008_to_2026() {
        let parsed: Result<Calendar, _> = BUILTIN_DATA.parse();
        assert!(parsed.is_ok(), "{:?}", parsed.err());
        let years = cal().known_years();
        assert_eq!(years, (2008..=2026).collect::<Vec<_>>());
        assert_eq!(
            cal().is_working_day(d("2027-01-04")),
            Err(CalendarError::UnknownYear(2027))
        );
        assert_eq!(
            cal().is_working_day(d("2007-06-01")),
            Err(CalendarError::UnknownYear(2007))
        );
        let msg = CalendarError::UnknownYear(2027).to_string();
        assert!(msg.contains("2027年") && msg.contains("管理员"), "{msg}");
    }

    #[test]
    fn every_year_has_the_seven_festivals() {
        // A sanity check of the data: every notice year names 元旦, 春节, 国庆节 and (from 2008)
        // 清明节, 劳动节, 端午节, 中秋节 (2009/2012/2017/2020/2023/2025 combine 中秋 and 国庆).
        let c = cal();
        for y in 2008..=2026 {
            let a = c.arrangement(y).unwrap();
            let names: String = a.entries.iter().map(|e| e.name.as_str()).collect();
            for festival in [
                "元旦",
                "春节",
                "清明节",
                "劳动节",
                "端午节",
                "中秋节",
                "国庆节",
            ] {
                assert!(names.contains(festival), "{y} lacks {festival}");
            }
        }
    }

    #[test]
    fn day_kinds() {
        let c = cal();
        assert_eq!(
            c.day_kind(d("2024-10-01")).unwrap(),
            DayKind::Holiday {
                name: "国庆节".into()
            }
        );
        assert_eq!(
            c.day_kind(d("2024-10-12")).unwrap(),
            DayKind::MakeUpWorkday {
                name: "国庆节调休".into()
            }
        );
        assert_eq!(c.day_kind(d("2024-10-13")).unwrap(), DayKind::Weekend);
        assert_eq!(c.day_kind(d("2024-10-14")).unwrap(), DayKind::Workday);
        // 2018-12-31 (Monday) was a day off under the 2019 notice.
        assert!(!c.is_working_day(d("2018-12-31")).unwrap());
        // 2018-12-29 (Saturday) was a working day under the 2019 notice.
        assert!(c.is_working_day(d("2018-12-29")).unwrap());
        // 2011-12-31 (Saturday) was a working day under the 2012 notice.
        assert!(c.is_working_day(d("2011-12-31")).unwrap());
        // 2020-02-01 (Saturday): the original make-up day, cancelled by the extension.
        assert!(!c.is_working_day(d("2020-02-01")).unwrap());
        assert!(!c.is_working_day(d("2020-01-31")).unwrap());
        // 2015-09-03 抗战胜利70周年纪念日.
        assert!(!c.is_working_day(d("2015-09-03")).unwrap());
        assert!(c.is_working_day(d("2015-09-06")).unwrap());
    }

    #[test]
    fn zero_and_one_working_days() {
        assert_eq!(due("2024-09-27", 0), d("2024-09-27"));
        // Friday → next working day is Sunday 09-29 (调休上班).
        assert_eq!(due("2024-09-27", 1), d("2024-09-29"));
        assert_eq!(
            cal().next_working_day(d("2024-09-30")).unwrap(),
            d("2024-10-08")
        );
    }

    #[test]
    fn the_example_of_the_issue() {
        // Received Friday 2024-09-27 (not counted).
        // 09-28 Sat off; 09-29 Sun 调休上班 = day 1; 09-30 Mon = 2;
        // 10-01..10-07 国庆节 skipped; 10-08 Tue = 3, 10-09 = 4, 10-10 = 5, 10-11 = 6;
        // 10-12 Sat 调休上班 = 7; 10-13 Sun off; 10-14..18 = 8..12; 10-19/20 weekend;
        // 10-21..25 = 13..17; 10-26/27 weekend; 10-28 = 18, 10-29 = 19, 10-30 Wed = 20.
        let dl = cal().add_working_days(d("2024-09-27"), 20).unwrap();
        assert_eq!(dl.due, d("2024-10-30"));
        assert_eq!(dl.make_up_days.len(), 2);
        assert_eq!(dl.make_up_days[0].date, d("2024-09-29"));
        assert_eq!(dl.make_up_days[1].date, d("2024-10-12"));
        let holiday_runs: Vec<&SkippedRun> = dl
            .skipped
            .iter()
            .filter(|r| !r.holidays.is_empty())
            .collect();
        assert_eq!(holiday_runs.len(), 1);
        assert_eq!(
            (holiday_runs[0].start, holiday_runs[0].end),
            (d("2024-10-01"), d("2024-10-07"))
        );
        let zh = dl.explain_zh();
        assert!(zh.contains("自2024-09-27"), "{zh}");
        assert!(zh.contains("截止2024-10-30（星期三）"), "{zh}");
        assert!(zh.contains("2024-10-01至2024-10-07（国庆节）"), "{zh}");
        assert!(zh.contains("2024-10-12（星期六，国庆节调休）"), "{zh}");
        // weekend days skipped: 09-28, 10-13, 10-19, 10-20, 10-26, 10-27.
        assert!(zh.contains("跳过周末6天"), "{zh}");
        let en = dl.explain_en();
        assert!(en.contains("skipping 2024-10-01..2024-10-07"), "{en}");
        assert!(en.contains("counting 2024-10-12"), "{en}");
    }

    #[test]
    fn holiday_receipt_keeps_date_and_counts_from_next_working_day() {
        // Received online on 2024-10-03 (国庆节). Day 1 = 10-08 (Tue), 10-09 = 2, 10-10 = 3,
        // 10-11 = 4, 10-12 (Sat, 调休) = 5.
        let dl = cal().add_working_days(d("2024-10-03"), 5).unwrap();
        assert_eq!(dl.due, d("2024-10-12"));
        assert_eq!(
            dl.from_kind,
            DayKind::Holiday {
                name: "国庆节".into()
            }
        );
        assert!(dl.explain_zh().contains("国庆节假期，当日不计"));
    }

    #[test]
    fn working_days_between_counts_after_through() {
        let c = cal();
        // (2024-09-27, 2024-10-12]: 09-29, 09-30, 10-08..10-11 (4), 10-12 → 7.
        assert_eq!(
            c.working_days_between(d("2024-09-27"), d("2024-10-12"))
                .unwrap(),
            7
        );
        assert_eq!(
            c.working_days_between(d("2024-10-12"), d("2024-10-12"))
                .unwrap(),
            0
        );
        assert_eq!(
            c.working_days_between(d("2024-10-12"), d("2024-10-01"))
                .unwrap(),
            0
        );
    }

    #[test]
    fn unknown_year_is_an_error_not_a_guess() {
        // 2026-12-15 + 20 working days runs into 2027, which the built-in data does not know.
        let err = cal().add_working_days(d("2026-12-15"), 20).unwrap_err();
        assert_eq!(err, CalendarError::UnknownYear(2027));
        assert!(cal().add_working_days(d("2027-03-01"), 1).is_err());
    }

    #[test]
    fn admin_file_adds_and_replaces_years() {
        let mut c = cal();
        let years = c
            .extend_with(
                "# 管理员补充\n2027 notice 测试通知\n2027 holiday 2027-01-01 元旦\n2027 workday 2027-01-09 测试调休\n",
            )
            .unwrap();
        assert_eq!(years, vec![2027]);
        assert!(c.knows_year(2027));
        assert!(!c.is_working_day(d("2027-01-01")).unwrap());
        assert!(c.is_working_day(d("2027-01-09")).unwrap());
        assert!(c.is_working_day(d("2027-01-04")).unwrap());
        // Replacing 2024 entirely: 国庆节 shortened to 10-01 only.
        c.extend_with("2024 holiday 2024-10-01 国庆节（测试）")
            .unwrap();
        assert!(c.is_working_day(d("2024-10-02")).unwrap());
        assert!(!c.is_working_day(d("2024-10-12")).unwrap());
        // The other years are untouched.
        assert!(!c.is_working_day(d("2025-10-02")).unwrap());
        // Round trip through the text form.
        let again: Calendar = c.to_data_text().parse().unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn malformed_files_are_rejected_with_line_numbers_and_change_nothing() {
        let mut c = cal();
        let before = c.clone();
        let cases = [
            ("2027 holiday 2027-02-30 元旦", "只有28天"),
            ("2027 workday 2027-01-06 调休", "不是周六或周日"),
            ("2027 holiday 2027-01-05..2027-01-01 元旦", "早于开始日"),
            ("2027 holiday 2025-10-01 国庆节", "不属于2027年"),
            ("2027 vacation 2027-10-01 国庆节", "未知的类型"),
            ("2027 holiday 2027-10-01", "缺少节日名称"),
            ("27 holiday 2027-10-01 国庆节", "不是有效的年份"),
            ("2027", "不完整"),
            (
                "2027 holiday 2027-10-01..2027-10-07 国庆节\n2027 workday 2027-10-02 调休",
                "既是放假日又是上班日",
            ),
            ("2027 holiday 2027-01-01..2027-03-01 太长", "长达"),
        ];
        for (text, needle) in cases {
            let err = c.extend_with(text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(needle), "{text}: {msg}");
            assert!(msg.starts_with("节假日数据第"), "{msg}");
        }
        assert_eq!(c, before);
    }

    #[test]
    fn huge_counts_end_in_unknown_year() {
        assert_eq!(
            cal().add_working_days(d("2024-01-01"), u32::MAX),
            Err(CalendarError::UnknownYear(2027))
        );
    }
}
