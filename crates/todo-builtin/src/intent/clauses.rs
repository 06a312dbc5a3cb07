//! Two requests in one sentence: "move the passport task to friday and make it urgent" is one
//! update with both changes; "add buy milk and make it urgent" one add; "complete task 3 and
//! delete task 4" two commands. A second part that names its task by "it" but reads as nothing
//! is kept as not understood, so the reply says it was not done instead of dropping it.
//!
//! A sentence is split only where the part after "and" / "then" reads as a command on its own
//! (with "it", or naming a task by number) or is a bare priority or date ("... and urgent"), so
//! "add buy bread and milk" stays one title.

use chrono::NaiveDate;

use super::priority::priority_exact;
use super::tags::parse_tags;
use super::{Intent, NotDone, Target, parse_action, parse_command};
use crate::dates;
use crate::text::{find_phrase, strip_prefix_any, trim_punct};

/// Where a sentence may continue with another request.
const JOINS: &[&str] = &[", and then", "and then", ", then", "then", ", and also", "and also", ", and", "and", ";"];

/// A task number no task has (numbers start at 1): stands for "it" while a part is parsed.
const IT: i64 = 0;

/// Parses `s` as several requests when it is, otherwise `None`.
pub(super) fn parse_clauses(s: &str, today: NaiveDate) -> Option<(Intent, Vec<NotDone>)> {
    let (left, right) = split(s, today)?;
    let first = parse_command(left, today)?;
    if matches!(first, Intent::Help { .. } | Intent::Clarify(_) | Intent::List(_)) {
        return None;
    }
    let mut not_done = Vec::new();
    let mut intents = vec![first];
    let mut rest = Some(right);
    while let Some(part) = rest.take() {
        let (this, next) = match split(part, today) {
            Some((l, r)) => (l, Some(r)),
            None => (part, None),
        };
        match follow_up(this, today) {
            Some(intent) => intents.push(intent),
            // What was left of "make it repeat weekly" once the repeat was read out.
            None if is_leftover(this) => {}
            // "add call mom and tell her it's late": the words are the title.
            None if matches!(intents[0], Intent::Add(_)) => return None,
            None => not_done.push(NotDone::Unclear(trim_punct(this).to_string())),
        }
        rest = next;
    }
    Some((merge(intents), not_done))
}

/// The first place where `s` continues with a request: (before, after).
fn split(s: &str, today: NaiveDate) -> Option<(&str, &str)> {
    let mut from = 0;
    while from < s.len() {
        let (i, join) = JOINS
            .iter()
            .filter_map(|j| find_phrase(s, j, from).map(|i| (i, *j)))
            .min_by_key(|(i, j)| (*i, std::cmp::Reverse(j.len())))?;
        let left = trim_punct(&s[..i]);
        let right = trim_punct(&s[i + join.len()..]);
        if !left.is_empty() && !right.is_empty() && (follow_up(right, today).is_some() || names_it(right)) {
            return Some((left, right));
        }
        from = i + join.len();
    }
    None
}

/// Words without a request in them ("make it").
fn is_leftover(s: &str) -> bool {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).all(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "make" | "have" | "let" | "set" | "it" | "to" | "so" | "that" | "should" | "be"
        )
    })
}

/// Whether a part refers to the task before it ("share it with Bob").
fn names_it(s: &str) -> bool {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .any(|w| matches!(w.to_ascii_lowercase().as_str(), "it" | "its" | "it's"))
}

/// A part after "and": a command with "it" for the task before, a command naming its own task
/// by number, or a bare priority or date for the task before.
fn follow_up(s: &str, today: NaiveDate) -> Option<Intent> {
    let s = trim_punct(s);
    let s = strip_prefix_any(s, &["also", "then", "please"]).map_or(s, |(_, r)| r);
    if priority_exact(s).is_some() || dates::parse_exact(s, today).is_some() {
        return parse_action(&format!("make task {IT} {s}"), today).map(with_it);
    }
    if let Some((_, due)) = strip_prefix_any(s, &["due", "due on", "due by"])
        && dates::parse_exact(due, today).is_some()
    {
        return parse_action(&format!("make task {IT} due {due}"), today).map(with_it);
    }
    if names_it(s) {
        let said = substitute_it(s);
        let intent = parse_tags(&said).or_else(|| parse_action(&said, today))?;
        return Some(with_it(intent));
    }
    match parse_tags(s).or_else(|| parse_action(s, today))? {
        i @ (Intent::Complete(Target::Id(_))
        | Intent::Delete(Target::Id(_))
        | Intent::Update(Target::Id(_), _)
        | Intent::Tags { target: Target::Id(_), .. }) => Some(i),
        _ => None,
    }
}

/// "make it urgent" -> "make task 0 urgent", "it's urgent" -> "make task 0 urgent",
/// "set its priority to high" -> "set task 0's priority to high".
fn substitute_it(s: &str) -> String {
    let low = s.to_ascii_lowercase();
    // "tag it finance": the tag command wants "with" before a bare word.
    if let Some(rest) = low.strip_prefix("tag it ")
        && !rest.starts_with(['#'])
        && !rest.starts_with("with ")
        && !rest.starts_with("as ")
    {
        return format!("tag task {IT} with {}", &s["tag it ".len()..]);
    }
    for lead in ["it's", "it is", "it should be", "it must be", "it needs to be"] {
        if let Some(rest) = low.strip_prefix(lead)
            && rest.starts_with(' ')
        {
            return format!("make task {IT}{}", &s[lead.len()..]);
        }
    }
    s.split(' ')
        .map(|w| match w.to_ascii_lowercase().as_str() {
            "it" => format!("task {IT}"),
            "its" => format!("task {IT}'s"),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The placeholder task of a part becomes [`Target::It`].
fn with_it(intent: Intent) -> Intent {
    let it = |t: Target| if t == Target::Id(IT) { Target::It } else { t };
    match intent {
        Intent::Complete(t) => Intent::Complete(it(t)),
        Intent::Reopen(t) => Intent::Reopen(it(t)),
        Intent::Delete(t) => Intent::Delete(it(t)),
        Intent::Update(t, c) => Intent::Update(it(t), c),
        Intent::Tags { target, add, remove } => Intent::Tags { target: it(target), add, remove },
        other => other,
    }
}

/// Folds changes of "it" into the request before ("move X to friday" + "make it urgent" is one
/// update); what cannot be folded stays a step of its own.
fn merge(intents: Vec<Intent>) -> Intent {
    let mut out: Vec<Intent> = Vec::new();
    for next in intents {
        let Some(last) = out.last_mut() else {
            out.push(next);
            continue;
        };
        match (last, next) {
            (Intent::Update(_, c), Intent::Update(Target::It, more)) => {
                c.title = more.title.or(c.title.take());
                c.description = more.description.or(c.description.take());
                c.priority = more.priority.or(c.priority);
                c.due = more.due.or(c.due.take());
            }
            (Intent::Add(task), Intent::Update(Target::It, more)) => {
                task.title = more.title.unwrap_or(std::mem::take(&mut task.title));
                task.description = more.description.or(task.description.take());
                task.priority = more.priority.or(task.priority);
                task.due = more.due.or(task.due.take());
            }
            (Intent::Add(task), Intent::Tags { target: Target::It, add, remove }) if remove.is_empty() => {
                for tag in add {
                    if !task.tags.contains(&tag) {
                        task.tags.push(tag);
                    }
                }
            }
            (_, next) => out.push(next),
        }
    }
    if out.len() == 1 { out.remove(0) } else { Intent::Sequence(out) }
}
