//! List and search: "what's pending?", "show overdue tasks", "what have I completed?",
//! "search dentist", "show #home tasks".

use super::priority::find_priority;
use super::target::title_words;
use super::{DueFilter, Intent, ListQuery, Status};
use crate::text::{contains_any, find_phrase, strip_prefix_any, trim_punct, trim_tail};

const LIST_VERBS: &[&str] = &[
    "show",
    "show me",
    "list",
    "see",
    "view",
    "display",
    "give me",
    "get",
    "tell me",
    "print",
    "bring up",
    "pull up",
    "let me see",
    "can i see",
    "read",
    "read me",
    "check",
    "review",
];
const SEARCH_VERBS: &[&str] = &[
    "search",
    "search for",
    "find",
    "find me",
    "look for",
    "look up",
    "search my tasks for",
    "find tasks with",
    "lookup",
];
const QUESTIONS: &[&str] = &[
    "what",
    "what's",
    "whats",
    "what is",
    "what are",
    "which",
    "how many",
    "do i have",
    "have i",
    "are there",
    "is there",
    "any",
    "anything",
    "did i",
    "where",
    "when",
];
const TASK_WORDS: &[&str] = &[
    "task",
    "tasks",
    "todo",
    "todos",
    "to-do",
    "to-dos",
    "to do",
    "list",
    "pending",
    "completed",
    "complete",
    "done",
    "finished",
    "overdue",
    "due",
    "left",
    "remaining",
    "open",
    "outstanding",
    "have to",
    "need to",
    "on my plate",
    "agenda",
    "priority",
    "urgent",
    "important",
    "everything",
    "items",
    "incomplete",
    "unfinished",
    "late",
    "closed",
    "active",
    "upcoming",
    "reminders",
    "stuff",
    "things",
    "today",
    "tomorrow",
    "this week",
    "should i",
];
const PENDING_WORDS: &[&str] = &[
    "pending",
    "open",
    "remaining",
    "left",
    "outstanding",
    "incomplete",
    "unfinished",
    "uncompleted",
    "not done",
    "not completed",
    "not finished",
    "to do",
    "need to",
    "have to",
    "still",
    "active",
    "undone",
    "current",
    "overdue",
    "late",
    "upcoming",
    "due",
    "yet to",
    "should i",
];
const COMPLETED_WORDS: &[&str] =
    &["completed", "complete", "done", "finished", "closed", "accomplished", "achieved", "ticked off", "checked off"];
const SEARCH_MARKERS: &[&str] = &[
    "about",
    "mentioning",
    "containing",
    "matching",
    "related to",
    "regarding",
    "called",
    "named",
    "titled",
    "that mention",
    "that mentions",
    "with the word",
    "with the words",
    "that contain",
    "that contains",
    "that say",
    "that says",
    "concerning",
    "involving",
    "for the word",
];

pub(super) fn parse_list(s: &str) -> Option<Intent> {
    let (kind, body) = if let Some((_, r)) = strip_prefix_any(s, SEARCH_VERBS) {
        ("search", r)
    } else if let Some((_, r)) = strip_prefix_any(s, LIST_VERBS) {
        ("show", r)
    } else if let Some((_, r)) = strip_prefix_any(s, QUESTIONS) {
        ("question", r)
    } else {
        ("bare", s)
    };
    let whole = s.to_ascii_lowercase();
    if kind != "search" && !contains_any(&whole, TASK_WORDS) && !body.contains('#') {
        return None;
    }
    let mut query = ListQuery::default();
    // Search text: "tasks about X", "search X"
    let mut rest = body.to_string();
    for m in SEARCH_MARKERS {
        if let Some(i) = find_phrase(&rest, m, 0) {
            let q = title_words(trim_punct(&rest[i + m.len()..]));
            if !q.is_empty() {
                query.q = Some(q);
                rest = trim_tail(&rest[..i]).to_string();
                break;
            }
        }
    }
    // Tags
    let mut kept = Vec::new();
    let mut iter = rest.split_whitespace().peekable();
    while let Some(w) = iter.next() {
        let lw = w.to_ascii_lowercase();
        if w.starts_with('#') && w.chars().nth(1).is_some_and(char::is_alphabetic) {
            query.tag = Some(w.trim_start_matches('#').trim_end_matches(|c: char| !c.is_alphanumeric()).to_lowercase());
        } else if matches!(lw.as_str(), "tagged" | "tag" | "label" | "labelled" | "labeled") && iter.peek().is_some() {
            let mut next = iter.next().unwrap_or("");
            if next.eq_ignore_ascii_case("as") || next.eq_ignore_ascii_case("with") {
                next = iter.next().unwrap_or("");
            }
            query.tag =
                Some(next.trim_start_matches('#').trim_end_matches(|c: char| !c.is_alphanumeric()).to_lowercase());
        } else {
            kept.push(w);
        }
    }
    rest = kept.join(" ");
    let rl = rest.to_ascii_lowercase();
    // Status
    let wants_all = contains_any(&rl, &["all", "every", "everything", "both"]);
    if contains_any(&rl, PENDING_WORDS) && !contains_any(&rl, &["all done", "done so far"]) {
        query.status = Status::Pending;
    } else if contains_any(&rl, COMPLETED_WORDS) {
        query.status = Status::Completed;
    }
    if wants_all
        && query.status != Status::Completed
        && !contains_any(
            &rl,
            &[
                "all pending",
                "all open",
                "all my pending",
                "all of my pending",
                "all the pending",
                "all remaining",
                "all overdue",
            ],
        )
    {
        // "show me all my tasks" -> all; "all pending tasks" keeps pending.
        if !contains_any(&rl, &["pending", "open", "remaining", "outstanding", "incomplete", "unfinished", "left"]) {
            query.status = Status::All;
        }
    }
    // Due window
    if contains_any(&rl, &["overdue", "late", "past due", "missed", "past their due date"]) {
        query.due = Some(DueFilter::Overdue);
    } else if contains_any(&rl, &["today", "tonight", "today's"]) {
        query.due = Some(DueFilter::Today);
    } else if contains_any(&rl, &["tomorrow", "tmrw"]) {
        query.due = Some(DueFilter::Tomorrow);
    } else if contains_any(
        &rl,
        &["this week", "week", "next 7 days", "next seven days", "upcoming", "due soon", "soon", "coming up"],
    ) {
        query.due = Some(DueFilter::Week);
    }
    // "what's due?" without a window: anything open with a date soon
    if query.due.is_none() && contains_any(&rl, &["due"]) && query.q.is_none() {
        query.due = Some(DueFilter::Week);
    }
    // Only "overdue" etc. made the status pending implicitly; keep it explicit only when asked.
    if query.due.is_some()
        && !contains_any(
            &rl,
            &[
                "pending",
                "open",
                "remaining",
                "left",
                "outstanding",
                "incomplete",
                "unfinished",
                "not done",
                "to do",
                "need to",
                "have to",
                "still",
                "should i",
            ],
        )
        && query.status == Status::Pending
    {
        query.status = Status::All;
    }
    if let Some((p, _, _)) = find_priority(&rl) {
        query.priority = Some(p);
    }
    if kind == "search" && query.q.is_none() {
        let q = residue(&rest);
        if !q.is_empty() {
            query.q = Some(q);
        }
    } else if kind == "show" && query.q.is_none() {
        // "show my work tasks" -> search "work"
        let q = residue(&rest);
        if !q.is_empty() && q.split_whitespace().count() <= 3 {
            query.q = Some(q);
        }
    }
    Some(Intent::List(query))
}

/// The words of a list request that are not filler or filters: the search text, if any.
fn residue(s: &str) -> String {
    const FILLER: &[&str] = &[
        "me",
        "my",
        "all",
        "the",
        "a",
        "an",
        "of",
        "i",
        "have",
        "has",
        "what",
        "whats",
        "what's",
        "is",
        "are",
        "do",
        "does",
        "there",
        "any",
        "tasks",
        "task",
        "todos",
        "todo",
        "to-do",
        "to-dos",
        "list",
        "lists",
        "items",
        "item",
        "stuff",
        "things",
        "everything",
        "please",
        "now",
        "currently",
        "right",
        "on",
        "in",
        "for",
        "plate",
        "agenda",
        "that",
        "which",
        "you",
        "can",
        "could",
        "show",
        "see",
        "give",
        "tell",
        "get",
        "view",
        "display",
        "let",
        "us",
        "with",
        "still",
        "got",
        "am",
        "it",
        "them",
        "so",
        "far",
        "yet",
        "been",
        "already",
        "ever",
        "recently",
        "up",
        "out",
        "mine",
        "our",
        "your",
        "we",
        "need",
        "to",
        "left",
        "remaining",
        "pending",
        "open",
        "outstanding",
        "completed",
        "complete",
        "done",
        "finished",
        "closed",
        "overdue",
        "late",
        "due",
        "today",
        "tonight",
        "tomorrow",
        "week",
        "this",
        "next",
        "days",
        "upcoming",
        "soon",
        "high",
        "low",
        "medium",
        "urgent",
        "important",
        "priority",
        "every",
        "one",
        "ones",
        "incomplete",
        "unfinished",
        "not",
        "and",
        "or",
        "by",
        "just",
        "only",
        "again",
        "entire",
        "whole",
        "full",
        "current",
        "active",
        "past",
        "how",
        "many",
        "much",
        "should",
        "must",
        "at",
        "from",
        "for",
        "about",
        "both",
        "some",
        "these",
        "those",
        "else",
    ];
    let words: Vec<&str> = s
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'')))
        .filter(|w| !w.is_empty() && !FILLER.contains(&w.to_ascii_lowercase().as_str()))
        .collect();
    words.join(" ")
}
