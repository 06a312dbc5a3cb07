//! How a command names its task: by number ("task 3", "#3") or by title words ("the meeting
//! task"). Shared by complete, delete, update and tags.

use super::{Intent, Target};
use crate::text::{find_quoted, number, strip_prefixes_repeatedly, strip_suffixes_repeatedly, trim_punct, unquote};

/// Parses how a command names its task.
pub(super) fn parse_target(raw: &str) -> Option<Target> {
    let s = trim_punct(raw);
    let s = strip_suffixes_repeatedly(
        s,
        &[
            "from my list",
            "from the list",
            "off my list",
            "off the list",
            "from my tasks",
            "from my todo list",
            "from my to-do list",
            "from the todo list",
            "on my list",
            "please",
            "for me",
            "now",
            "already",
            "finally",
            "too",
            "as well",
        ],
    );
    let s = trim_punct(s);
    if s.is_empty() {
        return None;
    }
    if let Some((_, _, inner)) = find_quoted(s) {
        let inner = trim_punct(inner);
        return (!inner.is_empty()).then(|| Target::Title(inner.to_string()));
    }
    if let Some(id) = parse_id(s) {
        return Some(Target::Id(id));
    }
    let q = title_words(s);
    if q.is_empty() || matches!(q.to_ascii_lowercase().as_str(), "it" | "that" | "this" | "them" | "one" | "task") {
        return None;
    }
    Some(Target::Title(q))
}

/// "task 3", "task #3", "#3", "number 3", "task number three", "3", "the 3rd task"? (no: ordinals are positions).
pub(super) fn parse_id(s: &str) -> Option<i64> {
    let low = s.to_ascii_lowercase();
    let words: Vec<&str> = low.split_whitespace().collect();
    let mut k = 0;
    while k < words.len()
        && matches!(
            words[k],
            "the" | "my" | "task" | "todo" | "to-do" | "item" | "number" | "no" | "no." | "id" | "#" | "with"
        )
    {
        k += 1;
    }
    if k + 1 != words.len() && !(k + 2 == words.len() && matches!(words[k + 1], "task" | "todo" | "item")) {
        return None;
    }
    let w = words.get(k)?.trim_start_matches('#');
    let had_marker = k > 0 || words[k].starts_with('#');
    let n = number(w)?;
    // A bare number word on its own ("three") is too loose; digits or a marker are required.
    if !had_marker && !w.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(i64::from(n))
}

/// Reduces "the meeting task" to "meeting", "the task called buy milk" to "buy milk".
pub(super) fn title_words(s: &str) -> String {
    let lead = &[
        "the",
        "my",
        "our",
        "a",
        "an",
        "that",
        "this",
        "those",
        "these",
        "task called",
        "task named",
        "task titled",
        "task about",
        "task for",
        "task to",
        "todo called",
        "todo about",
        "todo to",
        "one called",
        "one about",
        "item called",
        "task",
        "todo",
        "to-do",
        "item",
        "entry",
        "called",
        "named",
        "titled",
        "about",
        "with",
        "reminder to",
        "reminder about",
        "reminder",
        "thing",
        "for",
    ];
    let tail =
        &["task", "tasks", "todo", "to-do", "item", "one", "entry", "thing", "reminder", "on my list", "in my list"];
    let mut t = trim_punct(s);
    loop {
        let before = t.len();
        t = strip_prefixes_repeatedly(t, lead);
        t = strip_suffixes_repeatedly(t, tail);
        t = trim_punct(unquote(t));
        if t.len() == before {
            break;
        }
    }
    t.to_string()
}

pub(super) fn target_or_ask(t: &str, question: &str, make: impl FnOnce(Target) -> Intent) -> Intent {
    match parse_target(t) {
        Some(target) => make(target),
        None => Intent::Clarify(format!("{question} Name it by number (\"task 3\") or by its title.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(parse_target("task 3"), Some(Target::Id(3)));
        assert_eq!(parse_target("task #3"), Some(Target::Id(3)));
        assert_eq!(parse_target("#12"), Some(Target::Id(12)));
        assert_eq!(parse_target("number 4"), Some(Target::Id(4)));
        assert_eq!(parse_target("task number three"), Some(Target::Id(3)));
        assert_eq!(parse_target("7"), Some(Target::Id(7)));
        assert_eq!(parse_target("the meeting task"), Some(Target::Title("meeting".into())));
        assert_eq!(parse_target("the task called buy milk"), Some(Target::Title("buy milk".into())));
        assert_eq!(parse_target("'buy milk'"), Some(Target::Title("buy milk".into())));
        assert_eq!(parse_target("the groceries one"), Some(Target::Title("groceries".into())));
        assert_eq!(parse_target("it"), None);
        assert_eq!(parse_target(""), None);
    }
}
