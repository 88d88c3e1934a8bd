//! A validated civil date (proleptic Gregorian calendar, years 1–9999), without a date-time
//! dependency.
//!
//! [`Date`] is a newtype over the number of days since 1970-01-01, so ordering, differences and
//! adding days are integer operations; the year, month and day are derived with Howard Hinnant's
//! `civil_from_days` algorithm. A `Date` can only be built from a real day: `2024-02-30` and
//! `2023-02-29` are errors naming what is wrong, never rolled over into March.
//!
//! Text form: `YYYY-MM-DD` ([`Display`](std::fmt::Display), [`FromStr`], serde). Parsing also
//! accepts one-digit months and days (`2024-9-7`), as typed by people, but always prints the
//! padded ISO form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Smallest and largest supported year.
pub const MIN_YEAR: i32 = 1;
pub const MAX_YEAR: i32 = 9999;

/// Why a date could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD`.
    #[error("日期“{0}”格式不正确，应为“年-月-日”，例如 2024-09-27")]
    Format(String),
    /// The year is outside 1–9999.
    #[error("日期年份{0}超出可处理的范围（1—9999年）")]
    YearOutOfRange(i32),
    /// The month is not 1–12.
    #[error("日期{year}-{month:02}无效：月份只能是1—12")]
    InvalidMonth { year: i32, month: u32 },
    /// The day does not exist in that month.
    #[error("日期{year}-{month:02}-{day:02}无效：{year}年{month}月只有{days_in_month}天")]
    InvalidDay {
        year: i32,
        month: u32,
        day: u32,
        days_in_month: u32,
    },
    /// Date arithmetic left the supported range.
    #[error("日期计算超出可处理的范围（1—9999年）")]
    OutOfRange,
}

/// Day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// `星期一` … `星期日`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Weekday::Monday => "星期一",
            Weekday::Tuesday => "星期二",
            Weekday::Wednesday => "星期三",
            Weekday::Thursday => "星期四",
            Weekday::Friday => "星期五",
            Weekday::Saturday => "星期六",
            Weekday::Sunday => "星期日",
        }
    }

    /// `Monday` … `Sunday`.
    pub fn label_en(self) -> &'static str {
        match self {
            Weekday::Monday => "Monday",
            Weekday::Tuesday => "Tuesday",
            Weekday::Wednesday => "Wednesday",
            Weekday::Thursday => "Thursday",
            Weekday::Friday => "Friday",
            Weekday::Saturday => "Saturday",
            Weekday::Sunday => "Sunday",
        }
    }

    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }

    /// 0 for Monday … 6 for Sunday.
    pub fn index_from_monday(self) -> u32 {
        self as u32
    }
}

/// A civil date between 0001-01-01 and 9999-12-31.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Days since 1970-01-01 (negative before it).
    days: i32,
}

/// Whether `year` is a leap year in the Gregorian calendar.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    // Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
    let y = if month <= 2 { year - 1 } else { year } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y as i32, m, d)
}

const MIN_DAYS: i32 = -719_162; // 0001-01-01
const MAX_DAYS: i32 = 2_932_896; // 9999-12-31

impl Date {
    /// The date `year-month-day`, or an error naming what does not exist.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::YearOutOfRange(year));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::InvalidMonth { year, month });
        }
        let dim = days_in_month(year, month);
        if day == 0 || day > dim {
            return Err(DateError::InvalidDay {
                year,
                month,
                day,
                days_in_month: dim,
            });
        }
        Ok(Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// Parse `YYYY-MM-DD` (months and days may have one digit).
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let t = text.trim();
        let bad = || DateError::Format(text.to_string());
        let mut parts = t.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let digits = |s: &str, min: usize, max: usize| {
            (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
            return Err(bad());
        }
        let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
            return Err(bad());
        };
        Date::new(y, m, d)
    }

    /// The date `days` days after 1970-01-01 (before it when negative).
    pub fn from_days_since_epoch(days: i64) -> Result<Date, DateError> {
        if days < MIN_DAYS as i64 || days > MAX_DAYS as i64 {
            return Err(DateError::OutOfRange);
        }
        Ok(Date { days: days as i32 })
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        self.days as i64
    }

    pub fn year(self) -> i32 {
        civil_from_days(self.days).0
    }

    pub fn month(self) -> u32 {
        civil_from_days(self.days).1
    }

    pub fn day(self) -> u32 {
        civil_from_days(self.days).2
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    /// Day of the year, 1 for 1 January.
    pub fn ordinal(self) -> u32 {
        let (y, _, _) = self.ymd();
        (self.days - days_from_civil(y, 1, 1)) as u32 + 1
    }

    /// The date with the given day of the year (1-based).
    pub fn from_ordinal(year: i32, ordinal: u32) -> Result<Date, DateError> {
        let first = Date::new(year, 1, 1)?;
        let len = if is_leap_year(year) { 366 } else { 365 };
        if ordinal == 0 || ordinal > len {
            return Err(DateError::InvalidDay {
                year,
                month: 0,
                day: ordinal,
                days_in_month: len,
            });
        }
        first.add_days(ordinal as i64 - 1)
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.days as i64 + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// `self + days` (any sign), or an error outside 0001-01-01 … 9999-12-31.
    pub fn add_days(self, days: i64) -> Result<Date, DateError> {
        Date::from_days_since_epoch(self.days as i64 + days)
    }

    /// The next day.
    pub fn succ(self) -> Result<Date, DateError> {
        self.add_days(1)
    }

    /// The previous day.
    pub fn pred(self) -> Result<Date, DateError> {
        self.add_days(-1)
    }

    /// `other - self` in days (positive when `other` is later).
    pub fn days_until(self, other: Date) -> i64 {
        other.days as i64 - self.days as i64
    }

    /// First and last day of `year`.
    pub fn year_bounds(year: i32) -> Result<(Date, Date), DateError> {
        Ok((Date::new(year, 1, 1)?, Date::new(year, 12, 31)?))
    }

    /// `2024年10月1日`.
    pub fn to_zh(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{y}年{m}月{d}日")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_iso() {
        assert_eq!(d("2024-09-27").to_string(), "2024-09-27");
        assert_eq!(d("2024-9-7").to_string(), "2024-09-07");
        assert_eq!(d(" 2024-02-29 ").ymd(), (2024, 2, 29));
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("0001-01-01").to_string(), "0001-01-01");
        assert_eq!(d("9999-12-31").to_string(), "9999-12-31");
    }

    #[test]
    fn impossible_dates_are_clear_errors() {
        let e = Date::parse("2024-02-30").unwrap_err();
        assert_eq!(
            e,
            DateError::InvalidDay {
                year: 2024,
                month: 2,
                day: 30,
                days_in_month: 29
            }
        );
        assert!(e.to_string().contains("2024年2月只有29天"), "{e}");
        assert!(Date::parse("2023-02-29")
            .unwrap_err()
            .to_string()
            .contains("只有28天"));
        assert!(matches!(
            Date::parse("2024-13-01"),
            Err(DateError::InvalidMonth { .. })
        ));
        assert!(matches!(
            Date::parse("2024-04-31"),
            Err(DateError::InvalidDay { .. })
        ));
        assert!(matches!(
            Date::parse("2024-00-10"),
            Err(DateError::InvalidMonth { .. })
        ));
        assert!(matches!(
            Date::parse("2024-01-00"),
            Err(DateError::InvalidDay { .. })
        ));
        assert!(matches!(
            Date::parse("0000-01-01"),
            Err(DateError::YearOutOfRange(0))
        ));
        for bad in [
            "",
            "2024",
            "2024-1",
            "2024/01/01",
            "24-01-01",
            "2024-01-01-01",
            "2024-+1-01",
            "２０２４-01-01",
            "2024-001-01",
            "abcd-ef-gh",
        ] {
            assert!(
                matches!(Date::parse(bad), Err(DateError::Format(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(d("1970-01-01").weekday(), Weekday::Thursday);
        assert_eq!(d("2024-09-27").weekday(), Weekday::Friday);
        assert_eq!(d("2024-10-12").weekday(), Weekday::Saturday);
        assert_eq!(d("2000-01-01").weekday(), Weekday::Saturday);
        assert_eq!(d("1949-10-01").weekday(), Weekday::Saturday);
        assert_eq!(d("0001-01-01").weekday(), Weekday::Monday);
        assert_eq!(Weekday::Sunday.label_zh(), "星期日");
    }

    #[test]
    fn round_trip_every_day_of_four_centuries() {
        let mut prev = d("1899-12-31");
        let mut date = d("1900-01-01");
        let end = d("2300-12-31");
        while date <= end {
            let (y, m, dd) = date.ymd();
            assert_eq!(Date::new(y, m, dd).unwrap(), date);
            assert!(prev < date);
            assert_eq!(prev.days_until(date), 1);
            assert_eq!(Date::from_ordinal(y, date.ordinal()).unwrap(), date);
            prev = date;
            date = date.succ().unwrap();
        }
    }

    #[test]
    fn arithmetic_and_bounds() {
        assert_eq!(d("2024-02-28").add_days(2).unwrap(), d("2024-03-01"));
        assert_eq!(d("2024-03-01").add_days(-1).unwrap(), d("2024-02-29"));
        assert_eq!(d("2024-12-31").ordinal(), 366);
        assert_eq!(d("2023-12-31").ordinal(), 365);
        assert!(d("9999-12-31").succ().is_err());
        assert!(d("0001-01-01").pred().is_err());
        assert!(d("2024-01-01").add_days(i64::MAX / 2).is_err());
        assert!(Date::from_ordinal(2023, 366).is_err());
        assert_eq!(d("2024-10-01").to_zh(), "2024年10月1日");
    }

    #[test]
    fn serde_as_string_with_validation() {
        let v = serde_json::to_value(d("2024-10-12")).unwrap();
        assert_eq!(v, serde_json::json!("2024-10-12"));
        let back: Date = serde_json::from_value(v).unwrap();
        assert_eq!(back, d("2024-10-12"));
        let err = serde_json::from_value::<Date>(serde_json::json!("2024-02-30")).unwrap_err();
        assert!(err.to_string().contains("只有29天"));
    }
}
