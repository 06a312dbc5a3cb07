//! What the interpreter cannot do yet but must not drop silently: repeating a task ("every
//! monday", "daily", "a recurring task") and reminders ("remind me ..."). The phrases are taken
//! out of the message, so the rest is read as usual ("remind me every monday to water the plants"
//! adds "Water the plants", due on Monday), and the reply says what was not done.

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
}

/// Finds repeats and reminders in `s`.
pub(super) fn find(s: &str) -> Found {
    let words: Vec<&str> = s.split_whitespace().collect();
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
    let mut kept: Vec<&str> = Vec::new();
    let mut not_done = Vec::new();
    let mut first_day = None;
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
                if !not_done.iter().any(|n| matches!(n, NotDone::Repeat(_))) {
                    not_done.push(NotDone::Repeat(phrase));
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
    Found { text: kept.join(" "), not_done, first_day }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_phrases_are_taken_out() {
        let f = find("remind me every monday to water the plants");
        assert_eq!(f.text, "remind me to water the plants");
        assert_eq!(f.not_done, [NotDone::Repeat("every monday".into()), NotDone::Reminder]);
        assert_eq!(f.first_day, Some("monday"));
        assert_eq!(find("add pay rent that repeats monthly").text, "add pay rent");
        assert_eq!(find("add a recurring task to pay rent").text, "add a task to pay rent");
        assert_eq!(find("water plants on sundays").first_day, Some("sunday"));
        assert!(find("add buy milk on monday").not_done.is_empty(), "one monday is a date, not a repeat");
        assert!(find("add everyday carry list").not_done.is_empty());
    }
}
