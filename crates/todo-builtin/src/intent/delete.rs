//! Delete: "delete the meeting task", "remove task 2 from my list"; bulk deletes are refused.

use super::Intent;
use super::target::target_or_ask;
use crate::text::{strip_prefix_any, trim_punct};

const DELETE_VERBS: &[&str] = &[
    "delete",
    "remove",
    "cancel",
    "drop",
    "erase",
    "trash",
    "discard",
    "get rid of",
    "scrap",
    "forget about",
    "forget",
    "throw away",
    "throw out",
    "bin",
    "nuke",
    "kill",
    "clear",
    "wipe",
];

pub(super) fn parse_delete(s: &str) -> Option<Intent> {
    let (_, rest) = strip_prefix_any(s, DELETE_VERBS)?;
    let low = rest.to_ascii_lowercase();
    let bulk = ["all", "everything", "every", "all tasks", "my tasks", "the tasks", "tasks", "all my tasks"];
    let first = low.split_whitespace().next().unwrap_or("");
    if matches!(first, "all" | "everything" | "every")
        || bulk.contains(&trim_punct(&low))
        || low.starts_with("completed tasks")
    {
        return Some(Intent::Clarify(
            "For safety I delete one task at a time. Say, for example, \"delete task 3\" or \"delete the meeting task\"."
                .into(),
        ));
    }
    Some(target_or_ask(rest, "Which task should I delete?", Intent::Delete))
}
