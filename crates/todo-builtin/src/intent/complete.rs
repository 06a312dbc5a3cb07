//! Complete and reopen: "mark task 3 as complete", "I finished the groceries task", "task 5 is
//! done", "mark task 2 as not done". "mark" with a priority or a date is an update.

use chrono::NaiveDate;

use super::priority::trailing_priority;
use super::target::{parse_id, parse_target, target_or_ask};
use super::{Changes, Intent, ListQuery, Status};
use crate::dates;
use crate::text::{
    find_phrase, find_quoted, phrase_at, strip_prefix_any, strip_suffix_any, strip_suffixes_repeatedly, trim_punct,
};

const DONE_WORDS: &[&str] = &[
    "as done",
    "as complete",
    "as completed",
    "as finished",
    "as checked",
    "as ticked",
    "as closed",
    "as resolved",
    "done",
    "complete",
    "completed",
    "finished",
    "off",
    "checked",
    "checked off",
    "resolved",
];
const UNDONE_WORDS: &[&str] = &[
    "as not done",
    "as incomplete",
    "as pending",
    "as undone",
    "as open",
    "as not complete",
    "as not completed",
    "as uncompleted",
    "as unfinished",
    "as todo",
    "as to do",
    "as active",
    "as not finished",
    "not done",
    "incomplete",
    "undone",
    "pending",
    "uncompleted",
    "unfinished",
    "not complete",
    "not completed",
    "open",
];

pub(super) fn parse_mark(s: &str, today: NaiveDate) -> Option<Intent> {
    let (_, rest) = strip_prefix_any(s, &["mark", "flag", "tag"])?;
    if let Some((_, t)) = strip_prefix_any(rest, &["off"]) {
        return Some(target_or_ask(t, "Which task should I mark as done?", Intent::Complete));
    }
    if let Some(t) = strip_suffix_any(rest, UNDONE_WORDS) {
        return Some(target_or_ask(t, "Which task should I reopen?", Intent::Reopen));
    }
    if let Some(t) = strip_suffix_any(rest, DONE_WORDS) {
        return Some(target_or_ask(t, "Which task should I mark as done?", Intent::Complete));
    }
    // "mark task 2 as urgent", "mark task 2 high priority", "mark task 4 as due friday"
    let t = strip_suffix_any(rest, &["as"]).unwrap_or(rest);
    if let Some((prio, start)) = trailing_priority(t) {
        let tgt = strip_suffix_any(&t[..start], &["as"]).unwrap_or(&t[..start]);
        return Some(target_or_ask(tgt, "Which task should I change?", |target| {
            Intent::Update(target, Changes { priority: Some(prio), ..Default::default() })
        }));
    }
    if let Some(f) = dates::extract(rest, today)
        && trim_punct(&rest[f.end..]).is_empty()
    {
        let tgt = strip_suffixes_repeatedly(&rest[..f.start], &["as", "due"]);
        return Some(target_or_ask(tgt, "Which task should I change?", |target| {
            Intent::Update(target, Changes { due: Some(f.due), ..Default::default() })
        }));
    }
    if phrase_at(s, 0, "mark") {
        return Some(target_or_ask(rest, "Which task should I mark as done?", Intent::Complete));
    }
    None
}

const COMPLETE_VERBS: &[&str] = &[
    "i've finished",
    "i have finished",
    "i finished",
    "i've completed",
    "i have completed",
    "i completed",
    "i'm done with",
    "i am done with",
    "im done with",
    "i'm finished with",
    "i am finished with",
    "i did",
    "i've done",
    "i have done",
    "ive done",
    "ive finished",
    "ive completed",
    "done with",
    "finished with",
    "finished",
    "finish",
    "completed",
    "complete",
    "close",
    "check off",
    "tick off",
    "cross off",
    "done:",
    "done",
    "i just finished",
    "i just completed",
    "just finished",
    "just did",
    "i just did",
    "i already did",
    "i already finished",
];

pub(super) fn parse_complete(s: &str) -> Option<Intent> {
    if let Some((verb, rest)) = strip_prefix_any(s, COMPLETE_VERBS) {
        let rest = trim_punct(rest);
        let listy = rest.is_empty()
            || rest.split_whitespace().all(|w| {
                matches!(
                    w.to_ascii_lowercase().as_str(),
                    "tasks" | "ones" | "items" | "todos" | "stuff" | "things" | "my" | "all"
                )
            });
        if listy && matches!(verb, "completed" | "finished" | "done") {
            return Some(Intent::List(ListQuery { status: Status::Completed, ..Default::default() }));
        }
        // "finished tasks" -> list; "close the app"? still a completion attempt, answered gracefully.
        let rest = strip_suffix_any(rest, &["off"]).unwrap_or(rest);
        return Some(target_or_ask(rest, "Which task should I mark as done?", Intent::Complete));
    }
    // "task 3 is done", "the groceries task is finished", "task 5 done"
    let suffixes = &[
        "is done",
        "is complete",
        "is completed",
        "is finished",
        "are done",
        "has been done",
        "has been completed",
        "is done now",
        "is now done",
        "can be marked done",
        "done",
        "complete",
        "completed",
        "finished",
        "is over",
    ];
    if let Some(t) = strip_suffix_any(s, suffixes) {
        let named_like_task = parse_id(t).is_some()
            || find_phrase(t, "task", 0).is_some()
            || find_phrase(t, "todo", 0).is_some()
            || find_quoted(t).is_some();
        if named_like_task && let Some(target) = parse_target(t) {
            return Some(Intent::Complete(target));
        }
    }
    None
}
