//! Recurring tasks: the subset of RFC 5545 recurrence rules (RRULE) the app
//! stores in a task's `repeat`, and the expansion of a rule into due dates.
//!
//! The subset: `FREQ=DAILY|WEEKLY|MONTHLY|YEARLY`, `INTERVAL=n` (1..=999),
//! `BYDAY=MO,TU,..` (plain weekdays, no ordinals; with WEEKLY the days of each
//! week, with DAILY a filter such as "every weekday"), `BYMONTHDAY=d` (MONTHLY
//! only; 1..=31 or -1 for the last day of the month) and `UNTIL=YYYYMMDD` or
//! `UNTIL=YYYYMMDDTHHMMSSZ` (inclusive). Everything else (COUNT, BYMONTH,
//! BYSETPOS, WKST other than MO, ...) is rejected rather than half-understood.
//!
//! Dates that do not exist are skipped, as RFC 5545 says and as every iCalendar
//! library expands them, so the calendar feed and the app agree: a monthly rule
//! on the 31st skips 30-day months, a yearly rule on 29 February only fires in
//! leap years. "The last day of every month" is `BYMONTHDAY=-1`.
//!
//! Weeks start on Monday (RFC 5545's default WKST), which matters only for
//! `INTERVAL` > 1 with `BYDAY`. A task due at a time keeps its wall-clock time in
//! the user's zone (09:00 stays 09:00 across a daylight-saving change); a time a
//! spring-forward skips means the same time after the jump (zone.rs,
//! "compatible"). Expansion counts from the task's current due (DTSTART).

use std::fmt;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use jiff::tz::TimeZone;

use crate::ValidationErrors;
use crate::zone::{local_datetime, local_instant};

/// Checks a task's `repeat` under the field name `repeat` and returns it in
/// canonical form; a rule needs a due to count from (`has_due`). Empty or
/// absent means no repeat.
pub fn validate_repeat(raw: Option<&str>, has_due: bool, errors: &mut ValidationErrors) -> Option<String> {
    let text = raw.map(str::trim).filter(|t| !t.is_empty())?;
    match Recurrence::parse(text) {
        Ok(rule) if has_due => Some(rule.to_string()),
        Ok(_) => {
            errors.push("repeat", "needs a due_date or due_at to count from");
            None
        }
        Err(message) => {
            errors.push("repeat", message);
            None
        }
    }
}

/// Longest `repeat` text accepted.
pub const REPEAT_MAX_CHARS: usize = 200;

/// Largest `INTERVAL` accepted.
pub const INTERVAL_MAX: u32 = 999;

/// Periods (days, weeks, months or years) looked through for one next
/// occurrence before giving up; only a rule that can never fire again (such
/// as the 30th of every 12th February) gets that far.
const MAX_PERIODS: u32 = 100_000;

/// How often a rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every `interval` days.
    Daily,
    /// Every `interval` weeks.
    Weekly,
    /// Every `interval` months.
    Monthly,
    /// Every `interval` years.
    Yearly,
}

impl Frequency {
    fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// The last occurrence a rule allows (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Through this date (in the user's zone for tasks due at a time).
    Date(NaiveDate),
    /// Through this instant.
    At(DateTime<Utc>),
}

/// One due of a recurring task: a whole day or an instant, like the task's
/// `due_date` / `due_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Due {
    /// Due on a day.
    Date(NaiveDate),
    /// Due at an instant.
    At(DateTime<Utc>),
}

/// A parsed, valid `repeat` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// How often.
    pub freq: Frequency,
    /// Every how many periods (1 = every one).
    pub interval: u32,
    /// The weekdays (Monday first, no duplicates); empty means the start's.
    pub by_day: Vec<Weekday>,
    /// The day of the month (1..=31, or -1 for the last), MONTHLY only.
    pub by_month_day: Option<i8>,
    /// The last occurrence allowed.
    pub until: Option<Until>,
}

const DAY_CODES: [(&str, Weekday); 7] = [
    ("MO", Weekday::Mon),
    ("TU", Weekday::Tue),
    ("WE", Weekday::Wed),
    ("TH", Weekday::Thu),
    ("FR", Weekday::Fri),
    ("SA", Weekday::Sat),
    ("SU", Weekday::Sun),
];

fn day_code(d: Weekday) -> &'static str {
    DAY_CODES[d.num_days_from_monday() as usize].0
}

fn parse_until(v: &str) -> Option<Until> {
    if v.len() == 8 {
        return NaiveDate::parse_from_str(v, "%Y%m%d").ok().map(Until::Date);
    }
    if v.len() == 16 && v.ends_with('Z') {
        return chrono::NaiveDateTime::parse_from_str(&v[..15], "%Y%m%dT%H%M%S").ok().map(|t| Until::At(t.and_utc()));
    }
    None
}

impl Recurrence {
    /// Parses the rule text (`FREQ=WEEKLY;BYDAY=MO`, an optional leading
    /// `RRULE:` allowed, parts in any order, names in any case); the error says
    /// what is wrong in words for a 400 naming `repeat`.
    pub fn parse(raw: &str) -> Result<Recurrence, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("must be a recurrence rule such as FREQ=WEEKLY;BYDAY=MO".into());
        }
        if text.chars().count() > REPEAT_MAX_CHARS {
            return Err(format!("must be at most {REPEAT_MAX_CHARS} characters"));
        }
        let upper = text.to_ascii_uppercase();
        let body = upper.strip_prefix("RRULE:").unwrap_or(&upper);
        let mut freq = None;
        let mut interval = None;
        let mut by_day: Option<Vec<Weekday>> = None;
        let mut by_month_day = None;
        let mut until = None;
        for part in body.split(';').filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(format!("has a part without a value: {part}"));
            };
            let duplicate = || format!("has {name} twice");
            match name {
                "FREQ" => {
                    let f = match value {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" => Frequency::Yearly,
                        _ => return Err("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY".into()),
                    };
                    if freq.replace(f).is_some() {
                        return Err(duplicate());
                    }
                }
                "INTERVAL" => {
                    let n = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=INTERVAL_MAX).contains(n))
                        .ok_or_else(|| format!("INTERVAL must be a whole number from 1 to {INTERVAL_MAX}"))?;
                    if interval.replace(n).is_some() {
                        return Err(duplicate());
                    }
                }
                "BYDAY" => {
                    let mut days = Vec::new();
                    for code in value.split(',') {
                        let day = DAY_CODES
                            .iter()
                            .find(|(c, _)| *c == code)
                            .map(|(_, d)| *d)
                            .ok_or_else(|| "BYDAY must list weekdays such as MO,WE,FR (no ordinals)".to_string())?;
                        if !days.contains(&day) {
                            days.push(day);
                        }
                    }
                    days.sort_by_key(|d| d.num_days_from_monday());
                    if by_day.replace(days).is_some() {
                        return Err(duplicate());
                    }
                }
                "BYMONTHDAY" => {
                    let d =
                        value.parse::<i8>().ok().filter(|d| (1..=31).contains(d) || *d == -1).ok_or_else(|| {
                            "BYMONTHDAY must be a day from 1 to 31, or -1 for the last day".to_string()
                        })?;
                    if by_month_day.replace(d).is_some() {
                        return Err(duplicate());
                    }
                }
                "UNTIL" => {
                    let u = parse_until(value)
                        .ok_or_else(|| "UNTIL must be a date YYYYMMDD or a UTC time YYYYMMDDTHHMMSSZ".to_string())?;
                    if until.replace(u).is_some() {
                        return Err(duplicate());
                    }
                }
                "WKST" if value == "MO" => {}
                other => {
                    return Err(format!("{other} is not supported (FREQ, INTERVAL, BYDAY, BYMONTHDAY and UNTIL are)"));
                }
            }
        }
        let freq = freq.ok_or_else(|| "must have FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)".to_string())?;
        let by_day = by_day.unwrap_or_default();
        if !by_day.is_empty() && !matches!(freq, Frequency::Daily | Frequency::Weekly) {
            return Err("BYDAY is supported with FREQ=DAILY or FREQ=WEEKLY only".into());
        }
        if by_month_day.is_some() && freq != Frequency::Monthly {
            return Err("BYMONTHDAY is supported with FREQ=MONTHLY only".into());
        }
        Ok(Recurrence { freq, interval: interval.unwrap_or(1), by_day, by_month_day, until })
    }

    /// The local dates of the series that starts on `start`, in order, from
    /// `start` on (the start itself only if it matches the rule), ignoring UNTIL.
    fn dates_from(&self, start: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        let interval = self.interval;
        let mut period: u32 = 0;
        let mut pending: Vec<NaiveDate> = Vec::new();
        std::iter::from_fn(move || {
            loop {
                if let Some(d) = pending.pop() {
                    return Some(d);
                }
                if period >= MAX_PERIODS {
                    return None;
                }
                let k = u64::from(period) * u64::from(interval);
                period += 1;
                let mut batch = self.period_dates(start, k)?;
                batch.retain(|d| *d >= start);
                batch.reverse();
                pending = batch;
            }
        })
    }

    /// The dates in the period `k` periods after the start's (empty when the
    /// rule skips a day that period does not have); `None` past the calendar.
    fn period_dates(&self, start: NaiveDate, k: u64) -> Option<Vec<NaiveDate>> {
        match self.freq {
            Frequency::Daily => {
                let d = start.checked_add_days(Days::new(k))?;
                let keep = self.by_day.is_empty() || self.by_day.contains(&d.weekday());
                Some(if keep { vec![d] } else { vec![] })
            }
            Frequency::Weekly => {
                let monday = start.checked_sub_days(Days::new(start.weekday().num_days_from_monday().into()))?;
                let week = monday.checked_add_days(Days::new(k.checked_mul(7)?))?;
                if self.by_day.is_empty() {
                    return Some(vec![
                        week.checked_add_days(Days::new(start.weekday().num_days_from_monday().into()))?,
                    ]);
                }
                self.by_day.iter().map(|d| week.checked_add_days(Days::new(d.num_days_from_monday().into()))).collect()
            }
            Frequency::Monthly => {
                let months = i64::from(start.year()) * 12 + i64::from(start.month0()) + i64::try_from(k).ok()?;
                let year = i32::try_from(months.div_euclid(12)).ok()?;
                let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
                if year > 9999 {
                    return None;
                }
                let day = match self.by_month_day {
                    Some(-1) => return Some(vec![last_of_month(year, month)?]),
                    Some(d) => u32::try_from(d).ok()?,
                    None => start.day(),
                };
                Some(NaiveDate::from_ymd_opt(year, month, day).into_iter().collect())
            }
            Frequency::Yearly => {
                let year = i64::from(start.year()) + i64::try_from(k).ok()?;
                if year > 9999 {
                    return None;
                }
                let year = i32::try_from(year).ok()?;
                Some(NaiveDate::from_ymd_opt(year, start.month(), start.day()).into_iter().collect())
            }
        }
    }

    fn within_until(&self, due: Due, tz: &TimeZone) -> bool {
        match (self.until, due) {
            (None, _) => true,
            (Some(Until::Date(u)), Due::Date(d)) => d <= u,
            (Some(Until::Date(u)), Due::At(t)) => local_datetime(t, tz).date() <= u,
            (Some(Until::At(u)), Due::At(t)) => t <= u,
            (Some(Until::At(u)), Due::Date(d)) => d <= local_datetime(u, tz).date(),
        }
    }

    /// The series that starts at `start` (the task's due, DTSTART), in order:
    /// every occurrence from `start` on (the start itself only if it matches
    /// the rule) through UNTIL, in `tz`.
    pub fn iter(&self, start: Due, tz: &TimeZone) -> impl Iterator<Item = Due> + '_ {
        let tz = tz.clone();
        let until_tz = tz.clone();
        let (start_date, time) = match start {
            Due::Date(d) => (d, None),
            Due::At(t) => {
                let local = local_datetime(t, &tz);
                (local.date(), Some(local.time()))
            }
        };
        self.dates_from(start_date)
            .map(move |d| match time {
                None => Due::Date(d),
                Some(time) => Due::At(local_instant(d, time, &tz)),
            })
            .filter(move |due| *due >= start)
            .take_while(move |due| self.within_until(*due, &until_tz))
    }

    /// The first occurrence of the series starting at `start` strictly after
    /// `after`; `None` once UNTIL is passed. Completing a recurring task due at
    /// `start` schedules `next_after(start, start, tz)`.
    pub fn next_after(&self, start: Due, after: Due, tz: &TimeZone) -> Option<Due> {
        self.iter(start, tz).find(|d| *d > after)
    }

    /// The occurrences of the series starting at `start` that fall from
    /// `start` through `until` (inclusive), at most `limit` of them.
    pub fn occurrences(&self, start: Due, until: Due, limit: usize, tz: &TimeZone) -> Vec<Due> {
        self.iter(start, tz).take_while(|d| *d <= until).take(limit).collect()
    }

    /// The rule in words, for lists and the assistant ("every 2 weeks on Monday").
    pub fn describe(&self) -> String {
        let n = self.interval;
        let unit = match self.freq {
            Frequency::Daily => "day",
            Frequency::Weekly => "week",
            Frequency::Monthly => "month",
            Frequency::Yearly => "year",
        };
        let weekdays = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
        let every_weekday = self.by_day.as_slice() == weekdays && n == 1;
        let mut s = if every_weekday {
            "every weekday".to_string()
        } else if n == 1 {
            match self.freq {
                Frequency::Daily if self.by_day.is_empty() => "daily".to_string(),
                _ => format!("every {unit}"),
            }
        } else {
            format!("every {n} {unit}s")
        };
        if !self.by_day.is_empty() && !every_weekday {
            let names: Vec<&str> = self.by_day.iter().map(|d| weekday_name(*d)).collect();
            s.push_str(" on ");
            s.push_str(&join_words(&names));
        }
        match self.by_month_day {
            Some(-1) => s.push_str(" on the last day"),
            Some(d) => s.push_str(&format!(" on the {}", ordinal(d))),
            None => {}
        }
        match self.until {
            Some(Until::Date(d)) => s.push_str(&format!(" until {}", d.format("%Y-%m-%d"))),
            Some(Until::At(t)) => s.push_str(&format!(" until {}", t.format("%Y-%m-%d %H:%M UTC"))),
            None => {}
        }
        s
    }
}

fn last_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn ordinal(d: i8) -> String {
    let suffix = match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{d}{suffix}")
}

impl fmt::Display for Recurrence {
    /// The canonical text stored in `repeat` (no `RRULE:` prefix, parts in a
    /// fixed order, INTERVAL only when not 1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.freq.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if !self.by_day.is_empty() {
            let codes: Vec<&str> = self.by_day.iter().map(|d| day_code(*d)).collect();
            write!(f, ";BYDAY={}", codes.join(","))?;
        }
        if let Some(d) = self.by_month_day {
            write!(f, ";BYMONTHDAY={d}")?;
        }
        match self.until {
            Some(Until::Date(d)) => write!(f, ";UNTIL={}", d.format("%Y%m%d"))?,
            Some(Until::At(t)) => write!(f, ";UNTIL={}", t.format("%Y%m%dT%H%M%SZ"))?,
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::lookup_time_zone;

    fn zone(name: &str) -> TimeZone {
        lookup_time_zone(name).unwrap().1
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn dates(rule: &str, start: &str, n: usize) -> Vec<String> {
        let r = Recurrence::parse(rule).unwrap();
        r.iter(Due::Date(d(start)), &TimeZone::UTC)
            .take(n)
            .map(|x| match x {
                Due::Date(x) => x.to_string(),
                Due::At(t) => t.to_rfc3339(),
            })
            .collect()
    }

    #[test]
    fn parses_the_subset_and_prints_it_canonically() {
        for (raw, canon) in [
            ("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO"),
            ("rrule:freq=daily;interval=1", "FREQ=DAILY"),
            ("BYDAY=FR,MO,MO;FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=-1"),
            ("FREQ=YEARLY;UNTIL=20301231", "FREQ=YEARLY;UNTIL=20301231"),
            ("FREQ=DAILY;UNTIL=20270101T080000Z;WKST=MO", "FREQ=DAILY;UNTIL=20270101T080000Z"),
        ] {
            let r = Recurrence::parse(raw).unwrap();
            assert_eq!(r.to_string(), canon, "{raw}");
            assert_eq!(Recurrence::parse(&r.to_string()).unwrap(), r);
        }
    }

    #[test]
    fn rejects_everything_outside_the_subset() {
        for raw in [
            "",
            "FREQ=HOURLY",
            "FREQ=WEEKLY;COUNT=3",
            "FREQ=WEEKLY;BYDAY=1MO",
            "FREQ=MONTHLY;BYDAY=MO",
            "FREQ=WEEKLY;BYMONTHDAY=3",
            "FREQ=MONTHLY;BYMONTHDAY=0",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;INTERVAL=1000",
            "FREQ=DAILY;FREQ=WEEKLY",
            "INTERVAL=2",
            "FREQ=DAILY;UNTIL=2027-01-01",
            "FREQ=DAILY;UNTIL=20270101T080000",
            "FREQ=YEARLY;BYMONTH=2",
            "FREQ=WEEKLY;WKST=SU",
            "FREQ",
        ] {
            assert!(Recurrence::parse(raw).is_err(), "{raw} accepted");
        }
        assert!(Recurrence::parse(&format!("FREQ=DAILY;{}", "X".repeat(300))).is_err());
    }

    #[test]
    fn daily_weekly_and_weekdays() {
        assert_eq!(dates("FREQ=DAILY;INTERVAL=3", "2026-12-30", 3), ["2026-12-30", "2027-01-02", "2027-01-05"]);
        // 2026-12-02 is a Wednesday.
        assert_eq!(dates("FREQ=WEEKLY;BYDAY=MO", "2026-12-02", 2), ["2026-12-07", "2026-12-14"]);
        assert_eq!(dates("FREQ=WEEKLY", "2026-12-02", 2), ["2026-12-02", "2026-12-09"]);
        assert_eq!(
            dates("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR", "2026-12-02", 4),
            ["2026-12-04", "2026-12-14", "2026-12-18", "2026-12-28"]
        );
        assert_eq!(
            dates("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-12-04", 3),
            ["2026-12-04", "2026-12-07", "2026-12-08"]
        );
        assert_eq!(dates("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "2026-12-05", 2), ["2026-12-07", "2026-12-08"]);
    }

    #[test]
    fn month_ends_and_leap_years_skip_missing_dates() {
        assert_eq!(dates("FREQ=MONTHLY", "2027-01-31", 3), ["2027-01-31", "2027-03-31", "2027-05-31"]);
        assert_eq!(dates("FREQ=MONTHLY;BYMONTHDAY=30", "2027-01-15", 3), ["2027-01-30", "2027-03-30", "2027-04-30"]);
        assert_eq!(dates("FREQ=MONTHLY;BYMONTHDAY=-1", "2028-01-10", 3), ["2028-01-31", "2028-02-29", "2028-03-31"]);
        assert_eq!(dates("FREQ=MONTHLY;INTERVAL=5", "2026-11-15", 2), ["2026-11-15", "2027-04-15"]);
        assert_eq!(dates("FREQ=YEARLY", "2028-02-29", 2), ["2028-02-29", "2032-02-29"]);
        // A rule that can never fire again ends instead of looping.
        assert!(dates("FREQ=YEARLY", "9999-02-28", 3).len() == 1);
    }

    #[test]
    fn until_is_inclusive_and_stops_the_series() {
        let r = Recurrence::parse("FREQ=DAILY;UNTIL=20261204").unwrap();
        let start = Due::Date(d("2026-12-02"));
        assert_eq!(r.next_after(start, Due::Date(d("2026-12-03")), &TimeZone::UTC), Some(Due::Date(d("2026-12-04"))));
        assert_eq!(r.next_after(start, Due::Date(d("2026-12-04")), &TimeZone::UTC), None);
        let tz = zone("America/New_York");
        // UNTIL as a date means through that local day for a timed task.
        let r = Recurrence::parse("FREQ=DAILY;UNTIL=20261203").unwrap();
        let s = Due::At(at("2026-12-03T04:00:00Z")); // 23:00 on the 2nd in New York
        assert_eq!(r.occurrences(s, Due::At(at("2027-01-01T00:00:00Z")), 10, &tz).len(), 2);
        let r = Recurrence::parse("FREQ=DAILY;UNTIL=20261203T040000Z").unwrap();
        assert_eq!(r.occurrences(s, Due::At(at("2027-01-01T00:00:00Z")), 10, &tz), [s]);
    }

    #[test]
    fn wall_clock_time_survives_daylight_saving_changes() {
        let tz = zone("Europe/Berlin");
        // 09:00 CET on Friday 2027-03-26; the clocks go forward on the 28th.
        let r = Recurrence::parse("FREQ=WEEKLY").unwrap();
        let start = Due::At(at("2027-03-26T08:00:00Z"));
        assert_eq!(r.next_after(start, start, &tz), Some(Due::At(at("2027-04-02T07:00:00Z"))));
        // And back in autumn (the 31st of October 2027).
        let r = Recurrence::parse("FREQ=DAILY").unwrap();
        let start = Due::At(at("2027-10-30T07:00:00Z"));
        assert_eq!(r.next_after(start, start, &tz), Some(Due::At(at("2027-10-31T08:00:00Z"))));
        // A time the jump skips (02:30 on the 28th) means 03:30 that day, then 02:30 again.
        let start = Due::At(at("2027-03-27T01:30:00Z"));
        let got = r.occurrences(start, Due::At(at("2027-03-30T00:00:00Z")), 10, &tz);
        assert_eq!(got, [start, Due::At(at("2027-03-28T01:30:00Z")), Due::At(at("2027-03-29T00:30:00Z"))]);
    }

    #[test]
    fn occurrences_respects_the_bounds_and_limit() {
        let r = Recurrence::parse("FREQ=DAILY").unwrap();
        let s = Due::Date(d("2026-12-01"));
        assert_eq!(r.occurrences(s, Due::Date(d("2026-12-31")), 5, &TimeZone::UTC).len(), 5);
        assert_eq!(r.occurrences(s, Due::Date(d("2026-12-03")), 50, &TimeZone::UTC).len(), 3);
        assert_eq!(r.occurrences(s, Due::Date(d("2026-11-30")), 50, &TimeZone::UTC), []);
    }

    #[test]
    fn validation_names_the_repeat_field() {
        let mut errors = ValidationErrors::default();
        assert_eq!(validate_repeat(Some(" freq=weekly "), true, &mut errors).as_deref(), Some("FREQ=WEEKLY"));
        assert_eq!(validate_repeat(Some(""), false, &mut errors), None);
        assert_eq!(validate_repeat(None, false, &mut errors), None);
        assert!(errors.is_empty());
        assert_eq!(validate_repeat(Some("FREQ=WEEKLY"), false, &mut errors), None);
        assert_eq!(validate_repeat(Some("FREQ=WEEKLY;COUNT=2"), true, &mut errors), None);
        let text = format!("{errors:?}");
        assert_eq!(text.matches("repeat").count(), 2, "{text}");
    }

    #[test]
    fn describes_rules_in_words() {
        for (raw, words) in [
            ("FREQ=DAILY", "daily"),
            ("FREQ=WEEKLY;BYDAY=MO", "every week on Monday"),
            ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
            ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
            ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "every week on Monday, Wednesday and Friday"),
            ("FREQ=MONTHLY;BYMONTHDAY=15", "every month on the 15th"),
            ("FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"),
            ("FREQ=YEARLY;UNTIL=20301231", "every year until 2030-12-31"),
        ] {
            assert_eq!(Recurrence::parse(raw).unwrap().describe(), words);
        }
    }
}
