//! Due-date phrases in English, relative to the user's `today`.
//!
//! Supported: `today`, `tonight`, `tomorrow` (and common misspellings), `the day after tomorrow`,
//! weekdays (`friday`, `on fri`, `this friday`, `next friday`), `this/next week`, `this/next weekend`,
//! `next month`, `next year`, `end of the day/week/month/year`, `eod`, `in 3 days`, `in a week`,
//! `in two weeks`, `in a couple of days`, `3 days from now`, ISO dates (`2026-12-03`, `2026/12/03`),
//! month names (`Dec 3`, `December 3rd, 2027`, `3 Dec`, `the 3rd of December`), a bare day of the
//! month after a preposition (`on the 15th`), and times (`at 5pm`, `at 17:30`, `noon`, `morning`,
//! `in the evening`, `at night`) before or after the date, or alone (`at 5pm` means today), and
//! spans from now (`in 2 hours`, `in 30 minutes`, `in an hour`).
//!
//! Prepositions in front of the phrase (`on`, `by`, `due`, `for`, `before`, `until`) belong to
//! it and are removed with it.
//!
//! Conventions (documented choices):
//! - Every date and time is the user's local one: the caller reads it in the user's zone.
//! - A due date without a time is all-day (no clock time is invented); `tonight` and `night`
//!   mean 20:00, `morning` 09:00, `afternoon` 14:00, `evening` 18:00.
//! - A bare weekday (`friday`, `on friday`) is the next such day after today (1 to 7 days
//!   ahead); `this friday` may be today (0 to 6 days ahead); `next friday` is the Friday of
//!   next calendar week (weeks start on Monday).
//! - A month and day without a year is the next such date on or after today.
//! - A bare weekday without a preposition is only taken as a date at the end of the text or
//!   when a time follows, so titles like "Monday meeting notes" keep their word.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};

/// A due date in the user's calendar, with a time when the user gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The day (today for a span from now, which the caller resolves).
    pub date: NaiveDate,
    /// The time of day, when the user said one; none is all day.
    pub time: Option<NaiveTime>,
    /// "in 2 hours": this many minutes from the moment of the message, which
    /// only the caller knows; `date` and `time` are then not used.
    pub minutes_from_now: Option<i64>,
}

impl Due {
    /// Due all day on a date.
    pub fn on(date: NaiveDate) -> Due {
        Due { date, time: None, minutes_from_now: None }
    }
}

/// A due-date phrase found in a text: the date and the byte span to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The date it names.
    pub due: Due,
    /// Byte offset where the phrase starts.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

struct Tok {
    start: usize,
    end: usize,
    key: String,
    comma_after: bool,
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut pos = 0;
    for raw in s.split(' ') {
        let start = pos;
        pos += raw.len() + 1;
        if raw.is_empty() {
            continue;
        }
        let key = raw
            .trim_start_matches(['(', '[', '"'])
            .trim_end_matches([',', '.', ';', ':', '!', '?', ')', ']', '"'])
            .to_ascii_lowercase();
        toks.push(Tok { start, end: start + raw.len(), key, comma_after: raw.ends_with([',', ';']) });
    }
    toks
}

const PREPOSITIONS: &[&str] = &["due", "on", "by", "for", "before", "until", "till", "til", "from"];

/// Finds the first due-date phrase in `text` (which should be whitespace-normalised).
pub fn extract(text: &str, today: NaiveDate) -> Option<Found> {
    let toks = tokenize(text);
    for i in 0..toks.len() {
        // Prepositions (up to two: "due on") directly in front of the phrase.
        let mut j = i;
        while j < toks.len() && j - i < 2 && PREPOSITIONS.contains(&toks[j].key.as_str()) {
            j += 1;
        }
        let has_prep = j > i;
        if let Some((minutes, n)) = minutes_from_now(&toks, j) {
            let mut f = found(&toks, i, j + n, today, None);
            f.due.minutes_from_now = Some(minutes);
            return Some(f);
        }
        // A leading time: "at 5pm tomorrow", "by 5pm on friday", or alone: "at 5pm".
        let lead = time_phrase(&toks, j, true).map(|(t, n)| (t, j + n));
        let lead = lead.or_else(|| if j > i { time_phrase(&toks, i, true).map(|(t, n)| (t, i + n)) } else { None });
        if let Some((time, after_time)) = lead {
            let mut k = after_time;
            while k < toks.len() && k - after_time < 2 && PREPOSITIONS.contains(&toks[k].key.as_str()) {
                k += 1;
            }
            if let Some((date, _, n)) = date_core(&toks, k, today, true) {
                return Some(found(&toks, i, k + n, date, Some(time)));
            }
            return Some(found(&toks, i, after_time, today, Some(time)));
        }
        if let Some((date, time, n)) = date_core(&toks, j, today, has_prep) {
            let mut end = j + n;
            let mut time = time;
            if let Some((t, n)) = time_phrase(&toks, end, false) {
                time = Some(t);
                end += n;
            }
            return Some(found(&toks, i, end, date, time));
        }
    }
    None
}

/// Parses `text` as nothing but a date phrase ("tomorrow", "next monday at 9am", "Dec 3").
pub fn parse_exact(text: &str, today: NaiveDate) -> Option<Due> {
    let t = crate::text::trim_punct(text);
    let f = extract(t, today)?;
    let rest = crate::text::cut(t, f.start, f.end);
    let rest = crate::text::trim_punct(&rest);
    let filler = ["", "the", "it", "to", "be", "due", "please"];
    rest.split_whitespace().all(|w| filler.contains(&w.to_ascii_lowercase().as_str())).then_some(f.due)
}

fn found(toks: &[Tok], first: usize, end_tok: usize, date: NaiveDate, time: Option<NaiveTime>) -> Found {
    let last = end_tok.max(first + 1) - 1;
    Found { due: Due { date, time, minutes_from_now: None }, start: toks[first].start, end: toks[last].end }
}

/// "in 2 hours", "within 30 minutes", "in an hour": minutes from now and tokens used.
fn minutes_from_now(toks: &[Tok], i: usize) -> Option<(i64, usize)> {
    if !matches!(key(toks, i), "in" | "within") {
        return None;
    }
    let (n, used) = quantity(toks, i + 1)?;
    let per = match key(toks, i + 1 + used) {
        "hour" | "hours" | "hr" | "hrs" | "h" => 60,
        "minute" | "minutes" | "min" | "mins" => 1,
        _ => return None,
    };
    Some((i64::try_from(n).ok()? * per, used + 2))
}

fn key(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.key.as_str())
}

fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" | "mon" | "mondays" => Weekday::Mon,
        "tuesday" | "tue" | "tues" | "tuesdays" => Weekday::Tue,
        "wednesday" | "wed" | "weds" | "wednesdays" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" | "thursdays" => Weekday::Thu,
        "friday" | "fri" | "fridays" => Weekday::Fri,
        "saturday" | "sat" | "saturdays" => Weekday::Sat,
        "sunday" | "sun" | "sundays" => Weekday::Sun,
        _ => return None,
    })
}

fn month(w: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if w == "sept" {
        return Some(9);
    }
    NAMES.iter().position(|n| *n == w || (w.len() == 3 && n.starts_with(w))).map(|i| i as u32 + 1)
}

/// "3", "3rd", "21st" -> 3, 3, 21. `need_suffix` requires the ordinal suffix.
fn day_of_month(w: &str, need_suffix: bool) -> Option<u32> {
    let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &w[digits.len()..];
    if digits.is_empty() || digits.len() > 2 || !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    if need_suffix && suffix.is_empty() {
        return None;
    }
    let d: u32 = digits.parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

fn year(w: &str) -> Option<i32> {
    if w.len() != 4 {
        return None;
    }
    w.parse::<i32>().ok().filter(|y| (1970..=2200).contains(y))
}

fn iso(w: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = w.split(['-', '/']).collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?)
}

fn add_days(d: NaiveDate, n: u64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(n))
}

fn days_until(today: NaiveDate, target: Weekday) -> u64 {
    let from = today.weekday().num_days_from_monday() as i64;
    let to = target.num_days_from_monday() as i64;
    ((to - from + 7) % 7) as u64
}

fn first_of_next_month(today: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if today.month() == 12 { (today.year() + 1, 1) } else { (today.year(), today.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1)
}

fn monday_next_week(today: NaiveDate) -> Option<NaiveDate> {
    add_days(today, 7 - today.weekday().num_days_from_monday() as u64)
}

/// Next occurrence of month/day on or after today, or in the given year.
fn month_day(today: NaiveDate, m: u32, d: u32, y: Option<i32>) -> Option<NaiveDate> {
    match y {
        Some(y) => NaiveDate::from_ymd_opt(y, m, d),
        None => {
            let this = NaiveDate::from_ymd_opt(today.year(), m, d);
            match this {
                Some(date) if date >= today => Some(date),
                _ => NaiveDate::from_ymd_opt(today.year() + 1, m, d),
            }
        }
    }
}

/// A quantity: "3", "three", "a", "an", "a couple of", "a few". Returns (n, tokens used).
fn quantity(toks: &[Tok], i: usize) -> Option<(u64, usize)> {
    let k0 = key(toks, i);
    let k1 = key(toks, i + 1);
    let article = usize::from(k0 == "a");
    let (n, used) = match (k0, k1) {
        ("a", "couple") | ("couple", _) => (2, article + 1),
        ("a", "few") | ("few", _) => (3, article + 1),
        ("a" | "an", _) => return Some((1, 1)),
        _ => return crate::text::number(k0).filter(|n| (1..=3660).contains(n)).map(|n| (u64::from(n), 1)),
    };
    Some((n, used + usize::from(key(toks, i + used) == "of")))
}

/// "3 days", "a week", "two months": the date that far from today. Returns (date, tokens).
fn span_from(toks: &[Tok], i: usize, today: NaiveDate) -> Option<(NaiveDate, usize)> {
    let (n, used) = quantity(toks, i)?;
    let unit = key(toks, i + used);
    let date = match unit {
        "day" | "days" => add_days(today, n)?,
        "week" | "weeks" => add_days(today, 7 * n)?,
        "fortnight" | "fortnights" => add_days(today, 14 * n)?,
        "month" | "months" => today.checked_add_months(Months::new(u32::try_from(n).ok()?))?,
        "year" | "years" => today.checked_add_months(Months::new(u32::try_from(n * 12).ok()?))?,
        _ => return None,
    };
    Some((date, used + 1))
}

/// The core of a date phrase at token `i` (no leading preposition).
/// Returns (date, time, tokens used). `has_prep` relaxes the rule for bare weekdays.
fn date_core(
    toks: &[Tok],
    i: usize,
    today: NaiveDate,
    has_prep: bool,
) -> Option<(NaiveDate, Option<NaiveTime>, usize)> {
    let k0 = key(toks, i);
    if k0.is_empty() {
        return None;
    }
    let k1 = key(toks, i + 1);
    let k2 = key(toks, i + 2);
    let k3 = key(toks, i + 3);
    let day = |d: Option<NaiveDate>, n: usize| d.map(|d| (d, None, n));
    match k0 {
        "today" | "tdy" => return Some((today, None, 1)),
        "tonight" | "tonite" => return Some((today, Some(hm(20, 0)), 1)),
        "tomorrow" | "tmrw" | "tmr" | "tomorow" | "tommorow" | "tommorrow" | "2moro" => {
            return day(add_days(today, 1), 1);
        }
        "eod" => return Some((today, None, 1)),
        "day" if k1 == "after" && k2 == "tomorrow" => return day(add_days(today, 2), 3),
        "the" if k1 == "day" && k2 == "after" && k3 == "tomorrow" => return day(add_days(today, 2), 4),
        _ => {}
    }
    // "end of (the) day/week/month/year"
    {
        let (off, ok) = if k0 == "the" && k1 == "end" { (1, true) } else { (0, k0 == "end") };
        if ok && key(toks, i + off + 1) == "of" {
            let mut n = off + 2;
            if key(toks, i + n) == "the" || key(toks, i + n) == "this" {
                n += 1;
            }
            let unit = key(toks, i + n);
            let date = match unit {
                "day" => Some(today),
                "week" => add_days(today, days_until(today, Weekday::Fri)),
                "month" => first_of_next_month(today).and_then(|d| d.pred_opt()),
                "year" => NaiveDate::from_ymd_opt(today.year(), 12, 31),
                _ => None,
            };
            if let Some(d) = date {
                return Some((d, None, n + 1));
            }
        }
    }
    match k0 {
        "this" => {
            if let Some(wd) = weekday(k1) {
                return day(add_days(today, days_until(today, wd)), 2);
            }
            match k1 {
                "week" => return day(add_days(today, days_until(today, Weekday::Fri)), 2),
                "weekend" => return day(add_days(today, days_until(today, Weekday::Sat)), 2),
                "month" => return day(first_of_next_month(today).and_then(|d| d.pred_opt()), 2),
                "morning" => return Some((today, Some(hm(9, 0)), 2)),
                "afternoon" => return Some((today, Some(hm(14, 0)), 2)),
                "evening" => return Some((today, Some(hm(18, 0)), 2)),
                _ => {}
            }
        }
        "next" | "coming" => {
            if let Some(wd) = weekday(k1) {
                let date = if k0 == "next" {
                    monday_next_week(today).and_then(|m| add_days(m, wd.num_days_from_monday() as u64))
                } else {
                    let n = days_until(today, wd);
                    add_days(today, if n == 0 { 7 } else { n })
                };
                return day(date, 2);
            }
            match k1 {
                "week" => return day(monday_next_week(today), 2),
                "weekend" => return day(monday_next_week(today).and_then(|m| add_days(m, 5)), 2),
                "month" => return day(first_of_next_month(today), 2),
                "year" => return day(NaiveDate::from_ymd_opt(today.year() + 1, 1, 1), 2),
                _ => {}
            }
        }
        "in" | "within" => {
            if let Some((d, n)) = span_from(toks, i + 1, today) {
                return Some((d, None, n + 1));
            }
        }
        _ => {}
    }
    // "3 days from now", "a week from today", "2 weeks later"
    if let Some((d, n)) = span_from(toks, i, today) {
        match (key(toks, i + n), key(toks, i + n + 1)) {
            ("from", "now" | "today") => return Some((d, None, n + 2)),
            ("later", _) => return Some((d, None, n + 1)),
            _ => {}
        }
    }
    if let Some(d) = iso(k0) {
        return Some((d, None, 1));
    }
    // Month name then day: "dec 3", "december 3rd, 2027"
    if let (Some(m), Some(d)) = (month(k0), day_of_month(k1, false)) {
        if let Some(y) = year(k2) {
            return day(month_day(today, m, d, Some(y)), 3);
        }
        return day(month_day(today, m, d, None), 2);
    }
    // Day then month: "3 dec", "3rd of december 2027", "the 3rd of december"
    {
        let (off, need_suffix) = if k0 == "the" { (1, true) } else { (0, false) };
        if let Some(d) = day_of_month(key(toks, i + off), need_suffix) {
            let mut n = off + 1;
            if key(toks, i + n) == "of" {
                n += 1;
            }
            if let Some(m) = month(key(toks, i + n)) {
                n += 1;
                if let Some(y) = year(key(toks, i + n)) {
                    return day(month_day(today, m, d, Some(y)), n + 1);
                }
                return day(month_day(today, m, d, None), n);
            }
            // "on the 15th": this month, or next month when it has passed.
            if has_prep && day_of_month(key(toks, i + off), true).is_some() {
                let this = NaiveDate::from_ymd_opt(today.year(), today.month(), d).filter(|x| *x >= today);
                let date = this.or_else(|| {
                    let next = first_of_next_month(today)?;
                    NaiveDate::from_ymd_opt(next.year(), next.month(), d)
                });
                return day(date, off + 1);
            }
        }
    }
    // Bare weekday: "friday", "on fri"
    if let Some(wd) = weekday(k0) {
        let at_end = i + 1 == toks.len() || toks[i].comma_after || matches!(k1, "and" | "then");
        let time_follows = time_phrase(toks, i + 1, false).is_some();
        if has_prep || at_end || time_follows {
            let n = days_until(today, wd);
            return day(add_days(today, if n == 0 { 7 } else { n }), 1);
        }
    }
    if k0 == "weekend" && has_prep {
        return day(add_days(today, days_until(today, Weekday::Sat)), 1);
    }
    None
}

/// A clock time in one token or two: "5pm", "5 pm", "5:30pm", "17:00", "noon", "midnight".
fn clock(toks: &[Tok], i: usize) -> Option<(NaiveTime, usize)> {
    let k = key(toks, i);
    match k {
        "noon" | "midday" => return Some((hm(12, 0), 1)),
        "midnight" => return Some((hm(23, 59), 1)),
        _ => {}
    }
    let digits: String = k.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let mut rest = &k[digits.len()..];
    let mut minute = 0;
    let mut has_colon = false;
    if let Some(r) = rest.strip_prefix(':') {
        let md: String = r.chars().take_while(char::is_ascii_digit).collect();
        if md.len() != 2 {
            return None;
        }
        minute = md.parse().ok()?;
        rest = &r[2..];
        has_colon = true;
    }
    let mut used = 1;
    let mut suffix = rest.to_string();
    if suffix.is_empty() && matches!(key(toks, i + 1), "am" | "pm" | "a.m" | "p.m") {
        suffix = key(toks, i + 1).to_string();
        used = 2;
    }
    let hour: u32 = digits.parse().ok()?;
    let hour = match suffix.as_str() {
        "am" | "a.m" | "a" => match hour {
            12 => 0,
            1..=11 => hour,
            _ => return None,
        },
        "pm" | "p.m" | "p" => match hour {
            12 => 12,
            1..=11 => hour + 12,
            _ => return None,
        },
        "" if has_colon && hour <= 23 => hour,
        "h" if hour <= 23 => hour,
        _ => return None,
    };
    (minute < 60).then(|| (hm(hour, minute), used))
}

/// A time phrase at `i`: "at 5pm", "5pm", "by noon", "morning", "in the evening", "at night".
/// With `needs_at`, a bare clock time must be introduced by "at"/"by"/"around".
fn time_phrase(toks: &[Tok], i: usize, needs_at: bool) -> Option<(NaiveTime, usize)> {
    let k0 = key(toks, i);
    let k1 = key(toks, i + 1);
    let part = |w: &str| match w {
        "morning" => Some(hm(9, 0)),
        "afternoon" => Some(hm(14, 0)),
        "evening" => Some(hm(18, 0)),
        "night" => Some(hm(20, 0)),
        _ => None,
    };
    if matches!(k0, "at" | "by" | "around") {
        if let Some((t, n)) = clock(toks, i + 1) {
            return Some((t, n + 1));
        }
        if k0 == "at" && k1 == "night" {
            return Some((hm(20, 0), 2));
        }
        return None;
    }
    if k0 == "in" && k1 == "the" {
        return part(key(toks, i + 2)).map(|t| (t, 3));
    }
    if needs_at {
        return None;
    }
    if let Some(t) = part(k0) {
        return Some((t, 1));
    }
    clock(toks, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wednesday.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn date_of(s: &str) -> Option<NaiveDate> {
        parse_exact(s, today()).map(|due| due.date)
    }

    #[test]
    fn relative_days() {
        assert_eq!(today().weekday(), Weekday::Wed);
        let cases = [
            ("today", d(2026, 6, 10)),
            ("tonight", d(2026, 6, 10)),
            ("tomorrow", d(2026, 6, 11)),
            ("Tomorrow", d(2026, 6, 11)),
            ("tmrw", d(2026, 6, 11)),
            ("tommorow", d(2026, 6, 11)),
            ("the day after tomorrow", d(2026, 6, 12)),
            ("day after tomorrow", d(2026, 6, 12)),
            ("in 3 days", d(2026, 6, 13)),
            ("in three days", d(2026, 6, 13)),
            ("in a day", d(2026, 6, 11)),
            ("in a week", d(2026, 6, 17)),
            ("in 2 weeks", d(2026, 6, 24)),
            ("in a couple of days", d(2026, 6, 12)),
            ("in a few days", d(2026, 6, 13)),
            ("in a month", d(2026, 7, 10)),
            ("in a fortnight", d(2026, 6, 24)),
            ("3 days from now", d(2026, 6, 13)),
            ("a week from today", d(2026, 6, 17)),
            ("eod", d(2026, 6, 10)),
            ("end of day", d(2026, 6, 10)),
            ("by the end of the week", d(2026, 6, 12)),
            ("end of the month", d(2026, 6, 30)),
            ("end of year", d(2026, 12, 31)),
            ("next week", d(2026, 6, 15)),
            ("this week", d(2026, 6, 12)),
            ("this weekend", d(2026, 6, 13)),
            ("next weekend", d(2026, 6, 20)),
            ("next month", d(2026, 7, 1)),
            ("next year", d(2027, 1, 1)),
        ];
        for (text, want) in cases {
            assert_eq!(date_of(text), Some(want), "{text}");
        }
    }

    #[test]
    fn weekdays() {
        // today is Wednesday 2026-06-10
        let cases = [
            ("friday", d(2026, 6, 12)),
            ("on friday", d(2026, 6, 12)),
            ("by Fri", d(2026, 6, 12)),
            ("wednesday", d(2026, 6, 17)),
            ("this wednesday", d(2026, 6, 10)),
            ("this friday", d(2026, 6, 12)),
            ("this monday", d(2026, 6, 15)),
            ("next monday", d(2026, 6, 15)),
            ("next friday", d(2026, 6, 19)),
            ("next wednesday", d(2026, 6, 17)),
            ("next sunday", d(2026, 6, 21)),
            ("coming friday", d(2026, 6, 12)),
            ("on monday", d(2026, 6, 15)),
            ("tuesday", d(2026, 6, 16)),
            ("due thursday", d(2026, 6, 11)),
        ];
        for (text, want) in cases {
            assert_eq!(date_of(text), Some(want), "{text}");
        }
        // From a Saturday, "next monday" is the coming Monday (it is in next week).
        let sat = d(2026, 6, 13);
        assert_eq!(parse_exact("next monday", sat).map(|x| x.date), Some(d(2026, 6, 15)));
        assert_eq!(parse_exact("friday", d(2026, 6, 12)).map(|x| x.date), Some(d(2026, 6, 19)));
    }

    #[test]
    fn absolute_dates() {
        let cases = [
            ("2026-12-03", d(2026, 12, 3)),
            ("by 2026-12-03", d(2026, 12, 3)),
            ("2027/01/15", d(2027, 1, 15)),
            ("Dec 3", d(2026, 12, 3)),
            ("on Dec 3", d(2026, 12, 3)),
            ("december 3rd", d(2026, 12, 3)),
            ("December 3rd, 2027", d(2027, 12, 3)),
            ("3 Dec", d(2026, 12, 3)),
            ("3rd of December", d(2026, 12, 3)),
            ("the 3rd of december", d(2026, 12, 3)),
            ("sept 1", d(2026, 9, 1)),
            ("jun 10", d(2026, 6, 10)),
            ("jun 9", d(2027, 6, 9)),
            ("march 1", d(2027, 3, 1)),
            ("on the 15th", d(2026, 6, 15)),
            ("by the 5th", d(2026, 7, 5)),
            ("feb 29 2028", d(2028, 2, 29)),
        ];
        for (text, want) in cases {
            assert_eq!(date_of(text), Some(want), "{text}");
        }
        assert_eq!(date_of("feb 30"), None);
        assert_eq!(date_of("2026-13-01"), None);
    }

    #[test]
    fn times() {
        let t = |s: &str| parse_exact(s, today()).map(|x| (x.date, x.time));
        assert_eq!(t("tomorrow at 5pm"), Some((d(2026, 6, 11), Some(hm(17, 0)))));
        assert_eq!(t("tomorrow at 9:30 am"), Some((d(2026, 6, 11), Some(hm(9, 30)))));
        assert_eq!(t("friday 14:00"), Some((d(2026, 6, 12), Some(hm(14, 0)))));
        assert_eq!(t("at 5pm tomorrow"), Some((d(2026, 6, 11), Some(hm(17, 0)))));
        assert_eq!(t("at 8am on friday"), Some((d(2026, 6, 12), Some(hm(8, 0)))));
        assert_eq!(t("at 3pm"), Some((d(2026, 6, 10), Some(hm(15, 0)))));
        assert_eq!(t("by noon"), Some((d(2026, 6, 10), Some(hm(12, 0)))));
        assert_eq!(t("tomorrow morning"), Some((d(2026, 6, 11), Some(hm(9, 0)))));
        assert_eq!(t("monday in the evening"), Some((d(2026, 6, 15), Some(hm(18, 0)))));
        assert_eq!(t("tonight"), Some((d(2026, 6, 10), Some(hm(20, 0)))));
        assert_eq!(t("this afternoon"), Some((d(2026, 6, 10), Some(hm(14, 0)))));
        assert_eq!(t("12am tomorrow"), None, "a bare leading clock needs 'at'");
        assert_eq!(t("tomorrow at 12am"), Some((d(2026, 6, 11), Some(hm(0, 0)))));
        assert_eq!(t("tomorrow at 13pm"), None);
    }

    #[test]
    fn extraction_from_sentences() {
        let ex = |s: &str| extract(s, today()).map(|f| (f.due.date, crate::text::cut(s, f.start, f.end)));
        assert_eq!(ex("call the dentist tomorrow"), Some((d(2026, 6, 11), "call the dentist".into())));
        assert_eq!(ex("pay rent by 2026-12-03"), Some((d(2026, 12, 3), "pay rent".into())));
        assert_eq!(ex("buy a gift on friday for mom"), Some((d(2026, 6, 12), "buy a gift for mom".into())));
        assert_eq!(ex("submit report due next monday"), Some((d(2026, 6, 15), "submit report".into())));
        assert_eq!(ex("renew passport in 3 days"), Some((d(2026, 6, 13), "renew passport".into())));
        assert_eq!(ex("send invoice on Dec 3"), Some((d(2026, 12, 3), "send invoice".into())));
        assert_eq!(ex("tomorrow call mom"), Some((d(2026, 6, 11), "call mom".into())));
        assert_eq!(ex("call bob at 4pm"), Some((d(2026, 6, 10), "call bob".into())));
        // Words that only look like dates stay in the title.
        assert_eq!(ex("monday meeting notes"), None);
        assert_eq!(ex("read today's paper"), None);
        assert_eq!(ex("may the force be with you"), None);
        assert_eq!(ex("march for climate"), None);
        assert_eq!(ex("buy 3 apples"), None);
        assert_eq!(ex("sat on the sofa"), None);
    }

    #[test]
    fn spans_from_now_are_left_to_the_caller() {
        let ex = |s: &str| extract(s, today()).map(|f| (f.due.minutes_from_now, crate::text::cut(s, f.start, f.end)));
        assert_eq!(ex("call mom in 2 hours"), Some((Some(120), "call mom".into())));
        assert_eq!(ex("check the oven in 30 minutes"), Some((Some(30), "check the oven".into())));
        assert_eq!(ex("stretch in an hour"), Some((Some(60), "stretch".into())));
        assert_eq!(ex("renew passport in 3 days").unwrap().0, None);
        assert_eq!(Due::on(d(2026, 12, 3)).time, None, "a day without a time is all day");
        assert_eq!(parse_exact("not a date", today()), None);
        assert_eq!(parse_exact("tomorrow and something else", today()), None);
    }
}
