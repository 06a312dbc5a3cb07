//! Repeat phrases ("every monday", "daily", "every month on the 15th", "... until june 30")
//! and reminders ("remind me ..."). The phrases are taken out of the message, so the rest is
//! read as usual ("remind me every monday to water the plants" adds "Water the plants", due on
//! Monday); a repeat becomes the task's recurrence rule when it says one ([`Found::rule`]), and
//! what cannot be done (a reminder, "every hour", "a recurring task") is said in the reply.

use chrono::NaiveDate;

use super::NotDone;
use crate::text::contains_any;

/// Units a repeat phrase ends with ("every other week", "each morning", "every 2 days").
const UNITS: &[&str] = &[
    "day", "days", "morning", "mornings", "evening", "evenings", "night", "nights", "week", "weeks", "weekday",
    "weekdays", "weekend", "weekends", "month", "months", "year", "years", "hour", "hours",
];

/// Words that repeat on their own.
const REPEAT_WORDS: &[&str] =
    &["daily", "weekly", "monthly", "yearly", "annually", "fortnightly", "biweekly", "nightly", "hourly"];

/// Said before a repeat phrase, dropped with it ("that repeats weekly", "on repeat").
const REPEAT_LEADS: &[&str] = &["repeat", "repeats", "repeating", "recur", "recurs", "recurring", "that", "which"];

const WEEKDAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// A weekday, singular or plural ("monday", "mondays").
fn weekday(w: &str) -> Option<&'static str> {
    WEEKDAYS.iter().copied().find(|d| w == *d || w.strip_suffix('s') == Some(d))
}

fn is_count(w: &str) -> bool {
    w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty()
        || matches!(w, "other" | "single" | "two" | "three" | "four" | "second" | "third")
}

/// What a message asks for that cannot be done, and the message without the repeat phrases.
pub(super) struct Found {
    /// The message with repeat phrases taken out.
    pub(super) text: String,
    /// In the order found.
    pub(super) not_done: Vec<NotDone>,
    /// The weekday a repeat names ("every monday"): the task is due on the next one.
    pub(super) first_day: Option<&'static str>,
    /// The recurrence rule the repeat phrase says (`FREQ=WEEKLY;BYDAY=MO`), with its UNTIL.
    pub(super) rule: Option<Rule>,
}

/// A repeat read from the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rule {
    /// How often, as RRULE parts without UNTIL.
    pub(super) freq: String,
    /// The day of the month ("on the 15th"), for the first due.
    pub(super) month_day: Option<u32>,
    /// Only on Monday to Friday ("every weekday"), for the first due.
    pub(super) weekdays_only: bool,
    /// The last day ("until june 30").
    pub(super) until: Option<NaiveDate>,
}

impl Rule {
    /// The rule as the `repeat` tool argument.
    pub(super) fn text(&self) -> String {
        match self.until {
            Some(u) => format!("{};UNTIL={}", self.freq, u.format("%Y%m%d")),
            None => self.freq.clone(),
        }
    }
}

const DAY_CODES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn day_code(day: &str) -> &'static str {
    WEEKDAYS.iter().position(|d| *d == day).map_or("MO", |i| DAY_CODES[i])
}

fn count_of(w: &str) -> Option<u32> {
    match w {
        "other" | "second" | "two" => Some(2),
        "third" | "three" => Some(3),
        "four" => Some(4),
        "single" => Some(1),
        _ => w.parse().ok().filter(|n| (1..=999).contains(n)),
    }
}

/// The rule of a repeat phrase (its lowercased words), when the app can store it.
fn rule_of(phrase: &[String]) -> Option<(String, bool)> {
    let words: Vec<&str> = phrase.iter().map(String::as_str).collect();
    let interval = |n: u32, freq: &str| if n == 1 { freq.to_string() } else { format!("{freq};INTERVAL={n}") };
    let (n, unit) = match words.as_slice() {
        ["every" | "each", count, unit] => (count_of(count)?, *unit),
        ["every" | "each", unit] => (1, *unit),
        ["on", days] => (1, *days),
        [word] => match *word {
            "daily" | "nightly" => return Some(("FREQ=DAILY".into(), false)),
            "weekly" => return Some(("FREQ=WEEKLY".into(), false)),
            "fortnightly" | "biweekly" => return Some(("FREQ=WEEKLY;INTERVAL=2".into(), false)),
            "monthly" => return Some(("FREQ=MONTHLY".into(), false)),
            "yearly" | "annually" => return Some(("FREQ=YEARLY".into(), false)),
            _ => return None,
        },
        _ => return None,
    };
    if let Some(day) = weekday(unit) {
        return Some((format!("{};BYDAY={}", interval(n, "FREQ=WEEKLY"), day_code(day)), false));
    }
    let rule = match unit {
        "day" | "days" | "morning" | "mornings" | "evening" | "evenings" | "night" | "nights" => {
            interval(n, "FREQ=DAILY")
        }
        "week" | "weeks" => interval(n, "FREQ=WEEKLY"),
        "month" | "months" => interval(n, "FREQ=MONTHLY"),
        "year" | "years" => interval(n, "FREQ=YEARLY"),
        "weekday" | "weekdays" if n == 1 => return Some(("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR".into(), true)),
        "weekend" | "weekends" if n == 1 => "FREQ=WEEKLY;BYDAY=SA,SU".into(),
        _ => return None,
    };
    Some((rule, false))
}

/// "on the 15th", "on the 1st": the day of the month at `words[i..]`, and the words used.
fn month_day_at(words: &[&str], i: usize, bare: impl Fn(&str) -> String) -> Option<(u32, usize)> {
    if bare(words.get(i)?) != "on" {
        return None;
    }
    let mut j = i + 1;
    if words.get(j).map(|w| bare(w)).as_deref() == Some("the") {
        j += 1;
    }
    let w = bare(words.get(j)?);
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    let d: u32 = digits.parse().ok()?;
    ((1..=31).contains(&d) && matches!(suffix, "st" | "nd" | "rd" | "th")).then_some((d, j + 1 - i))
}

/// "until june 30", "till dec 3": the last day at `words[i..]`, and the words used.
fn until_at(words: &[&str], i: usize, today: NaiveDate, bare: impl Fn(&str) -> String) -> Option<(NaiveDate, usize)> {
    if !matches!(bare(words.get(i)?).as_str(), "until" | "till" | "through") {
        return None;
    }
    (1..=4).rev().filter(|n| i + 1 + n <= words.len()).find_map(|n| {
        let text = words[i + 1..i + 1 + n].join(" ");
        let due = crate::dates::parse_exact(&text, today)?;
        (due.time.is_none() && due.minutes_from_now.is_none()).then_some((due.date, n + 1))
    })
}

/// Finds repeats and reminders in `s`, with dates read against `today`.
pub(super) fn find(s: &str, today: NaiveDate) -> Found {
    let words: Vec<&str> = s.split_whitespace().collect();
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
    let mut kept: Vec<&str> = Vec::new();
    let mut not_done = Vec::new();
    let mut first_day = None;
    let mut rule: Option<Rule> = None;
    let mut i = 0;
    while i < words.len() {
        let w = bare(words[i]);
        // "every monday", "each other week", "every 2 days", "on mondays", "daily"
        let mut end = None;
        if matches!(w.as_str(), "every" | "each") {
            let mut j = i + 1;
            if j < words.len() && is_count(&bare(words[j])) {
                j += 1;
            }
            if let Some(next) = words.get(j).map(|n| bare(n)) {
                if let Some(day) = weekday(&next) {
                    first_day.get_or_insert(day);
                    end = Some(j + 1);
                } else if UNITS.contains(&next.as_str()) {
                    end = Some(j + 1);
                }
            }
        } else if REPEAT_WORDS.contains(&w.as_str()) {
            end = Some(i + 1);
        } else if w == "on"
            && let Some(next) = words.get(i + 1).map(|n| bare(n))
            && let Some(day) = weekday(&next)
            && next.ends_with('s')
        {
            first_day.get_or_insert(day);
            end = Some(i + 2);
        } else if matches!(w.as_str(), "recurring" | "repeating") {
            end = Some(i + 1);
        }
        match end {
            Some(end) => {
                while kept.last().is_some_and(|k| REPEAT_LEADS.contains(&bare(k).as_str())) {
                    kept.pop();
                }
                let phrase: Vec<&str> =
                    words[i..end].iter().map(|w| w.trim_end_matches([',', '.', '!', '?'])).collect();
                let phrase = phrase.join(" ").to_ascii_lowercase();
                let bare_words: Vec<String> = words[i..end].iter().map(|w| bare(w)).collect();
                let mut end = end;
                let first = rule.is_none() && !not_done.iter().any(|n| matches!(n, NotDone::Repeat(_)));
                match rule_of(&bare_words) {
                    Some((freq, weekdays_only)) if first => {
                        let mut r = Rule { freq, month_day: None, weekdays_only, until: None };
                        if r.freq == "FREQ=MONTHLY"
                            && let Some((d, used)) = month_day_at(&words, end, bare)
                        {
                            r.freq = format!("FREQ=MONTHLY;BYMONTHDAY={d}");
                            r.month_day = Some(d);
                            end += used;
                        }
                        if let Some((u, used)) = until_at(&words, end, today, bare) {
                            r.until = Some(u);
                            end += used;
                        }
                        rule = Some(r);
                    }
                    Some(_) => {}
                    None if first => not_done.push(NotDone::Repeat(phrase)),
                    None => {}
                }
                i = end;
            }
            None => {
                kept.push(words[i]);
                i += 1;
            }
        }
    }
    let low = s.to_ascii_lowercase();
    if contains_any(&low, &["remind me", "reminder", "notify me", "alert me", "ping me"]) {
        not_done.push(NotDone::Reminder);
    }
    Found { text: kept.join(" "), not_done, first_day, rule }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()
    }

    fn find(s: &str) -> Found {
        super::find(s, today())
    }

    fn rule(s: &str) -> Option<String> {
        find(s).rule.map(|r| r.text())
    }

    #[test]
    fn repeat_phrases_are_taken_out() {
        let f = find("remind me every monday to water the plants");
        assert_eq!(f.text, "remind me to water the plants");
        assert_eq!(f.not_done, [NotDone::Reminder]);
        assert_eq!(f.rule.map(|r| r.text()).as_deref(), Some("FREQ=WEEKLY;BYDAY=MO"));
        assert_eq!(f.first_day, Some("monday"));
        assert_eq!(find("add pay rent that repeats monthly").text, "add pay rent");
        let f = find("add a recurring task to pay rent");
        assert_eq!(f.text, "add a task to pay rent");
        assert_eq!(f.not_done, [NotDone::Repeat("recurring".into())], "no rule said: told, not guessed");
        assert_eq!(find("water plants on sundays").first_day, Some("sunday"));
        assert!(find("add buy milk on monday").not_done.is_empty(), "one monday is a date, not a repeat");
        assert!(find("add buy milk on monday").rule.is_none());
        assert!(find("add everyday carry list").not_done.is_empty());
    }

    #[test]
    fn repeat_phrases_become_rules() {
        for (s, want) in [
            ("stretch daily", "FREQ=DAILY"),
            ("stretch every day", "FREQ=DAILY"),
            ("water every 3 days", "FREQ=DAILY;INTERVAL=3"),
            ("clean every other week", "FREQ=WEEKLY;INTERVAL=2"),
            ("review every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
            ("standup every weekday", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
            ("gym every monday", "FREQ=WEEKLY;BYDAY=MO"),
            ("gym every 2 fridays", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
            ("pay rent every month on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1"),
            ("invoice monthly on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15"),
            ("taxes every year", "FREQ=YEARLY"),
            ("hike every weekend", "FREQ=WEEKLY;BYDAY=SA,SU"),
            ("course every tuesday until june 30", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260630"),
        ] {
            assert_eq!(rule(s).as_deref(), Some(want), "{s}");
        }
        let f = find("pay rent every month on the 1st until dec 31");
        assert_eq!(f.text, "pay rent");
        assert_eq!(f.rule.unwrap().month_day, Some(1));
        assert_eq!(rule("check mail every hour"), None);
        assert_eq!(find("check mail every hour").not_done, [NotDone::Repeat("every hour".into())]);
    }
}
