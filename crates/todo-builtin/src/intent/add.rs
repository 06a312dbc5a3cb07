//! Add: "add a task to buy groceries tomorrow, high priority #shopping".

use chrono::NaiveDate;

use super::priority::find_priority;
use super::{Intent, NewTask};
use crate::dates;
use crate::text::{
    capitalize, cut, find_phrase, find_quoted, strip_prefix_any, strip_prefixes_repeatedly, strip_suffixes_repeatedly,
    trim_lead, trim_punct, trim_tail, unquote,
};

pub(super) const ADD: &[&str] = &[
    "add",
    "create",
    "new task",
    "new todo",
    "new to-do",
    "new item",
    "new reminder",
    "remind me to",
    "remind me",
    "remember to",
    "remember",
    "don't forget to",
    "dont forget to",
    "do not forget to",
    "don't let me forget to",
    "note to self",
    "note down",
    "jot down",
    "write down",
    "todo:",
    "to-do:",
    "task:",
    "set a reminder to",
    "set reminder to",
    "set a reminder for",
    "set a reminder",
    "make a new task",
    "make a task",
    "make a todo",
    "make a to-do",
    "make a note to",
    "make a reminder to",
    "make note to",
    "put down",
    "please remember to",
    "i need a task to",
    "add in",
    "add on",
];

/// Parses the body of an add command ("a task to buy groceries tomorrow #home").
pub(super) fn parse_add(body: &str, today: NaiveDate) -> Intent {
    let mut text = trim_punct(body).to_string();
    let mut task = NewTask::default();

    // A quoted title is taken literally; everything else is read for details.
    let mut quoted_title: Option<String> = None;
    if let Some((qs, qe, inner)) = find_quoted(&text) {
        let inner = inner.trim().to_string();
        if !inner.is_empty() {
            quoted_title = Some(inner);
            text = cut(&text, qs, qe);
        }
    }
    // Description: "... with description X", "... description: X", "... notes: X"
    for marker in [
        "with the description",
        "with description",
        "with a description",
        "with a note",
        "with the note",
        "with notes",
        "with note",
        "with details",
        "description:",
        "description",
        "notes:",
        "note:",
        "details:",
    ] {
        if let Some(i) = find_phrase(&text, marker, 0) {
            let desc = trim_punct(unquote(trim_lead(&text[i + marker.len()..]))).to_string();
            if !desc.is_empty() {
                task.description = Some(desc);
                text = trim_tail(&text[..i]).to_string();
                break;
            }
        }
    }
    // Tags: "#work", "tagged work", "with tag work"
    let mut kept = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let lw = w.to_ascii_lowercase();
        if w.starts_with('#') && w.chars().nth(1).is_some_and(char::is_alphabetic) {
            push_tag(&mut task.tags, w);
        } else if matches!(lw.as_str(), "tagged" | "tag") && words.peek().is_some() {
            if let Some(next) = words.next() {
                let next = if next.eq_ignore_ascii_case("as") || next.eq_ignore_ascii_case("with") {
                    words.next().unwrap_or("")
                } else {
                    next
                };
                push_tag(&mut task.tags, next);
            }
            if kept.last().is_some_and(|k: &&str| k.eq_ignore_ascii_case("with")) {
                kept.pop();
            }
            if kept.last().is_some_and(|k: &&str| k.eq_ignore_ascii_case("the")) {
                kept.pop();
                if kept.last().is_some_and(|k: &&str| k.eq_ignore_ascii_case("with")) {
                    kept.pop();
                }
            }
        } else {
            kept.push(w);
        }
    }
    text = kept.join(" ");
    // Priority
    if let Some((p, start, end)) = find_priority(&text) {
        task.priority = Some(p);
        text = cut(&text, start, end);
    }
    // Due date
    if let Some(f) = dates::extract(&text, today) {
        task.due = Some(f.due);
        text = cut(&text, f.start, f.end);
    }
    let title = match quoted_title {
        Some(q) => q,
        None => clean_title(&text),
    };
    if title.is_empty() {
        return Intent::Clarify(
            "What should the task be called? Say, for example, \"add a task to buy groceries\".".into(),
        );
    }
    task.title = title;
    Intent::Add(task)
}

fn push_tag(tags: &mut Vec<String>, raw: &str) {
    let t: String = raw
        .trim_start_matches('#')
        .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .to_lowercase();
    if !t.is_empty() && !tags.contains(&t) {
        tags.push(t);
    }
}

/// "a task to buy groceries" -> "Buy groceries".
fn clean_title(text: &str) -> String {
    let leads = &[
        "to",
        "that i need to",
        "that i have to",
        "i need to",
        "i have to",
        "remember to",
        "me to",
        "to remember to",
        "that",
        "to-do:",
        "todo:",
        "task:",
        "reminder:",
        "to my list:",
        "to the list:",
        "to my list",
        "to the list",
        "to my todo list",
        "to my to-do list",
        "to my todo list:",
        "to do",
        "about",
        "for me to",
        "please",
        "remind me to",
        "need to",
        "have to",
        "i must",
        "i should",
        "don't forget to",
        "gotta",
    ];
    let tails = &[
        "to my list",
        "to my todo list",
        "to my to-do list",
        "to the list",
        "to my tasks",
        "to the todo list",
        "on my list",
        "to my task list",
        "to the task list",
        "to my todos",
        "please",
        "for me",
        "as a task",
        "as a todo",
        "as a new task",
        "to my to do list",
        "and",
        "with",
        "on",
        "by",
        "due",
        "for",
        "at",
        "it",
        "make it",
        "mark it",
        "and make it",
        "and mark it",
        "set",
        "thanks",
    ];
    let mut t = trim_punct(text);
    loop {
        let before = t.len();
        t = strip_task_noun(t);
        t = strip_prefixes_repeatedly(t, leads);
        t = strip_suffixes_repeatedly(t, tails);
        t = trim_punct(unquote(t));
        if t.len() == before {
            break;
        }
    }
    capitalize(t)
}

/// Strips "(a|an|the|another|one more) (new|quick) (task|todo|item|reminder|note) (to|for|called|:)".
fn strip_task_noun(s: &str) -> &str {
    let mut t = s;
    if let Some((_, r)) = strip_prefix_any(t, &["a", "an", "the", "another", "one more", "my", "some"]) {
        t = r;
    }
    if let Some((_, r)) = strip_prefix_any(t, &["new", "quick", "small", "simple", "separate"]) {
        t = r;
    }
    match strip_prefix_any(t, &["task", "tasks", "todo", "to-do", "item", "reminder", "note", "entry"]) {
        Some((_, r)) => match strip_prefix_any(
            r,
            &["to", "for", "called", "named", "titled", "that says", "saying", "about", "which is", ":"],
        ) {
            Some((_, r2)) => r2,
            None => r,
        },
        None => s,
    }
}
