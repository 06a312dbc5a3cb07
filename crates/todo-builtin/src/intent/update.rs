//! Update: title, description, priority and due date ("change task 1 to 'Call mom tonight'",
//! "set task 2 priority to high", "move task 4 to friday", "make task 2 urgent").

use chrono::NaiveDate;

use super::add::parse_add;
use super::priority::{find_priority, priority_exact, trailing_priority};
use super::target::{parse_id, parse_target, target_or_ask};
use super::{Changes, Intent};
use crate::dates;
use crate::text::{
    capitalize, cut, find_phrase, find_quoted, phrase_at, strip_prefix_any, strip_suffix_any,
    strip_suffixes_repeatedly, trim_punct, trim_tail, unquote,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Description,
    Priority,
    Due,
}

const FIELD_WORDS: &[(&str, Field)] = &[
    ("title", Field::Title),
    ("name", Field::Title),
    ("description", Field::Description),
    ("details", Field::Description),
    ("notes", Field::Description),
    ("note", Field::Description),
    ("priority", Field::Priority),
    ("priority level", Field::Priority),
    ("importance", Field::Priority),
    ("due date", Field::Due),
    ("deadline", Field::Due),
    ("due", Field::Due),
    ("date", Field::Due),
    ("due time", Field::Due),
    ("time", Field::Due),
];

fn field_words() -> Vec<&'static str> {
    FIELD_WORDS.iter().map(|(w, _)| *w).collect()
}

fn field_of(w: &str) -> Option<Field> {
    FIELD_WORDS.iter().find(|(x, _)| x.eq_ignore_ascii_case(w)).map(|(_, f)| *f)
}

const UPDATE_VERBS: &[&str] = &[
    "rename",
    "retitle",
    "move",
    "reschedule",
    "postpone",
    "push",
    "push back",
    "defer",
    "delay",
    "bump",
    "prioritize",
    "prioritise",
    "deprioritize",
    "deprioritise",
    "make",
    "set",
    "change",
    "update",
    "edit",
    "modify",
    "adjust",
    "switch",
    "alter",
    "reword",
    "retitle",
    "describe",
    "give",
];

pub(super) fn parse_update(s: &str, today: NaiveDate) -> Option<Intent> {
    let (verb, rest) = strip_prefix_any(s, UPDATE_VERBS)?;
    let ask = |what: &str| Some(Intent::Clarify(what.to_string()));
    match verb {
        "prioritize" | "prioritise" | "deprioritize" | "deprioritise" => {
            let prio = if verb.starts_with("de") { "low" } else { "high" };
            return Some(target_or_ask(rest, "Which task should I change?", |t| {
                Intent::Update(t, Changes { priority: Some(prio), ..Default::default() })
            }));
        }
        "rename" | "retitle" | "reword" => {
            let Some((left, value, quoted)) = split_value(rest, &["to", "as", "into"]) else {
                return ask("What should the new title be? Say, for example, \"rename task 1 to 'Call mom'\".");
            };
            let title = if quoted { value.to_string() } else { capitalize(trim_punct(value)) };
            return Some(target_or_ask(left, "Which task should I rename?", |t| {
                Intent::Update(t, Changes { title: Some(title), ..Default::default() })
            }));
        }
        "move" | "reschedule" | "postpone" | "push" | "push back" | "defer" | "delay" | "bump" => {
            let rest = strip_prefix_any(rest, &["back"]).map_or(rest, |(_, r)| r);
            // "bump task 3 to urgent"
            if let Some((left, value, false)) = split_value(rest, &["to", "until", "till", "til", "for"]) {
                let left = strip_suffix_any(left, &["back", "out"]).unwrap_or(left);
                if let Some(p) = priority_exact(value) {
                    return Some(target_or_ask(left, "Which task should I change?", |t| {
                        Intent::Update(t, Changes { priority: Some(p), ..Default::default() })
                    }));
                }
                if let Some(due) = dates::parse_exact(value, today) {
                    return Some(target_or_ask(left, "Which task should I move?", |t| {
                        Intent::Update(t, Changes { due: Some(due), ..Default::default() })
                    }));
                }
            }
            if let Some(f) = dates::extract(rest, today) {
                let left = trim_tail(&rest[..f.start]);
                let left = strip_suffixes_repeatedly(left, &["to", "back", "out"]);
                return Some(target_or_ask(left, "Which task should I move?", |t| {
                    Intent::Update(t, Changes { due: Some(f.due), ..Default::default() })
                }));
            }
            if matches!(verb, "postpone" | "push back" | "defer" | "delay") || phrase_at(s, 0, "push back") {
                return ask(
                    "When should it be due instead? Say, for example, \"move task 4 to tomorrow\" or \"postpone task 4 to next monday\".",
                );
            }
            return None;
        }
        "make" | "give" => {
            // "make task 2 high priority", "give task 3 a high priority", "make the groceries task due friday", "make task 3 urgent"
            let body = strip_prefix_any(rest, &["a", "an"]).map_or(rest, |(_, r)| r);
            if let Some((prio, start)) = trailing_priority(body) {
                let left = strip_suffixes_repeatedly(&body[..start], &["a", "an", "as"]);
                if parse_target(left).is_some() {
                    return Some(target_or_ask(left, "Which task?", |t| {
                        Intent::Update(t, Changes { priority: Some(prio), ..Default::default() })
                    }));
                }
            }
            if let Some(f) = dates::extract(body, today)
                && trim_punct(&body[f.end..]).is_empty()
            {
                let left = strip_suffixes_repeatedly(
                    &body[..f.start],
                    &["be", "due", "of", "date", "a", "deadline", "due date", "the", "on", "by", "for"],
                );
                if parse_target(left).is_some() {
                    return Some(target_or_ask(left, "Which task?", |t| {
                        Intent::Update(t, Changes { due: Some(f.due), ..Default::default() })
                    }));
                }
            }
            return None;
        }
        "describe" => {
            let (left, value, _) = split_value(rest, &["as", "with", "to"])?;
            let desc = value.to_string();
            return Some(target_or_ask(left, "Which task?", |t| {
                Intent::Update(t, Changes { description: Some(desc), ..Default::default() })
            }));
        }
        _ => {}
    }
    // set / change / update / edit / modify
    if let Some(reminder) = strip_prefix_any(rest, &["a reminder to", "a reminder for", "a reminder", "reminder to"]) {
        return Some(parse_add(reminder.1, today));
    }
    // "the priority of task 2 to high", "the due date for the report task to friday"
    let (field, rest) = match leading_field(rest) {
        Some((f, r)) => (Some(f), r),
        None => (None, rest),
    };
    if let Some((left, value, quoted)) = split_value(rest, &["to", "as", "=", "into"]) {
        let (field, left) = match field {
            Some(f) => (Some(f), left),
            None => match trailing_field(left) {
                Some((f, l)) => (Some(f), l),
                None => (None, left),
            },
        };
        return Some(match changes_for(field, value, quoted, today) {
            Ok(changes) => target_or_ask(left, "Which task should I change?", |t| Intent::Update(t, changes)),
            Err(msg) => Intent::Clarify(msg),
        });
    }
    // No "to": "set task 3 due tomorrow", "update task 2 high priority", "change task 3 priority high"
    let (changes, left) = extract_changes(rest, today);
    if !changes.is_empty() {
        let left = left.as_str();
        let left = match trailing_field(left) {
            Some((_, l)) => l,
            None => left,
        };
        return Some(target_or_ask(left, "Which task should I change?", |t| Intent::Update(t, changes)));
    }
    if parse_target(rest).is_some() {
        return ask(
            "What should I change? Say, for example, \"change task 1 to 'Call mom'\", \"set task 2 priority to high\" or \"move task 4 to tomorrow\".",
        );
    }
    None
}

/// "the priority of X" / "priority for X" -> (Priority, "X").
fn leading_field(s: &str) -> Option<(Field, &str)> {
    let t = strip_prefix_any(s, &["the", "its"]).map_or(s, |(_, r)| r);
    let words = field_words();
    let (w, rest) = strip_prefix_any(t, &words)?;
    let (_, rest) = strip_prefix_any(rest, &["of", "for", "on", "in"])?;
    Some((field_of(w)?, rest))
}

/// "task 2 priority" / "task 2's due date" -> (Priority, "task 2").
fn trailing_field(s: &str) -> Option<(Field, &str)> {
    let s = trim_tail(s);
    let words = field_words();
    let mut best: Option<(usize, &str)> = None;
    for w in &words {
        if let Some(left) = strip_suffix_any(s, &[w])
            && best.is_none_or(|(n, _)| w.len() > n)
        {
            best = Some((w.len(), left));
        }
    }
    let (n, left) = best?;
    let w = &s[s.len() - n..];
    let left = left.strip_suffix("'s").unwrap_or(left);
    let left = strip_suffix_any(left, &["the", "its"]).unwrap_or(left);
    Some((field_of(w)?, trim_tail(left)))
}

/// Splits "TARGET to VALUE". A quoted value wins; otherwise the first separator after something
/// that reads as a target ("task 3", "... task") is used. Returns (target, value, value_was_quoted).
fn split_value<'a>(s: &'a str, seps: &[&str]) -> Option<(&'a str, &'a str, bool)> {
    if let Some((qs, qe, inner)) = find_quoted(s)
        && qs > 0
        && trim_punct(&s[qe..]).is_empty()
    {
        let left = trim_tail(&s[..qs]);
        for sep in seps {
            if let Some(l) = strip_suffix_any(left, &[sep]) {
                return Some((l, inner, true));
            }
        }
        if left.ends_with(':') || s[..qs].trim_end().ends_with(':') {
            return Some((trim_tail(left), inner, true));
        }
    }
    let mut candidates: Vec<usize> = Vec::new();
    for sep in seps {
        let mut from = 0;
        while let Some(i) = find_phrase(s, sep, from) {
            candidates.push(i);
            from = i + sep.len();
        }
    }
    candidates.sort_unstable();
    let sep_len = |i: usize| seps.iter().find(|p| phrase_at(s, i, p)).map_or(1, |p| p.len());
    let good = candidates.iter().copied().find(|&i| {
        let left = trim_tail(&s[..i]);
        parse_id(left).is_some()
            || trailing_field(left)
                .is_some_and(|(_, l)| parse_id(l).is_some() || l.to_ascii_lowercase().ends_with("task"))
            || ["task", "todo", "item", "one"].iter().any(|w| strip_suffix_any(left, &[w]).is_some())
            || find_quoted(left).is_some()
    });
    let i = good.or_else(|| candidates.first().copied())?;
    let left = trim_tail(&s[..i]);
    let value = trim_punct(&s[i + sep_len(i)..]);
    if left.is_empty() || value.is_empty() {
        return None;
    }
    Some((left, unquote(value), value.starts_with(['"', '\'']) && value.len() > 1 && find_quoted(value).is_some()))
}

/// What a value means for a field (or, without a field, what it looks like).
fn changes_for(field: Option<Field>, value: &str, quoted: bool, today: NaiveDate) -> Result<Changes, String> {
    let mut c = Changes::default();
    let title = || if quoted { value.to_string() } else { capitalize(trim_punct(value)) };
    match field {
        Some(Field::Title) => c.title = Some(title()),
        Some(Field::Description) => c.description = Some(value.to_string()),
        Some(Field::Priority) => {
            c.priority =
                Some(priority_exact(value).ok_or_else(|| {
                    format!("I don't know the priority \"{value}\". Use low, medium, high or urgent.")
                })?)
        }
        Some(Field::Due) => {
            c.due = Some(dates::parse_exact(value, today).ok_or_else(|| {
                format!(
                    "I couldn't read the date \"{value}\". Try \"tomorrow\", \"friday\", \"Dec 3\" or \"2026-12-03\"."
                )
            })?)
        }
        None if quoted => c.title = Some(value.to_string()),
        None if priority_exact(value).is_some() => c.priority = priority_exact(value),
        None if dates::parse_exact(value, today).is_some() => c.due = dates::parse_exact(value, today),
        None => {
            let (extracted, rest) = extract_changes(value, today);
            if !extracted.is_empty() && trim_punct(&rest).is_empty() {
                return Ok(extracted);
            }
            c.title = Some(title());
        }
    }
    Ok(c)
}

/// Pulls a priority and a due date out of `s`; returns them and what is left.
fn extract_changes(s: &str, today: NaiveDate) -> (Changes, String) {
    let mut c = Changes::default();
    let mut text = s.to_string();
    if let Some((p, start, end)) = find_priority(&text) {
        c.priority = Some(p);
        text = cut(&text, start, end);
    }
    if let Some(f) = dates::extract(&text, today) {
        c.due = Some(f.due);
        text = cut(&text, f.start, f.end);
    }
    let left = strip_suffixes_repeatedly(trim_punct(&text), &["and", "with", "as", "to", "be", "due", "make it", "it"]);
    (c, left.to_string())
}
